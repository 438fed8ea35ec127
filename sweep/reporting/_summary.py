"""The one-screen summary printed when a run ends."""

from __future__ import annotations

import math

import optuna
from optuna.trial import TrialState

import storage
from objectives.retrieval import baseline_objectives, map_kind
from objectives.translation import translation_note
from sweep._config import SweepConfig
from sweep.answer import (
    confirm_rule,
    finite_complete,
    pareto_front,
    regime_fidelity_sentence,
    regime_line,
    regime_warning,
    search_curves,
    verdict,
)

__all__ = ["print_summary", "summary_text"]


def _fmt(value: float | None) -> str:
    return "   n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:6.3f}"


def summary_text(study: optuna.Study, cfg: SweepConfig) -> str:
    """Pareto set, baseline, and where the paper's α = 0.5 stands, as plain text."""
    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    failed = sum(t.state == TrialState.FAIL for t in trials)
    n1, n2 = cfg.metric_names
    first = regime_warning(cfg) or regime_fidelity_sentence(cfg)
    lines = [first] if first else []
    lines.append(f"study {study.study_name}: {len(complete)} complete, {failed} failed trial(s) in {storage.mask_url(cfg.storage)}")
    lines.append(regime_line(cfg))
    if (translated := translation_note(cfg.train_data)) is not None:
        lines.append(translated)
    base = study.user_attrs.get("baseline_dev", {})
    base1, base2 = baseline_objectives(base, cfg.xling_metric)
    lines.append(f"zero-shot baseline (dev): {n1} {_fmt(base1)}   {n2} {_fmt(base2)}")
    if base:
        lines.append(map_kind(base.get("map_depth")))
    front = sorted(pareto_front(finite_complete(study)), key=lambda t: t.params["mono_ratio"])
    lines.append(f"Pareto set ({len(front)} trial(s)), by mono_ratio:")
    lines.append(f"  {'trial':>5}  {'mono_ratio':>10}  {n1:>14}  {n2:>12}")
    for t in front:
        lines.append(f"  {t.number:>5}  {t.params['mono_ratio']:>10.3f}  {t.values[0]:>14.4f}  {t.values[1]:>12.4f}")
    if cfg.confirms is not None and complete:
        lines += _confirm_lines(study, cfg)
    half = [t for t in complete if math.isclose(t.params.get("mono_ratio", -1), 0.5)]
    if half and cfg.confirms is None:
        t = half[0]
        on_front = t.number in {f.number for f in front}
        where = "on the Pareto front" if on_front else "dominated"
        best1 = max(x.values[0] for x in complete)
        best2 = max(x.values[1] for x in complete)
        lines.append(
            f"alpha = 0.5 (paper's choice, trial {t.number}): {n1} {t.values[0]:.4f} ({t.values[0] - best1:+.4f} vs best), "
            f"{n2} {t.values[1]:.4f} ({t.values[1] - best2:+.4f} vs best); {where}"
        )
    source = cfg.confirms or study.study_name
    lines.append(f"export the chosen ratio: python -m sweep.export --study-name {source} --storage {storage.mask_url(cfg.storage)} "
                 "--out best_ratio.yaml")
    return "\n".join(lines)


def _confirm_lines(study: optuna.Study, cfg: SweepConfig) -> list[str]:
    # The confirm study keeps the search's search space, so cfg bounds the search's curves alike.
    search = optuna.load_study(study_name=cfg.confirms, storage=cfg.storage) if cfg.confirms else None
    v = verdict(study, *confirm_rule(cfg), curves=search_curves(search, cfg) if search is not None else None)
    n1, n2 = cfg.metric_names
    lines = [f"confirmed points of {cfg.confirms} (mean ± sample std over {cfg.repeats} seed(s)):",
             f"  {'mono_ratio':>10}  {n1:>20}  {n2:>20}  kinds"]
    for p in v.points:
        mark = " <- chosen" if p.trial == v.chosen.trial else (" (cannot be told apart)" if p in v.tied else "")
        lines.append(f"  {p.mono_ratio:>10.3f}  {p.means[0]:>11.4f} ± {p.stds[0]:.4f}  {p.means[1]:>11.4f} ± {p.stds[1]:.4f}  "
                     f"{','.join(p.kinds)}{mark}")
    lines.append(v.sentence)
    return lines


def print_summary(study: optuna.Study, cfg: SweepConfig) -> None:
    print(summary_text(study, cfg), flush=True)
