"""Writing rasters as Cloud-Optimized GeoTIFFs with ``units``, ``long_name``, nodata and the
model id in their tags: chunks are streamed into a tiled GeoTIFF, then copied to the COG; or,
when the outputs fit in :func:`memory_budget`, cast into arrays the COGs are written from
directly (the same files). Single-band float32 outputs (with overviews computed by ecociv, or
none) skip the tiled file: their tiles are compressed as the chunks pass and the COG is
assembled by :mod:`ecociv.grid.cog` (the same pixels, overviews, tags and layout as GDAL's COG
driver). Class rasters get MODE overviews, a colour table and, beside them in
``<name>.tif.aux.xml``, category names and a raster attribute table."""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import dask
import dask.array as da
import numpy as np
import rasterio
import rasterio.shutil
import xarray as xr
from rasterio.windows import Window

from ecociv.errors import InputError, OutputError
from ecociv.grid.spec import GridSpec

log = logging.getLogger(__name__)

TILE = 256
NODATA = {"float32": -3.4028234663852886e38, "float64": -1.7976931348623157e308,
          "int16": -32768, "int32": -2147483648, "uint8": 255}


@dataclass(frozen=True)
class RasterMeta:
    """What goes into the tags of a written raster."""

    units: str | None
    long_name: str
    model_id: str
    output_id: str
    dtype: str = "float32"
    categorical: bool = False
    #: number of bands (e.g. 12 months); None = one band
    bands: int | None = None
    #: a name per band (e.g. the threats of a threat table), written as band descriptions
    band_names: tuple[str, ...] | None = None
    #: classes of a categorical raster as (code, name, colour '#rrggbb')
    categories: tuple[tuple[int, str, str], ...] = ()


class _WindowTarget:
    """A dask ``store`` target that writes each chunk into a window of a tiled GeoTIFF.

    Picklable: on a distributed cluster each write reopens the file under a cluster-wide lock.
    """

    def __init__(self, path: str, dtype: str, nodata: float, lock: Any, keep_open: bool,
                 pyramid: Any = None, tiles: Any = None):
        self.path = path
        #: a :class:`ecociv.grid.cog.LevelTiles` encoding the tiles of the pyramid's levels as
        #: the blocks complete their rows of tiles (with ``tiles`` and ``pyramid``)
        self.levels: Any = None
        if tiles is not None and pyramid is not None and pyramid.valid:
            from ecociv.grid.cog import LevelTiles

            self.levels = LevelTiles(pyramid.arrays[0], tiles.codec)
        #: overview levels filled from the blocks as they pass (:mod:`ecociv.grid.overviews`)
        self.pyramid = pyramid
        #: a :class:`ecociv.grid.cog.TileWriter` compressing the blocks into COG tiles as they
        #: pass, in place of the tiled file (None: the blocks go to the file at ``path``)
        self.tiles = tiles
        self.dtype = dtype
        self.nodata = nodata
        self.lock = lock
        self.keep_open = keep_open
        self._dataset: rasterio.io.DatasetWriter | None = None
        #: set by close(): a block arriving later (a task still running when the pass failed
        #: elsewhere) is dropped instead of written into a closed or deleted file
        self._closed = False

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_dataset"] = None
        state["keep_open"] = False
        state["pyramid"] = None  # on a cluster the blocks are written elsewhere: GDAL computes
        state["tiles"] = None
        state["levels"] = None
        return state

    def open(self) -> None:
        self._dataset = rasterio.open(self.path, "r+")

    def close(self) -> None:
        if self.tiles is not None:
            self.tiles.close()
        if not self.keep_open:
            return
        # under the lock: when a chunk fails, dask raises in the caller while other threads may
        # still be writing; closing the dataset under such a write crashed the process (SIGSEGV)
        with self.lock:
            self._closed = True
            if self._dataset is not None:
                self._dataset.close()
                self._dataset = None

    def __setitem__(self, key: tuple[slice, ...], block: np.ndarray) -> None:
        if len(key) == 3:  # (band, rows, cols) of a multi-band raster
            band_slice, rows, cols = key
            indexes: int | list[int] = list(range(band_slice.start + 1, band_slice.stop + 1))
        else:
            rows, cols = key
            indexes = 1
        if (self.tiles is not None and block.ndim == 2 and block.dtype.kind == "f"
                and block.dtype.itemsize in (4, 8)):
            self._to_tiles(rows.start, cols.start, block)
            return
        window = Window(cols.start, rows.start, cols.stop - cols.start, rows.stop - rows.start)
        values = _cast_block(block, np.dtype(self.dtype), self.nodata, self.path)
        if self.pyramid is not None:  # outside the lock: blocks fill disjoint parts
            if values.ndim == 3:
                for offset in range(values.shape[0]):
                    self.pyramid.add(band_slice.start + offset, rows.start, cols.start,
                                     values[offset])
            else:
                self.pyramid.add(0, rows.start, cols.start, values)
        if self.tiles is not None:  # one band: compressed as its rows of tiles complete
            self.tiles.add(rows.start, cols.start, values[0] if values.ndim == 3 else values)
            return
        with self.lock:
            if self._closed:
                return
            if self.keep_open and self._dataset is not None:
                self._dataset.write(values, indexes, window=window)
            else:
                with rasterio.open(self.path, "r+") as dst:
                    dst.write(values, indexes, window=window)

    def _to_tiles(self, row: int, col: int, block: np.ndarray) -> None:
        """Cast the float ``block`` (top-left cell (``row``, ``col``)) straight into the
        buffers of its rows of tiles (no cast copy of it, no second copy into them), the
        pyramid's levels taken from there."""
        from ecociv.grid.cog import to_float32

        for top, cells in self.tiles.parts(row, col, block.shape[0], block.shape[1]):
            to_float32(block[top - row:top - row + cells.shape[0]], self.nodata, cells)
            if self.pyramid is not None:
                self.pyramid.add(0, top, col, cells)
                if self.levels is not None and self.pyramid.valid:
                    self.levels.filled(top, col, *cells.shape)
            self.tiles.filled(top, col, cells.shape)


