"""Exact ranks by counting, against full sorts; ties by global index."""

from __future__ import annotations

import numpy as np
import pytest

from objectives.retrieval import outrank_counts, relevant_ranks
from tests.objectives.retrieval._brute import ranking


def layout(c_lang: np.ndarray, n_lang: int) -> tuple[np.ndarray, np.ndarray]:
    perm = np.argsort(c_lang, kind="stable")
    return perm, np.searchsorted(c_lang[perm], np.arange(n_lang + 1))


@pytest.mark.parametrize("seed", range(8))
def test_counts_match_sorted_rankings(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_lang, nc, b, m = 3, int(rng.integers(1, 90)), int(rng.integers(1, 70)), 5
    c_lang = rng.integers(0, n_lang, nc)  # interleaved languages
    scores = (rng.integers(0, 4, (b, nc)) / 2).astype(np.float32)  # heavy ties
    perm, bounds = layout(c_lang, n_lang)
    rel = np.full((b, m), -1)
    for i in range(b):
        n_rel = int(rng.integers(0, min(m, nc) + 1))
        rel[i, :n_rel] = rng.choice(nc, n_rel, replace=False)
    col_of = np.argsort(perm)
    rel_cols = np.where(rel >= 0, col_of[np.maximum(rel, 0)], -1)
    counts = outrank_counts(scores[:, perm], rel_cols, perm, bounds)
    slot_lang = np.where(rel >= 0, c_lang[np.maximum(rel, 0)], -1)
    own, pooled = relevant_ranks(counts, slot_lang)
    for i in range(b):
        for j in range(m):
            r = rel[i, j]
            if r < 0:
                assert own[i, j] == pooled[i, j] == 0 and not counts[i, j].any()
                continue
            full = ranking(scores[i], list(range(nc)))
            assert pooled[i, j] == full.index(r) + 1
            same_lang = [x for x in range(nc) if c_lang[x] == c_lang[r]]
            assert own[i, j] == ranking(scores[i], same_lang).index(r) + 1
            for y in range(n_lang):
                pool = ranking(scores[i], [x for x in range(nc) if c_lang[x] == y] + ([r] if c_lang[r] != y else []))
                assert counts[i, j, y] == pool.index(r)


def test_tie_goes_to_the_smaller_global_index() -> None:
    scores = np.array([[0.5, 0.9, 0.5, 0.5]], dtype=np.float32)
    lang_bounds = np.array([0, 4])
    counts = outrank_counts(scores, np.array([[0, 2, 3]]), np.arange(4), lang_bounds)
    # Candidate 1 outranks all; among the tied 0, 2, 3 the index decides.
    assert counts[0, :, 0].tolist() == [1, 2, 3]


def test_tie_uses_global_index_not_column_position() -> None:
    # Columns grouped by language: column order (2, 0, 1) of global indices.
    scores = np.array([[0.5, 0.5, 0.5]], dtype=np.float32)
    col_index = np.array([2, 0, 1])
    counts = outrank_counts(scores, np.array([[0]]), col_index, np.array([0, 1, 3]))
    # The relevant item is global index 2: both others (0 and 1, language 1) outrank it.
    assert counts[0, 0].tolist() == [0, 2]


def test_negative_zero_ties_positive_zero() -> None:
    scores = np.array([[0.0, -0.0, 0.0]], dtype=np.float32)
    counts = outrank_counts(scores, np.array([[2]]), np.arange(3), np.array([0, 3]))
    assert counts[0, 0, 0] == 2


def test_empty_language_and_empty_slots() -> None:
    scores = np.array([[0.1, 0.2, 0.3]], dtype=np.float32)
    bounds = np.array([0, 0, 3, 3])  # language 0 and 2 have no candidate
    counts = outrank_counts(scores, np.array([[0, -1]]), np.arange(3), bounds)
    assert counts[0].tolist() == [[0, 2, 0], [0, 0, 0]]
    own, pooled = relevant_ranks(counts, np.array([[1, -1]]))
    assert own.tolist() == [[3, 0]] and pooled.tolist() == [[3, 0]]
