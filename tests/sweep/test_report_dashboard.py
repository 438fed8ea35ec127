"""Report files, dashboard artifacts and the dashboard's WSGI API on a study the tool made."""

from __future__ import annotations

import io
import json
import shlex
import socket
import sqlite3
from pathlib import Path

import optuna
import pandas as pd
import pytest

import storage
from sweep._config import SweepConfig, config_from_record, load_config
from tests.sweep.conftest import CliCall, run_cli


def _wsgi_get(app, path: str) -> tuple[str, bytes]:  # type: ignore[no-untyped-def]
    status: list[str] = []
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
               "SERVER_PORT": "80", "wsgi.input": io.BytesIO(), "wsgi.url_scheme": "http", "wsgi.errors": io.StringIO()}
    body = b"".join(app(environ, lambda s, h, e=None: status.append(s)))
    return status[0], body


def _rerun_config(command: str) -> tuple[SweepConfig, list[str]]:
    """The config the reproduce command's ``sweep.run`` part makes, and its ``sweep.report`` arguments."""
    from sweep.run import _overrides, build_parser

    run, report = command.split(" && ")
    words = shlex.split(run)
    assert words[:3] == ["python", "-m", "sweep.run"] and shlex.split(report)[:3] == ["python", "-m", "sweep.report"]
    return load_config(None, _overrides(build_parser().parse_args(words[3:]))), shlex.split(report)[3:]


