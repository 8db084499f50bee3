"""One dask task per block of cells for ``water_yield``: AET/P, AET, water yield and the block's
per-watershed sums from one pass of the compiled loop (:mod:`.loops`).

The three rasters and the sums are taken from the task's result, so every block of the inputs is
read once and every cell evaluated once, with no float64 temporaries of whole blocks beyond the
three outputs (the step-by-step xarray form made ~20 passes over each block and summed 9 rasters
per watershed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import dask.array as da
import numpy as np
import pandas as pd
import xarray as xr

from ecociv.grid.spec import GridSpec

#: Dense lookup tables are used for land-use codes spanning at most this many values; wider
#: code ranges are searched (binary search in the table's sorted codes).
DENSE_CODES = 1 << 16

#: rows of the per-zone sums :func:`loops.budyko_block` fills, in its order (each quantity over
#: its own valid cells; ``n_*`` counts of valid cells; ``cells`` all cells of the zone,
#: ``valid_cells`` the cells where every quantity has a value)
SUM_ROWS = ("wyield", "wyield_m3", "aet", "precip", "pet", "n_wyield", "n_precip", "n_pet",
            "area_m2", "cells", "valid_cells")


@dataclass(frozen=True)
class Table:
    """The biophysical table as arrays the loop indexes (see :func:`loops.budyko_block`)."""

    keys: np.ndarray
    dense: bool
    first: float
    kc: np.ndarray
    veg: np.ndarray
    root: np.ndarray

    @classmethod
    def from_frame(cls, table: pd.DataFrame) -> Table:
        codes = table["lucode"].astype(np.int64).to_numpy()
        order = np.argsort(codes, kind="stable")
        codes = codes[order]
        kc = table["kc"].to_numpy(dtype=np.float64)[order]
        veg = table["lulc_veg"].astype(float).to_numpy(dtype=np.float64)[order]
        root = table["root_depth"].to_numpy(dtype=np.float64)[order]
        if codes.size and codes[-1] - codes[0] < DENSE_CODES:
            first = int(codes[0])
            size = int(codes[-1]) - first + 1
            rows = codes - first
            dense_kc, dense_veg, dense_root = (np.full(size, np.nan) for _ in range(3))
            # the last row of a repeated code wins, as dict(zip(codes, values)) did
            dense_kc[rows], dense_veg[rows], dense_root[rows] = kc, veg, root
            return cls(np.arange(first, first + size, dtype=np.float64), True, float(first),
                       dense_kc, dense_veg, dense_root)
        keys, last = np.unique(codes[::-1], return_index=True)
        pick = codes.size - 1 - last
        return cls(keys.astype(np.float64), False, 0.0, kc[pick], veg[pick], root[pick])


#: placeholders for the loop's unused area arguments
_NO_FACTORS = np.empty((0, 0), dtype=np.float64)
_NO_AREA = np.empty((0, 1), dtype=np.float64)


def _as_dask(values: xr.DataArray, chunks: tuple[tuple[int, ...], ...]) -> da.Array:
    data = values.data
    if isinstance(data, da.Array):
        return data.rechunk(chunks) if data.chunks != chunks else data
    return da.from_array(np.asarray(data), chunks=chunks)


def _pick(block: tuple[np.ndarray, ...], index: int) -> np.ndarray:
    return block[index]


def _sums(block: tuple[np.ndarray, ...]) -> np.ndarray:
    return block[3][None, None]


def budyko(
    land_use: xr.DataArray,
    precipitation: xr.DataArray,
    et0: xr.DataArray,
    root_restricting_depth: xr.DataArray,
    plant_available_water: xr.DataArray,
    table: pd.DataFrame,
    z: float,
    grid: GridSpec,
    *,
    z_map: xr.DataArray | None = None,
    zones: da.Array | None = None,
    n_zones: int = 1,
) -> tuple[xr.DataArray, xr.DataArray, xr.DataArray, da.Array]:
    """AET/P, AET and water yield (lazy float64 rasters like ``land_use``, NaN = no value) and
    the lazy per-zone sums (shape ``(len(SUM_ROWS), n_zones + 1)``, column 0 outside
    every zone).

    Parameters
    ----------
    land_use, precipitation, et0, root_restricting_depth, plant_available_water : DataArray
        The model's rasters on ``grid`` (NaN = nodata); mm/yr, mm/yr, mm, fraction.
    table : DataFrame
        Biophysical table (``lucode``, ``kc``, ``lulc_veg``, ``root_depth`` in mm).
    z : float
        Seasonality factor Z where ``z_map`` has no value.
    grid : GridSpec
        The run's grid (true cell areas for the volumes).
    z_map : DataArray, optional
        Z per cell.
    zones : dask array of int, optional
        Zone number of every cell (1..n_zones, 0 outside); None: every cell in zone 1.
    """
    if isinstance(land_use.data, da.Array):
        chunks = land_use.data.chunks
    else:
        chunks = da.core.normalize_chunks(grid.default_chunks(), land_use.shape)
    lookup = Table.from_frame(table)
    arrays = [_as_dask(a, chunks) for a in (land_use, precipitation, et0, root_restricting_depth,
                                            plant_available_water)]
    if zones is None:
        zones = da.ones(land_use.shape, chunks=chunks, dtype=np.int32)
    elif zones.chunks != chunks:
        zones = zones.rechunk(chunks)
    arrays.append(zones)
    if z_map is not None:
        arrays.append(_as_dask(z_map, chunks))
    n_sums = len(SUM_ROWS)

    def _block(codes: np.ndarray, precip: np.ndarray, et0_: np.ndarray, depth: np.ndarray,
               pawc: np.ndarray, zone: np.ndarray, *z_cells: np.ndarray,
               block_info: dict[Any, Any] | None = None) -> tuple[np.ndarray, ...]:
        from ecociv.models.water_yield import loops

        assert block_info is not None
        (row0, row1), (col0, col1) = block_info[0]["array-location"]
        factors = grid.cell_area_factors(row0, row1, col0, col1)
        if factors is None:
            scale, left, right = 1.0, _NO_FACTORS, _NO_FACTORS
            area = np.asarray(grid.cell_area_m2(row0, row1, col0, col1), dtype=np.float64)
            if area.ndim == 1:
                area = area[:, None]
        else:
            scale, left, right = factors
            area = _NO_AREA
        shape = codes.shape
        fraction, aet, wyield = (np.empty(shape, dtype=np.float64) for _ in range(3))
        sums = np.zeros((n_sums, n_zones + 1), dtype=np.float64)
        use_z_map = bool(z_cells)
        z_cells_ = z_cells[0] if z_cells else precip
        loops.budyko_block(codes, precip, et0_, depth, pawc, z_cells_, use_z_map, float(z),
                           lookup.keys, lookup.dense, lookup.first, lookup.kc, lookup.veg,
                           lookup.root, zone, area, float(scale), np.ascontiguousarray(left),
                           np.ascontiguousarray(right), fraction, aet, wyield, sums)
        return fraction, aet, wyield, sums

    fused = da.map_blocks(_block, *arrays, dtype=object, meta=np.empty((0, 0), dtype=object))
    rasters = []
    for index in range(3):
        lazy = da.map_blocks(_pick, fused, index, dtype=np.float64,
                             meta=np.empty((0, 0), dtype=np.float64))
        rasters.append(xr.DataArray(lazy, dims=land_use.dims, coords=land_use.coords))
    parts = da.map_blocks(_sums, fused, new_axis=[2, 3], chunks=(1, 1, n_sums, n_zones + 1),
                          dtype=np.float64, meta=np.empty((0, 0, 0, 0), dtype=np.float64))
    return rasters[0], rasters[1], rasters[2], parts.sum(axis=(0, 1))

