"""The trial-based choice: the rules of :mod:`._rules` applied to a study's trials.

Multi-objective studies have no ``best_params``; these rules are the answer a training
script reads (docs/design.md, "Export rules"). Thin wrappers: the rules themselves work
on arrays, so the trial knee, the smoothed answer and the knee sampler share one code.
"""

from __future__ import annotations

import math

import numpy as np
import optuna
from optuna.trial import FrozenTrial, TrialState

from objectives.errors import ConfigError
from sweep.answer._rules import RULES, Rule, choose_index, pareto_mask

__all__ = ["choose_trial", "finite_complete", "pareto_front"]


def finite_complete(study: optuna.Study) -> list[FrozenTrial]:
    """COMPLETE trials whose objective values are all finite."""
    return [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            if t.values is not None and all(math.isfinite(v) for v in t.values)]


def _values(trials: list[FrozenTrial]) -> np.ndarray:
    return np.array([t.values for t in trials], dtype=float).reshape(len(trials), -1)


def pareto_front(trials: list[FrozenTrial]) -> list[FrozenTrial]:
    """Trials no other trial dominates (both objectives maximised), by trial number; tied twins both stay."""
    ordered = sorted(trials, key=lambda t: t.number)
    mask = pareto_mask(_values(ordered), keep_duplicates=True) if ordered else []
    return [t for t, on in zip(ordered, mask) if on]


def choose_trial(
    trials: list[FrozenTrial], rule: Rule = "knee", min_xling: float | None = None, min_same_lang: float | None = None
) -> tuple[FrozenTrial, list[FrozenTrial]]:
    """The chosen trial and the Pareto front it was chosen from.

    :func:`sweep.answer.choose_index` on the trials in number order: constraints filter
    first; ``knee`` scales both objectives over all the finite COMPLETE trials given and
    takes the front point nearest (1, 1); ``max-xling``/``max-same-lang`` the best on one
    objective, the other breaking ties. Remaining ties go to the lowest trial number.

    Raises:
        ConfigError: no trial, no trial meets the constraints, or an unknown rule.
    """
    if not trials:
        raise ConfigError("the study has no completed trial with finite values: run python -m sweep.run first")
    if rule not in RULES:
        raise ConfigError(f"unknown rule {rule!r}: use knee, max-xling or max-same-lang")
    ordered = sorted(trials, key=lambda t: t.number)
    values = _values(ordered)
    index = int(choose_index(values, rule, min_xling, min_same_lang))
    if index < 0:
        best1, best2 = values[:, 0].max(), values[:, 1].max()
        raise ConfigError(
            f"no completed trial meets the constraints (best same-language {best1:.4f}, best cross-lingual {best2:.4f}): "
            "lower --min-xling/--min-same-lang"
        )
    kept = [t for t in ordered if (min_xling is None or t.values[1] >= min_xling)
            and (min_same_lang is None or t.values[0] >= min_same_lang)]
    return ordered[index], pareto_front(kept)
