"""M2M100 and NLLB-200 through transformers: ``M2M100ForConditionalGeneration`` with its tokenizer.

The source language is set on the tokenizer (``src_lang``), which prepends (M2M100) or
frames (NLLB) the input with its language token; the target language is forced as the
first generated token (``forced_bos_token_id``), as both model cards prescribe. Both
families share the architecture (``model_type`` ``m2m_100``) and differ in their language
codes: ISO 639-1 for M2M100 (``de``), FLORES-200 for NLLB (``deu_Latn``).
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from objectives.errors import ModelError
from objectives.translation._languages import NLLB_CODES
from objectives.translation._settings import DecodeSettings

if TYPE_CHECKING:
    from transformers import M2M100ForConditionalGeneration, PreTrainedTokenizerBase

__all__ = ["M2M100Engine"]

_FLORES = re.compile(r"[a-z]{3}_[A-Z][a-z]{3}")


def _not_found(name: str, hub: bool = True) -> ModelError:
    where = "" if hub else f" ({_hub_host()} cannot be reached from here)"
    return ModelError(
        f"translation model {name!r} not found{where}: pass a local folder saved with save_pretrained (config.json, "
        "weights, tokenizer files), or a Hugging Face name that is in the local cache or downloadable from here"
    )


def _hub_host() -> str:
    return urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co").hostname or "huggingface.co"


def _hub_reachable() -> bool:
    """A 3-second connection test: where the hub is blocked, huggingface_hub retries for about a minute before failing."""
    if os.environ.get("HF_HUB_OFFLINE", "0").lower() not in ("0", "", "false"):
        return False
    try:
        socket.create_connection((_hub_host(), 443), timeout=3).close()
    except OSError:
        return False
    return True


def _from_pretrained(loader: Any, name: str, **kwargs: Any) -> Any:
    """Local folder or cached hub name first; a hub download only when the name is not a path and the hub is allowed."""
    local = Path(name).expanduser()
    if local.exists():
        if not (local / "config.json").is_file():
            raise _not_found(name)
        return loader.from_pretrained(str(local), local_files_only=True, **kwargs)
    if local.is_absolute() or name.startswith((".", "~")):
        raise _not_found(name)  # a path, not a hub name
    try:
        return loader.from_pretrained(name, local_files_only=True, **kwargs)
    except OSError as exc:
        if not _hub_reachable():
            raise _not_found(name, hub=False) from exc
        return loader.from_pretrained(name, **kwargs)


class M2M100Engine:
    """A loaded M2M100 or NLLB-200 checkpoint on one device."""

    def __init__(self, name: str, model: M2M100ForConditionalGeneration, tokenizer: PreTrainedTokenizerBase,
                 family: str, settings: DecodeSettings, device: str) -> None:
        from objectives.encoder import model_fingerprint

        self.name = name
        self.family = family
        self.model = model
        self.tokenizer = tokenizer
        self.settings = settings
        self.device = device
        self.fingerprint = model_fingerprint(model, tokenizer)
        self.default_codes = NLLB_CODES if family == "nllb" else {}
        self._codes = self._language_codes()
        # Language tokens are not all marked special in every saved tokenizer; a translation never contains one.
        self._lang_ids = {self._token_id(c) for c in self._codes}
        self._drop_ids = {*tokenizer.all_special_ids, *self._lang_ids}
        # Never generated: another language's token, <unk>, <pad>, <s> (a real model rarely wants them; a weak one
        # would decode to an empty text).
        never = {tokenizer.unk_token_id, tokenizer.pad_token_id, tokenizer.bos_token_id}
        self._suppress = sorted(i for i in {*self._lang_ids, *never} if i is not None)

    @classmethod
    def load(cls, name: str, settings: DecodeSettings, device: str = "auto") -> M2M100Engine:
        """Load ``name`` (a folder or hub name) for translation on ``device``.

        Raises:
            ModelError: nothing loadable, or not an M2M100/NLLB checkpoint.
            ConfigError: a CUDA device torch cannot see.
        """
        from transformers import AutoConfig, AutoTokenizer, M2M100ForConditionalGeneration

        from objectives.regimes import check_device, resolve_device

        device = resolve_device(device)
        check_device(device)
        try:
            config = _from_pretrained(AutoConfig, name)
        except (OSError, ValueError) as exc:
            raise _not_found(name) from exc
        if config.model_type != "m2m_100":
            raise ModelError(
                f"{name!r} is a {config.model_type} model, not a translation model: --mt-model takes an M2M100 or "
                "NLLB-200 checkpoint (e.g. facebook/m2m100_418M, facebook/nllb-200-distilled-600M) or apertium"
            )
        try:
            tokenizer = _from_pretrained(AutoTokenizer, name)
            model = _from_pretrained(M2M100ForConditionalGeneration, name)
        except (OSError, ValueError) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"translation model {name!r} could not be loaded ({reason}): save it again with "
                             "save_pretrained, tokenizer included") from exc
        kind = type(tokenizer).__name__
        if kind.startswith("M2M100"):
            family = "m2m100"
        elif kind.startswith("Nllb"):
            family = "nllb"
        else:
            raise ModelError(f"{name!r} has a {kind}, not an M2M100 or NLLB tokenizer: save the model's own tokenizer "
                             "beside it")
        model.eval().to(device)
        return cls(name, model, tokenizer, family, settings, device)

    # ------------------------------------------------------------------ languages

    def _language_codes(self) -> list[str]:
        if self.family == "m2m100":
            return sorted(self.tokenizer.lang_code_to_id)
        unk = self.tokenizer.unk_token_id
        return sorted(t for t, i in self.tokenizer.get_vocab().items() if _FLORES.fullmatch(t) and i != unk)

    def _token_id(self, code: str) -> int:
        if self.family == "m2m100":
            return int(self.tokenizer.get_lang_id(code))
        return int(self.tokenizer.convert_tokens_to_ids(code))

    def language_codes(self) -> list[str]:
        return list(self._codes)

    def unsupported_pair(self, source: str, target: str) -> str | None:
        return None  # many-to-many: every pair of known codes

    def cache_settings(self) -> dict[str, Any]:
        return {"num_beams": self.settings.num_beams, "max_length": self.settings.max_length}

    # ---------------------------------------------------------------- translation

    def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        import torch

        self.tokenizer.src_lang = source
        batch = self.tokenizer(texts, return_tensors="pt", padding=True, truncation=True,
                               max_length=self.settings.max_length).to(self.device)
        target_id = self._token_id(target)
        with torch.inference_mode():
            out = self.model.generate(**batch, forced_bos_token_id=target_id, num_beams=self.settings.num_beams,
                                      max_new_tokens=self.settings.max_length, do_sample=False,
                                      suppress_tokens=[i for i in self._suppress if i != target_id])
        rows = [[int(i) for i in seq if int(i) not in self._drop_ids] for seq in out.cpu()]
        return [" ".join(self.tokenizer.decode(ids, skip_special_tokens=True).split()) for ids in rows]
