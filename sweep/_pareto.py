"""The trial-based choice: the Pareto front of a study's trials and the point a rule picks on it.

Multi-objective studies have no ``best_params``; these rules are the answer a training
script reads (docs/design.md, "Export rules"). Nothing else of ``sweep`` is imported here,
so export, confirm and report all build on it.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import optuna
from optuna.trial import FrozenTrial, TrialState

from objectives.errors import ConfigError

__all__ = ["Rule", "choose_trial", "finite_complete", "pareto_front"]

Rule = Literal["knee", "max-xling", "max-same-lang"]


def finite_complete(study: optuna.Study) -> list[FrozenTrial]:
    """COMPLETE trials whose objective values are all finite."""
    return [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            if t.values is not None and all(math.isfinite(v) for v in t.values)]


def pareto_front(trials: list[FrozenTrial]) -> list[FrozenTrial]:
    """Trials no other trial dominates (both objectives maximised), by trial number."""
    values = np.array([t.values for t in trials], dtype=float).reshape(len(trials), -1)
    front = []
    for i, t in enumerate(trials):
        dominated = np.any(np.all(values >= values[i], axis=1) & np.any(values > values[i], axis=1))
        if not dominated:
            front.append(t)
    return sorted(front, key=lambda t: t.number)


def choose_trial(
    trials: list[FrozenTrial], rule: Rule = "knee", min_xling: float | None = None, min_same_lang: float | None = None
) -> tuple[FrozenTrial, list[FrozenTrial]]:
    """The chosen trial and the Pareto front it was chosen from.

    Constraints filter first. ``knee``: min-max scale both objectives over the finite
    COMPLETE trials, take the point nearest (1, 1); ``max-xling``/``max-same-lang``:
    the best on one objective, the other breaking ties. Remaining ties go to the
    lowest trial number.

    Raises:
        ConfigError: no trial, or no trial meets the constraints.
    """
    if not trials:
        raise ConfigError("the study has no completed trial with finite values: run python -m sweep.run first")
    kept = [t for t in trials if (min_xling is None or t.values[1] >= min_xling)
            and (min_same_lang is None or t.values[0] >= min_same_lang)]
    if not kept:
        best1, best2 = max(t.values[0] for t in trials), max(t.values[1] for t in trials)
        raise ConfigError(
            f"no completed trial meets the constraints (best same-language {best1:.4f}, best cross-lingual {best2:.4f}): "
            "lower --min-xling/--min-same-lang"
        )
    front = pareto_front(kept)
    if rule == "knee":
        values = np.array([t.values for t in trials], dtype=float)
        low, span = values.min(0), values.max(0) - values.min(0)
        span[span == 0] = 1.0

        def key(t: FrozenTrial) -> tuple[float, int]:
            scaled = (np.array(t.values) - low) / span
            return float(np.linalg.norm(1.0 - scaled)), t.number
    elif rule == "max-xling":
        def key(t: FrozenTrial) -> tuple[float, int]:  # type: ignore[misc]
            return (-t.values[1], -t.values[0], t.number)  # type: ignore[return-value]
    elif rule == "max-same-lang":
        def key(t: FrozenTrial) -> tuple[float, int]:  # type: ignore[misc]
            return (-t.values[0], -t.values[1], t.number)  # type: ignore[return-value]
    else:
        raise ConfigError(f"unknown rule {rule!r}: use knee, max-xling or max-same-lang")
    return min(front, key=key), front
