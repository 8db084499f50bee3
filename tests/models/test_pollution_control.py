"""pollution_control: least-cost measures, stepwise MAC curve, shadow prices and bad inputs.

Closed forms are worked by hand in the comments; the method is GAINS's (Amann et al. 2011,
Environmental Modelling & Software 26: 1489-1501) and the MAC curve the retrospective one of
Sathaye & Meyers (1995), as LEAP's MACC report builds it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecociv.errors import InputError
from ecociv.execute import run_in_memory
from ecociv.models.pollution_control import kernels
from ecociv.models.pollution_control.checks import POLLUTANTS, SECTORS
from ecociv.models.pollution_control.model import MODEL, run

DATA = Path(__file__).resolve().parents[2] / "src" / "ecociv" / "data" / "industry"


def _emissions(rows: list[tuple[str, str, str, float]], year: int = 2030) -> pd.DataFrame:
    return pd.DataFrame([{"year": year, "unit": u, "sector": s, "pollutant": p, "emission_t": e}
                         for u, s, p, e in rows])


def _measures(rows: list[tuple[str, str, str, float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame([{"measure": m, "sector": s, "pollutant": p, "removal_efficiency": eta,
                          "max_application": a, "unit_cost": c, "source": "illustrative", "status": "illustrative"}
                         for m, s, p, eta, a, c in rows])


def _caps(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame([{"pollutant": p, "area": a, "cap_t": c} for p, a, c in rows])


# Three measures on three sources of SO2 in one unit (no competition between them):
#   A: power_heat 1000 t, η 0.9, a 1.0, 500 yuan/t  -> up to 900 t at 500
#   B: steel      1000 t, η 0.5, a 1.0, 1000 yuan/t -> up to 500 t at 1000
#   C: coking     1000 t, η 0.8, a 0.5, 3000 yuan/t -> up to 400 t at 3000
THREE = _measures([("a", "power_heat", "SO2", 0.9, 1.0, 500.0), ("b", "steel", "SO2", 0.5, 1.0, 1000.0),
                   ("c", "coking", "SO2", 0.8, 0.5, 3000.0)])
THREE_EMISSIONS = _emissions([("650100", "power_heat", "SO2", 1000.0), ("650100", "steel", "SO2", 1000.0),
                              ("650100", "coking", "SO2", 1000.0)])


def test_stepwise_mac_with_three_measures_and_the_cost_of_a_cap_by_hand() -> None:
    # cap 1500 t of 3000 t: 1500 t to remove = 900 t of A (450,000 yuan) + 500 t of B (500,000)
    # + 100 t of C (300,000) = 1,250,000 yuan; the last tonne comes from C: shadow price 3000 yuan/t
    out = run({"emissions": THREE_EMISSIONS, "measures": THREE, "caps": _caps([("SO2", "650100", 1500.0)])})
    curve = out["mac_curve"]
    assert list(curve["measure"]) == ["a", "b", "c"]
    np.testing.assert_allclose(curve["abatement_t"], [900.0, 500.0, 400.0])
    np.testing.assert_allclose(curve["cumulative_cost_yuan"], [450_000.0, 950_000.0, 2_150_000.0])
    assert out["measures_applied"]["cost_yuan"].sum() == pytest.approx(1_250_000.0, rel=1e-9)
    steps = kernels.mac_steps(np.array([1000.0, 1000.0, 1000.0]),
                              kernels.candidate_table(THREE_EMISSIONS, THREE))
    assert kernels.cost_on_curve(steps, 1500.0) == pytest.approx(1_250_000.0)
    price = out["shadow_prices"].iloc[0]
    assert price["value"] == pytest.approx(3000.0) and price["units"] == "yuan/t" and price["binding"]
    residual = out["residual_emissions"].set_index("sector")["residual_t"]
    assert residual.sum() == pytest.approx(1500.0)
    assert residual["coking"] == pytest.approx(900.0)


def test_a_cap_met_by_the_cheapest_measure_alone_costs_its_unit_cost() -> None:
    # cap 2500 t: 500 t removed by A at 500 yuan/t = 250,000 yuan; shadow price 500
    out = run({"emissions": THREE_EMISSIONS, "measures": THREE, "caps": _caps([("SO2", "650100", 2500.0)])})
    assert out["measures_applied"]["cost_yuan"].sum() == pytest.approx(250_000.0)
    assert set(out["measures_applied"]["measure"]) == {"a"}
    assert out["shadow_prices"]["value"].iloc[0] == pytest.approx(500.0)


def test_a_loose_cap_costs_nothing_and_has_no_shadow_price() -> None:
    out = run({"emissions": THREE_EMISSIONS, "measures": THREE, "caps": _caps([("SO2", "650100", 5000.0)])})
    assert out["measures_applied"].empty
    assert out["shadow_prices"]["value"].iloc[0] == 0.0 and not out["shadow_prices"]["binding"].iloc[0]


def test_alternatives_share_the_emissions_and_the_lp_may_pick_the_costlier_efficient_one() -> None:
    # one source of 1000 t NOx; sncr η 0.4 at 4000 yuan/t, scr η 0.85 at 8000 yuan/t, each up to 1.0,
    # Σ shares <= 1. Cap 300 t: remove 700 t. With shares s (sncr) and r (scr): 400 s + 850 r = 700,
    # s + r <= 1; cost 1.6e6 s + 6.8e6 r. At s + r = 1: r = 0.6667, s = 0.3333 -> cost 5.0667e6 yuan
    # (scr alone: r = 0.8235 -> 5.6e6). Technical minimum 150 t.
    measures = _measures([("sncr", "power_heat", "NOx", 0.4, 1.0, 4000.0),
                          ("scr", "power_heat", "NOx", 0.85, 1.0, 8000.0)])
    emissions = _emissions([("650100", "power_heat", "NOx", 1000.0)])
    out = run({"emissions": emissions, "measures": measures, "caps": _caps([("NOx", "650100", 300.0)])})
    shares = out["measures_applied"].set_index("measure")["application"]
    assert shares["scr"] == pytest.approx(2 / 3, rel=1e-7)
    assert shares["sncr"] == pytest.approx(1 / 3, rel=1e-7)
    assert out["measures_applied"]["cost_yuan"].sum() == pytest.approx(1.6e6 / 3 + 6.8e6 * 2 / 3, rel=1e-7)
    assert out["residual_emissions"]["technical_minimum_t"].iloc[0] == pytest.approx(150.0)


def test_a_basin_cap_counts_each_units_share() -> None:
    # COD: unit A 1000 t (40 % in the basin), unit B 500 t (100 %); basin load 900 t; cap 600 t ->
    # remove 300 t of basin load. One measure η 0.5, 5000 yuan/t on both. Removing 1 t at B lowers
    # the load by 1 t, at A by 0.4 t: B first (up to 250 t) then A (50 t of load = 125 t removed at
    # A). Cost = (250 + 125) × 5000 = 1,875,000; shadow price 5000 / 0.4 = 12,500 yuan/t of load.
    emissions = _emissions([("A1", "food_processing", "COD", 1000.0), ("B1", "food_processing", "COD", 500.0)])
    measures = _measures([("ww", "food_processing", "COD", 0.5, 1.0, 5000.0)])
    basins = pd.DataFrame({"unit": ["A1", "B1"], "basin": ["ebinur_lake"] * 2, "share": [0.4, 1.0]})
    out = run({"emissions": emissions, "measures": measures, "caps": _caps([("COD", "ebinur_lake", 600.0)]),
               "unit_basins": basins})
    assert out["measures_applied"]["cost_yuan"].sum() == pytest.approx(1_875_000.0)
    price = out["shadow_prices"].iloc[0]
    assert price["area_type"] == "basin" and price["value"] == pytest.approx(12_500.0)
    assert price["residual_t"] == pytest.approx(600.0)


def test_infeasible_cap_names_area_pollutant_and_shortfall() -> None:
    # technical minimum: 100 (A) + 500 (B) + 600 (C: 1000 × (1 − 0.8 × 0.5)) = 1200 t; cap 1000 t
    with pytest.raises(InputError) as err:
        run({"emissions": THREE_EMISSIONS, "measures": THREE, "caps": _caps([("SO2", "650100", 1000.0)])})
    message = str(err.value)
    assert "650100" in message and "SO2" in message and "2030" in message
    assert "technical minimum 1200 t/yr" in message and "shortfall 200 t/yr" in message
    assert "\n" not in message


def test_each_year_is_solved_and_caps_may_name_a_year() -> None:
    emissions = pd.concat([THREE_EMISSIONS, THREE_EMISSIONS.assign(year=2031)], ignore_index=True)
    caps = pd.DataFrame({"pollutant": ["SO2", "SO2"], "area": ["650100", "650100"], "cap_t": [2500.0, 1500.0],
                         "year": [2030, 2031]})
    out = run({"emissions": emissions, "measures": THREE, "caps": caps})
    costs = out["control_costs"].set_index("year")["cost_yuan"]
    assert costs[2030] == pytest.approx(250_000.0) and costs[2031] == pytest.approx(1_250_000.0)
    only = run({"emissions": emissions, "measures": THREE, "caps": caps, "year": 2031})
    assert set(only["residual_emissions"]["year"]) == {2031}


def _bad(tmp_path: Path, **changes: pd.DataFrame) -> str:
    inputs = {"emissions": THREE_EMISSIONS, "measures": THREE, "caps": _caps([("SO2", "650100", 2000.0)]),
              **changes}
    with pytest.raises(InputError) as err:
        run_in_memory(MODEL, inputs, tmp_path / "out")
    message = str(err.value)
    assert "\n" not in message
    return message


def test_unknown_pollutant_is_refused(tmp_path: Path) -> None:
    message = _bad(tmp_path, caps=_caps([("SOx", "650100", 2000.0)]))
    assert "unknown pollutant 'SOx'" in message and "caps" in message


def test_unknown_sector_is_refused(tmp_path: Path) -> None:
    measures = THREE.copy()
    measures.loc[1, "sector"] = "steelworks"
    message = _bad(tmp_path, measures=measures)
    assert "unknown sector 'steelworks'" in message and "measures" in message


def test_negative_emissions_are_refused(tmp_path: Path) -> None:
    emissions = THREE_EMISSIONS.copy()
    emissions.loc[0, "emission_t"] = -5.0
    message = _bad(tmp_path, emissions=emissions)
    assert "emission_t" in message and ">= 0" in message


def test_negative_cost_is_refused(tmp_path: Path) -> None:
    measures = THREE.copy()
    measures.loc[0, "unit_cost"] = -1.0
    assert "unit_cost" in _bad(tmp_path, measures=measures)


def test_a_measure_without_source_is_refused(tmp_path: Path) -> None:
    measures = THREE.copy()
    measures.loc[2, "source"] = ""
    message = _bad(tmp_path, measures=measures)
    assert "missing source" in message and "line 4" in message  # row 2 + header


def test_cap_below_technical_minimum_is_one_line(tmp_path: Path) -> None:
    message = _bad(tmp_path, caps=_caps([("SO2", "650100", 1000.0)]))
    assert "shortfall 200 t/yr" in message


def test_unknown_area_is_refused(tmp_path: Path) -> None:
    assert "unknown area 'shuimo_river'" in _bad(tmp_path, caps=_caps([("SO2", "shuimo_river", 1.0)]))


def test_shipped_library_is_complete_and_sourced() -> None:
    measures = pd.read_csv(DATA / "control_measures.csv", dtype=str, keep_default_na=False)
    sources = pd.read_csv(DATA / "control_measures_sources.csv", dtype=str, keep_default_na=False)
    assert set(measures["sector"]) <= set(SECTORS)
    assert set(measures["pollutant"]) <= set(POLLUTANTS)
    assert set(measures["source"]) <= set(sources["source"])
    assert (measures["status"].isin(["cited", "proxy", "illustrative"])).all()
    assert ((measures["source"] == "illustrative") == (measures["status"] == "illustrative")).all()
    for pollutant in POLLUTANTS:  # every pollutant has at least one measure
        assert pollutant in set(measures["pollutant"]), pollutant
    sectors_file = pd.read_csv(DATA / "sectors.csv", dtype=str)
    assert tuple(sectors_file["sector"]) == SECTORS


def test_report_draws_one_mac_chart_per_pollutant(tmp_path: Path) -> None:
    out = tmp_path / "run"
    manifest = run_in_memory(MODEL, MODEL.example(), out)
    written = MODEL.report(out, manifest) if MODEL.report else []
    assert sorted(p.name for p in written) == ["mac_COD.png", "mac_NOx.png", "mac_SO2.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in written)


def test_mac_curve_ranks_restart_for_each_pollutant() -> None:
    out = run(MODEL.example())
    curve = out["mac_curve"]
    for _, steps in curve.groupby("pollutant"):
        assert list(steps["rank"]) == list(range(1, len(steps) + 1))
        assert np.all(np.diff(steps["unit_cost"]) >= 0)
        np.testing.assert_allclose(steps["cumulative_abatement_t"], steps["abatement_t"].cumsum())


def test_allowances_of_total_load_allocation_become_unit_caps() -> None:
    # two allocation rules; 'equal_proportion' gives 650100 1500 t of SO2 over two basins (1000 + 500):
    # the same as the 1500 t cap of the three-measure test -> 1,250,000 yuan
    allowances = pd.DataFrame({"basin": ["b1", "b2", "b1"], "pollutant": ["SO2"] * 3,
                               "method": ["equal_proportion", "equal_proportion", "equal_marginal_cost"],
                               "unit": ["650100"] * 3, "allowance_t": [1000.0, 500.0, 2500.0]})
    out = run({"emissions": THREE_EMISSIONS, "measures": THREE, "allowances": allowances,
               "allocation_method": "equal_proportion"})
    assert out["measures_applied"]["cost_yuan"].sum() == pytest.approx(1_250_000.0)
    with pytest.raises(InputError, match="several allocation rules"):
        run({"emissions": THREE_EMISSIONS, "measures": THREE, "allowances": allowances})
    with pytest.raises(InputError, match="no caps"):
        run({"emissions": THREE_EMISSIONS, "measures": THREE})


def test_check_hook_reads_the_library_file_before_a_run(tmp_path: Path) -> None:
    # a scenario's file inputs are checked by `ecociv validate` before anything runs
    assert MODEL.check is not None
    MODEL.check({"measures": DATA / "control_measures.csv", "emissions": None})
    bad = pd.read_csv(DATA / "control_measures.csv", dtype=str, keep_default_na=False)
    bad.loc[3, "source"] = ""
    path = tmp_path / "measures.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(InputError, match="missing source") as err:
        MODEL.check({"measures": path})
    assert "line 5" in str(err.value)


def test_emission_inventory_output_feeds_the_control_lp() -> None:
    # the contract table `emissions` of emission_inventory (its minimal example, 2020-2025) with the
    # shipped library: SO2 of each unit capped at 80 % of its 2025 emissions
    from ecociv.models.emission_inventory.model import MODEL as INVENTORY

    emissions = INVENTORY.run(INVENTORY.example())["emissions"]
    so2 = emissions[(emissions["year"] == 2025) & (emissions["pollutant"] == "SO2")]
    per_unit = so2.groupby("unit")["emission_t"].sum()
    caps = pd.DataFrame({"pollutant": "SO2", "area": per_unit.index.astype(str), "cap_t": 0.8 * per_unit.to_numpy()})
    measures = pd.read_csv(DATA / "control_measures.csv", dtype={"source": str})
    out = run({"emissions": emissions, "measures": measures, "caps": caps, "year": 2025})
    prices = out["shadow_prices"]
    assert prices["binding"].all()
    np.testing.assert_allclose(prices["residual_t"], prices["cap_t"], rtol=1e-9)
    # every unit's SO2 is power_heat or coal_chemicals, whose cheapest measures cost 662.3 and 1400 yuan/t
    assert set(prices["value"].round(1)) <= {662.3, 1400.0}


def test_a_cap_on_a_unit_whose_emissions_are_zero_is_accepted() -> None:
    emissions = pd.concat([THREE_EMISSIONS, _emissions([("650200", "steel", "SO2", 0.0)])], ignore_index=True)
    out = run({"emissions": emissions, "measures": THREE, "caps": _caps([("SO2", "650200", 10.0)])})
    price = out["shadow_prices"].iloc[0]
    assert price["residual_t"] == 0.0 and not price["binding"] and price["value"] == 0.0
