r"""Compiled cell loop (numba) of ``water_yield``: AET/P, AET, water yield and the per-watershed
sums of a block of cells in one pass.

The arithmetic is that of :func:`kernels.aet_fraction`, :func:`kernels.actual_et` and
:func:`kernels.water_yield` (InVEST ``fractp_op`` and ``wyield_op``), evaluated per cell in
float64 in the same order: reclassification of the land-use code by the biophysical table,
PET = Kc × ET0, the validity rule of InVEST's ``valid_mask``, ω = min(Z·AWC/P + 1.25, 5) and the
Fu curve in its two cancellation-free forms. Vegetated cells evaluate only the Fu branch, other
cells only min(PET, P)/P (the NumPy kernels evaluate both and choose), so the results equal the
NumPy kernels' to the rounding of ``pow``/``expm1``/``log1p`` (a few units in the last place of
float64; ``tests/models/test_water_yield.py`` compares them).

The watershed sums are accumulated from the float64 values before they are stored, as
``grid.ops.zonal_sums`` would sum the arrays: every quantity over its own valid cells.

Imported when a block is first computed (numba takes 0.1-0.2 s of CPU to import); compiled code
is cached on disk and loaded without numba's compiler set-up (:func:`ecociv.compiled.jit`), and
the loop releases the GIL (``nogil``), so dask's threads run blocks side by side.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from ecociv.compiled import jit
from ecociv.models.water_yield.kernels import OMEGA_MAX, OMEGA_MIN

_jit = jit(nogil=True, error_model="numpy")

#: metres per millimetre (water yield, mm, × cell area, m², → m³)
_M_PER_MM = 1e-3


@_jit
def _class_index(code: float, keys: NDArray[np.float64], dense: bool, first: float) -> int:
    """Row of the biophysical table for a land-use code, -1 when the code is NaN, not a whole
    number or not in the table. ``dense``: the table has a row for every code from ``first``
    (holes marked NaN), so the row is ``code - first``; else a binary search in ``keys``."""
    if code != code:
        return -1
    if dense:
        offset = code - first
        if offset < 0.0 or offset >= keys.size:
            return -1
        index = int(offset)
        return index if index == offset else -1
    lo = 0
    hi = keys.size
    while lo < hi:
        mid = (lo + hi) // 2
        if keys[mid] < code:
            lo = mid + 1
        else:
            hi = mid
    if lo < keys.size and keys[lo] == code:
        return lo
    return -1


@_jit
def budyko_block(codes: NDArray[np.floating], precip: NDArray[np.floating],
                 et0: NDArray[np.floating], depth: NDArray[np.floating],
                 pawc: NDArray[np.floating], z_map: NDArray[np.floating], use_z_map: bool,
                 z: float, keys: NDArray[np.float64], dense: bool, first: float,
                 kc: NDArray[np.float64], veg: NDArray[np.float64], root: NDArray[np.float64],
                 zones: NDArray[np.integer], area: NDArray[np.float64],
                 area_scale: float, area_left: NDArray[np.float64],
                 area_right: NDArray[np.float64],
                 fraction: NDArray[np.float64], aet: NDArray[np.float64],
                 wyield: NDArray[np.float64], sums: NDArray[np.float64]) -> None:
    """Fill ``fraction``, ``aet`` and ``wyield`` (NaN = no value) for a block of cells and add
    the block's per-zone sums to ``sums`` (rows ``fused.SUM_ROWS`` in that order, one column
    per zone).

    ``keys, kc, veg, root`` are the biophysical table (NaN where a dense table has no row);
    Cell areas (m²): ``area_scale * (area_left @ area_right.T)`` when ``area_left`` has
    columns (``GridSpec.cell_area_factors``: a few products per cell instead of a block of
    areas), else ``area``, with one column (equal-area or geographic grids) or one per cell."""
    rows, cols = codes.shape
    area_per_cell = area.shape[1] != 1
    terms = area_left.shape[1]
    for i in range(rows):
        for j in range(cols):
            zone = zones[i, j]
            if terms > 0:
                density = 0.0
                for term in range(terms):
                    density += area_left[i, term] * area_right[j, term]
                cell_area = area_scale * density
            elif area_per_cell:
                cell_area = area[i, j]
            else:
                cell_area = area[i, 0]
            p = float(precip[i, j])
            row = _class_index(float(codes[i, j]), keys, dense, first)
            k = kc[row] if row >= 0 else np.nan
            v = veg[row] if row >= 0 else np.nan
            pet = k * float(et0[i, j])
            soil = float(depth[i, j])
            water = float(pawc[i, j])
            invalid = (p == 0.0 or p != p or pet != pet or v != v or soil != soil
                       or water != water)
            if invalid:
                ratio = np.nan
            elif v == 1.0:
                zz = z
                if use_z_map:
                    local = float(z_map[i, j])
                    if local == local:
                        zz = local
                r = root[row]
                awc = (soil if soil < r else r) * water
                omega = zz * awc / p + OMEGA_MIN
                if omega > OMEGA_MAX:
                    omega = OMEGA_MAX
                phi = pet / p
                if phi == np.inf:
                    fu = 1.0
                elif phi <= 1.0:
                    fu = phi - math.expm1(math.log1p(phi**omega) / omega)
                else:
                    fu = 1.0 - phi * math.expm1(math.log1p(phi ** (-omega)) / omega)
                ratio = phi if phi < fu else fu
            else:
                ratio = (p if p < pet else pet) / p
            actual = ratio * p
            yield_ = (1.0 - ratio) * p
            fraction[i, j] = ratio
            aet[i, j] = actual
            wyield[i, j] = yield_
            sums[9, zone] += 1.0
            sums[8, zone] += cell_area
            valid = True
            if yield_ == yield_:
                sums[0, zone] += yield_
                sums[1, zone] += yield_ * _M_PER_MM * cell_area
                sums[5, zone] += 1.0
            else:
                valid = False
            if actual == actual:
                sums[2, zone] += actual
            else:
                valid = False
            if p == p:
                sums[3, zone] += p
                sums[6, zone] += 1.0
            else:
                valid = False
            if pet == pet:
                sums[4, zone] += pet
                sums[7, zone] += 1.0
            else:
                valid = False
            if valid and cell_area == cell_area:
                sums[10, zone] += 1.0
