"""The report's rendering rules that need no study."""

from __future__ import annotations

import math

from sweep.reporting import front_phrase, plotted_baseline


def test_a_zero_baseline_is_plotted_and_a_missing_one_is_not() -> None:
    # A zero-shot P@1 of 0.0 is a measurement (a random model scores it), not a missing value.
    assert plotted_baseline(0.0, 0.25) == (0.0, 0.25)
    missing = plotted_baseline(None, 0.0)
    assert math.isnan(missing[0]) and missing[1] == 0.0


def test_the_front_clause_names_a_single_alpha_once() -> None:
    # The reference study's posterior put only α 0 on its front in half the draws; the
    # summary said "α 0.00–0.00 lie on the front", a range of one point.
    single = front_phrase((0.0, 0.0))
    assert single == "; only α 0.00 lies on the Pareto front in at least half of the posterior draws"
    assert front_phrase((0.1, 0.6)).endswith("posterior draws span 0.10–0.60")
    assert front_phrase(None) == ""
