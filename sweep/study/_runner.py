"""The worker loop: admit a trial under the lock, run it, store its cells, tell Optuna."""

from __future__ import annotations

import datetime as dt
import logging
import math
import signal
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import optuna
from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback, fail_stale_trials
from optuna.trial import TrialState
from sqlalchemy import Engine
from tqdm.auto import tqdm

import storage
from objectives.data import LareqaData
from objectives.errors import ConfigError, SweepError, TrialsFailedError
from objectives.objective import ParamSpec, TrialOutcome, replicate_of, run_optuna_trial, suggest_params
from objectives.retrieval import objective_values
from objectives.training import TrainingDiverged
from objectives.trial import TrialConfig, Workspace, WorkspacePool, zero_shot
from sweep._config import SEARCHABLE, SweepConfig
from sweep._provenance import code_version, package_versions
from sweep.answer import baseline_source, check_confirm_inputs
from sweep.study._artifacts import prune_weights, save_weights
from sweep.study._heartbeat import Heartbeat
from sweep.study._study import (
    MAX_TRIES_PER_POINT,
    check_identity,
    make_rdb_storage,
    make_sampler,
    open_study,
    requeue_missing_points,
)

__all__ = ["run_study"]

_log = logging.getLogger(__name__)
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
# We run heartbeats ourselves around ask/tell (sweep.study._heartbeat); Optuna's hint assumes optimize().
warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used")


def _space(cfg: SweepConfig) -> dict[str, ParamSpec]:
    return {name: ParamSpec(r.low, r.high, r.log, SEARCHABLE[name][2] is int) for name, r in cfg.search_space.items()}


def run_study(cfg: SweepConfig, *, worker_id: int | None = None, progress: bool = True) -> optuna.Study:
    """Run (or resume) the study until it holds ``cfg.trials`` COMPLETE trials.

    Several processes may call this on the same study; they share the work and stop
    with exactly ``cfg.trials`` complete trials between them.

    Raises:
        SweepError: bad config, data, model or storage (nothing stored is touched).
    """
    # Validate everything before writing anything, the cheap checks before the expensive work
    # (model conversion, activation cache): storage reachable and ours, the data and the
    # stored study's identity, then the model.
    storage.check_storage_url(cfg.storage)
    engine = storage.make_engine(cfg.storage)
    storage.check_reachable(engine)
    stored = _stored_identity(cfg, engine) if storage.check_study_database(engine, create=True) else None

    def check_data(data: LareqaData, train_data: LareqaData | None) -> None:
        _check_cross_lingual(cfg, (train_data or data).languages)
        if stored is not None:
            # The model's fingerprint needs the model: open_study checks it once loaded.
            check_identity(cfg, stored, {**cfg.identity(), "data_fingerprint": data.fingerprint,
                                         "train_data_fingerprint": train_data.fingerprint if train_data else None},
                           ignore=("model_fingerprint",))

    workspaces = WorkspacePool(progress)
    ws = workspaces(cfg.trial_config(), check=check_data)
    rdb = make_rdb_storage(cfg)
    storage.ensure_schema(engine)
    search_record = check_confirm_inputs(cfg, engine, ws) if cfg.confirms is not None else None
    identity = {**cfg.identity(), "data_fingerprint": ws.data.fingerprint, "model_fingerprint": ws.encoder.fingerprint,
                "train_data_fingerprint": ws.train_fingerprint}
    provenance = {"model_fingerprint": ws.encoder.fingerprint, "data_fingerprint": ws.data.fingerprint,
                  "code_version": code_version(), "packages": package_versions()}
    study = open_study(cfg, rdb, engine, identity, provenance)
    with storage.admission(engine, cfg.study_name):
        # Every process that joins gets its own id (0 for the first), so concurrent
        # workers seed their samplers differently and do not draw the same alpha.
        started = int(study.user_attrs.get("workers_started", 0))
        study.set_user_attr("workers_started", started + 1)
        worker = worker_id if worker_id is not None else started
        study.sampler = make_sampler(cfg, worker)
        # Fail trials of dead workers first, so their half-finished rows are purged now.
        fail_stale_trials(study)
        storage.purge_orphans(engine, cfg.study_name)
    _ensure_baseline(study, engine, ws, cfg, search_record)
    loop = _WorkerLoop(cfg, study, rdb, engine, workspaces, progress)
    loop.run()
    prune_weights(study, cfg)
    return study


