"""A HiGHS instance that prints nothing, for every model that solves a linear or quadratic program.

The HiGHS library prints a banner on the C-level standard output when its first instance is made;
it is sent to /dev/null for that moment, and the solver's own log is switched off."""

from __future__ import annotations

import os
import sys

import highspy


def silent_highs() -> highspy.Highs:
    """A new ``highspy.Highs`` with ``output_flag`` off and no banner on stdout."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no file descriptor 1 (embedded interpreters)
        saved = -1
    if saved >= 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    try:
        highs = highspy.Highs()
    finally:
        if saved >= 0:
            os.dup2(saved, 1)
            os.close(saved)
    highs.setOptionValue("output_flag", False)
    return highs
