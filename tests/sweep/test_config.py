"""The study config: the regime resolved once, stored flat, and old records read as what they ran."""

from __future__ import annotations

import pytest
import yaml

from objectives.errors import ConfigError
from objectives.regimes import LEGACY_LOOP, REGIMES
from sweep._config import LEGACY_REGIME, config_from_record, load_config, with_legacy_defaults
from tests.sweep.conftest import REPO


def test_a_record_made_before_regimes_reads_as_the_proxy_it_ran() -> None:
    cfg = load_config(overrides={"regime": "proxy", "device": "cpu", "steps": 33})
    stored = {k: v for k, v in cfg.model_dump(mode="json").items()
              if k not in ("regime", "warmup_ratio", "lr_schedule", "dropout", "train_path", "precision")}
    completed = with_legacy_defaults(stored)
    assert completed["regime"] == LEGACY_REGIME == "proxy"
    assert (completed["warmup_ratio"], completed["lr_schedule"], completed["dropout"], completed["train_path"],
            completed["precision"]) == (0.0, "constant", False, "cached", "fp32")
    assert completed["steps"] == 33, "what the record holds wins over the recipe"
    assert config_from_record(stored) == cfg
    assert with_legacy_defaults(cfg.model_dump(mode="json")) == cfg.model_dump(mode="json")


def test_identity_and_trial_config_carry_the_whole_regime() -> None:
    cfg = load_config(overrides={"device": "cpu", "learning_rate": 1e-3})
    identity = cfg.identity()
    assert identity["regime"] == cfg.regime.name and identity["learning_rate"] == 1e-3
    assert {k: identity[k] for k in REGIMES[cfg.regime.name].settings()} == cfg.regime.settings()
    trial = cfg.trial_config(steps=7)
    assert trial.regime == cfg.regime.model_copy(update={"steps": 7}) and trial.regime.learning_rate == 1e-3


def test_an_unknown_key_lists_the_regime_settings_too() -> None:
    with pytest.raises(ConfigError, match="known keys are .*learning_rate.*steps"):
        load_config(overrides={"stepz": 3})


def test_a_config_the_previous_layout_stored_reads_back_unchanged() -> None:
    """The 2026-12-02 reference export holds the confirm study's config as the flat-field version wrote it."""
    # A copy of the export committed in reports/xling-default/ until the 2026-12-03 study replaced it.
    exported = yaml.safe_load((REPO / "tests" / "sweep" / "data" / "best_ratio_confirm_2026-12-02.yaml").read_text())
    exported = exported["training_config"]
    cfg = config_from_record(exported, storage="sqlite:///sweep.db")
    # An export from before the loop was a setting ran lite's padded loop (issue 29) and reads back as such.
    loop = exported.get("loop", LEGACY_LOOP)
    assert cfg.regime == REGIMES["lite"].model_copy(update={"loop": loop}) and cfg.confirms == "xling-default"
    dumped = {k: v for k, v in cfg.model_dump(mode="json").items() if k not in ("storage", "fixed_points")}
    # Keys added since (the knee sampler's constraints, issue 25) take their defaults and are no identity keys.
    added = {"min_xling": None, "min_same_lang": None}
    assert dumped == {**exported, "loop": loop, **added}, "same keys, same values: stored studies and identities compare as before"
    assert not set(added) & set(cfg.identity())
