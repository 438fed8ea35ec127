"""Pools above the exact-ranking limit: ranks from faiss top-k lists, mAP cut as trec_eval cuts it."""

from __future__ import annotations

import ir_measures
import numpy as np
import pytest
from ir_measures import AP

from objectives.retrieval import (
    EXACT_RANKING_MAX_CANDIDATES,
    MAP_DEPTH,
    EvalResult,
    average_precision,
    evaluate_embeddings,
    map_kind,
    truncated_ranks,
)
from tests.objectives.retrieval._brute import ranking
from tests.objectives.retrieval.test_evaluate import random_dataset

_ARRAYS = ("map_cells", "p_at_k_cells", "r_at_k_cells", "n_queries_cells", "mul_map_per_lang",
           "mul_r_at_10_per_lang", "mul_n_queries", "language_bias_per_lang", "language_bias_n_queries")


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("k", [1, 3])
def test_faiss_lists_give_the_exact_numbers_when_the_cut_covers_the_pool(seed: int, k: int) -> None:
    # Quantised embeddings: every score is exact in float32, so faiss and the score tiles
    # agree to the bit and the many ties must be broken by candidate index in both.
    data = random_dataset(seed, n_cand=80)
    exact = evaluate_embeddings(**data, k=k)
    cut = evaluate_embeddings(**data, k=k, exact_up_to=0)
    assert exact.map_depth is None and cut.map_depth == MAP_DEPTH
    for name in _ARRAYS:
        assert np.array_equal(getattr(exact, name), getattr(cut, name), equal_nan=True), name
    assert exact.language_bias == cut.language_bias


def test_k_beyond_the_default_depth_lengthens_the_lists() -> None:
    # k > MAP_DEPTH: with lists cut at MAP_DEPTH, a candidate below the cut (rank
    # MAP_DEPTH + 1 <= k) would count as a P@k/R@k hit; the lists are k long instead.
    data = random_dataset(4, n_groups=4, n_cand=MAP_DEPTH + 200)
    k = MAP_DEPTH + 100
    exact = evaluate_embeddings(**data, k=k)
    cut = evaluate_embeddings(**data, k=k, exact_up_to=0)
    assert cut.map_depth == k
    for name in ("p_at_k_cells", "r_at_k_cells"):
        assert np.array_equal(getattr(exact, name), getattr(cut, name), equal_nan=True), name


def test_a_shallow_cut_keeps_ranks_above_it_and_marks_the_rest() -> None:
    data = random_dataset(3, n_cand=80, quantised=False)
    q, c = data["q_emb"], data["c_emb"]
    c_lang = np.asarray(data["c_lang"])
    slots = np.full((len(q), 2), -1, dtype=np.intp)
    for i, g in enumerate(np.asarray(data["q_group"])):
        cands = sorted({int(x) for x in np.asarray(data["rel_cand"])[np.asarray(data["rel_group"]) == g]})[:2]
        slots[i, : len(cands)] = cands
    own_full, pooled_full = truncated_ranks(q, c, slots, c_lang, 4, depth=len(c))
    own, pooled = truncated_ranks(q, c, slots, c_lang, 4, depth=5)
    filled = slots >= 0
    assert (pooled_full[filled] > 5).any() and (pooled_full[filled] <= 5).any()  # the cut bites
    for full, short in ((own_full, own), (pooled_full, pooled)):
        assert np.array_equal(short, np.where(filled, np.minimum(full, 6), 0))
    # The full-depth pooled ranks are the brute-force ranks.
    scores = q @ c.T
    for i in range(len(q)):
        order = ranking(scores[i], list(range(len(c))))
        for j in np.flatnonzero(filled[i]):
            assert pooled_full[i, j] == order.index(int(slots[i, j])) + 1


@pytest.mark.parametrize("depth", [1, 3, 10])
def test_cut_average_precision_is_trec_eval_map_cut(depth: int) -> None:
    rng = np.random.default_rng(depth)
    qrels, run, ranks = [], [], []
    for qi in range(30):
        n = int(rng.integers(5, 30))
        relevant = sorted(int(j) for j in rng.choice(n, int(rng.integers(1, 5)), replace=False))
        order = list(rng.permutation(n))
        qrels += [ir_measures.Qrel(f"q{qi}", f"d{j}", 1) for j in relevant]
        run += [ir_measures.ScoredDoc(f"q{qi}", f"d{j}", float(n - pos)) for pos, j in enumerate(order)]
        ranks.append([order.index(j) + 1 for j in relevant] + [0] * (4 - len(relevant)))
    theirs = {m.query_id: m.value for m in ir_measures.iter_calc([AP @ depth], qrels, run)}
    ours = average_precision(np.array(ranks), depth)
    assert ours == pytest.approx([theirs[f"q{i}"] for i in range(30)], abs=1e-12)
    # Below-the-cut placeholders (depth + 1) give the same value as their true ranks.
    marked = np.where(np.array(ranks) > depth, depth + 1, np.array(ranks))
    assert np.array_equal(average_precision(marked, depth), ours)


def test_result_dict_names_the_cut_only_when_there_is_one() -> None:
    data = random_dataset(0)
    exact = evaluate_embeddings(**data)
    cut = evaluate_embeddings(**data, exact_up_to=0)
    assert "map_depth" not in exact.to_dict()
    assert cut.to_dict()["map_depth"] == MAP_DEPTH
    assert EvalResult.from_dict(cut.to_dict()).map_depth == MAP_DEPTH
    assert EvalResult.from_dict(exact.to_dict()).map_depth is None


def test_map_kind_says_which_map() -> None:
    assert map_kind(None) == "mAP: exact, over the full ranking"
    assert map_kind(MAP_DEPTH).startswith(f"mAP: mAP@{MAP_DEPTH} from faiss")
    assert f"{EXACT_RANKING_MAX_CANDIDATES:,}" in map_kind(MAP_DEPTH)
