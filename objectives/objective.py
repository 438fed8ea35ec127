"""The trial entry point: the only module of ``objectives`` that imports Optuna."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import optuna

from objectives.retrieval import objective_values
from objectives.trial import TrialConfig, TrialResult, Workspace, run_trial, trial_seed

__all__ = ["ParamSpec", "TrialOutcome", "replicate_of", "run_optuna_trial", "suggest_params"]


@dataclass(frozen=True)
class ParamSpec:
    """A searched parameter: bounds, log scale, integer or float."""

    low: float
    high: float
    log: bool = False
    integer: bool = False


@dataclass
class TrialOutcome:
    """The parameters a trial ran with, its repeats and the objective values (means over the repeats)."""

    params: dict[str, float]
    results: list[TrialResult]
    values: tuple[float, float]


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
    first i·repeats, so it measures seed noise instead of replaying replicate 0. A trial
    whose parameters an earlier trial already ran (the knee sampler repeats α) is given
    the next replicate itself (:func:`replicate_of`).
    """
    params = suggest_params(trial, space)
    overrides = {k: v for k, v in params.items() if k != "mono_ratio"}
    config = base.with_overrides(**overrides) if overrides else base
    workspace = workspace_for(config)
    first = replicate_of(trial, params) * repeats
    results = [
        run_trial(config, params["mono_ratio"], trial_seed(study_seed, params, first + r), workspace, on_step)
        for r in range(repeats)
    ]
    per_repeat = np.array([objective_values(r.metrics, xling_metric) for r in results])
    values = (float(per_repeat[:, 0].mean()), float(per_repeat[:, 1].mean()))
    return TrialOutcome(params, results, values)


def replicate_of(trial: optuna.Trial, params: dict[str, float]) -> int:
    """Which repeat of its parameters ``trial`` is, stored as its user attribute ``replicate``.

    An enqueued anchor carries it, and so does a retry (its attributes are copied) or a
    trial this was called for before. Otherwise it is one more than the highest replicate
    among the other COMPLETE or RUNNING trials with the same parameters, and 0 when there
    is none: a repeated α gets new seeds, while a retried trial reproduces its numbers.

    The worker loop calls this while it holds the admission lock that admits the trial
    (``sweep.study``), so two workers at one α never read the same replicates and pick
    the same one; the value is stored before the lock is released.
    """
    if "replicate" in trial.user_attrs:
        return int(trial.user_attrs["replicate"])
    others = [t for t in trial.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,
                                                                        optuna.trial.TrialState.RUNNING))
              if t._trial_id != trial._trial_id and t.params == params]
    replicate = 1 + max((int(t.user_attrs.get("replicate", 0)) for t in others), default=-1)
    trial.set_user_attr("replicate", replicate)
    return replicate
