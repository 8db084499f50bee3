"""Geometry kernels of the park screening: population within a radius (raster or points), distance
to the nearest line and to the nearest marked cell. Arrays and numbers in, numbers out."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]


def raster_population_within(values: ArrayLike, x: ArrayLike, y: ArrayLike, px: float, py: float,
                             radius: float, *, subsamples: int = 10) -> float:
    """Persons within ``radius`` of (px, py) on a raster of persons per cell.

    Parameters
    ----------
    values : array_like
        Persons per cell (rows × cols); NaN = no data (counted as 0).
    x, y : array_like
        Cell-centre coordinates of the columns and rows (m, projected CRS, regular spacing).
    px, py : float
        The point (m).
    radius : float
        Radius (m).
    subsamples : int
        Each cell is split into ``subsamples`` × ``subsamples`` sub-cells; a cell counts with the
        share of its sub-cell centres inside the circle (so a 500 m circle in a 1 km cell takes
        about π·0.5²/1 = 0.785 of the cell's persons).

    Returns
    -------
    float
        Σ persons × share of the cell inside the circle.
    """
    v = np.asarray(values, dtype=np.float64)
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    dx = abs(xs[1] - xs[0]) if xs.size > 1 else abs(ys[1] - ys[0])
    dy = abs(ys[1] - ys[0]) if ys.size > 1 else dx
    reach = radius + max(dx, dy)
    cols = np.flatnonzero(np.abs(xs - px) <= reach)
    rows = np.flatnonzero(np.abs(ys - py) <= reach)
    if cols.size == 0 or rows.size == 0:
        return 0.0
    offsets = (np.arange(subsamples) + 0.5) / subsamples - 0.5
    sub_x = xs[cols][:, None] + offsets[None, :] * dx          # (ncol, s)
    sub_y = ys[rows][:, None] + offsets[None, :] * dy          # (nrow, s)
    ddx = (sub_x - px) ** 2
    ddy = (sub_y - py) ** 2
    inside = ddy[:, None, :, None] + ddx[None, :, None, :] <= radius ** 2  # (nrow, ncol, s, s)
    share = inside.mean(axis=(2, 3))
    window = v[np.ix_(rows, cols)]
    return float(np.nansum(np.where(np.isfinite(window), window, 0.0) * share))


def points_population_within(xs: ArrayLike, ys: ArrayLike, population: ArrayLike, px: float, py: float,
                             radius: float) -> float:
    """Σ population of the points within ``radius`` (m) of (px, py) (a settlement counts whole when its
    point is inside)."""
    x = np.asarray(xs, dtype=np.float64)
    y = np.asarray(ys, dtype=np.float64)
    p = np.asarray(population, dtype=np.float64)
    inside = (x - px) ** 2 + (y - py) ** 2 <= radius ** 2
    return float(np.nansum(np.where(inside, p, 0.0)))


def nearest_cell_distance(mask: ArrayLike, x: ArrayLike, y: ArrayLike, px: float, py: float) -> float:
    """Distance (m) from (px, py) to the centre of the nearest True cell of ``mask`` (0 when the
    point's own cell is True, inf when no cell is)."""
    m = np.asarray(mask, dtype=bool)
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    rows, cols = np.nonzero(m)
    if rows.size == 0:
        return float("inf")
    col = int(np.argmin(np.abs(xs - px)))
    row = int(np.argmin(np.abs(ys - py)))
    if m[row, col]:
        return 0.0
    return float(np.sqrt(((xs[cols] - px) ** 2 + (ys[rows] - py) ** 2).min()))
