"""Side tables beside Optuna's own, in the same database (SQLAlchemy 2, typed columns).

Optuna's tables hold parameters and the two objective values; these hold what they
do not hold well: every metric cell of every trial, timings, the zero-shot baseline
and run provenance. Rows are keyed by study name and Optuna's global ``trial_id`` so
``pandas.read_sql`` can join them with Optuna's ``trials`` table directly.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Float, Index, Integer, String, Text, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "MetricCell", "StudyRecord", "TimingRecord", "AdmissionLock"]


class Base(DeclarativeBase):
    pass


class StudyRecord(Base):
    """Provenance of a study: its identity-defining config and fingerprints."""

    __tablename__ = "sweep_studies"

    study_name: Mapped[str] = mapped_column(String(512), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    config_json: Mapped[str] = mapped_column(Text)
    identity_json: Mapped[str] = mapped_column(Text)
    model_fingerprint: Mapped[str] = mapped_column(String(128))
    data_fingerprint: Mapped[str] = mapped_column(String(128))
    code_version: Mapped[str] = mapped_column(String(128))
    packages_json: Mapped[str] = mapped_column(Text)


class AdmissionLock(Base):
    """One row per study, locked (``SELECT ... FOR UPDATE``) while a worker admits a trial."""

    __tablename__ = "sweep_admission"

    study_name: Mapped[str] = mapped_column(String(512), primary_key=True)


class MetricCell(Base):
    """One number of one evaluation.

    ``kind`` is ``trial`` or ``baseline`` (then ``trial_id`` is NULL). ``setting`` is
    ``mo`` (query language = candidate language), ``cr`` (ordered pair X != Y),
    ``mul`` (pooled candidates; ``cand_lang`` NULL), ``bias`` (language bias) or
    ``macro`` (the study-level aggregates).
    """

    __tablename__ = "sweep_metric_cells"
    __table_args__ = (Index("ix_sweep_cells_study_trial", "study_name", "trial_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    study_name: Mapped[str] = mapped_column(String(512))
    trial_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    trial_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    kind: Mapped[str] = mapped_column(String(16))
    split: Mapped[str] = mapped_column(String(16))
    repeat: Mapped[int] = mapped_column(Integer, default=0)
    setting: Mapped[str] = mapped_column(String(16))
    query_lang: Mapped[str | None] = mapped_column(String(32), nullable=True)
    cand_lang: Mapped[str | None] = mapped_column(String(32), nullable=True)
    metric: Mapped[str] = mapped_column(String(64))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)


class TimingRecord(Base):
    """Seconds spent in one phase (cache, train, encode, metrics) of one trial."""

    __tablename__ = "sweep_timings"
    __table_args__ = (Index("ix_sweep_timings_study_trial", "study_name", "trial_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    study_name: Mapped[str] = mapped_column(String(512))
    trial_id: Mapped[int] = mapped_column(Integer)
    trial_number: Mapped[int] = mapped_column(Integer)
    phase: Mapped[str] = mapped_column(String(32))
    seconds: Mapped[float] = mapped_column(Float)