def _stored_identity(cfg: SweepConfig, engine: Engine) -> dict[str, Any] | None:
    """The identity of the study ``cfg`` resumes, read without writing; None for a new study.

    A record whose Optuna study is gone (``optuna delete-study``) is a deleted study's:
    the run makes a new one.
    """
    record = storage.get_study_record(engine, cfg.study_name)
    if record is None or cfg.study_name not in optuna.get_all_study_names(cfg.storage):
        return None
    return dict(record["identity"])


def _check_cross_lingual(cfg: SweepConfig, train_languages: Sequence[str]) -> None:
    """Refuse a study whose training data has one language while it would try mono_ratio < 1.

    A cross-lingual batch pairs a query with its answer in another language; with one
    language every such trial would fail, so stop before anything is written.
    """
    if len(train_languages) >= 2:
        return
    low = cfg.search_space["mono_ratio"].low
    anchors = [a for a in cfg.anchors if a < 1.0]
    if low < 1.0 or anchors:
        asked = f"the search space starts at mono_ratio {low:g}" if low < 1.0 else f"the anchors include mono_ratio {anchors[0]:g}"
        which = "--train-data" if cfg.train_data else "--data"
        raise ConfigError(
            f"{which} has one language ({', '.join(train_languages)}) but {asked}, which needs cross-lingual "
            f"batches (two languages): add a second language to {which} (and to --languages if given)"
        )


def _ensure_baseline(study: optuna.Study, engine: Engine, ws: Workspace, cfg: SweepConfig,
                     search_record: dict[str, Any] | None = None) -> None:
    """Evaluate the zero-shot model on dev and test once per study (under the lock).

    A confirm study with the search's encoder and path copies the search's baseline.
    """
    source = baseline_source(cfg, search_record, ws)
    with storage.admission(engine, cfg.study_name):
        for split in ("dev", "test"):
            if storage.has_baseline(engine, cfg.study_name, split):
                continue
            if source is not None and f"baseline_{split}" in source.user_attrs:
                cells = storage.baseline_cells(engine, source.study_name, split)
                rows = [{k: (None if isinstance(v, float) and math.isnan(v) and k != "value" else v) for k, v in r.items()}
                        for r in cells.to_dict("records")]
                storage.write_baseline(engine, cfg.study_name, split, rows)
                study.set_user_attr(f"baseline_{split}", source.user_attrs[f"baseline_{split}"])
                continue
            result = zero_shot(ws, split)
            storage.write_baseline(engine, cfg.study_name, split, result.cells())
            study.set_user_attr(f"baseline_{split}", {k: v for k, v in result.to_dict().items() if not isinstance(v, (dict, list))})


