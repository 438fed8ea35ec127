"""A study made before the training loop was a setting (issue 29): it resumes with the padded loop that made it, or is refused."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
from optuna.trial import TrialState

import storage
from sweep._config import config_from_record
from tests.storage_backends import unique_study_name
from tests.sweep.conftest import CliCall


def _complete(url: str, name: str) -> int:
    study = optuna.load_study(study_name=name, storage=url)
    return sum(t.state == TrialState.COMPLETE for t in study.get_trials(deepcopy=False))


def test_a_lite_study_from_before_the_packed_loop_resumes_with_its_loop_or_is_refused(
    tiny_args: list[str], tmp_path: Path, run_main: CliCall
) -> None:
    url = f"sqlite:///{tmp_path / 'sweep.db'}"
    name = unique_study_name()
    made = run_main("sweep.run", ["--trials", "1", "--storage", url, "--study-name", name, "--regime", "lite",
                                  "--loop", "padded", *tiny_args])
    assert made.returncode == 0, made.stderr
    # Rewrite the stored record as the previous version wrote it: lite, every setting but the loop.
    engine = storage.make_engine(url)
    record = storage.get_study_record(engine, name)
    assert record["identity"]["loop"] == "padded"
    config = {k: v for k, v in record["config"].items() if k != "loop"}
    identity = {k: v for k, v in record["identity"].items() if k != "loop"}
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE sweep_studies SET config_json = ?, identity_json = ? WHERE study_name = ?",
                             (json.dumps(config), json.dumps(identity), name))
    assert config_from_record(config).regime.loop == "padded", "reports and exports read it as the loop it ran"

    # The same command as before, now that lite runs the packed loop: one error line naming both ways out.
    refused = run_main("sweep.run", ["--trials", "2", "--storage", url, "--study-name", name, "--regime", "lite", *tiny_args])
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        f"error: study '{name}' was trained with the padded loop, not 'packed' (studies made before this version ran the "
        "padded loop): add --loop padded to continue it, or start a new study with --study-name NAME"
    ]
    assert _complete(url, name) == 1, "a refused run touches nothing"

    resumed = run_main("sweep.run", ["--trials", "2", "--storage", url, "--study-name", name, "--regime", "lite",
                                     "--loop", "padded", *tiny_args])
    assert resumed.returncode == 0, resumed.stderr
    assert _complete(url, name) == 2
    assert storage.get_study_record(engine, name)["config"]["loop"] == "padded"
