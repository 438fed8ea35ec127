"""The Optuna entry point: a trial's repeats and their spread."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import optuna
import pytest

from objectives.objective import ParamSpec, run_optuna_trial
from objectives.retrieval import objective_values, repeat_std
from objectives.trial import TrialConfig, WorkspacePool


def test_repeat_spread_is_the_sample_sd_confirm_uses(tiny_model_dir: Path, xquad_path: Path, tmp_path: Path) -> None:
    # One definition of the spread of a point's repeats everywhere: the sample sd (ddof 1),
    # as the confirm stage's standard errors and the smoothed answer's noise use.
    config = TrialConfig(model=str(tiny_model_dir), data=str(xquad_path), languages=["en", "de"], regime="proxy", steps=3,
                         batch_size=8, max_length=48, cache_dir=str(tmp_path / "cache"), device="cpu")
    study = optuna.create_study(directions=["maximize", "maximize"], storage=f"sqlite:///{tmp_path / 's.db'}")
    outcome = run_optuna_trial(study.ask(), {"mono_ratio": ParamSpec(0.0, 1.0)}, config, WorkspacePool(progress=False),
                               study_seed=0, repeats=3)
    per_repeat = np.array([objective_values(r.metrics, "mul_map") for r in outcome.results])
    assert len({tuple(row) for row in per_repeat}) > 1, "the repeats must differ for the test to mean anything"
    assert outcome.values == pytest.approx(tuple(per_repeat.mean(axis=0)), abs=1e-12)
    assert repeat_std(per_repeat) == pytest.approx(per_repeat.std(axis=0, ddof=1), abs=1e-12)
    assert repeat_std(per_repeat[:1]).tolist() == [0.0, 0.0]
