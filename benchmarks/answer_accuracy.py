"""Answer accuracy and calibration over many truths: is the answer close, and does its interval cover?

A truth is a pair of curves α → (same-language P@1, cross-lingual mAP), a per-run
noise sd per objective, the correlation of a run's noise between the two objectives,
and the noise's shape; its true answer α* is the export's knee rule on the curves
(201-point grid). Truth families, in two groups:

*Tuning* (the GP's kernel and priors were chosen on these, 2026-12-03):

- ``regime:NAME``: a measured regime's per-α means through a monotone cubic (PCHIP),
  its pooled per-seed sd as the noise; every regime in ``fidelity_cpu.jsonl`` and
  ``fidelity_h200_per_seed.jsonl``;
- ``gp:L``: per study, fresh random curves from a Matérn-5/2 GP prior with length
  scale L, amplitude 3× the noise sd (of ``top1-100-dropout``), so the knee lands anywhere;
- ``warp:NAME^P``: a measured regime with α → α^P, which moves its knee.

*Held out* (issue 33: never used to choose the model):

- ``regime:NAME`` of the regimes measured after the model was fixed
  (``fidelity_packed5.jsonl``, 5 seeds each);
- ``moved:NAME``: such a regime with α warped piecewise-linearly so that its knee lands at
  a fresh uniform α* in [0.1, 0.4] ∪ [0.6, 0.9] per study: knees off the anchors;
- ``rbf:L``: random curves from a squared-exponential prior (a smoother kernel than the model's);
- ``post:NAME``: per study, curves drawn from a GP posterior given such a regime's
  per-seed rows (a plausible truth that does not take five noisy means as exact);
- ``t3:FAMILY``: FAMILY with Student-t noise (3 dof, scaled to the same sd; one draw of
  the t scale per run, so an outlier run is an outlier on both objectives).

Every family's noise is correlated between the two objectives with r = ``--noise-corr``
(default 0.85: a seed that is lucky on one objective is lucky on the other; measured per
seed, r is 0.8–0.94 on the H200 rows). Each simulated study is what ``python -m sweep.run``
does with the curves in place of training: the anchors α = 0, 0.5, 1 with 2 seeds
each first (they count toward the budget), then the study's sampler (``tpe`` seeded
per study, or ``knee``, the project's KneeSampler). The first N trials of a 40-trial
study are an N-trial study (neither sampler looks at the budget), so one study serves
every budget. At each budget:

- trial knee: the export's rule on the trials (``sweep.choose_trial``);
- smoothed: ``sweep.smooth_answer`` (noise learned from the runs), its 90 % interval's
  coverage of α*, width, and whether it is wider than WIDE_INTERVAL (0.25).

    python benchmarks/answer_accuracy.py --studies 200 --jobs 2                  # every family, both samplers
    python benchmarks/answer_accuracy.py --family regime:lite-packed --budgets 31 --out F   # one budget (equal wall time)
    python benchmarks/answer_accuracy.py --summarize                              # tables of the rows on disk
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

# Thousands of small eigendecompositions: BLAS threads only contend (set before numpy loads).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import optuna  # noqa: E402
from scipy.interpolate import PchipInterpolator  # noqa: E402
from sklearn.gaussian_process import GaussianProcessRegressor  # noqa: E402
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, Matern, WhiteKernel  # noqa: E402

from sweep import GRID_POINTS, KneeSampler, TooFewTrials, choose_index, choose_trial, smooth_answer  # noqa: E402

RESULTS = REPO / "benchmarks" / "results"
ROWS = (RESULTS / "fidelity_cpu.jsonl", RESULTS / "fidelity_h200_per_seed.jsonl")
#: Regimes measured after the GP model was chosen (issue 33): held-out truths.
HELD_OUT_ROWS = (RESULTS / "fidelity_packed5.jsonl",)
BUDGETS = (10, 20, 40)
ANCHORS = (0.0, 0.5, 1.0)
ANCHOR_SEEDS = 2
GRID = np.linspace(0.0, 1.0, GRID_POINTS)
COLS = ["same_lang_p@1", "xling_map"]
#: The CPU default's rows until issue 33: the GP-prior families' noise level, and the warped family's base.
DEFAULT_REGIME = "top1-100-dropout"
GP_LENGTHS = (0.15, 0.3, 0.6)
WARPS = ((DEFAULT_REGIME, 0.5), (DEFAULT_REGIME, 2.0))
RBF_LENGTHS = (0.2, 0.4)
#: A 90 % interval wider than this share of the α range says little (sweep.answer.WIDE_INTERVAL).
WIDE = 0.25
#: Where a moved knee may land: away from the anchors 0, 0.5 and 1.
MOVED_KNEES = ((0.1, 0.4), (0.6, 0.9))
NOISE_CORR = 0.85


@dataclass(frozen=True)
class Truth:
    """Curves on :data:`GRID` ((grid, 2)), the per-run noise sd, the true knee, and the noise's shape.

    ``corr``: correlation of a run's noise between the objectives; ``t_dof``: Student-t
    degrees of freedom of the noise (0: Gaussian).
    """

    curves: np.ndarray
    sd: np.ndarray
    knee: float
    corr: float = 0.0
    t_dof: int = 0

    def __call__(self, alpha: float) -> np.ndarray:
        return np.array([np.interp(alpha, GRID, self.curves[:, j]) for j in range(2)])

    def noise(self, rng: np.random.Generator) -> np.ndarray:
        """One run's noise on both objectives: correlated, Gaussian or Student-t with the truth's sd."""
        z = rng.standard_normal(2)
        z = np.array([z[0], self.corr * z[0] + np.sqrt(1.0 - self.corr ** 2) * z[1]])
        if self.t_dof:  # t with unit variance: a normal over sqrt(chi2/dof), scaled by sqrt((dof - 2)/dof)
            z *= np.sqrt((self.t_dof - 2) / rng.chisquare(self.t_dof))
        return self.sd * z


def _truth(curves: np.ndarray, sd: np.ndarray) -> Truth:
    return Truth(curves, sd, float(GRID[choose_index(curves)]))


def _pchip(rows: pd.DataFrame, regime: str) -> tuple[PchipInterpolator, np.ndarray]:
    """A regime's PCHIP through its per-α means and its pooled per-seed sd."""
    part = rows[rows.regime == regime]
    if part.alpha.nunique() < 2:
        raise SystemExit(f"error: {regime!r} has rows at fewer than 2 alphas: choose a regime measured in the rows file")
    means = part.groupby("alpha")[COLS].mean().sort_index()
    resid = part[COLS].to_numpy(float) - means.loc[part.alpha, COLS].to_numpy(float)
    sd = np.sqrt((resid ** 2).sum(0) / (len(part) - len(means)))
    return PchipInterpolator(means.index.to_numpy(float), means.to_numpy(float), axis=0, extrapolate=True), sd


