"""Deterministic fault injection for the reliability tests (docs/design.md, "Faults").

``SWEEP_FAULT=<point>`` makes the process SIGKILL itself when it reaches ``<point>``;
``SWEEP_FAULT=<point>:<n>`` does so the n-th time (1-based), and
``SWEEP_FAULT=<point>:<n>:<action>`` does ``<action>`` instead: ``kill`` (the default),
``int`` or ``term`` (send itself SIGINT, as Ctrl-C does, or SIGTERM, and go on to
whatever the signal's handler does) or ``error`` (raise :class:`OSError` there, as a
failing disk operation would). Unset in normal use.
"""

from __future__ import annotations

import errno
import os
import signal
from collections import Counter

__all__ = ["fault_active", "fault_point"]

_hits: Counter[str] = Counter()
_SIGNALS = {"kill": signal.SIGKILL, "int": signal.SIGINT, "term": signal.SIGTERM}


def _fires(name: str) -> str | None:
    """The action if this is the n-th time ``SWEEP_FAULT`` names ``name`` (counting this call), else ``None``."""
    spec = os.environ.get("SWEEP_FAULT")
    if not spec:
        return None
    point, _, rest = spec.partition(":")
    if point != name:
        return None
    nth, _, action = rest.partition(":")
    _hits[name] += 1
    return (action or "kill") if _hits[name] == int(nth or 1) else None


def fault_active(name: str) -> bool:
    """True the n-th time ``SWEEP_FAULT=<name>:<n>`` reaches this point (for injected NaNs)."""
    return _fires(name) is not None


def fault_point(name: str) -> None:
    """Kill this process here (or signal it, or raise) if ``SWEEP_FAULT`` names this point."""
    action = _fires(name)
    if action is None:
        return
    if action == "error":
        raise OSError(errno.EIO, f"fault injected at {name} (SWEEP_FAULT)")
    if action not in _SIGNALS:
        raise ValueError(f"SWEEP_FAULT action {action!r} is not one of {', '.join([*_SIGNALS, 'error'])}")
    os.kill(os.getpid(), _SIGNALS[action])
