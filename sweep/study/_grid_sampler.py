"""``--sampler grid``: mono_ratio on a coarse-to-fine grid that anchors and top-ups continue.

Optuna's ``GridSampler`` fixes its grid when it is made (here it had ``--trials`` points),
gives trial number *i* grid point *i* and skips enqueued trials. The anchors are enqueued
and count toward ``--trials``, so they took the first trial numbers and their grid points
never ran; and a top-up with a larger ``--trials`` made a different grid.

This grid does not depend on ``--trials``. Its values run coarse to fine: ``low`` and
``high``, then the midpoint, the quarter points, the eighths, ... (each level halves the
spacing, left to right within a level), and a value an anchor or an earlier trial already
holds is skipped. So any number of trials covers the grid as evenly as that number allows
(whole levels exactly), and a top-up continues where the study stopped. With the default
anchors 0, 0.5 and 1 a 40-trial study (6 anchor trials) runs every quarter, eighth,
sixteenth and 32nd point, and the first 4 of the 64ths.

The value is chosen in ``before_trial``, i.e. inside ``study.ask()``, which the runner
calls under the study's admission lock, and stored as the trial's system attribute
``grid_point``: concurrent workers never pick the same value. A trial that failed keeps
its value (a diverging value is not retried forever); one whose worker died is retried
by the heartbeat with its parameters.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.trial import FrozenTrial

from sweep.study._one_param import OneParameterSampler

__all__ = ["CoarseToFineGridSampler", "coarse_to_fine"]

_ATTR = "grid_point"
# Values are compared after rounding: 0.1 + 0.2 and 0.3 are one grid point.
_DIGITS = 9


def coarse_to_fine(low: float, high: float) -> Iterator[float]:
    """``low``, ``high``, then each level's new points (spacing halved), without end."""
    yield low
    yield high
    level = 1
    while True:
        parts = 2**level
        for j in range(1, parts, 2):
            yield low + (high - low) * j / parts
        level += 1


class CoarseToFineGridSampler(OneParameterSampler):
    """Samples ``param`` at the first value of :func:`coarse_to_fine` that no trial holds yet.

    Only ``param`` may be searched (the config refuses other search-space keys with
    ``--sampler grid``).
    """

    def __init__(self, low: float, high: float, param: str = "mono_ratio") -> None:
        self._low, self._high, self._param = float(low), float(high), param

    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        if _ATTR in trial.system_attrs or "fixed_params" in trial.system_attrs:
            return  # an enqueued anchor or a heartbeat retry brings its own value
        held = {round(float(v), _DIGITS) for v in self._held(study, trial)}
        value = next(x for x in coarse_to_fine(self._low, self._high) if round(x, _DIGITS) not in held)
        study._storage.set_trial_system_attr(trial._trial_id, _ATTR, value)

    def _held(self, study: optuna.Study, trial: FrozenTrial) -> Iterator[Any]:
        for other in study.get_trials(deepcopy=False):
            if other._trial_id == trial._trial_id:
                continue
            if self._param in other.params:
                yield other.params[self._param]
            elif self._param in other.system_attrs.get("fixed_params", {}):  # enqueued, not yet run
                yield other.system_attrs["fixed_params"][self._param]
            elif _ATTR in other.system_attrs:  # asked by another worker, not yet suggested
                yield other.system_attrs[_ATTR]

    def sample_independent(self, study: optuna.Study, trial: FrozenTrial, param_name: str,
                           param_distribution: BaseDistribution) -> Any:
        if param_name != self._param or _ATTR not in trial.system_attrs:
            raise ValueError(f"the grid sampler searches {self._param} only: drop {param_name} from the search space")
        return trial.system_attrs[_ATTR]
