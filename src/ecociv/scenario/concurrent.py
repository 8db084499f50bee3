"""Running a scenario's steps concurrently: a step starts as soon as the steps whose outputs it
reads are done, up to a number of steps at once, in threads of the calling process.

The results do not depend on the schedule: every step computes from the same inputs, and the
caller assembles what it records in plan order. Errors are raised as a run of one step after
another would raise them: when a step fails, no step later in plan order is started, the steps
earlier in plan order whose inputs are ready still run (a one-at-a-time run would have run them
first), running steps are waited for, and the error of the earliest failed step in plan order
is raised (an error of the caller's ``on_done`` for a step counts as that step's). An interrupt
(Ctrl-C) stops the scheduling: ``cancel`` is set (a step's dask computation checks it between
tasks, :func:`ecociv.scenario.progress.task_progress`), the running steps are waited for, and
the interrupt is raised.

Among the steps that may start, those with the costliest chain of steps after them start first
(a step's cost as the caller estimates it, e.g. from the size of its input files: in the Belt's
baseline the chains through ``soil_conservation`` and ``sand_fixation`` to
``ecological_redline`` set the length of the run); with one worker, plan order as before.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Generic, TypeVar

from ecociv.errors import InputError

T = TypeVar("T")

#: environment variable: how many steps of a scenario may run at once (1: one after another)
STEP_WORKERS_VARIABLE = "ECOCIV_STEP_WORKERS"


def step_workers() -> int:
    """Steps of a scenario run at once: ``$ECOCIV_STEP_WORKERS`` when set, else one per
    available core, at most 4 and at most the threads a run may use
    (:func:`ecociv.execute.scheduling.thread_count`: a worker process of an uncertainty study
    limited to one thread runs one step at a time).

    Each step's dask computation also uses the cores, but a step alone leaves one idle while it
    reads, writes or runs Python. (One step at a time was the default for a while: a demo with
    two steps at once once refused a sound raster as "not georeferenced"; that was the opening
    check recording another thread's warning, fixed in :func:`ecociv.grid.io.grid_of`.)"""
    value = os.environ.get(STEP_WORKERS_VARIABLE, "").strip()
    if value:
        try:
            number = int(value)
        except ValueError:
            number = 0
        if number < 1:
            raise InputError(f"expected a whole number of steps >= 1, got {value!r}",
                             source=STEP_WORKERS_VARIABLE)
        return number
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    from ecociv.execute.scheduling import thread_count

    return max(1, min(4, cores, thread_count()))


class RunCancelledError(Exception):
    """Raised inside a running step when the run it belongs to was cancelled."""


class GraphRun(Generic[T]):
    """Run ``work(name)`` for every name of ``order``, each after the names it ``needs``.

    Parameters
    ----------
    order : sequence of str
        The names in plan order (every name after those it needs).
    needs : mapping
        Name -> the names whose work must be done before its own starts.
    work : callable
        ``work(name)``, run in a worker thread; its result goes to ``on_done``.
    on_done : callable
        ``on_done(name, result)``, called in the calling thread as each step finishes
        (completion order), before the steps that need it are started.
    workers : int
        Most steps running at once (1: one after another, in plan order).
    cost : mapping, optional
        Name -> estimated cost of its work (any positive unit; default 1 each), for the order
        in which steps that may start are started.
    """

    def __init__(self, order: Sequence[str], needs: Mapping[str, set[str]],
                 work: Callable[[str], T], on_done: Callable[[str, T], None], *, workers: int,
                 cost: Mapping[str, float] | None = None):
        self.cost = {name: float((cost or {}).get(name, 1.0)) for name in order}
        self.order = list(order)
        self.needs = {name: set(needs.get(name, ())) for name in self.order}
        self.work = work
        self.on_done = on_done
        self.workers = max(1, workers)
        #: set when the run is cancelled; running steps may check it (see :func:`cancel_check`)
        self.cancel = threading.Event()

    def run(self) -> None:
        """Run every step; raises the error of the earliest failed step in plan order."""
        position = {name: i for i, name in enumerate(self.order)}
        chain = self._chain_lengths()
        queue = (self.order if self.workers == 1 else
                 sorted(self.order, key=lambda n: (-chain[n], position[n])))
        done: set[str] = set()
        started: set[str] = set()
        failed: dict[int, BaseException] = {}
        running: dict[Future[T], str] = {}
        with ThreadPoolExecutor(max_workers=self.workers,
                                thread_name_prefix="ecociv-step") as pool:
            try:
                while True:
                    limit = min(failed, default=len(self.order))
                    for name in queue:
                        if len(running) >= self.workers:
                            break
                        if (name in started or position[name] >= limit
                                or not self.needs[name] <= done):
                            continue
                        started.add(name)
                        running[pool.submit(self.work, name)] = name
                    if not running:
                        break
                    finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
                    for future in sorted(finished, key=lambda f: position[running[f]]):
                        name = running.pop(future)
                        error = future.exception()
                        if error is not None:
                            failed[position[name]] = error
                            continue
                        try:
                            self.on_done(name, future.result())
                        except Exception as err:  # e.g. a map drawn in line that fails
                            failed[position[name]] = err
                            continue
                        done.add(name)
            except BaseException:
                self.cancel.set()
                for future in running:
                    future.cancel()
                wait(list(running))
                raise
        if failed:
            raise failed[min(failed)]

    def _chain_lengths(self) -> dict[str, float]:
        """Name -> cost of the costliest chain of steps that starts with it."""
        after: dict[str, list[str]] = {name: [] for name in self.order}
        for name, needed in self.needs.items():
            for other in needed:
                after.setdefault(other, []).append(name)
        length: dict[str, float] = {}
        for name in reversed(self.order):  # plan order: every step after those it needs
            length[name] = self.cost[name] + max(
                (length[n] for n in after[name] if n in length), default=0.0)
        return length
