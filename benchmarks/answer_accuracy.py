"""Answer accuracy and calibration over many truths: is the answer close, and does its interval cover?

A truth is a pair of curves α → (same-language P@1, cross-lingual mAP) and a
per-run noise sd; its true answer α* is the export's knee rule on the curves (201-point
grid). Truth families:

- ``regime:NAME``: a measured regime's per-α means (any per-seed rows file in the
  fidelity shape: ``regime, alpha, seed, same_lang_p@1, xling_map``), through a
  monotone cubic (PCHIP), its pooled per-seed sd as the noise; every regime in
  ``benchmarks/results/fidelity_cpu.jsonl`` and ``fidelity_h200_per_seed.jsonl``;
- ``gp:L``: per study, fresh random curves from a Matérn-5/2 GP prior with length
  scale L, amplitude 3× the noise sd (the CPU default's), so the knee lands anywhere;
- ``warp:NAME^P``: a measured regime with α → α^P, which moves its knee.

Each simulated study is what ``python -m sweep.run`` does with the curves in place
of training: the anchors α = 0, 0.5, 1 with 2 seeds each first (they count toward
the budget), then the study's sampler (``tpe`` seeded per study, or ``knee``, the
project's KneeSampler), every run = truth(α) + Gaussian noise. The first 10 and 20
trials of a 40-trial study are a 10- and a 20-trial study (neither sampler looks at
the budget), so one study serves all three budgets. At each budget:

- trial knee: the export's rule on the trials (``sweep.choose_trial``);
- smoothed: ``sweep.smooth_answer`` with the noise prior from the runs repeated at one
  α, its 90 % interval's coverage of α* and width.

    python benchmarks/answer_accuracy.py --studies 200 --jobs 2                  # every family, both samplers
    python benchmarks/answer_accuracy.py --rows FILE --regime NAME --sampler knee  # one measured regime
    python benchmarks/answer_accuracy.py --summarize                              # tables of the rows on disk
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass
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
from sklearn.gaussian_process.kernels import Matern  # noqa: E402

from sweep import GRID_POINTS, KneeSampler, TooFewTrials, choose_index, choose_trial, noise_from_repeats, smooth_answer  # noqa: E402

RESULTS = REPO / "benchmarks" / "results"
ROWS = (RESULTS / "fidelity_cpu.jsonl", RESULTS / "fidelity_h200_per_seed.jsonl")
BUDGETS = (10, 20, 40)
ANCHORS = (0.0, 0.5, 1.0)
ANCHOR_SEEDS = 2
GRID = np.linspace(0.0, 1.0, GRID_POINTS)
COLS = ["same_lang_p@1", "xling_map"]
#: The CPU default's rows: the GP-prior family's noise level, and the warped family's base.
DEFAULT_REGIME = "top1-100-dropout"
GP_LENGTHS = (0.15, 0.3, 0.6)
WARPS = ((DEFAULT_REGIME, 0.5), (DEFAULT_REGIME, 2.0))


@dataclass(frozen=True)
class Truth:
    """Curves on :data:`GRID` ((grid, 2)), the per-run noise sd and the true knee."""

    curves: np.ndarray
    sd: np.ndarray
    knee: float

    def __call__(self, alpha: float) -> np.ndarray:
        return np.array([np.interp(alpha, GRID, self.curves[:, j]) for j in range(2)])


def _truth(curves: np.ndarray, sd: np.ndarray) -> Truth:
    return Truth(curves, sd, float(GRID[choose_index(curves)]))


def measured(rows: pd.DataFrame, regime: str, power: float = 1.0) -> Truth:
    """A regime's PCHIP curves through its per-α means (α → α^power), pooled per-seed sd."""
    part = rows[rows.regime == regime]
    if part.alpha.nunique() < 2:
        raise SystemExit(f"error: {regime!r} has rows at fewer than 2 alphas: choose a regime measured in the rows file")
    means = part.groupby("alpha")[COLS].mean().sort_index()
    resid = part[COLS].to_numpy(float) - means.loc[part.alpha, COLS].to_numpy(float)
    sd = np.sqrt((resid ** 2).sum(0) / (len(part) - len(means)))
    interp = PchipInterpolator(means.index.to_numpy(float), means.to_numpy(float), axis=0, extrapolate=True)
    return _truth(interp(GRID ** power), sd)


