"""Which CPU regime gives the most precise answer per CPU-minute, among those faithful with a margin?

Issue 33: a trial is only as good as its agreement with the fine-tuning it stands for,
and an interval only as useful as it is narrow. For each candidate regime (per-seed
rows in the fidelity shape, 5 seeds × 5 α on the packed loop) this prints:

- the same-language signal: P@1 at α 1 minus α 0, the pooled per-run sd, and
  (effect / sd)², the information one run carries about that effect; the same for mAP;
- fidelity against the reference (``benchmarks/fidelity.py``'s rule) and the margin:
  every pair the reference separates on same-language P@1 ordered right by z ≥ 1 of
  the candidate's own standard errors;
- cost: the median idle seconds per trial (``--costs``: rows of ``trial_speed.py``),
  a cold 40-trial study's estimated minutes (``--setup-s`` plus 40 trials), and the trial
  count that fits the baseline's 40-trial wall time (equal CPU time);
- simulated answers (``answer_accuracy.py``'s studies: the candidate's curves, either a
  PCHIP through its per-α means or drawn per study from a GP posterior given its rows,
  its noise, r = 0.85 between the objectives, anchors × 2 then TPE, the smoothed answer):
  the 90 % interval's mean width, share wider than 0.25 and
  coverage, at 40 trials and at the equal-time count.

The choice: the faithful-with-margin candidate with the narrowest mean interval at
equal CPU time.

    python benchmarks/regime_choice.py --candidates lite-packed,top1-150-packed,lite-150,lite-150-nodrop \\
        --costs benchmarks/results/trial_speed_regimes.jsonl --studies 200
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pandas as pd  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import answer_accuracy as acc  # noqa: E402
import fidelity as fid  # noqa: E402
import optuna  # noqa: E402

RESULTS = HERE / "results"
ROWS = (RESULTS / "fidelity_packed5.jsonl", RESULTS / "fidelity_cpu.jsonl", RESULTS / "fidelity_h200_per_seed.jsonl")

_ROWS: list[pd.DataFrame] = []
_CORR: list[float] = []
#: Two ways to turn a regime's rows into truths (answer_accuracy.py): a PCHIP through the per-α
#: means (the means taken as exact), and curves drawn per study from a GP posterior given the rows.
TRUTHS = ("pchip", "posterior")


def _truth(name: str, kind: str, seed: int) -> acc.Truth:
    rows = _ROWS[0]
    truth = acc.measured(rows, name) if kind == "pchip" else acc.posterior(rows, name, seed)
    return replace(truth, corr=_CORR[0])


def _study(task: tuple[str, str, int, tuple[int, ...]]) -> list[dict[str, float]]:
    name, kind, seed, budgets = task
    truth = _truth(name, kind, seed)
    alphas, values = acc.simulate(truth, "tpe", seed, max(budgets))
    return [{"regime": name, "truth": kind, "study": seed, "trials": n, "knee": truth.knee,
             **acc.score_answers(alphas[:n], values[:n], truth.knee, seed)} for n in budgets]


def signal(rows: pd.DataFrame, column: str) -> tuple[float, float]:
    """(mean at α 1 minus mean at α 0, pooled within-α sd)."""
    means = rows.groupby("alpha")[column].mean()
    return float(means.loc[1.0] - means.loc[0.0]), fid.pooled_sd(rows, column)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", nargs="+", default=[str(p) for p in ROWS])
    parser.add_argument("--reference", default="full-800@h200")
    parser.add_argument("--candidates", required=True, help="regime names in the rows, comma-separated")
    parser.add_argument("--baseline", default="lite-packed", help="the candidate whose 40 trials set the equal wall time")
    parser.add_argument("--costs", required=True, help="trial_speed.py rows (median trial_s per regime, idle runs)")
    parser.add_argument("--setup-s", type=float, default=165.0,
                        help="first-use set-up of a cold study (model conversion, activation cache, baseline), seconds")
    parser.add_argument("--studies", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--noise-corr", type=float, default=acc.NOISE_CORR)
    args = parser.parse_args(argv)
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    rows = pd.concat([pd.read_json(f, lines=True) for f in args.rows], ignore_index=True)
    names = args.candidates.split(",")
    missing = [n for n in names + [args.reference] if n not in set(rows.regime)]
    if missing:
        raise SystemExit(f"error: no rows for {', '.join(missing)} in {', '.join(args.rows)}")
    speeds = fid.speed_costs(args.costs)
    if any(n not in speeds for n in names):
        raise SystemExit(f"error: {args.costs} lacks timings for {', '.join(n for n in names if n not in speeds)}")
    cost = {n: speeds[n] for n in names}
    summary = fid.summarise(rows[rows.regime.isin(names + [args.reference])])
    verdicts = {v["regime"]: v for v in fid.compare(summary, rows, args.reference)}

    equal = {n: int(40 * cost[args.baseline] // cost[n]) for n in names}
    budgets = {n: tuple(sorted({equal[n], 40})) for n in names}
    _ROWS.append(rows)
    _CORR.append(args.noise_corr)
    tasks = [(n, kind, seed, budgets[n]) for seed in range(args.studies) for n in names for kind in TRUTHS]
    with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
        sims = pd.DataFrame([r for part in pool.imap_unordered(_study, tasks, chunksize=4) for r in part])

    lines = ["| regime | seeds | P@1 effect α 0→1 | sd | (effect/sd)² | mAP effect | sd | (effect/sd)² | P@1 pairs | min z | "
             "faithful | with margin | s/trial (idle) | cold 40-trial study | trials in the baseline's time | "
             "truth | true knee (mean) | 40 trials: mean width / wider than 0.25 / coverage | equal time: mean width / wider / coverage |",
             "|---|" + "---|" * 18]
    for n in names:
        part = rows[rows.regime == n]
        e1, s1 = signal(part, "same_lang_p@1")
        e2, s2 = signal(part, "xling_map")
        v = verdicts[n]
        a1, t1 = v["pairs_same_lang"]

        def sim(trials: int, kind: str) -> str:
            got = sims[(sims.regime == n) & (sims.truth == kind) & (sims.trials == trials)].dropna(subset=["width"])
            return f"{got.width.mean():.3f} / {(got.width > acc.WIDE).mean():.0%} / {got.covered.mean():.0%}"

        for kind in TRUTHS:
            knee = sims[(sims.regime == n) & (sims.truth == kind)].knee.mean()
            lines.append(f"| {n} | {part.seed.nunique()} | {e1:+.4f} | {s1:.4f} | {(e1 / s1) ** 2:.1f} | {e2:+.4f} | {s2:.4f} | "
                         f"{(e2 / s2) ** 2:.1f} | {a1}/{t1} | {v['min_z_same_lang']:.2f} | {'yes' if v['faithful'] else 'no'} | "
                         f"{'yes' if v['faithful_with_margin'] else 'no'} | {cost[n]:.1f} | "
                         f"{(args.setup_s + 40 * cost[n]) / 60:.1f} min | {equal[n]} | {kind} | {knee:.3f} | {sim(40, kind)} | "
                         f"{sim(equal[n], kind)} |")
    print("\n".join(lines))
    fair = [n for n in names if verdicts[n]["faithful_with_margin"]]
    if not fair:
        print("\nno candidate is faithful with the margin")
        return 0
    # Both kinds of truth count alike: the mean width over every simulated study at equal time.
    width = {n: sims[(sims.regime == n) & (sims.trials == equal[n])].width.mean() for n in fair}
    best = min(fair, key=lambda n: width[n])
    print(f"\nchoice: {best} (narrowest mean 90 % interval at the baseline's wall time, both truths pooled, among the "
          "faithful with margin: "
          + ", ".join(f"{n} {width[n]:.3f}" for n in fair) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
