"""Exact top-k search with faiss, ties in candidate-index order."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["search"]


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

    The scores are faiss's (its own BLAS/SIMD kernels); the metrics of
    :func:`objectives.retrieval.evaluate_embeddings` count ranks over score rows of
    their own and never mix the two sources.

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
    nq, nc = q.shape[0], c.shape[0]
    kk = min(int(k), nc)
    scores = np.empty((nq, kk), dtype=np.float32)
    ids = np.empty((nq, kk), dtype=np.int64)
    if nq == 0 or kk == 0:
        return scores, ids
    import faiss  # imported here: the metrics never need it, so a GPU box without faiss-cpu still runs trials

    index = faiss.IndexFlatIP(c.shape[1])
    index.add(c)
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
