"""``ecociv.read_ahead``: input rasters decoded while the CLI imports, handed to the engine's
reader exactly once, equal to what the reader decodes itself; bands not decoded yet stay the
reader's; a file changed since is read again."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

from ecociv import read_ahead
from ecociv.grid.io import grid_of, open_raster
from ecociv.grid.spec import CHINA_ALBERS

from .conftest import RasterMaker


@pytest.fixture(autouse=True)
def _no_read_ahead_left() -> Iterator[None]:
    yield
    read_ahead.finish()


def _wait_until_decoded(bands: int, timeout: float = 60.0) -> None:
    active = read_ahead._active
    assert active is not None
    stop = time.monotonic() + timeout
    while time.monotonic() < stop:
        with active.cond:
            done = sum(isinstance(v, np.ndarray) for f in active.files.values()
                       for v in f.bands.values())
        if done >= bands:
            return
        time.sleep(0.01)
    raise AssertionError("read-ahead did not decode the bands in time")


def _values(shape: tuple[int, int], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 500, shape).astype(np.float32)


def test_bands_are_handed_over_once_and_equal_the_file(make_raster: RasterMaker) -> None:
    # 600 rows: bands of 256, 256 and 88 rows
    values = _values((600, 300), 1)
    path = make_raster(values, "p")
    assert read_ahead.start([str(path), "table.csv"])
    _wait_until_decoded(3)
    assert np.array_equal(read_ahead.take(str(path), (0, 256), (0, 300)), values[:256])
    assert read_ahead.take(str(path), (0, 256), (0, 300)) is None  # handed over already
    # two bands at once, and the short last band
    assert np.array_equal(read_ahead.take(str(path), (256, 600), (0, 300)), values[256:])
    assert read_ahead._active is not None and read_ahead._active.held == 0


def test_parts_of_a_band_by_columns(make_raster: RasterMaker) -> None:
    values = _values((256, 300), 2)
    path = make_raster(values, "p")
    read_ahead.start([str(path)])
    _wait_until_decoded(1)
    left = read_ahead.take(str(path), (0, 256), (0, 100))
    left[:] = -1  # the caller writes into what it gets: a copy, not the band held
    assert np.array_equal(read_ahead.take(str(path), (0, 256), (100, 300)), values[:, 100:])
    assert read_ahead._active is not None and read_ahead._active.held == 0
    # a window not on band edges is the reader's
    assert read_ahead.take(str(path), (10, 256), (0, 300)) is None


def test_a_band_not_decoded_yet_is_left_to_the_reader(make_raster: RasterMaker,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    values = _values((768, 200), 3)
    path = make_raster(values, "p")
    # room for one band of 256 × 200 float32 (0.2 MB): the thread waits after the first
    monkeypatch.setenv(read_ahead.BUDGET_ENV, "0.2")
    read_ahead.start([str(path)])
    _wait_until_decoded(1)
    assert read_ahead.take(str(path), (512, 768), (0, 200)) is None  # the reader's from now on
    assert np.array_equal(read_ahead.take(str(path), (0, 256), (0, 200)), values[:256])
    _wait_until_decoded(1)  # room again: band 1 is decoded, band 2 never
    assert np.array_equal(read_ahead.take(str(path), (256, 512), (0, 200)), values[256:512])
    assert read_ahead.take(str(path), (512, 768), (0, 200)) is None


def test_a_file_changed_since_is_not_handed_over(make_raster: RasterMaker) -> None:
    values = _values((256, 50), 4)
    path = make_raster(values, "p")
    read_ahead.start([str(path)])
    _wait_until_decoded(1)
    with rasterio.open(path, "r+") as dst:
        dst.write(values[None] + 1)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert read_ahead.take(str(path), (0, 256), (0, 50)) is None


def test_no_read_ahead_without_budget_or_rasters(make_raster: RasterMaker,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    path = make_raster(_values((4, 4), 5), "p")
    assert not read_ahead.start([str(tmp_path / "table.csv"), str(tmp_path / "w.gpkg")])
    assert not read_ahead.start([str(tmp_path / "missing.tif")])
    monkeypatch.setenv(read_ahead.BUDGET_ENV, "0")
    assert not read_ahead.start([str(path)])
    assert read_ahead.take(str(path), (0, 4), (0, 4)) is None


@pytest.mark.parametrize("dtype, nodata", [("uint8", 255), ("float32", -9999.0),
                                           ("int16", -1)])
def test_the_reader_gives_the_same_values_with_and_without(make_raster: RasterMaker,
                                                           dtype: str, nodata: float) -> None:
    """Through ``open_raster``: nodata marked as NaN, 8/16-bit codes as float32, chunks of the
    engine (whatever they are) taken from the decoded bands or read where they do not fit."""
    rng = np.random.default_rng(6)
    values = rng.integers(0, 200, (700, 520)).astype(dtype)
    values[rng.random(values.shape) < 0.1] = nodata
    path = make_raster(values, "codes", nodata=nodata)
    grid = grid_of(path)
    expected = open_raster(path, grid, name="codes").values
    read_ahead.start([str(path)])
    _wait_until_decoded(3)
    got = open_raster(path, grid, name="codes").values
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
    assert np.isnan(got).sum() == (values == nodata).sum() > 0
    assert read_ahead._active is not None and read_ahead._active.held == 0  # all taken


def test_files_with_several_bands_or_off_the_grid_are_left_alone(make_raster: RasterMaker,
                                                                  tmp_path: Path) -> None:
    """A run reads every band of a multi-band input at once, and resamples inputs on other
    grids: decoding band 1 of those ahead would be wasted."""
    on_grid = make_raster(_values((300, 40), 7), "on")
    off_grid = make_raster(_values((300, 40), 8), "off", res=60.0)
    bands = tmp_path / "months.tif"
    with rasterio.open(on_grid) as src:
        profile = {**src.profile, "count": 3}
    with rasterio.open(bands, "w", **profile) as dst:
        dst.write(np.stack([_values((300, 40), 9 + k) for k in range(3)]))
    read_ahead.start([str(on_grid), str(off_grid), str(bands)], grid=str(on_grid))
    _wait_until_decoded(2)
    active = read_ahead._active
    assert active is not None
    active.thread.join(timeout=60)
    decoded = {Path(f.path).name: sorted(f.bands) for f in active.files.values()}
    assert decoded == {on_grid.name: [0, 1], off_grid.name: [], bands.name: []}
    assert read_ahead.take(str(off_grid), (0, 256), (0, 40)) is None
    assert read_ahead.take(str(bands), (0, 256), (0, 40)) is None


def test_finish_waits_for_the_thread(make_raster: RasterMaker,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = make_raster(_values((1024, 100), 10), "p")
    monkeypatch.setenv(read_ahead.BUDGET_ENV, "0.1")  # the thread waits for room after a band
    read_ahead.start([str(path)])
    _wait_until_decoded(1)
    active = read_ahead._active
    assert active is not None and active.thread.is_alive()
    read_ahead.finish()
    assert not active.thread.is_alive() and active.held == 0


def _write(path: Path, values: np.ndarray, **options: object) -> Path:
    profile = {"driver": "GTiff", "width": values.shape[1], "height": values.shape[0],
               "count": 1, "dtype": str(values.dtype), "crs": CHINA_ALBERS,
               "transform": Affine(30.0, 0, 0.0, 0, -30.0, 5_000_000.0), **options}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values, 1)
    return path


@pytest.mark.parametrize("layout", [
    {}, {"tiled": True, "blockxsize": 256, "blockysize": 256},
    {"tiled": True, "blockxsize": 128, "blockysize": 128}, {"blockysize": 7},
    {"tiled": True, "blockxsize": 256, "blockysize": 256, "compress": "lzw"}])
@pytest.mark.parametrize("dtype", ["uint8", "int16", "float32", "float64"])
def test_bands_of_every_layout_equal_gdal_s_read(tmp_path: Path, layout: dict[str, object],
                                                 dtype: str) -> None:
    """Uncompressed files are decoded without GDAL's block cache (GTIFF_DIRECT_IO): the same
    values as GDAL's ordinary read, striped or tiled, with partial edge blocks (600 x 300)."""
    values = (np.random.default_rng(11).uniform(0, 120, (600, 300))).astype(dtype)
    path = _write(tmp_path / "v.tif", values, **layout)
    with rasterio.open(path) as src:
        expected = src.read(1)
    read_ahead.start([str(path)])
    _wait_until_decoded(3)
    for rows in ((0, 256), (256, 512), (512, 600)):
        got = read_ahead.take(str(path), rows, (0, 300))
        assert got is not None and got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected[rows[0]:rows[1]])


