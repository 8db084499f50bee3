"""In-memory inputs (xarray rasters, pandas tables, geopandas layers) checked against a spec
exactly as files are: the same range, code, column and units rules and the same messages, with
"in memory" where a file path would be."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ecociv.errors import InputError
from ecociv.grid.io import ReadNotes, grid_of_array, working_dtype
from ecociv.grid.spec import GridSpec
from ecociv.io.tables import check_table
from ecociv.io.vectors import check_vector
from ecociv.spec import RasterInput, TableInput, VectorInput

IN_MEMORY = "in memory"


def memory_grid(value: Any, name: str) -> GridSpec:
    """The grid of an in-memory raster input (CRS and transform written by rioxarray)."""
    array = _as_array(value, name)
    if array.rio.crs is None:
        raise InputError("raster has no CRS; set one with `.rio.write_crs(...)` (or give crs= "
                         "and transform= to ecociv.run_model)", source=_label(name))
    return grid_of_array(array)


def raster_in_memory(item: RasterInput, value: Any, grid: GridSpec, *, bands: int | None,
                     align: bool, resampling: str, notes: ReadNotes,
                     band_meaning: str | None = None) -> xr.DataArray:
    """An in-memory raster as the model sees it: float with NaN where nodata, on ``grid``, in
    the spec's units.

    Parameters
    ----------
    item : RasterInput
        The spec of the input.
    value : xarray.DataArray
        Dims ``(y, x)`` or ``(band, y, x)``, with a CRS and transform (rioxarray); a nodata value
        declared by ``.rio.write_nodata`` becomes NaN; ``attrs["units"]``, when set, is converted
        to the spec's units (an incompatible unit is an error).
    grid : GridSpec
        The run's grid.
    bands : int, optional
        The number of bands the input must have (None: a single-band raster; a 2-D array is
        taken as one band when ``bands`` is 1).
    align : bool
        Resample a raster on another grid (else that is an error, as for files).
    resampling : str
        Method used when aligning.
    notes : ReadNotes
        Collects conversion and alignment messages for the manifest.
    band_meaning : str, optional
        What a band is, for the message when the band count is wrong.
    """
    label = _label(item.id)
    array = _as_array(value, item.id)
    if "band" in array.dims and bands is None:
        if array.sizes["band"] != 1:
            raise InputError(f"expected a single-band raster, found {array.sizes['band']} bands",
                             source=label)
        array = array.isel(band=0, drop=True)
    if bands is not None and array.dims == ("y", "x"):
        array = array.expand_dims(band=1)
    expected: tuple[str, ...] = ("y", "x") if bands is None else ("band", "y", "x")
    if array.dims != expected:
        raise InputError(f"expected dims {expected}, found {array.dims}", source=label)
    if bands is not None and array.sizes["band"] != bands:
        meaning = f" (one per {band_meaning})" if band_meaning else ""
        raise InputError(f"expected {bands} bands{meaning}, found {array.sizes['band']}",
                         source=label)
    own = memory_grid(array, item.id)
    nodata = array.rio.nodata
    units = str(array.attrs.get("units") or "")
    work = working_dtype(array.dtype) if array.dtype.kind in "iuf" else None
    if work is None:
        raise InputError(f"expected numbers, found values of type {array.dtype}", source=label)
    data = array.astype(work)
    if nodata is not None and not np.isnan(nodata):
        data = data.where(array != nodata)
    if not own.same_as(grid):
        if not align:
            raise InputError(
                "raster is not on the run's grid ("
                + "; ".join(f"raster {d}" if i == 0 else d for i, d in enumerate(own.differences(grid)))
                + " of the grid); allow alignment (align=True) to resample it", source=label)
        data = _aligned(data, grid, resampling)
        notes.add(f"input '{item.id}' ({IN_MEMORY}) aligned to the run grid by {resampling} "
                  f"resampling (raster {'; '.join(own.differences(grid))} of the grid)")
    if units and item.units is not None:
        data = _converted(data, units, item, notes)
    data = data.assign_coords(x=grid.x_coords(), y=grid.y_coords())
    if bands is not None:
        data = data.assign_coords(band=np.arange(1, bands + 1))
    data.attrs = {"units": item.units or "", "source": IN_MEMORY, "input_id": item.id}
    data.encoding = {}
    data.name = item.id
    return data.rio.write_crs(grid.crs.to_wkt()).rio.write_transform(grid.transform)


def table_in_memory(item: TableInput, frame: Any) -> pd.DataFrame:
    """An in-memory table checked and typed like a CSV file (rows are named by position,
    0-based, or by CSV line when the frame came from a file); named index levels (e.g. the key
    column after ``set_index("lucode")``) are taken as columns."""
    label = f"table '{item.id}' ({IN_MEMORY})"
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"expected a pandas DataFrame or a CSV path, got {type(frame).__name__}",
                         source=label)
    named = [n for n in frame.index.names if n is not None and n not in frame.columns]
    if named:  # e.g. a table indexed by its key column: the key is a column, as in a CSV
        frame = frame.reset_index(level=named)
    lines = frame.attrs.get("lines")
    if lines is not None and len(lines) == len(frame):
        return check_table(frame, item, label=label, lines=lines)
    return check_table(frame, item, label=label, row_names=[f"row {i}" for i in range(len(frame))])


def vector_in_memory(item: VectorInput, frame: Any, grid: GridSpec, notes: ReadNotes) -> Any:
    """An in-memory GeoDataFrame checked like a vector file and reprojected to the grid's CRS."""
    import geopandas as gpd

    label = f"vector '{item.id}' ({IN_MEMORY})"
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError(f"expected a geopandas GeoDataFrame or a vector file path, got "
                         f"{type(frame).__name__}", source=label)
    return check_vector(frame.copy(), item, grid, notes, label=label)


