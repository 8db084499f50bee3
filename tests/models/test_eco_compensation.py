"""eco_compensation: ESV by hand with the Xie et al. (2015) equivalents (自然资源学报 30(8),
Table 3), the change sign, the surplus/deficit status rule, compensation bounds and bad inputs."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from ecociv.errors import InputError
from ecociv.execute import run_model
from ecociv.grid.io import from_array
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.eco_compensation.example_tables import equivalents, mapping
from ecociv.models.eco_compensation.kernels import compensation_range, spillover
from ecociv.models.eco_compensation.model import run
from ecociv.registry import get_model

#: value of one equivalent used by default (1/7 of 4,600.89 kg/ha x 2.28 yuan/kg)
E = 1498.58
# sums of the 11 equivalents of Xie et al. 2015 Table 3, by hand:
# 旱地 .85+.40+.02+.67+.36+.10+.27+1.03+.12+.13+.06 = 4.01
# 水系 .80+.23+8.29+.77+2.29+5.55+102.24+.93+.07+2.55+1.89 = 125.61
# 荒漠 .01+.03+.02+.11+.10+.31+.21+.13+.01+.12+.05 = 1.10
# 草原 .10+.14+.08+.51+1.34+.44+.98+.62+.05+.56+.25 = 5.07
DRY, WATER, DESERT, STEPPE = 4.01, 125.61, 1.10, 5.07

GRID = GridSpec.from_crs(CHINA_ALBERS, Affine(100.0, 0, 0, 0, -100.0, 200.0), (2, 2))


def _raster(values: np.ndarray, name: str, grid: GridSpec = GRID):
    return from_array(np.asarray(values, dtype=float), grid, name=name, units=None)


def _inputs(codes: np.ndarray, **extra: object) -> dict[str, object]:
    return {"land_use": _raster(codes, "land_use"), "equivalents": equivalents(),
            "class_mapping": mapping(), **extra}


def test_esv_of_a_hand_built_map_equals_hand_arithmetic() -> None:
    # 1-ha cells: cropland (dry land), water (水系), built-up (no service), desert
    out = run(_inputs(np.array([[1, 4], [5, 6]])))
    np.testing.assert_allclose(out["esv"].values, [[DRY * E, WATER * E], [0.0, DESERT * E]])
    unit = out["esv_by_unit"].iloc[0]
    assert unit["esv_yuan"] == pytest.approx((DRY + WATER + DESERT) * E)   # 195,894.38 yuan/yr
    assert unit["area_km2"] == pytest.approx(0.04)
    assert unit["per_km2"] == pytest.approx((DRY + WATER + DESERT) * E / 0.04)
    services = out["esv_by_service"].set_index("service")["esv_yuan"]
    # food production: dry land .85 + water .80 + desert .01
    assert services["food_production"] == pytest.approx((0.85 + 0.80 + 0.01) * E)
    assert services["hydrological_regulation"] == pytest.approx((0.27 + 102.24 + 0.21) * E)
    assert services.sum() == pytest.approx(unit["esv_yuan"])


def test_regional_correction_share_and_service_subset() -> None:
    table = pd.DataFrame({"lucode": [1, 1, 4, 5, 6], "ecosystem_type":
                          ["dry_land", "steppe", "water_system", "none", "desert"],
                          "share": [0.5, 0.5, 1, 1, 1]})
    out = run({**_inputs(np.array([[1, 1], [1, 1]])), "class_mapping": table,
               "regional_correction": 0.8, "services": "food_production, water_supply"})
    # half 旱地, half 草原: food (.85 + .10)/2, water supply (.02 + .08)/2, x 0.8 x E per ha
    per_ha = 0.8 * E * ((0.85 + 0.10) / 2 + (0.02 + 0.08) / 2)
    np.testing.assert_allclose(out["esv"].values, per_ha)
    assert set(out["esv_by_service"]["service"]) == {"food_production", "water_supply"}


def test_change_sign_follows_the_conversion() -> None:
    # grassland -> built-up loses ESV; desert -> water gains it
    out = run(_inputs(np.array([[3, 3], [6, 6]]),
                      land_use_scenario=_raster(np.array([[5, 3], [4, 6]]), "land_use_scenario")))
    change = out["esv_change"].values
    assert change[0, 0] == pytest.approx(-STEPPE * E) and change[0, 0] < 0
    assert change[1, 0] == pytest.approx((WATER - DESERT) * E) and change[1, 0] > 0
    unit = out["esv_by_unit"].iloc[0]
    assert unit["esv_change_yuan"] == pytest.approx((WATER - DESERT - STEPPE) * E)
    assert unit["esv_change_yuan"] == pytest.approx(unit["esv_scenario_yuan"] - unit["esv_yuan"])


def test_surplus_rule_by_hand() -> None:
    # two units of 1 km² with 300 and 100 yuan: mean 200 per km² -> +100 source, -100 receiver
    reference, surplus = spillover(np.array([300.0, 100.0]), np.array([1.0, 1.0]))
    np.testing.assert_allclose(reference, [200.0, 200.0])
    np.testing.assert_allclose(surplus, [100.0, -100.0])
    # per person: 1 and 3 persons -> mean 100 per person, references 100 and 300
    reference, surplus = spillover(np.array([300.0, 100.0]), np.array([1.0, 3.0]))
    np.testing.assert_allclose(surplus, [200.0, -200.0])


def test_compensation_range_by_hand() -> None:
    status, low, high = compensation_range(np.array([100.0, -60.0, -40.0, 10.0]),
                                           np.array([30.0, 5.0, 0.0, 25.0]))
    assert list(status) == ["source", "receiver", "receiver", "source"]
    # sources: low = opportunity cost; high = max(spill-over, opportunity cost)
    np.testing.assert_allclose(low[[0, 3]], [30.0, 25.0])
    np.testing.assert_allclose(high[[0, 3]], [100.0, 25.0])
    # receivers pay 55 (low) and 125 (high) in proportion to deficits 60 : 40
    np.testing.assert_allclose(low[[1, 2]], [33.0, 22.0])
    np.testing.assert_allclose(high[[1, 2]], [75.0, 50.0])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1e6), st.floats(0.1, 1e3), st.floats(0, 1e5)),
                min_size=2, max_size=8))
def test_compensation_bounds_hold(rows: list[tuple[float, float, float]]) -> None:
    esv, basis, cost = (np.array(c) for c in zip(*rows, strict=True))
    _, surplus = spillover(esv, basis)
    status, low, high = compensation_range(surplus, cost)
    assert np.all(low >= 0) and np.all(low <= high + 1e-9)
    source = status == "source"
    if (~source).any() and (-surplus[~source]).sum() > 0:
        assert low[~source].sum() == pytest.approx(low[source].sum(), rel=1e-9, abs=1e-6)
        assert high[~source].sum() == pytest.approx(high[source].sum(), rel=1e-9, abs=1e-6)


def test_units_status_opportunity_cost_and_transfers() -> None:
    # west unit: cropland + forest (forest restricted); east: water + desert
    zones = gpd.GeoDataFrame({"name": ["west", "east"]},
                             geometry=[box(0, 0, 100, 200), box(100, 0, 200, 200)], crs=CHINA_ALBERS)
    out = run(_inputs(np.array([[1, 4], [2, 6]]), zones=zones, zone_field="name",
                      restricted=_raster(np.array([[0, 0], [1, 0]]), "restricted"),
                      opportunity_cost=pd.DataFrame({"lucode": [2], "forgone_yuan_per_ha": [225.0]}),
                      transfers=pd.DataFrame({"transfer": ["t"], "source": ["up"],
                                              "receiver": ["west"], "annual_volume_m3": [1000.0],
                                              "value_yuan_per_m3": [1.14]})))
    table = out["compensation"].set_index("unit")
    # east: water (125.61) + desert (1.10) > west: dry land (4.01) + coniferous (17.53)
    assert table.loc["east", "status"] == "source" and table.loc["west", "status"] == "receiver"
    assert table.loc["west", "restricted_km2"] == pytest.approx(0.01)
    assert table.loc["west", "opportunity_cost_yuan"] == pytest.approx(225.0)
    spill = ((WATER + DESERT) - (WATER + DESERT + DRY + 17.53) / 2) * E
    assert table.loc["east", "spillover_yuan"] == pytest.approx(spill)
    assert table.loc["east", "high_yuan"] == pytest.approx(spill)
    assert table.loc["west", "high_yuan"] == pytest.approx(spill)
    accounts = out["transfer_accounts"].iloc[0]
    assert accounts["compensation_yuan"] == pytest.approx(1140.0)
    assert accounts["receiver_esv_share"] == pytest.approx(1140.0 / ((DRY + 17.53) * E))


def test_through_files_writes_the_map_and_tables(tmp_path: Path, make_raster, write_csv) -> None:
    root = Path(__file__).parents[2] / "src" / "ecociv" / "data" / "institutions"
    lu = make_raster(np.array([[1, 4], [5, 255]], dtype="uint8"), "lu", res=100.0, nodata=255)
    out = tmp_path / "out"
    run_model(get_model("eco_compensation"), {"land_use": lu,
                                              "equivalents": root / "esv_equivalents.csv",
                                              "class_mapping": root / "esv_class_mapping.csv"},
              {"map_year": 2019}, out)
    with rasterio.open(out / "esv.tif") as src:
        assert src.tags()["units"] == "yuan/ha/yr"
        values = src.read(1, masked=True)
    assert values[0, 1] == pytest.approx(WATER * E, rel=1e-6) and values.mask[1, 1]
    table = pd.read_csv(out / "esv_by_unit.csv")
    assert table.loc[0, "esv_yuan"] == pytest.approx((DRY + WATER) * E)
    assert table.loc[0, "year"] == 2019


# --- bad inputs: one InputError each --------------------------------------------------------

def test_scenario_on_another_grid_is_refused() -> None:
    other = GridSpec.from_crs(CHINA_ALBERS, Affine(100.0, 0, 50, 0, -100.0, 200.0), (2, 2))
    with pytest.raises(InputError, match=r"land_use_scenario.*not on the grid of land_use"):
        run(_inputs(np.array([[1, 1], [1, 1]]),
                    land_use_scenario=_raster(np.ones((2, 2)), "land_use_scenario", other)))


def test_restricted_on_another_grid_is_refused() -> None:
    other = GridSpec.from_crs(CHINA_ALBERS, Affine(100.0, 0, 0, 0, -100.0, 200.0), (2, 3))
    with pytest.raises(InputError, match=r"restricted.*shape"):
        run(_inputs(np.array([[1, 1], [1, 1]]), restricted=_raster(np.ones((2, 3)), "r", other)))


def test_class_missing_from_the_mapping_is_named() -> None:
    with pytest.raises(InputError, match=r"row 1, col 0.*code 9 is not in the class mapping"):
        run(_inputs(np.array([[1, 1], [9, 1]])))


def test_class_missing_through_files_is_named(tmp_path: Path, make_raster, write_csv) -> None:
    lu = make_raster(np.array([[1, 8]], dtype="uint8"), "lu")
    mapping_csv = write_csv("m.csv", "lucode,ecosystem_type\n1,dry_land\n")
    with pytest.raises(InputError, match=r"class_mapping.lucode"):
        run_model(get_model("eco_compensation"),
                  {"land_use": lu, "class_mapping": mapping_csv,
                   "equivalents": Path(__file__).parents[2] / "src/ecociv/data/institutions/"
                   "esv_equivalents.csv"}, {}, tmp_path / "out")


def test_negative_equivalent_value_is_refused() -> None:
    with pytest.raises(InputError, match=r"equivalent_value.*>= 0"):
        run(_inputs(np.array([[1, 1], [1, 1]]), equivalent_value=-5.0))


def test_unknown_service_is_named() -> None:
    with pytest.raises(InputError, match=r"unknown service 'carbon_sink'"):
        run(_inputs(np.array([[1, 1], [1, 1]]), services="food_production,carbon_sink"))


def test_unknown_ecosystem_type_is_named() -> None:
    table = pd.DataFrame({"lucode": [1], "ecosystem_type": ["rainforest"]})
    with pytest.raises(InputError, match=r"lucode 1.*'rainforest' is not in the equivalents table"):
        run({**_inputs(np.array([[1, 1], [1, 1]])), "class_mapping": table})


def test_shares_not_summing_to_one_are_refused() -> None:
    table = pd.DataFrame({"lucode": [1, 1], "ecosystem_type": ["dry_land", "steppe"],
                          "share": [0.5, 0.3]})
    with pytest.raises(InputError, match=r"shares of lucode 1 sum to 0.8"):
        run({**_inputs(np.array([[1, 1], [1, 1]])), "class_mapping": table})


def test_per_capita_without_population_is_refused() -> None:
    with pytest.raises(InputError, match=r"needs the unit_population table"):
        run(_inputs(np.array([[1, 1], [1, 1]]), status_basis="per_capita"))


def test_receiver_given_as_a_prefecture_code_sums_its_counties() -> None:
    from ecociv.models.eco_compensation.model import receiver_esv

    esv = {"650102": 10.0, "650103": 5.0, "650202": 7.0}
    assert receiver_esv("650100", esv) == 15.0      # Urumqi's districts (GB/T 2260 hierarchy)
    assert receiver_esv("650202", esv) == 7.0
    assert np.isnan(receiver_esv("Altay", esv))


def test_empty_zones_are_refused() -> None:
    empty = gpd.GeoDataFrame({"name": []}, geometry=[], crs=CHINA_ALBERS)
    with pytest.raises(InputError, match=r"zones: the zones layer has no polygons"):
        run(_inputs(np.array([[1, 1], [1, 1]]), zones=empty, zone_field="name"))
