"""The confirm stage: fixed points with several seeds, exact counts, resume, identity, export."""

from __future__ import annotations

import json
import shutil
import signal
import time
from pathlib import Path

import optuna
import pytest
import yaml
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState, create_trial

import storage
from objectives.regimes import CPU_DEFAULT_REGIME
from sweep.answer._confirm import ConfirmedPoint, confirm_study_name, indistinguishable, verdict
from tests.storage_backends import unique_study_name
from tests.sweep.conftest import CliCall, run_cli, tiny_cli_args
from tests.sweep.test_report_dashboard import _wsgi_get

HEARTBEAT = "heartbeat_interval: 1\ngrace_period: 3\n"


@pytest.fixture(scope="module")
def searched(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path, xquad_path: Path,
             sweep_cache: Path) -> tuple[Path, str]:
    """One small search study made by the CLI (anchors 0, 0.5, 1 plus one sampled trial).

    Made once, by a process of its own: it exits, so its SQLite file is whole (no open WAL)
    when every test copies it to confirm (:func:`search_copy`).
    """
    folder = tmp_path_factory.mktemp("confirm-search")
    name = unique_study_name("search")
    config = folder / "hb.yaml"
    config.write_text(HEARTBEAT)
    args = ["--trials", "4", "--storage", f"sqlite:///{folder / 'sweep.db'}", "--study-name", name, "--config",
            str(config), "--learning-rate", "1e-3", "--anchor-seeds", "1", *tiny_cli_args(tiny_model_dir, xquad_path, sweep_cache)]
    done = run_cli("sweep.run", args, cwd=folder)
    assert done.returncode == 0, done.stderr
    return folder, name


@pytest.fixture
def search_copy(searched: tuple[Path, str], tmp_path: Path) -> tuple[str, str]:
    """This test's copy of the search study: its SQLite file and the trial weights beside it."""
    folder, name = searched
    shutil.copy(folder / "sweep.db", tmp_path / "sweep.db")
    shutil.copytree(folder / "sweep-artifacts", tmp_path / "sweep-artifacts")
    return f"sqlite:///{tmp_path / 'sweep.db'}", name


def _confirm_args(url: str, name: str, tiny_args: list[str], *extra: str) -> list[str]:
    cache = tiny_args[tiny_args.index("--cache-dir") + 1]
    return ["--study-name", name, "--storage", url, "--cache-dir", cache, "--device", "cpu", "--quiet", "--threads", "1", *extra]


def _points_done(url: str, name: str) -> tuple[optuna.Study, list[optuna.trial.FrozenTrial]]:
    confirm = optuna.load_study(study_name=confirm_study_name(name), storage=url)
    return confirm, [t for t in confirm.get_trials(deepcopy=False) if t.state == TrialState.COMPLETE]


