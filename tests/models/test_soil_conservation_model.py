"""soil_conservation end to end: hand-checked totals per zone (t/yr and Mt/yr over true cell
areas), a 12-band precipitation GeoTIFF through the file path, and bad inputs, each named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import xarray as xr
from affine import Affine
from shapely.geometry import box

from ecociv.errors import InputError
from ecociv.execute import run_in_memory, run_model
from ecociv.grid.io import from_array
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.soil_conservation import kernels
from ecociv.models.soil_conservation.model import MODEL, _erodibility

CELL = 100.0  # m: 1 ha cells on China Albers (equal-area)
GRID = GridSpec.from_crs(CHINA_ALBERS, Affine(CELL, 0, 0, 0, -CELL, 5_000_000.0), (3, 4))
MONTHS = np.array([0, 0, 10, 20, 30, 40, 40, 30, 20, 10, 0, 0], dtype=float)  # R = 316.9159
LAND_USE = np.array([[1, 1, 2, 2], [1, 1, 2, 3], [1, 255, 2, 3]])
# C, P by class: 1 cropland C 0.2 P 0.5; 2 grassland C from vegetation cover (0.5 -> C 0.0670339);
# 3 built-up C 0 P 1
TABLE = pd.DataFrame({"lucode": [1, 2, 3], "c_factor": [0.2, 0.9, 0.0], "p_factor": [0.5, 1.0, 1.0],
                      "c_from_cover": [0, 1, 0]})


def _inputs(**overrides: Any) -> dict[str, Any]:
    def raster(values: Any, name: str, units: str | None = "") -> xr.DataArray:
        return from_array(np.broadcast_to(values, GRID.shape) if np.ndim(values) < 2 else values,
                          GRID, name=name, units=units)

    dem = np.tile(50.0 - 0.2 * CELL * np.arange(4), (3, 1))  # 20 % slope falling east
    values: dict[str, Any] = {
        "land_use": from_array(LAND_USE, GRID, name="land_use", units=None, nodata=255),
        "precipitation": from_array(np.broadcast_to(MONTHS[:, None, None], (12, 3, 4)), GRID,
                                    name="precipitation", units="mm/month"),
        "dem": raster(dem, "dem", "m"),
        "cover_management_table": TABLE,
        "vegetation_cover": raster(0.5, "vegetation_cover"),
        "sand": raster(20.0, "sand", "percent"),
        "silt": raster(60.0, "silt", "percent"),
        "clay": raster(20.0, "clay", "percent"),
        "organic_carbon": raster(1.5, "organic_carbon", "percent"),
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def _read(path: Path) -> np.ndarray:
    with rasterio.open(path) as src:
        return src.read(1, masked=True).astype(np.float64).filled(np.nan)


def test_rasters_and_zone_totals_by_hand(tmp_path: Path) -> None:
    zones = gpd.GeoDataFrame({"name": ["west", "east"]}, crs=CHINA_ALBERS, geometry=[
        box(0, 4_999_700, 200, 5_000_000), box(200, 4_999_700, 400, 5_000_000)])
    out = tmp_path / "out"
    run_in_memory(MODEL, {**_inputs(), "zones": zones, "zone_field": "name"}, out)
    r, k = 316.9159, 0.04359602  # test_soil_conservation.py: R and K by hand
    ls = kernels.ls_factor(np.tile(50.0 - 20.0 * np.arange(4), (3, 1)), CELL, CELL,
                           max_slope_length=333.0)
    np.testing.assert_allclose(_read(out / "rainfall_erosivity.tif"), r, rtol=1e-6)
    np.testing.assert_allclose(_read(out / "soil_erodibility.tif"), k, rtol=1e-6)
    np.testing.assert_allclose(_read(out / "ls_factor.tif"), ls, rtol=1e-6)
    cp = np.array([[0.1, 0.1, 0.0670339, 0.0670339], [0.1, 0.1, 0.0670339, 0.0],
                   [0.1, np.nan, 0.0670339, 0.0]])
    potential = np.where(np.isnan(cp), np.nan, r * k * ls)
    np.testing.assert_allclose(_read(out / "soil_loss_potential.tif"), potential, rtol=1e-5)
    np.testing.assert_allclose(_read(out / "soil_loss_actual.tif"), potential * cp, rtol=1e-5)
    conservation = _read(out / "soil_conservation.tif")
    np.testing.assert_allclose(conservation, potential * (1 - cp), rtol=1e-5)
    assert (conservation[~np.isnan(conservation)] >= 0).all()
    totals = pd.read_csv(out / "soil_conservation_totals.csv").set_index("zone")
    # 1 ha cells: t/yr = sum of t/(ha yr) over the zone's valid cells
    west = potential[:, :2] * (1 - cp[:, :2])
    assert totals.loc["west", "area_ha"] == pytest.approx(5.0)
    assert totals.loc["west", "soil_conservation_t"] == pytest.approx(np.nansum(west), rel=1e-6)
    assert totals.loc["west", "soil_conservation_mt"] == pytest.approx(np.nansum(west) / 1e6,
                                                                       rel=1e-6)
    assert totals.loc["west", "soil_conservation_mean"] == pytest.approx(np.nansum(west) / 5,
                                                                         rel=1e-6)
    east_potential = np.nansum(potential[:, 2:])
    assert totals.loc["east", "soil_loss_potential_t"] == pytest.approx(east_potential, rel=1e-6)
    assert totals.loc["east", "soil_loss_actual_mt"] == pytest.approx(
        np.nansum(potential[:, 2:] * cp[:, 2:]) / 1e6, rel=1e-6)
    assert (totals.loc["west", "cells"], totals.loc["west", "valid_cells"]) == (6, 5)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["outputs"]["soil_conservation_totals"]["units"]["soil_conservation_mt"] == "Mt/yr"


def test_without_factor_outputs_the_losses_are_the_same(tmp_path: Path) -> None:
    """factor_outputs = false writes the losses, the service and the totals, equal to a run
    with R, K and LS written, and not those three rasters."""
    run_in_memory(MODEL, _inputs(), tmp_path / "all")
    run_in_memory(MODEL, {**_inputs(), "factor_outputs": False}, tmp_path / "losses")
    written = {p.name for p in (tmp_path / "losses").glob("*.tif")}
    assert written == {"soil_loss_potential.tif", "soil_loss_actual.tif", "soil_conservation.tif"}
    assert {"rainfall_erosivity.tif", "soil_erodibility.tif", "ls_factor.tif"} <= {
        p.name for p in (tmp_path / "all").glob("*.tif")}
    for name in sorted(written):
        np.testing.assert_array_equal(_read(tmp_path / "losses" / name),
                                      _read(tmp_path / "all" / name))
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "losses" / "soil_conservation_totals.csv"),
                                  pd.read_csv(tmp_path / "all" / "soil_conservation_totals.csv"))


def test_twelve_band_precipitation_file(tmp_path: Path, make_raster: Any,
                                        write_csv: Any) -> None:
    monthly = np.broadcast_to(MONTHS[:, None, None], (12, 3, 4)).astype(np.float32)
    precipitation = tmp_path / "precipitation.tif"
    with rasterio.open(precipitation, "w", driver="GTiff", width=4, height=3, count=12,
                       dtype="float32", crs=CHINA_ALBERS, transform=GRID.transform) as dst:
        dst.write(monthly)
    sources = {
        "land_use": make_raster(LAND_USE.astype(np.uint8), "lu", res=CELL, nodata=255),
        "precipitation": precipitation,
        "dem": make_raster(np.tile(50.0 - 20.0 * np.arange(4), (3, 1)).astype(np.float32), "dem",
                           res=CELL),
        "cover_management_table": write_csv("cp.csv", "lucode,c_factor,p_factor\n1,0.2,0.5\n"
                                            "2,0.1,1\n3,0,1\n"),
        **{name: make_raster(np.full((3, 4), value, dtype=np.float32), name, res=CELL)
           for name, value in (("sand", 20.0), ("silt", 60.0), ("clay", 20.0),
                               ("organic_matter", 1.5 * 1.724))},
    }
    out = tmp_path / "out"
    run_model(MODEL, sources, {"erodibility_correction": "zhang_2008"}, out)
    np.testing.assert_allclose(_read(out / "rainfall_erosivity.tif"), 316.9159, rtol=1e-6)
    np.testing.assert_allclose(_read(out / "soil_erodibility.tif"), 0.02066323, rtol=1e-5)


def test_negative_precipitation_is_named_with_its_month_and_cell(tmp_path: Path) -> None:
    monthly = np.broadcast_to(MONTHS[:, None, None], (12, 3, 4)).copy()
    monthly[4, 1, 2] = -5.0
    bad = from_array(monthly, GRID, name="precipitation", units="mm/month")
    with pytest.raises(InputError, match=r"precipitation.*band 5, cell \(row 1, col 2\).*below"):
        run_in_memory(MODEL, _inputs(precipitation=bad), tmp_path / "out")


def test_texture_over_100_percent_is_named_with_its_cell(tmp_path: Path) -> None:
    clay = np.full(GRID.shape, 20.0)
    clay[2, 3] = 35.0  # 20 + 60 + 35 = 115 %
    with pytest.raises(InputError, match=r"sand', 'silt', 'clay'.*cell \(row 2, col 3\).*115 %"):
        run_in_memory(MODEL, _inputs(clay=from_array(clay, GRID, name="clay", units="percent")),
                      tmp_path / "out")
    # chunked (dask) inputs: the cell is given in grid coordinates, not chunk coordinates
    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(CELL, 0, 0, 0, -CELL, 5e6), (4, 4))
    parts = [from_array(np.full((4, 4), v), grid, name=n, units="percent").chunk({"y": 2, "x": 2})
             for n, v in (("sand", 20.0), ("silt", 60.0), ("clay", 20.0), ("oc", 1.0))]
    parts[1] = parts[1].copy(data=parts[1].data.copy())
    parts[1][3, 2] = 90.0
    with pytest.raises(InputError, match=r"cell \(row 3, col 2\)"):
        _erodibility(*parts, correction="none").compute()


def test_texture_error_names_the_first_bad_cell_beyond_the_first_slab() -> None:
    """K runs slab by slab (``SLAB_CELLS`` cells): a block of 300 × 300 cells is two slabs;
    the first bad cell in row-major order is named, also when it lies in the second slab and
    a later one follows, and K of a block without bad cells is that of the NumPy kernel."""
    from ecociv.models.soil_conservation.model import SLAB_CELLS, _erodibility_cells

    shape = (300, 300)
    assert shape[0] * shape[1] > SLAB_CELLS
    sand, silt, clay, carbon = (np.full(shape, v) for v in (20.0, 60.0, 20.0, 1.0))
    silt[250, 7] = 90.0  # second slab (cell 75,007)
    silt[299, 299] = 95.0  # later still
    with pytest.raises(InputError, match=r"cell \(row 1250, col 17\).*130 %"):
        _erodibility_cells(sand, silt, clay, carbon, 1.0, "none", 1000, 10)
    silt[250, 7] = silt[299, 299] = 55.0
    sand[::7, ::3] = 12.5
    out = _erodibility_cells(sand, silt, clay, carbon, 1.0, "none", 0, 0)
    np.testing.assert_allclose(out, kernels.soil_erodibility(sand, silt, clay, carbon),
                               rtol=1e-12)


def test_missing_code_in_the_table_is_named(tmp_path: Path) -> None:
    table = TABLE[TABLE["lucode"] != 3]
    with pytest.raises(InputError, match=r"\[3\].*cover_management_table.lucode"):
        run_in_memory(MODEL, _inputs(cover_management_table=table), tmp_path / "out")


@pytest.mark.parametrize("given", [(), ("organic_carbon", "organic_matter")])
def test_exactly_one_of_organic_carbon_and_matter(tmp_path: Path, given: tuple[str, ...]) -> None:
    extra = {name: from_array(np.full(GRID.shape, 1.0), GRID, name=name, units="percent")
             for name in given}
    inputs = {**_inputs(organic_carbon=None), **extra}
    with pytest.raises(InputError, match="exactly one of 'organic_carbon' and 'organic_matter'"):
        run_in_memory(MODEL, inputs, tmp_path / "out")


def test_vegetation_cover_without_a_class_using_it(tmp_path: Path) -> None:
    table = TABLE.drop(columns="c_from_cover")
    with pytest.raises(InputError, match="no class has c_from_cover = 1"):
        run_in_memory(MODEL, _inputs(cover_management_table=table), tmp_path / "out")
    # without vegetation cover the table's C is used: grassland C 0.9
    run_in_memory(MODEL, _inputs(cover_management_table=table, vegetation_cover=None),
                  tmp_path / "ok")
    assert np.nanmax(_read(tmp_path / "ok" / "soil_loss_actual.tif")) > 0


def test_geographic_dem_is_refused(tmp_path: Path) -> None:
    grid = GridSpec.from_crs("EPSG:4326", Affine(0.01, 0, 86.0, 0, -0.01, 44.0), (3, 4))
    inputs = {name: (value.rio.write_crs("EPSG:4326").rio.write_transform(grid.transform)
                     if isinstance(value, xr.DataArray) else value)
              for name, value in _inputs().items()}
    with pytest.raises(InputError, match="geographic CRS; LS needs a projected grid"):
        run_in_memory(MODEL, inputs, tmp_path / "out")


def test_example_runs(tmp_path: Path) -> None:
    manifest = run_in_memory(MODEL, MODEL.example(), tmp_path / "out")
    assert set(manifest["outputs"]) == {o.id for o in MODEL.spec.outputs}
    actual = _read(tmp_path / "out" / "soil_loss_actual.tif")
    potential = _read(tmp_path / "out" / "soil_loss_potential.tif")
    valid = ~np.isnan(actual)
    assert (actual[valid] <= potential[valid]).all()
