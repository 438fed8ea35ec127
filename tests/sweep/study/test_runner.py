"""The worker loop's admission (sweep.study._runner): what a trial is given while the admission lock is held."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState, create_trial

import storage
from objectives.objective import replicate_of
from objectives.trial import WorkspacePool
from sweep._config import SweepConfig
from sweep.study._runner import _WorkerLoop
from sweep.study._study import make_rdb_storage
from tests.storage_backends import BACKENDS, backend_url, unique_study_name


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_workers_admitted_at_one_alpha_get_distinct_replicates(backend: str, tmp_path: Path) -> None:
    # The knee sampler repeats an alpha: each repeat is the next replicate (new seeds). Two
    # workers, each with its own storage connection, are admitted to trials at the same
    # alpha before either starts training; the one admitted second then starts first. The
    # replicates must still differ, so the replicate is fixed inside the admission lock.
    url, name = backend_url(backend, tmp_path), unique_study_name("replicate")
    cfg = SweepConfig(storage=url, study_name=name, device="cpu", trials=10, anchors=[], heartbeat_interval=60)
    engine = storage.make_engine(url)
    storage.ensure_schema(engine)
    study = optuna.create_study(study_name=name, storage=make_rdb_storage(cfg), directions=["maximize", "maximize"])
    alpha = {"mono_ratio": 0.4}
    study.add_trial(create_trial(params=alpha, distributions={"mono_ratio": FloatDistribution(0.0, 1.0)}, values=[0.5, 0.5]))
    for _ in range(2):  # the alpha proposed again, by each worker's sampler
        study.enqueue_trial(alpha)
    workers = []
    for _ in range(2):
        rdb = make_rdb_storage(cfg)
        workers.append(_WorkerLoop(cfg, optuna.load_study(study_name=name, storage=rdb), rdb, engine, WorkspacePool(False), False))
    first, second = (worker._admit()[0] for worker in workers)
    assert first is not None and second is not None
    # What run_optuna_trial does as each trial starts training: the later admission first.
    replicates = [replicate_of(trial, alpha) for trial in (second, first)]
    assert sorted(replicates) == [1, 2], f"two trials at alpha 0.4 got replicates {replicates}"
    stored = optuna.load_study(study_name=name, storage=url).get_trials(states=(TrialState.RUNNING,))
    assert sorted(t.user_attrs["replicate"] for t in stored) == [1, 2], "stored with the trial, for its retries"
    engine.dispose()
