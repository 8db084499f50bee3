"""Reading uncompressed GeoTIFF blocks straight from the file, without GDAL's block cache.

GDAL reads an uncompressed tile by copying it from the page cache into its block cache and from
there into the caller's buffer; for a run reading 55 float32 bands of 4000² that is ≈ 3 CPU-s of
copies, fresh pages and cache bookkeeping (benchmarks/RESULTS.md, "Where the CPU goes now").
Here the blocks (tiles or strips) a window needs are read with ``os.preadv`` into one scratch
buffer per thread and copied into the result in one compiled pass that also marks nodata as
NaN: one kernel copy and one pass.

Only files whose layout is fully understood are read this way (:func:`layout`): TIFF or BigTIFF
in the machine's byte order, no compression, no predictor, one band or band-interleaved
(``PLANARCONFIG=SEPARATE``) bands, 8/16/32/64-bit integers or 32/64-bit floats, every block
present; the layout parsed from the first image file directory must agree with what GDAL
reports (size, band count, type, block shape). Anything else, and any read that comes up short,
is left to GDAL, so the values are GDAL's in every case.
"""

from __future__ import annotations

import os
import struct
import sys
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from ecociv.compiled import jit

#: TIFF tags read here (TIFF 6.0 specification, section 8 and appendix A)
_WIDTH, _LENGTH, _BITS, _COMPRESSION = 256, 257, 258, 259
_STRIP_OFFSETS, _SAMPLES, _ROWS_PER_STRIP, _STRIP_COUNTS = 273, 277, 278, 279
_PLANAR, _PREDICTOR = 284, 317
_TILE_WIDTH, _TILE_LENGTH, _TILE_OFFSETS, _TILE_COUNTS = 322, 323, 324, 325
_SAMPLE_FORMAT = 339
_WANTED = {_WIDTH, _LENGTH, _BITS, _COMPRESSION, _STRIP_OFFSETS, _SAMPLES, _ROWS_PER_STRIP,
           _STRIP_COUNTS, _PLANAR, _PREDICTOR, _TILE_WIDTH, _TILE_LENGTH, _TILE_OFFSETS,
           _TILE_COUNTS, _SAMPLE_FORMAT}
#: TIFF field type -> struct code (BYTE, SHORT, LONG, LONG8/IFD8; others are not needed)
_FIELD = {1: "B", 3: "H", 4: "I", 8: "h", 13: "I", 16: "Q", 18: "Q"}
#: SampleFormat (1 unsigned, 2 signed, 3 float) -> numpy kind
_KIND = {1: "u", 2: "i", 3: "f"}

#: ``$ECOCIV_DIRECT_READ=0`` reads every block through GDAL
ENV = "ECOCIV_DIRECT_READ"


@dataclass(frozen=True)
class Layout:
    """Where the blocks of an uncompressed GeoTIFF are: ``offsets[band, block_row, block_col]``
    (bytes from the start of the file) of blocks of ``block`` (rows, cols) cells of ``dtype``."""

    rows: int
    cols: int
    count: int
    dtype: np.dtype
    block: tuple[int, int]
    offsets: np.ndarray
    sizes: np.ndarray


def enabled() -> bool:
    """Whether blocks are read here: ``os.preadv`` exists (not on Windows) and
    ``$ECOCIV_DIRECT_READ`` is not ``0``."""
    return (hasattr(os, "preadv")
            and os.environ.get(ENV, "1").strip().lower() not in ("0", "no", "false", "off"))