def _cast_block(block: np.ndarray, target: np.dtype, nodata: float, path: str) -> np.ndarray:
    """``block`` in the output type ``target`` with NaN cells set to ``nodata``.

    Raises
    ------
    OutputError
        If an integer output holds a value its type cannot (casting would wrap around silently:
        300 -> 44 in uint8).
    """
    if target.kind in "iu" and block.size:
        info = np.iinfo(target)
        finite = block[np.isfinite(block)] if block.dtype.kind == "f" else block
        if finite.size and (finite.min() < info.min or finite.max() > info.max):
            bad = finite.min() if finite.min() < info.min else finite.max()
            name = Path(path).name.removeprefix(".").removesuffix(".tiled.tif").removesuffix(".tif")
            raise OutputError(f"output '{name}' holds {bad:g}, outside the range of its "
                              f"declared type {target} [{info.min}, {info.max}]")
    if block.dtype.kind == "f" and target.kind == "f":
        # cast first, then mark the NaN cells of the cast copy: one pass less than np.where
        # on the (float64) block, and half the bytes
        values = block.astype(target, copy=True)
        np.copyto(values, target.type(nodata), where=np.isnan(values))
        return values
    if block.dtype.kind == "f":
        return np.where(np.isnan(block), nodata, block).astype(target, copy=False)
    return block.astype(target, copy=False)


def _create_tiled(path: Path, grid: GridSpec, meta: RasterMeta, nodata: float) -> None:
    profile = {
        "driver": "GTiff",
        "width": grid.cols,
        "height": grid.rows,
        "count": meta.bands or 1,
        "dtype": meta.dtype,
        "crs": grid.crs.to_wkt(),
        "transform": grid.transform,
        "nodata": nodata,
        "tiled": True,
        "blockxsize": TILE,
        "blockysize": TILE,
        "BIGTIFF": "IF_SAFER",
        "SPARSE_OK": "TRUE",
    }
    with rasterio.open(path, "w", **profile) as dst:
        _describe(dst, meta)


def _describe(dst: Any, meta: RasterMeta) -> None:
    """Write ``meta`` into an open dataset: tags, band descriptions, units and colour table."""
    # dimensionless quantities are tagged "1" (the CF/UDUNITS convention); class codes, which are
    # not quantities, carry no units tag
    units = "1" if meta.units == "" else meta.units
    tags = {"long_name": meta.long_name, "model_id": meta.model_id, "output_id": meta.output_id}
    if units is not None:
        tags["units"] = units
    dst.update_tags(**tags)
    for index in range(1, (meta.bands or 1) + 1):
        if meta.band_names:
            label = f"{meta.long_name}: {meta.band_names[index - 1]}"
        else:
            label = meta.long_name if meta.bands is None else f"{meta.long_name}, band {index}"
        dst.update_tags(index, long_name=label, **({"units": units} if units else {}))
        dst.set_band_description(index, label)
        if units:
            dst.set_band_unit(index, units)
        if meta.categories and meta.dtype == "uint8":  # TIFF holds colour tables of bytes
            dst.write_colormap(index, {code: _rgba(colour) for code, _, colour in meta.categories})


#: Upper bound (MiB) of GDAL's block cache while a run computes and writes. GDAL's default, 5 %
#: of RAM (1.2 GB on a 24 GB machine), lets dirty blocks of the intermediate tiled files pile
#: up to that size; chunk-aligned reads and writes gain nothing from a cache, and the COG copy
#: of three 4000² rasters took 0.76 s with 64 MiB as with 256 MiB, 1.30 s with none
#: (benchmarks/RESULTS.md). An explicit GDAL_CACHEMAX environment variable is left alone.
WRITE_CACHE_MB = 64


def _bounded_block_cache() -> Any:
    """A ``rasterio.Env`` capping GDAL's (process-wide) block cache at ``WRITE_CACHE_MB``."""
    from contextlib import nullcontext

    if os.environ.get("GDAL_CACHEMAX"):
        return nullcontext()
    try:
        current = float(rasterio.env.get_gdal_config("GDAL_CACHEMAX"))
    except (TypeError, ValueError):
        return nullcontext()
    current_mb = current if current < 100_000 else current / 2**20  # GDAL: < 100000 means MB
    if current_mb <= WRITE_CACHE_MB:
        return nullcontext()
    return rasterio.Env(GDAL_CACHEMAX=WRITE_CACHE_MB * 2**20)  # rasterio passes an int as bytes


