"""Layers point one way: reading an answer or opening storage loads no ML stack."""

from __future__ import annotations

import subprocess
import sys

from tests.sweep.conftest import REPO


def test_import_sweep_and_load_best_ratio_load_no_torch() -> None:
    code = ("import sys, sweep, storage; from sweep import load_best_ratio, BestRatio; "
            "heavy = sorted(m for m in ('torch', 'transformers', 'faiss', 'sklearn') if m in sys.modules); "
            "assert not heavy, heavy; "
            "best = load_best_ratio('tests/sweep/data/best_ratio_before_smoothing.yaml'); "
            "assert 'torch' not in sys.modules and best.answer == 'trial'")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_reading_the_answer_loads_no_database_or_ml_library() -> None:
    """A training script that only wants the YAML pays for pydantic and PyYAML, nothing more."""
    code = ("import sys; from sweep import load_best_ratio; "
            "best = load_best_ratio('tests/sweep/data/best_ratio_before_smoothing.yaml'); "
            "loaded = sorted(m for m in ('torch', 'transformers', 'optuna', 'sqlalchemy', 'pandas', 'storage') if m in sys.modules); "
            "assert not loaded, loaded; assert best.mono_ratio >= 0")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    plain = subprocess.run([sys.executable, "-c", "import sweep, sys; assert 'torch' not in sys.modules"], cwd=REPO,
                           capture_output=True, text=True, timeout=120)
    assert plain.returncode == 0, plain.stderr


def test_lazy_names_resolve_and_unknown_names_fail() -> None:
    import objectives
    import sweep

    assert objectives.TrialConfig.__name__ == "TrialConfig" and sweep.run_study.__name__ == "run_study"
    for module in (objectives, sweep):
        try:
            module.no_such_name  # noqa: B018
        except AttributeError as e:
            assert "no_such_name" in str(e)
        else:
            raise AssertionError("an unknown name must raise AttributeError")
