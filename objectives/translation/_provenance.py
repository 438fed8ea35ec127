"""Where a translated table came from: a JSON sidecar beside it, and the line a study's summary quotes.

The sidecar (``<table>.translation.json``) names the engine, the model and its
fingerprint, the languages and the settings, and carries a digest of the rows it
describes: a table edited or replaced afterwards no longer matches, and is then not
called machine-translated.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from objectives.errors import DataError

__all__ = ["SIDECAR_SUFFIX", "Provenance", "read_provenance", "rows_digest", "sidecar_path", "translation_note",
           "write_provenance"]

#: Appended to the table's name.
SIDECAR_SUFFIX = ".translation.json"
_FORMAT = "xling-sweep translation 1"


@dataclass(frozen=True)
class Provenance:
    """What the sidecar records."""

    engine: str
    model: str
    fingerprint: str
    source_lang: str
    source_code: str
    targets: dict[str, str]
    settings: dict[str, Any]
    source_table: str
    translated_rows: int
    kept_rows: int
    dropped_rows: int
    rows_sha256: str
    format: str = field(default=_FORMAT)

    def note(self) -> str:
        """One line: ``train data: machine-translated by <model> ...``."""
        decoding = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in self.settings.items() if k != "translate_context")
        context = "context translated" if self.settings.get("translate_context") else "context not translated"
        kept = f" ({self.kept_rows} more already in the table, kept)" if self.kept_rows else ""
        return (f"train data: machine-translated by {self.model} ({self.engine}, fingerprint {self.fingerprint[:12]}) "
                f"from {self.source_lang} into {', '.join(self.targets)}: {self.translated_rows} rows"
                f"{kept}; {', '.join(filter(None, (decoding, context)))}")


def rows_digest(rows: list[dict[str, str]]) -> str:
    """sha256 of the rows as read back (:func:`objectives.data.read_pairs_rows`), in order."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(json.dumps(row, sort_keys=True, ensure_ascii=False).encode() + b"\n")
    return digest.hexdigest()


def sidecar_path(table: str | os.PathLike[str]) -> Path:
    """The sidecar of ``table``."""
    path = Path(table).expanduser()
    return path.with_name(path.name + SIDECAR_SUFFIX)


def write_provenance(table: Path, provenance: Provenance) -> Path:
    """Write the sidecar atomically (before the table: a kill in between leaves a sidecar that matches no table)."""
    path = sidecar_path(table)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(asdict(provenance), fh, indent=2, ensure_ascii=False)
            fh.write("\n")
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def read_provenance(table: str | os.PathLike[str]) -> Provenance | None:
    """The provenance of ``table`` when its sidecar exists and matches its rows, else None."""
    from objectives.data import read_pairs_rows

    path = sidecar_path(table)
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        if record.get("format") != _FORMAT:
            return None
        provenance = Provenance(**record)
        rows = read_pairs_rows(table)
    except (OSError, ValueError, TypeError, DataError):
        return None
    return provenance if rows_digest(rows) == provenance.rows_sha256 else None


def translation_note(table: str | os.PathLike[str] | None) -> str | None:
    """The summary line of a machine-translated train table, or None (no table, no sidecar, or edited since)."""
    if table is None or str(table) == "":
        return None
    provenance = read_provenance(table)
    return provenance.note() if provenance else None