def _ifd(path: str) -> tuple[str, dict[int, tuple[Any, ...]]] | None:
    """Byte order and the wanted tags of the first image file directory, or None."""
    with open(path, "rb") as f:
        head = f.read(16)
        if len(head) < 8 or head[:2] not in (b"II", b"MM"):
            return None
        order = "<" if head[:2] == b"II" else ">"
        (version,) = struct.unpack(order + "H", head[2:4])
        if version == 42:
            (first,) = struct.unpack(order + "I", head[4:8])
            count_fmt, entry_fmt, entry_size, inline = "H", "HHI", 12, 4
        elif version == 43 and len(head) == 16:
            (first,) = struct.unpack(order + "Q", head[8:16])
            count_fmt, entry_fmt, entry_size, inline = "Q", "HHQ", 20, 8
        else:
            return None
        f.seek(first)
        raw = f.read(struct.calcsize(count_fmt))
        (entries,) = struct.unpack(order + count_fmt, raw)
        if not 0 < entries < 4096:
            return None
        table = f.read(entries * entry_size)
        if len(table) < entries * entry_size:
            return None
        tags: dict[int, tuple[Any, ...]] = {}
        head_size = struct.calcsize(order + entry_fmt)
        for i in range(entries):
            entry = table[i * entry_size:(i + 1) * entry_size]
            tag, kind, n = struct.unpack(order + entry_fmt, entry[:head_size])
            if tag not in _WANTED:
                continue
            code = _FIELD.get(kind)
            if code is None or n < 1:
                return None
            size = struct.calcsize(code) * n
            if size <= inline:
                data = entry[head_size:head_size + size]
            else:
                (where,) = struct.unpack(order + ("I" if inline == 4 else "Q"),
                                         entry[head_size:head_size + inline])
                f.seek(where)
                data = f.read(size)
                if len(data) < size:
                    return None
            tags[tag] = tuple(np.frombuffer(data, dtype=np.dtype(order + code)))
        return order, tags


