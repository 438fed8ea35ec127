"""Cell aggregation and macro means: skipped queries, NaN cells."""

from __future__ import annotations

import math

import numpy as np

from objectives.retrieval import cell_means, cr_macro, language_means, macro_mean, mo_macro

NAN = math.nan


def test_language_means_skip_nan() -> None:
    means, counts = language_means(np.array([1.0, NAN, 0.0, 0.5, NAN]), np.array([0, 0, 0, 1, 2]), 4)
    assert means[0] == 0.5 and means[1] == 0.5
    assert np.isnan(means[2]) and np.isnan(means[3])
    assert counts.tolist() == [2, 1, 0, 0]


def test_cell_means_rows_are_query_languages() -> None:
    values = np.array([[1.0, 0.0], [0.5, NAN], [NAN, 1.0]])
    means, counts = cell_means(values, np.array([0, 0, 1]), 2)
    assert means[0].tolist() == [0.75, 0.0]
    assert np.isnan(means[1, 0]) and means[1, 1] == 1.0
    assert counts.tolist() == [[2, 1], [0, 1]]


def test_mo_and_cr_macro_exclude_nan_cells() -> None:
    cells = np.array([[0.5, 0.2, NAN], [0.4, NAN, 0.6], [NAN, NAN, 1.0]])
    assert mo_macro(cells) == (0.5 + 1.0) / 2
    assert cr_macro(cells) == (0.2 + 0.4 + 0.6) / 3
    assert math.isnan(macro_mean(np.array([NAN, NAN]))) and math.isnan(cr_macro(np.array([[1.0]])))
