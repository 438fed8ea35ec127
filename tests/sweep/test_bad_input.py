"""Every user mistake: one line naming the problem and the fix, exit code 2, nothing stored."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from tests.storage_backends import unique_study_name
from tests.sweep.conftest import CliCall, run_cli


def _lang_copy(xquad_path: Path, folder: Path, langs: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for lang in langs:
        shutil.copy(xquad_path / f"{lang}.json", folder / f"{lang}.json")
    return folder


def _no_questions(xquad_path: Path, folder: Path) -> Path:
    _lang_copy(xquad_path, folder, ["en"])
    doc = json.loads((xquad_path / "de.json").read_text(encoding="utf-8"))
    for article in doc["data"]:
        for para in article["paragraphs"]:
            para["qas"] = []
    (folder / "de.json").write_text(json.dumps(doc), encoding="utf-8")
    return folder


def _mismatched(xquad_path: Path, folder: Path) -> Path:
    _lang_copy(xquad_path, folder, ["en"])
    doc = json.loads((xquad_path / "de.json").read_text(encoding="utf-8"))
    for article in doc["data"]:
        for para in article["paragraphs"]:
            for qa in para["qas"]:
                qa["id"] = "other-" + qa["id"]
    (folder / "de.json").write_text(json.dumps(doc), encoding="utf-8")
    return folder


def _malformed(xquad_path: Path, folder: Path) -> Path:
    _lang_copy(xquad_path, folder, ["en"])
    (folder / "de.json").write_text('{"data": [ {"paragraphs": ', encoding="utf-8")
    return folder


def _no_tokenizer(tiny_model_dir: Path, folder: Path) -> Path:
    folder.mkdir()
    for f in tiny_model_dir.iterdir():
        if "token" not in f.name and "vocab" not in f.name and "special" not in f.name:
            shutil.copy(f, folder / f.name)
    return folder


CASES = {
    "malformed json": (lambda x, t, d: ["--data", str(_malformed(x, d / "data"))], "is not valid JSON"),
    "file without questions": (lambda x, t, d: ["--data", str(_no_questions(x, d / "data"))], "has no questions"),
    "mismatched qids": (lambda x, t, d: ["--data", str(_mismatched(x, d / "data"))], "shares no question id"),
    "unknown language": (lambda x, t, d: ["--languages", "en,xx"], "no data file for language(s) xx"),
    "zero trials": (lambda x, t, d: ["--trials", "0"], "invalid value for 'trials'"),
    "negative trials": (lambda x, t, d: ["--trials", "-3"], "invalid value for 'trials'"),
    "k below 1": (lambda x, t, d: ["--k", "0"], "invalid value for 'k'"),
    "inverted range": (lambda x, t, d: ["--search-space", "{mono_ratio: {low: 0.8, high: 0.2}}"], "empty or inverted range"),
    "empty range": (lambda x, t, d: ["--search-space", "{mono_ratio: {low: 0.5, high: 0.5}}"], "empty or inverted range"),
    "ratio outside unit": (lambda x, t, d: ["--search-space", "{mono_ratio: {low: 0, high: 2}}"], "outside [0.0, 1.0]"),
    "knee sampler with another key": (lambda x, t, d: ["--sampler", "knee", "--search-space",
                                                       "{mono_ratio: {low: 0, high: 1}, learning_rate: {low: 1e-5, high: 1e-4}}"],
                                      "the knee sampler searches mono_ratio only"),
    "unknown config key": (lambda x, t, d: ["--config", str(_write(d / "c.yaml", "trails: 40\n"))], "unknown config key 'trails'"),
    "unreachable storage": (lambda x, t, d: ["--storage", "postgresql://nobody@127.0.0.1:1/none"], "cannot reach storage"),
    "missing driver": (lambda x, t, d: ["--storage", "mysql://nobody@127.0.0.1:1/none"], "pip install 'mysqlclient'"),
    "unknown regime": (lambda x, t, d: ["--regime", "fast"], "unknown regime 'fast'"),
    # A regime setting is named as the user wrote it, not by its place inside the resolved regime.
    "zero steps": (lambda x, t, d: ["--steps", "0"], "invalid value for 'steps'"),
    "dropout neither on nor off": (lambda x, t, d: ["--dropout", "maybe"], "invalid value for 'dropout'"),
    "too many layers": (lambda x, t, d: ["--train-layers", "9"], "train_layers is 9"),
    "journal file": (lambda x, t, d: ["--storage", str(d / "journal.log")], "journal file"),
    "unknown model": (lambda x, t, d: ["--model", str(d / "no-such-model")], "not found"),
    "model without tokenizer": (lambda x, t, d: ["--model", str(_no_tokenizer(t, d / "m"))], "tokenizer"),
}
if not torch.cuda.is_available():  # on a GPU machine this is no mistake
    CASES["cuda without a GPU"] = (lambda x, t, d: ["--device", "cuda"], "torch sees no CUDA GPU")
else:
    CASES["cuda index beyond the GPUs"] = (lambda x, t, d: ["--device", f"cuda:{torch.cuda.device_count()}"],
                                           f"torch sees {torch.cuda.device_count()} GPU")
CASES["unusable cache folder"] = (lambda x, t, d: ["--cache-dir", "/proc/no-cache"], "cache folder /proc/no-cache")
# A value cut mid-way (a file pasted in part, a shell quote lost) and a value of the wrong type.
CASES["truncated search space"] = (lambda x, t, d: ["--search-space", "{mono_ratio: {low: 0, hi"],
                                   "--search-space is not valid YAML (line 1, column 25: expected ',' or '}'")
CASES["search space of the wrong type"] = (lambda x, t, d: ["--search-space", "{mono_ratio: {low: 0, high: [1]}}"],
                                           "invalid value for 'search_space.mono_ratio.high'")
CASES["truncated search space in a config file"] = (
    lambda x, t, d: ["--config", str(_write(d / "space.yaml", "search_space:\n  mono_ratio: {low: 0, hi"))],
    "space.yaml is not valid YAML (line 2, column")
CASES["artifacts folder is a file"] = (lambda x, t, d: ["--artifacts-dir", str(_write(d / "arts", "x"))],
                                       "arts is a file, not a folder; choose another --artifacts-dir")
for _name in ("../x", "", ".", "..", "a/b", "a\\b"):
    CASES[f"study name {_name!r}"] = (lambda x, t, d, n=_name: ["--study-name", n], "invalid value for 'study_name'")
CASES["device that is no device"] = (lambda x, t, d: ["--device", "cudafoo"], "device 'cudafoo' is not supported")


#: Run as a real ``python -m sweep.run`` process (the others call ``main`` in-process):
#: one data error and one config error prove the entry point prints the same single line.
SUBPROCESS_CASES = {"malformed json", "unknown config key"}


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input(case: str, tiny_args: list[str], tiny_model_dir: Path, xquad_path: Path, tmp_path: Path,
                   run_main: CliCall) -> None:
    make_args, message = CASES[case]
    db = tmp_path / "sweep.db"
    args = ["--storage", f"sqlite:///{db}", "--study-name", unique_study_name(), "--trials", "2", *tiny_args,
            *make_args(xquad_path, tiny_model_dir, tmp_path)]
    done = (run_cli if case in SUBPROCESS_CASES else run_main)("sweep.run", args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert message in lines[0]
    assert "Traceback" not in done.stderr
    assert not db.exists(), "nothing may be written to storage"


@pytest.mark.parametrize("command", [["sweep.export", "--out", "x.yaml"], ["sweep.report"], ["sweep.dashboard"],
                                     ["sweep.confirm"]])
def test_reading_commands_create_no_database(command: list[str], tmp_path: Path, run_main: CliCall) -> None:
    # A mistyped --storage path is an error; it must not leave a new empty database behind.
    db = tmp_path / "p5.db"
    done = run_main(command[0], ["--study-name", "nope", "--storage", f"sqlite:///{db}", *command[1:]], cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(db) in lines[0], done.stderr
    assert not db.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [], "nothing may be written"


@pytest.mark.parametrize("where", ["a file", "in a read-only folder"])
def test_unusable_artifacts_folder_is_refused_before_any_set_up(where: str, tiny_args: list[str], tmp_path: Path,
                                                                read_only_dir: Path, run_main: CliCall) -> None:
    artifacts = _write(tmp_path / "arts", "x") if where == "a file" else read_only_dir / "arts"
    db, cache = tmp_path / "sweep.db", tmp_path / "cache"
    before = sorted(p.name for p in tmp_path.iterdir())
    done = run_main("sweep.run", ["--storage", f"sqlite:///{db}", "--study-name", unique_study_name(), "--trials", "1",
                                  *tiny_args, "--cache-dir", str(cache), "--artifacts-dir", str(artifacts)], cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot write --artifacts-dir {artifacts}/"), done.stderr
    # Before the data, the model and the activation cache: nothing stored, nothing cached.
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize("name", ["../x", ""])
@pytest.mark.parametrize("command", ["sweep.export", "sweep.report", "sweep.dashboard", "sweep.confirm"])
def test_every_command_refuses_a_study_name_that_is_no_folder_name(command: str, name: str, tmp_path: Path,
                                                                   run_main: CliCall) -> None:
    # The name becomes a folder under the artifacts and reports folders: "../x" would leave them, "" would be them.
    done = run_main(command, ["--study-name", name, "--storage", f"sqlite:///{tmp_path / 'sweep.db'}"], cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: study name {name!r} "), done.stderr
    assert "one folder name" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def tiny_translator(tmp_path_factory: pytest.TempPathFactory, xquad_path: Path) -> Path:
    from tests.translation_models import build_tiny_translator, english_rows

    texts = [t for r in english_rows(xquad_path) for t in (r["question"], r["answer"])]
    return build_tiny_translator(tmp_path_factory.mktemp("tiny-m2m100"), texts)


@pytest.mark.parametrize("command", ["sweep.run", "sweep.evaluate"])
def test_a_model_that_is_no_encoder_is_one_line(command: str, tiny_translator: Path, tiny_args: list[str], xquad_path: Path,
                                                tmp_path: Path, run_main: CliCall) -> None:
    db = tmp_path / "sweep.db"
    if command == "sweep.run":
        args = ["--storage", f"sqlite:///{db}", "--study-name", unique_study_name(), "--trials", "1", *tiny_args,
                "--model", str(tiny_translator)]
    else:
        args = ["--model", str(tiny_translator), "--data", str(xquad_path), "--languages", "en,de", "--quiet"]
    done = run_main(command, args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "is a m2m_100 model (encoder-decoder)" in lines[0] and "not an encoder" in lines[0], lines[0]
    assert "BERT/XLM-R-like encoder" in lines[0], lines[0]
    assert not db.exists()


@pytest.fixture(scope="module")
def tiny_gpt2(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Path:
    """A real decoder-only GPT-2 (random weights) with the tiny BERT's tokenizer."""
    from transformers import GPT2Config, GPT2Model

    out = tmp_path_factory.mktemp("tiny-gpt2")
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(tiny_model_dir / name, out / name)
    vocab = json.loads((tiny_model_dir / "config.json").read_text())["vocab_size"]
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=vocab, n_positions=128, n_embd=32, n_layer=2, n_head=2, bos_token_id=0, eos_token_id=0)
    GPT2Model(config).save_pretrained(out)
    return out


