"""EvalResult: read-only arrays, JSON round trip, long-format cells."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from objectives.retrieval import EvalResult

NAN = math.nan


def sample() -> EvalResult:
    return EvalResult(
        languages=("en", "de"),
        k=1,
        map_cells=np.array([[0.5, 0.25], [NAN, 1.0]]),
        p_at_k_cells=np.array([[0.0, 0.5], [NAN, 1.0]]),
        r_at_k_cells=np.array([[0.0, 0.5], [NAN, 1.0]]),
        n_queries_cells=np.array([[2, 2], [0, 1]]),
        mul_map_per_lang=np.array([0.4, 0.6]),
        mul_r_at_10_per_lang=np.array([1.0, NAN]),
        mul_n_queries=np.array([2, 1]),
        language_bias_per_lang=np.array([3.0, NAN]),
        language_bias_n_queries=np.array([2, 0]),
        language_bias=3.0,
    )


def test_aggregates() -> None:
    res = sample()
    assert res.mo_map == 0.75 and res.cr_map == 0.25  # the NaN pair is left out
    assert res.same_lang_p_at_k == 0.5 and res.xling_map == pytest.approx(0.5)
    assert res.mul_r_at_10 == 1.0
    assert res.mo_map_per_lang.tolist() == [0.5, 1.0]


def test_frozen_and_read_only() -> None:
    res = sample()
    with pytest.raises(ValueError):
        res.map_cells[0, 0] = 1.0
    with pytest.raises(AttributeError):
        res.k = 5  # type: ignore[misc]


def test_json_round_trip_with_nulls() -> None:
    res = sample()
    text = json.dumps(res.to_dict(), allow_nan=False)
    data = json.loads(text)
    assert data["cells"]["map"] == [[0.5, 0.25], [None, 1.0]]
    assert data["same_lang_p@k"] == 0.5 and data["xling_map"] == pytest.approx(0.5)
    assert data["language_bias_per_lang"] == {"en": 3.0, "de": None}
    back = EvalResult.from_dict(data)
    assert json.dumps(back.to_dict(), allow_nan=False) == text


def test_long_format_cells() -> None:
    rows = sample().cells()
    assert all(set(r) == {"setting", "query_lang", "cand_lang", "metric", "value"} for r in rows)
    json.dumps(rows, allow_nan=False)
    pick = {(r["setting"], r["query_lang"], r["cand_lang"], r["metric"]): r["value"] for r in rows}
    assert pick[("mo", "en", "en", "map")] == 0.5
    assert pick[("cr", "de", "en", "map")] is None
    assert pick[("cr", "en", "de", "n_queries")] == 2
    assert pick[("mul", "de", None, "map")] == 0.6
    assert pick[("bias", None, None, "language_bias")] == 3.0
    assert pick[("macro", None, None, "xling_map")] == pytest.approx(0.5)


def test_shape_is_checked() -> None:
    with pytest.raises(ValueError, match="map_cells"):
        EvalResult(**{**sample().__dict__, "map_cells": np.zeros((3, 3))})
