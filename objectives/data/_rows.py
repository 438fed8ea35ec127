"""A pairs table as plain rows, read with the loader's own checks and written back in any of its formats.

:func:`load_pairs` turns a table into the retrieval tables; a stage that rewrites the
table itself (``sweep.translate``) needs the rows. Reading goes through the same reader
and cell checks as ``--data`` (so every message is the one ``sweep.run`` would give),
and writing produces exactly the formats it reads back.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import datasets

from objectives.data._pairs import PAIRS_SUFFIXES, _pairs_rows, _read_table
from objectives.errors import DataError
from objectives.faults import fault_point

__all__ = ["PAIRS_COLUMNS", "read_pairs_rows", "write_pairs_table"]

#: Column order of a written table.
PAIRS_COLUMNS: tuple[str, ...] = ("qid", "lang", "question", "answer", "article", "context")


def read_pairs_rows(source: str | os.PathLike[str]) -> list[dict[str, str]]:
    """Every row of a pairs table, checked as ``--data`` checks it, as dicts of :data:`PAIRS_COLUMNS`.

    qids are text (an integer qid becomes its digits), ``article`` defaults to the qid and
    ``context`` to ``""``. Unlike ``--data``, which drops exact repeats, any ``(qid, lang)``
    seen twice is refused: a stage that writes one row per key cannot tell which to keep.

    Raises:
        DataError: everything :func:`load_pairs` refuses in a pairs table (missing file or
            column, wrong or empty cell, empty table), plus a repeated ``(qid, lang)``.
    """
    table = _read_table(Path(source), "pairs")
    rows = _pairs_rows(table.rows, table.name)
    seen: dict[tuple[str, str], int] = {}
    for i, (qid, lang) in enumerate(zip(table.rows["qid"], table.rows["lang"])):
        key = (str(qid), str(lang))
        if key in seen:
            raise DataError(
                f"{table.name}: qid {key[0]} appears twice for language {key[1]} (rows {seen[key] + 1} and {i + 1}): "
                "keep one row per question and language"
            )
        seen[key] = i
    return [{"qid": r.qid, "lang": r.lang, "question": r.question, "answer": r.answer, "article": r.article,
             "context": r.context} for r in rows]


def write_pairs_table(rows: Sequence[dict[str, str]], path: str | os.PathLike[str]) -> Path:
    """Write ``rows`` atomically as the table ``path`` names; :func:`read_pairs_rows` reads it back.

    ``.jsonl``, ``.json`` (one list), ``.csv``, ``.parquet``, or any other name: a
    ``save_to_disk`` folder. The table is written beside its target and moved into place,
    so a reader sees the old table or the new one, never half of either (a folder that
    already exists is swapped with two renames; if the second fails, the first is
    undone). The ``context`` column is left out when every row's is empty.

    Raises:
        DataError: no rows, or a path whose folder does not exist.
    """
    target = Path(path).expanduser()
    if not rows:
        raise DataError(f"no rows to write to {target}")
    if not target.parent.is_dir():
        raise DataError(f"cannot write {target}: folder {target.parent} does not exist; create it or choose another --out")
    columns = [c for c in PAIRS_COLUMNS if c != "context" or any(r.get("context") for r in rows)]
    records = [{c: r.get(c, "") for c in columns} for r in rows]
    suffix = target.suffix.lower()
    if suffix in PAIRS_SUFFIXES:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".tmp{suffix}", dir=target.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            _write_file(records, columns, tmp, suffix)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return target
    tmp_dir = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    old = tmp_dir / "old"
    try:
        datasets.Dataset.from_list(records).save_to_disk(str(tmp_dir / "table"))
        if target.exists():
            os.replace(target, old)
        try:
            fault_point("table-swap")
            os.replace(tmp_dir / "table", target)
        except BaseException:
            # The new table did not move in: put the old one back, so a failed write changes nothing.
            if old.exists() and not target.exists():
                os.replace(old, target)
            raise
    finally:
        # Never delete the old table: if putting it back failed too, it stays in the hidden folder.
        if not old.exists():
            shutil.rmtree(tmp_dir, ignore_errors=True)
    return target


def _write_file(records: list[dict[str, str]], columns: list[str], path: Path, suffix: str) -> None:
    if suffix == ".jsonl":
        with path.open("w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    elif suffix == ".json":
        path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    elif suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            writer.writerows(records)
    else:
        datasets.Dataset.from_list(records).to_parquet(str(path))
    with path.open("rb") as fh:
        os.fsync(fh.fileno())
