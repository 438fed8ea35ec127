"""Deterministic fault injection for the reliability tests (docs/design.md, "Faults").

``SWEEP_FAULT=<point>`` makes the process SIGKILL itself when it reaches ``<point>``;
``SWEEP_FAULT=<point>:<n>`` does so the n-th time (1-based). Unset in normal use.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

__all__ = ["fault_active", "fault_point"]

_hits: Counter[str] = Counter()


def fault_active(name: str) -> bool:
    """True the n-th time ``SWEEP_FAULT=<name>:<n>`` reaches this point (for injected NaNs)."""
    spec = os.environ.get("SWEEP_FAULT")
    if not spec:
        return False
    point, _, nth = spec.partition(":")
    if point != name:
        return False
    _hits[name] += 1
    return _hits[name] == int(nth or 1)


def fault_point(name: str) -> None:
    """Kill this process here if ``SWEEP_FAULT`` names this point."""
    spec = os.environ.get("SWEEP_FAULT")
    if not spec:
        return
    point, _, nth = spec.partition(":")
    if point != name:
        return
    _hits[name] += 1
    if _hits[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
