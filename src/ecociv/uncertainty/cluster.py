"""The dask.distributed client a study runs on: a LocalCluster of ``workers`` single-threaded
processes by default, or an existing cluster by scheduler address. Both take the same path:
batches of samples are submitted as tasks and gathered as they finish.

Threads: each LocalCluster worker runs one batch at a time and its runs use
:func:`run_threads` threads (the CPUs shared out among the workers, at least one), set in the
worker's environment before it starts (numba, OpenMP/BLAS, GDAL, ecociv's own dask threads) and
again per batch (:func:`ecociv.execute.scheduling.limit_threads`); on an existing cluster a run
uses one thread, the cluster's worker threads being meant to fill its cores."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ecociv.errors import InputError


@contextmanager
def client(address: str | None, workers: int) -> Iterator[Any]:
    """A ``distributed.Client``: connected to ``address`` or to a new LocalCluster of
    ``workers`` processes (one thread each), closed on exit."""
    import dask
    from distributed import Client, LocalCluster

    if address:
        from ecociv.execute.scheduling import _probe_scheduler

        _probe_scheduler(address)
        try:
            connected = Client(address, timeout="10s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as err:
            raise InputError(f"cannot connect to the dask scheduler: {err}", source=address) from err
        with connected:
            yield connected
        return
    if workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}", source="workers")
    threads = run_threads(workers)
    env = {name: str(threads) for name in ("ECOCIV_THREADS", "NUMBA_NUM_THREADS", "GDAL_NUM_THREADS",
                                           "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    # dask's sampling profiler of the worker's threads (every 10 ms) is CPU no sample needs (the
    # workers take this process's dask config)
    with dask.config.set({"distributed.worker.profile.enabled": False}), \
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=":0", silence_logs=40, env=env) as cluster, \
            Client(cluster, set_as_default=False) as local:
        yield local


def run_threads(workers: int | None) -> int:
    """Threads one run may use on a LocalCluster of ``workers`` processes: the CPUs of this
    machine shared out among them, at least one (None: an existing cluster, one thread)."""
    if workers is None:
        return 1
    return max(1, (os.cpu_count() or 1) // max(1, workers))


def map_batches(connected: Any, func: Callable[[Any], list[Any]], batches: list[Any],
                on_done: Callable[[int], None] | None = None) -> list[Any]:
    """``func`` over ``batches`` on the cluster; results in the order of ``batches``."""
    from distributed import as_completed

    futures = connected.map(func, batches, pure=False)
    position = {future.key: i for i, future in enumerate(futures)}
    results: list[Any] = [None] * len(batches)
    done = 0
    for future in as_completed(futures, loop=connected.loop):
        results[position[future.key]] = future.result()
        done += len(results[position[future.key]])
        if on_done is not None:
            on_done(done)
    return results
