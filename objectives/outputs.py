"""Output paths: can this be written, asked before any costly work, and atomic text writes.

Dependency-free, like :mod:`objectives.errors`, so every command and stage checks its
outputs the same way and refuses with one line (docs/design.md, "Errors") before it
loads a model, trains or translates, instead of failing at the end. The check returns
the line, as :func:`objectives.cache.cache_write_message` does, and the caller raises it
(:func:`sweep._cli.check_output_path` raises it as a ``ConfigError``). A folder is tried
by creating and removing a temporary file in it: permission bits alone do not tell
(root ignores them, and a read-only mount, ``/proc`` or ``/sys`` refuse whatever they say).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Literal

__all__ = ["OutputKind", "output_path_problem", "write_text_atomic"]

#: ``file``: a file, written beside itself and renamed over it (an existing folder there is refused);
#: ``folder``: a folder written into (an existing file there is refused);
#: ``any``: a file or folder that replaces whatever is there (the caller judges an existing one).
OutputKind = Literal["file", "folder", "any"]


def output_path_problem(path: str | os.PathLike[str], flag: str, *, kind: OutputKind = "file",
                        create_parents: bool = False) -> str | None:
    """None when a command can write ``path`` (``~`` expanded), else one line naming the path, the problem and the fix.

    ``flag`` names the option the path came from. ``create_parents``: missing folders
    above ``path`` will be created (the nearest existing one must take them); else the
    folder holding ``path`` must exist. Nothing is left behind either way.
    """
    target = Path(path).expanduser()
    where = f"{flag} {target}"
    if kind == "file" and target.is_dir():
        return f"cannot write {where}: it is a folder; name a file, or choose another {flag}"
    if kind == "folder" and target.exists() and not target.is_dir():
        return f"cannot write {where}: it is a file, not a folder; choose another {flag}"
    if kind == "folder" and target.is_dir():
        return _write_problem(target, where, flag)
    parent = target.absolute().parent
    existing = _nearest_existing(parent)
    if not existing.is_dir():
        return f"cannot write {where}: {existing} is a file, not a folder; choose another {flag}"
    if existing != parent and not create_parents:
        return f"cannot write {where}: folder {parent} does not exist; create it or choose another {flag}"
    return _write_problem(existing, where, flag)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file beside it: readers see the old file or the new one.

    On any failure the temporary file is removed and ``path`` is as it was.
    """
    target = Path(path).expanduser()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return target


def _nearest_existing(folder: Path) -> Path:
    """``folder`` or the closest folder above it that exists (a file there is returned as found)."""
    for candidate in (folder, *folder.parents):
        if os.path.lexists(candidate):
            return candidate
    return Path(folder.anchor)


def _write_problem(folder: Path, where: str, flag: str) -> str | None:
    try:
        fd, name = tempfile.mkstemp(prefix=".xling-sweep-write-check-", dir=folder)
    except OSError as e:
        return f"cannot write {where}: folder {folder} is not writable ({e.strerror or e}); choose another {flag} or make it writable"
    os.close(fd)
    os.unlink(name)
    return None
