"""Naive trial vs this project's trial: wall time (train / encode / metrics), peak RSS, objectives.

The naive trial is the same trial without the project's speed-ups: all transformer
layers trainable (embedding table frozen, docs/design.md, "K = all layers"), a plain
transformers forward on token ids for every step (no activation cache), the same
HybridBatches batches (same seed and alpha), steps, batch size, learning rate
and temperature, dropout off as in ``objectives.training.fine_tune``; then a full
re-encode of the dev questions and the whole candidate pool with the trained model
(length-sorted batches, ``Encoder.encode``) and the same metrics
(``evaluate_embeddings``). The cached trial is ``objectives.trial.run_trial``.

Each run happens in its own process, so each peak RSS is its own. Usage::

    python benchmarks/naive_trial.py [--steps 80] [--alpha 0.5] [--seed 0] [--mode both|ours|naive]

Workspace loading (data, tokenizer, model, memory-mapping the existing activation
cache) is setup, reported separately and not counted in either trial.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import sys
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import compare_main, peak_rss_mib, reencode_and_report, setup, train_steps  # noqa: E402

from objectives.batches import HybridBatches, Pair  # noqa: E402
from objectives.losses import info_nce_loss  # noqa: E402


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
    optimizer = torch.optim.AdamW(params, lr=cfg.regime.learning_rate)
    sampler = HybridBatches(ws.train_items, ws.train_languages, cfg.batch_size, args.alpha, cfg.mixing, seed=args.seed)

    def loss_of(batch: list[Pair]) -> torch.Tensor:
        q_ids = encoder.tokenize([q_texts[p.query] for p in batch], "query")
        p_ids = encoder.tokenize([c_texts[p.passage - offset] for p in batch], "passage")
        return info_nce_loss(encoder.embed_ids(q_ids), encoder.embed_ids(p_ids), cfg.temperature, cfg.symmetric_loss)

    losses, step_times = train_steps("naive", cfg.regime.steps, sampler, optimizer, loss_of)
    return reencode_and_report(
        "naive (all layers, token ids, full re-encode)", cfg, ws,
        lambda texts, side: encoder.encode(texts, side, batch_size=args.encode_batch_size),
        setup_s=setup_s, rss_setup=rss_setup, start=start, step_times=step_times, params=params, losses=losses,
    )


def main() -> int:
    return compare_main(__file__, __doc__.splitlines()[0], "naive", run_naive)


if __name__ == "__main__":
    sys.exit(main())
