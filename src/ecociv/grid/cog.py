"""Single-band float32 Cloud-Optimized GeoTIFFs written by ecociv itself, tiles compressed on
the threads that compute them.

GDAL's COG driver copies a finished raster: it reads it back, applies the TIFF floating-point
predictor and compresses each 512 × 512 tile on its own threads after the computing pass.
Writing a 4000² float32 output that way (blocks streamed into an uncompressed tiled file, then
the COG copy with ecociv's overviews, :mod:`ecociv.grid.overviews`) took 0.43 CPU-s, against
0.31 CPU-s here at the same level (benchmarks/RESULTS.md, "The COG phase written by ecociv"); GDAL's predictor
alone was ≈ 0.10 s of it, this one's 0.03 s. Here each row of tiles is predicted (a compiled
loop) and compressed (with the libzstd or libdeflate of rasterio's GDAL, called through
:mod:`ctypes`, which releases the GIL) by the thread that completes it during the pass, and
appended to a scratch file; the COG is then assembled (headers, overview tiles, the
full-resolution tiles copied in order) without decoding anything.

The file has the layout of GDAL's COG driver (GDAL 3.1-3.11): a classic or BigTIFF header, the
"ghost" structural metadata GDAL writes (``LAYOUT=IFDS_BEFORE_DATA``, ``BLOCK_ORDER=ROW_MAJOR``,
``BLOCK_LEADER=SIZE_AS_UINT4``, ``BLOCK_TRAILER=LAST_4_BYTES_REPEATED``), the image file
directories (full resolution first, then the overviews from the largest), then the tiles of the
smallest overview, ..., the largest, then of the full resolution, each row by row and each
preceded by its byte count and followed by its last 4 bytes again. The georeferencing and
metadata tags (GeoTIFF keys, ``GDAL_METADATA``, ``GDAL_NODATA``) are taken from a header GDAL
writes for the same grid and tags, so they are GDAL's own. Compression is ZSTD (TIFF code
50000, GDAL >= 2.3) at level -3 (see :data:`ZSTD_LEVEL`) or DEFLATE (TIFF code 8, level 6 as
GDAL's default), with predictor 3 (floating point, TIFF Technical Note 3) as ecociv asks GDAL
for; edge tiles are padded with zeros, as GDAL does.
tests/test_grid_write.py checks pixels, overviews, tags and layout against GDAL's COG driver.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import struct
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ecociv.compiled import jit

TILE = 512
#: ZSTD level of the tiles. GDAL's TIFF driver takes levels 1-22 and ecociv asks it for 1; the
#: "fast" levels (zstd >= 1.3.4 compressors; every ZSTD decoder reads their frames) trade size
#: for speed: the three 4000² outputs of water_yield (predictor and compression, all levels)
#: took 0.43 CPU-s at -1 instead of 0.55 at 1, into 115.98 instead of 114.69 MB (+1.1 %;
#: benchmarks/RESULTS.md); -3 compresses their 192 full-resolution tiles in 0.169-0.172
#: instead of 0.197-0.198 CPU-s, and the whole write (pass and COG phase, in-process) takes
#: 0.05-0.07 CPU-s less, into 118.29 MB (+2.0 % on -1)
ZSTD_LEVEL = -3
#: the structural metadata GDAL's COG driver writes after the TIFF header
_GHOST_TEXT = (b"LAYOUT=IFDS_BEFORE_DATA\nBLOCK_ORDER=ROW_MAJOR\nBLOCK_LEADER=SIZE_AS_UINT4\n"
               b"BLOCK_TRAILER=LAST_4_BYTES_REPEATED\nKNOWN_INCOMPATIBLE_EDITION=NO\n ")
GHOST = b"GDAL_STRUCTURAL_METADATA_SIZE=%06d bytes\n" % len(_GHOST_TEXT) + _GHOST_TEXT
#: tags copied from the header GDAL writes: GeoTIFF (pixel scale, tie point, transformation,
#: keys, double and ASCII parameters), GDAL_METADATA and GDAL_NODATA
COPIED_TAGS = (33550, 33922, 34264, 34735, 34736, 34737, 42112, 42113)
_NODATA_TAG = 42113
#: bytes of one value of each TIFF field type
_TYPE_SIZE = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 16: 8,
              17: 8, 18: 8}
_SHORT, _LONG, _LONG8 = 3, 4, 16
#: bytes from which a file is written as BigTIFF (classic TIFF offsets are 32-bit)
CLASSIC_LIMIT = 2**32


def _loaded_library(name: str) -> str | None:
    """Path of the shared library ``lib<name>`` rasterio's GDAL uses: of those mapped into this
    process, the one beside that GDAL library (rasterio's wheels bundle both in
    ``rasterio.libs``; other packages may map their own builds, e.g. pyogrio's GDAL or Pillow's
    libzstd, which compresses the same data to other bytes), else the first mapped, else the
    system's."""
    import rasterio

    mapped: list[str] = []
    gdal: list[str] = []
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                fields = line.split()
                if len(fields) < 6:
                    continue
                base = os.path.basename(fields[-1])
                if base.startswith(f"lib{name}") and fields[-1] not in mapped:
                    mapped.append(fields[-1])
                elif base.startswith("libgdal"):
                    gdal.append(os.path.dirname(fields[-1]))
    except OSError:
        pass
    wheel = os.path.dirname(rasterio.__file__) + ".libs"
    folder = wheel if wheel in gdal else (gdal[0] if gdal else "")
    beside = [path for path in mapped if os.path.dirname(path) == folder]
    return (beside or mapped or [ctypes.util.find_library(name) or ""])[0] or None


