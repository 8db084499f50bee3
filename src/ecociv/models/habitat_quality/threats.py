"""Habitat quality: the reach of each threat over the grid (the overlap engine). A chunked raster
goes through ``map_overlap`` with an overlap of the threat's reach in cells, so each block sees
every threat cell that can affect it and the result equals the whole-grid computation."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import dask.array as da
import numpy as np
import xarray as xr

from ecociv.errors import InputError
from ecociv.grid.spec import GridSpec
from ecociv.models.habitat_quality import kernels
from ecociv.models.habitat_quality.tables import Threat

#: Cells per block of a threat's reach computation, at most (the overlap widens blocks).
MAX_BLOCK_CELLS = 1 << 25


def cell_size_m(grid: GridSpec) -> tuple[float, float]:
    """Cell (height, width) in metres; a geographic grid is refused, as InVEST refuses it."""
    if grid.crs.is_geographic:
        raise InputError(
            f"the run grid is in geographic coordinates ({grid.crs_label()}); habitat quality "
            "measures threat distances in metres and needs a projected grid (InVEST: 'all "
            "spatial inputs must have ... a projected coordinate system'); warp the rasters, e.g. "
            "to China Albers", source="input 'land_use'")
    unit = grid.crs.axis_info[0].unit_conversion_factor if grid.crs.axis_info else 1.0
    width, height = grid.resolution
    return height * unit, width * unit


def threat_bands(threats: xr.DataArray) -> list[xr.DataArray]:
    """One (y, x) raster per threat, in table order (the band count was checked against the
    table when the input was loaded: ``bands_from``)."""
    return [threats.isel(band=i, drop=True) for i in range(threats.sizes["band"])]


def as_dask(data: Any, chunks: tuple[int, int]) -> da.Array:
    return data if isinstance(data, da.Array) else da.from_array(np.asarray(data), chunks=chunks)


def _block_chunks(chunks: tuple[tuple[int, ...], ...], shape: tuple[int, ...],
                  depth: tuple[int, int]) -> tuple[int, int]:
    """Blocks at least four times the overlap on each side (at most ``MAX_BLOCK_CELLS``)."""
    rows, cols = max(chunks[0]), max(chunks[1])
    rows = min(shape[0], max(rows, 4 * depth[0]))
    cols = min(shape[1], max(cols, 4 * depth[1]))
    if rows * cols > MAX_BLOCK_CELLS:
        rows = min(shape[0], max(max(chunks[0]), depth[0], MAX_BLOCK_CELLS // cols))
    return rows, cols


def threat_impact(threat: da.Array, item: Threat, cell_size: tuple[float, float],
                  aggregation: str) -> da.Array:
    """Decayed impact of one threat on every cell (lazy), chunked like ``threat``.

    The overlap between blocks is the threat's reach in cells, so each block sees every threat
    cell that can affect it: the result equals the whole-grid computation.
    """
    func: Callable[..., np.ndarray] = (kernels.nearest_threat_impact if aggregation == "nearest"
                                       else kernels.summed_threat_impact)
    block_func = partial(func, max_distance=item.max_distance, cell_size=cell_size, decay=item.decay)
    reach = (int(item.max_distance // cell_size[0]), int(item.max_distance // cell_size[1]))
    if aggregation == "nearest":  # only presence matters: move 1 byte per cell, not 4 or 8
        threat = da.map_blocks(kernels.threat_present, threat, dtype=np.bool_,
                               meta=np.array((), dtype=np.bool_))
    data = threat.rechunk(_block_chunks(threat.chunks, threat.shape, reach))
    depth = tuple(0 if len(axis) == 1 else min(d, min(axis))
                  for d, axis in zip(reach, data.chunks, strict=True))
    if depth != reach and any(len(axis) > 1 for axis in data.chunks):
        # a block thinner than the reach (the last one): make blocks thick enough
        data = data.rechunk(tuple(max(r, max(axis)) for r, axis in zip(reach, data.chunks,
                                                                          strict=True)))
        depth = tuple(0 if len(axis) == 1 else d for d, axis in zip(reach, data.chunks, strict=True))
    out = data.map_overlap(block_func, depth=depth, boundary="none", dtype=np.float64,
                           meta=np.array((), dtype=np.float64))
    return out.rechunk(threat.chunks)
