"""Named training regimes, and the resolved regime a trial trains with.

A regime says what trains (how many top layers, how many steps, at which learning
rate and schedule, with or without dropout, at which precision) and on which path:
``cached`` trains the top ``K`` layers on frozen-bottom states computed once per study
(:mod:`objectives.training`), ``forward`` runs plain forward passes over token ids.
A study names a recipe and may override any of its settings one by one; the result
is one :class:`Regime` object, the recipe's name with every value concrete. The
recipes below are the only place those values are written.

- ``sharp``: the CPU default since issue 33. The top layer on cached states, 150 steps
  at a constant 4e-4 with dropout off, on the packed loop. Among the regimes that rank
  the mono ratio like full fine-tuning with a margin (every pair full fine-tuning
  separates on same-language P@1 ordered right by at least one of its own standard
  errors), it gives the narrowest 90 % interval of the answer for the CPU time of a
  40-trial ``lite`` study: its same-language signal per run is 2.3× lite's in
  (effect / sd)² (benchmarks/README.md, "Regime choice"; its record is
  ``top1-150-packed`` in :mod:`objectives.fidelity`).
- ``lite``: the CPU default until issue 33. The top layer on cached states like
  ``proxy``, trained the way ``full`` trains (warm-up, linear decay, dropout), on the
  packed loop (no padding rows, seeded dropout masks; issue 29). Faithful by the
  fidelity rule (docs/design.md, "The fidelity rule"), but two of its five ordered
  same-language pairs are ties within its own noise, so its answers were vague; kept so
  that studies made with it continue.
- ``proxy``: a fast CPU trial (no warm-up, constant rate, dropout off). It does not
  rank the mono ratio like real fine-tuning; it stays selectable so that studies made
  with it can be continued.
- ``full``: what a team's real training run does: every transformer layer trains
  (the embedding table stays frozen; docs/design.md, "K = all layers"), the model's
  own dropout is on, the learning rate warms up linearly over the first 10 % of
  steps and then decays linearly to zero (the default schedule of transformers'
  ``Trainer`` and sentence-transformers' ``fit``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["CPU_DEFAULT_REGIME", "LEGACY_LOOP", "REGIMES", "SETTING_KEYS", "Loop", "Regime", "TrainPath"]

TrainPath = Literal["cached", "forward"]

#: The settings a regime fixes (every field of :class:`Regime` but its name); any may be overridden.
SETTING_KEYS: tuple[str, ...] = (
    "train_layers", "steps", "learning_rate", "warmup_ratio", "lr_schedule", "dropout", "train_path", "precision", "loop",
)

#: Training loops: ``padded`` (version 1) runs padded batches through the model's own layers with
#: torch's dropout; ``packed`` (version 2) packs a step's tokens with no padding rows and draws
#: dropout masks from a generator seeded by the trial seed (objectives.training). The same
#: seed gives different numbers in the two, so the loop is a setting and part of a study's identity.
Loop = Literal["padded", "packed"]

#: The loop of every study made before the loop was a setting.
LEGACY_LOOP: Loop = "padded"


class Regime(BaseModel):
    """A training regime resolved to concrete values: a recipe's name plus every setting.

    Build one with :meth:`named` (a recipe, with overrides). Trials, the workspace and
    the fine-tune take it whole; studies store it flat, as ``regime: <name>`` beside
    the settings (:meth:`settings`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    train_layers: int | Literal["all"]
    steps: int = Field(ge=1)
    learning_rate: float = Field(gt=0)
    warmup_ratio: float = Field(ge=0.0, le=1.0)
    lr_schedule: Literal["constant", "linear"]
    dropout: bool
    train_path: TrainPath
    precision: Literal["fp32", "bf16"] = "fp32"
    loop: Loop = LEGACY_LOOP

    @model_validator(mode="after")
    def _packed_needs_cache(self) -> Regime:
        if self.loop == "packed" and self.train_path != "cached":
            raise ValueError("the packed loop runs on the cached path only: use loop padded with train_path forward")
        return self

    @field_validator("name")
    @classmethod
    def _known(cls, value: str) -> str:
        # REGIMES is built from Regime objects below; until it exists there is nothing to check against.
        if "REGIMES" in globals() and value not in REGIMES:
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

    @classmethod
    def named(cls, name: str, **overrides: Any) -> Regime:
        """Recipe ``name`` with ``overrides`` applied (``None`` means: the recipe's value).

        Raises:
            pydantic.ValidationError: unknown name or an invalid override.
        """
        return cls(**cls.recipe_fields(name, **overrides))

    @staticmethod
    def recipe_fields(name: str, **overrides: Any) -> dict[str, Any]:
        """The unvalidated fields of recipe ``name`` with ``overrides`` (``None`` skipped); only ``name`` if it is unknown."""
        recipe = REGIMES.get(name)
        settings = recipe.settings() if recipe is not None else {}
        return {"name": name, **settings, **{k: v for k, v in overrides.items() if v is not None}}

    def settings(self) -> dict[str, Any]:
        """The resolved settings by :data:`SETTING_KEYS`, as studies and fidelity records store them."""
        return {key: getattr(self, key) for key in SETTING_KEYS}

    def overrides(self) -> dict[str, Any]:
        """The settings that differ from the recipe's."""
        recipe = REGIMES[self.name].settings()
        return {k: v for k, v in self.settings().items() if v != recipe[k]}

    @property
    def workspace_key(self) -> tuple[str, int | str]:
        """What a loaded workspace depends on: the path and the trained layers (each cut has its own cache)."""
        return self.train_path, self.train_layers

    def summary(self) -> str:
        """What trains and how, in words (written from the settings, so it cannot go stale)."""
        if self.train_layers == "all":
            what = "all transformer layers (embeddings frozen)"
        else:
            what = "top layer" if self.train_layers == 1 else f"top {self.train_layers} layers"
        where = " on cached states" if self.train_path == "cached" else ", forward passes"
        decay = "linear decay" if self.lr_schedule == "linear" else "constant"
        schedule = f"{self.warmup_ratio:.0%} warm-up then {decay}" if self.warmup_ratio else decay
        return (f"{what}{where}, {self.steps} steps, lr {self.learning_rate:g}, {schedule}, "
                f"dropout {'on' if self.dropout else 'off'}" + (", bf16" if self.precision == "bf16" else "")
                + (", packed tokens" if self.loop == "packed" else ""))

    def describe(self) -> str:
        """The regime in words: its name and summary, or its name and the overrides when there are any."""
        overrides = self.overrides()
        if overrides:
            return f"regime {self.name!r} with {', '.join(f'{k}={v}' for k, v in sorted(overrides.items()))}"
        return f"regime {self.name!r} ({self.summary()})"

    def line(self) -> str:
        """One line of what trains: the regime's name, whether it was customised, every setting."""
        layers = "all" if self.train_layers == "all" else f"top {self.train_layers}"
        custom = ", customised" if self.overrides() else ""
        return (f"regime {self.name}{custom}: {layers} layer(s) on the {self.train_path} path, {self.steps} steps, "
                f"lr {self.learning_rate:g} ({self.lr_schedule}, warm-up {self.warmup_ratio:g}), "
                f"dropout {'on' if self.dropout else 'off'}, {self.precision}, {self.loop} loop")


REGIMES: Mapping[str, Regime] = {
    "sharp": Regime(name="sharp", train_layers=1, steps=150, learning_rate=4e-4, warmup_ratio=0.0, lr_schedule="constant",
                    dropout=False, train_path="cached", loop="packed"),
    "lite": Regime(name="lite", train_layers=1, steps=100, learning_rate=6e-4, warmup_ratio=0.1, lr_schedule="linear",
                   dropout=True, train_path="cached", loop="packed"),
    "proxy": Regime(name="proxy", train_layers=1, steps=80, learning_rate=5e-5, warmup_ratio=0.0, lr_schedule="constant",
                    dropout=False, train_path="cached"),
    "full": Regime(name="full", train_layers="all", steps=200, learning_rate=3e-5, warmup_ratio=0.1, lr_schedule="linear",
                   dropout=True, train_path="forward"),
}

#: The regime a CPU study gets when none is named: among the regimes the fidelity benchmark
#: shows faithful to ``full`` with a margin, the one whose answer is most precise per CPU-minute
#: (docs/design.md, "Regimes"; issue 33).
CPU_DEFAULT_REGIME = "sharp"
