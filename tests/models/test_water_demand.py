"""Demands for the water allocation model: FAO-56 Kc curve, effective rain, irrigation, domestic,
industry and the cropland-reduction lever. Expected values are worked out by hand in comments."""

from __future__ import annotations

import csv
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ecociv.errors import InputError
from ecociv.models.water_allocation import demand

# toy crop: Kc 0.2 / 1.0 / 0.4, stages 10 / 20 / 30 / 10 days (season of 70 days)
TOY: dict[str, Any] = dict(kc_ini=0.2, kc_mid=1.0, kc_end=0.4, l_ini=10, l_dev=20, l_mid=30, l_late=10)


def test_daily_kc_follows_fao56_eq66() -> None:
    kc = demand.daily_kc(**TOY)
    assert kc.size == 70
    # days 1-10 initial: 0.2; day i of development (11..30): 0.2 + (i - 10)/20 * 0.8
    assert np.allclose(kc[:10], 0.2)
    assert kc[10] == pytest.approx(0.24) and kc[29] == pytest.approx(1.0)
    # mid-season days 31-60: 1.0; late day i (61..70): 1.0 + (i - 60)/10 * (0.4 - 1.0)
    assert np.allclose(kc[30:60], 1.0)
    assert kc[60] == pytest.approx(0.94) and kc[69] == pytest.approx(0.4)


def test_monthly_kc_toy_crop_planted_1_january() -> None:
    kc = demand.monthly_kc(**TOY, planting_month=1, planting_day=1)
    # January = season days 1-31: 10 x 0.2 + sum_{k=1..20} (0.2 + 0.04 k) + 1.0 (day 31)
    #         = 2.0 + (4.0 + 0.04 x 210) + 1.0 = 15.4
    # February = days 32-59, all mid-season: mean 1.0
    # March = day 60 (1.0) + sum_{k=1..10} (1.0 - 0.06 k) = 1.0 + 10 - 3.3 = 7.7; days 71-90 off season (0)
    expected = np.zeros(12)
    expected[0] = 15.4 / 31
    expected[1] = 1.0
    expected[2] = 7.7 / 31
    np.testing.assert_allclose(kc, expected, rtol=0, atol=1e-12)


def test_monthly_kc_season_wraps_the_year_end() -> None:
    kc = demand.monthly_kc(**TOY, planting_month=12, planting_day=1)
    # December = season days 1-31 (as January above): 15.4 / 31
    # January = days 32-62: 28 days of 1.0 (days 32-59), day 60 = 1.0, days 61, 62 = 0.94, 0.88 -> 30.82
    # February = days 63-70 on 1-8 February: sum_{k=3..10} (1 - 0.06 k) = 8 - 0.06 x 52 = 4.88
    expected = np.zeros(12)
    expected[11] = 15.4 / 31
    expected[0] = 30.82 / 31
    expected[1] = 4.88 / 28
    np.testing.assert_allclose(kc, expected, rtol=0, atol=1e-12)


def test_season_fraction() -> None:
    share = demand.season_fraction(10, 20, 30, 10, planting_month=1, planting_day=1)
    # 70 days from 1 January: all of January and February, 11 of 31 days of March
    np.testing.assert_allclose(share, [1, 1, 11 / 31] + [0] * 9)


def test_kc_curve_rejects_bad_stages_and_dates() -> None:
    with pytest.raises(InputError, match="l_dev"):
        demand.monthly_kc(0.3, 1.1, 0.4, 10, 0, 30, 10, 4, 1)
    with pytest.raises(InputError, match="planting_day"):
        demand.monthly_kc(0.3, 1.1, 0.4, 10, 20, 30, 10, 2, 30)
    with pytest.raises(InputError, match="planting_month"):
        demand.monthly_kc(0.3, 1.1, 0.4, 10, 20, 30, 10, 13, 1)
    with pytest.raises(InputError, match="kc_mid"):
        demand.monthly_kc(0.3, 2.5, 0.4, 10, 20, 30, 10, 4, 1)
    with pytest.raises(InputError, match="longer than a year"):
        demand.monthly_kc(0.3, 1.1, 0.4, 100, 100, 100, 100, 4, 1)


