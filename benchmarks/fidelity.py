"""Fidelity: does a cheap training regime rank the mono ratio α like full fine-tuning?

Every candidate regime trains at α ∈ {0, .25, .5, .75, 1} with several seeds on the
same split (XQuAD-R dev, the default encoder unless ``--model``), and is compared with
``full`` (all transformer layers, dropout, warm-up; the training a team runs):

- per α: mean ± std (sample, ddof = 1) of both objectives;
- Spearman ρ across α of each objective's means against ``full``'s;
- the regime's knee (the export's knee rule on its five mean points) and whether that
  α lies on ``full``'s Pareto front within 2 std: ``full``'s mean at that α, raised
  by 2 std on both objectives, is dominated by no other ``full`` mean;
- faithful := knee on ``full``'s front within 2 std and ρ ≥ 0.6 on both objectives
  (fixed before the numbers were seen);
- cost: median seconds per trial (train + encode + metrics) over the runs made while
  the machine was otherwise idle (1-minute load ≤ IDLE_LOAD; all runs if none was).

Two sub-commands. ``run`` appends one JSON line per (regime, α, seed) to ``--out`` and
skips lines already there, so an interrupted run resumes and results from several
machines (CPU candidates here, ``full`` on a GPU) can be joined. ``table`` reads any
number of such files and prints the markdown table; ``--write-record`` also writes
``objectives/fidelity/fidelity.json``, which run summaries and reports read.

    python benchmarks/fidelity.py run --regimes proxy,top1-300 --out benchmarks/results/fidelity_cpu.jsonl
    python benchmarks/fidelity.py run --regimes full --device cuda --model .gpu/e5-small-int8 \\
        --out $OUT/fidelity_gpu.jsonl
    python benchmarks/fidelity.py table benchmarks/results/fidelity_*.jsonl --write-record
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from objectives.fidelity import RECORD_FILE  # noqa: E402
from objectives.trial import TrialConfig, WorkspacePool, run_trial  # noqa: E402

ALPHAS = (0.0, 0.25, 0.5, 0.75, 1.0)
#: Share of the reference's separated α pairs a faithful candidate orders alike, per objective.
PAIR_SHARE = 0.9
#: Issue 33's margin: every pair the reference separates on same-language P@1 ordered right by at
#: least this many of the candidate's own standard errors (a tie within its noise is no agreement).
MARGIN_Z = 1.0
RULE = (f"on each objective >= {PAIR_SHARE:.0%} of the alpha pairs the reference separates (mean difference > "
        "2 pooled-sd standard errors) ordered alike, at least one such pair, and the knee on the reference's "
        "front within that noise")
RECORD = RECORD_FILE

#: Candidate regimes: a named regime plus overrides. The CPU candidates are what a
#: 2-core machine can afford per trial; ``full`` is the reference.
CANDIDATES: dict[str, dict[str, Any]] = {
    "proxy": {"regime": "proxy"},
    "top1-300": {"regime": "proxy", "steps": 300, "learning_rate": 2e-4},
    "top1-150": {"regime": "proxy", "steps": 150, "learning_rate": 4e-4},
    "top2-150": {"regime": "proxy", "train_layers": 2, "steps": 150, "learning_rate": 2e-4},
    "top1-300-dropout": {"regime": "proxy", "steps": 300, "learning_rate": 2e-4, "dropout": True,
                         "warmup_ratio": 0.1, "lr_schedule": "linear"},
    "top1-150-dropout": {"regime": "proxy", "steps": 150, "learning_rate": 4e-4, "dropout": True,
                         "warmup_ratio": 0.1, "lr_schedule": "linear"},
    # Cheaper than top1-150 (cost is about linear in steps): fewer steps at a higher learning rate,
    # and the same with the full regime's dropout and warm-up.
    "top1-100": {"regime": "proxy", "steps": 100, "learning_rate": 6e-4},
    "top1-80": {"regime": "proxy", "steps": 80, "learning_rate": 8e-4},
    "top1-60": {"regime": "proxy", "steps": 60, "learning_rate": 1e-3},
    "top1-120": {"regime": "proxy", "steps": 120, "learning_rate": 4e-4},
    "top1-100-dropout": {"regime": "proxy", "steps": 100, "learning_rate": 6e-4, "dropout": True,
                         "warmup_ratio": 0.1, "lr_schedule": "linear"},
    # The same recipe as top1-100-dropout (lite until issue 29) on the packed loop: no padding rows,
    # dropout masks from the trial seed (objectives.training); what `lite` now runs.
    "lite-packed": {"regime": "lite", "loop": "packed"},
    # Issue 33: candidates with a stronger same-language signal per CPU-second, all on the packed loop.
    # top1-150 as measured on the padded loop (no dropout, constant 4e-4); lite's recipe at 150 steps;
    # and lite's schedule at 150 steps with dropout off.
    # The recipe the CPU default `sharp` runs since issue 33 (the record a sharp study names).
    "top1-150-packed": {"regime": "proxy", "steps": 150, "learning_rate": 4e-4, "loop": "packed"},
    "lite-150": {"regime": "lite", "steps": 150},
    "lite-150-nodrop": {"regime": "lite", "steps": 150, "dropout": False},
    "full": {"regime": "full"},
    "full-800": {"regime": "full", "steps": 800, "learning_rate": 2e-5},
    "full-bf16": {"regime": "full", "precision": "bf16"},
}


def _done(path: Path) -> set[tuple[str, float, int]]:
    if not path.exists():
        return set()
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {(r["regime"], float(r["alpha"]), int(r["seed"])) for r in rows}


def _device_name(device: str) -> str:
    if device.startswith("cuda"):
        import torch

        return torch.cuda.get_device_name(device)
    return f"{platform.processor() or platform.machine()} ({os.cpu_count()} cores)"


def run(args: argparse.Namespace) -> int:
    import torch
    import transformers

    transformers.logging.set_verbosity_error()

    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = _done(out)
    pool = WorkspacePool(progress=False)
    alphas = [float(a) for a in args.alphas.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    for name in args.regimes.split(","):
        if name not in CANDIDATES:
            raise SystemExit(f"error: unknown candidate {name!r}: choose from {', '.join(CANDIDATES)}")
        overrides = {**CANDIDATES[name], **({"steps": args.steps} if args.steps else {})}
        config = TrialConfig(model=args.model, data=args.data, device=args.device, cache_dir=args.cache_dir,
                             max_length=args.max_length, eval_split="dev", **overrides)
        for seed in seeds:  # seeds outside: a partial run still covers every α
            for alpha in alphas:
                if (name, alpha, seed) in done:
                    continue
                start = time.perf_counter()
                ws = pool(config)
                setup_s = time.perf_counter() - start
                result = run_trial(config, alpha, seed, ws)
                m, t = result.metrics, result.timings
                row = {
                    "regime": name, "alpha": alpha, "seed": seed,
                    "same_lang_p@1": float(m.same_lang_p_at_k), "xling_map": float(m.xling_map),
                    "cr_map": float(m.cr_map), "mo_map": float(m.mo_map),
                    "train_s": round(t["train"], 2), "encode_s": round(t["encode"], 2), "metrics_s": round(t["metrics"], 2),
                    "trial_s": round(t["train"] + t["encode"] + t["metrics"], 2), "setup_s": round(setup_s, 1),
                    "loss_first_last": [round(result.losses[0], 4), round(result.losses[-1], 4)],
                    "device": config.device, "device_name": _device_name(config.device),
                    "threads": torch.get_num_threads(), "loadavg": round(os.getloadavg()[0], 2),
                    "model": args.model, "time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                    "config": {k: v for k, v in config.model_dump(mode="json").items()
                               if k in ("regime", "train_layers", "steps", "learning_rate", "warmup_ratio", "lr_schedule",
                                        "dropout", "train_path", "precision", "loop", "batch_size", "temperature",
                                        "max_length")},
                }
                with out.open("a") as handle:
                    handle.write(json.dumps(row) + "\n")
                print(f"{name} α={alpha:g} seed={seed}: P@1 {row['same_lang_p@1']:.4f} Mul {row['xling_map']:.4f} "
                      f"({row['trial_s']:.1f} s)", flush=True)
                del result
    return 0


# ----------------------------------------------------------------------------- table


#: A run's cost counts only when the machine was otherwise idle: 1-minute load at most
#: this (the run's own 2 threads make ~2 on the 2-core machine).
IDLE_LOAD = 2.3


def trial_cost(rows: pd.DataFrame) -> tuple[float, bool]:
    """Median seconds per trial over runs on an otherwise idle machine (all runs if none was), and
    whether any was: a cost from loaded runs only is an upper bound and is labelled as such."""
    idle = rows[rows["loadavg"] <= IDLE_LOAD] if "loadavg" in rows else rows
    return float((idle if len(idle) else rows)["trial_s"].median()), bool(len(idle))


def speed_costs(path: str) -> dict[str, float]:
    """Median seconds per trial per regime from ``trial_speed.py`` rows. Those runs go one repeat
    after another on an otherwise idle machine, so the load they record is mostly the previous
    repeat's own two threads: every row counts (a load filter would drop idle repeats at random)."""
    speed = pd.read_json(path, lines=True)
    return {str(name): float(part.trial_s.median()) for name, part in speed.groupby("regime")}


