"""`green_indicators`: Tapio (2005, Transport Policy 12: 137–151) states at and around every
threshold, additive LMDI-I (Ang 2005, Energy Policy 33: 867–871) perfect decomposition and zero
handling (Ang & Liu 2007, Energy Policy 35: 238–246), a two-sector example worked by hand, the
real Xinjiang series, and bad inputs."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecociv.errors import InputError
from ecociv.execute import run_in_memory
from ecociv.models.green_indicators import kernels
from ecociv.models.green_indicators.kernels import (
    EXPANSIVE_COUPLING,
    EXPANSIVE_NEGATIVE_DECOUPLING,
    NO_CHANGE,
    RECESSIVE_COUPLING,
    RECESSIVE_DECOUPLING,
    STRONG_DECOUPLING,
    STRONG_NEGATIVE_DECOUPLING,
    WEAK_DECOUPLING,
    WEAK_NEGATIVE_DECOUPLING,
    lmdi_additive,
    tapio_elasticity,
    tapio_state,
)
from ecociv.models.green_indicators.model import chained_periods, run
from ecociv.models.green_indicators.series import (
    indicator_series,
    prefecture_co2,
    xinjiang_accounts,
    xinjiang_co2,
    xinjiang_gdp,
    xinjiang_population,
    xinjiang_population_table,
)
from ecociv.registry import get_model

# --- Tapio states: value added grows 10 % (100 -> 110) or falls 10 % (100 -> 90); CO2 starts at
# 100 and ends at 100 + 10·e (growth) or 100 − 10·e (recession), so e is exact.

GROWTH = [
    (-0.5, STRONG_DECOUPLING), (0.0, WEAK_DECOUPLING), (0.5, WEAK_DECOUPLING),
    (0.79, WEAK_DECOUPLING), (0.8, EXPANSIVE_COUPLING), (0.81, EXPANSIVE_COUPLING),
    (1.0, EXPANSIVE_COUPLING), (1.19, EXPANSIVE_COUPLING), (1.2, EXPANSIVE_COUPLING),
    (1.21, EXPANSIVE_NEGATIVE_DECOUPLING), (3.0, EXPANSIVE_NEGATIVE_DECOUPLING),
]
RECESSION = [
    (-0.5, STRONG_NEGATIVE_DECOUPLING), (0.0, WEAK_NEGATIVE_DECOUPLING), (0.5, WEAK_NEGATIVE_DECOUPLING),
    (0.79, WEAK_NEGATIVE_DECOUPLING), (0.8, RECESSIVE_COUPLING), (0.81, RECESSIVE_COUPLING),
    (1.19, RECESSIVE_COUPLING), (1.2, RECESSIVE_COUPLING), (1.21, RECESSIVE_DECOUPLING),
    (3.0, RECESSIVE_DECOUPLING),
]


@pytest.mark.parametrize(("elasticity", "state"), GROWTH)
def test_tapio_states_with_growth(elasticity: float, state: str) -> None:
    co2_end = 100 + 10 * elasticity
    e = tapio_elasticity(100, co2_end, 100, 110)
    assert e == pytest.approx(elasticity, abs=1e-12)
    assert tapio_state(co2_end - 100, 10, e) == state


@pytest.mark.parametrize(("elasticity", "state"), RECESSION)
def test_tapio_states_with_recession(elasticity: float, state: str) -> None:
    co2_end = 100 - 10 * elasticity
    e = tapio_elasticity(100, co2_end, 100, 90)
    assert e == pytest.approx(elasticity, abs=1e-12)
    assert tapio_state(co2_end - 100, -10, e) == state


def test_tapio_boundaries_are_closed_on_the_coupling_band() -> None:
    # e exactly on 0.8 and 1.2 is coupling; the nearest floats outside are not
    below, above = math.nextafter(0.8 * (1 - 2e-9), 0), math.nextafter(1.2 * (1 + 2e-9), 2)
    assert tapio_state(1, 1, 0.8) == EXPANSIVE_COUPLING
    assert tapio_state(1, 1, 1.2) == EXPANSIVE_COUPLING
    assert tapio_state(1, 1, below) == WEAK_DECOUPLING
    assert tapio_state(1, 1, above) == EXPANSIVE_NEGATIVE_DECOUPLING
    # 0.08 / 0.1 is 0.7999999999999999 in floating point: still coupling
    assert tapio_state(1, 1, 0.08 / 0.1) == EXPANSIVE_COUPLING


def test_tapio_without_growth_of_the_driver() -> None:
    assert math.isnan(tapio_elasticity(100, 90, 100, 100))
    assert tapio_state(-10, 0, float("nan")) == STRONG_DECOUPLING
    assert tapio_state(10, 0, float("nan")) == STRONG_NEGATIVE_DECOUPLING
    assert tapio_state(0, 0, float("nan")) == NO_CHANGE


def test_tapio_needs_positive_start_values() -> None:
    with pytest.raises(ValueError, match="> 0"):
        tapio_elasticity(0, 1, 100, 110)


# --- LMDI ----------------------------------------------------------------------------------


def test_lmdi_two_sector_example_by_hand() -> None:
    # sector A: value added 60 -> 80, CO2 120 -> 120; sector B: 40 -> 20, CO2 40 -> 30; total value
    # added 100 both years, so the activity effect is 0.
    # shares A 0.6 -> 0.8, B 0.4 -> 0.2; intensities A 2 -> 1.5, B 1 -> 1.5
    # L(A) = 120; L(B) = 10 / ln(4/3) = 34.76059
    # structure = 120 ln(0.8/0.6) + 34.76059 ln(0.5) = 34.52185 − 24.09421 = 10.42764
    # intensity = 120 ln(0.75) + 34.76059 ln(1.5) = −34.52185 + 14.09421 = −20.42764
    # sum = −10 = 150 − 160
    start = np.array([[100, 0.6, 2.0], [100, 0.4, 1.0]])
    end = np.array([[100, 0.8, 1.5], [100, 0.2, 1.5]])
    effects = lmdi_additive(start, end)
    np.testing.assert_allclose(effects, [0.0, 10.42764, -20.42764], atol=5e-5)
    assert effects.sum() == pytest.approx(-10.0, abs=1e-12)


def test_lmdi_is_a_perfect_decomposition() -> None:
    rng = np.random.default_rng(7)
    for _ in range(50):
        shape = (int(rng.integers(1, 8)), int(rng.integers(1, 5)))
        start = rng.uniform(0.1, 10, shape)
        end = rng.uniform(0.1, 10, shape)
        effects = lmdi_additive(start, end)
        total = end.prod(axis=1).sum() - start.prod(axis=1).sum()
        assert effects.sum() == pytest.approx(total, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("case", ["appears", "disappears", "both_zero", "two_zero_factors"])
def test_lmdi_zeros_are_the_limit_of_the_small_value_strategy(case: str) -> None:
    # Ang & Liu (2007): replacing the zeros by delta -> 0 converges; the kernel uses the limit
    start = np.array([[5.0, 0.5, 2.0], [5.0, 0.5, 4.0]])
    end = np.array([[6.0, 0.7, 1.5], [6.0, 0.3, 3.0]])
    if case == "appears":
        start[1, 1] = 0.0
    elif case == "disappears":
        end[1, 2] = 0.0
    elif case == "both_zero":
        start[1, 1] = end[1, 1] = 0.0
    else:
        start[1, 1] = start[1, 2] = 0.0
    exact = lmdi_additive(start, end)
    total = end.prod(axis=1).sum() - start.prod(axis=1).sum()
    assert exact.sum() == pytest.approx(total, abs=1e-12)
    delta = 1e-60
    small = lmdi_additive(np.where(start == 0, delta, start), np.where(end == 0, delta, end))
    np.testing.assert_allclose(exact, small, atol=0.05)


def test_lmdi_rejects_negative_factors() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        lmdi_additive(np.array([[1.0, -1.0]]), np.array([[1.0, 1.0]]))


def _two_sector_accounts() -> pd.DataFrame:
    return pd.DataFrame({
        "unit": "u1", "sector": ["a", "b", "a", "b"], "year": [2000, 2000, 2005, 2005],
        "value_added": [60.0, 40.0, 80.0, 20.0], "co2_t": [120.0, 40.0, 120.0, 30.0],
        "water_use": [0.6, 0.2, 0.6, 0.1], "energy_use": [50.0, 10.0, 40.0, 8.0],
    })


def test_model_tables_on_the_two_sector_example() -> None:
    out = run({"accounts": _two_sector_accounts(), "period_length": 5})
    lmdi = out["lmdi"].iloc[0]
    assert lmdi["co2_change_t"] == pytest.approx(-10.0)
    assert lmdi["activity_effect_t"] == pytest.approx(0.0, abs=1e-9)
    assert lmdi["structure_effect_t"] == pytest.approx(10.42764, abs=5e-5)
    assert lmdi["intensity_effect_t"] == pytest.approx(-20.42764, abs=5e-5)
    assert abs(lmdi["residual_t"]) < 1e-9
    assert math.isnan(lmdi["population_effect_t"])
    intensities = out["intensities"].set_index(["sector", "year"])
    # unit total 2000: 160 t over 100·10^8 yuan = 10^6 (10^4 yuan): 1.6e-4 t per 10^4 yuan
    assert intensities.loc[("all", 2000), "carbon_intensity"] == pytest.approx(1.6e-4)
    # water 0.8·10^8 m³ / 10^6 (10^4 yuan) = 80 m³ per 10^4 yuan
    assert intensities.loc[("all", 2000), "water_intensity"] == pytest.approx(80.0)
    assert intensities.loc[("a", 2005), "energy_intensity"] == pytest.approx(40 / 80e4)
    decoupling = out["decoupling"].iloc[0]
    # CO2 160 -> 150 t with value added 100 -> 100: no growth, falling CO2 = strong decoupling
    assert decoupling["value_added_change_pct"] == pytest.approx(0.0)
    assert math.isnan(decoupling["elasticity"])
    assert decoupling["state"] == STRONG_DECOUPLING


def test_kaya_population_splits_the_activity_effect() -> None:
    accounts = _two_sector_accounts()
    accounts.loc[accounts["year"] == 2005, "value_added"] *= 1.5
    plain = run({"accounts": accounts})["lmdi"].iloc[0]
    population = pd.DataFrame({"unit": "u1", "year": [2000, 2005], "population": [10.0, 12.0]})
    kaya = run({"accounts": accounts, "unit_population": population})["lmdi"].iloc[0]
    # ln P + ln(Q/P) = ln Q with the same weights: population + per-capita = the plain activity
    assert kaya["population_effect_t"] + kaya["activity_effect_t"] == pytest.approx(plain["activity_effect_t"])
    assert kaya["population_effect_t"] > 0
    assert abs(kaya["residual_t"]) < 1e-9


def test_several_units_get_a_total_row_with_unit_shares() -> None:
    first = _two_sector_accounts()
    second = first.assign(unit="u2", co2_t=first["co2_t"] * 2)
    out = run({"accounts": pd.concat([first, second], ignore_index=True)})
    total = out["lmdi"].set_index("unit").loc["all"]
    assert total["co2_change_t"] == pytest.approx(-30.0)
    assert abs(total["residual_t"]) < 1e-9
    assert set(out["decoupling"]["unit"]) == {"u1", "u2", "all"}


def test_a_sector_that_appears_is_a_structure_effect() -> None:
    accounts = _two_sector_accounts()
    accounts = accounts[~((accounts["sector"] == "b") & (accounts["year"] == 2000))]
    out = run({"accounts": accounts})["lmdi"].iloc[0]
    # 2000: only a (60, 120 t); 2005: a (80, 120) and b (20, 30)
    assert out["co2_change_t"] == pytest.approx(30.0)
    assert abs(out["residual_t"]) < 1e-9


def test_chained_periods() -> None:
    assert chained_periods(list(range(2000, 2018)), 5) == [(2000, 2005), (2005, 2010), (2010, 2015),
                                                         (2015, 2017), (2000, 2017)]
    assert chained_periods([2000, 2001], 1) == [(2000, 2001)]
    assert chained_periods([2000], 5) == []


# --- real series ----------------------------------------------------------------------------


def test_ceads_xinjiang_growth_2010_2015_is_the_published_factor() -> None:
    # CEADs provincial inventory (Guan et al. 2021): Xinjiang 169.5 Mt (2010) -> 345.7 Mt (2015),
    # a factor of 2.04 as quoted in the research notes (tolerance: the third decimal)
    ceads = xinjiang_co2("ceads")
    assert ceads[2015] / 1e6 == pytest.approx(345.7, abs=0.05)
    assert ceads[2015] / ceads[2010] == pytest.approx(2.04, abs=0.005)


def test_county_series_against_ceads() -> None:
    # Chen et al. (2020) downscale an earlier provincial inventory to counties with night-time
    # light; summed over the Xinjiang counties of the file it stays within 30 % of the current CEADs
    # inventory every year 1998-2017 (0.73 in 1998 to 1.28 in 2011), but its 2010-2015 growth is much
    # lower (x1.56 against x2.04): different versions and methods (the county series is not a
    # reproduction of CEADs, see docs/green_indicators.md)
    county = xinjiang_co2("county")
    ceads = xinjiang_co2("ceads")
    for year in range(1998, 2018):
        assert county[year] / ceads[year] == pytest.approx(1.0, abs=0.3), year
    assert county[2015] / county[2010] < ceads[2015] / ceads[2010] - 0.3


def test_reported_gdp_is_consistent_with_its_checks() -> None:
    series = indicator_series()
    gdp = xinjiang_gdp()
    # 2014 white paper: RMB 927.3 billion
    assert gdp[2014] / 10 == pytest.approx(927.3, abs=0.1)
    wide = series[series["unit"] == "650000"].pivot_table(index="year", columns="indicator", values="value")
    parts = wide[["value_added_primary", "value_added_secondary", "value_added_tertiary"]].dropna()
    np.testing.assert_allclose(parts.sum(axis=1), wide.loc[parts.index, "gdp"], atol=0.06)
    assert series["source"].notna().all() and series["units"].notna().all()
    sources = pd.read_csv(Path(__file__).resolve().parents[2] / "src" / "ecociv" / "data" / "industry"
                          / "indicator_series_sources.csv")
    assert set(series["source"]) <= set(sources["source"])


def test_xinjiang_decoupling_on_the_real_series() -> None:
    out = run({"accounts": xinjiang_accounts(), "period_length": 5, "start_year": 2000})
    table = out["decoupling"].set_index("period")
    gdp, co2 = xinjiang_gdp(), xinjiang_co2("county")
    e = ((co2[2017] - co2[2000]) / co2[2000]) / ((gdp[2017] - gdp[2000]) / gdp[2000])
    assert table.loc["2000-2017", "elasticity"] == pytest.approx(e)
    assert table.loc["2000-2017", "state"] == tapio_state(1, 1, e)
    lmdi = out["lmdi"]
    assert (lmdi["residual_t"].abs() < 1e-6 * lmdi["co2_end_t"]).all()
    # one sector (the total): no structure effect
    assert (lmdi["structure_effect_t"] == 0).all()


def test_prefecture_co2_sums_the_belt_counties() -> None:
    by_unit = prefecture_co2()
    assert {"650100", "650200", "652300", "659001"} <= set(by_unit["unit"])
    urumqi_2017 = by_unit[(by_unit["unit"] == "650100") & (by_unit["year"] == 2017)]["co2_t"].iloc[0]
    wide = pd.read_csv(Path(__file__).resolve().parents[2] / "src" / "ecociv" / "data" / "belt" / "co2_county.csv",
                       dtype={"adcode": str})
    expected = wide[wide["adcode"].str.startswith("6501") & wide["in_belt"]]["co2_2017"].sum() * 1e6
    assert urumqi_2017 == pytest.approx(expected)


def test_report_draws_both_charts(tmp_path: Path) -> None:
    model = get_model("green_indicators")
    manifest = run_in_memory(model, model.example(), tmp_path / "out")
    assert model.report is not None
    written = model.report(tmp_path / "out", manifest)
    assert sorted(p.name for p in written) == ["decoupling.png", "lmdi.png"]
    assert all(p.stat().st_size > 1000 for p in written)


# --- bad inputs: one clear line each -----------------------------------------------------------


def _error(accounts: pd.DataFrame, **extra: object) -> str:
    model = get_model("green_indicators")
    with pytest.raises(InputError) as caught:
        run_in_memory(model, {"accounts": accounts, **extra}, Path("/nonexistent/never-written"))
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_bad_duplicate_row() -> None:
    accounts = pd.concat([_two_sector_accounts(), _two_sector_accounts().iloc[[0]]], ignore_index=True)
    assert "appears more than once" in _error(accounts)


def test_bad_total_and_sector_rows_together() -> None:
    accounts = pd.concat([_two_sector_accounts(),
                          pd.DataFrame({"unit": ["u1"], "sector": [""], "year": [2000], "value_added": [1.0],
                                        "co2_t": [1.0]})], ignore_index=True)
    assert "both a total row" in _error(accounts)


def test_bad_co2_without_value_added() -> None:
    accounts = _two_sector_accounts()
    accounts.loc[1, "value_added"] = 0.0
    assert "without value added" in _error(accounts)


def test_bad_negative_value_added() -> None:
    accounts = _two_sector_accounts()
    accounts.loc[0, "value_added"] = -1.0
    assert "value_added" in _error(accounts)


def test_bad_no_value_added_at_all() -> None:
    accounts = _two_sector_accounts().drop(columns="value_added")
    assert "no value_added" in _error(accounts)


def test_bad_years_outside_the_data() -> None:
    assert "no rows between" in _error(_two_sector_accounts(), start_year=2010)


def test_bad_population_duplicate() -> None:
    population = pd.DataFrame({"unit": ["u1", "u1"], "year": [2000, 2000], "population": [1.0, 2.0]})
    assert "appears more than once" in _error(_two_sector_accounts(), unit_population=population)


def test_kernel_intensity_is_nan_without_value_added() -> None:
    assert np.isnan(kernels.intensity(np.array([5.0]), np.array([0.0]))[0])


def test_ceads_carbon_intensity_2014_is_the_research_notes_figure() -> None:
    # research notes: 2014 Xinjiang CO2 332.1 Mt (CEADs) over GDP RMB 927.3 billion ≈ 3.6 t per 10^4 yuan
    out = run({"accounts": xinjiang_accounts("ceads")})
    rows = out["intensities"].set_index("year")
    assert rows.loc[2014, "carbon_intensity"] == pytest.approx(3.6, abs=0.05)


def test_water_intensity_of_xinjiang_2014() -> None:
    # water supply 581.82·10^8 m³ (2014 water resources bulletin, reported_statistics.csv) over GDP
    # 9273.46·10^8 yuan: 581.82e8 / 9273.46e4 = 627.4 m³ per 10^4 yuan
    rows = run({"accounts": xinjiang_accounts()})["intensities"].set_index("year")
    assert rows.loc[2014, "water_intensity"] == pytest.approx(581.82e8 / 9273.46e4)
    assert rows["water_intensity"].notna().sum() == 1


def test_co2_from_the_emissions_table() -> None:
    # the contract `emissions` table of emission_inventory: CO2 rows fill co2_t per unit, sector
    # and year (summed over processes); a sector without CO2 rows in a unit-year that has some is 0
    accounts = _two_sector_accounts().drop(columns="co2_t")
    emissions = pd.DataFrame({
        "year": [2000, 2000, 2000, 2005, 2005, 2000],
        "unit": "u1", "sector": ["a", "a", "b", "a", "b", "a"],
        "pollutant": ["CO2", "CO2", "CO2", "CO2", "CO2", "SO2"],
        "emission_t": [100.0, 20.0, 40.0, 120.0, 30.0, 5.0],
    })
    out = run({"accounts": accounts, "emissions": emissions})
    lmdi = out["lmdi"].iloc[0]
    assert lmdi["co2_start_t"] == pytest.approx(160.0) and lmdi["co2_end_t"] == pytest.approx(150.0)
    assert lmdi["structure_effect_t"] == pytest.approx(10.42764, abs=5e-5)
    no_co2 = emissions.assign(pollutant="SO2")
    assert "no CO2 rows" in _error(accounts, emissions=no_co2)


def test_population_and_constant_prices_of_the_real_series() -> None:
    population = xinjiang_population()
    # China Statistical Yearbook 2010 year-end population 2185·10^4 against the 2010 census 21.81 million
    assert population[2010] == pytest.approx(2181.6, rel=0.01)
    current, constant = xinjiang_gdp(), xinjiang_gdp("constant_2015")
    assert constant[2015] == pytest.approx(current[2015])  # the deflator's base year
    assert constant[2000] > current[2000]  # prices rose 2000-2015
    with pytest.raises(ValueError, match="unknown prices"):
        xinjiang_gdp("real")
    # Kaya on the shipped series: population + per-capita activity = the activity effect without
    # population, and the decomposition stays perfect
    plain = run({"accounts": xinjiang_accounts(), "start_year": 2000})["lmdi"].set_index("period")
    kaya = run({"accounts": xinjiang_accounts(), "unit_population": xinjiang_population_table(),
                "start_year": 2000})["lmdi"].set_index("period")
    both = kaya["population_effect_t"] + kaya["activity_effect_t"]
    np.testing.assert_allclose(both, plain["activity_effect_t"], rtol=1e-9)
    assert (kaya["residual_t"].abs() < 1e-6 * kaya["co2_end_t"]).all()
    assert (kaya["population_effect_t"] > 0).all()
