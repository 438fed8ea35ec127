"""The benchmarks' quick mode runs end to end (CI runs it through the normal test command)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_run_all_quick(xquad_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run_all.py"), "--quick"],
        capture_output=True, text=True, timeout=600, cwd=REPO,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    out = proc.stdout
    for name in ("metrics_time", "alpha_signal", "naive_trial", "search_efficiency", "scaling"):
        assert f"## {name}" in out
    # Each script's markdown table header was printed.
    for header in ("| queries | candidates |", "| alpha | same_lang_p@1 |", "| run | steps | train (s) |",
                   "| sampler | HV after 5 trials |", "| languages | subset |"):
        assert header in out, header
    assert "quick mode: all ok" in out
