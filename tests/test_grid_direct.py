"""Reading uncompressed GeoTIFF blocks without GDAL (grid/direct.py): the same arrays as GDAL's
read for every layout taken this way, and GDAL for every layout that is not."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from affine import Affine

from ecociv.grid import direct
from ecociv.grid.io import BlockReader, _direct_layout, open_raster, typed_nodata, working_dtype
from ecociv.grid.spec import CHINA_ALBERS, GridSpec


def _write(path: Path, values: np.ndarray, **options: Any) -> Path:
    """A GeoTIFF of ``values`` (bands, rows, cols) with rasterio's creation ``options``."""
    bands, rows, cols = values.shape
    profile = {"driver": "GTiff", "width": cols, "height": rows, "count": bands,
               "dtype": values.dtype.name, "crs": CHINA_ALBERS,
               "transform": Affine(30, 0, 0, 0, -30, 5_000_000)}
    profile.update(options)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values)
    return path


def _values(dtype: str, shape: tuple[int, int, int], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    kind = np.dtype(dtype)
    if kind.kind == "f":
        values = rng.normal(0, 1000, shape).astype(kind)
        values.flat[::37] = np.nan  # NaN stored in the file stays NaN
    else:
        info = np.iinfo(kind)
        values = rng.integers(info.min, info.max, shape, dtype=kind, endpoint=True)
    return values


def _readers(path: Path) -> tuple[BlockReader, BlockReader, Any]:
    """Readers of every band of ``path``: through GDAL, and from the blocks (the layout)."""
    with rasterio.open(path) as src:
        layout = _direct_layout(path, src)
        stored = np.dtype(src.dtypes[0])
        fill = typed_nodata(stored, src.nodata)
        args = (str(path), src.count, (src.height, src.width), working_dtype(stored), fill)
    return (BlockReader(*args, stored=stored), BlockReader(*args, stored=stored, layout=layout),
            layout)


def _windows(rows: int, cols: int, bands: int, seed: int) -> list[tuple[slice, slice, slice]]:
    """Whole raster, each band, and windows at random places and sizes (block edges or not)."""
    rng = np.random.default_rng(seed)
    keys = [(slice(0, bands), slice(0, rows), slice(0, cols))]
    keys += [(slice(b, b + 1), slice(0, rows), slice(0, cols)) for b in range(bands)]
    for _ in range(25):
        r0, c0 = int(rng.integers(0, rows)), int(rng.integers(0, cols))
        r1, c1 = int(rng.integers(r0 + 1, rows + 1)), int(rng.integers(c0 + 1, cols + 1))
        b0 = int(rng.integers(0, bands))
        keys.append((slice(b0, int(rng.integers(b0 + 1, bands + 1))), slice(r0, r1), slice(c0, c1)))
    return keys


def _assert_same(gdal: BlockReader, own: BlockReader, keys: list[tuple[slice, slice, slice]]) -> None:
    for key in keys:
        expected, got = gdal[key], own[key]
        assert got.dtype == expected.dtype and got.shape == expected.shape, key
        np.testing.assert_array_equal(got, expected, err_msg=str(key))


LAYOUTS = {
    # name: creation options
    "tiled 16x32, partial edge tiles": {"tiled": True, "blockysize": 16, "blockxsize": 32},
    "tiled 256": {"tiled": True, "blockysize": 256, "blockxsize": 256},
    "striped, 7 rows per strip": {"tiled": False, "blockysize": 7},
    "striped, 1 row per strip": {"tiled": False, "blockysize": 1},
    "striped, one strip": {"tiled": False, "blockysize": 45},
    "bigtiff tiled": {"tiled": True, "blockysize": 16, "blockxsize": 16, "BIGTIFF": "YES"},
}
DTYPES = ["uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "float64"]


@pytest.mark.parametrize("layout_name", sorted(LAYOUTS))
@pytest.mark.parametrize("dtype", DTYPES)
def test_own_reads_equal_gdal_reads(tmp_path: Path, layout_name: str, dtype: str) -> None:
    """Odd sizes (45 × 70: partial edge tiles and a short last strip), three band-interleaved
    bands, a nodata value that occurs, NaN stored in float files."""
    values = _values(dtype, (3, 45, 70), seed=len(layout_name) + len(dtype))
    nodata = -9999.0 if dtype.startswith("f") else values[1, 3, 4].item()
    values[0, :5, :5] = nodata
    options = dict(LAYOUTS[layout_name])
    path = _write(tmp_path / "r.tif", values, nodata=nodata, interleave="band", **options)
    gdal, own, layout = _readers(path)
    assert layout is not None  # read from the blocks
    assert own.layout is not None
    _assert_same(gdal, own, _windows(45, 70, 3, seed=1))
    assert np.isnan(own[(slice(0, 1), slice(0, 5), slice(0, 5))]).all()


def test_a_large_file_in_1_mi_cell_windows(tmp_path: Path) -> None:
    """The windows a run reads (256-row bands across 256² tiles, the last partial)."""
    values = _values("float32", (2, 1100, 900), seed=3)
    path = _write(tmp_path / "r.tif", values, nodata=-9999.0, tiled=True, blockxsize=256,
                  blockysize=256, interleave="band")
    gdal, own, layout = _readers(path)
    assert layout is not None
    keys = [(slice(b, b + 1), slice(r, min(r + 256, 1100)), slice(0, 900))
            for b in range(2) for r in range(0, 1100, 256)]
    _assert_same(gdal, own, keys)


@pytest.mark.parametrize("options", [
    {"compress": "lzw", "tiled": True, "blockxsize": 16, "blockysize": 16},
    {"compress": "deflate", "predictor": 2, "tiled": False, "blockysize": 8},
    {"interleave": "pixel", "tiled": True, "blockxsize": 16, "blockysize": 16},
], ids=["lzw", "deflate", "pixel-interleaved"])
def test_other_layouts_are_read_by_gdal(tmp_path: Path, options: dict[str, Any]) -> None:
    values = _values("float32", (2, 40, 50), seed=4)
    path = _write(tmp_path / "r.tif", values, nodata=-9999.0, **options)
    gdal, own, layout = _readers(path)
    assert layout is None and own.layout is None
    _assert_same(gdal, own, _windows(40, 50, 2, seed=2))


def test_big_endian_files_are_read_by_gdal(tmp_path: Path) -> None:
    values = _values("int16", (1, 20, 30), seed=5)
    path = _write(tmp_path / "r.tif", values, ENDIANNESS="BIG", tiled=True, blockxsize=16,
                  blockysize=16)
    assert path.read_bytes()[:2] == b"MM"
    gdal, own, layout = _readers(path)
    assert layout is None
    _assert_same(gdal, own, _windows(20, 30, 1, seed=3))


def test_sparse_files_are_read_by_gdal(tmp_path: Path) -> None:
    """Blocks never written (offset 0) are filled by GDAL: such a file is not read here."""
    path = tmp_path / "r.tif"
    profile = {"driver": "GTiff", "width": 64, "height": 64, "count": 1, "dtype": "float32",
               "crs": CHINA_ALBERS, "transform": Affine(30, 0, 0, 0, -30, 5_000_000),
               "tiled": True, "blockxsize": 16, "blockysize": 16, "nodata": -1.0,
               "SPARSE_OK": "TRUE"}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.ones((1, 16, 16), np.float32), window=((0, 16), (0, 16)))
    gdal, own, layout = _readers(path)
    assert layout is None
    _assert_same(gdal, own, _windows(64, 64, 1, seed=4))


def test_64_bit_integers_are_read_by_gdal(tmp_path: Path) -> None:
    # compared with their nodata before the conversion to float64, which only GDAL's path does
    values = np.array([[[2**60, 2**60 + 1, 5]]], dtype=np.int64)
    path = _write(tmp_path / "r.tif", values, nodata=None)
    _, own, layout = _readers(path)
    assert layout is not None and own.layout is None


def test_a_truncated_file_falls_back_to_gdal(tmp_path: Path) -> None:
    values = _values("float32", (1, 64, 64), seed=6)
    path = _write(tmp_path / "r.tif", values, tiled=True, blockxsize=16, blockysize=16)
    _, own, layout = _readers(path)
    assert layout is not None
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.truncate(size - 2000)
    key = (slice(0, 1), slice(0, 64), slice(0, 64))
    assert own._read_direct(range(0, 1), (0, 64), (0, 64)) is None
    with pytest.raises(rasterio.errors.RasterioError):
        own[key]  # GDAL's error, which a run reports as a corrupt input


def test_a_short_block_is_not_read(tmp_path: Path) -> None:
    values = _values("float32", (1, 32, 32), seed=7)
    path = _write(tmp_path / "r.tif", values, tiled=True, blockxsize=16, blockysize=16)
    with rasterio.open(path) as src:
        layout = direct.layout(str(path), src)
    assert layout is not None
    short = direct.Layout(layout.rows, layout.cols, layout.count, layout.dtype, layout.block,
                          layout.offsets, layout.sizes - 4)
    out = np.empty((1, 32, 32), np.float32)
    with open(path, "rb") as f:
        assert not direct.read(f.fileno(), path.stat().st_size, short, range(1), (0, 32),
                               (0, 32), out, None)
        assert direct.read(f.fileno(), path.stat().st_size, layout, range(1), (0, 32), (0, 32),
                           out, None)
    np.testing.assert_array_equal(out, values)


def test_switched_off_by_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / "r.tif", _values("float32", (1, 20, 20), seed=8))
    monkeypatch.setenv(direct.ENV, "0")
    with rasterio.open(path) as src:
        assert _direct_layout(path, src) is None
    monkeypatch.setenv(direct.ENV, "1")
    with rasterio.open(path) as src:
        assert _direct_layout(path, src) is not None
    monkeypatch.delattr(os, "preadv")  # as on Windows: everything through GDAL
    with rasterio.open(path) as src:
        assert _direct_layout(path, src) is None


def test_open_raster_reads_blocks_with_scale_and_nodata(tmp_path: Path) -> None:
    """The whole read path: nodata NaN, then value = stored × scale + offset."""
    values = np.arange(48 * 40, dtype=np.int16).reshape(1, 48, 40)
    values[0, 0, 0] = -1
    path = _write(tmp_path / "r.tif", values, nodata=-1, tiled=True, blockxsize=16,
                  blockysize=16)
    with rasterio.open(path, "r+") as dst:
        dst.scales, dst.offsets = (0.5,), (10.0,)
    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(30, 0, 0, 0, -30, 5_000_000), (48, 40))
    data = open_raster(path, grid, name="x")
    expected = values[0].astype(np.float32) * np.float32(0.5) + np.float32(10.0)
    expected[0, 0] = np.nan
    np.testing.assert_array_equal(data.values, expected)
