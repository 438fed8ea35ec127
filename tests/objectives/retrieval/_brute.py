"""A slow, obviously-correct reference: full sorts in plain Python, float64 scores.

Used on embeddings whose dot products are exact in float32 (``quantised_unit``), so
the reference and the implementation see the same scores and the same ties.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


def quantised_unit(rng: np.random.Generator, n: int, dim: int = 8, nonzero: int = 4) -> np.ndarray:
    """Unit vectors with ``nonzero`` entries of +-1/2 (``nonzero = 4``: norm exactly 1).

    Every dot product is a multiple of 1/4, exact in float32 in any summation order,
    and ties are frequent.
    """
    out = np.zeros((n, dim), dtype=np.float32)
    for row in out:
        cols = rng.choice(dim, size=nonzero, replace=False)
        row[cols] = rng.choice([-0.5, 0.5], size=nonzero)
    return out


def ranking(scores: np.ndarray, pool: list[int]) -> list[int]:
    """``pool`` ordered by score descending, ties by index ascending."""
    return sorted(pool, key=lambda j: (-float(scores[j]), j))


def ap_p_r(order: list[int], relevant: set[int], k: int) -> tuple[float, float, float]:
    """AP over the full ranking, P@k and R@k from a ranked list."""
    hits, precisions = 0, []
    for position, cand in enumerate(order, start=1):
        if cand in relevant:
            hits += 1
            precisions.append(hits / position)
    in_top = len(set(order[:k]) & relevant)
    return sum(precisions) / len(relevant), in_top / k, in_top / len(relevant)


@dataclass
class Reference:
    map_cells: np.ndarray
    p_cells: np.ndarray
    r_cells: np.ndarray
    n_cells: np.ndarray
    mul_map: np.ndarray
    mul_r10: np.ndarray
    mul_n: np.ndarray
    bias_lang: np.ndarray
    bias_n: np.ndarray
    bias: float
    per_query_bias: list[float] = field(default_factory=list)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def brute_force(q, q_lang, q_group, c, c_lang, rel_group, rel_cand, n_lang: int, k: int) -> Reference:
    scores = np.asarray(q, dtype=np.float64) @ np.asarray(c, dtype=np.float64).T
    rel = {(int(g), int(x)) for g, x in zip(rel_group, rel_cand)}
    nc = len(c_lang)
    cells: dict[tuple[int, int], list[tuple[float, float, float]]] = {}
    mul: dict[int, list[tuple[float, float]]] = {}
    bias: dict[int, list[float]] = {}
    all_bias: list[float] = []
    for i in range(len(q_lang)):
        x, g = int(q_lang[i]), int(q_group[i])
        for y in range(n_lang):
            pool = [j for j in range(nc) if c_lang[j] == y]
            relevant = {j for j in pool if (g, j) in rel}
            if relevant:
                cells.setdefault((x, y), []).append(ap_p_r(ranking(scores[i], pool), relevant, k))
        pool = list(range(nc))
        relevant = {j for j in pool if (g, j) in rel}
        if not relevant:
            continue
        order = ranking(scores[i], pool)
        ap, _, _ = ap_p_r(order, relevant, 1)
        _, _, r10 = ap_p_r(order, relevant, 10)
        mul.setdefault(x, []).append((ap, r10))
        best: dict[int, int] = {}
        for position, cand in enumerate(order, start=1):
            if cand in relevant:
                best.setdefault(int(c_lang[cand]), position)
        if len(best) >= 2:
            b = float(max(best.values()) - min(best.values()))
            bias.setdefault(x, []).append(b)
            all_bias.append(b)
    shape = (n_lang, n_lang)
    ref = Reference(
        np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, np.nan), np.zeros(shape, int),
        np.full(n_lang, np.nan), np.full(n_lang, np.nan), np.zeros(n_lang, int),
        np.full(n_lang, np.nan), np.zeros(n_lang, int), _mean(all_bias), all_bias,
    )
    for (x, y), vals in cells.items():
        ref.map_cells[x, y] = _mean([v[0] for v in vals])
        ref.p_cells[x, y] = _mean([v[1] for v in vals])
        ref.r_cells[x, y] = _mean([v[2] for v in vals])
        ref.n_cells[x, y] = len(vals)
    for x, vals in mul.items():
        ref.mul_map[x] = _mean([v[0] for v in vals])
        ref.mul_r10[x] = _mean([v[1] for v in vals])
        ref.mul_n[x] = len(vals)
    for x, vals in bias.items():
        ref.bias_lang[x] = _mean(vals)
        ref.bias_n[x] = len(vals)
    return ref
