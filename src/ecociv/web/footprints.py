"""Footprints of runs: the outline of a run's grid in WGS 84, for finding runs by place.

The outline is the grid's edge sampled at ``points_per_side`` points per side and transformed to
longitude/latitude, so a projected grid (Albers, UTM) gets its true curved outline, not the box of
its four corners."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ecociv.errors import InputError


def grid_outline(grid: dict[str, Any], *, points_per_side: int = 32) -> tuple[str, tuple[float, ...]]:
    """The WGS 84 outline of a grid as polygon WKT and its (west, south, east, north) bounds.

    Parameters
    ----------
    grid : dict
        The ``grid`` of a run manifest: ``crs`` (WKT or ``EPSG:n``), ``transform`` (the six
        affine coefficients a, b, c, d, e, f of GDAL order ``x = a·col + b·row + c``,
        ``y = d·col + e·row + f``) and ``shape`` (rows, columns).
    points_per_side : int
        Points sampled on each side of the grid.

    Returns
    -------
    wkt : str
        ``POLYGON((lon lat, ...))`` in degrees.
    bounds : tuple of float
        West, south, east and north, degrees.
    """
    import numpy as np
    from pyproj import CRS, Transformer
    from shapely import Polygon

    try:
        a, b, c, d, e, f = (float(v) for v in grid["transform"][:6])
        rows, cols = (int(v) for v in grid["shape"][:2])
        crs = CRS.from_user_input(grid["crs"])
    except (KeyError, TypeError, ValueError) as err:
        raise InputError(f"the run's grid cannot be read ({err}); expected crs, transform and "
                         "shape", source="manifest.json") from err
    t = np.linspace(0.0, 1.0, points_per_side, endpoint=False)
    col = np.concatenate([t * cols, np.full_like(t, cols), (1 - t) * cols, np.zeros_like(t)])
    row = np.concatenate([np.zeros_like(t), t * rows, np.full_like(t, rows), (1 - t) * rows])
    x, y = a * col + b * row + c, d * col + e * row + f
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(x, y)
    polygon = Polygon(np.column_stack([lon, lat]))
    if not polygon.is_valid:
        polygon = polygon.buffer(0)
    return polygon.wkt, tuple(float(v) for v in polygon.bounds)


def run_outline(run_dir: Path) -> tuple[str, tuple[float, ...]] | None:
    """The outline of the run in ``run_dir`` from its ``manifest.json``; None without a grid."""
    try:
        manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    grid = manifest.get("grid")
    if not isinstance(grid, dict) or not grid.get("crs"):
        return None
    return grid_outline(grid)


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """``"west,south,east,north"`` in degrees as four floats; InputError when malformed."""
    try:
        west, south, east, north = (float(v) for v in text.split(","))
    except ValueError as err:
        raise InputError(f"bbox {text!r}: expected four numbers west,south,east,north in "
                         "degrees") from err
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise InputError(f"bbox {text!r}: expected west < east within ±180 and south < north "
                         "within ±90 degrees")
    return west, south, east, north
