"""``python -m sweep.translate``: a parallel table from English rows, cached, resumable after a kill, and trainable."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from objectives.data import load_pairs, read_pairs_rows, write_pairs_table
from objectives.translation import CACHE_FILE, read_provenance, sidecar_path
from tests.storage_backends import unique_study_name
from tests.sweep.conftest import CliCall, start_cli, tiny_cli_args
from tests.translation_models import build_tiny_translator, english_rows

#: Small decoding settings: the tiny model's translations are as long as allowed, so this bounds the cost.
FAST = ["--num-beams", "2", "--max-length", "24", "--batch-size", "8", "--threads", "1"]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory, xquad_path: Path) -> Path:
    rows = english_rows(xquad_path, articles=2, max_rows=40)
    return write_pairs_table(rows, tmp_path_factory.mktemp("translate-src") / "en.jsonl")


@pytest.fixture(scope="module")
def mt_model(tmp_path_factory: pytest.TempPathFactory, source: Path) -> Path:
    texts = [t for r in read_pairs_rows(source) for t in (r["question"], r["answer"], r["context"])]
    return build_tiny_translator(tmp_path_factory.mktemp("tiny-m2m100"), texts)


@pytest.fixture(scope="module")
def translated(tmp_path_factory: pytest.TempPathFactory, source: Path, mt_model: Path) -> tuple[Path, Path, str]:
    """One clean run into de and zh: (the table, its cache folder, stdout of the run)."""
    import contextlib
    import io

    from sweep.translate import main

    folder = tmp_path_factory.mktemp("translated")
    out, cache = folder / "parallel.parquet", folder / "cache"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main([str(source), "--out", str(out), "--target-langs", "de,zh", "--mt-model", str(mt_model),
                     "--cache-dir", str(cache), *FAST])
    assert code == 0
    return out, cache, buf.getvalue()


def _cached(cache: Path) -> int:
    with sqlite3.connect(cache / CACHE_FILE) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM translations").fetchone()[0])


def _counts(stdout: str) -> tuple[int, int]:
    found = re.search(r"(\d+) from the cache, (\d+) translated", stdout)
    assert found, stdout
    return int(found.group(1)), int(found.group(2))


def test_round_trip_rows_langs_qids(translated: tuple[Path, Path, str], source: Path, mt_model: Path) -> None:
    out, cache, stdout = translated
    src = read_pairs_rows(source)
    rows = read_pairs_rows(out)
    assert rows[:len(src)] == src, "the source rows come first, unchanged"
    added = rows[len(src):]
    assert Counter(r["lang"] for r in added) == {"de": len(src), "zh": len(src)}
    for lang in ("de", "zh"):
        mine = [r for r in added if r["lang"] == lang]
        assert [r["qid"] for r in mine] == [r["qid"] for r in src]
        assert [r["article"] for r in mine] == [r["article"] for r in src]
        assert all(r["question"].strip() and r["answer"].strip() and r["context"] == "" for r in mine)
    assert len({(r["qid"], r["lang"]) for r in rows}) == len(rows)
    # Each distinct text is translated once per target language, and every one is in the cache.
    distinct = len({t for r in src for t in (r["question"], r["answer"])})
    assert _counts(stdout) == (0, 2 * distinct)
    assert _cached(cache) == 2 * distinct
    # The table is what --data / --train-data read: three languages sharing every qid.
    data = load_pairs(out)
    assert data.languages == ("de", "en", "zh") and len(data.questions) == 3 * len(src)
    prov = read_provenance(out)
    assert prov is not None and prov.model == str(mt_model) and prov.engine == "m2m100"
    assert prov.targets == {"de": "de", "zh": "zh"} and prov.source_lang == "en" and len(prov.fingerprint) == 64
    assert prov.settings == {"num_beams": 2, "max_length": 24, "translate_context": False}
    assert prov.translated_rows == 2 * len(src) and prov.dropped_rows == 0


def test_rerun_costs_nothing_and_settings_are_in_the_key(translated: tuple[Path, Path, str], source: Path, mt_model: Path,
                                                         tmp_path: Path, run_main: CliCall) -> None:
    out, cache, first = translated
    again = tmp_path / "again.parquet"
    args = [str(source), "--target-langs", "de,zh", "--mt-model", str(mt_model), "--cache-dir", str(cache), *FAST]
    done = run_main("sweep.translate", [*args, "--out", str(again)])
    assert done.returncode == 0, done.stderr
    total = sum(_counts(first))
    assert _counts(done.stdout) == (total, 0)
    assert read_pairs_rows(again) == read_pairs_rows(out)
    # Another beam is another translation: nothing comes from the cache.
    other = run_main("sweep.translate", [*args, "--out", str(tmp_path / "beam1.jsonl"), "--target-langs", "de",
                                         "--num-beams", "1"])
    assert other.returncode == 0, other.stderr
    assert _counts(other.stdout) == (0, total // 2)


def test_kill_mid_run_then_resume_loses_and_repeats_nothing(source: Path, mt_model: Path, tmp_path: Path,
                                                            run_main: CliCall) -> None:
    out, cache = tmp_path / "parallel.jsonl", tmp_path / "cache"
    args = [str(source), "--out", str(out), "--target-langs", "de,zh", "--mt-model", str(mt_model), "--cache-dir", str(cache),
            *FAST, "--quiet"]
    # A real process, killed (SIGKILL) right after its second batch is committed.
    proc = start_cli("sweep.translate", args, env={"SWEEP_FAULT": "translate-batch:2"})
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == -9, err
    assert not out.exists() and not sidecar_path(out).exists(), "a killed run writes no table"
    assert _cached(cache) == 16, "two batches of 8, committed before the kill"
    with sqlite3.connect(cache / CACHE_FILE) as conn:
        before = dict(conn.execute("SELECT key, translation FROM translations"))

    done = run_main("sweep.translate", [a for a in args if a != "--quiet"])
    assert done.returncode == 0, done.stderr
    src = read_pairs_rows(source)
    distinct = len({t for r in src for t in (r["question"], r["answer"])})
    assert _counts(done.stdout) == (16, 2 * distinct - 16)
    rows = read_pairs_rows(out)
    assert Counter((r["qid"], r["lang"]) for r in rows) == Counter({(r["qid"], lang): 1 for r in src for lang in ("en", "de", "zh")})
    with sqlite3.connect(cache / CACHE_FILE) as conn:
        after = dict(conn.execute("SELECT key, translation FROM translations"))
    assert len(after) == 2 * distinct and all(after[k] == v for k, v in before.items())


def test_help_names_each_family_s_codes_and_the_defaults() -> None:
    from sweep.translate import build_parser

    text = " ".join(build_parser().format_help().split())
    for needed in ("M2M100", "ISO 639-1", "NLLB-200", "FLORES-200 codes such as eng_Latn", "apertium", "name=code",
                   "beam size (default 5", "(default 200", "(default 16 for M2M100 and NLLB, 512 for apertium)",
                   "default facebook/m2m100_418M", "--translate-context", "--device"):
        assert needed in text, needed


def _write(rows: list[dict[str, str]], path: Path) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


BAD = {
    "unknown code": (["--target-langs", "de,xx"], r"language code\(s\) xx unknown to .*\(m2m100 codes: af, am, ar, .*, zh, zu\)"),
    "nllb code on m2m100": (["--target-langs", "deu_Latn"], r"deu_Latn unknown to .*m2m100 codes: af"),
    "source missing": (["--source-lang", "fr"], r"has no rows in the source language fr \(languages there: en\)"),
    "target is source": (["--target-langs", "en,de"], "includes the source language en"),
    "empty target list": (["--target-langs", ","], "--target-langs is empty"),
    "empty text": ([], r"column 'question' is empty"),
    "duplicate qid": ([], r"qid \S+ appears twice for language en \(rows 1 and 41\)"),
    "not a translation model": (["--mt-model", "BERT"], r"is a bert model, not a translation model: --mt-model takes an M2M100"),
    "missing model": (["--mt-model", "MISSING"], r"translation model .* not found: pass a local folder"),
    "hub name, hub unreachable": (["--mt-model", "facebook/m2m100_418M"],
                                  r"'facebook/m2m100_418M' not found \(huggingface.co cannot be reached from here\)"),
    "zero beams": (["--num-beams", "0"], r"--num-beams must be at least 1 \(got 0\)"),
    "bad device": (["--device", "tpu"], r"device 'tpu' is not supported"),
    "device list": (["--device", "cuda:0,cuda:1"], r"runs in one process on one device; name one, e.g. --device cuda:0"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_one_error_line_nothing_written(case: str, source: Path, mt_model: Path, tiny_model_dir: Path,
                                                  tmp_path: Path, run_main: CliCall) -> None:
    extra, pattern = BAD[case]
    table = source
    rows = read_pairs_rows(source)
    if case == "empty text":
        table = _write([*rows[:3], {**rows[3], "question": "  "}], tmp_path / "bad.jsonl")
    elif case == "duplicate qid":
        table = _write([*rows, rows[0]], tmp_path / "bad.jsonl")
    model = {"BERT": str(tiny_model_dir), "MISSING": str(tmp_path / "no-such-model")}
    extra = [model.get(a, a) for a in extra]
    out, cache = tmp_path / "out.jsonl", tmp_path / "cache"
    args = [str(table), "--out", str(out), "--target-langs", "de", "--mt-model", str(mt_model), "--cache-dir", str(cache),
            *FAST, *extra]
    # HF_HUB_OFFLINE stands for a blocked hub (and keeps a machine with internet from downloading 2 GB here).
    done = run_main("sweep.translate", args, env={"HF_HUB_OFFLINE": "1"})
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert re.search(pattern, lines[0]), lines[0]
    assert not out.exists() and not sidecar_path(out).exists() and not (cache / CACHE_FILE).exists()


#: Outputs that cannot be written: (--out, --cache-dir) under tmp_path ("RO" is a read-only folder), the message.
UNWRITABLE = {
    "out in a missing folder": ("missing/out.jsonl", "cache", r"--out .*missing/out.jsonl: folder .*missing does not exist"),
    "out in a read-only folder": ("RO/out.jsonl", "cache", r"cannot write --out .*out.jsonl: folder .* is not writable"),
    "out is an existing folder": ("folder.jsonl", "cache", r"cannot write --out .*folder.jsonl: it is a folder"),
    "sidecar is an existing folder": ("out.jsonl", "cache", r"cannot write --out .*out.jsonl.translation.json: it is a folder"),
    "cache dir is a file": ("out.jsonl", "file", r"cannot write --cache-dir .*file: it is a file, not a folder"),
    "cache dir in a read-only folder": ("out.jsonl", "RO/cache", r"cannot write --cache-dir .*cache: folder .* is not writable"),
}


def _under(name: str, tmp_path: Path, read_only_dir: Path) -> Path:
    head, _, rest = name.partition("/")
    base = read_only_dir if head == "RO" else tmp_path / head
    return base / rest if rest else base


@pytest.mark.parametrize("case", list(UNWRITABLE))
def test_an_unwritable_output_is_refused_before_translating(case: str, source: Path, mt_model: Path, tmp_path: Path,
                                                            read_only_dir: Path, run_main: CliCall) -> None:
    out_name, cache_name, pattern = UNWRITABLE[case]
    out, cache = _under(out_name, tmp_path, read_only_dir), _under(cache_name, tmp_path, read_only_dir)
    (tmp_path / "folder.jsonl").mkdir()
    (tmp_path / "file").write_text("not a folder")
    if case == "sidecar is an existing folder":
        sidecar_path(out).mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    done = run_main("sweep.translate", [str(source), "--out", str(out), "--target-langs", "de", "--mt-model", str(mt_model),
                                        "--cache-dir", str(cache), *FAST])
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert re.search(pattern, lines[0]), lines[0]
    # Refused before the model translated anything: no cache, no table, no leftovers.
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert not (cache / CACHE_FILE).exists() and not out.is_file()


def test_two_table_names_for_one_model_code_each_get_their_rows(source: Path, mt_model: Path, tmp_path: Path,
                                                                run_main: CliCall) -> None:
    # es_mx=es and es translate with the same code; the table already holds two es rows (kept, not translated).
    rows = read_pairs_rows(source)
    table = write_pairs_table([*rows, *({**r, "lang": "es", "question": f"ya {r['question']}"} for r in rows[:2])],
                              tmp_path / "en-es.jsonl")
    args = [str(table), "--target-langs", "es_mx=es,es", "--mt-model", str(mt_model), "--cache-dir", str(tmp_path / "cache"),
            *FAST]
    distinct = len({t for r in rows for t in (r["question"], r["answer"])})
    for run, out in enumerate((tmp_path / "cold.jsonl", tmp_path / "warm.jsonl")):
        done = run_main("sweep.translate", [*args, "--out", str(out)])
        assert done.returncode == 0, done.stderr
        # One code, one translation per text: the second name reads the first one's.
        assert _counts(done.stdout) == ((distinct, 0) if run else (0, distinct)), done.stdout
        written = read_pairs_rows(out)
        assert Counter(r["lang"] for r in written) == {"en": len(rows), "es_mx": len(rows), "es": len(rows)}
        mx = {r["qid"]: r for r in written if r["lang"] == "es_mx"}
        es = {r["qid"]: r for r in written if r["lang"] == "es"}
        assert [es[r["qid"]]["question"] for r in rows[:2]] == [f"ya {r['question']}" for r in rows[:2]], "kept as given"
        assert all(es[q]["question"] == mx[q]["question"] and es[q]["answer"] == mx[q]["answer"] for q in list(es)[2:])
        prov = read_provenance(out)
        assert prov is not None and prov.targets == {"es_mx": "es", "es": "es"} and prov.kept_rows == 2
    assert read_pairs_rows(tmp_path / "cold.jsonl") == read_pairs_rows(tmp_path / "warm.jsonl")


def test_sweep_trains_on_the_translated_table(translated: tuple[Path, Path, str], tiny_model_dir: Path, xquad_path: Path,
                                              sweep_cache: Path, tmp_path: Path, run_main: CliCall) -> None:
    out, _, _ = translated
    db = tmp_path / "sweep.db"
    args = [a for a in tiny_cli_args(tiny_model_dir, xquad_path, sweep_cache) if a != "--quiet"]
    args += ["--train-data", str(out), "--trials", "1", "--steps", "2", "--storage", f"sqlite:///{db}",
             "--study-name", unique_study_name()]
    done = run_main("sweep.run", args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE'").fetchone()[0] == 1
    note = [line for line in done.stdout.splitlines() if line.startswith("train data: machine-translated by ")]
    assert len(note) == 1 and "(m2m100, fingerprint " in note[0] and "from en into de, zh" in note[0], done.stdout
