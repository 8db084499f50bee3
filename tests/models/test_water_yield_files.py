"""water_yield end to end through files (GeoTIFF, CSV, GeoPackage) and bad inputs.

Expected values are the hand-worked cells of ``test_water_yield.py`` (Sharp et al. 2020,
InVEST User's Guide, Annual Water Yield; natcap/invest ``annual_water_yield.py``
``fractp_op``/``wyield_op``). The biophysical table uses InVEST's own header spelling
(``LULC_veg``, ``Kc``) and an extra description column, as InVEST users have it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import rasterio

from ecociv.errors import InputError
from ecociv.execute import run_model
from ecociv.grid.write import NODATA
from ecociv.registry import get_model

from .test_water_yield import (
    HAND_AET,
    HAND_DEPTH,
    HAND_ET0,
    HAND_LAND_USE,
    HAND_PAWC,
    HAND_PRECIP,
    HAND_YIELD,
)

CELL_AREA_M2 = 30.0 * 30.0  # make_raster: 30 m cells on China Albers (equal-area)
NODATA_IN = -9999.0

TABLE = """lucode,LULC_desc,LULC_veg,root_depth,Kc
1,forest,1,500,0.75
2,cropland,1,500,1.0
3,built-up,0,1,0.5
4,water,0,0,1.2
"""


@pytest.fixture
def sources(make_raster: Callable[..., Path], write_csv: Callable[[str, str], Path]) -> dict[str, Any]:
    def continuous(values: np.ndarray, name: str) -> Path:
        data = np.where(np.isnan(values), NODATA_IN, values).astype(np.float32)
        return make_raster(data, name, nodata=NODATA_IN)

    return {
        "land_use": make_raster(HAND_LAND_USE.astype(np.int16), "land_use", nodata=255),
        "precipitation": continuous(HAND_PRECIP, "precipitation"),
        "et0": continuous(HAND_ET0, "et0"),
        "root_restricting_depth": continuous(HAND_DEPTH, "depth"),
        "plant_available_water": continuous(HAND_PAWC, "pawc"),
        "biophysical_table": write_csv("biophysical.csv", TABLE),
    }


def _read(path: Path) -> tuple[np.ndarray, dict[str, str], float | None]:
    with rasterio.open(path) as src:
        data = src.read(1).astype(np.float64)
        nodata = src.nodata
        data[data == nodata] = np.nan
        return data, src.tags(), nodata


def _watersheds(path: Path, with_ws_id: bool = True) -> Path:
    import geopandas as gpd
    from shapely.geometry import box

    from ecociv.grid.spec import CHINA_ALBERS

    # the grid spans x 0..90 m, y 4 999 910..5 000 000 m; west = first column, east = the rest
    frame = gpd.GeoDataFrame(
        {"name": ["west", "east"]},
        geometry=[box(0, 4_999_910, 30, 5_000_000), box(30, 4_999_910, 90, 5_000_000)],
        crs=CHINA_ALBERS,
    )
    if with_ws_id:
        frame["ws_id"] = [10, 20]
    frame.to_file(path, driver="GPKG", engine="pyogrio")
    return path


def test_end_to_end_rasters(sources: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "out"
    manifest = run_model(get_model("water_yield"), sources, {"seasonality_z": "5"}, out)
    for name, expected, units in (("water_yield", HAND_YIELD, "mm/yr"), ("aet", HAND_AET, "mm/yr"),
                                  ("aet_fraction", HAND_AET / HAND_PRECIP, "")):
        values, tags, nodata = _read(out / f"{name}.tif")
        assert tags["units"] == (units or "1")  # dimensionless is tagged "1" (CF convention)
        assert nodata == NODATA["float32"]
        np.testing.assert_allclose(values, expected, rtol=1e-6, atol=1e-4, err_msg=name)
        assert manifest["outputs"][name]["units"] == units
    table = pd.read_csv(out / "watershed_results.csv")
    assert list(table["ws_id"]) == ["all"]
    assert table["valid_pixels"].iloc[0] == 6


def test_end_to_end_watershed_volumes(sources: dict[str, Any], tmp_path: Path) -> None:
    sources["watersheds"] = _watersheds(tmp_path / "watersheds.gpkg")
    out = tmp_path / "out"
    run_model(get_model("water_yield"), sources, {"seasonality_z": 5}, out)
    table = pd.read_csv(out / "watershed_results.csv").set_index("ws_id")
    assert list(table.index) == [10, 20]
    wyield, _, _ = _read(out / "water_yield.tif")
    west, east = wyield[:, :1], wyield[:, 1:]
    for ws_id, cells in ((10, west), (20, east)):
        row = table.loc[ws_id]
        # volume (m³/yr) = sum over cells of water yield (mm/yr) x 1e-3 m/mm x cell area (m²)
        assert row["wyield_vol"] == pytest.approx(np.nansum(cells) * 1e-3 * CELL_AREA_M2, rel=1e-6)
        assert row["wyield_mn"] == pytest.approx(np.nanmean(cells), rel=1e-6)
        assert row["num_pixels"] == cells.size
        assert row["valid_pixels"] == np.count_nonzero(~np.isnan(cells))
        assert row["area_m2"] == pytest.approx(cells.size * CELL_AREA_M2)
    # west: Y = 500 and 300 mm/yr on two valid cells -> 800 x 1e-3 x 900 = 720 m³/yr
    assert table.loc[10, "wyield_vol"] == pytest.approx(720.0, rel=1e-6)
    # east: 400 + 300 + 0 + 29.3507 = 729.3507 mm/yr -> 656.4156 m³/yr
    assert table.loc[20, "wyield_vol"] == pytest.approx(729.35069157 * 0.9, rel=1e-6)


def test_watershed_id_field_and_feature_numbers(sources: dict[str, Any], tmp_path: Path) -> None:
    model = get_model("water_yield")
    sources["watersheds"] = _watersheds(tmp_path / "no_ws_id.gpkg", with_ws_id=False)
    run_model(model, sources, {"seasonality_z": 5}, tmp_path / "numbers")
    assert list(pd.read_csv(tmp_path / "numbers" / "watershed_results.csv")["ws_id"]) == [1, 2]
    run_model(model, sources, {"seasonality_z": 5, "watershed_id_field": "NAME"},
              tmp_path / "names")
    assert list(pd.read_csv(tmp_path / "names" / "watershed_results.csv")["ws_id"]) == [
        "west", "east"]
    with pytest.raises(InputError, match=r"watershed_id_field.*'basin'.*fields: \['name'\]"):
        run_model(model, sources, {"seasonality_z": 5, "watershed_id_field": "basin"},
                  tmp_path / "bad")


# ---- bad inputs: each message names the file and the column, line or cell -------------------


def _run(sources: dict[str, Any], tmp_path: Path, z: object = 5) -> None:
    run_model(get_model("water_yield"), sources, {"seasonality_z": z}, tmp_path / "out")


def _continuous(make_raster: Callable[..., Path], values: np.ndarray, name: str) -> Path:
    return make_raster(np.where(np.isnan(values), NODATA_IN, values).astype(np.float32), name,
                       nodata=NODATA_IN)


def test_plant_available_water_above_one(sources: dict[str, Any], make_raster: Callable[..., Path],
                                         tmp_path: Path) -> None:
    pawc = HAND_PAWC.copy()
    pawc[1, 2] = 1.5
    path = _continuous(make_raster, pawc, "pawc_bad")
    sources["plant_available_water"] = path
    with pytest.raises(InputError) as err:
        _run(sources, tmp_path)
    message = str(err.value)
    assert "plant_available_water" in message and str(path) in message
    assert "cell (row 1, col 2)" in message and "maximum 1" in message


def test_negative_precipitation(sources: dict[str, Any], make_raster: Callable[..., Path],
                                tmp_path: Path) -> None:
    precip = HAND_PRECIP.copy()
    precip[2, 1] = -5
    path = _continuous(make_raster, precip, "precip_bad")
    sources["precipitation"] = path
    with pytest.raises(InputError) as err:
        _run(sources, tmp_path)
    message = str(err.value)
    assert "precipitation" in message and str(path) in message
    assert "cell (row 2, col 1)" in message and "-5" in message


def test_land_use_code_missing_from_table(sources: dict[str, Any], make_raster: Callable[..., Path],
                                         tmp_path: Path) -> None:
    codes = HAND_LAND_USE.copy()
    codes[0, 2] = 9
    sources["land_use"] = make_raster(codes.astype(np.int16), "land_use_bad", nodata=255)
    with pytest.raises(InputError) as err:
        _run(sources, tmp_path)
    message = str(err.value)
    assert "[9]" in message and "biophysical_table.lucode" in message
    assert "cell (row 0, col 2)" in message and str(sources["land_use"]) in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\n".join(line.rpartition(",")[0] for line in TABLE.splitlines()) + "\n",
         r"missing required column\(s\) \['kc'\]"),
        (TABLE + "1,forest again,1,400,0.7\n",
         r"duplicate code \S*1\S* in key column 'lucode' \(lines \[2, 6\]\)"),
        (TABLE.replace("1,500,0.75", "1,500,0.8 mm"), r"line 2, column 'kc': '0.8 mm' is not a number"),
        (TABLE.replace("1,500,1.0", "1,,1.0"), r"line 3, column 'root_depth': missing value"),
        (TABLE.replace("0,1,0.5", "0,1,NaN"), r"line 4, column 'kc': missing value"),
        (TABLE.replace("0,0,1.2", "2,0,1.2"), r"line 5, column 'lulc_veg': '2' is not 0 or 1"),
    ],
    ids=["missing_kc", "duplicate_lucode", "units_in_cell", "blank_cell", "nan_cell", "veg_not_01"],
)
def test_bad_biophysical_table(sources: dict[str, Any], write_csv: Callable[[str, str], Path],
                               tmp_path: Path, text: str, expected: str) -> None:
    sources["biophysical_table"] = write_csv("bad_table.csv", text)
    with pytest.raises(InputError, match=expected) as err:
        _run(sources, tmp_path)
    assert "bad_table.csv" in str(err.value)


@pytest.mark.parametrize(("z", "expected"), [(-1, "must be greater than 0"),
                                             (0, "must be greater than 0"), ("five", "expected a number")])
def test_seasonality_z_out_of_range(sources: dict[str, Any], tmp_path: Path, z: object,
                                    expected: str) -> None:
    with pytest.raises(InputError, match=expected) as err:
        _run(sources, tmp_path, z=z)
    assert "seasonality_z" in str(err.value)
