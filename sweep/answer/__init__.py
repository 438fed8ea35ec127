"""The answer: which α to train with, and how sure it is.

Array rules first (``_rules``: the Pareto front, the knee's scaling, the point a rule
picks), then the two ways of applying them: to the trials (``_pareto``, the trial knee)
and to smoothed curves (``_gp`` and ``_smooth``: a Gaussian process per objective with its
hyperparameters integrated out; ``_answer`` gathers a study's runs for it). ``_confirm``
re-runs a search's front with several seeds and gives the verdict, ``_fidelity`` says how
far the regime can be trusted, and ``_export`` writes the answer file (its schema is
``sweep._best_ratio``, kept outside this package so a training script's ``from sweep import
load_best_ratio`` loads neither Optuna nor this package). Nothing here imports
:mod:`sweep.study` or :mod:`sweep.reporting`.
"""

from sweep.answer._answer import SMOOTH_METHOD, WIDE_INTERVAL, confirm_advice, same_training, smoothed_answer, study_runs
from sweep.answer._confirm import (
    CONFIRM_SUFFIX,
    CURVES_RULE,
    INDISTINGUISHABLE_RULE,
    MODEL_COPY_TOLERANCE,
    SEARCH_ID_ATTR,
    ConfirmedPoint,
    ConfirmVerdict,
    baseline_source,
    check_confirm_inputs,
    confirm_config,
    confirm_points,
    confirm_progress,
    confirm_rule,
    confirm_study_name,
    confirmed_points,
    confirms_search,
    curves_agreement,
    indistinguishable,
    linked_confirm_study,
    load_confirm_study,
    search_curves,
    search_record,
    stale_confirm_note,
    stale_confirm_refusal,
    verdict,
)
from sweep.answer._export import DEFAULT_ANSWER, export_best_ratio
from sweep.answer._fidelity import confirm_command, regime_fidelity, regime_fidelity_sentence, regime_line, regime_warning
from sweep.answer._gp import joint_draws, noise_correlation
from sweep.answer._pareto import choose_trial, finite_complete, pareto_front
from sweep.answer._rules import RULES, Rule, add_rule_options, choose_index, pareto_mask, unit_scale
from sweep.answer._smooth import (
    GRID_POINTS,
    MIN_DISTINCT_ALPHAS,
    MIN_TRIALS,
    SmoothAnswer,
    TooFewTrials,
    fit_curves,
    noise_from_repeats,
    smooth_answer,
)

__all__ = [
    "GRID_POINTS",
    "CONFIRM_SUFFIX",
    "CURVES_RULE",
    "ConfirmVerdict",
    "ConfirmedPoint",
    "DEFAULT_ANSWER",
    "INDISTINGUISHABLE_RULE",
    "MIN_DISTINCT_ALPHAS",
    "MIN_TRIALS",
    "MODEL_COPY_TOLERANCE",
    "RULES",
    "Rule",
    "SEARCH_ID_ATTR",
    "SMOOTH_METHOD",
    "SmoothAnswer",
    "TooFewTrials",
    "WIDE_INTERVAL",
    "add_rule_options",
    "baseline_source",
    "check_confirm_inputs",
    "choose_index",
    "choose_trial",
    "confirm_advice",
    "confirm_command",
    "confirm_config",
    "confirm_points",
    "confirm_progress",
    "confirm_rule",
    "confirm_study_name",
    "confirmed_points",
    "confirms_search",
    "curves_agreement",
    "export_best_ratio",
    "finite_complete",
    "fit_curves",
    "indistinguishable",
    "joint_draws",
    "linked_confirm_study",
    "load_confirm_study",
    "noise_correlation",
    "noise_from_repeats",
    "pareto_front",
    "pareto_mask",
    "regime_fidelity",
    "regime_fidelity_sentence",
    "regime_line",
    "regime_warning",
    "same_training",
    "search_curves",
    "search_record",
    "smooth_answer",
    "smoothed_answer",
    "stale_confirm_note",
    "stale_confirm_refusal",
    "study_runs",
    "unit_scale",
    "verdict",
]
