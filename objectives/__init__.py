"""What one trial computes: data, encoder, sampler, fine-tune, retrieval and metrics.

Nothing here imports Optuna except :mod:`objectives.objective`, the trial entry point.
"""

from objectives._config import DEFAULT_MODEL, TrialConfig
from objectives._errors import ConfigError, DataError, ModelError, StorageError, SweepError, TrialsFailedError

__all__ = ["DEFAULT_MODEL", "ConfigError", "DataError", "ModelError", "StorageError", "SweepError", "TrialConfig", "TrialsFailedError"]