def _cost_text(cost: tuple[float, bool]) -> str:
    if np.isnan(cost[0]):
        return "–"  # a reference quoted without timings
    return f"{cost[0]:.1f}" if cost[1] else f"≤ {cost[0]:.1f} (loaded)"


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Per (regime, α): mean and sample std of both objectives, seeds, mean trial seconds."""
    g = rows.groupby(["regime", "alpha"])
    out = g.agg(p1=("same_lang_p@1", "mean"), p1_sd=("same_lang_p@1", "std"), xl=("xling_map", "mean"),
                xl_sd=("xling_map", "std"), seeds=("seed", "nunique"), trial_s=("trial_s", "mean"))
    return out.fillna({"p1_sd": 0.0, "xl_sd": 0.0}).reset_index()


def knee_alpha(points: pd.DataFrame) -> float:
    """The export's knee rule on mean points: Pareto set, min-max scale, nearest (1, 1), lowest α on ties."""
    v = points[["p1", "xl"]].to_numpy(float)
    dominated = [bool(np.any(np.all(v >= v[i], 1) & np.any(v > v[i], 1))) for i in range(len(v))]
    low, span = v.min(0), v.max(0) - v.min(0)
    span[span == 0] = 1.0
    dist = np.linalg.norm(1.0 - (v - low) / span, axis=1)
    candidates = [(dist[i], points.alpha.iloc[i]) for i in range(len(v)) if not dominated[i]]
    return float(min(candidates)[1])


