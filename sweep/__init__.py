"""Orchestration: CLIs, config, the Optuna study, export and report."""

from sweep._config import ParamRange, SweepConfig, load_config
from sweep._runner import run_study

__all__ = ["ParamRange", "SweepConfig", "load_config", "run_study"]
