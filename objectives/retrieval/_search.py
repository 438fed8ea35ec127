"""Exact top-k search with faiss, ties in candidate-index order."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["flat_ip_index", "search", "search_index"]


def search(
    q_emb: NDArray[np.floating], c_emb: NDArray[np.floating], k: int
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """The ``k`` best candidates of every query, exact (``faiss.IndexFlatIP``).

    Candidates are ordered by inner product descending (cosine similarity for
    L2-normalised vectors), ties by candidate index ascending — the ranking rule
    of docs/design.md, "Ranking and ties". faiss itself returns tied candidates in no guaranteed
    order and may cut a tie group at position ``k``; so each row is fetched with a
    margin, widened until the tie group at position ``k`` is complete, and then
    re-ordered by ``(-score, index)``.

    The scores are faiss's (its own BLAS/SIMD kernels). Up to 100,000 candidates
    :func:`objectives.retrieval.evaluate_embeddings` counts ranks over score rows of
    its own; above that it ranks from these lists alone (:mod:`._truncated`), so one
    evaluation never mixes the two sources.

    Args:
        q_emb: ``[nq, d]`` query embeddings (cast to float32).
        c_emb: ``[nc, d]`` candidate embeddings (cast to float32).
        k: number of results per query, ``>= 1``; at most ``nc`` are returned.

    Returns:
        ``(scores, ids)``: ``[nq, min(k, nc)]`` float32 scores and int64 candidate
        indices, best first.

    Raises:
        ValueError: ``k < 1`` or shapes that do not match.
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"`k` must be an integer >= 1, got {k!r}")
    q = np.ascontiguousarray(q_emb, dtype=np.float32)
    c = np.ascontiguousarray(c_emb, dtype=np.float32)
    if q.ndim != 2 or c.ndim != 2 or q.shape[1] != c.shape[1]:
        raise ValueError(f"`q_emb` [nq, d] and `c_emb` [nc, d] must share d, got {q.shape} and {c.shape}")
    if q.shape[0] == 0 or c.shape[0] == 0:
        kk = min(int(k), c.shape[0])
        return np.empty((q.shape[0], kk), dtype=np.float32), np.empty((q.shape[0], kk), dtype=np.int64)
    return search_index(flat_ip_index(c), q, int(k), c.shape[0])


def flat_ip_index(c: NDArray[np.float32]) -> Any:
    """An exact inner-product ``faiss.IndexFlatIP`` holding the rows of ``c`` (float32, C-contiguous)."""
    import faiss  # imported here: the exact metrics never need it, so a GPU box without faiss-cpu still runs trials

    index = faiss.IndexFlatIP(c.shape[1])
    index.add(np.ascontiguousarray(c, dtype=np.float32))
    return index


def search_index(index: Any, q: NDArray[np.float32], k: int, nc: int) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """:func:`search` against a built index of ``nc`` candidates (``k >= 1`` and ``nc >= 1`` checked by the caller)."""
    q = np.ascontiguousarray(q, dtype=np.float32)
    nq = q.shape[0]
    kk = min(k, nc)
    scores = np.empty((nq, kk), dtype=np.float32)
    ids = np.empty((nq, kk), dtype=np.int64)
    pending = np.arange(nq)
    fetch = min(nc, 2 * kk + 8)
    while pending.size:
        dist, found = index.search(q[pending], fetch)
        # Everything not returned scores <= the last returned score; if that is
        # below the k-th score, the tie group at position k is complete.
        complete = (dist[:, -1] < dist[:, kk - 1]) | (fetch == nc)
        rows = pending[complete]
        order = np.lexsort((found[complete], -dist[complete]), axis=-1)[:, :kk]
        scores[rows] = np.take_along_axis(dist[complete], order, axis=1)
        ids[rows] = np.take_along_axis(found[complete], order, axis=1)
        pending = pending[~complete]
        fetch = min(nc, 2 * fetch)
    return scores, ids
