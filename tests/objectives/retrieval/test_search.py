"""faiss top-k search: exact, ties in candidate-index order."""

from __future__ import annotations

import numpy as np
import pytest

from objectives.retrieval import search
from tests.objectives.retrieval._brute import quantised_unit, ranking


def test_ties_come_back_in_index_order() -> None:
    a, b = np.array([1.0, 0.0], np.float32), np.array([0.6, 0.8], np.float32)
    c = np.stack([b, a, b, a, a, b])  # a at 1, 3, 4
    scores, ids = search(a[None, :], c, 4)
    assert ids.tolist() == [[1, 3, 4, 0]]  # the three ties by index, then the first b
    assert scores[0, :3].tolist() == [1.0, 1.0, 1.0]


def test_tie_group_wider_than_the_fetch_margin() -> None:
    # 300 identical candidates: faiss may cut the group anywhere; we must return 0..k-1.
    rng = np.random.default_rng(0)
    c = np.tile(np.array([[0.0, 1.0]], np.float32), (300, 1))
    c[rng.choice(300, 30, replace=False)] = [1.0, 0.0]
    best = np.flatnonzero(c[:, 1] == 1.0)
    _, ids = search(np.array([[0.0, 1.0], [0.0, 1.0]], np.float32), c, 5)
    assert ids.tolist() == [best[:5].tolist()] * 2


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("k", [1, 4, 17])
def test_matches_a_full_sort(seed: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    q, c = quantised_unit(rng, 40), quantised_unit(rng, 120)  # dot products in steps of 1/4
    scores, ids = search(q, c, k)
    exact = q.astype(np.float64) @ c.astype(np.float64).T
    for i in range(len(q)):
        assert ids[i].tolist() == ranking(exact[i], list(range(len(c))))[:k]
        assert scores[i].tolist() == exact[i, ids[i]].tolist()


def test_k_larger_than_pool_and_bad_k() -> None:
    c = np.eye(3, dtype=np.float32)
    scores, ids = search(c[:1], c, 10)
    assert ids.tolist() == [[0, 1, 2]] and scores.shape == (1, 3)
    assert search(np.zeros((0, 3), np.float32), c, 2)[1].shape == (0, 2)
    with pytest.raises(ValueError, match="`k`"):
        search(c, c, 0)
    with pytest.raises(ValueError, match="share d"):
        search(c, np.eye(2, dtype=np.float32), 1)
