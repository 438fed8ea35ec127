"""Naive trial vs this project's trial: wall time (train / encode / metrics), peak RSS, objectives.

The naive trial is the same trial without the project's speed-ups: all transformer
layers trainable (embedding table frozen, DESIGN settled detail 10), a plain
transformers forward on token ids for every step (no activation cache), the same
HybridBatchSampler batches (same seed and alpha), steps, batch size, learning rate
and temperature, dropout off as in ``objectives._train.fine_tune``; then a full
re-encode of the dev questions and the whole candidate pool with the trained model
(length-sorted batches, ``Encoder.encode``) and the same metrics
(``evaluate_embeddings``). The cached trial is ``objectives._trial.run_trial``.

Each run happens in its own process, so each peak RSS is its own. Usage::

    python benchmarks/naive_trial.py [--steps 80] [--alpha 0.5] [--seed 0] [--mode both|ours|naive]

Workspace loading (data, tokenizer, model, memory-mapping the existing activation
cache) is setup, reported separately and not counted in either trial.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import math
import sys
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    compare_main,
    objectives_of,
    peak_rss_mib,
    setup,
)

from objectives.losses import info_nce_loss  # noqa: E402
from objectives.retrieval import evaluate_embeddings  # noqa: E402
from objectives.samplers import HybridBatchSampler  # noqa: E402


def run_naive(args: argparse.Namespace) -> dict[str, Any]:
    """All layers trained on token ids, then a full re-encode; timed like ``run_trial``."""
    cfg, ws, setup_s = setup(args)
    rss_setup = peak_rss_mib()
    q_texts: list[str] = list(ws.data.questions["text"])
    c_texts: list[str] = list(ws.data.candidates["text"])
    offset = ws.candidate_offset
    start = time.perf_counter()
    torch.manual_seed(args.seed)
    model = copy.deepcopy(ws.encoder.model)
    for p in model.embeddings.parameters():
        p.requires_grad_(False)
    model.eval()  # dropout off, as in the project's fine_tune
    encoder = dataclasses.replace(ws.encoder, model=model)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg.learning_rate)
    sampler = HybridBatchSampler(ws.train_items, ws.train_languages, cfg.batch_size, args.alpha, cfg.mixing, seed=args.seed)
    losses: list[float] = []
    step_times: list[float] = []
    for step in range(cfg.steps):
        t0 = time.perf_counter()
        batch = sampler.next_batch()
        q_ids = encoder.tokenize([q_texts[p.query] for p in batch], "query")
        p_ids = encoder.tokenize([c_texts[p.passage - offset] for p in batch], "passage")
        loss = info_nce_loss(encoder.embed_ids(q_ids), encoder.embed_ids(p_ids), cfg.temperature, cfg.symmetric_loss)
        value = float(loss.detach())
        if not math.isfinite(value):
            raise RuntimeError(f"loss became {value} at step {step + 1}")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(value)
        step_times.append(time.perf_counter() - t0)
        print(f"# naive step {step + 1}/{cfg.steps} loss {value:.3f} {step_times[-1]:.1f}s", file=sys.stderr, flush=True)
    trained = time.perf_counter()
    index = ws.eval_index(cfg.eval_split)
    q_emb = encoder.encode([q_texts[int(r)] for r in index.query_rows], "query", batch_size=args.encode_batch_size)
    c_emb = encoder.encode(c_texts, "passage", batch_size=args.encode_batch_size)
    encoded = time.perf_counter()
    metrics = evaluate_embeddings(q_emb, index.q_lang, index.q_group, c_emb, index.c_lang, index.rel_group,
                                  index.rel_cand, ws.languages, k=cfg.k)
    done = time.perf_counter()
    return {
        "run": "naive (all layers, token ids, full re-encode)", "steps": cfg.steps, "setup_s": setup_s,
        "train_s": trained - start, "encode_s": encoded - trained, "metrics_s": done - encoded,
        "trial_s": done - start, "step_s": (trained - start) / cfg.steps,
        "step_s_median": sorted(step_times)[len(step_times) // 2], "trainable_params": sum(p.numel() for p in params),
        "encoded_texts": len(q_emb) + len(c_emb), "encode_texts_per_s": (len(q_emb) + len(c_emb)) / (encoded - trained),
        "peak_rss_mib_after_setup": rss_setup, "peak_rss_mib": peak_rss_mib(), **objectives_of(metrics),
        "loss_first_last": [losses[0], losses[-1]],
    }


def main() -> int:
    return compare_main(__file__, __doc__.splitlines()[0], "naive", run_naive)


if __name__ == "__main__":
    sys.exit(main())