class Codec:
    """A TIFF compression through its C library (called through :mod:`ctypes`, which releases
    the GIL), with one compression context per call running at once."""

    #: TIFF compression code
    code = 0
    name = ""

    def __init__(self, library: ctypes.CDLL, level: int):
        self.lib = library
        self.level = level
        #: idle compression contexts, reused
        self._free: list[int] = []
        self._lock = threading.Lock()

    def _bound(self, nbytes: int) -> int:
        raise NotImplementedError

    def _new_context(self) -> int:
        raise NotImplementedError

    def _compress(self, context: int, target: int, capacity: int, source: int,
                  nbytes: int) -> int:
        raise NotImplementedError

    def bound(self, nbytes: int) -> int:
        """Bytes :meth:`compress_into` may write for ``nbytes`` bytes of data."""
        return self._bound(nbytes) + 8

    def compress_into(self, data: np.ndarray, out: np.ndarray, at: int) -> int:
        """Write ``data`` (C-contiguous) compressed into ``out`` (uint8) from byte ``at``, with
        GDAL's block leader (its byte count, uint32 little-endian) before it and its last 4
        bytes repeated after it; return the bytes written (at most :meth:`bound`)."""
        bound = self.bound(data.nbytes)
        if out.size - at < bound:
            raise ValueError("output buffer too small")
        with self._lock:
            context = self._free.pop() if self._free else 0
        if not context:
            context = self._new_context()
            if not context:
                raise MemoryError(f"no {self.name} compression context")
        try:
            size = self._compress(context, out.ctypes.data + at + 4, bound - 8,
                                  data.ctypes.data, data.nbytes)
        finally:
            with self._lock:
                self._free.append(context)
        out[at:at + 4] = np.frombuffer(struct.pack("<I", size), dtype=np.uint8)
        out[at + 4 + size:at + 8 + size] = out[at + size:at + 4 + size]
        return size + 8


