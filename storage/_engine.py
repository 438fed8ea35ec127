"""Engine, sessions and schema for the side tables."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session

from objectives.errors import StorageError
from storage._urls import first_line, mask_url, missing_driver_error

__all__ = ["SQLITE_TIMEOUT_S", "check_reachable", "engine_kwargs", "ensure_schema", "known_revisions", "make_engine",
           "session_scope", "storage_errors"]

_log = logging.getLogger(__name__)

# Several local workers share one SQLite file; waiting beats "database is locked".
SQLITE_TIMEOUT_S = 120

_ALEMBIC = Path(__file__).parent / "_alembic"
_FIX = "check that the database is reachable and writable"


@contextmanager
def storage_errors(what: str, fix: str = _FIX) -> Iterator[None]:
    """The one place database and schema errors become a one-line :class:`StorageError`.

    Any SQLAlchemy error (operational, integrity, programming, interface, a file that is
    no database), and Alembic's errors about the side tables' revision, read as
    ``<what>: <the driver's first line>; <fix>``; the original stays chained (``from e``),
    as Optuna's ``_create_scoped_session`` does with its ``StorageInternalError``.
    """
    try:
        yield
    except SQLAlchemyError as e:
        raise StorageError(f"{what}: {first_line(e)}; {fix}") from e
    except CommandError as e:
        raise StorageError(f"{what}: {first_line(e)} (the sweep tables were made by another version of xling-sweep): "
                           "upgrade xling-sweep, or pass another --storage") from e


def known_revisions() -> set[str]:
    """The side tables' schema revisions this version knows (Alembic's history in ``_alembic/versions``)."""
    return {script.revision for script in ScriptDirectory(str(_ALEMBIC)).walk_revisions()}


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
    with storage_errors(f"cannot reach storage {mask_url(str(url))}",
                        "check the host, port, credentials and that the server is running"), engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL lets readers (the dashboard, report) run beside writing workers.
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit on success, roll back on error, database errors become StorageError."""
    with storage_errors(f"storage {mask_url(str(engine.url))} failed"):
        session = Session(engine)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


def ensure_schema(engine: Engine, retries: int = 5) -> None:
    """Create or upgrade the side tables to the latest revision (idempotent).

    Two workers starting at once may race to create the tables; the loser retries
    and then finds them at the latest revision.

    Raises:
        StorageError: the tables cannot be made, or carry a revision this version does not know.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(_ALEMBIC))
    with storage_errors(f"cannot create the sweep tables in {mask_url(str(engine.url))}", "check the database permissions"):
        for attempt in range(retries):
            try:
                with engine.begin() as connection:
                    cfg.attributes["connection"] = connection
                    command.upgrade(cfg, "head")
                return
            except SQLAlchemyError:
                if attempt == retries - 1:
                    raise
                time.sleep(0.5 * (attempt + 1))
