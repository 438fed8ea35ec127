"""Helpers shared by the trial benchmarks: config from flags, peak memory, this project's trial, subprocess runs."""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from objectives.batches import HybridBatches, Pair
from objectives.retrieval import evaluate_embeddings
from objectives.trial import TrialConfig, Workspace, prepare_workspace, run_trial

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far: VmHWM (own address space only), else ru_maxrss.

    ``ru_maxrss`` of a child started with fork + exec carries the parent's peak on Linux;
    ``VmHWM`` starts fresh with the new address space.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def add_trial_args(parser: argparse.ArgumentParser) -> None:
    """Flags that define one trial; defaults are the project's defaults (TrialConfig)."""
    d = TrialConfig(regime="proxy", device="cpu")
    parser.add_argument("--alpha", type=float, default=0.5, help="mono_ratio of the trial")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=d.regime.steps)
    parser.add_argument("--batch-size", type=int, default=d.batch_size)
    parser.add_argument("--learning-rate", type=float, default=d.regime.learning_rate)
    parser.add_argument("--temperature", type=float, default=d.temperature)
    parser.add_argument("--max-length", type=int, default=d.max_length)
    parser.add_argument("--train-layers", type=int, default=d.regime.train_layers, help="K of this project's cached trial")
    parser.add_argument("--model", default=d.model, help="model name or directory (default: the default encoder)")
    parser.add_argument("--languages", default=None, help="comma-separated subset (default: all)")
    parser.add_argument("--cache-dir", default=None, help="activation cache root (default: the user cache)")
    parser.add_argument("--encode-batch-size", type=int, default=64, help="texts per forward in the full re-encode")
    parser.add_argument("--threads", type=int, default=2)


def trial_config(args: argparse.Namespace) -> TrialConfig:
    """The TrialConfig the flags describe."""
    return TrialConfig(
        model=args.model, steps=args.steps, batch_size=args.batch_size, learning_rate=args.learning_rate,
        temperature=args.temperature, max_length=args.max_length, train_layers=args.train_layers,
        languages=args.languages.split(",") if args.languages else None, cache_dir=args.cache_dir,
    )


def setup(args: argparse.Namespace) -> tuple[TrialConfig, Workspace, float]:
    """Set threads, load the workspace (data, splits, encoder, cache); return it with its wall time."""
    torch.set_num_threads(args.threads)
    cfg = trial_config(args)
    start = time.perf_counter()
    ws = prepare_workspace(cfg, progress=False)
    return cfg, ws, time.perf_counter() - start


def objectives_of(metrics: Any) -> dict[str, float]:
    """The two objectives plus Cr. mAP of an EvalResult."""
    return {"same_lang_p@1": float(metrics.same_lang_p_at_k), "xling_map": float(metrics.xling_map),
            "cr_map": float(metrics.cr_map)}


def run_ours(args: argparse.Namespace) -> dict[str, Any]:
    """This project's trial (cached frozen bottom, top-K layers trained) with the same settings."""
    cfg, ws, setup_s = setup(args)
    rss_setup = peak_rss_mib()
    start = time.perf_counter()
    result = run_trial(cfg, args.alpha, args.seed, ws)
    total = time.perf_counter() - start
    t = result.timings
    return {
        "run": f"xling-sweep (cached, K={cfg.regime.train_layers})", "steps": cfg.regime.steps, "setup_s": setup_s,
        "cache_s": t["cache"], "train_s": t["train"], "encode_s": t["encode"], "metrics_s": t["metrics"],
        "trial_s": total, "step_s": t["train"] / cfg.regime.steps, "peak_rss_mib_after_setup": rss_setup,
        "peak_rss_mib": peak_rss_mib(), **objectives_of(result.metrics),
        "loss_first_last": [result.losses[0], result.losses[-1]],
    }


def train_steps(
    label: str, steps: int, sampler: HybridBatches, optimizer: torch.optim.Optimizer,
    loss_of: Callable[[list[Pair]], torch.Tensor],
) -> tuple[list[float], list[float]]:
    """A baseline trial's plain training loop: ``steps`` optimizer steps on ``loss_of(batch)``.

    Returns the loss and the wall time of each step; a non-finite loss stops the run.
    """
    losses: list[float] = []
    step_times: list[float] = []
    for step in range(steps):
        t0 = time.perf_counter()
        loss = loss_of(sampler.next_batch())
        value = float(loss.detach())
        if not math.isfinite(value):
            raise RuntimeError(f"loss became {value} at step {step + 1}")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(value)
        step_times.append(time.perf_counter() - t0)
        print(f"# {label} step {step + 1}/{steps} loss {value:.3f} {step_times[-1]:.1f}s", file=sys.stderr, flush=True)
    return losses, step_times


