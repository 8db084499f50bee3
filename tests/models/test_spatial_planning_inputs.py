"""`spatial_planning` bad inputs: one InputError line each, naming the input, parameter, table
line or cell, and nothing written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from shapely.geometry import box

from ecociv.errors import InputError
from ecociv.execute import run_in_memory
from ecociv.grid.io import from_array
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.spatial_planning.model import MODEL, parse_precedence, run

TOP = 5_000_000.0


def _inputs(**extra: Any) -> dict[str, Any]:
    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(1000.0, 0, 0, 0, -1000.0, TOP), (4, 4))
    land = np.array([[5, 5, 1, 1], [5, 5, 1, 1], [3, 3, 4, 4], [3, 3, 4, 4]])
    values: dict[str, Any] = {"land_use": from_array(land, grid, name="land_use", units=None),
                              "built_up_codes": "5", "cropland_codes": "1", "water_codes": "4"}
    values.update(extra)
    return values


def _zones() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": ["west", "east"]}, crs=CHINA_ALBERS,
                            geometry=[box(0, TOP - 4000, 2000, TOP), box(2000, TOP - 4000, 4000, TOP)])


def _fails(tmp_path: Path, values: dict[str, Any], pattern: str) -> None:
    out = tmp_path / "out"
    with pytest.raises(InputError, match=pattern) as err:
        run_in_memory(MODEL, values, out)
    assert "\n" not in str(err.value)
    assert not out.exists() or not any(out.glob("*.tif"))


def test_a_raster_on_another_grid(tmp_path: Path) -> None:
    shifted = GridSpec.from_crs(CHINA_ALBERS, Affine(1000.0, 0, 500.0, 0, -1000.0, TOP), (4, 4))
    redline = from_array(np.ones((4, 4)), shifted, name="redline", units=None)
    with pytest.raises(InputError, match=r"input 'redline': is on another grid than land_use"):
        run(_inputs(redline=redline))
    with pytest.raises(InputError):
        run_in_memory(MODEL, _inputs(redline=redline), tmp_path / "out")


def test_a_geographic_grid(tmp_path: Path) -> None:
    grid = GridSpec.from_crs("EPSG:4326", Affine(0.01, 0, 85.0, 0, -0.01, 44.0), (4, 4))
    land = from_array(np.full((4, 4), 5), grid, name="land_use", units=None)
    with pytest.raises(InputError, match=r"input 'land_use': .*projected grid in metres"):
        run({**_inputs(), "land_use": land})


def test_codes_missing_from_the_class_table(tmp_path: Path) -> None:
    classes = pd.DataFrame({"lucode": [1, 4, 5], "role": ["cropland", "water", "built_up"]})
    _fails(tmp_path, _inputs(planning_classes=classes),
           r"table 'planning_classes'.*code\(s\) \[3\] of input 'land_use' are not listed in "
           r"the planning_classes table \(first at row 2, column 0\)")


def test_an_unknown_role_in_the_class_table(tmp_path: Path) -> None:
    classes = pd.DataFrame({"lucode": [1, 3, 4, 5], "role": ["cropland", "other", "water", "urban"]})
    _fails(tmp_path, _inputs(planning_classes=classes),
           r"table 'planning_classes'.*line 5, column 'role': role 'urban' is not one of")


def test_the_class_table_replaces_the_code_parameters() -> None:
    classes = pd.DataFrame({"lucode": [1, 3, 4, 5], "role": ["cropland", "other", "water", "built_up"]})
    values = {k: v for k, v in _inputs(planning_classes=classes).items() if not k.endswith("_codes")}
    out = run({**values, "buffer_distance": 0.0, "closing_distance": 0.0, "min_patch_area": 0.0,
               "max_hole_area": 0.0, "expansion_factor": 0.0})
    assert float(out["urban_boundary"].sum()) == 4


def test_precedence_naming_an_unknown_plan(tmp_path: Path) -> None:
    _fails(tmp_path, _inputs(precedence="redline,farmland,urban_boundary"),
           r"parameter 'precedence': unknown plan 'farmland' \(did you mean 'basic_farmland'\?\)")
    with pytest.raises(InputError, match=r"name each of .* exactly once"):
        parse_precedence("redline,redline,urban_boundary")
    with pytest.raises(InputError, match=r"name each of"):
        parse_precedence("redline,urban_boundary")
    assert parse_precedence("urban_boundary > redline > basic_farmland") == [
        "urban_boundary", "redline", "basic_farmland"]


def test_a_cap_table_with_an_unknown_unit(tmp_path: Path) -> None:
    caps = pd.DataFrame({"zone": ["west", "Easst"], "cap_km2": [3.0, 1.0]})
    _fails(tmp_path, _inputs(zones=_zones(), zone_field="name", construction_land_caps=caps),
           r"table 'construction_land_caps'.*line 3, column 'zone': unit 'Easst' \(did you mean "
           r"'east'\?\) is not a unit of the zones")


def test_a_statistics_table_with_an_unknown_unit_or_without_zones(tmp_path: Path) -> None:
    stats = pd.DataFrame({"zone": ["west", "north"], "population": [1.0, 2.0]})
    _fails(tmp_path, _inputs(zones=_zones(), zone_field="name", unit_statistics=stats),
           r"table 'unit_statistics'.*line 3, column 'zone': unit 'north' is not a unit")
    _fails(tmp_path, _inputs(unit_statistics=stats.iloc[:1]),
           r"unit 'west' is not a unit of the zones \(no zones were given, so only 'all'")


def test_code_parameters(tmp_path: Path) -> None:
    values = {k: v for k, v in _inputs().items() if k != "built_up_codes"}
    _fails(tmp_path, values, r"parameter 'built_up_codes': the land-use codes of built-up land "
           "are needed")
    _fails(tmp_path, _inputs(cropland_codes="1,x"), r"parameter 'cropland_codes': 'x' is not an "
           "integer land-use code")
    _fails(tmp_path, _inputs(water_codes="4,5"), r"code 5 is listed as both built_up and water")


def test_negative_cap_is_refused_by_the_table_check(tmp_path: Path) -> None:
    caps = pd.DataFrame({"zone": ["west"], "cap_km2": [-1.0]})
    _fails(tmp_path, _inputs(zones=_zones(), zone_field="name", construction_land_caps=caps),
           r"construction_land_caps.*cap_km2")


def test_zones_off_the_grid(tmp_path: Path) -> None:
    far = gpd.GeoDataFrame({"name": ["far"]}, crs=CHINA_ALBERS, geometry=[box(1e6, 0, 1.1e6, 1e5)])
    with pytest.raises(InputError, match=r"input 'zones': no cell centre of the grid lies in a unit"):
        run(_inputs(zones=far, zone_field="name"))


def test_the_scenario_check_sees_a_bad_precedence_or_missing_codes() -> None:
    # what `ecociv validate` calls before anything runs (upstream rasters are None there)
    with pytest.raises(InputError, match=r"parameter 'precedence': unknown plan 'farmland'"):
        MODEL.check({"land_use": None, "precedence": "redline,farmland,urban_boundary",
                     "built_up_codes": "5"})
    with pytest.raises(InputError, match=r"parameter 'built_up_codes'"):
        MODEL.check({"land_use": None})
    MODEL.check({"land_use": None, "built_up_codes": "5", "cropland_codes": "1"})
    MODEL.check({"land_use": None, "planning_classes": Path("classes.csv")})