#: compressions offered for the written COGs: ZSTD (smaller and faster; GDAL >= 2.3, QGIS >= 3.4)
#: or DEFLATE, which every GeoTIFF reader opens
COMPRESSIONS = ("zstd", "deflate")
#: environment variable choosing the compression when no ``compress`` argument is given
COMPRESS_ENV = "ECOCIV_COMPRESS"


_CHOSEN: contextvars.ContextVar[str | None] = contextvars.ContextVar("ecociv_compress", default=None)


def compression(compress: str | None = None) -> str:
    """The compression to write: ``compress``, else the one chosen by :func:`raster_compression`,
    else ``$ECOCIV_COMPRESS``, else ``"zstd"``.

    Raises
    ------
    InputError
        If the value is not one of :data:`COMPRESSIONS`.
    """
    source = "compress option"
    if compress is None:
        compress = _CHOSEN.get()
    if compress is None:
        compress = os.environ.get(COMPRESS_ENV) or "zstd"
        source = f"environment variable {COMPRESS_ENV}" if os.environ.get(COMPRESS_ENV) else source
    value = compress.strip().lower()
    if value not in COMPRESSIONS:
        raise InputError(f"unknown raster compression {compress!r}; expected one of "
                         f"{', '.join(COMPRESSIONS)}", source=source)
    return value


@contextlib.contextmanager
def raster_compression(compress: str | None) -> Iterator[None]:
    """Write the rasters of the runs inside the block with ``compress`` (``None``: unchanged).

    Raises
    ------
    InputError
        If ``compress`` is not one of :data:`COMPRESSIONS` (on entering the block).
    """
    token = _CHOSEN.set(compression(compress) if compress is not None else _CHOSEN.get())
    try:
        yield
    finally:
        _CHOSEN.reset(token)


#: cells of the longer side above which an output's COG has overviews
OVERVIEWS_ABOVE = 2048


def _with_overviews(shape: tuple[int, ...]) -> bool:
    """Whether the COG of an output of ``shape`` (rows, cols) gets overviews."""
    return max(shape) > OVERVIEWS_ABOVE


def _cog_options(big: bool, meta: RasterMeta, compress: str) -> dict[str, str]:
    """Creation options of the COG driver for every written raster."""
    options = {
        "driver": "COG",
        "COMPRESS": compress.upper(),
        "PREDICTOR": "YES",
        "NUM_THREADS": "ALL_CPUS",
        "BLOCKSIZE": "512",
        "BIGTIFF": "IF_SAFER",
        "OVERVIEWS": "AUTO" if big else "NONE",
        # the most frequent class of each block: NEAREST keeps one arbitrary cell of it and
        # AVERAGE invents codes between classes
        "OVERVIEW_RESAMPLING": "MODE" if meta.categorical else "AVERAGE",
    }
    if compress == "zstd":
        options["LEVEL"] = "1"
    return options


def _cog_workers(files: int) -> int:
    """Threads writing ``files`` COGs: all of them, up to twice the cores. GDAL computes a
    file's overviews on one thread: with one thread per core, the third of three equal files
    on two cores is written alone after the first two, on one core; side by side, the system
    shares both cores among the three."""
    return max(1, min(files, 2 * (os.cpu_count() or 1)))


def _to_cog(tmp: Path, path: Path, meta: RasterMeta, compress: str,
            written: Callable[[Path], Any] | None = None, pyramid: Any = None,
            grid: GridSpec | None = None, tiles: Any = None, levels: Any = None,
            tags: dict[int, tuple[int, int, bytes]] | None = None) -> None:
    """Copy the tiled GeoTIFF ``tmp`` to the COG ``path`` (with the overviews of ``pyramid``
    when it holds them, see :func:`_copy_with_pyramid`), then call ``written(path)``.

    With ``tiles`` (a :class:`ecociv.grid.cog.TileWriter` that took the blocks instead of
    ``tmp``): the COG is assembled from its compressed tiles and the levels of ``pyramid``;
    should the pyramid have been dropped, its tiles are first assembled into ``tmp``, which
    GDAL's COG driver then copies, computing the overviews. ``levels``: the
    :class:`ecociv.grid.cog.LevelTiles` of the pyramid's levels, if any (else they are
    encoded here); ``tags``: the tags of :func:`ecociv.grid.cog.header_for` for it, if made
    already."""
    if tiles is not None:
        from ecociv.grid import cog

        assert grid is not None
        if tags is None:
            tags = _own_header(grid, meta)
        if (pyramid is not None and pyramid.valid) or not _with_overviews(grid.shape):
            if levels is not None and pyramid is not None:
                encoded = levels.encoded()
            else:
                encoded = [(level.shape, cog.encode_tiles(level, tiles.codec))
                           for level in (pyramid.arrays[0] if pyramid is not None else [])]
            digest = _digest_as_written(written)
            state = cog.assemble(path, grid.shape, tags, encoded, tiles, tiles.codec, digest)
            # here rather than by the caller after every COG: freeing its pages (38 MB: 2.4
            # CPU-ms) on this thread, beside the other COGs
            tiles.scratch.unlink(missing_ok=True)
            _remember(path, state, digest)
            if written is not None:
                written(path)
            return
        cog.assemble(tmp, grid.shape, tags, [], tiles, tiles.codec)
        tiles.scratch.unlink(missing_ok=True)
        pyramid = None
    with rasterio.open(tmp) as src:
        big = _with_overviews(src.shape)
        bands = src.count
    if pyramid is not None and pyramid.dropped:
        log.debug("overviews of %s computed by GDAL: %s", path.name, pyramid.dropped)
    if pyramid is not None and pyramid.valid and grid is not None:
        _copy_with_pyramid(str(tmp), list(range(1, bands + 1)), path, grid, meta, compress,
                           pyramid)
    else:
        # The COG driver computes the overviews into a temporary file, ZSTD-compressed by
        # default, then reads them back to copy them into the COG: uncompressed, the copy of a
        # 4000² float32 raster takes 0.55 s of CPU instead of 0.85 s (the COG written is the
        # same, byte for byte in its pixels; benchmarks/RESULTS.md, water_yield).
        with rasterio.Env(COG_TMP_COMPRESSION="NONE"):
            rasterio.shutil.copy(str(tmp), str(path), **_cog_options(big, meta, compress))
    if meta.categories:
        write_class_sidecar(path, meta.categories, bands=meta.bands or 1)
    if written is not None:
        written(path)


