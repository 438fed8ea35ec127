"""Precision at a cut-off k."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from objectives.retrieval._common import check_k, check_ranks, hits_at_k, n_relevant

__all__ = ["precision_at_k"]


def precision_at_k(ranks: NDArray[np.integer], k: int) -> NDArray[np.float64]:
    r"""P@k of each query from the ranks of its relevant candidates.

    .. math::

        \mathrm{P@}k = \frac{|R \cap \mathrm{top}_k|}{k}

    always divided by ``k`` (as trec_eval's ``P_k``, even when the pool or
    :math:`|R|` is smaller than ``k``). Objective 1 of the study is its macro mean
    in LAReQA's same-language setting Mo. (``same_lang_p@k``, docs/design.md, "Metrics";
    settings from Roy et al. 2020, arXiv:2004.05484). A query without relevant
    candidate in the pool is skipped: NaN.

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
    out = hits_at_k(r, k) / float(k)
    return np.where(n_relevant(r) > 0, out, np.nan)
