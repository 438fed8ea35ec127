"""``reports/<study>/``: the figures, tables and ``summary.md`` of a study, attached to it for optuna-dashboard.

What they show is computed (and the test-split cells stored) by :mod:`sweep.reporting._report_data`;
this module only renders it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from optuna.artifacts import upload_artifact

from objectives.retrieval import CROSS_LINGUAL, baseline_objectives
from sweep._config import SweepConfig
from sweep.answer import DEFAULT_ANSWER, INDISTINGUISHABLE_RULE, confirm_advice, regime_fidelity, regime_line, regime_warning
from sweep.reporting._plots import plot_bias, plot_curve, plot_heatmap, plot_metrics_vs_alpha, plot_pareto
from sweep.reporting._report_data import ConfirmationData, ReportData, collect_report
from sweep.study import artifact_store_for

__all__ = ["ReportResult", "front_phrase", "plotted_baseline", "render_report", "write_report"]


@dataclass
class ReportResult:
    folder: Path
    files: list[Path]
    chosen: int
    test: pd.DataFrame


def write_report(cfg: SweepConfig, out_root: Path, command: str, with_test: bool = True,
                 ran_on: str | None = None) -> ReportResult:
    """Write every report file for ``cfg``'s study and attach the images to the dashboard.

    ``cfg.device`` is where the report re-evaluates weights (this machine); ``ran_on`` is
    the device the study trained on, as the report states it (default ``cfg.device``).

    Raises:
        ConfigError: the study does not exist or has no finite completed trial.
    """
    return render_report(collect_report(cfg, with_test), out_root, command, ran_on)


def plotted_baseline(obj1: float | None, obj2: float | None) -> tuple[float, float]:
    """The zero-shot point as the Pareto plot takes it: a missing objective is NaN, a zero stays 0."""
    return (math.nan if obj1 is None else obj1, math.nan if obj2 is None else obj2)


def render_report(data: ReportData, out_root: Path, command: str, ran_on: str | None = None) -> ReportResult:
    """Write the figures, CSV tables and ``summary.md`` of ``data`` under ``out_root/<study>/`` and upload the images."""
    cfg, names, frame, base = data.cfg, data.names, data.frame, data.baseline
    folder = out_root / cfg.study_name
    folder.mkdir(parents=True, exist_ok=True)
    base1, base2 = data.baseline_objectives
    confirmed = data.confirmation.frame if data.confirmation is not None else None
    files = [
        plot_pareto(frame, [t.number for t in data.front], data.chosen.number, plotted_baseline(base1, base2), names,
                    folder / "pareto_front.png", confirmed, data.smooth),
        plot_metrics_vs_alpha(frame,
                              [("obj1", names[0]), ("obj2", names[1]), ("mul_map", "Mul. mAP (pooled)"), ("cr_map", "Cr. mAP (pairs)")],
                              {"obj1": base1, "obj2": base2, "mul_map": base.get("mul_map"), "cr_map": base.get("cr_map")},
                              folder / "metrics_vs_alpha.png", confirmed),
        plot_bias(frame, base.get("language_bias"), folder / "language_bias_vs_alpha.png"),
    ]
    if data.smooth is not None:
        for j, name in enumerate(names[:2]):
            files.append(plot_curve(data.smooth, j, name, folder / f"curve_{j + 1}_vs_alpha.png"))
    chosen = data.chosen
    files.append(plot_heatmap(data.heatmap,
                              f"mAP per (query, candidate) language: trial {chosen.number} "
                              f"(α={chosen.params['mono_ratio']:.3f}) minus zero-shot",
                              folder / "xling_heatmap_delta.png"))
    frame.to_csv(folder / "trials.csv", index=False)
    files.append(folder / "trials.csv")
    if not data.test.empty:
        data.test.to_csv(folder / "pareto_test.csv", index=False)
        files.append(folder / "pareto_test.csv")
    if data.confirmation is not None:
        files.extend(_write_confirmation(data.confirmation, folder))
    shown = cfg.model_copy(update={"device": ran_on}) if ran_on else cfg
    (folder / "summary.md").write_text(_summary_md(data, shown, command), encoding="utf-8")
    files.append(folder / "summary.md")
    store = artifact_store_for(cfg)
    for png in folder.glob("*.png"):
        upload_artifact(artifact_store=store, file_path=str(png), study_or_trial=data.study)
    return ReportResult(folder, files, chosen.number, data.test)


def _write_confirmation(confirmation: ConfirmationData, folder: Path) -> list[Path]:
    confirmation.frame.to_csv(folder / "confirmed_points.csv", index=False)
    files = [folder / "confirmed_points.csv"]
    if not confirmation.test.empty:
        confirmation.test.to_csv(folder / "confirmed_test.csv", index=False)
        files.append(folder / "confirmed_test.csv")
    return files


def _confirmation_lines(confirmation: ConfirmationData, names: list[str]) -> list[str]:
    v, c = confirmation.verdict, confirmation.cfg
    out = [f"## Confirmation ({c.regime} regime, {c.device}, {c.repeats} seeds per point; study `{c.study_name}`)", "",
           v.sentence, "",
           f"Cannot be told apart from the chosen point: {INDISTINGUISHABLE_RULE}.", "",
           f"| α | kinds | {names[0]} mean ± std | {names[1]} mean ± std | tied with chosen |", "|---|---|---|---|---|"]
    tied = {p.trial for p in v.tied}
    for p in v.points:
        mark = "**chosen**" if p.trial == v.chosen.trial else ("yes" if p.trial in tied else "no")
        out.append(f"| {p.mono_ratio:.3f} | {', '.join(p.kinds)} | {p.means[0]:.4f} ± {p.stds[0]:.4f} | "
                   f"{p.means[1]:.4f} ± {p.stds[1]:.4f} | {mark} |")
    if not confirmation.test.empty:
        out += ["", "Confirmed points on the held-out test split (first seed's weights):", "",
                f"| α | {names[0]} dev mean | test | {names[1]} dev mean | test |", "|---|---|---|---|---|"]
        for _, r in confirmation.test.sort_values("mono_ratio").iterrows():
            out.append(f"| {r.mono_ratio:.3f} | {r.dev_obj1:.4f} | {r.test_obj1:.4f} | {r.dev_obj2:.4f} | {r.test_obj2:.4f} |")
    return out + [""]


def _closest(frame: pd.DataFrame, alpha: float) -> pd.Series | None:
    hit = frame[np.isclose(frame["mono_ratio"], alpha)]
    return hit.iloc[0] if len(hit) else None


def _delta(a: float, b: float) -> str:
    return f"{a - b:+.4f}"


def front_phrase(front_alphas: tuple[float, float] | list[float] | None) -> str:
    """The summary's clause on which α the posterior puts on the Pareto front (empty when none does).

    One α (often an end of the range, when the fitted curves wiggle enough that most
    draws put every other α off their front) reads as that α, not as a range "0.00–0.00".
    """
    if not front_alphas:
        return ""
    low, high = front_alphas
    if round(low, 2) == round(high, 2):
        return f"; only α {low:.2f} lies on the Pareto front in at least half of the posterior draws"
    return f"; the α on the Pareto front in at least half of the posterior draws span {low:.2f}–{high:.2f}"


def _summary_md(data: ReportData, cfg: SweepConfig, command: str) -> str:
    """``summary.md``; ``cfg`` is the study's config as shown (its device: where the study trained)."""
    study, frame, chosen, front, base, test, names = data.study, data.frame, data.chosen, data.front, data.baseline, data.test, data.names
    confirmation, note, smooth, runs_from, smooth_note = (data.confirmation, data.confirm_note, data.smooth, data.runs_from,
                                                          data.smooth_note)
    base1, base2 = data.baseline_objectives
    pick = frame[frame.number == chosen.number].iloc[0]
    warning = regime_warning(cfg)
    lines = [f"# Study `{study.study_name}`: which mono ratio, and what does it cost?", ""]
    if smooth is not None:
        front_alphas = front_phrase(smooth.front_alphas)
        smoothed = (f"smoothed over {smooth.n_trials} runs ({runs_from}): {smooth.sentence()}, {names[0]} "
                    f"{smooth.predicted[0]:.4f}, {names[1]} {smooth.predicted[1]:.4f} (posterior means){front_alphas}; "
                    f"noise sd {smooth.noise_sd[0]:.4f} / {smooth.noise_sd[1]:.4f} (posterior means, learned from the runs; "
                    f"repeated α give {smooth.noise_dof} dof of pure noise); figures `curve_1_vs_alpha.png`, `curve_2_vs_alpha.png`")
        if DEFAULT_ANSWER == "smoothed":
            lines += [f"> **Answer: {smooth.sentence()}**; {smoothed}.", ""]
        else:
            answer = confirmation.verdict.chosen.mono_ratio if confirmation is not None else pick.mono_ratio
            lines += [f"> **Answer: α = {answer:.3f}** (knee among the {'confirmed points' if confirmation else 'trials'}, "
                      f"what `sweep.export` writes); {smoothed}.", ""]
    elif smooth_note:
        lines += [f"> Smoothed answer unavailable: {smooth_note}.", ""]
    if confirmation is None:
        lines += [f"> {confirm_advice(smooth, cfg)}", ""]
    if confirmation is not None:
        c = confirmation.verdict.chosen
        lines += [f"> **Confirmed answer: α = {c.mono_ratio:.3f}** ({names[0]} {c.means[0]:.4f} ± {c.stds[0]:.4f}, "
                  f"{names[1]} {c.means[1]:.4f} ± {c.stds[1]:.4f}; {confirmation.cfg.regime.name} regime, {confirmation.cfg.device}, "
                  f"{confirmation.cfg.repeats} seeds). {confirmation.verdict.sentence}", ""]
    if warning and confirmation is not None and confirmation.cfg.regime.name == "full":
        warning = (f"Note: the search ran regime {cfg.regime.name!r}, which is not shown to rank mono_ratio like full fine-tuning; "
                   "use the confirmed answer above (full regime), not the search's")
    if warning:
        lines += [f"> **{warning.split(':', 1)[0]}:**{warning.split(':', 1)[1]}", ""]
    elif (fidelity := regime_fidelity(cfg)) is not None:
        lines += [f"> **Fidelity:**{fidelity.split(':', 1)[1]}", ""]
    if note:
        lines += [f"> {note}", ""]
    label = ("Search answer (one seed per trial)" if confirmation is not None
             else "Trial-based answer" if smooth is not None else "Answer")
    lines += [f"Trained with {regime_line(cfg)}.", "",
             f"**{label}: mono_ratio α = {pick.mono_ratio:.3f}** "
             f"(trial {chosen.number}, knee of the Pareto front after min-max scaling): "
             f"{names[0]} {pick.obj1:.4f}, {names[1]} {pick.obj2:.4f} on the dev split.", "",
             "## Against the reference points (dev split)", "",
             f"| point | α | {names[0]} | Δ chosen − point | {names[1]} | Δ chosen − point |", "|---|---|---|---|---|---|"]
    refs: list[tuple[str, float | None, float | None, float | None]] = []
    for label, alpha in (("all cross-lingual", 0.0), ("paper's hybrid", 0.5), ("all monolingual", 1.0)):
        row = _closest(frame, alpha)
        if row is not None:
            refs.append((label + f" (trial {int(row.number)})", alpha, row.obj1, row.obj2))
    refs.append(("zero-shot", None, base1, base2))
    for label, alpha, o1, o2 in refs:
        if o1 is None or o2 is None:
            continue
        a = "—" if alpha is None else f"{alpha:g}"
        lines.append(f"| {label} | {a} | {o1:.4f} | {_delta(pick.obj1, o1)} | {o2:.4f} | {_delta(pick.obj2, o2)} |")
    lines += ["", f"Objective 1 is same-language P@{cfg.k} (Mo. setting, macro over languages); objective 2 is "
              f"{CROSS_LINGUAL[cfg.xling_metric].label}.",
              "", f"## Pareto front ({len(front)} of {len(frame)} completed trials)", "",
              f"| trial | α | {names[0]} | {names[1]} | Cr. mAP | language bias |", "|---|---|---|---|---|---|"]
    for t in sorted(front, key=lambda t: t.params["mono_ratio"]):
        r = frame[frame.number == t.number].iloc[0]
        lines.append(f"| {t.number} | {r.mono_ratio:.3f} | {r.obj1:.4f} | {r.obj2:.4f} | {r.get('cr_map', float('nan')):.4f} "
                     f"| {r.get('language_bias', float('nan')):.1f} |")
    if confirmation is not None:
        lines += [""] + _confirmation_lines(confirmation, names)
    if not test.empty:
        lines += ["", "## Held-out test split (Pareto trials; the search never saw these numbers)", "",
                  f"| trial | α | {names[0]} dev | test | {names[1]} dev | test |", "|---|---|---|---|---|---|"]
        for _, r in test.sort_values("mono_ratio").iterrows():
            lines.append(f"| {int(r.trial)} | {r.mono_ratio:.3f} | {r.dev_obj1:.4f} | {r.test_obj1:.4f} | {r.dev_obj2:.4f} "
                         f"| {r.test_obj2:.4f} |")
        tb = study.user_attrs.get("baseline_test", {})
        if tb:
            dev, held_out = (tuple(math.nan if v is None else v for v in baseline_objectives(b, cfg.xling_metric))
                             for b in (base, tb))
            lines.append(f"| zero-shot | — | {dev[0]:.4f} | {held_out[0]:.4f} | {dev[1]:.4f} | {held_out[1]:.4f} |")
    secs, regime = frame["seconds"], cfg.regime
    lines += ["", "## Run", "",
              f"{len(frame)} completed trials; per trial (train + encode + metrics) median {secs.median():.1f} s, max {secs.max():.1f} s. "
              f"Config: model `{cfg.model}`, regime `{regime.name}`, K = {regime.train_layers} trained layers "
              f"({regime.train_path} path), {regime.steps} steps × {cfg.batch_size} pairs, lr {regime.learning_rate:g} "
              f"({regime.lr_schedule}, warm-up {regime.warmup_ratio:g}), dropout {'on' if regime.dropout else 'off'}, "
              f"τ {cfg.temperature:g}, max_length {cfg.max_length}, sampler {cfg.sampler}, seed {cfg.seed}.",
              "", "Figures: `pareto_front.png`, `metrics_vs_alpha.png`, `language_bias_vs_alpha.png`, `xling_heatmap_delta.png`; "
              "table of every trial: `trials.csv`.", "", "Reproduce:", "", "```", command, "```", ""]
    return "\n".join(lines)