class _Zstd(Codec):
    """ZSTD (libzstd >= 1.4), one frame per tile; TIFF code 50000 (GDAL >= 2.3)."""

    code = 50000
    name = "ZSTD"

    def __init__(self, library: ctypes.CDLL, level: int):
        super().__init__(library, level)
        library.ZSTD_createCCtx.restype = ctypes.c_void_p
        library.ZSTD_createCCtx.argtypes = []
        library.ZSTD_compressBound.restype = ctypes.c_size_t
        library.ZSTD_compressBound.argtypes = [ctypes.c_size_t]
        library.ZSTD_isError.restype = ctypes.c_uint
        library.ZSTD_isError.argtypes = [ctypes.c_size_t]
        library.ZSTD_compressCCtx.restype = ctypes.c_size_t
        library.ZSTD_compressCCtx.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t,
                                              ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]

    def _bound(self, nbytes: int) -> int:
        return int(self.lib.ZSTD_compressBound(nbytes))

    def _new_context(self) -> int:
        return int(self.lib.ZSTD_createCCtx() or 0)

    def _compress(self, context: int, target: int, capacity: int, source: int,
                  nbytes: int) -> int:
        size = self.lib.ZSTD_compressCCtx(context, target, capacity, source, nbytes, self.level)
        if self.lib.ZSTD_isError(size):
            raise RuntimeError(f"ZSTD compression failed (code {size})")
        return int(size)


class _Deflate(Codec):
    """DEFLATE in a zlib stream (libdeflate, which GDAL's TIFF driver uses too), one stream
    per tile; TIFF code 8 (Adobe deflate, what GDAL writes for ``COMPRESS=DEFLATE``)."""

    code = 8
    name = "DEFLATE"

    def __init__(self, library: ctypes.CDLL, level: int):
        super().__init__(library, level)
        library.libdeflate_alloc_compressor.restype = ctypes.c_void_p
        library.libdeflate_alloc_compressor.argtypes = [ctypes.c_int]
        library.libdeflate_zlib_compress_bound.restype = ctypes.c_size_t
        library.libdeflate_zlib_compress_bound.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        library.libdeflate_zlib_compress.restype = ctypes.c_size_t
        library.libdeflate_zlib_compress.argtypes = [ctypes.c_void_p, ctypes.c_void_p,
                                                     ctypes.c_size_t, ctypes.c_void_p,
                                                     ctypes.c_size_t]

    def _bound(self, nbytes: int) -> int:
        return int(self.lib.libdeflate_zlib_compress_bound(None, nbytes))

    def _new_context(self) -> int:
        return int(self.lib.libdeflate_alloc_compressor(self.level) or 0)

    def _compress(self, context: int, target: int, capacity: int, source: int,
                  nbytes: int) -> int:
        size = self.lib.libdeflate_zlib_compress(context, source, nbytes, target, capacity)
        if not size:
            raise RuntimeError("DEFLATE compression failed")
        return int(size)


#: levels: ZSTD's (:data:`ZSTD_LEVEL`); DEFLATE's, GDAL's default (``ZLEVEL``)
LEVELS = {"zstd": ZSTD_LEVEL, "deflate": 6}
_codec_lock = threading.Lock()
_codecs: dict[str, Codec | None] = {}


def codec(compress: str) -> Codec | None:
    """The compressor of ``compress`` ("zstd" or "deflate"), or None when its library (the one
    GDAL loaded: libzstd >= 1.4, libdeflate) is not found."""
    with _codec_lock:
        if compress not in _codecs:
            import rasterio  # noqa: F401  (loads GDAL, and with it its libraries)

            path = _loaded_library("zstd" if compress == "zstd" else "deflate")
            found: Codec | None = None
            if path and compress in LEVELS:
                try:
                    library = ctypes.CDLL(path)
                    if compress == "zstd":
                        library.ZSTD_versionNumber.restype = ctypes.c_uint
                        if library.ZSTD_versionNumber() >= 10400:
                            found = _Zstd(library, LEVELS[compress])
                    else:
                        found = _Deflate(library, LEVELS[compress])
                except (OSError, AttributeError):
                    found = None
            _codecs[compress] = found
        return _codecs[compress]


