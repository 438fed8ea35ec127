"""The study: open it (identity, samplers), run its trials in one or several workers, keep its files.

``_study`` opens or resumes the Optuna study and checks its identity; ``_grid_sampler``
and ``_knee_sampler`` are the project's samplers; ``_runner`` is the trial loop
(heartbeats in ``_heartbeat``); ``_workers`` starts a command's worker processes and
spreads them over devices; ``_artifacts`` keeps trial weights; ``_estimate`` prices a
study before it runs. :func:`run_study` imports the trial loop, and with it torch and
transformers, only when called, so the light commands (export, report, dashboard) can
import this package. It may use :mod:`sweep.answer`, never :mod:`sweep.reporting`.
"""

from sweep.study._artifacts import (
    WEIGHTS_FILE,
    artifact_store_for,
    artifacts_dir,
    check_artifacts_dir,
    prune_weights,
    save_weights,
    weights_path,
)
from sweep.study._estimate import estimate, print_estimate
from sweep.study._grid_sampler import CoarseToFineGridSampler, coarse_to_fine
from sweep.study._heartbeat import Heartbeat
from sweep.study._knee_sampler import PROPOSALS, KneeSampler
from sweep.study._study import (
    MAX_TRIES_PER_POINT,
    enqueue_point,
    make_rdb_storage,
    make_sampler,
    open_study,
    requeue_missing_points,
    worker_seed,
)
from sweep.study._workers import default_threads, run_study, run_with_workers, spawn_workers, worker_device

__all__ = [
    "CoarseToFineGridSampler",
    "Heartbeat",
    "KneeSampler",
    "MAX_TRIES_PER_POINT",
    "PROPOSALS",
    "WEIGHTS_FILE",
    "artifact_store_for",
    "artifacts_dir",
    "check_artifacts_dir",
    "coarse_to_fine",
    "default_threads",
    "enqueue_point",
    "estimate",
    "make_rdb_storage",
    "make_sampler",
    "open_study",
    "print_estimate",
    "prune_weights",
    "requeue_missing_points",
    "run_study",
    "run_with_workers",
    "save_weights",
    "spawn_workers",
    "weights_path",
    "worker_device",
    "worker_seed",
]
