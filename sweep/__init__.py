"""Orchestration: CLIs, config, the Optuna study, export and report.

The commands (``python -m sweep.run``, ``confirm``, ``export``, ``report``, ``dashboard``,
``evaluate``, ``translate``) sit here over three stages: :mod:`sweep.study` (open and run
the study), :mod:`sweep.answer` (the rules, the smoothed answer, confirm, export) and
:mod:`sweep.reporting` (summary and report); ``_config``, ``_cli``, ``_provenance`` and
``_best_ratio`` (the answer file's schema) are their shared base.

Names load their modules on first use (PEP 562), one level deep: ``from sweep import
load_best_ratio`` reads a YAML answer without importing Optuna, torch or transformers. Besides the commands'
engine (``run_study``, the config) and the exported answer, the answer's rules are
public so they can be applied to any runs: the Pareto front and its knee
(``pareto_front``, ``choose_trial``), the smoothed answer (``smooth_answer``) and the
sampler that aims at the knee (``KneeSampler``).
"""

from objectives.lazy import lazy_exports

_LAZY = {
    "GRID_POINTS": "sweep.answer",
    "SmoothAnswer": "sweep.answer",
    "TooFewTrials": "sweep.answer",
    "choose_index": "sweep.answer",
    "choose_trial": "sweep.answer",
    "export_best_ratio": "sweep.answer",
    "noise_from_repeats": "sweep.answer",
    "pareto_front": "sweep.answer",
    "pareto_mask": "sweep.answer",
    "smooth_answer": "sweep.answer",
    "KneeSampler": "sweep.study",
    "run_study": "sweep.study",
    "ParamRange": "sweep._config",
    "SweepConfig": "sweep._config",
    "load_config": "sweep._config",
    "BestRatio": "sweep._best_ratio",
    "load_best_ratio": "sweep._best_ratio",
}

__all__ = [
    "GRID_POINTS",
    "BestRatio",
    "KneeSampler",
    "ParamRange",
    "SmoothAnswer",
    "SweepConfig",
    "TooFewTrials",
    "choose_index",
    "choose_trial",
    "export_best_ratio",
    "load_best_ratio",
    "load_config",
    "noise_from_repeats",
    "pareto_front",
    "pareto_mask",
    "run_study",
    "smooth_answer",
]


__getattr__ = lazy_exports(__name__, _LAZY)
