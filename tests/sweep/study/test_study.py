"""Opening a study: workers that start together on a brand-new database all open it (no creation race).

Also: a re-created study starts clean, and a failed fixed point is queued again.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState, create_trial

import storage
from sweep._config import SweepConfig
from sweep.study._study import make_rdb_storage
from tests.storage_backends import BACKENDS, backend_url, fresh_postgres_database, unique_study_name
from tests.sweep.conftest import CliCall

N_WORKERS = 4


def _open_fresh(url: str, barrier: mp.synchronize.Barrier, out: mp.Queue) -> None:
    barrier.wait(timeout=60)
    try:
        make_rdb_storage(SweepConfig(storage=url))
        storage.ensure_schema(storage.make_engine(url))
        out.put("ok")
    except Exception as e:  # noqa: BLE001 - the parent asserts on the message
        out.put(f"{type(e).__name__}: {e}")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    with fresh_postgres_database("race") as url:
        yield url


def test_simultaneous_first_opens_all_succeed(fresh_url: str) -> None:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(N_WORKERS)
    out: mp.Queue = ctx.Queue()
    procs = [ctx.Process(target=_open_fresh, args=(fresh_url, barrier, out)) for _ in range(N_WORKERS)]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert results == ["ok"] * N_WORKERS
    engine = storage.make_engine(fresh_url)
    with engine.connect() as conn:
        versions = conn.exec_driver_sql("SELECT COUNT(*) FROM alembic_version").scalar_one()
    engine.dispose()
    assert versions == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_study_recreated_after_optuna_delete_study_starts_clean(backend: str, tmp_path: Path, tiny_args: list[str],
                                                                run_main: CliCall) -> None:
    # The refusal messages tell users to run `optuna delete-study`, which leaves our side
    # tables alone: a study re-created under the name must not inherit the old identity,
    # baseline or cells.
    url, name = backend_url(backend, tmp_path), unique_study_name()
    common = ["--storage", url, "--study-name", name, *tiny_args]
    assert run_main("sweep.run", ["--trials", "1", "--k", "1", *common]).returncode == 0
    optuna.delete_study(study_name=name, storage=url)
    again = run_main("sweep.run", ["--trials", "1", "--k", "2", *common])
    assert again.returncode == 0, again.stderr
    study = optuna.load_study(study_name=name, storage=url)
    assert {"baseline_dev", "baseline_test"} <= set(study.user_attrs), "the new study got no baseline"
    engine = storage.make_engine(url)
    record = storage.get_study_record(engine, name)
    assert record is not None and record["identity"]["k"] == 2
    assert set(storage.metric_cells(engine, name)["trial_id"]) == {study.trials[0]._trial_id}
    top_up = run_main("sweep.run", ["--trials", "2", "--k", "2", *common])
    assert top_up.returncode == 0, top_up.stderr
    engine.dispose()


def test_a_failing_point_is_queued_again_then_given_up() -> None:
    """The admission rule on a real (in-memory) Optuna study: re-queue a failed point, give up after the cap."""
    from sweep._config import FixedPoint, SweepConfig
    from sweep.study._study import MAX_TRIES_PER_POINT, requeue_missing_points

    points = [FixedPoint(params={"mono_ratio": a}, kinds=["anchor"], source_trials=[]) for a in (0.0, 1.0)]
    cfg = SweepConfig(device="cpu", fixed_points=points, confirms="s", anchors=[], trials=2)
    study = optuna.create_study(directions=["maximize", "maximize"])
    dist = {"mono_ratio": FloatDistribution(0, 1)}
    study.add_trial(create_trial(params={"mono_ratio": 1.0}, distributions=dist, values=[0.5, 0.5], user_attrs={"point": 1}))

    def fail_next(reason: str | None, interrupted: bool = False) -> None:
        trial = study.ask()  # takes the queued point, as a worker does
        assert trial.user_attrs["point"] == 0 and trial.suggest_float("mono_ratio", 0, 1) == 0.0
        if reason:
            trial.set_user_attr("fail_reason", reason)
        if interrupted:  # as the worker loop marks a trial Ctrl-C or SIGTERM stopped
            study._storage.set_trial_system_attr(trial._trial_id, "interrupted", True)
        study.tell(trial, state=TrialState.FAIL)

    def requeue() -> tuple[list[float], list[int]]:
        exhausted = requeue_missing_points(study, cfg, study.get_trials(deepcopy=False))
        waiting = [t.user_attrs["point"] for t in study.get_trials(deepcopy=False) if t.state == TrialState.WAITING]
        return exhausted, waiting

    assert requeue() == ([], [0])  # never run: queued
    fail_next(None)  # a dead worker's trial (no reason): not counted against the point
    assert requeue() == ([], [0])
    for _ in range(MAX_TRIES_PER_POINT):
        fail_next("interrupted (Ctrl-C or SIGTERM)", interrupted=True)  # nor is an interrupted try
        assert requeue() == ([], [0])
    for _ in range(MAX_TRIES_PER_POINT - 1):
        fail_next("loss became nan")
        assert requeue() == ([], [0])
    fail_next("loss became nan")
    assert requeue() == ([0.0], []), "given up: the caller stops with the point named"
