"""Everything one trial needs to know, as a typed, validated model."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["TrialConfig", "DEFAULT_MODEL"]

DEFAULT_MODEL = "multilingual-e5-small"


class TrialConfig(BaseModel):
    """Settings of one short fine-tune plus evaluation (DESIGN, "One trial").

    ``query_prefix``/``passage_prefix`` left as ``None`` mean: E5's ``"query: "`` /
    ``"passage: "`` for models whose name contains ``e5``, no prefix otherwise.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = DEFAULT_MODEL
    data: str | None = None
    train_data: str | None = None
    languages: list[str] | None = None
    split_seed: int = 0
    split_fractions: tuple[float, float, float] = (0.5, 0.25, 0.25)
    query_prefix: str | None = None
    passage_prefix: str | None = None
    candidate_text: Literal["sentence", "sentence+context"] = "sentence"
    max_length: int = Field(default=128, ge=8, le=512)
    train_layers: int = Field(default=1, ge=1)
    steps: int = Field(default=80, ge=1)
    batch_size: int = Field(default=32, ge=2)
    learning_rate: float = Field(default=5e-5, gt=0)
    temperature: float = Field(default=0.05, gt=0)
    symmetric_loss: bool = False
    mixing: Literal["batch", "example"] = "batch"
    k: int = Field(default=1, ge=1)
    eval_split: Literal["dev", "test", "all"] = "dev"
    eval_batch_size: int = Field(default=128, ge=1)
    device: str = "cpu"
    threads: int | None = Field(default=None, ge=1)
    cache_dir: str | None = None

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
