"""Exact ranks of relevant candidates, counted over full score rows (no sort).

Ranking rule (docs/design.md, "Ranking and ties"): candidates are ordered by score descending, ties
broken by global candidate index ascending. Candidate ``c`` therefore *outranks*
relevant candidate ``r`` iff

.. math::

    s_c > s_r \\;\\lor\\; (s_c = s_r \\land \\mathrm{idx}_c < \\mathrm{idx}_r),

and the rank of ``r`` in a pool :math:`P` is
:math:`1 + |\\{c \\in P : c \\text{ outranks } r\\}|`. Counting instead of sorting costs
one comparison pass per relevant item over the row, and a pool that is a subset of
the candidates (one language, or all of them) is just a subset of the count.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["outrank_counts", "relevant_ranks"]

# Rows compared at once: a [rows, nc] boolean mask plus its float32 rows stay in cache.
_ROW_CHUNK = 32


def outrank_counts(
    scores: NDArray[np.float32],
    rel_cols: NDArray[np.intp],
    col_index: NDArray[np.intp],
    lang_bounds: NDArray[np.intp],
) -> NDArray[np.int64]:
    """Per-language counts of the candidates that outrank each relevant candidate.

    The columns of ``scores`` are grouped by candidate language: language ``l``
    occupies columns ``lang_bounds[l]:lang_bounds[l + 1]``. Within that layout
    ``col_index`` gives each column's global candidate index, which breaks ties.

    Args:
        scores: ``[b, nc]`` float32 score rows (one consistent computation per row).
        rel_cols: ``[b, m]`` column of each query's relevant candidates, ``-1`` for
            an empty slot.
        col_index: ``[nc]`` global candidate index of every column.
        lang_bounds: ``[L + 1]`` non-decreasing column offsets of the languages.

    Returns:
        ``[b, m, L]`` int64: entry ``[i, j, l]`` is the number of candidates of
        language ``l`` that outrank relevant slot ``j`` of row ``i`` (0 for an
        empty slot). The rank of the slot in language ``l``'s pool is that count
        plus one when the slot's candidate is of language ``l``; in the pooled
        (all-language) ranking it is the sum over ``l`` plus one.
    """
    b, nc = scores.shape
    m = rel_cols.shape[1]
    n_lang = len(lang_bounds) - 1
    counts = np.zeros((b, m, n_lang), dtype=np.int64)
    if b == 0 or m == 0 or nc == 0:
        return counts
    widths = np.diff(lang_bounds)
    present = np.flatnonzero(widths > 0)  # reduceat needs non-empty segments
    starts = np.asarray(lang_bounds[:-1])[present]
    # Summing bytes into uint16 is faster than count_nonzero(axis=1) (benchmarks/metrics_time.py).
    count_dtype = np.uint16 if widths.max() < 2**16 else np.int64
    col_lang = np.repeat(np.arange(n_lang), widths)
    for start in range(0, b, _ROW_CHUNK):
        s = scores[start : start + _ROW_CHUNK]
        cols = rel_cols[start : start + _ROW_CHUNK]
        rows = np.arange(s.shape[0])
        block = counts[start : start + rows.size]
        for slot in range(m):
            col = cols[:, slot]
            filled = col >= 0
            if not filled.any():
                continue
            # An empty slot compares against +inf: nothing is above it, nothing equal.
            target = np.where(filled, s[rows, np.maximum(col, 0)], np.float32(np.inf))[:, None]
            above = s > target
            block[:, slot, present] = np.add.reduceat(above.view(np.uint8), starts, axis=1, dtype=count_dtype)
            # Ties: equal scores with a smaller global index also outrank. Each filled
            # row equals itself once; only when there is more are the ties resolved.
            equal = s == target
            if np.count_nonzero(equal) == np.count_nonzero(filled):
                continue
            tie_row, tie_col = np.divmod(np.flatnonzero(equal), nc)  # 1-D nonzero: much faster
            first = col_index[tie_col] < col_index[col[tie_row]]
            np.add.at(block[:, slot], (tie_row[first], col_lang[tie_col[first]]), 1)
    return counts


def relevant_ranks(
    counts: NDArray[np.int64], slot_lang: NDArray[np.intp]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Ranks of each relevant slot in its own language's pool and in the pooled ranking.

    Args:
        counts: ``[b, m, L]`` from :func:`outrank_counts`.
        slot_lang: ``[b, m]`` language of each slot's candidate, ``-1`` for empty.

    Returns:
        ``(own, pooled)``, both ``[b, m]`` int64, 1-based, 0 for empty slots:
        ``own = 1 + counts[..., slot_lang]`` (rank within :math:`C_Y`, the pool of the
        candidate's language ``Y``: Mo./Cr.) and ``pooled = 1 + counts.sum(-1)``
        (rank within :math:`\\bigcup_Y C_Y`: Mul.).
    """
    filled = slot_lang >= 0
    own = 1 + np.take_along_axis(counts, np.maximum(slot_lang, 0)[..., None], axis=-1)[..., 0]
    pooled = 1 + counts.sum(axis=-1)
    return np.where(filled, own, 0), np.where(filled, pooled, 0)
