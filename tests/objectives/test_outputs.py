"""Output paths are tried on the real file system before a command works, and text is written atomically."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from objectives.outputs import output_path_problem, write_text_atomic


def test_writable_paths_pass_and_leave_nothing(tmp_path: Path) -> None:
    (tmp_path / "old.yaml").write_text("old")
    (tmp_path / "folder").mkdir()
    assert output_path_problem(tmp_path / "new.yaml", "--out") is None
    assert output_path_problem(tmp_path / "old.yaml", "--out") is None
    assert output_path_problem(tmp_path / "folder", "--out-dir", kind="folder") is None
    assert output_path_problem(tmp_path / "a" / "b" / "c", "--out-dir", kind="folder", create_parents=True) is None
    assert output_path_problem(tmp_path / "a" / "b.yaml", "--out", create_parents=True) is None
    assert output_path_problem(tmp_path / "folder", "--out", kind="any") is None
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["folder", "old.yaml"]


@pytest.mark.parametrize(("make", "kind", "parents", "message"), [
    ("folder", "file", False, r"cannot write --x .*/target: it is a folder; name a file"),
    ("file", "folder", False, r"cannot write --x .*/target: it is a file, not a folder"),
    (None, "file", False, r"cannot write --x .*/missing/target: folder .*/missing does not exist; create it"),
    (None, "folder", False, r"folder .*/missing does not exist"),
    ("file-above", "file", True, r"cannot write --x .*/plain/target: .*/plain is a file, not a folder"),
    ("file-above", "folder", True, r".*/plain is a file, not a folder"),
])
def test_each_unwritable_path_is_one_line(make: str | None, kind: str, parents: bool, message: str, tmp_path: Path) -> None:
    target = {"folder": tmp_path / "target", "file": tmp_path / "target", None: tmp_path / "missing" / "target",
              "file-above": tmp_path / "plain" / "target"}[make]
    if make == "folder":
        target.mkdir()
    elif make == "file":
        target.write_text("x")
    elif make == "file-above":
        (tmp_path / "plain").write_text("x")
    problem = output_path_problem(target, "--x", kind=kind, create_parents=parents)  # type: ignore[arg-type]
    assert problem is not None and re.search(message, problem), problem


@pytest.mark.parametrize("kind", ["file", "folder", "any"])
def test_a_read_only_folder_is_refused_whatever_the_permission_bits_say(kind: str, read_only_dir: Path) -> None:
    problem = output_path_problem(read_only_dir / "new" / "x", "--x", kind=kind, create_parents=True)  # type: ignore[arg-type]
    assert problem is not None and problem.startswith(f"cannot write --x {read_only_dir}/new/x: folder {read_only_dir} is not "
                                                      "writable ("), problem
    if kind == "folder":
        assert f"folder {read_only_dir} is not writable" in (output_path_problem(read_only_dir, "--x", kind="folder") or "")


def test_write_text_atomic_replaces_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "a.yaml"
    target.write_text("old")
    write_text_atomic(target, "new")
    assert target.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["a.yaml"]
    (tmp_path / "dir.yaml").mkdir()
    with pytest.raises(IsADirectoryError):
        write_text_atomic(tmp_path / "dir.yaml", "x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml", "dir.yaml"], "the temporary file is removed"
