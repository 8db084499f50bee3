"""Ending the ``ecociv`` process without the interpreter's teardown, after a command that wrote
and closed every file it produced.

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
