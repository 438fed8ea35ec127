"""Export rules and constraints on a study the tool made, and the YAML round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import optuna
import pytest
import yaml

from objectives import ConfigError
from sweep import load_best_ratio
from sweep.answer import choose_trial, finite_complete, pareto_front
from tests.sweep.conftest import CliCall, run_cli


def _trials(url: str, name: str) -> list[optuna.trial.FrozenTrial]:
    return finite_complete(optuna.load_study(study_name=name, storage=url))


@pytest.mark.parametrize("rule", ["knee", "max-xling", "max-same-lang"])
def test_each_rule_round_trips(rule: str, made_study: tuple[str, str, Path], tmp_path: Path, run_main: CliCall) -> None:
    url, name, _ = made_study
    out = tmp_path / "best.yaml"
    done = run_main("sweep.export", ["--study-name", name, "--storage", url, "--out", str(out), "--rule", rule,
                                    "--answer", "trial"])
    assert done.returncode == 0, done.stderr
    best = load_best_ratio(out)
    trials = _trials(url, name)
    values = np.array([t.values for t in trials])
    chosen = next(t for t in trials if t.number == best.trial)
    assert best.mono_ratio == chosen.params["mono_ratio"] and best.rule == rule
    if rule == "max-xling":
        assert chosen.values[1] == values[:, 1].max()
    if rule == "max-same-lang":
        assert chosen.values[0] == values[:, 0].max()
    if rule == "knee":
        scaled = (values - values.min(0)) / np.where(np.ptp(values, 0) == 0, 1, np.ptp(values, 0))
        dist = np.linalg.norm(1 - scaled, axis=1)
        assert chosen.number == min((d, t.number) for d, t in zip(dist, trials))[1]
    assert {p.trial for p in best.pareto_set} == {t.number for t in pareto_front(trials)}
    assert best.trial in {p.trial for p in best.pareto_set}
    assert best.training_config["steps"] == 6 and "storage" not in best.training_config
    assert best.metric_names == ["same_lang_p@1", "xling_map"]
    assert set(best.baseline) >= {"same_lang_p@k", "xling_map"}
    assert len(best.model_fingerprint) == 64 and len(best.data_fingerprint) == 64
    raw = yaml.safe_load(out.read_text())
    assert raw["mono_ratio"] == best.mono_ratio and "optuna" in raw["packages"]


def test_constraint_filters_first(made_study: tuple[str, str, Path]) -> None:
    url, name, _ = made_study
    trials = _trials(url, name)
    floor = sorted(t.values[0] for t in trials)[-2]
    chosen, front = choose_trial(trials, "max-xling", min_same_lang=floor)
    assert chosen.values[0] >= floor
    assert all(t.values[0] >= floor for t in front)


def test_unmet_constraint_and_empty_study_are_one_line(made_study: tuple[str, str, Path], tmp_path: Path) -> None:
    url, name, _ = made_study
    done = run_cli("sweep.export", ["--study-name", name, "--storage", url, "--out", str(tmp_path / "x.yaml"), "--min-xling", "2"])
    assert done.returncode == 2
    assert done.stderr.startswith("error: no completed trial meets the constraints") and done.stderr.count("\n") == 1
    assert not (tmp_path / "x.yaml").exists()
    empty = optuna.create_study(storage=url, study_name="empty", directions=["maximize", "maximize"])
    with pytest.raises(ConfigError, match="no completed trial"):
        choose_trial(finite_complete(empty), "knee")
    missing = run_cli("sweep.export", ["--study-name", "nope", "--storage", url, "--out", str(tmp_path / "y.yaml")])
    assert missing.returncode == 2 and "no study named 'nope'" in missing.stderr


@pytest.mark.parametrize("where", ["an existing folder", "in a read-only folder", "under a file"])
def test_an_unwritable_out_is_refused_before_choosing(where: str, made_study: tuple[str, str, Path], tmp_path: Path,
                                                      read_only_dir: Path, run_main: CliCall) -> None:
    url, name, _ = made_study
    out = {"an existing folder": tmp_path / "best.yaml", "in a read-only folder": read_only_dir / "best.yaml",
           "under a file": tmp_path / "file" / "best.yaml"}[where]
    (tmp_path / "best.yaml").mkdir()
    (tmp_path / "file").write_text("not a folder")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    done = run_main("sweep.export", ["--study-name", name, "--storage", url, "--out", str(out)])
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot write --out {out}: "), done.stderr
    assert done.stdout == ""
    assert sorted(p.name for p in tmp_path.rglob("*")) == before, "no .tmp file, no folder left behind"


def test_load_rejects_foreign_yaml(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("mono_ratio: 2.0\n")
    with pytest.raises(ConfigError, match="not a sweep export"):
        load_best_ratio(bad)
    evil = tmp_path / "evil.yaml"
    evil.write_text("!!python/object/apply:os.system ['true']\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_best_ratio(evil)
