"""The ``ecociv`` process: how its C allocator keeps freed memory (:func:`tune_malloc`), and
ending it without the interpreter's teardown, after a command that wrote and closed every file it
produced.

When Python exits it waits for the threads still running (``threading._shutdown``: idle worker
pools are joined), runs the ``atexit`` functions (logging's flush, ...), flushes stdout and
stderr, and then frees every module and object one by one: after ``ecociv model run
water_yield`` on a 4000² grid that last part takes 0.10-0.12 s on one core (numba, dask, pandas,
GDAL's drivers) and changes nothing on disk. :func:`exit_now` does the first three and ends the
process (``os._exit``); :func:`ecociv.cli.main.entry` calls it when the command asked for it
(:func:`allow_fast_exit`).
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

_allowed = False
_script = False

#: ``$ECOCIV_MALLOC_TUNE=0`` leaves glibc's allocator as it is (see :func:`tune_malloc`)
MALLOC_TUNE_ENV = "ECOCIV_MALLOC_TUNE"
#: the user's own glibc allocator settings: when any is set, :func:`tune_malloc` does nothing
_GLIBC_MALLOC_ENV = ("GLIBC_TUNABLES", "MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_",
                     "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_")
#: ``mallopt`` parameters (glibc ``malloc.h``) and the values :func:`tune_malloc` sets: one
#: arena for every thread; blocks below 32 MiB (glibc's own upper bound of its moving threshold)
#: from the heap rather than a mapping of their own; at most 128 MiB free at the heap's top kept
#: rather than returned to the system
MALLOC_SETTINGS = (
    ("M_ARENA_MAX", -8, 1),
    ("M_MMAP_THRESHOLD", -3, 32 * 2**20),
    ("M_TRIM_THRESHOLD", -1, 128 * 2**20),
)


def tune_malloc() -> bool:
    """Have glibc's ``malloc`` reuse freed memory instead of taking fresh pages from the system
    (``mallopt``: :data:`MALLOC_SETTINGS`). Call before other threads start.

    With glibc's defaults every thread allocates from an arena of its own, arrays of a few MiB
    freed by one thread are not reused by another, arenas are trimmed and their 64 MiB heaps
    unmapped as soon as they empty, so a run faults in memory it already had: every page a
    process takes from the system is zeroed by the kernel (a fault per 4 KiB page, or a 2 MiB
    page for arrays NumPy asks huge pages for). ``ecociv model run water_yield`` on a 4000²
    grid took 197,000 pages (0.79 GB) that way with the defaults and 132,000 (0.53 GB) with
    these settings, its two pass threads 103,000 and 56,000 of them, for a peak RSS of 0.66 and
    0.69 GB (counted with transparent huge pages off, so that every fault is one 4 KiB page).
    ``ecociv demo``: 0.67 CPU-s less (19.17 → 18.50 s), its main process's peak RSS 1.46 →
    1.16 GB (5 interleaved rounds).

    Nothing is done (returns False) off Linux, outside glibc, when ``$ECOCIV_MALLOC_TUNE`` is
    ``0`` or when the environment carries glibc allocator settings of the user's (they win).
    """
    if (not sys.platform.startswith("linux")
            or os.environ.get(MALLOC_TUNE_ENV, "1").strip().lower() in ("0", "no", "false", "off")
            or any(os.environ.get(name) for name in _GLIBC_MALLOC_ENV)):
        return False
    try:
        if not (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc"):
            return False  # musl and others: their mallopt does nothing or differs
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt  # the process's own symbols: its C library's
    except (OSError, ValueError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return all(mallopt(param, value) == 1 for _, param, value in MALLOC_SETTINGS)


def mark_script() -> None:
    """Record that this process is the ``ecociv`` script (:func:`ecociv.cli.main.entry`), which
    ends when the command returns (tests and other callers of ``main()`` keep running)."""
    global _script
    _script = True


def is_script() -> bool:
    """Whether this process is the ``ecociv`` script (:func:`mark_script`)."""
    return _script


def allow_fast_exit() -> None:
    """Let the ``ecociv`` script end without the teardown once the command returns: call only
    when every file the command wrote is closed."""
    global _allowed
    _allowed = True


def fast_exit_allowed() -> bool:
    """Whether :func:`allow_fast_exit` was called in this process."""
    return _allowed


def exit_now(code: int = 0) -> NoReturn:
    """End the process as Python's exit does, without freeing its objects (see the module
    docstring); on an interpreter without the hooks used here, the usual ``sys.exit``."""
    import atexit
    import threading

    shutdown = getattr(threading, "_shutdown", None)
    run_exit_functions = getattr(atexit, "_run_exitfuncs", None)
    if shutdown is None or run_exit_functions is None:
        sys.exit(code)
    shutdown()  # joins every non-daemon thread, as the interpreter does first
    run_exit_functions()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed, or a broken pipe: nothing left to write
            pass
    os._exit(code)
