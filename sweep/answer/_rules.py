"""The answer's rules on arrays: the Pareto front, the knee's scaling and the point a rule picks.

One home for the rules every answer applies (docs/design.md, "Export rules"): the trial
knee (:mod:`._pareto` wraps these for Optuna trials), the smoothed answer on a grid of
posterior curves (:mod:`._smooth`), the knee sampler's proposals and the confirm stage's
distance to the knee. Arrays are ``(..., m, 2)``: ``m`` points of two objectives, both
maximised, with any leading batch axes (posterior draws).
"""

from __future__ import annotations

import argparse
from typing import Literal, get_args

import numpy as np

__all__ = ["RULES", "Rule", "add_rule_options", "choose_index", "pareto_mask", "unit_scale"]

Rule = Literal["knee", "max-xling", "max-same-lang"]
RULES: tuple[str, ...] = get_args(Rule)


def add_rule_options(parser: argparse.ArgumentParser, what: str) -> None:
    """``--rule``, ``--min-xling`` and ``--min-same-lang``, spelled alike wherever a command applies a rule.

    ``what`` completes the help ("the trials ... keeps"): sweep.export and sweep.confirm
    take the same options, so the same flags pick the same α in both.
    """
    parser.add_argument("--rule", choices=list(RULES), default="knee",
                        help="knee: Pareto point nearest the utopia after min-max scaling (default)")
    parser.add_argument("--min-xling", type=float, default=None, help=f"keep {what} with cross-lingual mAP >= V")
    parser.add_argument("--min-same-lang", type=float, default=None, help=f"keep {what} with same-language P@k >= V")


def pareto_mask(values: np.ndarray, *, keep_duplicates: bool = False) -> np.ndarray:
    """(..., m, 2) → (..., m) bool: the points no other point dominates (both maximised).

    Sorted by objective 1 descending (objective 2 breaking ties), a point is on the
    front exactly when its objective 2 beats every point before it; O(m log m) per
    curve pair, so a thousand posterior draws stay cheap. Exact duplicates do not
    dominate each other: ``keep_duplicates`` keeps them all (the trial front, where two
    trials may tie), otherwise only the first (a grid, where the rule wants one point).
    """
    values = np.asarray(values, float)
    v1, v2 = values[..., 0], values[..., 1]
    order = np.lexsort((-v2, -v1), axis=-1)  # stable: duplicates stay in index order
    s1, s2 = np.take_along_axis(v1, order, axis=-1), np.take_along_axis(v2, order, axis=-1)
    best_before = np.maximum.accumulate(s2, axis=-1)
    best_before = np.concatenate([np.full(s2.shape[:-1] + (1,), -np.inf), best_before[..., :-1]], axis=-1)
    on_front = s2 > best_before
    if keep_duplicates and s1.shape[-1] > 1:
        # A duplicate sits right after its twin in the sorted order and inherits its verdict.
        same = np.concatenate([np.zeros(s1.shape[:-1] + (1,), bool),
                               (s1[..., 1:] == s1[..., :-1]) & (s2[..., 1:] == s2[..., :-1])], axis=-1)
        position = np.broadcast_to(np.arange(s1.shape[-1]), s1.shape)
        first_twin = np.maximum.accumulate(np.where(same, 0, position), axis=-1)
        on_front = np.take_along_axis(on_front, first_twin, axis=-1)
    mask = np.empty(v1.shape, bool)
    np.put_along_axis(mask, order, on_front, axis=-1)
    return mask


def unit_scale(values: np.ndarray) -> np.ndarray:
    """(..., m, 2) min-max scaled per objective over the ``m`` points; a flat objective scales by 1.

    The knee's frame: (1, 1) is the utopia point of these points, so the knee is the
    front point nearest it whatever the objectives' units.
    """
    values = np.asarray(values, float)
    low = values.min(axis=-2, keepdims=True)
    span = values.max(axis=-2, keepdims=True) - low
    return (values - low) / np.where(span == 0, 1.0, span)


def choose_index(values: np.ndarray, rule: str = "knee", min_xling: float | None = None,
                 min_same_lang: float | None = None) -> np.ndarray:
    """The export's rule on (..., m, 2) points: the chosen index per batch entry, -1 when none qualifies.

    Constraints filter first. ``knee``: scale both objectives over *all* ``m`` points
    (:func:`unit_scale`), take the front point of the kept ones nearest (1, 1);
    ``max-xling``/``max-same-lang``: the best on one objective, the other breaking ties.
    Remaining ties go to the first index (the lowest α on a grid, the lowest trial
    number for trials in number order).

    Raises:
        ValueError: an unknown rule.
    """
    values = np.asarray(values, float)
    kept = np.ones(values.shape[:-1], bool)
    if min_xling is not None:
        kept &= values[..., 1] >= min_xling
    if min_same_lang is not None:
        kept &= values[..., 0] >= min_same_lang
    if rule == "knee":
        score = -np.linalg.norm(1.0 - unit_scale(values), axis=-1)
        kept &= pareto_mask(np.where(kept[..., None], values, -np.inf))
    elif rule in ("max-xling", "max-same-lang"):
        first, second = (1, 0) if rule == "max-xling" else (0, 1)
        # Lexicographic on (first, second) through a dense rank: exact, no scale
        # assumptions, and exact duplicates share a rank so the first index wins.
        order = np.lexsort((values[..., second], values[..., first]), axis=-1)
        f = np.take_along_axis(values[..., first], order, axis=-1)
        s = np.take_along_axis(values[..., second], order, axis=-1)
        new = np.concatenate([np.ones(f.shape[:-1] + (1,), bool), (f[..., 1:] != f[..., :-1]) | (s[..., 1:] != s[..., :-1])],
                             axis=-1)
        score = np.empty(values.shape[:-1])
        np.put_along_axis(score, order, np.cumsum(new, axis=-1).astype(float), axis=-1)
    else:
        raise ValueError(f"unknown rule {rule!r}: use knee, max-xling or max-same-lang")
    score = np.where(kept, score, -np.inf)
    chosen = np.argmax(score, axis=-1)  # argmax returns the first maximum
    return np.where(kept.any(axis=-1), chosen, -1)
