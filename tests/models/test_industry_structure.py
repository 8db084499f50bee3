"""industry_structure: the structure LP, its carrying-capacity shadow prices and the Pareto front.

Closed forms are worked by hand in the comments (duals as in Dantzig 1963, Linear Programming and
Extensions, ch. 12; epsilon-constraint front as in Haimes, Lasdon & Wismer 1971)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecociv.errors import InputError
from ecociv.execute import run_in_memory
from ecociv.models.industry_structure.model import MODEL, run

# Two sectors of one unit in 2022: power_heat 100 (10^8 yuan) using 2.0 (10^8 m3) of water
# (0.02 m3/yuan) and services_other 100 using 0.5 (0.005 m3/yuan); growth between −50 % and +10 %
# per year, so in 2023 each lies in [50, 110].
ACCOUNTS = pd.DataFrame({"unit": ["650100", "650100"], "sector": ["power_heat", "services_other"],
                         "year": [2022, 2022], "value_added": [100.0, 100.0], "water_use": [2.0, 0.5],
                         "energy_use": [3.0e6, 0.5e6], "employment": [1.0, 8.0]})
ONE_YEAR = {"first_year": 2023, "last_year": 2023, "min_growth": -0.5, "max_growth": 0.1}


def _caps(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame([{"unit": u, "resource": r, "cap": c} for u, r, c in rows])


def test_two_sector_structure_with_a_binding_water_cap_and_its_shadow_price_by_hand() -> None:
    # water ≤ 2.5: services (200 yuan of VA per m3) go to their bound 110 (0.55 of water); power gets
    # (2.5 − 0.55) / 0.02 = 97.5. One more m3 of water adds 1/0.02 = 50 yuan of power's value added:
    # shadow price 50 yuan/m3. Total value added 207.5.
    out = run({"accounts": ACCOUNTS, "caps": _caps([("650100", "water", 2.5)]), **ONE_YEAR})
    va = out["structure"].set_index("sector")["value_added"]
    assert va["services_other"] == pytest.approx(110.0)
    assert va["power_heat"] == pytest.approx(97.5)
    price = out["shadow_prices"].iloc[0]
    assert price["value"] == pytest.approx(50.0) and price["units"] == "yuan/m**3" and price["binding"]
    assert out["structure"].set_index("sector").loc["services_other", "at_bound"] == "upper"
    # the dual is the objective's derivative: re-solve with 0.01 more water (10^6 m3) -> +0.5 (10^8 yuan)
    more = run({"accounts": ACCOUNTS, "caps": _caps([("650100", "water", 2.51)]), **ONE_YEAR})
    gain = more["structure"]["value_added"].sum() - out["structure"]["value_added"].sum()
    assert gain / 0.01 == pytest.approx(price["value"])


def test_a_loose_cap_has_a_zero_shadow_price() -> None:
    out = run({"accounts": ACCOUNTS, "caps": _caps([("650100", "water", 5.0)]), **ONE_YEAR})
    assert out["structure"]["value_added"].sum() == pytest.approx(220.0)
    assert out["shadow_prices"]["value"].iloc[0] == 0.0 and not out["shadow_prices"]["binding"].iloc[0]


def test_energy_cap_shadow_price_is_in_yuan_per_tce() -> None:
    # energy intensities 3e4 and 5e3 tce per 10^8 yuan; cap 3.5e6 tce: services to 110 (5.5e5 tce),
    # power (3.5e6 − 5.5e5) / 3e4 = 98.33; dual 1/3e4 (10^8 yuan per tce) = 3333.3 yuan/tce
    out = run({"accounts": ACCOUNTS, "caps": _caps([("all", "energy", 3.5e6)]), **ONE_YEAR})
    price = out["shadow_prices"].iloc[0]
    assert price["units"] == "yuan/tce" and price["value"] == pytest.approx(1e8 / 3e4)


def test_water_supply_from_deliveries_caps_industry_only() -> None:
    # 1.8e8 m3/yr delivered to industry (12 months of 1.5e7): power ≤ 1.8/0.02 = 90; services unlimited
    # (delivered to a county site of Urumqi, 650102, which counts for the prefecture 650100)
    deliveries = pd.DataFrame({"month": [f"2020-{m:02d}" for m in range(1, 13)], "sector": "industry",
                               "unit": "650102", "delivered_m3": 1.5e7})
    out = run({"accounts": ACCOUNTS, "caps": _caps([("650100", "water", 99.0)]), "water_supply": deliveries,
               **ONE_YEAR})
    va = out["structure"].set_index("sector")["value_added"]
    assert va["power_heat"] == pytest.approx(90.0) and va["services_other"] == pytest.approx(110.0)
    industry = out["shadow_prices"][out["shadow_prices"]["constraint"].str.endswith("(industry)")]
    assert industry["value"].iloc[0] == pytest.approx(50.0)


def test_pollutant_cap_uses_base_year_emission_intensity() -> None:
    # SO2 1000 t from power in 2022 (10 t per 10^8 yuan); cap 900 t -> power 90; shadow 1e8/10 yuan/t
    emissions = pd.DataFrame({"year": [2022], "unit": ["650100"], "sector": ["power_heat"], "pollutant": ["SO2"],
                              "emission_t": [1000.0]})
    out = run({"accounts": ACCOUNTS, "emissions": emissions, "caps": _caps([("650100", "SO2", 900.0)]),
               **ONE_YEAR})
    assert out["structure"].set_index("sector").loc["power_heat", "value_added"] == pytest.approx(90.0)
    assert out["shadow_prices"]["value"].iloc[0] == pytest.approx(1e7)


def test_intensity_change_relaxes_the_cap() -> None:
    # water intensity −10 %/yr: in 2023 power uses 0.018 m3/yuan: (2.5 − 0.495)/0.018 = 111.4 -> bound 110
    out = run({"accounts": ACCOUNTS, "caps": _caps([("650100", "water", 2.5)]),
               "intensity_change": {"water": -0.1}, **ONE_YEAR})
    assert out["structure"]["value_added"].sum() == pytest.approx(220.0)


def test_min_share_forces_a_sector() -> None:
    # services at least 60 % of the unit: with water ≤ 2.5 the optimum above (power 97.5, services 110)
    # has services at 53 %: power must fall to 110 × 0.4/0.6 = 73.33
    limits = pd.DataFrame({"unit": ["650100"], "sector": ["services_other"], "min_share": [0.6]})
    out = run({"accounts": ACCOUNTS, "caps": _caps([("650100", "water", 2.5)]), "sector_limits": limits,
               **ONE_YEAR})
    va = out["structure"].set_index("sector")["value_added"]
    assert va["power_heat"] == pytest.approx(110 * 0.4 / 0.6)
    share = out["constraints"][out["constraints"]["resource"] == "share"].iloc[0]
    assert share["binding"] and share["use"] == pytest.approx(0.6)


def test_pareto_front_is_monotone_and_spans_the_pressure() -> None:
    out = run({**MODEL.example(), "pareto_points": 7})
    front = out["pareto_front"]
    assert len(front) == 7
    assert np.all(np.diff(front["objective_value"]) >= -1e-7)
    assert np.all(np.diff(front["pressure_value"]) >= -1e-9)
    best = out["structure"][out["structure"]["year"] == front["year"].iloc[0]]["value_added"].sum()
    assert front["objective_value"].iloc[-1] == pytest.approx(best, rel=1e-7)


def test_employment_objective() -> None:
    # employment per 10^8 yuan: power 0.01, services 0.08: services first; water cap as above
    out = run({"accounts": ACCOUNTS, "caps": _caps([("650100", "water", 2.5)]), "objective": "employment",
               **ONE_YEAR})
    price = out["shadow_prices"].iloc[0]
    assert price["units"] == "persons/m**3"
    assert price["value"] == pytest.approx(0.01 / 0.02 * 1e4 / 1e8)


def test_infeasible_cap_names_unit_resource_and_shortfall() -> None:
    # lowest growth: 50 + 50 -> water 1.0 + 0.25 = 1.25 > 1.0: shortfall 0.25
    with pytest.raises(InputError) as err:
        run({"accounts": ACCOUNTS, "caps": _caps([("650100", "water", 1.0)]), **ONE_YEAR})
    message = str(err.value)
    assert "650100" in message and "water" in message and "2023" in message and "shortfall 0.25" in message


def _bad(tmp_path: Path, **changes: object) -> str:
    inputs = {"accounts": ACCOUNTS, "caps": _caps([("650100", "water", 2.5)]), **ONE_YEAR, **changes}
    with pytest.raises(InputError) as err:
        run_in_memory(MODEL, inputs, tmp_path / "out")
    assert "\n" not in str(err.value)
    return str(err.value)


def test_unknown_sector_is_refused(tmp_path: Path) -> None:
    accounts = ACCOUNTS.assign(sector=["power", "services_other"])
    assert "unknown sector 'power'" in _bad(tmp_path, accounts=accounts)


def test_unknown_resource_is_refused(tmp_path: Path) -> None:
    assert "unknown resource 'steam'" in _bad(tmp_path, caps=_caps([("650100", "steam", 1.0)]))


def test_unknown_unit_is_refused(tmp_path: Path) -> None:
    assert "unknown unit '659001'" in _bad(tmp_path, caps=_caps([("659001", "water", 1.0)]))


def test_negative_value_added_is_refused(tmp_path: Path) -> None:
    message = _bad(tmp_path, accounts=ACCOUNTS.assign(value_added=[-1.0, 100.0]))
    assert "value_added" in message and ">= 0" in message


def test_cap_on_a_pollutant_without_emissions_is_refused(tmp_path: Path) -> None:
    assert "no SO2 data" in _bad(tmp_path, caps=_caps([("650100", "SO2", 1.0)]))


def test_report_draws_the_pareto_front(tmp_path: Path) -> None:
    out = tmp_path / "run"
    manifest = run_in_memory(MODEL, MODEL.example(), out)
    written = MODEL.report(out, manifest) if MODEL.report else []
    assert [p.name for p in written] == ["pareto_front.png"]
    assert written[0].read_bytes()[:4] == b"\x89PNG"


def test_share_limits_beyond_growth_limits_name_the_unit() -> None:
    # services at least 70 %: power ≥ 50 -> services ≥ 116.7 > its upper bound 110
    limits = pd.DataFrame({"unit": ["650100"], "sector": ["services_other"], "min_share": [0.7]})
    with pytest.raises(InputError) as err:
        run({"accounts": ACCOUNTS, "caps": _caps([("650100", "water", 9.0)]), "sector_limits": limits, **ONE_YEAR})
    assert "share limits of unit 650100" in str(err.value) and "2023" in str(err.value)


def test_belt_network_industrial_deliveries_cap_the_shipped_accounts() -> None:
    # coupling with water_allocation on the Belt network (12 months): the industrial deliveries of
    # Urumqi's sites become the water cap of its industrial sectors in the shipped accounts (2022:
    # mining and power_heat, water use from sector_accounts.csv)
    from ecociv.models.water_allocation.model import MODEL as WATER

    root = Path(__file__).resolve().parents[2] / "src" / "ecociv" / "data"
    deliveries = WATER.run({"network": root / "water" / "belt_network" / "network.yaml", "months": 12})["deliveries"]
    accounts = pd.read_csv(root / "industry" / "sector_accounts.csv", dtype={"unit": str})
    out = run({"accounts": accounts, "caps": _caps([("650100", "water", 99.0)]), "water_supply": deliveries,
               "base_year": 2022, "last_year": 2025})
    urumqi = deliveries[(deliveries["sector"] == "industry") & deliveries["unit"].astype(str).str.startswith("6501")]
    supplied = urumqi["delivered_m3"].sum() / 1e8  # 10^8 m3 in the 12 months
    cap = out["constraints"][out["constraints"]["constraint"] == "cap water 650100 2025 (industry)"].iloc[0]
    assert cap["bound"] == pytest.approx(supplied)
    industrial = out["structure"][(out["structure"]["year"] == 2025)
                                  & out["structure"]["sector"].isin(["mining", "power_heat"])]
    assert industrial["water_use"].sum() == pytest.approx(cap["use"])
    assert cap["use"] <= cap["bound"] + 1e-9


def test_without_caps_growth_limits_bind_and_water_supply_alone_caps() -> None:
    out = run({"accounts": ACCOUNTS, **ONE_YEAR})
    assert out["structure"]["value_added"].sum() == pytest.approx(220.0) and out["shadow_prices"].empty
    deliveries = pd.DataFrame({"month": [f"2020-{m:02d}" for m in range(1, 13)], "sector": "industry",
                               "unit": "650100", "delivered_m3": 1.5e7})
    capped = run({"accounts": ACCOUNTS, "water_supply": deliveries, **ONE_YEAR})
    assert capped["structure"].set_index("sector").loc["power_heat", "value_added"] == pytest.approx(90.0)


def test_check_hook_refuses_unknown_resources_before_a_run(tmp_path: Path) -> None:
    assert MODEL.check is not None
    path = tmp_path / "caps.csv"
    _caps([("650100", "steam", 1.0)]).to_csv(path, index=False)
    with pytest.raises(InputError, match="unknown resource 'steam'"):
        MODEL.check({"caps": path})
    with pytest.raises(InputError, match="unknown pressure"):
        MODEL.check({"pareto_pressure": "noise"})


def test_each_unit_grows_from_its_own_latest_year() -> None:
    # 650100 has accounts of 2022, 650200 of 2020 only: in 2023 at +10 %/yr, 100 -> 110 and
    # 50 -> 50 × 1.1³ = 66.55 (no caps: growth limits bind)
    accounts = pd.concat([ACCOUNTS.iloc[:1], pd.DataFrame({"unit": ["650200"], "sector": ["power_heat"],
                                                            "year": [2020], "value_added": [50.0]})])
    out = run({"accounts": accounts, **ONE_YEAR})
    va = out["structure"].set_index("unit")
    assert va.loc["650100", "value_added"] == pytest.approx(110.0)
    assert va.loc["650200", "value_added"] == pytest.approx(50.0 * 1.1**3)
    assert va.loc["650200", "base_year"] == 2020
    with pytest.raises(InputError, match="first_year 2022 is not after the base year 2022"):
        run({"accounts": accounts, **{**ONE_YEAR, "first_year": 2022}})
