"""The confirm stage: re-run a search study's front, knee and anchors with several seeds.

A single-seed search finds the region; it is no evidence for one α when the front's
points differ by less than seed noise. ``python -m sweep.confirm`` re-runs the search
study's Pareto trials (optionally the ``top`` nearest its knee), its knee and the
anchors, each with ``repeats`` seeds, in a chosen regime (e.g. the search ran
``proxy`` on a CPU, the confirmation ``full`` on a GPU), as a linked study
``<study>-confirm`` in the same storage. It is an ordinary study underneath (same
worker loop, admission lock, heartbeats, identity check and side tables); only its
trials are fixed points instead of sampled ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import optuna
from optuna.trial import FrozenTrial, TrialState
from sqlalchemy import Engine

import storage
from objectives.errors import ConfigError
from objectives.regimes import SETTING_KEYS
from objectives.retrieval import baseline_objectives, objective_values, repeat_std
from sweep._config import FixedPoint, SweepConfig, config_from_record
from sweep.answer._answer import smoothed_answer
from sweep.answer._pareto import choose_trial, finite_complete
from sweep.answer._rules import RULES, Rule, unit_scale
from sweep.answer._smooth import SmoothAnswer

if TYPE_CHECKING:
    from objectives.trial import Workspace

__all__ = [
    "CONFIRM_SUFFIX",
    "MODEL_COPY_TOLERANCE",
    "baseline_source",
    "check_confirm_inputs",
    "CURVES_RULE",
    "curves_agreement",
    "search_curves",
    "ConfirmedPoint",
    "confirm_config",
    "confirm_points",
    "confirm_study_name",
    "confirms_search",
    "ConfirmVerdict",
    "INDISTINGUISHABLE_RULE",
    "confirm_progress",
    "confirm_rule",
    "confirmed_points",
    "indistinguishable",
    "linked_confirm_study",
    "load_confirm_study",
    "SEARCH_ID_ATTR",
    "search_record",
    "stale_confirm_note",
    "stale_confirm_refusal",
    "verdict",
]

CONFIRM_SUFFIX = "-confirm"
#: Confirm trials draw fresh training seeds: with the search's seed, repeat 0 would
#: replay the search trial itself (the split seed is kept, so the split is the same).
SEED_OFFSET = 1_000_003


def confirm_study_name(search_study: str) -> str:
    return f"{search_study}{CONFIRM_SUFFIX}"


def _key(params: dict[str, float]) -> tuple[tuple[str, float], ...]:
    return tuple(sorted((k, round(float(v), 12)) for k, v in params.items()))


def confirm_points(study: optuna.Study, cfg: SweepConfig, top: int | None = None, *, rule: Rule = "knee",
                   min_xling: float | None = None, min_same_lang: float | None = None) -> list[FixedPoint]:
    """The search study's choice by ``rule``, its Pareto trials (the ``top`` nearest the choice) and anchors.

    ``rule``, ``min_xling`` and ``min_same_lang`` are sweep.export's (docs/design.md,
    "Export rules"), so the points include what ``sweep.export`` with the same options
    writes: the trial it picks (kind ``rule``: ``knee``, ``max-xling`` or ``max-same-lang``)
    and the smoothed answer with its interval's ends. The constraints filter the front.
    Points with identical parameters are merged (their kinds and source trials joined).
    Anchors are the configured α values; an anchor trial's full parameter set is used
    when the search ran one, else ``{"mono_ratio": α}``.

    Raises:
        ConfigError: the search study has no finite completed trial, or none meets the constraints.
    """
    trials = finite_complete(study)
    chosen, front = choose_trial(trials, rule, min_xling, min_same_lang)
    if top is not None:
        # Nearest the choice in the knee's frame: both objectives scaled over all trials.
        scaled = dict(zip((t.number for t in trials), unit_scale(np.array([t.values for t in trials], dtype=float))))

        def distance(t: FrozenTrial) -> tuple[float, int]:
            return float(np.linalg.norm(scaled[t.number] - scaled[chosen.number])), t.number

        front = sorted(front, key=distance)[:top]
    points: dict[tuple[tuple[str, float], ...], FixedPoint] = {}

    def add(params: dict[str, float], kind: str, source: int | None) -> None:
        key = _key(params)
        old = points.get(key)
        kinds = ([*old.kinds] if old else []) + ([kind] if not old or kind not in old.kinds else [])
        sources = sorted({*(old.source_trials if old else []), *([source] if source is not None else [])})
        points[key] = FixedPoint(params=dict(params), kinds=kinds, source_trials=sources)

    add(chosen.params, rule, chosen.number)
    for t in front:
        add(t.params, "pareto", t.number)
    anchor_trials = {round(t.params["mono_ratio"], 12): t for t in trials if t.user_attrs.get("anchor")}
    # An anchor the search never completed gets the other searched parameters at the search's
    # configured values, so the sampler never has to fill them in.
    fixed = {k: float(v) for k in cfg.search_space
             if k != "mono_ratio" and isinstance(v := getattr(cfg, k), (int, float)) and not isinstance(v, bool)}
    for alpha in cfg.anchors:
        hit = anchor_trials.get(round(alpha, 12))
        add(hit.params if hit else {"mono_ratio": alpha, **fixed}, "anchor", hit.number if hit else None)
    # The smoothed answer and both ends of its interval, rounded to the grid's resolution.
    smooth = search_curves(study, cfg, rule=rule, min_xling=min_xling, min_same_lang=min_same_lang)
    if smooth is not None:
        for alpha, kind in ((smooth.mono_ratio, "smoothed"), (smooth.interval[0], "interval-low"),
                            (smooth.interval[1], "interval-high")):
            add({"mono_ratio": round(float(alpha), 4), **fixed}, kind, None)
    return sorted(points.values(), key=lambda p: (p.params["mono_ratio"], _key(p.params)))


def confirm_rule(cfg: SweepConfig) -> tuple[Rule, float | None, float | None]:
    """The rule and constraints a confirm study chose its points with (its config: ``fixed_points``' kinds and
    ``min_xling``/``min_same_lang``), for a verdict by the same rule."""
    kinds = {kind for point in cfg.fixed_points or [] for kind in point.kinds}
    rule = next((r for r in RULES if r in kinds), "knee")
    return rule, cfg.min_xling, cfg.min_same_lang  # type: ignore[return-value]


def search_curves(study: optuna.Study, cfg: SweepConfig, *, rule: Rule = "knee", min_xling: float | None = None,
                  min_same_lang: float | None = None) -> SmoothAnswer | None:
    """The smoothed answer of the search study alone by ``rule`` (None when its runs cannot carry curves)."""
    space = cfg.search_space["mono_ratio"]
    smooth, _, _ = smoothed_answer(study, None, same_settings=False, rule=rule, min_xling=min_xling,
                                   min_same_lang=min_same_lang, bounds=(space.low, space.high))
    return smooth


#: When confirmed points agree with the search's curves.
CURVES_RULE = ("every confirmed mean within 2 standard deviations of the search's fitted curve at its alpha, on both "
               "objectives (sd = sqrt(se^2 + posterior variance of the curve))")


def curves_agreement(points: list[ConfirmedPoint], smooth: SmoothAnswer) -> tuple[bool, str]:
    """Whether the confirmed means agree with the search's curves within noise, and a sentence that says so."""
    worst, where = 0.0, None
    for p in points:
        mean, sd = smooth.at(p.mono_ratio)
        z = np.abs(np.array(p.means) - mean) / np.sqrt(np.array(p.sems) ** 2 + sd ** 2)
        if float(z.max()) > worst:
            worst, where = float(z.max()), p
    agree = worst <= 2.0
    detail = f"largest gap {worst:.1f} sd at α {where.mono_ratio:.3g}" if where is not None else "no point"
    if agree:
        return True, f"The confirmed means AGREE with the search's fitted curves within noise ({detail})."
    return False, (f"The confirmed means DISAGREE with the search's fitted curves ({detail}): the search's curves, "
                   "and the smoothed answer drawn from them, do not describe this training.")


