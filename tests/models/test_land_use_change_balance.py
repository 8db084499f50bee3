"""The balancing order of the land-use levers: a zone without unused land (a city district)
grows built-up land from the next class of ``balance_order``; the order is followed class by
class; when the classes of the order hold too little, one error names them, the zone, the year
and the shortfall."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from ecociv.errors import InputError
from ecociv.models.land_use_change import demand as dm
from ecociv.models.land_use_change.inputs import balance_codes

CODES = [1, 2, 3, 4, 5, 6, 7]
#: a rural county with desert (6) and a city district without any (1000 km² each)
ZONES = {"rural": {1: 100.0, 2: 20.0, 3: 200.0, 4: 10.0, 5: 20.0, 6: 640.0, 7: 10.0},
         "city": {1: 300.0, 2: 50.0, 3: 150.0, 4: 20.0, 5: 480.0, 6: 0.0, 7: 0.0}}
YEARS = range(2020, 2031)


def _demand(zones: dict[str, dict[int, float]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = [(y, z, c, a) for z, base in zones.items() for y in YEARS for c, a in base.items()]
    demand = pd.DataFrame(rows, columns=list(dm.DEMAND_COLUMNS))
    total = demand.groupby(["year", "lucode"], as_index=False)["area_km2"].sum()
    total["zone"] = "all"
    demand = pd.concat([demand, total[list(dm.DEMAND_COLUMNS)]], ignore_index=True)
    initial = pd.DataFrame([(z, c, a) for z, base in zones.items() for c, a in base.items()],
                           columns=["zone", "lucode", "area_km2"])
    return demand, initial


def _area(d: pd.DataFrame, zone: str, code: int, year: int) -> float:
    return float(d[(d.zone == zone) & (d.lucode == code) & (d.year == year)]["area_km2"].item())


def test_a_city_without_unused_land_grows_onto_the_next_class() -> None:
    demand, initial = _demand(ZONES)
    out, _ = dm.apply_levers(demand, {"urban_growth_rate": 2.0}, initial, balance=[6, 3])
    grow = {z: ZONES[z][5] * (1.02 ** 10 - 1.0) for z in ZONES}   # km² by 2030
    # rural: all from desert, grassland untouched; city: all from grassland (no desert)
    assert _area(out, "rural", 6, 2030) == pytest.approx(640.0 - grow["rural"])
    assert _area(out, "rural", 3, 2030) == pytest.approx(200.0)
    assert _area(out, "city", 3, 2030) == pytest.approx(150.0 - grow["city"])
    assert _area(out, "city", 5, 2030) == pytest.approx(480.0 * 1.02 ** 10)
    sums = out[out.zone != "all"].groupby(["year", "zone"])["area_km2"].sum()
    np.testing.assert_allclose(sums, 1000.0)


def test_the_order_is_followed_class_by_class() -> None:
    zones = {"city": {**ZONES["city"], 6: 30.0, 3: 120.0}}   # a little desert left
    demand, initial = _demand(zones)
    out, _ = dm.apply_levers(demand, {"urban_growth_rate": 2.0}, initial, balance=[6, 3, 1])
    grow = 480.0 * (1.02 ** 10 - 1.0)                          # 105.1 km²: 30 desert + 75.1
    assert _area(out, "city", 6, 2030) == pytest.approx(0.0, abs=1e-9)
    assert _area(out, "city", 3, 2030) == pytest.approx(120.0 - (grow - 30.0))
    assert _area(out, "city", 1, 2030) == pytest.approx(300.0)
    grow_2021 = 480.0 * 0.02                                  # 9.6 km² < 30: desert only
    assert _area(out, "city", 6, 2021) == pytest.approx(30.0 - grow_2021)
    assert _area(out, "city", 3, 2021) == pytest.approx(120.0)


@pytest.mark.parametrize("balance", [[6], [6, 2]])
def test_too_little_in_the_order_is_one_error_naming_zone_year_and_shortfall(
        balance: list[int]) -> None:
    demand, initial = _demand(ZONES)
    lever = {"urban_growth_rate": {"city": 20.0, "rural": 0.0}}
    with pytest.raises(InputError, match=r"zone 'city', year 20\d\d.*balancing classes "
                       rf"\[{', '.join(map(str, balance))}\].*shortfall") as info:
        dm.apply_levers(demand, lever, initial, balance=balance)
    assert "levers.urban_growth_rate" in str(info.value)
    assert "balance_order" in str(info.value)


def test_restoration_takes_from_the_order_without_natural_oasis() -> None:
    demand, initial = _demand({"rural": ZONES["rural"]})
    lever = {"natural_oasis_restoration": {"rural": {"amount_km2": 50}}}
    out, _ = dm.apply_levers(demand, lever, initial, balance=[6, 3])
    assert _area(out, "rural", 3, 2030) == pytest.approx(250.0)   # restored, not a giver
    assert _area(out, "rural", 6, 2030) == pytest.approx(590.0)


def test_balance_order_parameter() -> None:
    assert balance_codes({}, CODES) == [6, 3]
    assert balance_codes({"unused_code": 3}, CODES) == [3]
    assert balance_codes({}, [1, 5, 6]) == [6]
    assert balance_codes({"balance_order": "6, 3, 1"}, CODES) == [6, 3, 1]
    with pytest.raises(InputError, match="class 9 is not in the class table"):
        balance_codes({"balance_order": "6,9"}, CODES)


def test_model_grows_a_city_zone_without_unused_land(tmp_path: Any) -> None:
    """End to end: two zones of the example, the east one without desert; urban growth by a
    rate takes grassland there (default order), and with balance_order '6' it is refused."""
    import geopandas as gpd
    from shapely.geometry import box

    from ecociv.execute import run_in_memory
    from ecociv.grid.io import from_array, grid_of_array
    from ecociv.models.land_use_change.model import MODEL

    example = dict(MODEL.example())
    grid = grid_of_array(example["land_use"])
    rows = np.mgrid[0:30, 0:30][0]
    land = np.where(rows < 15, 3, 6)
    land[12:18, 3:9] = 5                                   # a town in the west
    land[3:9, 20:26] = 5                                   # a city in the east
    land[:, 15:] = np.where(land[:, 15:] == 6, 3, land[:, 15:])   # no desert in the east
    zones = gpd.GeoDataFrame({"name": ["west", "east"]}, crs=grid.crs.to_wkt(), geometry=[
        box(0, 4_970_000, 15_000, 5_000_000), box(15_000, 4_970_000, 30_000, 5_000_000)])
    inputs = {"land_use": from_array(land, grid, name="land_use", units=None),
              "classes": pd.DataFrame({"lucode": [3, 5, 6]}), "dem": example["dem"],
              "start_year": 2020, "end_year": 2023, "n_samples": 400, "zones": zones,
              "zone_field": "name", "cropland_code": 3, "levers": {"urban_growth_rate": 10.0}}
    run_in_memory(MODEL, inputs, tmp_path / "out")
    areas = pd.read_csv(tmp_path / "out" / "area_by_class.csv")
    east = areas[areas.zone == "east"].pivot(index="year", columns="lucode", values="area_km2")
    assert east.loc[2023, 5] == pytest.approx(36 * 1.1 ** 3, abs=1.0)   # 1 km² cells
    assert east.loc[2023, 3] < east.loc[2020, 3]
    with pytest.raises(InputError, match=r"zone 'east'.*balancing classes \[6\]"):
        run_in_memory(MODEL, {**inputs, "balance_order": "6"}, tmp_path / "refused")
