"""Reading rasters onto the run's grid: nodata becomes NaN (a mask that propagates), misaligned
inputs are rejected or aligned by an explicit, logged resampling method, and every read is lazy
(dask-backed) so rasters larger than memory go through the same code path."""

from __future__ import annotations

import functools
import logging
import os
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rioxarray
import xarray as xr
from rasterio.enums import Resampling
from rasterio.errors import NotGeoreferencedWarning, RasterioError
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window

from ecociv import read_ahead
from ecociv.errors import InputError
from ecociv.grid.spec import GridSpec
from ecociv.lazy import xarray_checks_pint_lazily

xarray_checks_pint_lazily()  # opening a raster no longer imports pint (0.06-0.15 s)
log = logging.getLogger(__name__)

_CATEGORICAL_METHODS = {"nearest", "mode"}

#: Cells per chunk of a raster read lazily. A model's kernel makes a few dozen float64
#: temporaries of a chunk on each thread, so memory grows with the chunk: 1 Mi cells (8 MB per
#: temporary) kept ``water_yield`` on a 4000² grid at 0.7 GB peak RSS where 4 Mi-cell chunks
#: took 2.1 GB, at the same speed (benchmarks/profile_water_yield.py).
READ_CHUNK_CELLS = 1 << 20

#: Chunk edges fall on multiples of this many cells: the tile size of GeoTIFFs written by
#: ecociv, InVEST (pygeoprocessing) and most GIS tools, so each tile is decoded once.
READ_CHUNK_ALIGN = 256

#: Bytes of one read of a multi-band raster: its bands are read together (one task per chunk
#: of the grid instead of one per band and chunk), in equal groups of at most this size. Not
#: more: glibc's malloc serves blocks up to 32 MiB from memory it keeps between allocations,
#: larger ones are fresh pages every time (12 float32 bands of a 1 Mi-cell chunk, 48 MiB a
#: read, cost 6,000 page faults and ≈ 30 % more CPU per read than 6 bands). The 12 months of
#: ``sand_fixation``'s four monthly inputs at 4000² are then read in 128 tasks (and as many
#: range checks) instead of 768; dask's scheduler holds the GIL for ≈ 0.1 ms a task.
READ_BAND_CHUNK_BYTES = 32 << 20


