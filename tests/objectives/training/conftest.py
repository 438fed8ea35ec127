"""The tiny model's forward-path workspace, shared by the training tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from objectives.trial import TrialConfig, Workspace, prepare_workspace

LANGS = ["en", "de"]


@pytest.fixture(scope="package")
def forward_ws(tiny_model_dir: Path, xquad_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    cache = tmp_path_factory.mktemp("regime-cache")
    cfg = TrialConfig(model=str(tiny_model_dir), data=str(xquad_path), languages=LANGS, regime="full", device="cpu",
                      steps=6, batch_size=8, max_length=48, learning_rate=1e-3, cache_dir=str(cache))
    return prepare_workspace(cfg, progress=False)
