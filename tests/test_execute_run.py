"""The generic run path (ecociv.execute) end to end on files with the carbon model: COG and CSV
outputs, nodata propagation, alignment logged in the manifest, atomic output folders, and
chunked (larger-than-memory) runs giving the in-memory result."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine

from ecociv.errors import InputError, OutputError
from ecociv.execute import run_in_memory, run_model
from ecociv.grid.io import from_array
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.carbon.model import MODEL as CARBON
from ecociv.spec import Model

from .conftest import RasterMaker

CsvWriter = Callable[[str, str], Path]

#: code 1 (cropland): 5 + 1 + 60 + 0.5 = 66.5 t/ha; code 2 (grassland): 2 + 3 + 40 + 0 = 45 t/ha
POOLS = "LUCODE,C_above,C_below,C_soil,C_dead,LULC_name\n1,5,1,60,0.5,cropland\n2,2,3,40,0,grassland\n"
DENSITY = {1: 66.5, 2: 45.0}

#: 3×3 cells of 100 m (1 ha each); 255 = nodata
CODES = np.array([[1, 1, 2], [2, 2, 2], [1, 2, 255]], dtype=np.uint8)


def read_tif(path: Path) -> tuple[np.ndarray, dict[str, str], float | None]:
    with rasterio.open(path) as src:
        return src.read(1, masked=True).filled(np.nan).astype(np.float64), src.tags(), src.nodata


@pytest.fixture
def carbon_files(make_raster: RasterMaker, write_csv: CsvWriter) -> dict[str, Path]:
    return {"land_use": make_raster(CODES, "land_use", res=100, nodata=255),
            "carbon_pools": write_csv("pools.csv", POOLS)}


def test_carbon_on_files(carbon_files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    manifest = run_model(CARBON, carbon_files, None, out)
    density, tags, nodata = read_tif(out / "carbon_density.tif")
    expected = np.vectorize(lambda c: DENSITY.get(c, np.nan))(CODES)
    np.testing.assert_array_equal(density, expected.astype(np.float32))
    assert tags["units"] == "t/ha" and tags["model_id"] == "carbon"
    assert tags["long_name"] == "carbon density (four pools), baseline"
    assert nodata is not None
    with rasterio.open(out / "carbon_density.tif") as src:
        assert src.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
    # three cells of 66.5 t/ha and five of 45 t/ha on 1 ha each: 199.5 + 225 = 424.5 t;
    # the nodata cell counts in "cells" but not in the area or the stock
    totals = pd.read_csv(out / "carbon_totals.csv")
    assert totals.to_dict("records") == [{"zone": "all", "area_ha": 8.0, "carbon_baseline_t": 424.5,
                                          "cells": 9, "valid_cells": 8}]
    written = json.loads((out / "manifest.json").read_text())
    assert written["outputs"]["carbon_density"]["units"] == "t/ha"
    assert written["grid"]["equal_area"] is True
    # described in a background thread during the run (execute.manifest.describe_later): the
    # same as a description made afterwards of the grid read again
    from ecociv.grid.io import grid_of

    assert written["grid"] == grid_of(carbon_files["land_use"]).describe()
    assert set(written["inputs"]) == {"land_use", "carbon_pools"}
    assert manifest["notes"] == [f"run grid taken from input 'land_use' ({carbon_files['land_use']})"]


def test_nodata_of_any_input_is_nodata_in_the_written_cog(
        carbon_files: dict[str, Path], make_raster: RasterMaker, tmp_path: Path) -> None:
    # the scenario map has its own nodata convention (-1 in int16) at (0, 0); the baseline's
    # nodata is at (2, 2): the change is nodata at both cells
    scenario = np.full((3, 3), 2, dtype=np.int16)
    scenario[0, 0] = -1
    sources = {**carbon_files, "land_use_scenario": make_raster(scenario, "scenario", res=100, nodata=-1)}
    out = tmp_path / "out"
    run_model(CARBON, sources, None, out)
    change, _, _ = read_tif(out / "carbon_change.tif")
    assert np.isnan(change[0, 0]) and np.isnan(change[2, 2])
    assert np.isfinite(np.delete(change.ravel(), [0, 8])).all()
    # cropland -> grassland: 45 - 66.5 = -21.5 t/ha at (0, 1) and (2, 0); grassland stays: 0
    assert change[0, 1] == -21.5 and change[2, 0] == -21.5 and change[1, 1] == 0
    totals = pd.read_csv(out / "carbon_totals.csv")
    # 7 cells valid in both maps; change = 2 cells × 1 ha × -21.5 t/ha = -43 t; the scenario
    # stock counts its own 8 valid cells: 8 × 45 t
    assert totals["valid_cells"].iloc[0] == 7
    assert totals["carbon_change_t"].iloc[0] == pytest.approx(-43.0)
    assert totals["carbon_scenario_t"].iloc[0] == pytest.approx(8 * 45.0)


def test_undeclared_zero_nodata_fails_then_user_override_masks_it(
        make_raster: RasterMaker, write_csv: CsvWriter, tmp_path: Path) -> None:
    # a land-use map that uses 0 for "no data" without declaring it
    codes = np.array([[0, 1], [2, 1]], dtype=np.uint8)
    sources = {"land_use": make_raster(codes, "land_use", res=100), "carbon_pools": write_csv("p.csv", POOLS)}
    with pytest.raises(InputError) as err:
        run_model(CARBON, sources, None, tmp_path / "bad")
    message = str(err.value)
    assert f"input 'land_use' ({sources['land_use']})" in message
    assert "cell (row 0, col 0)" in message and "code(s) [0] not found in carbon_pools.lucode" in message
    assert not (tmp_path / "bad").exists()
    manifest = run_model(CARBON, sources, None, tmp_path / "ok", nodata={"land_use": 0})
    density, _, _ = read_tif(tmp_path / "ok" / "carbon_density.tif")
    np.testing.assert_array_equal(density, [[np.nan, 66.5], [45.0, 66.5]])
    assert any("nodata value 0 given by the user" in note for note in manifest["notes"])


def test_alignment_is_explicit_logged_and_nearest_for_land_use(
        make_raster: RasterMaker, write_csv: CsvWriter, tmp_path: Path) -> None:
    # 2×2 land use at 60 m onto a 4×4 grid of 30 m: nearest replicates each code on 2×2 cells
    # (a bilinear mix of codes 1 and 2 would invent 1.5 and fail the code check)
    path = make_raster(np.array([[1, 2], [2, 1]], dtype=np.uint8), "land_use", res=60)
    sources = {"land_use": path, "carbon_pools": write_csv("p.csv", POOLS)}
    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(30, 0, 0, 0, -30, 5_000_000), (4, 4))
    with pytest.raises(InputError) as err:
        run_model(CARBON, sources, None, tmp_path / "no", grid=grid)
    assert f"input 'land_use' ({path})" in str(err.value)
    assert "cell size (60.0, 60.0) vs (30.0, 30.0)" in str(err.value)
    manifest = run_model(CARBON, sources, None, tmp_path / "out", grid=grid, align=True)
    density, _, _ = read_tif(tmp_path / "out" / "carbon_density.tif")
    expected = np.kron(np.array([[66.5, 45.0], [45.0, 66.5]]), np.ones((2, 2)))
    np.testing.assert_array_equal(density, expected)
    notes = json.loads((tmp_path / "out" / "manifest.json").read_text())["notes"]
    assert notes == manifest["notes"]
    assert any("input 'land_use'" in n and "aligned to the run grid by nearest resampling" in n
               for n in notes)


def test_failed_run_leaves_earlier_results_intact(
        carbon_files: dict[str, Path], write_csv: CsvWriter, tmp_path: Path) -> None:
    out = tmp_path / "OUT"
    run_model(CARBON, carbon_files, None, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert {"carbon_density.tif", "carbon_totals.csv", "manifest.json"} <= set(before)
    # the second run fails after its rasters were computed: code 2 is missing from the table
    bad_table = write_csv("bad.csv", "lucode,c_above,c_below,c_soil,c_dead\n1,5,1,60,0.5\n")
    with pytest.raises(InputError, match="code\\(s\\) \\[2\\] not found"):
        run_model(CARBON, {**carbon_files, "carbon_pools": bad_table}, None, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".OUT.")]
    assert leftovers == [], leftovers


def test_output_folder_that_cannot_be_created(carbon_files: dict[str, Path], tmp_path: Path) -> None:
    # root ignores permissions, so use a path below a regular file
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    with pytest.raises(OutputError) as err:
        run_model(CARBON, carbon_files, None, blocker / "out")
    assert str(err.value) == (f"output folder {blocker / 'out'} cannot be created: {blocker} is a "
                              "file, not a folder")
    with pytest.raises(OutputError, match="exists and is not a folder"):
        run_model(CARBON, carbon_files, None, blocker)
    assert blocker.read_text() == "not a folder"


def test_unknown_and_missing_inputs_are_named(carbon_files: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"has no input 'landuse' \(did you mean 'land_use'\?\)"):
        run_model(CARBON, {"landuse": carbon_files["land_use"]}, None, tmp_path / "o")
    with pytest.raises(InputError, match="model 'carbon' needs input\\(s\\) \\['carbon_pools'\\]"):
        run_model(CARBON, {"land_use": carbon_files["land_use"]}, None, tmp_path / "o")
    with pytest.raises(InputError, match="file does not exist"):
        run_model(CARBON, {**carbon_files, "land_use": tmp_path / "nope.tif"}, None, tmp_path / "o")


# --- chunked runs ---------------------------------------------------------------------------


def spy_model(seen: list[Mapping[str, Any]]) -> Model:
    def run(inputs: Mapping[str, Any]) -> Mapping[str, Any]:
        seen.append(dict(inputs))
        return CARBON.run(inputs)

    return Model(spec=CARBON.spec, run=run, example=CARBON.example)


def big_land_use(shape: tuple[int, int] = (40, 30)) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    baseline = rng.integers(1, 3, shape).astype(np.uint8)
    baseline[rng.random(shape) < 0.1] = 255
    scenario = np.where(rng.random(shape) < 0.3, 2, baseline).astype(np.uint8)
    return baseline, scenario


def outputs_of(folder: Path) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name in ("carbon_density", "carbon_density_scenario", "carbon_change"):
        found[name] = read_tif(folder / f"{name}.tif")[0]
    found["totals"] = pd.read_csv(folder / "carbon_totals.csv")
    return found


def assert_same_outputs(a: dict[str, Any], b: dict[str, Any]) -> None:
    for name in ("carbon_density", "carbon_density_scenario", "carbon_change"):
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    # sums over chunks are added in another order: equal to rounding
    pd.testing.assert_frame_equal(a["totals"], b["totals"], rtol=1e-12)


def test_chunked_run_equals_in_memory_run(make_raster: RasterMaker, write_csv: CsvWriter,
                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    baseline, scenario = big_land_use()
    sources = {"land_use": make_raster(baseline, "lu", res=100, nodata=255),
               "land_use_scenario": make_raster(scenario, "lus", res=100, nodata=255),
               "carbon_pools": write_csv("p.csv", POOLS)}
    # 1. files, default chunks (one chunk: 1 200 cells)
    seen: list[Mapping[str, Any]] = []
    run_model(spy_model(seen), sources, None, tmp_path / "whole")
    assert seen[-1]["land_use"].data.numblocks == (1, 1)
    # 2. in memory (numpy arrays, no dask on the way in)
    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(100, 0, 0, 0, -100, 5_000_000), baseline.shape)
    pools = pd.read_csv(sources["carbon_pools"])
    pools.columns = [c.lower() for c in pools.columns]
    run_in_memory(CARBON, {"land_use": from_array(baseline, grid, name="land_use", units=None, nodata=255),
                           "land_use_scenario": from_array(scenario, grid, name="s", units=None, nodata=255),
                           "carbon_pools": pools}, tmp_path / "memory")
    # 3. files read in bands of 3 rows (90 cells): 14 chunks, the last one 1 row high
    original = GridSpec.default_chunks
    monkeypatch.setattr(GridSpec, "default_chunks", lambda self, target_cells=0: original(self, 90))
    run_model(spy_model(seen), sources, None, tmp_path / "chunked")
    land_use = seen[-1]["land_use"].data
    assert isinstance(land_use, da.Array) and land_use.numblocks == (14, 1)
    assert land_use.chunks[0][-1] == 1
    whole = outputs_of(tmp_path / "whole")
    assert_same_outputs(whole, outputs_of(tmp_path / "memory"))
    assert_same_outputs(whole, outputs_of(tmp_path / "chunked"))
    # and the numbers are the hand-checkable ones: density by code, nodata where 255
    expected = np.vectorize(lambda c: DENSITY.get(c, np.nan))(baseline)
    np.testing.assert_array_equal(whole["carbon_density"], expected)
    valid = baseline != 255
    assert whole["totals"]["carbon_baseline_t"].iloc[0] == pytest.approx(expected[valid].sum())


def test_rotated_run_grid_is_refused(write_csv: CsvWriter, tmp_path: Path) -> None:
    path = tmp_path / "rotated.tif"
    with rasterio.open(path, "w", driver="GTiff", width=2, height=2, count=1, dtype="uint8",
                       crs=CHINA_ALBERS, transform=Affine(30, 5, 0, 5, -30, 5_000_000)) as dst:
        dst.write(np.ones((2, 2), dtype=np.uint8), 1)
    with pytest.raises(InputError, match="run grid is rotated or sheared") as err:
        run_model(CARBON, {"land_use": path, "carbon_pools": write_csv("p.csv", POOLS)}, None,
                  tmp_path / "out")
    assert str(err.value).startswith(f"input 'land_use' ({path}): ")


def test_output_not_on_the_grid_is_an_output_error(carbon_files: dict[str, Path], tmp_path: Path) -> None:
    def transposed(inputs: Mapping[str, Any]) -> Mapping[str, Any]:
        outputs = dict(CARBON.run(inputs))
        outputs["carbon_density"] = outputs["carbon_density"].transpose("x", "y")
        return outputs

    model = Model(spec=CARBON.spec, run=transposed, example=CARBON.example)
    with pytest.raises(OutputError, match=r"output 'carbon_density' has dims \('x', 'y'\)"):
        run_model(model, carbon_files, None, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_block_corrupt_in_the_middle_of_a_file_is_an_input_error(tmp_path, write_csv) -> None:
    """The up-front check reads only the first and last blocks; a bad block in between must
    still end as an InputError naming the input, with no output folder left."""
    path = tmp_path / "lu.tif"
    rng = np.random.default_rng(3)
    with rasterio.open(path, "w", driver="GTiff", width=768, height=256, count=1, dtype="uint8",
                       crs=CHINA_ALBERS, transform=Affine(30, 0, 0, 0, -30, 5e6), tiled=True,
                       blockxsize=256, blockysize=256, compress="deflate") as dst:
        dst.write(rng.integers(1, 3, (256, 768)).astype("uint8"), 1)
    with rasterio.open(path) as src:
        offset = int(src.get_tag_item("BLOCK_OFFSET_1_0", "TIFF", bidx=1))
        size = int(src.get_tag_item("BLOCK_SIZE_1_0", "TIFF", bidx=1))
    data = bytearray(path.read_bytes())
    data[offset: offset + size] = b"\xff" * size  # the middle tile no longer inflates
    path.write_bytes(bytes(data))
    pools = write_csv("pools.csv", "lucode,c_above,c_below,c_soil,c_dead\n1,1,1,1,1\n2,2,2,2,2\n")
    with pytest.raises(InputError, match=r"land_use .*lu.tif.*truncated or corrupt"):
        run_model(CARBON, {"land_use": path, "carbon_pools": pools}, {}, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_manifest_package_versions_are_those_installed() -> None:
    """The manifest's package versions (``__version__`` of the imported packages) against the
    installed distributions' metadata (``importlib.metadata``)."""
    from importlib.metadata import PackageNotFoundError, version

    from ecociv.execute.manifest import _VERSIONED, package_versions

    found = package_versions()
    for name in _VERSIONED:
        try:
            installed = version(name)
        except PackageNotFoundError:
            assert name not in found
            continue
        assert found[name] == installed, name
    assert {"numpy", "xarray", "dask", "rasterio", "pandas", "pyproj"} <= set(found)
