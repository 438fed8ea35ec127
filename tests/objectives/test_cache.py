"""The one rule for where the user cache lives."""

from __future__ import annotations

from pathlib import Path

import pytest

from objectives.cache import user_cache_dir


def test_cache_dir_prefers_argument_then_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWEEP_CACHE_DIR", str(tmp_path / "env"))
    assert user_cache_dir(tmp_path / "arg") == tmp_path / "arg"
    assert user_cache_dir() == tmp_path / "env"
    assert user_cache_dir("") == tmp_path / "env", "an empty --cache-dir means unset"
    assert user_cache_dir(None, {"SWEEP_CACHE_DIR": str(tmp_path / "given")}) == tmp_path / "given"
    monkeypatch.delenv("SWEEP_CACHE_DIR")
    assert user_cache_dir() == Path.home() / ".cache" / "xling-sweep"
