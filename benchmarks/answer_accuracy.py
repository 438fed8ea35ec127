"""Answer accuracy: is the smoothed answer closer to the true knee than the trial knee?

Ground truth is a measured regime: the per-α means of its fidelity rows
(``benchmarks/results/fidelity_cpu.jsonl``, 3 seeds × 5 α), interpolated with a
monotone cubic (PCHIP), and its pooled per-seed std as the noise of one run. The
true answer α* is the export's knee rule on those curves (201-point grid).

Each simulated study is what ``python -m sweep.run`` does, with the curves in place
of training: the study's own sampler (TPE, seeded per study, as ``sweep`` builds it),
the anchors α = 0, 0.5, 1 run with 2 seeds each first (they count toward the trial
budget), every run = truth(α) + Gaussian noise at the measured std. The first 10 and
20 trials of a 40-trial study are exactly a 10- and a 20-trial study, so one study
serves all three budgets. For each budget:

- trial knee: the export's rule on the trials (``sweep.choose_trial``);
- smoothed: ``sweep.smooth_answer`` with the noise measured from the anchors'
  repeats (as a search study without a confirm stage has it), its 90 % interval.

Reports, per budget and method: median and 90th percentile of |α̂ − α*|, and the
smoothed interval's coverage of α*. Goals (issue "An answer that uses every
trial"): at 40 trials the smoothed median error ≤ half the trial knee's; coverage
≥ 80 % (goal 90 %); 20 smoothed trials at least as accurate as 40 trial-knee trials.

    python benchmarks/answer_accuracy.py --regime <cpu default candidate> --studies 200
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import optuna  # noqa: E402
from scipy.interpolate import PchipInterpolator  # noqa: E402

from sweep import GRID_POINTS, TooFewTrials, choose_index, choose_trial, noise_from_repeats, smooth_answer  # noqa: E402

BUDGETS = (10, 20, 40)
ANCHORS = (0.0, 0.5, 1.0)
ANCHOR_SEEDS = 2


def ground_truth(rows: pd.DataFrame, regime: str) -> tuple[PchipInterpolator, np.ndarray, float]:
    """(curves α → (P@1, mAP), per-run noise sd per objective, true knee α*)."""
    part = rows[rows.regime == regime]
    if part.empty:
        raise SystemExit(f"error: no rows of {regime!r}: choose a regime measured in the fidelity file")
    cols = ["same_lang_p@1", "xling_map"]
    means = part.groupby("alpha")[cols].mean().sort_index()
    curves = PchipInterpolator(means.index.to_numpy(float), means.to_numpy(float), axis=0)
    resid = part[cols].to_numpy(float) - means.loc[part.alpha, cols].to_numpy(float)
    dof = len(part) - len(means)
    sd = np.sqrt((resid ** 2).sum(0) / dof)
    grid = np.linspace(0, 1, GRID_POINTS)
    knee = float(grid[choose_index(curves(grid))])
    return curves, sd, knee


class _Run:
    """A finished trial as the export's rule reads it."""

    def __init__(self, number: int, alpha: float, values: np.ndarray) -> None:
        self.number, self.params, self.values = number, {"mono_ratio": alpha}, [float(values[0]), float(values[1])]


def simulate(curves: PchipInterpolator, sd: np.ndarray, seed: int, trials: int) -> tuple[np.ndarray, np.ndarray]:
    """One study: α and noisy objectives per trial, in the order the study ran them."""
    rng = np.random.default_rng(seed)
    study = optuna.create_study(directions=["maximize", "maximize"], sampler=optuna.samplers.TPESampler(seed=seed))
    for replicate in range(ANCHOR_SEEDS):
        for a in ANCHORS:
            study.enqueue_trial({"mono_ratio": a}, skip_if_exists=replicate == 0)
    alphas, values = [], []
    for _ in range(trials):
        trial = study.ask()
        a = trial.suggest_float("mono_ratio", 0.0, 1.0)
        v = curves(a) + rng.normal(0.0, sd)
        study.tell(trial, [float(v[0]), float(v[1])])
        alphas.append(a)
        values.append(v)
    return np.array(alphas), np.array(values)