def measured(rows: pd.DataFrame, regime: str, power: float = 1.0) -> Truth:
    """A regime's PCHIP curves through its per-α means (α → α^power), pooled per-seed sd."""
    interp, sd = _pchip(rows, regime)
    return _truth(interp(GRID ** power), sd)


def moved(rows: pd.DataFrame, regime: str, seed: int) -> Truth:
    """A measured regime with its knee moved to a fresh α* off the anchors (a piecewise-linear warp of α).

    The front in objective space is the regime's own; only which α reaches each point changes,
    so the knee point is the same and its α lands at the target (to the grid's step).
    """
    interp, sd = _pchip(rows, regime)
    knee = float(GRID[choose_index(interp(GRID))])
    if not 0.05 < knee < 0.95:
        raise SystemExit(f"error: {regime!r} has its knee at {knee:g}: a knee at an end cannot be moved by a warp")
    rng = np.random.default_rng([seed, 7])
    low, high = MOVED_KNEES[int(rng.integers(len(MOVED_KNEES)))]
    target = float(rng.uniform(low, high))
    warped = np.interp(GRID, [0.0, target, 1.0], [0.0, knee, 1.0])
    return _truth(interp(warped), sd)


def posterior(rows: pd.DataFrame, regime: str, seed: int) -> Truth:
    """Curves drawn from what a regime's per-seed rows say about them (a fresh plausible truth per study).

    A PCHIP through five per-α means takes them as exact, so features smaller than their
    standard error (a flat piece, a dip) become the truth and decide its knee. Here each
    objective is a Matérn-5/2 GP with a constant and white noise, fitted to every seed's row
    by scikit-learn's marginal-likelihood optimiser (not the answer's own model), and each
    study draws one noise-free curve from its posterior; the noise is the rows' pooled sd.
    """
    part = rows[rows.regime == regime]
    x = part.alpha.to_numpy(float)[:, None]
    _, sd = _pchip(rows, regime)
    rng = np.random.default_rng([seed, 11])
    curves = []
    for j, col in enumerate(COLS):
        y = part[col].to_numpy(float)
        fitted = _FITTED.get((regime, col))
        if fitted is None:
            # normalize_y: the kernel works in units of the rows' sd, so the noise starts at (sd / that)².
            kernel = ConstantKernel(1.0) * Matern(length_scale=0.3, length_scale_bounds=(0.05, 10.0), nu=2.5) \
                + WhiteKernel((sd[j] / y.std()) ** 2, noise_level_bounds=(1e-6, 10.0))
            gp = GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=5, random_state=0).fit(x, y)
            smooth = gp.kernel_.k1  # the curve's part: the fitted amplitude × Matérn, no white noise
            noise = gp.kernel_.k2.noise_level
            fitted = GaussianProcessRegressor(smooth, alpha=noise, normalize_y=True, optimizer=None).fit(x, y)
            _FITTED[(regime, col)] = fitted
        mean, cov = fitted.predict(GRID[:, None], return_cov=True)
        lam, vec = np.linalg.eigh(cov)
        curves.append(mean + (vec * np.sqrt(np.clip(lam, 0, None))) @ rng.standard_normal(len(GRID)))
    return _truth(np.stack(curves, axis=1), sd)


