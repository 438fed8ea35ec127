"""Side tables beside the Optuna study: metric cells, timings, baseline, provenance.

They live in the study's own database (SQLite or PostgreSQL), in tables prefixed
``sweep_``, with their schema versioned by Alembic. The package also owns what every
command needs before it touches a database: URL checks, masked URLs, whether a
database is a study database of ours (looked at read-only), one translation of
database errors into one-line errors, and the locks that serialise a study's workers.
It imports SQLAlchemy, Alembic and pandas, never the ML stack (torch, transformers) and
no private module of another package.
"""

from storage._database import OPTUNA_TABLES, check_study_database, open_study_database
from storage._engine import check_reachable, engine_kwargs, ensure_schema, make_engine, session_scope, storage_errors
from storage._locks import admission, sqlite_file_lock
from storage._models import AdmissionLock, MetricCell, StudyRecord, TimingRecord
from storage._repository import (
    Cell,
    baseline_cells,
    delete_study_rows,
    get_study_record,
    has_baseline,
    metric_cells,
    purge_orphans,
    save_study_record,
    timings,
    write_baseline,
    write_eval_cells,
    write_trial_rows,
)
from storage._urls import check_database_exists, check_storage_url, first_line, mask_url, missing_driver_error

__all__ = [
    "AdmissionLock",
    "Cell",
    "OPTUNA_TABLES",
    "admission",
    "MetricCell",
    "StudyRecord",
    "TimingRecord",
    "baseline_cells",
    "check_database_exists",
    "check_reachable",
    "check_storage_url",
    "check_study_database",
    "delete_study_rows",
    "engine_kwargs",
    "ensure_schema",
    "first_line",
    "get_study_record",
    "has_baseline",
    "make_engine",
    "missing_driver_error",
    "mask_url",
    "metric_cells",
    "open_study_database",
    "purge_orphans",
    "save_study_record",
    "session_scope",
    "storage_errors",
    "sqlite_file_lock",
    "timings",
    "write_baseline",
    "write_eval_cells",
    "write_trial_rows",
]
