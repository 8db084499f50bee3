"""Exact zonal statistics: each cell counts with the fraction of its area inside the polygon
(area-weighted), not by whether its centre falls inside.

On axis-aligned grids the fraction of every cell of a (multi)polygon's window comes from its
edges by Green's theorem, one compiled pass (:mod:`ecociv.grid.coverage_loops`): cells crossed
by the boundary get their exact covered area, all others are whole (0 or 1). On rotated grids,
and for other geometry types, cells crossed by the boundary get theirs from a polygon ∩ cell
intersection (GEOS) and all other cells are decided by their centre, the approach of
exactextract (Baston 2019), written here from its description. Both agree with GEOS's cell
intersections within round-off (``tests/test_grid_zonal_green.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import shapely
import xarray as xr
from affine import Affine
from rasterio.windows import Window
from rasterio.windows import transform as window_transform

from ecociv.grid.burn import rasterize
from ecociv.grid.spec import GridSpec


@dataclass(frozen=True)
class Coverage:
    """Cells of a window of the grid and the fraction (0–1] of each covered by a polygon."""

    window: Window
    fractions: np.ndarray  # (rows, cols) of the window, 0 where not covered

    @property
    def slices(self) -> tuple[slice, slice]:
        row0, col0 = int(self.window.row_off), int(self.window.col_off)
        return (slice(row0, row0 + int(self.window.height)), slice(col0, col0 + int(self.window.width)))


def _apply(affine: Affine, x: Any, y: Any) -> tuple[Any, Any]:
    """Affine transform of coordinates (scalars or arrays)."""
    return (affine.a * x + affine.b * y + affine.c, affine.d * x + affine.e * y + affine.f)


def _window(geometry: Any, grid: GridSpec) -> Window | None:
    left, bottom, right, top = geometry.bounds
    inverse = ~grid.transform
    col0, row0 = _apply(inverse, left, top)
    col1, row1 = _apply(inverse, right, bottom)
    c0, c1 = sorted((col0, col1))
    r0, r1 = sorted((row0, row1))
    c0, r0 = max(0, int(np.floor(c0))), max(0, int(np.floor(r0)))
    c1, r1 = min(grid.cols, int(np.ceil(c1))), min(grid.rows, int(np.ceil(r1)))
    if c1 <= c0 or r1 <= r0:
        return None
    return Window(c0, r0, c1 - c0, r1 - r0)


def coverage(geometry: Any, grid: GridSpec) -> Coverage | None:
    """Fraction of each cell's area inside ``geometry`` (in the grid's CRS), over the window of
    the grid that the geometry's bounds cover; None when it does not touch the grid.

    The last coverages computed are kept (read-only): one process often summarises the same
    polygons on the same grid several times (a run's summaries, then its check against published
    figures), and the boundary intersections are the costly part."""
    if geometry is None or geometry.is_empty:
        return None
    return _coverage(shapely.to_wkb(geometry), grid)


@lru_cache(maxsize=128)
def _coverage(wkb: bytes, grid: GridSpec) -> Coverage | None:
    geometry = shapely.from_wkb(wkb)
    window = _window(geometry, grid)
    if window is None:
        return None
    shape = (int(window.height), int(window.width))
    transform = window_transform(window, grid.transform)
    if grid.is_rotated or shapely.get_type_id(geometry) not in (_POLYGON, _MULTIPOLYGON):
        inside = _intersected(geometry, shape, transform)
    else:
        inside = _green(geometry, shape, transform)
    if not inside.any():
        return None
    inside.setflags(write=False)
    return Coverage(window=window, fractions=inside)


_POLYGON, _MULTIPOLYGON = 3, 6  # shapely.GeometryType


def _cell_units(values: np.ndarray, scale: float, offset: float) -> np.ndarray:
    """World coordinates → cell units (``(values − offset) / scale``); a coordinate on a cell
    line (``scale × k + offset`` equal to it, as the cells' corners are computed) gets exactly
    the whole number k."""
    units = (values - offset) / scale
    whole = np.rint(units)
    on_line = scale * whole + offset == values
    units[on_line] = whole[on_line]
    return units


def _green(geometry: Any, shape: tuple[int, int], transform: Affine) -> np.ndarray:
    """Exact fractions of the cells of a window of an axis-aligned grid inside a (multi)polygon,
    from its edges (:mod:`ecociv.grid.coverage_loops`)."""
    from ecociv.grid.coverage_loops import cell_fractions

    _, coords, offsets = shapely.to_ragged_array([geometry])
    rings = np.asarray(offsets[0], dtype=np.int64)
    exterior = np.zeros(rings.size - 1, dtype=bool)
    exterior[np.asarray(offsets[1][:-1])] = True  # a polygon's first ring is its exterior
    u = _cell_units(np.ascontiguousarray(coords[:, 0]), transform.a, transform.c)
    v = _cell_units(np.ascontiguousarray(coords[:, 1]), transform.e, transform.f)
    fractions = np.zeros(shape)
    cell_fractions(u, v, rings, exterior, fractions, np.zeros(shape), np.zeros(shape, dtype=bool))
    return fractions


def _intersected(geometry: Any, shape: tuple[int, int], transform: Affine) -> np.ndarray:
    """Fractions of the cells of a window inside ``geometry``: by the centre rule, and for cells
    on its boundary from the area of cell ∩ geometry (GEOS). For rotated grids and geometries
    other than (multi)polygons."""
    inside = rasterize([(geometry, 1)], out_shape=shape, transform=transform, fill=0,
                       dtype="uint8").astype(np.float64)
    boundary = rasterize([(geometry.boundary, 1)], out_shape=shape, transform=transform, fill=0,
                         all_touched=True, dtype="uint8").astype(bool)
    rows, cols = np.nonzero(boundary)
    if rows.size:
        x0, y0 = _apply(transform, cols, rows)
        x1, y1 = _apply(transform, cols + 1, rows + 1)
        cells = shapely.box(np.minimum(x0, x1), np.minimum(y0, y1), np.maximum(x0, x1),
                            np.maximum(y0, y1))
        shapely.prepare(geometry)
        covered = shapely.area(shapely.intersection(cells, geometry)) / shapely.area(cells)
        inside[rows, cols] = np.clip(covered, 0.0, 1.0)
    return inside


def zonal_statistics(
    rasters: Mapping[str, Any],
    zones: Sequence[Any],
    grid: GridSpec,
    *,
    names: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """Area-weighted sums and means of rasters over polygons, with exact cell fractions.

    Parameters
    ----------
    rasters : mapping of name to array-like (rows, cols)
        numpy or dask arrays (or DataArrays) on ``grid``; NaN = nodata. Only each polygon's
        window is read.
    zones : sequence of shapely geometries
        Polygons in the grid's CRS.
    grid : GridSpec
        The grid the rasters are on.
    names : sequence, optional
        A name per zone (default 1..n).

    Returns
    -------
    DataFrame
        ``zone``, ``area_m2`` (true area of the polygon part on the grid, from cell areas ×
        fractions), and per raster ``<name>_mean`` (area-weighted over valid cells, in the
        raster's units), ``<name>_sum_area`` (Σ value × covered area, in raster units × m²) and
        ``<name>_valid_area_m2``.
    """
    names = list(names) if names is not None else list(range(1, len(zones) + 1))
    if len(names) != len(zones):
        raise ValueError(f"{len(names)} names for {len(zones)} zones")
    arrays = {raster: data.data if isinstance(data, xr.DataArray) else data
              for raster, data in rasters.items()}
    lazy = [raster for raster, array in arrays.items() if hasattr(array, "__dask_graph__")]
    covers = [coverage(geometry, grid) for geometry in zones]
    records = []
    for batch in _batches(covers, len(lazy)):
        read = _read_windows([arrays[raster] for raster in lazy], [covers[k] for k in batch])
        for k in batch:
            record: dict[str, Any] = {"zone": names[k]}
            cover = covers[k]
            if cover is None:
                record["area_m2"] = 0.0
                for raster in rasters:
                    record.update({f"{raster}_mean": np.nan, f"{raster}_sum_area": 0.0,
                                   f"{raster}_valid_area_m2": 0.0})
                records.append(record)
                continue
            rows, cols = cover.slices
            weights = cover.fractions * grid.cell_area_m2(rows.start, rows.stop, cols.start, cols.stop)
            record["area_m2"] = float(weights.sum())
            windows = dict(zip(lazy, read[k - batch.start], strict=True))
            for raster, array in arrays.items():
                window = windows[raster] if raster in windows else array[rows, cols]
                values = np.asarray(window, dtype=np.float64)
                valid = ~np.isnan(values) & (weights > 0)
                valid_area = float(weights[valid].sum())
                total = float((values[valid] * weights[valid]).sum())
                record[f"{raster}_sum_area"] = total
                record[f"{raster}_valid_area_m2"] = valid_area
                record[f"{raster}_mean"] = total / valid_area if valid_area > 0 else np.nan
            records.append(record)
    return pd.DataFrame.from_records(records)


#: at most this many cells of dask rasters' windows read together (≈ 64 MiB of float64)
WINDOW_CELLS = 2**23


def _batches(covers: Sequence[Coverage | None], lazy: int) -> list[range]:
    """Runs of consecutive zones whose windows of the ``lazy`` dask rasters hold at most
    :data:`WINDOW_CELLS` cells together (at least one zone per run)."""
    batches, start, cells = [], 0, 0
    for k, cover in enumerate(covers):
        size = cover.fractions.size * lazy if cover is not None else 0
        if k > start and cells + size > WINDOW_CELLS:
            batches.append(range(start, k))
            start, cells = k, 0
        cells += size
    if start < len(covers):
        batches.append(range(start, len(covers)))
    return batches


def _read_windows(arrays: Sequence[Any], covers: Sequence[Coverage | None]) -> list[list[Any]]:
    """Per zone, the window of each dask array (none for a zone off the grid), read in ONE
    ``dask.compute``: chunks shared by several windows (neighbouring zones' bounding boxes
    overlap) are read once, and the scheduler is started once, not once per zone and raster."""
    if not arrays:
        return [[] for _ in covers]
    import dask

    wanted = [[array[cover.slices] for array in arrays] if cover is not None else [] for cover in covers]
    (read,) = dask.compute(wanted)
    return [list(windows) for windows in read]
