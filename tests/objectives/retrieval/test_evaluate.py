"""evaluate_embeddings end to end: brute-force agreement, block-size invariance, input checks."""

from __future__ import annotations

import json

import numpy as np
import pytest

from objectives.retrieval import SCORE_TILE, EvalResult, evaluate_embeddings
from tests.objectives.retrieval._brute import brute_force, quantised_unit

LANGS = ("en", "de", "zh", "ar")


def random_dataset(
    seed: int, n_groups: int = 25, n_cand: int = 60, quantised: bool = True, dim: int = 8
) -> dict[str, object]:
    """Partial coverage, interleaved candidate languages, shared and multiple answers."""
    rng = np.random.default_rng(seed)
    n_lang = len(LANGS)
    c_lang = rng.integers(0, n_lang, n_cand)
    q_lang, q_group, rel_group, rel_cand = [], [], [], []
    for g in range(n_groups):
        for x in range(n_lang):
            if rng.random() < 0.8:  # question asked in this language
                q_lang.append(x)
                q_group.append(g)
            in_x = np.flatnonzero(c_lang == x)
            if in_x.size and rng.random() < 0.75:  # answered in this language (1-2 answers)
                for cand in rng.choice(in_x, min(in_x.size, int(rng.integers(1, 3))), replace=False):
                    rel_group.append(g)
                    rel_cand.append(int(cand))
    rel_group += rel_group[:3]  # duplicate pairs are ignored
    rel_cand += rel_cand[:3]
    nq = len(q_lang)
    if quantised:
        q, c = quantised_unit(rng, nq, dim), quantised_unit(rng, n_cand, dim)
    else:
        q = rng.standard_normal((nq, dim)).astype(np.float32)
        c = rng.standard_normal((n_cand, dim)).astype(np.float32)
        q /= np.linalg.norm(q, axis=1, keepdims=True)
        c /= np.linalg.norm(c, axis=1, keepdims=True)
    return dict(
        q_emb=q, q_lang=np.array(q_lang), q_group=np.array(q_group), c_emb=c, c_lang=c_lang,
        rel_group=np.array(rel_group), rel_cand=np.array(rel_cand), languages=LANGS,
    )


def assert_same(a: EvalResult, b: EvalResult) -> None:
    """Bit-for-bit equality of every array and aggregate (NaN == NaN)."""
    for name in ("map_cells", "p_at_k_cells", "r_at_k_cells", "n_queries_cells", "mul_map_per_lang",
                 "mul_r_at_10_per_lang", "mul_n_queries", "language_bias_per_lang", "language_bias_n_queries"):
        assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name
    assert json.dumps(a.to_dict()) == json.dumps(b.to_dict())


