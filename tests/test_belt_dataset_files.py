"""The committed Belt dataset (src/ecociv/data/belt): every file, column, band and field is
described in sources.csv and dataset.yaml; rasters share one grid in CHINA_ALBERS and carry their
tags; the whole folder stays small. Reads only the committed files (built by
scripts/build_default_dataset.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
import yaml
from pyproj import CRS

from ecociv.grid.spec import CHINA_ALBERS

BELT = Path(__file__).resolve().parents[1] / "src" / "ecociv" / "data" / "belt"
STATUSES = {"real", "derived", "calibrated", "literature_default", "illustrative", "reported", "synthetic", "metadata"}
RASTER_STATUSES = {"real", "derived", "calibrated", "literature_default", "illustrative", "synthetic"}
#: sub-folders the dataset may have: the reference table of published figures and the outputs of
#: `ecociv calibrate` (written after the build by scripts/belt_build/calibration.py)
FOLDERS = {"reference", "calibration"}
MAX_BYTES = 20 * 1024 * 1024

FILES = sorted(p.name for p in BELT.iterdir() if p.is_file())
CSVS = [name for name in FILES if name.endswith(".csv")]
TIFS = [name for name in FILES if name.endswith(".tif")]
GPKGS = [name for name in FILES if name.endswith(".gpkg")]


@pytest.fixture(scope="module")
def sources() -> pd.DataFrame:
    return pd.read_csv(BELT / "sources.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load((BELT / "dataset.yaml").read_text(encoding="utf-8"))


def _items(sources: pd.DataFrame, name: str) -> set[str]:
    return set(sources.loc[sources["file"] == name, "item"])


def test_the_dataset_is_there() -> None:
    assert {"units.csv", "units.gpkg", "sources.csv", "dataset.yaml", "land_use.tif",
            "precipitation_annual.tif", "et0_annual.tif"} <= set(FILES)


def test_total_size_at_most_20_mb() -> None:
    total = sum((BELT / name).stat().st_size for name in FILES)
    assert total <= MAX_BYTES, f"{total / 1e6:.1f} MB"


def test_no_stray_folders() -> None:
    assert {p.name for p in BELT.iterdir() if p.is_dir()} <= FOLDERS


def test_every_calibration_file_is_in_sources(sources: pd.DataFrame) -> None:
    files = sorted((BELT / "calibration").iterdir())
    assert {p.name for p in files} >= {"parameters.csv", "gauges.csv", "report.md"}
    for path in files:
        rows = sources[sources["file"] == f"calibration/{path.name}"]
        assert len(rows) == 1 and rows["status"].iloc[0] == "calibrated", path.name


def test_sources_table_columns_and_statuses(sources: pd.DataFrame) -> None:
    assert list(sources.columns) == ["file", "item", "status", "units", "source", "file_in_source",
                                     "license", "citation", "processing", "resampling"]
    assert set(sources["status"]) <= STATUSES
    assert not sources.duplicated(["file", "item"]).any()
    data_rows = sources[sources["status"] != "metadata"]
    assert (data_rows["source"] != "").all()
    assert (data_rows["processing"] != "").all()
    assert (data_rows["license"] != "").all()


@pytest.mark.parametrize("name", FILES)
def test_every_file_is_in_sources_and_manifest(name: str, sources: pd.DataFrame, manifest: dict) -> None:
    assert name in set(sources["file"]), f"{name} not in sources.csv"
    paths = {layer["path"] for layer in manifest["layers"]} | set(manifest["metadata_files"])
    assert name in paths, f"{name} not in dataset.yaml"


def test_manifest_paths_exist_and_ids_unique(manifest: dict) -> None:
    ids = [layer["id"] for layer in manifest["layers"]]
    assert len(ids) == len(set(ids))
    for layer in manifest["layers"]:
        assert (BELT / layer["path"]).is_file(), layer["path"]
        assert layer["kind"] in {"raster", "vector", "table"}
        assert layer["status"] in STATUSES
        for key in ("units", "long_name", "resampling"):
            assert key in layer, (layer["id"], key)
    expected = {"precipitation_annual", "et0_annual", "land_use", "dem", "slope",
                "root_restricting_depth", "plant_available_water", "biophysical_table",
                "carbon_pools", "units", "prefectures", "lakes", "rivers", "cities", "county_seats",
                "census_2020", "co2_county", "reported_statistics"}
    assert expected <= set(ids)


@pytest.mark.parametrize("name", CSVS)
def test_every_csv_column_is_described(name: str, sources: pd.DataFrame) -> None:
    columns = pd.read_csv(BELT / name, nrows=0).columns
    missing = set(columns) - _items(sources, name)
    assert not missing, f"{name}: columns without a sources.csv row: {sorted(missing)}"
    extra = _items(sources, name) - set(columns)
    assert not extra, f"{name}: sources.csv rows for columns that do not exist: {sorted(extra)}"


@pytest.mark.parametrize("name", GPKGS)
def test_every_vector_field_is_described(name: str, sources: pd.DataFrame, manifest: dict) -> None:
    layers = [row[0] for row in pyogrio.list_layers(BELT / name)]
    described = {layer.get("layer") for layer in manifest["layers"] if layer["path"] == name}
    assert set(layers) == described
    items = _items(sources, name)
    for layer in layers:
        info = pyogrio.read_info(BELT / name, layer=layer)
        assert CRS.from_user_input(info["crs"]).equals(CRS.from_user_input(CHINA_ALBERS))
        assert info["features"] > 0
        wanted = {f"{layer}.{field}" for field in info["fields"]} | {f"{layer}.geometry"}
        assert wanted <= items, f"{name}: undescribed {sorted(wanted - items)}"


@pytest.mark.parametrize("name", TIFS)
def test_every_raster_band_is_described_and_tagged(name: str, sources: pd.DataFrame) -> None:
    with rasterio.open(BELT / name) as src:
        tags = src.tags()
        assert tags.get("status") in RASTER_STATUSES, tags
        assert tags.get("units"), "units tag missing"
        assert tags.get("long_name") and tags.get("source")
        assert src.nodata is not None
        bands = _items(sources, name)
        if src.count == 1:
            assert bands == {"band 1"}
        else:
            assert len(bands) == src.count
            assert set(src.descriptions) == bands
            for index in range(1, src.count + 1):
                assert src.tags(index).get("units") == tags["units"]
        if "scale_factor" in tags:
            assert src.scales == (float(tags["scale_factor"]),) * src.count


def test_rasters_share_one_grid_in_china_albers(manifest: dict) -> None:
    grid = manifest["grid"]
    albers = CRS.from_user_input(CHINA_ALBERS)
    assert CRS.from_user_input(manifest["crs"]).equals(albers)
    for name in TIFS:
        with rasterio.open(BELT / name) as src:
            assert CRS.from_user_input(src.crs.to_wkt()).equals(albers), name
            assert (src.height, src.width) == (grid["rows"], grid["cols"]), name
            assert tuple(src.transform)[:6] == tuple(grid["transform"]), name
            assert src.res == (1000.0, 1000.0)


def test_units_table_matches_boundaries() -> None:
    table = pd.read_csv(BELT / "units.csv")
    assert table["adcode"].is_unique
    assert table["included_because"].str.len().gt(10).all()
    counties = pyogrio.read_dataframe(BELT / "units.gpkg", layer="counties", read_geometry=False)
    assert set(table["adcode"]) == set(counties["adcode"])
    prefectures = pyogrio.read_dataframe(BELT / "units.gpkg", layer="prefectures", read_geometry=False)
    assert set(table["prefecture_adcode"]) == set(prefectures["prefecture_adcode"])


def test_class_tables_cover_land_use_codes() -> None:
    with rasterio.open(BELT / "land_use.tif") as src:
        values = src.read(1)
        codes = set(np.unique(values[values != src.nodata]).tolist())
    for name in ("biophysical_table.csv", "carbon_pools.csv", "soil_by_class.csv", "land_use_classes.csv"):
        table = pd.read_csv(BELT / name)
        assert codes <= set(table["lucode"]), name
    bio = pd.read_csv(BELT / "biophysical_table.csv")
    assert set(bio["root_depth_status"]) | set(bio["kc_status"]) <= {"literature_default", "illustrative"}
    carbon = pd.read_csv(BELT / "carbon_pools.csv")
    assert set(carbon["biomass_status"]) <= {"literature_default", "illustrative"}
    assert carbon["biomass_source"].str.len().gt(20).all() and carbon["soc_factor_source"].notna().all()
    # the soil pool is the class mean of the IPCC Tier 1 raster times the class factor, so no class
    # without soil (water, glaciers: factor 0) carries soil carbon
    assert (carbon.loc[carbon["soc_factor"] == 0, "c_soil"] == 0).all()


def test_reported_statistics_are_flagged() -> None:
    table = pd.read_csv(BELT / "reported_statistics.csv", dtype=str)
    assert (table["flag"] == "reported").all()
    assert table[["year", "unit_of_measure", "source"]].notna().all().all()


# Inputs of the ecosystem-service models (issue 4) -------------------------------------------

SERVICE_LAYERS = {
    # id: expected status
    "soil_sand": "illustrative", "soil_silt": "illustrative", "soil_clay": "illustrative",
    "soil_organic_matter": "illustrative", "soil_caco3": "illustrative",
    "soil_texture_by_class": "illustrative", "vegetation_cover": "derived",
    "cover_management_table": "illustrative", "wind_speed_monthly": "derived",
    "wind_speed_by_month": "illustrative", "windy_days_winter_spring": "derived",
    "wind_stations": "reported",
    "snow_cover_days_monthly": "illustrative", "habitat_threats": "illustrative",
    "habitat_sensitivity": "illustrative", "habitat_threats_stack": "derived",
    "threat_cropland": "derived", "threat_built_up": "derived",
    "resistance_table": "illustrative", "runoff_coefficients": "illustrative",
    "regional_constants": "illustrative", "dryness_index": "derived", "air_pressure": "derived",
    "accumulated_temperature_0c": "derived",
}


def test_service_inputs_are_in_the_manifest_with_honest_statuses(manifest: dict) -> None:
    by_id = {layer["id"]: layer for layer in manifest["layers"]}
    for layer_id, status in SERVICE_LAYERS.items():
        assert layer_id in by_id, layer_id
        assert by_id[layer_id]["status"] == status, layer_id


def test_service_class_tables_cover_land_use_codes() -> None:
    with rasterio.open(BELT / "land_use.tif") as src:
        values = src.read(1)
        codes = set(np.unique(values[values != src.nodata]).tolist())
    for name in ("soil_texture_by_class.csv", "cover_management_table.csv", "resistance_table.csv",
                 "runoff_coefficients.csv"):
        assert codes <= set(pd.read_csv(BELT / name)["lucode"]), name
    assert codes <= set(pd.read_csv(BELT / "habitat_sensitivity.csv")["lucode"])
    texture = pd.read_csv(BELT / "soil_texture_by_class.csv")
    assert (texture[["sand_pct", "silt_pct", "clay_pct"]].sum(axis=1) == 100).all()
    assert (texture["status"] == "illustrative").all()
    cover = pd.read_csv(BELT / "cover_management_table.csv")
    for column in ("vegetation_cover", "c_factor", "p_factor"):
        assert cover[column].between(0, 1).all(), column
    assert (pd.read_csv(BELT / "resistance_table.csv")["resistance"] > 0).all()
    assert pd.read_csv(BELT / "runoff_coefficients.csv")["runoff_coefficient"].between(0, 1).all()


def test_habitat_tables_follow_the_invest_format(manifest: dict) -> None:
    """InVEST >= 3.15: max_dist in metres (at least one cell), sensitivity key column lucode and one
    column per threat."""
    threats = pd.read_csv(BELT / "habitat_threats.csv")
    assert list(threats.columns) == ["threat", "max_dist", "weight", "decay", "cur_path"]
    assert set(threats["decay"]) <= {"linear", "exponential"}
    assert threats["weight"].between(0, 1).all()
    assert (threats["max_dist"] >= manifest["grid"]["cell_size_m"]).all()
    sensitivity = pd.read_csv(BELT / "habitat_sensitivity.csv")
    # InVEST's columns, then the cover levels (an ecociv addition InVEST ignores) and a status
    assert list(sensitivity.columns) == ["lucode", "name", "habitat", *threats["threat"],
                                         "cover_level_of", "cover_min", "value_status"]
    assert sensitivity["lucode"].is_unique
    assert sensitivity[["habitat", *threats["threat"], "cover_min"]].stack().between(0, 1).all()
    levels = sensitivity.dropna(subset=["cover_level_of"])
    ordinary = set(sensitivity.loc[sensitivity["cover_level_of"].isna(), "lucode"])
    assert set(levels["cover_level_of"].astype(int)) <= ordinary
    assert levels["cover_min"].notna().all() and len(levels) == 3
    by_id = {layer["id"]: layer for layer in manifest["layers"]}
    assert by_id["habitat_sensitivity"]["key"] == "lucode"
    sources = pd.read_csv(BELT / "sources.csv", dtype=str, keep_default_na=False)
    units = sources[sources["file"] == "habitat_threats.csv"].set_index("item")["units"]
    assert units["max_dist"] == "m"


def test_threat_stack_has_one_band_per_threat_row(manifest: dict) -> None:
    threats = pd.read_csv(BELT / "habitat_threats.csv")
    names = list(threats["threat"])
    layer = {layer["id"]: layer for layer in manifest["layers"]}["habitat_threats_stack"]
    assert layer["path"] == "habitat_threats_stack.tif" and layer["status"] == "derived"
    assert layer["bands"] == len(names) and layer["band_names"] == names
    with rasterio.open(BELT / "land_use.tif") as src:
        land_use_nodata = src.read(1) == src.nodata
    with rasterio.open(BELT / layer["path"]) as src:
        assert src.count == len(threats)
        assert list(src.descriptions) == names
        assert src.dtypes == ("uint8",) * src.count and src.nodata == 255
        stack = src.read()
    for band in stack:
        assert ((band == 255) == land_use_nodata).all()
        assert set(np.unique(band[band != 255]).tolist()) <= {0, 1}
    # cur_path: one single-band raster per threat for InVEST, reading the stack's band unchanged
    for index, path in enumerate(threats["cur_path"]):
        with rasterio.open(BELT / path) as src:
            assert src.count == 1 and src.nodata == 255
            assert (src.height, src.width) == stack.shape[1:]
            assert tuple(src.transform)[:6] == tuple(manifest["grid"]["transform"])
            assert CRS.from_user_input(src.crs.to_wkt()).equals(CRS.from_user_input(CHINA_ALBERS))
            assert (src.read(1) == stack[index]).all(), path


def test_snow_days_and_climate_indices_are_in_range() -> None:
    days_in_month = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    with rasterio.open(BELT / "snow_cover_days_monthly.tif") as src:
        assert src.count == 12
        for band, days in enumerate(days_in_month, start=1):
            values = src.read(band)
            assert set(np.unique(values[values != src.nodata]).tolist()) <= {0, days}
    for name, low, high in (("dryness_index.tif", 0.1, 1000.0), ("air_pressure.tif", 40.0, 105.0),
                            ("vegetation_cover.tif", 0.0, 1.0)):
        with rasterio.open(BELT / name) as src:
            values = src.read(1, masked=True)
            assert low <= values.min() and values.max() <= high, name
