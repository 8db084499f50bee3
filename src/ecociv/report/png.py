"""Writing an RGBA pixel buffer (as Agg draws a figure) to a PNG file, faster than matplotlib's
``imsave`` through Pillow for the maps ecociv draws.

Pillow took 13-15 ms for a 1100 × 542 map at zlib levels 1-3 (RGBA), zlib alone 5 ms on the
same map's unfiltered RGB rows; maps are large areas of one colour, so unfiltered rows compress
as well or better than Pillow's filtered ones. An opaque image is written as RGB (colour type 2):
the same pixels, a quarter fewer bytes to compress. The 47 raster maps of a Belt demo
(2026-12-04, load ≈ 5): 0.39 s of CPU and 6.18 MB here against 0.72 s and 7.94 MB by Pillow at
zlib level 3, the same pixels. The chunks are those of the PNG specification (W3C, *Portable
Network Graphics (PNG) Specification*, 2nd ed., 2003): IHDR, tEXt (Software), pHYs (the
resolution), IDAT, IEND.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

#: zlib level of the image data: on the Belt demo's 47 maps level 1 took 0.37 s for 6.44 MB,
#: level 3 0.39 s for 6.18 MB, level 6 0.64 s for 5.87 MB
COMPRESS_LEVEL = 3

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_INCHES_PER_METRE = 1 / 0.0254


def _chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data and the CRC-32 of type and data."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(pixels: np.ndarray, *, dpi: float | None = None, software: str | None = None,
               level: int = COMPRESS_LEVEL) -> bytes:
    """PNG bytes of ``pixels``, an (rows, columns, 4) uint8 RGBA array (straight alpha, first row
    at the top): RGB when every pixel is opaque, else RGBA; 8 bits per channel, rows unfiltered.
    ``dpi``: the resolution recorded in the file (pHYs, pixels per metre); ``software``: a tEXt
    "Software" entry."""
    if pixels.ndim != 3 or pixels.shape[2] != 4 or pixels.dtype != np.uint8:
        raise ValueError(f"expected (rows, columns, 4) uint8 RGBA pixels, got {pixels.shape} "
                         f"{pixels.dtype}")
    rows, columns = pixels.shape[:2]
    opaque = bool((pixels[..., 3] == 255).all())
    channels = 3 if opaque else 4
    raw = np.empty((rows, columns * channels + 1), dtype=np.uint8)
    raw[:, 0] = 0  # filter type 0 (None) on every row
    packed = raw[:, 1:].reshape(rows, columns, channels)
    if channels == 4:
        packed[...] = pixels
    else:  # one channel at a time, in long strided runs: 3 of 4 bytes a pixel copied at once
        for channel in range(channels):  # took 5 × as long (2.7 against 0.5 ms on a Belt map)
            packed[..., channel] = pixels[..., channel]
    header = struct.pack(">IIBBBBB", columns, rows, 8, 2 if opaque else 6, 0, 0, 0)
    parts = [_SIGNATURE, _chunk(b"IHDR", header)]
    if software:
        parts.append(_chunk(b"tEXt", b"Software\x00" + software.encode("latin-1", "replace")))
    if dpi:
        per_metre = round(dpi * _INCHES_PER_METRE)
        parts.append(_chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)))
    parts.append(_chunk(b"IDAT", zlib.compress(raw.tobytes(), level)))
    parts.append(_chunk(b"IEND", b""))
    return b"".join(parts)


def write_png(path: str | Path, pixels: np.ndarray, *, dpi: float | None = None,
              software: str | None = None) -> Path:
    """Write ``pixels`` (see :func:`encode_png`) to ``path``; returns the path."""
    path = Path(path)
    path.write_bytes(encode_png(pixels, dpi=dpi, software=software))
    return path
