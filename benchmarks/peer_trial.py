"""Peer trial (sentence-transformers) vs this project's trial: wall time, peak RSS, objectives.

The peer trial is the same trial as a user would write it with sentence-transformers
(``pip install -e ".[bench]"``): a ``SentenceTransformer`` of Transformer + mean
Pooling + Normalize over the default encoder's converted directory, every parameter
trainable (the library's default; ``--freeze-embeddings`` freezes the embedding
table like the project's K = all), ``model.train()`` (dropout on, as ``fit`` does),
``MultipleNegativesRankingLoss(scale=1/tau)`` and AdamW in a manual loop fed the
same HybridBatches pairs batch by batch (same alpha, seed, steps, batch size,
learning rate, prompts "query: " / "passage: ", max_seq_length); then
``model.encode`` of the dev questions and the whole candidate pool and the same
metrics (``evaluate_embeddings``). Each run happens in its own process. Usage::

    python benchmarks/peer_trial.py [--steps 80] [--alpha 0.5] [--seed 0] [--mode both|ours|peer]

Workspace loading (data, splits, pairs) and building the SentenceTransformer are
setup, reported separately and not counted in either trial.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import compare_main, peak_rss_mib, reencode_and_report, setup, train_steps  # noqa: E402

from objectives.batches import HybridBatches, Pair  # noqa: E402
from objectives.encoder import DEFAULT_MODEL, ensure_default_model  # noqa: E402


def run_peer(args: argparse.Namespace) -> dict[str, Any]:
    """MultipleNegativesRankingLoss fine-tune with sentence-transformers, then ``model.encode``."""
    import sentence_transformers
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    cfg, ws, setup_s = setup(args)
    query_prompt, passage_prompt = cfg.prefixes()
    t0 = time.perf_counter()
    path = str(ensure_default_model()) if args.model in (DEFAULT_MODEL, "intfloat/" + DEFAULT_MODEL) else args.model
    transformer = Transformer(path, max_seq_length=cfg.max_length, model_kwargs={"add_pooling_layer": False})
    pooling = Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
    model = SentenceTransformer(modules=[transformer, pooling, Normalize()], device="cpu")
    setup_s += time.perf_counter() - t0
    rss_setup = peak_rss_mib()
    q_texts: list[str] = list(ws.data.questions["text"])
    c_texts: list[str] = list(ws.data.candidates["text"])
    offset = ws.candidate_offset

    start = time.perf_counter()
    torch.manual_seed(args.seed)
    if args.freeze_embeddings:
        for p in transformer.auto_model.embeddings.parameters():
            p.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    loss_fn = MultipleNegativesRankingLoss(model, scale=1.0 / cfg.temperature)
    optimizer = torch.optim.AdamW(params, lr=cfg.regime.learning_rate)
    sampler = HybridBatches(ws.train_items, ws.train_languages, cfg.batch_size, args.alpha, cfg.mixing, seed=args.seed)
    model.train()
    longest = 0

    def loss_of(batch: list[Pair]) -> torch.Tensor:
        nonlocal longest
        features_q = model.preprocess([q_texts[p.query] for p in batch], prompt=query_prompt)
        features_p = model.preprocess([c_texts[p.passage - offset] for p in batch], prompt=passage_prompt)
        longest = max(longest, int(features_q["input_ids"].shape[1]), int(features_p["input_ids"].shape[1]))
        return loss_fn([features_q, features_p], None)

    losses, step_times = train_steps("peer", cfg.regime.steps, sampler, optimizer, loss_of)
    prompts = {"query": query_prompt, "passage": passage_prompt}
    row = reencode_and_report(
        f"sentence-transformers {sentence_transformers.__version__} (MNRL, "
        f"{'embeddings frozen' if args.freeze_embeddings else 'all parameters'})", cfg, ws,
        lambda texts, side: model.encode(texts, prompt=prompts[side], batch_size=args.encode_batch_size,
                                         convert_to_numpy=True, show_progress_bar=False).astype("float32"),
        setup_s=setup_s, rss_setup=rss_setup, start=start, step_times=step_times, params=params, losses=losses,
    )
    return {**row, "max_seq_length": model.max_seq_length, "longest_train_batch_tokens": longest}


def _peer_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--freeze-embeddings", action="store_true", help="freeze the embedding table in the peer run")


def main() -> int:
    return compare_main(__file__, __doc__.splitlines()[0], "peer", run_peer, _peer_args)


if __name__ == "__main__":
    sys.exit(main())
