"""The shape both project samplers share: one parameter, chosen per trial, no relative search space."""

from __future__ import annotations

from typing import Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.trial import FrozenTrial

__all__ = ["OneParameterSampler"]


class OneParameterSampler(optuna.samplers.BaseSampler):
    """An Optuna sampler that decides one parameter in ``sample_independent`` (grid, knee).

    Optuna asks every sampler for a relative search space first; these have none, so
    every parameter goes to ``sample_independent``, which subclasses implement.
    """

    def infer_relative_search_space(self, study: optuna.Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(self, study: optuna.Study, trial: FrozenTrial,
                        search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
        return {}
