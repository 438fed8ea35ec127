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
