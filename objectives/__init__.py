"""What one trial computes: data, encoder, regime, sampler, fine-tune, retrieval and metrics.

Nothing here imports Optuna except :mod:`objectives.objective`, the trial entry point.
Orchestration (``sweep``) uses this package through the names below, the public
subpackages (``data``, ``encoder``, ``regimes``, ``retrieval``, ``samplers``,
``losses``) and :mod:`objectives.objective`.

Only the errors are imported eagerly: every other name loads its
module, and torch, on first use (PEP 562), so ``storage`` and ``import sweep`` stay
free of the ML stack.
"""

from importlib import import_module
from typing import Any

from objectives.errors import ConfigError, DataError, ModelError, StorageError, SweepError, TrialsFailedError

_LAZY = {
    "DEFAULT_MODEL": "objectives._config",
    "TrialConfig": "objectives._config",
    "evaluate": "objectives._evaluate",
    "file_lock": "objectives.filelock",
    "TrainingDiverged": "objectives._train",
    "fine_tune": "objectives._train",
    "TrialResult": "objectives._trial",
    "evaluate_encoder": "objectives._trial",
    "run_trial": "objectives._trial",
    "trial_seed": "objectives._trial",
    "zero_shot": "objectives._trial",
    "Workspace": "objectives._workspace",
    "WorkspacePool": "objectives._workspace",
    "prepare_workspace": "objectives._workspace",
    "user_cache_dir": "objectives.cache",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'objectives' has no attribute {name!r}")
    value = getattr(import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_MODEL",
    "ConfigError",
    "DataError",
    "ModelError",
    "StorageError",
    "SweepError",
    "TrainingDiverged",
    "TrialConfig",
    "TrialResult",
    "TrialsFailedError",
    "Workspace",
    "WorkspacePool",
    "evaluate",
    "evaluate_encoder",
    "file_lock",
    "fine_tune",
    "prepare_workspace",
    "run_trial",
    "trial_seed",
    "user_cache_dir",
    "zero_shot",
]
