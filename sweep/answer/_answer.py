"""A study's smoothed answer: every run of the search (and of its confirm study) on two curves.

The runs are each trial's per-seed objective values (``repeat_values``; a trial
without them counts its objectives once). A confirm study's runs join the search's
only when it trained with the same settings; confirmed in another regime, its runs
stand alone, since two regimes' numbers are not one curve. The noise level is
learned from the runs (sweep.answer._smooth): every α run more than once (the
anchors' extra seeds, the confirm study's repeats, the knee sampler's repeated α)
shows pure noise in the likelihood, and the other runs' residuals add to it.
"""

from __future__ import annotations

import math

import numpy as np
import optuna
from optuna.trial import FrozenTrial, TrialState

from objectives.errors import ConfigError
from sweep._config import SweepConfig
from sweep.answer._smooth import SmoothAnswer, TooFewTrials, smooth_answer

__all__ = ["SMOOTH_METHOD", "WIDE_INTERVAL", "confirm_advice", "same_training", "study_runs", "smoothed_answer"]

SMOOTH_METHOD = ("Gaussian process per objective over mono_ratio (Matern 3/2 kernel plus offset; amplitude, length scale "
                 "and noise integrated out on a grid, the noise flat in log sd, learned from every run including the "
                 "repeats); answer = the rule applied to the posterior-mean curves on a 201-point grid; "
                 "interval = the same rule over 1,000 joint posterior draws of both curves, conditioned together with "
                 "a run's noise correlated between the objectives (the residuals' correlation), hyperparameters drawn "
                 "with them")

#: A 90 % interval wider than this share of the searched α range is worth narrowing.
WIDE_INTERVAL = 0.25


def confirm_advice(smooth: SmoothAnswer | None, cfg: SweepConfig) -> str:
    """When ``python -m sweep.confirm`` is worth running for a search study without one, and why.

    Worth it when the answer's interval is wide (or there is no smoothed answer), or
    when the search did not train in the full regime: a confirm there checks the answer
    under the fine-tuning it stands for.
    """
    space = cfg.search_space["mono_ratio"]
    command = f"python -m sweep.confirm --study-name {cfg.study_name}"
    reasons = []
    if smooth is None:
        reasons.append("there is no smoothed answer to say how sure the search is")
    elif (smooth.interval[1] - smooth.interval[0]) > WIDE_INTERVAL * (space.high - space.low):
        lo, hi = smooth.interval
        reasons.append(f"the 90 % interval {lo:.2f}–{hi:.2f} is wide (more trials narrow it too: rerun with a larger "
                       "--trials)")
    if cfg.regime.name != "full":
        reasons.append(f"the search trained in the {cfg.regime.name} regime: `{command} --regime full --device cuda` "
                       "checks the answer under full fine-tuning")
    if not reasons:
        return "A confirm stage adds little here: the interval is narrow and the search trained in the full regime."
    return f"Worth running `{command}`: " + "; ".join(reasons) + "."


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
    try:
        answer = smooth_answer(alphas, values, rule=rule, min_xling=min_xling,
                               min_same_lang=min_same_lang, bounds=bounds)
    except TooFewTrials as e:
        return None, source, f"{e}; the trial-based answer is used"
    except ValueError as e:  # the constraints leave no α on the fitted curves
        raise ConfigError(str(e)) from None
    return answer, source, None
