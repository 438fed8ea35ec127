"""Faults injected at named points (SWEEP_FAULT): nothing completed is lost, nothing half-written stays."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

import storage
from tests.storage_backends import postgres_url_or_fail, unique_study_name
from tests.sweep.conftest import CliCall, run_cli

HEARTBEAT = "heartbeat_interval: 1\ngrace_period: 3\n"


def _args(tmp_path: Path, tiny_args: list[str], trials: int) -> tuple[str, str, list[str]]:
    url = f"sqlite:///{tmp_path / 'sweep.db'}"
    name = unique_study_name()
    config = tmp_path / "hb.yaml"
    config.write_text(HEARTBEAT)
    return url, name, ["--trials", str(trials), "--storage", url, "--study-name", name, "--config", str(config), *tiny_args]


def _assert_consistent(url: str, name: str, target: int) -> optuna.Study:
    study = optuna.load_study(study_name=name, storage=url)
    states = [t.state for t in study.get_trials(deepcopy=False)]
    assert states.count(TrialState.COMPLETE) == target
    assert TrialState.RUNNING not in states
    cells = storage.metric_cells(storage.make_engine(url), name, split="dev")
    complete = {t.number for t in study.trials if t.state == TrialState.COMPLETE}
    assert set(cells["trial_number"]) == complete
    sizes = cells.groupby("trial_number").size()
    assert sizes.nunique() == 1, "every complete trial has the full metric set"
    with storage.make_engine(url).connect() as conn:
        stray = conn.exec_driver_sql(
            "SELECT COUNT(*) FROM sweep_metric_cells c JOIN trials t ON t.trial_id = c.trial_id "
            f"WHERE c.study_name = '{name}' AND t.state = 'FAIL'").scalar_one()
    assert stray == 0, "cells of dead trials are purged"
    return study


@pytest.mark.parametrize("fault", ["during-train:2", "during-cells:1", "after-cells:1"])
def test_kill_mid_trial_then_rerun(fault: str, tiny_args: list[str], tmp_path: Path, run_main: CliCall) -> None:
    url, name, args = _args(tmp_path, tiny_args, 4)
    killed = run_cli("sweep.run", args, env={"SWEEP_FAULT": fault})
    assert killed.returncode == -signal.SIGKILL
    time.sleep(4)
    rerun = run_main("sweep.run", args)
    assert rerun.returncode == 0, rerun.stderr
    study = _assert_consistent(url, name, 4)
    assert sum(t.state == TrialState.FAIL for t in study.trials) == 1


@pytest.mark.parametrize(("action", "code"), [("int", 130), ("term", 143)])
def test_an_anchor_interrupted_by_a_signal_is_rerun_at_once(action: str, code: int, tiny_args: list[str], tmp_path: Path,
                                                            run_main: CliCall) -> None:
    # Ctrl-C (SIGINT) or SIGTERM in the first anchor's training: the process fails its own
    # trial and queues it again, so nothing is left RUNNING for the heartbeat to time out,
    # and the rerun runs that anchor (same alpha, same replicate) without waiting out a
    # grace period much longer than the whole rerun.
    url, name, args = _args(tmp_path, tiny_args, 6)  # the 6 anchor trials (0, 0.5, 1; 2 seeds each)
    grace = 120
    (tmp_path / "hb.yaml").write_text(f"heartbeat_interval: 1\ngrace_period: {grace}\n")
    stopped = run_cli("sweep.run", args, env={"SWEEP_FAULT": f"during-train:1:{action}"})
    assert stopped.returncode == code, stopped.stderr
    assert stopped.stderr.strip().splitlines()[-1].endswith("rerun the same command to resume"), stopped.stderr
    assert "Traceback" not in stopped.stderr
    study = optuna.load_study(study_name=name, storage=url)
    left = study.get_trials(deepcopy=False)
    assert [t.state for t in left] == [TrialState.FAIL, *[TrialState.WAITING] * 6], "the interrupted trial is failed, not RUNNING"
    assert left[0].params == {"mono_ratio": 0.0}
    retry = [t for t in left if t.system_attrs.get("failed_trial") == 0]
    assert len(retry) == 1 and retry[0].user_attrs == {"anchor": True, "replicate": 0}, "queued again as the same anchor"
    start = time.monotonic()
    rerun = run_main("sweep.run", args)
    assert rerun.returncode == 0, rerun.stderr
    assert time.monotonic() - start < grace / 2, "the rerun waited for the heartbeat's grace period"
    study = _assert_consistent(url, name, 6)
    done = {(t.params["mono_ratio"], t.user_attrs["replicate"]) for t in study.trials if t.state == TrialState.COMPLETE}
    assert done == {(a, r) for a in (0.0, 0.5, 1.0) for r in (0, 1)}, "every anchor ran, the interrupted one included"


def test_kill_during_cache_build(tiny_args: list[str], tmp_path: Path, run_main: CliCall) -> None:
    cache = tmp_path / "fresh-cache"
    tiny_args = [*tiny_args[: tiny_args.index("--cache-dir")], "--cache-dir", str(cache), *tiny_args[tiny_args.index("--cache-dir") + 2:]]
    url, name, args = _args(tmp_path, tiny_args, 2)
    killed = run_cli("sweep.run", args, env={"SWEEP_FAULT": "during-cache:3"})
    assert killed.returncode == -signal.SIGKILL
    assert not [p for p in (cache / "activations").iterdir() if p.is_dir() and ".tmp-" not in p.name]
    rerun = run_main("sweep.run", args)
    assert rerun.returncode == 0, rerun.stderr
    _assert_consistent(url, name, 2)
    folders = [p for p in (cache / "activations").iterdir() if p.is_dir()]
    assert len(folders) == 1 and ".tmp-" not in folders[0].name and (folders[0] / "meta.json").exists()


def test_nan_trial_fails_with_reason_and_study_goes_on(tiny_args: list[str], tmp_path: Path) -> None:
    url, name, args = _args(tmp_path, tiny_args, 3)
    done = run_cli("sweep.run", args, env={"SWEEP_FAULT": "nan-trial:2"})
    assert done.returncode == 0, done.stderr
    study = optuna.load_study(study_name=name, storage=url)
    failed = [t for t in study.trials if t.state == TrialState.FAIL]
    assert len(failed) == 1 and failed[0].user_attrs["fail_reason"].startswith("loss became nan at step 1")
    assert sum(t.state == TrialState.COMPLETE for t in study.trials) == 3


def test_max_failed_stops_with_one_line(tiny_args: list[str], tmp_path: Path) -> None:
    url, name, args = _args(tmp_path, tiny_args, 3)
    done = run_cli("sweep.run", [*args, "--max-failed", "1"], env={"SWEEP_FAULT": "nan-trial:1"})
    assert done.returncode == 1
    errors = [line for line in done.stderr.strip().splitlines() if line.startswith("error:")]
    assert errors == [done.stderr.strip().splitlines()[-1]]
    assert errors[0].startswith("error: stopped: 1 trials failed in this run (--max-failed 1)")
    assert "Traceback" not in done.stderr


@pytest.mark.postgres
def test_password_never_printed_or_exported(tiny_args: list[str], tmp_path: Path) -> None:
    url = postgres_url_or_fail().replace("postgres@", "postgres:s3cret-pw@")  # trust auth ignores it
    name = unique_study_name("pw")
    done = run_cli("sweep.run", ["--trials", "1", "--storage", url, "--study-name", name, *[a for a in tiny_args if a != "--quiet"]])
    assert done.returncode == 0, done.stderr
    out = tmp_path / "best.yaml"
    exported = run_cli("sweep.export", ["--study-name", name, "--storage", url, "--out", str(out)])
    assert exported.returncode == 0, exported.stderr
    for text in (done.stdout, done.stderr, exported.stdout, exported.stderr, out.read_text()):
        assert "s3cret-pw" not in text
    assert "***" in out.read_text()
    study = optuna.load_study(study_name=name, storage=url)
    assert "s3cret-pw" not in str(study.user_attrs) and "s3cret-pw" not in str(storage.get_study_record(storage.make_engine(url), name))


def test_no_unsafe_deserialisation_in_the_code() -> None:
    root = Path(__file__).resolve().parents[2]
    for package in ("sweep", "objectives", "storage"):
        for file in (root / package).rglob("*.py"):
            text = file.read_text()
            assert "import pickle" not in text and "pickle.load" not in text, file
            assert "yaml.load(" not in text and "yaml.unsafe_load" not in text, file


class _Payload:
    """Unpickling this creates ``path``: proof that a pickle ran."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return open, (str(self.path), "w")