def band_chunk(count: int, cells: int, itemsize: int) -> int:
    """Bands per read of a ``count``-band raster in chunks of ``cells`` cells of ``itemsize``
    bytes: the fewest equal groups (the last one maybe smaller) of at most
    :data:`READ_BAND_CHUNK_BYTES` each, at least one band."""
    fit = max(1, READ_BAND_CHUNK_BYTES // max(1, cells * itemsize))
    groups = -(-count // fit)
    return -(-count // groups)


def read_chunks(grid: GridSpec, target_cells: int = READ_CHUNK_CELLS) -> tuple[int, int]:
    """Chunk shape (rows, cols) for reading rasters on ``grid``: ``grid.default_chunks`` (row
    bands) of about ``target_cells`` cells, except that a grid so wide that its bands would be
    thinner than a tile (256 rows) is cut into 256-row × 4096-column blocks, and a grid that
    would be one or two bands is cut into at least two bands per CPU (so every core has work),
    band edges staying on multiples of 256 rows."""
    align = READ_CHUNK_ALIGN
    rows, cols = grid.default_chunks(target_cells)
    side = max(align, target_cells // align)  # 4096 columns at the default
    if rows < align and cols == grid.cols and grid.cols > side and grid.rows > rows:
        return min(align, grid.rows), side
    per_core = -(-grid.rows // (2 * (os.cpu_count() or 1)))
    if cols == grid.cols and rows > per_core and rows >= 2 * align:
        rows = max(align, -(-per_core // align) * align)
    return min(rows, grid.rows), cols


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
        # not georeferenced is told by the dataset itself (below), not by a recorded warning:
        # ``catch_warnings(record=True)`` records the warnings of every thread, so a step
        # burning polygons beside this one (rasterio warns of its in-memory array) made a
        # sound file look unreferenced when steps ran at once
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            src = rasterio.open(path)
    except RasterioError as err:
        raise InputError(
            f"not a readable raster (is it truncated or not a GeoTIFF?): {err}",
            source=_label(path, name),
        ) from err
    if src.transform.is_identity and not src.gcps[0] and src.rpcs is None:
        src.close()  # rasterio would place it at the identity transform: cells of 1 unit at (0, 0)
        raise InputError(
            "raster is not georeferenced (no geotransform: cell size and position unknown); "
            "georeference it (e.g. QGIS Georeferencer, or `gdal_translate -a_ullr ... -a_srs "
            "EPSG:xxxx`) before using it", source=_label(path, name))
    return src


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
        detail = f"{err} ({err.__cause__})" if err.__cause__ is not None else str(err)
        raise InputError(
            f"raster data cannot be read (file truncated or corrupt?): {detail}",
            source=_label(path, name),
        ) from err


def _overlaps(a: GridSpec, b: GridSpec) -> bool:
    """True when grid ``b`` overlaps grid ``a`` (bounds of ``b`` reprojected to ``a``'s CRS)."""
    from pyproj import Transformer
    from pyproj.exceptions import ProjError

    left, bottom, right, top = b.bounds
    if not a.crs.equals(b.crs, ignore_axis_order=True):
        try:
            transformer = Transformer.from_crs(b.crs, a.crs, always_xy=True)
            left, bottom, right, top = transformer.transform_bounds(
                left, bottom, right, top, densify_pts=21)
        except ProjError:
            return False
        if not np.all(np.isfinite([left, bottom, right, top])):
            return False
    a_left, a_bottom, a_right, a_top = a.bounds
    return bool(left < a_right and right > a_left and bottom < a_top and top > a_bottom)


def working_dtype(dtype: np.dtype | str) -> np.dtype:
    """The float type a raster of ``dtype`` is read as: float32 holds every 8- and 16-bit integer
    exactly, wider integers need float64; float rasters keep their type."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return dtype
    return np.dtype(np.float32) if dtype.itemsize <= 2 else np.dtype(np.float64)


def typed_nodata(dtype: np.dtype | str, nodata: float | None) -> np.generic | None:
    """``nodata`` as a value of the raster's ``dtype``, or None when no cell can hold it (NaN
    or a fraction for an integer raster, a value outside the type's range).

    The comparison is made in the raster's own type, so a float32 raster whose nodata is declared
    as the double ``-9999.9`` is masked where it holds ``float32(-9999.9)``.
    """
    if nodata is None:
        return None
    dtype = np.dtype(dtype)
    value = float(nodata)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if not np.isfinite(value) or value != round(value) or not info.min <= value <= info.max:
            return None
        return dtype.type(int(value))
    if np.isnan(value):
        return None
    with np.errstate(over="ignore"):
        return dtype.type(value)


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
    categorical: bool = False,
    bands: int | None = None,
    band_meaning: str | None = None,
) -> xr.DataArray:
    """Open band 1 (or all ``bands``) of a raster as a lazy float DataArray on ``grid`` with NaN
    where nodata.

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
    categorical : bool
        Class codes: only ``nearest`` or ``mode`` resampling is allowed, never interpolation.
    bands : int, optional
        The file must have exactly this many bands (e.g. 12 months); the result then has dims
        ``("band", "y", "x")`` with band coordinates 1..bands.
    band_meaning : str, optional
        What a band is, for the message when the band count is wrong ("month, January first").

    Returns
    -------
    xarray.DataArray
        Dask-backed, chunked by :func:`read_chunks` (the bands of a multi-band raster
        together, :func:`band_chunk`); float32 for 8/16-bit rasters, float64
        for wider integers, the file's type for float rasters. Nodata cells, and cells of the
        grid the raster does not cover, are NaN. A scale and offset declared in the file (e.g.
        MODIS products) are applied. Only band 1 is read.
    """
    notes = notes if notes is not None else ReadNotes()
    label = _label(path, name)
    if categorical and resampling not in _CATEGORICAL_METHODS:
        raise InputError(
            f"categorical raster cannot be aligned by {resampling!r} resampling (it would invent "
            f"class codes); use one of {sorted(_CATEGORICAL_METHODS)}", source=label)
    if resampling not in Resampling.__members__:
        raise InputError(f"unknown resampling method {resampling!r}", source=label)
    with _open(path, name) as src:
        source_grid = _grid_from_dataset(src, path, name)
        if src.count < 1:
            raise InputError("raster has no band", source=label)
        _check_readable(src, path, name)
        file_dtype = np.dtype(src.dtypes[0])
        scale, offset = float(src.scales[0]), float(src.offsets[0])
        if bands is not None and src.count != bands:
            meaning = f" (one per {band_meaning})" if band_meaning else ""
            raise InputError(f"expected {bands} bands{meaning}, found "
                             f"{src.count}", source=label)
        if bands is not None and (len(set(src.scales)) > 1 or len(set(src.offsets)) > 1):
            raise InputError("bands have different scale/offset factors; expected one for all",
                             source=label)
        if src.count > 1 and bands is None:
            notes.add(f"input '{name}' ({path}): band 1 of {src.count} used")
        if (scale, offset) != (1.0, 0.0):
            notes.add(f"input '{name}' ({path}): stored values converted by the file's scale "
                      f"{scale:g} and offset {offset:g} (value = stored × scale + offset)")
        file_nodata = src.nodata if nodata is None else nodata
        if nodata is not None:
            notes.add(f"input '{name}' ({path}): nodata value {nodata:g} given by the user"
                      + (f" (the file declares {src.nodata:g})" if src.nodata is not None else
                         " (the file declares none)"))
        fill = typed_nodata(file_dtype, file_nodata)
        if file_nodata is not None and fill is None and not np.isnan(float(file_nodata)):
            notes.add(f"input '{name}' ({path}): nodata value {float(file_nodata):g} cannot occur "
                      f"in a {file_dtype} raster; no cell is treated as nodata")
        if not _overlaps(grid, source_grid):
            raise InputError(
                f"raster does not overlap the run's grid (raster bounds {_rounded(source_grid.bounds)} "
                f"in {source_grid.crs_label()}; grid bounds {_rounded(grid.bounds)} in "
                f"{grid.crs_label()})",
                source=label,
            )
        aligned = source_grid.same_as(grid)
        if not aligned and not align:
            raise InputError(
                "raster is not on the run's grid ("
                + "; ".join(f"raster {d}" if i == 0 else d
                            for i, d in enumerate(source_grid.differences(grid)))
                + " of the grid); allow alignment (`--align` / `grid.align: true`) to resample it",
                source=label,
            )
        rows, cols = read_chunks(grid)
        work = working_dtype(file_dtype)
        together = 1 if bands is None else band_chunk(bands, rows * cols, work.itemsize)
        chunks = {"band": together, "y": rows, "x": cols}
        if aligned:
            reader = BlockReader(str(path), src.count if bands is not None else 1,
                                 (src.height, src.width), work, fill, scale, offset,
                                 stored=file_dtype, layout=_direct_layout(path, src))
            if bands is None:
                out = xr.DataArray(reader.dask_array((rows, cols), name=f"read-{name}"),
                                   dims=("y", "x"))
            else:
                out = xr.DataArray(reader.dask_array((together, rows, cols), name=f"read-{name}"),
                                   dims=("band", "y", "x"))
        else:
            # Warp in float with NaN as nodata: an integer working type would round bilinear
            # results, and cells the raster does not cover would get a fill value, not nodata.
            vrt = WarpedVRT(
                src,
                crs=grid.crs.to_wkt(),
                transform=grid.transform,
                width=grid.cols,
                height=grid.rows,
                resampling=Resampling[resampling],
                src_nodata=None if fill is None else float(fill),
                nodata=np.nan,
                dtype=work.name,
            )
            notes.add(
                f"input '{name}' ({path}) aligned to the run grid by {resampling} resampling "
                f"(raster {'; '.join(source_grid.differences(grid))} of the grid)"
            )
            data = rioxarray.open_rasterio(vrt, chunks=chunks, lock=False, cache=False)
            assert isinstance(data, xr.DataArray)
            out = data if bands is not None else data.isel(band=0, drop=True)
    if (scale, offset) != (1.0, 0.0) and not aligned:  # after masking: nodata is a stored value
        out = out * out.dtype.type(scale) + out.dtype.type(offset)
    out = out.assign_coords(x=grid.x_coords(), y=grid.y_coords())
    if bands is not None:
        out = out.assign_coords(band=np.arange(1, bands + 1))
    out.attrs = {"units": units if units is not None else "", "source": str(path), "input_id": name}
    out.encoding = {}
    out.name = name
    return with_grid_mapping(out, grid)


@functools.lru_cache(maxsize=8)
def _grid_mapping_attrs(crs_wkt: str, transform: tuple[float, ...]) -> dict[str, Any]:
    """The attributes rioxarray gives the ``spatial_ref`` coordinate of a raster in ``crs_wkt``
    with ``transform`` (CF grid mapping, WKT, GDAL GeoTransform)."""
    from affine import Affine

    template = xr.DataArray(np.zeros((1, 1)), dims=("y", "x"))
    template = template.rio.write_crs(crs_wkt).rio.write_transform(Affine(*transform))
    return dict(template.coords["spatial_ref"].attrs)


def with_grid_mapping(out: xr.DataArray, grid: GridSpec) -> xr.DataArray:
    """``out.rio.write_crs(grid.crs.to_wkt()).rio.write_transform(grid.transform)`` for a raster
    without a ``spatial_ref`` coordinate: the same coordinate, attributes and encoding, with the
    attributes made once per grid (rioxarray's calls cost ~1.9 ms of CPU per raster, ~0.1 ms
    this way; five inputs per run of ``water_yield``)."""
    attrs = _grid_mapping_attrs(grid.crs.to_wkt(), tuple(grid.transform)[:6])
    out = out.assign_coords(spatial_ref=xr.Variable((), 0, attrs=dict(attrs)))
    out.encoding["grid_mapping"] = "spatial_ref"
    return out


class BlockReader:
    """Reads windows of a raster file as the working float type, nodata set to NaN and the
    file's scale and offset applied, in one buffer: GDAL converts the type while decoding, the
    nodata cells are marked and scaled in place (no copy of the block, no second array).

    Each thread keeps its own open dataset (GDAL datasets are not shared between threads);
    pickled (a ``dask.distributed`` worker), the reader reopens the file where it runs.

    Parameters
    ----------
    path : str
        The raster file.
    count : int
        Bands read (1..count).
    shape : (int, int)
        Rows and columns of the file.
    work : numpy.dtype
        The type returned (:func:`working_dtype` of the file's type).
    fill : scalar or None
        The nodata value as a value of the file's type (:func:`typed_nodata`); None: no cell is
        nodata.
    scale, offset : float
        value = stored × scale + offset, applied after masking (nodata is a stored value).
    stored : numpy.dtype, optional
        The file's type; 64-bit integers are read as such and compared with ``fill`` before the
        conversion (float64 cannot tell every pair of them apart).
    """

    def __init__(self, path: str, count: int, shape: tuple[int, int], work: np.dtype,
                 fill: np.generic | None, scale: float = 1.0, offset: float = 0.0,
                 stored: np.dtype | None = None, layout: Any = None):
        self.path = path
        self.shape = (count, *shape)
        self.dtype = np.dtype(work)
        self.ndim = 3
        wide = stored is not None and np.dtype(stored).kind in "iu" and np.dtype(stored).itemsize > 4
        #: the type the file is decoded to, and ``fill`` in it
        self.read_type = np.dtype(stored) if wide and stored is not None else self.dtype
        self.fill = None if fill is None else self.read_type.type(fill)
        self.scale, self.offset = scale, offset
        #: where the blocks of an uncompressed file are (:func:`ecociv.grid.direct.layout`),
        #: with the file's size and modification time then; None: every read through GDAL
        self.layout = layout if layout is not None and self.read_type == self.dtype else None
        self._stamp = _stamp(path) if self.layout is not None else None
        self._local = threading.local()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_local"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._local = threading.local()

    def _dataset(self) -> rasterio.DatasetReader:
        src = getattr(self._local, "src", None)
        if src is None or src.closed:
            src = self._local.src = rasterio.open(self.path)
        return src

    def __getitem__(self, key: tuple[slice, slice, slice]) -> np.ndarray:
        bands, rows, cols = (k.indices(n) for k, n in zip(key, self.shape, strict=True))
        window = Window(cols[0], rows[0], cols[1] - cols[0], rows[1] - rows[0])
        raw = (read_ahead.take(self.path, rows[:2], cols[:2]) if bands[:2] == (0, 1) else None)
        if raw is None and self.layout is not None:
            out = self._read_direct(range(bands[0], bands[1]), rows[:2], cols[:2])
            if out is not None:
                if (self.scale, self.offset) != (1.0, 0.0):
                    out *= self.dtype.type(self.scale)
                    out += self.dtype.type(self.offset)
                return out
        if raw is None:  # not decoded ahead (ecociv.read_ahead: only while the CLI imports)
            raw = self._dataset().read(list(range(bands[0] + 1, bands[1] + 1)), window=window,
                                       out_dtype=self.read_type)
        elif raw.dtype != self.read_type:
            raw = raw.astype(self.read_type)[None]
        else:
            raw = raw[None]
        out = raw if raw.dtype == self.dtype else raw.astype(self.dtype)
        if self.fill is not None:
            np.copyto(out, self.dtype.type(np.nan), where=raw == self.fill)
        if (self.scale, self.offset) != (1.0, 0.0):
            out *= self.dtype.type(self.scale)
            out += self.dtype.type(self.offset)
        return out

    def _read_direct(self, bands: range, rows: tuple[int, int],
                     cols: tuple[int, int]) -> np.ndarray | None:
        """The window read from the file's blocks (:mod:`ecociv.grid.direct`), nodata as NaN, or
        None when the file changed since its layout was read or a block came up short."""
        from ecociv.grid import direct

        if self.layout is None:
            return None
        out = np.empty((len(bands), rows[1] - rows[0], cols[1] - cols[0]), self.dtype)
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return None
        try:
            info = os.fstat(fd)
            if (info.st_size, info.st_mtime_ns) != self._stamp:
                return None
            done = direct.read(fd, info.st_size, self.layout, bands, rows, cols, out, self.fill)
        finally:
            os.close(fd)
        return out if done else None

    def dask_array(self, chunks: tuple[int, ...], name: str) -> Any:
        """The whole raster as a dask array of ``chunks`` (bands, rows, cols), or band 1 as a
        2-D array of ``chunks`` (rows, cols), one read per chunk (no task per chunk to take
        the band out of a 3-D array: 112 tasks fewer in a 4000² run with seven one-band
        inputs)."""
        import dask.array as da
        from dask.base import tokenize

        source: Any = self if len(chunks) == 3 else _FirstBand(self)
        token = tokenize(self.path, os.path.getmtime(self.path), os.path.getsize(self.path),
                         self.shape, self.dtype.str, self.read_type.str, self.fill, self.scale,
                         self.offset, chunks)
        return da.from_array(source, chunks=chunks, name=f"{name}-{token}", lock=False,
                             asarray=False, fancy=False,
                             meta=np.empty((0,) * len(chunks), self.dtype))


class _FirstBand:
    """Band 1 of a :class:`BlockReader` as a 2-D array (rows, cols)."""

    def __init__(self, reader: BlockReader):
        self.reader = reader
        self.shape = reader.shape[1:]
        self.dtype = reader.dtype
        self.ndim = 2

    def __getitem__(self, key: tuple[slice, slice]) -> np.ndarray:
        return self.reader[(slice(0, 1), *key)][0]


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns


def _direct_layout(path: str | Path, src: rasterio.DatasetReader) -> Any:
    """The block layout of an uncompressed GeoTIFF read without GDAL (None: through GDAL)."""
    from ecociv.grid import direct

    if not direct.enabled():
        return None
    return direct.layout(str(path), src)


def _rounded(bounds: tuple[float, float, float, float]) -> tuple[float, ...]:
    return tuple(float(f"{v:.6g}") for v in bounds)


def from_array(
    values: np.ndarray, grid: GridSpec, *, name: str, units: str | None = "", nodata: float | None = None
) -> xr.DataArray:
    """Wrap an in-memory array as a raster on ``grid`` (NaN or ``nodata`` = missing); a 3-D array
    (bands, rows, cols) becomes a multi-band raster with dims ("band", "y", "x")."""
    values = np.asarray(values)
    if values.shape[-2:] != grid.shape or values.ndim not in (2, 3):
        raise InputError(f"array shape {values.shape} != grid shape {grid.shape}", source=name)
    data = values.astype(np.float64)
    if nodata is not None:
        data = np.where(values == nodata, np.nan, data)
    coords: dict[str, Any] = {"y": grid.y_coords(), "x": grid.x_coords()}
    dims: tuple[str, ...] = ("y", "x")
    if values.ndim == 3:
        dims = ("band", "y", "x")
        coords["band"] = np.arange(1, values.shape[0] + 1)
    out = xr.DataArray(data, dims=dims, coords=coords, name=name)
    out.attrs = {"units": units or "", "input_id": name}
    return with_grid_mapping(out, grid)


def grid_of_array(data: xr.DataArray) -> GridSpec:
    """The grid a DataArray lives on (needs rioxarray CRS and transform)."""
    crs = data.rio.crs
    if crs is None:
        raise InputError("raster has no CRS", source=str(data.name))
    return GridSpec.from_crs(crs.to_wkt(), data.rio.transform(), (int(data.shape[-2]), int(data.shape[-1])))
