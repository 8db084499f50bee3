r"""Compiled cell loops (numba) of ``water_yield``: AET/P, AET, water yield and the per-watershed
sums of a block of cells.

The arithmetic is that of :func:`kernels.aet_fraction`, :func:`kernels.actual_et` and
:func:`kernels.water_yield` (InVEST ``fractp_op`` and ``wyield_op``), evaluated per cell in
float64 in the same order: reclassification of the land-use code by the biophysical table,
PET = Kc × ET0, the validity rule of InVEST's ``valid_mask``, ω = min(Z·AWC/P + 1.25, 5) and the
Fu curve in its two cancellation-free forms. Vegetated cells evaluate only the Fu branch, other
cells only min(PET, P)/P (the NumPy kernels evaluate both and choose).

A block is done a few rows at a time in two passes around NumPy: :func:`_prepare` computes
everything but Fu's powers, logarithm and exponential, and lists the vegetated cells with their
φ = PET/P and ω; NumPy's vectorised ``power``, ``log1p`` and ``expm1`` (SIMD on this machine,
the functions :func:`kernels.fu_aet_ratio` and InVEST's ``fractp_op`` use) evaluate
:math:`\operatorname{expm1}(\operatorname{log1p}(\varphi^{\pm\omega})/\omega)` for the listed
cells; :func:`_finish` completes AET/P and adds the sums in cell order. The scalar ``libm``
functions the loop called before took 60 % of its time (0.68 → 0.35 CPU-s on 4000² cells, one
thread); the float64 results differ from theirs by the functions' rounding (a unit in the last
place in 1.1 % of the cells of the benchmark's inputs), and not one float32 output cell of those
inputs changed. ``tests/models/test_water_yield.py`` compares the loops with the NumPy kernels.

The watershed sums are accumulated from the float64 values before they are stored, as
``grid.ops.zonal_sums`` would sum the arrays: every quantity over its own valid cells.

Imported when a block is first computed (numba takes 0.1-0.2 s of CPU to import); compiled code
is cached on disk and loaded without numba's compiler set-up (:func:`ecociv.compiled.jit`), and
the loops release the GIL (``nogil``), as NumPy's functions do, so dask's threads run blocks
side by side.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from ecociv.compiled import jit
from ecociv.grid.codes_loops import lower_bound
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
    at = lower_bound(keys, code)
    if at < keys.size and keys[at] == code:
        return at
    return -1


#: cells of a block handled per round of the passes (whole rows; the Fu curve's arguments of
#: that many cells, float64, stay in the core's cache between the passes)
_ROUND_CELLS = 1 << 16


@_jit
def _fu(phi: float, omega: float) -> float:
    """Fu's AET/P in the loop (the cells :func:`_prepare` does not list)."""
    if phi == np.inf:
        return 1.0
    if phi <= 1.0:
        return phi - math.expm1(math.log1p(phi**omega) / omega)
    return 1.0 - phi * math.expm1(math.log1p(phi ** (-omega)) / omega)


@_jit
def _prepare(codes: NDArray[np.floating], precip: NDArray[np.floating],
             et0: NDArray[np.floating], depth: NDArray[np.floating],
             pawc: NDArray[np.floating], z_map: NDArray[np.floating], use_z_map: bool,
             z: float, keys: NDArray[np.float64], dense: bool, first: float,
             kc: NDArray[np.float64], veg: NDArray[np.float64], root: NDArray[np.float64],
             row0: int, row1: int, fraction: NDArray[np.float64], pet_out: NDArray[np.float64],
             cells: NDArray[np.int64], phis: NDArray[np.float64], powers: NDArray[np.float64],
             omegas: NDArray[np.float64]) -> int:
    """First pass over rows ``row0:row1``: PET into ``pet_out`` and AET/P into ``fraction``
    (NaN = invalid), except for vegetated cells whose Fu curve is deferred: their position
    (``i * cols + j``), φ, ±ω (the power of φ) and ω are appended to ``cells, phis, powers,
    omegas``. Returns how many were appended."""
    cols = codes.shape[1]
    size = float(keys.size)
    n = 0
    for i in range(row0, row1):
        for j in range(cols):
            p = float(precip[i, j])
            code = float(codes[i, j])
            if dense:  # _class_index's dense case, written out: the call was not inlined
                offset = code - first  # and took half of this loop's time
                row = -1
                if offset >= 0.0 and offset < size:  # False for NaN
                    row = int(offset)
                    if row != offset:
                        row = -1
            else:
                row = _class_index(code, keys, dense, first)
            k = kc[row] if row >= 0 else np.nan
            v = veg[row] if row >= 0 else np.nan
            pet = k * float(et0[i, j])
            soil = float(depth[i, j])
            water = float(pawc[i, j])
            pet_out[i, j] = pet
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
                # Fu by NumPy for the ordinary cells (0 < φ < ∞, ω ≥ 1.25: φ^(±ω) ≤ 1, so no step
                # can overflow or raise a floating-point warning); the others (φ = 0 or ∞,
                # negative water content, NaN) in the loop
                if 0.0 < phi < np.inf and omega >= OMEGA_MIN:
                    cells[n] = i * cols + j
                    phis[n] = phi
                    powers[n] = omega if phi <= 1.0 else -omega
                    omegas[n] = omega
                    n += 1
                    continue
                fu = _fu(phi, omega)
                ratio = phi if phi < fu else fu
            else:
                ratio = (p if p < pet else pet) / p
            fraction[i, j] = ratio
    return n


