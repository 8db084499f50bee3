"""`spatial_planning` on the Belt's 2019 land use (MODIS, 1 km; built-up = code 5) and its
county-level units: the checks a planner makes of a boundary, on real data."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio

from ecociv.grid.io import from_array
from ecociv.models.spatial_planning.model import run
from ecociv.region.dataset import load_dataset


@pytest.fixture(scope="module")
def belt() -> dict:
    dataset = load_dataset()
    with rasterio.open(dataset.layer("land_use").path) as src:
        land = src.read(1, masked=True).astype(np.float64).filled(np.nan)
    grid = dataset.grid
    units = gpd.read_file(dataset.layer("units").path, layer="counties").to_crs(grid.crs_wkt)
    inputs = {"land_use": from_array(land, grid, name="land_use", units=None), "zones": units,
              "zone_field": "adcode", "built_up_codes": "5", "cropland_codes": "1",
              "water_codes": "4", "derive_basic_farmland": False}
    return {"land": land, "out": run(inputs)}


def test_belt_boundary_holds_the_built_up_land_within_the_cap(belt: dict) -> None:
    out, land = belt["out"], belt["land"]
    boundary = np.asarray(out["urban_boundary"].values)
    inside = np.isfinite(boundary)
    # every built-up cell of the units is inside the boundary (no constraints, no red line given;
    # patches of built-up land below 1 km² cannot exist on 1 km cells)
    assert np.all(boundary[inside & (land == 5)] == 1)
    table = out["planning_by_zone"].set_index("zone")
    units = table.drop("all")
    # the cap: at most 1.3 x the built-up area of each unit (edge cells count with fractions)
    with_land = units[units["built_up_base_km2"] > 0]
    assert (with_land["boundary_expansion_ratio"] <= 1.3 + 0.05).all()
    assert (units.loc[units["built_up_base_km2"] == 0, "urban_boundary_km2"] <= 1.0).all()
    # Urumqi's Tianshan District (650102) is mostly built-up: it gets a boundary
    assert units.loc["650102", "urban_boundary_km2"] > units.loc["650102", "built_up_km2"]
    # the three spaces fill the planned land
    spaces = table.loc["all", ["ecological_space_km2", "agricultural_space_km2", "urban_space_km2"]]
    assert spaces.sum() == pytest.approx(table.loc["all", "area_km2"], rel=0.01)
