"""Compiled (numba) exact cell coverage of polygons: the area of polygon ∩ cell of every cell of a
window, from the polygon's edges by Green's theorem, without intersecting each cell with the
polygon (:func:`ecociv.grid.zonal.coverage` did that with GEOS, at a cost ∝ cells × vertices).

Coordinates are in cell units of the window: ``u`` = column (0 at the window's left edge), ``v``
= row (0 at its top edge), so cell (i, j) is the unit square [j, j + 1] × [i, i + 1] and its area
is 1. For a closed ring, the area of the part of cell (i, j) inside it (counted with the ring's
winding number) is, up to one sign for the whole ring,

    F(i, j) = ∮ clamp(i + 1 − v, 0, 1) du

along the ring's edges clipped to the column strip j ≤ u ≤ j + 1 (vertical edges add nothing):
for one u, the winding number steps by ±1 where the ring crosses the vertical line at u, and the
length of row i's interval [i, i + 1] below a crossing at v is clamp(i + 1 − v, 0, 1) (Green's
theorem for the strip; a ring's crossings of a line add up to 0, so what lies outside the window
needs no clipping in v). Summed over all rows of a window holding the ring, F is the ring's
signed area (shoelace formula), whose sign gives the orientation: exterior rings count +1, holes
−1, whatever their orientation.

Within one strip, an edge piece gives the whole of its signed width Δu to every row below its
lower end (i ≥ max v) and a part to the rows its v-range crosses; the rows below are filled by a
running sum down each column. Cells that no edge enters get a whole number (the winding number:
0 or 1), rounded to it; the others their exact fraction, computed per piece from the length of
the piece below the row plus the trapezoid of the part across it. Cost ∝ edge pieces × rows
they cross, plus one pass over the window. Imported when a coverage is first computed; cached on
disk (:func:`ecociv.compiled.jit`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ecociv.compiled import jit

#: fractions within this of 0 or 1 (round-off of coordinates in cell units, ≈ 1e-16 × the
#: window's size in cells) are set to 0 or 1
SNAP = 1e-13


@jit(nogil=True)
def _row_part(du: float, va: float, vb: float, row: int) -> float:
    """∫ clamp(row + 1 − v, 0, 1) du over a straight piece of width ``du`` (> 0) whose v runs
    linearly between ``va`` ≤ ``vb``."""
    lo = float(row)
    hi = lo + 1.0
    span = vb - va
    if span <= 0.0:  # horizontal
        return du * min(max(hi - va, 0.0), 1.0)
    below = min(vb, lo) - va  # length (in v) of the part above row's top edge: full weight
    total = below / span if below > 0.0 else 0.0
    p = max(va, lo)
    q = min(vb, hi)
    if q > p:  # the part across the row: weight hi − v, a trapezoid
        total += (q - p) / span * (hi - 0.5 * (p + q))
    return du * total


@jit(nogil=True)
def _piece(ua: float, va: float, ub: float, vb: float, sign: float, col: int,
           cumulative: NDArray[np.float64], part: NDArray[np.float64],
           touched: NDArray[np.bool_]) -> None:
    """Add one edge piece inside column strip ``col`` (``ua`` < ``ub``), signed by ``sign``."""
    rows = part.shape[0]
    du = ub - ua
    vlo = min(va, vb)
    vhi = max(va, vb)
    full = np.ceil(vhi)  # rows i ≥ max v get the whole width
    if full < rows:
        cumulative[int(max(full, 0.0)), col] += sign * du
    first = max(np.floor(vlo), 0.0)
    last = min(full, rows)  # rows first .. last − 1 get a part
    for row in range(int(first), int(last)):
        part[row, col] += sign * _row_part(du, vlo, vhi, row)
    top = min(np.floor(vhi), rows - 1.0)
    for row in range(int(first), int(top) + 1):
        touched[row, col] = True


@jit(nogil=True)
def _edge(u0: float, v0: float, u1: float, v1: float, sign: float,
          cumulative: NDArray[np.float64], part: NDArray[np.float64],
          touched: NDArray[np.bool_]) -> None:
    """Add the edge (u0, v0) → (u1, v1) of a ring, signed by ``sign``, split into column strips."""
    rows, cols = part.shape
    if u0 == u1:  # vertical: no area, but it cuts the cells it runs through
        if u0 > 0.0 and u0 < cols and u0 != np.floor(u0):
            col = int(np.floor(u0))
            first = max(np.floor(min(v0, v1)), 0.0)
            top = min(np.floor(max(v0, v1)), rows - 1.0)
            for row in range(int(first), int(top) + 1):
                touched[row, col] = True
        return
    if u0 > u1:  # walk left to right; the piece then counts negative
        u0, v0, u1, v1 = u1, v1, u0, v0
        sign = -sign
    if u1 <= 0.0 or u0 >= cols:
        return
    slope = (v1 - v0) / (u1 - u0)
    first = int(max(np.floor(u0), 0.0))
    last = int(min(np.ceil(u1), float(cols)))  # strips first .. last − 1
    ua, va = u0, v0
    if ua < first:
        ua, va = float(first), v0 + (first - u0) * slope
    for col in range(first, last):
        edge = col + 1.0
        if u1 <= edge:
            ub, vb = u1, v1
        else:
            ub, vb = edge, v0 + (edge - u0) * slope
        if ub > ua:
            _piece(ua, va, ub, vb, sign, col, cumulative, part, touched)
        ua, va = ub, vb


@jit(nogil=True)
def ring_area(u: NDArray[np.float64], v: NDArray[np.float64], start: int, stop: int) -> float:
    """Signed area (shoelace) of the closed ring ``u[start:stop], v[start:stop]`` (last vertex =
    first), relative to its first vertex; positive when F above sums positive."""
    total = 0.0
    u0 = u[start]
    v0 = v[start]
    for k in range(start, stop - 1):
        total += (u[k] - u0) * (v[k + 1] - v0) - (u[k + 1] - u0) * (v[k] - v0)
    return 0.5 * total


@jit(nogil=True)
def cell_fractions(u: NDArray[np.float64], v: NDArray[np.float64], ring_offsets: NDArray[np.int64],
                   exterior: NDArray[np.bool_], fractions: NDArray[np.float64],
                   cumulative: NDArray[np.float64], touched: NDArray[np.bool_]) -> None:
    """Fraction (0–1) of each cell of a window inside a polygon, written into ``fractions``.

    Parameters
    ----------
    u, v : ndarray of float64
        Vertices of all rings, in cell units of the window (column, row).
    ring_offsets : ndarray of int64
        Ring k is vertices ``ring_offsets[k]:ring_offsets[k + 1]``, closed (last = first).
    exterior : ndarray of bool
        Per ring: an exterior ring (True) or a hole (False).
    fractions, cumulative : ndarray of float64, (rows, cols) of the window
        Zeros; ``fractions`` gets the result, ``cumulative`` is work space.
    touched : ndarray of bool, (rows, cols)
        False; work space (the cells an edge enters).

    Notes
    -----
    The arrays are made by the caller: arrays allocated in compiled code make numba import its
    array implementation (``numba.np.arrayobj``, ≈ 20 ms) when the cached code is loaded.
    """
    rows, cols = fractions.shape
    for ring in range(ring_offsets.size - 1):
        start = ring_offsets[ring]
        stop = ring_offsets[ring + 1]
        area = ring_area(u, v, start, stop)
        if area == 0.0:
            continue
        sign = 1.0 if area > 0.0 else -1.0
        if not exterior[ring]:
            sign = -sign
        for k in range(start, stop - 1):
            _edge(u[k], v[k], u[k + 1], v[k + 1], sign, cumulative, fractions, touched)
    for col in range(cols):
        running = 0.0
        for row in range(rows):
            running += cumulative[row, col]
            value = running + fractions[row, col]
            if not touched[row, col]:
                value = np.floor(value + 0.5)  # a whole number: 0 or 1
            if value <= SNAP:
                value = 0.0
            elif value >= 1.0 - SNAP:
                value = 1.0
            fractions[row, col] = value