_FITTED: dict[tuple[str, str], GaussianProcessRegressor] = {}


def gp_prior(length: float, sd: np.ndarray, seed: int, kernel: str = "matern52") -> Truth:
    """Random smooth curves (one per objective) from a GP prior, amplitude 3× the noise sd."""
    rng = np.random.default_rng([seed, int(length * 1000)] + ([1] if kernel == "rbf" else []))
    cov = (RBF(length_scale=length) if kernel == "rbf" else Matern(length_scale=length, nu=2.5))(GRID[:, None])
    lam, vec = np.linalg.eigh(cov)
    root = vec * np.sqrt(np.clip(lam, 0, None))
    curves = np.stack([0.5 + 3 * sd[j] * (root @ rng.standard_normal(len(GRID))) for j in range(2)], axis=1)
    return _truth(curves, sd)


class _Run:
    """A finished trial as the export's rule reads it."""

    def __init__(self, number: int, alpha: float, values: np.ndarray) -> None:
        self.number, self.params, self.values = number, {"mono_ratio": alpha}, [float(values[0]), float(values[1])]


def simulate(truth: Truth, sampler: str, seed: int, trials: int) -> tuple[np.ndarray, np.ndarray]:
    """One study: α and noisy objectives per trial, in the order the study ran them."""
    rng = np.random.default_rng(seed)
    chosen = KneeSampler(seed=seed) if sampler == "knee" else optuna.samplers.TPESampler(seed=seed)
    study = optuna.create_study(directions=["maximize", "maximize"], sampler=chosen)
    for replicate in range(ANCHOR_SEEDS):
        for a in ANCHORS:
            study.enqueue_trial({"mono_ratio": a}, skip_if_exists=replicate == 0)
    alphas, values = [], []
    for _ in range(trials):
        trial = study.ask()
        a = trial.suggest_float("mono_ratio", 0.0, 1.0)
        v = truth(a) + truth.noise(rng)
        study.tell(trial, [float(v[0]), float(v[1])])
        alphas.append(a)
        values.append(v)
    return np.array(alphas), np.array(values)


def score_answers(alphas: np.ndarray, values: np.ndarray, knee: float, seed: int) -> dict[str, float]:
    trial_pick, _ = choose_trial([_Run(i, a, v) for i, (a, v) in enumerate(zip(alphas, values))], "knee")  # type: ignore[misc]
    out = {"trial_err": abs(trial_pick.params["mono_ratio"] - knee)}
    try:
        s = smooth_answer(alphas, values, bounds=(0.0, 1.0), seed=seed)
    except TooFewTrials:
        return {**out, "smooth_err": np.nan, "median_err": np.nan, "covered": np.nan, "width": np.nan}
    lo, hi = s.interval
    return {**out, "smooth_err": abs(s.mono_ratio - knee), "median_err": abs(s.median - knee),
            "covered": float(lo - 1e-9 <= knee <= hi + 1e-9), "width": hi - lo}


