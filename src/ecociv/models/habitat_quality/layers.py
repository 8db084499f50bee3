"""Habitat quality: layers burnt from polygons onto the grid, block by block (accessibility from
InVEST's access polygons, zone numbers for the summaries)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import dask.array as da
import numpy as np
import pandas as pd

from ecociv.errors import InputError
from ecociv.grid.ops import rasterize_zones
from ecociv.grid.spec import GridSpec
from ecociv.models.habitat_quality.threats import as_dask
from ecociv.spec_blocks import zone_names


def access_layer(inputs: Mapping[str, Any], grid: GridSpec,
                 chunks: tuple[tuple[int, ...], ...]) -> da.Array | float:
    """Accessibility β (0–1): the raster (nodata = 1), the rasterized polygons, or 1."""
    if "access" in inputs and "access_polygons" in inputs:
        raise InputError("give either 'access' (a raster) or 'access_polygons' (InVEST's access "
                         "vector), not both")
    if "access" in inputs:
        data = as_dask(inputs["access"].data, (chunks[0][0], chunks[1][0])).rechunk(chunks)
        return da.where(da.isnan(data), 1.0, data)
    if "access_polygons" not in inputs:
        return 1.0
    polygons = inputs["access_polygons"]
    values = pd.to_numeric(polygons["access"], errors="coerce")
    bad = np.flatnonzero(~((values >= 0) & (values <= 1)).to_numpy())
    if len(bad):
        raise InputError(f"access {polygons['access'].iloc[int(bad[0])]!r} is not a number from 0 "
                         "to 1", source="input 'access_polygons'",
                         where=f"feature {int(bad[0]) + 1}, field 'access'")
    shapes = [(geom, float(value)) for geom, value in zip(polygons.geometry, values, strict=True)
              if geom is not None and not geom.is_empty]
    return da.map_blocks(partial(_burn_access, shapes, grid), chunks=chunks, dtype=np.float64,
                         meta=np.array((), dtype=np.float64))


def _burn_access(shapes: list[tuple[Any, float]], grid: GridSpec,
                 block_info: dict[Any, Any] | None = None) -> np.ndarray:
    """Access values of the polygons burnt on one block (cell centres; later polygons win;
    1 outside), as InVEST's ``pygeoprocessing.rasterize(..., ATTRIBUTE=ACCESS)`` on a raster
    filled with 1."""
    from rasterio.windows import Window
    from rasterio.windows import transform as window_transform

    from ecociv.grid.burn import rasterize  # thread-safe: runs in dask blocks

    assert block_info is not None
    (row0, row1), (col0, col1) = block_info[None]["array-location"]
    shape = (row1 - row0, col1 - col0)
    if not shapes:
        return np.ones(shape)
    window = Window(col0, row0, col1 - col0, row1 - row0)
    return rasterize(shapes, out_shape=shape, transform=window_transform(window, grid.transform),
                     fill=1.0, dtype="float64")


def zone_raster(inputs: Mapping[str, Any], grid: GridSpec,
                 chunks: tuple[tuple[int, ...], ...]) -> tuple[list[str], da.Array]:
    """Zone names and a raster of zone numbers 1..n (0 = outside every zone)."""
    zones = inputs.get("zones")
    if zones is None:
        return ["all"], da.ones(grid.shape, chunks=chunks, dtype=np.int32)
    names = zone_names(zones, inputs.get("zone_field"))
    raster = rasterize_zones(list(zones.geometry), grid, (chunks[0][0], chunks[1][0]))
    return names, raster.rechunk(chunks)
