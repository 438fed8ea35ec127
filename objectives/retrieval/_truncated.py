"""Ranks of relevant candidates from faiss top-``depth`` lists, for pools too large to rank in full.

The exact path (:mod:`._ranks`) compares every relevant candidate with every score of
its query's row: cheap up to about 100,000 candidates, then 5.7x slower than faiss and
5.6 GiB of score blocks at 1 M (benchmarks/README.md, section 14). Above
:data:`EXACT_RANKING_MAX_CANDIDATES` the evaluation instead takes each query's top
:data:`MAP_DEPTH` candidates from an exact ``faiss.IndexFlatIP`` (ties in candidate-index
order, :func:`objectives.retrieval.search`), once per candidate language (Mo./Cr. cells)
and once over the pooled candidates (Mul.). A relevant candidate inside the list gets its
exact rank; one below the cut gets ``depth + 1``, a placeholder that counts it in
:math:`|R|` but never as a hit. P@k and R@k (``k <= depth``) are then exact, mAP becomes
trec_eval's ``map`` over a ``depth``-long run (relevant items below the cut add 0), and the
language bias is a lower bound where an answer falls below the cut.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from objectives.retrieval._search import flat_ip_index, search_index

__all__ = ["EXACT_RANKING_MAX_CANDIDATES", "MAP_DEPTH", "map_kind", "truncated_ranks"]

#: Largest pool ranked in full; above it mAP is cut at :data:`MAP_DEPTH` (benchmarks/README.md, section 14).
EXACT_RANKING_MAX_CANDIDATES = 100_000
#: Depth of the faiss lists above :data:`EXACT_RANKING_MAX_CANDIDATES`: trec_eval's default run length.
MAP_DEPTH = 1000
# Queries searched at once: ids, scores and the [rows, m, depth] match mask stay ~100 MB.
_QUERY_BLOCK = 1024


def map_kind(map_depth: int | None) -> str:
    """One line saying which mAP an evaluation reports, from its result's ``map_depth``."""
    if map_depth is None:
        return "mAP: exact, over the full ranking"
    return (f"mAP: mAP@{map_depth} from faiss top-{map_depth} lists "
            f"(the pool is above the {EXACT_RANKING_MAX_CANDIDATES:,} candidates ranked in full)")


def truncated_ranks(
    q: NDArray[np.float32],
    c: NDArray[np.float32],
    slots: NDArray[np.intp],
    c_lang: NDArray[np.intp],
    n_languages: int,
    depth: int = MAP_DEPTH,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Own-language and pooled ranks of every relevant slot, cut at ``depth``.

    Args:
        q: ``[nq, d]`` float32 query embeddings.
        c: ``[nc, d]`` float32 candidate embeddings.
        slots: ``[nq, m]`` candidate index of each relevant slot, ``-1`` for empty.
        c_lang: ``[nc]`` language index of every candidate.
        n_languages: number of languages ``L``.
        depth: length of each faiss list, ``>= 1``.

    Returns:
        ``(own, pooled)`` in the layout of :func:`objectives.retrieval.relevant_ranks`:
        ``[nq, m]`` int64, 1-based, 0 for empty slots, ``depth + 1`` below the cut.
        ``own`` is the rank within the pool of the slot's own candidate language.
    """
    filled = slots >= 0
    slot_lang = np.where(filled, c_lang[np.maximum(slots, 0)], -1)
    own = np.zeros(slots.shape, dtype=np.int64)
    pooled = np.zeros(slots.shape, dtype=np.int64)
    evaluable = np.flatnonzero(filled.any(axis=1))
    pooled[evaluable] = _ranks_in_pool(q[evaluable], c, np.arange(c.shape[0]), slots[evaluable], filled[evaluable], depth)
    for y in range(n_languages):
        in_y = slot_lang == y
        rows = np.flatnonzero(in_y.any(axis=1))
        if rows.size == 0:
            continue
        members = np.flatnonzero(c_lang == y)  # ascending: faiss's index-order ties stay global-index order
        ranks = _ranks_in_pool(q[rows], c[members], members, slots[rows], in_y[rows], depth)
        own[rows] = np.where(in_y[rows], ranks, own[rows])
    return own, pooled


def _ranks_in_pool(
    q: NDArray[np.float32],
    pool: NDArray[np.float32],
    members: NDArray[np.intp],
    slots: NDArray[np.intp],
    wanted: NDArray[np.bool_],
    depth: int,
) -> NDArray[np.int64]:
    """Rank of each wanted slot among ``pool`` (global indices ``members``), ``depth + 1`` below the cut."""
    out = np.zeros(slots.shape, dtype=np.int64)
    index = flat_ip_index(pool)
    for start in range(0, q.shape[0], _QUERY_BLOCK):
        block = slice(start, start + _QUERY_BLOCK)
        _, ids = search_index(index, q[block], depth, pool.shape[0])
        found = members[ids]  # [b, depth] global candidate indices, best first
        match = found[:, None, :] == slots[block][:, :, None]  # [b, m, depth]
        hit = match.any(axis=2)
        rank = np.where(hit, match.argmax(axis=2) + 1, depth + 1)
        out[block] = np.where(wanted[block], rank, 0)
    return out
