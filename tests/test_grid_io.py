"""Reading rasters onto the run's grid (grid/io.py): nodata becomes NaN, alignment is explicit and
logged, bad files get messages that name the file and what was expected."""

from __future__ import annotations

from pathlib import Path

import dask.array as da
import numpy as np
import pytest
from affine import Affine

from ecociv.errors import InputError
from ecociv.grid import io as grid_io
from ecociv.grid.io import (
    ReadNotes,
    grid_of,
    open_raster,
    read_chunks,
    typed_nodata,
    working_dtype,
)
from ecociv.grid.spec import CHINA_ALBERS, GridSpec

from .conftest import RasterMaker

ORIGIN = (0.0, 5_000_000.0)


def albers(res: float, shape: tuple[int, int], origin: tuple[float, float] = ORIGIN) -> GridSpec:
    return GridSpec.from_crs(CHINA_ALBERS, Affine(res, 0, origin[0], 0, -res, origin[1]), shape)


# --- nodata ---------------------------------------------------------------------------------


def test_declared_nodata_minus_9999_becomes_nan(make_raster: RasterMaker) -> None:
    path = make_raster(np.array([[1.5, -9999.0], [3.0, 4.0]], dtype=np.float32), nodata=-9999)
    data = open_raster(path, albers(30, (2, 2)), name="precipitation", units="mm/yr")
    np.testing.assert_array_equal(data.values, [[1.5, np.nan], [3.0, 4.0]])
    assert data.attrs["units"] == "mm/yr"
    assert float(data.sum()) == 8.5  # never read as zero: the mean is 8.5 / 3
    assert float(data.mean()) == pytest.approx(8.5 / 3)


def test_float32_nodata_compared_in_the_raster_type(make_raster: RasterMaker) -> None:
    # -9999.9 is not a float32 number; the file holds float32(-9999.9) in the nodata cell
    path = make_raster(np.array([[-9999.9, 2.0]], dtype=np.float32), nodata=-9999.9)
    assert np.isnan(open_raster(path, albers(30, (1, 2)), name="x").values[0, 0])


def test_zero_declared_as_nodata_on_integer_raster(make_raster: RasterMaker) -> None:
    path = make_raster(np.array([[0, 1], [2, 0]], dtype=np.uint8), nodata=0)
    data = open_raster(path, albers(30, (2, 2)), name="land_use")
    assert data.dtype == np.float32
    np.testing.assert_array_equal(data.values, [[np.nan, 1], [2, np.nan]])


def test_user_nodata_override_when_the_file_declares_none(make_raster: RasterMaker) -> None:
    path = make_raster(np.array([[-9999.9, 5.0]], dtype=np.float32))
    notes = ReadNotes()
    data = open_raster(path, albers(30, (1, 2)), name="et0", nodata=-9999.9, notes=notes)
    np.testing.assert_array_equal(data.values, [[np.nan, 5.0]])
    assert "nodata value -9999.9 given by the user (the file declares none)" in notes.messages[0]
    # without the override the value is data
    assert open_raster(path, albers(30, (1, 2)), name="et0").values[0, 0] == np.float32(-9999.9)


def test_user_nodata_override_replaces_the_declared_one(make_raster: RasterMaker) -> None:
    path = make_raster(np.array([[0, 255, 7]], dtype=np.uint8), nodata=255)
    data = open_raster(path, albers(30, (1, 3)), name="lu", nodata=0)
    np.testing.assert_array_equal(data.values, [[np.nan, 255, 7]])


