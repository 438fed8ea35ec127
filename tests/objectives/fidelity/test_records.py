"""Fidelity records: a study's regime is matched to its measurement by its resolved settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from objectives.fidelity import fidelity_note, fidelity_of, fidelity_warning, load_records
from objectives.regimes import Regime


def test_fidelity_warning_names_the_problem_and_the_confirm_command(tmp_path: Path) -> None:
    full = Regime.named("full")
    assert fidelity_warning(full, "CMD") is None, "full is the reference"
    custom = fidelity_warning(Regime.named("full", steps=20), "CMD")
    assert custom is not None and "regime 'full' with steps=20" in custom and custom.endswith("CMD")
    proxy = Regime.named("proxy")
    text = fidelity_warning(proxy, "python -m sweep.confirm --regime full")
    assert text is not None and text.startswith("WARNING: regime 'proxy'")
    assert text.endswith("python -m sweep.confirm --regime full")


def test_fidelity_records_match_by_training_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from objectives.fidelity import _records

    settings = Regime.named("proxy", steps=150, learning_rate=4e-4).settings()
    record = {"regime": "top1-150", "settings": settings, "faithful": False, "rho_same_lang": 0.97, "rho_xling": 0.2,
              "pairs_same_lang": [5, 5], "pairs_xling": [4, 4], "reference_sd": [0.0057, 0.0046],
              "knee_alpha": 0.75, "knee_on_front": True, "reference": "full on a GPU", "seconds_per_trial": 112.0,
              "measured_on": "here, 3 seeds", "rule": "the rule"}
    path = tmp_path / "fidelity.json"
    path.write_text(json.dumps({"records": [record, {**record, "regime": "faithful-one", "faithful": True,
                                                      "settings": {**settings, "steps": 151}}]}))
    monkeypatch.setattr(_records, "fidelity_records", lambda: load_records(path))
    measured = Regime.named("proxy", steps=150, learning_rate=4e-4)
    assert fidelity_of(measured).regime == "top1-150"
    text = fidelity_warning(measured, "CMD")
    assert "+0.97" in text and "+0.20" in text and "knee alpha 0.75 on the reference's front" in text
    faithful = Regime.named("proxy", steps=151, learning_rate=4e-4)
    assert fidelity_warning(faithful, "CMD") is None
    note = fidelity_note(faithful, "CMD")
    assert note is not None and note.startswith("Fidelity: regime 'proxy' is faithful to full fine-tuning by record 'faithful-one'")
    assert "pooled mAP 4/4" in note and "reference: full on a GPU" in note and "rule: the rule" in note
    assert "does not transfer by itself" in note and note.endswith("CMD") and "\n" not in note
    assert fidelity_note(measured, "CMD") is None, "not faithful: a warning, no note"
    unmeasured = fidelity_warning(Regime.named("proxy", steps=152, learning_rate=4e-4), "CMD")
    assert "has not been compared with full fine-tuning" in unmeasured
    assert load_records(tmp_path / "missing.json") == {}
