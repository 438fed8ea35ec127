"""The cached path: train the top K layers on frozen-bottom states computed once per study.

A trial that trains only the top ``K`` of ``L`` layers sees the same output of the
bottom ``L - K`` layers in every trial; it is computed
once (fp16, memory-mapped; :mod:`objectives.training._activations`) and every trial runs only the top layers on it. With
``K = L`` this is ordinary fine-tuning with the embedding table frozen, minus the
embedding layer's dropout (the cached states were computed without it).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from transformers.masking_utils import create_bidirectional_mask

from objectives.encoder import mean_pool
from objectives.training._activations import ActivationCache
from objectives.training._dropout import DropoutMasks
from objectives.training._packed import PackedTexts, packed_forward
from objectives.training._trial_encoder import TrialEncoder

__all__ = ["CachedEncoder", "TopLayers"]


class TopLayers(nn.Module):
    """A copy of the encoder's last ``k`` transformer layers plus mean pooling."""

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


class CachedEncoder(TrialEncoder):
    """The top ``k`` layers of ``model`` reading cut-layer states from ``cache``.

    ``loop`` is how rows are embedded (:class:`objectives.regimes.Regime`'s ``loop``):
    ``padded`` runs the Hugging Face layers on padded batches with torch's dropout;
    ``packed`` runs the same layers' weights on packed tokens
    (:mod:`objectives.training._packed`) with the masks of :attr:`masks` while training.
    Saved weights are those of the top layers only (``layers.<i>.…``), the same for both.
    """

    def __init__(self, model: nn.Module, k: int, cache: ActivationCache, precision: str = "fp32", loop: str = "padded") -> None:
        super().__init__()
        if loop not in ("padded", "packed"):
            raise ValueError(f"loop must be padded or packed, got {loop!r}")
        self.top = TopLayers(model, k)
        self.cache = cache
        self.device = next(model.parameters()).device
        self.dim = int(model.config.hidden_size)
        self.precision = precision
        self.loop = loop
        #: Dropout masks of the packed loop while training (set by the fine-tune from the trial seed).
        self.masks: DropoutMasks | None = None
        self.top.to(self.device)

    @property
    def cut(self) -> int:
        return self.top.cut

    def lengths(self, rows: np.ndarray) -> np.ndarray:
        return self.cache.lengths[rows]

    def embed_rows(self, rows: Sequence[int]) -> torch.Tensor:
        if self.loop == "packed":
            return self._embed_packed(np.asarray(rows, dtype=np.int64))
        states, mask = self.cache.batch(rows)
        return self.top(states.to(self.device), mask.to(self.device))

    def _embed_packed(self, rows: np.ndarray) -> torch.Tensor:
        packed = PackedTexts.plan(self.cache.lengths[rows], self.device)
        states = self.cache.packed(rows[packed.order]).to(self.device)
        masks = self.masks if self.training else None
        emb = packed_forward(self.top.layers, states, packed, masks)
        return emb[torch.from_numpy(np.argsort(packed.order)).to(self.device)]

    def weights(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().cpu().contiguous() for k, v in self.top.state_dict().items()}

    def load_weights(self, state: dict[str, torch.Tensor]) -> None:
        self.top.load_state_dict(state)
