"""A reference decoder of LZW GeoTIFF windows in numba, measured against GDAL/libtiff by
``bench_decode.py`` (not used by ecociv: it decodes no cheaper than libtiff 4.7; see
benchmarks/RESULTS.md, "The decode floor").

:func:`read_window` decodes the tiles (or strips) a window covers: the compressed bytes are read
with ``os.pread``, decoded by :func:`_lzw` (TIFF 6.0 section 13: codes of 9 to 12 bits, most
significant bit first, the width growing one code early; each new table entry is the previous
string plus one byte, so it is kept as a position and a length in the output already written
and a string is a copy of earlier output), the predictor is undone (horizontal differencing,
TIFF 6.0 section 14; the floating-point predictor of Adobe's Photoshop TIFF Technical Note 3:
bytes differenced along a row, split into planes most significant byte first) and the cells are
written into the window in the caller's type. It takes little-endian tiled or striped LZW files
with predictor 1, 2 or 3 and 8- to 64-bit integer or 32/64-bit float samples; anything else,
a missing block or a stream that does not decode to the block's size gives None. It equalled
rasterio's reads bit for bit on the benchmark inputs (checked by ``bench_decode.py``) and, while
it was tried inside the engine on 2026-12-04, on 10 types × predictors 1-3, tiles and strips
(a short last strip), pixel- and band-interleaved 3-band files and odd window edges (50 test
cases, not kept with the code).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from ecociv.compiled import jit

_LZW = 5
_SUPPORTED_COMPRESSION = {_LZW}

# TIFF tags read from the first image file directory
_WIDTH, _HEIGHT, _BITS, _COMPRESSION, _PHOTOMETRIC, _FILL_ORDER = 256, 257, 258, 259, 262, 266
_STRIP_OFFSETS, _SAMPLES, _ROWS_PER_STRIP, _STRIP_COUNTS, _PLANAR = 273, 277, 278, 279, 284
_PREDICTOR, _TILE_WIDTH, _TILE_LENGTH, _TILE_OFFSETS, _TILE_COUNTS = 317, 322, 323, 324, 325
_SAMPLE_FORMAT, _JPEG_TABLES = 339, 347

# TIFF field types holding integers: type -> struct code
_INT_TYPES = {1: "B", 3: "H", 4: "I", 6: "b", 8: "h", 9: "i", 13: "I", 16: "Q", 17: "q", 18: "Q"}
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8,
               13: 4, 16: 8, 17: 8, 18: 8}


@dataclass(frozen=True)
class Layout:
    """Where the blocks of a GeoTIFF's first image are and how they are coded.

    Attributes
    ----------
    rows, cols : int
        Size of the image in cells.
    samples : int
        Samples (bands) per pixel.
    separate : bool
        One plane of blocks per band (``PlanarConfiguration`` 2) rather than interleaved pixels.
    dtype : numpy.dtype
        Type of one sample (little-endian).
    block_rows, block_cols : int
        Size of a tile, or rows per strip and the image width.
    tiled : bool
        Tiles rather than strips.
    predictor : int
        1 none, 2 horizontal differencing, 3 floating point.
    offsets, counts : numpy.ndarray
        File offset and byte count of each block, planes one after the other.
    """

    rows: int
    cols: int
    samples: int
    separate: bool
    dtype: np.dtype
    block_rows: int
    block_cols: int
    tiled: bool
    predictor: int
    offsets: np.ndarray
    counts: np.ndarray

    @property
    def across(self) -> int:
        """Blocks across the image."""
        return -(-self.cols // self.block_cols)

    @property
    def down(self) -> int:
        """Blocks down the image."""
        return -(-self.rows // self.block_rows)


def _read_ifd(handle: Any) -> dict[int, tuple[int, int, bytes]] | None:
    """The first image file directory: tag -> (type, count, value bytes); None if not a
    little-endian TIFF or BigTIFF."""
    head = handle.read(16)
    if len(head) < 8 or head[:2] != b"II":
        return None
    version = struct.unpack_from("<H", head, 2)[0]
    if version == 42:
        big, offset = False, struct.unpack_from("<I", head, 4)[0]
    elif version == 43 and len(head) >= 16:
        big, offset = True, struct.unpack_from("<Q", head, 8)[0]
    else:
        return None
    entry, inline = (20, 8) if big else (12, 4)
    handle.seek(offset)
    count_bytes = handle.read(8 if big else 2)
    if len(count_bytes) < (8 if big else 2):
        return None
    n = struct.unpack("<Q" if big else "<H", count_bytes)[0]
    if not 0 < n < 4096:
        return None
    raw = handle.read(n * entry)
    if len(raw) < n * entry:
        return None
    tags: dict[int, tuple[int, int, bytes]] = {}
    for k in range(n):
        if big:
            tag, kind, count, value = struct.unpack_from("<HHQ8s", raw, k * entry)
        else:
            tag, kind, count, value = struct.unpack_from("<HHI4s", raw, k * entry)
        size = _TYPE_SIZES.get(kind, 0) * count
        if size > inline:
            handle.seek(struct.unpack("<Q" if big else "<I", value)[0])
            value = handle.read(size)
            if len(value) < size:
                return None
        tags[tag] = (kind, count, value[:size])
    return tags


def _ints(tags: dict[int, tuple[int, int, bytes]], tag: int) -> list[int] | None:
    if tag not in tags:
        return None
    kind, count, value = tags[tag]
    code = _INT_TYPES.get(kind)
    if code is None:
        return None
    return list(struct.unpack(f"<{count}{code}", value))


def _one(tags: dict[int, tuple[int, int, bytes]], tag: int, default: int | None) -> int | None:
    values = _ints(tags, tag)
    if values is None:
        return default
    if not values or any(v != values[0] for v in values):
        return None
    return values[0]


def _dtype(bits: int, kind: int) -> np.dtype | None:
    if kind == 1 and bits in (8, 16, 32, 64):
        return np.dtype(f"<u{bits // 8}")
    if kind == 2 and bits in (8, 16, 32, 64):
        return np.dtype(f"<i{bits // 8}")
    if kind == 3 and bits in (32, 64):
        return np.dtype(f"<f{bits // 8}")
    return None


def layout(path: str) -> Layout | None:
    """The :class:`Layout` of ``path``'s first image, or None when :func:`read_window` does not
    read it (see the module docstring)."""
    try:
        with open(path, "rb") as handle:
            tags = _read_ifd(handle)
    except OSError:
        return None
    if tags is None or _JPEG_TABLES in tags:
        return None
    rows, cols = _one(tags, _HEIGHT, None), _one(tags, _WIDTH, None)
    samples = _one(tags, _SAMPLES, 1)
    bits = _one(tags, _BITS, 1)
    kind = _one(tags, _SAMPLE_FORMAT, 1)
    compression = _one(tags, _COMPRESSION, 1)
    predictor = _one(tags, _PREDICTOR, 1)
    planar = _one(tags, _PLANAR, 1)
    if (rows is None or cols is None or samples is None or bits is None or kind is None
            or rows < 1 or cols < 1 or samples < 1 or compression not in _SUPPORTED_COMPRESSION
            or predictor not in (1, 2, 3) or planar not in (1, 2)
            or _one(tags, _FILL_ORDER, 1) != 1 or _one(tags, _PHOTOMETRIC, 1) not in (0, 1, 2, 3)):
        return None
    dtype = _dtype(bits, kind)
    if dtype is None or (predictor == 3 and dtype.kind != "f"):
        return None
    tiled = _TILE_OFFSETS in tags
    if tiled:
        block_cols, block_rows = _one(tags, _TILE_WIDTH, None), _one(tags, _TILE_LENGTH, None)
        offsets, counts = _ints(tags, _TILE_OFFSETS), _ints(tags, _TILE_COUNTS)
    else:
        block_cols, block_rows = cols, _one(tags, _ROWS_PER_STRIP, rows)
        offsets, counts = _ints(tags, _STRIP_OFFSETS), _ints(tags, _STRIP_COUNTS)
    if (block_rows is None or block_cols is None or offsets is None or counts is None
            or block_rows < 1 or block_cols < 1):
        return None
    block_rows = min(block_rows, rows) if not tiled else block_rows
    blocks = -(-rows // block_rows) * -(-cols // block_cols) * (samples if planar == 2 else 1)
    if len(offsets) != blocks or len(counts) != blocks:
        return None
    return Layout(rows, cols, samples, planar == 2, dtype, block_rows, block_cols, tiled,
                  predictor, np.asarray(offsets, np.int64), np.asarray(counts, np.int64))


@jit(nogil=True)
def _lzw(src: np.ndarray, dst: np.ndarray) -> int:  # pragma: no cover - compiled
    """Decode TIFF LZW ``src`` (uint8) into ``dst`` (uint8); bytes written (at most
    ``dst.size``), or -1 for a stream that is not TIFF LZW (an old-style LSB-first stream, a
    code not yet in the table)."""
    positions = np.empty(4096, np.int64)
    lengths = np.empty(4096, np.int64)
    n = src.shape[0]
    cap = dst.shape[0]
    buffer = 0
    have = 0
    i = 0
    out = 0
    width = 9
    next_code = 258
    prev_pos = -1
    prev_len = 0
    if n >= 2 and src[0] == 0 and src[1] & 1:  # an old-style (LSB-first) stream
        return -1
    while out < cap:
        while have < width:
            if i >= n:
                return out
            buffer = ((buffer << 8) | src[i]) & 0xFFFFFFFF
            i += 1
            have += 8
        have -= width
        code = (buffer >> have) & ((1 << width) - 1)
        if code == 256:  # clear the table
            width = 9
            next_code = 258
            prev_pos = -1
            continue
        if code == 257:  # end of information
            return out
        if prev_pos < 0:  # the first code after a clear is a byte
            if code > 255:
                return -1
            dst[out] = code
            prev_pos = out
            prev_len = 1
            out += 1
            continue
        if code < 256:
            dst[out] = code
            length = 1
        else:
            if code < next_code:
                start = positions[code]
                length = lengths[code]
            elif code == next_code:  # the previous string and its own first byte
                start = prev_pos
                length = prev_len + 1
            else:
                return -1
            length = min(length, cap - out)
            for k in range(length):  # forward: the copy may overlap what it writes
                dst[out + k] = dst[start + k]
        if next_code < 4096:
            positions[next_code] = prev_pos
            lengths[next_code] = prev_len + 1
            next_code += 1
            if next_code >= (1 << width) - 1 and width < 12:
                width += 1
        prev_pos = out
        prev_len = length
        out += length
    return out


@jit(nogil=True)
def _float_predictor(raw: np.ndarray, rows: int, row_bytes: int, stride: int, itemsize: int,
                     out: np.ndarray) -> None:  # pragma: no cover - compiled
    """Undo the floating-point predictor: ``raw`` holds ``rows`` rows of ``row_bytes`` bytes,
    each differenced byte by byte ``stride`` bytes apart, its values split into byte planes
    most significant first; ``out`` gets the little-endian values. ``raw`` is summed in place."""
    values = row_bytes // itemsize
    for row in range(rows):
        base = row * row_bytes
        for k in range(base + stride, base + row_bytes):
            raw[k] = raw[k] + raw[k - stride]
        for plane in range(itemsize):
            source = base + plane * values
            target = base + itemsize - 1 - plane
            for v in range(values):
                out[target + v * itemsize] = raw[source + v]


def _integer_view(values: np.ndarray) -> np.ndarray:
    return values.view(np.dtype(f"<u{values.dtype.itemsize}"))


def decode_block(lay: Layout, data: bytes, rows: int) -> np.ndarray | None:
    """One block of ``lay`` decoded from its compressed bytes ``data``: ``rows`` × block columns
    × samples per block, in the file's type; None when the stream does not decode to that
    size (the caller reads the block through GDAL)."""
    spp = 1 if lay.separate else lay.samples
    itemsize = lay.dtype.itemsize
    size = rows * lay.block_cols * spp * itemsize
    decoded = np.empty(size, np.uint8)
    if _lzw(np.frombuffer(data, np.uint8), decoded) != size:
        return None
    if lay.predictor == 3:
        values = np.empty(size, np.uint8)
        _float_predictor(decoded, rows, lay.block_cols * spp * itemsize, spp, itemsize, values)
        return values.view(lay.dtype).reshape(rows, lay.block_cols, spp)
    cells = decoded.view(lay.dtype).reshape(rows, lay.block_cols, spp)
    if lay.predictor == 2:
        words = _integer_view(cells)
        np.cumsum(words, axis=1, dtype=words.dtype, out=words)
    return cells


def read_window(path: str, lay: Layout, bands: tuple[int, int], rows: tuple[int, int],
                cols: tuple[int, int], dtype: np.dtype) -> np.ndarray | None:
    """Bands ``bands[0]`` to ``bands[1] - 1`` (0-based) of the cells ``rows`` × ``cols``
    (half-open ranges) of ``path``'s first image, converted to ``dtype``; None when a block is
    missing or does not decode (read it through GDAL: see the module docstring)."""
    (b0, b1), (r0, r1), (c0, c1) = bands, rows, cols
    if not (0 <= b0 < b1 <= lay.samples and 0 <= r0 < r1 <= lay.rows and 0 <= c0 < c1 <= lay.cols):
        return None
    out = np.empty((b1 - b0, r1 - r0, c1 - c0), dtype)
    per_plane = lay.across * lay.down
    planes = range(b0, b1) if lay.separate else range(1)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        for down in range(r0 // lay.block_rows, (r1 - 1) // lay.block_rows + 1):
            top = down * lay.block_rows
            height = lay.block_rows if lay.tiled else min(lay.block_rows, lay.rows - top)
            y0, y1 = max(r0, top), min(r1, top + height)
            for across in range(c0 // lay.block_cols, (c1 - 1) // lay.block_cols + 1):
                left = across * lay.block_cols
                x0, x1 = max(c0, left), min(c1, left + lay.block_cols)
                for plane in planes:
                    block = plane * per_plane + down * lay.across + across
                    offset, count = int(lay.offsets[block]), int(lay.counts[block])
                    if offset <= 0 or count <= 0:
                        return None  # a sparse block: GDAL fills it
                    data = os.pread(fd, count, offset)
                    if len(data) != count:
                        return None
                    cells = decode_block(lay, data, height)
                    if cells is None:
                        return None
                    part = cells[y0 - top:y1 - top, x0 - left:x1 - left]
                    target = out[:, y0 - r0:y1 - r0, x0 - c0:x1 - c0]
                    if lay.separate:
                        target[plane - b0] = part[:, :, 0]
                    else:
                        target[...] = np.moveaxis(part[:, :, b0:b1], 2, 0)
    finally:
        os.close(fd)
    return out

