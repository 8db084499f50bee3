"""Reading rasters onto the run's grid: nodata becomes NaN (a mask that propagates), misaligned
inputs are rejected or aligned by an explicit, logged resampling method, and every read is lazy
(dask-backed) so rasters larger than memory go through the same code path."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
import rioxarray
import xarray as xr
from rasterio.enums import Resampling
from rasterio.errors import RasterioError, RasterioIOError
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window

from ecociv.errors import InputError
from ecociv.grid.spec import GridSpec

log = logging.getLogger(__name__)


@dataclass
class ReadNotes:
    """What happened to inputs on the way in (written to the run manifest)."""

    messages: list[str] = field(default_factory=list)

    def add(self, message: str) -> None:
        log.info(message)
        self.messages.append(message)


def grid_of(path: str | Path, *, name: str | None = None) -> GridSpec:
    """The grid of a raster file, with a clear error for unreadable files or a missing CRS."""
    with _open(path, name) as src:
        return _grid_from_dataset(src, path, name)


def _grid_from_dataset(src: rasterio.DatasetReader, path: str | Path, name: str | None) -> GridSpec:
    if src.crs is None:
        raise InputError(
            "raster has no coordinate reference system; assign one (e.g. with "
            "`gdal_edit.py -a_srs EPSG:xxxx`) before using it",
            source=_label(path, name),
        )
    return GridSpec.from_crs(src.crs.to_wkt(), src.transform, (src.height, src.width))


def _label(path: str | Path, name: str | None) -> str:
    return f"input '{name}' ({path})" if name else str(path)


def _open(path: str | Path, name: str | None) -> rasterio.DatasetReader:
    path = Path(path)
    if not path.exists():
        raise InputError("file does not exist", source=_label(path, name))
    if path.is_file() and path.stat().st_size == 0:
        raise InputError("file is empty", source=_label(path, name))
    try:
        return rasterio.open(path)
    except RasterioIOError as err:
        raise InputError(
            f"not a readable raster (is it truncated or not a GeoTIFF?): {err}",
            source=_label(path, name),
        ) from err


def _check_readable(src: rasterio.DatasetReader, path: str | Path, name: str | None) -> None:
    """Read the first and the last block so a truncated file fails here, not mid-run."""
    try:
        height, width = src.block_shapes[0]
        src.read(1, window=Window(0, 0, min(width, src.width), min(height, src.height)))
        last_row = ((src.height - 1) // height) * height
        last_col = ((src.width - 1) // width) * width
        src.read(
            1,
            window=Window(last_col, last_row, src.width - last_col, src.height - last_row),
        )
    except RasterioError as err:
        raise InputError(
            f"raster data cannot be read (file truncated or corrupt?): {err}",
            source=_label(path, name),
        ) from err


def _overlaps(a: GridSpec, b: GridSpec) -> bool:
    from pyproj import Transformer

    left, bottom, right, top = b.bounds
    if not a.crs.equals(b.crs, ignore_axis_order=True):
        transformer = Transformer.from_crs(b.crs, a.crs, always_xy=True)
        left, bottom, right, top = transformer.transform_bounds(left, bottom, right, top, densify_pts=21)
    a_left, a_bottom, a_right, a_top = a.bounds
    return left < a_right and right > a_left and bottom < a_top and top > a_bottom


def open_raster(
    path: str | Path,
    grid: GridSpec,
    *,
    name: str,
    resampling: str = "nearest",
    align: bool = False,
    units: str | None = None,
    notes: ReadNotes | None = None,
    nodata: float | None = None,
) -> xr.DataArray:
    """Open band 1 of a raster as a lazy float DataArray on ``grid`` with NaN where nodata.

    Parameters
    ----------
    path : path
        A raster file GDAL reads (GeoTIFF, COG, ...).
    grid : GridSpec
        The run's grid.
    name : str
        Input id, used in messages.
    resampling : str
        Method used when ``align`` is on and the raster is not on ``grid``.
    align : bool
        Align a raster on another grid by ``resampling`` (logged); when off, such a raster is an
        error.
    units : str, optional
        Stored in ``attrs["units"]``.
    notes : ReadNotes, optional
        Collects alignment messages for the manifest.
    nodata : float, optional
        Overrides the file's nodata value (for files that use a convention, e.g. -9999, without
        declaring it).
    """
    notes = notes if notes is not None else ReadNotes()
    with _open(path, name) as src:
        source_grid = _grid_from_dataset(src, path, name)
        _check_readable(src, path, name)
        file_nodata = src.nodata if nodata is None else nodata
        if src.count < 1:
            raise InputError("raster has no band", source=_label(path, name))
        if not _overlaps(grid, source_grid):
            raise InputError(
                f"raster does not overlap the run's grid (raster bounds {source_grid.bounds} in "
                f"{source_grid.crs.to_string()}; grid bounds {grid.bounds} in {grid.crs.to_string()})",
                source=_label(path, name),
            )
        aligned = source_grid.same_as(grid)
        if not aligned and not align:
            raise InputError(
                "raster is not on the run's grid (CRS, transform or shape differ: raster "
                f"{source_grid.describe()} vs grid {grid.describe()}); allow alignment "
                "(`--align` / `grid.align: true`) to resample it",
                source=_label(path, name),
            )
        chunks = grid.default_chunks()
        if aligned:
            data = rioxarray.open_rasterio(path, chunks={"band": 1, "y": chunks[0], "x": chunks[1]},
                                          lock=False, cache=False)
        else:
            method = Resampling[resampling]
            vrt = WarpedVRT(
                src,
                crs=grid.crs.to_wkt(),
                transform=grid.transform,
                width=grid.cols,
                height=grid.rows,
                resampling=method,
                src_nodata=file_nodata,
                nodata=file_nodata if file_nodata is not None else np.nan,
            )
            notes.add(
                f"input '{name}' ({path}) aligned to the run grid by {resampling} resampling "
                f"from {source_grid.describe()}"
            )
            data = rioxarray.open_rasterio(vrt, chunks={"band": 1, "y": chunks[0], "x": chunks[1]},
                                          lock=False, cache=False)
    assert isinstance(data, xr.DataArray)
    band = data.isel(band=0, drop=True)
    fill = file_nodata if file_nodata is not None else band.attrs.get("_FillValue")
    dtype = np.float64 if band.dtype.itemsize > 2 and band.dtype.kind != "f" else None
    if band.dtype.kind == "f":
        dtype = band.dtype
    out = band.astype(dtype or np.float32)
    if fill is not None and not (isinstance(fill, float) and np.isnan(fill)):
        out = out.where(band != fill)
    out = out.assign_coords(x=grid.x_coords(), y=grid.y_coords())
    out.attrs = {"units": units if units is not None else "", "source": str(path), "input_id": name}
    out.name = name
    out = out.rio.write_crs(grid.crs.to_wkt()).rio.write_transform(grid.transform)
    return out


def from_array(
    values: np.ndarray, grid: GridSpec, *, name: str, units: str | None = "", nodata: float | None = None
) -> xr.DataArray:
    """Wrap an in-memory array as a raster on ``grid`` (NaN or ``nodata`` = missing)."""
    values = np.asarray(values)
    if values.shape != grid.shape:
        raise InputError(f"array shape {values.shape} != grid shape {grid.shape}", source=name)
    data = values.astype(np.float64)
    if nodata is not None:
        data = np.where(values == nodata, np.nan, data)
    out = xr.DataArray(data, dims=("y", "x"), coords={"y": grid.y_coords(), "x": grid.x_coords()}, name=name)
    out.attrs = {"units": units or "", "input_id": name}
    return out.rio.write_crs(grid.crs.to_wkt()).rio.write_transform(grid.transform)


def grid_of_array(data: xr.DataArray) -> GridSpec:
    """The grid a DataArray lives on (needs rioxarray CRS and transform)."""
    crs = data.rio.crs
    if crs is None:
        raise InputError("raster has no CRS", source=str(data.name))
    return GridSpec.from_crs(crs.to_wkt(), data.rio.transform(), data.shape[-2:])
