"""The forward path: plain forward passes over token ids, as a team's own training runs.

No activation cache: every step embeds its batch from token ids with dynamic
padding (each batch padded to its own longest text). The embedding table stays
frozen (it is never trained by default; the frozen rows also keep a vocabulary
of 250k tokens out of the optimizer state); the top ``k`` transformer layers
train, the others are frozen as well. This is the path of the ``full`` regime and
the natural one on a GPU, where the whole encoder runs in milliseconds.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from objectives.encoder import mean_pool, pad_batch
from objectives.training._trial_encoder import TrialEncoder

__all__ = ["ForwardEncoder"]


class ForwardEncoder(TrialEncoder):
    """A copy of the whole ``model`` whose top ``k`` transformer layers train.

    Args:
        model: A BERT-style transformers model (``embeddings``, ``encoder.layer``).
        k: Trainable top layers; all layers for ordinary fine-tuning.
        token_ids: Token ids of every workspace row (special tokens included).
        pad_id: The tokenizer's padding id.
        precision: ``fp32`` or ``bf16`` (autocast).

    Saved weights are the trainable layers only (``encoder.layer.<i>.…``).
    """

    def __init__(
        self, model: nn.Module, k: int, token_ids: Sequence[Sequence[int]], pad_id: int, precision: str = "fp32"
    ) -> None:
        super().__init__()
        total = len(model.encoder.layer)
        if not 1 <= k <= total:
            raise ValueError(f"train_layers must be between 1 and {total}, got {k}")
        self.model = copy.deepcopy(model)
        self.cut = total - k
        for name, param in self.model.named_parameters():
            param.requires_grad = self._trainable(name)
        self.token_ids = token_ids
        self._lengths = np.fromiter((len(t) for t in token_ids), dtype=np.int64, count=len(token_ids))
        self.pad_id = pad_id
        self.device = next(model.parameters()).device
        self.dim = int(model.config.hidden_size)
        self.precision = precision

    def _trainable(self, name: str) -> bool:
        parts = name.split(".")
        return parts[:2] == ["encoder", "layer"] and int(parts[2]) >= self.cut

    def train(self, mode: bool = True) -> ForwardEncoder:
        super().train(mode)
        # Frozen bottom layers stay deterministic, as if they were not part of the trial.
        for i, layer in enumerate(self.model.encoder.layer):
            if i < self.cut:
                layer.eval()
        if self.cut > 0:
            self.model.embeddings.eval()
        return self

    def lengths(self, rows: np.ndarray) -> np.ndarray:
        return self._lengths[rows]

    def embed_rows(self, rows: Sequence[int]) -> torch.Tensor:
        input_ids, mask = pad_batch([list(self.token_ids[int(r)]) for r in rows], self.pad_id)
        input_ids, mask = input_ids.to(self.device), mask.to(self.device)
        hidden = self.model(input_ids=input_ids, attention_mask=mask).last_hidden_state
        return mean_pool(hidden, mask)

    def weights(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().cpu().contiguous() for k, v in self.model.state_dict().items() if self._trainable(k)}

    def load_weights(self, state: dict[str, torch.Tensor]) -> None:
        missing = [k for k in self.weights() if k not in state]
        if missing:
            raise ValueError(f"saved weights lack {len(missing)} trainable tensors, e.g. {missing[0]}")
        self.model.load_state_dict(state, strict=False)
