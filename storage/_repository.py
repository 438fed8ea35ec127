"""Reads and writes of the side tables; reads return pandas DataFrames.

Reads of trial cells join Optuna's ``trials`` table and keep only COMPLETE trials, so
a trial that died after writing its cells never shows up (docs/design.md, "Writes and orphans").
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
from sqlalchemy import Engine, delete, inspect, select, text

from objectives.faults import fault_point
from storage._engine import session_scope, storage_errors
from storage._models import AdmissionLock, MetricCell, StudyRecord, TimingRecord
from storage._urls import mask_url

__all__ = [
    "Cell",
    "baseline_cells",
    "delete_study_rows",
    "get_study_record",
    "has_baseline",
    "metric_cells",
    "purge_orphans",
    "save_study_record",
    "timings",
    "write_baseline",
    "write_eval_cells",
    "write_trial_rows",
]

Cell = Mapping[str, Any]
_CELL_KEYS = ("setting", "query_lang", "cand_lang", "metric", "value")


def _cell_rows(cells: Iterable[Cell], **common: Any) -> list[MetricCell]:
    return [MetricCell(**common, **{k: cell.get(k) for k in _CELL_KEYS}) for cell in cells]


def write_trial_rows(
    engine: Engine, study_name: str, trial_id: int, trial_number: int,
    cells: Mapping[str, Iterable[Cell]], seconds: Mapping[str, float],
) -> None:
    """Write a trial's metric cells (per split and repeat) and timings in ONE transaction.

    ``cells`` maps ``"<split>"`` or ``"<split>/<repeat>"`` to that evaluation's cells.
    Rows a previous attempt of the same trial left are replaced, so a retried write
    never duplicates.
    """
    with session_scope(engine) as session:
        session.execute(delete(MetricCell).where(MetricCell.study_name == study_name, MetricCell.trial_id == trial_id))
        session.execute(delete(TimingRecord).where(TimingRecord.study_name == study_name, TimingRecord.trial_id == trial_id))
        for key, group in cells.items():
            split, _, repeat = key.partition("/")
            session.add_all(_cell_rows(
                group, study_name=study_name, trial_id=trial_id, trial_number=trial_number,
                kind="trial", split=split, repeat=int(repeat or 0),
            ))
            fault_point("during-cells")
        session.add_all(
            TimingRecord(study_name=study_name, trial_id=trial_id, trial_number=trial_number, phase=p, seconds=s)
            for p, s in seconds.items()
        )
    fault_point("after-cells")


def write_eval_cells(
    engine: Engine, study_name: str, trial_id: int, trial_number: int, split: str, cells: Iterable[Cell]
) -> None:
    """Store (replace) one later evaluation of a trial, e.g. the report's test split."""
    with session_scope(engine) as session:
        session.execute(delete(MetricCell).where(
            MetricCell.study_name == study_name, MetricCell.trial_id == trial_id, MetricCell.split == split
        ))
        session.add_all(_cell_rows(cells, study_name=study_name, trial_id=trial_id, trial_number=trial_number,
                                   kind="trial", split=split, repeat=0))


def write_baseline(engine: Engine, study_name: str, split: str, cells: Iterable[Cell]) -> None:
    """Store (replace) the zero-shot baseline of ``split``."""
    with session_scope(engine) as session:
        session.execute(delete(MetricCell).where(
            MetricCell.study_name == study_name, MetricCell.kind == "baseline", MetricCell.split == split
        ))
        session.add_all(_cell_rows(cells, study_name=study_name, trial_id=None, trial_number=None,
                                   kind="baseline", split=split, repeat=0))


def has_baseline(engine: Engine, study_name: str, split: str) -> bool:
    with session_scope(engine) as session:
        row = session.execute(select(MetricCell.id).where(
            MetricCell.study_name == study_name, MetricCell.kind == "baseline", MetricCell.split == split
        ).limit(1)).first()
    return row is not None


def purge_orphans(engine: Engine, study_name: str) -> int:
    """Delete trial rows whose trial is FAILED or gone; returns the cells removed.

    Rows of RUNNING trials are kept: their worker may be between writing cells and
    telling Optuna.
    """
    live = select(text("trial_id")).select_from(text("trials")).where(text("state != 'FAIL'"))
    with session_scope(engine) as session:
        removed = session.execute(delete(MetricCell).where(
            MetricCell.study_name == study_name, MetricCell.kind == "trial", MetricCell.trial_id.not_in(live)
        )).rowcount
        session.execute(delete(TimingRecord).where(
            TimingRecord.study_name == study_name, TimingRecord.trial_id.not_in(live)
        ))
    return int(removed or 0)


