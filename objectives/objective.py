"""The trial entry point: the only module of ``objectives`` that imports Optuna."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import optuna

from objectives.retrieval import objective_values
from objectives.trial import TrialConfig, TrialResult, Workspace, run_trial, trial_seed

__all__ = ["ParamSpec", "TrialOutcome", "repeat_std", "run_optuna_trial", "suggest_params"]


@dataclass(frozen=True)
class ParamSpec:
    """A searched parameter: bounds, log scale, integer or float."""

    low: float
    high: float
    log: bool = False
    integer: bool = False


@dataclass
class TrialOutcome:
    """The parameters a trial ran with, its repeats, the objective values (means) and their spread (:func:`repeat_std`)."""

    params: dict[str, float]
    results: list[TrialResult]
    values: tuple[float, float]
    stds: tuple[float, float]


def suggest_params(trial: optuna.Trial, space: Mapping[str, ParamSpec]) -> dict[str, float]:
    """Ask ``trial`` for every parameter of the search space."""
    params: dict[str, float] = {}
    for name, spec in space.items():
        if spec.integer:
            params[name] = trial.suggest_int(name, int(spec.low), int(spec.high), log=spec.log)
        else:
            params[name] = trial.suggest_float(name, spec.low, spec.high, log=spec.log)
    return params


def run_optuna_trial(
    trial: optuna.Trial,
    space: Mapping[str, ParamSpec],
    base: TrialConfig,
    workspace_for: Callable[[TrialConfig], Workspace],
    *,
    study_seed: int,
    repeats: int = 1,
    xling_metric: str = "mul_map",
    on_step: Callable[[int, float], None] | None = None,
) -> TrialOutcome:
    """Suggest parameters, train ``repeats`` seeds, and return the mean objectives.

    Each repeat's seed derives from the study seed and the parameters, so a retried
    trial (same parameters) reproduces its numbers. A trial enqueued with the user
    attribute ``replicate`` = i (an anchor's extra seed) takes the seeds after the
    first i·repeats, so it measures seed noise instead of replaying replicate 0.
    """
    params = suggest_params(trial, space)
    overrides = {k: v for k, v in params.items() if k != "mono_ratio"}
    config = base.with_overrides(**overrides) if overrides else base
    workspace = workspace_for(config)
    first = int(trial.user_attrs.get("replicate", 0)) * repeats
    results = [
        run_trial(config, params["mono_ratio"], trial_seed(study_seed, params, first + r), workspace, on_step)
        for r in range(repeats)
    ]
    per_repeat = np.array([objective_values(r.metrics, xling_metric) for r in results])
    values = (float(per_repeat[:, 0].mean()), float(per_repeat[:, 1].mean()))
    spread = repeat_std(per_repeat)
    stds = (float(spread[0]), float(spread[1]))
    return TrialOutcome(params, results, values, stds)


def repeat_std(per_repeat: np.ndarray) -> np.ndarray:
    """The spread of a point's repeats (one row per repeat): the sample sd, ddof 1; zeros for one repeat.

    The one definition for the trial's ``std`` attribute and the confirm stage's standard
    errors, and the one the smoothed answer's measured noise uses
    (``sweep._smooth.noise_from_repeats``).
    """
    per_repeat = np.asarray(per_repeat, dtype=float)
    if len(per_repeat) < 2:
        return np.zeros(per_repeat.shape[1:])
    return per_repeat.std(axis=0, ddof=1)
