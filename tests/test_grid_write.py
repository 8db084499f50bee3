"""Writing rasters (grid/write.py): Cloud-Optimized GeoTIFFs with units, long_name, nodata and
model id in their tags; NaN written as nodata; chunked writes; overviews on large rasters."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

import dask
import dask.array as da
import numpy as np
import pytest
import rasterio
import rasterio.shutil
import xarray as xr
from affine import Affine

from ecociv.errors import InputError
from ecociv.grid.io import from_array
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.grid.write import NODATA, RasterMeta, compression, compute_in_order, write_rasters

META = RasterMeta(units="t/ha", long_name="carbon density", model_id="carbon", output_id="density")


def albers(shape: tuple[int, int], res: float = 30.0) -> GridSpec:
    return GridSpec.from_crs(CHINA_ALBERS, Affine(res, 0, 0, 0, -res, 5_000_000), shape)


def test_cog_with_tags_nodata_and_layout(tmp_path: Path) -> None:
    grid = albers((3, 4))
    values = np.arange(12, dtype=np.float64).reshape(3, 4)
    values[1, 2] = np.nan
    path = tmp_path / "density.tif"
    write_rasters([(from_array(values, grid, name="density"), path, META)], grid)
    with rasterio.open(path) as src:
        assert src.driver == "GTiff"
        assert src.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert src.profile["tiled"] is True
        tags = src.tags()
        assert tags["units"] == "t/ha" and tags["long_name"] == "carbon density"
        assert tags["model_id"] == "carbon" and tags["output_id"] == "density"
        assert src.tags(1)["units"] == "t/ha" and src.units == ("t/ha",)
        assert src.descriptions == ("carbon density",)
        assert src.nodata == NODATA["float32"] and src.dtypes == ("float32",)
        assert GridSpec.from_crs(src.crs.to_wkt(), src.transform, src.shape).same_as(grid)
        assert src.overviews(1) == []  # small raster: no overviews
        data = src.read(1, masked=True)
    assert data.mask.tolist() == np.isnan(values).tolist()
    np.testing.assert_array_equal(data.filled(np.nan), values.astype(np.float32))
    assert not list(tmp_path.glob(".*tiled*"))  # the intermediate tiled file is removed


def test_multi_chunk_writes_not_aligned_to_tiles(tmp_path: Path) -> None:
    # 300×270 cells in 7×11 chunks: many chunks share each 256×256 tile of the intermediate
    grid = albers((300, 270))
    values = np.random.default_rng(3).random((300, 270))
    values[values < 0.05] = np.nan
    lazy = xr.DataArray(da.from_array(values, chunks=(7, 11)), dims=("y", "x"))
    path = tmp_path / "x.tif"
    write_rasters([(lazy, path, META)], grid)
    with rasterio.open(path) as src:
        read = src.read(1, masked=True).filled(np.nan)
    np.testing.assert_array_equal(read, values.astype(np.float32))


def test_integer_output_and_several_rasters_in_one_pass(tmp_path: Path) -> None:
    grid = albers((2, 3))
    codes = from_array(np.array([[1.0, np.nan, 3.0], [4.0, 5.0, 6.0]]), grid, name="c")
    meta16 = RasterMeta(units=None, long_name="class", model_id="m", output_id="c", dtype="int16",
                        categorical=True)
    write_rasters([(codes, tmp_path / "c.tif", meta16), (codes * 2, tmp_path / "d.tif", META)], grid)
    with rasterio.open(tmp_path / "c.tif") as src:
        assert src.dtypes == ("int16",) and src.nodata == -32768
        np.testing.assert_array_equal(src.read(1), [[1, -32768, 3], [4, 5, 6]])
        assert "units" not in src.tags()  # class codes are not a quantity
    with rasterio.open(tmp_path / "d.tif") as src:
        np.testing.assert_array_equal(src.read(1, masked=True).filled(np.nan),
                                      [[2, np.nan, 6], [8, 10, 12]])


def test_large_raster_gets_overviews(tmp_path: Path) -> None:
    # wider than 2048 cells: the COG carries overviews (internal, averaged)
    grid = albers((600, 2100))
    lazy = xr.DataArray(da.ones((600, 2100), chunks=(256, 2100), dtype=np.float32), dims=("y", "x"))
    path = tmp_path / "big.tif"
    write_rasters([(lazy, path, META)], grid)
    with rasterio.open(path) as src:
        assert src.overviews(1), "a raster larger than 2048 cells needs overviews"
        assert src.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"


def test_extra_results_come_back_in_order(tmp_path: Path) -> None:
    """Regression: dask 2026.8 returns a mix of arrays and delayed values out of order."""
    grid = albers((4, 4))
    data = xr.DataArray(da.arange(16, chunks=4, dtype=np.float64).reshape(4, 4), dims=("y", "x"))
    extra = [dask.delayed(lambda: "first")(), data.data.sum(), dask.delayed(lambda: "third")(),
             data.data.max(), np.float64(5.0)]
    results = write_rasters([(data, tmp_path / "x.tif", META)], grid, extra=extra)
    assert results == ["first", 120.0, "third", 15.0, 5.0]
    assert compute_in_order(data.data.sum(), dask.delayed(str)("b"), 3) == (120.0, "b", 3)


def test_dimensionless_is_tagged_1_and_codes_have_no_units(tmp_path: Path) -> None:
    # CF/UDUNITS write dimensionless as "1"; class codes (units None) are not quantities
    grid = albers((1, 1))
    for units, expected in (("", "1"), (None, None)):
        meta = RasterMeta(units=units, long_name="runoff ratio", model_id="m", output_id="r")
        write_rasters([(from_array(np.array([[0.5]]), grid, name="r"), tmp_path / "r.tif", meta)], grid)
        with rasterio.open(tmp_path / "r.tif") as src:
            assert src.tags().get("units") == expected and src.tags()["long_name"] == "runoff ratio"


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "uint8"])
def test_nodata_of_every_output_type(tmp_path: Path, dtype: str) -> None:
    grid = albers((1, 2))
    meta = RasterMeta(units="", long_name="x", model_id="m", output_id="x", dtype=dtype)
    write_rasters([(from_array(np.array([[np.nan, 7.0]]), grid, name="x"), tmp_path / "x.tif", meta)], grid)
    with rasterio.open(tmp_path / "x.tif") as src:
        assert src.nodata == NODATA[dtype]
        masked = src.read(1, masked=True)
        assert masked.mask.tolist() == [[True, False]] and masked[0, 1] == 7


def test_integer_output_out_of_its_type_range_is_an_error(tmp_path: Path) -> None:
    from ecociv.errors import OutputError

    grid = albers((1, 2))
    meta = RasterMeta(units=None, long_name="class", model_id="m", output_id="classes", dtype="uint8")
    with pytest.raises(OutputError, match=r"output 'classes' holds 300, outside the range of its "
                                          r"declared type uint8 \[0, 255\]"):
        write_rasters([(from_array(np.array([[1.0, 300.0]]), grid, name="c"), tmp_path / "classes.tif",
                        meta)], grid)
    assert list(tmp_path.iterdir()) == []  # no intermediate file left behind


CLASSES = ((1, "generally important 一般重要", "#ffffb2"), (2, "important 重要", "#fd8d3c"),
           (3, "extremely important 极重要", "#bd0026"))
CLASS_META = RasterMeta(units=None, long_name="importance", model_id="ecological_redline",
                        output_id="importance_class", dtype="uint8", categorical=True,
                        categories=CLASSES)


def _as_vrt(path: Path, tmp_path: Path) -> ET.Element:
    """What GDAL reads from a raster and its .aux.xml, serialised by its VRT driver (rasterio has
    no API for category names and attribute tables)."""
    vrt = tmp_path / f"{path.stem}.vrt"
    rasterio.shutil.copy(str(path), str(vrt), driver="VRT")
    return ET.fromstring(vrt.read_text(encoding="utf-8"))


def test_categorical_raster_has_colour_table_names_and_attribute_table(tmp_path: Path) -> None:
    grid = albers((2, 3))
    values = np.array([[1, 2, 3], [3, 2, np.nan]])
    path = tmp_path / "importance_class.tif"
    write_rasters([(from_array(values, grid, name="c"), path, CLASS_META)], grid)
    with rasterio.open(path) as src:
        colours = src.colormap(1)
        assert src.colorinterp[0] == rasterio.enums.ColorInterp.palette
    assert colours[1] == (0xff, 0xff, 0xb2, 255) and colours[3] == (0xbd, 0x00, 0x26, 255)
    band = _as_vrt(path, tmp_path).find("VRTRasterBand")
    assert band is not None
    names = [c.text or "" for c in band.iterfind("CategoryNames/Category")]
    assert names == ["", "generally important 一般重要", "important 重要", "extremely important 极重要"]
    table = band.find("GDALRasterAttributeTable")
    assert table is not None
    assert [f.findtext("Name") for f in table.iterfind("FieldDefn")] == [
        "Value", "Name", "Red", "Green", "Blue", "Alpha"]
    rows = [[f.text for f in row.iterfind("F")] for row in table.iterfind("Row")]
    assert rows[2] == ["3", "extremely important 极重要", "189", "0", "38", "255"]


def test_continuous_raster_has_no_colour_table_or_sidecar(tmp_path: Path) -> None:
    grid = albers((2, 2))
    path = tmp_path / "density.tif"
    write_rasters([(from_array(np.ones((2, 2)), grid, name="d"), path, META)], grid)
    with rasterio.open(path) as src, pytest.raises(ValueError):
        src.colormap(1)
    assert not path.with_name("density.tif.aux.xml").exists()


def test_categorical_overviews_take_the_most_frequent_class(tmp_path: Path) -> None:
    # In every 2×2 block three cells are class 1 and the upper-left one is class 3. The first
    # overview must hold class 1 everywhere: GDAL's NEAREST keeps the upper-left cell (3), AVERAGE
    # invents class 2 (mean 1.5).
    shape = (16, 2560)  # wider than 2048 cells: overviews are built
    values = np.ones(shape)
    values[0::2, 0::2] = 3
    grid = albers(shape)
    path = tmp_path / "c.tif"
    write_rasters([(from_array(values, grid, name="c"), path, CLASS_META)], grid)
    with rasterio.open(path, overview_level=0) as src:
        assert src.shape == (8, 1280)
        assert np.unique(src.read(1)).tolist() == [1]
    continuous = tmp_path / "d.tif"
    write_rasters([(from_array(values, grid, name="d"), continuous, META)], grid)
    with rasterio.open(continuous, overview_level=0) as src:
        assert np.unique(src.read(1)).tolist() == [1.5]  # continuous (float32): averaged


@pytest.mark.parametrize(("option", "env", "expected"), [
    (None, None, "ZSTD"), ("deflate", None, "DEFLATE"), (None, "deflate", "DEFLATE"),
    ("zstd", "deflate", "ZSTD")])
def test_compression_option_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             option: str | None, env: str | None,
                                             expected: str) -> None:
    if env is None:
        monkeypatch.delenv("ECOCIV_COMPRESS", raising=False)
    else:
        monkeypatch.setenv("ECOCIV_COMPRESS", env)
    grid = albers((3, 4))
    path = tmp_path / "x.tif"
    write_rasters([(from_array(np.arange(12.0).reshape(3, 4), grid, name="x"), path, META)], grid,
                  compress=option)
    with rasterio.open(path) as src:
        assert src.tags(ns="IMAGE_STRUCTURE")["COMPRESSION"] == expected
        np.testing.assert_array_equal(src.read(1), np.arange(12.0).reshape(3, 4))


def test_unknown_compression_is_an_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOCIV_COMPRESS", "lzw")
    with pytest.raises(InputError, match=r"ECOCIV_COMPRESS.*'lzw'.*zstd, deflate"):
        compression()
    with pytest.raises(InputError, match="'jpeg'"):
        compression("jpeg")


def test_model_run_compress_option(capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from importlib.resources import files

    from tests.cli_helper import run_ecociv

    monkeypatch.delenv("ECOCIV_COMPRESS", raising=False)
    example = Path(str(files("ecociv") / "data" / "example"))
    args = ["model", "run", "carbon", "--input", f"land_use={example / 'land_use_synthetic.tif'}",
            "--input", f"carbon_pools={example / 'carbon_pools_illustrative.csv'}"]
    code, _, err = run_ecociv(capsys, monkeypatch, *args, "--out", str(tmp_path / "d"),
                              "--compress", "deflate")
    assert code == 0, err
    with rasterio.open(tmp_path / "d" / "carbon_density.tif") as src:
        assert src.tags(ns="IMAGE_STRUCTURE")["COMPRESSION"] == "DEFLATE"
    code, _, err = run_ecociv(capsys, monkeypatch, *args, "--out", str(tmp_path / "x"),
                              "--compress", "lzw")
    assert code == 2 and "unknown raster compression 'lzw'" in err
    assert not (tmp_path / "x").exists()


def test_raster_compression_block_is_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    from ecociv.grid.write import raster_compression

    monkeypatch.delenv("ECOCIV_COMPRESS", raising=False)
    with raster_compression("DEFLATE"):
        assert compression() == "deflate"
        with raster_compression(None):
            assert compression() == "deflate"
        assert compression("zstd") == "zstd"
    assert compression() == "zstd"


def test_class_sidecar_with_colour_table_for_a_copied_raster(tmp_path: Path) -> None:
    # a COG copy has no colour table of its own: the .aux.xml gives it one, which GDAL reads
    from ecociv.grid.write import palette_classes, write_class_sidecar

    grid = albers((2, 2))
    path = tmp_path / "lu.tif"
    meta = RasterMeta(units=None, long_name="land use", model_id="m", output_id="lu", dtype="uint8")
    write_rasters([(from_array(np.array([[1.0, 2.0], [3.0, 1.0]]), grid, name="lu"), path, meta)],
                  grid)
    classes = palette_classes({3: "grassland", 1: "cropland", 2: "forest"})
    assert [c[:2] for c in classes] == [(1, "cropland"), (2, "forest"), (3, "grassland")]
    write_class_sidecar(path, classes, colour_table=True)
    with rasterio.open(path) as src:
        colours = src.colormap(1)
    for code, _, colour in classes:
        assert colours[code] == (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16), 255)
    band = _as_vrt(path, tmp_path).find("VRTRasterBand")
    assert band is not None
    assert [c.text or "" for c in band.iterfind("CategoryNames/Category")] == [
        "", "cropland", "forest", "grassland"]


def _contents(path: Path) -> dict[str, object]:
    """Everything a reader sees in a written COG: pixels of every band and overview, tags,
    descriptions, units, nodata, colour tables, layout and the sidecar."""
    out: dict[str, object] = {}
    with rasterio.open(path) as src:
        out["profile"] = {k: v for k, v in src.profile.items() if k != "crs"}
        out["crs"] = src.crs.to_wkt()
        out["tags"] = [src.tags(), *(src.tags(i) for i in src.indexes)]
        out["structure"] = src.tags(ns="IMAGE_STRUCTURE")
        out["descriptions"], out["units"] = src.descriptions, src.units
        out["overviews"] = src.overviews(1)
        out["colormaps"] = [src.colormap(i) if src.colorinterp[i - 1].name == "palette" else None
                            for i in src.indexes]
        out["pixels"] = src.read().tobytes()
        levels = len(src.overviews(1))
    for level in range(levels):
        with rasterio.open(path, overview_level=level) as src:
            out[f"overview {level}"] = src.read().tobytes()
    sidecar = path.with_name(path.name + ".aux.xml")
    out["sidecar"] = sidecar.read_text(encoding="utf-8") if sidecar.exists() else None
    return out


@pytest.mark.parametrize("case", ["float32", "categorical", "multiband"])
def test_writes_from_memory_and_through_a_tiled_file_give_the_same_cog(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    # outputs within the memory budget are written as COGs straight from an array; larger ones
    # through a tiled file on disk; a reader must not be able to tell which
    from ecociv.grid import write

    shape = (300, 2100)  # wider than 2048 cells: three overview levels
    rng = np.random.default_rng(11)
    grid = albers(shape)
    if case == "float32":
        values: np.ndarray = rng.gamma(2.0, 40.0, shape)
        values[rng.random(shape) < 0.1] = np.nan
        meta = META
        data = xr.DataArray(da.from_array(values, chunks=(64, 700)), dims=("y", "x"))
    elif case == "categorical":
        values = rng.integers(1, 4, shape).astype(np.float64)
        values[:40, :40] = np.nan
        meta = CLASS_META
        data = from_array(values, grid, name="c")  # NumPy-backed
    else:
        values = rng.integers(-5, 900, (3, *shape)).astype(np.float64)
        meta = RasterMeta(units="mm", long_name="monthly", model_id="m", output_id="r",
                          dtype="int16", bands=3, band_names=("a", "b", "c"))
        data = xr.DataArray(da.from_array(values, chunks=(1, 128, 2100)), dims=("band", "y", "x"))
    written = {}
    for label, budget in (("memory", "4096"), ("file", "0")):
        monkeypatch.setenv(write.MEMORY_ENV, budget)
        folder = tmp_path / label
        folder.mkdir()
        write_rasters([(data, folder / "out.tif", meta)], grid)
        assert sorted(p.name for p in folder.iterdir()) == (
            ["out.tif", "out.tif.aux.xml"] if meta.categories else ["out.tif"])
        written[label] = _contents(folder / "out.tif")
    assert written["memory"]["structure"]["LAYOUT"] == "COG"  # type: ignore[index]
    assert len(written["memory"]["overviews"]) == 3  # type: ignore[arg-type]
    for key in written["file"]:
        assert written["memory"][key] == written["file"][key], key


def test_memory_budget_follows_the_setting_and_the_address_space_limit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import resource

    from ecociv.grid import write

    monkeypatch.setenv(write.MEMORY_ENV, "12")
    assert write.memory_budget() == 12 * 2**20
    monkeypatch.setenv(write.MEMORY_ENV, "0")
    assert write.memory_budget() == 0
    monkeypatch.setenv(write.MEMORY_ENV, "lots")
    with pytest.raises(InputError, match="ECOCIV_WRITE_MEMORY_MB must be a number of MiB"):
        write.memory_budget()
    monkeypatch.delenv(write.MEMORY_ENV)
    assert 0 < write.memory_budget() <= write.WRITE_MEMORY_MB * 2**20  # small outputs by default
    monkeypatch.setattr(resource, "getrlimit", lambda kind: (8 * 2**20, resource.RLIM_INFINITY))
    assert 0 <= write.memory_budget() <= 2 * 2**20  # a quarter of an 8 MiB address space


class _FiltersUntouched:
    """A stand-in for ``warnings.catch_warnings`` that leaves the filters as they are: what a
    thread inside one sees when another thread's ``catch_warnings`` restores the filters."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


