"""``python -m sweep.run --data <pairs table>``: studies run on every file format; bad tables stop cleanly."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from objectives.data import load_lareqa
from tests.pairs_tables import LANGS, pairs_from, small_lareqa, write_table
from tests.storage_backends import unique_study_name
from tests.sweep.conftest import CliCall, run_cli


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory, xquad_path: Path) -> tuple[list[dict[str, str]], Path]:
    """Pairs rows cut from XQuAD-R, and their distractors written as JSON Lines."""
    folder = small_lareqa(xquad_path, tmp_path_factory.mktemp("lareqa-small"))
    rows, distractors = pairs_from(load_lareqa(folder, LANGS))
    return rows, write_table(distractors, folder / "distractors.jsonl")


@pytest.fixture(scope="module")
def pairs_rows(tables: tuple[list[dict[str, str]], Path]) -> list[dict[str, str]]:
    return tables[0]


def _complete_trials(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE'").fetchone()[0]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_study_runs_on_a_pairs_table(suffix: str, tables: tuple[list[dict[str, str]], Path], tiny_args: list[str],
                                     tmp_path: Path, run_main: CliCall) -> None:
    rows, distractors = tables
    table = write_table(rows, tmp_path / f"pairs{suffix}")
    db = tmp_path / "sweep.db"
    # The first two of the three default anchors (alpha 0 and 0.5) are the two trials.
    args = [*tiny_args, "--data", str(table), "--distractors", str(distractors), "--trials", "2",
            "--storage", f"sqlite:///{db}", "--study-name", unique_study_name(), "--steps", "2"]
    done = run_main("sweep.run", args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert _complete_trials(db) == 2
    if suffix == ".jsonl":
        # The distractors are in the data fingerprint: the same study without them is refused.
        without = [a for a in args if a not in ("--distractors", str(distractors))]
        again = run_main("sweep.run", without, cwd=tmp_path)
        assert again.returncode == 2 and "created with different data_fingerprint" in again.stderr, again.stderr
        assert _complete_trials(db) == 2


def _rows_text(rows: list[dict[str, object]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def _bad_table(case: str, rows: list[dict[str, str]], folder: Path) -> Path:
    if case == "missing column":
        return write_table([{k: v for k, v in r.items() if k != "answer"} for r in rows], folder / "p.csv")
    if case == "wrong type":
        broken = [dict(r) for r in rows]
        broken[3]["question"] = 42  # type: ignore[assignment]
        path = folder / "p.jsonl"
        path.write_text(_rows_text(broken), encoding="utf-8")  # type: ignore[arg-type]
        return path
    if case == "empty file":
        path = folder / "p.csv"
        path.write_text("", encoding="utf-8")
        return path
    if case == "conflicting duplicate":
        return write_table([*rows, {**rows[0], "answer": "Some other passage."}], folder / "p.parquet")
    assert case == "single language"
    return write_table([r for r in rows if r["lang"] == "en"], folder / "p.jsonl")


BAD = {
    "missing column": r"has no column answer \(found: qid, lang, question, article, context\)",
    "wrong type": r"row 4 \(counting from 1, header excluded\): column 'question' holds 42 \(int\)",
    "empty file": "is empty",
    "conflicting duplicate": "appears twice for language en",
    "single language": r"--data has one language \(en\) but the search space starts at mono_ratio 0",
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_pairs_table_stops_before_writing(case: str, pairs_rows: list[dict[str, str]], tiny_args: list[str],
                                              tmp_path: Path, run_main: CliCall) -> None:
    table = _bad_table(case, pairs_rows, tmp_path)
    db = tmp_path / "sweep.db"
    languages = ["--languages", "en"] if case == "single language" else []
    args = [*tiny_args, "--data", str(table), *languages, "--trials", "2", "--storage", f"sqlite:///{db}",
            "--study-name", unique_study_name()]
    # One case as a real process (nothing but the error line on stderr); the rest in-process.
    done = (run_cli if case == "wrong type" else run_main)("sweep.run", args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert re.search(BAD[case], lines[0]), lines[0]
    assert "Traceback" not in done.stderr
    assert not db.exists(), "nothing may be written to storage"


def _fresh_cache(tiny_args: list[str], cache: Path) -> list[str]:
    """``tiny_args`` with a cache folder of its own, so a test can see that nothing was built in it."""
    at = tiny_args.index("--cache-dir")
    return [*tiny_args[:at], "--cache-dir", str(cache), *tiny_args[at + 2:]]


@pytest.mark.parametrize(("articles", "split"), [(1, "dev"), (2, "test")])
def test_a_table_too_small_for_the_splits_is_refused_before_anything(articles: int, split: str, pairs_rows: list[dict[str, str]],
                                                                      tiny_args: list[str], tmp_path: Path,
                                                                      run_main: CliCall) -> None:
    # All rows in one article put every question in train; two articles leave test empty. A
    # study would train and fail every trial with NaN metrics (an empty dev split) or store
    # a NaN test baseline: refuse it before the study, the baseline or the cache exists.
    qids = sorted({r["qid"] for r in pairs_rows})
    article = {q: f"article-{i * articles // len(qids)}" for i, q in enumerate(qids)}
    table = write_table([{**r, "article": article[r["qid"]]} for r in pairs_rows], tmp_path / "p.jsonl")
    db, cache = tmp_path / "sweep.db", tmp_path / "cache"
    args = [*_fresh_cache(tiny_args, cache), "--data", str(table), "--trials", "2", "--storage", f"sqlite:///{db}",
            "--study-name", unique_study_name()]
    done = run_main("sweep.run", args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert f"the {split} split has no questions" in lines[0] and "article" in lines[0], lines[0]
    assert not db.exists(), "nothing may be written to storage"
    assert not (cache / "activations").exists(), "no activation cache may be built"
