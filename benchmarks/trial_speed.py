"""Trial speed: per-phase time, FLOPs executed and useful, GFLOPS against a measured sgemm peak (issue 29).

Runs one regime's trial (default ``lite``, α 0.5, seed 0, warm activation cache) with
each training loop (``padded``: the loop before issue 29; ``packed``: no padding rows,
cheap seeded dropout masks), ``--repeats`` times each, alternating, and reports:

- seconds per phase (train, encode, metrics) as :func:`objectives.trial.run_trial` times them,
  with the 1-minute load average read before and after each trial (the machine is
  shared: a trial that ran beside other work says so);
- FLOPs a trial executes (padding rows included) and the useful FLOPs (real tokens
  only), counted from the very batches the trial's sampler draws; a training step counts
  3× its forward (forward, input and weight gradients), attention as 4·T²·H per text
  and layer, the dense maps as 2·rows·(4H² + 2HI) per layer;
- GFLOPS = FLOPs / phase seconds, against the machine's fp32 sgemm rate measured
  here (a 2048³ product and a token-shaped [4096×384]·[384×1536] product).

    python benchmarks/trial_speed.py --repeats 3 --out benchmarks/results/trial_speed.jsonl
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

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import torch  # noqa: E402

from objectives.batches import HybridBatches  # noqa: E402
from objectives.training import PackedTexts  # noqa: E402
from objectives.trial import (  # noqa: E402
    TrialConfig,
    Workspace,  # noqa: E402
    WorkspacePool,
    run_trial,
)


def sgemm_gflops(threads: int, repeats: int = 5) -> dict[str, float]:
    """Best-of-``repeats`` fp32 matmul rate: a square 2048³ product and a token-shaped one."""
    torch.set_num_threads(threads)
    out = {}
    for name, (m, k, n) in {"sgemm_2048": (2048, 2048, 2048), "sgemm_tokens": (4096, 384, 1536)}.items():
        a, b = torch.randn(m, k), torch.randn(k, n)
        a @ b
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            a @ b
            best = min(best, time.perf_counter() - start)
        out[name] = 2 * m * k * n / best / 1e9
    return out


class FlopModel:
    """FLOPs of the top ``layers`` BERT layers (hidden ``h``, feed-forward ``i``) for texts of given lengths."""

    def __init__(self, layers: int, hidden: int, inner: int) -> None:
        self.layers, self.h, self.i = layers, hidden, inner

    def dense(self, rows: int) -> float:
        return 2.0 * rows * (4 * self.h * self.h + 2 * self.h * self.i) * self.layers

    def attention(self, widths: np.ndarray) -> float:
        return float(4.0 * self.h * np.sum(np.asarray(widths, dtype=np.float64) ** 2)) * self.layers

    def useful(self, lengths: np.ndarray) -> float:
        return self.dense(int(lengths.sum())) + self.attention(lengths)

    def padded(self, lengths: np.ndarray) -> float:
        """One padded batch: every text as long as the longest."""
        width = int(lengths.max())
        return self.dense(width * len(lengths)) + self.attention(np.full(len(lengths), width))

    def packed(self, lengths: np.ndarray) -> float:
        """Packed tokens, attention in the packed loop's own buckets of texts of similar length."""
        plan = PackedTexts.plan(lengths, torch.device("cpu"))
        widths = np.concatenate([np.full(last - first, width) for first, last, width, *_ in plan.buckets])
        return self.dense(int(lengths.sum())) + self.attention(widths)