def confirm_config(
    search: SweepConfig, points: list[FixedPoint], *, regime: str | None, device: str, repeats: int,
    storage_url: str, workers: int = 1, threads: int | None = None, cache_dir: str | None = None,
    artifacts_dir: str | None = None, model: str | None = None, data: str | None = None,
    min_xling: float | None = None, min_same_lang: float | None = None,
) -> SweepConfig:
    """The confirm study's config: the search's data, model, split and objectives; the given regime.

    Training settings come from ``regime``'s recipe (the search's own regime when
    ``None``, with the search's overrides kept); fixed points replace sampling.
    ``min_xling``/``min_same_lang`` are the constraints the points were chosen with
    (:func:`confirm_rule` reads them back for the verdict).
    """
    stored = search.model_dump(mode="json")
    if regime is None or regime == search.regime.name:
        training = {k: stored[k] for k in ("regime", *SETTING_KEYS)}
    else:
        training = {"regime": regime}
        for key in SETTING_KEYS:
            stored.pop(key, None)
    overrides: dict[str, Any] = {
        **training, "study_name": confirm_study_name(search.study_name), "storage": storage_url, "device": device,
        "repeats": repeats, "trials": len(points), "anchors": [], "confirms": search.study_name,
        "fixed_points": [p.model_dump() for p in points], "seed": search.seed + SEED_OFFSET,
        "split_seed": search.split_seed, "workers": workers, "threads": threads, "keep_weights": "all",
        "max_failed": max(search.max_failed, len(points)), "min_xling": min_xling, "min_same_lang": min_same_lang,
    }
    for key, value in (("cache_dir", cache_dir), ("model", model), ("data", data), ("artifacts_dir", artifacts_dir)):
        if value is not None:
            overrides[key] = value
    return config_from_record(stored, **overrides)


