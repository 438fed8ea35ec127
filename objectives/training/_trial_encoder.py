"""What every training path offers the trial: embed rows with gradients, embed for evaluation."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch import nn

__all__ = ["TrialEncoder", "autocast", "embed_in_order"]


class TrialEncoder(nn.Module):
    """A trainable copy of (part of) the encoder, addressed by text rows of the workspace.

    Rows number every text a study uses (see :class:`objectives.trial.Workspace`):
    the cached path reads their frozen-bottom states, the forward path their token ids.
    Subclasses implement :meth:`lengths` and :meth:`embed_rows`; :meth:`weights` is
    what a trial saves (only what training can change).
    """

    device: torch.device
    dim: int
    precision: str = "fp32"

    def lengths(self, rows: np.ndarray) -> np.ndarray:
        """Token count of each row (used to sort evaluation batches)."""
        raise NotImplementedError

    def embed_rows(self, rows: Sequence[int]) -> torch.Tensor:
        """``[len(rows), dim]`` unit vectors on :attr:`device`, with gradients when enabled."""
        raise NotImplementedError

    def weights(self) -> dict[str, torch.Tensor]:
        """The trainable part's state, as saved per trial (CPU tensors)."""
        return {k: v.detach().cpu().contiguous() for k, v in self.state_dict().items()}

    def load_weights(self, state: dict[str, torch.Tensor]) -> None:
        self.load_state_dict(state)

    def embed(self, rows: Sequence[int], batch_size: int = 128) -> np.ndarray:
        """Float32 unit vectors of ``rows`` in the given order, dropout off, no gradients."""
        return embed_in_order(self, rows, batch_size)


def embed_in_order(encoder: TrialEncoder, rows: Sequence[int], batch_size: int) -> np.ndarray:
    """Length-sorted batches (little padding), results put back in input order."""
    rows = np.asarray(rows, dtype=np.int64)
    out = np.empty((len(rows), encoder.dim), dtype=np.float32)
    if len(rows) == 0:
        return out
    order = np.argsort(encoder.lengths(rows), kind="stable")
    was_training = encoder.training
    encoder.eval()
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            pos = order[start : start + batch_size]
            with autocast(encoder.device, encoder.precision):
                emb = encoder.embed_rows(rows[pos])
            out[pos] = emb.float().cpu().numpy()
    encoder.train(was_training)
    return out


@contextlib.contextmanager
def autocast(device: torch.device, precision: str) -> Iterator[None]:
    """bf16 autocast when ``precision == "bf16"``; plain fp32 otherwise."""
    if precision != "bf16":
        yield
        return
    with torch.autocast(device_type=device.type, dtype=torch.bfloat16):
        yield