def test_confirm_reruns_front_knee_and_anchors_and_export_reads_it(tiny_args: list[str], tmp_path: Path,
                                                                   search_copy: tuple[str, str], run_main: CliCall) -> None:
    url, name = search_copy
    done = run_cli("sweep.confirm", _confirm_args(url, name, tiny_args, "--repeats", "2"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    search = optuna.load_study(study_name=name, storage=url)
    confirm, complete = _points_done(url, name)
    alphas = sorted(t.params["mono_ratio"] for t in complete)
    # Every anchor and every Pareto trial of the search is a point, each run exactly once.
    front = {round(t.params["mono_ratio"], 12) for t in search.best_trials}
    assert front | {0.0, 0.5, 1.0} == {round(a, 12) for a in alphas}
    assert len(alphas) == len(set(alphas)) == len(confirm.get_trials(deepcopy=False))
    assert sum("knee" in t.user_attrs["kinds"] for t in complete) == 1
    for t in complete:
        reps = t.user_attrs["repeat_values"]
        assert len(reps) == 2 and reps[0] != reps[1], "two different seeds per point"
        assert t.values[0] == pytest.approx((reps[0][0] + reps[1][0]) / 2)
    # Fresh seeds: repeat 0 does not replay the search trial of the same alpha.
    by_alpha = {t.params["mono_ratio"]: t for t in search.trials if t.state == TrialState.COMPLETE}
    assert all(t.user_attrs["repeat_values"][0] != list(by_alpha[t.params["mono_ratio"]].values) for t in complete)
    # Same storage, same metric names: optuna-dashboard lists it beside the search study.
    assert confirm.metric_names == search.metric_names
    engine = storage.make_engine(url)
    record = storage.get_study_record(engine, confirm.study_name)
    assert record is not None and record["config"]["confirms"] == name
    # Same encoder, same path: the confirm study carries the search's zero-shot baseline.
    for split in ("dev", "test"):
        mine, theirs = storage.baseline_cells(engine, confirm.study_name, split), storage.baseline_cells(engine, name, split)
        assert len(mine) > 0 and mine.drop(columns="split").equals(theirs.drop(columns="split"))
    assert confirm.user_attrs["baseline_dev"] == search.user_attrs["baseline_dev"]

    out = tmp_path / "best.yaml"
    exported = run_main("sweep.export", ["--study-name", name, "--storage", url, "--out", str(out), "--answer", "trial"])
    assert exported.returncode == 0, exported.stderr
    data = yaml.safe_load(out.read_text())
    assert data["source"] == "confirm" and data["answer"] == "trial"
    conf = data["confirmation"]
    assert conf["repeats"] == 2 and conf["regime"] == CPU_DEFAULT_REGIME and conf["device"] == "cpu"
    assert len(conf["points"]) == len(complete)
    assert all(p["same_lang_std"] >= 0 and p["xling_std"] >= 0 and p["repeats"] == 2 for p in conf["points"])
    assert any(p["xling_std"] > 0 for p in conf["points"]), "two seeds give two numbers somewhere"
    # The exported objectives are the chosen point's means over its seeds, not its first seed's.
    picked = next(p for p in conf["points"] if p["trial"] == data["trial"])
    assert data["metrics"]["same_lang_p@1"] == pytest.approx(picked["same_lang_mean"])
    assert data["metrics"]["xling_map"] == pytest.approx(picked["xling_mean"])
    knee = next(p for p in conf["points"] if "knee" in p["kinds"])
    assert conf["search_knee_alpha"] == knee["mono_ratio"]
    assert conf["search_knee_holds"] == (knee["mono_ratio"] in conf["indistinguishable_alphas"])
    assert ("HOLDS" if conf["search_knee_holds"] else "OVERTURNED") in conf["verdict"]
    searched = run_main("sweep.export", ["--study-name", name, "--storage", url, "--out", str(out), "--source", "search"])
    assert searched.returncode == 0, searched.stderr
    assert yaml.safe_load(out.read_text())["source"] == "search"

    report = run_main("sweep.report", ["--study-name", name, "--storage", url, "--out", str(tmp_path / "reports")], cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    folder = tmp_path / "reports" / name
    head = "\n".join((folder / "summary.md").read_text().splitlines()[:6])
    assert f"Confirmed answer: α = {data['mono_ratio']:.3f}" in head
    # The confirm study's repeats measure the noise, so search + confirm carry the smoothed answer.
    smoothed = run_main("sweep.export", ["--study-name", name, "--storage", url, "--out", str(out), "--answer", "smoothed"])
    assert smoothed.returncode == 0, smoothed.stderr
    best = yaml.safe_load(out.read_text())
    assert best["answer"] == "smoothed" and best["smoothed"]["runs_from"] == "search + confirm"
    lo, hi = best["interval"]
    assert 0.0 <= lo <= best["smoothed"]["median"] <= hi <= 1.0 and best["smoothed"]["noise_dof"] > 0
    assert best["trial_answer"]["mono_ratio"] == data["mono_ratio"]
    first = (folder / "summary.md").read_text().splitlines()[2]
    assert "Answer: α = " in first and "90 % interval" in first
    # Without --answer the file holds the smoothed answer (the default since issue 25); with --answer
    # trial it holds the trial-based one and still carries the smoothed one.
    default = run_main("sweep.export", ["--study-name", name, "--storage", url, "--out", str(out)])
    assert default.returncode == 0 and "trial-based answer: mono_ratio" in default.stdout
    assert yaml.safe_load(out.read_text()) | {"exported_at": None} == best | {"exported_at": None}
    trial = run_main("sweep.export", ["--study-name", name, "--storage", url, "--out", str(out), "--answer", "trial"])
    assert trial.returncode == 0 and "--answer smoothed makes it the answer" in trial.stdout
    plain = yaml.safe_load(out.read_text())
    assert plain["answer"] == "trial" and plain["mono_ratio"] == data["mono_ratio"] and plain["interval"] is None
    assert plain["smoothed"]["interval"] == best["interval"]
    assert "HOLDS" in head or "OVERTURNED" in head
    confirmed = (folder / "confirmed_points.csv").read_text().splitlines()
    assert len(confirmed) == 1 + len(complete)
    assert len((folder / "confirmed_test.csv").read_text().splitlines()) == 1 + len(complete)

    # optuna-dashboard on the storage lists the confirm study beside the search study, objectives named.
    from optuna_dashboard import wsgi

    app = wsgi(url)
    studies = {s["study_name"]: s["study_id"] for s in json.loads(_wsgi_get(app, "/api/studies")[1])["study_summaries"]}
    assert {name, confirm.study_name} <= set(studies)
    for study_name in (name, confirm.study_name):
        detail = json.loads(_wsgi_get(app, f"/api/studies/{studies[study_name]}")[1])
        assert detail["objective_names"] == ["same_lang_p@1", "xling_map"]


def test_confirm_resumes_after_sigkill_with_exact_counts(tiny_args: list[str], tmp_path: Path,
                                                        search_copy: tuple[str, str], run_main: CliCall) -> None:
    url, name = search_copy
    args = _confirm_args(url, name, tiny_args, "--repeats", "2")
    killed = run_cli("sweep.confirm", args, env={"SWEEP_FAULT": "during-train:3"}, cwd=tmp_path)
    assert killed.returncode == -signal.SIGKILL
    # A half-done confirmation is no answer: export falls back to the search and says so.
    out = tmp_path / "best.yaml"
    early = run_main("sweep.export", ["--study-name", name, "--storage", url, "--out", str(out)])
    assert early.returncode == 0, early.stderr
    assert yaml.safe_load(out.read_text())["source"] == "search" and "points done" in early.stdout
    forced = run_cli("sweep.export", ["--study-name", name, "--storage", url, "--out", str(out), "--source", "confirm"])
    assert forced.returncode == 2 and "points done" in forced.stderr and len(forced.stderr.strip().splitlines()) == 1
    time.sleep(4)  # past the grace period: the dead worker's trial is stale
    rerun = run_main("sweep.confirm", args, cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    confirm, complete = _points_done(url, name)
    points = [t.user_attrs["point"] for t in complete]
    assert sorted(points) == list(range(len(points))), "each point COMPLETE exactly once"
    assert not [t for t in confirm.get_trials(deepcopy=False) if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    cells = storage.metric_cells(storage.make_engine(url), confirm.study_name, split="dev")
    assert set(cells.trial_number) == {t.number for t in complete}
    assert set(cells.repeat) == {0, 1}
    again = run_main("sweep.confirm", args, cwd=tmp_path)  # complete: a rerun adds nothing
    assert again.returncode == 0, again.stderr
    assert len(_points_done(url, name)[1]) == len(complete)


def test_confirm_refuses_changed_identity_and_bad_input(tiny_args: list[str], tmp_path: Path,
                                                        search_copy: tuple[str, str], run_main: CliCall) -> None:
    url, name = search_copy
    first = run_main("sweep.confirm", _confirm_args(url, name, tiny_args, "--repeats", "2"), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    for extra, word in ((["--repeats", "3"], "repeats"), (["--regime", "full"], "regime")):
        changed = run_main("sweep.confirm", _confirm_args(url, name, tiny_args, *extra), cwd=tmp_path)
        assert changed.returncode == 2, changed.stderr
        lines = changed.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and word in lines[0], changed.stderr
    confirm, complete = _points_done(url, name)
    assert all(len(t.user_attrs["repeat_values"]) == 2 for t in complete), "a refused run touches nothing"
    missing_db = tmp_path / "elsewhere.db"
    for args, message in ((["--study-name", "nope", "--storage", url], "no xling-sweep study named 'nope'"),
                          (["--study-name", name, "--storage", f"sqlite:///{missing_db}"], f"no database file {missing_db}"),
                          (["--study-name", name, "--storage", url, "--repeats", "1"], "--repeats must be at least 2"),
                          (["--study-name", name, "--storage", url, "--regime", "fast"], "unknown regime 'fast'"),
                          (["--study-name", confirm.study_name, "--storage", url], "is itself a confirm study")):
        bad = run_main("sweep.confirm", [*args, "--quiet"], cwd=tmp_path)
        assert bad.returncode == 2, bad.stderr
        lines = bad.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], bad.stderr
    assert not missing_db.exists(), "a wrong storage is never created"


def _unlink(url: str) -> None:
    """Make the confirm studies look as they did before the link to their search study was recorded."""
    engine = storage.make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM study_user_attributes WHERE key = 'confirms_study_id'")
    engine.dispose()


def test_a_deleted_search_studys_confirm_study_is_not_its_successors(tiny_args: list[str], tmp_path: Path,
                                                                    search_copy: tuple[str, str], run_main: CliCall) -> None:
    """``optuna delete-study`` of a search leaves its confirm study; a new search of that name must not inherit it."""
    url, name = search_copy
    args = _confirm_args(url, name, tiny_args, "--repeats", "2", "--top", "1")
    assert run_main("sweep.confirm", args, cwd=tmp_path).returncode == 0
    search, confirm = (optuna.load_study(study_name=n, storage=url) for n in (name, confirm_study_name(name)))
    assert confirm.user_attrs["confirms_study_id"] == search._study_id
    out = tmp_path / "best.yaml"

    def export(*extra: str) -> tuple[object, dict]:
        done = run_main("sweep.export", ["--study-name", name, "--storage", url, "--out", str(out), "--answer", "trial",
                                         *extra])
        return done, (yaml.safe_load(out.read_text()) if done.returncode == 0 else {})

    assert export()[1]["source"] == "confirm"
    _unlink(url)  # a confirm study made before this version: still its search's
    assert export()[1]["source"] == "confirm"
    confirm.set_user_attr("confirms_study_id", search._study_id)

    optuna.delete_study(study_name=name, storage=url)
    orphan = run_main("sweep.confirm", args, cwd=tmp_path)
    assert orphan.returncode == 2 and orphan.stderr.strip().splitlines() == [
        f"error: no xling-sweep study named {name!r} in {url}: run python -m sweep.run first, or check --study-name/--storage"]

    remade = run_main("sweep.run", ["--trials", "1", "--storage", url, "--study-name", name, "--anchor-seeds", "1",
                                    "--learning-rate", "1e-3", *tiny_args])
    assert remade.returncode == 0, remade.stderr
    for unlinked in (False, True):  # the recorded link, and for older confirm studies their age
        if unlinked:
            _unlink(url)
        done, data = export()
        assert done.returncode == 0, done.stderr
        assert data["source"] == "search" and data["confirmation"] is None
        notes = [line for line in done.stdout.splitlines() if confirm_study_name(name) in line]
        assert len(notes) == 1 and notes[0].startswith("note: ") and "earlier study" in notes[0], done.stdout
        forced = run_main("sweep.export", ["--study-name", name, "--storage", url, "--out", str(out), "--source", "confirm"])
        assert forced.returncode == 2 and len(forced.stderr.strip().splitlines()) == 1 and "earlier study" in forced.stderr
        refused = run_main("sweep.confirm", args, cwd=tmp_path)
        assert refused.returncode == 2, refused.stderr
        line, = refused.stderr.strip().splitlines()
        assert line.startswith("error: ") and "earlier study" in line
        assert f"optuna delete-study --study-name {confirm_study_name(name)} --storage {url}" in line
    report = run_main("sweep.report", ["--study-name", name, "--storage", url, "--out", str(tmp_path / "reports"), "--no-test"],
                      cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    summary = (tmp_path / "reports" / name / "summary.md").read_text()
    assert "earlier study" in summary and "Confirmed answer" not in summary
    assert len(_points_done(url, name)[1]) > 0, "the old confirm study is left as it was"


def _point(trial: int, alpha: float, means: tuple[float, float], sems: tuple[float, float]) -> ConfirmedPoint:
    return ConfirmedPoint(trial=trial, params={"mono_ratio": alpha}, kinds=[], source_trials=[], means=means,
                          stds=(sems[0] * 3 ** 0.5, sems[1] * 3 ** 0.5), sems=sems, repeats=3)


def test_indistinguishable_rule_on_constructed_numbers() -> None:
    chosen = _point(0, 0.5, (0.700, 0.500), (0.003, 0.004))
    # Gap 0.008 on objective 1 against 2 * sqrt(0.003² + 0.003²) = 0.0085: within.
    assert indistinguishable(chosen, _point(1, 0.6, (0.692, 0.495), (0.003, 0.004)))
    # Gap 0.009 > 0.0085 on objective 1 alone is enough to tell them apart.
    assert not indistinguishable(chosen, _point(2, 0.7, (0.691, 0.500), (0.003, 0.004)))
    # Objective 2: gap 0.012 against 2 * sqrt(0.004² + 0.004²) = 0.0113.
    assert not indistinguishable(chosen, _point(3, 0.8, (0.700, 0.512), (0.003, 0.004)))
    # With one repeat (no spread measured) only identical means are indistinguishable.
    assert not indistinguishable(_point(4, 0.1, (0.7, 0.5), (0.0, 0.0)), _point(5, 0.2, (0.7001, 0.5), (0.0, 0.0)))
    assert indistinguishable(chosen, chosen)


def _confirm_study(points: list[tuple[float, list[list[float]], list[str]]]) -> optuna.Study:
    """A real (in-memory) Optuna study holding confirm trials with per-repeat values."""
    study = optuna.create_study(directions=["maximize", "maximize"])
    for alpha, reps, kinds in points:
        means = [sum(r[j] for r in reps) / len(reps) for j in range(2)]
        study.add_trial(create_trial(params={"mono_ratio": alpha}, distributions={"mono_ratio": FloatDistribution(0, 1)},
                                     values=means, user_attrs={"repeat_values": reps, "kinds": kinds}))
    return study


def test_verdict_says_whether_the_search_knee_holds() -> None:
    noisy = [[0.700, 0.55], [0.690, 0.54], [0.710, 0.56]]  # std 0.01: wide error bars
    holds = _confirm_study([(0.0, [[0.66, 0.57], [0.661, 0.571], [0.659, 0.569]], ["anchor"]),
                            (0.1, noisy, ["knee", "pareto"]),
                            (0.2, [[0.702, 0.552], [0.692, 0.542], [0.712, 0.562]], ["pareto"]),
                            (1.0, [[0.72, 0.40], [0.721, 0.401], [0.719, 0.399]], ["anchor"])])
    v = verdict(holds)
    assert v.holds is True and v.search_knee is not None and v.search_knee.mono_ratio == 0.1
    assert "HOLDS" in v.sentence
    # The knee's neighbours within 2 standard errors are reported with it.
    assert {p.mono_ratio for p in v.tied} >= {0.1, 0.2} and 0.0 not in {p.mono_ratio for p in v.tied}
    tight = [[0.60, 0.50], [0.601, 0.501], [0.599, 0.499]]
    overturned = _confirm_study([(0.05, tight, ["knee", "pareto"]),
                                 (0.75, [[0.68, 0.56], [0.681, 0.561], [0.679, 0.559]], ["anchor"])])
    v = verdict(overturned)
    assert v.holds is False and v.chosen.mono_ratio == 0.75 and "OVERTURNED" in v.sentence


def test_a_confirm_study_points_its_warning_at_the_search_study() -> None:
    """A proxy confirm's summary says how to confirm again on a GPU: by naming the search, not itself."""
    from sweep._config import FixedPoint, SweepConfig
    from sweep.answer._fidelity import confirm_command, regime_warning

    points = [FixedPoint(params={"mono_ratio": 0.0}, kinds=["anchor"], source_trials=[])]
    cfg = SweepConfig(device="cpu", study_name="s-confirm", confirms="s", fixed_points=points, anchors=[], trials=1,
                      regime="proxy")
    assert confirm_command(cfg).startswith("python -m sweep.confirm --study-name s --storage ")
    warning = regime_warning(cfg)
    assert warning is not None and warning.endswith("--study-name s --storage sqlite:///sweep.db --regime full --device cuda")
    search = SweepConfig(device="cpu", study_name="s")
    assert "--study-name s " in confirm_command(search)
    # The CPU default is faithful by its record: no warning, one fidelity line naming the same command.
    from sweep.answer._fidelity import regime_fidelity

    default = SweepConfig(device="cpu", study_name="s-confirm", confirms="s", fixed_points=points, anchors=[], trials=1)
    note = regime_fidelity(default)
    assert regime_warning(default) is None and note is not None and note.startswith("Fidelity: regime ")
    assert "XQuAD-R dev, default encoder" in note and note.endswith("--study-name s --storage sqlite:///sweep.db --regime full "
                                                                     "--device cuda")


def _search_study() -> optuna.Study:
    """A single-seed search whose knee, max-xling and max-same-lang trials are three different non-anchor alphas."""
    study = optuna.create_study(directions=["maximize", "maximize"])
    rows = [(0.0, 0.600, 0.580, True), (0.1, 0.620, 0.590, False), (0.3, 0.675, 0.565, False), (0.5, 0.640, 0.520, True),
            (0.7, 0.720, 0.500, False), (0.85, 0.700, 0.470, False), (1.0, 0.710, 0.400, True)]
    for alpha, same_lang, xling, anchor in rows:
        study.add_trial(create_trial(params={"mono_ratio": alpha}, distributions={"mono_ratio": FloatDistribution(0, 1)},
                                     values=[same_lang, xling], user_attrs={"anchor": True} if anchor else {}))
    return study


@pytest.mark.parametrize(("rule", "min_xling"), [("max-xling", None), ("max-same-lang", None), ("knee", 0.57)])
def test_confirm_points_follow_the_export_rule(rule: str, min_xling: float | None) -> None:
    from sweep._config import SweepConfig
    from sweep.answer import choose_trial, confirm_points, finite_complete, smoothed_answer

    study = _search_study()
    cfg = SweepConfig(device="cpu", study_name="s")
    exported, _ = choose_trial(finite_complete(study), rule, min_xling)  # what sweep.export --rule picks
    knee, _ = choose_trial(finite_complete(study), "knee")
    assert exported.params != knee.params, "the case must tell the rules apart"
    points = confirm_points(study, cfg, 1, rule=rule, min_xling=min_xling)
    chosen = [p for p in points if rule in p.kinds]
    assert [p.params for p in chosen] == [exported.params] and chosen[0].source_trials == [exported.number]
    # --top 1: the front point nearest the rule's choice is the choice itself.
    assert [p.params for p in points if "pareto" in p.kinds] == [exported.params]
    if rule != "knee":
        assert not [p for p in points if "knee" in p.kinds or p.params == knee.params]
    # The smoothed answer it confirms is the one sweep.export --rule ... --answer smoothed writes.
    smooth, _, _ = smoothed_answer(study, None, same_settings=False, rule=rule, min_xling=min_xling, bounds=(0.0, 1.0))
    assert smooth is not None
    assert [p.params["mono_ratio"] for p in points if "smoothed" in p.kinds] == [round(smooth.mono_ratio, 4)]


def test_confirm_with_a_rule_confirms_what_export_exports(tiny_args: list[str], tmp_path: Path,
                                                          search_copy: tuple[str, str], run_main: CliCall) -> None:
    url, name = search_copy
    out = tmp_path / "best.yaml"
    rule = ["--rule", "max-same-lang"]
    searched = run_main("sweep.export", ["--study-name", name, "--storage", url, "--out", str(out), "--source", "search",
                                         "--answer", "trial", *rule])
    assert searched.returncode == 0, searched.stderr
    alpha = yaml.safe_load(out.read_text())["mono_ratio"]
    done = run_main("sweep.confirm", _confirm_args(url, name, tiny_args, "--repeats", "2", "--top", "1", *rule), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    _, complete = _points_done(url, name)
    assert [t.params["mono_ratio"] for t in complete if "max-same-lang" in t.user_attrs["kinds"]] == [alpha]
    assert [t.params["mono_ratio"] for t in complete if "pareto" in t.user_attrs["kinds"]] == [alpha]
    exported = run_main("sweep.export", ["--study-name", name, "--storage", url, "--out", str(out), "--answer", "trial", *rule])
    assert exported.returncode == 0, exported.stderr
    conf = yaml.safe_load(out.read_text())["confirmation"]
    assert conf["search_knee_alpha"] == alpha and ("HOLDS" in conf["verdict"] or "OVERTURNED" in conf["verdict"])
    assert "max-same-lang" in conf["verdict"]
    # Another rule is another set of points: refused like any other change of the points.
    other = run_main("sweep.confirm", _confirm_args(url, name, tiny_args, "--repeats", "2", "--top", "1"), cwd=tmp_path)
    assert other.returncode == 2, other.stderr
    lines = other.stderr.strip().splitlines()
    assert len(lines) == 1 and "fixed_points" in lines[0] and "--rule" in lines[0], other.stderr