@pytest.mark.parametrize(
    ("dtype", "nodata", "expected_dtype"),
    [("int16", -32768, np.float32), ("uint16", 65535, np.float32), ("int32", -2147483648, np.float64),
     ("uint32", 4294967295, np.float64), ("float64", -1e300, np.float64)],
)
def test_integer_and_float_types_keep_exact_values(make_raster: RasterMaker, dtype: str, nodata: float,
                                                  expected_dtype: type) -> None:
    # int32 codes above 2**24 are not representable in float32: read as float64
    big = 16_777_217 if dtype in ("int32", "uint32") else 1000
    path = make_raster(np.array([[nodata, big]]).astype(dtype), nodata=nodata, dtype=dtype)
    data = open_raster(path, albers(30, (1, 2)), name="x")
    assert data.dtype == expected_dtype
    assert np.isnan(data.values[0, 0]) and data.values[0, 1] == big


def test_typed_nodata_and_working_dtype() -> None:
    assert typed_nodata("uint8", -9999) is None  # cannot occur in a uint8 raster
    assert typed_nodata("uint8", 2.5) is None
    assert typed_nodata("int16", float("nan")) is None
    assert typed_nodata("float32", float("nan")) is None
    assert typed_nodata("uint8", 255.0) == np.uint8(255)
    assert typed_nodata("float32", -9999.9) == np.float32(-9999.9)
    assert working_dtype("uint8") == np.float32 and working_dtype("int32") == np.float64
    assert working_dtype("float64") == np.float64


def test_nodata_that_cannot_occur_is_noted_not_wrapped(make_raster: RasterMaker) -> None:
    # -9999 cast to uint8 would be 241: a valid code must not become nodata
    path = make_raster(np.array([[241, 1]], dtype=np.uint8))
    notes = ReadNotes()
    data = open_raster(path, albers(30, (1, 2)), name="lu", nodata=-9999, notes=notes)
    np.testing.assert_array_equal(data.values, [[241, 1]])
    assert any("cannot occur in a uint8 raster" in m for m in notes.messages)


# --- alignment ------------------------------------------------------------------------------


def test_nearest_alignment_60m_to_30m_replicates_cells(make_raster: RasterMaker) -> None:
    # 2×2 cells of 60 m on a 5×5 grid of 30 m with the same corner: each 60 m cell becomes a
    # 2×2 block of 30 m cells; the last row and column are outside the raster -> NaN.
    path = make_raster(np.array([[1, 2], [3, 4]], dtype=np.uint8), res=60)
    notes = ReadNotes()
    data = open_raster(path, albers(30, (5, 5)), name="land_use", align=True, resampling="nearest",
                       notes=notes, categorical=True)
    nan = np.nan
    expected = [[1, 1, 2, 2, nan], [1, 1, 2, 2, nan], [3, 3, 4, 4, nan], [3, 3, 4, 4, nan],
                [nan] * 5]
    np.testing.assert_array_equal(data.values, expected)
    assert len(notes.messages) == 1
    assert "input 'land_use'" in notes.messages[0]
    assert "aligned to the run grid by nearest resampling" in notes.messages[0]
    assert "cell size (60.0, 60.0) vs (30.0, 30.0)" in notes.messages[0]


def test_bilinear_alignment_of_an_integer_raster_is_not_rounded(make_raster: RasterMaker) -> None:
    # int16 [[0, 1], [2, 3]] at 60 m (centres at 30 and 90 m) onto 30 m cells (centres 15, 45, 75,
    # 105 m). Bilinear weights along a row: 15 -> clamped to 0; 45 -> 0 + (45-30)/60 = 0.25;
    # 75 -> 0.75; 105 -> clamped to 1. Down a column the step is 2, so row values are
    # [0, 0.5, 1.5, 2] added to the column values.
    path = make_raster(np.array([[0, 1], [2, 3]], dtype=np.int16), res=60, nodata=-1)
    data = open_raster(path, albers(30, (4, 4)), name="precipitation", align=True,
                       resampling="bilinear")
    across = np.array([0, 0.25, 0.75, 1.0])
    down = np.array([0, 0.5, 1.5, 2.0])
    np.testing.assert_allclose(data.values, down[:, None] + across[None, :])