def test_climate_adjusted_kc_fao56_eq62() -> None:
    # u2 = 3 m/s, RHmin = 25 %, h = 3 m: 1.15 + [0.04 x 1 - 0.004 x (-20)] x 1 = 1.15 + 0.12 = 1.27
    assert float(demand.climate_adjusted_kc(1.15, 3.0, 25.0, 3.0)) == pytest.approx(1.27)
    # standard conditions leave the table value unchanged
    assert float(demand.climate_adjusted_kc(1.15, 2.0, 45.0, 1.0)) == pytest.approx(1.15)


def test_effective_precipitation_usda_scs_by_hand() -> None:
    p = np.array([0.0, 50.0, 100.0, 250.0, 300.0])
    # P (125 - 0.2 P) / 125: 0; 50 x 115/125 = 46; 100 x 105/125 = 84; 250 x 75/125 = 150
    # above 250 mm: 125 + 0.1 P = 155
    np.testing.assert_allclose(demand.effective_precipitation(p, "usda_scs"), [0, 46, 84, 150, 155])


def test_effective_precipitation_fao_dependable_by_hand() -> None:
    p = np.array([0.0, 10.0, 50.0, 70.0, 100.0])
    # 0.6 P - 10 (never negative) up to 70 mm: 0, 0 (-4), 20, 32; above: 0.8 P - 24 = 56
    np.testing.assert_allclose(demand.effective_precipitation(p, "fao_dependable"), [0, 0, 20, 32, 56])


def test_effective_precipitation_fixed_fraction_and_shape() -> None:
    p = np.full((2, 12), 50.0)
    peff = demand.effective_precipitation(p, "fixed_fraction", fraction=0.8)
    assert peff.shape == (2, 12)
    np.testing.assert_allclose(peff, 40.0)


def test_effective_precipitation_bad_input() -> None:
    with pytest.raises(InputError, match=r"precipitation.*index 3"):
        demand.effective_precipitation([10, 20, 30, -1.0])
    with pytest.raises(InputError, match="unknown method 'cropwat'"):
        demand.effective_precipitation([10.0], "cropwat")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="fraction"):
        demand.effective_precipitation([10.0], "fixed_fraction", fraction=1.5)


def test_net_irrigation_requirement_by_hand() -> None:
    kc = np.zeros(12)
    kc[6] = 1.0
    kc[7] = 0.2
    et0 = np.full(12, 200.0)
    p = np.full(12, 50.0)
    nir = demand.net_irrigation_requirement_mm(kc, et0, p, "usda_scs")
    # July: 1.0 x 200 - 46 = 154; August: 0.2 x 200 = 40 < 46 -> 0; off season (Kc = 0): 0
    expected = np.zeros(12)
    expected[6] = 154.0
    np.testing.assert_allclose(nir, expected)
    # prorating: only half of July in the season -> 200 - 23 = 177
    share = np.zeros(12)
    share[6] = 0.5
    prorated = demand.net_irrigation_requirement_mm(kc, et0, p, "usda_scs", season_fraction=share)
    assert prorated[6] == pytest.approx(177.0)


def test_irrigation_demand_gross_by_hand() -> None:
    nir = {"cotton": np.r_[np.zeros(6), 100.0, np.zeros(5)], "maize": np.r_[np.zeros(6), 50.0, np.zeros(5)]}
    gross = demand.irrigation_demand_m3({"cotton": 1000.0, "maize": 400.0}, nir, efficiency=0.5)
    # July: (1000 ha x 100 mm + 400 ha x 50 mm) x 10 m³/(mm ha) / 0.5 = (1e6 + 2e5) / 0.5 = 2.4e6 m³
    assert gross[6] == pytest.approx(2.4e6)
    assert gross.sum() == pytest.approx(2.4e6)


@pytest.mark.parametrize("efficiency", [0.0, 1.2, -0.5])
def test_irrigation_demand_rejects_bad_efficiency(efficiency: float) -> None:
    with pytest.raises(InputError, match="efficiency"):
        demand.irrigation_demand_m3({"cotton": 10.0}, {"cotton": np.ones(12)}, efficiency)


def test_irrigation_demand_bad_areas_and_crops() -> None:
    with pytest.raises(InputError, match=r"crop 'cotton'.*>= 0 ha|>= 0 ha.*cotton"):
        demand.irrigation_demand_m3({"cotton": -5.0}, {"cotton": np.ones(12)}, 0.6)
    with pytest.raises(InputError, match="'sorghum'"):
        demand.irrigation_demand_m3({"sorghum": 5.0}, {"cotton": np.ones(12)}, 0.6)


