"""Per-zone totals of per-area rasters times true cell area, in one compiled pass per chunk.

What :func:`ecociv.grid.ops.zonal_table` computes from rasters already multiplied by cell area
(``value * area``, and ``area`` where a value is defined), without making those products as
whole-chunk arrays first: each chunk's values, its cell areas (:meth:`GridSpec.cell_area_m2`,
the same numbers as :func:`ecociv.grid.ops.cell_area`) and its zone numbers go through one
loop per column of the table, which adds ``value * area`` to the cell's zone in cell order (as
``numpy.bincount`` does), and the chunks' partial tables are added as in ``zonal_sums``. Used by
``soil_conservation`` and ``sand_fixation``, whose totals are sums of a few such products.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import dask.array as da
import numpy as np
import xarray as xr
from numpy.typing import NDArray

from ecociv.compiled import jit
from ecociv.grid.ops import LazyTable, rasterize_zones, zone_sums_table
from ecociv.grid.spec import GridSpec
from ecociv.spec_blocks import zone_names

#: a column of the table: its name, the raster it is taken from (index into the rasters), and
#: whether it sums ``value * area`` (False) or ``area`` where the value is defined (True)
Column = tuple[str, int, bool]


def _loops() -> tuple[Any, Any]:
    """The compiled loops (numba imported on first use, as the models' other loops)."""
    global _LOOPS
    if _LOOPS is None:
        _jit = jit(nogil=True, error_model="numpy")

        @_jit
        def add_column(zones: NDArray[np.int32], has_zones: bool, area: NDArray[np.float64],
                       values: NDArray[np.floating], area_only: bool, sums: NDArray[np.float64],
                       valid: NDArray[np.bool_]) -> None:
            """sums[zone] += value · area (area_only: += area) over the cells whose value is
            defined, in cell order; valid &= value defined. Without zones every cell is in
            zone 1, summed in a local variable (the same additions in the same order)."""
            rows, cols = values.shape
            wide = area.shape[1] > 1
            total = sums[1]
            for r in range(rows):
                for c in range(cols):
                    v = np.float64(values[r, c])
                    if np.isnan(v):
                        valid[r, c] = False
                        continue
                    a = area[r, c] if wide else area[r, 0]
                    w = a if area_only else v * a
                    if has_zones:
                        sums[zones[r, c]] += w
                    else:
                        total += w
            if not has_zones:
                sums[1] = total

        @_jit
        def add_counts(zones: NDArray[np.int32], has_zones: bool, valid: NDArray[np.bool_],
                       cells: NDArray[np.float64], valid_cells: NDArray[np.float64]) -> None:
            rows, cols = valid.shape
            if not has_zones:
                count = 0
                for r in range(rows):
                    for c in range(cols):
                        count += valid[r, c]
                cells[1] += rows * cols
                valid_cells[1] += count
                return
            for r in range(rows):
                for c in range(cols):
                    z = zones[r, c]
                    cells[z] += 1.0
                    if valid[r, c]:
                        valid_cells[z] += 1.0

        _LOOPS = (add_column, add_counts)
    return _LOOPS


_LOOPS: tuple[Any, Any] | None = None


def area_totals(rasters: Sequence[xr.DataArray], columns: Sequence[Column], zones: Any,
                grid: GridSpec, area_unit: Callable[[np.ndarray], np.ndarray], *,
                zone_field: str | None = None) -> LazyTable:
    """Per-polygon sums of ``rasters`` times true cell area, as a :class:`LazyTable` with the
    columns of :func:`ecociv.grid.ops.zonal_table` (``zone``, ``cells``, ``valid_cells``, then
    one per column).

    Parameters
    ----------
    rasters : sequence of DataArray
        2-D rasters on ``grid`` (dask-backed or not), values per area unit.
    columns : sequence of (name, raster index, area only)
        What each column sums: ``value * area`` over the raster's defined cells, or (area only)
        the area of those cells. ``valid_cells`` counts the cells where the raster of every
        column is defined.
    zones : GeoDataFrame or None
        Polygons in the grid's CRS; None sums the whole grid as one zone named ``"all"``.
    grid : GridSpec
        The rasters' grid.
    area_unit : callable
        Turns cell areas in m² into the unit of the sums (e.g. ``lambda a: a / 1e4`` for ha),
        applied to each chunk's areas as the model would apply it to the area raster.
    zone_field : str, optional
        As in :func:`ecociv.grid.ops.zonal_table`.
    """
    arrays = [r.data for r in rasters]
    first = next((a for a in arrays if isinstance(a, da.Array)), None)
    chunks = (first.chunks if first is not None
              else da.core.normalize_chunks(grid.default_chunks(), grid.shape))
    arrays = [(a if isinstance(a, da.Array) else da.from_array(np.asarray(a), chunks=chunks))
              .rechunk(chunks) for a in arrays]
    if zones is None:
        names: list[str] = ["all"]
        zone_arrays: list[da.Array] = []
    else:
        zone_arrays = [rasterize_zones(list(zones.geometry), grid,
                                       (int(chunks[0][0]), int(chunks[1][0]))).rechunk(chunks)]
        names = zone_names(zones, zone_field)
    length = len(names) + 1
    plan = tuple((index, bool(area_only)) for _, index, area_only in columns)

    def _partial(*blocks: np.ndarray, block_info: dict[Any, Any] | None = None) -> np.ndarray:
        assert block_info is not None
        (row0, row1), (col0, col1) = block_info[0]["array-location"]
        add_column, add_counts = _loops()
        zone_block = (np.ascontiguousarray(blocks[0], dtype=np.int32) if zone_arrays
                      else np.zeros((1, 1), dtype=np.int32))
        values = blocks[1:] if zone_arrays else blocks
        area = np.ascontiguousarray(area_unit(grid.cell_area_m2(row0, row1, col0, col1)),
                                    dtype=np.float64)
        table = np.zeros((len(plan) + 2, length))
        valid = np.ones(np.shape(values[0]), dtype=bool)
        for row, (index, area_only) in enumerate(plan):
            add_column(zone_block, bool(zone_arrays), area, np.asarray(values[index]),
                       area_only, table[row], valid)
        add_counts(zone_block, bool(zone_arrays), valid, table[-2], table[-1])
        return table[None, None]

    parts = da.map_blocks(_partial, *zone_arrays, *arrays, new_axis=[2, 3],
                          chunks=(1, 1, len(plan) + 2, length), dtype=np.float64)
    sums = parts.sum(axis=(0, 1))
    return zone_sums_table(sums, names, [name for name, _, _ in columns])
