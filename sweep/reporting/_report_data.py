"""What a report shows, computed and stored: trials, front, knee, baseline, confirmation, curves, test split.

:func:`collect_report` reads the study (and its confirm study), fits the smoothed
answer and re-evaluates the Pareto trials' saved weights on the held-out test split,
writing those test cells to the database. Rendering it (figures, tables,
``summary.md``) is :mod:`sweep.reporting._report`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import optuna
import pandas as pd
from optuna.trial import FrozenTrial
from sqlalchemy import Engine

import storage
from objectives.errors import ConfigError
from objectives.retrieval import baseline_objectives, objective_values
from sweep._config import SweepConfig, config_from_record
from sweep.answer import (
    ConfirmVerdict,
    SmoothAnswer,
    choose_trial,
    confirm_progress,
    confirm_rule,
    finite_complete,
    linked_confirm_study,
    pareto_front,
    same_training,
    search_curves,
    smoothed_answer,
    stale_confirm_note,
    verdict,
)
from sweep.study import weights_path

__all__ = ["ConfirmationData", "ReportData", "collect_report"]


@dataclass
class ConfirmationData:
    """A finished confirm study as the report shows it: its config, verdict, points and their test results."""

    cfg: SweepConfig
    verdict: ConfirmVerdict
    frame: pd.DataFrame
    test: pd.DataFrame


@dataclass
class ReportData:
    """Everything the report renders, for the study of ``cfg``."""

    cfg: SweepConfig
    study: optuna.Study
    names: list[str]
    frame: pd.DataFrame
    chosen: FrozenTrial
    front: list[FrozenTrial]
    baseline: dict[str, float | None]
    heatmap: pd.DataFrame
    test: pd.DataFrame
    confirmation: ConfirmationData | None
    confirm_note: str | None
    smooth: SmoothAnswer | None
    runs_from: str
    smooth_note: str | None

    @property
    def baseline_objectives(self) -> tuple[float | None, float | None]:
        return baseline_objectives(self.baseline, self.cfg.xling_metric)


def trials_frame(trials: list[FrozenTrial]) -> pd.DataFrame:
    """One row per trial: parameters, objectives (``obj1``, ``obj2``), every stored aggregate, seconds."""
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


def test_results(cfg: SweepConfig, study: optuna.Study, engine: Engine, trials: list[FrozenTrial]) -> pd.DataFrame:
    """Re-evaluate the given trials' saved weights on the held-out test split (on ``cfg``'s device), storing the cells."""
    from safetensors.torch import load_file

    from objectives.trial import WorkspacePool, evaluate_trial_encoder  # torch: only a report with test results loads it

    pool = WorkspacePool(progress=False)
    rows = []
    for t in trials:
        weights = weights_path(cfg, t.number)
        if not weights.exists():
            continue
        ws = pool(cfg.trial_config(**{k: v for k, v in t.params.items() if k != "mono_ratio"}))
        encoder = ws.new_encoder()
        encoder.load_weights(load_file(str(weights)))
        result, _ = evaluate_trial_encoder(ws, encoder, "test")
        storage.write_eval_cells(engine, cfg.study_name, t._trial_id, t.number, "test", result.cells())
        test1, test2 = objective_values(result, cfg.xling_metric)
        rows.append({"trial": t.number, "mono_ratio": t.params["mono_ratio"], "dev_obj1": t.values[0], "test_obj1": test1,
                     "dev_obj2": t.values[1], "test_obj2": test2, "test_cr_map": result.cr_map,
                     "test_language_bias": result.language_bias})
    return pd.DataFrame(rows)


def _confirmation(cfg: SweepConfig, study: optuna.Study, confirm: optuna.Study, engine: Engine,
                  with_test: bool) -> ConfirmationData | None:
    """What the report shows of ``confirm``; None when it is not finished (the summary then says how far it got)."""
    done, total = confirm_progress(confirm)
    if total == 0 or done < total:
        return None
    record = storage.get_study_record(engine, confirm.study_name)
    if record is None:
        return None
    ccfg = config_from_record(record["config"], storage=cfg.storage, device=cfg.device)
    v = verdict(confirm, *confirm_rule(ccfg), curves=search_curves(study, cfg))
    frame = pd.DataFrame([{"trial": p.trial, "mono_ratio": p.mono_ratio, "kinds": ",".join(p.kinds),
                           "obj1": p.means[0], "obj1_sd": p.stds[0], "obj2": p.means[1], "obj2_sd": p.stds[1],
                           "repeats": p.repeats, "tied_with_chosen": p in v.tied, "chosen": p.trial == v.chosen.trial}
                          for p in v.points])
    test = pd.DataFrame()
    if with_test:
        trials = [t for t in finite_complete(confirm) if t.number in set(frame.trial)]
        test = test_results(ccfg, confirm, engine, trials)
    # The stored device is where the confirmation ran (e.g. cuda); the report may run elsewhere.
    shown = ccfg.model_copy(update={"device": str(record["config"].get("device", ccfg.device))})
    return ConfirmationData(shown, v, frame, test)


def collect_report(cfg: SweepConfig, with_test: bool = True) -> ReportData:
    """Read and compute everything the report of ``cfg``'s study shows; test-split cells are written to storage.

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
    base = study.user_attrs.get("baseline_dev", {})
    confirm, stale = linked_confirm_study(cfg.storage, cfg.study_name)
    confirmation = _confirmation(cfg, study, confirm, engine, with_test) if confirm is not None else None
    confirm_note = f"Note: {stale_confirm_note(cfg.storage, cfg.study_name)}." if stale else None
    if confirm is not None and confirmation is None:
        done, total = confirm_progress(confirm)
        confirm_note = (f"Note: the confirm study `{confirm.study_name}` has {done} of {total} points done; rerun "
                        "`python -m sweep.confirm` with the same options to finish it. Until then this is the search's answer.")
    space = cfg.search_space["mono_ratio"]
    smooth, runs_from, smooth_note = smoothed_answer(
        study, confirm if confirmation is not None else None,
        same_settings=confirmation is not None and same_training(cfg, confirmation.cfg), bounds=(space.low, space.high))
    cells = storage.metric_cells(engine, cfg.study_name, split=cfg.eval_split)
    languages = sorted(set(cells["query_lang"].dropna()), key=list(cells["query_lang"].dropna()).index)
    chosen_m = _cr_matrix(cells[(cells.trial_number == chosen.number) & (cells.repeat == 0)], languages)
    base_m = _cr_matrix(storage.baseline_cells(engine, cfg.study_name, cfg.eval_split), languages)
    test = test_results(cfg, study, engine, front) if with_test else pd.DataFrame()
    return ReportData(
        cfg=cfg, study=study, names=list(study.metric_names or cfg.metric_names), frame=trials_frame(trials), chosen=chosen,
        front=front, baseline=base, heatmap=chosen_m - base_m, test=test, confirmation=confirmation,
        confirm_note=confirm_note, smooth=smooth, runs_from=runs_from, smooth_note=smooth_note,
    )