@jit(nogil=True)
def _predict(words: np.ndarray, row0: int, col0: int, out: np.ndarray) -> None:  # pragma: no cover - compiled
    """The tile of ``words`` (float32 cells as uint32) starting at (``row0``, ``col0``) with the
    TIFF floating-point predictor applied, into ``out`` (tile rows × 4 · tile columns bytes):
    per row, the most significant bytes of every cell, then the next ..., then each byte minus
    the one before it (modulo 256). Cells beyond ``words`` are 0.

    Each row's cells are split into four byte planes (each led by a 0) and every byte's
    difference is taken from its plane, loops the compiler vectorises: 0.017 instead of
    0.027 CPU-s per 4000² output as one loop shuffling and one subtracting in place."""
    rows, cols = words.shape
    size = out.shape[0]
    count = min(size, max(0, cols - col0))
    line = np.zeros(size + 1, np.uint32)  # line[0] stays 0: the first byte's predecessor
    planes = np.empty((4, size + 1), np.uint8)
    for r in range(size):
        row = row0 + r
        if row < rows:
            line[1:count + 1] = words[row, col0:col0 + count]
            line[count + 1:] = 0
        else:
            line[:] = 0
        for i in range(size + 1):
            word = line[i]
            planes[0, i] = np.uint8(word >> np.uint32(24))
            planes[1, i] = np.uint8(word >> np.uint32(16))
            planes[2, i] = np.uint8(word >> np.uint32(8))
            planes[3, i] = np.uint8(word)
        for k in range(4):
            plane = planes[k]
            base = k * size
            for i in range(size):
                out[r, base + i] = plane[i + 1] - plane[i]
        for k in range(1, 4):  # a plane's first byte follows the last byte of the plane before
            out[r, k * size] = planes[k, 1] - planes[k - 1, size]


@jit(nogil=True)
def to_float32(block: np.ndarray, nodata: float, out: np.ndarray) -> None:  # pragma: no cover - compiled
    """``out`` = ``block`` (float64 or float32) cast to float32, NaN cells set to ``nodata``:
    what NumPy's cast and masked copy do in three passes over the cells, in one."""
    fill = np.float32(nodata)
    rows, cols = out.shape
    for r in range(rows):
        source = block[r]
        target = out[r]
        for c in range(cols):
            value = np.float32(source[c])
            target[c] = fill if value != value else value


#: compressed tiles: one buffer holding them back to back, and the bytes of each
Encoded = tuple[np.ndarray, list[int]]


