from __future__ import annotations

import math

import torch

from objectives.losses import info_nce_loss


def test_matches_hand_computed_softmax() -> None:
    q = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    p = torch.tensor([[1.0, 0.0], [0.6, 0.8]])
    tau = 0.5
    # Row 0: logits (2.0, 1.2); row 1: logits (0.0, 1.6).
    expected = (-math.log(math.exp(2.0) / (math.exp(2.0) + math.exp(1.2)))
                - math.log(math.exp(1.6) / (math.exp(0.0) + math.exp(1.6)))) / 2
    assert math.isclose(float(info_nce_loss(q, p, tau)), expected, rel_tol=1e-6)


def test_symmetric_averages_both_directions() -> None:
    torch.manual_seed(0)
    q = torch.nn.functional.normalize(torch.randn(5, 8), dim=-1)
    p = torch.nn.functional.normalize(torch.randn(5, 8), dim=-1)
    forward = info_nce_loss(q, p, 0.1)
    backward = info_nce_loss(p, q, 0.1)
    assert torch.isclose(info_nce_loss(q, p, 0.1, symmetric=True), (forward + backward) / 2)
    assert not torch.isclose(forward, backward)