def trial_flops(ws: Workspace, config: TrialConfig, alpha: float, seed: int) -> dict[str, float]:
    """Executed and useful FLOPs of one trial's training, encoding and metrics."""
    model = ws.encoder.model.config
    flops = FlopModel(ws.train_layers, int(model.hidden_size), int(model.intermediate_size))
    lengths = ws.cache.lengths if ws.cache is not None else np.array([len(t) for t in ws.token_ids])
    sampler = HybridBatches(ws.train_items, ws.train_languages, config.batch_size, alpha, config.mixing, seed=seed)
    packed = config.regime.loop == "packed"
    train_exec = train_useful = 0.0
    for _ in range(config.regime.steps):
        batch = sampler.next_batch()
        q = lengths[[p.query for p in batch]]
        c = lengths[[p.passage for p in batch]]
        both = np.concatenate([q, c])
        train_useful += 3 * flops.useful(both)
        train_exec += 3 * (flops.packed(both) if packed else flops.padded(q) + flops.padded(c))
    index = ws.eval_index(config.eval_split)
    enc_exec = enc_useful = 0.0
    for rows in (index.query_rows, index.candidate_rows):
        ordered = np.sort(lengths[rows])
        for s in range(0, len(ordered), config.eval_batch_size):
            chunk = ordered[s:s + config.eval_batch_size]
            enc_useful += flops.useful(chunk)
            enc_exec += flops.packed(chunk) if packed else flops.padded(chunk)
    metrics = 2.0 * len(index.query_rows) * len(index.candidate_rows) * int(model.hidden_size)
    return {"train_exec": train_exec, "train_useful": train_useful, "encode_exec": enc_exec, "encode_useful": enc_useful,
            "metrics_exec": metrics, "metrics_useful": metrics}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regime", default="lite")
    parser.add_argument("--candidate", help="a candidate of benchmarks/fidelity.py (a regime with overrides) instead of "
                        "--regime; rows are named after it (issue 33's regime table)")
    parser.add_argument("--loops", default="padded,packed")
    parser.add_argument("--alpha", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--steps", type=int, default=None, help="override the regime's steps (smoke tests only)")
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "trial_speed.jsonl"))
    args = parser.parse_args(argv)

    import transformers

    transformers.logging.set_verbosity_error()
    torch.set_num_threads(args.threads)
    peak = sgemm_gflops(args.threads)
    print(f"sgemm peak: {peak['sgemm_2048']:.0f} GFLOPS (2048³), {peak['sgemm_tokens']:.0f} GFLOPS ([4096×384]·[384×1536]), "
          f"load {os.getloadavg()[0]:.2f}", flush=True)
    pool = WorkspacePool(progress=False)
    loops = args.loops.split(",")
    settings = {"regime": args.regime}
    if args.candidate:
        sys.path.insert(0, str(REPO / "benchmarks"))
        from fidelity import CANDIDATES

        settings = dict(CANDIDATES[args.candidate])
        args.regime = args.candidate
    configs = {loop: TrialConfig(device=args.device, eval_split="dev",
                                 **{**settings, "loop": loop, **({"steps": args.steps} if args.steps else {})}) for loop in loops}
    flops = {loop: trial_flops(pool(cfg), cfg, args.alpha, args.seed) for loop, cfg in configs.items()}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    first: dict[str, Any] = {}
    for repeat in range(args.repeats):
        for loop, cfg in configs.items():  # alternate, so a burst of load hits both loops alike
            ws = pool(cfg)
            load_before = os.getloadavg()[0]
            result = run_trial(cfg, args.alpha, args.seed, ws)
            load_after = os.getloadavg()[0]
            t, f = result.timings, flops[loop]
            row = {
                "regime": args.regime, "loop": loop, "repeat": repeat, "alpha": args.alpha, "seed": args.seed,
                "train_s": round(t["train"], 2), "encode_s": round(t["encode"], 2), "metrics_s": round(t["metrics"], 2),
                "trial_s": round(t["train"] + t["encode"] + t["metrics"], 2),
                **{f"{k}_gflop": round(v / 1e9, 1) for k, v in f.items()},
                "train_gflops_exec": round(f["train_exec"] / t["train"] / 1e9, 1),
                "train_gflops_useful": round(f["train_useful"] / t["train"] / 1e9, 1),
                "encode_gflops_exec": round(f["encode_exec"] / t["encode"] / 1e9, 1),
                "encode_gflops_useful": round(f["encode_useful"] / t["encode"] / 1e9, 1),
                "metrics_gflops": round(f["metrics_exec"] / t["metrics"] / 1e9, 1),
                **{k: round(v, 1) for k, v in peak.items()},
                "same_lang_p@1": float(result.metrics.same_lang_p_at_k), "xling_map": float(result.metrics.xling_map),
                "loss_last": round(result.losses[-1], 6),
                "load_before": round(load_before, 2), "load_after": round(load_after, 2),
                "threads": torch.get_num_threads(), "steps": cfg.regime.steps,
                "machine": f"{platform.processor() or platform.machine()} ({os.cpu_count()} cores)",
                "torch": torch.__version__, "time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            }
            same = first.setdefault(loop, (row["same_lang_p@1"], row["xling_map"], row["loss_last"]))
            row["same_numbers_as_repeat_0"] = same == (row["same_lang_p@1"], row["xling_map"], row["loss_last"])
            with out.open("a") as handle:
                handle.write(json.dumps(row) + "\n")
            print(f"{loop} #{repeat}: train {row['train_s']:.1f} s ({row['train_gflops_useful']:.0f} useful / "
                  f"{row['train_gflops_exec']:.0f} executed GFLOPS), encode {row['encode_s']:.1f} s "
                  f"({row['encode_gflops_useful']:.0f} / {row['encode_gflops_exec']:.0f}), metrics {row['metrics_s']:.2f} s, "
                  f"trial {row['trial_s']:.1f} s, load {load_before:.2f} -> {load_after:.2f}, "
                  f"P@1 {row['same_lang_p@1']:.4f} mAP {row['xling_map']:.4f}", flush=True)
            del result
    return 0


if __name__ == "__main__":
    sys.exit(main())