def test_average_alignment_30m_to_60m(make_raster: RasterMaker) -> None:
    # 4×4 cells of 30 m to 2×2 cells of 60 m: each output cell is the mean of a 2×2 block;
    # the nodata cell is left out of its block's mean: (1 + 2 + 5) / 3 = 8/3.
    values = np.arange(16, dtype=np.float32).reshape(4, 4)
    values[1, 1] = -9999
    path = make_raster(values, nodata=-9999)
    data = open_raster(path, albers(60, (2, 2)), name="et0", align=True, resampling="average")
    expected = [[(0 + 1 + 4) / 3, (2 + 3 + 6 + 7) / 4], [(8 + 9 + 12 + 13) / 4, (10 + 11 + 14 + 15) / 4]]
    np.testing.assert_allclose(data.values, expected, rtol=1e-6)


def test_alignment_across_crs_geographic_onto_albers(make_raster: RasterMaker) -> None:
    # a 1°×1° geographic raster of 7s around 87.5°E 44.5°N (Urumqi) covers a 1 km Albers grid
    # placed at its centre: every aligned cell is 7
    from pyproj import Transformer

    x, y = Transformer.from_crs("EPSG:4326", CHINA_ALBERS, always_xy=True).transform(87.5, 44.5)
    path = make_raster(np.full((10, 10), 7, dtype=np.int16), res=0.1, crs="EPSG:4326",
                       origin=(87.0, 45.0))
    target = albers(1000, (3, 3), origin=(round(x) - 1500, round(y) + 1500))
    data = open_raster(path, target, name="x", align=True, resampling="nearest")
    np.testing.assert_array_equal(data.values, 7)


def test_categorical_raster_is_never_interpolated(make_raster: RasterMaker) -> None:
    path = make_raster(np.array([[1, 2], [3, 4]], dtype=np.uint8), res=60)
    for method in ("bilinear", "average", "cubic"):
        with pytest.raises(InputError, match=f"categorical raster cannot be aligned by '{method}'") as err:
            open_raster(path, albers(30, (4, 4)), name="land_use", align=True, resampling=method,
                        categorical=True)
        assert "input 'land_use'" in str(err.value) and "nearest" in str(err.value)


def test_misaligned_grid_rejected_when_alignment_is_off(make_raster: RasterMaker) -> None:
    # same CRS and size, shifted by half a cell
    path = make_raster(np.ones((2, 2), dtype=np.float32), origin=(15.0, 5_000_000.0))
    with pytest.raises(InputError) as err:
        open_raster(path, albers(30, (2, 2)), name="et0")
    message = str(err.value)
    assert f"input 'et0' ({path})" in message
    assert "not on the run's grid" in message
    assert "upper-left corner (15.0, 5000000.0) vs (0.0, 5000000.0)" in message
    assert "--align" in message


def test_wrong_crs_rejected_and_named(make_raster: RasterMaker) -> None:
    path = make_raster(np.ones((2, 2), dtype=np.float32), crs="EPSG:32645", origin=(500_000, 4_900_000))
    target = GridSpec.from_crs(CHINA_ALBERS, Affine(30, 0, 0, 0, -30, 5_000_000), (2, 2))
    with pytest.raises(InputError) as err:
        open_raster(path, target, name="precipitation", align=False)
    message = str(err.value)
    assert f"input 'precipitation' ({path})" in message
    # either the grids do not overlap or the CRS is named: here the UTM raster lies elsewhere
    assert "EPSG:32645" in message


def test_wrong_crs_overlapping_is_named_as_crs_difference(make_raster: RasterMaker) -> None:
    # an Albers grid labelled with the wrong CRS (Web Mercator) on top of the same numbers
    path = make_raster(np.ones((2, 2), dtype=np.float32), crs="EPSG:3857",
                       origin=(9_700_000.0, 5_500_000.0))
    from pyproj import Transformer

    x, y = Transformer.from_crs("EPSG:3857", CHINA_ALBERS, always_xy=True).transform(9_700_030, 5_499_970)
    target = albers(30, (2, 2), origin=(x - 30, y + 30))
    with pytest.raises(InputError, match=r"CRS EPSG:3857 vs \+proj=aea"):
        open_raster(path, target, name="et0")


