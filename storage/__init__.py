"""Side tables beside the Optuna study: metric cells, timings, baseline, provenance.

They live in the study's own database (SQLite or PostgreSQL), in tables prefixed
``sweep_``, with their schema versioned by Alembic.
"""

from storage._engine import (
    check_reachable,
    engine_kwargs,
    ensure_schema,
    make_engine,
    mask_url,
    missing_driver_error,
    session_scope,
)
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

__all__ = [
    "AdmissionLock",
    "Cell",
    "MetricCell",
    "StudyRecord",
    "TimingRecord",
    "baseline_cells",
    "check_reachable",
    "delete_study_rows",
    "engine_kwargs",
    "ensure_schema",
    "get_study_record",
    "has_baseline",
    "make_engine",
    "missing_driver_error",
    "mask_url",
    "metric_cells",
    "purge_orphans",
    "save_study_record",
    "session_scope",
    "timings",
    "write_baseline",
    "write_eval_cells",
    "write_trial_rows",
]