def test_a_decoder_only_model_is_one_line_before_the_cache(tiny_gpt2: Path, tiny_args: list[str], xquad_path: Path,
                                                           tmp_path: Path, run_main: CliCall) -> None:
    """GPT-2's config says neither encoder-decoder nor decoder, so it passed the config check
    and failed with an AttributeError once the data and the model had loaded."""
    db, cache = tmp_path / "sweep.db", tmp_path / "cache"
    args = ["--storage", f"sqlite:///{db}", "--study-name", unique_study_name(), "--trials", "1", *tiny_args,
            "--model", str(tiny_gpt2), "--cache-dir", str(cache)]
    done = run_main("sweep.run", args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "is a gpt2 model without a BERT-like layer stack" in lines[0] and "sweep.evaluate" in lines[0], lines[0]
    assert not db.exists() and not (cache / "activations").exists()
    # What the line promises: the same model can still be scored.
    scored = run_main("sweep.evaluate", ["--model", str(tiny_gpt2), "--data", str(xquad_path), "--languages", "en,de",
                                         "--quiet"], cwd=tmp_path)
    assert scored.returncode == 0, scored.stderr


READING_COMMANDS = [["sweep.export", "--out", "x.yaml"], ["sweep.report", "--out", "reports"], ["sweep.dashboard"],
                    ["sweep.confirm"]]


def _foreign_database(path: Path) -> Path:
    """Another program's SQLite file: a valid database with its own tables and no Optuna study."""
    import sqlite3

    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO notes (body) VALUES ('keep me')")
    conn.close()
    return path


#: Files at a --storage path that are not a study database of ours, and a word the refusal must carry.
NOT_OURS = {
    "foreign database": (_foreign_database, "not a study database"),
    "empty file": (lambda p: _write(p, ""), "empty"),
    "text file": (lambda p: _write(p, "these are my notes\n"), "not a SQLite database"),
}


def _one_error_line(done: object) -> str:
    lines = done.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert done.returncode == 2, done.stderr  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in done.stderr  # type: ignore[attr-defined]
    return lines[0]


@pytest.mark.parametrize("kind", list(NOT_OURS))
@pytest.mark.parametrize("command", READING_COMMANDS, ids=lambda c: c[0])
def test_reading_commands_leave_files_that_are_not_ours_alone(command: list[str], kind: str, tmp_path: Path,
                                                              run_main: CliCall) -> None:
    # Pointed at another program's file, a command that reads must refuse and change nothing:
    # no Optuna or sweep tables added, no bytes touched, nothing written beside it.
    make, word = NOT_OURS[kind]
    db = make(tmp_path / "x.db")
    before = db.read_bytes()
    done = run_main(command[0], ["--study-name", "s", "--storage", f"sqlite:///{db}", *command[1:]], cwd=tmp_path)
    line = _one_error_line(done)
    assert str(db) in line and word in line and "--storage" in line, line
    assert db.read_bytes() == before, "the file must be left byte for byte"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.db"], "nothing may be written"


#: A URL SQLAlchemy cannot parse (the port is no number) with a password in it.
SECRET_URL = "postgresql://user:s3cret-pw@db-host:notaport/db"


@pytest.mark.parametrize("command", [["sweep.run", "--trials", "1"], *READING_COMMANDS], ids=lambda c: c[0])
def test_malformed_url_never_prints_its_password(command: list[str], tmp_path: Path, run_main: CliCall) -> None:
    done = run_main(command[0], ["--study-name", "s", "--storage", SECRET_URL, *command[1:]], cwd=tmp_path)
    line = _one_error_line(done)
    assert "s3cret-pw" not in done.stderr + done.stdout and "user:***@db-host" in line, line
    assert sorted(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", READING_COMMANDS, ids=lambda c: c[0])
def test_reading_commands_on_an_unreachable_server_are_one_line(command: list[str], tmp_path: Path,
                                                                run_main: CliCall) -> None:
    done = run_main(command[0], ["--study-name", "s", "--storage", "postgresql://127.0.0.1:1/test", *command[1:]],
                    cwd=tmp_path)
    line = _one_error_line(done)
    assert "cannot reach storage postgresql://127.0.0.1:1/test" in line, line
    assert sorted(tmp_path.iterdir()) == []


def _no_cache_files(cache: Path) -> None:
    built = [p for p in cache.rglob("*") if p.is_file()] if cache.exists() else []
    assert built == [], f"refused, yet the run prepared {built}"


@pytest.mark.parametrize("kind", ["foreign database", "text file"])
def test_run_refuses_storage_that_is_not_ours_before_any_work(kind: str, tiny_args: list[str], tmp_path: Path,
                                                              run_main: CliCall) -> None:
    # Another program's file is refused by sweep.run too, before the model, data or activation cache are prepared.
    make, word = NOT_OURS[kind]
    db = make(tmp_path / "x.db")
    before = db.read_bytes()
    cache = tmp_path / "cache"
    done = run_main("sweep.run", ["--trials", "1", "--storage", f"sqlite:///{db}", "--study-name", "s", *tiny_args,
                                  "--cache-dir", str(cache)], cwd=tmp_path)
    line = _one_error_line(done)
    assert str(db) in line and word in line, line
    assert db.read_bytes() == before
    _no_cache_files(cache)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.db"]


def _study_database(path: Path, name: str) -> str:
    """A study database as sweep.run leaves it (Optuna study, side tables, provenance row), without training."""
    import optuna

    import storage
    from sweep._config import SweepConfig

    url = f"sqlite:///{path}"
    optuna.create_study(storage=url, study_name=name, directions=["maximize", "maximize"])
    engine = storage.make_engine(url)
    storage.ensure_schema(engine)
    cfg = SweepConfig(storage=url, study_name=name, device="cpu")
    storage.save_study_record(engine, name, config=cfg.public_dump(), identity=cfg.identity(), model_fingerprint="m",
                              data_fingerprint="d", code_version="c", packages={})
    engine.dispose()
    return url


@pytest.mark.parametrize("command", [["sweep.run", "--trials", "1"], *READING_COMMANDS], ids=lambda c: c[0])
def test_side_tables_of_an_unknown_revision_are_one_line(command: list[str], tiny_args: list[str], tmp_path: Path,
                                                         run_main: CliCall) -> None:
    # Made (or damaged) by another version: Alembic cannot place the revision. One line, nothing touched.
    db = tmp_path / "sweep.db"
    url = _study_database(db, "s")
    import sqlite3

    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE sweep_alembic_version SET version_num = 'v9999-newer'")
    conn.close()
    before = db.read_bytes()
    cache = tmp_path / "cache"
    extra = [*tiny_args, "--cache-dir", str(cache)] if command[0] == "sweep.run" else []
    done = run_main(command[0], ["--study-name", "s", "--storage", url, *command[1:], *extra], cwd=tmp_path)
    line = _one_error_line(done)
    assert "v9999-newer" in line, line
    assert db.read_bytes() == before
    _no_cache_files(cache)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.db"]