def pooled_sd(ref_rows: pd.DataFrame, column: str) -> float:
    """Pooled within-cell sample std of ``column`` over the reference's α cells with ≥ 2 seeds."""
    dof, ss = 0, 0.0
    for _, cell in ref_rows.groupby("alpha"):
        values = cell[column].to_numpy(float)
        if len(values) >= 2:
            dof += len(values) - 1
            ss += float(((values - values.mean()) ** 2).sum())
    return float(np.sqrt(ss / dof)) if dof else float("nan")


def margin(sd: float, n_a: int, n_b: int) -> float:
    """The difference two reference means must exceed to count as separated: 2·sd·√(1/n_a + 1/n_b)."""
    return 2.0 * sd * float(np.sqrt(1.0 / n_a + 1.0 / n_b))


def pair_z(mine: pd.DataFrame, ref: pd.DataFrame, column: str, sd_ref: float, sd_mine: float) -> float:
    """The smallest z over the pairs the reference separates: the candidate's difference in the
    reference's direction over its own standard error, sd·√(1/n_a + 1/n_b) with its pooled sd.

    Negative: a pair ordered the wrong way; below 1: ordered right but within the candidate's
    own noise (issue 33's margin asks z ≥ 1 for every separated same-language pair).
    NaN when the reference separates no pair.
    """
    r, m, n_r = ref[column].to_numpy(float), mine[column].to_numpy(float), ref["seeds"].to_numpy(int)
    n_m = mine["seeds"].to_numpy(int)
    zs = []
    for i in range(len(r)):
        for j in range(i + 1, len(r)):
            if abs(r[i] - r[j]) > margin(sd_ref, n_r[i], n_r[j]):
                se = sd_mine * float(np.sqrt(1.0 / n_m[i] + 1.0 / n_m[j]))
                zs.append(float(np.sign(r[i] - r[j]) * (m[i] - m[j]) / se) if se > 0 else float("inf"))
    return min(zs) if zs else float("nan")


