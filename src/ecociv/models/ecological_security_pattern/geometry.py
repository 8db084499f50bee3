"""Vectors in and out of the security pattern: source polygons to cells and back, corridor
paths to lines, corridor length per zone (in memory, no files)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ecociv.errors import InputError
from ecociv.grid.spec import GridSpec
from ecociv.models.ecological_security_pattern.kernels_paths import Link
from ecociv.models.ecological_security_pattern.kernels_surface import M2_PER_KM2
from ecociv.spec_blocks import zone_names

_LABEL = "vector 'sources'"


def rasterize_sources(frame: Any, grid: GridSpec, passable: np.ndarray) -> np.ndarray:
    """Source id (feature number, 1-based) of each cell, 0 elsewhere.

    A cell belongs to the polygon containing its centre (later features win where polygons
    overlap); a polygon too small to contain a cell centre takes the cells it touches.
    Impassable cells are no source cells.

    Raises
    ------
    InputError
        A feature outside the grid, or one left with no passable cell.
    """
    from shapely.geometry import box

    from ecociv.grid.burn import rasterize

    extent = box(*grid.bounds)
    geometries = list(frame.geometry)
    for index, geometry in enumerate(geometries, start=1):
        if geometry is None or geometry.is_empty or not geometry.intersects(extent):
            bounds = "empty" if geometry is None or geometry.is_empty else \
                f"bounds {tuple(round(v, 1) for v in geometry.bounds)}"
            raise InputError(f"feature {index} lies outside the grid ({bounds}; grid bounds "
                             f"{tuple(round(v, 1) for v in grid.bounds)})", source=_LABEL,
                             where=f"feature {index}")
    labels = rasterize([(g, i) for i, g in enumerate(geometries, start=1)], out_shape=grid.shape,
                       transform=grid.transform, fill=0, dtype="int32")
    for index, geometry in enumerate(geometries, start=1):
        if not (labels == index).any():
            touched = rasterize([(geometry, index)], out_shape=grid.shape, transform=grid.transform,
                                fill=0, dtype="int32", all_touched=True)
            labels = np.where((labels == 0) & (touched == index), index, labels)
    labels = np.where(passable, labels, 0).astype(np.int32)
    present = np.bincount(labels.ravel(), minlength=len(geometries) + 1)
    for index in range(1, len(geometries) + 1):
        if present[index] == 0:
            raise InputError("feature covers no passable cell (its cells are nodata in the "
                             "resistance surface, or a later feature covers them)", source=_LABEL,
                             where=f"feature {index}")
    return labels


def source_polygons(sources: np.ndarray, grid: GridSpec) -> Any:
    """Polygons of the source cells with ``source_id``, ``area_km2`` (true cell areas) and
    ``cells``."""
    import geopandas as gpd
    from rasterio.features import shapes
    from shapely.geometry import shape
    from shapely.ops import unary_union

    from ecociv.grid.patches import label_areas

    pieces: dict[int, list[Any]] = {}
    # GDAL polygonizes uint8, uint16 and int32 alike: no int32 copy of one- or two-byte ids
    values = sources if sources.dtype in (np.uint8, np.uint16, np.int32) else sources.astype(np.int32)
    for geometry, value in shapes(values, mask=sources > 0, transform=grid.transform,
                                  connectivity=8):
        pieces.setdefault(int(value), []).append(shape(geometry))
    ids = sorted(pieces)
    # true areas summed in grid order as np.bincount(ids, weights=areas) would, without a
    # float64 copy of the cell areas (grid.patches.label_areas); cells counted band by band
    # (np.bincount of the whole grid would copy the ids to int64)
    labels = sources if sources.dtype.kind in "iu" and sources.dtype.itemsize <= 4 else sources.astype(np.int64)
    sums = label_areas(labels, max(ids), grid.cell_area_m2())
    cells = np.zeros(max(ids) + 1, dtype=np.int64)
    step = max(1, (1 << 22) // max(1, sources.shape[1]))
    for r0 in range(0, sources.shape[0], step):
        cells += np.bincount(sources[r0:r0 + step].ravel(), minlength=max(ids) + 1)
    return gpd.GeoDataFrame({
        "source_id": np.array(ids, dtype=np.int64),
        "area_km2": sums[ids] / M2_PER_KM2,
        "cells": cells[ids].astype(np.int64),
    }, geometry=[unary_union(pieces[i]) for i in ids], crs=grid.crs)


def corridor_lines(links: Sequence[Link], effective_resistance: np.ndarray, grid: GridSpec) -> Any:
    """Corridors as lines through the cell centres of their least-cost paths."""
    import geopandas as gpd
    from shapely.geometry import LineString

    xs, ys = grid.x_coords(), grid.y_coords()
    geometries = []
    for link in links:
        rows, cols = np.divmod(link.cells, grid.cols)
        geometries.append(LineString(np.column_stack([xs[cols], ys[rows]])))
    return gpd.GeoDataFrame({
        "from_source": np.array([link.source_a for link in links], dtype=np.int64),
        "to_source": np.array([link.source_b for link in links], dtype=np.int64),
        "cost": np.array([link.cost for link in links], dtype=np.float64),
        "length_m": np.array([link.length_m for link in links], dtype=np.float64),
        "effective_resistance": np.asarray(effective_resistance, dtype=np.float64),
    }, geometry=geometries, crs=grid.crs)


def corridor_length_by_zone(lines: Any, zones: Any, zone_field: str | None) -> pd.DataFrame:
    """Length of the corridor lines inside each zone polygon, km (planar lengths in the grid
    CRS)."""
    names = zone_names(zones, zone_field)
    lengths = [float(sum(line.intersection(zone).length for line in lines.geometry)) / 1000.0
               if zone is not None else 0.0 for zone in zones.geometry]
    return pd.DataFrame({"zone": names, "corridor_length_km": lengths})
