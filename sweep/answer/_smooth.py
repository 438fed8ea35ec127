"""The answer from every trial: each objective as a smooth function of α, and its knee.

A study's trials are single seeds, and neighbouring α values differ by less than
seed noise, so the Pareto set of raw trials is mostly the trials that drew lucky
seeds. Here each objective is a Gaussian process over α whose amplitude, length
scale and noise level are integrated out (sweep.answer._gp): the noise is learned
from the runs themselves (runs repeated at one α sit in the likelihood, which is
where their spread counts, once), and no hyperparameter is fixed at a best fit.
Fixed hyperparameters made the 90 % interval cover the true knee in 30–82 % of
simulated studies (benchmarks/answer_accuracy.py).

The answer is the knee of the front of the two posterior-mean curves on a fine α
grid (the export's rule: Pareto set, min-max scaling, nearest (1, 1)); its
uncertainty is the same rule applied to joint posterior draws of both curves
(noise-free curve shapes, the hyperparameters drawn with them), giving a median
and a 90 % interval, and the α whose posterior probability of lying on the front
is at least one half. Pure functions on arrays: no Optuna here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sweep.answer._gp import CurvePosterior, fit_curve, joint_draws, noise_correlation
from sweep.answer._rules import choose_index, pareto_mask

__all__ = [
    "GRID_POINTS",
    "MIN_DISTINCT_ALPHAS",
    "MIN_TRIALS",
    "SmoothAnswer",
    "TooFewTrials",
    "fit_curves",
    "noise_from_repeats",
    "smooth_answer",
]

#: A measured spread of exactly zero (a few repeats of a coarse metric that happened to agree)
#: is not a noiseless objective: the noise sd is floored here, well below any real seed noise.
NOISE_FLOOR = 1e-4
#: Below these a curve is not identified: the answer falls back to the trial knee.
MIN_TRIALS = 5
MIN_DISTINCT_ALPHAS = 3
GRID_POINTS = 201
DRAWS = 1000
LEVEL = 0.90


class TooFewTrials(ValueError):
    """The trials cannot identify a curve; the message says why and what to do."""


@dataclass(frozen=True)
class SmoothAnswer:
    """The smoothed answer and what it rests on.

    Attributes:
        mono_ratio: the knee of the posterior-mean front (the answer).
        interval: the central ``level`` interval of the knee over posterior draws.
        median: the median knee over posterior draws.
        front_alphas: (low, high) of the grid α whose posterior probability of lying on
            the front is ≥ 0.5, or None when no grid point reaches it.
        noise_sd: the per-objective noise sd, posterior mean.
        noise_dof: degrees of freedom of the runs repeated at one α (information: their
            spread is in the likelihood, not a separate prior).
        length_scales: posterior median Matérn length scale per objective (α units).
        noise_corr: correlation of a run's noise between the objectives (of the residuals), which
            the joint draws use.
        n_trials: runs the curves were fitted on.
        grid: the α grid; ``mean``/``lower``/``upper`` are (grid, 2) posterior mean and
            ``level`` band per objective; ``on_front`` the probability per grid α.
        predicted: posterior mean of both objectives at ``mono_ratio``.
        alphas, values: the runs the curves were fitted on ((n,) and (n, 2)).
    """

    mono_ratio: float
    interval: tuple[float, float]
    median: float
    front_alphas: tuple[float, float] | None
    noise_sd: tuple[float, float]
    noise_dof: int
    length_scales: tuple[float, float]
    n_trials: int
    predicted: tuple[float, float]
    noise_corr: float = 0.0
    level: float = LEVEL
    grid: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))
    mean: np.ndarray = field(repr=False, default_factory=lambda: np.empty((0, 2)))
    lower: np.ndarray = field(repr=False, default_factory=lambda: np.empty((0, 2)))
    upper: np.ndarray = field(repr=False, default_factory=lambda: np.empty((0, 2)))
    sd: np.ndarray = field(repr=False, default_factory=lambda: np.empty((0, 2)))
    alphas: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))
    values: np.ndarray = field(repr=False, default_factory=lambda: np.empty((0, 2)))
    on_front: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))

    def at(self, alpha: float) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and sd of both objectives at ``alpha`` (linear between grid points)."""
        mean = np.array([np.interp(alpha, self.grid, self.mean[:, j]) for j in range(2)])
        sd = np.array([np.interp(alpha, self.grid, self.sd[:, j]) for j in range(2)])
        return mean, sd

    def sentence(self) -> str:
        """E.g. ``α = 0.74 (90 % interval 0.61–0.86)``."""
        lo, hi = self.interval
        return f"α = {self.mono_ratio:.2f} ({self.level:.0%} interval {lo:.2f}–{hi:.2f})".replace("%", " %")


def noise_from_repeats(alphas: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, int]:
    """Pooled within-α sample sd per objective over every α run more than once, and its dof.

    ``alphas`` (n,), ``values`` (n, 2). Runs count as repeats when their α agree to
    1e-9 (a confirm study's repeats, or anchors run twice).
    """
    keys = np.round(np.asarray(alphas, float), 9)
    values = np.asarray(values, float)
    ss, dof = np.zeros(values.shape[1]), 0
    for key in np.unique(keys):
        group = values[keys == key]
        if len(group) >= 2:
            ss += ((group - group.mean(0)) ** 2).sum(0)
            dof += len(group) - 1
    return (np.sqrt(ss / dof) if dof else np.full(values.shape[1], np.nan)), dof


