"""Recall at a cut-off k."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from objectives.retrieval._common import check_k, check_ranks, hits_at_k, n_relevant

__all__ = ["recall_at_k"]


def recall_at_k(ranks: NDArray[np.integer], k: int) -> NDArray[np.float64]:
    r"""R@k of each query from the ranks of its relevant candidates.

    .. math::

        \mathrm{R@}k = \frac{|R \cap \mathrm{top}_k|}{|R|}

    (trec_eval ``recall_k``); :math:`|R|` counts the relevant candidates *in the
    pool*. With one relevant candidate per query, R@1 = P@1. The study stores R@k
    per cell and R@10 in LAReQA's pooled setting Mul. (docs/design.md, "Metrics"; Roy et
    al. 2020, arXiv:2004.05484), where every language's answer is relevant. A
    query without relevant candidate in the pool is skipped: NaN.

    Args:
        ranks: ``[n, m]`` 1-based ranks of relevant candidates, 0 for empty slots.
        k: cut-off, ``>= 1``.

    Returns:
        ``[n]`` float64, NaN where the query has no relevant candidate.

    Raises:
        ValueError: ``k < 1`` or malformed ``ranks``.
    """
    k = check_k(k)
    r = check_ranks(ranks)
    n_rel = n_relevant(r)
    out = np.full(r.shape[0], np.nan)
    np.divide(hits_at_k(r, k), n_rel, out=out, where=n_rel > 0)
    return out