def pair_agreement(mine: pd.DataFrame, ref: pd.DataFrame, column: str, sd: float) -> tuple[int, int]:
    """(pairs ordered like the reference, pairs the reference separates) on one objective.

    ``mine`` and ``ref`` are summaries on the same α values (sorted alike); a tie in
    ``mine`` is not the same order.
    """
    r, m, n = ref[column].to_numpy(float), mine[column].to_numpy(float), ref["seeds"].to_numpy(int)
    agree = total = 0
    for i in range(len(r)):
        for j in range(i + 1, len(r)):
            if abs(r[i] - r[j]) > margin(sd, n[i], n[j]):
                total += 1
                agree += int(np.sign(m[i] - m[j]) == np.sign(r[i] - r[j]))
    return agree, total


def on_front_within_noise(ref: pd.DataFrame, alpha: float, sd_p1: float, sd_xl: float) -> bool:
    """No other reference α beats ``alpha``'s mean by more than the separation margin on both objectives."""
    hit = ref[np.isclose(ref.alpha, alpha)]
    if hit.empty:
        return False
    a = hit.iloc[0]
    for _, b in ref[~np.isclose(ref.alpha, alpha)].iterrows():
        if (b.p1 - a.p1 > margin(sd_p1, a.seeds, b.seeds)) and (b.xl - a.xl > margin(sd_xl, a.seeds, b.seeds)):
            return False
    return True


def compare(summary: pd.DataFrame, rows: pd.DataFrame, reference: str) -> list[dict[str, Any]]:
    """One verdict per regime against ``reference`` on the α values both measured (docs/design.md,
    "The fidelity rule"): faithful = on each objective ≥ PAIR_SHARE of the pairs the reference
    separates ordered alike (and at least one such pair), and the knee on the reference's front
    within noise. Spearman ρ is reported for information only."""
    ref_rows = rows[rows.regime == reference]
    sd_p1, sd_xl = pooled_sd(ref_rows, "same_lang_p@1"), pooled_sd(ref_rows, "xling_map")
    ref = summary[summary.regime == reference].sort_values("alpha")
    verdicts = []
    for name, part in summary.groupby("regime", sort=False):
        part = part.sort_values("alpha")
        common = sorted(set(part.alpha) & set(ref.alpha))
        mine = part[part.alpha.isin(common)]
        theirs = ref[ref.alpha.isin(common)]
        rho1 = float(pd.Series(mine.p1.values).corr(pd.Series(theirs.p1.values), method="spearman")) if len(common) > 2 else float("nan")
        rho2 = float(pd.Series(mine.xl.values).corr(pd.Series(theirs.xl.values), method="spearman")) if len(common) > 2 else float("nan")
        pairs1 = pair_agreement(mine, theirs, "p1", sd_p1)
        pairs2 = pair_agreement(mine, theirs, "xl", sd_xl)
        knee = knee_alpha(mine) if len(mine) else float("nan")
        on_front = on_front_within_noise(theirs, knee, sd_p1, sd_xl)
        ordered = all(total >= 1 and agree >= PAIR_SHARE * total for agree, total in (pairs1, pairs2))
        own = rows[rows.regime == name]
        z1 = pair_z(mine, theirs, "p1", sd_p1, pooled_sd(own, "same_lang_p@1"))
        z2 = pair_z(mine, theirs, "xl", sd_xl, pooled_sd(own, "xling_map"))
        verdicts.append({"regime": name, "alphas": len(common), "seeds": int(part.seeds.min()), "rho_same_lang": rho1,
                         "min_z_same_lang": z1, "min_z_xling": z2,
                         "faithful_with_margin": bool(ordered and on_front and z1 >= MARGIN_Z),
                         "rho_xling": rho2, "pairs_same_lang": pairs1, "pairs_xling": pairs2, "knee_alpha": knee,
                         "knee_on_front": on_front, "faithful": bool(ordered and on_front),
                         "reference_sd": (sd_p1, sd_xl)})
    return verdicts


