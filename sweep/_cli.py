"""Shared CLI plumbing: one-line errors instead of stack traces for user mistakes."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from objectives.errors import ConfigError, SweepError, TrialsFailedError
from objectives.outputs import OutputKind, output_path_problem

__all__ = ["check_output_path", "main_guard", "setup_logging"]

_QUIET_LIBRARIES = {"TRANSFORMERS_VERBOSITY": "error", "HF_HUB_DISABLE_PROGRESS_BARS": "1",
                    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1"}


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("optuna", "transformers", "datasets", "alembic", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING if verbose else logging.ERROR)
    # Library progress bars (weight loading, dataset maps) would bury our own. The libraries
    # read these at import, so a command that never trains never imports them.
    for name, value in _QUIET_LIBRARIES.items():
        os.environ.setdefault(name, value)
    if "transformers" in sys.modules:
        sys.modules["transformers"].logging.set_verbosity_error()
        sys.modules["transformers"].logging.disable_progress_bar()
    if "datasets" in sys.modules:
        sys.modules["datasets"].disable_progress_bars()


def check_output_path(path: str | os.PathLike[str], flag: str, *, kind: OutputKind = "file",
                      create_parents: bool = False) -> Path:
    """``path`` (``~`` expanded) once it is sure the command can write it: check outputs before any costly work.

    Raises:
        ConfigError: one line naming the path, the problem and the fix
        (:func:`objectives.outputs.output_path_problem`).
    """
    problem = output_path_problem(path, flag, kind=kind, create_parents=create_parents)
    if problem is not None:
        raise ConfigError(problem)
    return Path(path).expanduser()


def main_guard(main: Callable[[list[str] | None], int]) -> Callable[[list[str] | None], int]:
    """Wrap a CLI main: errors print one ``error: ...`` line instead of a stack trace.

    Exit codes: 2 for a :class:`SweepError` (a user mistake: bad input, config, data,
    model or storage); 1 for :class:`TrialsFailedError` (the input was valid but too many
    trials, or a confirm point, failed); 130 on Ctrl-C (completed trials stay stored).
    """

    def wrapped(argv: list[str] | None = None) -> int:
        try:
            return main(argv)
        except TrialsFailedError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        except SweepError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("interrupted: completed trials are stored; rerun the same command to resume", file=sys.stderr)
            return 130

    return wrapped
