"""Regimes: recipes fill the config, the schedule warms up, dropout and the full regime on the tiny model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from objectives import TrialConfig, Workspace, fine_tune, prepare_workspace, run_trial
from objectives._train import make_scheduler
from objectives.regimes import (
    CPU_DEFAULT_REGIME,
    REGIMES,
    ForwardEncoder,
    fidelity_note,
    fidelity_of,
    fidelity_warning,
    load_records,
    training_settings,
)
from objectives.samplers import HybridBatchSampler

LANGS = ["en", "de"]


def test_recipes_fill_unset_settings_and_flags_win() -> None:
    proxy = TrialConfig(regime="proxy", device="cpu")
    assert (proxy.train_layers, proxy.steps, proxy.learning_rate, proxy.dropout, proxy.train_path) == (1, 80, 5e-5, False, "cached")
    full = TrialConfig(regime="full", device="cpu")
    assert (full.train_layers, full.steps, full.learning_rate, full.warmup_ratio, full.lr_schedule, full.dropout,
            full.train_path) == ("all", 200, 3e-5, 0.1, "linear", True, "forward")
    custom = TrialConfig(regime="full", device="cpu", steps=50, dropout=False, train_layers=2)
    assert (custom.steps, custom.dropout, custom.train_layers, custom.learning_rate) == (50, False, 2, 3e-5)


def test_default_regime_follows_the_device() -> None:
    assert TrialConfig(device="cpu").regime == CPU_DEFAULT_REGIME
    assert TrialConfig(device="cuda").regime == "full"  # validation only; no GPU is touched
    auto = TrialConfig()
    assert auto.device == ("cuda" if torch.cuda.is_available() else "cpu")
    assert auto.regime == ("full" if torch.cuda.is_available() else CPU_DEFAULT_REGIME)
    with pytest.raises(ValueError, match="unknown regime"):
        TrialConfig(regime="fast")


def _lrs(steps: int, warmup: float, schedule: str) -> list[float]:
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.AdamW([param], lr=1.0)
    sched = make_scheduler(opt, steps, warmup, schedule)
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def test_schedule_warms_up_linearly_then_decays_or_stays() -> None:
    linear = _lrs(20, 0.1, "linear")
    assert linear[:3] == pytest.approx([0.0, 0.5, 1.0])  # 2 warm-up steps of 20
    assert linear[2:] == pytest.approx([(20 - s) / 18 for s in range(2, 20)])
    assert _lrs(10, 0.0, "constant") == [1.0] * 10  # the proxy: no schedule at all
    constant = _lrs(10, 0.2, "constant")
    assert constant == pytest.approx([0.0, 0.5] + [1.0] * 8)


@pytest.fixture(scope="module")
def forward_ws(tiny_model_dir: Path, xquad_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    cache = tmp_path_factory.mktemp("regime-cache")
    cfg = TrialConfig(model=str(tiny_model_dir), data=str(xquad_path), languages=LANGS, regime="full", device="cpu",
                      steps=6, batch_size=8, max_length=48, learning_rate=1e-3, cache_dir=str(cache))
    return prepare_workspace(cfg, progress=False)


def test_forward_path_needs_no_activation_cache(forward_ws: Workspace) -> None:
    assert forward_ws.cache is None and forward_ws.train_layers == 3
    assert not (Path(forward_ws.config.cache_dir) / "activations").exists()
    assert len(forward_ws.token_ids) == len(forward_ws.data.questions) + len(forward_ws.data.candidates)


def test_full_regime_trains_every_layer_with_dropout_and_frozen_embeddings(forward_ws: Workspace) -> None:
    result = run_trial(forward_ws.config, 0.5, seed=4, workspace=forward_ws)
    encoder = result.encoder
    assert isinstance(encoder, ForwardEncoder)
    assert np.isfinite(result.metrics.xling_map) and np.isfinite(result.metrics.same_lang_p_at_k)
    saved = encoder.weights()
    assert saved and all(k.startswith("encoder.layer.") for k in saved)
    assert {k.split(".")[2] for k in saved} == {"0", "1", "2"}
    base = forward_ws.encoder.model
    for name, param in encoder.model.embeddings.named_parameters():
        assert torch.equal(param, dict(base.embeddings.named_parameters())[name]), f"{name} must stay frozen"
    moved = [not torch.equal(p, dict(base.named_parameters())[n]) for n, p in encoder.model.named_parameters()
             if n.startswith("encoder.layer.")]
    assert all(moved), "every transformer layer trains"
    # Same seed, same numbers (dropout masks come from the seeded generator).
    again = run_trial(forward_ws.config, 0.5, seed=4, workspace=forward_ws)
    assert again.losses == result.losses and again.metrics.to_dict() == result.metrics.to_dict()


def test_dropout_changes_training_and_off_is_deterministic(forward_ws: Workspace) -> None:
    def losses(dropout: bool, torch_seed: int) -> list[float]:
        torch.manual_seed(torch_seed)
        enc = forward_ws.new_encoder()
        sampler = HybridBatchSampler(forward_ws.train_items, forward_ws.train_languages, 8, 0.5, seed=1)
        return fine_tune(enc, sampler, steps=3, learning_rate=1e-3, temperature=0.05, dropout=dropout)

    assert losses(False, 0) == losses(False, 1), "without dropout the torch seed plays no part"
    assert losses(True, 0) != losses(True, 1), "with dropout on, the masks differ by seed"
    assert losses(True, 0) != losses(False, 0)


def test_frozen_bottom_layers_stay_in_eval_mode(forward_ws: Workspace) -> None:
    enc = ForwardEncoder(forward_ws.encoder.model, 1, forward_ws.token_ids, forward_ws.encoder.pad_id)
    enc.train(True)
    layers = enc.model.encoder.layer
    assert [layer.training for layer in layers] == [False, False, True]
    assert not enc.model.embeddings.training
    trainable = {n.split(".")[2] for n, p in enc.model.named_parameters() if p.requires_grad}
    assert trainable == {"2"}


def test_fidelity_warning_names_the_problem_and_the_confirm_command(tmp_path: Path) -> None:
    full = TrialConfig(regime="full", device="cpu")
    assert fidelity_warning(full, "CMD") is None, "full is the reference"
    custom = fidelity_warning(TrialConfig(regime="full", device="cpu", steps=20), "CMD")
    assert custom is not None and "regime 'full' with steps=20" in custom and custom.endswith("CMD")
    proxy = TrialConfig(regime="proxy", device="cpu")
    text = fidelity_warning(proxy, "python -m sweep.confirm --regime full")
    assert text is not None and text.startswith("WARNING: regime 'proxy'")
    assert text.endswith("python -m sweep.confirm --regime full")


def test_fidelity_records_match_by_training_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from objectives.regimes import _fidelity

    settings = training_settings(TrialConfig(regime="proxy", device="cpu", steps=150, learning_rate=4e-4))
    record = {"regime": "top1-150", "settings": settings, "faithful": False, "rho_same_lang": 0.97, "rho_xling": 0.2,
              "pairs_same_lang": [5, 5], "pairs_xling": [4, 4], "reference_sd": [0.0057, 0.0046],
              "knee_alpha": 0.75, "knee_on_front": True, "reference": "full on a GPU", "seconds_per_trial": 112.0,
              "measured_on": "here, 3 seeds", "rule": "the rule"}
    path = tmp_path / "fidelity.json"
    path.write_text(json.dumps({"records": [record, {**record, "regime": "faithful-one", "faithful": True,
                                                      "settings": {**settings, "steps": 151}}]}))
    monkeypatch.setattr(_fidelity, "fidelity_records", lambda: load_records(path))
    measured = TrialConfig(regime="proxy", device="cpu", steps=150, learning_rate=4e-4)
    assert fidelity_of(measured).regime == "top1-150"
    text = fidelity_warning(measured, "CMD")
    assert "+0.97" in text and "+0.20" in text and "knee alpha 0.75 on the reference's front" in text
    faithful = TrialConfig(regime="proxy", device="cpu", steps=151, learning_rate=4e-4)
    assert fidelity_warning(faithful, "CMD") is None
    note = fidelity_note(faithful, "CMD")
    assert note is not None and note.startswith("Fidelity: regime 'proxy' is faithful to full fine-tuning by record 'faithful-one'")
    assert "pooled mAP 4/4" in note and "reference: full on a GPU" in note and "rule: the rule" in note
    assert "does not transfer by itself" in note and note.endswith("CMD") and "\n" not in note
    assert fidelity_note(measured, "CMD") is None, "not faithful: a warning, no note"
    unmeasured = fidelity_warning(TrialConfig(regime="proxy", device="cpu", steps=152, learning_rate=4e-4), "CMD")
    assert "has not been compared with full fine-tuning" in unmeasured
    assert load_records(tmp_path / "missing.json") == {}


def test_every_regime_recipe_validates() -> None:
    for name in REGIMES:
        cfg = TrialConfig(regime=name, device="cpu")
        assert cfg.regime == name
