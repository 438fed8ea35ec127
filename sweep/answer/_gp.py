"""A one-input Gaussian process whose hyperparameters are integrated out on a grid.

What it computes: for runs ``y`` at inputs ``x`` (one objective against α), the
posterior over noise-free curves f(α) under a Matérn-3/2 prior plus a constant
offset, with the amplitude, the length scale and the noise level *not* fixed at a
best fit but averaged over a log-spaced grid, each grid point weighted by its
marginal likelihood times a prior (Rasmussen & Williams, *Gaussian Processes for
Machine Learning*, 2006, §5.2 and eq. 2.30 for the marginal likelihood; §4.2 for
the Matérn kernel). Fixing them (type-II maximum likelihood) made the knee's
interval over-confident: the noise came from three anchor pairs and the length
scale sat at its floor in every draw alike (docs/design.md, "Smoothed answer").

Priors (in standardised units: y centred and divided by its sample sd):

- noise sd: flat in log σ over a wide grid (1/1000 of the runs' spread to twice
  it), so the likelihood of the runs alone sets it. Runs repeated at one α are
  already in that likelihood (the curve passes once through their mean, so their
  spread is pure noise); using their pooled sd as a prior as well counted them
  twice, and a grid cut at 4× that sd let three lucky repeats cap the noise and
  collapse the interval (issue 33). An *independent* measurement (runs that are
  not among ``y``, e.g. a fidelity record's seeds) may still enter as a scaled
  inverse-χ² prior (Gelman et al., *Bayesian Data Analysis*, 3rd ed., §3.2);
- length scale: log-normal around 0.15 of the α range (sd 1 in log), so values
  well below the old floor of 0.2 stay possible;
- amplitude: flat in log σ_f.

Hand-written rather than scikit-learn: integrating out needs the marginal
likelihood at ~1,300 hyperparameter points and thousands of posterior draws per
call; one eigendecomposition per length scale gives every (amplitude, noise)
pair's likelihood in closed form, and pathwise (Matheron) updates draw whole
curves in a few matrix products, so a fit and 1,000 draws take milliseconds.
The kernel is Matérn-3/2 (once differentiable) rather than 5/2: every measured
regime's curves bend sharply near α 0.75–1, and in simulation over those curves
the rougher kernel with the shorter length-scale prior covered the true knee more
often at the same accuracy (benchmarks/README.md, "Answer calibration").
Pure numpy; no Optuna.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CurvePosterior", "fit_curve", "matern32"]

LENGTH_SCALES = np.geomspace(0.03, 3.0, 12)
AMPLITUDES = np.geomspace(0.03, 10.0, 10)
#: Log-normal prior on the length scale (as a share of the α range).
LENGTH_PRIOR_CENTRE, LENGTH_PRIOR_SD = 0.15, 1.0
#: Noise grid (sd in units of the runs' sample sd): from far below any measured seed noise
#: to twice the runs' whole spread, so neither a lucky spread of a few repeats nor an
#: independent prior can cap what the residuals say (issue 33). 25 points: 1.37× apart.
NOISE_RANGE = (1e-3, 2.0)
NOISE_POINTS = 25
#: Grid points whose posterior weight is below this share of the largest add nothing a
#: 1,000-draw answer can see; dropping them keeps the mean and the draws cheap.
WEIGHT_FLOOR = 1e-10
#: The offset's prior variance, in units of the amplitude: the curve's level is the
#: data's mean plus a term the data pin down.
OFFSET_VARIANCE = 1.0
_JITTER = 1e-9


def matern32(a: np.ndarray, b: np.ndarray, length: float) -> np.ndarray:
    """Matérn-3/2 correlation between 1-d inputs ``a`` and ``b`` (Rasmussen & Williams eq. 4.17)."""
    r = np.abs(a[:, None] - b[None, :]) * (np.sqrt(3.0) / length)
    return (1.0 + r) * np.exp(-r)


def _prior_cov(a: np.ndarray, b: np.ndarray, length: float) -> np.ndarray:
    return matern32(a, b, length) + OFFSET_VARIANCE


def _root(cov: np.ndarray) -> np.ndarray:
    """A matrix square root (L Lᵀ = cov) of a prior covariance: Cholesky with a little jitter, eigh if that fails."""
    try:
        return np.linalg.cholesky(cov + 1e-9 * np.eye(len(cov)))
    except np.linalg.LinAlgError:
        lam, vec = np.linalg.eigh(cov)
        return vec * np.sqrt(np.clip(lam, 0.0, None))


@dataclass(frozen=True)
class CurvePosterior:
    """The posterior of one objective's curve, hyperparameters integrated out.

    Attributes:
        x: run inputs scaled to [0, 1]; ``y`` the runs standardised (``centre``, ``scale``).
        weights: (lengths, amplitudes, noises) posterior probability of each grid point.
        noises: the noise grid (standardised sd).
    """

    x: np.ndarray
    y: np.ndarray
    centre: float
    scale: float
    low: float
    width: float
    noises: np.ndarray
    weights: np.ndarray
    eig: tuple[tuple[np.ndarray, np.ndarray], ...]

    def _flat(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        li, ai, ni = np.meshgrid(np.arange(len(LENGTH_SCALES)), np.arange(len(AMPLITUDES)), np.arange(len(self.noises)),
                                 indexing="ij")
        return li.ravel(), ai.ravel(), ni.ravel(), self.weights.ravel()

    def mean(self, grid: np.ndarray) -> np.ndarray:
        """Posterior mean of f on ``grid`` (α units), averaged over the hyperparameters."""
        g = (np.asarray(grid, float) - self.low) / self.width
        out = np.zeros(len(g))
        li, ai, ni, w = self._flat()
        for length in np.unique(li[w > 0]):
            keep = (li == length) & (w > 0)
            lam, u = self.eig[length]
            p = u.T @ self.y
            sf2 = AMPLITUDES[ai[keep]] ** 2
            d = sf2[:, None] * lam[None, :] + self.noises[ni[keep]][:, None] ** 2
            coef = (sf2[:, None] * p[None, :] / d) @ u.T  # (combos, n): σ_f² K⁻¹ y per combo
            out += (w[keep] @ coef) @ _prior_cov(self.x, g, LENGTH_SCALES[length])
        return self.centre + self.scale * out

    def draw(self, grid: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        """(n, len(grid)) joint posterior draws of the noise-free curve on ``grid`` (α units).

        Each draw first draws its hyperparameters from the grid posterior, then a prior
        curve on the runs' inputs and the grid jointly, then conditions it on the runs
        (Matheron's rule: f + K_fx (K_xx + σ²I)⁻¹ (y − f_x − ε); Wilson et al., ICML 2020).
        """
        g = (np.asarray(grid, float) - self.low) / self.width
        li, ai, ni, w = self._flat()
        pick = rng.choice(len(w), size=n, p=w)
        points, inverse = np.unique(np.concatenate([self.x, g]), return_inverse=True)
        ix, ig = inverse[: len(self.x)], inverse[len(self.x):]
        out = np.empty((n, len(g)))
        for length in np.unique(li[pick]):
            rows = np.flatnonzero(li[pick] == length)
            combo = pick[rows]
            ell = LENGTH_SCALES[length]
            root = _root(_prior_cov(points, points, ell))
            sf = AMPLITUDES[ai[combo]]
            sn = self.noises[ni[combo]]
            prior = sf[:, None] * (rng.standard_normal((len(rows), len(points))) @ root.T)
            eps = sn[:, None] * rng.standard_normal((len(rows), len(self.x)))
            lam, u = self.eig[length]
            d = sf[:, None] ** 2 * lam[None, :] + sn[:, None] ** 2
            resid = self.y[None, :] - prior[:, ix] - eps
            solved = ((resid @ u) / d) @ u.T
            out[rows] = prior[:, ig] + (sf[:, None] ** 2) * (solved @ _prior_cov(self.x, g, ell))
        return self.centre + self.scale * out

    def noise_sd(self) -> float:
        """Posterior mean of the noise sd, in the objective's units."""
        per_noise = self.weights.sum(axis=(0, 1))
        return float(self.scale * per_noise @ self.noises)

    def length_scale(self) -> float:
        """Posterior median of the length scale, in α units."""
        cdf = np.cumsum(self.weights.sum(axis=(1, 2)))
        return float(self.width * LENGTH_SCALES[int(np.searchsorted(cdf, 0.5))])


def fit_curve(alphas: np.ndarray, y: np.ndarray, bounds: tuple[float, float], *, prior_sd: float = float("nan"),
              prior_dof: int = 0) -> CurvePosterior:
    """The hyperparameter posterior for runs ``y`` at ``alphas``.

    ``bounds``: the α range, scaled to [0, 1] for the length scale. ``prior_sd`` /
    ``prior_dof``: an independent measurement of the per-run noise sd and its degrees of
    freedom, from runs that are *not* in ``y`` (0 dof or a non-finite sd: none, the
    noise is flat in log σ). Never pass the spread of runs that are in ``y``: the
    likelihood already holds it.
    """
    alphas, y = np.asarray(alphas, float), np.asarray(y, float)
    low, high = bounds
    width = (high - low) or 1.0
    x = (alphas - low) / width
    centre = float(y.mean())
    measured = prior_dof > 0 and np.isfinite(prior_sd) and prior_sd > 0
    scale = float(y.std(ddof=1)) if len(y) > 1 else 0.0
    if not scale > 0:
        scale = float(prior_sd) if measured else 1.0
    ys = (y - centre) / scale
    lo, hi = NOISE_RANGE
    if measured:  # the grid reaches a decade past the prior's sd either way, whatever the runs' spread
        s = float(prior_sd) / scale
        lo, hi = min(lo, s / 10), max(hi, s * 10)
    noises = np.geomspace(lo, hi, NOISE_POINTS)
    log_noise_prior = np.zeros(NOISE_POINTS)
    if measured:
        # Scaled inverse-χ²(ν, s²) as a density over log σ² (the grid's measure).
        log_noise_prior = -(prior_dof / 2) * np.log(noises ** 2) - prior_dof * s * s / (2 * noises ** 2)
    log_len_prior = -0.5 * ((np.log(LENGTH_SCALES / LENGTH_PRIOR_CENTRE)) / LENGTH_PRIOR_SD) ** 2
    logp = np.empty((len(LENGTH_SCALES), len(AMPLITUDES), len(noises)))
    eig = []
    sf2 = AMPLITUDES[:, None, None] ** 2
    sn2 = noises[None, :, None] ** 2
    for i, ell in enumerate(LENGTH_SCALES):
        lam, u = np.linalg.eigh(_prior_cov(x, x, ell) + _JITTER * np.eye(len(x)))
        lam = np.clip(lam, 0.0, None)
        eig.append((lam, u))
        p2 = (u.T @ ys) ** 2
        d = sf2 * lam[None, None, :] + sn2  # (amplitudes, noises, n)
        logp[i] = -0.5 * (p2 / d).sum(-1) - 0.5 * np.log(d).sum(-1)
    logp += log_len_prior[:, None, None] + log_noise_prior[None, None, :]
    weights = np.exp(logp - logp.max())
    weights[weights < WEIGHT_FLOOR] = 0.0
    return CurvePosterior(x=x, y=ys, centre=centre, scale=scale, low=low, width=width, noises=noises,
                          weights=weights / weights.sum(), eig=tuple(eig))
