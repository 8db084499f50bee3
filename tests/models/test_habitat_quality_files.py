"""`habitat_quality` through files: InVEST's tables unchanged (upper-case headers, the
``cur_path`` column), and bad input, each with an error naming the table, line and column (or
the input) and what was expected."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import rasterio

from ecociv.errors import InputError
from ecociv.execute import run_in_memory, run_model
from ecociv.models.habitat_quality.model import MODEL

# InVEST 3.20.2 tables as InVEST's sample data write them: upper-case headers, the threat's
# raster path in CUR_PATH (ignored here: the raster is input 'threats'), max_dist in metres
THREATS = "THREAT,MAX_DIST,WEIGHT,DECAY,CUR_PATH,FUT_PATH\nRoads,60,0.6,linear,roads_c.tif,\n"
SENSITIVITY = "LUCODE,NAME,HABITAT,ROADS\n1,forest,1,0.9\n2,cropland,0,0.2\n"


def sources(tmp_path: Path, make_raster: Any, write_csv: Any, *, threats: str = THREATS,
            sensitivity: str = SENSITIVITY, threat_values: np.ndarray | None = None,
            **raster_kwargs: Any) -> dict[str, Path]:
    # 3 × 4 cells of 30 m; a road in column 0; code 255 = nodata
    codes = np.array([[2, 1, 1, 1], [2, 1, 1, 255], [2, 1, 1, 1]], dtype="uint8")
    road = np.zeros((3, 4), dtype="float32")
    road[:, 0] = 1.0
    values = road if threat_values is None else threat_values
    return {
        "land_use": make_raster(codes, "lulc", nodata=255, **raster_kwargs),
        "threats": (make_raster(values, "threats", **raster_kwargs) if values.ndim == 2
                    else write_stack(tmp_path / "threats_stack.tif", values)),
        "threat_table": write_csv("threats.csv", threats),
        "sensitivity_table": write_csv("sensitivity.csv", sensitivity),
    }


def test_invest_tables_unchanged(tmp_path: Path, make_raster: Any, write_csv: Any) -> None:
    out = tmp_path / "out"
    run_model(MODEL, sources(tmp_path, make_raster, write_csv), {"half_saturation_constant": 0.5},
              out)
    with rasterio.open(out / "degradation.tif") as src:
        d = src.read(1, masked=True).filled(np.nan)
        assert src.tags()["units"] == "1" and src.tags()["model_id"] == "habitat_quality"
    # road cells: cropland, S 0.2: D = 1 × 1 × 0.2 = 0.2; column 1 (d = 30 m): forest, i = 1 -
    # 30/60 = 0.5, D = 0.5 × 0.9 = 0.45; column 2 (d = 60 m = max_dist): i = 0; nodata cell
    np.testing.assert_allclose(d[0], [0.2, 0.45, 0.0, 0.0], atol=1e-6)
    assert np.isnan(d[1, 3])
    classes = pd.read_csv(out / "class_summary.csv")
    assert list(classes["name"]) == ["forest", "cropland"]
    # 30 m cells: 0.09 ha each; 8 forest cells (3 + 2 + 3)
    assert classes.loc[0, "area_ha"] == pytest.approx(0.72) and classes.loc[0, "cells"] == 8


def error(tmp_path: Path, make_raster: Any, write_csv: Any, params: dict[str, Any] | None = None,
          **kwargs: Any) -> str:
    with pytest.raises(InputError) as info:
        run_model(MODEL, sources(tmp_path, make_raster, write_csv, **kwargs),
                  {"half_saturation_constant": 0.05, **(params or {})}, tmp_path / "out")
    return str(info.value)


def write_stack(path: Path, bands: np.ndarray, res: float = 30.0) -> Path:
    """A multi-band float32 GeoTIFF on the ``make_raster`` grid (China Albers, origin (0, 5e6))."""
    from affine import Affine

    from ecociv.grid.spec import CHINA_ALBERS

    with rasterio.open(path, "w", driver="GTiff", width=bands.shape[2], height=bands.shape[1],
                       count=bands.shape[0], dtype="float32", crs=CHINA_ALBERS,
                       transform=Affine(res, 0, 0.0, 0, -res, 5_000_000.0)) as dst:
        dst.write(bands.astype("float32"))
    return path


# three threats, InVEST headers; weights 1, 0.5, 0.5 -> normalised 0.5, 0.25, 0.25
THREE_THREATS = ("THREAT,MAX_DIST,WEIGHT,DECAY,CUR_PATH,FUT_PATH\nRoads,60,1,linear,roads_c.tif,\n"
                 "Crops,90,0.5,exponential,crops_c.tif,\nUrban,60,0.5,linear,urban_c.tif,\n")
THREE_SENSITIVITY = ("LUCODE,NAME,HABITAT,ROADS,CROPS,URBAN\n1,forest,1,0.8,0.4,1\n"
                     "2,cropland,0,0.2,0,0.5\n")


def three_threat_bands() -> np.ndarray:
    # 3 × 6 cells of 30 m. Band 1 (Roads): column 0; band 2 (Crops): cell (0, 5); band 3
    # (Urban): cell (2, 3) at intensity 0.5 (presence, InVEST >= 3.13)
    bands = np.zeros((3, 3, 6))
    bands[0, :, 0] = 1.0
    bands[1, 0, 5] = 1.0
    bands[2, 2, 3] = 0.5
    return bands


def test_every_threat_band_is_used(tmp_path: Path, make_raster: Any, write_csv: Any) -> None:
    codes = np.ones((3, 6), dtype="uint8")
    codes[2, 0] = 2  # cropland: H = 0
    src = {
        "land_use": make_raster(codes, "lulc", nodata=255),
        "threats": write_stack(tmp_path / "threats_stack.tif", three_threat_bands()),
        "threat_table": write_csv("threats.csv", THREE_THREATS),
        "sensitivity_table": write_csv("sensitivity.csv", THREE_SENSITIVITY),
    }
    out = tmp_path / "out"
    run_model(MODEL, src, {"half_saturation_constant": 0.5}, out)
    with rasterio.open(out / "degradation_by_threat.tif") as ds:
        assert ds.count == 3
        assert ds.descriptions == ("habitat degradation by threat: Roads",
                                   "habitat degradation by threat: Crops",
                                   "habitat degradation by threat: Urban")
        assert ds.tags(1)["units"] == "1" and ds.tags()["model_id"] == "habitat_quality"
        roads, crops, urban = ds.read(masked=True).astype(np.float64).filled(np.nan)
    with rasterio.open(out / "degradation.tif") as ds:
        total = ds.read(1, masked=True).astype(np.float64).filled(np.nan)
    # D_r = i_r × (w_r / Σw) × S_jr (β = 1)
    # Roads, linear 60 m, w 0.5, S forest 0.8 / cropland 0.2:
    #   col 0: i = 1 -> 0.4 (forest), 0.1 (cropland (2, 0)); col 1: i = 1 - 30/60 = 0.5 -> 0.2;
    #   col 2: d = 60 = d_max -> 0
    np.testing.assert_allclose(roads[:, :3], [[0.4, 0.2, 0], [0.4, 0.2, 0], [0.1, 0.2, 0]],
                               atol=1e-6)
    assert np.all(roads[:, 3:] == 0)
    # Crops, exponential 90 m, w 0.25, S forest 0.4 (factor 0.1), i = exp(-2.99 d / 90):
    #   (0, 5) d = 0 -> 0.1; (0, 4) d = 30 -> 0.1 × 0.369108 = 0.036911;
    #   (1, 4) d = 42.43 -> 0.024427; (0, 3) d = 60 -> 0.013624; (0, 2) d = 90 = d_max ->
    #   0.1 × exp(-2.99) = 0.005029 (kept); (2, 3) d = 84.85 -> 0.005967; (1, 2) d = 94.87 -> 0
    for cell, value in {(0, 5): 0.1, (0, 4): 0.036911, (1, 4): 0.024427, (0, 3): 0.013624,
                        (0, 2): 0.005029, (2, 3): 0.005967, (1, 2): 0.0, (2, 0): 0.0}.items():
        assert crops[cell] == pytest.approx(value, abs=1e-6), cell
    # Urban, linear 60 m, w 0.25, S forest 1: (2, 3) d = 0 -> 0.25; (1, 3), (2, 2), (2, 4)
    # d = 30 -> 0.125; (1, 2), (1, 4) d = 42.43 -> 0.25 × (1 - 42.43/60) = 0.073223; else 0
    expected_urban = np.zeros((3, 6))
    expected_urban[2, 3] = 0.25
    expected_urban[1, 3] = expected_urban[2, 2] = expected_urban[2, 4] = 0.125
    expected_urban[1, 2] = expected_urban[1, 4] = 0.073223
    np.testing.assert_allclose(urban, expected_urban, atol=1e-6)
    # the bands sum to the total (eq. hq.3): e.g. (2, 3) = 0 + 0.005967 + 0.25 = 0.255967,
    # (1, 4) = 0 + 0.024427 + 0.073223 = 0.097650
    np.testing.assert_allclose(roads + crops + urban, total, atol=1e-6)
    assert total[2, 3] == pytest.approx(0.255967, abs=1e-6)
    assert total[1, 4] == pytest.approx(0.097650, abs=1e-6)
    shares = pd.read_csv(out / "threat_summary.csv")
    assert list(shares["threat"]) == ["roads", "crops", "urban"]
    assert shares["degradation_share"].sum() == pytest.approx(1.0)


@pytest.mark.parametrize("rows", [2, 4])
def test_band_count_must_match_the_threat_table(tmp_path: Path, make_raster: Any, write_csv: Any,
                                                rows: int) -> None:
    # 3 bands, a table with 2 or 4 threats: the framework's error when the file is read
    lines = THREE_THREATS.splitlines()
    table = lines[:rows + 1] if rows < 3 else [*lines, "Mines,90,1,linear,mines_c.tif,"]
    sensitivity = THREE_SENSITIVITY.replace("URBAN\n", "URBAN,MINES\n").replace("1\n", "1,1\n")
    src = {
        "land_use": make_raster(np.ones((3, 6), dtype="uint8"), "lulc", nodata=255),
        "threats": write_stack(tmp_path / "threats_stack.tif", three_threat_bands()),
        "threat_table": write_csv("threats.csv", "\n".join(table) + "\n"),
        "sensitivity_table": write_csv("sensitivity.csv", sensitivity),
    }
    with pytest.raises(InputError) as info:
        run_model(MODEL, src, {}, tmp_path / "out")
    message = str(info.value)
    assert f"expected {rows} bands" in message and "found 3" in message
    assert "threats" in message and "threats_stack.tif" in message


def test_one_band_file_for_two_threats(tmp_path: Path, make_raster: Any, write_csv: Any) -> None:
    threats = THREATS + "urban,1000,1,exponential,urban_c.tif,\n"
    sensitivity = "LUCODE,NAME,HABITAT,ROADS,URBAN\n1,forest,1,0.9,1\n2,cropland,0,0.2,0\n"
    message = error(tmp_path, make_raster, write_csv, threats=threats, sensitivity=sensitivity)
    assert "expected 2 bands" in message and "found 1" in message and "threats" in message


def test_misspelt_decay_suggests_the_right_word(tmp_path: Path, make_raster: Any,
                                                write_csv: Any) -> None:
    threats = THREATS.replace("linear", "exponental")
    message = error(tmp_path, make_raster, write_csv, threats=threats)
    assert "threat_table" in message and "line 2, column 'decay'" in message
    assert "did you mean 'exponential'?" in message


def test_sensitivity_table_without_habitat(tmp_path: Path, make_raster: Any,
                                           write_csv: Any) -> None:
    sensitivity = "LUCODE,NAME,ROADS\n1,forest,0.9\n2,cropland,0.2\n"
    message = error(tmp_path, make_raster, write_csv, sensitivity=sensitivity)
    assert "sensitivity" in message and "missing required column(s) ['habitat']" in message


def test_sensitivity_table_without_a_threat_column(tmp_path: Path, make_raster: Any,
                                                   write_csv: Any) -> None:
    sensitivity = "LUCODE,NAME,HABITAT,RAIL\n1,forest,1,0.9\n2,cropland,0,0.2\n"
    message = error(tmp_path, make_raster, write_csv, sensitivity=sensitivity)
    assert "no column for threat(s) ['roads']" in message and "rail" in message


def test_blank_sensitivity(tmp_path: Path, make_raster: Any, write_csv: Any) -> None:
    sensitivity = "LUCODE,NAME,HABITAT,ROADS\n1,forest,1,0.9\n2,cropland,0,\n"
    message = error(tmp_path, make_raster, write_csv, sensitivity=sensitivity)
    assert "line 3, column 'roads'" in message and "0 to 1" in message


@pytest.mark.parametrize("max_dist", ["0", "-5"])
def test_max_distance_must_be_positive(tmp_path: Path, make_raster: Any, write_csv: Any,
                                       max_dist: str) -> None:
    message = error(tmp_path, make_raster, write_csv, threats=THREATS.replace(",60,", f",{max_dist},"))
    assert "line 2, column 'max_dist'" in message


def test_max_distance_in_km_is_caught(tmp_path: Path, make_raster: Any, write_csv: Any) -> None:
    # a table written for InVEST < 3.15 (km): 0.06 would reach only the threat's own cells
    message = error(tmp_path, make_raster, write_csv, threats=THREATS.replace(",60,", ",0.06,"))
    assert "smaller than the cell size 30 m" in message and "multiply by 1000" in message


@pytest.mark.parametrize("weight", ["1.5", "-0.1"])
def test_weight_outside_zero_one(tmp_path: Path, make_raster: Any, write_csv: Any,
                                 weight: str) -> None:
    message = error(tmp_path, make_raster, write_csv, threats=THREATS.replace(",0.6,", f",{weight},"))
    assert "threat_table" in message and "line 2, column 'weight'" in message


def test_all_weights_zero(tmp_path: Path, make_raster: Any, write_csv: Any) -> None:
    message = error(tmp_path, make_raster, write_csv, threats=THREATS.replace(",0.6,", ",0,"))
    assert "every threat weight is 0" in message


def test_duplicate_threat_names_ignoring_case(tmp_path: Path, make_raster: Any,
                                              write_csv: Any) -> None:
    threats = THREATS + "ROADS,90,1,linear,,\n"
    road = np.zeros((2, 3, 4))
    road[:, :, 0] = 1.0  # two bands, one per row, so the band count is right
    message = error(tmp_path, make_raster, write_csv, threats=threats, threat_values=road)
    assert "'roads' is listed twice (lines 2 and 3" in message


def test_threat_values_above_one(tmp_path: Path, make_raster: Any, write_csv: Any) -> None:
    values = np.zeros((3, 4), dtype="float32")
    values[2, 1] = 3.0  # e.g. road length in m: InVEST wants 0-1
    message = error(tmp_path, make_raster, write_csv, threat_values=values)
    assert "input 'threats'" in message and "above the allowed maximum 1" in message
    assert "row 2, col 1" in message


def test_land_use_code_missing_from_the_sensitivity_table(tmp_path: Path, make_raster: Any,
                                                          write_csv: Any) -> None:
    message = error(tmp_path, make_raster, write_csv,
                    sensitivity="LUCODE,NAME,HABITAT,ROADS\n1,forest,1,0.9\n")
    assert "code(s) [2] not found in sensitivity_table.lucode" in message


def test_half_saturation_must_be_positive(tmp_path: Path, make_raster: Any, write_csv: Any) -> None:
    message = error(tmp_path, make_raster, write_csv, params={"half_saturation_constant": 0})
    assert "half_saturation_constant" in message and "must be greater than 0" in message


def test_unknown_aggregation(tmp_path: Path, make_raster: Any, write_csv: Any) -> None:
    message = error(tmp_path, make_raster, write_csv, params={"threat_aggregation": "mean"})
    assert "'mean' is not one of ['nearest', 'sum']" in message


def test_geographic_grid_is_refused(tmp_path: Path, make_raster: Any, write_csv: Any) -> None:
    message = error(tmp_path, make_raster, write_csv, res=0.001, crs="EPSG:4326",
                    origin=(86.0, 44.0))
    assert "geographic coordinates" in message and "projected" in message


def test_access_raster_and_polygons_together(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    inputs = dict(MODEL.example())
    grid_crs = inputs["land_use"].rio.crs
    inputs["access"] = inputs["land_use"] * 0 + 1
    inputs["access_polygons"] = gpd.GeoDataFrame({"access": [0.5]}, geometry=[box(0, 4_999_300, 300, 5_000_000)],
                                                 crs=grid_crs)
    with pytest.raises(InputError, match=r"either 'access'.*or 'access_polygons'"):
        run_in_memory(MODEL, inputs, tmp_path / "out")


def test_access_polygon_value_outside_zero_one(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    inputs = dict(MODEL.example())
    inputs["access_polygons"] = gpd.GeoDataFrame(
        {"access": [0.5, 2.0]}, geometry=[box(0, 4_999_300, 300, 5_000_000), box(0, 0, 1, 1)],
        crs=inputs["land_use"].rio.crs)
    with pytest.raises(InputError, match="feature 2, field 'access'"):
        run_in_memory(MODEL, inputs, tmp_path / "out")
