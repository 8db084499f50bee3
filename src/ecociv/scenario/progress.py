"""Progress inside a step: the share of dask tasks done, reported at most every so often.

Dask's local schedulers (threads, the default) call the registered callbacks; a
``dask.distributed`` scheduler does not, so steps run there report start and end only.
Callbacks are registered process-wide; each one here follows only the computations started in
the thread that registered it, so that steps running at once in threads report their own tasks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from dask.callbacks import Callback


class TaskProgress(Callback):
    """Calls ``report(fraction)`` as the tasks of each dask computation finish.

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
        When set, the next task of a computation of this thread raises :class:`RunCancelledError`
        instead of running (a cancelled run stops between tasks).
    """

    def __init__(self, report: Callable[[float], None], *, min_seconds: float = 1.0,
                 min_change: float = 0.05, cancel: threading.Event | None = None):
        super().__init__()
        self._thread = threading.get_ident()
        self._cancel = cancel
        self._report = report
        self._min_seconds = min_seconds
        self._min_change = min_change
        self._total = 1
        self._done = 0
        self._last_time = 0.0
        self._last_fraction = 0.0

    def _pretask(self, key: Any, dsk: Any, state: Any) -> None:
        if self._cancel is not None and self._cancel.is_set() \
                and threading.get_ident() == self._thread:
            from ecociv.scenario.concurrent import RunCancelledError

            raise RunCancelledError("the run was cancelled")

    def _start_state(self, dsk: Any, state: dict[str, Any]) -> None:
        if threading.get_ident() != self._thread:
            return
        self._done = len(state["finished"])
        self._total = max(1, self._done + sum(len(state[k]) for k in ("ready", "waiting",
                                                                        "running")))
        self._last_time = time.monotonic()
        self._last_fraction = 0.0

    def _posttask(self, key: Any, result: Any, dsk: Any, state: Any, worker_id: Any) -> None:
        if threading.get_ident() != self._thread:
            return
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
    """Report the fraction of dask tasks done (see :class:`TaskProgress`) within the block, and
    stop between tasks once ``cancel`` is set."""
    with TaskProgress(report, cancel=cancel, **throttle) as callback:
        yield callback