def gp_prior(length: float, sd: np.ndarray, seed: int) -> Truth:
    """Random smooth curves (one per objective) from a Matérn-5/2 prior, amplitude 3× the noise sd."""
    rng = np.random.default_rng([seed, int(length * 1000)])
    cov = Matern(length_scale=length, nu=2.5)(GRID[:, None])
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
        v = truth(a) + rng.normal(0.0, truth.sd)
        study.tell(trial, [float(v[0]), float(v[1])])
        alphas.append(a)
        values.append(v)
    return np.array(alphas), np.array(values)


def score_answers(alphas: np.ndarray, values: np.ndarray, knee: float, seed: int) -> dict[str, float]:
    trial_pick, _ = choose_trial([_Run(i, a, v) for i, (a, v) in enumerate(zip(alphas, values))], "knee")  # type: ignore[misc]
    out = {"trial_err": abs(trial_pick.params["mono_ratio"] - knee)}
    noise, dof = noise_from_repeats(alphas, values)
    try:
        s = smooth_answer(alphas, values, noise, noise_dof=dof, bounds=(0.0, 1.0), seed=seed)
    except TooFewTrials:
        return {**out, "smooth_err": np.nan, "median_err": np.nan, "covered": np.nan, "width": np.nan}
    lo, hi = s.interval
    return {**out, "smooth_err": abs(s.mono_ratio - knee), "median_err": abs(s.median - knee),
            "covered": float(lo - 1e-9 <= knee <= hi + 1e-9), "width": hi - lo}


def _families(rows_files: list[str], regime: str | None) -> dict[str, object]:
    rows = pd.concat([pd.read_json(f, lines=True) for f in rows_files], ignore_index=True)
    if regime is not None:
        return {f"regime:{regime}": measured(rows, regime)}
    fams: dict[str, object] = {f"regime:{r}": measured(rows, r) for r in sorted(rows.regime.unique())}
    base_sd = measured(rows, DEFAULT_REGIME).sd
    fams.update({f"gp:{length:g}": (length, base_sd) for length in GP_LENGTHS})
    fams.update({f"warp:{r}^{p:g}": measured(rows, r, p) for r, p in WARPS})
    return fams


_FAMILIES: dict[str, object] = {}


def _one(task: tuple[str, str, int]) -> list[dict[str, object]]:
    family, sampler, seed = task
    spec = _FAMILIES[family]
    truth = gp_prior(spec[0], spec[1], seed) if isinstance(spec, tuple) else spec
    alphas, values = simulate(truth, sampler, seed, max(BUDGETS))
    return [{"family": family, "sampler": sampler, "study": seed, "trials": n, "knee": truth.knee,
             **score_answers(alphas[:n], values[:n], truth.knee, seed)} for n in BUDGETS]


def table(frame: pd.DataFrame) -> list[str]:
    """Markdown: one row per family × sampler × budget, both answers."""
    lines = ["| family | sampler | trials | trial knee: median / p90 \\|α̂ − α*\\| | smoothed: median / p90 "
             "| smoothed 90 % interval: coverage | median width | studies |", "|---|---|---|---|---|---|---|---|"]
    for (fam, sampler, n), part in frame.groupby(["family", "sampler", "trials"], sort=True):
        ok = part.dropna(subset=["smooth_err"])
        lines.append(f"| {fam} | {sampler} | {n} | {part.trial_err.median():.3f} / {part.trial_err.quantile(0.9):.3f} | "
                     f"{ok.smooth_err.median():.3f} / {ok.smooth_err.quantile(0.9):.3f} | {ok.covered.mean():.0%} | "
                     f"{ok.width.median():.3f} | {len(part)} |")
    return lines


