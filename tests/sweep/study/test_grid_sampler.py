"""``--sampler grid``: anchors and top-ups continue one coarse-to-fine grid, every point once."""

from __future__ import annotations

from pathlib import Path

import optuna

import storage
from sweep._config import SweepConfig
from sweep.study._study import make_rdb_storage, make_sampler, open_study


def _run(cfg: SweepConfig, worker: int) -> optuna.Study:
    """The runner's admission in miniature: open (anchors enqueued on creation), then ask until ``cfg.trials``."""
    engine = storage.make_engine(cfg.storage)
    storage.ensure_schema(engine)
    provenance = {"model_fingerprint": "m", "data_fingerprint": "d", "code_version": "c", "packages": {}}
    study = open_study(cfg, make_rdb_storage(cfg), engine, cfg.identity(), provenance)
    study.sampler = make_sampler(cfg, worker)
    while sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials) < cfg.trials:
        trial = study.ask()
        alpha = trial.suggest_float("mono_ratio", 0.0, 1.0)
        study.tell(trial, [alpha, 1.0 - alpha])
    engine.dispose()
    return study


def _sampled(study: optuna.Study) -> list[float]:
    return [t.params["mono_ratio"] for t in study.trials if not t.user_attrs.get("anchor")]


def test_grid_runs_every_point_once_around_the_anchors_and_a_top_up_continues_it(tmp_path: Path) -> None:
    cfg = SweepConfig(sampler="grid", trials=12, storage=f"sqlite:///{tmp_path / 'grid.db'}", study_name="g")
    study = _run(cfg, worker=0)
    anchors = [t.params["mono_ratio"] for t in study.trials if t.user_attrs.get("anchor")]
    assert sorted(anchors) == [0.0, 0.0, 0.5, 0.5, 1.0, 1.0]
    # 6 anchor trials, then the quarter and eighth points, which the anchors' 0, 0.5, 1 leave open.
    assert sorted(_sampled(study)) == [0.125, 0.25, 0.375, 0.625, 0.75, 0.875]
    # A top-up (another worker, a larger --trials) continues with the sixteenths: no value twice.
    study = _run(cfg.model_copy(update={"trials": 20}), worker=1)
    assert sorted(_sampled(study)[6:]) == [j / 16 for j in range(1, 16, 2)]
    assert len(set(_sampled(study))) == len(_sampled(study))
