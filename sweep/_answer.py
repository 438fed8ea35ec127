"""A study's smoothed answer: every run of the search (and of its confirm study) on two curves.

The runs are each trial's per-seed objective values (``repeat_values``; a trial
without them counts its objectives once). A confirm study's runs join the search's
only when it trained with the same settings; confirmed in another regime, its runs
stand alone, since two regimes' numbers are not one curve. The noise level is the
pooled within-α spread of every α run more than once (the anchors' extra seeds,
the confirm study's repeats): measured, never fitted (sweep._smooth).
"""

from __future__ import annotations

import math

import numpy as np
import optuna
from optuna.trial import FrozenTrial, TrialState

from objectives.errors import ConfigError
from sweep._config import SweepConfig
from sweep._smooth import SmoothAnswer, TooFewTrials, noise_from_repeats, smooth_answer

__all__ = ["SMOOTH_METHOD", "same_training", "study_runs", "smoothed_answer"]

SMOOTH_METHOD = ("Gaussian process per objective over mono_ratio (scikit-learn, Matern 5/2 kernel, length scale >= 0.2, "
                 "noise fixed at the pooled within-alpha sd of repeated runs); answer = the rule applied to the "
                 "posterior-mean curves on a 201-point grid; interval = the same rule over 1,000 joint posterior draws")


def _finite(values: object) -> bool:
    return isinstance(values, (list, tuple)) and len(values) == 2 and all(
        isinstance(v, (int, float)) and math.isfinite(v) for v in values)


def study_runs(trials: list[FrozenTrial]) -> tuple[np.ndarray, np.ndarray]:
    """(α per run, objectives per run) over the COMPLETE trials with finite values."""
    alphas, values = [], []
    for t in trials:
        if t.state != TrialState.COMPLETE or not _finite(t.values):
            continue
        reps = [r for r in (t.user_attrs.get("repeat_values") or [t.values]) if _finite(r)]
        for r in reps:
            alphas.append(float(t.params["mono_ratio"]))
            values.append([float(r[0]), float(r[1])])
    return np.array(alphas, float), np.array(values, float).reshape(-1, 2)


def same_training(search: SweepConfig, confirm: SweepConfig) -> bool:
    """The confirm study trained exactly as the search did, so their runs lie on one curve."""
    return search.regime.settings() == confirm.regime.settings() and all(
        getattr(search, k) == getattr(confirm, k)
        for k in ("model", "batch_size", "temperature", "max_length", "k", "xling_metric", "split_seed"))


def smoothed_answer(
    study: optuna.Study, confirm: optuna.Study | None, *, same_settings: bool, rule: str = "knee",
    min_xling: float | None = None, min_same_lang: float | None = None, bounds: tuple[float, float] | None = None,
) -> tuple[SmoothAnswer | None, str, str | None]:
    """(the answer or None, where its runs came from, why there is none).

    ``same_settings``: the confirm study trained as the search did, so both studies'
    runs are one set. Searches over more than mono_ratio are not smoothed (a curve in
    α alone would average over the other parameters).
    """
    searched = {k for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)) for k in t.params}
    if searched - {"mono_ratio"}:
        return None, "", (f"the search also tuned {', '.join(sorted(searched - {'mono_ratio'}))}: the smoothed answer "
                          "models mono_ratio alone, so the trial-based answer is used")
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    if confirm is None or same_settings:
        parts.append(study_runs(study.get_trials(deepcopy=False)))
    if confirm is not None:
        parts.append(study_runs(confirm.get_trials(deepcopy=False)))
    alphas = np.concatenate([p[0] for p in parts])
    values = np.concatenate([p[1] for p in parts])
    source = ("search" if confirm is None else "search + confirm" if same_settings else "confirm (its own regime)")
    noise, dof = noise_from_repeats(alphas, values)
    try:
        answer = smooth_answer(alphas, values, noise, noise_dof=dof, rule=rule, min_xling=min_xling,
                               min_same_lang=min_same_lang, bounds=bounds)
    except TooFewTrials as e:
        return None, source, f"{e}; the trial-based answer is used"
    except ValueError as e:  # the constraints leave no α on the fitted curves
        raise ConfigError(str(e)) from None
    return answer, source, None
