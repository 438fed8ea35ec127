"""Layers point one way: reading an answer or opening storage loads no ML stack."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

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


def _lazy_packages() -> list[str]:
    """Every package of the project whose ``__init__`` has a lazy name map."""
    found = []
    for package in ("objectives", "sweep", "storage"):
        for init in (REPO / package).rglob("__init__.py"):
            if "_LAZY = {" in init.read_text(encoding="utf-8"):
                found.append(".".join(init.relative_to(REPO).parent.parts))
    return sorted(found)


@pytest.mark.parametrize("package", _lazy_packages())
def test_every_lazy_name_resolves_one_level_deep(package: str) -> None:
    """Each lazy name is in ``__all__``, resolves, and is defined or eagerly imported by its target module."""
    module = importlib.import_module(package)
    lazy: dict[str, str] = module._LAZY
    assert lazy and set(lazy) <= set(module.__all__)
    for name, target in lazy.items():
        value = getattr(module, name)
        home = importlib.import_module(target)
        # One level: the target holds the name itself, not through a lazy map of its own.
        assert name in vars(home), f"{package}.{name} -> {target}, which loads it lazily"
        assert vars(home)[name] is value
    for name in module.__all__:
        getattr(module, name)
    with pytest.raises(AttributeError, match="no_such_name"):
        module.no_such_name  # noqa: B018


def test_the_lazy_packages_are_the_light_imports() -> None:
    # Laziness only where a light import needs it: the top of sweep (a training script reads
    # the answer), objectives (storage uses its base), a trial's config and the translate stage.
    assert _lazy_packages() == ["objectives", "objectives.translation", "objectives.trial", "sweep"]


def test_the_light_commands_and_stage_packages_load_no_torch() -> None:
    # The stage packages import eagerly; what would pull torch (the trial loop, loading
    # data) is imported on the call, so export, report and dashboard stay light.
    code = ("import sys, sweep.export, sweep.report, sweep.dashboard, sweep.answer, sweep.study, sweep.reporting; "
            "heavy = sorted(m for m in ('torch', 'transformers', 'datasets') if m in sys.modules); assert not heavy, heavy")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
