"""Regimes: a recipe resolves to one Regime object; flags override it; configs store it flat."""

from __future__ import annotations

import pytest
import torch
from pydantic import ValidationError

from objectives.regimes import CPU_DEFAULT_REGIME, REGIMES, SETTING_KEYS, Regime
from objectives.trial import TrialConfig


def test_recipes_fill_unset_settings_and_flags_win() -> None:
    proxy = TrialConfig(regime="proxy", device="cpu").regime
    assert (proxy.train_layers, proxy.steps, proxy.learning_rate, proxy.dropout, proxy.train_path) == (1, 80, 5e-5, False, "cached")
    full = TrialConfig(regime="full", device="cpu").regime
    assert (full.train_layers, full.steps, full.learning_rate, full.warmup_ratio, full.lr_schedule, full.dropout,
            full.train_path) == ("all", 200, 3e-5, 0.1, "linear", True, "forward")
    custom = TrialConfig(regime="full", device="cpu", steps=50, dropout=False, train_layers=2).regime
    assert (custom.steps, custom.dropout, custom.train_layers, custom.learning_rate) == (50, False, 2, 3e-5)
    assert custom.overrides() == {"steps": 50, "dropout": False, "train_layers": 2}
    assert custom == Regime.named("full", steps=50, dropout=False, train_layers=2)


def test_default_regime_follows_the_device() -> None:
    assert TrialConfig(device="cpu").regime.name == CPU_DEFAULT_REGIME == "sharp"
    assert TrialConfig(device="cuda").regime.name == "full"  # validation only; no GPU is touched
    auto = TrialConfig()
    assert auto.device == ("cuda" if torch.cuda.is_available() else "cpu")
    assert auto.regime.name == ("full" if torch.cuda.is_available() else CPU_DEFAULT_REGIME)
    with pytest.raises(ValueError, match="unknown regime"):
        TrialConfig(regime="fast")


def test_every_regime_recipe_validates() -> None:
    for name, recipe in REGIMES.items():
        cfg = TrialConfig(regime=name, device="cpu")
        assert cfg.regime == recipe and cfg.regime.name == name and not cfg.regime.overrides()
        assert set(recipe.settings()) == set(SETTING_KEYS)


def test_config_is_stored_flat_and_reads_back_to_the_same_regime() -> None:
    cfg = TrialConfig(regime="lite", device="cpu", steps=7, learning_rate="0.001", train_layers="2", dropout="off")
    dumped = cfg.model_dump(mode="json")
    assert dumped["regime"] == "lite" and {k: dumped[k] for k in SETTING_KEYS} == cfg.regime.settings()
    assert (dumped["steps"], dumped["learning_rate"], dumped["train_layers"], dumped["dropout"]) == (7, 1e-3, 2, False)
    assert TrialConfig(**dumped) == cfg
    # A resolved regime passed whole, with one more override on top (a searched parameter).
    again = TrialConfig(regime=cfg.regime, device="cpu", steps=9)
    assert again.regime == Regime.named("lite", steps=9, learning_rate=1e-3, train_layers=2, dropout=False)
    assert cfg.with_overrides(temperature=0.1, steps=11).regime.steps == 11


def test_an_invalid_setting_is_reported_where_the_user_wrote_it() -> None:
    with pytest.raises(ValidationError) as info:
        TrialConfig(regime="lite", device="cpu", steps=0)
    assert info.value.errors()[0]["loc"] == ("regime", "steps")
    with pytest.raises(ValidationError, match="train_layers must be a number of layers"):
        Regime.named("proxy", train_layers="some")


def test_regime_words() -> None:
    lite = REGIMES["lite"]
    assert lite.describe() == f"regime 'lite' ({lite.summary()})"
    assert "100 steps" in lite.summary() and "dropout on" in lite.summary()
    assert Regime.named("full", steps=20).describe() == "regime 'full' with steps=20"
    assert Regime.named("proxy", steps=20).line().startswith("regime proxy, customised: top 1 layer(s) on the cached path, 20 steps")
    assert REGIMES["full"].workspace_key == ("forward", "all")
