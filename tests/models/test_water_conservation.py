"""water_conservation: the guideline's water balance and the corrected-yield option worked by
hand, the volume conversion (1 mm over 1 km² = 10³ m³ = 10⁻⁵ × 10⁸ m³), clipping of negative
balances, a DEM-derived topographic index, and bad inputs, each named.

Sources: MEP & NDRC (2017) 生态保护红线划定指南, water-balance method TQ = Σ (P - R - ET) A 10³,
R = P α; corrected yield min(1, 249/V) min(1, 0.9 TI/3) min(1, Ksat/300) Y.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import xarray as xr
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from ecociv.errors import InputError
from ecociv.execute import run_in_memory
from ecociv.grid.io import from_array
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.water_conservation import kernels
from ecociv.models.water_conservation.model import MODEL
from ecociv.units import ureg

KM = 1000.0
GRID = GridSpec.from_crs(CHINA_ALBERS, Affine(KM, 0, 0, 0, -KM, 5_000_000.0), (2, 3))
# 1 forest α 0.0302, 2 grassland α 0.0478, 3 water α 0, 4 built-up: not assessed (empty)
TABLE = pd.DataFrame({"lucode": [1, 2, 3, 4], "runoff_coefficient": [0.0302, 0.0478, 0.0, np.nan],
                      "velocity": [200.0, 498.0, 1500.0, 2012.0]})
LAND_USE = np.array([[1, 2, 3], [4, 1, 255]])
PRECIP = np.array([[600.0, 400.0, 300.0], [500.0, 200.0, 250.0]])
AET = np.array([[420.0, 330.0, 320.0], [300.0, 190.0, 200.0]])
# (0,0) forest: R = 600 x 0.0302 = 18.12; 600 - 18.12 - 420 = 161.88 mm
# (0,1) grassland: R = 400 x 0.0478 = 19.12; 400 - 19.12 - 330 = 50.88 mm
# (0,2) water: R = 0; 300 - 0 - 320 = -20 -> clipped to 0 (one clipped cell)
# (1,0) built-up: not assessed -> nodata
# (1,1) forest: R = 6.04; 200 - 6.04 - 190 = 3.96 mm
# (1,2) land-use nodata -> nodata
HAND = np.array([[161.88, 50.88, 0.0], [np.nan, 3.96, np.nan]])


def _raster(values: np.ndarray, name: str, units: str | None = "mm/yr") -> xr.DataArray:
    return from_array(values, GRID, name=name, units=units)


def _inputs(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "land_use": from_array(LAND_USE, GRID, name="land_use", units=None, nodata=255),
        "water_conservation_table": TABLE,
        "precipitation": _raster(PRECIP, "precipitation"),
        "aet": _raster(AET, "aet"),
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def _read(path: Path) -> np.ndarray:
    with rasterio.open(path) as src:
        return src.read(1, masked=True).astype(np.float64).filled(np.nan)


def test_water_balance_kernel_by_hand() -> None:
    assert kernels.surface_runoff(600.0, 0.0302) == pytest.approx(18.12)
    assert kernels.water_balance(600.0, 0.0302, 420.0) == pytest.approx(161.88)
    assert kernels.water_balance(300.0, 0.0, 320.0) == pytest.approx(-20.0)
    np.testing.assert_array_equal(kernels.clip_negative([-20.0, 0.0, 3.5, np.nan]),
                                  [0.0, 0.0, 3.5, np.nan])


def test_volume_conversion() -> None:
    # 1 mm over 1 km² = 1e-3 m x 1e6 m² = 1000 m³ = 1e-5 x 10⁸ m³
    assert kernels.volume_m3(1.0, 1e6) == pytest.approx(1000.0)
    assert (1000.0 * ureg("m**3/yr")).to("km**2*hm/yr").magnitude == pytest.approx(1e-5)


def test_water_balance_run_by_hand(tmp_path: Path) -> None:
    out = tmp_path / "out"
    manifest = run_in_memory(MODEL, _inputs(), out)
    np.testing.assert_allclose(_read(out / "water_conservation.tif"), HAND, rtol=1e-6)
    np.testing.assert_allclose(_read(out / "surface_runoff.tif"),
                               [[18.12, 19.12, 0.0], [np.nan, 6.04, np.nan]], rtol=1e-6)
    row = pd.read_csv(out / "water_conservation_totals.csv").iloc[0]
    # 4 valid 1 km² cells; volume = (161.88 + 50.88 + 0 + 3.96) mm x 1000 m³/(mm km²) = 216 720 m³
    assert row["area_km2"] == pytest.approx(4.0)
    assert row["water_conservation_m3"] == pytest.approx(216_720.0)
    assert row["water_conservation_1e8m3"] == pytest.approx(0.0021672)
    assert row["water_conservation_mm"] == pytest.approx(216.72 / 4)
    assert (row["cells"], row["valid_cells"], row["clipped_cells"]) == (6, 4, 1)
    assert manifest["outputs"]["water_conservation_totals"]["units"][
        "water_conservation_1e8m3"] == "km**2*hm/yr"


def test_zones_area_weighted_mean(tmp_path: Path) -> None:
    zones = gpd.GeoDataFrame({"county": ["a", "b"]}, crs=CHINA_ALBERS, geometry=[
        box(0, 4_998_000, 1000, 5_000_000), box(1000, 4_998_000, 3000, 5_000_000)])
    out = tmp_path / "out"
    run_in_memory(MODEL, _inputs(zones=zones, zone_field="county"), out)
    totals = pd.read_csv(out / "water_conservation_totals.csv").set_index("zone")
    # a: only (0,0) is valid (built-up not assessed): 161.88 mm over 1 km²
    assert totals.loc["a", "water_conservation_mm"] == pytest.approx(161.88)
    assert totals.loc["a", "water_conservation_m3"] == pytest.approx(161_880.0)
    # b: (50.88 + 0 + 3.96) / 3 km² = 18.28 mm; 54 840 m³
    assert totals.loc["b", "water_conservation_mm"] == pytest.approx(54.84 / 3)
    assert totals.loc["b", "water_conservation_1e8m3"] == pytest.approx(54_840 / 1e8)


def test_invest_corrected_by_hand(tmp_path: Path) -> None:
    # Y 300 mm; V 498 -> 249/498 = 0.5; TI 1.5 -> 0.9 x 1.5 / 3 = 0.45; Ksat 150 cm/d -> 0.5
    # WR = 300 x 0.5 x 0.45 x 0.5 = 33.75 mm
    assert 300.0 * kernels.yield_correction(498.0, 1.5, 150.0) == pytest.approx(33.75)
    # caps: V 100 -> 1; TI 10 -> 1; Ksat 600 -> 1: WR = Y; TI < 0 -> factor 0
    assert 300.0 * kernels.yield_correction(100.0, 10.0, 600.0) == pytest.approx(300.0)
    assert kernels.yield_correction(100.0, -0.4, 600.0) == 0.0
    water_yield = np.array([[300.0, 300.0, 100.0], [200.0, 50.0, 10.0]])
    inputs = _inputs(method="invest_corrected", precipitation=None, aet=None,
                     water_yield=_raster(water_yield, "water_yield"),
                     topographic_index=_raster(np.full(GRID.shape, 1.5), "ti", ""),
                     soil_saturated_conductivity=_raster(np.full(GRID.shape, 150.0), "ksat",
                                                         "cm/d"))
    out = tmp_path / "out"
    run_in_memory(MODEL, inputs, out)
    # factors: V 200 -> 1, 498 -> 0.5, 1500 -> 0.166, 2012 -> 0.12376; x 0.45 x 0.5
    velocity = np.array([[200.0, 498.0, 1500.0], [2012.0, 200.0, np.nan]])
    expected = water_yield * np.minimum(1, 249 / velocity) * 0.45 * 0.5
    np.testing.assert_allclose(_read(out / "water_conservation.tif"), expected, rtol=1e-6)
    np.testing.assert_allclose(_read(out / "yield_correction.tif"), expected / water_yield,
                               rtol=1e-6)


def test_topographic_index_from_a_dem(tmp_path: Path) -> None:
    # plane falling 10 % to the east: slope 10 %; D8 drainage cells 1, 2, 3 along a row
    # soil depth 0.01 mm: TI = log10(n / (0.01 x 10)) = log10(10 n) = 1, 1.30103, 1.47712
    dem = np.tile(300.0 - 0.1 * KM * np.arange(3), (2, 1))
    inputs = _inputs(method="invest_corrected", precipitation=None, aet=None,
                     water_yield=_raster(np.full(GRID.shape, 100.0), "water_yield"),
                     dem=_raster(dem, "dem", "m"),
                     soil_depth=_raster(np.full(GRID.shape, 0.01), "soil_depth", "mm"),
                     soil_saturated_conductivity=_raster(np.full(GRID.shape, 300.0), "ksat",
                                                         "cm/d"))
    out = tmp_path / "out"
    run_in_memory(MODEL, inputs, out)
    ti = np.log10(10 * np.arange(1, 4))
    velocity = np.array([[200.0, 498.0, 1500.0], [2012.0, 200.0, np.nan]])
    expected = 100.0 * np.minimum(1, 249 / velocity) * np.minimum(1, 0.9 * ti / 3)
    assert kernels.topographic_index(3, 0.01, 10.0) == pytest.approx(math.log10(30))
    np.testing.assert_allclose(_read(out / "water_conservation.tif"), expected, rtol=1e-6)


@settings(max_examples=40, deadline=None)
@given(p=st.floats(0, 5000), alpha=st.floats(0, 1), aet=st.floats(0, 5000),
       y=st.floats(0, 5000), v=st.floats(1e-3, 5000), ti=st.floats(-20, 20), ksat=st.floats(0, 1e4))
def test_water_conservation_is_never_negative(p: float, alpha: float, aet: float, y: float,
                                              v: float, ti: float, ksat: float) -> None:
    assert kernels.clip_negative(kernels.water_balance(p, alpha, aet)) >= 0
    assert 0 <= y * kernels.yield_correction(v, ti, ksat) <= y


# --- bad inputs --------------------------------------------------------------------------------

def test_water_balance_without_aet(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"method 'water_balance' needs input\(s\) \['aet'\]"):
        run_in_memory(MODEL, _inputs(aet=None), tmp_path / "out")


def test_invest_corrected_without_ksat_or_topography(tmp_path: Path) -> None:
    base = _inputs(method="invest_corrected", water_yield=_raster(PRECIP, "water_yield"))
    with pytest.raises(InputError, match=r"needs input\(s\) \['soil_saturated_conductivity'\]"):
        run_in_memory(MODEL, base, tmp_path / "a")
    ksat = _raster(np.full(GRID.shape, 100.0), "ksat", "cm/d")
    with pytest.raises(InputError, match="'topographic_index', or 'dem' and 'soil_depth'"):
        run_in_memory(MODEL, {**base, "soil_saturated_conductivity": ksat}, tmp_path / "b")


def test_table_without_the_method_column(tmp_path: Path) -> None:
    table = TABLE.drop(columns="runoff_coefficient")
    with pytest.raises(InputError, match="needs a 'runoff_coefficient' column"):
        run_in_memory(MODEL, _inputs(water_conservation_table=table), tmp_path / "out")


def test_missing_code_and_negative_precipitation_are_named(tmp_path: Path) -> None:
    table = TABLE[TABLE["lucode"] != 2]
    with pytest.raises(InputError, match=r"row 0, col 1.*\[2\] not found in water_conservation_table.lucode"):
        run_in_memory(MODEL, _inputs(water_conservation_table=table), tmp_path / "a")
    bad = PRECIP.copy()
    bad[1, 1] = -10.0
    with pytest.raises(InputError, match=r"precipitation.*cell \(row 1, col 1\).*below"):
        run_in_memory(MODEL, _inputs(precipitation=_raster(bad, "precipitation")),
                      tmp_path / "b")


def test_unknown_method(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"parameter 'method': 'budyko' is not one of "
                       r"\['water_balance', 'invest_corrected'\]"):
        run_in_memory(MODEL, _inputs(method="budyko"), tmp_path / "out")


def test_example_runs(tmp_path: Path) -> None:
    manifest = run_in_memory(MODEL, MODEL.example(), tmp_path / "out")
    assert {"water_conservation", "water_conservation_totals"} <= set(manifest["outputs"])
