"""Shared CLI plumbing: one-line errors instead of stack traces for user mistakes."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from objectives.errors import ConfigError, SweepError, TrialsFailedError
from objectives.outputs import OutputKind, output_path_problem

__all__ = ["Terminated", "check_output_path", "main_guard", "setup_logging"]

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


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the process is, as Ctrl-C raises :class:`KeyboardInterrupt`.

    A subclass, so everything that cleans up after Ctrl-C (a running trial failed and
    queued again, temporary files removed) also runs when the process is terminated.
    """


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


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
    trials, or a confirm point, failed); 130 on Ctrl-C and 143 on SIGTERM (completed
    trials stay stored; a trial the signal interrupted is failed and queued again).
    """

    def wrapped(argv: list[str] | None = None) -> int:
        # Signal handlers belong to the main thread; a main called from another thread keeps Python's.
        main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
        try:
            return main(argv)
        except TrialsFailedError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        except SweepError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        except Terminated:
            print("terminated: completed trials are stored; rerun the same command to resume", file=sys.stderr)
            return 128 + signal.SIGTERM
        except KeyboardInterrupt:
            print("interrupted: completed trials are stored; rerun the same command to resume", file=sys.stderr)
            return 130
        finally:
            if main_thread:
                signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)

    return wrapped
