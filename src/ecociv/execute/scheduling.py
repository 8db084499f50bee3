"""The dask scheduler a run computes on: local threads, or a ``dask.distributed`` cluster."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import dask

from ecociv.errors import InputError


@contextmanager
def scheduler(address: str | None = None) -> Iterator[bool]:
    """Use a ``dask.distributed`` scheduler at ``address`` (``tcp://host:port``), or local
    threads. Yields True when a distributed client is active."""
    if not address:
        # The threaded scheduler given as a function, and rechunking by tasks: with "threads"
        # or by default dask imports distributed (0.1-0.4 s of a run) to look for a client.
        from dask.threaded import get as threaded_get

        with dask.config.set({"scheduler": threaded_get, "num_workers": os.cpu_count() or 1,
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
