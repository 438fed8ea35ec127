"""The cached frozen-bottom path and the trial, on a tiny random BERT and real XQuAD-R text."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import torch

from objectives import TrainingDiverged, fine_tune
from objectives.batches import HybridBatches
from objectives.encoder import mean_pool
from objectives.losses import info_nce_loss
from objectives.regimes import Regime
from objectives.training import CachedEncoder, ForwardEncoder, build_activation_cache, cache_key
from objectives.trial import TrialConfig, Workspace, prepare_workspace, run_trial, trial_seed

LANGS = ["en", "de", "zh"]


def _config(tiny_model_dir: Path, xquad_path: Path, cache: Path, **kw: object) -> TrialConfig:
    base = dict(model=str(tiny_model_dir), data=str(xquad_path), languages=LANGS, steps=4, batch_size=8,
                train_layers=1, max_length=48, cache_dir=str(cache))
    return TrialConfig(**{**base, **kw})


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sweep-cache")


@pytest.fixture(scope="module")
def ws(tiny_model_dir: Path, xquad_path: Path, cache_root: Path) -> Workspace:
    return prepare_workspace(_config(tiny_model_dir, xquad_path, cache_root), progress=False)


@pytest.fixture(scope="module")
def ws_all_layers(tiny_model_dir: Path, xquad_path: Path, cache_root: Path) -> Workspace:
    return prepare_workspace(_config(tiny_model_dir, xquad_path, cache_root, train_layers=3), progress=False)


def _full_forward(ws: Workspace, rows: np.ndarray, model: torch.nn.Module | None = None) -> torch.Tensor:
    """Embeddings by an ordinary full forward pass of token ids (no cache)."""
    model = model if model is not None else ws.encoder.model
    n_questions = len(ws.data.questions)
    batch = [
        ws.encoder.tokenize([ws.data.questions[int(i)]["text"]], "query")[0] if i < n_questions
        else ws.encoder.tokenize([ws.data.candidates[int(i) - n_questions]["text"]], "passage")[0]
        for i in rows
    ]
    width = max(len(b) for b in batch)
    input_ids = torch.full((len(batch), width), ws.encoder.tokenizer.pad_token_id, dtype=torch.long)
    mask = torch.zeros_like(input_ids)
    for i, b in enumerate(batch):
        input_ids[i, : len(b)] = torch.tensor(b)
        mask[i, : len(b)] = 1
    return mean_pool(model(input_ids=input_ids, attention_mask=mask).last_hidden_state, mask)


@pytest.mark.parametrize("which", ["ws", "ws_all_layers"])
def test_cached_path_equals_full_forward(which: str, request: pytest.FixtureRequest) -> None:
    ws: Workspace = request.getfixturevalue(which)
    rng = np.random.default_rng(0)
    index = ws.eval_index("dev")
    queries = rng.choice(index.query_rows, 60, replace=False)
    candidates = rng.choice(index.candidate_rows, 300, replace=False)
    top = CachedEncoder(ws.encoder.model, ws.train_layers, ws.cache)
    cached_q = top.embed(queries)
    cached_c = top.embed(candidates)
    with torch.inference_mode():
        full_q = _full_forward(ws, queries).numpy()
        full_c = _full_forward(ws, candidates).numpy()
    # fp16 storage of the cut-layer states is the only difference.
    assert np.abs(cached_q - full_q).max() < 5e-3
    assert np.abs(cached_c - full_c).max() < 5e-3
    # Top-1 must agree wherever the full forward's winner leads by more than the scores can
    # move between the paths; closer calls are ties at fp16 precision and may flip with the
    # BLAS summation order (seen once in CI), so they cannot define an order.
    cached_s, full_s = cached_q @ cached_c.T, full_q @ full_c.T
    score_err = float(np.abs(cached_s - full_s).max())
    runner_up, best = np.sort(full_s, axis=1)[:, -2:].T
    decided = best - runner_up > 2 * score_err
    assert decided.mean() >= 0.9, f"only {decided.sum()} of {len(decided)} queries outside fp16 ties"
    assert np.array_equal(cached_s.argmax(1)[decided], full_s.argmax(1)[decided])


def test_all_layers_equals_ordinary_fine_tuning_step_for_step(ws_all_layers: Workspace) -> None:
    ws = ws_all_layers
    cfg = ws.config
    torch.manual_seed(0)
    top = CachedEncoder(ws.encoder.model, ws.train_layers, ws.cache)
    sampler = HybridBatches(ws.train_items, ws.train_languages, cfg.batch_size, 0.5, seed=3)
    plain = Regime.named("proxy", steps=5, learning_rate=1e-3)  # no warm-up, constant rate, dropout off
    cached_losses = fine_tune(top, sampler, plain, temperature=0.05)
    # The forward path (plain forward passes on token ids), dropout off like the reference below.
    forward = ForwardEncoder(ws.encoder.model, ws.train_layers, ws.token_ids, ws.encoder.pad_id)
    sampler = HybridBatches(ws.train_items, ws.train_languages, cfg.batch_size, 0.5, seed=3)
    forward_losses = fine_tune(forward, sampler, plain, temperature=0.05)

    # Ordinary fine-tuning: the whole model on token ids, embedding table frozen (docs/design.md, "K = all layers").
    model = copy.deepcopy(ws.encoder.model)
    model.eval()
    for p in model.embeddings.parameters():
        p.requires_grad_(False)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    sampler = HybridBatches(ws.train_items, ws.train_languages, cfg.batch_size, 0.5, seed=3)
    full_losses = []
    for _ in range(5):
        batch = sampler.next_batch()
        q = _full_forward(ws, np.array([p.query for p in batch]), model)
        p = _full_forward(ws, np.array([p.passage for p in batch]), model)
        loss = info_nce_loss(q, p, 0.05)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        full_losses.append(float(loss.detach()))
    np.testing.assert_allclose(cached_losses, full_losses, atol=2e-2)
    # Same batches, same padding, same ops: the forward path is the reference loop.
    np.testing.assert_allclose(forward_losses, full_losses, rtol=1e-5, atol=1e-6)
    assert cached_losses[0] != cached_losses[-1], "training must move the loss"
    # Both paths moved the weights the same way (Adam normalises tiny gradient differences
    # up to ~lr per step, so compare the updates, not the last digits).
    initial = torch.cat([p.detach().flatten() for p in ws.encoder.model.encoder.layer.parameters()])
    cached = torch.cat([p.detach().flatten() for p in top.top.layers.parameters()]) - initial
    ordinary = torch.cat([p.detach().flatten() for p in model.encoder.layer.parameters()]) - initial
    assert float((cached - ordinary).norm() / ordinary.norm()) < 0.05
    moved = torch.cat([p.detach().flatten() for p in forward.model.encoder.layer.parameters()]) - initial
    assert float((moved - ordinary).norm() / ordinary.norm()) < 1e-4
    # The embedding table never trains.
    for name, param in forward.model.embeddings.named_parameters():
        assert torch.equal(param, dict(ws.encoder.model.embeddings.named_parameters())[name])


def test_same_seed_same_metrics(ws: Workspace) -> None:
    first = run_trial(ws.config, 0.3, seed=11, workspace=ws)
    second = run_trial(ws.config, 0.3, seed=11, workspace=ws)
    other = run_trial(ws.config, 0.3, seed=12, workspace=ws)
    assert first.losses == second.losses
    assert first.metrics.to_dict() == second.metrics.to_dict()
    assert first.losses != other.losses
    assert set(first.timings) == {"cache", "train", "encode", "metrics"}


def test_trial_seed_depends_on_params_and_repeat() -> None:
    assert trial_seed(0, {"mono_ratio": 0.5}) == trial_seed(0, {"mono_ratio": 0.5})
    assert trial_seed(0, {"mono_ratio": 0.5}) != trial_seed(0, {"mono_ratio": 0.25})
    assert trial_seed(0, {"mono_ratio": 0.5}) != trial_seed(1, {"mono_ratio": 0.5})
    assert trial_seed(0, {"mono_ratio": 0.5}, 1) != trial_seed(0, {"mono_ratio": 0.5}, 0)


def test_nan_loss_stops_with_reason(ws: Workspace) -> None:
    cfg = ws.config.with_overrides(temperature=1e-40)
    with pytest.raises(TrainingDiverged, match="loss became nan at step 1"):
        run_trial(cfg, 0.5, seed=1, workspace=ws)


def test_damaged_cache_is_rebuilt(ws: Workspace, tmp_path: Path) -> None:
    ids = ws.encoder.tokenize(list(ws.data.questions["text"])[:50], "query")
    key = cache_key(test="damaged")
    kwargs = dict(pad_id=ws.encoder.tokenizer.pad_token_id, progress=False)
    first = build_activation_cache(ws.encoder.model, ids, 2, tmp_path, key, **kwargs)
    reference = np.array(first.states)
    with open(first.path / "states.npy", "r+b") as f:
        f.seek(-16, 2)
        f.write(b"\x00" * 16)
    rebuilt = build_activation_cache(ws.encoder.model, ids, 2, tmp_path, key, **kwargs)
    assert np.array_equal(np.array(rebuilt.states), reference)
    # A half-built temporary folder from a crash is cleaned up, never used.
    (tmp_path / f"{key}.tmp-dead").mkdir()
    (first.path / "meta.json").unlink()
    again = build_activation_cache(ws.encoder.model, ids, 2, tmp_path, key, **kwargs)
    assert np.array_equal(np.array(again.states), reference)
    assert not list(tmp_path.glob(f"{key}.tmp-*"))