#: How far a confirm study's zero-shot objectives may differ from its search's when its
#: model is a copy from elsewhere (the fidelity rule's tolerance for a rebuilt encoder).
MODEL_COPY_TOLERANCE = 0.002


def check_confirm_inputs(cfg: SweepConfig, engine: Engine, ws: Workspace) -> dict[str, Any]:
    """A confirm study must train on the search's data with the search's encoder (checked before writing).

    The data must have the same fingerprint. A model given from elsewhere (``--model``,
    e.g. a copy rebuilt on a GPU machine) may differ in bytes, but its zero-shot dev
    objectives must match the search's baseline within :data:`MODEL_COPY_TOLERANCE`.
    Returns the search study's record.
    """
    record = storage.get_study_record(engine, cfg.confirms or "")
    if record is None:
        raise ConfigError(f"the search study {cfg.confirms!r} is gone from {storage.mask_url(cfg.storage)}")
    if record["data_fingerprint"] != ws.data.fingerprint:
        raise ConfigError(f"the data is not the search study's (fingerprint {ws.data.fingerprint[:12]} vs "
                          f"{record['data_fingerprint'][:12]}): pass the search's data with --data")
    if record["model_fingerprint"] == ws.encoder.fingerprint:
        return record
    from objectives.trial import zero_shot  # torch: only a worker about to train gets here

    search = optuna.load_study(study_name=cfg.confirms, storage=cfg.storage)
    base = search.user_attrs.get("baseline_dev", {})
    mine = objective_values(zero_shot(ws, "dev"), cfg.xling_metric)
    theirs = baseline_objectives(base, cfg.xling_metric)
    gaps = [abs(m - (math.nan if t is None else float(t))) for m, t in zip(mine, theirs)]
    if not all(g <= MODEL_COPY_TOLERANCE for g in gaps):
        raise ConfigError(f"the model {cfg.model!r} is not the search study's: its zero-shot dev objectives differ from the "
                          f"search's baseline by {max(gaps):.4f} (> {MODEL_COPY_TOLERANCE}); pass the search's encoder with --model")
    return record


def baseline_source(cfg: SweepConfig, record: dict[str, Any] | None, ws: Workspace) -> optuna.Study | None:
    """The search study (``record``: its stored record) whose baseline a confirm study may copy:
    same encoder, same path and cut.

    The zero-shot numbers depend on the model and on the path (the cached path rounds
    the cut-layer states to fp16), not on the rest of the training recipe.
    """
    if cfg.confirms is None or record is None or record["model_fingerprint"] != ws.encoder.fingerprint:
        return None
    search = config_from_record(record["config"], storage=cfg.storage, device="cpu")
    if (search.regime.workspace_key, search.max_length) != (cfg.regime.workspace_key, cfg.max_length):
        return None
    return optuna.load_study(study_name=cfg.confirms, storage=cfg.storage)


def confirm_progress(confirm_study: optuna.Study) -> tuple[int, int]:
    """(points completed, points in all) of a confirm study."""
    record = confirm_study.user_attrs.get("config", {})
    total = len(record.get("fixed_points") or [])
    done = len({t.user_attrs.get("point") for t in confirm_study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))})
    return done, total