def _own_header(grid: GridSpec, meta: RasterMeta) -> dict[int, tuple[int, int, bytes]]:
    """The tags of an output's COG that ecociv assembles (:func:`ecociv.grid.cog.header_for`)."""
    from ecociv.grid import cog

    return cog.header_for(grid, meta, NODATA[meta.dtype], _describe)


def _digest_as_written(written: Callable[[Path], Any] | None) -> Any:
    """A :mod:`hashlib` object fed the bytes of a COG as ecociv writes it, when ``written`` is
    :func:`ecociv.io.hashing.file_digest` (which then finds the digest instead of reading the
    file back: 0.03 CPU-s less for three 4000² outputs); else None."""
    if written is None:
        return None
    from ecociv.io import hashing

    return hashing.new_digest() if written is hashing.file_digest else None


def _remember(path: Path, state: os.stat_result | None, digest: Any) -> None:
    """Record the digest of the COG ``path`` computed as it was written (see
    :func:`_digest_as_written`) for the state ``state`` it had after its last write."""
    if digest is not None and state is not None:
        from ecociv.io import hashing

        hashing.remember_digest(path, state, digest.hexdigest())


def _copy_with_pyramid(source: str, bands: list[int], path: Path, grid: GridSpec,
                       meta: RasterMeta, compress: str, pyramid: Any) -> None:
    """Write the COG ``path`` from ``source`` (a file or MEM dataset name) with the overview
    levels computed by ecociv (``pyramid``) instead of GDAL's: the same file, less CPU."""
    from ecociv.grid.overviews import VRT_OPTIONS, cog_source

    vrt = path.with_name(f".{path.stem}.overviews.vrt")
    try:
        cog_source(vrt, source, bands, grid.crs_wkt, grid.transform.to_gdal(), grid.shape,
                   pyramid)
        with rasterio.Env(COG_TMP_COMPRESSION="NONE", **VRT_OPTIONS):
            with rasterio.open(vrt, "r+") as dst:
                _describe(dst, meta)
                rasterio.shutil.copy(dst, str(path), **_cog_options(True, meta, compress))
    finally:
        vrt.unlink(missing_ok=True)


#: GDAL names of the NumPy types written (``DATATYPE`` of a MEM dataset name)
_GDAL_TYPES = {"uint8": "Byte", "int8": "Int8", "uint16": "UInt16", "int16": "Int16",
               "uint32": "UInt32", "int32": "Int32", "float32": "Float32", "float64": "Float64"}


def _mem_georeferenced_open() -> bool:
    """Whether GDAL opens a MEM dataset name with its ``GEOTRANSFORM`` (GDAL >= 3.7)."""
    version = tuple(int(part) for part in rasterio.__gdal_version__.split(".")[:2])
    return version >= (3, 7)


def _mem_dataset_name(values: np.ndarray, grid: GridSpec) -> str:
    """The GDAL name of a MEM dataset over ``values`` (bands, rows, cols) on ``grid``."""
    bands, rows, cols = values.shape
    band_step, line_step, pixel_step = values.strides
    geotransform = "/".join(repr(float(v)) for v in grid.transform.to_gdal())
    return (f"MEM:::DATAPOINTER={values.__array_interface__['data'][0]},PIXELS={cols},"
            f"LINES={rows},BANDS={bands},DATATYPE={_GDAL_TYPES[values.dtype.name]},"
            f"PIXELOFFSET={pixel_step},LINEOFFSET={line_step},BANDOFFSET={band_step},"
            f"GEOTRANSFORM={geotransform}")


