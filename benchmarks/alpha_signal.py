"""Does the batch ratio matter? Objectives at several alphas and seeds, plus the zero-shot baseline.

Runs this project's trial (cached frozen bottom, top-K training) with the default
encoder on XQuAD-R, and prints one JSON line per trial and a markdown summary
(mean ± std over seeds per alpha). Usage:

    python benchmarks/alpha_signal.py [--alphas 0,0.5,1] [--seeds 0,1,2] [--steps 80] [--train-layers 1]
        [--model DIR] [--batch-size 32] [--cache-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time

import torch

from objectives.trial import TrialConfig, prepare_workspace, run_trial, zero_shot


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alphas", default="0,0.5,1")
    parser.add_argument("--seeds", default="0,1,2")
    default = TrialConfig()
    parser.add_argument("--steps", type=int, default=default.regime.steps)
    parser.add_argument("--train-layers", type=int, default=default.regime.train_layers)
    parser.add_argument("--languages", default=None)
    parser.add_argument("--learning-rate", type=float, default=default.regime.learning_rate)
    parser.add_argument("--max-length", type=int, default=default.max_length)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model", default=default.model, help="model name or directory")
    parser.add_argument("--batch-size", type=int, default=default.batch_size)
    parser.add_argument("--cache-dir", default=None, help="activation cache root (default: the user cache)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cfg = TrialConfig(steps=args.steps, train_layers=args.train_layers, learning_rate=args.learning_rate,
                      max_length=args.max_length, languages=args.languages.split(",") if args.languages else None,
                      model=args.model, batch_size=args.batch_size, cache_dir=args.cache_dir)
    start = time.perf_counter()
    ws = prepare_workspace(cfg, progress=False)
    print(json.dumps({"event": "workspace", "seconds": round(time.perf_counter() - start, 1),
                      "cache_seconds": round(ws.cache_seconds, 1), "texts": len(ws.cache),
                      "cache_mb": round(ws.cache.states.nbytes / 1e6), "config": cfg.model_dump(mode="json"),
                      "machine": f"{platform.machine()}, {torch.get_num_threads()} threads"}), flush=True)
    base = zero_shot(ws, "dev")
    print(json.dumps({"event": "baseline", "same_lang_p@1": base.same_lang_p_at_k, "xling_map": base.xling_map,
                      "cr_map": base.cr_map, "language_bias": base.language_bias}), flush=True)
    rows: dict[float, list[tuple[float, float, float]]] = {}
    for alpha in [float(a) for a in args.alphas.split(",")]:
        for seed in [int(s) for s in args.seeds.split(",")]:
            r = run_trial(cfg, alpha, seed, ws)
            m = r.metrics
            rows.setdefault(alpha, []).append((m.same_lang_p_at_k, m.xling_map, m.cr_map))
            print(json.dumps({"event": "trial", "alpha": alpha, "seed": seed, "same_lang_p@1": m.same_lang_p_at_k,
                              "xling_map": m.xling_map, "cr_map": m.cr_map, "language_bias": m.language_bias,
                              "timings": {k: round(v, 2) for k, v in r.timings.items()},
                              "loss_first_last": [round(r.losses[0], 3), round(r.losses[-1], 3)]}), flush=True)
    print("\n| alpha | same_lang_p@1 | xling_map (Mul.) | cr_map |\n|---|---|---|---|")
    print(f"| zero-shot | {base.same_lang_p_at_k:.4f} | {base.xling_map:.4f} | {base.cr_map:.4f} |")
    for alpha, vals in rows.items():
        cols = []
        for i in range(3):
            xs = [v[i] for v in vals]
            sd = statistics.pstdev(xs) if len(xs) > 1 else 0.0
            cols.append(f"{statistics.mean(xs):.4f} ± {sd:.4f}")
        print(f"| {alpha:g} | " + " | ".join(cols) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