def _gdal_cache_used() -> int | None:
    """Bytes in GDAL's block cache (``GDALGetCacheUsed64`` of the library rasterio loaded, as
    the wheels ship it: ``rasterio.libs/libgdal-*.so``)."""
    import ctypes

    with open("/proc/self/maps", encoding="utf-8") as maps:  # pyogrio may map its own GDAL
        paths = {line.split()[-1] for line in maps if "libgdal" in line and "rasterio" in line}
    if len(paths) != 1:
        return None
    used = ctypes.CDLL(paths.pop()).GDALGetCacheUsed64
    used.restype = ctypes.c_int64
    return int(used())


@pytest.mark.skipif(not os.path.exists("/proc/self/maps"), reason="Linux /proc")
def test_uncompressed_bands_leave_nothing_in_gdal_s_block_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A decoded band is the band's array only: GDAL's cache would keep a second copy of every
    block of the files the thread holds open (4 MiB per 256-row band of 4000 float32 columns
    in a 4000² run) until the read-ahead ends."""
    values = np.random.default_rng(12).uniform(0, 500, (2048, 1024)).astype(np.float32)
    path = _write(tmp_path / "t.tif", values, tiled=True, blockxsize=256, blockysize=256)
    before = _gdal_cache_used()
    if before is None:
        pytest.skip("GDAL's library not found among the mapped files")
    monkeypatch.setenv(read_ahead.BUDGET_ENV, "2")  # two bands of 1 MiB, then the thread waits
    read_ahead.start([str(path)])
    _wait_until_decoded(2)
    active = read_ahead._active
    assert active is not None and active.thread.is_alive()  # the file is still open
    assert _gdal_cache_used() - before < 256 * 1024  # not one 256 KiB tile
    got = read_ahead.take(str(path), (0, 512), (0, 1024))
    np.testing.assert_array_equal(got, values[:512])
