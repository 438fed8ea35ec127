"""Orchestration: CLIs, config, the Optuna study, export and report.

Names load their modules on first use (PEP 562): ``from sweep import load_best_ratio``
reads a YAML answer without importing torch or transformers.
"""

from importlib import import_module
from typing import Any

_LAZY = {
    "ParamRange": "sweep._config",
    "SweepConfig": "sweep._config",
    "load_config": "sweep._config",
    "BestRatio": "sweep._export",
    "export_best_ratio": "sweep._export",
    "load_best_ratio": "sweep._export",
    "run_study": "sweep._runner",
}

__all__ = ["BestRatio", "ParamRange", "SweepConfig", "export_best_ratio", "load_best_ratio", "load_config", "run_study"]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'sweep' has no attribute {name!r}")
    value = getattr(import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