@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("seed", range(6))
def test_matches_brute_force_with_ties(seed: int, k: int) -> None:
    data = random_dataset(seed)
    res = evaluate_embeddings(**data, k=k)
    ref = brute_force(
        data["q_emb"], data["q_lang"], data["q_group"], data["c_emb"], data["c_lang"],
        data["rel_group"], data["rel_cand"], len(LANGS), k,
    )
    close = dict(rtol=1e-12, atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(res.map_cells, ref.map_cells, **close)
    np.testing.assert_allclose(res.p_at_k_cells, ref.p_cells, **close)
    np.testing.assert_allclose(res.r_at_k_cells, ref.r_cells, **close)
    np.testing.assert_array_equal(res.n_queries_cells, ref.n_cells)
    np.testing.assert_allclose(res.mul_map_per_lang, ref.mul_map, **close)
    np.testing.assert_allclose(res.mul_r_at_10_per_lang, ref.mul_r10, **close)
    np.testing.assert_array_equal(res.mul_n_queries, ref.mul_n)
    np.testing.assert_allclose(res.language_bias_per_lang, ref.bias_lang, **close)
    np.testing.assert_array_equal(res.language_bias_n_queries, ref.bias_n)
    assert res.language_bias == pytest.approx(ref.bias, rel=1e-12)


@pytest.mark.parametrize("quantised", [True, False])
def test_block_size_invariance(quantised: bool) -> None:
    # More than two score tiles per query language, so blocks really differ.
    data = random_dataset(7, n_groups=400, n_cand=400, quantised=quantised, dim=16)
    assert np.bincount(data["q_lang"]).min() > 2 * SCORE_TILE
    results = [evaluate_embeddings(**data, k=2, block_size=bs) for bs in (1, 3, 1024, SCORE_TILE, 3 * SCORE_TILE + 5)]
    for other in results[1:]:
        assert_same(results[0], other)


def test_query_order_does_not_matter() -> None:
    data = random_dataset(3)
    perm = np.random.default_rng(0).permutation(len(data["q_lang"]))
    shuffled = dict(data, q_emb=data["q_emb"][perm], q_lang=data["q_lang"][perm], q_group=data["q_group"][perm])
    a, b = evaluate_embeddings(**data), evaluate_embeddings(**shuffled)
    for name in ("map_cells", "p_at_k_cells", "mul_map_per_lang", "language_bias_per_lang"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-12, equal_nan=True)


def test_float64_input_is_cast_to_float32() -> None:
    data = random_dataset(4, quantised=False)
    as64 = dict(data, q_emb=data["q_emb"].astype(np.float64), c_emb=data["c_emb"].astype(np.float64))
    assert_same(evaluate_embeddings(**data), evaluate_embeddings(**as64))


def test_no_relevance_at_all_gives_nan_everywhere() -> None:
    data = random_dataset(5)
    res = evaluate_embeddings(**dict(data, rel_group=np.array([], int), rel_cand=np.array([], int)))
    assert np.isnan(res.map_cells).all() and not res.n_queries_cells.any()
    assert np.isnan(res.xling_map) and np.isnan(res.same_lang_p_at_k) and np.isnan(res.language_bias)
    json.dumps(res.to_dict(), allow_nan=False)


def test_single_language_has_no_cross_cells() -> None:
    q = np.eye(3, dtype=np.float32)
    res = evaluate_embeddings(q, [0, 0, 0], [0, 1, 2], q, [0, 0, 0], [0, 1, 2], [0, 1, 2], ["en"])
    assert res.same_lang_p_at_k == 1.0 and res.xling_map == 1.0
    assert np.isnan(res.cr_map) and np.isnan(res.language_bias)


def test_no_queries() -> None:
    c = np.eye(2, dtype=np.float32)
    res = evaluate_embeddings(np.zeros((0, 2), np.float32), [], [], c, [0, 1], [0], [1], ["en", "de"])
    assert res.n_queries_cells.sum() == 0 and np.isnan(res.mo_map)


def test_group_without_relevance_is_skipped() -> None:
    q = np.eye(2, dtype=np.float32)
    # Group 7 has no relevance pair at all: the query is in no cell.
    res = evaluate_embeddings(q, [0, 0], [0, 7], q, [0, 0], [0], [0], ["en"])
    assert res.n_queries_cells.tolist() == [[1]] and res.mul_n_queries.tolist() == [1]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (dict(k=0), "`k`"),
        (dict(block_size=0), "`block_size`"),
        (dict(languages=["en", "en", "zh", "ar"]), "duplicates"),
        (dict(languages="en"), "sequence"),
        (dict(q_lang=np.array([9])), "`q_lang`"),
        (dict(c_emb=np.zeros((60, 5), np.float32)), "dimension"),
        (dict(rel_cand=np.array([10_000])), "`rel_cand`"),
        (dict(q_emb=np.full((1, 8), np.nan, np.float32)), "NaN"),
        (dict(q_group=np.array([0.5])), "integer"),
    ],
)
def test_bad_input_names_the_argument(change: dict[str, object], message: str) -> None:
    data = random_dataset(0)
    if "q_lang" in change or "q_emb" in change or "q_group" in change:  # a one-query dataset
        data.update(q_emb=data["q_emb"][:1], q_lang=data["q_lang"][:1], q_group=data["q_group"][:1])
    if "rel_cand" in change:
        data["rel_group"] = np.array([0])
    data.update(change)
    with pytest.raises(ValueError, match=message):
        evaluate_embeddings(**data)
