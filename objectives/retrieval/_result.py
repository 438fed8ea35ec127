"""The outcome of one evaluation: every setting, every cell, JSON-ready."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from objectives.retrieval._means import cr_macro, macro_mean, mo_macro

__all__ = ["EvalResult"]

_MATRICES = ("map_cells", "p_at_k_cells", "r_at_k_cells", "n_queries_cells")
_VECTORS = (
    "mul_map_per_lang",
    "mul_r_at_10_per_lang",
    "mul_n_queries",
    "language_bias_per_lang",
    "language_bias_n_queries",
)
_COUNTS = ("n_queries_cells", "mul_n_queries", "language_bias_n_queries")


def _json_float(value: float) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


def _from_json(value: float | None) -> float:
    return math.nan if value is None else float(value)


@dataclass(frozen=True, eq=False)
class EvalResult:
    """All retrieval metrics of one evaluation (docs/design.md, "Metrics").

    Matrices are ``[L, L]`` with rows = query language and columns = candidate
    language, in the order of ``languages``: the diagonal is Mo. (same language),
    the off-diagonal cells are Cr. (ordered pairs X != Y). NaN marks a cell or
    language without evaluable query; macro means leave NaNs out.

    Build it with :func:`objectives.retrieval.evaluate_embeddings`; read the study's
    objectives from :attr:`same_lang_p_at_k` (objective 1) and :attr:`xling_map`
    (objective 2); persist it with :meth:`to_dict` / :meth:`cells`.

    Attributes:
        languages: language codes, the axis order of every array.
        k: cut-off of the P@k / R@k cells.
        map_cells: mAP per (query language, candidate language).
        p_at_k_cells: P@k per cell.
        r_at_k_cells: R@k per cell.
        n_queries_cells: evaluable queries per cell (int).
        mul_map_per_lang: Mul. (pooled) mAP per query language.
        mul_r_at_10_per_lang: Mul. R@10 per query language.
        mul_n_queries: evaluable queries per query language in Mul.
        language_bias_per_lang: mean language bias of the counted queries of each
            query language (queries with answers in >= 2 languages).
        language_bias_n_queries: counted queries per query language.
        language_bias: mean language bias over all counted queries (not a macro
            mean over languages).
        map_depth: ``None`` when every mAP is over the full ranking; else the cut-off
            of the faiss lists the ranks came from (mAP@``map_depth``, trec_eval's
            ``map`` over a run of that length), for pools above 100,000 candidates.
    """

    languages: tuple[str, ...]
    k: int
    map_cells: NDArray[np.float64]
    p_at_k_cells: NDArray[np.float64]
    r_at_k_cells: NDArray[np.float64]
    n_queries_cells: NDArray[np.int64]
    mul_map_per_lang: NDArray[np.float64]
    mul_r_at_10_per_lang: NDArray[np.float64]
    mul_n_queries: NDArray[np.int64]
    language_bias_per_lang: NDArray[np.float64]
    language_bias_n_queries: NDArray[np.int64]
    language_bias: float
    map_depth: int | None = None

    def __post_init__(self) -> None:
        n = len(self.languages)
        object.__setattr__(self, "languages", tuple(str(x) for x in self.languages))
        object.__setattr__(self, "k", int(self.k))
        object.__setattr__(self, "language_bias", float(self.language_bias))
        object.__setattr__(self, "map_depth", None if self.map_depth is None else int(self.map_depth))
        for name, shape in [(m, (n, n)) for m in _MATRICES] + [(v, (n,)) for v in _VECTORS]:
            dtype = np.int64 if name in _COUNTS else np.float64
            arr = np.array(getattr(self, name), dtype=dtype)  # a private, read-only copy
            if arr.shape != shape:
                raise ValueError(f"`{name}` must have shape {shape} for {n} languages, got {arr.shape}")
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)

    # -- Mo. (same language): the diagonal ------------------------------------------------
    @property
    def mo_map_per_lang(self) -> NDArray[np.float64]:
        """Mo. mAP per language (diagonal of :attr:`map_cells`)."""
        return np.diagonal(self.map_cells)

    @property
    def mo_p_at_k_per_lang(self) -> NDArray[np.float64]:
        """Mo. P@k per language."""
        return np.diagonal(self.p_at_k_cells)

    @property
    def mo_r_at_k_per_lang(self) -> NDArray[np.float64]:
        """Mo. R@k per language."""
        return np.diagonal(self.r_at_k_cells)

    @property
    def mo_map(self) -> float:
        """Mo. mAP, macro mean over languages."""
        return mo_macro(self.map_cells)

    @property
    def mo_p_at_k(self) -> float:
        """Mo. P@k, macro mean over languages."""
        return mo_macro(self.p_at_k_cells)

    @property
    def mo_r_at_k(self) -> float:
        """Mo. R@k, macro mean over languages."""
        return mo_macro(self.r_at_k_cells)

    # -- Cr. (ordered pairs X != Y): the off-diagonal ---------------------------------------
    @property
    def cr_map(self) -> float:
        """Cr. mAP, macro mean over ordered language pairs X != Y."""
        return cr_macro(self.map_cells)

    @property
    def cr_p_at_k(self) -> float:
        """Cr. P@k, macro mean over ordered pairs."""
        return cr_macro(self.p_at_k_cells)

    @property
    def cr_r_at_k(self) -> float:
        """Cr. R@k, macro mean over ordered pairs."""
        return cr_macro(self.r_at_k_cells)

    # -- Mul. (pooled) ---------------------------------------------------------------------
    @property
    def mul_map(self) -> float:
        """Mul. mAP, macro mean over query languages."""
        return macro_mean(self.mul_map_per_lang)

    @property
    def mul_r_at_10(self) -> float:
        """Mul. R@10, macro mean over query languages."""
        return macro_mean(self.mul_r_at_10_per_lang)

    # -- The study's objectives ------------------------------------------------------------
    @property
    def same_lang_p_at_k(self) -> float:
        """Objective 1, ``same_lang_p@k``: Mo. macro P@k."""
        return self.mo_p_at_k

    @property
    def xling_map(self) -> float:
        """Objective 2, ``xling_map``: Mul. macro mAP."""
        return self.mul_map

    def macros(self) -> dict[str, float]:
        """Every aggregate by its storage name (NaN kept)."""
        return {
            "same_lang_p@k": self.same_lang_p_at_k,
            "xling_map": self.xling_map,
            "mo_map": self.mo_map,
            "mo_p@k": self.mo_p_at_k,
            "mo_r@k": self.mo_r_at_k,
            "cr_map": self.cr_map,
            "cr_p@k": self.cr_p_at_k,
            "cr_r@k": self.cr_r_at_k,
            "mul_map": self.mul_map,
            "mul_r@10": self.mul_r_at_10,
            "language_bias": self.language_bias,
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (NaN -> ``None``); :meth:`from_dict` inverts it.

        Keys: ``languages``, ``k``, the aggregates of :meth:`macros`, per-language
        dicts (``mo_map_per_lang``, ``mo_p@k_per_lang``, ``mo_r@k_per_lang``,
        ``mul_map_per_lang``, ``mul_r@10_per_lang``, ``mul_n_queries``,
        ``language_bias_per_lang``, ``language_bias_n_queries``) keyed by language,
        and ``cells``: ``{"map", "p@k", "r@k", "n_queries"}`` nested lists (row =
        query language, column = candidate language); ``map_depth`` only when the
        mAP is cut (so an exact result's dict is what it was before the cut existed).
        """
        langs = self.languages

        def per_lang(arr: NDArray[Any], count: bool = False) -> dict[str, Any]:
            return {x: (int(v) if count else _json_float(v)) for x, v in zip(langs, arr)}

        def matrix(arr: NDArray[Any], count: bool = False) -> list[list[Any]]:
            return [[int(v) if count else _json_float(v) for v in row] for row in arr]

        out: dict[str, Any] = {"languages": list(langs), "k": self.k}
        out.update({name: _json_float(v) for name, v in self.macros().items()})
        out.update({
            "mo_map_per_lang": per_lang(self.mo_map_per_lang),
            "mo_p@k_per_lang": per_lang(self.mo_p_at_k_per_lang),
            "mo_r@k_per_lang": per_lang(self.mo_r_at_k_per_lang),
            "mul_map_per_lang": per_lang(self.mul_map_per_lang),
            "mul_r@10_per_lang": per_lang(self.mul_r_at_10_per_lang),
            "mul_n_queries": per_lang(self.mul_n_queries, count=True),
            "language_bias_per_lang": per_lang(self.language_bias_per_lang),
            "language_bias_n_queries": per_lang(self.language_bias_n_queries, count=True),
            "cells": {
                "map": matrix(self.map_cells),
                "p@k": matrix(self.p_at_k_cells),
                "r@k": matrix(self.r_at_k_cells),
                "n_queries": matrix(self.n_queries_cells, count=True),
            },
        })
        if self.map_depth is not None:
            out["map_depth"] = self.map_depth
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EvalResult:
        """Rebuild a result from :meth:`to_dict` output (``None`` -> NaN)."""
        langs: Sequence[str] = data["languages"]

        def vec(key: str) -> list[float]:
            return [_from_json(data[key][x]) for x in langs]

        def mat(key: str) -> list[list[float]]:
            return [[_from_json(v) for v in row] for row in data["cells"][key]]

        return cls(
            languages=tuple(langs),
            k=data["k"],
            map_cells=np.array(mat("map")),
            p_at_k_cells=np.array(mat("p@k")),
            r_at_k_cells=np.array(mat("r@k")),
            n_queries_cells=np.array(data["cells"]["n_queries"], dtype=np.int64).reshape(len(langs), len(langs)),
            mul_map_per_lang=np.array(vec("mul_map_per_lang")),
            mul_r_at_10_per_lang=np.array(vec("mul_r@10_per_lang")),
            mul_n_queries=np.array([data["mul_n_queries"][x] for x in langs], dtype=np.int64),
            language_bias_per_lang=np.array(vec("language_bias_per_lang")),
            language_bias_n_queries=np.array([data["language_bias_n_queries"][x] for x in langs], dtype=np.int64),
            language_bias=_from_json(data["language_bias"]),
            map_depth=data.get("map_depth"),
        )

    def cells(self) -> list[dict[str, Any]]:
        """Long-format rows for the side table ``sweep_metric_cells``.

        Each row is ``{"setting", "query_lang", "cand_lang", "metric", "value"}``
        (``value`` ``None`` for NaN):

        - ``mo`` / ``cr``: one row per (X, Y) cell and metric ``map``, ``p@k``,
          ``r@k``, ``n_queries``;
        - ``mul``: per query language (``cand_lang`` ``None``), metrics ``map``,
          ``r@10``, ``n_queries``;
        - ``bias``: per query language and overall (``query_lang`` ``None``),
          metrics ``language_bias``, ``n_queries``;
        - ``macro``: every aggregate of :meth:`macros` (both languages ``None``).
        """
        rows: list[dict[str, Any]] = []

        def add(setting: str, q: str | None, c: str | None, metric: str, value: float | None) -> None:
            rows.append({"setting": setting, "query_lang": q, "cand_lang": c, "metric": metric, "value": value})

        for i, x in enumerate(self.languages):
            for j, y in enumerate(self.languages):
                setting = "mo" if i == j else "cr"
                add(setting, x, y, "map", _json_float(self.map_cells[i, j]))
                add(setting, x, y, "p@k", _json_float(self.p_at_k_cells[i, j]))
                add(setting, x, y, "r@k", _json_float(self.r_at_k_cells[i, j]))
                add(setting, x, y, "n_queries", float(self.n_queries_cells[i, j]))
        for i, x in enumerate(self.languages):
            add("mul", x, None, "map", _json_float(self.mul_map_per_lang[i]))
            add("mul", x, None, "r@10", _json_float(self.mul_r_at_10_per_lang[i]))
            add("mul", x, None, "n_queries", float(self.mul_n_queries[i]))
            add("bias", x, None, "language_bias", _json_float(self.language_bias_per_lang[i]))
            add("bias", x, None, "n_queries", float(self.language_bias_n_queries[i]))
        add("bias", None, None, "language_bias", _json_float(self.language_bias))
        add("bias", None, None, "n_queries", float(self.language_bias_n_queries.sum()))
        for name, value in self.macros().items():
            add("macro", None, None, name, _json_float(value))
        return rows
