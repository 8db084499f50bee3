"""Scenario levers on a Demand: totals conserved, caps respected, ramps worked by hand, bad values
named. Oasis classes after the artificial/natural split of Xinjiang oasis studies (artificial =
cropland + built-up; natural = forest, grassland, water; Guo et al. 2016 and Wang et al. 2021 as
cited in the Turpan-Hami study, Authorea 687356, section 2.1)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from ecociv.errors import InputError
from ecociv.models.land_use_change import demand as dm

CODES = [1, 2, 3, 4, 5, 6, 7]
BASE = {1: 100.0, 2: 20.0, 3: 200.0, 4: 10.0, 5: 20.0, 6: 640.0, 7: 10.0}  # 1000 km2 per zone


def flat_demand(zones: tuple[str, ...] = ("all",), years: range = range(2020, 2031)) -> pd.DataFrame:
    rows = [
        (y, z, c, BASE[c] + (2.0 * (y - 2020) if c == 1 else 0.0) - (2.0 * (y - 2020) if c == 6 else 0.0))
        for z in zones
        for y in years
        for c in CODES
    ]
    d = pd.DataFrame(rows, columns=list(dm.DEMAND_COLUMNS))
    if zones != ("all",):
        tot = d.groupby(["year", "lucode"], as_index=False)["area_km2"].sum()
        tot["zone"] = "all"
        d = pd.concat([d, tot[list(dm.DEMAND_COLUMNS)]], ignore_index=True)
    return d


def initial(zones: tuple[str, ...] = ("all",)) -> pd.DataFrame:
    rows = [(z, c, a) for z in zones for c, a in BASE.items()]
    if zones != ("all",):
        rows += [("all", c, a * len(zones)) for c, a in BASE.items()]
    return pd.DataFrame(rows, columns=["zone", "lucode", "area_km2"])


def area(d: pd.DataFrame, code: int, year: int, zone: str = "all") -> float:
    return float(d[(d.lucode == code) & (d.year == year) & (d.zone == zone)]["area_km2"].item())


def assert_conserved(d: pd.DataFrame, total: float) -> None:
    sums = d.groupby(["year", "zone"])["area_km2"].sum()
    np.testing.assert_allclose(sums[sums.index.get_level_values("zone") != "all"], total)
    assert (d["area_km2"] >= -1e-9).all()


def test_urban_growth_rate_by_hand() -> None:
    out, notes = dm.apply_levers(flat_demand(), {"urban_growth_rate": 5.0}, initial())
    # 20 km2 * 1.05^10 = 32.578 km2 in 2030; desert gives the 12.578 km2
    assert area(out, 5, 2030) == pytest.approx(20 * 1.05**10)
    assert area(out, 6, 2030) == pytest.approx(640 - 20 - (20 * 1.05**10 - 20))
    assert area(out, 5, 2020) == pytest.approx(20.0)
    assert_conserved(out, 1000.0)
    assert notes and "urban_growth_rate" in notes[0]


def test_construction_cap_respected_and_no_demolition() -> None:
    out, _ = dm.apply_levers(flat_demand(), {"urban_growth_rate": 10.0, "construction_land_cap": 30.0}, initial())
    built = out[out.lucode == 5]["area_km2"]
    assert built.max() == pytest.approx(30.0)
    assert_conserved(out, 1000.0)
    out, notes = dm.apply_levers(flat_demand(), {"urban_growth_rate": 10.0, "construction_land_cap": 5.0}, initial())
    assert out[out.lucode == 5]["area_km2"].max() == pytest.approx(20.0)  # held at the base-year area
    assert any("no demolition" in n for n in notes)


def test_cropland_reduction_share_ramp_by_hand() -> None:
    lev = {"cropland_reduction": {"share": 0.2, "to": 3, "year": 2025, "where": "ecotone"}}
    out, notes = dm.apply_levers(flat_demand(), lev, initial())
    # 20 % of the base-year 100 km2 = 20 km2, reached in 2025 (half by 2022.5): 2023 -> 12 km2 removed
    assert area(out, 1, 2023) == pytest.approx(100 + 6 - 12)
    assert area(out, 3, 2023) == pytest.approx(200 + 12)
    assert area(out, 1, 2030) == pytest.approx(100 + 20 - 20)
    assert out.attrs["cropland_reduction_where"] == {"all": "ecotone"}
    assert "where: ecotone" in notes[0]
    assert_conserved(out, 1000.0)


def test_natural_oasis_restoration_from_desert() -> None:
    out, _ = dm.apply_levers(flat_demand(), {"natural_oasis_restoration": {"amount_km2": 50, "to": 2}}, initial())
    assert area(out, 2, 2030) == pytest.approx(70.0)
    assert area(out, 6, 2030) == pytest.approx(640 - 20 - 50)
    assert_conserved(out, 1000.0)


def test_oasis_area_cap_respected() -> None:
    lev = {"urban_growth_rate": 3.0, "oasis_area_cap": 125.0}
    out, notes = dm.apply_levers(flat_demand(), lev, initial())
    wide = out[out.zone == "all"].pivot(index="year", columns="lucode", values="area_km2")
    oasis = wide[list(dm.ARTIFICIAL_OASIS_CLASSES)].sum(axis=1)
    assert oasis.max() <= 125.0 + 1e-9
    # built-up is kept at its growth path; cropland takes the cut
    assert wide.loc[2030, 5] == pytest.approx(20 * 1.03**10)
    assert wide.loc[2030, 1] == pytest.approx(125 - 20 * 1.03**10)
    assert_conserved(out, 1000.0)
    assert any("oasis_area_cap" in n for n in notes)


def test_levers_per_zone_and_all_is_sum() -> None:
    zones = ("west", "east")
    lev = {
        "oasis_area_cap": {"west": 121.0, "east": 1000.0},
        "cropland_reduction": {"share": 0.1},
        "urban_growth_rate": {"west": 1.0, "east": 2.0},
    }
    out, _ = dm.apply_levers(flat_demand(zones), lev, initial(zones))
    assert_conserved(out, 1000.0)
    west = out[out.zone == "west"].pivot(index="year", columns="lucode", values="area_km2")
    assert west[[1, 5]].sum(axis=1).max() <= 121.0 + 1e-9
    zsum = out[out.zone != "all"].groupby(["year", "lucode"])["area_km2"].sum().to_numpy()
    np.testing.assert_allclose(zsum, out[out.zone == "all"].sort_values(["year", "lucode"])["area_km2"].to_numpy())


@pytest.mark.parametrize(
    ("levers", "match"),
    [
        ({"oasis_cap": 10}, "unknown lever"),
        ({"urban_growth_rate": -100}, "levers.urban_growth_rate.*> -100"),
        ({"urban_growth_rate": "fast"}, "levers.urban_growth_rate.*expected a number"),
        ({"construction_land_cap": -1}, "levers.construction_land_cap.*>= 0"),
        ({"cropland_reduction": {"share": 1.5}}, "levers.cropland_reduction.*<= 1"),
        ({"cropland_reduction": {"share": 0.1, "amount_km2": 5}}, "exactly one"),
        ({"cropland_reduction": {"share": 0.1, "where": "downtown"}}, "'where' must be one of"),
        ({"cropland_reduction": {"share": 0.1, "to": 1}}, "'to' must be"),
        ({"cropland_reduction": {"share": 0.1, "year": 2019}}, "'year' must be an integer after"),
        ({"cropland_reduction": {"share": 0.1, "how": 1}}, r"unknown key\(s\) \['how'\]"),
        ({"cropland_reduction": 500.0}, "shortfall"),
        ({"natural_oasis_restoration": {"amount_km2": 10, "to": 5}}, "natural-oasis class"),
        ({"natural_oasis_restoration": {"amount_km2": 10, "from": 3}}, "'from' must be"),
        ({"natural_oasis_restoration": {"amount_km2": 700}}, "zone 'all', year 2030.*shortfall"),
        ({"oasis_area_cap": None}, "levers.oasis_area_cap"),
    ],
)
def test_bad_lever_values_are_named(levers: dict[str, Any], match: str) -> None:
    with pytest.raises(InputError, match=match):
        dm.apply_levers(flat_demand(), levers, initial())


def test_amount_for_all_refused_when_demand_has_zones() -> None:
    zones = ("west", "east")
    with pytest.raises(InputError, match="give this lever per zone"):
        dm.apply_levers(flat_demand(zones), {"oasis_area_cap": 200.0}, initial(zones))
    with pytest.raises(InputError, match="amount_km2 per zone"):
        dm.apply_levers(flat_demand(zones), {"cropland_reduction": {"amount_km2": 5}}, initial(zones))


def test_base_year_never_changed_and_totals_checked() -> None:
    lev = {
        "urban_growth_rate": 4.0,
        "cropland_reduction": {"share": 0.5},
        "natural_oasis_restoration": 30.0,
        "oasis_area_cap": 110.0,
    }
    before = flat_demand()
    out, _ = dm.apply_levers(before, lev, initial())
    np.testing.assert_allclose(
        out[out.year == 2020]["area_km2"].to_numpy(), before[before.year == 2020]["area_km2"].to_numpy()
    )
    broken = before.copy()
    broken.loc[(broken.year == 2027) & (broken.lucode == 3), "area_km2"] += 5.0
    with pytest.raises(InputError, match=r"zone 'all', year 2027.*sum to 1005\.000 km2.*1000\.000 km2"):
        dm.apply_levers(broken, {"urban_growth_rate": 1.0}, initial())
