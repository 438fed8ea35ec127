"""Training regimes: the named recipes, the resolved :class:`Regime` a trial trains with, and devices.

No torch here (``auto`` aside, which asks torch whether it sees a GPU): a study's
config, summary and export read regimes without loading the ML stack. The modules
that run a regime are in :mod:`objectives.training`; how far each regime agrees with
full fine-tuning is in :mod:`objectives.fidelity`.
"""

from objectives.regimes._devices import check_device, default_regime, resolve_device, unsupported_device
from objectives.regimes._regime import CPU_DEFAULT_REGIME, LEGACY_LOOP, REGIMES, SETTING_KEYS, Loop, Regime, TrainPath

__all__ = [
    "CPU_DEFAULT_REGIME",
    "LEGACY_LOOP",
    "REGIMES",
    "SETTING_KEYS",
    "Loop",
    "Regime",
    "TrainPath",
    "check_device",
    "default_regime",
    "resolve_device",
    "unsupported_device",
]
