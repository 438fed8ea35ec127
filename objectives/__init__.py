"""What one trial computes: data, encoder, regime, sampler, fine-tune, retrieval and metrics.

Nothing here imports Optuna except :mod:`objectives.objective`, the trial entry point.
Orchestration (``sweep``) uses this package through the names below, the public
subpackages (``data``, ``encoder``, ``regimes``, ``retrieval``, ``samplers``,
``losses``) and :mod:`objectives.objective`.
"""

from objectives._config import DEFAULT_MODEL, TrialConfig
from objectives._errors import ConfigError, DataError, ModelError, StorageError, SweepError, TrialsFailedError
from objectives._evaluate import evaluate
from objectives._filelock import file_lock
from objectives._train import TrainingDiverged, fine_tune
from objectives._trial import TrialResult, evaluate_encoder, run_trial, trial_seed, zero_shot
from objectives._workspace import Workspace, WorkspacePool, prepare_workspace, user_cache_dir

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
