"""Language bias from pooled ranks."""

from __future__ import annotations

import numpy as np

from objectives.retrieval import language_bias


def test_max_minus_min_of_best_rank_per_language() -> None:
    ranks = np.array([[1, 7, 4, 0], [2, 3, 0, 0], [5, 0, 0, 0], [0, 0, 0, 0]])
    langs = np.array([[0, 1, 2, -1], [0, 0, -1, -1], [1, -1, -1, -1], [-1, -1, -1, -1]])
    bias = language_bias(ranks, langs, 3)
    assert bias[0] == 6.0  # ranks 1 (lang 0), 7 (lang 1), 4 (lang 2)
    assert np.isnan(bias[1])  # two answers, one language: not counted
    assert np.isnan(bias[2]) and np.isnan(bias[3])


def test_best_ranked_answer_represents_its_language() -> None:
    # Language 1 has answers at 9 and 3; its best (3) is used: bias 3 - 2 = 1, not 7.
    ranks = np.array([[2, 9, 3]])
    langs = np.array([[0, 1, 1]])
    assert language_bias(ranks, langs, 2).tolist() == [1.0]


def test_zero_when_answers_are_adjacent_at_the_top() -> None:
    assert language_bias(np.array([[1, 2, 3]]), np.array([[2, 0, 1]]), 3).tolist() == [2.0]
    assert language_bias(np.array([[4, 4]]), np.array([[0, 1]]), 2).tolist() == [0.0]
