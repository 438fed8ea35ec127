"""Storage URLs: checked before anything connects, and printed with any password masked."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from objectives.errors import StorageError

__all__ = ["check_database_exists", "check_storage_url", "first_line", "mask_url", "missing_driver_error"]


#: ``scheme://user:password@``: the password of a URL SQLAlchemy cannot parse (a port that is no number,
#: say), up to the last ``@`` so that one inside the password is masked too.
_PASSWORD = re.compile(r"^(?P<head>[^:/]+://[^:/@]*):.*@")


def mask_url(url: str) -> str:
    """The URL with any password replaced by ``***`` (safe to print or export), parsable or not."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        # The malformed URLs are the ones printed in errors: mask them by their shape.
        return _PASSWORD.sub(r"\g<head>:***@", url, count=1)


def check_storage_url(url: str) -> None:
    """Refuse journal files and malformed URLs up front, with the fix.

    Raises:
        StorageError: an Optuna journal file, or not a SQLAlchemy URL.
    """
    lowered = url.lower()
    if lowered.endswith((".log", ".jsonl", ".journal")) or "journal" in lowered.split(":", 1)[0]:
        raise StorageError(
            f"storage {mask_url(url)!r} looks like an Optuna journal file: xling-sweep needs RDB storage "
            "(heartbeats and its own tables); use e.g. sqlite:///sweep.db or postgresql://host/db"
        )
    try:
        make_url(url)
    except (ArgumentError, ValueError):
        raise StorageError(
            f"invalid storage URL {mask_url(url)!r}: use a SQLAlchemy URL such as sqlite:///sweep.db or postgresql://user@host/db"
        ) from None


def check_database_exists(url: str) -> None:
    """Refuse a SQLite URL whose file does not exist, for the commands that only read.

    SQLite creates a missing file on first connect, so a mistyped path would leave a new
    empty database behind. Other backends never create a database on connect.

    Raises:
        StorageError: the SQLite file does not exist.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    if not Path(parsed.database).expanduser().is_file():
        raise StorageError(f"no database file {parsed.database} (storage {mask_url(url)}): check --storage, or run "
                           "python -m sweep.run first")


#: Python module of a database driver -> what to ``pip install`` for it.
_DRIVER_PACKAGES = {
    "psycopg": "psycopg[binary]", "psycopg2": "psycopg2-binary", "asyncpg": "asyncpg", "pg8000": "pg8000",
    "MySQLdb": "mysqlclient", "pymysql": "PyMySQL", "mysql": "mysql-connector-python", "oracledb": "oracledb",
    "pyodbc": "pyodbc", "pymssql": "pymssql",
}


def missing_driver_error(url: str, error: ImportError) -> StorageError:
    """One line naming the driver a storage URL needs and the package that provides it."""
    module = (error.name or "").split(".")[0]
    package = _DRIVER_PACKAGES.get(module, module or "the database driver")
    backend = make_url(url).get_backend_name()
    return StorageError(
        f"storage {mask_url(url)} needs the {backend} driver {module or '?'}, which is not installed: "
        f"pip install '{package}' (or pick another driver in the URL, e.g. {backend}+<driver>://...)"
    )


def first_line(e: BaseException) -> str:
    """The first line of a database error (the driver's own message when there is one), for one-line errors."""
    text = str(getattr(e, "orig", None) or e).strip()
    return text.splitlines()[0] if text else type(e).__name__
