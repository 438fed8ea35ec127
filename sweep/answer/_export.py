"""Write the chosen mono ratio, the smoothed answer and their provenance to YAML.

The answer a training script reads (docs/design.md, "Export rules"); the choice itself
is :mod:`sweep.answer._pareto` (trial-based) and :mod:`sweep.answer._answer` (smoothed), the file's
schema and its loader :mod:`sweep._best_ratio`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import optuna
import yaml
from optuna.trial import FrozenTrial

import storage
from objectives.errors import ConfigError, StorageError
from objectives.outputs import write_text_atomic
from sweep._best_ratio import Answer, BestRatio, Confirmation, ConfirmedPointOut, SmoothedOut, TrialAnswer, TrialPoint
from sweep._config import config_from_record, with_legacy_defaults
from sweep._provenance import package_versions
from sweep.answer._answer import SMOOTH_METHOD, same_training, smoothed_answer
from sweep.answer._confirm import (
    INDISTINGUISHABLE_RULE,
    confirm_progress,
    linked_confirm_study,
    search_curves,
    stale_confirm_note,
    verdict,
)
from sweep.answer._fidelity import regime_fidelity, regime_warning
from sweep.answer._pareto import choose_trial, finite_complete
from sweep.answer._rules import Rule

__all__ = ["DEFAULT_ANSWER", "export_best_ratio"]

#: The smoothed answer (with its interval) is the default: pooled over the truth families of
#: benchmarks/answer_accuracy.py its error is about half the trial knee's (at least as close
#: in median on 14 of 16 families), and the trial knee has no interval at all
#: (benchmarks/README.md, "Answer calibration").
DEFAULT_ANSWER: Answer = "smoothed"


def _point(t: FrozenTrial) -> TrialPoint:
    return TrialPoint(trial=t.number, mono_ratio=t.params["mono_ratio"], params=dict(t.params),
                      same_lang=t.values[0], xling=t.values[1])


def export_best_ratio(
    study_name: str, storage_url: str, out: Path, rule: Rule = "knee",
    min_xling: float | None = None, min_same_lang: float | None = None, source: str | None = None,
    answer: Answer = DEFAULT_ANSWER,
) -> BestRatio:
    """Choose by ``rule`` and write the YAML file atomically; returns what was written.

    ``source``: ``search`` chooses among the search study's trials; ``confirm`` among
    the points of its confirm study (means over repeats), and the file then carries
    mean ± std per point, the α that cannot be told apart from the choice and the
    regime and device that confirmed; ``None`` means confirm when one exists.
    ``answer``: which one is ``mono_ratio``: ``smoothed`` (the knee of the fitted curves,
    with its interval; falls back to the trial answer, with the reason in ``answer_note``,
    when the runs cannot carry a curve) or ``trial``. The smoothed answer, when the runs
    carry one, is in the file either way (``smoothed``).

    Raises:
        StorageError: the storage is not an existing study database (checked reading only).
        ConfigError: no such study, no completed trial, or ``confirm`` without a confirm study.
    """
    engine = storage.open_study_database(storage_url)
    try:
        study = optuna.load_study(study_name=study_name, storage=storage_url)
    except KeyError:
        raise ConfigError(f"no study named {study_name!r} in {storage.mask_url(storage_url)}: check --study-name") from None
    record = storage.get_study_record(engine, study_name)
    if record is None:
        raise StorageError(f"study {study_name!r} has no xling-sweep provenance: it was not made by python -m sweep.run")
    confirm, stale = linked_confirm_study(storage_url, study_name)
    if source == "confirm" and stale:
        raise ConfigError(f"study {study_name!r} has no confirm study of its own: {stale_confirm_note(storage_url, study_name)}; "
                          "or export with --source search")
    if source == "confirm" and confirm is None:
        raise ConfigError(f"study {study_name!r} has no confirm study: run python -m sweep.confirm --study-name {study_name} "
                          f"--storage {storage.mask_url(storage_url)} first, or export with --source search")
    done, total = confirm_progress(confirm) if confirm is not None else (0, 0)
    if source == "confirm" and done < total:
        raise ConfigError(f"the confirm study of {study_name!r} has {done} of {total} points done: rerun python -m "
                          "sweep.confirm with the same options to finish it, or export with --source search")
    # A half-finished confirmation is no answer: its missing points may be the ones that win.
    use_confirm = confirm is not None and source != "search" and total > 0 and done == total
    chosen_from = confirm if use_confirm else study
    assert chosen_from is not None
    chosen, front = choose_trial(finite_complete(chosen_from), rule, min_xling, min_same_lang)
    config = {k: v for k, v in with_legacy_defaults(record["config"]).items() if k not in ("storage",)}
    cfg = config_from_record(record["config"], storage=storage_url)
    confirmation, search_cfg, confirm_cfg = None, cfg, cfg
    if use_confirm:
        assert confirm is not None
        confirm_record = storage.get_study_record(engine, confirm.study_name) or {}
        ccfg = config_from_record(confirm_record.get("config", {}), storage=storage_url) if confirm_record else cfg
        v = verdict(confirm, rule, min_xling, min_same_lang, curves=search_curves(study, cfg))
        confirmation = Confirmation(
            study_name=confirm.study_name, regime=ccfg.regime.name, device=ccfg.device, repeats=ccfg.repeats,
            points=[ConfirmedPointOut(trial=p.trial, mono_ratio=p.mono_ratio, params=p.params, kinds=p.kinds,
                                      source_trials=p.source_trials, same_lang_mean=p.means[0], same_lang_std=p.stds[0],
                                      xling_mean=p.means[1], xling_std=p.stds[1], repeats=p.repeats) for p in v.points],
            indistinguishable_alphas=[p.mono_ratio for p in v.tied], indistinguishable_rule=INDISTINGUISHABLE_RULE,
            search_knee_alpha=v.search_knee.mono_ratio if v.search_knee else None, search_knee_holds=v.holds,
            verdict=v.sentence,
        )
        config = {k: v for k, v in ccfg.model_dump(mode="json").items() if k not in ("storage", "fixed_points")}
        cfg = confirm_cfg = ccfg
    names = list(study.metric_names or ["objective_1", "objective_2"])
    # The objectives last: for a confirm point they are the means over its seeds, while the
    # other macros (same names for the default objectives) are its first seed's.
    trial_metrics = {**chosen.user_attrs.get("metrics", {}), **dict(zip(names, chosen.values))}
    trial_answer = TrialAnswer(mono_ratio=chosen.params["mono_ratio"], trial=chosen.number,
                               study_name=chosen_from.study_name, metrics=trial_metrics)
    # The smoothed answer is computed whichever answer is asked for: the file always carries it.
    smoothed = None
    space = search_cfg.search_space["mono_ratio"]
    smooth, runs_from, note = smoothed_answer(
        study, confirm if use_confirm else None, same_settings=use_confirm and same_training(search_cfg, confirm_cfg),
        rule=rule, min_xling=min_xling, min_same_lang=min_same_lang, bounds=(space.low, space.high))
    if smooth is not None:
        smoothed = SmoothedOut(
            method=SMOOTH_METHOD, mono_ratio=smooth.mono_ratio, interval=list(smooth.interval), level=smooth.level,
            median=smooth.median, front_alphas=list(smooth.front_alphas) if smooth.front_alphas else None,
            predicted=dict(zip(names, smooth.predicted)), noise_sd=dict(zip(names, smooth.noise_sd)),
            noise_dof=smooth.noise_dof, noise_corr=round(smooth.noise_corr, 4), length_scales=dict(zip(names, smooth.length_scales)),
            runs=smooth.n_trials, runs_from=runs_from)
    use_smoothed = answer == "smoothed" and smoothed is not None
    best = BestRatio(
        mono_ratio=smoothed.mono_ratio if use_smoothed else chosen.params["mono_ratio"],
        params={**chosen.params, "mono_ratio": smoothed.mono_ratio} if use_smoothed else dict(chosen.params),
        metric_names=list(study.metric_names or []),
        metrics=dict(smoothed.predicted) if use_smoothed else trial_metrics,
        answer="smoothed" if use_smoothed else "trial", interval=smoothed.interval if use_smoothed else None,
        smoothed=smoothed, trial_answer=trial_answer, answer_note=note if answer == "smoothed" else None,
        trial=chosen.number, rule=rule, constraints={"min_xling": min_xling, "min_same_lang": min_same_lang},
        pareto_set=[_point(t) for t in front], baseline=chosen_from.user_attrs.get("baseline_dev", {}),
        training_config=config, regime=cfg.regime.name, device=str(config.get("device", "cpu")),
        fidelity_warning=regime_warning(cfg), fidelity=regime_fidelity(cfg), source="confirm" if use_confirm else "search",
        confirmation=confirmation, study_name=chosen_from.study_name, storage=storage.mask_url(storage_url),
        model_fingerprint=record["model_fingerprint"], data_fingerprint=record["data_fingerprint"],
        code_version=record["code_version"], packages=package_versions(),
        exported_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out, yaml.safe_dump(best.model_dump(mode="json"), sort_keys=False, allow_unicode=True))
    return best
