"""Average precision over the full ranking (TREC ``map``; LAReQA's mAP)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from objectives.retrieval._common import check_ranks, n_relevant

__all__ = ["average_precision"]


def average_precision(ranks: NDArray[np.integer], depth: int | None = None) -> NDArray[np.float64]:
    r"""Average precision of each query from the ranks of its relevant candidates.

    With the relevant candidates :math:`R` of a query sorted by rank,
    :math:`\mathrm{rank}_1 < \dots < \mathrm{rank}_{|R|}`,

    .. math::

        \mathrm{AP} = \frac{1}{|R|} \sum_{i=1}^{|R|} \frac{i}{\mathrm{rank}_i},

    i.e. the mean of the precision at each relevant item's position, computed over
    the full ranking of the pool (no cut-off) — TREC-style AP (trec_eval ``map``),
    the metric LAReQA reports (Roy et al. 2020, arXiv:2004.05484). A query
    without relevant candidate in the pool has no AP: NaN, skipped by the means.

    With ``depth``, the ranking is a run cut at ``depth`` as trec_eval reads one: a
    relevant candidate ranked below it adds 0 to the sum but still counts in
    :math:`|R|` (trec_eval ``map`` over a ``depth``-long run).

    Args:
        ranks: ``[n, m]`` 1-based ranks of each query's relevant candidates, 0 for
            an empty slot (see :func:`objectives.retrieval._common.check_ranks`).
        depth: cut-off of the run, or ``None`` for the full ranking.

    Returns:
        ``[n]`` float64 AP per query, NaN where the query has no relevant candidate.
    """
    r = check_ranks(ranks)
    n, m = r.shape
    n_rel = n_relevant(r)
    big = np.iinfo(np.int64).max
    ordered = np.sort(np.where(r > 0, r, big), axis=1)
    position = np.arange(1, m + 1, dtype=np.float64)
    limit = big if depth is None else int(depth) + 1
    terms = np.where(ordered < limit, position / ordered, 0.0)
    out = np.full(n, np.nan)
    np.divide(terms.sum(axis=1), n_rel, out=out, where=n_rel > 0)
    return out