def test_domestic_demand_by_days_and_leap_years() -> None:
    # 1000 persons x 100 L/d = 100 m³/d
    monthly = demand.domestic_demand_m3(1000, 100)
    assert monthly[0] == pytest.approx(3100.0) and monthly[1] == pytest.approx(2800.0)
    assert monthly.sum() == pytest.approx(36500.0)
    leap = demand.domestic_demand_m3(1000, 100, year=2024)
    assert leap[1] == pytest.approx(2900.0) and leap.sum() == pytest.approx(36600.0)
    both = demand.domestic_demand_m3(1000, 100, year=[2023, 2024])
    assert both.shape == (24,) and both[13] == pytest.approx(2900.0)
    with pytest.raises(InputError, match="population"):
        demand.domestic_demand_m3(-1, 100)


def test_industry_demand_sums_to_annual_volume() -> None:
    # 1e8 yuan/yr x 1e-3 m³/yuan (10 m³ per 10⁴ yuan) = 1e5 m³/yr, January 31/365 of it
    monthly = demand.industry_demand_m3(1e8, 1e-3)
    assert monthly.sum() == pytest.approx(1e5)
    assert monthly[0] == pytest.approx(1e5 * 31 / 365)
    leap = demand.industry_demand_m3(1e8, 1e-3, year=[2024, 2025])
    assert leap[:12].sum() == pytest.approx(1e5) and leap[12:].sum() == pytest.approx(1e5)
    assert leap[1] == pytest.approx(1e5 * 29 / 366)
    with pytest.raises(InputError, match="intensity_m3_per_yuan"):
        demand.industry_demand_m3(1e8, -1.0)


def test_reduce_cropland_and_errors_name_site_and_crop() -> None:
    areas = {"cotton": 1000.0, "maize": 500.0}
    assert demand.reduce_cropland(areas, {"cotton": 200.0}, "manas_irrigation") == {"cotton": 800.0, "maize": 500.0}
    with pytest.raises(InputError, match=r"manas_irrigation.*'cotton'.*exceeds"):
        demand.reduce_cropland(areas, {"cotton": 1200.0}, "manas_irrigation")
    with pytest.raises(InputError, match=r"manas_irrigation.*'rice'"):
        demand.reduce_cropland(areas, {"rice": 10.0}, "manas_irrigation")
    with pytest.raises(InputError, match=r"manas_irrigation.*'maize'.*>= 0"):
        demand.reduce_cropland(areas, {"maize": -10.0}, "manas_irrigation")
    with pytest.raises(InputError, match=r"manas_irrigation.*'maize'"):
        demand.reduce_cropland({"maize": -1.0}, {}, "manas_irrigation")


# an illustrative oasis climate (mm/month), not station data
ET0 = np.array([10, 20, 60, 120, 170, 200, 210, 180, 120, 60, 20, 10], dtype=float)
P = np.array([8, 8, 12, 20, 25, 25, 20, 15, 12, 12, 10, 8], dtype=float)


def test_cropland_reduction_saves_area_times_nir_exactly() -> None:
    # issue 5: removing A hectares of crop c saves exactly A x net irrigation requirement
    nir = demand.net_irrigation_requirements(["cotton", "maize"], ET0, P)
    areas = {"cotton": 12000.0, "maize": 3000.0}
    cut = {"cotton": 2000.0}
    efficiency = 0.55
    before = demand.irrigation_demand_m3(areas, nir, efficiency).sum()
    after = demand.irrigation_demand_m3(demand.reduce_cropland(areas, cut, "site"), nir, efficiency).sum()
    saving = demand.water_saving_m3(cut, nir)
    assert saving == pytest.approx(2000.0 * nir["cotton"].sum() * 10.0, rel=1e-12)
    assert (before - after) * efficiency == pytest.approx(saving, rel=1e-12)


def test_water_saving_is_mean_annual_over_years() -> None:
    nir = {"cotton": np.r_[np.full(12, 10.0), np.full(12, 20.0)]}
    # 100 ha x (120 + 240 mm) / 2 years x 10 = 180,000 m³/yr
    assert demand.water_saving_m3({"cotton": 100.0}, nir) == pytest.approx(180_000.0)
    with pytest.raises(InputError, match="'wheat'"):
        demand.water_saving_m3({"wheat": 1.0}, nir)


