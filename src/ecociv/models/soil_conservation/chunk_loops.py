r"""Compiled cell loops (numba) of the chunk-by-chunk part of ``soil_conservation``: R from the
months, the arithmetic of K around its exponentials, C and P by class (and C from vegetation
cover), and the soil losses. The formulas are those of ``kernels.py`` (whose NumPy functions
stay the documented reference, tests/models/test_soil_conservation_fast.py); each loop here is
one pass over a chunk instead of a few dozen NumPy passes and their temporaries.

Exponentials, powers and logarithms are left to NumPy between the loops: NumPy evaluates them
with vectorised (SIMD) code, about ten times faster than the scalar ``libm`` calls a numba loop
makes. Results agree with the NumPy formulation to a few units in the last place (not bit for
bit: e.g. ``p * p * p`` instead of ``np.power(p, 3)``).

Imported when the model first computes a chunk (numba takes 0.2-0.5 s to import); compiled
code is cached on disk (``cache=True``). Loops release the GIL (``nogil``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ecociv.compiled import jit

F64 = NDArray[np.float64]
_jit = jit(nogil=True, error_model="numpy")


@_jit
def erosivity_of_months(months: tuple[NDArray[np.floating], ...], coefficient: float,
                        out: F64) -> None:
    """R = coefficient · Σ P_i³ / P^1.5 of every cell from its months (mm, 1-D arrays of one
    type, in a tuple) in one pass: P and Σ P_i³ summed in month order from 0, P^1.5 as P √P;
    0 where P = 0; a negative (invalid) month makes R NaN."""
    count = len(months)
    for i in range(out.size):
        total = 0.0
        cubes = 0.0
        for m in range(count):
            p = float(np.float64(months[m][i]))
            if p < 0.0:
                p = np.nan
            total += p
            cubes += p * p * p
        if total == 0.0:
            out[i] = 0.0
        else:
            out[i] = (coefficient * cubes) / (total * np.sqrt(total))


@_jit
def erodibility_arguments(sand: NDArray[np.floating], silt: NDArray[np.floating],
                          clay: NDArray[np.floating], organic: NDArray[np.floating],
                          organic_per_carbon: float, texture_limit: float, sand_term: F64,
                          silt_ratio: F64, carbon_term: F64, hisand_term: F64,
                          carbon: F64) -> int:
    """The arguments of the exponentials and the power of EPIC's K (Williams 1995): −0.0256 ms
    (1 − msilt/100), msilt/(msilt + mc) (0 where silt + clay = 0), 3.72 − 2.95 C and −5.51 +
    22.9 SN, SN = 1 − ms/100, with C = ``organic`` / ``organic_per_carbon``. Returns the flat
    index of the first cell whose sand + silt + clay exceeds ``texture_limit`` (%), else −1."""
    first = -1
    for i in range(sand.size):
        s = np.float64(sand[i])
        si = np.float64(silt[i])
        c = np.float64(clay[i])
        if first < 0 and (s + si) + c > texture_limit:
            first = i
        sand_term[i] = (-0.0256 * s) * (1.0 - si / 100.0)
        fines = si + c
        silt_ratio[i] = si / fines if fines > 0 else (np.nan if np.isnan(fines) else 0.0)
        oc = np.float64(organic[i]) / organic_per_carbon
        carbon[i] = oc
        carbon_term[i] = 3.72 - 2.95 * oc
        hisand_term[i] = -5.51 + 22.9 * (1.0 - s / 100.0)
    return first


@_jit
def erodibility(sand: NDArray[np.floating], silt: NDArray[np.floating],
                clay: NDArray[np.floating], carbon: F64, sand_exp: F64, silt_power: F64,
                carbon_exp: F64, hisand_exp: F64, zhang: bool, to_si: float, out: F64) -> None:
    """K (SI) from the exponentials and the power of :func:`erodibility_arguments`:
    f_csand f_cl-si f_orgc f_hisand (Williams 1995), the Zhang et al. (2008) regression when
    ``zhang`` (floored at 0), times ``to_si``."""
    for i in range(sand.size):
        fines = np.float64(silt[i]) + np.float64(clay[i])
        f_csand = 0.2 + 0.3 * sand_exp[i]
        f_clsi = silt_power[i] if fines > 0 else (np.nan if np.isnan(fines) else 0.0)
        oc = carbon[i]
        f_orgc = 1.0 - 0.25 * oc / (oc + carbon_exp[i])
        sn = 1.0 - np.float64(sand[i]) / 100.0
        f_hisand = 1.0 - 0.7 * sn / (sn + hisand_exp[i])
        k = f_csand * f_clsi * f_orgc * f_hisand
        if zhang:
            k = -0.01383 + 0.51575 * k
            if k < 0.0:
                k = 0.0
        out[i] = to_si * k


@_jit
def cover_practice(codes: NDArray[np.floating], keys: F64, c_values: F64, p_values: F64,
                   from_cover: NDArray[np.bool_], use_cover: bool, log10_percent: F64,
                   percent: NDArray[np.floating], full_cover_percent: float, c_out: F64,
                   p_out: F64) -> None:
    """C and P of each cell by its class code (``keys`` sorted; NaN for nodata and codes not
    in ``keys``); for classes with ``from_cover`` (when ``use_cover``) C from vegetation cover
    by Cai et al. (2000): 1 at 0 %, 0.6508 − 0.3436 log10(%) below ``full_cover_percent``, 0
    from it on, clipped to [0, 1], NaN where the cover is NaN."""
    n = keys.size
    for i in range(codes.size):
        code = np.float64(codes[i])
        low = 0
        high = n
        while low < high:  # first key >= code
            middle = (low + high) // 2
            if keys[middle] < code:
                low = middle + 1
            else:
                high = middle
        if low == n or keys[low] != code:  # NaN never equals a key
            c_out[i] = np.nan
            p_out[i] = np.nan
            continue
        p_out[i] = p_values[low]
        if use_cover and from_cover[low]:
            value = np.float64(percent[i])
            if np.isnan(value):
                c = np.nan
            elif value >= full_cover_percent:
                c = 0.0
            elif value <= 0.0:
                c = 1.0
            else:
                c = 0.6508 - 0.3436 * log10_percent[i]
                if c < 0.0:
                    c = 0.0
                elif c > 1.0:
                    c = 1.0
            c_out[i] = c
        else:
            c_out[i] = c_values[low]


@_jit
def soil_losses(erosivity_: F64, erodibility_: F64, ls: NDArray[np.floating], cover: F64,
                practice: F64, potential: F64, actual: F64, conservation: F64) -> None:
    """A = R K LS C P and A_p = R K LS (multiplied in that order), A_p only where A is defined
    (NaN elsewhere, so the three maps share one mask), and A_p − A."""
    for i in range(ls.size):
        base = (erosivity_[i] * erodibility_[i]) * np.float64(ls[i])
        loss = (base * cover[i]) * practice[i]
        if np.isnan(loss):
            base = np.nan
        potential[i] = base
        actual[i] = loss
        conservation[i] = base - loss
