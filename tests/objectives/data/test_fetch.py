"""The data resolver and pinned downloader, against a real local HTTP server."""

from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from objectives import DataError
from objectives.data._fetch import (
    DEFAULT_DATA_URL,
    PINNED_COMMIT,
    XQUAD_R_LANGUAGES,
    XQUAD_R_SHA256,
    default_sibling_roots,
    resolve_data_dir,
    sha256_file,
)

REPO = Path(__file__).resolve().parents[3]
SHARED_LAREQA = REPO.parent / "shared" / "data" / "lareqa"
SHARED_XQUAD = SHARED_LAREQA / "xquad-r"
NO_SIBLINGS: tuple[Path, ...] = ()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder; counts requests and keeps the test output clean."""

    requests: list[str]

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_GET(self) -> None:
        self.server.requests.append(self.path)  # type: ignore[attr-defined]
        super().do_GET()


class _Server:
    """A real ThreadingHTTPServer on 127.0.0.1 (port 0) serving ``root`` from a thread."""

    def __init__(self, root: Path) -> None:
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.requests = []  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        self.running = True

    @property
    def requests(self) -> list[str]:
        return self.httpd.requests  # type: ignore[attr-defined]

    def stop(self) -> None:
        if self.running:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join(timeout=10)
            self.running = False


@contextlib.contextmanager
def _serve(root: Path) -> Iterator[_Server]:
    server = _Server(root)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def server() -> Iterator[_Server]:
    """Serves the shared LAReQA folder itself (base dir containing ``xquad-r/``)."""
    with _serve(SHARED_LAREQA) as running:
        yield running


@pytest.fixture()
def corrupt_server(tmp_path: Path) -> Iterator[_Server]:
    """Serves a copy of the release in which one byte of ``de.json`` is changed."""
    root = tmp_path / "served"
    shutil.copytree(SHARED_XQUAD, root / "xquad-r")
    target = root / "xquad-r" / "de.json"
    target.chmod(0o644)  # copytree keeps the read-only mode of the shared copy
    raw = bytearray(target.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    target.write_bytes(bytes(raw))
    with _serve(root) as running:
        yield running


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty user cache; no data folder from the environment."""
    root = tmp_path / "cache"
    monkeypatch.setenv("SWEEP_CACHE_DIR", str(root))
    monkeypatch.delenv("SWEEP_DATA_DIR", raising=False)
    monkeypatch.delenv("SWEEP_DATA_URL", raising=False)
    return root


def _cache_folder(root: Path) -> Path:
    return root / "data" / "lareqa" / PINNED_COMMIT / "xquad-r"


def _closed_port_url() -> str:
    """A URL nothing listens on: bind a free port, then release it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _one_line_error(excinfo: pytest.ExceptionInfo[DataError]) -> str:
    message = str(excinfo.value)
    assert "\n" not in message and message.strip() == message and message
    return message


def _small_lareqa(folder: Path, lang: str = "xx") -> Path:
    """A folder with one (copied) ``<lang>.json``: a stand-in for a user's own dataset."""
    folder.mkdir(parents=True)
    shutil.copyfile(SHARED_XQUAD / "en.json", folder / f"{lang}.json")
    return folder


# ------------------------------------------------------------------ pinned table


def test_pinned_table_matches_shared_copy_and_source_md() -> None:
    assert XQUAD_R_LANGUAGES == ("ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh")
    source = (SHARED_LAREQA / "SOURCE.md").read_text(encoding="utf-8")
    assert PINNED_COMMIT in source and PINNED_COMMIT in DEFAULT_DATA_URL
    for lang in XQUAD_R_LANGUAGES:
        assert f"xquad-r/{lang}.json  {XQUAD_R_SHA256[lang]}" in source
        assert sha256_file(SHARED_XQUAD / f"{lang}.json") == XQUAD_R_SHA256[lang]
    with pytest.raises(TypeError):
        XQUAD_R_SHA256["en"] = "0" * 64  # type: ignore[index]


# -------------------------------------------------------------------- download