def test_missing_crs(make_raster: RasterMaker) -> None:
    path = make_raster(np.ones((2, 2), dtype=np.float32), crs=None)
    with pytest.raises(InputError, match="has no coordinate reference system") as err:
        open_raster(path, albers(30, (2, 2)), name="land_use")
    assert f"input 'land_use' ({path})" in str(err.value)
    with pytest.raises(InputError, match="no coordinate reference system"):
        grid_of(path, name="grid")


def test_geographic_raster_far_away_does_not_overlap(make_raster: RasterMaker) -> None:
    # a raster over Chile (70°W 30°S) against a grid in Xinjiang's Albers coordinates
    path = make_raster(np.ones((4, 4), dtype=np.float32), res=0.01, crs="EPSG:4326", origin=(-70.0, -30.0))
    with pytest.raises(InputError) as err:
        open_raster(path, albers(30, (4, 4)), name="et0", align=True)
    message = str(err.value)
    assert "does not overlap the run's grid" in message
    assert "(-70.0, -30.04, -69.96, -30.0) in EPSG:4326" in message
    assert "grid bounds (0.0, 4999880.0, 120.0, 5000000.0) in +proj=aea" in message


def test_same_crs_no_overlap(make_raster: RasterMaker) -> None:
    path = make_raster(np.ones((2, 2), dtype=np.float32), origin=(1_000_000.0, 5_000_000.0))
    with pytest.raises(InputError, match="does not overlap"):
        open_raster(path, albers(30, (2, 2)), name="x", align=True)


def test_opposite_side_of_the_earth_does_not_crash_the_overlap_test(make_raster: RasterMaker) -> None:
    # 75°W is outside the domain where Albers centred on 105°E is well behaved
    path = make_raster(np.ones((2, 2), dtype=np.float32), res=1, crs="EPSG:4326", origin=(-75.0, 44.0))
    with pytest.raises(InputError, match="does not overlap"):
        open_raster(path, albers(30, (2, 2)), name="x", align=True)


# --- broken files ---------------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.tif"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="file is empty") as err:
        open_raster(path, albers(30, (2, 2)), name="land_use")
    assert f"input 'land_use' ({path})" in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file does not exist") as err:
        open_raster(tmp_path / "nope.tif", albers(30, (2, 2)), name="et0")
    assert "nope.tif" in str(err.value)


def test_truncated_geotiff(make_raster: RasterMaker, tmp_path: Path) -> None:
    full = make_raster(np.random.default_rng(1).random((64, 64)).astype(np.float32))
    data = full.read_bytes()
    truncated = tmp_path / "truncated.tif"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError) as err:
        open_raster(truncated, albers(30, (64, 64)), name="precipitation")
    message = str(err.value)
    assert f"input 'precipitation' ({truncated})" in message
    assert "truncated or corrupt" in message


def test_truncated_tiled_geotiff_fails_before_the_run(tmp_path: Path) -> None:
    # a tiled file cut in half: the header and first tile read, the last tile does not
    import rasterio

    path = tmp_path / "tiled.tif"
    with rasterio.open(path, "w", driver="GTiff", width=512, height=512, count=1, dtype="float32",
                       crs=CHINA_ALBERS, transform=Affine(30, 0, 0, 0, -30, 5e6), tiled=True,
                       blockxsize=256, blockysize=256) as dst:
        dst.write(np.random.default_rng(2).random((512, 512)).astype(np.float32), 1)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated or corrupt"):
        open_raster(path, albers(30, (512, 512)), name="x")


