"""One trial end to end: its config, the workspace a worker loads once, the trial itself, and plain evaluation.

:class:`TrialConfig` carries the resolved :class:`objectives.regimes.Regime`;
:func:`prepare_workspace` loads data, splits and encoder and builds the activation
cache the regime's path needs; :func:`run_trial` samples hybrid batches at a mono
ratio, fine-tunes as the regime says and evaluates retrieval.

The config loads eagerly (no torch); the rest on first use (PEP 562), so a study's
config is read without the ML stack.
"""

from objectives.lazy import lazy_exports
from objectives.trial._config import DEFAULT_MODEL, TrialConfig

_LAZY = {
    "evaluate_model": "objectives.trial._evaluate_model",
    "TrialResult": "objectives.trial._trial",
    "evaluate_trial_encoder": "objectives.trial._trial",
    "run_trial": "objectives.trial._trial",
    "trial_seed": "objectives.trial._trial",
    "zero_shot": "objectives.trial._trial",
    "EvalIndex": "objectives.trial._workspace",
    "Workspace": "objectives.trial._workspace",
    "WorkspacePool": "objectives.trial._workspace",
    "eval_index_for": "objectives.trial._workspace",
    "prepare_workspace": "objectives.trial._workspace",
    "resolve_train_layers": "objectives.trial._workspace",
}


__getattr__ = lazy_exports(__name__, _LAZY)


__all__ = [
    "DEFAULT_MODEL",
    "EvalIndex",
    "TrialConfig",
    "TrialResult",
    "Workspace",
    "WorkspacePool",
    "eval_index_for",
    "evaluate_model",
    "evaluate_trial_encoder",
    "prepare_workspace",
    "resolve_train_layers",
    "run_trial",
    "trial_seed",
    "zero_shot",
]