def _memory_dataset(values: np.ndarray, grid: GridSpec, nodata: float) -> Any:
    """A GDAL in-memory (MEM) dataset over ``values`` (bands, rows, cols), georeferenced from
    the moment it is opened; the caller keeps ``values`` alive while it is open.

    The array is wrapped, not copied: GDAL opens a ``MEM:::DATAPOINTER=...`` name that carries
    the geotransform. rasterio's ``MemoryDataset`` opens the array without one, sets it just
    after and hides the NotGeoreferencedWarning of that moment with ``warnings.catch_warnings``,
    which saves and restores the process-wide warning filters: with writes in two threads
    (two scenario steps at once) one thread's restore let the other's warning through ("Dataset
    has no geotransform ..."; in a stress test about 1 in 8,000 opens; the files were right).
    Nothing here warns, so nothing needs hiding. GDAL < 3.7 does not read ``GEOTRANSFORM``
    from the name: there the array is copied into a MEM dataset created with it.
    """
    bands, rows, cols = values.shape
    if not _mem_georeferenced_open() or values.dtype.name not in _GDAL_TYPES:
        dst = rasterio.open("", "w", driver="MEM", width=cols, height=rows, count=bands,
                            dtype=values.dtype.name, crs=grid.crs.to_wkt(),
                            transform=grid.transform, nodata=nodata)
        dst.write(values)
        return dst
    name = _mem_dataset_name(values, grid)
    # GDAL >= 3.10 opens MEM names only when asked (rasterio's Env is per thread in threads)
    with rasterio.Env(GDAL_MEM_ENABLE_OPEN="YES"):
        dst = rasterio.open(name, "r+")
    dst.crs = grid.crs.to_wkt()
    dst.nodata = nodata
    return dst


def _array_to_cog(values: np.ndarray, path: Path, grid: GridSpec, meta: RasterMeta,
                  nodata: float, compress: str, digest: Any = None) -> None:
    """Write the COG ``path`` straight from ``values`` (bands, rows, cols), already in the
    output type with nodata marked: no intermediate file; the overviews computed by ecociv
    where :class:`ecociv.grid.overviews.Pyramid` applies, else by GDAL from the array (the
    same levels, resampling and pixels as the copy of a tiled file). ``digest``: see
    :func:`_digest_as_written`."""
    big = _with_overviews(grid.shape)
    pyramid = _pyramid(grid, meta, nodata) if big else None
    if pyramid is not None:
        pyramid.add_array(values)
    own = _own_codec(meta, compress, pyramid, grid.shape)
    if own is not None and (not big or (pyramid is not None and pyramid.valid)):
        from ecociv.grid import cog

        levels = pyramid.arrays[0] if pyramid is not None else []
        state = cog.assemble(path, grid.shape, cog.header_for(grid, meta, nodata, _describe),
                             [(level.shape, cog.encode_tiles(level, own)) for level in levels],
                             cog.encode_tiles(values[0], own), own, digest)
        _remember(path, state, digest)
    elif pyramid is not None and pyramid.valid:
        _copy_with_pyramid(_mem_dataset_name(values, grid), list(range(1, values.shape[0] + 1)),
                           path, grid, meta, compress, pyramid)
    else:
        with rasterio.Env(COG_TMP_COMPRESSION="NONE"), _memory_dataset(values, grid, nodata) as dst:
            _describe(dst, meta)
            rasterio.shutil.copy(dst, str(path), **_cog_options(big, meta, compress))
    if meta.categories:
        write_class_sidecar(path, meta.categories, bands=meta.bands or 1)


#: environment variable: ``0`` makes GDAL compute every overview (the check of
#: :mod:`ecociv.grid.overviews` against GDAL, and a way out should they ever differ)
OVERVIEWS_ENV = "ECOCIV_OWN_OVERVIEWS"

#: environment variable: ``0`` makes GDAL's COG driver write every COG (the check of
#: :mod:`ecociv.grid.cog` against GDAL, and a way out should they ever differ)
OWN_COG_ENV = "ECOCIV_OWN_COG"


def _own_codec(meta: RasterMeta, compress: str, pyramid: Any, shape: tuple[int, int]) -> Any:
    """The compressor with which ecociv writes an output's COG itself (:mod:`ecociv.grid.cog`),
    or None where GDAL's COG driver writes it: outputs of more than one band, other types
    than float32, outputs with overviews (:func:`_with_overviews`) that GDAL computes
    (no ``pyramid``), no library of the compression found, or ``$ECOCIV_OWN_COG=0``."""
    if ((pyramid is None and _with_overviews(shape)) or (meta.bands or 1) != 1
            or meta.dtype != "float32" or meta.categorical
            or os.environ.get(OWN_COG_ENV, "").strip() == "0"):
        return None
    from ecociv.grid import cog

    return cog.codec(compress)


#: MiB the overview levels of the outputs of one write may hold (they are kept until each COG
#: is written; a 4000² float32 output's levels are 21 MB, a 16000² one's 341 MB): beyond it
#: (and beyond an eighth of the memory available) GDAL computes the overviews, as before, so
#: runs near their memory limit (16000², 12-band outputs) do not grow
OVERVIEW_MEMORY_MB = 160