#: The confirm study's user attribute naming its search study by Optuna's study id. ``optuna
#: delete-study`` of a search leaves its confirm study behind; a search made again under the name
#: gets a new id, so that confirm study is no longer taken for the new search's.
SEARCH_ID_ATTR = "confirms_study_id"


def confirms_search(confirm_study: optuna.Study, search_id: int) -> bool:
    """Whether ``confirm_study`` confirms the search study whose Optuna id is ``search_id``, not an earlier one of its name."""
    recorded = confirm_study.user_attrs.get(SEARCH_ID_ATTR)
    if recorded is not None:
        return int(recorded) == search_id
    # Made before the link was recorded. A confirm study is made after its search and study ids
    # only grow (SQLite reuses none while the confirm study lives), so one older than the search
    # study is an earlier search's.
    return confirm_study._study_id > search_id


def linked_confirm_study(storage_url: str, search_study: str) -> tuple[optuna.Study | None, bool]:
    """(the confirm study of ``search_study`` or None, whether the one of its name is an earlier search's).

    A stale confirm study (see :func:`confirms_search`) is not returned: its points are
    another study's. Callers say so with :func:`stale_confirm_note`.
    """
    name = confirm_study_name(search_study)
    names = optuna.get_all_study_names(storage_url)
    if name not in names or search_study not in names:
        return None, False
    confirm = optuna.load_study(study_name=name, storage=storage_url)
    if confirms_search(confirm, optuna.load_study(study_name=search_study, storage=storage_url)._study_id):
        return confirm, False
    return None, True


def load_confirm_study(storage_url: str, search_study: str) -> optuna.Study | None:
    """The linked confirm study of ``search_study``, or None when there is none (or it is an earlier search's)."""
    return linked_confirm_study(storage_url, search_study)[0]


def _stale(storage_url: str, search_study: str) -> tuple[str, str]:
    name = confirm_study_name(search_study)
    return (f"the confirm study {name!r} belongs to an earlier study named {search_study!r} (deleted since), not to this one",
            f"optuna delete-study --study-name {name} --storage {storage.mask_url(storage_url)}")


def stale_confirm_note(storage_url: str, search_study: str) -> str:
    """What export and report say when they ignore a stale confirm study."""
    what, delete = _stale(storage_url, search_study)
    return f"{what}, so it is ignored; delete it ({delete}) before confirming this study"


def stale_confirm_refusal(storage_url: str, search_study: str) -> str:
    """Why ``sweep.confirm`` will not resume a stale confirm study, and the way out.

    Not replaced on its own: its trials may be all that is left of the deleted search,
    and deleting stored results is the user's call (the same way out as a changed identity).
    """
    what, delete = _stale(storage_url, search_study)
    return f"{what}: delete it ({delete}) to confirm this study"


@dataclass(frozen=True)
class ConfirmedPoint:
    """One fixed point's confirmed objectives over its repeats."""

    trial: int
    params: dict[str, float]
    kinds: list[str]
    source_trials: list[int]
    means: tuple[float, float]
    stds: tuple[float, float]
    sems: tuple[float, float]
    repeats: int

    @property
    def mono_ratio(self) -> float:
        return float(self.params["mono_ratio"])


def confirmed_points(study: optuna.Study) -> list[ConfirmedPoint]:
    """COMPLETE trials of a confirm study as points with mean, sample std and standard error."""
    out = []
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        if t.values is None or not all(math.isfinite(v) for v in t.values):
            continue
        reps = np.array(t.user_attrs.get("repeat_values") or [t.values], dtype=float)
        n = len(reps)
        std = repeat_std(reps)
        sem = std / math.sqrt(n)
        out.append(ConfirmedPoint(
            trial=t.number, params=dict(t.params), kinds=list(t.user_attrs.get("kinds", [])),
            source_trials=list(t.user_attrs.get("source_trials", [])), means=(float(t.values[0]), float(t.values[1])),
            stds=(float(std[0]), float(std[1])), sems=(float(sem[0]), float(sem[1])), repeats=n,
        ))
    return sorted(out, key=lambda p: (p.mono_ratio, p.trial))


#: The rule that decides which confirmed points cannot be told apart from the chosen one.
INDISTINGUISHABLE_RULE = ("within 2 standard errors on both objectives: |mean_a - mean_b| <= 2 * sqrt(se_a^2 + se_b^2) "
                          "for same-language P@k and for cross-lingual mAP (se = sample std / sqrt(repeats))")