def encode_tiles(values: np.ndarray, codec: Codec) -> Encoded:
    """The tiles of ``values`` (2-D float32), row by row, each predicted, compressed and framed
    by :meth:`Codec.compress_into`."""
    words = values.view(np.uint32)
    out = np.empty((TILE, 4 * TILE), dtype=np.uint8)
    rows, cols = -(-values.shape[0] // TILE), -(-values.shape[1] // TILE)
    bound = codec.bound(out.nbytes)
    buffer = np.empty(rows * cols * bound, dtype=np.uint8)
    lengths = []
    at = 0
    for row in range(0, values.shape[0], TILE):
        for col in range(0, values.shape[1], TILE):
            _predict(words, row, col, out)
            lengths.append(codec.compress_into(out, buffer, at))
            at += lengths[-1]
    return buffer, lengths


def row_tiles(values: np.ndarray, codec: Codec) -> Iterator[np.ndarray]:
    """The tiles of one row of tiles ``values`` (float32, at most :data:`TILE` rows), left to
    right, each predicted and compressed by :meth:`Codec.compress_into` into one buffer of
    one tile: each tile's bytes are valid until the next is made (take or copy them first).
    The same bytes as :func:`encode_tiles` makes for that row."""
    words = values.view(np.uint32)
    predicted = np.empty((TILE, 4 * TILE), dtype=np.uint8)
    compressed = np.empty(codec.bound(predicted.nbytes), dtype=np.uint8)
    for col in range(0, values.shape[1], TILE):
        _predict(words, 0, col, predicted)
        yield compressed[:codec.compress_into(predicted, compressed, 0)]


class LevelTiles:
    """Compressed tiles of the overview levels of one output (``levels``, the arrays a
    :class:`ecociv.grid.overviews.Pyramid` fills, largest first), each row of tiles of a level
    encoded by :func:`encode_tiles` as soon as the blocks given to :meth:`filled` have
    computed all its cells: on the threads of the pass, instead of every level after it."""

    def __init__(self, levels: Sequence[np.ndarray], codec: Codec):
        self.levels = list(levels)
        self.codec = codec
        self._filled = [[0] * -(-level.shape[0] // TILE) for level in self.levels]
        self._rows: list[list[Encoded | None]] = [[None] * len(counts) for counts in self._filled]
        self._lock = threading.Lock()

    def filled(self, row: int, col: int, rows: int, cols: int) -> None:
        """Count the cells of every level computed from a block of ``rows`` × ``cols``
        full-resolution cells whose top-left cell is (``row``, ``col``), all four multiples of
        ``2 ** len(levels)``; encode the rows of tiles they complete."""
        done = []
        with self._lock:
            for index, level in enumerate(self.levels):
                top, height, width = row >> (index + 1), rows >> (index + 1), cols >> (index + 1)
                for strip in range(top // TILE, -(-(top + height) // TILE)):
                    first, last = strip * TILE, min((strip + 1) * TILE, level.shape[0])
                    self._filled[index][strip] += (min(top + height, last) - max(top, first)) * width
                    if self._filled[index][strip] == (last - first) * level.shape[1]:
                        done.append((index, strip))
        for index, strip in done:
            self._rows[index][strip] = self._encode(index, strip)

    def _encode(self, index: int, strip: int) -> Encoded:
        """The tiles of one row of tiles, as :func:`encode_tiles` makes them, compressed one
        by one into a buffer of one tile and kept as their bytes alone: this runs during the
        pass, whose memory peaks (a buffer for the whole row took 5 MB more per call)."""
        pieces = [tile.tobytes() for tile in row_tiles(
            self.levels[index][strip * TILE:(strip + 1) * TILE], self.codec)]
        return np.frombuffer(b"".join(pieces), dtype=np.uint8), [len(p) for p in pieces]

    def encoded(self) -> list[tuple[tuple[int, int], Encoded]]:
        """Each level's shape and tiles, row by row, as :func:`encode_tiles` makes them for the
        whole level (rows of tiles not encoded yet are encoded now)."""
        found = []
        for index, level in enumerate(self.levels):
            parts = [part if part is not None else self._encode(index, strip)
                     for strip, part in enumerate(self._rows[index])]
            buffer = np.concatenate([part[0] for part in parts])
            found.append(((level.shape[0], level.shape[1]),
                          (buffer, [length for part in parts for length in part[1]])))
        return found


class TileWriter:
    """Compressed full-resolution tiles of one output, appended to the scratch file ``scratch``
    as their rows of tiles are completed by the blocks given to :meth:`add` (any block shapes,
    from any threads; each cell once)."""

    def __init__(self, scratch: Path, shape: tuple[int, int], codec: Codec):
        self.scratch = scratch
        self.shape = shape
        self.codec = codec
        self.tile_rows = -(-shape[0] // TILE)
        self.tile_cols = -(-shape[1] // TILE)
        #: (offset in the scratch file, bytes with leader and trailer) of each tile, row-major
        self.tiles: list[tuple[int, int] | None] = [None] * (self.tile_rows * self.tile_cols)
        self._strips: dict[int, np.ndarray] = {}
        self._filled = [0] * self.tile_rows
        self._end = 0
        self._lock = threading.Lock()
        self._fd: int | None = os.open(scratch, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)

    def add(self, row: int, col: int, block: np.ndarray) -> None:
        """Take ``block`` (float32, nodata marked) whose top-left cell is (``row``, ``col``);
        compress the rows of tiles it completes."""
        for top, cells in self.parts(row, col, block.shape[0], block.shape[1]):
            cells[...] = block[top - row:top - row + cells.shape[0]]
            self.filled(top, col, cells.shape)

    def parts(self, row: int, col: int, rows: int, cols: int) -> list[tuple[int, np.ndarray]]:
        """Where the cells of a block of ``rows`` × ``cols`` cells whose top-left cell is
        (``row``, ``col``) go: (its first row, a view of the float32 buffer of its row of
        tiles) for each row of tiles it covers. The caller writes the cells into the views
        (nodata marked), then calls :meth:`filled` with each."""
        found = []
        for strip in range(row // TILE, -(-(row + rows) // TILE)):
            top = strip * TILE
            height = min(TILE, self.shape[0] - top)
            with self._lock:
                buffer = self._strips.get(strip)
                if buffer is None:
                    buffer = self._strips[strip] = np.empty((height, self.shape[1]), np.float32)
            start, stop = max(row, top), min(row + rows, top + height)
            found.append((start, buffer[start - top:stop - top, col:col + cols]))
        return found

    def filled(self, row: int, col: int, shape: tuple[int, ...]) -> None:
        """Count the cells of a part given by :meth:`parts` (first row ``row``, ``shape``) as
        written; compress its row of tiles once every cell of it is."""
        strip = row // TILE
        height = min(TILE, self.shape[0] - strip * TILE)
        with self._lock:
            buffer = self._strips.get(strip)
            if buffer is None:  # closed meanwhile
                return
            self._filled[strip] += shape[0] * shape[1]
            done = self._filled[strip] == height * self.shape[1]
            if done:
                del self._strips[strip]
        if done:
            self._store(strip, buffer)

    def _store(self, strip: int, values: np.ndarray) -> None:
        """Compress the tiles of the row of tiles ``strip`` (its cells ``values``) one by one
        and append each to the scratch file."""
        for index, tile in enumerate(row_tiles(values, self.codec)):
            length = tile.size
            # under the lock: close() must not close the file (whose descriptor could then be
            # reused by another file) under a write
            with self._lock:
                if self._fd is None:  # closed: the write failed or was abandoned
                    return
                offset = self._end
                self._end += length
                view = tile.data
                while view:
                    written = os.pwrite(self._fd, view, offset)
                    view, offset = view[written:], offset + written
                self.tiles[strip * self.tile_cols + index] = (self._end - length, length)

    @property
    def complete(self) -> bool:
        return all(tile is not None for tile in self.tiles)

    def close(self) -> None:
        with self._lock:
            fd, self._fd = self._fd, None
            self._strips.clear()
        if fd is not None:
            os.close(fd)


def template_tags(header: bytes) -> dict[int, tuple[int, int, bytes]]:
    """The tags of :data:`COPIED_TAGS` in the first directory of the little-endian classic TIFF
    ``header``: tag -> (type, count, value bytes)."""
    if header[:4] != b"II*\x00":
        raise ValueError("not a little-endian classic TIFF")
    (ifd,) = struct.unpack_from("<I", header, 4)
    (count,) = struct.unpack_from("<H", header, ifd)
    found = {}
    for entry in range(count):
        tag, kind, number, value = struct.unpack_from("<HHI4s", header, ifd + 2 + 12 * entry)
        if tag not in COPIED_TAGS:
            continue
        size = _TYPE_SIZE[kind] * number
        if size > 4:
            (offset,) = struct.unpack("<I", value)
            value = header[offset:offset + size]
        found[tag] = (kind, number, value[:size])
    return found


def _directory(entries: list[tuple[int, int, int, bytes]], at: int, big: bool
               ) -> tuple[bytes, bytes, int]:
    """One image file directory at byte ``at`` with ``entries`` (tag, type, count, value
    bytes): (directory bytes, out-of-line values placed right after it, offset of its
    next-directory pointer)."""
    entries = sorted(entries)
    head, entry, pointer, inline = (8, 20, 8, 8) if big else (2, 12, 4, 4)
    size = head + entry * len(entries) + pointer
    table = bytearray(struct.pack("<Q" if big else "<H", len(entries)))
    extra = bytearray()
    for tag, kind, number, value in entries:
        table += struct.pack("<HHQ" if big else "<HHI", tag, kind, number)
        if len(value) <= inline:
            table += value.ljust(inline, b"\x00")
        else:
            table += struct.pack("<Q" if big else "<I", at + size + len(extra))
            extra += value
            if len(extra) % 2:
                extra += b"\x00"
    next_at = at + len(table)
    table += b"\x00" * pointer
    return bytes(table), bytes(extra), next_at


def assemble(path: Path, shape: tuple[int, int], tags: dict[int, tuple[int, int, bytes]],
             levels: Sequence[tuple[tuple[int, int], Encoded]], main: TileWriter | Encoded,
             codec: Codec, digest: Any = None) -> os.stat_result | None:
    """Write the COG ``path``: full-resolution tiles ``main`` (a :class:`TileWriter`'s, from
    its scratch file, or made by :func:`encode_tiles`), the
    overview levels ``levels`` (largest first, each its tiles row by row as made by
    :func:`encode_tiles`, with the shape of the level), all compressed by ``codec``, and the
    tags ``tags`` of :func:`template_tags`.

    A TIFF whose offsets would pass 4 GiB is written as BigTIFF (GDAL >= 2.3 reads both).

    With ``digest`` (a :mod:`hashlib` object), every byte of the file is also fed to it as it
    is written, and the file's ``os.fstat`` after the last write is returned (None without):
    the digest of the file without reading it back (the full-resolution tiles pass through
    memory instead of being copied from the scratch file in the kernel)."""
    if isinstance(main, TileWriter):
        if not main.complete:
            raise RuntimeError(f"{path.name}: not every tile was written")
        lengths = [length for _, length in main.tiles]  # type: ignore[misc]
    else:
        lengths = main[1]
    data_bytes = sum(lengths) + sum(sum(level[1]) for _, level in levels)
    big = (data_bytes + 65536 + 16 * (len(lengths) + sum(len(level[1]) for _, level in levels))
           >= CLASSIC_LIMIT)
    shapes = [shape] + [level_shape for level_shape, _ in levels]

    def entries(level: int, offsets: Sequence[int], counts: Sequence[int]
                ) -> list[tuple[int, int, int, bytes]]:
        rows, cols = shapes[level]
        dim = _LONG if max(rows, cols) > 65535 else _SHORT
        dim_format = "<I" if dim == _LONG else "<H"
        offset_type, offset_format = (_LONG8, "Q") if big else (_LONG, "I")
        listed = [
            (256, dim, 1, struct.pack(dim_format, cols)),
            (257, dim, 1, struct.pack(dim_format, rows)),
            (258, _SHORT, 1, struct.pack("<H", 32)),
            (259, _SHORT, 1, struct.pack("<H", codec.code)),
            (262, _SHORT, 1, struct.pack("<H", 1)),
            (277, _SHORT, 1, struct.pack("<H", 1)),
            (284, _SHORT, 1, struct.pack("<H", 1)),
            (317, _SHORT, 1, struct.pack("<H", 3)),
            (322, _SHORT, 1, struct.pack("<H", TILE)),
            (323, _SHORT, 1, struct.pack("<H", TILE)),
            (324, offset_type, len(offsets), struct.pack(f"<{len(offsets)}{offset_format}",
                                                         *offsets)),
            (325, _LONG, len(counts), struct.pack(f"<{len(counts)}I", *counts)),
            (339, _SHORT, 1, struct.pack("<H", 3)),
        ]
        if level == 0:
            listed += [(tag, *tags[tag]) for tag in sorted(tags)]
        else:
            listed.append((254, _LONG, 1, struct.pack("<I", 1)))
            if _NODATA_TAG in tags:
                listed.append((_NODATA_TAG, *tags[_NODATA_TAG]))
        return listed

    counts = [[length - 8 for length in lengths]] + [[n - 8 for n in level[1]] for _, level in levels]
    # the headers' size does not depend on the offsets' values: lay them out with zeros first
    header = struct.pack("<4sHHQ", b"II+\x00", 8, 0, 0) if big else struct.pack("<4sI", b"II*\x00", 0)
    start = len(header) + len(GHOST)
    start += start % 2

    def directories(offsets: list[list[int]]) -> bytes:
        blob = bytearray()
        starts, pointers = [], []
        for level in range(len(shapes)):
            at = start + len(blob)
            table, extra, pointer = _directory(entries(level, offsets[level], counts[level]),
                                               at, big)
            starts.append(at)
            pointers.append(pointer)
            blob += table + extra
        for level in range(len(shapes) - 1):  # chain each directory to the next
            struct.pack_into("<Q" if big else "<I", blob, pointers[level] - start,
                             starts[level + 1])
        return bytes(blob)

    zeros = [[0] * len(level_counts) for level_counts in counts]
    position = start + len(directories(zeros))
    offsets: list[list[int]] = [[] for _ in shapes]
    for level in range(len(shapes) - 1, -1, -1):  # smallest overview first, full resolution last
        for count in counts[level]:
            offsets[level].append(position + 4)
            position += count + 8
    blob = directories(offsets)
    if big:
        header = struct.pack("<4sHHQ", b"II+\x00", 8, 0, start)
    else:
        header = struct.pack("<4sI", b"II*\x00", start)
    prefix = header + GHOST + b"\x00" * (start - len(header) - len(GHOST))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        _write_all(fd, prefix + bytes(blob), digest)
        for _, (buffer, level_lengths) in reversed(levels):
            _write_all(fd, buffer[:sum(level_lengths)].data, digest)
        if isinstance(main, TileWriter):
            _copy_tiles(main, fd, digest)
        else:
            _write_all(fd, main[0][:sum(main[1])].data, digest)
        return os.fstat(fd) if digest is not None else None
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes | memoryview, digest: Any = None) -> None:
    view = memoryview(data)
    if digest is not None:
        digest.update(view)
    while view:
        view = view[os.write(fd, view):]


#: bytes of one read of the scratch file when its tiles are hashed on their way to the COG
_COPY_CHUNK = 1 << 20


def _copy_tiles(writer: TileWriter, fd: int, digest: Any = None) -> None:
    """Append the tiles of ``writer``'s scratch file to ``fd`` in row-major order (and feed
    them to ``digest``)."""
    with open(writer.scratch, "rb") as source:
        source_fd = source.fileno()
        run_start, run_length = -1, 0
        runs = []
        for offset, length in writer.tiles:  # type: ignore[misc]
            if offset == run_start + run_length:
                run_length += length
            else:
                if run_length:
                    runs.append((run_start, run_length))
                run_start, run_length = offset, length
        if run_length:
            runs.append((run_start, run_length))
        if digest is None:
            for offset, length in runs:
                _copy_range(source_fd, fd, offset, length)
            return
        chunk = bytearray(_COPY_CHUNK)
        for offset, length in runs:
            while length > 0:
                view = memoryview(chunk)[:min(length, len(chunk))]
                done = os.preadv(source_fd, [view], offset)
                if done <= 0:
                    raise OSError("scratch file shorter than its tiles")
                _write_all(fd, view[:done], digest)
                offset += done
                length -= done


def _copy_range(source: int, target: int, offset: int, length: int) -> None:
    """Append ``length`` bytes at ``offset`` of ``source`` to ``target`` (in the kernel where
    it can)."""
    copy = getattr(os, "copy_file_range", None)
    while length > 0:
        done = 0
        if copy is not None:
            try:
                done = copy(source, target, length, offset)
            except OSError:
                copy = None
                continue
        if done <= 0:
            data = os.pread(source, min(length, 1 << 24), offset)
            if not data:
                raise OSError("scratch file shorter than its tiles")
            _write_all(target, data)
            done = len(data)
        offset += done
        length -= done


def header_for(grid: Any, meta: Any, nodata: float, describe: Any) -> dict[int, tuple[int, int, bytes]]:
    """The tags GDAL writes for an output on ``grid`` with ``meta`` (through ``describe``, the
    writer's own function for tags, descriptions and units), from an empty GeoTIFF in memory."""
    from rasterio.io import MemoryFile

    with MemoryFile() as memory:
        with memory.open(driver="GTiff", width=grid.cols, height=grid.rows, count=1,
                         dtype="float32", crs=grid.crs.to_wkt(), transform=grid.transform,
                         nodata=nodata, tiled=True, blockxsize=TILE, blockysize=TILE,
                         BIGTIFF="NO", SPARSE_OK="TRUE") as dst:
            describe(dst, meta)
        return template_tags(memory.read())
