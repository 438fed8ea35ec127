"""A content hash of a loaded model and tokenizer, for run provenance.

Hashing what was *loaded* rather than the files on disk makes the fingerprint
independent of the storage format (safetensors vs. pickle, sharding, hub cache
layout): two copies of the same weights, config and tokenizer agree.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

__all__ = ["model_fingerprint"]

# Config keys that describe where/how a model was loaded, not what it computes.
_VOLATILE_CONFIG_KEYS = frozenset({"transformers_version", "dtype", "torch_dtype"})
# Tokenizer state that transformers mutates on every call with truncation/padding.
_VOLATILE_TOKENIZER_KEYS = ("truncation", "padding")


def _config_bytes(model: PreTrainedModel) -> bytes:
    config = {
        k: v
        for k, v in model.config.to_dict().items()
        if not k.startswith("_") and k not in _VOLATILE_CONFIG_KEYS
    }
    return json.dumps(config, sort_keys=True, default=str).encode()


def _tokenizer_bytes(tokenizer: PreTrainedTokenizerBase) -> bytes:
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:  # slow tokenizer: the vocabulary is what determines ids
        state: dict[str, object] = {"vocab": sorted(tokenizer.get_vocab().items())}
    else:
        state = json.loads(backend.to_str())
        for key in _VOLATILE_TOKENIZER_KEYS:
            state.pop(key, None)
    return json.dumps(state, sort_keys=True, ensure_ascii=False).encode()


def model_fingerprint(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> str:
    """Compute ``sha256(config, state-dict tensors, tokenizer)`` as a hex string.

    Tensors are hashed in sorted key order as name, dtype, shape and raw bytes, so
    the value is stable across processes and file formats. Prefixes and
    ``max_length`` are *not* included: they belong to the run configuration.

    Args:
        model: A loaded transformers model.
        tokenizer: Its tokenizer.

    Returns:
        64 hex characters.
    """
    digest = hashlib.sha256()
    digest.update(_config_bytes(model))
    for name, tensor in sorted(model.state_dict().items()):
        flat = tensor.detach().cpu().contiguous().reshape(-1)
        digest.update(f"{name}|{flat.dtype}|{tuple(tensor.shape)}".encode())
        # A uint8 view hashes every dtype (bf16 included) without a copy through numpy floats.
        digest.update(memoryview(flat.view(dtype=torch.uint8).numpy()))
    digest.update(_tokenizer_bytes(tokenizer))
    return digest.hexdigest()