def _families(rows_files: list[str], held_out_files: list[str], corr: float) -> dict[str, tuple[str, object]]:
    """Every family by name: (group, a Truth or a function of the study's seed that makes one)."""
    rows = pd.concat([pd.read_json(f, lines=True) for f in rows_files], ignore_index=True)
    fams: dict[str, tuple[str, object]] = {}
    for r in sorted(rows.regime.unique()):
        fams[f"regime:{r}"] = ("tuning", measured(rows, r))
    base_sd = measured(rows, DEFAULT_REGIME).sd
    for length in GP_LENGTHS:
        fams[f"gp:{length:g}"] = ("tuning", lambda seed, length=length: gp_prior(length, base_sd, seed))
    for r, p in WARPS:
        fams[f"warp:{r}^{p:g}"] = ("tuning", measured(rows, r, p))
    held = [f for f in held_out_files if Path(f).exists()]
    if held:
        new = pd.concat([pd.read_json(f, lines=True) for f in held], ignore_index=True)
        for r in sorted(set(new.regime) - set(rows.regime)):
            fams[f"regime:{r}"] = ("held-out", measured(new, r))
            fams[f"moved:{r}"] = ("held-out", lambda seed, r=r: moved(new, r, seed))
            fams[f"t3:moved:{r}"] = ("held-out", lambda seed, r=r: replace(moved(new, r, seed), t_dof=3))
            fams[f"post:{r}"] = ("held-out", lambda seed, r=r: posterior(new, r, seed))
    for length in RBF_LENGTHS:
        fams[f"rbf:{length:g}"] = ("held-out", lambda seed, length=length: gp_prior(length, base_sd, seed, "rbf"))
    fams["t3:rbf:0.3"] = ("held-out", lambda seed: replace(gp_prior(0.3, base_sd, seed, "rbf"), t_dof=3))
    return {name: (group, _with_corr(spec, corr)) for name, (group, spec) in fams.items()}


def _with_corr(spec: object, corr: float) -> object:
    if isinstance(spec, Truth):
        return replace(spec, corr=corr)
    return lambda seed: replace(spec(seed), corr=corr)  # type: ignore[operator]


_FAMILIES: dict[str, tuple[str, object]] = {}
_BUDGETS: tuple[int, ...] = BUDGETS


def _one(task: tuple[str, str, int]) -> list[dict[str, object]]:
    family, sampler, seed = task
    group, spec = _FAMILIES[family]
    truth = spec if isinstance(spec, Truth) else spec(seed)  # type: ignore[operator]
    alphas, values = simulate(truth, sampler, seed, max(_BUDGETS))
    return [{"family": family, "group": group, "sampler": sampler, "study": seed, "trials": n, "knee": truth.knee,
             "noise_corr": truth.corr, "t_dof": truth.t_dof, **score_answers(alphas[:n], values[:n], truth.knee, seed)}
            for n in _BUDGETS]


def table(frame: pd.DataFrame) -> list[str]:
    """Markdown: one row per family × sampler × budget, both answers, the interval's coverage and width."""
    lines = ["| family | group | sampler | trials | trial knee: median / p90 \\|α̂ − α*\\| | smoothed: median / p90 "
             f"| 90 % interval: coverage | mean width | wider than {WIDE:g} | studies |", "|---|---|---|---|---|---|---|---|---|---|"]
    for (fam, sampler, n), part in frame.groupby(["family", "sampler", "trials"], sort=True):
        ok = part.dropna(subset=["smooth_err"])
        lines.append(f"| {fam} | {part.group.iloc[0]} | {sampler} | {n} | {part.trial_err.median():.3f} / "
                     f"{part.trial_err.quantile(0.9):.3f} | {ok.smooth_err.median():.3f} / {ok.smooth_err.quantile(0.9):.3f} | "
                     f"{ok.covered.mean():.0%} | {ok.width.mean():.3f} | {(ok.width > WIDE).mean():.0%} | {len(part)} |")
    return lines


