"""``reports/<study>/``: figures, trials CSV, test-split results and summary.md."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
from optuna.artifacts import upload_artifact
from safetensors.torch import load_file

import storage
from objectives import ConfigError, WorkspacePool, evaluate_encoder
from sweep._answer import same_training, smoothed_answer
from sweep._artifacts import artifact_store_for, weights_path
from sweep._config import SweepConfig, config_from_record
from sweep._confirm import (
    INDISTINGUISHABLE_RULE,
    ConfirmVerdict,
    confirm_progress,
    load_confirm_study,
    search_curves,
    verdict,
)
from sweep._export import DEFAULT_ANSWER
from sweep._pareto import choose_trial, finite_complete, pareto_front
from sweep._plots import plot_bias, plot_curve, plot_heatmap, plot_metrics_vs_alpha, plot_pareto
from sweep._summary import regime_fidelity, regime_line, regime_warning

__all__ = ["ReportResult", "write_report"]


@dataclass
class ReportResult:
    folder: Path
    files: list[Path]
    chosen: int
    test: pd.DataFrame


def _trials_frame(trials: list[optuna.trial.FrozenTrial]) -> pd.DataFrame:
    rows = []
    for t in trials:
        metrics = t.user_attrs.get("metrics", {})
        rows.append({"number": t.number, "mono_ratio": t.params["mono_ratio"], "obj1": t.values[0], "obj2": t.values[1],
                     "anchor": bool(t.user_attrs.get("anchor")), **{k: (np.nan if v is None else v) for k, v in metrics.items()},
                     **{f"param_{k}": v for k, v in t.params.items() if k != "mono_ratio"},
                     "seconds": sum(t.user_attrs.get("timings", {}).get(p, 0.0) for p in ("train", "encode", "metrics"))})
    return pd.DataFrame(rows).sort_values("number").reset_index(drop=True)


def _cr_matrix(cells: pd.DataFrame, languages: list[str]) -> pd.DataFrame:
    sub = cells[(cells.metric == "map") & cells.setting.isin(["mo", "cr"])]
    return sub.pivot_table(index="query_lang", columns="cand_lang", values="value").reindex(index=languages, columns=languages)


def _test_results(cfg: SweepConfig, study: optuna.Study, engine, front: list[optuna.trial.FrozenTrial],  # type: ignore[no-untyped-def]
                  pool: WorkspacePool) -> pd.DataFrame:
    """Re-evaluate the given trials' saved weights on the held-out test split (on ``cfg``'s device)."""
    rows = []
    for t in front:
        weights = weights_path(cfg, t.number)
        if not weights.exists():
            continue
        ws = pool(cfg.trial_config(**{k: v for k, v in t.params.items() if k != "mono_ratio"}))
        encoder = ws.new_encoder()
        encoder.load_weights(load_file(str(weights)))
        result, _ = evaluate_encoder(ws, encoder, "test")
        storage.write_eval_cells(engine, cfg.study_name, t._trial_id, t.number, "test", result.cells())
        xling = result.xling_map if cfg.xling_metric == "mul_map" else result.cr_map
        rows.append({"trial": t.number, "mono_ratio": t.params["mono_ratio"], "dev_obj1": t.values[0], "test_obj1": result.same_lang_p_at_k,
                     "dev_obj2": t.values[1], "test_obj2": xling, "test_cr_map": result.cr_map, "test_language_bias": result.language_bias})
    return pd.DataFrame(rows)


def _closest(frame: pd.DataFrame, alpha: float) -> pd.Series | None:
    hit = frame[np.isclose(frame["mono_ratio"], alpha)]
    return hit.iloc[0] if len(hit) else None


def _delta(a: float, b: float) -> str:
    return f"{a - b:+.4f}"


def write_report(cfg: SweepConfig, out_root: Path, command: str, with_test: bool = True,
                 ran_on: str | None = None) -> ReportResult:
    """Write every report file for ``cfg``'s study and attach the images to the dashboard.

    ``cfg.device`` is where the report re-evaluates weights (this machine); ``ran_on`` is
    the device the study trained on, as the report states it (default ``cfg.device``).

    Raises:
        ConfigError: the study does not exist or has no finite completed trial.
    """
    try:
        study = optuna.load_study(study_name=cfg.study_name, storage=cfg.storage)
    except KeyError:
        raise ConfigError(f"no study named {cfg.study_name!r} in {storage.mask_url(cfg.storage)}: check --study-name") from None
    engine = storage.make_engine(cfg.storage)
    trials = finite_complete(study)
    chosen, _ = choose_trial(trials, "knee")
    front = pareto_front(trials)
    names = study.metric_names or cfg.metric_names
    folder = out_root / cfg.study_name
    folder.mkdir(parents=True, exist_ok=True)
    frame = _trials_frame(trials)
    base = study.user_attrs.get("baseline_dev", {})
    xkey = "xling_map" if cfg.xling_metric == "mul_map" else "cr_map"
    base_pt = (base.get("same_lang_p@k") or math.nan, base.get(xkey) or math.nan)
    confirm = load_confirm_study(cfg.storage, cfg.study_name)
    confirmation = _confirmation(cfg, study, confirm, engine, with_test)
    confirmed = confirmation.frame if confirmation is not None else None
    space = cfg.search_space["mono_ratio"]
    smooth, runs_from, smooth_note = smoothed_answer(
        study, confirm if confirmation is not None else None,
        same_settings=confirmation is not None and same_training(cfg, confirmation.cfg), bounds=(space.low, space.high))
    files = [
        plot_pareto(frame, [t.number for t in front], chosen.number, base_pt, names, folder / "pareto_front.png",
                    confirmed, smooth),
        plot_metrics_vs_alpha(frame,
                              [("obj1", names[0]), ("obj2", names[1]), ("mul_map", "Mul. mAP (pooled)"), ("cr_map", "Cr. mAP (pairs)")],
                              {"obj1": base.get("same_lang_p@k"), "obj2": base.get(xkey), "mul_map": base.get("mul_map"),
                               "cr_map": base.get("cr_map")},
                              folder / "metrics_vs_alpha.png", confirmed),
        plot_bias(frame, base.get("language_bias"), folder / "language_bias_vs_alpha.png"),
    ]
    if smooth is not None:
        for j, name in enumerate(names[:2]):
            files.append(plot_curve(smooth, j, name, folder / f"curve_{j + 1}_vs_alpha.png"))
    cells = storage.metric_cells(engine, cfg.study_name, split=cfg.eval_split)
    languages = sorted(set(cells["query_lang"].dropna()), key=list(cells["query_lang"].dropna()).index)
    chosen_m = _cr_matrix(cells[(cells.trial_number == chosen.number) & (cells.repeat == 0)], languages)
    base_m = _cr_matrix(storage.baseline_cells(engine, cfg.study_name, cfg.eval_split), languages)
    files.append(plot_heatmap(chosen_m - base_m,
                              f"mAP per (query, candidate) language: trial {chosen.number} "
                              f"(α={chosen.params['mono_ratio']:.3f}) minus zero-shot",
                              folder / "xling_heatmap_delta.png"))
    frame.to_csv(folder / "trials.csv", index=False)
    files.append(folder / "trials.csv")
    pool = WorkspacePool(progress=False)
    test = _test_results(cfg, study, engine, front, pool) if with_test else pd.DataFrame()
    if not test.empty:
        test.to_csv(folder / "pareto_test.csv", index=False)
        files.append(folder / "pareto_test.csv")
    if confirmation is not None:
        files.extend(confirmation.write(folder))
    shown = cfg.model_copy(update={"device": ran_on}) if ran_on else cfg
    note = None
    if confirm is not None and confirmation is None:
        done, total = confirm_progress(confirm)
        note = (f"Note: the confirm study `{confirm.study_name}` has {done} of {total} points done; rerun "
                "`python -m sweep.confirm` with the same options to finish it. Until then this is the search's answer.")
    summary = _summary_md(shown, study, frame, chosen, front, base, test, names, command, xkey, confirmation, note,
                          smooth, runs_from, smooth_note)
    (folder / "summary.md").write_text(summary, encoding="utf-8")
    files.append(folder / "summary.md")
    store = artifact_store_for(cfg)
    for png in folder.glob("*.png"):
        upload_artifact(artifact_store=store, file_path=str(png), study_or_trial=study)
    return ReportResult(folder, files, chosen.number, test)


@dataclass
class _Confirmation:
    """The confirm study of a search study, as the report shows it."""

    cfg: SweepConfig
    verdict: ConfirmVerdict
    frame: pd.DataFrame
    test: pd.DataFrame

    def write(self, folder: Path) -> list[Path]:
        self.frame.to_csv(folder / "confirmed_points.csv", index=False)
        files = [folder / "confirmed_points.csv"]
        if not self.test.empty:
            self.test.to_csv(folder / "confirmed_test.csv", index=False)
            files.append(folder / "confirmed_test.csv")
        return files

    def lines(self, names: list[str]) -> list[str]:
        v, c = self.verdict, self.cfg
        out = [f"## Confirmation ({c.regime} regime, {c.device}, {c.repeats} seeds per point; study `{c.study_name}`)", "",
               v.sentence, "",
               f"Cannot be told apart from the chosen point: {INDISTINGUISHABLE_RULE}.", "",
               f"| α | kinds | {names[0]} mean ± std | {names[1]} mean ± std | tied with chosen |", "|---|---|---|---|---|"]
        tied = {p.trial for p in v.tied}
        for p in v.points:
            mark = "**chosen**" if p.trial == v.chosen.trial else ("yes" if p.trial in tied else "no")
            out.append(f"| {p.mono_ratio:.3f} | {', '.join(p.kinds)} | {p.means[0]:.4f} ± {p.stds[0]:.4f} | "
                       f"{p.means[1]:.4f} ± {p.stds[1]:.4f} | {mark} |")
        if not self.test.empty:
            out += ["", "Confirmed points on the held-out test split (first seed's weights):", "",
                    f"| α | {names[0]} dev mean | test | {names[1]} dev mean | test |", "|---|---|---|---|---|"]
            for _, r in self.test.sort_values("mono_ratio").iterrows():
                out.append(f"| {r.mono_ratio:.3f} | {r.dev_obj1:.4f} | {r.test_obj1:.4f} | {r.dev_obj2:.4f} | {r.test_obj2:.4f} |")
        return out + [""]


def _confirmation(cfg: SweepConfig, study: optuna.Study, confirm: optuna.Study | None, engine,  # type: ignore[no-untyped-def]
                  with_test: bool) -> _Confirmation | None:
    """What the report shows of ``confirm``, ``cfg``'s confirm study; None when there is none or
    it is not finished (the summary then says how far it got)."""
    if confirm is None:
        return None
    done, total = confirm_progress(confirm)
    if total == 0 or done < total:
        return None
    record = storage.get_study_record(engine, confirm.study_name)
    if record is None:
        return None
    ccfg = config_from_record(record["config"], storage=cfg.storage, device=cfg.device)
    v = verdict(confirm, curves=search_curves(study, cfg))
    frame = pd.DataFrame([{"trial": p.trial, "mono_ratio": p.mono_ratio, "kinds": ",".join(p.kinds),
                           "obj1": p.means[0], "obj1_sd": p.stds[0], "obj2": p.means[1], "obj2_sd": p.stds[1],
                           "repeats": p.repeats, "tied_with_chosen": p in v.tied, "chosen": p.trial == v.chosen.trial}
                          for p in v.points])
    test = pd.DataFrame()
    if with_test:
        trials = [t for t in finite_complete(confirm) if t.number in set(frame.trial)]
        test = _test_results(ccfg, confirm, engine, trials, WorkspacePool(progress=False))
    # The stored device is where the confirmation ran (e.g. cuda); the report may run elsewhere.
    shown = ccfg.model_copy(update={"device": str(record["config"].get("device", ccfg.device))})
    return _Confirmation(shown, v, frame, test)


def _summary_md(cfg: SweepConfig, study: optuna.Study, frame: pd.DataFrame, chosen: optuna.trial.FrozenTrial,
                front: list[optuna.trial.FrozenTrial], base: dict, test: pd.DataFrame, names: list[str],
                command: str, xkey: str, confirmation: _Confirmation | None = None, note: str | None = None,
                smooth=None, runs_from: str = "", smooth_note: str | None = None) -> str:  # type: ignore[no-untyped-def]
    pick = frame[frame.number == chosen.number].iloc[0]
    warning = regime_warning(cfg)
    lines = [f"# Study `{study.study_name}`: which mono ratio, and what does it cost?", ""]
    if smooth is not None:
        front_alphas = (f"; α {smooth.front_alphas[0]:.2f}–{smooth.front_alphas[1]:.2f} lie on the front with posterior "
                        "probability ≥ 0.5" if smooth.front_alphas else "")
        smoothed = (f"smoothed over {smooth.n_trials} runs ({runs_from}): {smooth.sentence()}, {names[0]} "
                    f"{smooth.predicted[0]:.4f}, {names[1]} {smooth.predicted[1]:.4f} (posterior means){front_alphas}; "
                    f"noise sd {smooth.noise_sd[0]:.4f} / {smooth.noise_sd[1]:.4f} measured from repeated runs "
                    f"({smooth.noise_dof} dof); figures `curve_1_vs_alpha.png`, `curve_2_vs_alpha.png`")
        if DEFAULT_ANSWER == "smoothed":
            lines += [f"> **Answer: {smooth.sentence()}**; {smoothed}.", ""]
        else:
            answer = confirmation.verdict.chosen.mono_ratio if confirmation is not None else pick.mono_ratio
            lines += [f"> **Answer: α = {answer:.3f}** (knee among the {'confirmed points' if confirmation else 'trials'}, "
                      f"what `sweep.export` writes); {smoothed}.", ""]
    elif smooth_note:
        lines += [f"> Smoothed answer unavailable: {smooth_note}.", ""]
    if confirmation is not None:
        c = confirmation.verdict.chosen
        lines += [f"> **Confirmed answer: α = {c.mono_ratio:.3f}** ({names[0]} {c.means[0]:.4f} ± {c.stds[0]:.4f}, "
                  f"{names[1]} {c.means[1]:.4f} ± {c.stds[1]:.4f}; {confirmation.cfg.regime} regime, {confirmation.cfg.device}, "
                  f"{confirmation.cfg.repeats} seeds). {confirmation.verdict.sentence}", ""]
    if warning and confirmation is not None and confirmation.cfg.regime == "full":
        warning = (f"Note: the search ran regime {cfg.regime!r}, which is not shown to rank mono_ratio like full fine-tuning; "
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
    refs.append(("zero-shot", None, base.get("same_lang_p@k"), base.get(xkey)))
    for label, alpha, o1, o2 in refs:
        if o1 is None or o2 is None:
            continue
        a = "—" if alpha is None else f"{alpha:g}"
        lines.append(f"| {label} | {a} | {o1:.4f} | {_delta(pick.obj1, o1)} | {o2:.4f} | {_delta(pick.obj2, o2)} |")
    lines += ["", f"Objective 1 is same-language P@{cfg.k} (Mo. setting, macro over languages); objective 2 is "
              + ("pooled multilingual mAP (Mul., LAReQA's language-agnostic setting)." if cfg.xling_metric == "mul_map"
                 else "cross-language pair mAP (Cr.)."),
              "", f"## Pareto front ({len(front)} of {len(frame)} completed trials)", "",
              f"| trial | α | {names[0]} | {names[1]} | Cr. mAP | language bias |", "|---|---|---|---|---|---|"]
    for t in sorted(front, key=lambda t: t.params["mono_ratio"]):
        r = frame[frame.number == t.number].iloc[0]
        lines.append(f"| {t.number} | {r.mono_ratio:.3f} | {r.obj1:.4f} | {r.obj2:.4f} | {r.get('cr_map', float('nan')):.4f} "
                     f"| {r.get('language_bias', float('nan')):.1f} |")
    if confirmation is not None:
        lines += [""] + confirmation.lines(names)
    if not test.empty:
        lines += ["", "## Held-out test split (Pareto trials; the search never saw these numbers)", "",
                  f"| trial | α | {names[0]} dev | test | {names[1]} dev | test |", "|---|---|---|---|---|---|"]
        for _, r in test.sort_values("mono_ratio").iterrows():
            lines.append(f"| {int(r.trial)} | {r.mono_ratio:.3f} | {r.dev_obj1:.4f} | {r.test_obj1:.4f} | {r.dev_obj2:.4f} "
                         f"| {r.test_obj2:.4f} |")
        tb = study.user_attrs.get("baseline_test", {})
        if tb:
            lines.append(f"| zero-shot | — | {base.get('same_lang_p@k', float('nan')):.4f} | {tb.get('same_lang_p@k', float('nan')):.4f} | "
                         f"{base.get(xkey, float('nan')):.4f} | {tb.get(xkey, float('nan')):.4f} |")
    secs = frame["seconds"]
    lines += ["", "## Run", "",
              f"{len(frame)} completed trials; per trial (train + encode + metrics) median {secs.median():.1f} s, max {secs.max():.1f} s. "
              f"Config: model `{cfg.model}`, regime `{cfg.regime}`, K = {cfg.train_layers} trained layers ({cfg.train_path} path), "
              f"{cfg.steps} steps × {cfg.batch_size} pairs, lr {cfg.learning_rate:g} ({cfg.lr_schedule}, warm-up {cfg.warmup_ratio:g}), "
              f"dropout {'on' if cfg.dropout else 'off'}, τ {cfg.temperature:g}, max_length {cfg.max_length}, "
              f"sampler {cfg.sampler}, seed {cfg.seed}.",
              "", "Figures: `pareto_front.png`, `metrics_vs_alpha.png`, `language_bias_vs_alpha.png`, `xling_heatmap_delta.png`; "
              "table of every trial: `trials.csv`.", "", "Reproduce:", "", "```", command, "```", ""]
    return "\n".join(lines)