def test_download_fetches_all_files_then_resolves_offline(
    cache: Path, server: _Server, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SWEEP_DATA_URL", server.url + "/")  # a trailing slash is tolerated
    with caplog.at_level("INFO", logger="objectives.data._fetch"):
        folder = resolve_data_dir(sibling_roots=NO_SIBLINGS)
    assert folder == _cache_folder(cache)
    assert sorted(p.name for p in folder.glob("*.json")) == [f"{lang}.json" for lang in XQUAD_R_LANGUAGES]
    for lang in XQUAD_R_LANGUAGES:
        assert sha256_file(folder / f"{lang}.json") == XQUAD_R_SHA256[lang]
    assert sorted(server.requests) == sorted(f"/xquad-r/{lang}.json" for lang in XQUAD_R_LANGUAGES)
    assert not list(folder.glob("*.part")), "no temp file may survive a successful download"
    assert any("downloaded" in r.getMessage() and server.url in r.getMessage() for r in caplog.records)

    # Second call: no network at all (the server is gone), the verified cache answers.
    server.stop()
    monkeypatch.setenv("SWEEP_DATA_URL", _closed_port_url())
    caplog.clear()
    with caplog.at_level("INFO", logger="objectives.data._fetch"):
        assert resolve_data_dir(sibling_roots=NO_SIBLINGS) == folder
    assert any("user cache" in r.getMessage() for r in caplog.records)


def test_damaged_cache_file_is_fetched_again(
    cache: Path, server: _Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWEEP_DATA_URL", server.url)
    folder = resolve_data_dir(sibling_roots=NO_SIBLINGS)
    (folder / "th.json").write_bytes(b"{}")  # size and mtime change, so the marker no longer vouches
    server.requests.clear()
    assert resolve_data_dir(sibling_roots=NO_SIBLINGS) == folder
    assert server.requests == ["/xquad-r/th.json"]
    assert sha256_file(folder / "th.json") == XQUAD_R_SHA256["th"]


def test_partial_cache_downloads_only_missing_files(
    cache: Path, server: _Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _cache_folder(cache)
    folder.mkdir(parents=True)
    for lang in ("ar", "en", "zh"):
        shutil.copyfile(SHARED_XQUAD / f"{lang}.json", folder / f"{lang}.json")
    monkeypatch.setenv("SWEEP_DATA_URL", server.url)
    assert resolve_data_dir(sibling_roots=NO_SIBLINGS) == folder
    assert sorted(server.requests) == sorted(
        f"/xquad-r/{lang}.json" for lang in XQUAD_R_LANGUAGES if lang not in ("ar", "en", "zh")
    )


def test_checksum_mismatch_leaves_no_file(
    cache: Path, corrupt_server: _Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWEEP_DATA_URL", corrupt_server.url)
    with pytest.raises(DataError) as excinfo:
        resolve_data_dir(sibling_roots=NO_SIBLINGS)
    message = _one_line_error(excinfo)
    assert "checksum" in message and "xquad-r/de.json" in message and corrupt_server.url in message
    assert XQUAD_R_SHA256["de"] in message and "--data" in message
    folder = _cache_folder(cache)
    assert not [p.name for p in folder.iterdir() if "de.json" in p.name], "neither final nor temp file may remain"
    assert not list(folder.glob("*.part"))
    # Files fetched before the bad one are verified and stay; the folder is not "complete".
    assert (folder / "ar.json").is_file()
    assert not (folder / ".sha256-verified").exists()


def test_unreachable_url_is_one_line_error(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = _closed_port_url()
    monkeypatch.setenv("SWEEP_DATA_URL", url)
    with pytest.raises(DataError) as excinfo:
        resolve_data_dir(sibling_roots=NO_SIBLINGS, timeout=5)
    message = _one_line_error(excinfo)
    assert f"{url}/xquad-r/ar.json" in message
    assert "--data" in message and "SWEEP_DATA_DIR" in message
    assert not list(_cache_folder(cache).iterdir())


def test_missing_file_on_server_is_one_line_error(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "empty-site").mkdir()
    with _serve(tmp_path / "empty-site") as server:
        monkeypatch.setenv("SWEEP_DATA_URL", server.url)
        with pytest.raises(DataError) as excinfo:
            resolve_data_dir(sibling_roots=NO_SIBLINGS)
    message = _one_line_error(excinfo)
    assert "404" in message and "xquad-r/ar.json" in message


# -------------------------------------------------------------- --data and env


@pytest.mark.parametrize("kind", ["missing", "empty", "file", "no-json-subfolder"])
def test_bad_data_argument(kind: str, tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "mydata"
    if kind == "empty":
        path.mkdir()
    elif kind == "file":
        path.write_text("not a folder", encoding="utf-8")
    elif kind == "no-json-subfolder":
        (path / "xquad-r").mkdir(parents=True)
        (path / "xquad-r" / "README.md").write_text("x", encoding="utf-8")
    with pytest.raises(DataError) as excinfo:
        resolve_data_dir(path, sibling_roots=NO_SIBLINGS)
    message = _one_line_error(excinfo)
    assert str(path) in message and "--data" in message


def test_bad_env_dir_names_the_variable(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("SWEEP_DATA_DIR", str(tmp_path / "empty"))
    with pytest.raises(DataError) as excinfo:
        resolve_data_dir(sibling_roots=NO_SIBLINGS)
    message = _one_line_error(excinfo)
    assert "SWEEP_DATA_DIR" in message and str(tmp_path / "empty") in message


@pytest.mark.parametrize("point_at", [SHARED_LAREQA, SHARED_XQUAD])
def test_data_argument_accepts_folder_or_parent(point_at: Path, cache: Path) -> None:
    assert resolve_data_dir(point_at, sibling_roots=NO_SIBLINGS) == SHARED_XQUAD.resolve()
    assert resolve_data_dir(str(point_at), sibling_roots=NO_SIBLINGS) == SHARED_XQUAD.resolve()


@pytest.mark.parametrize("point_at", [SHARED_LAREQA, SHARED_XQUAD])
def test_env_dir_accepts_lareqa_or_xquad_r(point_at: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWEEP_DATA_DIR", str(point_at))
    assert resolve_data_dir(sibling_roots=NO_SIBLINGS) == SHARED_XQUAD.resolve()


def test_env_dir_takes_precedence_over_cache(
    cache: Path, server: _Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWEEP_DATA_URL", server.url)
    cached = resolve_data_dir(sibling_roots=NO_SIBLINGS)  # a complete, verified cache
    own = _small_lareqa(tmp_path / "own")
    monkeypatch.setenv("SWEEP_DATA_DIR", str(own))
    assert resolve_data_dir(sibling_roots=NO_SIBLINGS) == own.resolve() != cached


def test_argument_takes_precedence_over_env(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from_env = _small_lareqa(tmp_path / "env", "aa")
    from_arg = _small_lareqa(tmp_path / "arg", "bb")
    monkeypatch.setenv("SWEEP_DATA_DIR", str(from_env))
    assert resolve_data_dir(from_arg, sibling_roots=NO_SIBLINGS) == from_arg.resolve()
    # An explicit empty value means "not given", like an absent one.
    assert resolve_data_dir("", sibling_roots=NO_SIBLINGS) == from_env.resolve()


def test_explicit_env_mapping_replaces_os_environ(tmp_path: Path, cache: Path) -> None:
    own = _small_lareqa(tmp_path / "own")
    assert resolve_data_dir(env={"SWEEP_DATA_DIR": str(own)}, sibling_roots=NO_SIBLINGS) == own.resolve()


# -------------------------------------------------------------------- siblings


def test_sibling_shared_copy_found_without_env_or_argument(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The default lookup finds a sibling shared/data/lareqa folder beside the checkout (docs/data.md)."""
    monkeypatch.delenv("SWEEP_DATA_DIR", raising=False)
    monkeypatch.setenv("SWEEP_CACHE_DIR", str(tmp_path / "empty-cache"))
    # Any download attempt would fail loudly, so success proves the sibling was used.
    monkeypatch.setenv("SWEEP_DATA_URL", _closed_port_url())
    # Run from a folder whose parent has no shared/: only the checkout-relative root can match.
    work = tmp_path / "elsewhere" / "cwd"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    with caplog.at_level("INFO", logger="objectives.data._fetch"):
        folder = resolve_data_dir()
    assert folder == SHARED_XQUAD
    assert any("sibling" in r.getMessage() for r in caplog.records)
    assert not (tmp_path / "empty-cache").exists(), "the sibling copy is used in place, not copied"


def test_default_roots_include_checkout_and_cwd_parents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "machine" / "main"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    assert default_sibling_roots() == [REPO.parent, (tmp_path / "machine").resolve()]
    monkeypatch.chdir(REPO)
    assert default_sibling_roots() == [REPO.parent]  # the same root only once


def test_sibling_roots_searched_in_order(tmp_path: Path, cache: Path) -> None:
    fake_checkout_parent = tmp_path / "machine"
    sibling = fake_checkout_parent / "shared" / "data" / "lareqa" / "xquad-r"
    sibling.parent.mkdir(parents=True)
    sibling.symlink_to(SHARED_XQUAD, target_is_directory=True)
    assert resolve_data_dir(sibling_roots=[tmp_path / "nothing-here", fake_checkout_parent]) == sibling


def test_incomplete_sibling_is_skipped(
    tmp_path: Path, cache: Path, server: _Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "machine"
    _small_lareqa(root / "shared" / "data" / "lareqa" / "xquad-r", "en")  # 1 of 11 files
    monkeypatch.setenv("SWEEP_DATA_URL", server.url)
    assert resolve_data_dir(sibling_roots=[root]) == _cache_folder(cache)
