"""Named training regimes: complete recipes for the short fine-tune of one trial.

A regime says what trains (how many top layers, how many steps, at which learning
rate and schedule, with or without dropout) and on which path: ``cached`` trains the
top ``K`` layers on frozen-bottom states computed once per study
(:mod:`objectives.regimes._cached`), ``forward`` runs plain forward passes over token
ids (:mod:`objectives.regimes._forward`). Every part can still be overridden one by
one; the regime's name and the resolved values are part of a study's identity.

- ``lite``: the CPU default: the top layer on cached states like ``proxy``, trained
  harder and the way ``full`` trains (100 steps at peak lr 6e-4, 10 % warm-up then
  linear decay, dropout on). The cheapest measured regime that ranks the mono ratio
  like full fine-tuning by the fidelity rule (docs/design.md, "The fidelity rule";
  its record, ``top1-100-dropout``, is in ``fidelity.json``).
- ``proxy``: the fast CPU trial of version 1 (top layer on cached states, 80 steps,
  lr 5e-5, constant, dropout off). It ranks the mono ratio differently from real
  fine-tuning (see :mod:`objectives.regimes._fidelity`); kept selectable so studies
  made with it can be continued.
- ``full``: what a team's real training run does: every transformer layer trains
  (the embedding table stays frozen; docs/design.md, "K = all layers"), the
  model's own dropout is on, the learning rate warms up linearly over the first
  10 % of steps and then decays linearly to zero (the default schedule of
  transformers' ``Trainer`` and sentence-transformers' ``fit``). 200 steps at
  lr 3e-5: on XQuAD-R with multilingual-e5-small this ranked α like 800 steps at
  2e-5 (2 seeds, one GPU; benchmarks/README.md, "Fidelity").
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = [
    "CPU_DEFAULT_REGIME",
    "REGIMES",
    "TRAINING_KEYS",
    "Recipe",
    "TrainPath",
    "default_regime",
    "resolve_device",
    "unsupported_device",
]

TrainPath = Literal["cached", "forward"]


class Recipe(BaseModel):
    """The training settings a regime stands for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    train_layers: int | Literal["all"]
    steps: int
    learning_rate: float
    warmup_ratio: float
    lr_schedule: Literal["constant", "linear"]
    dropout: bool
    train_path: TrainPath
    summary: str


#: Config keys a regime fills; any of them may be overridden one by one.
TRAINING_KEYS: tuple[str, ...] = (
    "train_layers", "steps", "learning_rate", "warmup_ratio", "lr_schedule", "dropout", "train_path",
)

REGIMES: dict[str, Recipe] = {
    "lite": Recipe(
        train_layers=1, steps=100, learning_rate=6e-4, warmup_ratio=0.1, lr_schedule="linear", dropout=True,
        train_path="cached",
        summary="top layer on cached states, 100 steps, lr 6e-4, 10% warm-up then linear decay, dropout on",
    ),
    "proxy": Recipe(
        train_layers=1, steps=80, learning_rate=5e-5, warmup_ratio=0.0, lr_schedule="constant", dropout=False,
        train_path="cached", summary="top layer on cached states, 80 steps, lr 5e-5, no dropout",
    ),
    "full": Recipe(
        train_layers="all", steps=200, learning_rate=3e-5, warmup_ratio=0.1, lr_schedule="linear", dropout=True,
        train_path="forward",
        summary="all transformer layers (embeddings frozen), 200 steps, lr 3e-5, 10% warm-up then linear decay, dropout on",
    ),
}

#: The regime a CPU study gets when none is named: the cheapest regime the fidelity
#: benchmark shows faithful to ``full`` (docs/design.md, "Regimes").
CPU_DEFAULT_REGIME = "lite"


def resolve_device(device: str) -> str:
    """``auto`` becomes ``cuda`` when torch sees a GPU, else ``cpu``; others pass through."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def unsupported_device(device: str) -> str | None:
    """Why ``device`` cannot be named, or None for ``auto``, ``cpu``, ``cuda`` and ``cuda:N``."""
    if device in ("auto", "cpu") or device.startswith("cuda"):
        return None
    return f"device {device!r} is not supported: use cpu, cuda (or cuda:N) or auto"


def default_regime(device: str) -> str:
    """``full`` on a GPU; on a CPU the cheapest regime shown faithful (:data:`CPU_DEFAULT_REGIME`)."""
    return "full" if device.startswith("cuda") else CPU_DEFAULT_REGIME
