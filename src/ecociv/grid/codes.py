"""Checks of categorical rasters (class codes): every value a whole number listed in a table.

:func:`unknown_codes` is lazy, so it is computed in the same pass as a model's outputs;
:func:`codes_error` turns its result into the message a user reads.
"""

from __future__ import annotations

from typing import Any

import dask.array as da
import numpy as np
import xarray as xr

from ecociv.errors import InputError

#: How many unknown values each chunk reports.
REPORTED_PER_CHUNK = 16


def unknown_codes(data: Any, codes: np.ndarray | None) -> Any:
    """Values of ``data`` that are not whole numbers or not in ``codes`` (None: any whole number
    is accepted), at most :data:`REPORTED_PER_CHUNK` per chunk, non-integers first, as an array
    of shape (row chunks, column chunks, 16) padded with NaN (lazy for a dask array)."""
    width = REPORTED_PER_CHUNK
    known = None if codes is None else np.asarray(codes, dtype=np.float64)
    ordered = np.sort(known) if known is not None else np.empty(0)

    def _block(block: np.ndarray) -> np.ndarray:
        if block.ndim == 2 and block.dtype.kind == "f":
            from ecociv.grid import codes_loops

            # the usual case first, in one compiled pass: nothing to report
            if codes_loops.all_known(block, ordered, known is not None):
                return np.full((1, 1, width), np.nan)
        values = np.unique(block[~np.isnan(block)])
        fractional = values[values != np.round(values)]
        whole = values[values == np.round(values)]
        if known is not None:
            whole = whole[~np.isin(whole, known)]
        else:
            whole = whole[:0]
        found = np.concatenate([fractional, whole])[:width]
        out = np.full((1, 1, width), np.nan)
        out[0, 0, : found.size] = found
        return out

    if isinstance(data, da.Array):
        # meta given: dask need not call _block on an empty block to learn the result's type,
        # which would load the compiled pass on the main thread before the computation starts
        return da.map_blocks(_block, data, new_axis=2, chunks=(1, 1, width), dtype=np.float64,
                             meta=np.empty((0,) * (data.ndim + 1), dtype=np.float64))
    return _block(np.asarray(data, dtype=np.float64))


def _first_cell(data: xr.DataArray, value: float) -> str:
    array = data.data.compute() if isinstance(data.data, da.Array) else np.asarray(data.data)
    position = np.argwhere(array == value)[0]
    if len(position) == 3:
        return f"band {position[0] + 1}, cell (row {position[1]}, col {position[2]})"
    return f"cell (row {position[0]}, col {position[1]})"


def codes_error(found: np.ndarray, data: xr.DataArray, table: str | None,
                source: str) -> InputError | None:
    """The error for the values :func:`unknown_codes` found in a categorical raster, or None.

    Parameters
    ----------
    found : numpy.ndarray
        The computed result of :func:`unknown_codes` (any shape; NaN = none).
    data : xarray.DataArray
        The raster, to locate the first offending cell.
    table : str or None
        ``"table_id.column"`` that lists the codes (None: only whole numbers are checked).
    source : str
        The input and its file, for the message.
    """
    values = np.unique(np.asarray(found)[~np.isnan(found)])
    if not len(values):
        return None
    fractional = values[values != np.round(values)]
    if len(fractional):
        bad = float(fractional[0])
        return InputError(
            f"the categorical raster has non-integer values ({', '.join(f'{v:g}' for v in fractional[:5])}"
            f"); class codes are whole numbers (was it resampled by interpolation, or is it a "
            "continuous raster given as a categorical input?)",
            source=source, where=_first_cell(data, bad))
    bad = float(values[0])
    return InputError(
        f"code(s) {[int(c) for c in values[:10]]} not found in {table} "
        "(the table must list every code of the raster)",
        source=source, where=_first_cell(data, bad))