def reencode_and_report(
    run: str, cfg: TrialConfig, ws: Workspace, encode: Callable[[list[str], str], np.ndarray], *,
    setup_s: float, rss_setup: float, start: float, step_times: list[float], params: list[torch.Tensor],
    losses: list[float],
) -> dict[str, Any]:
    """Finish a baseline trial whose training just ended: re-encode the dev questions and the
    whole pool with ``encode(texts, "query"|"passage")``, compute the same metrics, and return
    the row ``comparison_table`` reads, timed like ``run_trial``."""
    trained = time.perf_counter()
    q_texts: list[str] = list(ws.data.questions["text"])
    index = ws.eval_index(cfg.eval_split)
    q_emb = encode([q_texts[int(r)] for r in index.query_rows], "query")
    c_emb = encode(list(ws.data.candidates["text"]), "passage")
    encoded = time.perf_counter()
    metrics = evaluate_embeddings(q_emb, index.q_lang, index.q_group, c_emb, index.c_lang, index.rel_group,
                                  index.rel_cand, ws.languages, k=cfg.k)
    done = time.perf_counter()
    return {
        "run": run, "steps": cfg.regime.steps, "setup_s": setup_s, "train_s": trained - start, "encode_s": encoded - trained,
        "metrics_s": done - encoded, "trial_s": done - start, "step_s": (trained - start) / cfg.regime.steps,
        "step_s_median": sorted(step_times)[len(step_times) // 2], "trainable_params": sum(p.numel() for p in params),
        "encoded_texts": len(q_emb) + len(c_emb), "encode_texts_per_s": (len(q_emb) + len(c_emb)) / (encoded - trained),
        "peak_rss_mib_after_setup": rss_setup, "peak_rss_mib": peak_rss_mib(), **objectives_of(metrics),
        "loss_first_last": [losses[0], losses[-1]],
    }


def run_modes_in_subprocesses(script: str, modes: list[str], argv: list[str]) -> list[dict[str, Any]]:
    """Run ``script --mode M`` for each mode in a fresh process (clean peak RSS); return each JSON result."""
    out: list[dict[str, Any]] = []
    for mode in modes:
        cmd = [sys.executable, script, "--mode", mode, *argv]
        print(f"# running: {' '.join(cmd)}", file=sys.stderr, flush=True)
        proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr[-4000:])
            raise SystemExit(f"{mode} run failed with exit code {proc.returncode}")
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
        row = json.loads(lines[-1])
        row["load_average_after"] = [round(x, 2) for x in os.getloadavg()]  # other work on the machine shows here
        out.append(row)
        print(json.dumps(row), flush=True)
    return out


def strip_mode(argv: list[str]) -> list[str]:
    """``argv`` without ``--mode X`` / ``--mode=X`` (the parent passes its own)."""
    kept: list[str] = []
    skip = False
    for a in argv:
        if skip:
            skip = False
            continue
        if a == "--mode":
            skip = True
            continue
        if a.startswith("--mode="):
            continue
        kept.append(a)
    return kept


def comparison_table(rows: list[dict[str, Any]], extrapolate_to: int | None = None) -> str:
    """Markdown: per run wall time split, s/step, peak RSS, objectives; speed-up vs the first row."""
    head = ("| run | steps | train (s) | encode (s) | metrics (s) | trial total (s) | s/step | peak RSS (MiB) "
            "| same_lang_p@1 | xling_map | cr_map |\n|---|---|---|---|---|---|---|---|---|---|---|")
    lines = [head]
    for r in rows:
        lines.append(
            f"| {r['run']} | {r['steps']} | {r['train_s']:.1f} | {r['encode_s']:.1f} | {r['metrics_s']:.1f} | "
            f"{r['trial_s']:.1f} | {r['step_s']:.2f} | {r['peak_rss_mib']:.0f} | {r['same_lang_p@1']:.4f} | "
            f"{r['xling_map']:.4f} | {r['cr_map']:.4f} |"
        )
    lines.append("")
    lines.append("Load average (1, 5, 15 min) after each run: " + "; ".join(
        f"{r['run']}: {', '.join(f'{x:.1f}' for x in r.get('load_average_after', []))}" for r in rows) + ".")
    base = rows[0]
    for r in rows[1:]:
        lines.append("")
        lines.append(f"Speed-up of {base['run']} over {r['run']} at {r['steps']} steps (measured): "
                     f"{r['trial_s'] / base['trial_s']:.1f}x per trial, {r['step_s'] / base['step_s']:.1f}x per step; "
                     f"objective differences ({r['run']} - ours): same_lang_p@1 {r['same_lang_p@1'] - base['same_lang_p@1']:+.4f}, "
                     f"xling_map {r['xling_map'] - base['xling_map']:+.4f}.")
        if extrapolate_to and extrapolate_to != r["steps"]:
            theirs = r["step_s"] * extrapolate_to + r["encode_s"] + r["metrics_s"]
            ours = base["step_s"] * extrapolate_to + base["encode_s"] + base["metrics_s"]
            lines.append(f"EXTRAPOLATED to {extrapolate_to} steps (measured s/step x {extrapolate_to} + measured "
                         f"encode + metrics): {r['run']} {theirs:.0f} s, ours {ours:.0f} s, speed-up {theirs / ours:.1f}x.")
    return "\n".join(lines)


def compare_main(
    script: str, description: str, other: str, run_other: Callable[[argparse.Namespace], dict[str, Any]],
    add_args: Callable[[argparse.ArgumentParser], None] | None = None,
) -> int:
    """CLI of a two-run benchmark: ``--mode ours|<other>`` runs one trial and prints its JSON;
    ``both`` (default) runs each in a fresh process and prints the side-by-side table."""
    parser = argparse.ArgumentParser(description=description)
    add_trial_args(parser)
    parser.add_argument("--mode", choices=["both", "ours", other], default="both")
    parser.add_argument("--extrapolate-to", type=int, default=80, help="also extrapolate both trials to this many steps")
    if add_args is not None:
        add_args(parser)
    args = parser.parse_args()
    if args.mode != "both":
        print(json.dumps(run_ours(args) if args.mode == "ours" else run_other(args)), flush=True)
        return 0
    rows = run_modes_in_subprocesses(script, ["ours", other], strip_mode(sys.argv[1:]))
    print(f"\nalpha={args.alpha}, seed={args.seed}, steps={args.steps}, batch={args.batch_size}, "
          f"lr={args.learning_rate}, tau={args.temperature}, max_length={args.max_length}, threads={args.threads}; "
          f"setup (not counted): ours {rows[0]['setup_s']:.1f} s, {other} {rows[1]['setup_s']:.1f} s\n")
    print(comparison_table(rows, args.extrapolate_to))
    return 0