def test_packaged_crop_table_loads_and_gives_seasonal_curves() -> None:
    table = demand.load_crop_table()
    for crop in ("cotton", "spring_wheat", "winter_wheat", "maize", "alfalfa", "tomato", "grape",
                 "sugar_beet", "melon", "vegetables", "orchard"):
        assert crop in table.index
        kc = demand.crop_monthly_kc(table, crop)
        assert kc.shape == (12,) and kc.max() <= table.loc[crop, "kc_mid"] + 1e-12 and kc.max() > 0
    # cotton (planted 20 April, 180 days) needs no water in winter
    cotton = demand.crop_monthly_kc(table, "cotton")
    assert cotton[0] == 0 and cotton[11] == 0 and cotton[6] > 1.0
    with pytest.raises(InputError, match="unknown crop 'tobacco'"):
        demand.crop_monthly_kc(table, "tobacco")


def test_every_crop_value_has_a_source_row() -> None:
    table = demand.load_crop_table()
    with as_file(files("ecociv") / "data" / "water" / "crops_sources.csv") as path, open(path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    needed = {"kc_ini", "kc_mid", "kc_end", "height_m", "l_ini", "l_dev", "l_mid", "l_late", "planting_month",
              "planting_day", "yield_t_per_ha"}
    for crop in table.index:
        covered = {c for row in rows if row["crop"] == crop for c in row["columns"].split(";")}
        assert needed <= covered, (crop, needed - covered)
    assert all(row["status"] in demand.STATUSES for row in rows)
    assert all(row["document"] for row in rows if row["status"] != "illustrative")


HEADER = ",".join(demand.CROP_TABLE_COLUMNS)
GOOD = "cotton,棉花,0.35,1.175,0.60,30,50,55,45,4,20,1.35,2.1585,mixed"


def _write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "crops.csv"
    path.write_text("\n".join((HEADER, *lines)) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("bad_row", "column"),
    [
        ("maize,玉米,0.3,2.4,0.35,30,40,50,50,4,25,2,8,literature", "kc_mid"),
        ("maize,玉米,0.3,1.2,0.35,30,0,50,50,4,25,2,8,literature", "l_dev"),
        ("maize,玉米,0.3,1.2,0.35,30,40,50,50,13,25,2,8,literature", "planting_month"),
        ("maize,玉米,0.3,1.2,0.35,30,40,50,50,4,31,2,8,literature", "planting_day"),
        ("maize,玉米,0.3,1.2,0.35,30,40,50,50,4,25,2,0,literature", "yield_t_per_ha"),
        ("maize,玉米,0.3,abc,0.35,30,40,50,50,4,25,2,8,literature", "kc_mid"),
        ("maize,玉米,0.3,1.2,0.35,30,40,50,50,4,25,2,8,guess", "status"),
        ("cotton,棉花,0.35,1.175,0.60,30,50,55,45,4,20,1.35,2.1585,mixed", "crop"),
    ],
)
def test_crop_table_errors_name_file_line_and_column(tmp_path: Path, bad_row: str, column: str) -> None:
    path = _write(tmp_path, GOOD, bad_row)
    with pytest.raises(InputError) as info:
        demand.load_crop_table(path)
    message = str(info.value)
    assert str(path) in message and "line 3" in message and f"column {column!r}" in message


def test_crop_table_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "crops.csv"
    path.write_text("crop,kc_ini\ncotton,0.35\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing column"):
        demand.load_crop_table(path)


def test_monthly_kc_conserves_the_seasonal_sum_for_every_packaged_crop() -> None:
    # Σ_m Kc_m × days_m equals the sum of the daily curve (FAO-56 eq. 66) for any planting date
    table = demand.load_crop_table()
    for crop, row in table.iterrows():
        daily = demand.daily_kc(row.kc_ini, row.kc_mid, row.kc_end, row.l_ini, row.l_dev, row.l_mid, row.l_late)
        monthly = demand.crop_monthly_kc(table, str(crop))
        assert float(monthly @ demand.DAYS_IN_MONTH) == pytest.approx(float(daily.sum()), rel=1e-12), crop


def test_net_irrigation_requirements_repeat_over_years() -> None:
    one = demand.net_irrigation_requirements(["cotton", "winter_wheat"], ET0, P, "fao_dependable")
    two = demand.net_irrigation_requirements(["cotton", "winter_wheat"], np.tile(ET0, 2), np.tile(P, 2),
                                             "fao_dependable")
    for crop in one:
        np.testing.assert_allclose(two[crop], np.tile(one[crop], 2))
    with pytest.raises(InputError, match="et0"):
        demand.net_irrigation_requirements(["cotton"], ET0[:10], P[:10])