@dataclass(frozen=True)
class ConfirmVerdict:
    """What confirmation says about a search study's answer."""

    points: list[ConfirmedPoint]
    chosen: ConfirmedPoint
    tied: list[ConfirmedPoint]
    search_knee: ConfirmedPoint | None
    holds: bool | None
    # (agree, sentence) against the search's fitted curves; None when the search has none.
    curves: tuple[bool, str] | None = None
    # The rule that chose, both in the search (``search_knee``, its choice by this rule) and here.
    rule: str = "knee"

    @property
    def sentence(self) -> str:
        """The verdict for the first lines of a summary or report."""
        return self._knee_sentence() + (f" {self.curves[1]}" if self.curves is not None else "")

    def _knee_sentence(self) -> str:
        c = self.chosen
        tied = ", ".join(f"{p.mono_ratio:.3g}" for p in self.tied if p.trial != c.trial)
        also = f"; α {tied} cannot be told apart from it" if tied else ""
        if self.search_knee is None:
            return f"Confirmation picks α = {c.mono_ratio:.3g}{also}."
        k = self.search_knee.mono_ratio
        pick = "knee" if self.rule == "knee" else f"{self.rule} choice"
        if self.holds:
            how = (f"is the confirmed {pick}" if self.search_knee.trial == c.trial
                   else f"cannot be told apart from the confirmed {pick} α = {c.mono_ratio:.3g}")
            return f"The search's {pick} (α = {k:.3g}) HOLDS: it {how}{also}."
        return (f"The search's {pick} (α = {k:.3g}) is OVERTURNED: confirmation picks α = {c.mono_ratio:.3g} "
                f"and the search's {pick} is distinguishable from it{also}.")


def verdict(confirm_study: optuna.Study, rule: str = "knee", min_xling: float | None = None,
            min_same_lang: float | None = None, curves: SmoothAnswer | None = None) -> ConfirmVerdict:
    """The confirmed choice (``rule`` over the confirmed means), the points tied with it, and the search choice's fate.

    The search's choice is the point :func:`confirm_points` labelled with ``rule`` (the
    knee by default); a confirm study chosen by another rule has none, and the verdict
    then only names the confirmed choice. With the search's fitted ``curves``
    (:func:`search_curves`, the same curves that chose the smoothed points), also whether
    the confirmed means agree with them (:func:`curves_agreement`).

    Raises:
        ConfigError: the confirm study has no completed point yet.
    """
    points = confirmed_points(confirm_study)
    chosen_trial, _ = choose_trial(finite_complete(confirm_study), rule, min_xling, min_same_lang)  # type: ignore[arg-type]
    by_trial = {p.trial: p for p in points}
    chosen = by_trial[chosen_trial.number]
    tied = [p for p in points if indistinguishable(chosen, p)]
    knee = next((p for p in points if rule in p.kinds), None)
    holds = None if knee is None else knee.trial == chosen.trial or indistinguishable(chosen, knee)
    agreement = curves_agreement(points, curves) if curves is not None else None
    return ConfirmVerdict(points, chosen, tied, knee, holds, agreement, rule)


def indistinguishable(chosen: ConfirmedPoint, other: ConfirmedPoint, n_se: float = 2.0) -> bool:
    """``other`` cannot be told apart from ``chosen`` (see :data:`INDISTINGUISHABLE_RULE`)."""
    for j in range(2):
        gap = abs(chosen.means[j] - other.means[j])
        if gap > n_se * math.sqrt(chosen.sems[j] ** 2 + other.sems[j] ** 2):
            return False
    return True


def search_record(storage_url: str, study_name: str) -> dict[str, Any]:
    """The stored provenance of the search study, reading only (a wrong name writes nothing).

    Raises:
        StorageError: no such database, or not a study database.
        ConfigError: no xling-sweep study of that name in it.
    """
    engine = storage.open_study_database(storage_url)
    record = storage.get_study_record(engine, study_name)
    # `optuna delete-study` leaves our record behind: without its Optuna study there is no study.
    if record is None or study_name not in optuna.get_all_study_names(storage_url):
        raise ConfigError(f"no xling-sweep study named {study_name!r} in {storage.mask_url(storage_url)}: "
                          "run python -m sweep.run first, or check --study-name/--storage")
    return record
