"""``--dry-run``: an estimate from the real data and the regime's recipe, and nothing written."""

from __future__ import annotations

import re
from pathlib import Path

from objectives.regimes import CPU_DEFAULT_REGIME
from sweep._config import SweepConfig
from sweep.study import estimate
from tests.storage_backends import unique_study_name
from tests.sweep.conftest import CliCall


def test_dry_run_prints_the_estimate_and_writes_nothing(tiny_args: list[str], tmp_path: Path, run_main: CliCall) -> None:
    db = tmp_path / "sweep.db"
    args = [a for a in tiny_args if a != "--quiet"]
    done = run_main("sweep.run", ["--trials", "40", "--storage", f"sqlite:///{db}", "--study-name", unique_study_name(),
                                  "--dry-run", *args])
    assert done.returncode == 0, done.stderr
    assert re.search(r"per trial: ~\d+ s; 40 trials with baseline: ~\d+ min", done.stdout), done.stdout
    assert f"regime {CPU_DEFAULT_REGIME} (cached path" in done.stdout and "one-time activation cache" in done.stdout
    assert not db.exists(), "a dry run must not create the study's database"


def test_estimate_grows_with_trials_steps_and_repeats(xquad_path: Path) -> None:
    base = SweepConfig(data=str(xquad_path), languages=["en", "de"], device="cpu")
    one = estimate(base)
    assert one["cache_s"] > 0 and one["cache_mb"] > 0 and one["trial_s"] > 0
    assert estimate(base.model_copy(update={"trials": 80}))["total_s"] > one["total_s"]
    assert estimate(base.model_copy(update={"repeats": 2}))["trial_s"] == 2 * one["trial_s"]
    full = estimate(SweepConfig(data=str(xquad_path), languages=["en", "de"], device="cpu", regime="full"))
    assert full["cache_s"] == 0 and full["trial_s"] > one["trial_s"]  # every layer trains, no cache