@_jit
def _finish(precip: NDArray[np.floating], zones: NDArray[np.integer],
            area: NDArray[np.float64], area_scale: float, area_left: NDArray[np.float64],
            area_right: NDArray[np.float64], row0: int, row1: int,
            cells: NDArray[np.int64], phis: NDArray[np.float64], roots: NDArray[np.float64],
            fraction: NDArray[np.float64], aet: NDArray[np.float64],
            wyield: NDArray[np.float64], sums: NDArray[np.float64]) -> None:
    """Second pass over rows ``row0:row1``, cell by cell in the order of the first: AET/P of
    the deferred cells from ``roots`` (:math:`(1 + φ^{±ω})^{1/ω} - 1`), then AET and water
    yield, and the sums. ``aet`` holds PET (from :func:`_prepare`) until it is overwritten.
    The sums of the current zone are kept in local variables (added to in the same order, so
    the same totals) and stored when the zone changes: 12 % less time than adding into
    ``sums`` cell by cell."""
    cols = precip.shape[1]
    area_per_cell = area.shape[1] != 1
    terms = area_left.shape[1]
    n = cells.size
    k = 0
    # the sums of the zone of the last cell, in registers (zones change rarely along a row);
    # each is added to in the same order as in ``sums`` itself, so the totals are the same
    zone_now = zones[row0, 0] if row1 > row0 and cols > 0 else 0
    s0, s1, s2, s3, s4, s5 = (sums[0, zone_now], sums[1, zone_now], sums[2, zone_now],
                              sums[3, zone_now], sums[4, zone_now], sums[5, zone_now])
    s6, s7, s8, s9, s10 = (sums[6, zone_now], sums[7, zone_now], sums[8, zone_now],
                           sums[9, zone_now], sums[10, zone_now])
    next_cell = cells[0] if n > 0 else -1
    for i in range(row0, row1):
        for j in range(cols):
            zone = zones[i, j]
            if zone != zone_now:
                sums[0, zone_now], sums[1, zone_now], sums[2, zone_now] = s0, s1, s2
                sums[3, zone_now], sums[4, zone_now], sums[5, zone_now] = s3, s4, s5
                sums[6, zone_now], sums[7, zone_now], sums[8, zone_now] = s6, s7, s8
                sums[9, zone_now], sums[10, zone_now] = s9, s10
                zone_now = zone
                s0, s1, s2, s3 = sums[0, zone], sums[1, zone], sums[2, zone], sums[3, zone]
                s4, s5, s6, s7 = sums[4, zone], sums[5, zone], sums[6, zone], sums[7, zone]
                s8, s9, s10 = sums[8, zone], sums[9, zone], sums[10, zone]
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
            pet = aet[i, j]
            if i * cols + j == next_cell:
                phi = phis[k]
                if phi <= 1.0:
                    fu = phi - roots[k]
                else:
                    fu = 1.0 - phi * roots[k]
                ratio = phi if phi < fu else fu
                k += 1
                next_cell = cells[k] if k < n else -1
            else:
                ratio = fraction[i, j]
            actual = ratio * p
            yield_ = (1.0 - ratio) * p
            fraction[i, j] = ratio
            aet[i, j] = actual
            wyield[i, j] = yield_
            s9 += 1.0
            s8 += cell_area
            valid = True
            if yield_ == yield_:
                s0 += yield_
                s1 += yield_ * _M_PER_MM * cell_area
                s5 += 1.0
            else:
                valid = False
            if actual == actual:
                s2 += actual
            else:
                valid = False
            if p == p:
                s3 += p
                s6 += 1.0
            else:
                valid = False
            if pet == pet:
                s4 += pet
                s7 += 1.0
            else:
                valid = False
            if valid and cell_area == cell_area:
                s10 += 1.0
    if row1 > row0 and cols > 0:
        sums[0, zone_now], sums[1, zone_now], sums[2, zone_now] = s0, s1, s2
        sums[3, zone_now], sums[4, zone_now], sums[5, zone_now] = s3, s4, s5
        sums[6, zone_now], sums[7, zone_now], sums[8, zone_now] = s6, s7, s8
        sums[9, zone_now], sums[10, zone_now] = s9, s10


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
    areas), else ``area``, with one column (equal-area or geographic grids) or one per cell.

    A few rows at a time: :func:`_prepare`, then the Fu curve of the vegetated cells by NumPy's
    vectorised ``power``, ``log1p`` and ``expm1`` (as :func:`kernels.fu_aet_ratio` evaluates
    it), then :func:`_finish`; the loops release the GIL, and so do NumPy's functions."""
    rows, cols = codes.shape
    if rows == 0 or cols == 0:
        return
    step = max(1, _ROUND_CELLS // cols)
    size = min(rows, step) * cols
    cells = np.empty(size, dtype=np.int64)
    phis, powers, omegas = (np.empty(size, dtype=np.float64) for _ in range(3))
    for row0 in range(0, rows, step):
        row1 = min(rows, row0 + step)
        n = _prepare(codes, precip, et0, depth, pawc, z_map, use_z_map, z, keys, dense, first,
                     kc, veg, root, row0, row1, fraction, aet, cells, phis, powers, omegas)
        roots = powers[:n]
        np.power(phis[:n], roots, out=roots)
        np.log1p(roots, out=roots)
        np.divide(roots, omegas[:n], out=roots)
        np.expm1(roots, out=roots)
        _finish(precip, zones, area, area_scale, area_left, area_right, row0, row1, cells[:n],
                phis[:n], roots, fraction, aet, wyield, sums)
