"""Open or create the Optuna study: its RDB storage with heartbeats, samplers, anchors and fixed points."""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import Any

import numpy as np
import optuna
from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback
from optuna.trial import TrialState
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

import storage
from objectives.errors import ConfigError, StorageError
from sweep._config import SweepConfig, with_legacy_defaults
from sweep.answer import SEARCH_ID_ATTR, confirms_search, stale_confirm_refusal
from sweep.study._grid_sampler import CoarseToFineGridSampler
from sweep.study._knee_sampler import KneeSampler

__all__ = ["MAX_TRIES_PER_POINT", "check_identity", "enqueue_point", "make_rdb_storage", "make_sampler", "open_study",
           "requeue_missing_points", "worker_seed"]

_log = logging.getLogger(__name__)


def make_rdb_storage(cfg: SweepConfig, retries: int = 5) -> RDBStorage:
    """Optuna's RDB storage with heartbeats; a dead worker's trial is retried (max 3 times).

    Workers starting together race to create Optuna's tables and its version row. On
    SQLite the creation runs under the file lock beside the database; elsewhere the
    loser of the race retries and then finds them.
    """
    storage.check_storage_url(cfg.storage)
    for attempt in range(retries):
        try:
            with storage.sqlite_file_lock(cfg.storage):
                return RDBStorage(
                    cfg.storage,
                    engine_kwargs=storage.engine_kwargs(cfg.storage),
                    heartbeat_interval=cfg.heartbeat_interval,
                    grace_period=cfg.grace_period,
                    heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(max_retry=3),
                )
        except SQLAlchemyError as e:
            if attempt < retries - 1 and _is_creation_race(e):
                time.sleep(0.5 * (attempt + 1))
                continue
            raise StorageError(
                f"cannot open storage {storage.mask_url(cfg.storage)}: {storage.first_line(e)}; "
                "check the URL and that the database is running"
            ) from None
        except ImportError as e:
            raise storage.missing_driver_error(cfg.storage, e) from None
        except ValueError as e:
            raise StorageError(
                f"cannot open storage {storage.mask_url(cfg.storage)}: {storage.first_line(e)}; check the URL"
            ) from None
    raise AssertionError("unreachable")


def _is_creation_race(e: SQLAlchemyError) -> bool:
    message = str(e).lower()
    return isinstance(e, IntegrityError) or any(
        s in message for s in ("already exists", "unique constraint", "duplicate key", "database is locked")
    )


def enqueue_point(study: optuna.Study, cfg: SweepConfig, index: int) -> None:
    """Queue fixed point ``index`` of a confirm study (its parameters, kinds and source trials)."""
    assert cfg.fixed_points is not None
    point = cfg.fixed_points[index]
    study.enqueue_trial(dict(point.params), user_attrs={"point": index, "kinds": list(point.kinds),
                                                        "source_trials": list(point.source_trials),
                                                        "anchor": "anchor" in point.kinds})


#: A confirm point is tried at most this often (a stale retry by the heartbeat, or an interrupted try, does not count).
MAX_TRIES_PER_POINT = 2


def requeue_missing_points(study: optuna.Study, cfg: SweepConfig, trials: list[optuna.trial.FrozenTrial]) -> list[float]:
    """Queue again every fixed point with no COMPLETE, RUNNING or WAITING trial (one that failed).

    A confirm study runs its points and nothing else: without this, a failed point
    would leave the sampler to draw a new one. A point that already failed
    :data:`MAX_TRIES_PER_POINT` times is not queued again; its ``mono_ratio`` is returned
    so the caller can stop (a diverging point would otherwise burn the budget).
    """
    live = (TrialState.COMPLETE, TrialState.RUNNING, TrialState.WAITING)
    covered = {t.user_attrs.get("point") for t in trials if t.state in live}
    failed = Counter(t.user_attrs.get("point") for t in trials
                     if t.state == TrialState.FAIL and t.user_attrs.get("fail_reason") is not None
                     and not t.system_attrs.get("interrupted"))
    exhausted = []
    for index, point in enumerate(cfg.fixed_points or []):
        if index in covered:
            continue
        if failed.get(index, 0) >= MAX_TRIES_PER_POINT:
            exhausted.append(float(point.params["mono_ratio"]))
            continue
        enqueue_point(study, cfg, index)
    return exhausted


def worker_seed(seed: int, worker_id: int) -> int:
    """A sampler seed per worker: the same seed everywhere would make workers draw the same α."""
    return int(np.random.SeedSequence([seed, worker_id]).generate_state(1)[0])


def make_sampler(cfg: SweepConfig, worker_id: int) -> optuna.samplers.BaseSampler:
    """The configured sampler, seeded per worker."""
    seed = worker_seed(cfg.seed, worker_id)
    if cfg.sampler == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if cfg.sampler == "nsga2":
        # A small population, so a 40-trial study gets several generations, not 40 random draws.
        return optuna.samplers.NSGAIISampler(population_size=10, seed=seed)
    if cfg.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if cfg.sampler == "knee":
        return KneeSampler(seed=seed, min_xling=cfg.min_xling, min_same_lang=cfg.min_same_lang)
    # SweepConfig already refused a grid over other search-space keys.
    # Not Optuna's GridSampler: its grid depended on --trials and skipped the anchors' points.
    return CoarseToFineGridSampler(cfg.search_space["mono_ratio"].low, cfg.search_space["mono_ratio"].high)


