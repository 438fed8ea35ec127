"""Decoding settings of the neural backends, checked where they are made."""

from __future__ import annotations

from dataclasses import dataclass

from objectives.errors import ConfigError

__all__ = ["BATCH_SIZES", "DecodeSettings"]

#: Default texts per batch. 16 fits the 418M model on a CPU and a small GPU; Apertium starts one
#: process per batch (about 0.3 s), so it takes large ones (benchmarks/README.md, "Translate stage").
BATCH_SIZES: dict[str, int] = {"m2m100": 16, "nllb": 16, "apertium": 512}


@dataclass(frozen=True)
class DecodeSettings:
    """How a backend decodes; ``batch_size`` is texts per call (it changes speed, not text).

    Defaults: beam 5 as fairseq decodes M2M100, at most 200 tokens in and out (M2M100's
    ``max_length``); ``batch_size`` None is the backend's own (:data:`BATCH_SIZES`).
    """

    num_beams: int = 5
    max_length: int = 200
    batch_size: int | None = None

    def __post_init__(self) -> None:
        for name in ("num_beams", "max_length", "batch_size"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                flag = "--" + name.replace("_", "-")
                raise ConfigError(f"{flag} must be at least 1 (got {getattr(self, name)})")

    def batch_for(self, family: str) -> int:
        """Texts per batch for a backend ``family``: the one set, else the family's default."""
        return self.batch_size or BATCH_SIZES[family]
