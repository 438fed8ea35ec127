"""Workers: one killed mid-trial loses nothing completed; several on one study stop at exactly the target."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

import storage
from sweep.study._workers import worker_device
from tests.storage_backends import BACKENDS, backend_url, postgres_url_or_fail, unique_study_name
from tests.sweep.conftest import CliCall, run_cli, start_cli
from tests.sweep.test_run import _anchor_count, _load, _states


def test_killed_worker_then_rerun_reaches_target(tiny_args: list[str], tmp_path: Path, run_main: CliCall) -> None:
    url = f"sqlite:///{tmp_path / 'sweep.db'}"
    name = unique_study_name()
    # One seed per anchor: the retried trial then runs within --trials 5.
    fast_heartbeat = ["--storage", url, "--study-name", name, "--anchor-seeds", "1", *tiny_args]
    config = tmp_path / "hb.yaml"
    config.write_text("heartbeat_interval: 1\ngrace_period: 3\n")
    killed = run_cli("sweep.run", ["--trials", "5", "--config", str(config), *fast_heartbeat],
                     env={"SWEEP_FAULT": "during-train:5"})  # dies in the 2nd trial (3 steps each)
    assert killed.returncode == -signal.SIGKILL
    study = _load(url, name)
    assert _states(study) == {TrialState.COMPLETE: 1, TrialState.RUNNING: 1, TrialState.WAITING: 1}
    completed_before = {t.number: t.values for t in study.trials if t.state == TrialState.COMPLETE}
    time.sleep(4)  # past the grace period: the dead trial is stale
    rerun = run_main("sweep.run", ["--trials", "5", "--config", str(config), *fast_heartbeat])
    assert rerun.returncode == 0, rerun.stderr
    study = _load(url, name)
    states = _states(study)
    assert states[TrialState.COMPLETE] == 5 and TrialState.RUNNING not in states
    assert states.get(TrialState.FAIL) == 1
    for number, values in completed_before.items():
        assert study.trials[number].values == values
    # The dead trial's parameters were retried, not dropped.
    dead = next(t for t in study.trials if t.state == TrialState.FAIL)
    retried = [t for t in study.trials if t.system_attrs.get("failed_trial") == dead.number]
    assert retried and retried[0].params == dead.params and retried[0].state == TrialState.COMPLETE
    cells = storage.metric_cells(storage.make_engine(url), name)
    assert sorted(set(cells["trial_number"])) == sorted(t.number for t in study.trials if t.state == TrialState.COMPLETE)


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_workers_stop_at_exact_target(backend: str, tiny_args: list[str], tmp_path: Path) -> None:
    url = backend_url(backend, tmp_path)
    name = unique_study_name("conc")
    workers = [start_cli("sweep.run", ["--trials", "7", "--storage", url, "--study-name", name, "--threads", "1", *tiny_args])
               for _ in range(3)]  # three processes race for 7 trials on 2 cores: enough to overlap every step
    for w in workers:
        _out, err = w.communicate(timeout=600)
        assert w.returncode == 0, err
        assert "database is locked" not in err
    study = _load(url, name)
    assert _states(study) == {TrialState.COMPLETE: 7}
    assert _anchor_count(study) == {0.0: 2, 0.5: 2, 1.0: 2}
    assert len({t.number for t in study.trials}) == 7
    cells = storage.metric_cells(storage.make_engine(url), name, split="dev")
    assert set(cells["trial_number"]) == set(range(7)), "every completed trial kept its metric cells"


def test_sigterm_to_the_parent_stops_the_workers_it_started(tiny_args: list[str], tmp_path: Path) -> None:
    """``kill <pid>`` of ``sweep.run --workers 2`` (a scheduler's stop, not Ctrl-C, which reaches the
    whole process group): the parent used to wait for its worker, which trained on to the end."""
    url = f"sqlite:///{tmp_path / 'sweep.db'}"
    name = unique_study_name("term")
    parent = start_cli("sweep.run", ["--trials", "400", "--workers", "2", "--storage", url, "--study-name", name,
                                     *tiny_args], new_session=True)
    try:
        deadline = time.monotonic() + 240
        while True:  # both processes joined, and trials are completing
            assert parent.poll() is None and time.monotonic() < deadline, parent.stderr.read() if parent.stderr else ""
            time.sleep(1)
            try:
                study = optuna.load_study(study_name=name, storage=url)
            except KeyError:
                continue
            if study.user_attrs.get("workers_started") == 2 and _states(study).get(TrialState.COMPLETE, 0) >= 3:
                break
        parent.send_signal(signal.SIGTERM)
        try:
            _out, err = parent.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            pytest.fail("the parent is still waiting for the worker it started, 90 s after SIGTERM")
        assert parent.returncode == 128 + signal.SIGTERM, err
        assert "Traceback" not in err, err
        study = _load(url, name)
        states = _states(study)
        assert TrialState.RUNNING not in states, "each process failed its own interrupted trial"
        time.sleep(5)
        assert len(_load(url, name).trials) == len(study.trials), "no worker trains on after the parent stopped"
        assert states.get(TrialState.COMPLETE, 0) < 400
    finally:
        try:
            os.killpg(parent.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        parent.wait()


def test_workers_spread_round_robin_over_the_devices() -> None:
    # What --workers N gives each worker, checked without a GPU: the assignment is pure.
    assert [worker_device("cuda", w, visible=2) for w in range(5)] == ["cuda:0", "cuda:1", "cuda:0", "cuda:1", "cuda:0"]
    assert [worker_device("cuda", w, visible=3) for w in range(4)] == ["cuda:0", "cuda:1", "cuda:2", "cuda:0"]
    assert [worker_device("cuda:1,cuda:3", w, visible=4) for w in range(3)] == ["cuda:1", "cuda:3", "cuda:1"]
    assert [worker_device("cuda", w, visible=1) for w in range(2)] == ["cuda", "cuda"]
    assert [worker_device("cuda:2", w, visible=4) for w in range(2)] == ["cuda:2", "cuda:2"]
    assert [worker_device("cpu", w, visible=0) for w in range(2)] == ["cpu", "cpu"]


@pytest.mark.postgres
def test_two_hosts_each_with_its_own_cache_share_one_postgresql_study(tiny_args: list[str], tmp_path: Path) -> None:
    # The several-hosts recipe (docs/design.md, "Several hosts"): each host runs sweep.run against one
    # PostgreSQL with its own --cache-dir. Host A dies in its first trial; host B retries that trial
    # once its heartbeat is stale, and the two stop at exactly --trials.
    url, name = postgres_url_or_fail(), unique_study_name("hosts")
    config = tmp_path / "hb.yaml"
    config.write_text("heartbeat_interval: 1\ngrace_period: 3\n")
    common = ["--trials", "5", "--anchor-seeds", "1", "--storage", url, "--study-name", name, "--config", str(config), *tiny_args]
    host_a = start_cli("sweep.run", [*common, "--cache-dir", str(tmp_path / "cache-a")], env={"SWEEP_FAULT": "during-train:2"})
    host_b = start_cli("sweep.run", [*common, "--cache-dir", str(tmp_path / "cache-b")])
    _out, err_a = host_a.communicate(timeout=600)
    assert host_a.returncode == -signal.SIGKILL, err_a
    _out, err_b = host_b.communicate(timeout=600)
    assert host_b.returncode == 0, err_b
    study = _load(url, name)
    assert _states(study) == {TrialState.COMPLETE: 5, TrialState.FAIL: 1}
    dead = next(t for t in study.trials if t.state == TrialState.FAIL)
    retried = [t for t in study.trials if t.system_attrs.get("failed_trial") == dead.number]
    assert retried and retried[0].params == dead.params and retried[0].state == TrialState.COMPLETE
    for host in ("cache-a", "cache-b"):  # each host built its activation cache in its own folder
        assert any((tmp_path / host / "activations").iterdir()), host
