"""One trial: sample batches at a mono ratio, fine-tune as the regime says, evaluate."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from objectives.batches import HybridBatches
from objectives.retrieval import EvalResult, evaluate_embeddings
from objectives.training import TrialEncoder, fine_tune
from objectives.trial._config import TrialConfig
from objectives.trial._workspace import Workspace, prepare_workspace

__all__ = ["TrialResult", "evaluate_trial_encoder", "run_trial", "trial_seed", "zero_shot"]


@dataclass
class TrialResult:
    """What one trial produced.

    ``timings`` holds seconds for ``cache`` (building or loading the activation cache,
    paid once per worker), ``train``, ``encode`` and ``metrics``.
    """

    mono_ratio: float
    seed: int
    metrics: EvalResult
    losses: list[float]
    timings: dict[str, float]
    encoder: TrialEncoder = field(repr=False)


def evaluate_trial_encoder(ws: Workspace, encoder: TrialEncoder, split: str) -> tuple[EvalResult, dict[str, float]]:
    """Embed ``split``'s questions and the whole pool with ``encoder`` and compute every metric."""
    index = ws.eval_index(split)
    start = time.perf_counter()
    batch = ws.config.eval_batch_size
    q_emb = encoder.embed(index.query_rows, batch)
    c_emb = encoder.embed(index.candidate_rows, batch)
    encoded = time.perf_counter()
    result = evaluate_embeddings(
        q_emb, index.q_lang, index.q_group, c_emb, index.c_lang, index.rel_group, index.rel_cand,
        ws.languages, k=ws.config.k,
    )
    return result, {"encode": encoded - start, "metrics": time.perf_counter() - encoded}


def zero_shot(ws: Workspace, split: str) -> EvalResult:
    """The untrained model on ``split``, through the same path as the trials."""
    return evaluate_trial_encoder(ws, ws.new_encoder(), split)[0]


def run_trial(
    config: TrialConfig,
    mono_ratio: float,
    seed: int,
    workspace: Workspace | None = None,
    on_step: Callable[[int, float], None] | None = None,
) -> TrialResult:
    """Fine-tune briefly at ``mono_ratio`` as ``config.regime`` says and evaluate on ``config.eval_split``.

    Deterministic on a CPU: the same config, ratio, seed and data give the same metrics.

    Raises:
        objectives.training.TrainingDiverged: the loss became NaN or infinite.
    """
    ws = workspace if workspace is not None else prepare_workspace(config)
    if ws.config != config:
        ws = ws.with_config(config)
    torch.manual_seed(seed)
    encoder = ws.new_encoder()
    batches = HybridBatches(
        ws.train_items, ws.train_languages, config.batch_size, mono_ratio, config.mixing, seed=seed
    )
    start = time.perf_counter()
    losses = fine_tune(encoder, batches, config.regime, temperature=config.temperature, symmetric=config.symmetric_loss,
                       on_step=on_step, seed=seed)
    if encoder.device.type == "cuda":
        torch.cuda.synchronize(encoder.device)
    train_seconds = time.perf_counter() - start
    metrics, timings = evaluate_trial_encoder(ws, encoder, config.eval_split)
    timings = {"cache": ws.cache_seconds, "train": train_seconds, **timings}
    return TrialResult(mono_ratio, seed, metrics, losses, timings, encoder)


def trial_seed(study_seed: int, params: dict[str, float], repeat: int = 0) -> int:
    """A training seed from the study seed and the trial's parameters.

    A retried trial (same parameters) reproduces its result.
    """
    blob = repr((study_seed, sorted(params.items()), repeat)).encode()
    return int.from_bytes(hashlib.sha256(blob).digest()[:4], "little")
