"""A 3-language toy dataset whose every number is worked out by hand below.

Languages en=0, de=1, zh=2. Each query is a one-hot vector e_i (plus a zero slack
coordinate), so its score against a candidate is exactly that candidate's i-th
coordinate: the candidates' coordinates ARE the score table ``S`` below (a last
slack coordinate makes every candidate unit-norm without touching any score).

Candidates (global index: language, role)::

    c0 en A0   c1 en A1   c2 en A2 (g2's answer)
    c3 de A0   c4 de A1   c5 de distractor
    c6 zh A0   c7 zh distractor

Relevance: g0 -> {c0, c3, c6}; g1 -> {c1, c4} (NO zh answer); g2 -> {c2} (en only).
Queries: q0 (g0,en) q1 (g0,de) q2 (g0,zh) q3 (g1,en) q4 (g1,de) q5 (g1,zh) q6 (g2,en).

Score table (rows q, columns c0..c7)::

          c0   c1   c2   c3   c4   c5   c6   c7
    q0   .30  .10  .40  .35  .05  .20  .25  .25   <- c6 = c7 tie: index puts c6 first
    q1   .20  .10  .30  .40  .35  .00  .15  .05
    q2   .10  .20  .30  .05  .25  .15  .35  .40
    q3   .10  .40  .20  .30  .30  .00  .05  .35   <- c3 = c4 tie: c4 (relevant) second
    q4   .05  .20  .10  .25  .25  .15  .30  .00   <- c3 = c4 tie: c4 (relevant) second
    q5   .30  .35  .40  .20  .10  .25  .15  .05
    q6   .10  .05  .20  .00  .00  .30  .00  .10   <- c0 = c7 tie (irrelevant to q6)

Per query and pool (rank of the relevant candidate in the pool -> AP, P@1):

    q0  en{c2,c0,c1}: c0 r2 -> .5, 0   de{c3,c5,c4}: c3 r1 -> 1, 1   zh{c6,c7} tie: c6 r1 -> 1, 1
    q1  en{c2,c0,c1}: c0 r2 -> .5, 0   de{c3,c4,c5}: c3 r1 -> 1, 1   zh{c6,c7}: c6 r1 -> 1, 1
    q2  en{c2,c1,c0}: c0 r3 -> 1/3, 0  de{c4,c5,c3}: c3 r3 -> 1/3, 0 zh{c7,c6}: c6 r2 -> .5, 0
    q3  en{c1,c2,c0}: c1 r1 -> 1, 1    de{c3,c4,c5} tie: c4 r2 -> .5, 0   zh: no answer, SKIPPED
    q4  en{c1,c2,c0}: c1 r1 -> 1, 1    de{c3,c4,c5} tie: c4 r2 -> .5, 0   zh: SKIPPED
    q5  en{c2,c1,c0}: c1 r2 -> .5, 0   de{c5,c3,c4}: c4 r3 -> 1/3, 0  zh: SKIPPED
    q6  en{c2,c0,c1}: c2 r1 -> 1, 1    de: SKIPPED                     zh: SKIPPED

Cells (mean over the evaluable queries; n in brackets)::

    mAP     en              de              zh
    en   (.5+1+1)/3=5/6 [3]   (1+.5)/2=.75 [2]   1 [1]  <- q3 skipped, NOT (1+0)/2
    de   (.5+1)/2=.75 [2]     (1+.5)/2=.75 [2]   1 [1]
    zh   (1/3+.5)/2=5/12 [2]  (1/3+1/3)/2=1/3 [2] .5 [1]

    P@1     en: 2/3, .5, 1    de: .5, .5, 1    zh: 0, 0, 0

Mo. mAP = (5/6 + .75 + .5)/3 = 25/36; Mo. P@1 = (2/3 + .5 + 0)/3 = 7/18 (objective 1).
Cr. mAP = (.75 + 1 + .75 + 1 + 5/12 + 1/3)/6 = 17/24.

Mul. (pooled ranking of all 8 candidates; relevant ranks -> AP):

    q0  c2 c3 c0 c6 c7 c5 c1 c4 : c3 2, c0 3, c6 4 -> (1/2 + 2/3 + 3/4)/3 = 23/36
    q1  c3 c4 c2 c0 c6 c1 c7 c5 : c3 1, c0 4, c6 5 -> (1 + 2/4 + 3/5)/3 = .7
    q2  c7 c6 c2 c4 c1 c5 c0 c3 : c6 2, c0 7, c3 8 -> (1/2 + 2/7 + 3/8)/3 = 65/168
    q3  c1 c7 c3 c4 c2 c0 c6 c5 : c1 1, c4 4       -> (1 + 2/4)/2 = 3/4
    q4  c6 c3 c4 c1 c5 c2 c0 c7 : c4 3, c1 4       -> (1/3 + 2/4)/2 = 5/12
    q5  c2 c1 c0 c5 c3 c6 c4 c7 : c1 2, c4 7       -> (1/2 + 2/7)/2 = 11/28
    q6  c5 c2 c0 c7 c1 c3 c4 c6 : c2 2             -> 1/2

    per language: en (23/36 + 3/4 + 1/2)/3 = 17/27, de (.7 + 5/12)/2 = 67/120,
    zh (65/168 + 11/28)/2 = 131/336; macro (objective 2) = their mean.
    R@10 = 1 everywhere (8 candidates).

Language bias (best pooled rank per answer language, max - min):
    q0 en3 de2 zh4 -> 2; q1 en4 de1 zh5 -> 4; q2 en7 de8 zh2 -> 6;
    q3 en1 de4 -> 3; q4 en4 de3 -> 1; q5 en2 de7 -> 5; q6 one language -> not counted.
    per language en (2+3)/2 = 2.5 [2 of 3 queries], de 2.5 [2], zh 5.5 [2];
    overall (2+4+6+3+1+5)/6 = 3.5.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from objectives.retrieval import EvalResult, evaluate_embeddings

LANGS = ("en", "de", "zh")
S = np.array(
    [
        [0.30, 0.10, 0.40, 0.35, 0.05, 0.20, 0.25, 0.25],
        [0.20, 0.10, 0.30, 0.40, 0.35, 0.00, 0.15, 0.05],
        [0.10, 0.20, 0.30, 0.05, 0.25, 0.15, 0.35, 0.40],
        [0.10, 0.40, 0.20, 0.30, 0.30, 0.00, 0.05, 0.35],
        [0.05, 0.20, 0.10, 0.25, 0.25, 0.15, 0.30, 0.00],
        [0.30, 0.35, 0.40, 0.20, 0.10, 0.25, 0.15, 0.05],
        [0.10, 0.05, 0.20, 0.00, 0.00, 0.30, 0.00, 0.10],
    ],
    dtype=np.float32,
)
Q_LANG = np.array([0, 1, 2, 0, 1, 2, 0])
Q_GROUP = np.array([0, 0, 0, 1, 1, 1, 2])
C_LANG = np.array([0, 0, 0, 1, 1, 1, 2, 2])
REL_GROUP = np.array([0, 0, 0, 1, 1, 2])
REL_CAND = np.array([0, 3, 6, 1, 4, 2])


def toy_embeddings() -> tuple[np.ndarray, np.ndarray]:
    nq, nc = S.shape
    q = np.zeros((nq, nq + 1), dtype=np.float32)
    q[np.arange(nq), np.arange(nq)] = 1.0
    c = np.zeros((nc, nq + 1), dtype=np.float32)
    c[:, :nq] = S.T
    squares = (S.astype(np.float64) ** 2).sum(axis=0)
    assert squares.max() < 1.0
    c[:, nq] = np.sqrt(1.0 - squares)
    return q, c


def evaluate_toy(k: int = 1, **kwargs: object) -> EvalResult:
    q, c = toy_embeddings()
    return evaluate_embeddings(q, Q_LANG, Q_GROUP, c, C_LANG, REL_GROUP, REL_CAND, LANGS, k=k, **kwargs)


def test_embeddings_reproduce_the_score_table() -> None:
    q, c = toy_embeddings()
    assert np.array_equal(q @ c.T, S)
    assert np.allclose(np.linalg.norm(c, axis=1), 1.0) and np.allclose(np.linalg.norm(q, axis=1), 1.0)


def test_cells_map_and_p_at_1() -> None:
    res = evaluate_toy()
    expected_map = [[5 / 6, 0.75, 1.0], [0.75, 0.75, 1.0], [5 / 12, 1 / 3, 0.5]]
    expected_p1 = [[2 / 3, 0.5, 1.0], [0.5, 0.5, 1.0], [0.0, 0.0, 0.0]]
    np.testing.assert_allclose(res.map_cells, expected_map, rtol=1e-12)
    np.testing.assert_allclose(res.p_at_k_cells, expected_p1, rtol=1e-12)
    np.testing.assert_allclose(res.r_at_k_cells, expected_p1, rtol=1e-12)  # one answer per pool
    assert res.n_queries_cells.tolist() == [[3, 2, 1], [2, 2, 1], [2, 2, 1]]


def test_skipped_query_is_not_a_zero() -> None:
    res = evaluate_toy()
    en, zh = 0, 2
    # q3 (g1, en) has no zh answer: the en->zh cell is q0's AP alone, not (1 + 0)/2.
    assert res.map_cells[en, zh] == 1.0 and res.n_queries_cells[en, zh] == 1
    # q5 (g1, zh) has no zh answer: Mo. zh is q2 alone.
    assert res.mo_map_per_lang[zh] == 0.5 and res.n_queries_cells[zh, zh] == 1


def test_macro_means_and_objectives() -> None:
    res = evaluate_toy()
    assert res.mo_map == pytest.approx(25 / 36, rel=1e-12)
    assert res.mo_p_at_k == pytest.approx(7 / 18, rel=1e-12)
    assert res.same_lang_p_at_k == res.mo_p_at_k
    assert res.cr_map == pytest.approx(17 / 24, rel=1e-12)
    mul = [17 / 27, 67 / 120, 131 / 336]
    np.testing.assert_allclose(res.mul_map_per_lang, mul, rtol=1e-12)
    assert res.xling_map == pytest.approx(sum(mul) / 3, rel=1e-12)
    assert res.mul_n_queries.tolist() == [3, 2, 2]
    np.testing.assert_allclose(res.mul_r_at_10_per_lang, [1.0, 1.0, 1.0])


def test_language_bias() -> None:
    res = evaluate_toy()
    np.testing.assert_allclose(res.language_bias_per_lang, [2.5, 2.5, 5.5])
    assert res.language_bias_n_queries.tolist() == [2, 2, 2]  # q6 (one language) not counted
    assert res.language_bias == pytest.approx(3.5)


def test_ties_follow_candidate_index() -> None:
    res = evaluate_toy()
    en, de, zh = 0, 1, 2
    # q0 vs zh: c6 (relevant) ties c7 and wins on index -> AP 1; q3/q4 vs de: c4
    # (relevant) ties c3 and loses on index -> AP 1/2 each.
    assert res.map_cells[en, zh] == 1.0
    assert res.map_cells[en, de] == pytest.approx((1 + 0.5) / 2)
    assert res.map_cells[de, de] == pytest.approx((1 + 0.5) / 2)
    # Same data with the candidate indices reversed: every tie must flip.
    q, c = toy_embeddings()
    flip = np.arange(8)[::-1]  # new index j holds old candidate 7 - j
    old_to_new = np.argsort(flip)
    res2 = evaluate_embeddings(q, Q_LANG, Q_GROUP, c[flip], C_LANG[flip], REL_GROUP, old_to_new[REL_CAND], LANGS)
    # Now c4 (new index 3) precedes c3 (new index 4): q3/q4 win their de ties, and
    # q0's zh tie is lost (c7 is new index 0, c6 new index 1).
    assert res2.map_cells[en, de] == 1.0 and res2.map_cells[de, de] == pytest.approx((1 + 1) / 2)
    assert res2.map_cells[en, zh] == 0.5


def test_cut_off_two() -> None:
    res = evaluate_toy(k=2)
    en, zh = 0, 2
    # en->en: every relevant sentence is in the top 2 of its 3-candidate pool.
    assert res.p_at_k_cells[en, en] == 0.5 and res.r_at_k_cells[en, en] == 1.0
    # zh->en: q2's c0 is 3rd (0 hits), q5's c1 is 2nd (1 hit) -> P@2 (0 + .5)/2, R@2 (0 + 1)/2.
    assert res.p_at_k_cells[zh, en] == 0.25 and res.r_at_k_cells[zh, en] == 0.5
    # mAP does not depend on k.
    np.testing.assert_array_equal(res.map_cells, evaluate_toy(k=1).map_cells)


def test_to_dict_is_json_with_nulls() -> None:
    q, c = toy_embeddings()
    # Drop every zh candidate: the zh column has no evaluable query at all.
    keep = C_LANG != 2
    new_index = np.cumsum(keep) - 1
    pairs = keep[REL_CAND]
    res = evaluate_embeddings(
        q, Q_LANG, Q_GROUP, c[keep], C_LANG[keep], REL_GROUP[pairs], new_index[REL_CAND[pairs]], LANGS
    )
    assert np.isnan(res.map_cells[:, 2]).all() and res.n_queries_cells[:, 2].tolist() == [0, 0, 0]
    data = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert data["cells"]["map"][0][2] is None
    assert data["mo_map_per_lang"]["zh"] is None
    # The macro means leave the NaN cells out.
    assert res.mo_map == pytest.approx((5 / 6 + 0.75) / 2)
    assert data["mo_map"] == pytest.approx(res.mo_map)
