"""Find the data folder, or fetch the pinned XQuAD-R release into the user cache.

:func:`resolve_data_dir` answers "which folder holds the ``<lang>.json`` files?" in
this order (docs/data.md; docs/design.md, "Data" and "Environment knobs"):

1. the ``data`` argument (the ``--data DIR`` flag);
2. ``$SWEEP_DATA_DIR``;
3. the user cache ``<cache>/data/lareqa/<commit>/xquad-r``, if complete;
4. a sibling ``shared/data/lareqa/xquad-r`` beside the repo checkout or beside the
   working directory (the development machines, which cannot download);
5. a download of the pinned files from ``$SWEEP_DATA_URL`` (default: GitHub raw at
   :data:`PINNED_COMMIT`) into the cache.

Steps 1 and 2 accept any LAReQA-format folder (one ``<lang>.json`` per language),
either the folder itself or a parent holding ``xquad-r/``. Steps 3-5 only ever yield
the 11 pinned XQuAD-R files, each checked against its sha256.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from http.client import HTTPException
from pathlib import Path
from types import MappingProxyType

from objectives.cache import user_cache_dir
from objectives.errors import DataError

__all__ = [
    "DEFAULT_DATA_URL",
    "PINNED_COMMIT",
    "XQUAD_R_LANGUAGES",
    "XQUAD_R_SHA256",
    "resolve_data_dir",
    "sha256_file",
]

_log = logging.getLogger(__name__)

#: Commit of google-research-datasets/lareqa whose ``xquad-r/`` files are pinned
#: (``docs/data.md``).
PINNED_COMMIT = "9bc8c7fb6dd8d01d72a05a93c2cb96882b0d299c"

#: Download base such that ``<base>/xquad-r/<lang>.json`` is a pinned file.
DEFAULT_DATA_URL = f"https://raw.githubusercontent.com/google-research-datasets/lareqa/{PINNED_COMMIT}"

#: sha256 of ``xquad-r/<lang>.json`` at :data:`PINNED_COMMIT`, per language. Read-only
#: so no caller can loosen the check by accident.
XQUAD_R_SHA256: Mapping[str, str] = MappingProxyType(
    {
        "ar": "c52922d3b8ac1ae03ed5ac38647ad59870dca3dda2beefe18ecdc30729acb69d",
        "de": "16fb0f4bf4916154b585a20c24c66074591c9718a1affe764ff4697572328949",
        "el": "163fd43ee785a30eb534ae2061e9eaa766a7ee4e8ffce5e4b422480c150f64b6",
        "en": "7b0954f39297c27a31fef610f0883337dd2907fa8699151dc922afdd0fa12ffe",
        "es": "f8e836b2d91009c4363e04315f7ede363eedbbb49c67dda60de6c4aa782f58de",
        "hi": "ea45ba8ae4513d1533b222bebdc02a90bc319c055d3aeea68584a053d2e92872",
        "ru": "7f4dff853538b9a5fcc28c070b8bb983a5c5d190ac747b8e005a1ada9cab18f1",
        "th": "c3a041864c3a9fb0b4dd91cfdf99cf36b411b3e704c58a303c97bc6dc786cfe4",
        "tr": "f3e8c13002bbce154a4578f535f7533cb70f3da08840e6b62735935baec7bd94",
        "vi": "e35926bf5cc6fc6ecbdfca49467aabeb454f08d152d7818143a906bd31dde995",
        "zh": "80c2cde7b9c2fb134c303cbb52f2ba396ead9eb0014aec43993543d2ba9e93ed",
    }
)

#: The 11 XQuAD-R languages, sorted (the order the loader reads them in).
XQUAD_R_LANGUAGES: tuple[str, ...] = tuple(sorted(XQUAD_R_SHA256))

_SUBDIR = "xquad-r"
# Written last into the cache folder; certifies that every file was hashed once, so
# later calls only compare sizes and mtimes instead of re-hashing ~17 MB. No .json
# suffix: the loader takes every *.json in the folder for a language.
_MARKER = ".sha256-verified"
_CHUNK = 1 << 20
_DEFAULT_TIMEOUT = 60.0

_DATA_FIX = (
    "pass --data pointing at a LAReQA folder (one <lang>.json per language) or a pairs table "
    "(.jsonl, .json, .csv or .parquet file, or a save_to_disk folder), or unset it to use the default XQuAD-R"
)
_ENV_FIX = (
    "point SWEEP_DATA_DIR at a LAReQA folder (one <lang>.json per language) "
    "or unset it to use the default XQuAD-R"
)
_OFFLINE_FIX = (
    "check the network and SWEEP_DATA_URL, or pass --data DIR / set SWEEP_DATA_DIR "
    "to a local copy of the LAReQA xquad-r folder"
)


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB chunks (the files reach 2.8 MB).

    Args:
        path: File to hash.

    Returns:
        The lowercase hex digest.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def resolve_data_dir(
    data: str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    sibling_roots: Sequence[Path] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    timeout: float = _DEFAULT_TIMEOUT,
) -> Path:
    """Return an absolute folder holding ``<lang>.json`` files, downloading XQuAD-R if needed.

    Args:
        data: The ``--data DIR`` value: a folder of ``<lang>.json`` files or a parent
            holding ``xquad-r/``. ``None`` or ``""`` means "not given" (so an empty
            YAML value falls back to the default, as an absent one does).
        env: Environment to read ``SWEEP_DATA_DIR``, ``SWEEP_CACHE_DIR`` and
            ``SWEEP_DATA_URL`` from; defaults to :data:`os.environ`.
        sibling_roots: Folders each checked for ``shared/data/lareqa/xquad-r``; defaults
            to the parent of the repo checkout and the parent of the working
            directory. Pass ``()`` to skip the sibling lookup.
        cache_dir: Cache root overriding ``$SWEEP_CACHE_DIR`` and ``~/.cache/xling-sweep``.
        timeout: Seconds a download may wait for a connection or a read.

    Returns:
        The resolved folder. For steps 3-5 it holds exactly the 11 pinned files.

    Raises:
        DataError: ``data`` or ``$SWEEP_DATA_DIR`` names a missing folder or one without
            ``<lang>.json`` files; the cache is not writable; a download fails or
            yields bytes whose sha256 is not the pinned one. Messages are one line.
    """
    environ: Mapping[str, str] = os.environ if env is None else env

    if data is not None and str(data) != "":
        found = _accept_folder(Path(data), source="--data", fix=_DATA_FIX)
        _log.info("LAReQA data from --data: %s", found)
        return found

    env_dir = environ.get("SWEEP_DATA_DIR", "")
    if env_dir:
        found = _accept_folder(Path(env_dir), source="SWEEP_DATA_DIR", fix=_ENV_FIX)
        _log.info("LAReQA data from SWEEP_DATA_DIR: %s", found)
        return found

    target = _cache_target(environ, cache_dir)
    if _cache_is_complete(target):
        _log.info("XQuAD-R data from the user cache: %s", target)
        return target

    roots = default_sibling_roots() if sibling_roots is None else sibling_roots
    for sibling in _sibling_candidates(roots):
        if all((sibling / f"{lang}.json").is_file() for lang in XQUAD_R_LANGUAGES):
            # Used in place: the development copy is read-only and copying it would
            # only duplicate 17 MB per cache.
            _log.info("XQuAD-R data from the sibling shared folder: %s", sibling)
            return sibling

    base = environ.get("SWEEP_DATA_URL", "").rstrip("/") or DEFAULT_DATA_URL
    _download_missing(target, base, timeout)
    _log.info("XQuAD-R data downloaded from %s into the user cache: %s", base, target)
    return target


def default_sibling_roots() -> list[Path]:
    """Folders that may hold ``shared/`` beside the code: the checkout's parent, then the cwd's.

    Returns:
        Distinct absolute folders, checkout-relative first (it does not depend on where
        the command is run from, so it is the one CI relies on).
    """
    repo = Path(__file__).resolve().parents[2]
    roots: list[Path] = []
    for root in (repo.parent, Path.cwd().resolve().parent):
        if root not in roots:
            roots.append(root)
    return roots


# ----------------------------------------------------------------- user folders


def _one_line(text: object) -> str:
    """Collapse whitespace so an OS or HTTP reason cannot break the one-line error rule."""
    return " ".join(str(text).split())


def _has_json(folder: Path) -> bool:
    return folder.is_dir() and any(p.is_file() for p in folder.glob("*.json"))


def _accept_folder(path: Path, *, source: str, fix: str) -> Path:
    """Accept ``path`` if it holds ``*.json`` files, or its ``xquad-r/`` child does."""
    path = path.expanduser()
    if not path.exists():
        raise DataError(_one_line(f"{source} folder {path} does not exist: {fix}"))
    if not path.is_dir():
        raise DataError(_one_line(f"{source} path {path} is not a folder: {fix}"))
    # The folder itself first: a user's own LAReQA folder may well contain a subfolder
    # named xquad-r that is not the one meant.
    for folder in (path, path / _SUBDIR):
        if _has_json(folder):
            return folder.resolve()
    raise DataError(_one_line(f"{source} folder {path} has no <lang>.json files: {fix}"))


def _sibling_candidates(roots: Sequence[Path]) -> list[Path]:
    return [(Path(root) / "shared" / "data" / "lareqa" / _SUBDIR).absolute() for root in roots]


# ----------------------------------------------------------------------- cache


def _cache_target(environ: Mapping[str, str], cache_dir: str | os.PathLike[str] | None) -> Path:
    """``<cache>/data/lareqa/<commit>/xquad-r``; the commit in the path keeps releases apart."""
    return (user_cache_dir(cache_dir, environ) / "data" / "lareqa" / PINNED_COMMIT / _SUBDIR).absolute()


def _stat_key(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def _read_marker(folder: Path) -> dict[str, object]:
    try:
        marker = json.loads((folder / _MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return marker if isinstance(marker, dict) else {}


def _write_marker(folder: Path) -> None:
    """Record the size and mtime of every verified file (temp file + replace, so never torn)."""
    marker = {
        "commit": PINNED_COMMIT,
        "files": {lang: [XQUAD_R_SHA256[lang], *_stat_key(folder / f"{lang}.json")] for lang in XQUAD_R_LANGUAGES},
    }
    try:
        fd, tmp = tempfile.mkstemp(prefix=f"{_MARKER}.", suffix=".part", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(marker, fh, indent=1)
            os.replace(tmp, folder / _MARKER)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as e:
        # Only an optimisation is lost: the next call re-hashes the files.
        _log.debug("could not write %s in %s: %s", _MARKER, folder, e)


def _marker_vouches(folder: Path) -> bool:
    """True if the marker covers all 11 files with their current size and mtime."""
    marker = _read_marker(folder)
    files = marker.get("files")
    if marker.get("commit") != PINNED_COMMIT or not isinstance(files, dict):
        return False
    try:
        return all(
            files.get(lang) == [XQUAD_R_SHA256[lang], *_stat_key(folder / f"{lang}.json")]
            for lang in XQUAD_R_LANGUAGES
        )
    except OSError:
        return False


def _cache_is_complete(folder: Path) -> bool:
    """True if all 11 cached files are present and verified.

    A file whose hash is wrong (edited, truncated by a full disk) is deleted here, so
    the download step fetches it again instead of the loader reading bad bytes.
    """
    if not all((folder / f"{lang}.json").is_file() for lang in XQUAD_R_LANGUAGES):
        return False
    if _marker_vouches(folder):
        return True
    bad = [lang for lang in XQUAD_R_LANGUAGES if sha256_file(folder / f"{lang}.json") != XQUAD_R_SHA256[lang]]
    for lang in bad:
        _log.warning("cached %s/%s.json does not match its pinned sha256; fetching it again", folder, lang)
        (folder / f"{lang}.json").unlink(missing_ok=True)
    if bad:
        return False
    _write_marker(folder)
    return True


# -------------------------------------------------------------------- download


def _download_missing(folder: Path, base: str, timeout: float) -> None:
    """Fetch every pinned file not already in ``folder``, then write the marker."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DataError(
            _one_line(
                f"cannot create the data cache {folder}: {e.strerror or e}; "
                "set SWEEP_CACHE_DIR to a writable folder, or pass --data DIR"
            )
        ) from None
    for lang in XQUAD_R_LANGUAGES:
        final = folder / f"{lang}.json"
        # A file present here either passed the check in _cache_is_complete or was
        # published by _download_one after its own check (possibly by another worker).
        if not final.is_file():
            _download_one(f"{base}/{_SUBDIR}/{lang}.json", final, XQUAD_R_SHA256[lang], timeout)
    _write_marker(folder)


