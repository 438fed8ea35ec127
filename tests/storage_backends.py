"""Storage URLs every backend-generic test runs against: a SQLite file and the real PostgreSQL.

The PostgreSQL URL is spelled exactly as the README spells it (``postgresql://``, psycopg 3).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

POSTGRES_URL = os.environ.get("SWEEP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def postgres_url_or_fail() -> str:
    """The PostgreSQL URL; a dead server FAILS the test (never skips), as CI requires."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(POSTGRES_URL)
    try:
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("SELECT 1"))
    except sqlalchemy.exc.OperationalError as e:
        pytest.fail(f"PostgreSQL at {POSTGRES_URL} is not reachable ({e.orig}); start it with "
                    "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start")
    finally:
        engine.dispose()
    return POSTGRES_URL


@contextmanager
def fresh_postgres_database(prefix: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database on the test server, dropped afterwards."""
    import sqlalchemy

    admin_url = sqlalchemy.engine.make_url(postgres_url_or_fail())
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
        admin.dispose()


def backend_url(kind: str, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'sweep.db'}"
    return postgres_url_or_fail()


def unique_study_name(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"
