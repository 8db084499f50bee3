"""Compiled (numba) pass of :func:`ecociv.grid.codes.unknown_codes`: whether every value of a
block of a categorical raster is a whole number listed in the table, the usual answer, found in
one pass over the cells (NumPy's ``unique`` sorts the block first: 3-8 ms per 10⁶ cells against
≈ 1 ms here). Imported when a block is first checked; cached on disk (:func:`ecociv.compiled.jit`).

:func:`lower_bound` is the binary search of this pass and of ``water_yield``'s lookup of
land-use codes. It is written out rather than numba's ``np.searchsorted``: code compiled with
that carries an environment of ``numba.np.arraymath``, and loading it from the cache imports that
module, which imports ``scipy.linalg`` to find BLAS (0.1-0.2 CPU-s on the main thread of a run,
measured with ``python -X importtime`` on ``ecociv model run water_yield``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ecociv.compiled import jit


@jit(nogil=True)
def lower_bound(ordered: NDArray[np.float64], value: float) -> int:
    """The first position in ``ordered`` (sorted ascending) whose value is not less than
    ``value`` (``ordered.size`` when there is none): NumPy's ``searchsorted(ordered, value)``
    with ``side="left"``."""
    lo = 0
    hi = ordered.size
    while lo < hi:
        mid = (lo + hi) // 2
        if ordered[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


@jit(nogil=True)
def all_known(block: NDArray[np.floating], known: NDArray[np.float64], check_known: bool) -> bool:
    """Whether every non-NaN value of the 2-D ``block`` is a whole number and, when
    ``check_known``, one of ``known`` (sorted ascending). Runs of one value (class maps are
    patchy) are looked up once."""
    rows, cols = block.shape
    last = np.nan
    for i in range(rows):
        for j in range(cols):
            value = float(block[i, j])
            if value != value or value == last:
                continue
            if np.floor(value) != value:  # not whole (±inf counts as whole, as np.round has it)
                return False
            if check_known:
                at = lower_bound(known, value)
                if at == known.size or known[at] != value:
                    return False
            last = value
    return True
