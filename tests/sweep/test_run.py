"""End-to-end studies on the tiny model: counts, top-ups, anchors, kills and concurrent workers."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

import storage
from objectives.regimes import CPU_DEFAULT_REGIME
from tests.storage_backends import unique_study_name
from tests.sweep.conftest import CliCall, run_cli


def _load(url: str, name: str) -> optuna.Study:
    return optuna.load_study(study_name=name, storage=url)


def _states(study: optuna.Study) -> dict[TrialState, int]:
    counts: dict[TrialState, int] = {}
    for t in study.get_trials(deepcopy=False):
        counts[t.state] = counts.get(t.state, 0) + 1
    return counts


def _anchor_count(study: optuna.Study) -> dict[float, int]:
    out: dict[float, int] = {}
    for t in study.get_trials(deepcopy=False):
        if t.user_attrs.get("anchor") and t.state == TrialState.COMPLETE:
            out[t.params["mono_ratio"]] = out.get(t.params["mono_ratio"], 0) + 1
    return out


def test_study_completes_tops_up_and_keeps_anchors_once(tiny_args: list[str], tmp_path: Path, run_main: CliCall) -> None:
    url = f"sqlite:///{tmp_path / 'sweep.db'}"
    name = unique_study_name()
    first = run_cli("sweep.run", ["--trials", "6", "--storage", url, "--study-name", name, *tiny_args])
    assert first.returncode == 0, first.stderr
    study = _load(url, name)
    assert _states(study) == {TrialState.COMPLETE: 6}
    assert study.metric_names == ["same_lang_p@1", "xling_map"]
    assert _anchor_count(study) == {0.0: 2, 0.5: 2, 1.0: 2}
    # An anchor's second seed measures seed noise: it trains with another seed than the first.
    for alpha in (0.0, 0.5, 1.0):
        seeds = {t.user_attrs["seed"] for t in study.trials if t.params["mono_ratio"] == alpha and t.user_attrs.get("anchor")}
        assert len(seeds) == 2, alpha
    engine = storage.make_engine(url)
    cells = storage.metric_cells(engine, name)
    assert sorted(set(cells["trial_number"])) == list(range(6))
    # 2 languages: 4 mo/cr cells x 4 metrics + mul/bias/macro rows, per trial.
    per_trial = cells.groupby("trial_number").size()
    assert per_trial.nunique() == 1 and per_trial.iloc[0] > 16
    for t in study.trials:
        macro = cells[(cells.trial_number == t.number) & (cells.setting == "macro")].set_index("metric")["value"]
        assert macro["same_lang_p@k"] == pytest.approx(t.values[0])
        assert macro["xling_map"] == pytest.approx(t.values[1])
    assert not storage.baseline_cells(engine, name, "dev").empty
    assert not storage.baseline_cells(engine, name, "test").empty

    again = run_main("sweep.run", ["--trials", "8", "--storage", url, "--study-name", name, *tiny_args])
    assert again.returncode == 0, again.stderr
    study = _load(url, name)
    assert _states(study) == {TrialState.COMPLETE: 8}
    assert _anchor_count(study) == {0.0: 2, 0.5: 2, 1.0: 2}
    same = run_main("sweep.run", ["--trials", "8", "--storage", url, "--study-name", name, *tiny_args])
    assert same.returncode == 0 and len(_load(url, name).trials) == 8


def test_changed_identity_is_refused(tiny_args: list[str], tmp_path: Path, run_main: CliCall) -> None:
    url = f"sqlite:///{tmp_path / 'sweep.db'}"
    name = unique_study_name()
    assert run_main("sweep.run", ["--trials", "1", "--storage", url, "--study-name", name, *tiny_args]).returncode == 0
    changed = run_main("sweep.run", ["--trials", "2", "--storage", url, "--study-name", name, "--k", "3", *tiny_args])
    assert changed.returncode == 2
    assert changed.stderr.strip().splitlines() == [
        f"error: study '{name}' was created with different k: rerun with the original settings, or start a new study with --study-name"
    ]
    # Nothing was touched: one complete trial, the anchor runs not yet made still queued.
    assert _states(_load(url, name)) == {TrialState.COMPLETE: 1, TrialState.WAITING: 5}
    regime = run_main("sweep.run", ["--trials", "2", "--storage", url, "--study-name", name, "--regime", "full", *tiny_args])
    assert regime.returncode == 2 and len(regime.stderr.strip().splitlines()) == 1
    # The refusal names both ways out: continue in the stored regime, or a new study.
    assert f"made with regime '{CPU_DEFAULT_REGIME}', not 'full'" in regime.stderr
    assert f"add --regime {CPU_DEFAULT_REGIME} to continue it" in regime.stderr and "--study-name" in regime.stderr
    assert _states(_load(url, name)) == {TrialState.COMPLETE: 1, TrialState.WAITING: 5}


def test_identity_change_is_refused_before_the_activation_cache(tiny_args: list[str], xquad_path: Path, tmp_path: Path,
                                                                run_main: CliCall) -> None:
    """Other data or languages are refused (differing keys named) before the run builds anything expensive."""
    import json
    import shutil

    url = f"sqlite:///{tmp_path / 'sweep.db'}"
    name = unique_study_name()
    assert run_main("sweep.run", ["--trials", "1", "--storage", url, "--study-name", name, *tiny_args]).returncode == 0
    other = tmp_path / "other-data"
    other.mkdir()
    shutil.copy(xquad_path / "en.json", other / "en.json")
    doc = json.loads((xquad_path / "de.json").read_text(encoding="utf-8"))
    doc["data"][0]["paragraphs"][0]["qas"][0]["question"] += " (edited)"
    (other / "de.json").write_text(json.dumps(doc), encoding="utf-8")
    for extra, keys in ((["--data", str(other)], "data_fingerprint"), (["--languages", "en,es"], "data_fingerprint, languages")):
        cache = tmp_path / f"cache-{extra[0][2:]}"
        changed = run_main("sweep.run", ["--trials", "2", "--storage", url, "--study-name", name, *tiny_args, *extra,
                                         "--cache-dir", str(cache)])
        assert changed.returncode == 2, changed.stderr
        assert changed.stderr.strip().splitlines() == [
            f"error: study '{name}' was created with different {keys}: rerun with the original settings, or start a new "
            "study with --study-name"
        ]
        assert not (cache / "activations").exists(), "refused after the activation cache was built"
        assert _states(_load(url, name)) == {TrialState.COMPLETE: 1, TrialState.WAITING: 5}


def test_old_default_study_is_not_mixed_with_the_new_default(tiny_args: list[str], tmp_path: Path, run_main: CliCall) -> None:
    """The README command rerun against a sweep.db whose study was made under the old CPU default (proxy)."""
    url = f"sqlite:///{tmp_path / 'sweep.db'}"
    name = unique_study_name()
    assert run_main("sweep.run", ["--trials", "1", "--storage", url, "--study-name", name, "--regime", "proxy",
                                 *tiny_args]).returncode == 0
    rerun = run_main("sweep.run", ["--trials", "2", "--storage", url, "--study-name", name, *tiny_args])
    assert rerun.returncode == 2, rerun.stderr
    assert rerun.stderr.strip().splitlines() == [
        f"error: study '{name}' was made with regime 'proxy', not '{CPU_DEFAULT_REGIME}' (the default regime depends on "
        "the device and changed in this version): add --regime proxy to continue it, or start a new study with "
        "--study-name NAME"
    ]
    assert _states(_load(url, name)) == {TrialState.COMPLETE: 1, TrialState.WAITING: 5}
    resumed = run_main("sweep.run", ["--trials", "2", "--storage", url, "--study-name", name, "--regime", "proxy", *tiny_args])
    assert resumed.returncode == 0, resumed.stderr
    assert _states(_load(url, name)) == {TrialState.COMPLETE: 2, TrialState.WAITING: 4}


def test_study_made_before_regimes_resumes_and_reports_its_device(tiny_args: list[str], tmp_path: Path,
                                                                 run_main: CliCall) -> None:
    import json

    url = f"sqlite:///{tmp_path / 'sweep.db'}"
    name = unique_study_name()
    assert run_main("sweep.run", ["--trials", "1", "--storage", url, "--study-name", name, "--regime", "proxy",
                                 *tiny_args]).returncode == 0
    # Rewrite the stored record as version 1 wrote it: no regime, no regime settings, no train-data fingerprint.
    legacy = ("regime", "warmup_ratio", "lr_schedule", "dropout", "train_path", "precision", "train_data_fingerprint")
    engine = storage.make_engine(url)
    record = storage.get_study_record(engine, name)
    config = {k: v for k, v in record["config"].items() if k not in legacy}
    identity = {k: v for k, v in record["identity"].items() if k not in legacy}
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE sweep_studies SET config_json = ?, identity_json = ? WHERE study_name = ?",
                             (json.dumps(config), json.dumps(identity), name))
    # Read as proxy: the README command (today's CPU default) is refused, naming the way to continue it.
    refused = run_main("sweep.run", ["--trials", "3", "--storage", url, "--study-name", name, *tiny_args])
    assert refused.returncode == 2 and "add --regime proxy to continue it" in refused.stderr
    resumed = run_main("sweep.run", ["--trials", "3", "--storage", url, "--study-name", name, "--regime", "proxy", *tiny_args])
    assert resumed.returncode == 0, resumed.stderr
    assert _states(_load(url, name))[TrialState.COMPLETE] == 3
    # A study trained on a GPU and reported on this CPU says where it trained.
    with engine.begin() as conn:
        stored = json.loads(conn.exec_driver_sql("SELECT config_json FROM sweep_studies WHERE study_name = ?", (name,)).scalar_one())
        conn.exec_driver_sql("UPDATE sweep_studies SET config_json = ? WHERE study_name = ?",
                             (json.dumps({**stored, "device": "cuda"}), name))
    report = run_main("sweep.report", ["--study-name", name, "--storage", url, "--out", str(tmp_path / "r"), "--no-test"])
    assert report.returncode == 0, report.stderr
    summary = (tmp_path / "r" / name / "summary.md").read_text()
    assert "device cuda" in summary and "regime proxy" in summary
