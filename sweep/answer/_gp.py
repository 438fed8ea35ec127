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

__all__ = ["MAX_NOISE_CORR", "CurvePosterior", "fit_curve", "joint_draws", "matern32", "noise_correlation"]

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


#: Draws conditioned together in one batched solve (bounds the (chunk, 2n, 2n) systems' memory).
_CHUNK = 128
#: A noise correlation this close to ±1 makes the joint system near-singular; the estimate is clipped here.
MAX_NOISE_CORR = 0.95


def noise_correlation(curves: tuple[CurvePosterior, CurvePosterior]) -> float:
    """Correlation of the two objectives' residuals around their posterior means, over every run.

    A run's seed moves both objectives: a lucky run is lucky on both (measured per seed,
    r = 0.8–0.94 in full fine-tuning). Residuals of the smooth fits carry that noise; their
    correlation (clipped to ±MAX_NOISE_CORR) is the noise correlation the joint draws use.
    """
    a, b = curves
    ra = a.y - (a.mean(a.low + a.width * a.x) - a.centre) / a.scale
    rb = b.y - (b.mean(b.low + b.width * b.x) - b.centre) / b.scale
    if len(ra) < 3 or ra.std() == 0 or rb.std() == 0:
        return 0.0
    return float(np.clip(np.corrcoef(ra, rb)[0, 1], -MAX_NOISE_CORR, MAX_NOISE_CORR))


def joint_draws(curves: tuple[CurvePosterior, CurvePosterior], grid: np.ndarray, n: int, rng: np.random.Generator,
                corr: float) -> tuple[np.ndarray, np.ndarray]:
    """(n, len(grid), 2) joint posterior draws of both noise-free curves, and their (len(grid), 2) mean.

    The two objectives are measured on the same runs, and a run's noise is correlated
    between them (``corr``): drawing each curve alone treats a run that is lucky on both
    as two independent pieces of luck, which makes the knee look surer than it is
    (issue 33: with r = 0.85 the interval covered 7–10 points less). Each draw takes both
    objectives' hyperparameters from their own grid posteriors, a prior curve for each, and
    correlated noise for the runs, and conditions both curves on both objectives' runs at
    once (Matheron's rule with the 2n × 2n covariance
    [[σ₁²K₁ + s₁²I, r s₁ s₂ I], [r s₁ s₂ I, σ₂²K₂ + s₂²I]]). The mean is the average of
    each draw's exact conditional mean (exact in the curves, Monte Carlo in the
    hyperparameters). Both curves must share their inputs and range.
    """
    first = curves[0]
    g = (np.asarray(grid, float) - first.low) / first.width
    x, m = first.x, len(first.x)
    points, inverse = np.unique(np.concatenate([x, g]), return_inverse=True)
    ix, ig = inverse[:m], inverse[m:]
    length_i, sf, sn, prior = [], [], [], []
    for c in curves:
        li, ai, ni, w = c._flat()
        pick = rng.choice(len(w), size=n, p=w)
        f = np.empty((n, len(points)))
        for length in np.unique(li[pick]):
            rows = np.flatnonzero(li[pick] == length)
            root = _root(_prior_cov(points, points, LENGTH_SCALES[length]))
            f[rows] = AMPLITUDES[ai[pick[rows]]][:, None] * (rng.standard_normal((len(rows), len(points))) @ root.T)
        length_i.append(li[pick])
        sf.append(AMPLITUDES[ai[pick]])
        sn.append(c.noises[ni[pick]])
        prior.append(f)
    z1, z2 = rng.standard_normal((n, m)), rng.standard_normal((n, m))
    eps = (sn[0][:, None] * z1, sn[1][:, None] * (corr * z1 + np.sqrt(1.0 - corr ** 2) * z2))
    kxx = [_prior_cov(x, x, ell) for ell in LENGTH_SCALES]
    kxg = [_prior_cov(x, g, ell) for ell in LENGTH_SCALES]
    out = np.empty((n, len(g), 2))
    mean = np.zeros((len(g), 2))
    eye = np.eye(m)
    y = np.concatenate([curves[0].y, curves[1].y])
    for start in range(0, n, _CHUNK):
        rows = np.arange(start, min(n, start + _CHUNK))
        cov = np.zeros((len(rows), 2 * m, 2 * m))
        for j in range(2):
            block = np.stack([kxx[k] for k in length_i[j][rows]]) * (sf[j][rows] ** 2)[:, None, None]
            cov[:, j * m:(j + 1) * m, j * m:(j + 1) * m] = block + (sn[j][rows] ** 2)[:, None, None] * eye
        cross = (corr * sn[0][rows] * sn[1][rows])[:, None, None] * eye
        cov[:, :m, m:] = cross
        cov[:, m:, :m] = cross
        resid = np.concatenate([curves[j].y[None, :] - prior[j][rows][:, ix] - eps[j][rows] for j in range(2)], axis=1)
        rhs = np.stack([resid, np.broadcast_to(y, resid.shape)], axis=2)  # (rows, 2m, 2): the draw's and the mean's
        solved = np.linalg.solve(cov + _JITTER * np.eye(2 * m), rhs)
        for j in range(2):
            part = solved[:, j * m:(j + 1) * m, :]
            for length in np.unique(length_i[j][rows]):
                sel = np.flatnonzero(length_i[j][rows] == length)
                scale2 = (sf[j][rows][sel] ** 2)[:, None]
                upd = scale2 * (part[sel, :, 0] @ kxg[length])
                out[rows[sel], :, j] = prior[j][rows[sel]][:, ig] + upd
                mean[:, j] += (scale2 * (part[sel, :, 1] @ kxg[length])).sum(0)
    mean /= n
    for j, c in enumerate(curves):
        out[:, :, j] = c.centre + c.scale * out[:, :, j]
        mean[:, j] = c.centre + c.scale * mean[:, j]
    return out, mean
