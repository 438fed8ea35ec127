"""Peer trial (sentence-transformers) vs this project's trial: wall time, peak RSS, objectives.

The peer trial is the same trial as a user would write it with sentence-transformers
(``pip install -e ".[bench]"``): a ``SentenceTransformer`` of Transformer + mean
Pooling + Normalize over the default encoder's converted directory, every parameter
trainable (the library's default; ``--freeze-embeddings`` freezes the embedding
table like the project's K = all), ``model.train()`` (dropout on, as ``fit`` does),
``MultipleNegativesRankingLoss(scale=1/tau)`` and AdamW in a manual loop fed the
same HybridBatchSampler pairs batch by batch (same alpha, seed, steps, batch size,
learning rate, prompts "query: " / "passage: ", max_seq_length); then
``model.encode`` of the dev questions and the whole candidate pool and the same
metrics (``evaluate_embeddings``). Each run happens in its own process. Usage::

    python benchmarks/peer_trial.py [--steps 80] [--alpha 0.5] [--seed 0] [--mode both|ours|peer]

Workspace loading (data, splits, pairs) and building the SentenceTransformer are
setup, reported separately and not counted in either trial.
"""

from __future__ import annotations

import argparse
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

from objectives.encoder import DEFAULT_MODEL, ensure_default_model  # noqa: E402
from objectives.retrieval import evaluate_embeddings  # noqa: E402
from objectives.samplers import HybridBatchSampler  # noqa: E402


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
    optimizer = torch.optim.AdamW(params, lr=cfg.learning_rate)
    sampler = HybridBatchSampler(ws.train_items, ws.train_languages, cfg.batch_size, args.alpha, cfg.mixing, seed=args.seed)
    model.train()
    losses: list[float] = []
    step_times: list[float] = []
    longest = 0
    for step in range(cfg.steps):
        t_step = time.perf_counter()
        batch = sampler.next_batch()
        features_q = model.preprocess([q_texts[p.query] for p in batch], prompt=query_prompt)
        features_p = model.preprocess([c_texts[p.passage - offset] for p in batch], prompt=passage_prompt)
        longest = max(longest, int(features_q["input_ids"].shape[1]), int(features_p["input_ids"].shape[1]))
        loss = loss_fn([features_q, features_p], None)
        value = float(loss.detach())
        if not math.isfinite(value):
            raise RuntimeError(f"loss became {value} at step {step + 1}")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(value)
        step_times.append(time.perf_counter() - t_step)
        print(f"# peer step {step + 1}/{cfg.steps} loss {value:.3f} {step_times[-1]:.1f}s", file=sys.stderr, flush=True)
    trained = time.perf_counter()
    index = ws.eval_index(cfg.eval_split)
    q_emb = model.encode([q_texts[int(r)] for r in index.query_rows], prompt=query_prompt,
                         batch_size=args.encode_batch_size, convert_to_numpy=True, show_progress_bar=False)
    c_emb = model.encode(c_texts, prompt=passage_prompt, batch_size=args.encode_batch_size, convert_to_numpy=True,
                         show_progress_bar=False)
    encoded = time.perf_counter()
    metrics = evaluate_embeddings(q_emb.astype("float32"), index.q_lang, index.q_group, c_emb.astype("float32"),
                                  index.c_lang, index.rel_group, index.rel_cand, ws.languages, k=cfg.k)
    done = time.perf_counter()
    return {
        "run": f"sentence-transformers {sentence_transformers.__version__} (MNRL, "
               f"{'embeddings frozen' if args.freeze_embeddings else 'all parameters'})",
        "steps": cfg.steps, "setup_s": setup_s, "train_s": trained - start, "encode_s": encoded - trained,
        "metrics_s": done - encoded, "trial_s": done - start, "step_s": (trained - start) / cfg.steps,
        "step_s_median": sorted(step_times)[len(step_times) // 2], "trainable_params": sum(p.numel() for p in params),
        "encoded_texts": len(q_emb) + len(c_emb), "encode_texts_per_s": (len(q_emb) + len(c_emb)) / (encoded - trained),
        "peak_rss_mib_after_setup": rss_setup, "peak_rss_mib": peak_rss_mib(), **objectives_of(metrics),
        "loss_first_last": [losses[0], losses[-1]], "max_seq_length": model.max_seq_length,
        "longest_train_batch_tokens": longest,
    }


def _peer_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--freeze-embeddings", action="store_true", help="freeze the embedding table in the peer run")


def main() -> int:
    return compare_main(__file__, __doc__.splitlines()[0], "peer", run_peer, _peer_args)


if __name__ == "__main__":
    sys.exit(main())
