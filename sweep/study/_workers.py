"""Start a command's local worker processes and run the study in this one (``--workers N``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import optuna

from sweep._cli import Terminated
from sweep._config import SweepConfig

__all__ = ["default_threads", "run_study", "run_with_workers", "spawn_workers", "worker_device"]


def spawn_workers(module: str, workers: int, argv: list[str]) -> list[subprocess.Popen[bytes]]:
    """Start ``workers - 1`` extra local processes of ``python -m <module>`` on the same study."""
    children = []
    for worker in range(1, workers):
        cmd = [sys.executable, "-m", module, *argv, "--workers", "1", "--worker-id", str(worker), "--quiet"]
        children.append(subprocess.Popen(cmd, env={**os.environ}))
    return children


def default_threads(workers: int) -> int:
    """torch threads per worker when none are given: the cores shared among the workers."""
    return max(1, (os.cpu_count() or 1) // workers)


def worker_device(device: str, worker: int, visible: int) -> str:
    """The device worker number ``worker`` trains on: round robin over the GPUs.

    ``device`` is one device, or a comma list such as ``cuda:0,cuda:1`` (worker i takes
    entry i mod its length). Plain ``cuda`` on a machine whose torch sees ``visible`` > 1
    GPUs spreads the same way over ``cuda:0`` .. ``cuda:<visible - 1>``; anything else
    (``cpu``, one named GPU) is every worker's device.
    """
    devices = [d.strip() for d in device.split(",") if d.strip()]
    if len(devices) > 1:
        return devices[worker % len(devices)]
    if device == "cuda" and visible > 1:
        return f"cuda:{worker % visible}"
    return device


def run_study(cfg: SweepConfig, *, worker_id: int | None = None, progress: bool = True) -> optuna.Study:
    """Run (or resume) ``cfg``'s study in this process until it holds ``cfg.trials`` COMPLETE trials.

    The trial loop (:mod:`._runner`) is imported here, on the call: it brings torch and
    transformers, which only a command that trains should pay for.
    """
    from sweep.study._runner import run_study as run

    return run(cfg, worker_id=worker_id, progress=progress)


def run_with_workers(module: str, cfg: SweepConfig, argv: list[str], worker_id: int | None,
                     progress: bool) -> tuple[int, optuna.Study]:
    """Run ``cfg``'s study here and in ``cfg.workers - 1`` more processes of ``python -m <module> <argv>``.

    This process is worker 0 when it starts others (they take ids 1..N-1), or the
    ``worker_id`` it was started with; a lone process lets the study number it. Each
    worker trains on :func:`worker_device` of its id. Returns the worst exit code of the
    extra workers (0 when they all finished). A SIGTERM to this process is passed on to
    the workers it started, so that they too fail their running trial, queue it again
    and stop.
    """
    children = spawn_workers(module, cfg.workers, argv) if cfg.workers > 1 and worker_id is None else []
    me = worker_id if worker_id is not None else (0 if children else None)
    if cfg.device.startswith("cuda"):
        import torch

        device = worker_device(cfg.device, me or 0, torch.cuda.device_count())
        cfg = cfg.model_copy(update={"device": device})
    try:
        study = run_study(cfg, worker_id=me, progress=progress)
    except Terminated:
        # A SIGTERM sent to this process alone (kill, a job scheduler) would leave the
        # workers it started training to the end of the study while it waited for them;
        # Ctrl-C needs no forwarding, since the terminal signals the whole process group.
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        raise
    finally:
        codes = [child.wait() for child in children]
    return max([0, *codes]), study
