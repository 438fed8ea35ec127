"""The packed loop (issue 29): the padded step's loss without padding rows, seeded dropout masks, same seed same numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from pydantic import ValidationError

from objectives.batches import HybridBatches
from objectives.losses import info_nce_loss
from objectives.regimes import REGIMES, Regime
from objectives.training import CachedEncoder, DropoutMasks, fine_tune
from objectives.trial import TrialConfig, Workspace, prepare_workspace, run_trial

LANGS = ["en", "de", "zh"]


@pytest.fixture(scope="module")
def cached_ws(tiny_model_dir: Path, xquad_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    # Two trained layers, so the packed stack is checked beyond a single layer.
    cfg = TrialConfig(model=str(tiny_model_dir), data=str(xquad_path), languages=LANGS, regime="lite", loop="packed", train_layers=2,
                      steps=4, batch_size=8, max_length=48, device="cpu", cache_dir=str(tmp_path_factory.mktemp("packed")))
    return prepare_workspace(cfg, progress=False)


def _encoders(ws: Workspace) -> tuple[CachedEncoder, CachedEncoder]:
    model, cache = ws.encoder.model, ws.cache
    assert cache is not None
    return CachedEncoder(model, 2, cache, loop="padded"), CachedEncoder(model, 2, cache, loop="packed")


def _rows(ws: Workspace) -> np.ndarray:
    # Questions and passages of many lengths, so several attention buckets hold texts of different widths.
    rows = np.concatenate([np.arange(0, 300, 7), ws.candidate_offset + np.arange(0, 400, 9)])
    assert len(set(ws.cache.lengths[rows].tolist())) > 10
    return rows


def test_packed_embeddings_equal_padded_ones(cached_ws: Workspace) -> None:
    padded, packed = _encoders(cached_ws)
    rows = _rows(cached_ws)
    padded.eval()
    packed.eval()
    torch.testing.assert_close(packed.embed(rows, 32), padded.embed(rows, 32), atol=2e-6, rtol=0)
    with torch.no_grad():
        torch.testing.assert_close(packed.embed_rows(rows), padded.embed_rows(rows), atol=2e-6, rtol=0)


def test_packed_step_gives_the_padded_steps_loss_and_gradients_without_dropout(cached_ws: Workspace) -> None:
    """The same 32-pair batch: queries and passages packed together, versus two padded batches."""
    padded, packed = _encoders(cached_ws)
    sampler = HybridBatches(cached_ws.train_items, cached_ws.train_languages, 32, 0.5, seed=3)
    batch = sampler.next_batch()
    queries, passages = [p.query for p in batch], [p.passage for p in batch]
    padded.train(False)
    packed.train(False)
    loss_padded = info_nce_loss(padded.embed_rows(queries), padded.embed_rows(passages), 0.05, False)
    both = packed.embed_rows(queries + passages)
    loss_packed = info_nce_loss(both[:32], both[32:], 0.05, False)
    torch.testing.assert_close(loss_packed, loss_padded, atol=1e-5, rtol=1e-6)
    loss_padded.backward()
    loss_packed.backward()
    grads_padded = dict(padded.top.named_parameters())
    for name, param in packed.top.named_parameters():
        torch.testing.assert_close(param.grad, grads_padded[name].grad, atol=1e-5, rtol=1e-4, msg=name)


def test_packed_loop_trains_like_the_padded_loop_without_dropout(cached_ws: Workspace) -> None:
    def losses(loop: str) -> list[float]:
        enc = CachedEncoder(cached_ws.encoder.model, 2, cached_ws.cache, loop=loop)
        sampler = HybridBatches(cached_ws.train_items, cached_ws.train_languages, 8, 0.5, seed=1)
        regime = Regime.named("lite", train_layers=2, steps=5, dropout=False, loop=loop)
        return fine_tune(enc, sampler, regime, temperature=0.05, seed=0)

    assert losses("packed") == pytest.approx(losses("padded"), abs=1e-5)


def _numbers(metrics: object) -> tuple[float, ...]:
    return tuple(float(getattr(metrics, k)) for k in ("same_lang_p_at_k", "xling_map", "cr_map", "mo_map"))


def test_same_seed_same_numbers_and_the_masks_follow_the_trial_seed(cached_ws: Workspace) -> None:
    cfg = cached_ws.config
    assert cfg.regime.loop == "packed" and cfg.regime.dropout
    first, again = run_trial(cfg, 0.5, 11, cached_ws), run_trial(cfg, 0.5, 11, cached_ws)
    assert first.losses == again.losses
    assert _numbers(first.metrics) == _numbers(again.metrics)
    # The global torch stream plays no part in the packed loop's masks: only the trial seed does.
    torch.manual_seed(123)
    enc = cached_ws.new_encoder()
    sampler = HybridBatches(cached_ws.train_items, cached_ws.train_languages, 8, 0.5, seed=11)
    assert fine_tune(enc, sampler, cfg.regime, temperature=cfg.temperature, seed=11) == first.losses
    other = run_trial(cfg, 0.5, 12, cached_ws)
    assert other.losses != first.losses
    no_dropout = run_trial(cfg.with_overrides(dropout=False), 0.5, 11, cached_ws)
    assert no_dropout.losses != first.losses, "dropout is on in the packed loop"


def test_dropout_masks_are_seeded_and_drop_at_the_rate() -> None:
    def draw(seed: int) -> torch.Tensor:
        return DropoutMasks(seed, "cpu").keep((300, 1000), 0.1)

    assert torch.equal(draw(5), draw(5)) and not torch.equal(draw(5), draw(6))
    dropped = 1.0 - draw(5).float().mean().item()
    assert dropped == pytest.approx(0.1, abs=0.003)
    assert DropoutMasks.quantised(0.1) == pytest.approx(0.1, abs=1 / 32768)
    x = torch.ones(200, 500)
    out = DropoutMasks(1, "cpu")(x, 0.1)
    kept = out[out != 0]
    assert torch.allclose(kept, torch.full_like(kept, 1 / (1 - DropoutMasks.quantised(0.1))))
    assert out.mean().item() == pytest.approx(1.0, abs=0.01), "inverted dropout keeps the expectation"
    assert torch.equal(DropoutMasks(1, "cpu")(x, 0.0), x)
    # Every 16-bit lane of a draw is used, also the top one (whose sign bit torch's random_ leaves at 0 on a CPU).
    lanes = DropoutMasks(2, "cpu").keep((4, 100_000), 0.5).view(-1, 4).float().mean(0)
    assert torch.allclose(lanes, torch.full((4,), 0.5), atol=0.01)


def test_the_loop_is_a_setting_of_the_regime() -> None:
    assert REGIMES["lite"].loop == "packed", "lite runs the packed loop (its fidelity record: lite-packed)"
    assert REGIMES["sharp"].loop == "packed", "the CPU default runs the packed loop (its fidelity record: top1-150-packed)"
    assert REGIMES["proxy"].loop == REGIMES["full"].loop == "padded"
    assert Regime.named("lite", loop="padded").overrides() == {"loop": "padded"}
    assert "loop" in TrialConfig(device="cpu").model_dump()
    with pytest.raises(ValidationError, match="packed loop runs on the cached path only"):
        Regime.named("full", loop="packed")
