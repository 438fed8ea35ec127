"""BERT layers on packed tokens: no padding rows in the matrix products, attention by length bucket.

A padded batch computes every layer for ``batch × longest`` rows; a 32-pair step on the
cached path was half padding (benchmarks/README.md, "Trial speed"). Here the texts'
tokens are concatenated into one ``[tokens, hidden]`` matrix, so the projections, the
feed-forward block and the layer norms see real tokens only. Attention is the one part
that needs texts apart: the texts are sorted by length and cut into buckets of similar
length, each padded to its own longest text for ``softmax(QKᵀ/√d)V`` (a few percent of
the work at these lengths). The maths is the Hugging Face ``BertLayer``'s
(Devlin et al., 2019), with its weights; dropout, when on, uses
:class:`objectives.training._dropout.DropoutMasks`: masks for the packed tokens, and for
the attention probabilities of each bucket.

With dropout off the result equals the padded layer's up to float rounding (a test
checks it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from objectives.training._dropout import DropoutMasks

__all__ = ["PackedTexts", "packed_forward"]

#: Texts per attention bucket: buckets of similar length keep the padded attention small
#: while each stays large enough to run as one batched product.
BUCKET_TEXTS = 8


@dataclass(frozen=True)
class PackedTexts:
    """Where each text's tokens lie in a packed ``[tokens, hidden]`` matrix, and the attention buckets.

    Texts are packed in ``order`` (ascending length). Each bucket is ``(first_text,
    last_text_exclusive, width, gather, keep, real)``: ``gather`` indexes the packed rows as
    ``[texts, width]``; a padding position repeats the bucket's first token (any finite
    row would do: its key is masked out and its query row is dropped), so no zero row has
    to be appended to the packed matrix. ``keep`` marks real positions, ``real`` lists
    them in the flattened ``[texts · width]`` layout (their order is the packing order).
    ``pool`` averages each text's tokens: ``[texts, tokens]``, ``1/length`` on its own.
    """

    order: np.ndarray
    pool: torch.Tensor
    buckets: tuple[tuple[int, int, int, torch.Tensor, torch.Tensor, torch.Tensor], ...]

    @property
    def tokens(self) -> int:
        return int(self.pool.shape[1])

    @classmethod
    def plan(cls, lengths: np.ndarray, device: torch.device, bucket_texts: int = BUCKET_TEXTS) -> PackedTexts:
        """The packing of texts with ``lengths`` (given order); ``order`` is how to pack them."""
        lengths = np.asarray(lengths, dtype=np.int64)
        order = np.argsort(lengths, kind="stable")
        sorted_len = lengths[order]
        starts = np.concatenate([[0], np.cumsum(sorted_len)])
        total = int(starts[-1])
        buckets = []
        for first in range(0, len(order), bucket_texts):
            last = min(first + bucket_texts, len(order))
            width = int(sorted_len[last - 1])
            position = np.arange(width)
            real = position[None, :] < sorted_len[first:last, None]
            gather = np.where(real, starts[first:last, None] + position[None, :], starts[first])
            buckets.append((first, last, width, torch.from_numpy(gather.reshape(-1)).to(device),
                            torch.from_numpy(real).to(device), torch.from_numpy(np.flatnonzero(real)).to(device)))
        pool = np.zeros((len(order), total), dtype=np.float32)
        pool[np.repeat(np.arange(len(order)), sorted_len), np.arange(total)] = np.repeat(1.0 / np.maximum(sorted_len, 1), sorted_len)
        return cls(order, torch.from_numpy(pool).to(device), tuple(buckets))


def _attention(layer: nn.Module, hidden: torch.Tensor, packed: PackedTexts, masks: DropoutMasks | None) -> torch.Tensor:
    """Multi-head self-attention over packed ``hidden`` (``[tokens, H]``), bucket by bucket."""
    attn = layer.attention.self
    heads, size = attn.num_attention_heads, attn.attention_head_size
    weight = torch.cat([attn.query.weight, attn.key.weight, attn.value.weight])
    bias = torch.cat([attn.query.bias, attn.key.bias, attn.value.bias])
    qkv = F.linear(hidden, weight, bias)  # one product for Q, K and V
    p = attn.dropout.p if masks is not None else 0.0
    out = []
    for first, last, width, gather, keep, real in packed.buckets:
        q, k, v = qkv[gather].view(last - first, width, 3, heads, size).permute(2, 0, 3, 1, 4).unbind(0)
        key_mask = keep[:, None, None, :]
        if p > 0.0:
            scores = torch.matmul(q, k.transpose(-1, -2)).mul_(attn.scaling)
            scores = scores.masked_fill(~key_mask, torch.finfo(scores.dtype).min)
            probs = masks(torch.softmax(scores, dim=-1), p)
            ctx = torch.matmul(probs, v)
        else:
            ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=key_mask, scale=attn.scaling)
        out.append(ctx.transpose(1, 2).reshape(-1, heads * size).index_select(0, real))
    return torch.cat(out)


def _dropout(x: torch.Tensor, module: nn.Dropout, masks: DropoutMasks | None) -> torch.Tensor:
    return x if masks is None else masks(x, module.p)


def packed_layer(layer: nn.Module, hidden: torch.Tensor, packed: PackedTexts, masks: DropoutMasks | None) -> torch.Tensor:
    """One Hugging Face ``BertLayer`` (post-norm encoder layer) on packed tokens; ``masks`` None: no dropout."""
    ctx = _attention(layer, hidden, packed, masks)
    out = layer.attention.output
    hidden = out.LayerNorm(_dropout(out.dense(ctx), out.dropout, masks) + hidden)
    inner = layer.intermediate(hidden)
    out = layer.output
    return out.LayerNorm(_dropout(out.dense(inner), out.dropout, masks) + hidden)


def packed_forward(
    layers: nn.ModuleList, states: torch.Tensor, packed: PackedTexts, masks: DropoutMasks | None = None
) -> torch.Tensor:
    """``layers`` over packed ``states`` then mean pooling: ``[texts, H]`` unit vectors in packing order.

    The pooling is :func:`objectives.encoder.mean_pool`'s (E5, arXiv 2212.03533) on real tokens.
    """
    hidden = states
    for layer in layers:
        hidden = packed_layer(layer, hidden, packed, masks)
    # A product with the averaging matrix: one GEMM, where a scatter-add ran on one thread.
    return F.normalize(torch.matmul(packed.pool, hidden.float()), p=2, dim=-1)