def _identity_diff(stored: dict[str, Any], current: dict[str, Any]) -> list[str]:
    keys = sorted(set(stored) | set(current))
    return [k for k in keys if stored.get(k) != current.get(k)]


def check_identity(cfg: SweepConfig, stored: dict[str, Any], identity: dict[str, Any], ignore: tuple[str, ...] = ()) -> None:
    """Refuse a run whose ``identity`` differs from the study's ``stored`` one, naming the differing keys.

    ``ignore``: keys not known yet (the runner checks before the model loads, without
    ``model_fingerprint``, and again once it is known).

    Raises:
        ConfigError: the stored study was made with a different identity.
    """
    stored = {k: v for k, v in with_legacy_defaults(stored).items() if k not in ignore}
    diff = _identity_diff(stored, {k: v for k, v in identity.items() if k not in ignore})
    if not diff:
        return
    if cfg.confirms is not None:
        raise ConfigError(
            f"confirm study {cfg.study_name!r} was created with different {', '.join(diff)} (the search study "
            f"or --top/--rule/--min-xling/--min-same-lang/--regime/--repeats changed since): rerun with the original settings, "
            "or delete it "
            f"(optuna delete-study --study-name {cfg.study_name} --storage {storage.mask_url(cfg.storage)}) "
            "to confirm afresh"
        )
    if "regime" in diff:
        # Most often the README command rerun after the CPU default changed: name both ways out.
        raise ConfigError(
            f"study {cfg.study_name!r} was made with regime {stored['regime']!r}, not {cfg.regime.name!r} (the default "
            f"regime depends on the device and changed in this version): add --regime {stored['regime']} to "
            f"continue it, or start a new study with --study-name NAME"
        )
    if diff == ["loop"]:
        # The regime's loop changed in this version (issue 29); the stored study names the one it ran.
        raise ConfigError(
            f"study {cfg.study_name!r} was trained with the {stored['loop']} loop, not {cfg.regime.loop!r} (studies "
            f"made before this version ran the padded loop): add --loop {stored['loop']} to continue it, or start a "
            f"new study with --study-name NAME"
        )
    raise ConfigError(
        f"study {cfg.study_name!r} was created with different {', '.join(diff)}: rerun with the "
        "original settings, or start a new study with --study-name"
    )


def _search_study_id(cfg: SweepConfig, rdb: RDBStorage) -> int:
    try:
        return rdb.get_study_id_from_name(cfg.confirms or "")
    except KeyError:
        raise ConfigError(f"the search study {cfg.confirms!r} is gone from {storage.mask_url(cfg.storage)}") from None


def open_study(
    cfg: SweepConfig, rdb: RDBStorage, engine: Engine, identity: dict[str, Any], provenance: dict[str, Any],
) -> optuna.Study:
    """Load the study, or create it with metric names and anchors (once, under the lock).

    The study comes with worker 0's sampler; the runner swaps in each worker's own once
    the worker has its id.

    A confirm study records which search study it confirms (Optuna's study id), and one
    left from an earlier search study of the same name is refused.

    Raises:
        ConfigError: the stored study was made with a different identity, or is an
            earlier search's confirm study.
    """
    sampler = make_sampler(cfg, 0)
    with storage.admission(engine, cfg.study_name):
        names = optuna.get_all_study_names(rdb)
        if cfg.study_name in names:
            record = storage.get_study_record(engine, cfg.study_name)
            if record is None:
                raise ConfigError(
                    f"study {cfg.study_name!r} exists in {storage.mask_url(cfg.storage)} but was not made by xling-sweep: "
                    "choose another --study-name"
                )
            study = optuna.load_study(study_name=cfg.study_name, storage=rdb, sampler=sampler)
            if cfg.confirms is not None and not confirms_search(study, _search_study_id(cfg, rdb)):
                raise ConfigError(stale_confirm_refusal(cfg.storage, cfg.confirms))
            check_identity(cfg, record["identity"], identity)
            storage.save_study_record(engine, cfg.study_name, config=cfg.public_dump(), identity=identity, **provenance)
            return study
        # Side rows under this name belong to a study deleted with `optuna delete-study`, which
        # knows nothing of them: the new study must not inherit its identity, baseline or cells.
        storage.delete_study_rows(engine, cfg.study_name)
        study = optuna.create_study(
            study_name=cfg.study_name, storage=rdb, sampler=sampler, directions=["maximize", "maximize"]
        )
        study.set_metric_names(cfg.metric_names)
        study.set_user_attr("config", cfg.public_dump())
        if cfg.confirms is not None:
            study.set_user_attr(SEARCH_ID_ATTR, _search_study_id(cfg, rdb))
        if cfg.fixed_points is not None:
            for index in range(len(cfg.fixed_points)):
                enqueue_point(study, cfg, index)
        else:
            # First every anchor once, then the extra seeds: a short run still covers all anchors.
            for replicate in range(cfg.anchor_seeds):
                for alpha in cfg.anchors:
                    study.enqueue_trial({"mono_ratio": alpha}, user_attrs={"anchor": True, "replicate": replicate},
                                        skip_if_exists=replicate == 0)
        storage.save_study_record(engine, cfg.study_name, config=cfg.public_dump(), identity=identity, **provenance)
        return study
