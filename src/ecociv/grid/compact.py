"""Whole-grid class rasters held compactly: one byte per cell in memory, unpacked to the float64
(NaN = nodata) arrays the rest of the engine expects only one chunk at a time.

Models that need whole grids for a global step (sorting every cell, labelling patches) but
return class codes can keep their results as ``uint8`` codes (1 byte per cell instead of the 8
of a float64 array) and hand them to the writer and to :func:`ecociv.grid.zonal.zonal_statistics`
through the lazy views below; the values seen downstream are exactly those of the float64
arrays they replace.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import dask.array as da
import numpy as np
import xarray as xr

from ecociv.grid.spec import GridSpec

#: The code standing for NaN (nodata) in a packed class raster.
PACKED_NODATA = 255


def pack_codes(values: np.ndarray) -> np.ndarray:
    """Class values (whole numbers 0..254 as floats, NaN = nodata) as ``uint8`` codes, NaN ->
    :data:`PACKED_NODATA`.

    Raises
    ------
    ValueError
        A value that is not a whole number in 0..254 (it could not be unpacked exactly).
    """
    values = np.asarray(values)
    if values.dtype == bool:
        return values.astype(np.uint8)
    finite = np.isfinite(values)
    bad = finite & ((values < 0) | (values > PACKED_NODATA - 1) | (values != np.round(values)))
    if bad.any():
        raise ValueError(f"value {values[bad].flat[0]!r} is not a class code in 0..254")
    out = np.full(values.shape, PACKED_NODATA, dtype=np.uint8)
    out[finite] = values[finite].astype(np.uint8)
    return out


def unpack_codes(codes: np.ndarray) -> np.ndarray:
    """``uint8`` codes back to float64 class values, :data:`PACKED_NODATA` -> NaN."""
    out = codes.astype(np.float64)
    out[codes == PACKED_NODATA] = np.nan
    return out


class PackedLayer:
    """A read-only float64 view of packed codes for window reads (``layer[rows, cols]``).

    ``equal_to=None`` gives the class values (NaN where nodata); ``equal_to=k`` gives the
    indicator 1.0 where the class is ``k``, 0.0 elsewhere, NaN where nodata — the
    ``np.where(np.isnan(c), np.nan, c == k)`` layers of per-class zonal sums, without a
    float64 copy of the grid.
    """

    def __init__(self, codes: np.ndarray, equal_to: int | None = None) -> None:
        self.codes = codes
        self.equal_to = equal_to
        self.shape = codes.shape
        self.ndim = codes.ndim
        self.dtype = np.dtype(np.float64)

    def __getitem__(self, key: Any) -> np.ndarray:
        window = np.asarray(self.codes[key])
        if self.equal_to is None:
            return unpack_codes(window)
        out = (window == self.equal_to).astype(np.float64)
        out[window == PACKED_NODATA] = np.nan
        return out


def lazy_raster(codes: np.ndarray, grid: GridSpec, *, name: str, units: str | None = None) -> xr.DataArray:
    """A raster on ``grid`` whose float64 values (NaN = nodata) are unpacked from ``codes`` one
    chunk at a time (``grid.default_chunks()``), with the CRS, transform and attributes of
    :func:`ecociv.grid.io.from_array`."""
    packed = da.from_array(codes, chunks=grid.default_chunks(), name=False)
    data = packed.map_blocks(unpack_codes, dtype=np.float64)
    out = xr.DataArray(data, dims=("y", "x"), coords={"y": grid.y_coords(), "x": grid.x_coords()},
                       name=name)
    out.attrs = {"units": units or "", "input_id": name}
    return out.rio.write_crs(grid.crs.to_wkt()).rio.write_transform(grid.transform)


def lazy_map(func: Callable[..., np.ndarray], arrays: tuple[np.ndarray, ...], grid: GridSpec, *,
             name: str, units: str | None = None) -> xr.DataArray:
    """A raster on ``grid`` whose values are ``func(*blocks)`` of whole-grid ``arrays``, one chunk
    (``grid.default_chunks()``) at a time: the float64 result of ``func`` on the whole grid is
    never held (attributes as :func:`ecociv.grid.io.from_array`'s)."""
    chunks = grid.default_chunks()
    blocks = [_chunk_views(a, chunks) for a in arrays]
    data = da.map_blocks(func, *blocks, dtype=np.float64)
    out = xr.DataArray(data, dims=("y", "x"), coords={"y": grid.y_coords(), "x": grid.x_coords()},
                       name=name)
    out.attrs = {"units": units or "", "input_id": name}
    return out.rio.write_crs(grid.crs.to_wkt()).rio.write_transform(grid.transform)


def _chunk_views(array: np.ndarray, chunks: Any) -> da.Array:
    """``array`` as a dask array whose chunks are views of it. ``da.from_array`` copies a NumPy
    array whole first (against later changes to it): for the whole-grid arrays a model hands to
    the writer that copy doubled the memory at the end of the run (4.7 GB at 16000² for the
    security pattern's five rasters); these arrays are not changed after the model returns."""
    chunks = da.core.normalize_chunks(chunks, array.shape, dtype=array.dtype)
    name = f"view-{uuid.uuid4().hex}"
    keys = itertools.product([name], *(range(len(c)) for c in chunks))
    graph = {key: array[part] for key, part in zip(keys, da.core.slices_from_chunks(chunks),
                                                    strict=True)}
    return da.Array(graph, name, chunks, dtype=array.dtype)


def row_bands(rows: int, cols: int, boundaries: tuple[int, ...] = (),
              target_cells: int = 1 << 22) -> Iterator[tuple[int, int]]:
    """Row bands ``(start, stop)`` covering ``rows`` rows of about ``target_cells`` cells each,
    cut only at ``boundaries`` (e.g. the row edges of the inputs' chunks, so that no chunk is
    read twice) when some are given."""
    edges = sorted({0, rows, *(b for b in boundaries if 0 < b < rows)})
    per_band = max(1, target_cells // max(1, cols))
    if len(edges) == 2:
        edges = [*range(0, rows, per_band), rows]
    start = 0
    for position, edge in enumerate(edges[1:], start=1):
        last = position == len(edges) - 1
        if edge - start >= per_band or last:
            yield start, edge
            start = edge


def chunk_row_edges(array: Any) -> tuple[int, ...]:
    """Row edges of the chunks of a dask-backed raster (its second-to-last axis); () otherwise."""
    data = array.data if isinstance(array, xr.DataArray) else array
    chunks = getattr(data, "chunks", None)
    if not chunks:
        return ()
    return tuple(int(e) for e in np.cumsum(chunks[-2]))
