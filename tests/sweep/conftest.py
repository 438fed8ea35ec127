"""A tiny but real sweep set-up: tiny random BERT, two XQuAD-R languages, a few steps."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def sweep_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sweep-cache")


def tiny_cli_args(tiny_model_dir: Path, xquad_path: Path, sweep_cache: Path) -> list[str]:
    return ["--model", str(tiny_model_dir), "--data", str(xquad_path), "--languages", "en,de",
            "--steps", "3", "--batch-size", "8", "--max-length", "48", "--cache-dir", str(sweep_cache), "--quiet",
            "--threads", "1"]


@pytest.fixture
def tiny_args(tiny_model_dir: Path, xquad_path: Path, sweep_cache: Path) -> list[str]:
    return tiny_cli_args(tiny_model_dir, xquad_path, sweep_cache)


def _env(env: dict[str, str] | None) -> dict[str, str]:
    """The environment with this checkout first on PYTHONPATH.

    A command run from another folder (``cwd=tmp_path``) would otherwise import the
    package from wherever it is installed (an editable install of another checkout or
    worktree), not the code under test.
    """
    full = {**os.environ, **(env or {})}
    full["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [full.get("PYTHONPATH")])])
    return full


def run_cli(module: str, args: list[str], env: dict[str, str] | None = None, timeout: float = 300,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m <module> <args>`` as a user would, on this checkout's code."""
    full_env = _env(env)
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True,
                          timeout=timeout, env=full_env, cwd=cwd or REPO)


CliCall = Callable[..., subprocess.CompletedProcess[str]]


def run_in_process(module: str, args: list[str]) -> int:
    """A CLI's ``main(argv)`` in this process, for fixtures (the exit code; output is not captured)."""
    return int(importlib.import_module(module).main(list(args)))


@pytest.fixture
def run_main(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CliCall:
    """Call a CLI's ``main(argv)`` in this process; same result shape as :func:`run_cli`.

    It is the code ``python -m <module>`` runs, minus the interpreter start-up and the
    torch/transformers import (~3 s a call here), so the many one-line-error cases are
    checked without paying that each time. The entry point itself (``python -m``, exit
    status, nothing else on stderr) stays covered by the tests that use :func:`run_cli`.
    """

    def call(module: str, args: list[str], env: dict[str, str] | None = None,
             cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        main = importlib.import_module(module).main
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return subprocess.CompletedProcess([module, *args], code, captured.out, captured.err)

    return call


def start_cli(module: str, args: list[str], env: dict[str, str] | None = None,
              new_session: bool = False) -> subprocess.Popen[str]:
    """Start ``python -m <module> <args>``; ``new_session`` puts it and what it starts in a
    process group of their own, which a test can then stop as a whole (``os.killpg``)."""
    full_env = _env(env)
    return subprocess.Popen([sys.executable, "-m", module, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=full_env, cwd=REPO, start_new_session=new_session)


@pytest.fixture(scope="session")
def made_study(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path, xquad_path: Path,
               sweep_cache: Path) -> tuple[str, str, Path]:
    """A 5-trial study the tool made (tiny model), shared by export/report/dashboard tests.

    Made by the command's ``main`` in this process: the ``python -m sweep.run`` entry point
    is covered elsewhere, and a session fixture cannot wait for a process start per worker.
    """
    folder = tmp_path_factory.mktemp("made-study")
    url = f"sqlite:///{folder / 'sweep.db'}"
    args = ["--model", str(tiny_model_dir), "--data", str(xquad_path), "--languages", "en,de", "--steps", "6",
            "--batch-size", "8", "--max-length", "48", "--cache-dir", str(sweep_cache), "--quiet", "--threads", "1",
            "--learning-rate", "1e-3", "--trials", "5", "--storage", url, "--study-name", "made", "--keep-weights", "all"]
    assert run_in_process("sweep.run", args) == 0
    return url, "made", folder
