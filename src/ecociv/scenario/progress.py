"""Progress inside a step: the share of dask tasks done, reported at most every so often.

Dask's local scheduler calls the callbacks; a ``dask.distributed`` scheduler does not, so steps
run there report start and end only. A step's callback is given only to the computations its
thread starts on the local scheduler of :func:`ecociv.execute.scheduling.scheduler` (every
computation of a model's run), not registered process-wide
(:func:`ecociv.execute.scheduling.thread_callbacks`), so that steps running at once in threads
report their own tasks and a step's callback ends with it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from dask.callbacks import Callback

from ecociv.execute.scheduling import thread_callbacks


class TaskProgress(Callback):
    """Calls ``report(fraction)`` as the tasks of each dask computation finish (given to the
    computations of one thread by :func:`task_progress`).

    Parameters
    ----------
    report : callable
        Receives the fraction (0-1) of the current computation's tasks done.
    min_seconds : float
        Least time (s) between two reports.
    min_change : float
        Least change of the fraction between two reports, so a log gets at most about
        ``1 / min_change`` lines per computation.
    cancel : threading.Event, optional
        When set, the next task of the computation raises :class:`RunCancelledError` instead of
        running (a cancelled run stops between tasks).
    """

    def __init__(self, report: Callable[[float], None], *, min_seconds: float = 1.0,
                 min_change: float = 0.05, cancel: threading.Event | None = None):
        super().__init__()
        self._cancel = cancel
        self._report = report
        self._min_seconds = min_seconds
        self._min_change = min_change
        self._total = 1
        self._done = 0
        self._last_time = 0.0
        self._last_fraction = 0.0

    def _pretask(self, key: Any, dsk: Any, state: Any) -> None:
        if self._cancel is not None and self._cancel.is_set():
            from ecociv.scenario.concurrent import RunCancelledError

            raise RunCancelledError("the run was cancelled")

    def _start_state(self, dsk: Any, state: dict[str, Any]) -> None:
        self._done = len(state["finished"])
        self._total = max(1, self._done + sum(len(state[k]) for k in ("ready", "waiting",
                                                                        "running")))
        self._last_time = time.monotonic()
        self._last_fraction = 0.0

    def _posttask(self, key: Any, result: Any, dsk: Any, state: Any, worker_id: Any) -> None:
        self._done += 1
        fraction = min(1.0, self._done / self._total)
        now = time.monotonic()
        if (now - self._last_time >= self._min_seconds
                and fraction - self._last_fraction >= self._min_change and fraction < 1.0):
            self._last_time, self._last_fraction = now, fraction
            self._report(fraction)


@contextmanager
def task_progress(report: Callable[[float], None], *, cancel: threading.Event | None = None,
                  **throttle: float) -> Iterator[TaskProgress]:
    """Report the fraction of dask tasks done (see :class:`TaskProgress`) of the computations
    this thread starts within the block on the local scheduler of
    :func:`ecociv.execute.scheduling.scheduler`, and stop them between tasks once ``cancel`` is
    set."""
    callback = TaskProgress(report, cancel=cancel, **throttle)
    with thread_callbacks(callback):
        yield callback
