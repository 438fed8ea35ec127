"""One error hierarchy for everything a user can get wrong.

Every subclass carries a message that names the problem and the fix; the CLIs print
``error: <message>`` on one line and exit with code 2 instead of a stack trace
(:class:`TrialsFailedError`, a run stopped by failing trials, exits with code 1).
"""

from __future__ import annotations

__all__ = ["SweepError", "DataError", "ModelError", "ConfigError", "StorageError", "TrialsFailedError"]


class SweepError(Exception):
    """Base class of user-facing errors (bad input, not bugs)."""


class DataError(SweepError):
    """A data folder or file is missing, malformed or inconsistent."""


class ModelError(SweepError):
    """A model or tokenizer cannot be found or loaded."""


class ConfigError(SweepError):
    """A configuration value or flag is invalid."""


class StorageError(SweepError):
    """A storage URL is invalid or unreachable, or a stored study conflicts."""


class TrialsFailedError(SweepError):
    """The run stopped because too many trials failed (exit code 1, not a usage error)."""
