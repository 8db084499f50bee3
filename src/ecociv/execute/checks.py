"""Checks of a run: raster input ranges and codes (computed lazily in the same pass as the
outputs), the shape of what a model produced, and read errors that surface mid-run."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
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
    """Lazy checks of raster input ranges and codes, computed in the same pass as the outputs.

    The ranges of the float dask inputs chunked alike are found together (:func:`value_ranges`:
    one task per chunk for all of them, one to combine), not in a tree of tasks per input and
    bound."""
    checks: list[Check] = []
    #: inputs whose range is found with others': chunks -> [(check position, data, low, high)]
    grouped: dict[Any, list[tuple[int, da.Array, bool, bool]]] = {}
    for item in model.spec.inputs:
        if not isinstance(item, RasterInput) or item.id not in values:
            continue
        data = values[item.id].data
        low = item.ge is not None or item.gt is not None
        high = item.le is not None or item.lt is not None
        if (low or high) and isinstance(data, da.Array) and data.dtype.kind == "f" and data.size:
            grouped.setdefault(data.chunks, []).append((len(checks), data, low, high))
            checks.extend((item, kind, None) for kind, wanted in (("min", low), ("max", high))
                          if wanted)
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
    for members in grouped.values():
        ranges = value_ranges([data for _, data, _, _ in members],
                              [(low, high) for _, _, low, high in members])
        for index, (position, _, low, high) in enumerate(members):
            if low:
                checks[position] = (checks[position][0], "min", ranges[index, 0])
            if high:
                checks[position + low] = (checks[position + low][0], "max", ranges[index, 1])
    return checks


def _ranges_chunk(*blocks: np.ndarray, wanted: tuple[tuple[bool, bool], ...]) -> np.ndarray:
    """The smallest and largest value (NaN left out) of each block, as wanted, shape
    ``(1, ..., 1, len(blocks), 2)``; NaN when not wanted or the block has no value."""
    out = np.full((1,) * blocks[0].ndim + (len(blocks), 2), np.nan)
    for index, (block, (low, high)) in enumerate(zip(blocks, wanted, strict=True)):
        if block.size:
            # fmin/fmax leave NaN out (NumPy's nanmin/nanmax of a float array are these reductions)
            if low:
                out[..., index, 0] = np.fmin.reduce(block, axis=None)
            if high:
                out[..., index, 1] = np.fmax.reduce(block, axis=None)
    return out


def _same(parts: np.ndarray, axis: Any = None, keepdims: bool = True) -> np.ndarray:
    return parts


def _ranges_combine(parts: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    """The ranges of the chunks (``parts``: the chunks along the leading axes) combined."""
    flat = parts.reshape(-1, *parts.shape[-2:])
    out = np.stack([np.fmin.reduce(flat[..., 0], axis=0), np.fmax.reduce(flat[..., 1], axis=0)],
                   axis=-1)
    return out.reshape((1,) * (parts.ndim - 2) + out.shape) if keepdims else out


def value_ranges(arrays: Sequence[da.Array], wanted: Sequence[tuple[bool, bool]]) -> da.Array:
    """The smallest and the largest value of each of several float dask arrays chunked alike,
    NaN left out (NaN when every cell is NaN), as an array of shape ``(len(arrays), 2)``:
    column 0 the smallest, 1 the largest, NaN where not ``wanted`` (a pair of flags per array).

    One task per chunk for all the arrays and bounds and one that combines the chunks'
    (``da.nanmin`` and ``da.nanmax`` make a tree of tasks per array and bound: the range
    checks of ``water_yield``'s four rasters of 16 chunks were 133 tasks, now 30). The values
    are those of ``nanmin``/``nanmax``, as float64."""
    ndim = arrays[0].ndim
    parts = da.map_blocks(_ranges_chunk, *arrays, wanted=tuple(wanted),
                          new_axis=[ndim, ndim + 1], chunks=(1,) * ndim + (len(arrays), 2),
                          dtype=np.float64, meta=np.empty((0,) * (ndim + 2)))
    axes = tuple(range(ndim))
    return da.reduction(parts, _same, _ranges_combine, axis=axes, keepdims=False,
                        dtype=np.float64, concatenate=True, meta=np.empty((0, 0)),
                        split_every={axis: max(2, parts.numblocks[axis]) for axis in axes},
                        name="value-ranges")


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
