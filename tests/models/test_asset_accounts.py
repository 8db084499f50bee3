"""asset_accounts: the SEEA-CF asset identity (opening + additions - reductions = closing, UN et
al. 2014 Table 5.12) for every unit and asset, transitions summing to the changes (Table 5.13),
hand-counted stocks, water-rights accounts and bad inputs."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from shapely.geometry import box

from ecociv.errors import InputError
from ecociv.grid.io import from_array
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.asset_accounts.model import run

GRID = GridSpec.from_crs(CHINA_ALBERS, Affine(1000.0, 0, 0, 0, -1000.0, 3000.0), (3, 4))
ZONES = gpd.GeoDataFrame({"adcode": ["650100", "650200"]},
                         geometry=[box(0, 0, 2000, 3000), box(2000, 0, 4000, 3000)],
                         crs=CHINA_ALBERS)


def _raster(values: np.ndarray, name: str, grid: GridSpec = GRID):
    return from_array(np.asarray(values, dtype=float), grid, name=name, units=None)


def _run(opening: np.ndarray, closing: np.ndarray, **extra: object) -> dict[str, pd.DataFrame]:
    return run({"land_use": _raster(opening, "land_use"),
                "land_use_closing": _raster(closing, "land_use_closing"),
                "zones": ZONES, "zone_field": "adcode", **extra})


def _check_identity(accounts: pd.DataFrame, transitions: pd.DataFrame) -> None:
    land = accounts[accounts["units"] == "km2"]
    np.testing.assert_allclose(land["opening"] + land["additions"] - land["reductions"],
                               land["closing"], atol=1e-9)
    sums = transitions.groupby(["unit", "asset"])[["additions_from_km2", "reductions_to_km2"]].sum()
    merged = land.set_index(["unit", "asset"]).join(sums).fillna(0.0)
    np.testing.assert_allclose(merged["additions_from_km2"], merged["additions"], atol=1e-9)
    np.testing.assert_allclose(merged["reductions_to_km2"], merged["reductions"], atol=1e-9)


def test_stocks_and_flows_by_hand() -> None:
    # 1 km² cells; west unit = two left columns, east = two right columns
    opening = np.array([[1, 1, 3, 3], [1, 3, 3, 4], [2, 2, 6, 4]])
    closing = np.array([[5, 1, 1, 3], [1, 1, 3, 4], [2, 3, 6, 4]])
    out = _run(opening, closing, opening_year=2019, closing_year=2035)
    accounts = out["asset_accounts"].set_index(["unit", "asset"])
    west_crop = accounts.loc[("650100", "cultivated_land")]
    # west cropland: opening 3 (r0c0, r0c1, r1c0); r0c0 -> built-up; r1c1 grassland -> cropland
    assert (west_crop["opening"], west_crop["additions"], west_crop["reductions"],
            west_crop["closing"]) == pytest.approx((3, 1, 1, 3))
    west_forest = accounts.loc[("650100", "forest")]
    assert (west_forest["opening"], west_forest["reductions"], west_forest["closing"]) == \
        pytest.approx((2, 1, 1))
    east_grass = accounts.loc[("650200", "grassland")]
    # east grassland: opening r0c2, r0c3, r1c2 = 3; r0c2 -> cropland; closing 2
    assert (east_grass["opening"], east_grass["reductions"], east_grass["closing"]) == \
        pytest.approx((3, 1, 2))
    assert west_crop["units"] == "km2" and west_crop["opening_year"] == 2019
    trans = out["asset_transitions"].set_index(["unit", "asset", "counterpart"])
    assert trans.loc[("650100", "cultivated_land", "built_up"), "reductions_to_km2"] == 1
    assert trans.loc[("650100", "cultivated_land", "grassland"), "additions_from_km2"] == 1
    assert trans.loc[("650100", "grassland", "forest"), "additions_from_km2"] == 1
    _check_identity(out["asset_accounts"], out["asset_transitions"])


def test_nodata_counts_as_its_own_asset_so_the_identity_holds() -> None:
    opening = np.array([[1, 1, 3, 3], [1, 3, 3, 4], [2, 2, 6, 4]], dtype=float)
    closing = opening.copy()
    closing[0, 0] = np.nan
    out = _run(opening, closing)
    accounts = out["asset_accounts"].set_index(["unit", "asset"])
    assert accounts.loc[("650100", "cultivated_land"), "reductions"] == 1
    assert accounts.loc[("650100", "no_data"), "additions"] == 1
    _check_identity(out["asset_accounts"], out["asset_transitions"])


@settings(max_examples=40, deadline=None)
@given(arrays(np.int64, (3, 4), elements=st.integers(1, 9)),
       arrays(np.int64, (3, 4), elements=st.integers(1, 9)))
def test_identity_and_transitions_hold_for_any_maps(opening: np.ndarray, closing: np.ndarray) -> None:
    out = _run(opening, closing, assets="crop:1,forest:2 8,grass:3")   # 4-7, 9 -> other_land
    _check_identity(out["asset_accounts"], out["asset_transitions"])
    land = out["asset_accounts"]
    assert land["opening"].sum() == pytest.approx(12.0) and land["closing"].sum() == pytest.approx(12.0)


def test_water_rights_account() -> None:
    rights = pd.DataFrame({"unit": ["650100", "650100", "650200", "650200", "650200"],
                           "year": [2019, 2035, 2019, 2035, 2035],
                           "annual_volume_m3": [5e8, 4.5e8, 1e8, 1e8, 0.2e8]})
    out = _run(np.ones((3, 4)), np.ones((3, 4)), water_rights=rights,
               opening_year=2019, closing_year=2035)
    water = out["asset_accounts"].query("asset == 'water_rights'").set_index("unit")
    assert water.loc["650100", "reductions"] == pytest.approx(0.5e8)
    assert water.loc["650200", "additions"] == pytest.approx(0.2e8)
    assert water.loc["650200", "closing"] == pytest.approx(1.2e8)
    assert set(water["units"]) == {"m3/yr"}
    np.testing.assert_allclose(water["opening"] + water["additions"] - water["reductions"],
                               water["closing"])


# --- bad inputs -------------------------------------------------------------------------------

def test_maps_on_different_grids_are_refused() -> None:
    other = GridSpec.from_crs(CHINA_ALBERS, Affine(500.0, 0, 0, 0, -500.0, 3000.0), (3, 4))
    with pytest.raises(InputError, match=r"land_use_closing.*not on the grid of land_use.*cell size"):
        run({"land_use": _raster(np.ones((3, 4)), "a"),
             "land_use_closing": _raster(np.ones((3, 4)), "b", other)})


def test_code_in_two_assets_is_refused() -> None:
    with pytest.raises(InputError, match=r"code 2 is in two assets"):
        _run(np.ones((3, 4)), np.ones((3, 4)), assets="crop:1 2,forest:2")


def test_bad_asset_text_is_refused() -> None:
    with pytest.raises(InputError, match=r"'crop' is not 'asset:code"):
        _run(np.ones((3, 4)), np.ones((3, 4)), assets="crop")


def test_water_rights_without_the_opening_year_are_refused() -> None:
    rights = pd.DataFrame({"unit": ["650100"], "year": [2035], "annual_volume_m3": [1.0]})
    with pytest.raises(InputError, match=r"water_rights.*no row for the opening year 2019"):
        _run(np.ones((3, 4)), np.ones((3, 4)), water_rights=rights, opening_year=2019,
             closing_year=2035)


def test_deliveries_of_water_allocation_give_a_water_delivered_account() -> None:
    # monthly deliveries: 650100 gets 3 + 4 = 7 in 2019 and 5 in 2035 -> reductions 2
    deliveries = pd.DataFrame({"month": ["2019-01", "2019-07", "2035-07", "2019-07"],
                               "unit": ["650100", "650100", "650100", "650200"],
                               "delivered_m3": [3.0, 4.0, 5.0, 9.0]})
    out = _run(np.ones((3, 4)), np.ones((3, 4)), deliveries=deliveries, opening_year=2019,
               closing_year=2035)
    water = out["asset_accounts"].query("asset == 'water_delivered'").set_index("unit")
    assert (water.loc["650100", "opening"], water.loc["650100", "reductions"],
            water.loc["650100", "closing"]) == pytest.approx((7.0, 2.0, 5.0))
    assert water.loc["650200", "closing"] == 0.0 and water.loc["650200", "reductions"] == 9.0


def test_bad_month_in_deliveries_is_named() -> None:
    deliveries = pd.DataFrame({"month": ["2019-01", "July"], "unit": ["a", "a"],
                               "delivered_m3": [1.0, 1.0]})
    with pytest.raises(InputError, match=r"deliveries: row 2: month 'July' is not YYYY-MM"):
        _run(np.ones((3, 4)), np.ones((3, 4)), deliveries=deliveries)


def test_zones_in_another_crs_are_refused() -> None:
    with pytest.raises(InputError, match=r"zones: the zones are in EPSG:4326.*reproject"):
        _run(np.ones((3, 4)), np.ones((3, 4)), zones=ZONES.set_crs("EPSG:4326", allow_override=True))


def test_zones_off_the_map_are_refused() -> None:
    far = gpd.GeoDataFrame({"adcode": ["x"]}, geometry=[box(1e6, 1e6, 1e6 + 10, 1e6 + 10)],
                           crs=CHINA_ALBERS)
    with pytest.raises(InputError, match=r"zones: no polygon covers a cell centre of the map"):
        _run(np.ones((3, 4)), np.ones((3, 4)), zones=far)