def _overview_budget() -> int:
    """Bytes the overview levels of one write may take (see :data:`OVERVIEW_MEMORY_MB`)."""
    budget = OVERVIEW_MEMORY_MB * 2**20
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return min(budget, int(line.split()[1]) * 1024 // 8)
    except OSError:
        pass
    return budget


def _pyramid(grid: GridSpec, meta: RasterMeta, nodata: float, budget: list[int] | None = None) -> Any:
    """A :class:`ecociv.grid.overviews.Pyramid` for an output, or None where GDAL computes
    the overviews (small or categorical outputs, sides not halving exactly, switched off, or
    levels beyond what is left of ``budget``, a one-item list of bytes, decreased here)."""
    if not _with_overviews(grid.shape) or os.environ.get(OVERVIEWS_ENV, "").strip() == "0":
        return None
    from ecociv.grid.overviews import Pyramid

    if not Pyramid.applies(grid.shape, meta.dtype, meta.categorical):
        return None
    size = Pyramid.nbytes(grid.shape, meta.bands or 1, meta.dtype)
    budget = budget if budget is not None else [_overview_budget()]
    if size > budget[0]:
        return None
    budget[0] -= size
    return Pyramid(grid.shape, meta.bands or 1, meta.dtype, nodata)


class _ArrayTarget:
    """A dask ``store`` target casting each chunk into its place in an output-typed array."""

    def __init__(self, values: np.ndarray, nodata: float, path: str):
        self.values = values
        self.nodata = nodata
        self.path = path

    def __setitem__(self, key: tuple[slice, ...], block: np.ndarray) -> None:
        into = self.values[key] if len(key) == 3 else self.values[0][key]
        _cast_into(into, block, self.nodata, self.path)


def _cast_into(into: np.ndarray, block: np.ndarray, nodata: float, path: str) -> None:
    """Cast ``block`` into the view ``into`` as :func:`_cast_block` does, with no copy."""
    target = into.dtype
    if target.kind in "iu" or block.dtype.kind != "f":
        into[...] = _cast_block(block, target, nodata, path)
        return
    np.copyto(into, block, casting="unsafe")
    np.copyto(into, target.type(nodata), where=np.isnan(into))


#: environment variable: MiB of memory the outputs of one write may hold (``0``: always write
#: through a tiled intermediate file)
MEMORY_ENV = "ECOCIV_WRITE_MEMORY_MB"

#: Default of ``$ECOCIV_WRITE_MEMORY_MB``. Writing from memory saves the intermediate file but
#: keeps every output whole in memory until its COG is written: on three 4000² float32 outputs
#: (192 MB) it took 1.57 instead of 1.77 CPU-s (medians of 6 alternations, load 16), and
#: ``water_yield``'s peak RSS rose from 0.67 to 1.01 GB; the COG encoding itself (overviews,
#: ZSTD with the floating-point predictor) is most of the cost either way
#: (benchmarks/RESULTS.md, "Raster read/write floor"). So only small outputs (the Belt's, tests)
#: take this path unless the variable asks for more: six 732 × 1294 outputs in 0.16 instead of
#: 0.18 CPU-s and 0.22 instead of 0.28 s wall. (It was off for a while after a CI demo run with
#: two steps at once printed rasterio's "Dataset has no geotransform" warning: the MEM dataset
#: is now opened with its geotransform, see :func:`_memory_dataset`.)
WRITE_MEMORY_MB = 64


def memory_budget() -> int:
    """Bytes the outputs of one :func:`write_rasters` call may hold in memory, to be written as
    COGs straight from there: ``$ECOCIV_WRITE_MEMORY_MB`` MiB when set, else
    :data:`WRITE_MEMORY_MB`, in either case at most a quarter of the memory available now
    (``MemAvailable``) and of an address-space limit (``RLIMIT_AS``, e.g. ``prlimit --as``).
    Larger outputs go through a tiled file on disk."""
    setting = os.environ.get(MEMORY_ENV, "").strip()
    wanted = WRITE_MEMORY_MB * 2**20
    if setting:
        try:
            wanted = max(0, int(float(setting) * 2**20))
        except ValueError:
            raise InputError(f"{MEMORY_ENV} must be a number of MiB, got {setting!r}",
                             source=f"environment variable {MEMORY_ENV}") from None
    if wanted == 0:
        return 0
    budget = wanted
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    budget = min(budget, int(line.split()[1]) * 1024 // 4)
                    break
    except OSError:
        pass  # not Linux: the setting alone
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            budget = min(budget, soft // 4)
    except (ImportError, OSError, ValueError):
        pass
    return budget


def _rgba(colour: str) -> tuple[int, int, int, int]:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16), 255)


def write_class_sidecar(path: Path, categories: Sequence[tuple[int, str, str]], *, bands: int = 1,
                        colour_table: bool = False) -> Path:
    """Write ``<path>.aux.xml`` (GDAL PAM) with the class names and a thematic raster attribute
    table (Value, Name, Red, Green, Blue, Alpha) of every band, read by QGIS, ArcGIS and GDAL.

    Parameters
    ----------
    path : Path
        The GeoTIFF the classes belong to.
    categories : sequence of (code, name, colour '#rrggbb')
        The classes.
    bands : int
        Number of bands of the raster.
    colour_table : bool
        Also write the colours as the bands' colour table (for a raster whose file has none,
        such as a copy made by the COG driver).

    Returns
    -------
    Path
        The written ``.aux.xml``.
    """
    from xml.etree import ElementTree as ET

    root = ET.Element("PAMDataset")
    by_code = {code: (name, colour) for code, name, colour in categories}
    for index in range(1, bands + 1):
        band = ET.SubElement(root, "PAMRasterBand", band=str(index))
        if min(by_code) >= 0 and max(by_code) < 256:
            if colour_table:
                ET.SubElement(band, "ColorInterp").text = "Palette"
                table = ET.SubElement(band, "ColorTable")
                for code in range(max(by_code) + 1):
                    red, green, blue, alpha = (_rgba(by_code[code][1]) if code in by_code
                                               else (0, 0, 0, 0))
                    ET.SubElement(table, "Entry", c1=str(red), c2=str(green), c3=str(blue),
                                  c4=str(alpha))
            # GDAL category names are a list indexed by code from 0
            names = ET.SubElement(band, "CategoryNames")
            for code in range(max(by_code) + 1):
                ET.SubElement(names, "Category").text = by_code[code][0] if code in by_code else ""
        rat = ET.SubElement(band, "GDALRasterAttributeTable", tableType="thematic")
        # GDAL field types (0 integer, 2 string) and usages (5 MinMax, 2 Name, 6-9 RGBA)
        fields = [("Value", 0, 5), ("Name", 2, 2), ("Red", 0, 6), ("Green", 0, 7), ("Blue", 0, 8),
                  ("Alpha", 0, 9)]
        for position, (name, kind, usage) in enumerate(fields):
            definition = ET.SubElement(rat, "FieldDefn", index=str(position))
            ET.SubElement(definition, "Name").text = name
            ET.SubElement(definition, "Type").text = str(kind)
            ET.SubElement(definition, "Usage").text = str(usage)
        for row, (code, name, colour) in enumerate(sorted(categories)):
            element = ET.SubElement(rat, "Row", index=str(row))
            for value in (code, name, *_rgba(colour)):
                ET.SubElement(element, "F").text = str(value)
    ET.indent(root)
    sidecar = path.with_name(path.name + ".aux.xml")
    sidecar.write_text(ET.tostring(root, encoding="unicode") + "\n", encoding="utf-8")
    return sidecar


#: colours of classes that declare none (ColorBrewer Set3, then Paired)
CLASS_PALETTE = ("#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69",
                 "#fccde5", "#d9d9d9", "#bc80bd", "#ccebc5", "#ffed6f", "#a6cee3", "#1f78b4",
                 "#b2df8a", "#33a02c", "#fb9a99", "#e31a1c", "#fdbf6f", "#ff7f00")


def palette_classes(names: Mapping[int, str]) -> tuple[tuple[int, str, str], ...]:
    """Classes (code, name, colour) from names alone, coloured from :data:`CLASS_PALETTE` in code
    order."""
    return tuple((int(code), str(name), CLASS_PALETTE[position % len(CLASS_PALETTE)])
                 for position, (code, name) in enumerate(sorted(names.items(),
                                                                key=lambda item: int(item[0]))))


def _as_array(value: Any) -> Any:
    """A ``Delayed`` as a 0-d object dask array. dask >= 2025 returns the results of one
    ``compute`` call out of order when dask arrays and delayed objects are mixed (arrays
    first), so every lazy value is made an array."""
    from dask.delayed import Delayed

    return da.from_delayed(value, shape=(), dtype=object) if isinstance(value, Delayed) else value


def compute_in_order(*values: Any) -> tuple[Any, ...]:
    """``dask.compute(*values)`` in one pass, results in the order of ``values`` (see
    ``_as_array``); non-dask values pass through."""
    return tuple(dask.compute(*[_as_array(value) for value in values]))


def write_rasters(
    items: Sequence[tuple[xr.DataArray, Path, RasterMeta]],
    grid: GridSpec,
    *,
    extra: Sequence[Any] = (),
    distributed_lock: bool = False,
    compress: str | None = None,
    written: Callable[[Path], Any] | None = None,
) -> list[Any]:
    """Compute and write several rasters (and other lazy results) in one pass.

    Parameters
    ----------
    items : sequence of (DataArray, path, RasterMeta)
        Rasters on ``grid`` to write as COGs.
    grid : GridSpec
        The run's grid.
    extra : sequence
        Other dask/delayed objects (e.g. zonal tables) computed in the same pass, so shared
        intermediate results are computed once.
    distributed_lock : bool
        Use a cluster-wide lock (when a ``dask.distributed`` client is active).
    compress : {"zstd", "deflate"}, optional
        Compression of the COGs; default ``$ECOCIV_COMPRESS`` or ZSTD (see :func:`compression`).
    written : callable, optional
        Called with the path of each COG once it is complete, on the thread that wrote it,
        while other COGs may still be written (e.g. to hash it meanwhile).

    Returns
    -------
    list
        The computed values of ``extra``.

    Notes
    -----
    When the outputs fit in :func:`memory_budget` (and no cluster is used), each chunk is cast
    into an array of the output type and the COG is written straight from that array; else the
    chunks are streamed into a tiled GeoTIFF on disk that is then copied to the COG. Both give
    the same file contents (pixels, overviews, tags).
    """
    codec = compression(compress)
    needed = sum(grid.rows * grid.cols * np.dtype(meta.dtype).itemsize * (meta.bands or 1)
                 for _, _, meta in items)
    if items and not distributed_lock and needed <= memory_budget():
        return _write_from_memory(items, grid, extra, codec, written)
    targets: list[_WindowTarget] = []
    sources: list[da.Array] = []
    tmps: list[Path] = []
    scratches: list[Path] = []  # compressed tiles of the COGs ecociv writes itself
    overview_budget = [_overview_budget()]
    for data, path, meta in items:
        nodata = NODATA[meta.dtype]
        tmp = path.with_name(f".{path.stem}.tiled.tif")
        # One lock per file: writes into different files may run at the same time. On a cluster
        # the name is unique to this file (its folder name carries a random token).
        if distributed_lock:
            from distributed import Lock

            lock: Any = Lock(f"ecociv-raster-write:{tmp.resolve()}")
        else:
            lock = threading.Lock()
        pyramid = None if distributed_lock else _pyramid(grid, meta, nodata, overview_budget)
        own = None if distributed_lock else _own_codec(meta, codec, pyramid, grid.shape)
        if own is not None:  # the blocks go to compressed COG tiles, not to a tiled file
            from ecociv.grid.cog import TileWriter

            scratch = path.with_name(f".{path.stem}.tiles")
            scratches.append(scratch)
            target = _WindowTarget(str(tmp), meta.dtype, nodata, lock, keep_open=False,
                                   pyramid=pyramid,
                                   tiles=TileWriter(scratch, grid.shape, own))
        else:
            _create_tiled(tmp, grid, meta, nodata)
            target = _WindowTarget(str(tmp), meta.dtype, nodata, lock,
                                   keep_open=not distributed_lock, pyramid=pyramid)
        if not distributed_lock and own is None:
            target.open()
        chunks: tuple[int, ...] = grid.default_chunks()
        if np.ndim(data.data) == 3:
            chunks = (1, *chunks)
        array = data.data if isinstance(data.data, da.Array) else da.from_array(
            np.asarray(data.data), chunks=chunks)
        sources.append(array)
        targets.append(target)
        tmps.append(tmp)
    with _bounded_block_cache():
        try:
            stored = da.store(sources, cast(Any, targets), lock=False, compute=False) if sources else None
            results = compute_in_order(stored, *extra)
            for target in targets:
                target.close()
            # the tags of the COGs ecociv assembles, from GDAL on this thread: a thread's first
            # georeferenced dataset costs GDAL 15 ms CPU (its PROJ context), which each new
            # COG thread would pay (0.045 CPU-s for three outputs; here 0.006)
            tags = [_own_header(grid, meta) if target.tiles is not None else None
                    for (_, _, meta), target in zip(items, targets, strict=True)]
            # GDAL builds overviews on one thread: copies side by side use the other cores
            # (three 16000² rasters: 16.3 s instead of 19.5 s on 2 cores)
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=_cog_workers(len(items))) as pool:
                list(pool.map(lambda job: _to_cog(job[1], job[0][1], job[0][2], codec, written,
                                                  job[2].pyramid, grid, job[2].tiles,
                                                  job[2].levels, job[3]),
                              zip(items, tmps, targets, tags, strict=True)))
        finally:
            for target in targets:
                target.close()
            for tmp in (*tmps, *scratches):
                tmp.unlink(missing_ok=True)
    return list(results[1:])