def goals(frame: pd.DataFrame, new_sampler: str = "knee") -> list[str]:
    """The issue's goals per family: coverage 85–95 % at 20 and 40; accuracy and cost against TPE + trial knee."""
    out = []
    for fam, part in frame.groupby("family"):
        base = part[(part.sampler == "tpe") & (part.trials == 40)].trial_err
        new40 = part[(part.sampler == new_sampler) & (part.trials == 40)].smooth_err.dropna()
        new20 = part[(part.sampler == new_sampler) & (part.trials == 20)].smooth_err.dropna()
        cov = {n: part[(part.sampler == new_sampler) & (part.trials == n)].covered.mean() for n in (20, 40)}
        if base.empty or new40.empty:
            continue
        acc = new40.median() <= base.median() / 2 and new40.quantile(0.9) <= base.quantile(0.9) / 2
        cost = new20.median() <= base.median() and new20.quantile(0.9) <= base.quantile(0.9)
        out.append(f"| {fam} | {cov[20]:.0%} / {cov[40]:.0%} | {'met' if all(0.85 <= c <= 0.95 for c in cov.values()) else 'no'} "
                   f"| {new40.median():.3f} / {new40.quantile(0.9):.3f} vs {base.median():.3f} / {base.quantile(0.9):.3f} "
                   f"| {'met' if acc else 'no'} | {new20.median():.3f} / {new20.quantile(0.9):.3f} | {'met' if cost else 'no'} |")
    head = ["| family | coverage at 20 / 40 | 85–95 % | 40 trials, median / p90 error: new vs TPE + trial knee | ≤ half "
            "| 20 trials of new: median / p90 | ≤ 40 of today |", "|---|---|---|---|---|---|---|"]
    return head + out


def timing(repeats: int = 10) -> str:
    """Median wall time of one knee-sampler proposal and one smooth_answer at 40 runs (the CPU default's curves)."""
    rows = pd.concat([pd.read_json(f, lines=True) for f in ROWS], ignore_index=True)
    truth = measured(rows, DEFAULT_REGIME)
    alphas, values = simulate(truth, "knee", 0, 40)
    trials = [optuna.trial.create_trial(params={"mono_ratio": float(a)}, values=[float(v[0]), float(v[1])],
                                        distributions={"mono_ratio": optuna.distributions.FloatDistribution(0, 1)})
              for a, v in zip(alphas, values)]
    sampler, noise = KneeSampler(seed=0), noise_from_repeats(alphas, values)
    propose, smooth = [], []
    for i in range(repeats):
        t0 = time.perf_counter()
        sampler.propose(trials, 40 + i, 0.0, 1.0)
        t1 = time.perf_counter()
        smooth_answer(alphas, values, noise[0], noise_dof=noise[1], bounds=(0.0, 1.0), seed=i)
        propose.append(t1 - t0)
        smooth.append(time.perf_counter() - t1)
    return (f"at 40 runs, median of {repeats}: knee-sampler proposal {np.median(propose) * 1000:.0f} ms, "
            f"smooth_answer {np.median(smooth) * 1000:.0f} ms (load average {os.getloadavg()[0]:.1f})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", action="append", help="per-seed rows file(s) in the fidelity shape (default: both in results/)")
    parser.add_argument("--regime", help="one measured regime as the only truth family (default: every family)")
    parser.add_argument("--sampler", choices=["tpe", "knee", "both"], default="both")
    parser.add_argument("--studies", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--family", action="append", help="only these families (e.g. gp:0.3)")
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
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        _FAMILIES.update(_families(args.rows or [str(p) for p in ROWS], args.regime))
        families = [f for f in _FAMILIES if not args.family or f in args.family]
        samplers = ["tpe", "knee"] if args.sampler == "both" else [args.sampler]
        # Seed-major order, rows appended as they finish: a run stopped early leaves every
        # family and sampler with about the same number of studies, all of them on disk.
        tasks = [(f, s, seed) for seed in range(args.studies) for f in families for s in samplers]
        if args.resume and Path(args.out).exists():
            done = pd.read_json(args.out, lines=True).groupby(["family", "sampler", "study"]).size()
            complete = {key for key, n in done.items() if n == len(BUDGETS)}
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
    if frame.sampler.nunique() == 2:
        for sampler in ("knee", "tpe"):  # the knee sampler, and the default that shipped (TPE)
            print(f"\nGoals, new = {sampler} + smoothed:\n" + "\n".join(goals(frame, new_sampler=sampler)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
