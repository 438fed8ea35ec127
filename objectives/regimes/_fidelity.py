"""How far each regime's ranking of the mono ratio agrees with full fine-tuning.

The numbers come from ``benchmarks/fidelity.py`` (α ∈ {0, .25, .5, .75, 1}, several
seeds, every candidate regime against ``full`` on the same split), which writes
``fidelity.json`` beside this module with ``--write-record``. A study whose regime is
not shown faithful there says so in the first lines of its run summary and report,
with the measured disagreement and the command that confirms the answer on a GPU.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from objectives.regimes._recipes import REGIMES, TRAINING_KEYS

__all__ = ["SETTING_KEYS", "FidelityRecord", "fidelity_of", "fidelity_records", "fidelity_warning", "load_records",
           "training_settings"]

_RECORD_FILE = Path(__file__).with_name("fidelity.json")


@dataclass(frozen=True)
class FidelityRecord:
    """One regime measured against ``full``.

    Attributes:
        regime: the candidate's name in the benchmark (a regime, or a regime with overrides).
        settings: its resolved training settings (:data:`TRAINING_KEYS` plus ``precision``);
            a study whose settings equal these is described by this record.
        faithful: its ranking agrees with ``full`` by the benchmark's rule (``rule``).
        rho_same_lang: Spearman ρ across α of objective 1 (same-language P@1) vs ``full``.
        rho_xling: the same for objective 2 (pooled mAP).
        knee_alpha: the α its knee rule picks on the benchmark grid.
        knee_on_front: that α lies on ``full``'s Pareto front within 2 std.
        reference: what ``full`` was, where and how often it ran.
        seconds_per_trial: measured cost of one trial (train + encode + metrics).
        measured_on: machine and date.
        rule: the verdict's rule, in words.
        seconds_measured_idle: False when no run had the machine to itself, so
            ``seconds_per_trial`` is an upper bound.
    """

    regime: str
    settings: dict[str, Any]
    faithful: bool
    rho_same_lang: float
    rho_xling: float
    knee_alpha: float
    knee_on_front: bool
    reference: str
    seconds_per_trial: float | None
    measured_on: str
    rule: str
    seconds_measured_idle: bool = True


def load_records(path: Path = _RECORD_FILE) -> dict[str, FidelityRecord]:
    """Records by regime name; empty when the benchmark has not been recorded."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {r["regime"]: FidelityRecord(**r) for r in raw.get("records", [])}


@cache
def fidelity_records() -> dict[str, FidelityRecord]:
    """The recorded measurements shipped with the package (read once)."""
    return load_records()


#: The settings that define what a trial trains; a record matches a study on all of them.
SETTING_KEYS: tuple[str, ...] = (*TRAINING_KEYS, "precision")


def training_settings(config: Any) -> dict[str, Any]:
    """``config``'s resolved training settings, as records store them."""
    return {k: getattr(config, k) for k in SETTING_KEYS}


def _overrides(config: Any) -> dict[str, Any]:
    """Training settings of ``config`` that differ from its regime's recipe (fp32 is every recipe's precision)."""
    recipe = {**REGIMES[config.regime].model_dump(), "precision": "fp32"}
    return {k: getattr(config, k) for k in SETTING_KEYS if getattr(config, k) != recipe[k]}


def fidelity_of(config: Any) -> FidelityRecord | None:
    """The record measured with exactly ``config``'s training settings, or None."""
    mine = training_settings(config)
    return next((r for r in fidelity_records().values() if r.settings == mine), None)


def _is_reference(config: Any) -> bool:
    return config.regime == "full" and not _overrides(config)


def fidelity_warning(config: Any, confirm_command: str) -> str | None:
    """The lines a run summary and report open with when the training is not shown faithful.

    ``None`` for the ``full`` recipe (it is the reference) and for settings the
    benchmark recorded as faithful.
    """
    if _is_reference(config):
        return None
    overrides = _overrides(config)
    what = f"regime {config.regime!r}" + (
        f" with {', '.join(f'{k}={v}' for k, v in sorted(overrides.items()))}" if overrides else f" ({REGIMES[config.regime].summary})")
    record = fidelity_of(config)
    if record is None:
        return (f"WARNING: {what} has not been compared with full fine-tuning, so its ranking of mono_ratio is "
                f"unverified. Confirm the answer on a GPU: {confirm_command}")
    if record.faithful:
        return None
    knee = "on" if record.knee_on_front else "off"
    return (f"WARNING: {what} is not shown to rank mono_ratio like full fine-tuning: Spearman rho across alpha vs full "
            f"is {record.rho_same_lang:+.2f} for same-language P@1 and {record.rho_xling:+.2f} for pooled mAP, and its "
            f"knee (alpha {record.knee_alpha:g}) lies {knee} full's Pareto front (XQuAD-R dev, {record.measured_on}; "
            f"reference: {record.reference}; rule: {record.rule}). Treat its answer as a region to check, not the "
            f"ratio to train with. Confirm on a GPU: {confirm_command}")
