"""The study's two objectives, read off one evaluation: same-language P@k and a cross-lingual mAP.

Objective 2 is chosen by name (``xling_metric``); this table is the one place that
maps the name to the :class:`~objectives.retrieval.EvalResult` aggregate it reads (also
the key of a stored baseline), to the objective's name in the study and the
dashboard, and to how the report describes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from objectives.retrieval._result import EvalResult

__all__ = ["CROSS_LINGUAL", "SAME_LANG_KEY", "CrossLingual", "baseline_objectives", "objective_names", "objective_values",
           "repeat_std"]

#: Objective 1's aggregate (Mo. macro P@k) in :meth:`EvalResult.macros` and in a stored baseline.
SAME_LANG_KEY = "same_lang_p@k"


@dataclass(frozen=True)
class CrossLingual:
    """One choice of objective 2."""

    key: str  # the EvalResult attribute and macros()/baseline key
    name: str  # the objective's name in the Optuna study
    label: str  # in a sentence of the report


CROSS_LINGUAL: Mapping[str, CrossLingual] = {
    "mul_map": CrossLingual("xling_map", "xling_map", "pooled multilingual mAP (Mul., LAReQA's language-agnostic setting)"),
    "cr_map": CrossLingual("cr_map", "xling_cr_map", "cross-language pair mAP (Cr.)"),
}


def objective_names(k: int, xling_metric: str) -> list[str]:
    """The objectives' names as the study and the dashboard show them."""
    return [f"same_lang_p@{k}", CROSS_LINGUAL[xling_metric].name]


def objective_values(result: EvalResult, xling_metric: str) -> tuple[float, float]:
    """(same-language P@k, cross-lingual mAP) of one evaluation."""
    return float(result.same_lang_p_at_k), float(getattr(result, CROSS_LINGUAL[xling_metric].key))


def baseline_objectives(baseline: Mapping[str, float | None], xling_metric: str) -> tuple[float | None, float | None]:
    """The two objectives of a stored zero-shot baseline (``None`` where it lacks one)."""
    return baseline.get(SAME_LANG_KEY), baseline.get(CROSS_LINGUAL[xling_metric].key)


def repeat_std(per_repeat: np.ndarray) -> np.ndarray:
    """The spread of a point's repeats (one row per repeat): the sample sd, ddof 1; zeros for one repeat.

    The one definition for the confirm stage's standard errors, and the one the smoothed
    answer's measured noise uses (``sweep.answer.noise_from_repeats``).
    """
    per_repeat = np.asarray(per_repeat, dtype=float)
    if len(per_repeat) < 2:
        return np.zeros(per_repeat.shape[1:])
    return per_repeat.std(axis=0, ddof=1)
