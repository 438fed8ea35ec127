"""The knee sampler (sweep.study._knee_sampler): proposals on its grid, one seed one study, repeats with new seeds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import optuna
import pytest
from optuna.trial import TrialState

from objectives.errors import ConfigError
from objectives.objective import replicate_of
from sweep import KneeSampler
from sweep.study._knee_sampler import PROPOSALS
from tests.sweep.conftest import CliCall
from tests.sweep.test_run import _load


def _curves(alpha: float) -> np.ndarray:
    """A knee near 0.75: same-language rises, cross-lingual falls after 0.6."""
    return np.array([0.65 + 0.03 * alpha, 0.50 - 0.2 * max(alpha - 0.6, 0.0) ** 2])


def _run(seed: int, trials: int, low: float = 0.0, high: float = 1.0) -> list[float]:
    rng = np.random.default_rng(0)
    study = optuna.create_study(directions=["maximize", "maximize"], sampler=KneeSampler(seed=seed))
    for replicate in range(2):
        for a in (low, (low + high) / 2, high):
            study.enqueue_trial({"mono_ratio": a}, skip_if_exists=replicate == 0)
    alphas = []
    for _ in range(trials):
        trial = study.ask()
        a = trial.suggest_float("mono_ratio", low, high)
        study.tell(trial, list(_curves(a) + rng.normal(0, 0.004, 2)))
        alphas.append(a)
    return alphas


def test_proposals_lie_on_the_grid_within_bounds_and_gather_at_the_knee() -> None:
    alphas = _run(seed=1, trials=24, low=0.2, high=0.9)
    grid = np.linspace(0.2, 0.9, PROPOSALS)
    proposed = np.array(alphas[6:])
    assert ((proposed >= 0.2) & (proposed <= 0.9)).all()
    assert np.isclose(proposed[:, None], grid[None, :]).any(axis=1).all()
    # Thompson sampling of the knee: most proposals near the true knee (about 0.75), and some α repeat.
    assert np.mean(np.abs(proposed - 0.75) <= 0.15) >= 0.6
    assert len(np.unique(proposed)) < len(proposed)


def test_one_seed_replays_one_study() -> None:
    assert _run(seed=7, trials=12) == _run(seed=7, trials=12)
    assert _run(seed=7, trials=12) != _run(seed=8, trials=12)


def test_other_parameters_are_refused_with_the_way_out() -> None:
    study = optuna.create_study(directions=["maximize", "maximize"], sampler=KneeSampler(seed=0))
    trial = study.ask()
    with pytest.raises(ConfigError, match="mono_ratio only.*--sampler tpe"):
        trial.suggest_float("learning_rate", 1e-5, 1e-4)


def test_a_repeated_alpha_is_the_next_replicate() -> None:
    study = optuna.create_study(directions=["maximize", "maximize"])
    seen = []
    for _ in range(3):
        trial = study.ask()
        trial.suggest_float("mono_ratio", 0.4, 0.4)
        seen.append(replicate_of(trial, dict(trial.params)))
        study.tell(trial, [0.5, 0.5])
    assert seen == [0, 1, 2]
    assert [t.user_attrs.get("replicate", 0) for t in study.trials] == [0, 1, 2]


def test_knee_study_with_two_workers_on_sqlite(tiny_args: list[str], tmp_path: Path, run_main: CliCall) -> None:
    url = f"sqlite:///{tmp_path / 'knee.db'}"
    result = run_main("sweep.run", ["--trials", "9", "--sampler", "knee", "--workers", "2", "--storage", url,
                                    "--study-name", "knee", *tiny_args])
    assert result.returncode == 0, result.stderr
    study = _load(url, "knee")
    done = [t for t in study.trials if t.state == TrialState.COMPLETE]
    assert len(done) == 9
    grid = np.linspace(0, 1, PROPOSALS)
    assert all(np.isclose(t.params["mono_ratio"], grid).any() for t in done)
    # Every run of one α trained with its own seeds: repeats are never replays.
    by_alpha: dict[float, list[optuna.trial.FrozenTrial]] = {}
    for t in done:
        by_alpha.setdefault(t.params["mono_ratio"], []).append(t)
    for runs in by_alpha.values():
        assert len({t.user_attrs.get("replicate", 0) for t in runs}) == len(runs)
