r"""Compiled cell loops (numba) of the terrain kernels in ``kernels.py``: D8 receivers, D8 flow
accumulation and the complete-window part of Horn's gradient.

Each loop does the floating-point operations of the NumPy formulation it replaces, in the same
order (numba does not contract or reassociate them without ``fastmath``), so the results are
the same bit for bit; only flow accumulation adds the donors of a cell in another order (the
sum of equal cell areas, as LS uses it, is exact either way). One pass over the grid instead of
a few dozen whole-grid NumPy passes and their temporaries: at 4000 × 4000 cells these three
steps took about 4 of the 5 CPU-seconds of LS.

The module is imported when a terrain kernel first runs (not with the model registry: importing
numba takes 0.2-0.5 s); the compiled code is cached on disk (``cache=True``) after the first
call in an environment. Loops release the GIL (``nogil``), so other threads keep working.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ecociv.compiled import jit

_jit = jit(nogil=True, error_model="numpy")


@_jit
def d8_directions(z: NDArray[np.floating], row_offsets: NDArray[np.int64],
                  col_offsets: NDArray[np.int64], distances: NDArray[np.float64],
                  steps: NDArray[np.int64]) -> NDArray[np.int64]:
    """Receiver (flat index) of every cell of ``z``, -1 for none: the first of the neighbours
    (in the order of the offsets) with the largest drop (z₀ − zₙ)/dₙ > 0 inside the grid; NaN
    never wins a comparison. ``steps`` are the flat offsets of the neighbours. Elevations are
    taken as float64 (a float32 DEM gives the same receivers as its float64 copy)."""
    rows, cols = z.shape
    receiver = np.empty((rows, cols), dtype=np.int64)
    d8_rows(z, row_offsets, col_offsets, distances, steps, 0, rows, receiver)
    return receiver


@_jit
def d8_rows(z: NDArray[np.floating], row_offsets: NDArray[np.int64],
            col_offsets: NDArray[np.int64], distances: NDArray[np.float64],
            steps: NDArray[np.int64], first_row: int, stop_row: int,
            receiver: NDArray[np.integer]) -> None:
    """:func:`d8_directions` of the rows ``first_row`` to ``stop_row`` (exclusive) of ``z``,
    written into those rows of ``receiver`` (int32 or int64, the shape of ``z``): row ranges
    are independent, so two threads can each do part of the grid (the GIL is released)."""
    rows, cols = z.shape
    count = row_offsets.size
    for row in range(first_row, stop_row):
        for col in range(cols):
            centre = float(z[row, col])
            best = 0.0
            chosen = -1
            for code in range(count):
                r = row + row_offsets[code]
                c = col + col_offsets[code]
                if r < 0 or r >= rows or c < 0 or c >= cols:
                    continue
                drop = (centre - float(z[r, c])) / distances[code]
                if drop > best:
                    best = drop
                    chosen = code
            receiver[row, col] = -1 if chosen < 0 else row * cols + col + steps[chosen]


@_jit
def accumulate(target: NDArray[np.int64], total: NDArray[np.float64]) -> None:
    """Add to ``total`` (flat, in place) the totals of every cell draining to each cell.

    A cell is passed on once all its donors are: from every cell without donors, walk down
    its flow path, handing each cell's total to its receiver, until a receiver still waits for
    other donors (it is continued from the last of them) or there is none. O(cells). Cells on a
    cycle (never in D8 receivers of a DEM) are never passed on, as in a topological order."""
    size = target.size
    pending = np.zeros(size, dtype=np.int32)
    for cell in range(size):
        receiver = target[cell]
        if receiver >= 0:
            pending[receiver] += 1
    for start in range(size):
        if pending[start] != 0:  # waits for donors, or was passed on by its last donor
            continue
        cell = start
        while True:
            receiver = target[cell]
            if receiver < 0:
                break
            total[receiver] += total[cell]
            pending[receiver] -= 1
            if pending[receiver] != 0:
                break
            pending[receiver] = -1  # done here: not a start of the outer loop
            cell = receiver


@_jit
def horn_complete(z: NDArray[np.floating], dx: float, dy: float, dzdx: NDArray[np.float64],
                  dzdy: NDArray[np.float64], incomplete: NDArray[np.bool_]) -> None:
    """Horn's gradient where the 3 × 3 window is complete, NaN elsewhere (grid edge, next to
    NaN, and at NaN cells), written into ``dzdx`` and ``dzdy``; ``incomplete`` is set where a
    cell with data has a NaN component (the cells the general rule has to do).

    Per component, (c₋₁ + 2 c₀ + c₁)/4 of the central differences c = (after − before)/(2h)
    of the three rows (x) or columns (y), with elevations taken as float64, the operations of
    the general rule in ``kernels.horn_gradient``."""
    rows, cols = z.shape
    two_dx = 2.0 * dx
    two_dy = 2.0 * dy
    for row in range(rows):
        for col in range(cols):
            centre = float(z[row, col])
            gx = np.nan
            gy = np.nan
            if 0 < row < rows - 1 and 0 < col < cols - 1 and not np.isnan(centre):
                north = row - 1
                south = row + 1
                west = col - 1
                east = col + 1
                nw = float(z[north, west])
                nc = float(z[north, col])
                ne = float(z[north, east])
                cw = float(z[row, west])
                ce = float(z[row, east])
                sw = float(z[south, west])
                sc = float(z[south, col])
                se = float(z[south, east])
                gx = (ne - nw) / two_dx
                gx += ((ce - cw) / two_dx) * 2.0
                gx += (se - sw) / two_dx
                gx /= 4.0
                # north is up: the row above is the "after" side of dz/dy
                gy = (nw - sw) / two_dy
                gy += ((nc - sc) / two_dy) * 2.0
                gy += (ne - se) / two_dy
                gy /= 4.0
            dzdx[row, col] = gx
            dzdy[row, col] = gy
            incomplete[row, col] = (np.isnan(gx) or np.isnan(gy)) and not np.isnan(centre)


@_jit
def upslope_area(target: NDArray[np.int64], z: NDArray[np.floating], cell_area: float,
                 out: NDArray[np.float64]) -> None:
    """Into ``out`` (flat): the D8 accumulation of the cell areas (``cell_area`` where ``z``,
    flat, has data, 0 at NaN) minus the cell's own, i.e. the area draining into each cell's
    inlet; the operations of ``flow_accumulation(receivers, area) - area``."""
    for i in range(z.size):
        out[i] = 0.0 if np.isnan(z[i]) else cell_area
    accumulate(target, out)
    for i in range(z.size):
        out[i] -= 0.0 if np.isnan(z[i]) else cell_area


@_jit
def ls_arguments(upslope: NDArray[np.float64], dzdx: NDArray[np.float64],
                 dzdy: NDArray[np.float64], cell_size: float, max_slope_length: float,
                 steep_tangent: float, sine: NDArray[np.float64], steepness: NDArray[np.float64],
                 length_in: NDArray[np.float64], length_out: NDArray[np.float64]) -> None:
    """First pass of LS (``kernels.ls_from_terrain``; flat arrays): with g = |∇z| = tan θ,
    sin θ = g/√(1 + g²) into ``sine``; S (McCool et al. 1987: 10.8 sin θ + 0.03 below
    tan θ = 0.09, else 16.8 sin θ − 0.50; Liu et al. 1994: 21.91 sin θ − 0.96 from
    ``steep_tangent`` = tan of the threshold angle on) into ``steepness``; the contour factor
    x = (|gx| + |gy|)/g (1 where g = 0); λ_in = min(A_in/(D x), cap) into ``length_in`` and
    λ_out = λ_in + D/x into ``length_out``. NaN where the gradient is NaN. Outputs may be the
    inputs (each cell is read before it is written)."""
    for i in range(upslope.size):
        area = upslope[i]  # every input of the cell is read before any output is written
        gx = dzdx[i]
        gy = dzdy[i]
        norm = np.sqrt(gx * gx + gy * gy)
        contour = (abs(gx) + abs(gy)) / norm if norm != 0.0 else 1.0
        sin = norm / np.sqrt(1.0 + norm * norm)
        if norm >= steep_tangent:
            s = 21.91 * sin - 0.96
        elif norm < 0.09:
            s = 10.8 * sin + 0.03
        else:
            s = 16.8 * sin - 0.50
        if np.isnan(norm):
            s = np.nan
        sine[i] = sin
        steepness[i] = s
        lin = area / (cell_size * contour)
        if lin > max_slope_length:
            lin = max_slope_length
        length_in[i] = lin
        length_out[i] = lin + cell_size / contour


@_jit
def ls_exponents(sine: NDArray[np.float64], sine_power: NDArray[np.float64],
                 log_unit_plot: float, exponent: NDArray[np.float64],
                 unit_plot_exponent: NDArray[np.float64]) -> None:
    """Second pass: m = β/(1 + β), β = (sin θ/0.0896)/(3 sin^0.8 θ + 0.56) (McCool et al.
    1989), from ``sine_power`` = sin^0.8 θ; writes m + 1 into ``exponent`` and m ln 22.13 into
    ``unit_plot_exponent`` (for 22.13^m = e^(m ln 22.13))."""
    for i in range(sine.size):
        beta = (sine[i] / 0.0896) / (3.0 * sine_power[i] + 0.56)
        m = beta / (1.0 + beta)
        exponent[i] = m + 1.0
        unit_plot_exponent[i] = m * log_unit_plot


@_jit
def ls_combine(length_in: NDArray[np.float64], length_out: NDArray[np.float64],
               powered_in: NDArray[np.float64], powered_out: NDArray[np.float64],
               unit_plot: NDArray[np.float64], steepness: NDArray[np.float64],
               out: NDArray[np.float64]) -> None:
    """Last pass: L = (λ_out^(m+1) − λ_in^(m+1)) / ((λ_out − λ_in) 22.13^m) (Desmet & Govers
    1996 in Foster & Wischmeier's segment form) and LS = max(L S, 0), NaN where S is NaN."""
    for i in range(out.size):
        length = (powered_out[i] - powered_in[i]) / ((length_out[i] - length_in[i]) * unit_plot[i])
        value = length * steepness[i]
        if value < 0.0:
            value = 0.0
        if np.isnan(steepness[i]):
            value = np.nan
        out[i] = value