def pooled(frame: pd.DataFrame) -> list[str]:
    """Markdown: per group × sampler × budget, pooled over families, and how many families cover within 85–95 %."""
    lines = ["| group | sampler | trials | smoothed: median / p90 | coverage (pooled) | families within 85–95 % "
             f"| under 85 % | over 95 % | mean width | wider than {WIDE:g} | studies |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for (group, sampler, n), part in frame.groupby(["group", "sampler", "trials"], sort=True):
        ok = part.dropna(subset=["smooth_err"])
        cov = ok.groupby("family").covered.mean()
        lines.append(f"| {group} | {sampler} | {n} | {ok.smooth_err.median():.3f} / {ok.smooth_err.quantile(0.9):.3f} | "
                     f"{ok.covered.mean():.0%} | {int(((cov >= 0.85) & (cov <= 0.95)).sum())} of {len(cov)} | "
                     f"{int((cov < 0.85).sum())} | {int((cov > 0.95).sum())} | {ok.width.mean():.3f} | "
                     f"{(ok.width > WIDE).mean():.0%} | {len(part)} |")
    return lines


def timing(repeats: int = 10) -> str:
    """Median wall time of one knee-sampler proposal and one smooth_answer at 40 runs (the CPU default's curves)."""
    rows = pd.concat([pd.read_json(f, lines=True) for f in ROWS], ignore_index=True)
    truth = replace(measured(rows, DEFAULT_REGIME), corr=NOISE_CORR)
    alphas, values = simulate(truth, "knee", 0, 40)
    trials = [optuna.trial.create_trial(params={"mono_ratio": float(a)}, values=[float(v[0]), float(v[1])],
                                        distributions={"mono_ratio": optuna.distributions.FloatDistribution(0, 1)})
              for a, v in zip(alphas, values)]
    sampler = KneeSampler(seed=0)
    propose, smooth = [], []
    for i in range(repeats):
        t0 = time.perf_counter()
        sampler.propose(trials, 40 + i, 0.0, 1.0)
        t1 = time.perf_counter()
        smooth_answer(alphas, values, bounds=(0.0, 1.0), seed=i)
        propose.append(t1 - t0)
        smooth.append(time.perf_counter() - t1)
    return (f"at 40 runs, median of {repeats}: knee-sampler proposal {np.median(propose) * 1000:.0f} ms, "
            f"smooth_answer {np.median(smooth) * 1000:.0f} ms (load average {os.getloadavg()[0]:.1f})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", action="append", help="per-seed rows file(s) of the tuning regimes (default: both in results/)")
    parser.add_argument("--held-out-rows", action="append", help="per-seed rows of regimes measured after the model was "
                        "chosen (default: results/fidelity_packed5.jsonl)")
    parser.add_argument("--sampler", choices=["tpe", "knee", "both"], default="both")
    parser.add_argument("--studies", type=int, default=200)
    parser.add_argument("--first-study", type=int, default=0, help="study seeds start here (to add studies to a run)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--family", action="append", help="only these families (e.g. gp:0.3)")
    parser.add_argument("--budgets", default=",".join(map(str, BUDGETS)), help="trial counts scored per study (prefixes of one study)")
    parser.add_argument("--noise-corr", type=float, default=NOISE_CORR, help="correlation of a run's noise between the objectives")
    parser.add_argument("--out", default=str(RESULTS / "answer_accuracy.jsonl"))
    parser.add_argument("--resume", action="store_true",
                        help="keep the rows already in --out and run only the studies they lack (append)")
    parser.add_argument("--summarize", action="store_true",
                        help="print the tables of the rows already in --out (e.g. of a run stopped early) and exit")
    parser.add_argument("--timing", action="store_true", help="only time one proposal and one smooth_answer at 40 runs")
    args = parser.parse_args(argv)
    if args.timing:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        print(timing())
        return 0
    if not args.summarize:
        global _BUDGETS
        _BUDGETS = tuple(sorted(int(b) for b in args.budgets.split(",")))
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        _FAMILIES.update(_families(args.rows or [str(p) for p in ROWS], args.held_out_rows or [str(p) for p in HELD_OUT_ROWS],
                                   args.noise_corr))
        unknown = set(args.family or ()) - set(_FAMILIES)
        if unknown:
            raise SystemExit(f"error: unknown famil(ies) {', '.join(sorted(unknown))}: choose from {', '.join(_FAMILIES)}")
        families = [f for f in _FAMILIES if not args.family or f in args.family]
        samplers = ["tpe", "knee"] if args.sampler == "both" else [args.sampler]
        # Seed-major order, rows appended as they finish: a run stopped early leaves every
        # family and sampler with about the same number of studies, all of them on disk.
        tasks = [(f, s, seed) for seed in range(args.first_study, args.first_study + args.studies)
                 for f in families for s in samplers]
        if args.resume and Path(args.out).exists():
            done = pd.read_json(args.out, lines=True).groupby(["family", "sampler", "study"]).size()
            complete = {key for key, n in done.items() if n == len(_BUDGETS)}
            tasks = [t for t in tasks if t not in complete]
        start = time.perf_counter()
        with open(args.out, "a" if args.resume else "w") as sink, multiprocessing.get_context("fork").Pool(args.jobs) as pool:
            for i, part in enumerate(pool.imap_unordered(_one, tasks, chunksize=2)):
                sink.write("".join(json.dumps(r) + "\n" for r in part))
                sink.flush()
                if (i + 1) % 100 == 0:
                    print(f"{i + 1}/{len(tasks)} studies, {time.perf_counter() - start:.0f} s", flush=True)
        print(f"{len(tasks)} studies run ({args.studies} per family and sampler in all) in {time.perf_counter() - start:.0f} s "
              f"with {args.jobs} job(s) on {os.cpu_count()} cores; raw rows: {args.out}\n")
    frame = pd.read_json(args.out, lines=True)
    print("\n".join(table(frame)))
    print("\nPooled per group of families:\n" + "\n".join(pooled(frame)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
