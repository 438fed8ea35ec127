"""Shared helpers of the rank-based metrics: the padded rank layout."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["check_k", "check_ranks", "hits_at_k", "n_relevant"]


def check_ranks(ranks: NDArray[np.integer]) -> NDArray[np.int64]:
    """Validate the padded rank layout every metric takes and return it as int64.

    Layout: ``[n, m]`` integers, one row per query, one column per relevant slot;
    a positive value is the 1-based rank of a relevant candidate in the pool, ``0``
    marks an empty slot. Ranks within a row are distinct (a strict order).

    Raises:
        ValueError: ``ranks`` is not 2-D integer or holds negative values.
    """
    arr = np.asarray(ranks)
    if arr.ndim != 2 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"`ranks` must be a 2-D integer array [queries, slots], got {arr.dtype} {arr.shape}")
    if arr.size and arr.min() < 0:
        raise ValueError("`ranks` must be >= 0 (1-based ranks, 0 for an empty slot)")
    return arr.astype(np.int64, copy=False)


def n_relevant(ranks: NDArray[np.int64]) -> NDArray[np.int64]:
    """:math:`|R|` per row: the number of filled slots."""
    return np.count_nonzero(ranks > 0, axis=1).astype(np.int64)


def hits_at_k(ranks: NDArray[np.int64], k: int) -> NDArray[np.int64]:
    """:math:`|R \\cap \\mathrm{top}_k|` per row."""
    return np.count_nonzero((ranks > 0) & (ranks <= k), axis=1).astype(np.int64)


def check_k(k: int) -> int:
    """``k`` as an int >= 1.

    Raises:
        ValueError: ``k`` is not an integer >= 1.
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"`k` must be an integer >= 1, got {k!r}")
    return int(k)