def test_a_pickle_planted_in_the_activation_cache_is_never_unpickled(tiny_model_dir: Path, tmp_path: Path) -> None:
    # The cache is the one file the workers deserialise that another process (or user) may
    # have written; weights are safetensors. A tampered file whose checksums match must be
    # rebuilt, never unpickled.
    import hashlib
    import json

    import numpy as np

    from objectives.encoder import load_encoder
    from objectives.training import build_activation_cache

    encoder = load_encoder(str(tiny_model_dir), query_prefix="", passage_prefix="")
    ids = encoder.tokenize(["one short text", "and another one", "a third"], "passage")
    root = tmp_path / "activations"
    first = build_activation_cache(encoder.model, ids, 1, root, "k", pad_id=encoder.pad_id, progress=False)
    offsets = first.offsets.copy()
    ran = tmp_path / "pickle-ran"
    np.save(first.path / "offsets.npy", np.array([_Payload(ran)], dtype=object), allow_pickle=True)
    meta = json.loads((first.path / "meta.json").read_text())
    meta["offsets_sha256"] = hashlib.sha256((first.path / "offsets.npy").read_bytes()).hexdigest()
    (first.path / "meta.json").write_text(json.dumps(meta))
    again = build_activation_cache(encoder.model, ids, 1, root, "k", pad_id=encoder.pad_id, progress=False)
    assert not ran.exists(), "the cache unpickled a planted object"
    np.testing.assert_array_equal(again.offsets, offsets)


def test_dashboard_binds_localhost_by_default() -> None:
    done = run_cli("sweep.dashboard", ["--help"])
    assert "default 127.0.0.1" in done.stdout
