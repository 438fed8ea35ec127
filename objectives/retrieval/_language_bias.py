"""Language bias in the pooled (Mul.) ranking."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from objectives.retrieval._common import check_ranks

__all__ = ["language_bias"]


def language_bias(
    ranks: NDArray[np.integer], rank_lang: NDArray[np.integer], n_languages: int
) -> NDArray[np.float64]:
    r"""Spread of a query's answer ranks across languages in the pooled ranking.

    For each language :math:`Y` holding at least one of the query's relevant
    candidates, take :math:`b_Y`, the best (smallest) pooled rank among them — a
    language with several answers is represented by its best-ranked one. Then

    .. math::

        \mathrm{bias} = \max_Y b_Y - \min_Y b_Y ,

    in rank positions: small when the answers of all languages sit together,
    large when the model prefers some languages' answers over others. LAReQA
    (Roy et al. 2020, arXiv:2004.05484) asks for language-agnostic retrieval,
    where every language's answer outranks every non-answer, and arXiv:2408.10536
    reports language bias in the multilingual setting; this rank-spread measure
    is the project's own definition (docs/design.md, "Metrics" and "Cells and language bias"). Only
    queries with answers in at least two languages have a bias; others NaN.

    Args:
        ranks: ``[n, m]`` 1-based pooled ranks of relevant candidates, 0 = empty.
        rank_lang: ``[n, m]`` language index of each slot's candidate (ignored for
            empty slots).
        n_languages: number of languages ``L``; ``rank_lang`` values lie in ``[0, L)``.

    Returns:
        ``[n]`` float64 bias per query, NaN where fewer than two languages answer.
    """
    r = check_ranks(ranks)
    lang = np.asarray(rank_lang)
    if lang.shape != r.shape:
        raise ValueError(f"`rank_lang` shape {lang.shape} differs from `ranks` shape {r.shape}")
    best = np.full((r.shape[0], n_languages), np.inf)
    for y in range(n_languages):
        in_y = (r > 0) & (lang == y)
        best[:, y] = np.where(in_y, r, np.inf).min(axis=1, initial=np.inf)
    present = np.isfinite(best)
    top = np.where(present, best, -np.inf).max(axis=1, initial=-np.inf)
    bottom = best.min(axis=1, initial=np.inf)
    return np.where(present.sum(axis=1) >= 2, top - bottom, np.nan)
