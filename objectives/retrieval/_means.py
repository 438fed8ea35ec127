"""The evaluation settings as aggregations of per-query values into cells.

The multilingual candidate pool and mAP are LAReQA's (Roy et al. 2020, "LAReQA:
Language-agnostic answer retrieval from a multilingual pool", arXiv:2004.05484);
the three settings are those of the hybrid-batch-training paper (arXiv:2408.10536:
monolingual, cross-lingual, multilingual retrieval on XQuAD-R); the exact rules
are docs/design.md, "Metrics" and "Cells and language bias":

- **Mo.** (same language): queries :math:`Q_X` against pool :math:`C_X`; one value
  per language, macro mean over languages. Cell ``(X, X)``.
- **Cr.** (cross-language): :math:`Q_X` against :math:`C_Y` for every ordered pair
  :math:`X \\ne Y`; macro mean over pairs. Cell ``(X, Y)``.
- **Mul.** (pooled): :math:`Q_X` against :math:`\\bigcup_Y C_Y` with every language's
  answer relevant; one value per query language, macro mean over languages.

A cell is the mean over its *evaluable* queries (those with at least one relevant
candidate in the cell's pool); the others are skipped, not counted as 0. A cell with
no evaluable query is NaN and is left out of every macro mean.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

__all__ = ["cell_means", "cr_macro", "language_means", "macro_mean", "mo_macro"]


def language_means(
    values: NDArray[np.float64], q_lang: NDArray[np.integer], n_languages: int
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    r"""Mean of a per-query value per query language, NaN values skipped.

    .. math::

        v_X = \frac{1}{|E_X|} \sum_{q \in E_X} v_q, \qquad
        E_X = \{q \in Q_X : v_q \ne \mathrm{NaN}\}

    Args:
        values: ``[nq]`` per-query values, NaN for a skipped query.
        q_lang: ``[nq]`` query language index in ``[0, L)``.
        n_languages: ``L``.

    Returns:
        ``(means, counts)``: ``[L]`` float64 means (NaN where :math:`E_X` is empty)
        and ``[L]`` int64 :math:`|E_X|`.
    """
    v = np.asarray(values, dtype=np.float64)
    ok = ~np.isnan(v)
    lang = np.asarray(q_lang)[ok]
    counts = np.bincount(lang, minlength=n_languages).astype(np.int64)
    sums = np.bincount(lang, weights=v[ok], minlength=n_languages)
    means = np.full(n_languages, np.nan)
    np.divide(sums, counts, out=means, where=counts > 0)
    return means, counts


def cell_means(
    values: NDArray[np.float64], q_lang: NDArray[np.integer], n_languages: int
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """The L x L cell matrix of a per-query, per-candidate-language value.

    Cell ``(X, Y)`` is the mean of ``values[q, Y]`` over the queries ``q`` of
    language ``X`` whose value is not NaN: the diagonal is Mo., the off-diagonal
    cells are the Cr. pairs.

    Args:
        values: ``[nq, L]``: the value of each query against each candidate
            language's pool, NaN where the query has no answer in that pool.
        q_lang: ``[nq]`` query language index.
        n_languages: ``L``.

    Returns:
        ``(means, counts)``, both ``[L, L]`` (rows: query language, columns:
        candidate language); means NaN where the count is 0.
    """
    v = np.asarray(values, dtype=np.float64)
    means = np.full((n_languages, n_languages), np.nan)
    counts = np.zeros((n_languages, n_languages), dtype=np.int64)
    for y in range(n_languages):
        means[:, y], counts[:, y] = language_means(v[:, y], q_lang, n_languages)
    return means, counts


def macro_mean(values: NDArray[np.float64]) -> float:
    """Unweighted mean of the non-NaN entries; NaN when there is none."""
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[~np.isnan(v)]
    return float(v.mean()) if v.size else math.nan


def mo_macro(cells: NDArray[np.float64]) -> float:
    r"""Mo. macro mean: :math:`\frac{1}{|L'|}\sum_X \mathrm{cell}(X, X)` over non-NaN cells."""
    return macro_mean(np.diagonal(cells))


def cr_macro(cells: NDArray[np.float64]) -> float:
    r"""Cr. macro mean over the ordered pairs :math:`X \ne Y` with a non-NaN cell."""
    arr = np.asarray(cells, dtype=np.float64)
    return macro_mean(arr[~np.eye(arr.shape[0], dtype=bool)])