def write_record(rows: pd.DataFrame, verdicts: list[dict[str, Any]], cost: dict[str, tuple[float, bool]],
                 args: argparse.Namespace) -> None:
    """objectives/fidelity/fidelity.json: one record per measured candidate, keyed by its training settings."""
    ref_rows = rows[rows.regime == args.reference]
    reference = (f"{args.reference} on {', '.join(sorted(set(ref_rows.device_name)))}, "
                 f"{ref_rows.alpha.nunique()} alphas, {len(ref_rows)} runs")
    records = []
    for v in verdicts:
        if v["regime"] not in CANDIDATES or v["regime"] == args.reference:
            continue  # references from elsewhere are not settings a study runs with
        part = rows[rows.regime == v["regime"]]
        settings = TrialConfig(device="cpu", **CANDIDATES[v["regime"]]).regime.settings()
        records.append({"regime": v["regime"], "settings": settings, "faithful": v["faithful"],
                        "pairs_same_lang": list(v["pairs_same_lang"]), "pairs_xling": list(v["pairs_xling"]),
                        "min_z_same_lang": round(v["min_z_same_lang"], 2), "min_z_xling": round(v["min_z_xling"], 2),
                        "faithful_with_margin": v["faithful_with_margin"],
                        "reference_sd": [round(x, 4) for x in v["reference_sd"]],
                        "rho_same_lang": round(v["rho_same_lang"], 3), "rho_xling": round(v["rho_xling"], 3),
                        "knee_alpha": v["knee_alpha"], "knee_on_front": v["knee_on_front"], "reference": reference,
                        "seconds_per_trial": round(cost[v["regime"]][0], 1),
                        "seconds_measured_idle": cost[v["regime"]][1],
                        "measured_on": f"XQuAD-R dev, default encoder, {', '.join(sorted(set(part.device_name)))}, "
                                       f"{int(part.seed.nunique())} seeds, {str(part.time.max())[:10]}",
                        "rule": RULE})
    source = ("python benchmarks/fidelity.py table " + " ".join(args.inputs) + f" --reference {args.reference} --write-record"
              + (f" --costs {args.costs}" if args.costs else ""))
    RECORD.write_text(json.dumps({"source": source, "records": records}, indent=1) + "\n")
    print(f"\nwrote {RECORD.relative_to(REPO)} ({len(records)} record(s))")