def _label(name: str) -> str:
    return f"input '{name}' ({IN_MEMORY})"


def _as_array(value: Any, name: str) -> xr.DataArray:
    if not isinstance(value, xr.DataArray):
        raise InputError(
            f"expected an xarray DataArray or a raster path, got {type(value).__name__} (for a "
            "numpy array use ecociv.run_model with crs= and transform=)", source=_label(name))
    if value.ndim in (2, 3) and ("y" not in value.dims or "x" not in value.dims):
        try:
            value = value.rename({value.rio.y_dim: "y", value.rio.x_dim: "x"})
        except Exception as err:  # rioxarray raises its own error types for unknown dims
            raise InputError(f"cannot tell the x and y dims among {value.dims}; name them 'x' "
                             "and 'y'", source=_label(name)) from err
    return value


def _aligned(data: xr.DataArray, grid: GridSpec, resampling: str) -> xr.DataArray:
    from rasterio.enums import Resampling

    out = data.rio.write_nodata(np.nan).rio.reproject(
        grid.crs.to_wkt(), shape=grid.shape, transform=grid.transform,
        resampling=Resampling[resampling], nodata=np.nan)
    assert isinstance(out, xr.DataArray)
    return out


def _converted(data: xr.DataArray, units: str, item: RasterInput, notes: ReadNotes) -> xr.DataArray:
    """``data`` in ``units`` converted to the spec's units (offset units such as degC included)."""
    from ecociv.units import ureg  # the pint registry takes 0.2-1 s to build: only when needed

    target = item.units or ""
    try:
        given, wanted = ureg.Unit(units), ureg.Unit(target)
    except Exception as err:  # pint raises several unrelated types for garbage
        raise InputError(f"unknown unit {units!r} in attrs['units']; expected {target or 'dimensionless'}",
                         source=_label(item.id)) from err
    if given == wanted:
        return data
    if given.dimensionality != wanted.dimensionality:
        raise InputError(f"has units {units!r} (attrs['units']); expected {target or 'dimensionless'}",
                         source=_label(item.id))
    zero = float(ureg.Quantity(0.0, given).to(wanted).magnitude)
    scale = float(ureg.Quantity(1.0, given).to(wanted).magnitude) - zero
    notes.add(f"input '{item.id}' ({IN_MEMORY}) converted from {units} to {target}")
    return data * data.dtype.type(scale) + data.dtype.type(zero)
