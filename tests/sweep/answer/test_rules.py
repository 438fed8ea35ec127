"""The answer's rules on arrays (sweep.answer._rules) and their trial wrappers (sweep.answer._pareto)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from optuna.distributions import FloatDistribution
from optuna.trial import FrozenTrial, create_trial

from objectives import ConfigError
from sweep.answer import RULES, choose_index, choose_trial, pareto_front, pareto_mask, unit_scale


def _dominated(values: np.ndarray) -> np.ndarray:
    """Brute force: a point is dominated when another is >= on both and > on one."""
    ge = np.all(values[None, :, :] >= values[:, None, :], axis=2)
    gt = np.any(values[None, :, :] > values[:, None, :], axis=2)
    return np.any(ge & gt, axis=1)


def _brute_choice(values: np.ndarray, rule: str, min_xling: float | None, min_same_lang: float | None) -> int:
    kept = [i for i, v in enumerate(values) if (min_xling is None or v[1] >= min_xling)
            and (min_same_lang is None or v[0] >= min_same_lang)]
    if not kept:
        return -1
    if rule == "knee":
        low, span = values.min(0), np.ptp(values, 0)
        span = np.where(span == 0, 1.0, span)
        sub = values[kept]
        front = [kept[i] for i in np.flatnonzero(~_dominated(sub))]
        return min(front, key=lambda i: (float(np.linalg.norm(1 - (values[i] - low) / span)), i))
    first, second = (1, 0) if rule == "max-xling" else (0, 1)
    return min(kept, key=lambda i: (-values[i, first], -values[i, second], i))


# Coarse values: exact duplicates and ties on one objective are common.
points = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=12)


@settings(max_examples=100, deadline=None)
@given(points)
def test_front_is_the_undominated_points(raw: list[tuple[int, int]]) -> None:
    values = np.array(raw, dtype=float) / 4
    undominated = ~_dominated(values)
    assert np.array_equal(pareto_mask(values, keep_duplicates=True), undominated)
    first_only = pareto_mask(values)
    # Without keep_duplicates, of each group of identical front points only the first stays.
    for i in range(len(values)):
        twins = [j for j in range(len(values)) if np.array_equal(values[j], values[i])]
        assert first_only[i] == (undominated[i] and i == twins[0])


@settings(max_examples=100, deadline=None)
@given(points, st.sampled_from(RULES), st.sampled_from([None, 0.5]), st.sampled_from([None, 0.25]))
def test_choose_index_is_the_rule_with_ties_to_the_first(raw: list[tuple[int, int]], rule: str,
                                                          min_xling: float | None, min_same_lang: float | None) -> None:
    values = np.array(raw, dtype=float) / 4
    assert int(choose_index(values, rule, min_xling, min_same_lang)) == _brute_choice(values, rule, min_xling, min_same_lang)


def test_batch_axes_are_independent_draws() -> None:
    rng = np.random.default_rng(0)
    draws = rng.random((50, 21, 2))
    batched = choose_index(draws, "knee")
    assert batched.shape == (50,)
    assert [int(choose_index(d, "knee")) for d in draws] == batched.tolist()
    assert pareto_mask(draws).shape == (50, 21)


def test_unit_scale_maps_each_objective_onto_zero_one_and_leaves_a_flat_one() -> None:
    scaled = unit_scale(np.array([[0.2, 0.5], [0.4, 0.5], [0.3, 0.5]]))
    assert scaled[:, 0].tolist() == pytest.approx([0.0, 1.0, 0.5])
    assert scaled[:, 1].tolist() == [0.0, 0.0, 0.0]


def test_unknown_rule() -> None:
    with pytest.raises(ValueError, match="unknown rule 'best'"):
        choose_index(np.zeros((2, 2)), "best")


def _trial(number: int, values: tuple[float, float]) -> FrozenTrial:
    trial = create_trial(params={"mono_ratio": number / 10}, distributions={"mono_ratio": FloatDistribution(0, 1)},
                         values=list(values))
    trial.number = number
    return trial


def test_trial_wrappers_keep_tied_twins_and_pick_the_lowest_number() -> None:
    trials = [_trial(3, (0.5, 0.5)), _trial(1, (0.5, 0.5)), _trial(2, (0.9, 0.1)), _trial(0, (0.4, 0.4))]
    assert [t.number for t in pareto_front(trials)] == [1, 2, 3]
    chosen, front = choose_trial(trials, "knee")
    assert chosen.number == 1 and [t.number for t in front] == [1, 2, 3]
    chosen, front = choose_trial(trials, "max-same-lang", min_xling=0.3)
    assert chosen.number == 1 and [t.number for t in front] == [1, 3]
    with pytest.raises(ConfigError, match="unknown rule 'best'"):
        choose_trial(trials, "best")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="no completed trial meets the constraints"):
        choose_trial(trials, "knee", min_xling=0.95)