def _network_error(url: str, reason: object) -> DataError:
    return DataError(_one_line(f"cannot download {url}: {reason}; {_OFFLINE_FIX}"))


def _download_one(url: str, final: Path, expected: str, timeout: float) -> None:
    """Stream ``url`` into a temp file beside ``final``, check its sha256, then publish.

    The temp file lives in the same folder so :func:`os.replace` is an atomic rename:
    ``final`` is either absent or the full, verified file, even if the process dies or
    several workers download at once.
    """
    rel = f"{_SUBDIR}/{final.name}"
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
    except OSError as e:
        raise DataError(
            _one_line(
                f"cannot write into the data cache {final.parent}: {e.strerror or e}; "
                "set SWEEP_CACHE_DIR to a writable folder, or pass --data DIR"
            )
        ) from None
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            try:
                request = urllib.request.Request(url, headers={"User-Agent": "xling-sweep"})
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    for chunk in iter(lambda: response.read(_CHUNK), b""):
                        digest.update(chunk)
                        out.write(chunk)
            except urllib.error.HTTPError as e:
                raise _network_error(url, f"HTTP {e.code} {e.reason}") from None
            except urllib.error.URLError as e:
                raise _network_error(url, e.reason) from None
            except (TimeoutError, ConnectionError, HTTPException) as e:
                # Raised mid-stream (read timeout, reset, truncated chunked body).
                raise _network_error(url, _one_line(e) or type(e).__name__) from None
        got = digest.hexdigest()
        if got != expected:
            raise DataError(
                _one_line(
                    f"checksum mismatch for {rel} from {url}: expected sha256 {expected}, got {got}; "
                    "the file at SWEEP_DATA_URL is not the pinned XQuAD-R release — fix the URL or pass --data DIR"
                )
            )
        os.replace(tmp, final)
        _log.info("downloaded %s (sha256 ok)", url)
    except OSError as e:
        # Disk errors while writing (network ones are turned into DataError above).
        raise DataError(
            _one_line(
                f"cannot write {final}: {e.strerror or e}; "
                "set SWEEP_CACHE_DIR to a writable folder with space, or pass --data DIR"
            )
        ) from None
    finally:
        # Never leave a partial or wrong file behind, whatever went wrong.
        tmp.unlink(missing_ok=True)