def test_a_cog_from_memory_is_georeferenced_from_the_moment_it_is_opened(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # rasterio's MemoryDataset opened the array without a geotransform and hid the warning of
    # that moment with catch_warnings, which is process-wide: with two scenario steps writing at
    # once, the warning reached the user (a CI demo run failed on it). The in-memory dataset
    # must carry its georeferencing when it is opened, so there is nothing to hide.
    import warnings

    from ecociv.grid import write

    monkeypatch.setenv(write.MEMORY_ENV, "64")
    grid = albers((20, 30))
    values = np.arange(600, dtype=np.float64).reshape(20, 30)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # from here on, a catch_warnings block of the library changes nothing: the filters stay
        # "error", as when another thread restores them while the block is inside
        monkeypatch.setattr(warnings, "catch_warnings", _FiltersUntouched)
        monkeypatch.setattr(warnings, "simplefilter", lambda *args, **kwargs: None)
        write_rasters([(from_array(values, grid, name="d"), tmp_path / "d.tif", META)], grid)
        monkeypatch.undo()
    with rasterio.open(tmp_path / "d.tif") as src:
        assert src.transform == grid.transform
        assert src.crs == rasterio.crs.CRS.from_wkt(grid.crs_wkt)
        np.testing.assert_array_equal(src.read(1), values.astype(np.float32))


def test_cogs_written_from_memory_in_threads_keep_their_georeferencing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # many small writes in four threads at once (two scenario steps, each writing two outputs
    # on two threads): every file has the grid's transform and CRS, and no warning is raised
    import threading
    import warnings

    from ecociv.grid import write

    monkeypatch.setenv(write.MEMORY_ENV, "64")
    grid = albers((40, 50))
    caught: list[str] = []
    errors: list[BaseException] = []

    def work(thread: int) -> None:
        try:
            for index in range(15):
                values = np.full((40, 50), float(thread * 100 + index))
                paths = [tmp_path / f"t{thread}_{index}_{k}.tif" for k in range(2)]
                write_rasters([(from_array(values, grid, name="v"), p, META) for p in paths], grid)
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        shown = warnings.showwarning
        warnings.showwarning = lambda message, category, *args, **kwargs: caught.append(
            f"{category.__name__}: {message}")
        try:
            threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            warnings.showwarning = shown
    assert not errors and not caught
    for path in tmp_path.glob("*.tif"):
        with rasterio.open(path) as src:
            assert src.transform == grid.transform and src.crs is not None, path.name
    assert len(list(tmp_path.glob("*.tif"))) == 4 * 15 * 2


def _cog_layout_errors(path: Path) -> list[str]:
    """The checks of GDAL's ``validate_cloud_optimized_geotiff.py`` (GDAL's sources,
    swig/python/gdal-utils/osgeo_utils/samples; with its full check) through the same TIFF
    metadata items of GDAL, read with rasterio: the main IFD right after GDAL's structural
    metadata, the IFDs of smaller overviews at larger offsets, the data of the smallest overview
    first and of the full resolution last, after the last IFD, blocks in row-major order, each
    preceded by its byte count and followed by its last 4 bytes again."""
    errors = []
    raw = path.read_bytes()
    header = 16 if raw[2:4] == b"+\x00" else 8
    pattern = b"GDAL_STRUCTURAL_METADATA_SIZE="
    if raw[header:header + len(pattern)] != pattern:
        return ["no GDAL structural metadata"]
    size = int(raw[header + len(pattern):header + len(pattern) + 6])
    metadata = raw[header + 43:header + 43 + size].decode("latin-1")
    expected_ifd = header + 43 + size
    expected_ifd += expected_ifd % 2
    for item in ("BLOCK_ORDER=ROW_MAJOR", "BLOCK_LEADER=SIZE_AS_UINT4",
                 "BLOCK_TRAILER=LAST_4_BYTES_REPEATED", "KNOWN_INCOMPATIBLE_EDITION=NO"):
        if item not in metadata:
            errors.append(f"structural metadata without {item}")
    with rasterio.open(path) as src:
        levels: list[int | None] = [None, *range(len(src.overviews(1)))]
        shapes = [src.shape] + [(-(-src.height // f), -(-src.width // f))
                                for f in src.overviews(1)]
        block = src.block_shapes[0]
        ifds = [int(src.get_tag_item("IFD_OFFSET", "TIFF", bidx=1, ovr=level))
                for level in levels]
        first_blocks = []
        for level, (rows, cols) in zip(levels, shapes, strict=True):
            last = 0
            first = None
            for y in range(-(-rows // block[0])):
                for x in range(-(-cols // block[1])):
                    offset = int(src.get_tag_item(f"BLOCK_OFFSET_{x}_{y}", "TIFF", bidx=1,
                                                  ovr=level) or 0)
                    count = int(src.get_tag_item(f"BLOCK_SIZE_{x}_{y}", "TIFF", bidx=1,
                                                 ovr=level) or 0)
                    if not offset:
                        continue
                    first = offset if first is None else first
                    if offset < last:
                        errors.append(f"level {level}: block ({x}, {y}) before the one before")
                    if int.from_bytes(raw[offset - 4:offset], "little") != count:
                        errors.append(f"level {level}: leader of block ({x}, {y})")
                    if raw[offset + count - 4:offset + count] != raw[offset + count:offset + count + 4]:
                        errors.append(f"level {level}: trailer of block ({x}, {y})")
                    last = offset
            first_blocks.append(first or 0)
    if ifds[0] != expected_ifd:
        errors.append(f"main IFD at {ifds[0]}, not {expected_ifd}")
    if ifds != sorted(ifds):
        errors.append(f"IFDs not by decreasing size at increasing offsets: {ifds}")
    if first_blocks[-1] < ifds[-1]:
        errors.append("the data of the smallest overview starts before its IFD")
    if first_blocks[::-1] != sorted(first_blocks):
        errors.append(f"the data are not smallest overview first: {first_blocks}")
    return errors


def _own_and_gdal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: xr.DataArray,
                  grid: GridSpec, meta: RasterMeta, *, memory: bool,
                  compress: str | None = None) -> tuple[dict[str, object], dict[str, object], list[Path]]:
    """The contents of the COGs written by ecociv's own writer and by GDAL's COG driver, and the
    files ecociv's writer assembled (none when GDAL wrote the file)."""
    from ecociv.grid import cog, write

    assembled: list[Path] = []
    original = cog.assemble

    def spy(path: Path, *args: object, **kwargs: object) -> None:
        assembled.append(path)
        original(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cog, "assemble", spy)
    monkeypatch.setenv(write.MEMORY_ENV, "4096" if memory else "0")
    contents = {}
    for label, own in (("gdal", "0"), ("own", "1")):
        monkeypatch.setenv(write.OWN_COG_ENV, own)
        folder = tmp_path / label
        folder.mkdir()
        write_rasters([(data, folder / "out.tif", meta)], grid, compress=compress)
        assert sorted(p.name for p in folder.iterdir()) == ["out.tif"]  # no scratch left
        contents[label] = _contents(folder / "out.tif")
        if label == "gdal":
            assert assembled == []
    return contents["own"], contents["gdal"], assembled


def _float_values(shape: tuple[int, int], seed: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = rng.gamma(2.0, 40.0, shape)
    values[rng.random(shape) < 0.2] = np.nan  # overview blocks with 0-4 valid cells
    values[:40, :600] = np.nan
    return values


@pytest.mark.parametrize("memory", [False, True], ids=["tiles in the pass", "from memory"])
@pytest.mark.parametrize(("crs", "compress"), [(CHINA_ALBERS, "zstd"), ("EPSG:32645", "zstd"),
                                               ("EPSG:4326", "zstd"), (CHINA_ALBERS, "deflate")])
def test_own_cog_has_the_pixels_overviews_tags_and_layout_of_gdals(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, memory: bool, crs: str,
        compress: str) -> None:
    # 1040 x 2112 cells: 3 rows of 512-cell tiles (the last of 16 rows), 5 columns (the last of
    # 64), three overview levels; blocks of 48 x 704 cells straddle the rows of tiles
    shape = (1040, 2112)
    grid = GridSpec.from_crs(crs, Affine(30.0, 0, 500_000.0, 0, -30.0, 4_800_000.0), shape)
    data = xr.DataArray(da.from_array(_float_values(shape), chunks=(48, 704)), dims=("y", "x"))
    own, gdal, assembled = _own_and_gdal(tmp_path, monkeypatch, data, grid, META, memory=memory,
                                         compress=compress)
    assert assembled == [tmp_path / "own" / "out.tif"]  # written by ecociv's writer, once
    assert own["structure"] == {"LAYOUT": "COG", "COMPRESSION": compress.upper(),
                                "INTERLEAVE": "BAND", "PREDICTOR": "3"}
    assert len(own["overviews"]) == 3  # type: ignore[arg-type]
    for key in gdal:
        assert own[key] == gdal[key], key
    assert _cog_layout_errors(tmp_path / "own" / "out.tif") == []
    assert _cog_layout_errors(tmp_path / "gdal" / "out.tif") == []  # the checks accept GDAL's


def test_cog_layout_check_finds_a_broken_trailer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                 ) -> None:
    shape = (304, 2112)
    grid = albers(shape)
    data = xr.DataArray(da.from_array(_float_values(shape), chunks=(64, 704)), dims=("y", "x"))
    _own_and_gdal(tmp_path, monkeypatch, data, grid, META, memory=False)
    path = tmp_path / "own" / "out.tif"
    with rasterio.open(path) as src:
        offset = int(src.get_tag_item("BLOCK_OFFSET_1_0", "TIFF", bidx=1))
        count = int(src.get_tag_item("BLOCK_SIZE_1_0", "TIFF", bidx=1))
    raw = bytearray(path.read_bytes())
    raw[offset + count] ^= 0xFF
    path.write_bytes(bytes(raw))
    assert _cog_layout_errors(path) == ["level None: trailer of block (1, 0)"]


def test_own_cog_as_bigtiff(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ecociv.grid import cog

    monkeypatch.setattr(cog, "CLASSIC_LIMIT", 1000)  # as if the file passed 4 GiB
    shape = (304, 2112)
    grid = albers(shape)
    data = xr.DataArray(da.from_array(_float_values(shape), chunks=(64, 704)), dims=("y", "x"))
    own, gdal, assembled = _own_and_gdal(tmp_path, monkeypatch, data, grid, META, memory=False)
    assert assembled == [tmp_path / "own" / "out.tif"]
    assert (tmp_path / "own" / "out.tif").read_bytes()[:4] == b"II+\x00"  # BigTIFF
    for key in gdal:
        assert own[key] == gdal[key], key
    assert _cog_layout_errors(tmp_path / "own" / "out.tif") == []


def test_own_cog_tiles_go_through_gdal_when_it_computes_the_overviews(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a valid value next to the float32 nodata drops ecociv's overviews (GDAL compares with a
    # tolerance): the tiles compressed in the pass become a tiled file GDAL's COG driver copies
    shape = (304, 2112)
    values = _float_values(shape)
    values[100, 100] = np.nextafter(np.float32(NODATA["float32"]), np.float32(0))
    data = xr.DataArray(da.from_array(values, chunks=(64, 704)), dims=("y", "x"))
    own, gdal, assembled = _own_and_gdal(tmp_path, monkeypatch, data, albers(shape), META,
                                         memory=False)
    assert assembled == [tmp_path / "own" / ".out.tiled.tif"]
    for key in gdal:
        assert own[key] == gdal[key], key


def test_overview_tiles_encoded_in_the_pass_are_those_of_the_whole_levels() -> None:
    # LevelTiles encodes each row of tiles of a level once the blocks (any order, 64 x 704
    # cells here, rows of tiles of every level straddled) have computed it; joined, they must
    # be the bytes encode_tiles makes of the whole level, and every row must be done in the pass
    from ecociv.grid import cog
    from ecociv.grid.overviews import Pyramid

    codec = cog.codec("zstd")
    assert codec is not None
    shape = (2112, 2112)  # levels of 1056, 528, 264 rows: 3, 2 and 1 rows of 512-cell tiles
    values = _float_values(shape).astype(np.float32)
    values[np.isnan(values)] = NODATA["float32"]
    pyramid = Pyramid(shape, 1, "float32", NODATA["float32"])
    levels = cog.LevelTiles(pyramid.arrays[0], codec)
    blocks = [(row, col) for row in range(0, shape[0], 64) for col in range(0, shape[1], 704)]
    for index in np.random.default_rng(3).permutation(len(blocks)):
        row, col = blocks[index]
        block = values[row:row + 64, col:col + 704]
        pyramid.add(0, row, col, block)
        levels.filled(row, col, *block.shape)
    assert pyramid.valid
    assert all(part is not None for rows in levels._rows for part in rows)
    encoded = levels.encoded()
    assert [level_shape for level_shape, _ in encoded] == [(1056, 1056), (528, 528), (264, 264)]
    for (_, (buffer, lengths)), level in zip(encoded, pyramid.arrays[0], strict=True):
        whole, whole_lengths = cog.encode_tiles(level, codec)
        assert lengths == whole_lengths
        assert buffer.tobytes() == whole[:sum(whole_lengths)].tobytes()


@pytest.mark.parametrize("case", ["multiband", "float64", "int16"])
def test_gdal_writes_the_cogs_ecociv_does_not(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               case: str) -> None:
    shape = (304, 2112)
    values = _float_values(shape)
    meta, compress = META, None
    data = xr.DataArray(da.from_array(values, chunks=(64, 704)), dims=("y", "x"))
    if case == "multiband":
        meta = RasterMeta(units="mm", long_name="m", model_id="m", output_id="r", bands=2)
        data = xr.DataArray(da.from_array(np.stack([values, values * 2]), chunks=(1, 64, 704)),
                            dims=("band", "y", "x"))
    elif case == "float64":
        meta = RasterMeta(units="mm", long_name="m", model_id="m", output_id="r", dtype="float64")
    else:
        meta = RasterMeta(units="mm", long_name="m", model_id="m", output_id="r", dtype="int16")
        data = data.fillna(-5).round()
    own, gdal, assembled = _own_and_gdal(tmp_path, monkeypatch, data, albers(shape), meta,
                                         memory=False, compress=compress)
    assert assembled == []
    assert own == gdal


@pytest.mark.parametrize("memory", [False, True], ids=["tiles in the pass", "from memory"])
@pytest.mark.parametrize("shape", [(3, 4), (300, 270), (732, 1294)])
def test_own_cog_without_overviews_is_gdals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            memory: bool, shape: tuple[int, int]) -> None:
    # up to 2048 cells a side: no overviews; one partial tile, or several (the Belt's grid)
    grid = albers(shape)
    data = xr.DataArray(da.from_array(_float_values(shape), chunks=(96, 500)), dims=("y", "x"))
    own, gdal, assembled = _own_and_gdal(tmp_path, monkeypatch, data, grid, META, memory=memory)
    assert assembled == [tmp_path / "own" / "out.tif"]
    assert own["overviews"] == []
    for key in gdal:
        assert own[key] == gdal[key], key
    assert _cog_layout_errors(tmp_path / "own" / "out.tif") == []


def test_own_cog_compresses_with_gdals_library_when_another_build_is_loaded() -> None:
    # two builds of libzstd 1.5.7 (rasterio's, Pillow's) compress the same tile to other bytes,
    # and pyogrio maps a GDAL of its own: the files of a run must not depend on which one a
    # process happened to load first
    import ctypes
    import os
    import sysconfig

    import pyogrio  # noqa: F401

    from ecociv.grid import cog

    others = sorted(Path(sysconfig.get_paths()["purelib"], "pillow.libs").glob("libzstd*"))
    wheel = Path(rasterio.__file__).parent.with_name("rasterio.libs")
    if not others or not list(wheel.glob("libzstd*")):
        pytest.skip("no other build of libzstd to load, or a rasterio without bundled libraries")
    ctypes.CDLL(str(others[0]))
    assert os.path.dirname(cog._loaded_library("zstd") or "") == str(wheel)
    assert os.path.dirname(cog._loaded_library("deflate") or "") == str(wheel)
