"""Orchestration: CLIs, config, the Optuna study, export and report."""

from sweep._config import ParamRange, SweepConfig, load_config
from sweep._export import BestRatio, export_best_ratio, load_best_ratio
from sweep._runner import run_study

__all__ = ["BestRatio", "ParamRange", "SweepConfig", "export_best_ratio", "load_best_ratio", "load_config", "run_study"]