@pytest.mark.parametrize("content", ["lucode,kc\n1,0.5\n", "not a raster at all", "\x00\x01\x02"])
def test_non_raster_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "table.tif"
    path.write_text(content)
    with pytest.raises(InputError, match="not a readable raster") as err:
        open_raster(path, albers(30, (2, 2)), name="land_use")
    assert f"input 'land_use' ({path})" in str(err.value)


# --- laziness -------------------------------------------------------------------------------


def test_reads_are_lazy_and_chunked(make_raster: RasterMaker, monkeypatch: pytest.MonkeyPatch) -> None:
    values = np.arange(40 * 30, dtype=np.float32).reshape(40, 30)
    values[7, 3] = -1
    path = make_raster(values, nodata=-1)
    original = GridSpec.default_chunks
    monkeypatch.setattr(GridSpec, "default_chunks", lambda self, target_cells=0: original(self, 300))
    data = open_raster(path, albers(30, (40, 30)), name="x")
    assert isinstance(data.data, da.Array)
    assert data.data.numblocks == (4, 1)  # 300 cells / 30 columns = 10 rows per chunk
    expected = values.astype(np.float64)
    expected[7, 3] = np.nan
    np.testing.assert_array_equal(data.values, expected)
    # aligned reads are chunked as well
    aligned = open_raster(path, albers(15, (80, 60)), name="x", align=True)
    assert isinstance(aligned.data, da.Array) and aligned.data.numblocks[0] > 1
    assert np.isnan(aligned.values[14:16, 6:8]).all()  # the nodata cell, replicated


def test_scale_and_offset_of_the_file_are_applied(tmp_path: Path) -> None:
    # MODIS-style int16 with scale 0.1: stored 123 -> 12.3; the nodata value is a stored value
    import rasterio

    path = tmp_path / "scaled.tif"
    with rasterio.open(path, "w", driver="GTiff", width=2, height=1, count=1, dtype="int16",
                       crs=CHINA_ALBERS, transform=Affine(30, 0, 0, 0, -30, 5e6), nodata=-32768) as dst:
        dst.write(np.array([[123, -32768]], dtype=np.int16), 1)
        dst.scales = (0.1,)
        dst.offsets = (5.0,)
    notes = ReadNotes()
    data = open_raster(path, albers(30, (1, 2)), name="et0", notes=notes)
    np.testing.assert_allclose(data.values, [[123 * 0.1 + 5.0, np.nan]], rtol=1e-6)
    assert any("scale 0.1 and offset 5" in note for note in notes.messages)


def test_multi_band_raster_reads_band_one_and_says_so(tmp_path: Path) -> None:
    import rasterio

    path = tmp_path / "two.tif"
    with rasterio.open(path, "w", driver="GTiff", width=1, height=1, count=2, dtype="float32",
                       crs=CHINA_ALBERS, transform=Affine(30, 0, 0, 0, -30, 5e6)) as dst:
        dst.write(np.array([[[1.0]], [[2.0]]], dtype=np.float32))
    notes = ReadNotes()
    assert open_raster(path, albers(30, (1, 1)), name="x", notes=notes).values[0, 0] == 1.0
    assert notes.messages == [f"input 'x' ({path}): band 1 of 2 used"]


# --- the block reader -----------------------------------------------------------------------


def _reference(path: Path) -> np.ndarray:
    """Every band as the working float type with NaN where the file's nodata: rasterio's masked
    read, converted after masking (what the reader must give)."""
    import rasterio

    with rasterio.open(path) as src:
        masked = src.read(masked=True)
        work = working_dtype(src.dtypes[0])
        scale, offset = work.type(src.scales[0]), work.type(src.offsets[0])
    out = masked.data.astype(work)
    out[np.ma.getmaskarray(masked)] = np.nan
    return out * scale + offset if (scale, offset) != (1, 0) else out


