"""A pairs table as rows: read with the loader's checks, written in every format it reads back, atomically."""

from __future__ import annotations

from pathlib import Path

import pytest

from objectives.data import load_pairs, read_pairs_rows, write_pairs_table
from objectives.errors import DataError

ROWS = [
    {"qid": "007", "lang": "en", "question": "Who?", "answer": "Bond.", "article": "a", "context": "Bond. James Bond."},
    {"qid": "007", "lang": "de", "question": "Wer?", "answer": "Bond.", "article": "a", "context": ""},
    {"qid": "8", "lang": "en", "question": "Where?", "answer": "Here, \"quoted\", with, commas.", "article": "b",
     "context": ""},
]


@pytest.mark.parametrize("name", ["t.jsonl", "t.json", "t.csv", "t.parquet", "saved"])
def test_written_tables_read_back_as_written(name: str, tmp_path: Path) -> None:
    path = write_pairs_table(ROWS, tmp_path / name)
    assert read_pairs_rows(path) == ROWS
    assert load_pairs(path).languages == ("de", "en")
    assert sorted(p.name for p in tmp_path.iterdir()) == [name], "no temporary file is left behind"


def test_rewriting_replaces_the_table_whole(tmp_path: Path) -> None:
    for name in ("t.csv", "saved"):
        write_pairs_table(ROWS, tmp_path / name)
        write_pairs_table(ROWS[:1], tmp_path / name)
        assert read_pairs_rows(tmp_path / name) == ROWS[:1]
    without_context = [{**r, "context": ""} for r in ROWS]
    path = write_pairs_table(without_context, tmp_path / "plain.jsonl")
    assert "context" not in path.read_text(encoding="utf-8") and read_pairs_rows(path) == without_context


def test_defaults_and_refusals(tmp_path: Path) -> None:
    bare = tmp_path / "bare.jsonl"
    bare.write_text('{"qid": 5, "lang": "en", "question": "Q?", "answer": "A."}\n', encoding="utf-8")
    assert read_pairs_rows(bare) == [{"qid": "5", "lang": "en", "question": "Q?", "answer": "A.", "article": "5", "context": ""}]
    # --data drops an exact repeat; a stage writing one row per (qid, lang) refuses it.
    twice = write_pairs_table([ROWS[0], ROWS[2], ROWS[0]], tmp_path / "twice.jsonl")
    with pytest.raises(DataError, match=r"qid 007 appears twice for language en \(rows 1 and 3\)"):
        read_pairs_rows(twice)
    with pytest.raises(DataError, match="no rows to write"):
        write_pairs_table([], tmp_path / "empty.jsonl")
    with pytest.raises(DataError, match="does not exist"):
        write_pairs_table(ROWS, tmp_path / "no-folder" / "t.jsonl")


def test_a_folder_swap_that_fails_between_its_renames_keeps_the_old_table(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # A saved folder is replaced with two renames (old aside, new in). A failure between
    # them, injected at the fault point there, must leave the old table where it was.
    path = write_pairs_table(ROWS, tmp_path / "saved")
    monkeypatch.setenv("SWEEP_FAULT", "table-swap:1:error")
    with pytest.raises(OSError, match="fault injected at table-swap"):
        write_pairs_table(ROWS[:1], path)
    assert read_pairs_rows(path) == ROWS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["saved"], "no temporary folder is left behind"
    monkeypatch.delenv("SWEEP_FAULT")
    write_pairs_table(ROWS[:1], path)
    assert read_pairs_rows(path) == ROWS[:1]
