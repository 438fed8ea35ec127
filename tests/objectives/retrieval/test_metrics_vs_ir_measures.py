"""AP, P@k and R@k against ir_measures (trec_eval through pytrec_eval), ties included.

trec_eval orders tied scores by document id DESCENDING (docs/design.md, "Reference metrics (trec_eval tie order)").
The spec breaks ties by candidate index ASCENDING, so candidate ``j`` of ``n`` gets
the zero-padded id ``d{n - 1 - j}``: trec_eval's tie order then is the spec's, and
the raw (tied) scores can be handed over unchanged. A second check gives ir_measures
strictly decreasing scores along the reference order instead, so no tie rule is
involved at all.
"""

from __future__ import annotations

import ir_measures
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ir_measures import AP, P, R

from objectives.retrieval import average_precision, outrank_counts, precision_at_k, recall_at_k, relevant_ranks
from tests.objectives.retrieval._brute import ranking

CUTOFFS = (1, 3, 5, 10)


def trec_docid(j: int, n: int) -> str:
    return f"d{n - 1 - j:06d}"


def ir_values(runs: list[tuple[np.ndarray, set[int]]], k: int, *, untie: bool) -> dict[str, dict[str, float]]:
    """ir_measures' per-query AP, P@k, R@k for ``(scores, relevant)`` queries."""
    qrels, run = [], []
    for qi, (scores, relevant) in enumerate(runs):
        n, qid = len(scores), f"q{qi}"
        qrels += [ir_measures.Qrel(qid, trec_docid(j, n), 1) for j in sorted(relevant)]
        if untie:
            order = ranking(scores, list(range(n)))
            run += [ir_measures.ScoredDoc(qid, trec_docid(j, n), float(n - pos)) for pos, j in enumerate(order)]
        else:
            run += [ir_measures.ScoredDoc(qid, trec_docid(j, n), float(scores[j])) for j in range(n)]
    out: dict[str, dict[str, float]] = {}
    for metric in ir_measures.iter_calc([AP, P @ k, R @ k], qrels, run):
        out.setdefault(metric.query_id, {})[str(metric.measure)] = metric.value
    return out


def ours(scores: np.ndarray, relevant: set[int], k: int) -> tuple[float, float, float]:
    """Ranks by counting (one pool, global index = position), then the metric functions."""
    n = len(scores)
    cols = np.array([sorted(relevant)], dtype=np.intp)
    counts = outrank_counts(scores[None, :].astype(np.float32), cols, np.arange(n), np.array([0, n]))
    _, pooled = relevant_ranks(counts, np.zeros_like(cols))
    return (
        float(average_precision(pooled)[0]),
        float(precision_at_k(pooled, k)[0]),
        float(recall_at_k(pooled, k)[0]),
    )


def random_query(rng: np.random.Generator) -> tuple[np.ndarray, set[int]]:
    n = int(rng.integers(1, 40))
    levels = int(rng.integers(1, 6))  # few distinct scores: many ties
    scores = (rng.integers(0, levels, n) / 4).astype(np.float32)
    n_rel = int(rng.integers(1, min(n, 6) + 1))
    return scores, {int(j) for j in rng.choice(n, n_rel, replace=False)}


def test_ir_measures_runs_offline_with_trec_eval_tie_order() -> None:
    # Three tied documents: trec_eval ranks d3, d2, d1 (document id descending).
    qrels = [ir_measures.Qrel("q", "d1", 1), ir_measures.Qrel("q", "d3", 1)]
    run = [ir_measures.ScoredDoc("q", d, 1.0) for d in ("d1", "d2", "d3")]
    got = ir_measures.calc_aggregate([AP, P @ 1, R @ 2], qrels, run)
    assert got[AP] == pytest.approx((1 / 1 + 2 / 3) / 2)
    assert got[P @ 1] == 1.0 and got[R @ 2] == 0.5


