"""``--sampler knee``: spend each trial where the knee is uncertain.

What it computes: after the anchors, each trial fits both objectives' curves to
every finished run (sweep.answer._gp, hyperparameters integrated out), draws *one* joint
posterior sample of the two curves, applies the export's rule (with the user's
constraints) to that sample, and proposes the α it picks. This is Thompson
sampling for a property of the curves rather than for their maximum: posterior
sampling for Bayesian algorithm execution (PS-BAX; Cheng, Kandasamy et al.,
NeurIPS 2024). The knee's posterior mass decides where the next run goes, so the
runs gather where the answer is still in doubt, while TPE and NSGA-II spread them
over the whole front.

Proposals lie on a grid of :data:`PROPOSALS` points over the search range, so
α values repeat: a repeat trains with new seeds (objectives.objective.replicate_of)
and its runs count toward the noise level. Searches over more than ``mono_ratio``
are refused (sweep._config): a knee in α alone would average over the other
parameters. Before the runs can carry a curve the sampler draws uniformly from
the grid. Each proposal depends only on the seed, the trial number and the runs
finished so far, so one seed replays one study; several workers draw on their own
and share the runs through the study's storage.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import optuna
from optuna.distributions import BaseDistribution, FloatDistribution
from optuna.trial import FrozenTrial, TrialState

from objectives.errors import ConfigError
from sweep.answer import TooFewTrials, choose_index, fit_curves, joint_draws, noise_correlation, study_runs
from sweep.study._one_param import OneParameterSampler

__all__ = ["PROPOSALS", "KneeSampler"]

#: Grid of proposed α (steps of 0.025 on [0, 1]): fine beside the knee's noise, coarse
#: enough that the knee region is run more than once.
PROPOSALS = 41


class KneeSampler(OneParameterSampler):
    """Thompson sampling of the knee rule on joint posterior draws (see the module docstring)."""

    def __init__(self, *, seed: int | None = None, rule: str = "knee", min_xling: float | None = None,
                 min_same_lang: float | None = None, proposals: int = PROPOSALS) -> None:
        self._seed = int(np.random.SeedSequence(seed).entropy if seed is None else seed)
        self._rule, self._min_xling, self._min_same_lang = rule, min_xling, min_same_lang
        self._proposals = proposals

    def reseed_rng(self) -> None:
        self._seed = int(np.random.SeedSequence().entropy) % (2 ** 63)

    def sample_independent(self, study: optuna.Study, trial: FrozenTrial, param_name: str,
                           param_distribution: BaseDistribution) -> Any:
        if param_name != "mono_ratio" or not isinstance(param_distribution, FloatDistribution):
            raise ConfigError(f"the knee sampler searches mono_ratio only, not {param_name}: drop it from the search "
                              "space or use --sampler tpe")
        return self.propose(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)), trial.number,
                            param_distribution.low, param_distribution.high)

    def propose(self, trials: list[FrozenTrial], number: int, low: float, high: float) -> float:
        """The α for trial ``number`` given the finished ``trials`` (the sampler's whole decision)."""
        grid = np.linspace(low, high, self._proposals)
        rng = np.random.default_rng([self._seed, number])
        alphas, values = study_runs(trials)
        try:
            curves = fit_curves(alphas, values, bounds=(low, high))
        except TooFewTrials:
            return float(grid[rng.integers(len(grid))])
        draw = joint_draws(curves, grid, 1, rng, noise_correlation(curves))[0][0]
        index = int(choose_index(draw, self._rule, self._min_xling, self._min_same_lang))
        if index < 0:  # this draw meets no constraint anywhere: explore instead
            index = int(rng.integers(len(grid)))
        return float(grid[index])
