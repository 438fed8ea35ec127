"""What a --storage database holds, looked at before anything writes: ours, empty, or another program's."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import optuna
import pytest

import storage
from objectives import StorageError
from tests.storage_backends import fresh_postgres_database, unique_study_name


def _sqlite(path: Path) -> str:
    return f"sqlite:///{path}"


def _foreign(path: Path) -> Path:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.close()
    return path


def test_a_new_or_empty_file_may_be_created_but_not_read(tmp_path: Path) -> None:
    missing, empty = tmp_path / "new.db", tmp_path / "empty.db"
    empty.write_bytes(b"")
    for path in (missing, empty):
        storage.check_study_database(storage.make_engine(_sqlite(path)), create=True)
    with pytest.raises(StorageError, match=f"{empty} is empty, not a study database: .*--storage"):
        storage.open_study_database(_sqlite(empty))
    assert not missing.exists() and empty.read_bytes() == b""


@pytest.mark.parametrize("create", [True, False])
def test_another_programs_file_is_refused_and_left_alone(create: bool, tmp_path: Path) -> None:
    foreign, text = _foreign(tmp_path / "app.db"), tmp_path / "notes.db"
    text.write_text("not a database\n")
    before = {p: p.read_bytes() for p in (foreign, text)}
    with pytest.raises(StorageError, match=f"{foreign} is not a study database .*notes.*--storage"):
        storage.check_study_database(storage.make_engine(_sqlite(foreign)), create=create)
    with pytest.raises(StorageError, match=f"{text} is not a SQLite database .*--storage"):
        storage.check_study_database(storage.make_engine(_sqlite(text)), create=create)
    assert {p: p.read_bytes() for p in before} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db", "notes.db"]


def test_an_optuna_database_is_ours(tmp_path: Path) -> None:
    url = _sqlite(tmp_path / "sweep.db")
    optuna.create_study(storage=url, study_name=unique_study_name())
    for create in (True, False):
        storage.check_study_database(storage.make_engine(url), create=create)
    assert storage.open_study_database(url).url.database == str(tmp_path / "sweep.db")


@pytest.mark.postgres
def test_a_postgresql_database_without_optuna_tables_is_not_read(tmp_path: Path) -> None:
    # A server database may hold anything else; a command that reads must not add Optuna's tables to it.
    import sqlalchemy

    with fresh_postgres_database("bare") as url:
        engine = storage.make_engine(url)
        storage.check_study_database(engine, create=True)
        with pytest.raises(StorageError, match="holds no Optuna study"):
            storage.open_study_database(url)
        assert sqlalchemy.inspect(engine).get_table_names() == []
        engine.dispose()


def test_unparsable_url_is_masked() -> None:
    url = "postgresql://user:s3cret@host:notaport/db"
    assert storage.mask_url(url) == "postgresql://user:***@host:notaport/db"
    with pytest.raises(StorageError) as info:
        storage.check_storage_url(url)
    assert "s3cret" not in str(info.value) and "user:***@host" in str(info.value)
    with pytest.raises(StorageError) as info:
        storage.check_storage_url("postgresql+journal://u:s3cret@h/x.log")
    assert "s3cret" not in str(info.value)
