"""Files beside a study: each trial's trained layers and the dashboard's copies of the report images."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import optuna
from optuna.artifacts import FileSystemArtifactStore
from optuna.trial import TrialState

import storage
from sweep._cli import check_output_path
from sweep._config import SweepConfig
from sweep.answer import finite_complete, pareto_front

__all__ = ["WEIGHTS_FILE", "artifact_store_for", "artifacts_dir", "check_artifacts_dir", "prune_weights", "save_weights",
           "weights_path"]

#: Each trial's trained layers, in ``<artifacts>/trial-<n>/``.
WEIGHTS_FILE = "top_layers.safetensors"


def artifacts_dir(cfg: SweepConfig) -> Path:
    """Where trial weights and report images go: beside a SQLite file, else ./sweep-artifacts."""
    if cfg.artifacts_dir:
        return Path(cfg.artifacts_dir) / cfg.study_name
    db = storage.make_engine(cfg.storage).url.database if cfg.storage.startswith("sqlite") else None
    base = Path(db).resolve().parent if db and db != ":memory:" else Path.cwd()
    return base / "sweep-artifacts" / cfg.study_name


def check_artifacts_dir(cfg: SweepConfig) -> Path:
    """The study's artifacts folder, once it is sure trial weights can be written there (it is created later, by a trial).

    Checked before any set-up: found by the first trial's save, it cost a trained trial
    and then failed every trial.

    Raises:
        StorageError: the storage URL is malformed (the default folder is beside a SQLite file).
        ConfigError: the folder is a file, or cannot be created or written.
    """
    storage.check_storage_url(cfg.storage)
    return check_output_path(artifacts_dir(cfg), "--artifacts-dir", kind="folder", create_parents=True)


def weights_path(cfg: SweepConfig, number: int) -> Path:
    """The saved trained layers of trial ``number``."""
    return artifacts_dir(cfg) / f"trial-{number}" / WEIGHTS_FILE


def save_weights(cfg: SweepConfig, number: int, weights: dict[str, Any]) -> None:
    """Write trial ``number``'s weights atomically (a killed worker leaves no half file under the final name)."""
    from safetensors.torch import save_file  # torch: only the worker that trained has it loaded

    final = weights_path(cfg, number)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f"{WEIGHTS_FILE}.tmp")
    save_file(weights, str(tmp))
    os.replace(tmp, final)


def prune_weights(study: optuna.Study, cfg: SweepConfig) -> None:
    """Delete weights of COMPLETE trials off the Pareto front (a later trial can only push more off).

    Trials still running (other workers) keep theirs: they are not told yet.
    """
    if cfg.keep_weights == "all":
        return
    trials = study.get_trials(deepcopy=False)
    dominated = {t.number for t in trials if t.state == TrialState.COMPLETE} - {t.number for t in pareto_front(finite_complete(study))}
    for folder in artifacts_dir(cfg).glob("trial-*"):
        number = folder.name.removeprefix("trial-")
        if number.isdigit() and int(number) in dominated:
            shutil.rmtree(folder, ignore_errors=True)


def artifact_store_for(cfg: SweepConfig) -> FileSystemArtifactStore:
    """The dashboard artifact store of a study (beside its trial weights)."""
    base = artifacts_dir(cfg) / "dashboard-artifacts"
    base.mkdir(parents=True, exist_ok=True)
    return FileSystemArtifactStore(base_path=str(base))
