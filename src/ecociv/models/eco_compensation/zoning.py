"""Grid checks, zone numbers and cell areas as numpy arrays (shared with ``asset_accounts``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from ecociv.errors import InputError
from ecociv.grid.io import grid_of_array
from ecociv.grid.ops import cell_area, rasterize_zones
from ecociv.grid.spec import GridSpec
from ecociv.spec_blocks import zone_names


def check_same_grid(reference: xr.DataArray, other: xr.DataArray, label: str, ref_label: str) -> None:
    """Raise when ``other`` is not on the grid of ``reference`` (shape, transform, CRS)."""
    a, b = grid_of_array(reference), grid_of_array(other)
    if not a.same_as(b):
        raise InputError(f"not on the grid of {ref_label} ({'; '.join(a.differences(b))}); "
                         "align the rasters first", source=label)


def zone_numbers(zones: Any, zone_field: str | None, grid: GridSpec) -> tuple[np.ndarray, list[str]]:
    """Zone number of every cell (1..n, 0 outside every polygon) and the zone names.

    Without zones the whole grid is one zone named ``"all"``.
    """
    if zones is None:
        return np.ones(grid.shape, dtype=np.int64), ["all"]
    if len(zones) == 0:
        raise InputError("the zones layer has no polygons", source="zones")
    crs = getattr(zones, "crs", None)
    if crs is not None and not grid.crs.equals(crs, ignore_axis_order=True):
        raise InputError(f"the zones are in {crs.to_string()}, the map in {grid.crs_label()}; "
                         "reproject the zones to the map's CRS", source="zones")
    chunks = grid.default_chunks()
    numbers = rasterize_zones(list(zones.geometry), grid, (int(chunks[0]), int(chunks[1])))
    values = np.asarray(numbers.compute(), dtype=np.int64)
    if not values.any():
        raise InputError(f"no polygon covers a cell centre of the map (map bounds "
                         f"{tuple(round(b) for b in grid.bounds)})", source="zones")
    return values, zone_names(zones, zone_field)


def cell_area_ha(grid: GridSpec, like: xr.DataArray) -> np.ndarray:
    """True area of every cell in ha (numpy, the grid's shape)."""
    area = cell_area(grid, like)
    values = np.asarray(area.values, dtype=np.float64)
    if values.ndim == 1:
        values = np.repeat(values[:, None], grid.shape[1], axis=1)
    return values * 1e-4


def codes_of(raster: xr.DataArray) -> np.ndarray:
    """The cell values of a categorical raster as float64 (NaN = nodata)."""
    return np.asarray(raster.values, dtype=np.float64)
