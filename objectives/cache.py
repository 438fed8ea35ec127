"""Where the user cache lives: the converted default model, fetched data and activation caches.

Dependency-free, like :mod:`objectives.errors`, so every layer resolves the same folder.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

__all__ = ["cache_write_message", "user_cache_dir"]


def user_cache_dir(cache_dir: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """``cache_dir`` when given, else ``$SWEEP_CACHE_DIR``, else ``~/.cache/xling-sweep``."""
    env = os.environ if environ is None else environ
    chosen = str(cache_dir) if cache_dir is not None and str(cache_dir) != "" else env.get("SWEEP_CACHE_DIR")
    return Path(chosen).expanduser() if chosen else Path.home() / ".cache" / "xling-sweep"


def cache_write_message(what: str, folder: str | os.PathLike[str], error: OSError) -> str:
    """One line for a cache folder that cannot be created or written (missing, read-only, full)."""
    return (f"cannot write {what} into the cache folder {folder}: {error.strerror or error}; pass --cache-dir "
            "a writable folder with free space (or set SWEEP_CACHE_DIR)")
