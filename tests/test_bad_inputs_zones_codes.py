"""Bad inputs a new user gives: zones (unknown field, a CSV, polygons off the grid), float codes in
a land-use raster, a table output wired to a raster input. Each case once gave a traceback, a
silent result or a misleading message; each is answered by one line naming the file and what was
expected (or, for zones off the grid, a warning)."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml
from shapely.geometry import box

from ecociv.errors import InputError, InputWarning, ScenarioError
from ecociv.execute import run_model
from ecociv.grid.spec import CHINA_ALBERS
from ecociv.registry import get_model
from ecociv.scenario.runner import plan, run_scenario
from ecociv.scenario.schema import load_scenario
from ecociv.scenario.store import ResultsStore
from tests.cli_helper import run_ecociv

POOLS = "lucode,c_above,c_below,c_soil,c_dead\n1,5,1,60,0.5\n2,2,3,40,0\n"
EXAMPLE = Path(__file__).parents[1] / "src" / "ecociv" / "data" / "example"


@pytest.fixture
def carbon_files(tmp_path: Path, make_raster, write_csv) -> dict[str, Path]:
    """A 3×3 land-use raster of 100 m cells at (0, 5 000 000) and its carbon table."""
    codes = np.array([[1, 1, 2], [2, 2, 2], [1, 2, 1]], dtype="uint8")
    return {"land_use": make_raster(codes, "lu", res=100.0),
            "carbon_pools": write_csv("pools.csv", POOLS)}


def _zones(tmp_path: Path, geometries: list, name: str = "zones.gpkg") -> Path:
    frame = gpd.GeoDataFrame({"County_Name": [f"z{i}" for i in range(len(geometries))]},
                             geometry=geometries, crs=CHINA_ALBERS)
    frame.to_file(tmp_path / name, driver="GPKG")
    return tmp_path / name


ON_GRID = [box(0, 4_999_700, 100, 5_000_000), box(100, 4_999_700, 300, 5_000_000)]


def test_unknown_zone_field_names_field_file_fields_and_closest(tmp_path, carbon_files,
                                                                capsys, monkeypatch) -> None:
    zones = _zones(tmp_path, ON_GRID)
    code, _, err = run_ecociv(capsys, monkeypatch, "model", "run", "carbon",
                              "-i", f"land_use={carbon_files['land_use']}",
                              "-i", f"carbon_pools={carbon_files['carbon_pools']}",
                              "-i", f"zones={zones}", "-p", "zone_field=county_nam",
                              "-o", str(tmp_path / "out"))
    assert code == 2
    assert "Traceback" not in err
    line = err.strip()
    assert "\n" not in line
    assert "zones.gpkg" in line and "no field 'county_nam'" in line
    assert "did you mean 'county_name'?" in line and "fields: ['county_name']" in line


def test_zone_field_matches_whatever_the_case(tmp_path, carbon_files) -> None:
    # the layer says County_Name; read_vector lower-cases fields as table headers are
    carbon_files["zones"] = _zones(tmp_path, ON_GRID)
    run_model(get_model("carbon"), carbon_files, {"zone_field": "COUNTY_NAME"}, tmp_path / "out")
    totals = pd.read_csv(tmp_path / "out" / "carbon_totals.csv")
    assert list(totals["zone"]) == ["z0", "z1"]


def test_csv_given_as_zones(tmp_path, carbon_files) -> None:
    carbon_files["zones"] = carbon_files["carbon_pools"]
    with pytest.raises(InputError) as caught:
        run_model(get_model("carbon"), carbon_files, {}, tmp_path / "out")
    message = str(caught.value)
    assert "pools.csv" in message and "not a vector file" in message
    assert "polygon vector file" in message and ".gpkg" in message


def test_zones_off_the_grid_warn_and_give_empty_zones(tmp_path, carbon_files) -> None:
    # 10 km east of a 300 m wide grid
    carbon_files["zones"] = _zones(tmp_path, [box(10_000, 4_999_700, 10_300, 5_000_000)])
    with pytest.warns(InputWarning, match=r"zones\.gpkg\): no feature overlaps the run grid"):
        manifest = run_model(get_model("carbon"), carbon_files, {}, tmp_path / "out")
    totals = pd.read_csv(tmp_path / "out" / "carbon_totals.csv")
    assert totals["cells"].tolist() == [0]
    assert any("no feature overlaps the run grid" in note for note in manifest["notes"])


def test_zones_off_the_grid_shown_by_the_cli(tmp_path, carbon_files, capsys, monkeypatch) -> None:
    zones = _zones(tmp_path, [box(10_000, 4_999_700, 10_300, 5_000_000)])
    code, _, err = run_ecociv(capsys, monkeypatch, "model", "run", "carbon",
                              "-i", f"land_use={carbon_files['land_use']}",
                              "-i", f"carbon_pools={carbon_files['carbon_pools']}",
                              "-i", f"zones={zones}", "-o", str(tmp_path / "out"))
    assert code == 0
    assert "warning: vector 'zones' (" in err and "no feature overlaps the run grid" in err
    assert "InputWarning" not in err  # one line, not Python's warning format


def test_float_codes_in_a_land_use_raster(tmp_path, make_raster, write_csv) -> None:
    # 1.5 rounds to the listed code 1: the old message said "code(s) [1] not found"
    codes = np.array([[1, 1, 2], [2, 1.5, 2], [1, 2, 1]], dtype="float32")
    sources = {"land_use": make_raster(codes, "lu", res=100.0),
               "carbon_pools": write_csv("pools.csv", POOLS)}
    with pytest.raises(InputError) as caught:
        run_model(get_model("carbon"), sources, {}, tmp_path / "out")
    message = str(caught.value)
    assert "non-integer values (1.5)" in message
    assert "cell (row 1, col 1)" in message
    assert "not found" not in message


def test_unknown_codes_still_named(tmp_path, make_raster, write_csv) -> None:
    codes = np.array([[1, 1, 2], [2, 7, 2], [1, 2, 1]], dtype="uint8")
    sources = {"land_use": make_raster(codes, "lu", res=100.0),
               "carbon_pools": write_csv("pools.csv", POOLS)}
    with pytest.raises(InputError, match=r"code\(s\) \[7\] not found in carbon_pools.lucode.*"
                                         r"|cell \(row 1, col 1\)"):
        run_model(get_model("carbon"), sources, {}, tmp_path / "out")


def test_table_output_wired_to_a_raster_input(tmp_path: Path) -> None:
    folder = tmp_path / "example"
    shutil.copytree(EXAMPLE, folder)
    config = yaml.safe_load((EXAMPLE / "scenario.yaml").read_text())
    carbon = next(step for step in config["models"] if step["id"] == "carbon")
    carbon["inputs"]["land_use"] = "@water_yield.watershed_results"
    (folder / "wired.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(ScenarioError) as caught:
        plan(load_scenario(folder / "wired.yaml"), folder)
    message = str(caught.value)
    assert "models[carbon].inputs.land_use" in message
    assert "'@water_yield.watershed_results' is a table output" in message
    assert "expects a raster" in message and ".partial" not in message


def test_error_in_an_upstream_output_names_the_step_not_the_unfinished_folder(
        tmp_path: Path) -> None:
    # water_conservation reads water_yield's aet; the aet file is damaged after the step wrote it
    folder = tmp_path / "example"
    shutil.copytree(EXAMPLE, folder)
    (folder / "water_conservation.csv").write_text(
        "lucode,runoff_coefficient\n" + "".join(f"{code},0.05\n" for code in range(1, 8)))
    config = yaml.safe_load((EXAMPLE / "scenario.yaml").read_text())
    config["models"] = [config["models"][0], {"id": "water_conservation", "inputs": {
        "land_use": "land_use_synthetic.tif", "precipitation": "precipitation_synthetic.tif",
        "aet": "@water_yield.aet", "water_conservation_table": "water_conservation.csv"}}]
    (folder / "chain.yaml").write_text(yaml.safe_dump(config))

    def damage(step_folder: Path, manifest: dict) -> None:
        if (step_folder / "aet.tif").exists():
            (step_folder / "aet.tif").write_bytes(b"not a raster")

    with pytest.raises(InputError) as caught:
        run_scenario(load_scenario(folder / "chain.yaml"), base_dir=folder,
                     store=ResultsStore(tmp_path / "store"), on_step=damage)
    message = str(caught.value)
    assert message.startswith("input 'aet' (@water_yield.aet (output of step 'water_yield')): ")
    assert ".partial" not in message


def test_continuous_output_wired_to_a_categorical_input(tmp_path: Path) -> None:
    # aet (mm/yr) as land-use codes ran, then failed on "non-integer codes" in the step folder
    folder = tmp_path / "example"
    shutil.copytree(EXAMPLE, folder)
    config = yaml.safe_load((EXAMPLE / "scenario.yaml").read_text())
    carbon = next(step for step in config["models"] if step["id"] == "carbon")
    carbon["inputs"]["land_use"] = "@water_yield.aet"
    (folder / "wired.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(ScenarioError, match=r"models\[carbon\].inputs.land_use: '@water_yield.aet' "
                                            r"is a raster of continuous values but input 'land_use' "
                                            r"takes class codes"):
        plan(load_scenario(folder / "wired.yaml"), folder)


def test_validate_finds_an_unknown_zone_field(tmp_path: Path, capsys, monkeypatch) -> None:
    # found by `ecociv validate` from the layer's field names, before anything runs
    folder = tmp_path / "example"
    shutil.copytree(EXAMPLE, folder)
    config = yaml.safe_load((EXAMPLE / "scenario.yaml").read_text())
    carbon = next(step for step in config["models"] if step["id"] == "carbon")
    carbon["params"]["zone_field"] = "nmae"
    (folder / "typo.yaml").write_text(yaml.safe_dump(config))
    code, _, err = run_ecociv(capsys, monkeypatch, "validate", str(folder / "typo.yaml"))
    assert code == 2
    assert "models[carbon].inputs.zones" in err and "watersheds_synthetic.gpkg" in err
    assert "no field 'nmae' (parameter 'zone_field') (did you mean 'name'?)" in err


def test_zone_field_checked_when_loading(tmp_path, carbon_files) -> None:
    # the framework checks it before the model runs, also for in-memory layers
    from ecociv.execute import load_inputs

    zones = gpd.read_file(_zones(tmp_path, ON_GRID))
    with pytest.raises(InputError, match=r"vector 'zones' \(in memory\): no field 'county'"):
        load_inputs(get_model("carbon"), {**carbon_files, "zones": zones}, {"zone_field": "county"})


def test_zone_names_given_to_several_features_warn(tmp_path, carbon_files) -> None:
    zones = gpd.GeoDataFrame({"name": ["a", "b", "a"]}, geometry=[
        box(0, 4_999_700, 100, 5_000_000), box(100, 4_999_700, 200, 5_000_000),
        box(200, 4_999_700, 300, 5_000_000)], crs=CHINA_ALBERS)
    zones.to_file(tmp_path / "zones.gpkg")
    carbon_files["zones"] = tmp_path / "zones.gpkg"
    with pytest.warns(InputWarning, match=r"zones.gpkg\): field 'name' \(parameter 'zone_field'\) "
                                          r"gives the same name to several features \('a': "
                                          r"features \[1, 3\]"):
        run_model(get_model("carbon"), carbon_files, {"zone_field": "name"}, tmp_path / "out")
    assert pd.read_csv(tmp_path / "out" / "carbon_totals.csv")["zone"].tolist() == ["a", "b", "a"]
