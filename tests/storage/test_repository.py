"""One storage suite, run against a real SQLite file and the real PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

import storage
from objectives import StorageError
from tests.storage_backends import BACKENDS, backend_url, unique_study_name

CELLS = [
    {"setting": "mo", "query_lang": "en", "cand_lang": "en", "metric": "map", "value": 0.5},
    {"setting": "cr", "query_lang": "en", "cand_lang": "de", "metric": "map", "value": 0.25},
    {"setting": "macro", "query_lang": None, "cand_lang": None, "metric": "xling_map", "value": None},
]


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return backend_url(request.param, tmp_path)


def _study(url: str) -> optuna.Study:
    return optuna.create_study(storage=url, study_name=unique_study_name(), directions=["maximize", "maximize"])


def test_schema_creation_is_idempotent(url: str) -> None:
    engine = storage.make_engine(url)
    storage.ensure_schema(engine)
    storage.ensure_schema(engine)
    with engine.connect() as conn:
        version = conn.exec_driver_sql("SELECT version_num FROM sweep_alembic_version").scalar_one()
    assert version == "v0001"


def test_cells_of_complete_trials_only(url: str) -> None:
    study = _study(url)
    engine = storage.make_engine(url)
    storage.ensure_schema(engine)
    done, dead, running = study.ask(), study.ask(), study.ask()
    for trial in (done, dead, running):
        storage.write_trial_rows(engine, study.study_name, trial._trial_id, trial.number,
                                 {"dev": CELLS}, {"train": 1.5, "metrics": 0.25})
    study.tell(done, [0.5, 0.25])
    study.tell(dead, state=optuna.trial.TrialState.FAIL)
    cells = storage.metric_cells(engine, study.study_name)
    assert sorted(set(cells["trial_number"])) == [done.number]
    assert len(cells) == len(CELLS)
    row = cells[(cells.setting == "cr")].iloc[0]
    assert (row.query_lang, row.cand_lang, row.value) == ("en", "de", 0.25)
    assert cells[cells.metric == "xling_map"]["value"].isna().all()
    assert list(storage.timings(engine, study.study_name)["seconds"]) == [1.5, 0.25]
    # The dead trial's rows are purged; the running one's stay (its worker may still tell).
    removed = storage.purge_orphans(engine, study.study_name)
    assert removed == len(CELLS)
    with engine.connect() as conn:
        left = conn.exec_driver_sql(
            f"SELECT DISTINCT trial_id FROM sweep_metric_cells WHERE study_name = '{study.study_name}'"
        ).scalars().all()
    assert sorted(left) == sorted([done._trial_id, running._trial_id])


def test_rewrite_replaces_rows(url: str) -> None:
    study = _study(url)
    engine = storage.make_engine(url)
    storage.ensure_schema(engine)
    trial = study.ask()
    for _ in range(2):
        storage.write_trial_rows(engine, study.study_name, trial._trial_id, trial.number, {"dev": CELLS, "test/1": CELLS}, {})
    study.tell(trial, [0.1, 0.2])
    cells = storage.metric_cells(engine, study.study_name)
    assert len(cells) == 2 * len(CELLS)
    assert set(zip(cells["split"], cells["repeat"])) == {("dev", 0), ("test", 1)}
    assert len(storage.metric_cells(engine, study.study_name, split="test")) == len(CELLS)


def test_baseline_and_provenance(url: str) -> None:
    study = _study(url)
    engine = storage.make_engine(url)
    storage.ensure_schema(engine)
    assert not storage.has_baseline(engine, study.study_name, "dev")
    storage.write_baseline(engine, study.study_name, "dev", CELLS[:2])
    storage.write_baseline(engine, study.study_name, "dev", CELLS[:2])
    assert storage.has_baseline(engine, study.study_name, "dev")
    assert len(storage.baseline_cells(engine, study.study_name, "dev")) == 2
    storage.save_study_record(engine, study.study_name, config={"steps": 3}, identity={"seed": 0},
                              model_fingerprint="m", data_fingerprint="d", code_version="c", packages={"optuna": "5"})
    storage.save_study_record(engine, study.study_name, config={"steps": 4}, identity={"seed": 1},
                              model_fingerprint="m2", data_fingerprint="d2", code_version="c2", packages={})
    record = storage.get_study_record(engine, study.study_name)
    assert record is not None
    assert record["config"] == {"steps": 4} and record["identity"] == {"seed": 0}
    assert record["model_fingerprint"] == "m"


def test_two_studies_do_not_see_each_other(url: str) -> None:
    a, b = _study(url), _study(url)
    engine = storage.make_engine(url)
    storage.ensure_schema(engine)
    for study in (a, b):
        trial = study.ask()
        storage.write_trial_rows(engine, study.study_name, trial._trial_id, trial.number, {"dev": CELLS[:1]}, {})
        study.tell(trial, [0.0, 0.0])
        storage.write_baseline(engine, study.study_name, "dev", CELLS[:1])
    assert len(storage.metric_cells(engine, a.study_name)) == 1
    assert len(storage.baseline_cells(engine, b.study_name)) == 1
    storage.delete_study_rows(engine, a.study_name)
    assert storage.metric_cells(engine, a.study_name).empty
    assert len(storage.metric_cells(engine, b.study_name)) == 1


def test_bad_url_is_one_line_error() -> None:
    with pytest.raises(StorageError, match="invalid storage URL") as info:
        storage.make_engine("notadb://x")
    assert "\n" not in str(info.value)


def test_password_is_masked() -> None:
    assert storage.mask_url("postgresql://u:secret@h/db") == "postgresql://u:***@h/db"


def test_unknown_schema_revision_is_one_storage_error(tmp_path: Path) -> None:
    # Side tables stamped by a newer version (or damaged): Alembic's CommandError becomes one line.
    engine = storage.make_engine(f"sqlite:///{tmp_path / 'sweep.db'}")
    storage.ensure_schema(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE sweep_alembic_version SET version_num = 'v9999-newer'")
    with pytest.raises(StorageError, match="v9999-newer") as info:
        storage.ensure_schema(engine)
    assert "\n" not in str(info.value)


def test_database_errors_of_every_kind_are_storage_errors(tmp_path: Path) -> None:
    # Not only OperationalError: a file that is no database raises DatabaseError, and the reads that
    # open their own connection (pandas) go through the same translation as the sessions.
    text = tmp_path / "notes.db"
    text.write_text("not a database\n")
    engine = storage.make_engine(f"sqlite:///{text}")
    for read in (lambda: storage.get_study_record(engine, "s"), lambda: storage.metric_cells(engine, "s"),
                 lambda: storage.baseline_cells(engine, "s"), lambda: storage.timings(engine, "s")):
        with pytest.raises(StorageError, match="file is not a database") as info:
            read()
        assert "\n" not in str(info.value)