@pytest.mark.parametrize(("dtype", "nodata", "compress"), [
    ("uint8", 255, "lzw"), ("int16", -32768, "deflate"), ("uint16", 0, None),
    ("int32", -2147483648, "lzw"), ("float32", -9999.0, "lzw"), ("float64", -1e30, None),
    ("float32", None, None)])
def test_block_reader_equals_a_masked_read_on_every_chunking(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dtype: str, nodata: float | None,
        compress: str | None) -> None:
    import rasterio

    rng = np.random.default_rng(5)
    shape = (3, 70, 90)  # three bands; tiles of 16 cells, chunks that do not match them
    values = (rng.random(shape) * 200).astype(dtype)
    if nodata is not None:
        values[rng.random(shape) < 0.2] = nodata
    path = tmp_path / "r.tif"
    with rasterio.open(path, "w", driver="GTiff", width=90, height=70, count=3, dtype=dtype,
                       crs=CHINA_ALBERS, transform=Affine(30, 0, 0, 0, -30, 5e6), nodata=nodata,
                       tiled=True, blockxsize=16, blockysize=16,
                       **({"compress": compress} if compress else {})) as dst:
        dst.write(values)
    expected = _reference(path)
    grid = albers(30, (70, 90))
    original = GridSpec.default_chunks
    for cells in (700, 2000, 10**6):
        monkeypatch.setattr(GridSpec, "default_chunks",
                            lambda self, target_cells=0, c=cells: original(self, c))
        # the three bands in one read, then in reads of two bands and one band
        for fit in (3, 2, 1):
            chunk_cells = int(np.prod(read_chunks(grid)))
            monkeypatch.setattr(grid_io, "READ_BAND_CHUNK_BYTES",
                                fit * chunk_cells * working_dtype(dtype).itemsize)
            many = open_raster(path, grid, name="x", bands=3)
            assert many.chunks[0] == {3: (3,), 2: (2, 1), 1: (1, 1, 1)}[fit]
            assert many.dtype == working_dtype(dtype) and many.dims == ("band", "y", "x")
            np.testing.assert_array_equal(many.values, expected)
        one = open_raster(path, grid, name="x")
        np.testing.assert_array_equal(one.values, expected[0])


