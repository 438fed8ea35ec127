"""Workers that start together on a brand-new database all open it (no creation race)."""

from __future__ import annotations

import multiprocessing as mp
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy

import storage
from sweep._config import SweepConfig
from sweep._study import make_rdb_storage
from tests.storage_backends import postgres_url_or_fail

N_WORKERS = 6


def _open_fresh(url: str, barrier: mp.synchronize.Barrier, out: mp.Queue) -> None:
    barrier.wait(timeout=60)
    try:
        make_rdb_storage(SweepConfig(storage=url))
        storage.ensure_schema(storage.make_engine(url))
        out.put("ok")
    except Exception as e:  # noqa: BLE001 - the parent asserts on the message
        out.put(f"{type(e).__name__}: {e}")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    admin_url = sqlalchemy.engine.make_url(postgres_url_or_fail())
    name = f"race_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
        admin.dispose()


def test_simultaneous_first_opens_all_succeed(fresh_url: str) -> None:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(N_WORKERS)
    out: mp.Queue = ctx.Queue()
    procs = [ctx.Process(target=_open_fresh, args=(fresh_url, barrier, out)) for _ in range(N_WORKERS)]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert results == ["ok"] * N_WORKERS
    engine = storage.make_engine(fresh_url)
    with engine.connect() as conn:
        versions = conn.exec_driver_sql("SELECT COUNT(*) FROM alembic_version").scalar_one()
    engine.dispose()
    assert versions == 1
