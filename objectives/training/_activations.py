"""Frozen-bottom activation cache: hidden states at the cut layer, computed once per study.

A trial trains only the top K layers, so the output of the frozen bottom
``L - K`` layers for every text (all questions and the whole candidate pool) is the
same in every trial. It is computed once, stored as fp16 (unpadded, one row per
token) and memory-mapped by every worker (docs/design.md, "Frozen bottom and cached
activations").
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm
from transformers.masking_utils import create_bidirectional_mask

from objectives.encoder import pad_batch
from objectives.faults import fault_point
from objectives.filelock import file_lock

__all__ = ["ActivationCache", "bottom_forward", "build_activation_cache", "cache_key"]

_log = logging.getLogger(__name__)
_FORMAT = "1"


def cache_key(**parts: object) -> str:
    """Digest of everything that changes the cached states (model, data, prefixes, ...)."""
    blob = json.dumps({"format": _FORMAT, **parts}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def bottom_forward(model: nn.Module, input_ids: torch.Tensor, mask: torch.Tensor, cut: int) -> torch.Tensor:
    """Hidden states after the embeddings and the first ``cut`` transformer layers.

    Uses the model's own embedding module, mask builder and layer modules, so the
    states equal those inside a full ``model(...)`` call.
    """
    hidden = model.embeddings(input_ids=input_ids)
    attn = create_bidirectional_mask(config=model.config, inputs_embeds=hidden, attention_mask=mask)
    for layer in model.encoder.layer[:cut]:
        hidden = layer(hidden, attn)
    return hidden


@dataclass
class ActivationCache:
    """Memory-mapped cut-layer states: text ``i`` owns rows ``offsets[i]:offsets[i+1]``."""

    path: Path
    states: np.ndarray
    offsets: np.ndarray

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def batch(self, indices: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """Padded float32 states ``[B, T, H]`` and attention mask ``[B, T]`` for ``indices``."""
        indices = np.asarray(indices, dtype=np.int64)
        lengths = self.lengths[indices]
        # One gather for the whole batch: slicing the memmap text by text is far slower.
        row_of_token = np.repeat(np.arange(len(indices)), lengths)
        first_token = np.repeat(np.cumsum(lengths) - lengths, lengths)
        position = np.arange(int(lengths.sum())) - first_token
        source = self.offsets[indices][row_of_token] + position
        states = torch.zeros(len(indices), int(lengths.max()), self.states.shape[1], dtype=torch.float32)
        states[row_of_token, position] = torch.from_numpy(self.states[source].astype(np.float32))
        mask = torch.zeros(len(indices), int(lengths.max()), dtype=torch.long)
        mask[row_of_token, position] = 1
        return states, mask

    def packed(self, indices: Sequence[int]) -> torch.Tensor:
        """Float32 states of ``indices``' tokens, text after text, ``[tokens, H]`` (no padding)."""
        indices = np.asarray(indices, dtype=np.int64)
        lengths = self.lengths[indices]
        first_token = np.repeat(np.cumsum(lengths) - lengths, lengths)
        source = np.repeat(self.offsets[indices], lengths) + np.arange(int(lengths.sum())) - first_token
        return torch.from_numpy(self.states[source].astype(np.float32))


def build_activation_cache(
    model: nn.Module,
    token_ids: Sequence[Sequence[int]],
    cut: int,
    root: Path,
    key: str,
    *,
    pad_id: int,
    batch_size: int = 64,
    progress: bool = True,
) -> ActivationCache:
    """Load the cache ``root/key``, building it first if it is missing or damaged.

    Safe for several processes: one builds under an exclusive file lock while the
    others wait; the build goes to a private temporary folder that is renamed into
    place only when complete, so a crash never leaves a half-written cache.
    """
    root.mkdir(parents=True, exist_ok=True)
    final = root / key
    with file_lock(root / f"{key}.lock"):
        cache = _load_verified(final, len(token_ids))
        if cache is not None:
            return cache
        if final.exists():
            _log.warning("activation cache %s is damaged; rebuilding it", final)
            shutil.rmtree(final)
        for stale in root.glob(f"{key}.tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)
        tmp = root / f"{key}.tmp-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        _write(model, token_ids, cut, tmp, pad_id=pad_id, batch_size=batch_size, progress=progress)
        os.replace(tmp, final)
    cache = _load_verified(final, len(token_ids))
    assert cache is not None, "a cache written a moment ago must verify"
    return cache


def _write(
    model: nn.Module, token_ids: Sequence[Sequence[int]], cut: int, folder: Path,
    *, pad_id: int, batch_size: int, progress: bool,
) -> None:
    lengths = np.array([len(ids) for ids in token_ids], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    hidden = int(model.config.hidden_size)
    states = np.lib.format.open_memmap(folder / "states.npy", mode="w+", dtype=np.float16, shape=(int(offsets[-1]), hidden))
    # Length-sorted batches keep padding (wasted compute) small.
    order = np.argsort(lengths, kind="stable")
    bar = tqdm(total=len(order), desc=f"caching layer-{cut} states", unit="text", disable=not progress)
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            ids, mask = pad_batch([list(token_ids[i]) for i in chunk], pad_id)
            out = bottom_forward(model, ids.to(device), mask.to(device), cut).to(torch.float16).cpu().numpy()
            for row, i in enumerate(chunk):
                states[offsets[i] : offsets[i + 1]] = out[row, : lengths[i]]
            bar.update(len(chunk))
            fault_point("during-cache")
    model.train(was_training)
    bar.close()
    states.flush()
    del states
    np.save(folder / "offsets.npy", offsets)
    meta = {"format": _FORMAT, "n_texts": len(token_ids), "hidden": hidden, "cut": cut,
            "states_sha256": _sha256(folder / "states.npy"), "offsets_sha256": _sha256(folder / "offsets.npy")}
    (folder / "meta.json").write_text(json.dumps(meta, indent=1))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def _load_verified(folder: Path, n_texts: int) -> ActivationCache | None:
    """The cache in ``folder`` if it is complete and its checksums hold, else ``None``."""
    try:
        meta = json.loads((folder / "meta.json").read_text())
        if meta["n_texts"] != n_texts:
            return None
        for name in ("states", "offsets"):
            if _sha256(folder / f"{name}.npy") != meta[f"{name}_sha256"]:
                return None
        offsets = np.load(folder / "offsets.npy")
        states = np.load(folder / "states.npy", mmap_mode="r")
    except (OSError, ValueError, KeyError):
        return None
    if states.shape != (int(offsets[-1]), meta["hidden"]):
        return None
    return ActivationCache(path=folder, states=states, offsets=offsets)
