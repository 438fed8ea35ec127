"""Translations on disk, one row per text, so a killed run resumes and a rerun translates nothing.

A row's key is ``sha256`` over the engine's fingerprint, the language pair, the settings
that change the output and the text itself: another checkpoint, pair or beam never
reads a stale translation. SQLite (WAL, committed after every batch) because several
stages may share the file and a kill must lose at most the batch in flight.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["TranslationCache", "cache_key"]

_SCHEMA = "CREATE TABLE IF NOT EXISTS translations (key TEXT PRIMARY KEY, translation TEXT NOT NULL)"


def cache_key(fingerprint: str, source: str, target: str, settings: Mapping[str, Any], text: str) -> str:
    """The key of one text's translation (hex sha256)."""
    head = json.dumps([fingerprint, source, target, dict(sorted(settings.items()))], sort_keys=True)
    return hashlib.sha256(head.encode() + b"\0" + text.encode()).hexdigest()


class TranslationCache:
    """A SQLite file of key -> translation."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._conn = sqlite3.connect(path, timeout=120)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(_SCHEMA)
        self._conn.commit()

    def get_many(self, keys: Sequence[str]) -> dict[str, str]:
        """The cached translations among ``keys``."""
        found: dict[str, str] = {}
        for start in range(0, len(keys), 500):
            chunk = list(keys[start:start + 500])
            marks = ",".join("?" * len(chunk))
            found.update(self._conn.execute(f"SELECT key, translation FROM translations WHERE key IN ({marks})", chunk))
        return found

    def put_many(self, items: Iterable[tuple[str, str]]) -> None:
        """Store translations and commit: once this returns, a kill cannot lose them."""
        with self._conn:
            self._conn.executemany("INSERT OR REPLACE INTO translations (key, translation) VALUES (?, ?)", list(items))

    def __len__(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM translations").fetchone()[0])

    def close(self) -> None:
        self._conn.close()
