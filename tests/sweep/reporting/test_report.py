"""The report's rendering rules that need no study."""

from __future__ import annotations

import math

from sweep.reporting._report import plotted_baseline


def test_a_zero_baseline_is_plotted_and_a_missing_one_is_not() -> None:
    # A zero-shot P@1 of 0.0 is a measurement (a random model scores it), not a missing value.
    assert plotted_baseline(0.0, 0.25) == (0.0, 0.25)
    missing = plotted_baseline(None, 0.0)
    assert math.isnan(missing[0]) and missing[1] == 0.0
