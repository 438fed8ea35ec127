"""How far each regime's ranking of the mono ratio agrees with full fine-tuning.

The records come from ``benchmarks/fidelity.py`` (several α, several seeds, every
candidate regime against ``full`` on the same split), which writes ``fidelity.json``
beside this module with ``--write-record``. A study whose regime is not shown
faithful there says so in the first lines of its run summary and report, with the
measured disagreement and the command that confirms the answer on a GPU; a faithful
one names the record that makes it so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from objectives.regimes import LEGACY_LOOP, Regime

__all__ = ["RECORD_FILE", "FidelityRecord", "fidelity_note", "fidelity_of", "fidelity_records", "fidelity_sentence", "fidelity_warning",
           "load_records"]

#: Where ``benchmarks/fidelity.py --write-record`` writes the records; shipped with the package.
RECORD_FILE = Path(__file__).with_name("fidelity.json")


@dataclass(frozen=True)
class FidelityRecord:
    """One regime measured against ``full``.

    Attributes:
        regime: the candidate's name in the benchmark (a regime, or a regime with overrides).
        settings: its resolved training settings (:meth:`objectives.regimes.Regime.settings`);
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
        pairs_same_lang: (ordered alike, separated) α pairs on objective 1; the rule's
            main test (docs/design.md, "The fidelity rule"). None in records made
            under the older ρ rule.
        pairs_xling: the same on objective 2.
        reference_sd: the reference's pooled within-cell std per objective.
        min_z_same_lang: over the α pairs the reference separates on objective 1, the smallest
            difference in the reference's direction in the candidate's own standard errors
            (negative: a pair ordered the wrong way); None in records made before issue 33.
        min_z_xling: the same on objective 2.
        faithful_with_margin: faithful, and every separated same-language pair ordered right at
            z ≥ 1 (issue 33's margin, which the CPU default must meet).
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
    pairs_same_lang: tuple[int, int] | None = None
    pairs_xling: tuple[int, int] | None = None
    reference_sd: tuple[float, float] | None = None
    min_z_same_lang: float | None = None
    min_z_xling: float | None = None
    faithful_with_margin: bool | None = None

    def __post_init__(self) -> None:
        if "loop" not in self.settings:  # measured before the loop was a setting: the padded loop ran
            object.__setattr__(self, "settings", {**self.settings, "loop": LEGACY_LOOP})
        for name in ("pairs_same_lang", "pairs_xling", "reference_sd"):
            value = getattr(self, name)
            if value is not None:  # JSON has lists; the record is frozen and hashable with tuples
                object.__setattr__(self, name, tuple(value))

    def agreement(self) -> str:
        """The measured agreement in words."""
        parts = []
        if self.pairs_same_lang is not None and self.pairs_xling is not None:
            parts.append(f"separated alpha pairs ordered alike: same-language P@1 {self.pairs_same_lang[0]}/"
                         f"{self.pairs_same_lang[1]}, pooled mAP {self.pairs_xling[0]}/{self.pairs_xling[1]}"
                         + (f" (smallest margin z {self.min_z_same_lang:.1f} / {self.min_z_xling:.1f})"
                            if self.min_z_same_lang is not None and self.min_z_xling is not None else ""))
        parts.append(f"knee alpha {self.knee_alpha:g} {'on' if self.knee_on_front else 'off'} the reference's front")
        parts.append(f"Spearman rho {self.rho_same_lang:+.2f} / {self.rho_xling:+.2f}")
        return "; ".join(parts)


def load_records(path: Path = RECORD_FILE) -> dict[str, FidelityRecord]:
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


def fidelity_of(regime: Regime) -> FidelityRecord | None:
    """The record measured with exactly ``regime``'s settings, or None."""
    mine = regime.settings()
    return next((r for r in fidelity_records().values() if r.settings == mine), None)


def _is_reference(regime: Regime) -> bool:
    return regime.name == "full" and not regime.overrides()


def fidelity_warning(regime: Regime, confirm_command: str) -> str | None:
    """The lines a run summary and report open with when the training is not shown faithful.

    ``None`` for the ``full`` recipe (it is the reference) and for settings the
    benchmark recorded as faithful.
    """
    if _is_reference(regime):
        return None
    what = regime.describe()
    record = fidelity_of(regime)
    if record is None:
        return (f"WARNING: {what} has not been compared with full fine-tuning, so its ranking of mono_ratio is "
                f"unverified. Confirm the answer on a GPU: {confirm_command}")
    if record.faithful:
        return None
    return (f"WARNING: {what} is not shown to rank mono_ratio like full fine-tuning ({record.agreement()}; "
            f"measured on {record.measured_on}; reference: {record.reference}; rule: {record.rule}). Treat its answer as a "
            f"region to check, not the ratio to train with. Confirm on a GPU: {confirm_command}")


def fidelity_sentence(regime: Regime, confirm_command: str) -> str | None:
    """The console's short form of :func:`fidelity_note`: regime, record, where it was measured, the check.

    ``sweep.run``'s summary and ``sweep.export`` print this; the report and the exported
    file carry the full wording (agreement, reference, rule).
    """
    record = fidelity_of(regime)
    if record is None or not record.faithful or _is_reference(regime):
        return None
    return (f"Fidelity: regime {regime.name!r} ranks mono_ratio like full fine-tuning by record {record.regime!r} "
            f"(measured on {record.measured_on}); check it on your data with {confirm_command}")


def fidelity_note(regime: Regime, confirm_command: str) -> str | None:
    """The one line a summary, report and export carry when a record shows the training faithful.

    It names the record (rule, reference, agreement) and where it was measured; a record
    measured on XQuAD-R with the default encoder does not transfer by itself to other
    data or another model, so the line names the command that checks the answer in the
    full regime. ``None`` when no faithful record matches (see :func:`fidelity_warning`).
    """
    record = fidelity_of(regime)
    if record is None or not record.faithful or _is_reference(regime):
        return None
    return (f"Fidelity: regime {regime.name!r} is faithful to full fine-tuning by record {record.regime!r} "
            f"({record.agreement()}; reference: {record.reference}; rule: {record.rule}). Measured on "
            f"{record.measured_on}; on other data or another model it does not transfer by itself: check the answer in "
            f"the full regime with {confirm_command}")
