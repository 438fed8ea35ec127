"""Locks that serialise the workers of one study: a file lock beside SQLite, a database lock elsewhere."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from sqlalchemy import Engine, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import IntegrityError

from objectives.filelock import file_lock
from storage._engine import storage_errors
from storage._models import AdmissionLock
from storage._urls import mask_url

__all__ = ["admission", "sqlite_file_lock"]


@contextmanager
def sqlite_file_lock(url: str | URL) -> Iterator[None]:
    """flock beside a SQLite database file; no-op for other backends and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        yield
        return
    with file_lock(Path(f"{parsed.database}.sweep-lock")):
        yield


@contextmanager
def admission(engine: Engine, study_name: str) -> Iterator[None]:
    """Serialise trial admission and study creation among all workers of a study.

    SQLite is local, so a file lock beside the database serves every process using it
    (holding a SQLite write transaction would block Optuna's own connection).
    PostgreSQL takes a transaction-scoped advisory lock; other databases lock the
    study's row with ``SELECT ... FOR UPDATE``.
    """
    dialect = engine.dialect.name
    if dialect == "sqlite":
        with sqlite_file_lock(engine.url):
            yield
        return
    key = int.from_bytes(hashlib.sha256(study_name.encode()).digest()[:8], "big", signed=True)
    with ExitStack() as stack:
        # Only taking the lock is translated here: what the caller does under it raises its own errors.
        with storage_errors(f"cannot lock study {study_name!r} in {mask_url(str(engine.url))}"):
            conn = stack.enter_context(engine.begin())
            if dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
            else:
                try:
                    with conn.begin_nested():
                        conn.execute(AdmissionLock.__table__.insert().values(study_name=study_name))
                except IntegrityError:
                    pass
                conn.execute(select(AdmissionLock).where(AdmissionLock.study_name == study_name).with_for_update())
        yield
