"""The dask scheduler a run computes on: local threads, or a ``dask.distributed`` cluster; the
dask callbacks of one thread's computations (:func:`thread_callbacks`); and the number of
threads one run may use (:func:`thread_count`, :func:`limit_threads`)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import dask

from ecociv.errors import InputError

if TYPE_CHECKING:
    from dask.callbacks import Callback

#: environment variable capping the threads of one run (local dask threads, numba, BLAS, GDAL)
THREADS_VARIABLE = "ECOCIV_THREADS"
_limit: int | None = None
#: ``callbacks``: the dask callbacks of the computations this thread starts (thread_callbacks)
_this_thread = threading.local()


def thread_count() -> int:
    """Threads one run may use: the limit set by :func:`limit_threads` in this process, else
    ``ECOCIV_THREADS``, else the number of CPUs.

    A process that runs several runs at once (e.g. a dask worker of an uncertainty study among
    K workers on K cores) sets a limit, so that K runs do not each start a thread per core.
    """
    if _limit is not None:
        return _limit
    given = os.environ.get(THREADS_VARIABLE, "").strip()
    if given:
        try:
            value = int(given)
        except ValueError:
            value = 0
        if value < 1:
            raise InputError(f"must be a whole number >= 1, got {given!r}", source=THREADS_VARIABLE)
        return value
    return os.cpu_count() or 1


def limit_threads(threads: int) -> None:
    """Let the runs of this process use at most ``threads`` threads: local dask threads, numba's
    parallel loops, BLAS/OpenMP pools (threadpoolctl) and GDAL (``GDAL_NUM_THREADS``).

    Meant for worker processes (called once per task, cheap when nothing changes); results do
    not depend on it (ecociv's parallel loops draw counter-based random numbers).
    """
    global _limit
    threads = max(1, int(threads))
    if _limit == threads:
        return
    _limit = threads
    os.environ["GDAL_NUM_THREADS"] = str(threads)
    try:
        import numba

        numba.set_num_threads(min(threads, int(numba.config.NUMBA_NUM_THREADS)))  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - numba is a dependency
        pass
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)
    except ImportError:  # pragma: no cover - installed with scikit-learn
        pass


@contextmanager
def scheduler(address: str | None = None) -> Iterator[bool]:
    """Use a ``dask.distributed`` scheduler at ``address`` (``tcp://host:port``), or local
    threads. Yields True when a distributed client is active."""
    if not address:
        # The threaded scheduler given as a function, and rechunking by tasks: with "threads"
        # or by default dask imports distributed (0.1-0.4 s of a run) to look for a client.
        with dask.config.set({"scheduler": local_get, "num_workers": thread_count(),
                              "array.rechunk.method": "tasks"}):
            yield False
        return
    from distributed import Client

    _probe_scheduler(address)
    try:
        client = Client(address, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        raise InputError(f"cannot connect to the dask scheduler: {err}", source=address) from err
    with client, dask.config.set(scheduler=client):
        yield True


@contextmanager
def thread_callbacks(callback: Callback) -> Iterator[None]:
    """Give ``callback`` to the dask computations that this thread starts within the block on
    the local scheduler of :func:`scheduler` (:func:`local_get`), and to no other thread's.

    Not dask's ``with callback:``, which registers it process-wide: dask's local scheduler takes
    the registered callbacks away while it computes and puts back what it took when it ends (so
    that a computation nested in a task does not call them again). With computations in several
    threads at once (steps running at once), a callback registered meanwhile was lost, and one
    removed meanwhile came back for good: a cancelled step's callback then stopped the
    computations of later runs in threads with the same ident (a CI run of 31bae33), and the
    second of two steps computing at once reported no progress and could not be cancelled.
    """
    previous = getattr(_this_thread, "callbacks", ())
    _this_thread.callbacks = (*previous, callback._callback)
    try:
        yield
    finally:
        _this_thread.callbacks = previous


def local_get(dsk: Any, keys: Any, **kwargs: Any) -> Any:
    """dask's threaded scheduler (``dask.threaded.get``), given the callbacks of the calling
    thread (:func:`thread_callbacks`) when it has some; it then leaves the process-wide
    callbacks alone (neither calls nor moves them)."""
    from dask.threaded import get

    callbacks = getattr(_this_thread, "callbacks", ())
    if callbacks and kwargs.get("callbacks") is None:
        kwargs["callbacks"] = callbacks
    return get(dsk, keys, **kwargs)


def _probe_scheduler(address: str, timeout: float = 3.0) -> None:
    """Fail fast, with a clear message, when nothing listens at a ``tcp://host:port`` address
    (``distributed.Client`` would retry until its timeout)."""
    import socket
    from urllib.parse import urlsplit

    expected = "expected an address like tcp://host:8786"
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in ("tcp", "tls", "inproc", "ws", "wss", "ucx"):
        raise InputError(f"unknown protocol {parts.scheme!r}; {expected}", source=address)
    if parts.scheme != "tcp":
        return
    try:
        host, port = parts.hostname, parts.port
    except ValueError as err:
        raise InputError(f"bad port: {err}; {expected}", source=address) from err
    if not host or port is None:
        raise InputError(f"missing host or port; {expected}", source=address)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as err:
        raise InputError(f"cannot connect to the dask scheduler: {err.strerror or err}",
                         source=address) from err
