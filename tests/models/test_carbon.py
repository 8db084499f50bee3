"""`carbon`: four-pool carbon storage with InVEST's table semantics (Sharp et al. 2020, InVEST
User's Guide, "Carbon Storage and Sequestration": stock = Σ pools × area), worked by hand."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from shapely.geometry import box

from ecociv.errors import InputError
from ecociv.execute import run_model
from ecociv.grid.spec import CHINA_ALBERS
from ecociv.models.carbon.kernels import stock_tonnes, total_density
from ecociv.registry import get_model

POOLS = "lucode,c_above,c_below,c_soil,c_dead\n1,5,1,60,0.5\n2,2,3,40,0\n3,0,0,0,0\n"
# totals per code (t/ha): 1 -> 66.5, 2 -> 45, 3 -> 0


def _read(path: Path) -> np.ndarray:
    with rasterio.open(path) as src:
        return src.read(1, masked=True).filled(np.nan)


def test_kernels_by_hand() -> None:
    pools = {"c_above": np.array([5.0]), "c_below": np.array([1.0]), "c_soil": np.array([60.0]),
             "c_dead": np.array([0.5])}
    np.testing.assert_allclose(total_density(pools), [66.5])
    # 66.5 t/ha over a 30 m cell (900 m² = 0.09 ha) = 5.985 t
    np.testing.assert_allclose(stock_tonnes(np.array([66.5]), 900.0), [5.985])


def test_density_totals_and_change_through_files(tmp_path, make_raster, write_csv) -> None:
    # 100 m cells = 1 ha each; left column and right two columns are two zones
    baseline = np.array([[1, 2, 2], [1, 1, 3], [2, 255, 1]], dtype="uint8")
    scenario = np.array([[2, 2, 2], [1, 3, 3], [2, 2, 255]], dtype="uint8")
    sources = {
        "land_use": make_raster(baseline, "lu", res=100.0, nodata=255),
        "land_use_scenario": make_raster(scenario, "lu2", res=100.0, nodata=255),
        "carbon_pools": write_csv("pools.csv", POOLS),
    }
    zones = gpd.GeoDataFrame({"county": ["west", "east"]},
                             geometry=[box(0, 4_999_700, 100, 5_000_000),
                                       box(100, 4_999_700, 300, 5_000_000)], crs=CHINA_ALBERS)
    zones.to_file(tmp_path / "zones.gpkg", driver="GPKG")
    sources["zones"] = tmp_path / "zones.gpkg"
    out = tmp_path / "out"
    run_model(get_model("carbon"), sources, {"zone_field": "county"}, out)
    density = _read(out / "carbon_density.tif")
    np.testing.assert_allclose(density, [[66.5, 45, 45], [66.5, 66.5, 0], [45, np.nan, 66.5]])
    change = _read(out / "carbon_change.tif")
    # 1->2: -21.5; 1->3: -66.5; nodata on either side -> nodata
    np.testing.assert_allclose(change, [[-21.5, 0, 0], [0, -66.5, 0], [0, np.nan, np.nan]])
    with rasterio.open(out / "carbon_density.tif") as src:
        assert src.tags()["units"] == "t/ha" and src.tags()["model_id"] == "carbon"
    totals = pd.read_csv(out / "carbon_totals.csv").set_index("zone")
    # west column: 66.5 + 66.5 + 45 = 178 t (1 ha cells); scenario 45 + 66.5 + 45 = 156.5
    assert totals.loc["west", "carbon_baseline_t"] == pytest.approx(178.0)
    assert totals.loc["west", "carbon_scenario_t"] == pytest.approx(156.5)
    assert totals.loc["west", "carbon_change_t"] == pytest.approx(-21.5)
    # east (nodata cells skipped): baseline 45+45+66.5+0+66.5 = 223; scenario 45+45+0+0+45 = 135
    assert totals.loc["east", "carbon_baseline_t"] == pytest.approx(223.0)
    assert totals.loc["east", "carbon_scenario_t"] == pytest.approx(135.0)
    # change over cells valid in both: (45-45)+(45-45)+(0-66.5)+(0-0) = -66.5
    assert totals.loc["east", "carbon_change_t"] == pytest.approx(-66.5)
    assert totals.loc["east", "cells"] == 6 and totals.loc["east", "valid_cells"] == 4
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["outputs"]["carbon_totals"]["units"]["carbon_baseline_t"] == "t"


def test_geographic_grid_uses_true_cell_areas(tmp_path, make_raster, write_csv) -> None:
    # one 0.01° × 0.01° cell at 44°N covers ≈ 1.112 km × 0.800 km ≈ 88.9 ha (WGS84 ellipsoid)
    lu = make_raster(np.array([[1]], dtype="uint8"), "lu", res=0.01, crs="EPSG:4326",
                     origin=(86.0, 44.005))
    out = tmp_path / "out"
    run_model(get_model("carbon"), {"land_use": lu, "carbon_pools": write_csv("p.csv", POOLS)}, {}, out)
    totals = pd.read_csv(out / "carbon_totals.csv")
    assert totals.loc[0, "area_ha"] == pytest.approx(88.95, rel=2e-3)
    assert totals.loc[0, "carbon_baseline_t"] == pytest.approx(66.5 * totals.loc[0, "area_ha"])


def test_code_missing_from_the_pool_table_is_named(tmp_path, make_raster, write_csv) -> None:
    lu = make_raster(np.array([[1, 2], [9, 1]], dtype="uint8"), "lu", nodata=255)
    with pytest.raises(InputError) as err:
        run_model(get_model("carbon"), {"land_use": lu, "carbon_pools": write_csv("p.csv", POOLS)}, {},
                  tmp_path / "out")
    message = str(err.value)
    assert "[9]" in message and "carbon_pools.lucode" in message and "cell (row 1, col 0)" in message
    assert not (tmp_path / "out").exists()


def test_negative_pool_density_is_rejected(tmp_path, make_raster, write_csv) -> None:
    lu = make_raster(np.array([[1]], dtype="uint8"), "lu")
    bad = write_csv("p.csv", "lucode,c_above,c_below,c_soil,c_dead\n1,5,-1,60,0\n")
    with pytest.raises(InputError, match=r"line 2, column 'c_below'.*expected >= 0"):
        run_model(get_model("carbon"), {"land_use": lu, "carbon_pools": bad}, {}, tmp_path / "out")