def delete_study_rows(engine: Engine, study_name: str) -> None:
    """Remove the cells, timings and record of a study whose Optuna study is gone.

    Called when a study is (re-)created: Optuna's own ``delete-study`` leaves these
    tables alone. The admission row stays, as the caller may hold it.
    """
    with session_scope(engine) as session:
        for model in (MetricCell, TimingRecord, StudyRecord):
            session.execute(delete(model).where(model.study_name == study_name))


def save_study_record(
    engine: Engine, study_name: str, *, config: Mapping[str, Any], identity: Mapping[str, Any],
    model_fingerprint: str, data_fingerprint: str, code_version: str, packages: Mapping[str, str],
) -> None:
    """Insert the study's provenance row (first run) or refresh its config (later runs)."""
    with session_scope(engine) as session:
        record = session.get(StudyRecord, study_name)
        if record is None:
            session.add(StudyRecord(
                study_name=study_name, config_json=json.dumps(config, sort_keys=True, default=str),
                identity_json=json.dumps(identity, sort_keys=True, default=str),
                model_fingerprint=model_fingerprint, data_fingerprint=data_fingerprint,
                code_version=code_version, packages_json=json.dumps(packages, sort_keys=True),
            ))
            session.merge(AdmissionLock(study_name=study_name))
        else:
            record.config_json = json.dumps(config, sort_keys=True, default=str)
            record.code_version = code_version
            record.packages_json = json.dumps(packages, sort_keys=True)


def get_study_record(engine: Engine, study_name: str) -> dict[str, Any] | None:
    """The provenance row as a dict (JSON fields decoded), or ``None`` (also in a database without our tables)."""
    with storage_errors(f"storage {mask_url(str(engine.url))} failed"):
        if not inspect(engine).has_table(StudyRecord.__tablename__):
            return None
    with session_scope(engine) as session:
        record = session.get(StudyRecord, study_name)
        if record is None:
            return None
        return {
            "study_name": record.study_name, "created_at": record.created_at,
            "config": json.loads(record.config_json), "identity": json.loads(record.identity_json),
            "model_fingerprint": record.model_fingerprint, "data_fingerprint": record.data_fingerprint,
            "code_version": record.code_version, "packages": json.loads(record.packages_json),
        }


_COMPLETE_CELLS = """
SELECT c.trial_id, c.trial_number, c.split, c.repeat, c.setting, c.query_lang, c.cand_lang, c.metric, c.value
FROM sweep_metric_cells c JOIN trials t ON t.trial_id = c.trial_id
WHERE c.study_name = :study AND c.kind = 'trial' AND t.state = 'COMPLETE'
"""


def _read(engine: Engine, sql: str, params: Mapping[str, Any]) -> pd.DataFrame:
    # pandas opens its own connection, outside session_scope: the same translation, so errors stay one line.
    with storage_errors(f"storage {mask_url(str(engine.url))} failed"), engine.connect() as conn:
        return pd.read_sql(text(sql), conn, params=dict(params))


def metric_cells(engine: Engine, study_name: str, split: str | None = None) -> pd.DataFrame:
    """Every metric cell of the study's COMPLETE trials (optionally one split)."""
    sql = _COMPLETE_CELLS + (" AND c.split = :split" if split else "") + " ORDER BY c.trial_number, c.id"
    return _read(engine, sql, {"study": study_name, "split": split})


def baseline_cells(engine: Engine, study_name: str, split: str | None = None) -> pd.DataFrame:
    """The zero-shot baseline's cells."""
    sql = ("SELECT split, setting, query_lang, cand_lang, metric, value FROM sweep_metric_cells "
           "WHERE study_name = :study AND kind = 'baseline'" + (" AND split = :split" if split else "") + " ORDER BY id")
    return _read(engine, sql, {"study": study_name, "split": split})


def timings(engine: Engine, study_name: str) -> pd.DataFrame:
    """Per-phase seconds of the study's COMPLETE trials."""
    sql = ("SELECT s.trial_number, s.phase, s.seconds FROM sweep_timings s JOIN trials t ON t.trial_id = s.trial_id "
           "WHERE s.study_name = :study AND t.state = 'COMPLETE' ORDER BY s.trial_number, s.id")
    return _read(engine, sql, {"study": study_name})