class _WorkerLoop:
    def __init__(self, cfg: SweepConfig, study: optuna.Study, rdb: RDBStorage, engine: Engine,
                 workspaces: Callable[[TrialConfig], Workspace], progress: bool) -> None:
        self.cfg, self.study, self.rdb, self.engine = cfg, study, rdb, engine
        self.workspaces, self.progress = workspaces, progress
        self.started = dt.datetime.now()
        self.bar = tqdm(total=cfg.trials, desc="trials", unit="trial", disable=not progress, dynamic_ncols=True)

    def run(self) -> None:
        try:
            while True:
                trial, stop, wait = self._admit()
                if stop:
                    return
                if trial is None:
                    time.sleep(wait)
                    continue
                self._run(trial)
        finally:
            self.bar.close()

    def _admit(self) -> tuple[optuna.Trial | None, bool, float]:
        with storage.admission(self.engine, self.cfg.study_name):
            fail_stale_trials(self.study)
            trials = self.study.get_trials(deepcopy=False)
            complete = sum(t.state == TrialState.COMPLETE for t in trials)
            running = sum(t.state == TrialState.RUNNING for t in trials)
            failed = sum(t.state == TrialState.FAIL and t.datetime_start is not None and t.datetime_start >= self.started
                         and not t.system_attrs.get("stale") and not t.system_attrs.get("interrupted") for t in trials)
            self._show(complete, trials)
            if complete >= self.cfg.trials:
                return None, True, 0.0
            if failed >= self.cfg.max_failed:
                raise TrialsFailedError(
                    f"stopped: {failed} trials failed in this run (--max-failed {self.cfg.max_failed}); read their "
                    "fail_reason in the dashboard or trials table, fix the cause and rerun to resume"
                )
            if complete + running >= self.cfg.trials:
                # Others hold the last slots; wait in case one of them fails or dies.
                return None, False, min(5.0, float(self.cfg.heartbeat_interval))
            if self.cfg.fixed_points is not None:
                exhausted = requeue_missing_points(self.study, self.cfg, trials)
                if exhausted:
                    raise TrialsFailedError(
                        f"stopped: confirm point(s) mono_ratio {', '.join(f'{a:g}' for a in exhausted)} failed "
                        f"{MAX_TRIES_PER_POINT} times; read their fail_reason in the dashboard, fix the cause and rerun")
            trial = self.study.ask()
            try:
                # Under the lock: another worker at the same α must see this trial's replicate (new seeds).
                replicate_of(trial, suggest_params(trial, _space(self.cfg)))
            except BaseException as e:
                # Not yet under a heartbeat: a trial left RUNNING here would hold its slot for good.
                if self._end(trial, e):
                    raise
                return None, False, 0.0
            return trial, False, 0.0

    def _show(self, complete: int, trials: list[optuna.trial.FrozenTrial]) -> None:
        self.bar.n = min(complete, self.cfg.trials)
        done = [t for t in trials if t.state == TrialState.COMPLETE and t.values]
        if done:
            names = self.cfg.metric_names
            self.bar.set_postfix({f"best {names[0]}": f"{max(t.values[0] for t in done):.3f}",
                                  f"best {names[1]}": f"{max(t.values[1] for t in done):.3f}"}, refresh=False)
        self.bar.refresh()

    def _run(self, trial: optuna.Trial) -> None:
        steps_bar = tqdm(total=self.cfg.regime.steps, desc=f"trial {trial.number}", unit="step", leave=False,
                         disable=not self.progress, dynamic_ncols=True)

        def on_step(step: int, loss: float) -> None:
            if step < steps_bar.n:  # the next repeat (confirm): restart the bar so its rate is this repeat's
                steps_bar.reset()
            steps_bar.n = step
            steps_bar.set_postfix(loss=f"{loss:.3f}", refresh=False)
            steps_bar.refresh()

        with Heartbeat(self.rdb, trial._trial_id, self.cfg.heartbeat_interval):
            try:
                outcome = run_optuna_trial(
                    trial, _space(self.cfg), self.cfg.trial_config(), self.workspaces, study_seed=self.cfg.seed,
                    repeats=self.cfg.repeats, xling_metric=self.cfg.xling_metric, on_step=on_step,
                )
                self._store(trial, outcome)
            except BaseException as e:
                if self._end(trial, e):
                    raise
            finally:
                steps_bar.close()

    def _end(self, trial: optuna.Trial, error: BaseException) -> bool:
        """Record how ``error`` ended ``trial``; True when the worker must stop (re-raise it).

        A diverged or crashed trial fails and the worker goes on; a user error fails it and
        stops the run; Ctrl-C or SIGTERM (sweep._cli.Terminated) fails it and queues it again.
        """
        if isinstance(error, KeyboardInterrupt):
            self._interrupted(trial)
            return True
        if isinstance(error, (TrainingDiverged, SweepError)):
            self._fail(trial, str(error), "")
            return isinstance(error, SweepError)
        if isinstance(error, Exception):
            self._fail(trial, f"{type(error).__name__}: {error}", traceback.format_exc(limit=8)[-4000:])
            return False
        return True  # SystemExit and the like: the heartbeat retries the trial

    def _store(self, trial: optuna.Trial, outcome: TrialOutcome) -> None:
        first = outcome.results[0]
        save_weights(self.cfg, trial.number, first.encoder.weights())
        cells = {f"{self.cfg.eval_split}/{i}": r.metrics.cells() for i, r in enumerate(outcome.results)}
        seconds = {phase: sum(r.timings[phase] for r in outcome.results) for phase in ("train", "encode", "metrics")}
        seconds["cache"] = first.timings["cache"]
        storage.write_trial_rows(self.engine, self.cfg.study_name, trial._trial_id, trial.number, cells, seconds)
        macros = first.metrics.macros()
        trial.set_user_attr("seed", first.seed)
        # Per-repeat objectives: the confirm stage's error bars and standard errors come from these.
        trial.set_user_attr("repeat_values", [list(objective_values(r.metrics, self.cfg.xling_metric)) for r in outcome.results])
        trial.set_user_attr("metrics", {k: (None if v != v else round(v, 6)) for k, v in macros.items()})
        trial.set_user_attr("timings", {k: round(v, 2) for k, v in seconds.items()})
        trial.set_user_attr("loss_curve", [round(x, 4) for x in first.losses[:: max(1, len(first.losses) // 50)]])
        self.study.tell(trial, list(outcome.values))
        # Prune as we go: a full-regime trial saves every layer, and dominated ones are never needed.
        prune_weights(self.study, self.cfg)

    def _fail(self, trial: optuna.Trial, reason: str, log_tail: str) -> None:
        _log.warning("trial %d failed: %s", trial.number, reason)
        trial.set_user_attr("fail_reason", reason)
        if log_tail:
            trial.set_user_attr("log_tail", log_tail)
        self.study.tell(trial, state=TrialState.FAIL)

    def _interrupted(self, trial: optuna.Trial) -> None:
        """Fail a trial a signal interrupted and queue its parameters again, with its attributes.

        Left RUNNING, the trial would hold its slot until its heartbeat went stale: a rerun
        would idle for the grace period before the retry ran. The retry is queued first
        and the trial failed second, with further signals ignored meanwhile, so a second
        Ctrl-C cannot lose the parameters; an interrupt counts against neither --max-failed
        nor a confirm point's tries.
        """
        with _signals_held():
            try:
                frozen = self.study._storage.get_trial(trial._trial_id)
                if frozen.state != TrialState.RUNNING:
                    return  # interrupted after study.tell: the trial is stored as it ended
                RetryHeartbeatStaleTrialCallback()(self.study, frozen)
                trial.set_user_attr("fail_reason", "interrupted (Ctrl-C or SIGTERM); queued again with the same parameters")
                self.study._storage.set_trial_system_attr(trial._trial_id, "interrupted", True)
                self.study.tell(trial, state=TrialState.FAIL)
            except Exception as e:  # the storage went away too: the heartbeat's grace period retries it
                _log.warning("could not fail interrupted trial %d (%s); it is retried once its heartbeat is stale",
                             trial.number, e)


@contextmanager
def _signals_held() -> Iterator[None]:
    """Ignore SIGINT and SIGTERM inside the block (the process is already stopping for one)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = (signal.SIGINT, signal.SIGTERM)
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in held}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)
