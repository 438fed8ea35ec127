"""Training regimes: named recipes for a trial's fine-tune, and the two paths that run them.

``proxy`` trains the top layer on cached frozen-bottom states (fast on a CPU);
``full`` fine-tunes every transformer layer with plain forward passes (what a team's
real training does). :mod:`objectives.regimes._fidelity` records how far each
regime's ranking of the mono ratio agrees with ``full``.

The recipes and fidelity records (no torch) load eagerly; the training paths on
first use (PEP 562).
"""

from importlib import import_module
from typing import Any

from objectives.regimes._fidelity import (
    SETTING_KEYS,
    FidelityRecord,
    fidelity_note,
    fidelity_of,
    fidelity_records,
    fidelity_warning,
    load_records,
    training_settings,
)
from objectives.regimes._recipes import (
    CPU_DEFAULT_REGIME,
    REGIMES,
    TRAINING_KEYS,
    Recipe,
    TrainPath,
    default_regime,
    resolve_device,
    unsupported_device,
)

_LAZY = {
    "TrialEncoder": "objectives.regimes._base",
    "autocast": "objectives.regimes._base",
    "embed_in_order": "objectives.regimes._base",
    "CachedEncoder": "objectives.regimes._cached",
    "TopLayers": "objectives.regimes._cached",
    "ForwardEncoder": "objectives.regimes._forward",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'objectives.regimes' has no attribute {name!r}")
    value = getattr(import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


__all__ = [
    "CPU_DEFAULT_REGIME",
    "REGIMES",
    "SETTING_KEYS",
    "TRAINING_KEYS",
    "CachedEncoder",
    "FidelityRecord",
    "ForwardEncoder",
    "Recipe",
    "TopLayers",
    "TrainPath",
    "TrialEncoder",
    "autocast",
    "default_regime",
    "embed_in_order",
    "load_records",
    "fidelity_note",
    "fidelity_of",
    "fidelity_records",
    "fidelity_warning",
    "resolve_device",
    "training_settings",
    "unsupported_device",
]
