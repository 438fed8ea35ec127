"""The interface every translation backend implements, its decoding settings, and the choice of backend.

The stage (:mod:`objectives.translation._stage`) batches, caches and writes; a backend
only turns one batch of texts in one language into another. Two exist: transformers'
M2M100 (and NLLB-200, the same architecture) and Debian's rule-based Apertium.
"""

from __future__ import annotations

from typing import Any, Protocol

from objectives.translation._settings import DecodeSettings

__all__ = ["APERTIUM", "DEFAULT_MT_MODEL", "DecodeSettings", "Engine", "load_engine"]

#: The model the method's paper translated its training data with (arXiv 2408.10536).
DEFAULT_MT_MODEL = "facebook/m2m100_418M"
#: ``--mt-model`` value that selects the Apertium backend.
APERTIUM = "apertium"


class Engine(Protocol):
    """A loaded translation backend."""

    #: ``m2m100``, ``nllb`` or ``apertium``.
    family: str
    #: What ``--mt-model`` said.
    name: str
    #: A content hash of what translates (weights and tokenizer, or Apertium's rule files).
    fingerprint: str
    #: The name -> code map a bare language name goes through (see ``_languages``).
    default_codes: dict[str, str]

    def language_codes(self) -> list[str]:
        """Every language code this backend accepts."""
        ...

    def unsupported_pair(self, source: str, target: str) -> str | None:
        """Why ``source`` -> ``target`` cannot be translated (both codes known), or None."""
        ...

    def cache_settings(self) -> dict[str, Any]:
        """The settings that change the translations, part of every cache key."""
        ...

    def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        """One batch: ``texts`` in ``source`` to ``target``, in order."""
        ...


def load_engine(name: str, settings: DecodeSettings, device: str = "auto") -> Engine:
    """The backend ``--mt-model`` names: ``apertium``, or an M2M100/NLLB checkpoint (folder or hub name).

    Raises:
        ModelError: nothing loadable there, not a translation model, or Apertium not installed.
        ConfigError: a device torch cannot use.
    """
    if name == APERTIUM or name.startswith(APERTIUM + ":"):
        from objectives.translation._apertium import ApertiumEngine

        return ApertiumEngine(name, settings)
    from objectives.translation._m2m100 import M2M100Engine

    return M2M100Engine.load(name, settings, device)
