"""The forward path: plain forward passes, every layer training, embeddings and frozen layers untouched."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from objectives.training import ForwardEncoder
from objectives.trial import Workspace, run_trial


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


def test_frozen_bottom_layers_stay_in_eval_mode(forward_ws: Workspace) -> None:
    enc = ForwardEncoder(forward_ws.encoder.model, 1, forward_ws.token_ids, forward_ws.encoder.pad_id)
    enc.train(True)
    layers = enc.model.encoder.layer
    assert [layer.training for layer in layers] == [False, False, True]
    assert not enc.model.embeddings.training
    trainable = {n.split(".")[2] for n, p in enc.model.named_parameters() if p.requires_grad}
    assert trainable == {"2"}
