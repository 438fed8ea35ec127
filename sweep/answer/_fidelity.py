"""What the answer can be trusted for: the regime's fidelity record and the command that confirms it."""

from __future__ import annotations

import storage
from objectives.fidelity import fidelity_note, fidelity_sentence, fidelity_warning
from sweep._config import SweepConfig

__all__ = ["confirm_command", "regime_fidelity", "regime_fidelity_sentence", "regime_line", "regime_warning"]


def confirm_command(cfg: SweepConfig) -> str:
    """The command that re-runs this study's front and anchors in the full regime on a GPU.

    For a confirm study it names the search study it confirms: a confirm study is not
    itself confirmed (``sweep.confirm`` refuses it), its search is, in another regime.
    """
    search = cfg.confirms or cfg.study_name
    return (f"python -m sweep.confirm --study-name {search} --storage {storage.mask_url(cfg.storage)} "
            "--regime full --device cuda")


def regime_warning(cfg: SweepConfig) -> str | None:
    """The fidelity warning a summary and report open with, or None when the regime is faithful."""
    return fidelity_warning(cfg.regime, confirm_command(cfg))


def regime_fidelity(cfg: SweepConfig) -> str | None:
    """The fidelity record in full (agreement, reference, rule), as the report and the exported file carry it."""
    return fidelity_note(cfg.regime, confirm_command(cfg))


def regime_fidelity_sentence(cfg: SweepConfig) -> str | None:
    """The short fidelity sentence the console gets (summary, export) when the regime is faithful."""
    return fidelity_sentence(cfg.regime, confirm_command(cfg))


def regime_line(cfg: SweepConfig) -> str:
    """One line naming the regime, the training it resolved to and the device."""
    return f"{cfg.regime.line()}, device {cfg.device}"