def evaluate(alphas: np.ndarray, values: np.ndarray, knee: float, seed: int) -> dict[str, float]:
    trial_pick, _ = choose_trial([_Run(i, a, v) for i, (a, v) in enumerate(zip(alphas, values))], "knee")  # type: ignore[misc]
    out = {"trial_err": abs(trial_pick.params["mono_ratio"] - knee)}
    noise, dof = noise_from_repeats(alphas, values)
    try:
        s = smooth_answer(alphas, values, noise, noise_dof=dof, bounds=(0.0, 1.0), seed=seed)
    except TooFewTrials:
        return {**out, "smooth_err": np.nan, "covered": np.nan, "width": np.nan}
    lo, hi = s.interval
    return {**out, "smooth_err": abs(s.mono_ratio - knee), "covered": float(lo <= knee <= hi), "width": hi - lo}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default=str(REPO / "benchmarks" / "results" / "fidelity_cpu.jsonl"))
    parser.add_argument("--regime", required=True, help="fidelity candidate whose rows are the ground truth")
    parser.add_argument("--studies", type=int, default=200)
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "answer_accuracy.jsonl"))
    parser.add_argument("--plot", default=str(REPO / "benchmarks" / "results" / "answer_accuracy.png"))
    args = parser.parse_args(argv)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    curves, sd, knee = ground_truth(pd.read_json(args.rows, lines=True), args.regime)
    print(f"ground truth: {args.regime} (PCHIP through its per-alpha means), noise sd P@1 {sd[0]:.4f}, mAP {sd[1]:.4f}; "
          f"true knee alpha* = {knee:.3f}", flush=True)
    start = time.perf_counter()
    rows = []
    for seed in range(args.studies):
        alphas, values = simulate(curves, sd, seed, max(BUDGETS))
        for n in BUDGETS:
            rows.append({"study": seed, "trials": n, **evaluate(alphas[:n], values[:n], knee, seed)})
        if (seed + 1) % 25 == 0:
            print(f"{seed + 1} studies, {time.perf_counter() - start:.0f} s", flush=True)
    frame = pd.DataFrame(rows)
    Path(args.out).write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    lines = [f"Ground truth `{args.regime}` (rows: {Path(args.rows).name}), noise sd {sd[0]:.4f} / {sd[1]:.4f}, "
             f"α* = {knee:.3f}; {args.studies} simulated studies (TPE, anchors 0/0.5/1 × 2 seeds); "
             f"{time.perf_counter() - start:.0f} s on {os.cpu_count()} cores.", "",
             "| trials | trial knee: median \\|α̂ − α*\\| | trial knee: 90th pct | smoothed: median | smoothed: 90th pct "
             "| smoothed: 90 % interval covers α* | median interval width | smoothed unavailable |",
             "|---|---|---|---|---|---|---|---|"]
    for n, part in frame.groupby("trials"):
        ok = part.dropna(subset=["smooth_err"])
        lines.append(f"| {n} | {part.trial_err.median():.3f} | {part.trial_err.quantile(0.9):.3f} | "
                     f"{ok.smooth_err.median():.3f} | {ok.smooth_err.quantile(0.9):.3f} | {ok.covered.mean():.0%} | "
                     f"{ok.width.median():.3f} | {len(part) - len(ok)} |")
    by = frame.groupby("trials")
    t40, s40, s20 = by.trial_err.median()[40], by.smooth_err.median()[40], by.smooth_err.median()[20]
    cover40 = by.covered.mean()[40]
    goals = [("at 40 trials the smoothed median error <= half the trial knee's", s40 <= t40 / 2),
             ("the 90 % interval covers alpha* in >= 80 % of 40-trial studies", cover40 >= 0.8),
             ("20 smoothed trials at least as accurate as 40 trial-knee trials (median)", s20 <= t40)]
    lines += [""] + [f"- {'met' if ok else 'NOT met'}: {text}" for text, ok in goals]
    print("\n".join(lines))
    _plot(frame, args.plot)
    return 0


def _plot(frame: pd.DataFrame, out: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    budgets = sorted(frame.trials.unique())
    data = [frame[frame.trials == n].trial_err for n in budgets] + [frame[frame.trials == n].smooth_err.dropna() for n in budgets]
    pos = [i * 3 for i in range(len(budgets))] + [i * 3 + 1 for i in range(len(budgets))]
    box = ax.boxplot(data, positions=pos, widths=0.8, patch_artist=True, showfliers=False)
    for i, patch in enumerate(box["boxes"]):
        patch.set_facecolor("tab:gray" if i < len(budgets) else "tab:blue")
    ax.set_xticks([i * 3 + 0.5 for i in range(len(budgets))], [f"{n} trials" for n in budgets])
    ax.set_ylabel("|α̂ − α*|")
    ax.set_title("Answer error: trial knee (gray) vs smoothed (blue)")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