def table(args: argparse.Namespace) -> int:
    frames = [pd.read_json(p, lines=True) for p in args.inputs]
    rows = pd.concat(frames, ignore_index=True)
    summary = summarise(rows)
    if args.reference not in set(summary.regime):
        raise SystemExit(f"error: no {args.reference!r} rows in {', '.join(args.inputs)}: run it first (on a GPU)")
    cost = {name: trial_cost(part) for name, part in rows.groupby("regime")}
    if args.costs:  # idle timings of trial_speed.py beat the fidelity runs' own, which may have shared the machine
        for name, seconds in speed_costs(args.costs).items():
            if name in cost:
                cost[name] = (seconds, True)
    lines = ["| regime | " + " | ".join(f"α = {a:g}" for a in ALPHAS) + " | s/trial | device |",
             "|---|" + "---|" * len(ALPHAS) + "---|---|"]
    for name, part in summary.groupby("regime", sort=False):
        cells = []
        for a in ALPHAS:
            hit = part[np.isclose(part.alpha, a)]
            cells.append("–" if hit.empty else f"{hit.p1.iloc[0]:.4f} ± {hit.p1_sd.iloc[0]:.4f} / "
                         f"{hit.xl.iloc[0]:.4f} ± {hit.xl_sd.iloc[0]:.4f} (n={int(hit.seeds.iloc[0])})")
        devices = ", ".join(sorted(set(rows[rows.regime == name].device_name)))
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {_cost_text(cost[name])} | {devices} |")
    verdicts = compare(summary, rows, args.reference)
    sd1, sd2 = verdicts[0]["reference_sd"]
    lines += ["", f"Against `{args.reference}` (pooled within-cell sd {sd1:.4f} same_lang_p@1, {sd2:.4f} xling_map). "
              f"Faithful: {RULE}. ρ is information only.", "",
              "| regime | α compared | seeds | P@1 pairs ordered alike | min z (P@1) | mAP pairs ordered alike | min z (mAP) "
              f"| knee α | knee on front (noise) | faithful | with margin (P@1 z ≥ {MARGIN_Z:g}) | ρ P@1 | ρ mAP | s/trial |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for v in verdicts:
        (a1, n1), (a2, n2) = v["pairs_same_lang"], v["pairs_xling"]
        lines.append(f"| {v['regime']} | {v['alphas']} | {v['seeds']} | {a1}/{n1} | {v['min_z_same_lang']:.2f} | {a2}/{n2} | "
                     f"{v['min_z_xling']:.2f} | {v['knee_alpha']:g} | "
                     f"{'yes' if v['knee_on_front'] else 'no'} | {'**yes**' if v['faithful'] else 'no'} | "
                     f"{'**yes**' if v['faithful_with_margin'] else 'no'} | "
                     f"{v['rho_same_lang']:+.2f} | {v['rho_xling']:+.2f} | {_cost_text(cost[v['regime']])} |")
    print("\n".join(lines))
    if args.write_record:
        write_record(rows, verdicts, cost, args)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="train and evaluate candidates, one JSON line per (regime, alpha, seed)")
    r.add_argument("--regimes", default="proxy,top1-150,top1-300,top1-150-dropout,top2-150")
    r.add_argument("--alphas", default=",".join(f"{a:g}" for a in ALPHAS))
    r.add_argument("--seeds", default="0,1,2")
    r.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "fidelity_cpu.jsonl"))
    r.add_argument("--device", default="auto")
    r.add_argument("--model", default="multilingual-e5-small")
    r.add_argument("--data", default=None)
    r.add_argument("--cache-dir", default=None)
    r.add_argument("--max-length", type=int, default=128)
    r.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    r.add_argument("--steps", type=int, default=None, help="override every candidate's steps (smoke tests only)")
    t = sub.add_parser("table", help="markdown table and verdicts from JSON-lines files")
    t.add_argument("inputs", nargs="+")
    t.add_argument("--reference", default="full")
    t.add_argument("--write-record", action="store_true", help="write objectives/fidelity/fidelity.json")
    t.add_argument("--costs", help="trial_speed.py rows: their idle median trial seconds replace the rows' own")
    args = parser.parse_args(argv)
    return run(args) if args.command == "run" else table(args)


if __name__ == "__main__":
    sys.exit(main())
