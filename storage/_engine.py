"""Engine, sessions and schema for the side tables."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from objectives.errors import StorageError
from storage._urls import mask_url, missing_driver_error

__all__ = ["SQLITE_TIMEOUT_S", "check_reachable", "engine_kwargs", "ensure_schema", "make_engine", "session_scope"]

_log = logging.getLogger(__name__)

# Several local workers share one SQLite file; waiting beats "database is locked".
SQLITE_TIMEOUT_S = 120


def engine_kwargs(url: str) -> dict[str, object]:
    """Engine options shared by our engine and Optuna's ``RDBStorage``."""
    if make_url(url).get_backend_name() == "sqlite":
        return {"connect_args": {"timeout": SQLITE_TIMEOUT_S}}
    return {"pool_pre_ping": True}


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL mode and a long busy timeout.

    ``postgresql://`` URLs use psycopg 3 (SQLAlchemy 2.1's default PostgreSQL driver,
    installed with the project).

    Raises:
        StorageError: the URL is malformed or names a driver that is not installed.
    """
    try:
        engine = create_engine(url, **engine_kwargs(url))  # type: ignore[arg-type]
    except ImportError as e:
        raise missing_driver_error(url, e) from None
    except (ArgumentError, SQLAlchemyError) as e:
        raise StorageError(
            f"invalid storage URL {mask_url(url)!r} ({type(e).__name__}): use a SQLAlchemy URL such as "
            "sqlite:///sweep.db or postgresql://user@host:5432/db"
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def check_reachable(engine: Engine) -> None:
    """Fail fast, writing nothing, if the database cannot be reached.

    SQLite would create a missing file on connect, so only its folder is checked.

    Raises:
        StorageError: the server is unreachable or refuses the login, or the SQLite
            folder does not exist.
    """
    url = engine.url
    if url.get_backend_name() == "sqlite":
        db = url.database
        if db and db != ":memory:" and not Path(db).expanduser().resolve().parent.is_dir():
            raise StorageError(f"folder of SQLite file {db} does not exist: create it or point --storage elsewhere")
        return
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except SQLAlchemyError as e:
        reason = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
        raise StorageError(
            f"cannot reach storage {mask_url(str(url))}: {reason}; check the host, port, credentials and that the server is running"
        ) from None


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL lets readers (the dashboard, report) run beside writing workers.
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit on success, roll back on error, errors become StorageError."""
    session = Session(engine)
    try:
        yield session
        session.commit()
    except OperationalError as e:
        session.rollback()
        raise StorageError(
            f"storage {mask_url(str(engine.url))} failed: {str(e.orig).strip().splitlines()[0]}; "
            "check that the database is reachable and writable"
        ) from e
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def ensure_schema(engine: Engine, retries: int = 5) -> None:
    """Create or upgrade the side tables to the latest revision (idempotent).

    Two workers starting at once may race to create the tables; the loser retries
    and then finds them at the latest revision.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "_alembic"))
    for attempt in range(retries):
        try:
            with engine.begin() as connection:
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, "head")
            return
        except SQLAlchemyError as e:
            if attempt == retries - 1:
                raise StorageError(
                    f"cannot create the sweep tables in {mask_url(str(engine.url))}: "
                    f"{str(getattr(e, 'orig', e)).strip().splitlines()[0]}; check the database permissions"
                ) from e
            time.sleep(0.5 * (attempt + 1))
