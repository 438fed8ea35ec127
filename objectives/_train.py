"""The short fine-tune: InfoNCE steps on the top K layers over cached states."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from objectives._activations import ActivationCache
from objectives._faults import fault_active, fault_point
from objectives._top_encoder import TopEncoder
from objectives.losses import info_nce_loss
from objectives.samplers import HybridBatchSampler

__all__ = ["TrainingDiverged", "fine_tune"]


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the trial is failed with this reason."""


def fine_tune(
    top: TopEncoder,
    cache: ActivationCache,
    sampler: HybridBatchSampler,
    *,
    steps: int,
    learning_rate: float,
    temperature: float,
    symmetric: bool = False,
    on_step: Callable[[int, float], None] | None = None,
) -> list[float]:
    """Run ``steps`` AdamW steps and return the loss of each.

    Dropout stays off (the module is kept in eval mode while gradients flow): with a
    few hundred steps it would only add seed noise on top of the effect of the
    batch mix, and it keeps the cached and full paths step-for-step identical.

    Raises:
        TrainingDiverged: the loss is NaN or infinite.
    """
    optimizer = torch.optim.AdamW(top.parameters(), lr=learning_rate)
    top.eval()
    losses: list[float] = []
    poisoned = fault_active("nan-trial")  # test hook: this run's loss becomes NaN
    for step in range(steps):
        batch = sampler.next_batch()
        q_states, q_mask = cache.batch([p.query for p in batch])
        p_states, p_mask = cache.batch([p.passage for p in batch])
        loss = info_nce_loss(top(q_states, q_mask), top(p_states, p_mask), temperature, symmetric)
        if poisoned:
            loss = loss * float("nan")
        value = float(loss.detach())
        if not math.isfinite(value):
            raise TrainingDiverged(f"loss became {value} at step {step + 1} of {steps}; lower the learning rate or raise the temperature")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(value)
        if on_step is not None:
            on_step(step + 1, value)
        fault_point("during-train")
    return losses
