"""The PNG writer of the maps (ecociv.report.png), read back by Pillow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ecociv.report.png import encode_png, write_png


def _pixels(opaque: bool) -> np.ndarray:
    rng = np.random.default_rng(7)
    pixels = rng.integers(0, 256, size=(23, 41, 4), dtype=np.uint8)
    pixels[5:15, 10:30, :3] = (200, 30, 90)  # a patch of one colour, as maps have
    pixels[..., 3] = 255 if opaque else rng.integers(0, 256, size=(23, 41), dtype=np.uint8)
    return pixels


@pytest.mark.parametrize("opaque", [True, False])
def test_pillow_reads_back_the_same_pixels(tmp_path: Path, opaque: bool) -> None:
    pixels = _pixels(opaque)
    path = write_png(tmp_path / "map.png", pixels, dpi=110.0, software="ecociv test")
    with Image.open(path) as image:
        assert image.mode == ("RGB" if opaque else "RGBA")  # an opaque image has no alpha
        assert image.info["Software"] == "ecociv test"
        # 110 dpi = 4331 pixels per metre, read back as 4331 × 0.0254 dpi
        assert image.info["dpi"] == pytest.approx((110.0, 110.0), abs=0.01)
        back = np.asarray(image.convert("RGBA"))
    np.testing.assert_array_equal(back, pixels)


def test_without_resolution_nor_software_the_file_has_neither() -> None:
    import io

    with Image.open(io.BytesIO(encode_png(_pixels(True)))) as image:
        assert "dpi" not in image.info and "Software" not in image.info
        assert image.size == (41, 23)


@pytest.mark.parametrize("shape,dtype", [((4, 5, 3), np.uint8), ((4, 5, 4), np.float32),
                                         ((20,), np.uint8)])
def test_other_arrays_are_refused(shape: tuple[int, ...], dtype: type) -> None:
    with pytest.raises(ValueError, match="RGBA"):
        encode_png(np.zeros(shape, dtype=dtype))


@pytest.mark.parametrize("opaque", [True, False])
def test_image_data_is_unfiltered_rows_of_the_pixels_of_a_view(opaque: bool) -> None:
    """The IDAT data, inflated, is each row's filter byte 0 and its pixels' bytes (RGB of an
    opaque image, else RGBA), as the PNG specification lays out colour types 2 and 6 (W3C PNG
    2nd ed., 7.2 and 9.2), also for a cropped view of a larger buffer (as the maps pass)."""
    import struct
    import zlib

    buffer = _pixels(opaque)
    view = buffer[3:20, 5:37]  # strided rows
    data = encode_png(view)
    at = 8
    chunks = {}
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        chunks[data[at + 4:at + 8]] = data[at + 8:at + 8 + length]
        at += 12 + length
    channels = 3 if opaque else 4
    expected = b"".join(b"\x00" + bytes(view[row, :, :channels].tobytes()) for row in range(view.shape[0]))
    assert zlib.decompress(chunks[b"IDAT"]) == expected
    assert data == encode_png(np.ascontiguousarray(view))
