"""Region datasets at run time: loading, provenance checks, `dataset:` inputs in scenarios,
layers replaced by user files, the units table, `ecociv data info/export` and the Belt demo."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine

from ecociv.errors import InputError, ScenarioError
from ecociv.grid.spec import CHINA_ALBERS
from ecociv.region.dataset import load_dataset, packaged_dataset_path
from ecociv.region.summary import basin_summary, prefecture_summary, unit_summary
from ecociv.region.units import read_census, read_units_table
from ecociv.scenario.runner import plan, run_scenario
from ecociv.scenario.schema import load_scenario
from ecociv.scenario.store import ResultsStore
from tests.cli_helper import run_ecociv as ecociv

BELT = packaged_dataset_path()




@pytest.fixture(scope="module")
def belt_run(tmp_path_factory) -> Path:
    """The Belt baseline run once for the module."""
    from ecociv.demo import belt_scenario

    scenario = belt_scenario()
    store = ResultsStore(tmp_path_factory.mktemp("store"))
    return run_scenario(load_scenario(scenario), base_dir=scenario.parent, store=store).folder


def test_default_dataset_loads_with_its_grid_and_provenance() -> None:
    dataset = load_dataset()
    assert dataset.name == "belt"
    grid = dataset.grid
    assert grid.is_equal_area and grid.resolution == (1000.0, 1000.0)
    with rasterio.open(dataset.layer("land_use").path) as src:
        assert (src.height, src.width) == grid.shape and src.transform == grid.transform
    with pytest.raises(InputError, match=r"no layer 'land_uce'; did you mean 'land_use'"):
        dataset.layer("land_uce")


def test_sources_table_missing_an_entry_is_named(tmp_path: Path) -> None:
    copy = tmp_path / "belt"
    shutil.copytree(BELT, copy)
    sources = pd.read_csv(copy / "sources.csv")
    sources[sources["file"] != "slope.tif"].to_csv(copy / "sources.csv", index=False)
    with pytest.raises(InputError, match=r"sources table has no entry for file 'slope.tif' \(layer 'slope'\)"):
        load_dataset(copy)
    (copy / "sources.csv").unlink()
    with pytest.raises(InputError, match="sources table is missing"):
        load_dataset(copy)


def test_sources_table_saved_by_excel_with_a_byte_order_mark(tmp_path: Path) -> None:
    # "CSV UTF-8" from Excel starts with a byte-order mark, which Python's csv module keeps in
    # the first column name ("\ufefffile") unless the file is read as utf-8-sig
    copy = tmp_path / "belt"
    shutil.copytree(BELT, copy)
    sources = copy / "sources.csv"
    sources.write_bytes(b"\xef\xbb\xbf" + sources.read_bytes())
    dataset = load_dataset(copy)
    assert "file" in dataset.sources()[0]


def test_units_table_with_an_unknown_adcode(tmp_path: Path) -> None:
    dataset = load_dataset()
    table = pd.read_csv(dataset.layer("units_table").path, dtype=str)
    table.loc[3, "adcode"] = "659999"
    path = tmp_path / "units.csv"
    table.to_csv(path, index=False)
    with pytest.raises(InputError, match=r"units table .* line 5, column 'adcode': adcode 659999 .*no boundary"):
        read_units_table(path, dataset.layer("units").source)
    units = read_units_table(dataset.layer("units_table").path, dataset.layer("units").source)
    assert len(units) == len(pd.read_csv(dataset.layer("units_table").path)) and units.geometry.notna().all()


def test_census_with_a_renamed_column(tmp_path: Path) -> None:
    census = pd.read_csv(load_dataset().layer("census_2020").path, dtype=str)
    census.rename(columns={"population_urban": "urban_population"}).to_csv(tmp_path / "c.csv", index=False)
    with pytest.raises(InputError, match=r"missing required column\(s\) \['population_urban'\]"):
        read_census(tmp_path / "c.csv")


def _scenario(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(textwrap.dedent("""
        name: override
        dataset: belt
        models:
          - id: water_yield
            inputs:
              precipitation: dataset:precipitation_annual
              et0: dataset:et0_annual
              root_restricting_depth: dataset:root_restricting_depth
              plant_available_water: dataset:plant_available_water
              land_use: dataset:land_use
              biophysical_table: dataset:biophysical_table
            params: {seasonality_z: 5}
    """) + textwrap.dedent(extra))
    return path


def _write(path: Path, values: np.ndarray, transform: Affine, crs: str, nodata: float | None) -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1], height=values.shape[0],
                       count=1, dtype=str(values.dtype), crs=crs, transform=transform,
                       nodata=nodata) as dst:
        dst.write(values, 1)
    return path


def test_replacement_layer_in_geographic_crs_with_no_overlap(tmp_path: Path) -> None:
    # a precipitation grid over the Netherlands (5°E, 52°N): nowhere near the Belt
    _write(tmp_path / "far.tif", np.full((10, 10), 300.0, dtype="float32"),
           Affine(0.1, 0, 4.0, 0, -0.1, 53.0), "EPSG:4326", -9999.0)
    path = _scenario(tmp_path, "layers:\n  precipitation_annual: far.tif\n")
    with pytest.raises(InputError, match=r"input 'precipitation' .*far.tif.*does not overlap"):
        run_scenario(load_scenario(path), base_dir=tmp_path, store=ResultsStore(tmp_path / "s"))


def _belt_like_precipitation(tmp_path: Path, fill: float, nodata: float | None) -> Path:
    # 2 km cells over the whole Belt grid in China Albers, a constant 250 mm/yr, corner undeclared
    grid = load_dataset().grid
    values = np.full((grid.rows // 2, grid.cols // 2), 250.0, dtype="float32")
    values[:5, :5] = fill
    return _write(tmp_path / "precip_2km.tif", values,
                  Affine(2000.0, 0, grid.transform.c, 0, -2000.0, grid.transform.f), CHINA_ALBERS, nodata)


def test_replacement_layer_with_another_nodata_convention(tmp_path: Path) -> None:
    _belt_like_precipitation(tmp_path, -9999.0, None)
    undeclared = _scenario(tmp_path, "layers:\n  precipitation_annual: precip_2km.tif\n")
    with pytest.raises(InputError, match=r"input 'precipitation'.*-9999 mm/yr below the allowed minimum 0"):
        run_scenario(load_scenario(undeclared), base_dir=tmp_path, store=ResultsStore(tmp_path / "s"))
    declared = _scenario(tmp_path, "layers:\n  precipitation_annual: {path: precip_2km.tif, nodata: -9999}\n")
    result = run_scenario(load_scenario(declared), base_dir=tmp_path, store=ResultsStore(tmp_path / "s"))
    step = json.loads((result.folder / "water_yield" / "manifest.json").read_text())
    notes = " ".join(step["notes"])
    assert "dataset layer replaced by" in notes and "bilinear" in notes
    with rasterio.open(result.folder / "water_yield" / "water_yield.tif") as src:
        corner = src.read(1, masked=True)[:8, :8]
    assert corner.mask.all(), "cells under the declared nodata stay nodata"


def test_unknown_layer_names_and_wrong_units(tmp_path: Path) -> None:
    path = _scenario(tmp_path, "layers:\n  precipitaton_annual: x.tif\n")
    with pytest.raises(ScenarioError, match=r"layers.precipitaton_annual: .*did you mean 'precipitation_annual'"):
        plan(load_scenario(path), tmp_path)
    path = _scenario(tmp_path).with_name("monthly.yaml")
    path.write_text(_scenario(tmp_path).read_text().replace("dataset:precipitation_annual",
                                                            "dataset:precipitation_monthly"))
    with pytest.raises(ScenarioError, match=r"'precipitation_monthly' is in 'mm/month' but the input expects 'mm/yr'"):
        plan(load_scenario(path), tmp_path)
    no_dataset = tmp_path / "nodata.yaml"
    no_dataset.write_text(_scenario(tmp_path).read_text().replace("dataset: belt\n", ""))
    with pytest.raises(ScenarioError, match="add `dataset: belt`"):
        plan(load_scenario(no_dataset), tmp_path)


def test_belt_summary_per_prefecture_adds_up(belt_run: Path) -> None:
    dataset = load_dataset()
    units = unit_summary(belt_run, dataset)
    prefectures = prefecture_summary(units)
    total = prefectures.set_index("prefecture_adcode").loc["total"]
    body = prefectures[prefectures["prefecture_adcode"] != "total"]
    for column in ("area_km2", "precipitation_1e8m3", "water_yield_1e8m3", "carbon_mt"):
        assert body[column].sum() == pytest.approx(total[column], rel=1e-9)
    # volumes follow from means and areas: 10⁸ m³ = mm × km² × 1e-5
    assert total["precipitation_1e8m3"] == pytest.approx(total["precipitation_mm"] * total["area_km2"] * 1e-5,
                                                         rel=0.01)
    assert (units["water_yield_mm"] <= units["precipitation_mm"] + 1e-6).all()
    # issue 4: every service of the baseline is summarised, non-negative, and adds up
    for column in ("water_conservation_1e8m3", "soil_conservation_mt", "sand_fixation_mt", "redline_km2",
                   "corridor_length_km"):
        assert (units[column] >= 0).all(), column
        assert body[column].sum() == pytest.approx(total[column], rel=1e-9, abs=1e-9), column
    assert 0 <= total["habitat_quality_mean"] <= 1
    assert 0 < total["redline_percent"] <= 100
    assert (units["redline_km2"] <= units["area_km2"] + 1e-6).all()
    basins = basin_summary(units).set_index("basin")
    assert basins.loc["total", "water_yield_1e8m3"] == pytest.approx(total["water_yield_1e8m3"], rel=1e-9)
    assert basins.drop(index="total")["units"].sum() == len(units)
    # population of the Belt's units: sum of the census rows for their adcodes
    census = read_census(dataset.layer("census_2020").path).set_index("adcode")
    expected = census.loc[census.index.intersection(units["adcode"]), "population_total"].sum()
    assert total["population"] == pytest.approx(expected)


def test_summary_read_in_one_pass_equals_window_by_window(belt_run: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from ecociv.region import summary

    dataset = load_dataset()
    at_once = unit_summary(belt_run, dataset)
    monkeypatch.setattr(summary, "IN_MEMORY_BYTES", 0)  # each unit's window read on its own
    pd.testing.assert_frame_equal(at_once, unit_summary(belt_run, dataset))


def test_summaries_as_csv_with_a_byte_order_mark_and_a_workbook(belt_run: Path) -> None:
    from openpyxl import load_workbook

    from ecociv.region.summary import write_summaries

    paths = write_summaries(belt_run, load_dataset())
    for name in ("units", "prefectures", "basins"):
        assert paths[name].read_bytes().startswith(b"\xef\xbb\xbf"), name
    prefectures = pd.read_csv(paths["prefectures"], dtype={"prefecture_adcode": str})
    book = load_workbook(paths["workbook"], read_only=True)
    assert book.sheetnames == ["units", "prefectures", "basins", "columns"]
    rows = list(book["prefectures"].iter_rows(values_only=True))
    assert list(rows[0]) == list(prefectures.columns)
    assert [row[list(prefectures.columns).index("prefecture_zh")] for row in rows[1:]] == \
        prefectures["prefecture_zh"].tolist()
    assert "乌鲁木齐市" in prefectures["prefecture_zh"].tolist()


def test_summary_finds_steps_by_model_not_by_name(belt_run: Path, tmp_path: Path) -> None:
    # the same carbon step under another name gives the same column; a step of a model that declares
    # no summary measures adds none
    run = tmp_path / "run"
    run.mkdir()
    shutil.copytree(belt_run / "carbon", run / "carbon_2019")
    manifest = json.loads((belt_run / "manifest.json").read_text())
    steps = [{**step, "name": "carbon_2019"} for step in manifest["steps"] if step["model"] == "carbon"]
    (run / "manifest.json").write_text(json.dumps({**manifest, "steps": steps}))
    dataset = load_dataset()
    renamed = unit_summary(run, dataset)
    original = unit_summary(belt_run, dataset)
    measured = [c for c in renamed.columns if c not in ("area_km2", "population") and not c.startswith("_")
                and c not in original.columns[:7]]
    assert measured == ["carbon_mt"]
    np.testing.assert_array_equal(renamed["carbon_mt"].to_numpy(), original["carbon_mt"].to_numpy())


def test_data_info_and_export(capsys, monkeypatch, tmp_path: Path) -> None:
    code, out, err = ecociv(capsys, monkeypatch, "data", "info", "--json")
    assert code == 0, err
    rows = {row["id"]: row for row in json.loads(out)}
    assert rows["dem"]["status"] == "real" and rows["et0_annual"]["status"] == "derived"
    assert rows["carbon_pools"]["status"] in ("literature_default", "illustrative")
    assert all(row["source"] and row["license"] for row in rows.values())
    code, out, err = ecociv(capsys, monkeypatch, "data", "export", "--format", "gpkg", "--out", str(tmp_path / "g"))
    assert code == 0, err
    import pyogrio

    layers = {str(name) for name in pyogrio.list_layers(tmp_path / "g" / "belt.gpkg")[:, 0]}
    assert {"units", "prefectures", "lakes", "census_2020", "biophysical_table"} <= layers
    code, _, err = ecociv(capsys, monkeypatch, "data", "export", "--format", "tif", "--out", str(tmp_path / "t"))
    assert code == 0, err
    with rasterio.open(tmp_path / "t" / "dem.tif") as src:
        assert src.tags()["status"] == "real" and src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
    # class layers: MODE overviews, names and colours in .aux.xml (read back through GDAL)
    with rasterio.open(tmp_path / "t" / "land_use.tif") as src:
        assert src.colormap(1)[1][3] == 255
    assert "cropland" in (tmp_path / "t" / "land_use.tif.aux.xml").read_text(encoding="utf-8")
    # the sources table is for people: UTF-8 with a byte-order mark, as Excel needs for Chinese
    exported = (tmp_path / "t" / "sources.csv").read_bytes()
    assert exported == b"\xef\xbb\xbf" + (BELT / "sources.csv").read_bytes().removeprefix(b"\xef\xbb\xbf")
    code, _, err = ecociv(capsys, monkeypatch, "data", "export", "--format", "shp", "--out", str(tmp_path / "x"))
    assert code == 2 and "expected 'gpkg' or 'tif'" in err


def test_belt_demo_prints_the_prefecture_table(capsys, monkeypatch, tmp_path: Path) -> None:
    code, out, err = ecociv(capsys, monkeypatch, "demo", "--out", str(tmp_path / "demo"))
    assert code == 0, err
    assert "Warning" not in err  # e.g. a rasterio NotGeoreferencedWarning leaking into the demo
    for name in ("Urumqi", "乌鲁木齐市", "Turpan", "Belt total", "water yield", "sand", "red line", "corridors",
                 "water allocation per basin", "Manas River", "Ebinur Lake", "net virtual-water export"):
        assert name in out
    run = next((tmp_path / "demo" / "runs").iterdir())
    steps = json.loads((run / "manifest.json").read_text())["steps"]
    assert {s["model"] for s in steps} >= {"water_yield", "carbon", "water_conservation", "soil_conservation",
                                           "sand_fixation", "habitat_quality", "ecological_sensitivity",
                                           "ecological_redline", "ecological_security_pattern",
                                           "double_evaluation", "water_allocation"}
    for step in steps:  # a map per raster output, the network diagram of the water allocation
        maps = json.loads((run / step["name"] / "maps.json").read_text())
        rasters = [k for k, v in step["outputs"].items() if v.endswith(".tif")]
        if step["model"] == "water_allocation":
            rasters += ["network_diagram", "network_diagram"]
        assert sorted(Path(m).stem for m in maps) == sorted(rasters), step["name"]
    prefectures = pd.read_csv(run / "summary" / "prefectures.csv", dtype={"prefecture_adcode": str})
    assert "total" in set(prefectures["prefecture_adcode"])
    # the check against the shipped reference table: its one-line summary and its table
    assert "reference figures inside their range" in out and str(run / "check" / "check.csv") in out
    assert len(pd.read_csv(run / "check" / "check.csv")) >= 10
