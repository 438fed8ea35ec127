"""Orchestration: CLIs, config, the Optuna study, export and report."""
