"""The short fine-tune: InfoNCE steps over hybrid batches, on either training path."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from transformers import get_constant_schedule_with_warmup, get_linear_schedule_with_warmup

from objectives.batches import HybridBatches
from objectives.faults import fault_active, fault_point
from objectives.losses import info_nce_loss
from objectives.regimes import Regime
from objectives.training._dropout import DropoutMasks
from objectives.training._trial_encoder import TrialEncoder, autocast

__all__ = ["TrainingDiverged", "fine_tune", "make_scheduler", "warmup_steps"]


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the trial is failed with this reason."""


def warmup_steps(steps: int, warmup_ratio: float) -> int:
    """Steps of linear warm-up: ``warmup_ratio`` of the budget, rounded (0 when the ratio is 0)."""
    return int(round(steps * warmup_ratio))


def make_scheduler(optimizer: torch.optim.Optimizer, regime: Regime) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up over the regime's ``warmup_ratio`` of its steps, then constant or linear decay to zero.

    The schedules of transformers' ``get_constant_schedule_with_warmup`` and
    ``get_linear_schedule_with_warmup`` (the default of its ``Trainer``).
    """
    warm = warmup_steps(regime.steps, regime.warmup_ratio)
    if regime.lr_schedule == "linear":
        return get_linear_schedule_with_warmup(optimizer, warm, regime.steps)
    return get_constant_schedule_with_warmup(optimizer, warm)


def fine_tune(
    encoder: TrialEncoder,
    batches: HybridBatches,
    regime: Regime,
    *,
    temperature: float,
    symmetric: bool = False,
    on_step: Callable[[int, float], None] | None = None,
    seed: int | None = None,
) -> list[float]:
    """Run the regime's AdamW steps of InfoNCE (``temperature``, ``symmetric``) and return the loss of each.

    The learning rate peaks at the regime's ``learning_rate`` and follows
    :func:`make_scheduler`. With the regime's dropout off the module stays in eval mode
    while gradients flow: the trial is then a deterministic function of its seed, and
    the cached and forward paths agree step for step.

    The regime's ``loop`` says how a step runs. ``padded``: queries, then passages, as
    padded batches through the model's layers, dropout from torch's global stream.
    ``packed`` (cached path): the step's queries and passages as one packed batch of
    tokens, dropout masks from a generator seeded by ``seed`` (``None``: torch's initial
    seed, which :func:`objectives.trial.run_trial` sets to the trial seed). Both give the
    loss the same 32 pairs and in-batch negatives.

    Raises:
        TrainingDiverged: the loss is NaN or infinite.
    """
    params = [p for p in encoder.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=regime.learning_rate)
    scheduler = make_scheduler(optimizer, regime)
    steps = regime.steps
    encoder.train(regime.dropout)
    packed = regime.loop == "packed"
    if packed:
        if getattr(encoder, "loop", None) != "packed":
            raise ValueError("the packed loop needs an encoder built for it (CachedEncoder with loop='packed')")
        encoder.masks = DropoutMasks(torch.initial_seed() if seed is None else seed, encoder.device)
    losses: list[float] = []
    poisoned = fault_active("nan-trial")  # test hook: this run's loss becomes NaN
    for step in range(steps):
        batch = batches.next_batch()
        with autocast(encoder.device, encoder.precision):
            if packed:
                both = encoder.embed_rows([p.query for p in batch] + [p.passage for p in batch])
                queries, passages = both[: len(batch)], both[len(batch) :]
            else:
                queries = encoder.embed_rows([p.query for p in batch])
                passages = encoder.embed_rows([p.passage for p in batch])
        # Outside autocast: logits of up to 1/τ = 20 would lose a tenth per step in bf16.
        loss = info_nce_loss(queries.float(), passages.float(), temperature, symmetric)
        if poisoned:
            loss = loss * float("nan")
        value = float(loss.detach())
        if not math.isfinite(value):
            raise TrainingDiverged(f"loss became {value} at step {step + 1} of {steps}; lower the learning rate or raise the temperature")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(value)
        if on_step is not None:
            on_step(step + 1, value)
        fault_point("during-train")
    encoder.eval()
    if packed:
        encoder.masks = None
    return losses
