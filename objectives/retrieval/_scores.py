"""Float32 inner-product score tiles, computed so that a score never depends on batching.

BLAS rounds the same dot product differently depending on the shape of the call
(a one-row product goes through ``gemv``, small products through dedicated
small-matrix kernels, a difference of an ulp or two).
A rank is a comparison of one score row against itself, so each row must come from a
single call; and for the metrics to be independent of ``block_size`` the call that
produces a row must not depend on it either. Hence queries are scored in *tiles*
aligned to a fixed grid (:data:`SCORE_TILE` consecutive queries of one query
language), one ``matmul`` per tile, whatever the block size.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["SCORE_TILE", "score_tile"]

#: Queries per scoring call. Part of the numerical definition of a score (see the
#: module docstring): changing it may move a score by an ulp and so reorder ties.
SCORE_TILE = 128


def score_tile(q_tile: NDArray[np.float32], c_t: NDArray[np.float32], out: NDArray[np.float32]) -> None:
    """Write the inner products of a query tile with every candidate into ``out``.

    ``out[i, j] = <q_i, c_j>`` in float32 (cosine similarity for L2-normalised
    vectors), one BLAS call for the whole tile.

    Args:
        q_tile: ``[t, d]`` float32 query embeddings, ``t <= SCORE_TILE``.
        c_t: ``[d, nc]`` float32, the candidate matrix transposed (C-contiguous).
        out: ``[t, nc]`` float32 buffer to fill.
    """
    np.matmul(q_tile, c_t, out=out)
