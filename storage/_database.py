"""What a database holds, looked at before anything writes to it: ours, new, or another program's.

Optuna's RDB storage creates its tables in whatever database it is given, and SQLite
creates or initialises any file it opens; a wrong ``--storage`` would add a dozen tables
to another program's file. So every command looks first, reading only: ``sweep.run``
may start a study database (a missing file, an empty one, a server database), never in
another program's SQLite file; the commands that read need Optuna's tables there.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import Engine, inspect, text

from objectives.errors import StorageError
from storage._engine import SQLITE_TIMEOUT_S, check_reachable, known_revisions, make_engine, storage_errors
from storage._urls import check_database_exists, check_storage_url, mask_url

__all__ = ["OPTUNA_TABLES", "check_study_database", "open_study_database"]

#: Tables every Optuna RDB storage has: a database with them is a study database.
OPTUNA_TABLES = frozenset({"studies", "version_info"})
_SIDE_VERSION = "sweep_alembic_version"
_SHOWN = 5


def _sqlite_contents(path: Path) -> tuple[set[str], str | None]:
    """The tables of an SQLite file and the side tables' revision, without writing a byte.

    Plain sqlite3, not our engine: its connect hook switches the file to WAL, which is a
    write. ``mode=rw`` never creates a missing file, and unlike ``mode=ro`` leaves no
    ``-wal``/``-shm`` files behind a WAL database.
    """
    conn = sqlite3.connect(f"{path.expanduser().resolve().as_uri()}?mode=rw", uri=True, timeout=SQLITE_TIMEOUT_S)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        row = conn.execute(f"SELECT version_num FROM {_SIDE_VERSION}").fetchone() if _SIDE_VERSION in tables else None
    finally:
        conn.close()
    return tables, row[0] if row else None


def _server_contents(engine: Engine) -> tuple[set[str], str | None]:
    with storage_errors(f"cannot read storage {mask_url(str(engine.url))}", "check the URL and the database permissions"):
        tables = set(inspect(engine).get_table_names())
        if _SIDE_VERSION not in tables:
            return tables, None
        with engine.connect() as conn:
            return tables, conn.execute(text(f"SELECT version_num FROM {_SIDE_VERSION}")).scalar()


def check_study_database(engine: Engine, *, create: bool) -> bool:
    """Refuse, reading only, a database that is not a study database of ours; True when it holds one already.

    ``create`` (``sweep.run``): a missing SQLite file, an empty one (0 bytes or no tables)
    and any server database may receive a new study. Otherwise (the commands that read)
    Optuna's tables must be there. Never: an SQLite file that is no database or holds
    another program's tables, or side tables of a revision this version does not know.

    Returns False where ``create`` lets a new study database start (nothing to read there yet:
    connecting our engine would already make the SQLite file).

    Raises:
        StorageError: the database is not ours (which file, and to pass the right ``--storage``).
    """
    url = engine.url
    sqlite = url.get_backend_name() == "sqlite"
    if sqlite and url.database in (None, "", ":memory:"):
        return False
    where = str(url.database) if sqlite else mask_url(str(url))
    if sqlite:
        path = Path(str(url.database))
        if not path.expanduser().exists():
            if create:
                return False
            check_database_exists(str(url))
        try:
            tables, revision = _sqlite_contents(path)
        except sqlite3.OperationalError as e:  # unreadable, locked past the timeout: a subclass, so first
            raise StorageError(f"cannot read {where}: {e}; check --storage and the file's permissions") from e
        except sqlite3.DatabaseError as e:
            raise StorageError(f"{where} is not a SQLite database ({e}): pass the study's database with --storage") from e
    else:
        tables, revision = _server_contents(engine)
    if revision is not None and revision not in known_revisions():
        raise StorageError(f"the sweep tables in {where} are at schema revision {revision!r}, which this version of "
                           "xling-sweep does not know (made by a newer version?): upgrade xling-sweep, or pass another --storage")
    if OPTUNA_TABLES <= tables:
        return True
    others = sorted(t for t in tables if not t.startswith("sweep_"))
    if sqlite and others:
        shown = ", ".join(others[:_SHOWN]) + (", ..." if len(others) > _SHOWN else "")
        raise StorageError(f"{where} is not a study database (it holds other tables, {shown}, and no Optuna study): "
                           "pass the study's database with --storage, or a new file to start one")
    if create:
        return False
    if sqlite and not tables:
        raise StorageError(f"{where} is empty, not a study database: pass the study's database with --storage "
                           "(python -m sweep.run starts one)")
    raise StorageError(f"{where} holds no Optuna study: pass the study's database with --storage")


def open_study_database(url: str) -> Engine:
    """The engine of an existing study database, for the commands that read; nothing is created or written.

    Checks, in order: the URL, that a SQLite file exists, that a server answers, and
    that the database is a study database (:func:`check_study_database`).

    Raises:
        StorageError: any of those fails (one line naming the storage and the fix).
    """
    check_storage_url(url)
    check_database_exists(url)
    engine = make_engine(url)
    check_reachable(engine)
    check_study_database(engine, create=False)
    return engine