def smooth_answer(
    alphas: np.ndarray, values: np.ndarray, *, prior_noise_sd: np.ndarray | tuple[float, float] | None = None,
    prior_dof: int = 0, rule: str = "knee", min_xling: float | None = None, min_same_lang: float | None = None,
    bounds: tuple[float, float] | None = None, draws: int = DRAWS, level: float = LEVEL, seed: int = 0,
) -> SmoothAnswer:
    """Fit both curves and choose on them (see the module docstring).

    ``alphas`` (n,), ``values`` (n, 2) objective values of every run (repeats included);
    ``bounds`` the α range to search (default: the observed range). ``prior_noise_sd``
    per objective with ``prior_dof``: an independent measurement of the per-run noise
    from runs *not* in ``values`` (None: the noise is learned from the runs alone, flat
    in log σ). The spread of repeats among ``values`` must not be passed here: it is
    already in the likelihood, and passing it counts it twice.

    Raises:
        TooFewTrials: fewer than :data:`MIN_TRIALS` runs or fewer than
            :data:`MIN_DISTINCT_ALPHAS` distinct α.
        ValueError: no grid point meets the constraints on the posterior mean.
    """
    alphas = np.asarray(alphas, float)
    values = np.asarray(values, float)
    curves = fit_curves(alphas, values, prior_noise_sd=prior_noise_sd, prior_dof=prior_dof, bounds=bounds)
    low, high = bounds if bounds is not None else (float(alphas.min()), float(alphas.max()))
    grid = np.linspace(low, high, GRID_POINTS)
    rng = np.random.default_rng(seed)
    corr = noise_correlation(curves)
    samples, mean = joint_draws(curves, grid, draws, rng, corr)  # (draws, grid, 2), (grid, 2)
    sd = samples.std(axis=0)
    tail = (1 - level) / 2
    lower, upper = np.quantile(samples, tail, axis=0), np.quantile(samples, 1 - tail, axis=0)
    pick = int(choose_index(mean, rule, min_xling, min_same_lang))
    if pick < 0:
        raise ValueError("no mono_ratio meets the constraints on the fitted curves: lower --min-xling/--min-same-lang")
    knees_idx = choose_index(samples, rule, min_xling, min_same_lang)
    knees = grid[knees_idx[knees_idx >= 0]]
    if len(knees) == 0:
        knees = np.array([grid[pick]])
    on_front = pareto_mask(samples).mean(axis=0)
    front = grid[on_front >= 0.5]
    return SmoothAnswer(
        mono_ratio=float(grid[pick]), interval=(float(np.quantile(knees, tail)), float(np.quantile(knees, 1 - tail))),
        median=float(np.median(knees)), front_alphas=(float(front.min()), float(front.max())) if len(front) else None,
        noise_sd=(curves[0].noise_sd(), curves[1].noise_sd()), noise_dof=noise_from_repeats(alphas, values)[1], noise_corr=corr,
        length_scales=(curves[0].length_scale(), curves[1].length_scale()), n_trials=len(alphas),
        predicted=(float(mean[pick, 0]), float(mean[pick, 1])), level=level, grid=grid, mean=mean, lower=lower,
        upper=upper, sd=sd, alphas=alphas, values=values, on_front=on_front,
    )


def fit_curves(alphas: np.ndarray, values: np.ndarray, *, prior_noise_sd: np.ndarray | tuple[float, float] | None = None,
               prior_dof: int = 0, bounds: tuple[float, float] | None = None) -> tuple[CurvePosterior, CurvePosterior]:
    """Both objectives' curve posteriors (sweep.answer._gp), after the identifiability checks.

    ``prior_noise_sd``/``prior_dof``: as in :func:`smooth_answer` (independent runs only).

    Raises:
        TooFewTrials: fewer than :data:`MIN_TRIALS` runs or fewer than :data:`MIN_DISTINCT_ALPHAS` distinct α.
    """
    alphas = np.asarray(alphas, float)
    values = np.asarray(values, float).reshape(len(alphas), 2)
    distinct = len(np.unique(np.round(alphas, 9)))
    if len(alphas) < MIN_TRIALS or distinct < MIN_DISTINCT_ALPHAS:
        raise TooFewTrials(f"{len(alphas)} run(s) at {distinct} distinct mono_ratio value(s): a smooth curve needs at "
                           f"least {MIN_TRIALS} runs at {MIN_DISTINCT_ALPHAS} or more values; run more trials")
    noise = np.full(2, np.nan) if prior_noise_sd is None else np.asarray(prior_noise_sd, float).reshape(2)
    noise = np.where(np.isfinite(noise), np.maximum(noise, NOISE_FLOOR), np.nan)
    span = bounds if bounds is not None else (float(alphas.min()), float(alphas.max()))
    return (fit_curve(alphas, values[:, 0], span, prior_sd=float(noise[0]), prior_dof=prior_dof),
            fit_curve(alphas, values[:, 1], span, prior_sd=float(noise[1]), prior_dof=prior_dof))
