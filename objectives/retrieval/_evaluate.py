"""``evaluate_embeddings``: every LAReQA setting and cell from precomputed embeddings.

Data flow: candidates grouped by language -> one score tile per
:data:`~objectives.retrieval._scores.SCORE_TILE` queries of one query language ->
exact ranks of the relevant candidates by counting (:mod:`._ranks`) -> per-query
AP / P@k / R@k / bias (one module each) -> cells and macro means (:mod:`._means`).
Memory is bounded by ``max(block_size, SCORE_TILE) x nc`` float32 scores plus
``O(nq x m)`` ranks (``m`` = most relevant candidates of any question); no
``nq x nc`` matrix is ever formed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from objectives.retrieval._average_precision import average_precision
from objectives.retrieval._common import check_k
from objectives.retrieval._language_bias import language_bias
from objectives.retrieval._means import cell_means, language_means
from objectives.retrieval._precision import precision_at_k
from objectives.retrieval._ranks import outrank_counts, relevant_ranks
from objectives.retrieval._recall import recall_at_k
from objectives.retrieval._result import EvalResult
from objectives.retrieval._scores import SCORE_TILE, score_tile
from objectives.retrieval._truncated import EXACT_RANKING_MAX_CANDIDATES, MAP_DEPTH, truncated_ranks

__all__ = ["MUL_RECALL_K", "evaluate_embeddings"]

#: Cut-off of the stored Mul. recall (docs/design.md, "Metrics": "also R@10").
MUL_RECALL_K = 10


def evaluate_embeddings(
    q_emb: ArrayLike,
    q_lang: ArrayLike,
    q_group: ArrayLike,
    c_emb: ArrayLike,
    c_lang: ArrayLike,
    rel_group: ArrayLike,
    rel_cand: ArrayLike,
    languages: Sequence[str],
    k: int = 1,
    block_size: int = 1024,
    exact_up_to: int = EXACT_RANKING_MAX_CANDIDATES,
) -> EvalResult:
    """Compute Mo., Cr., Mul. metrics, every cell and the language bias.

    A query ``(g, X)``'s relevant candidates in a pool ``P`` are the ``c`` in ``P``
    with ``(g, c)`` among the relevance pairs. Ranking: score (inner product of
    float32 vectors; cosine for L2-normalised ones) descending, ties by candidate
    index ascending. AP over the full ranking, P@k, R@k per query and pool; a query
    with no relevant candidate in a pool is skipped there (docs/design.md, "Metrics",
    "Partial coverage", "Cells and language bias"; LAReQA, Roy et al. 2020, arXiv:2004.05484):

    - cell ``(X, Y)``: queries of language X against the candidates of language Y
      (``X == Y``: Mo., else Cr.); mAP, P@k, R@k, query count;
    - Mul.: queries of X against all candidates, every language's answer relevant;
      mAP and R@10 per query language;
    - language bias: per query with answers in >= 2 languages, max - min over
      languages of the best pooled rank of that language's answers.

    Args:
        q_emb: ``[nq, d]`` query embeddings, one row per (question, language).
        q_lang: ``[nq]`` query language, index into ``languages``.
        q_group: ``[nq]`` question id (the same for a question in every language).
        c_emb: ``[nc, d]`` embeddings of the whole candidate pool.
        c_lang: ``[nc]`` candidate language, index into ``languages``.
        rel_group: ``[nr]`` question id of each relevance pair.
        rel_cand: ``[nr]`` candidate index of each relevance pair (duplicates ignored).
        languages: language codes; their order is the axis order of the result.
        k: cut-off of the P@k / R@k cells.
        block_size: queries scored at once (memory knob; rounded down to a multiple
            of ``SCORE_TILE``, at least one tile). Results do not depend on it.
        exact_up_to: largest pool ranked in full. A larger pool is ranked from faiss
            top-:data:`~objectives.retrieval.MAP_DEPTH` lists (``k`` long where ``k`` is
            larger; :mod:`._truncated`): P@k, R@k and R@10 stay exact, mAP is cut at
            the lists' length and the result's ``map_depth`` says so.

    Returns:
        An :class:`~objectives.retrieval.EvalResult`.

    Raises:
        ValueError: shapes, indices or values that do not fit together.
    """
    langs = _check_languages(languages)
    n_lang = len(langs)
    k = check_k(k)
    if isinstance(block_size, bool) or not isinstance(block_size, (int, np.integer)) or block_size < 1:
        raise ValueError(f"`block_size` must be an integer >= 1, got {block_size!r}")
    q = _embeddings("q_emb", q_emb)
    c = _embeddings("c_emb", c_emb)
    if q.shape[1] != c.shape[1]:
        raise ValueError(f"`q_emb` and `c_emb` must have the same dimension, got {q.shape[1]} and {c.shape[1]}")
    nq, nc = q.shape[0], c.shape[0]
    ql = _indices("q_lang", q_lang, nq, n_lang)
    qg = _integers("q_group", q_group, nq)
    cl = _indices("c_lang", c_lang, nc, n_lang)
    rg = _integers("rel_group", rel_group, None)
    rc = _indices("rel_cand", rel_cand, rg.shape[0], nc)

    # Candidates grouped by language, index order kept inside each language.
    perm = np.argsort(cl, kind="stable")
    lang_bounds = np.searchsorted(cl[perm], np.arange(n_lang + 1))
    col_of = np.empty(nc, dtype=np.intp)
    col_of[perm] = np.arange(nc)

    slots = _relevant_slots(qg, rg, rc, cl)
    slot_lang = np.where(slots >= 0, cl[np.maximum(slots, 0)], -1)
    if nc > exact_up_to:
        # Lists at least k long: a candidate below the cut must never count as a P@k/R@k hit.
        depth = max(MAP_DEPTH, k)
        own, pooled = truncated_ranks(q, c, slots, cl, n_lang, depth)
        return _aggregate(langs, k, ql, own, pooled, slot_lang, depth)
    # Only the exact path scores from the transposed copy (1.5 GiB at 1 M candidates).
    c_t = np.ascontiguousarray(c[perm].T)
    own = np.zeros(slots.shape, dtype=np.int64)
    pooled = np.zeros(slots.shape, dtype=np.int64)
    evaluable = (slots >= 0).any(axis=1)
    tiles_per_block = max(1, int(block_size) // SCORE_TILE)
    buffer: NDArray[np.float32] | None = None
    for x in range(n_lang):
        queries = np.flatnonzero((ql == x) & evaluable)
        # The tile grid depends on the queries only, never on block_size (see _scores).
        tiles = [queries[i : i + SCORE_TILE] for i in range(0, queries.size, SCORE_TILE)]
        for first in range(0, len(tiles), tiles_per_block):
            block = tiles[first : first + tiles_per_block]
            rows = np.concatenate(block)
            if buffer is None:
                buffer = np.empty((min(tiles_per_block * SCORE_TILE, max(nq, 1)), nc), dtype=np.float32)
            scores = buffer[: rows.size]
            offset = 0
            for tile in block:
                score_tile(q[tile], c_t, scores[offset : offset + tile.size])
                offset += tile.size
            rel_cols = np.where(slots[rows] >= 0, col_of[np.maximum(slots[rows], 0)], -1)
            counts = outrank_counts(scores, rel_cols, perm, lang_bounds)
            own[rows], pooled[rows] = relevant_ranks(counts, slot_lang[rows])

    return _aggregate(langs, k, ql, own, pooled, slot_lang)


def _aggregate(
    langs: tuple[str, ...],
    k: int,
    q_lang: NDArray[np.intp],
    own: NDArray[np.int64],
    pooled: NDArray[np.int64],
    slot_lang: NDArray[np.intp],
    map_depth: int | None = None,
) -> EvalResult:
    """Per-query metrics from the ranks, then cells and per-language means."""
    n_lang, nq = len(langs), own.shape[0]
    ap = np.full((nq, n_lang), np.nan)
    p_k = np.full((nq, n_lang), np.nan)
    r_k = np.full((nq, n_lang), np.nan)
    for y in range(n_lang):
        ranks_y = np.where(slot_lang == y, own, 0)  # ranks within C_y
        ap[:, y] = average_precision(ranks_y, map_depth)
        p_k[:, y] = precision_at_k(ranks_y, k)
        r_k[:, y] = recall_at_k(ranks_y, k)
    map_cells, n_cells = cell_means(ap, q_lang, n_lang)
    p_cells, _ = cell_means(p_k, q_lang, n_lang)
    r_cells, _ = cell_means(r_k, q_lang, n_lang)

    mul_map, mul_n = language_means(average_precision(pooled, map_depth), q_lang, n_lang)
    mul_r10, _ = language_means(recall_at_k(pooled, MUL_RECALL_K), q_lang, n_lang)

    bias = language_bias(pooled, slot_lang, n_lang)
    bias_lang, bias_n = language_means(bias, q_lang, n_lang)
    counted = bias[~np.isnan(bias)]
    return EvalResult(
        languages=langs,
        k=k,
        map_cells=map_cells,
        p_at_k_cells=p_cells,
        r_at_k_cells=r_cells,
        n_queries_cells=n_cells,
        mul_map_per_lang=mul_map,
        mul_r_at_10_per_lang=mul_r10,
        mul_n_queries=mul_n,
        language_bias_per_lang=bias_lang,
        language_bias_n_queries=bias_n,
        language_bias=float(counted.mean()) if counted.size else math.nan,
        map_depth=map_depth,
    )


def _relevant_slots(
    q_group: NDArray[np.int64], rel_group: NDArray[np.int64], rel_cand: NDArray[np.intp], c_lang: NDArray[np.intp]
) -> NDArray[np.intp]:
    """``[nq, m]`` candidate indices relevant to each query, ``-1``-padded.

    Each row lists the deduplicated candidates paired with the query's group,
    sorted by (candidate language, candidate index); ``m`` is the longest list.
    """
    nq = q_group.shape[0]
    if rel_group.size == 0 or nq == 0:
        return np.full((nq, 0), -1, dtype=np.intp)
    pairs = np.unique(np.stack([rel_group, rel_cand.astype(np.int64)], axis=1), axis=0)
    pairs = pairs[np.lexsort((pairs[:, 1], c_lang[pairs[:, 1]], pairs[:, 0]))]
    groups, starts, sizes = np.unique(pairs[:, 0], return_index=True, return_counts=True)
    pos = np.minimum(np.searchsorted(groups, q_group), groups.size - 1)
    n_rel = np.where(groups[pos] == q_group, sizes[pos], 0)
    m = int(n_rel.max())
    j = np.arange(m)
    filled = j < n_rel[:, None]
    take = np.where(filled, starts[pos][:, None] + j, 0)
    return np.where(filled, pairs[take, 1], -1).astype(np.intp)


def _check_languages(languages: Sequence[str]) -> tuple[str, ...]:
    if isinstance(languages, str):
        raise ValueError("`languages` must be a sequence of language codes, not one string")
    langs = tuple(str(x) for x in languages)
    if not langs:
        raise ValueError("`languages` must name at least one language")
    if len(set(langs)) != len(langs):
        raise ValueError(f"`languages` has duplicates: {langs}")
    return langs


def _embeddings(name: str, value: ArrayLike) -> NDArray[np.float32]:
    arr = np.ascontiguousarray(value, dtype=np.float32)
    if arr.ndim != 2:
        raise ValueError(f"`{name}` must be 2-D [n, d], got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"`{name}` holds NaN or infinite values")
    return arr


def _integers(name: str, value: ArrayLike, length: int | None) -> NDArray[np.int64]:
    arr = np.asarray(value)
    if arr.size == 0:
        arr = arr.astype(np.int64)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"`{name}` must be a 1-D integer array, got {arr.dtype} {arr.shape}")
    if length is not None and arr.shape[0] != length:
        raise ValueError(f"`{name}` must have length {length}, got {arr.shape[0]}")
    return arr.astype(np.int64, copy=False)


def _indices(name: str, value: ArrayLike, length: int, upper: int) -> NDArray[np.intp]:
    arr = _integers(name, value, length)
    if arr.size and (arr.min() < 0 or arr.max() >= upper):
        raise ValueError(f"`{name}` values must lie in [0, {upper}), got [{arr.min()}, {arr.max()}]")
    return arr.astype(np.intp, copy=False)