def layout(path: str, src: Any) -> Layout | None:
    """The block layout of ``path`` if it can be read directly (see the module docstring), else
    None. ``src`` is the file opened by rasterio: its view of the file must agree."""
    try:
        if src.driver != "GTiff" or src.compression is not None:
            return None
        parsed = _ifd(path)
    except (OSError, struct.error, ValueError):
        return None
    if parsed is None:
        return None
    order, tags = parsed
    if (order == "<") != (sys.byteorder == "little"):
        return None

    def one(tag: int, default: int | None = None) -> int | None:
        values = tags.get(tag)
        if values is None:
            return default
        if len(set(values)) != 1:
            return None
        return int(values[0])

    width, length = one(_WIDTH), one(_LENGTH)
    bits, samples = one(_BITS), one(_SAMPLES, 1)
    kind = _KIND.get(one(_SAMPLE_FORMAT, 1) or 0)
    if (width is None or length is None or bits not in (8, 16, 32, 64) or kind is None
            or samples is None or one(_COMPRESSION, 1) != 1 or one(_PREDICTOR, 1) != 1):
        return None
    planar = one(_PLANAR, 1)
    if samples > 1 and planar != 2:
        return None  # pixel-interleaved bands: left to GDAL
    dtype = np.dtype(f"{kind}{bits // 8}")
    if kind == "f" and bits < 32:
        return None
    offsets: tuple[Any, ...] | None
    sizes: tuple[Any, ...] | None
    if _TILE_OFFSETS in tags:
        block = (one(_TILE_LENGTH), one(_TILE_WIDTH))
        offsets, sizes = tags[_TILE_OFFSETS], tags.get(_TILE_COUNTS)
    else:
        rows_per_strip = min(one(_ROWS_PER_STRIP, length) or length, length)
        block = (rows_per_strip, width)
        offsets, sizes = tags.get(_STRIP_OFFSETS), tags.get(_STRIP_COUNTS)
    if not block[0] or not block[1] or offsets is None or sizes is None:
        return None
    down, across = -(-length // block[0]), -(-width // block[1])
    if len(offsets) != samples * down * across or len(sizes) != len(offsets):
        return None
    offsets_array = np.asarray(offsets, dtype=np.int64).reshape(samples, down, across)
    sizes_array = np.asarray(sizes, dtype=np.int64).reshape(samples, down, across)
    if np.any(offsets_array <= 0) or np.any(sizes_array <= 0):
        return None  # sparse (missing) blocks: GDAL fills them
    try:
        agrees = (src.width == width and src.height == length and src.count == samples
                  and all(np.dtype(d) == dtype for d in src.dtypes)
                  and all(tuple(s) == block for s in src.block_shapes))
    except Exception:
        return None
    if not agrees:
        return None
    return Layout(rows=length, cols=width, count=samples, dtype=dtype,
                  block=(int(block[0]), int(block[1])), offsets=offsets_array, sizes=sizes_array)


_local = threading.local()

def _scratch(nbytes: int) -> np.ndarray:
    """A per-thread byte buffer of at least ``nbytes`` (kept: no fresh pages per read)."""
    buffer = getattr(_local, "buffer", None)
    if buffer is None or buffer.nbytes < nbytes:
        buffer = _local.buffer = np.empty(max(nbytes, 1 << 20), dtype=np.uint8)
    return buffer


def read(fd: int, file_size: int, lay: Layout, bands: range, rows: tuple[int, int],
         cols: tuple[int, int], out: np.ndarray, fill: Any) -> bool:
    """Read ``bands`` × ``rows`` × ``cols`` (``(start, stop)`` cells) of the file open as ``fd``
    (``file_size`` bytes) into ``out`` (shape (bands, rows, cols), a float type the values are
    converted to), setting cells equal to ``fill`` (a value of the file's type, or None) to NaN.

    The blocks are read with ``os.preadv`` into a per-thread buffer (blocks that follow each
    other in the file with one call) and placed in ``out`` by one compiled pass. Returns
    False, leaving ``out`` partly written, when a block lies beyond the end of the file or is
    shorter than the cells it should hold (a truncated or changed file): the caller then reads
    through GDAL."""
    row0, row1 = rows
    col0, col1 = cols
    block_rows, block_cols = lay.block
    by0, by1 = row0 // block_rows, -(-row1 // block_rows)
    bx0, bx1 = col0 // block_cols, -(-col1 // block_cols)
    itemsize = lay.dtype.itemsize
    # bytes of each block row that are needed: its rows down to the last one the window uses
    first_rows = np.arange(by0, by1) * block_rows
    need = ((np.minimum(first_rows + block_rows, row1) - first_rows) * block_cols * itemsize)[:, None]
    has_fill = fill is not None
    fill_value = lay.dtype.type(fill) if has_fill else lay.dtype.type(0)
    shift = (row0 - by0 * block_rows, col0 - bx0 * block_cols)
    # the same for every band: a block's slot in the scratch buffer, the bytes read of each
    # block, and where each block's first cell is among the buffer's items
    blocks = (by1 - by0, bx1 - bx0)
    slot = block_rows * block_cols * itemsize
    sizes = np.broadcast_to(need, blocks).ravel()
    starts = (np.arange(blocks[0] * blocks[1], dtype=np.int64) * (slot // itemsize)).reshape(blocks)
    for k, band in enumerate(bands):
        offsets = lay.offsets[band, by0:by1, bx0:bx1]
        if np.any(lay.sizes[band, by0:by1, bx0:bx1] < need):
            return False
        if int((offsets + need).max()) > file_size:
            return False
        scratch = _scratch(slot * offsets.size)
        flat = offsets.ravel()
        first = 0
        while first < flat.size:  # a run of blocks that follow each other: one call
            last = first + 1
            while (last < flat.size and sizes[last - 1] == slot
                   and flat[last] == flat[last - 1] + slot):
                last += 1
            length = slot * (last - first - 1) + int(sizes[last - 1])
            view = scratch.data[first * slot:first * slot + length]
            if os.preadv(fd, [view], int(flat[first])) != length:
                return False
            first = last
        _place(scratch.view(lay.dtype), starts, block_rows, block_cols, shift[0], shift[1],
               out[k], fill_value, has_fill)
    return True


@jit(nogil=True)
def _place(values: np.ndarray, starts: np.ndarray, block_rows: int, block_cols: int,
           row_shift: int, col_shift: int, out: np.ndarray, fill: Any,
           has_fill: bool) -> None:  # pragma: no cover - compiled
    """``out[r, c]`` = cell (r + row_shift, c + col_shift) of the mosaic of blocks of
    ``block_rows`` × ``block_cols`` cells, block (i, j) starting at item ``starts[i, j]`` of
    ``values`` (rows one after another), NaN where it equals ``fill``."""
    rows, cols = out.shape
    nan = np.nan
    for by in range(starts.shape[0]):
        r_lo = max(by * block_rows - row_shift, 0)
        r_hi = min((by + 1) * block_rows - row_shift, rows)
        for bx in range(starts.shape[1]):
            c_lo = max(bx * block_cols - col_shift, 0)
            c_hi = min((bx + 1) * block_cols - col_shift, cols)
            base = starts[by, bx] + col_shift - bx * block_cols
            for r in range(r_lo, r_hi):
                first = base + (r + row_shift - by * block_rows) * block_cols
                dst = out[r]
                if has_fill:
                    for c in range(c_lo, c_hi):
                        value = values[first + c]
                        dst[c] = nan if value == fill else value
                else:
                    for c in range(c_lo, c_hi):
                        dst[c] = values[first + c]
