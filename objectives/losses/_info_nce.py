"""InfoNCE over in-batch negatives.

For normalised query and passage embeddings q_i, p_i, the loss is the mean of
``-log softmax_j(q_i · p_j / τ)[i]`` (van den Oord et al. 2018, arXiv 1807.03748;
in-batch negatives as in DPR, Karpukhin et al. 2020, and sentence-transformers'
MultipleNegativesRankingLoss). ``symmetric`` adds the passage-to-query direction
and averages the two.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

__all__ = ["info_nce_loss"]


def info_nce_loss(
    queries: torch.Tensor, passages: torch.Tensor, temperature: float = 0.05, symmetric: bool = False
) -> torch.Tensor:
    """InfoNCE loss of a batch whose i-th passage answers the i-th query."""
    logits = queries @ passages.T / temperature
    labels = torch.arange(len(queries), device=queries.device)
    loss = F.cross_entropy(logits, labels)
    if symmetric:
        loss = (loss + F.cross_entropy(logits.T, labels)) / 2
    return loss
