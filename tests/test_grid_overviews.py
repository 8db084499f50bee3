"""Overviews computed by ecociv (grid/overviews.py) against GDAL's own: the COG files written
must be the same, byte for byte, and GDAL must compute them wherever the shortcut could differ."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import pytest
import rasterio
import xarray as xr
from affine import Affine

from ecociv.grid import overviews, write
from ecociv.grid.spec import GridSpec

SHAPE = (304, 2112)  # wider than 2048 cells: overviews; both sides divisible by 2**3
META = write.RasterMeta(units="mm/yr", long_name="water yield", model_id="m", output_id="o")


def _grid(crs: str = "EPSG:32645") -> GridSpec:
    return GridSpec.from_crs(crs, Affine(30.0, 0, 500_000.0, 0, -30.0, 4_800_000.0), SHAPE)


def _values(seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = rng.gamma(2.0, 40.0, SHAPE)
    values[rng.random(SHAPE) < 0.2] = np.nan   # scattered nodata: blocks with 0-4 valid cells
    values[:40, :80] = np.nan
    return values


def _write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, data: xr.DataArray,
           meta: write.RasterMeta, *, own: bool, memory: bool, crs: str = "EPSG:32645") -> tuple[str, Any]:
    monkeypatch.setenv(write.OVERVIEWS_ENV, "1" if own else "0")
    monkeypatch.setenv(write.MEMORY_ENV, "4096" if memory else "0")
    # GDAL's COG driver writes both files (ecociv's own COG writer is checked against it in
    # tests/test_grid_write.py; its ZSTD frames differ from GDAL's, its pixels do not)
    monkeypatch.setenv(write.OWN_COG_ENV, "0")
    used: list[str] = []
    original = write._copy_with_pyramid
    monkeypatch.setattr(write, "_copy_with_pyramid",
                        lambda *args, **kwargs: (used.append("own"), original(*args, **kwargs)))
    path = tmp_path / f"{name}.tif"
    write.write_rasters([(data, path, meta)], _grid(crs))
    monkeypatch.setattr(write, "_copy_with_pyramid", original)
    return hashlib.sha256(path.read_bytes()).hexdigest(), used


@pytest.mark.parametrize("memory", [False, True], ids=["tiled file", "from memory"])
@pytest.mark.parametrize("bands", [None, 3])
@pytest.mark.parametrize("crs", ["EPSG:32645", "EPSG:4326"])
def test_own_overviews_give_gdals_file_byte_for_byte(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, memory: bool, bands: int | None,
        crs: str) -> None:
    values = _values()
    if bands:
        values = np.stack([values * (band + 1) for band in range(bands)])
        data = xr.DataArray(da.from_array(values, chunks=(1, 64, 704)), dims=("band", "y", "x"))
        meta = write.RasterMeta(units="mm", long_name="monthly", model_id="m", output_id="r",
                                bands=bands, band_names=("a", "b", "c"))
    else:
        data = xr.DataArray(da.from_array(values, chunks=(64, 704)), dims=("y", "x"))
        meta = META
    gdal, used_gdal = _write(tmp_path, monkeypatch, "gdal", data, meta, own=False, memory=memory,
                             crs=crs)
    own, used_own = _write(tmp_path, monkeypatch, "own", data, meta, own=True, memory=memory,
                           crs=crs)
    assert used_gdal == [] and used_own == ["own"]  # the shortcut was taken, and only there
    assert own == gdal
    with rasterio.open(tmp_path / "own.tif") as src:
        assert src.overviews(1) == [2, 4, 8]


def test_gdal_computes_the_overviews_where_the_shortcut_could_differ(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    values = _values(5)
    # blocks of 50 rows are not aligned on the 8 rows of three levels
    data = xr.DataArray(da.from_array(values, chunks=(50, 2112)), dims=("y", "x"))
    gdal, _ = _write(tmp_path, monkeypatch, "gdal", data, META, own=False, memory=False)
    own, used = _write(tmp_path, monkeypatch, "own", data, META, own=True, memory=False)
    assert used == [] and own == gdal
    # a valid value next to the float32 nodata (GDAL compares with a tolerance)
    near = values.copy()
    near[100, 100] = np.nextafter(np.float32(write.NODATA["float32"]), np.float32(0))
    data = xr.DataArray(da.from_array(near, chunks=(64, 704)), dims=("y", "x"))
    gdal, _ = _write(tmp_path, monkeypatch, "gdal2", data, META, own=False, memory=True)
    own, used = _write(tmp_path, monkeypatch, "own2", data, META, own=True, memory=True)
    assert used == [] and own == gdal


def test_float64_and_class_outputs_are_left_to_gdal() -> None:
    assert overviews.Pyramid.applies(SHAPE, "float32", categorical=False)
    assert not overviews.Pyramid.applies(SHAPE, "float64", categorical=False)
    assert not overviews.Pyramid.applies(SHAPE, "uint8", categorical=True)
    assert not overviews.Pyramid.applies((300, 2100), "float32", categorical=False)  # 300 % 8
    assert not overviews.Pyramid.applies((512, 512), "float32", categorical=False)  # no levels


@pytest.mark.parametrize(("shape", "levels"), [((4000, 4000), 3), ((512, 513), 1),
                                               ((16000, 300), 5), ((512, 512), 0)])
def test_overview_count_follows_the_cog_driver(shape: tuple[int, int], levels: int) -> None:
    # the COG driver halves (rounding up) while a side exceeds its 512-cell block:
    # 4000 -> 2000 -> 1000 -> 500; 16000 -> 8000 -> 4000 -> 2000 -> 1000 -> 500
    assert overviews.overview_count(shape) == levels


def test_halving_is_the_mean_of_the_valid_cells_of_each_block() -> None:
    nodata = float(write.NODATA["float32"])
    src = np.array([[1, 2, 5, nodata],
                    [3, 4, nodata, nodata]], dtype=np.float32)
    dst = np.empty((1, 2), dtype=np.float32)
    assert overviews._halve(src, nodata, dst, 3e38)
    # (1 + 2 + 3 + 4) / 4 = 2.5; the only valid cell of the second block is 5
    np.testing.assert_array_equal(dst, np.array([[2.5, 5.0]], dtype=np.float32))
    src[:, 2] = nodata
    assert overviews._halve(src, nodata, dst, 3e38)
    assert dst[0, 1] == np.float32(nodata)  # no valid cell: nodata
    src[0, 0] = np.nan
    assert not overviews._halve(src, nodata, dst, 3e38)  # GDAL's treatment of NaN not copied


def test_levels_beyond_the_memory_budget_are_left_to_gdal(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the levels are held until the COG is written: a write whose levels exceed the budget
    # (16000² runs, 12-band outputs) lets GDAL compute them, with the same files
    size = overviews.Pyramid.nbytes(SHAPE, 1, "float32")
    # (152*1056 + 76*528 + 38*264) cells of 4 bytes
    assert size == (152 * 1056 + 76 * 528 + 38 * 264) * 4
    monkeypatch.setattr(write, "OVERVIEW_MEMORY_MB", size * 1.5 / 2**20)
    data = xr.DataArray(da.from_array(_values(), chunks=(64, 704)), dims=("y", "x"))
    monkeypatch.setenv(write.MEMORY_ENV, "0")
    monkeypatch.setenv(write.OWN_COG_ENV, "0")  # GDAL's COG driver writes both
    used: list[str] = []
    original = write._copy_with_pyramid
    monkeypatch.setattr(write, "_copy_with_pyramid",
                        lambda *args, **kwargs: (used.append("own"), original(*args, **kwargs)))
    paths = [tmp_path / f"{name}.tif" for name in ("a", "b")]
    write.write_rasters([(data, path, META) for path in paths], _grid())
    assert used == ["own"]  # the first fits, the second not
    assert paths[0].read_bytes() == paths[1].read_bytes()