def test_reproduce_command_remakes_the_study(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    cfg = SweepConfig(storage=url, study_name="s", regime="proxy", steps=7, data=str(tmp_path / "my data"),
                      languages=["en", "de"], search_space={"mono_ratio": {"low": 0.1, "high": 0.9}}, dropout=True,
                      device="cpu", trials=12)
    from sweep.report import reproduce_command

    again, report_args = _rerun_config(reproduce_command(cfg))
    assert again.identity() == cfg.identity()
    assert (again.storage, again.study_name, again.trials, again.data) == (url, "s", 12, cfg.data)
    assert report_args == ["--study-name", "s", "--storage", url]


def test_report_writes_every_file_and_attaches_images(made_study: tuple[str, str, Path], tmp_path: Path) -> None:
    url, name, _ = made_study
    done = run_cli("sweep.report", ["--study-name", name, "--storage", url, "--out", str(tmp_path)])
    assert done.returncode == 0, done.stderr
    folder = tmp_path / name
    for file in ("pareto_front.png", "metrics_vs_alpha.png", "language_bias_vs_alpha.png", "xling_heatmap_delta.png",
                 "trials.csv", "summary.md", "pareto_test.csv"):
        assert (folder / file).stat().st_size > 0, file
        if file.endswith(".png"):
            assert (folder / file).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    study = optuna.load_study(study_name=name, storage=url)
    trials = pd.read_csv(folder / "trials.csv")
    # 5 of the 6 anchor runs completed; the last one is still queued.
    assert len(trials) == 5 and set(trials["number"]) == {t.number for t in study.trials if t.state.name == "COMPLETE"}
    summary = (folder / "summary.md").read_text()
    # The reproduce command remakes this study: same identity, storage, data and trials.
    command = summary.split("Reproduce:")[1].split("```")[1].strip()
    again, _ = _rerun_config(command)
    stored = config_from_record(storage.get_study_record(storage.make_engine(url), name)["config"], storage=url)
    assert again.identity() == stored.identity()
    assert (again.storage, again.data, again.trials) == (url, stored.data, stored.trials)
    assert "**Trial-based answer: mono_ratio α =" in summary and "zero-shot" in summary and "Held-out test split" in summary
    # Anchors with two seeds each measure the noise: the first line is the smoothed answer with its interval.
    assert summary.splitlines()[2].startswith("> **Answer: α = ") and "90 % interval" in summary.splitlines()[2]
    for file in ("curve_1_vs_alpha.png", "curve_2_vs_alpha.png"):
        assert (folder / file).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", file
    test = pd.read_csv(folder / "pareto_test.csv")
    front = {t.number for t in study.best_trials}
    assert set(test["trial"]) == front
    # Test numbers are a different split from the dev numbers the search used.
    assert not test["test_obj2"].equals(test["dev_obj2"])

    from sweep.dashboard import make_app

    app = make_app(url, name)
    status, body = _wsgi_get(app, "/api/studies")
    assert status.startswith("200")
    study_id = next(s["study_id"] for s in json.loads(body)["study_summaries"] if s["study_name"] == name)
    status, body = _wsgi_get(app, f"/api/studies/{study_id}")
    detail = json.loads(body)
    assert detail["objective_names"] == ["same_lang_p@1", "xling_map"]
    artifact_names = {a["filename"] for a in detail["artifacts"]}
    assert {"pareto_front.png", "metrics_vs_alpha.png"} <= artifact_names
    artifact = next(a for a in detail["artifacts"] if a["filename"] == "pareto_front.png")
    status, body = _wsgi_get(app, f"/artifacts/{study_id}/{artifact['artifact_id']}")
    assert status.startswith("200") and body[:4] == b"\x89PNG"


def test_dashboard_opens_plain_optuna_dashboard_view(made_study: tuple[str, str, Path]) -> None:
    """``optuna-dashboard sqlite:///...`` (no helper) shows the metric names too."""
    url, name, _ = made_study
    from optuna_dashboard import wsgi

    app = wsgi(url)
    studies = json.loads(_wsgi_get(app, "/api/studies")[1])["study_summaries"]
    study_id = next(s["study_id"] for s in studies if s["study_name"] == name)
    assert json.loads(_wsgi_get(app, f"/api/studies/{study_id}")[1])["objective_names"] == ["same_lang_p@1", "xling_map"]


@pytest.mark.parametrize("where", ["out is a file", "the study's folder is a file", "in a read-only folder"])
def test_an_unwritable_report_folder_is_refused_before_computing(where: str, made_study: tuple[str, str, Path], tmp_path: Path,
                                                                  read_only_dir: Path, run_main: CliCall) -> None:
    url, name, _ = made_study
    (tmp_path / "file").write_text("not a folder")
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / name).write_text("not a folder")
    out = {"out is a file": tmp_path / "file", "the study's folder is a file": tmp_path / "reports",
           "in a read-only folder": read_only_dir / "reports"}[where]
    before = sorted(p.name for p in tmp_path.rglob("*"))
    done = run_main("sweep.report", ["--study-name", name, "--storage", url, "--out", str(out), "--no-test"])
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot write --out {out / name}: "), done.stderr
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def _empty_study(tmp_path: Path) -> tuple[str, Path]:
    db = tmp_path / "sweep.db"
    optuna.create_study(storage=f"sqlite:///{db}", study_name="s", directions=["maximize", "maximize"])
    return f"sqlite:///{db}", db


def _tables(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return sorted(r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))


@pytest.mark.parametrize(("flags", "message"), [
    (["--port", "99999"], "--port 99999 is not a port: pass one from 1 to 65535, e.g. --port 8080"),
    (["--host", "no.such.host.invalid"], "cannot serve on --host no.such.host.invalid: no such host or address"),
])
def test_dashboard_bad_port_or_host_is_one_line(flags: list[str], message: str, tmp_path: Path, run_main: CliCall) -> None:
    url, db = _empty_study(tmp_path)
    tables = _tables(db)
    done = run_main("sweep.dashboard", ["--storage", url, "--study-name", "s", *flags])
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {message}"), done.stderr
    assert done.stdout == "" and _tables(db) == tables and not (tmp_path / "sweep-artifacts").exists()


def test_dashboard_on_a_port_in_use_is_one_line(tmp_path: Path, run_main: CliCall) -> None:
    url, db = _empty_study(tmp_path)
    tables = _tables(db)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_main("sweep.dashboard", ["--storage", url, "--study-name", "s", "--host", "127.0.0.1", "--port", str(port)])
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"error: cannot serve on 127.0.0.1 port {port}: "), lines[0]
    assert "in use" in lines[0] and "pass another --port" in lines[0], lines[0]
    assert done.stdout == "" and _tables(db) == tables and not (tmp_path / "sweep-artifacts").exists()
