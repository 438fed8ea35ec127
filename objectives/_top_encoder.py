"""The trainable top K layers of an encoder, run on cached cut-layer states."""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from transformers.masking_utils import create_bidirectional_mask

from objectives._activations import ActivationCache
from objectives.encoder import mean_pool

__all__ = ["TopEncoder", "embed_cached"]


class TopEncoder(nn.Module):
    """A copy of the encoder's last ``k`` transformer layers plus mean pooling.

    ``k`` equal to the number of layers is ordinary fine-tuning of the whole stack
    with the embedding table frozen (DESIGN, settled detail 10).
    """

    def __init__(self, model: nn.Module, k: int) -> None:
        super().__init__()
        total = len(model.encoder.layer)
        if not 1 <= k <= total:
            raise ValueError(f"train_layers must be between 1 and {total}, got {k}")
        self.config = model.config
        self.cut = total - k
        self.layers = nn.ModuleList(copy.deepcopy(layer) for layer in model.encoder.layer[self.cut :])

    def forward(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        attn = create_bidirectional_mask(config=self.config, inputs_embeds=states, attention_mask=mask)
        hidden = states
        for layer in self.layers:
            hidden = layer(hidden, attn)
        return mean_pool(hidden, mask)


def embed_cached(
    top: TopEncoder, cache: ActivationCache, indices: Sequence[int], batch_size: int = 128
) -> np.ndarray:
    """Embeddings (float32, normalised) of cached texts ``indices``, in the given order."""
    indices = np.asarray(indices, dtype=np.int64)
    out = np.empty((len(indices), top.config.hidden_size), dtype=np.float32)
    if len(indices) == 0:
        return out
    order = np.argsort(cache.lengths[indices], kind="stable")
    was_training = top.training
    top.eval()
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            pos = order[start : start + batch_size]
            states, mask = cache.batch(indices[pos])
            out[pos] = top(states, mask).numpy()
    top.train(was_training)
    return out
