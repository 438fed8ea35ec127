"""Everything one trial needs to know, as a typed, validated model."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from objectives.regimes._recipes import (
    REGIMES,
    TRAINING_KEYS,
    TrainPath,
    default_regime,
    resolve_device,
    unsupported_device,
)

__all__ = ["TrialConfig", "DEFAULT_MODEL"]

DEFAULT_MODEL = "multilingual-e5-small"


class TrialConfig(BaseModel):
    """Settings of one short fine-tune plus evaluation.

    ``query_prefix``/``passage_prefix`` left as ``None`` mean: E5's ``"query: "`` /
    ``"passage: "`` for models whose name contains ``e5``, no prefix otherwise.

    ``device`` ``auto`` resolves to ``cuda`` when a GPU is visible, else ``cpu``.
    ``regime`` left unset means ``full`` on a GPU and
    :data:`objectives.regimes.CPU_DEFAULT_REGIME` on a CPU; the regime's recipe fills
    every training setting (:data:`objectives.regimes.TRAINING_KEYS`) not given
    explicitly, so a validated config always holds concrete values.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = DEFAULT_MODEL
    data: str | None = None
    train_data: str | None = None
    distractors: str | None = None
    languages: list[str] | None = None
    split_seed: int = 0
    split_fractions: tuple[float, float, float] = (0.5, 0.25, 0.25)
    query_prefix: str | None = None
    passage_prefix: str | None = None
    candidate_text: Literal["sentence", "sentence+context"] = "sentence"
    max_length: int = Field(default=128, ge=8, le=512)
    regime: str = "proxy"
    train_layers: int | Literal["all"] = 1
    steps: int = Field(default=80, ge=1)
    batch_size: int = Field(default=32, ge=2)
    learning_rate: float = Field(default=5e-5, gt=0)
    warmup_ratio: float = Field(default=0.0, ge=0.0, le=1.0)
    lr_schedule: Literal["constant", "linear"] = "constant"
    dropout: bool = False
    train_path: TrainPath = "cached"
    precision: Literal["fp32", "bf16"] = "fp32"
    temperature: float = Field(default=0.05, gt=0)
    symmetric_loss: bool = False
    mixing: Literal["batch", "example"] = "batch"
    k: int = Field(default=1, ge=1)
    eval_split: Literal["dev", "test", "all"] = "dev"
    eval_batch_size: int = Field(default=128, ge=1)
    device: str = "auto"
    threads: int | None = Field(default=None, ge=1)
    cache_dir: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _apply_regime(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        device = resolve_device(str(data.get("device") or "auto"))
        regime = data.get("regime") or default_regime(device)
        recipe = REGIMES.get(regime)
        for key in TRAINING_KEYS:
            if data.get(key) is None and recipe is not None:
                data[key] = getattr(recipe, key)
        return {**data, "device": device, "regime": regime}

    @field_validator("regime")
    @classmethod
    def _known_regime(cls, value: str) -> str:
        if value not in REGIMES:
            raise ValueError(f"unknown regime {value!r}: choose one of {', '.join(REGIMES)}")
        return value

    @field_validator("train_layers", mode="before")
    @classmethod
    def _layers(cls, value: Any) -> int | str:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if value == "all" or (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
            return value
        raise ValueError(f"train_layers must be a number of layers >= 1 or 'all', got {value!r}")

    @field_validator("device")
    @classmethod
    def _known_device(cls, value: str) -> str:
        problem = unsupported_device(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("languages")
    @classmethod
    def _languages_not_empty(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not value:
            raise ValueError("name at least one language, or leave it unset for all")
        return value

    def prefixes(self) -> tuple[str, str]:
        """The query and passage prefixes in effect."""
        e5 = "e5" in self.model.lower()
        query = self.query_prefix if self.query_prefix is not None else ("query: " if e5 else "")
        passage = self.passage_prefix if self.passage_prefix is not None else ("passage: " if e5 else "")
        return query, passage
