"""An optional trace of a run's timeline, for finding its critical path: when the environment
variable ``ECOCIV_TIMELINE`` names a file, each traced span (a step, a map, the summaries, ...)
appends one JSON line to it when it ends: ``{"event", "name", "start", "end", "pid", "thread",
"cpu", "pcpu"}`` with wall-clock times (``time.time()``, s) and the CPU time of the thread and
of the whole process (all its threads, s) spent in it. Processes that draw maps append to the
same file (lines are written whole, with ``O_APPEND``). Without the variable :func:`span` costs one dictionary look-up.

``benchmarks/demo_timeline.py`` runs ``ecociv demo`` with a trace and prints it.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

#: environment variable naming the trace file (appended to)
VARIABLE = "ECOCIV_TIMELINE"


def enabled() -> bool:
    """Whether spans are traced in this process."""
    return bool(os.environ.get(VARIABLE))


def record(event: str, name: str, start: float, end: float, cpu: float | None = None,
           process_cpu: float | None = None) -> None:
    """Append one span (wall-clock ``start`` and ``end``, s; CPU s of the thread and of the whole
    process in it) to the trace, if one is kept."""
    path = os.environ.get(VARIABLE)
    if not path:
        return
    line = json.dumps({"event": event, "name": name, "start": round(start, 4),
                       "end": round(end, 4), "pid": os.getpid(),
                       "thread": threading.current_thread().name,
                       "cpu": None if cpu is None else round(cpu, 4),
                       "pcpu": None if process_cpu is None else round(process_cpu, 4)}) + "\n"
    try:  # a trace is for benchmarks: it never fails a run
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError:
        return
    try:
        os.write(descriptor, line.encode())
    except OSError:
        pass
    finally:
        os.close(descriptor)


@contextmanager
def span(event: str, name: str = "") -> Iterator[None]:
    """Trace the enclosed block as one span (nothing when no trace is kept)."""
    if not os.environ.get(VARIABLE):
        yield
        return
    start, cpu, process = time.time(), time.thread_time(), time.process_time()
    try:
        yield
    finally:
        record(event, name, start, time.time(), time.thread_time() - cpu,
               time.process_time() - process)


def _process_start() -> float:
    """Wall-clock time this process started (Linux ``/proc``, to 0.01 s; else now)."""
    try:
        with open("/proc/self/stat") as stat:
            ticks = float(stat.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as uptime:
            since_boot = float(uptime.read().split()[0])
        return time.time() - (since_boot - ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return time.time()


def process_started(name: str) -> None:
    """Trace this process's start-up (from its start to now, e.g. imports) as a span, and its
    whole life with its CPU time (user + system, all threads) when it exits."""
    if not os.environ.get(VARIABLE):
        return
    import atexit

    born = _process_start()
    record("startup", name, born, time.time(), time.process_time())

    def ended() -> None:
        record("process", name, born, time.time(), time.process_time())

    atexit.register(ended)
