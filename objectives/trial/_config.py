"""Everything one trial needs to know, as a typed, validated model."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, field_validator, model_serializer, model_validator

from objectives.regimes import SETTING_KEYS, Regime, default_regime, resolve_device, unsupported_device

__all__ = ["TrialConfig", "DEFAULT_MODEL"]

DEFAULT_MODEL = "multilingual-e5-small"


class TrialConfig(BaseModel):
    """Settings of one short fine-tune plus evaluation.

    ``regime`` is the resolved :class:`objectives.regimes.Regime`. It is given the way a
    user writes it, flat: ``regime`` names a recipe (unset: ``full`` on a GPU, the CPU
    default on a CPU) and any of its settings (:data:`objectives.regimes.SETTING_KEYS`:
    ``steps``, ``learning_rate``, ...) may stand beside it as an override. Dumps are
    flat the same way, so stored studies, identities and exports read as they always
    have.

    ``query_prefix``/``passage_prefix`` left as ``None`` mean: E5's ``"query: "`` /
    ``"passage: "`` for models whose name contains ``e5``, no prefix otherwise.
    ``device`` ``auto`` resolves to ``cuda`` when a GPU is visible, else ``cpu``.
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
    regime: Regime
    batch_size: int = Field(default=32, ge=2)
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
    def _resolve_regime(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        device = resolve_device(str(data.get("device") or "auto"))
        given = data.pop("regime", None)
        flat = {key: data.pop(key) for key in SETTING_KEYS if key in data}
        if isinstance(given, Regime):
            given = given.model_dump()
        if isinstance(given, dict):  # a resolved regime (or its dump), with flat overrides on top
            flat = {**{k: v for k, v in given.items() if k != "name"}, **{k: v for k, v in flat.items() if v is not None}}
            given = given.get("name")
        # Validated as the field, so an error is located at regime.<key>.
        regime = Regime.recipe_fields(given or default_regime(device), **flat)
        return {**data, "device": device, "regime": regime}

    @model_serializer(mode="wrap")
    def _flat(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        flat: dict[str, Any] = {}
        for key, value in handler(self).items():
            if key == "regime":
                flat["regime"] = value.pop("name")
                flat.update(value)
            else:
                flat[key] = value
        return flat

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

    def with_overrides(self, **values: Any) -> TrialConfig:
        """This config with ``values`` changed and validated again (a regime setting goes into the regime)."""
        return type(self)(**{**self.model_dump(), **values})

    def prefixes(self) -> tuple[str, str]:
        """The query and passage prefixes in effect."""
        e5 = "e5" in self.model.lower()
        query = self.query_prefix if self.query_prefix is not None else ("query: " if e5 else "")
        passage = self.passage_prefix if self.passage_prefix is not None else ("passage: " if e5 else "")
        return query, passage
