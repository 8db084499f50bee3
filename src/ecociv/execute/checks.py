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
        if item.ge is not None or item.gt is not None:
            checks.append((item, "min", da.nanmin(data) if isinstance(data, da.Array) else np.nanmin(data)))
        if item.le is not None or item.lt is not None:
            checks.append((item, "max", da.nanmax(data) if isinstance(data, da.Array) else np.nanmax(data)))
        if item.kind == "categorical" and data.ndim == 2:
            table_id, _, column = (item.codes_in or "").partition(".")
            codes = (np.asarray(values[table_id][column], dtype=np.float64)
                     if item.codes_in and table_id in values else None)
            checks.append((item, "codes", unknown_codes(data, codes)))
    return checks


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