def _write_from_memory(items: Sequence[tuple[xr.DataArray, Path, RasterMeta]], grid: GridSpec,
                       extra: Sequence[Any], codec: str,
                       written: Callable[[Path], Any] | None = None) -> list[Any]:
    """:func:`write_rasters` through arrays in memory (see its Notes)."""
    from concurrent.futures import ThreadPoolExecutor

    arrays: list[np.ndarray | None] = []
    sources: list[da.Array] = []
    targets: list[_ArrayTarget] = []
    direct: list[tuple[np.ndarray, _ArrayTarget]] = []
    for data, path, meta in items:
        values = np.empty((meta.bands or 1, grid.rows, grid.cols), dtype=meta.dtype)
        target = _ArrayTarget(values, NODATA[meta.dtype], str(path))
        if isinstance(data.data, da.Array):
            sources.append(data.data)
            targets.append(target)
        else:  # a NumPy output is cast row band by row band, never copied whole
            direct.append((np.asarray(data.data), target))
        arrays.append(values)
    stored = da.store(sources, cast(Any, targets), lock=False, compute=False) if sources else None
    results = compute_in_order(stored, *extra)
    for array, target in direct:
        step = max(1, grid.default_chunks()[0])
        for row in range(0, grid.rows, step):
            rows = slice(row, min(row + step, grid.rows))
            if array.ndim == 3:
                target[slice(0, array.shape[0]), rows, slice(0, grid.cols)] = array[:, rows]
            else:
                target[rows, slice(0, grid.cols)] = array[rows]

    def write(index: int) -> None:
        _, path, meta = items[index]
        values = arrays[index]
        assert values is not None
        _array_to_cog(values, path, grid, meta, NODATA[meta.dtype], codec,
                      _digest_as_written(written))
        arrays[index] = None  # its memory can go as soon as its file is written
        if written is not None:
            written(path)

    # GDAL computes overviews on one thread: files written side by side use the other cores
    with _bounded_block_cache(), ThreadPoolExecutor(
            max_workers=_cog_workers(len(items))) as pool:
        list(pool.map(write, range(len(items))))
    return list(results[1:])
