"""A heartbeat thread for ask/tell trials (``study.optimize`` runs its own; ``ask`` does not)."""

from __future__ import annotations

import logging
import threading

from optuna.storages import RDBStorage

__all__ = ["Heartbeat"]

_log = logging.getLogger(__name__)


class Heartbeat:
    """Records a trial's heartbeat every ``interval`` seconds until stopped.

    A worker killed mid-trial stops beating; after the storage's grace period any
    other worker's admission step fails the trial and re-enqueues its parameters.
    """

    def __init__(self, rdb: RDBStorage, trial_id: int, interval: float) -> None:
        self._rdb, self._trial_id, self._interval = rdb, trial_id, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{trial_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while True:
            try:
                self._rdb.record_heartbeat(self._trial_id)
            except Exception as e:  # a missed beat must not kill the trial; the next one may succeed
                _log.warning("heartbeat for trial %d failed: %s", self._trial_id, e)
            if self._stop.wait(self._interval):
                return