@pytest.mark.parametrize("untie", [False, True])
@pytest.mark.parametrize("k", CUTOFFS)
def test_seeded_random_rankings_with_ties(k: int, untie: bool) -> None:
    rng = np.random.default_rng(1000 + k)
    queries = [random_query(rng) for _ in range(300)]
    ref = ir_values(queries, k, untie=untie)
    n_tied = 0
    for qi, (scores, relevant) in enumerate(queries):
        n_tied += len(np.unique(scores)) < len(scores)
        ap, p, r = ours(scores, relevant, k)
        expected = ref[f"q{qi}"]
        assert ap == pytest.approx(expected["AP"], rel=1e-12, abs=1e-12), (scores, relevant)
        assert p == pytest.approx(expected[f"P@{k}"], rel=1e-12, abs=1e-12), (scores, relevant)
        assert r == pytest.approx(expected[f"R@{k}"], rel=1e-12, abs=1e-12), (scores, relevant)
    assert n_tied > 200  # the point of the test: most rankings contain ties


@pytest.mark.parametrize("n_rel", [1, 4])
def test_single_and_several_relevant_without_ties(n_rel: int) -> None:
    rng = np.random.default_rng(n_rel)
    queries = []
    for _ in range(100):
        n = int(rng.integers(n_rel, 60))
        queries.append((rng.permutation(n).astype(np.float32), {int(j) for j in rng.choice(n, n_rel, replace=False)}))
    ref = ir_values(queries, 5, untie=False)
    for qi, (scores, relevant) in enumerate(queries):
        ap, p, r = ours(scores, relevant, 5)
        assert (ap, p, r) == pytest.approx(
            (ref[f"q{qi}"]["AP"], ref[f"q{qi}"]["P@5"], ref[f"q{qi}"]["R@5"]), rel=1e-12
        )


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(0, 3), min_size=1, max_size=30).flatmap(
        lambda levels: st.tuples(
            st.just(levels),
            st.sets(st.integers(0, len(levels) - 1), min_size=1, max_size=len(levels)),
            st.sampled_from(CUTOFFS),
        )
    )
)
def test_hypothesis_tied_rankings(case: tuple[list[int], set[int], int]) -> None:
    levels, relevant, k = case
    scores = np.asarray(levels, dtype=np.float32)
    expected = ir_values([(scores, relevant)], k, untie=False)["q0"]
    assert ours(scores, relevant, k) == pytest.approx(
        (expected["AP"], expected[f"P@{k}"], expected[f"R@{k}"]), rel=1e-12, abs=1e-12
    )


def test_index_order_decides_ties_not_trec_order() -> None:
    # Candidates 0 and 2 tie at the top; candidate 2 is relevant. Index order puts
    # it second (AP 1/2, P@1 0); trec_eval's own order (id descending) would put it first.
    scores = np.array([1.0, 0.5, 1.0], dtype=np.float32)
    assert ours(scores, {2}, 1) == (0.5, 0.0, 0.0)
    naive = [ir_measures.ScoredDoc("q", f"d{j}", float(s)) for j, s in enumerate(scores)]
    trec = ir_measures.calc_aggregate([AP], [ir_measures.Qrel("q", "d2", 1)], naive)
    assert trec[AP] == 1.0  # hence the reversed ids above


def test_query_without_relevant_is_skipped_by_both() -> None:
    ranks = np.array([[0, 0], [3, 0]])
    assert np.isnan(average_precision(ranks)[0]) and average_precision(ranks)[1] == pytest.approx(1 / 3)
    assert np.isnan(precision_at_k(ranks, 1)[0]) and np.isnan(recall_at_k(ranks, 1)[0])
    # trec_eval evaluates only queries that have judgements: no row for "q0".
    run = [ir_measures.ScoredDoc("q0", "d0", 1.0), ir_measures.ScoredDoc("q1", "d0", 1.0)]
    rows = list(ir_measures.iter_calc([AP], [ir_measures.Qrel("q1", "d0", 1)], run))
    assert [m.query_id for m in rows] == ["q1"]
