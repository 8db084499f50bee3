"""Overviews of written COGs computed by ecociv instead of by GDAL, with GDAL's pixels.

GDAL's COG driver computes ``AVERAGE`` overviews of a raster with a nodata value on one thread
through its general, nodata-aware path: 0.23-0.25 CPU-s for a 4000² float32 raster on this
machine, against 0.05 s without nodata (benchmarks/RESULTS.md, "Raster read/write floor"). Where
every overview level is exactly half the one before (the sides divisible by ``2**levels``), each
level is the mean of the valid cells of a 2 × 2 block of the level before (the cascade GDAL
uses): summed in float64 in row order, divided by their count, rounded to the output type; a
block with no valid cell is nodata. :class:`Pyramid` computes those levels block by block as
the outputs are written, on the threads that write them, and :func:`cog_source` hands them to
the COG driver as the source's overviews (a VRT whose bands carry them), so the driver copies
them instead of computing them. The files are the same, byte for byte (tests/test_grid_write.py
compares them with GDAL's).

Whenever the shortcut could differ from GDAL (a side not divisible by ``2**levels``, a block not
aligned on the levels, a value GDAL would take for nodata or a NaN, a mean that equals the
nodata value), the pyramid is dropped and GDAL computes the overviews as before.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np

from ecociv.compiled import jit

#: GDAL type names of the types whose overviews are computed here: float32, the type of
#: every float output (float64 outputs came out different from GDAL's in the last bits; GDAL
#: computes theirs)
_GDAL_FLOATS = {"float32": "Float32"}


def overview_count(shape: tuple[int, int], block: int = 512) -> int:
    """Overview levels the COG driver makes (``OVERVIEWS=AUTO``): halve the sides (rounding
    up) while the larger one exceeds the block size."""
    rows, cols = shape
    count = 0
    while rows > block or cols > block:
        rows, cols = (rows + 1) // 2, (cols + 1) // 2
        count += 1
    return count


@jit(nogil=True)
def _halve(src: np.ndarray, nodata: float, dst: np.ndarray, limit: float) -> bool:  # pragma: no cover - compiled
    """``dst`` = 2 × 2 means of the valid cells of ``src`` (GDAL's AVERAGE with nodata); False
    where GDAL might treat a cell differently (NaN, a value within reach of nodata, a mean equal
    to nodata).

    Without branches, so that the compiler vectorises the loop: a cell equal to nodata adds
    0.0 to the sum (which starts at +0.0, so the sum is the one of the valid cells alone, to
    the bit) and nothing to the count. 0.020 instead of 0.053 CPU-s for the first level of
    three 4000² outputs as a loop that skipped cells and returned at the first odd one."""
    rows, cols = dst.shape
    fill = dst.dtype.type(nodata)
    odd = 0
    for row in range(rows):
        top = src[2 * row]
        bottom = src[2 * row + 1]
        out = dst[row]
        for col in range(cols):
            total = 0.0
            count = 0
            flags = 0
            for value in (top[2 * col], top[2 * col + 1], bottom[2 * col], bottom[2 * col + 1]):
                valid = value != nodata
                flags |= valid & (not abs(value) <= limit)  # NaN or within reach of nodata
                total += value if valid else 0.0
                count += valid
            mean = dst.dtype.type(total / max(count, 1))
            out[col] = mean if count else fill
            odd |= flags | ((count > 0) & (mean == nodata))
    return odd == 0


class Pyramid:
    """Overview levels of one output, filled block by block (see the module docstring).

    Parameters
    ----------
    shape : (int, int)
        Rows and columns of the output.
    bands : int
        Its bands.
    dtype : str
        Its type (``float32``).
    nodata : float
        Its nodata value.
    """

    def __init__(self, shape: tuple[int, int], bands: int, dtype: str, nodata: float):
        self.levels = overview_count(shape)
        self.step = 2 ** self.levels
        self.dtype = np.dtype(dtype)
        self.nodata = float(nodata)
        # |value| above this might be nodata to GDAL (which compares floats with a tolerance)
        self.limit = float(np.finfo(self.dtype).max) * (1 - 1e-6)
        rows, cols = shape
        self.arrays = [[np.empty((rows >> level, cols >> level), dtype=self.dtype)
                        for level in range(1, self.levels + 1)] for _ in range(bands)]
        self.valid = True
        #: why GDAL computes the overviews after all (None while the pyramid holds)
        self.dropped: str | None = None
        self._lock = threading.Lock()

    @staticmethod
    def applies(shape: tuple[int, int], dtype: str, categorical: bool) -> bool:
        """Whether the overviews of an output of ``shape`` and ``dtype`` are computed here."""
        levels = overview_count(shape)
        return (not categorical and dtype in _GDAL_FLOATS and levels > 0
                and shape[0] % 2 ** levels == 0 and shape[1] % 2 ** levels == 0)

    @staticmethod
    def nbytes(shape: tuple[int, int], bands: int, dtype: str) -> int:
        """Bytes of the levels of an output of ``shape``, ``bands`` and ``dtype``."""
        rows, cols = shape
        cells = sum((rows >> level) * (cols >> level)
                    for level in range(1, overview_count(shape) + 1))
        return cells * bands * np.dtype(dtype).itemsize

    def drop(self, reason: str) -> None:
        with self._lock:
            self.valid = False
            self.dropped = reason
            self.arrays = []

    def add(self, band: int, row: int, col: int, block: np.ndarray) -> None:
        """Compute the levels of ``block`` (rows × cols of band ``band``, already in the output
        type with nodata marked) whose top-left cell is (``row``, ``col``)."""
        if not self.valid:
            return
        rows, cols = block.shape
        if row % self.step or col % self.step or rows % self.step or cols % self.step:
            self.drop(f"a block of {rows} x {cols} cells at ({row}, {col}) is not aligned on "
                      f"{self.step} cells")
            return
        arrays = self.arrays
        if not arrays:
            return
        source = block if block.dtype == self.dtype else block.astype(self.dtype)
        for level in range(1, self.levels + 1):
            target = arrays[band][level - 1][row >> level:(row + rows) >> level,
                                             col >> level:(col + cols) >> level]
            if not _halve(np.ascontiguousarray(source), self.nodata, target, self.limit):
                self.drop("a NaN, a value within reach of nodata, or a mean equal to nodata")
                return
            source = target

    def add_array(self, values: np.ndarray) -> None:
        """Compute every level of ``values`` (bands, rows, cols)."""
        for band in range(values.shape[0]):
            self.add(band, 0, 0, values[band])


def _mem_name(values: np.ndarray) -> str:
    """A GDAL MEM dataset name over the 2-D C-contiguous array ``values``."""
    rows, cols = values.shape
    return (f"MEM:::DATAPOINTER={values.__array_interface__['data'][0]},PIXELS={cols},"
            f"LINES={rows},BANDS=1,DATATYPE={_GDAL_FLOATS[values.dtype.name]}")


def cog_source(vrt: Path, source: str, source_bands: list[int], grid_wkt: str,
               geotransform: tuple[float, ...], shape: tuple[int, int], pyramid: Pyramid) -> Path:
    """Write the VRT ``vrt``: the bands ``source_bands`` of ``source`` (a file or a MEM dataset
    name) at full resolution, with the levels of ``pyramid`` as their overviews.

    Opening it needs the GDAL configuration options of :data:`VRT_OPTIONS`; the arrays of
    ``pyramid`` (and a MEM source's array) must stay alive while it is open.
    """
    rows, cols = shape
    data_type = _GDAL_FLOATS[pyramid.dtype.name]
    parts = [f'<VRTDataset rasterXSize="{cols}" rasterYSize="{rows}">',
             f"<SRS>{escape(grid_wkt)}</SRS>",
             f"<GeoTransform>{', '.join(repr(float(v)) for v in geotransform)}</GeoTransform>"]
    for index, band in enumerate(source_bands):
        parts.append(f'<VRTRasterBand dataType="{data_type}" band="{index + 1}">')
        parts.append(f"<NoDataValue>{pyramid.nodata!r}</NoDataValue>")
        parts.append(f'<SimpleSource><SourceFilename relativeToVRT="0">{escape(source)}'
                     f"</SourceFilename><SourceBand>{band}</SourceBand></SimpleSource>")
        for level in pyramid.arrays[index]:
            parts.append(f"<Overview><SourceFilename>{escape(_mem_name(level))}</SourceFilename>"
                         "<SourceBand>1</SourceBand></Overview>")
        parts.append("</VRTRasterBand>")
    parts.append("</VRTDataset>")
    vrt.write_text("\n".join(parts), encoding="utf-8")
    return vrt


#: GDAL configuration options under which a VRT of :func:`cog_source` is opened: MEM dataset
#: names may be opened (GDAL >= 3.10 asks) and be the sources of a VRT
VRT_OPTIONS: dict[str, Any] = {"GDAL_MEM_ENABLE_OPEN": "YES", "VRT_ALLOW_MEM_DRIVER": "YES"}