def test_bands_read_in_equal_groups_within_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grid_io, "READ_BAND_CHUNK_BYTES", 32 << 20)
    band = 256 * 4000 * 4  # a float32 band of a 1 Mi-cell chunk (4000 columns)
    assert grid_io.band_chunk(12, 256 * 4000, 4) == 6  # 8 fit: two groups of 6
    assert grid_io.band_chunk(12, 256 * 4000, 8) == 4  # 4 fit: three groups of 4
    assert grid_io.band_chunk(5, 256 * 4000, 4) == 5
    assert grid_io.band_chunk(1, 256 * 4000, 4) == 1
    assert grid_io.band_chunk(3, 10 * band, 4) == 1  # not even one band fits: one a read
    assert grid_io.band_chunk(13, 256 * 4000, 4) == 7  # 7 and 6
    for count in range(1, 40):
        together = grid_io.band_chunk(count, 256 * 4000, 4)
        assert together * band <= 32 << 20 and -(-count // together) == -(-count // 8)


def test_block_reader_keeps_64_bit_integers_apart_from_their_nodata(tmp_path: Path) -> None:
    # 2**60 + 1 and the nodata 2**60 are the same float64: masking after the conversion would
    # drop the valid cell (the reader is given the nodata directly: rasterio 1.4 reads an int64
    # file's declared nodata through a double)
    import rasterio

    from ecociv.grid.io import BlockReader

    path = tmp_path / "wide.tif"
    values = np.array([[2**60, 2**60 + 1, 7]], dtype=np.int64)
    with rasterio.open(path, "w", driver="GTiff", width=3, height=1, count=1, dtype="int64",
                       crs=CHINA_ALBERS, transform=Affine(30, 0, 0, 0, -30, 5e6)) as dst:
        dst.write(values, 1)
    reader = BlockReader(str(path), 1, (1, 3), working_dtype("int64"), np.int64(2**60),
                         stored=np.dtype("int64"))
    data = reader[0:1, 0:1, 0:3][0]
    assert data.dtype == np.float64
    assert np.isnan(data[0, 0]) and data[0, 1] == float(2**60 + 1) and data[0, 2] == 7.0


def test_block_reader_reads_each_chunk_once_and_survives_pickling(
        make_raster: RasterMaker, monkeypatch: pytest.MonkeyPatch) -> None:
    import pickle

    from ecociv.grid.io import BlockReader

    values = np.arange(40 * 30, dtype=np.float32).reshape(40, 30)
    path = make_raster(values, nodata=5.0)
    original = GridSpec.default_chunks
    monkeypatch.setattr(GridSpec, "default_chunks", lambda self, target_cells=0: original(self, 300))
    calls = []
    get = BlockReader.__getitem__
    monkeypatch.setattr(BlockReader, "__getitem__", lambda self, key: calls.append(key) or get(self, key))
    data = open_raster(path, albers(30, (40, 30)), name="x")
    total = (data.sum() + data.max()).values  # two results sharing every chunk
    assert len(calls) == 4 and total == np.nansum(values) - 5.0 + values.max()
    reader = BlockReader(str(path), 1, (40, 30), np.dtype(np.float32), np.float32(5.0))
    copy = pickle.loads(pickle.dumps(reader))
    np.testing.assert_array_equal(copy[0:1, 0:2, 4:7], reader[0:1, 0:2, 4:7])
    assert np.isnan(copy[0:1, 0:1, 5:6]).all() and copy[0:1, 1:2, 4:5].item() == 34.0


@pytest.mark.parametrize("crs", [CHINA_ALBERS, "EPSG:32645", "EPSG:4326"])
@pytest.mark.parametrize("bands", [None, 3])
def test_grid_mapping_is_rioxarrays(crs: str, bands: int | None) -> None:
    """``with_grid_mapping`` (the CRS and transform of every opened raster, its attributes
    made once per grid) gives what rioxarray's ``write_crs`` and ``write_transform`` give."""
    import xarray as xr

    res = 0.01 if crs == "EPSG:4326" else 30.0
    origin = (80.0, 45.0) if crs == "EPSG:4326" else (500_000.0, 4_900_000.0)
    grid = GridSpec.from_crs(crs, Affine(res, 0, origin[0], 0, -res, origin[1]), (4, 5))
    shape = grid.shape if bands is None else (bands, *grid.shape)
    dims = ("y", "x") if bands is None else ("band", "y", "x")

    def raster() -> xr.DataArray:
        coords = {"x": grid.x_coords(), "y": grid.y_coords()}
        if bands is not None:
            coords["band"] = np.arange(1, bands + 1)
        return xr.DataArray(np.zeros(shape), dims=dims, coords=coords, name="r",
                            attrs={"units": "mm"})

    for _ in range(2):  # made, then from the cache
        ours = grid_io.with_grid_mapping(raster(), grid)
        theirs = raster().rio.write_crs(grid.crs.to_wkt()).rio.write_transform(grid.transform)
        xr.testing.assert_identical(ours, theirs)
        assert list(ours.coords) == list(theirs.coords)
        assert ours.encoding == theirs.encoding == {"grid_mapping": "spatial_ref"}
        assert ours.coords["spatial_ref"].attrs == theirs.coords["spatial_ref"].attrs
        assert ours.rio.crs == theirs.rio.crs and ours.rio.transform() == grid.transform
    # the cached attributes are not shared: changing one raster's leaves the next one's
    ours.coords["spatial_ref"].attrs["GeoTransform"] = "changed"
    assert grid_io.with_grid_mapping(raster(), grid).coords["spatial_ref"].attrs[
        "GeoTransform"] == theirs.coords["spatial_ref"].attrs["GeoTransform"]
