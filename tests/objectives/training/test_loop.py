"""The fine-tune loop: the regime's schedule, and dropout as the only source of run-to-run randomness."""

from __future__ import annotations

import pytest
import torch

from objectives.batches import HybridBatches
from objectives.regimes import Regime
from objectives.training import fine_tune, make_scheduler
from objectives.trial import Workspace


def _lrs(steps: int, warmup: float, schedule: str) -> list[float]:
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.AdamW([param], lr=1.0)
    sched = make_scheduler(opt, Regime.named("proxy", steps=steps, warmup_ratio=warmup, lr_schedule=schedule))
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def test_schedule_warms_up_linearly_then_decays_or_stays() -> None:
    linear = _lrs(20, 0.1, "linear")
    assert linear[:3] == pytest.approx([0.0, 0.5, 1.0])  # 2 warm-up steps of 20
    assert linear[2:] == pytest.approx([(20 - s) / 18 for s in range(2, 20)])
    assert _lrs(10, 0.0, "constant") == [1.0] * 10  # the proxy: no schedule at all
    constant = _lrs(10, 0.2, "constant")
    assert constant == pytest.approx([0.0, 0.5] + [1.0] * 8)


def test_dropout_changes_training_and_off_is_deterministic(forward_ws: Workspace) -> None:
    def losses(dropout: bool, torch_seed: int) -> list[float]:
        torch.manual_seed(torch_seed)
        enc = forward_ws.new_encoder()
        sampler = HybridBatches(forward_ws.train_items, forward_ws.train_languages, 8, 0.5, seed=1)
        regime = Regime.named("full", steps=3, learning_rate=1e-3, dropout=dropout)
        return fine_tune(enc, sampler, regime, temperature=0.05)

    assert losses(False, 0) == losses(False, 1), "without dropout the torch seed plays no part"
    assert losses(True, 0) != losses(True, 1), "with dropout on, the masks differ by seed"
    assert losses(True, 0) != losses(False, 0)
