"""Decoding settings of the neural backends, checked where they are made."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from objectives.errors import ConfigError

__all__ = ["DecodeSettings"]


@dataclass(frozen=True)
class DecodeSettings:
    """How a neural backend decodes; ``batch_size`` is texts per generate call (it changes speed, not text).

    Defaults: beam 5 as fairseq decodes M2M100, at most 200 tokens in and out (M2M100's
    ``max_length``), 16 texts a batch (fits a CPU and a small GPU for the 418M model).
    """

    num_beams: int = 5
    max_length: int = 200
    batch_size: int = 16

    def __post_init__(self) -> None:
        for name in ("num_beams", "max_length", "batch_size"):
            if getattr(self, name) < 1:
                flag = "--" + name.replace("_", "-")
                raise ConfigError(f"{flag} must be at least 1 (got {getattr(self, name)})")

    def as_dict(self) -> dict[str, int]:
        return asdict(self)
