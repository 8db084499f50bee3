"""Checks of a run: raster input ranges and codes (computed lazily in the same pass as the
outputs), the shape of what a model produced, and read errors that surface mid-run."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import dask.array as da
import numpy as np
import xarray as xr

from ecociv.errors import InputError, OutputError
from ecociv.execute.load import band_names
from ecociv.grid.codes import codes_error, unknown_codes
from ecociv.grid.spec import GridSpec
from ecociv.spec import Model, RasterInput, RasterOutput

#: One check of a raster input: its spec, the kind ("min", "max" or "codes") and the value to
#: compute (a number, or a dask array computed with the outputs).
Check = tuple[RasterInput, str, Any]


def raster_checks(model: Model, values: Mapping[str, Any]) -> list[Check]:
    """Lazy checks of raster input ranges and codes, computed in the same pass as the outputs."""
    checks: list[Check] = []
    for item in model.spec.inputs:
        if not isinstance(item, RasterInput) or item.id not in values:
            continue
        data = values[item.id].data
        low = item.ge is not None or item.gt is not None
        high = item.le is not None or item.lt is not None
        if low and high and isinstance(data, da.Array) and data.dtype.kind == "f" and data.size:
            both = value_range(data)  # one task per chunk for the two
            checks.append((item, "min", both["min"]))
            checks.append((item, "max", both["max"]))
        else:
            if low:
                checks.append((item, "min", da.nanmin(data) if isinstance(data, da.Array) else np.nanmin(data)))
            if high:
                checks.append((item, "max", da.nanmax(data) if isinstance(data, da.Array) else np.nanmax(data)))
        if item.kind == "categorical" and data.ndim == 2:
            table_id, _, column = (item.codes_in or "").partition(".")
            codes = (np.asarray(values[table_id][column], dtype=np.float64)
                     if item.codes_in and table_id in values else None)
            checks.append((item, "codes", unknown_codes(data, codes)))
    return checks


#: the smallest and largest value of a chunk or of several, NaN left out
_RANGE = np.dtype([("min", np.float64), ("max", np.float64)])


def _range_chunk(block: np.ndarray, axis: Any = None, keepdims: bool = True) -> np.ndarray:
    out = np.empty((1,) * block.ndim, _RANGE)
    if block.size:
        # fmin/fmax leave NaN out (NumPy's nanmin/nanmax of a float array are these reductions)
        out["min"] = np.fmin.reduce(block, axis=None)
        out["max"] = np.fmax.reduce(block, axis=None)
    else:
        out["min"] = out["max"] = np.nan
    return out


def _range_combine(parts: np.ndarray, axis: Any = None, keepdims: bool = True) -> np.ndarray:
    out = np.empty((1,) * parts.ndim if keepdims else (), _RANGE)
    out["min"] = np.fmin.reduce(parts["min"], axis=None)
    out["max"] = np.fmax.reduce(parts["max"], axis=None)
    return out


def value_range(data: da.Array) -> da.Array:
    """The smallest and the largest value of a float dask array, NaN left out (NaN when every
    cell is NaN), as a 0-d array with fields ``min`` and ``max``: one pass and one task per
    chunk for the two (``da.nanmin`` and ``da.nanmax`` take one task each); the values are
    those of ``nanmin``/``nanmax``, as float64."""
    return da.reduction(data, _range_chunk, _range_combine, combine=_range_combine,
                        dtype=_RANGE, concatenate=True, keepdims=False,
                        meta=np.empty((), _RANGE), name="value-range")


def _first_cell(data: xr.DataArray, mask_fn: Any) -> str:
    mask = np.asarray(mask_fn(data.data if not isinstance(data.data, da.Array) else data.data.compute()))
    position = np.argwhere(mask)[0]
    if len(position) == 3:
        return f"band {position[0] + 1}, cell (row {position[1]}, col {position[2]})"
    return f"cell (row {position[0]}, col {position[1]})"


def report_checks(checks: list[Check], results: list[Any],
                   values: Mapping[str, Any], files: Mapping[str, str]) -> None:
    for (item, kind, _), result in zip(checks, results, strict=True):
        data = values[item.id]
        source = f"input '{item.id}' ({files.get(item.id, 'in memory')})"
        units = f" {item.units}" if item.units else ""
        if kind == "min" and item.ge is not None and np.isfinite(result) and result < item.ge:
            where = _first_cell(data, lambda a, ge=item.ge: a < ge)
            raise InputError(f"value {float(result):g}{units} below the allowed minimum {item.ge:g}{units}",
                             source=source, where=where)
        if kind == "max" and item.le is not None and np.isfinite(result) and result > item.le:
            where = _first_cell(data, lambda a, le=item.le: a > le)
            raise InputError(f"value {float(result):g}{units} above the allowed maximum {item.le:g}{units}",
                             source=source, where=where)
        if kind == "min" and item.gt is not None and np.isfinite(result) and not result > item.gt:
            where = _first_cell(data, lambda a, gt=item.gt: a <= gt)
            raise InputError(f"value {float(result):g}{units} not allowed; values must be greater than "
                             f"{item.gt:g}{units}", source=source, where=where)
        if kind == "max" and item.lt is not None and np.isfinite(result) and not result < item.lt:
            where = _first_cell(data, lambda a, lt=item.lt: a >= lt)
            raise InputError(f"value {float(result):g}{units} not allowed; values must be less than "
                             f"{item.lt:g}{units}", source=source, where=where)
        error = codes_error(result, data, item.codes_in, source) if kind == "codes" else None
        if error is not None:
            raise error


def check_outputs(model: Model, produced: Mapping[str, Any], grid: GridSpec | None,
                   values: Mapping[str, Any]) -> None:
    spec = model.spec
    declared = {o.id: o for o in spec.outputs}
    undeclared = [k for k in produced if k not in declared]
    if undeclared:
        raise OutputError(f"model '{spec.id}' produced undeclared output(s) {undeclared}")
    for output in spec.outputs:
        if output.id not in produced:
            if not output.optional:
                raise OutputError(f"model '{spec.id}' did not produce declared output '{output.id}'")
            continue
        value = produced[output.id]
        if isinstance(output, RasterOutput):
            if not isinstance(value, xr.DataArray) or grid is None:
                raise OutputError(f"model '{spec.id}' output '{output.id}' is not a raster on the run "
                                  f"grid (got {type(value).__name__})")
            bands = output.bands
            if output.bands_from is not None:
                bands = len(band_names(output.bands_from, values, output.id))
            dims: tuple[str, ...] = ("y", "x") if bands is None else ("band", "y", "x")
            shape = grid.shape if bands is None else (bands, *grid.shape)
            if value.dims != dims or value.shape != shape:
                raise OutputError(
                    f"model '{spec.id}' output '{output.id}' has dims {value.dims} and shape "
                    f"{value.shape}; expected {dims} and shape {shape}")


@contextmanager
def reading_errors(files: Mapping[str, str]) -> Iterator[None]:
    """Turn a raster read that fails mid-run (a block corrupt in the middle of a file, which the
    up-front first/last-block check cannot see) into an InputError naming the files."""
    from rasterio.errors import RasterioError

    try:
        yield
    except RasterioError as err:
        raise InputError(f"reading input data failed (file truncated or corrupt?): {err}",
                         source=", ".join(f"{k} ({v})" for k, v in files.items()) or None) from err
