"""Orchestration: CLIs, config, the Optuna study, export and report.

Names load their modules on first use (PEP 562): ``from sweep import load_best_ratio``
reads a YAML answer without importing torch or transformers. Besides the commands'
engine (``run_study``, the config) and the exported answer, the answer's rules are
public so they can be applied to any runs: the Pareto front and its knee
(``pareto_front``, ``choose_trial``), the smoothed answer (``smooth_answer``) and the
sampler that aims at the knee (``KneeSampler``).
"""

from objectives.lazy import lazy_exports

_LAZY = {
    "GRID_POINTS": "sweep._smooth",
    "SmoothAnswer": "sweep._smooth",
    "TooFewTrials": "sweep._smooth",
    "choose_index": "sweep._smooth",
    "noise_from_repeats": "sweep._smooth",
    "smooth_answer": "sweep._smooth",
    "KneeSampler": "sweep._knee_sampler",
    "choose_trial": "sweep._pareto",
    "pareto_front": "sweep._pareto",
    "ParamRange": "sweep._config",
    "SweepConfig": "sweep._config",
    "load_config": "sweep._config",
    "BestRatio": "sweep._best_ratio",
    "load_best_ratio": "sweep._best_ratio",
    "export_best_ratio": "sweep._export",
    "run_study": "sweep._runner",
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
    "run_study",
    "smooth_answer",
]


__getattr__ = lazy_exports(__name__, _LAZY)
