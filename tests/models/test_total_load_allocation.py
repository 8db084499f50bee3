"""`total_load_allocation`: equal proportion, equal marginal cost (closed form of Montgomery 1972,
J. Econ. Theory 5: 395–418, for quadratic costs) and the equity-constrained variant, the Gini
coefficient (pairwise and Lorenz forms), infeasible allowances and bad inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecociv.errors import InputError
from ecociv.execute import run_in_memory
from ecociv.models.total_load_allocation import kernels
from ecociv.models.total_load_allocation.model import run
from ecociv.registry import get_model


def _inputs(allowance: float = 20000.0, floor: float = 0.0, **changes: object) -> dict[str, object]:
    units = pd.DataFrame({
        "basin": "b1", "unit": ["u1", "u2", "u3"], "pollutant": "COD",
        "baseline_t": [9000.0, 6000.0, 12000.0], "minimum_t": [3000.0, 2000.0, 4000.0],
        "population": [40.0, 50.0, 110.0], "value_added": [350.0, 970.0, 700.0],
    })
    costs = pd.DataFrame({"unit": ["u1", "u2", "u3"], "pollutant": "COD",
                          "alpha": [2000.0, 4000.0, 1500.0], "beta": [2.0, 1.0, 0.8]})
    allowances = pd.DataFrame({"basin": ["b1"], "pollutant": ["COD"], "allowance_t": [allowance]})
    inputs: dict[str, object] = {"units": units, "abatement_costs": costs, "allowances": allowances,
                                 "equity_basis": "population", "equity_floor": floor}
    inputs.update(changes)
    return inputs


def _method(out: dict[str, pd.DataFrame], method: str) -> pd.DataFrame:
    table = out["allocation"]
    return table[table["method"] == method].set_index("unit")


def test_equal_marginal_cost_matches_the_closed_form() -> None:
    # R = 27000 − 20000 = 7000 t; λ = (R + Σ α/β)/Σ 1/β = (7000 + 1000 + 4000 + 1875)/(0.5 + 1 + 1.25)
    #   = 13875 / 2.75 = 5045.4545 yuan/t; q = (λ − α)/β = 1522.73, 1045.45, 4431.82 t
    out = run(_inputs())
    rows = _method(out, "equal_marginal_cost")
    np.testing.assert_allclose(rows["abatement_t"], [1522.7273, 1045.4545, 4431.8182], atol=1e-3)
    np.testing.assert_allclose(rows["marginal_cost"], 5045.4545, atol=1e-3)
    q, lam = kernels.equal_marginal_cost_quadratic(np.array([2000.0, 4000, 1500]), np.array([2.0, 1, 0.8]),
                                                   np.array([6000.0, 4000, 8000]), 7000.0)
    assert lam == pytest.approx(13875 / 2.75)
    np.testing.assert_allclose(rows["abatement_t"], q, rtol=1e-6)
    summary = out["summary"].set_index("method")
    assert summary.loc["equal_marginal_cost", "max_marginal_cost"] == pytest.approx(13875 / 2.75, rel=1e-6)


def test_closed_form_with_an_active_upper_bound() -> None:
    # u3 can abate only 1000 t (baseline 5000, minimum 4000): it takes 1000, the rest R' = 6000
    # goes to u1, u2: λ = (6000 + 1000 + 4000)/(0.5 + 1) = 7333.33; q1 = 2666.67, q2 = 3333.33
    q, lam = kernels.equal_marginal_cost_quadratic(np.array([2000.0, 4000, 1500]), np.array([2.0, 1, 0.8]),
                                                   np.array([6000.0, 4000, 1000]), 7000.0)
    assert lam == pytest.approx(11000 / 1.5)
    np.testing.assert_allclose(q, [2666.6667, 3333.3333, 1000.0], atol=1e-3)
    blocks = [kernels.CostBlock(i, a, b) for i, (a, b) in enumerate([(2000.0, 2.0), (4000.0, 1.0), (1500.0, 0.8)])]
    solved = kernels.least_cost(blocks, 3, np.zeros(3), np.array([6000.0, 4000, 1000]), 7000.0)
    np.testing.assert_allclose(solved, q, rtol=1e-6, atol=1e-3)


def test_equal_proportion_by_hand() -> None:
    # every baseline × 20000/27000 = 0.7407: 6666.67, 4444.44, 8888.89 t
    rows = _method(run(_inputs()), "equal_proportion")
    np.testing.assert_allclose(rows["allowance_t"], [6666.6667, 4444.4444, 8888.8889], atol=1e-3)
    np.testing.assert_allclose(rows["abatement_pct"], 100 * 7000 / 27000)
    # a unit held at its minimum: 100, 100, 10 t with minimum 9 for the third and A = 150:
    # ratio 150/210 gives the third 7.14 < 9, so it keeps 9 and the others share 141 -> 70.5 each
    np.testing.assert_allclose(kernels.equal_proportion(np.array([100.0, 100, 10]), np.array([0, 0, 9.0]), 150),
                               [70.5, 70.5, 9.0])


def test_least_cost_is_never_dearer_than_equal_proportion() -> None:
    summary = run(_inputs())["summary"].set_index("method")
    assert summary.loc["equal_marginal_cost", "cost_yuan"] <= summary.loc["equal_proportion", "cost_yuan"]
    # equal proportion: C = Σ α q + ½ β q² with q = 2333.33, 1555.56, 3111.11
    q = np.array([9000.0, 6000, 12000]) * 7000 / 27000
    expected = (np.array([2000.0, 4000, 1500]) * q + 0.5 * np.array([2.0, 1, 0.8]) * q**2).sum()
    assert summary.loc["equal_proportion", "cost_yuan"] == pytest.approx(expected)


def test_equity_floor_binds_and_costs_more() -> None:
    # floor 0.9 by population: u3 keeps at least 0.9 × 20000 × 110/200 = 9900 t (abates ≤ 2100)
    out = run(_inputs(floor=0.9))
    rows = _method(out, "equity_constrained")
    assert rows.loc["u3", "allowance_t"] == pytest.approx(9900.0, abs=1e-3)
    summary = out["summary"].set_index("method")
    assert summary.loc["equity_constrained", "cost_yuan"] >= summary.loc["equal_marginal_cost", "cost_yuan"]
    assert summary.loc["equity_constrained", "gini_per_capita"] < summary.loc["equal_marginal_cost", "gini_per_capita"]
    for method in summary.index:
        assert summary.loc[method, "abatement_t"] == pytest.approx(7000.0, abs=1e-3)


def test_stepwise_costs_fill_the_cheapest_steps_first() -> None:
    # u1: steps 1000 t at 100 yuan/t then 1000 t at 500; u2: 1000 t at 300, then 1000 t at 900.
    # R = 2500 t: 1000 (u1, 100) + 1000 (u2, 300) + 500 (u1, 500) -> cost 100000 + 300000 + 250000
    units = pd.DataFrame({"basin": "b", "unit": ["u1", "u2"], "pollutant": "NH3-N", "baseline_t": [3000.0, 3000.0],
                          "population": [1.0, 1.0], "value_added": [1.0, 1.0]})
    costs = pd.DataFrame({"unit": ["u1", "u1", "u2", "u2"], "pollutant": "NH3-N",
                          "alpha": [100.0, 500.0, 300.0, 900.0], "beta": 0.0, "max_abatement_t": 1000.0})
    allowances = pd.DataFrame({"basin": ["b"], "pollutant": ["NH3-N"], "allowance_t": [3500.0]})
    out = run({"units": units, "abatement_costs": costs, "allowances": allowances, "equity_floor": 0.0})
    rows = _method(out, "equal_marginal_cost")
    np.testing.assert_allclose(rows["abatement_t"], [1500.0, 1000.0], atol=1e-6)
    assert rows["cost_yuan"].sum() == pytest.approx(650000.0)
    assert rows.loc["u1", "marginal_cost"] == pytest.approx(500.0)


def test_no_cut_when_the_allowance_covers_the_baselines() -> None:
    out = run(_inputs(allowance=30000.0))
    assert (out["allocation"]["abatement_t"].abs() < 1e-6).all()
    assert (out["summary"]["cost_yuan"].abs() < 1e-3).all()


def test_baselines_from_the_emissions_table() -> None:
    inputs = _inputs()
    units = inputs["units"].drop(columns="baseline_t")  # type: ignore[union-attr]
    emissions = pd.DataFrame({"year": [2020, 2020, 2020, 2020, 2019], "unit": ["u1", "u1", "u2", "u3", "u1"],
                              "sector": ["a", "b", "a", "a", "a"], "pollutant": "COD",
                              "emission_t": [5000.0, 4000.0, 6000.0, 12000.0, 1.0]})
    out = run({**inputs, "units": units, "emissions": emissions})
    rows = _method(out, "equal_proportion")
    np.testing.assert_allclose(rows["baseline_t"], [9000.0, 6000.0, 12000.0])


def test_gini_of_known_vectors() -> None:
    assert kernels.gini(np.full(5, 3.0)) == pytest.approx(0.0)
    for n in (2, 4, 10):
        one = np.zeros(n)
        one[0] = 7.0
        assert kernels.gini(one) == pytest.approx((n - 1) / n)
    # weights = repeating a value: weight 2 on x = 1 is the vector (1, 1, 3)
    weighted = kernels.gini(np.array([1.0, 3.0]), np.array([2.0, 1.0]))
    assert weighted == pytest.approx(kernels.gini(np.array([1.0, 1, 3])))


def test_weighted_gini_equals_the_lorenz_form() -> None:
    rng = np.random.default_rng(3)
    for _ in range(20):
        population = rng.uniform(1, 100, 6)
        allowance = rng.uniform(0, 50, 6)
        per_capita = allowance / population
        order = np.argsort(per_capita)
        x = np.concatenate([[0.0], np.cumsum(population[order]) / population.sum()])
        y = np.concatenate([[0.0], np.cumsum(allowance[order]) / allowance.sum()])
        lorenz = 1.0 - np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]))
        assert kernels.gini(per_capita, population) == pytest.approx(lorenz, abs=1e-12)


def test_example_runs_through_the_contract_path(tmp_path: Path) -> None:
    model = get_model("total_load_allocation")
    run_in_memory(model, model.example(), tmp_path / "out")
    summary = pd.read_csv(tmp_path / "out" / "summary.csv")
    assert set(summary["method"]) == {"equal_proportion", "equal_marginal_cost", "equity_constrained"}


# --- infeasible and bad inputs: one clear line each ---------------------------------------------


def _error(inputs: dict[str, object]) -> str:
    model = get_model("total_load_allocation")
    with pytest.raises(InputError) as caught:
        run_in_memory(model, inputs, Path("/nonexistent/never-written"))
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_allowance_below_the_technical_minimums() -> None:
    # minimums 3000 + 2000 + 4000 = 9000 t; allowance 8000 t: shortfall 1000 t
    message = _error(_inputs(allowance=8000.0))
    assert "basin 'b1'" in message and "COD" in message and "shortfall 1000 t/yr" in message


def test_equity_floor_that_cannot_be_met() -> None:
    # allowance 12000 t (≥ the minimums 9000 t), R = 15000 t; floor 1.0 by population: u1 keeps
    # max(3000, min(9000, 12000·40/200 = 2400)) = 3000, u2 max(2000, min(6000, 3000)) = 3000,
    # u3 max(4000, min(12000, 6600)) = 6600: abatable 6000 + 3000 + 5400 = 14400 < 15000 (short 600)
    inputs = _inputs(allowance=12000.0, floor=1.0)
    message = _error(inputs)
    assert "equity_floor" in message and "shortfall 600 t/yr" in message


def test_bad_unknown_pollutant() -> None:
    inputs = _inputs()
    inputs["units"] = inputs["units"].assign(pollutant="cod")  # type: ignore[union-attr]
    assert "unknown pollutant 'cod'" in _error(inputs)


def test_bad_missing_cost_row() -> None:
    inputs = _inputs()
    inputs["abatement_costs"] = inputs["abatement_costs"].iloc[:2]  # type: ignore[index]
    assert "unit 'u3' has no COD abatement cost row" in _error(inputs)


def test_bad_missing_allowance() -> None:
    inputs = _inputs()
    inputs["allowances"] = pd.DataFrame({"basin": ["other"], "pollutant": ["COD"], "allowance_t": [1.0]})
    assert "basin 'b1' has units with COD but no COD allowance" in _error(inputs)


def test_bad_minimum_above_baseline() -> None:
    inputs = _inputs()
    inputs["units"].loc[0, "minimum_t"] = 10000.0  # type: ignore[union-attr]
    assert "above the baseline" in _error(inputs)


def test_bad_no_baseline_and_no_emissions() -> None:
    inputs = _inputs()
    inputs["units"].loc[0, "baseline_t"] = np.nan  # type: ignore[union-attr]
    assert "no baseline_t and no emissions table" in _error(inputs)


def test_bad_negative_baseline() -> None:
    inputs = _inputs()
    inputs["units"].loc[0, "baseline_t"] = -5.0  # type: ignore[union-attr]
    assert "baseline_t" in _error(inputs)


def test_bad_blocks_too_narrow() -> None:
    inputs = _inputs()
    inputs["abatement_costs"] = inputs["abatement_costs"].assign(max_abatement_t=100.0)  # type: ignore[union-attr]
    assert "shortfall" in _error(inputs)


# --- cost blocks from the control-measure library (stepwise, retrospective ranking) -------------


def _measures() -> pd.DataFrame:
    return pd.DataFrame({
        "measure": ["upgrade", "upgrade", "cheap"], "sector": ["food_processing", "households", "households"],
        "pollutant": "COD", "removal_efficiency": [0.6, 0.6, 0.5], "max_application": [0.9, 0.9, 1.0],
        "unit_cost": [5780.0, 5780.0, 3000.0],
    })


def _sector_emissions() -> pd.DataFrame:
    return pd.DataFrame({"year": 2020, "unit": ["u1", "u1", "u2"], "sector": ["food_processing", "households",
                                                                              "households"],
                         "pollutant": "COD", "emission_t": [1000.0, 2000.0, 4000.0]})


def test_measure_blocks_are_ranked_and_act_on_what_is_left() -> None:
    from ecociv.models.total_load_allocation.measures import cost_blocks

    blocks = cost_blocks(_sector_emissions(), _measures())
    u1 = blocks[blocks["unit"] == "u1"].set_index(["sector", "measure"])
    # food: 1000 × 0.6 × 0.9 = 540 t; households: cheap first 2000 × 0.5 = 1000 t, then the upgrade
    # on the 1000 t left: 1000 × 0.54 = 540 t
    assert u1.loc[("food_processing", "upgrade"), "max_abatement_t"] == pytest.approx(540.0)
    assert u1.loc[("households", "cheap"), "max_abatement_t"] == pytest.approx(1000.0)
    assert u1.loc[("households", "upgrade"), "max_abatement_t"] == pytest.approx(540.0)
    assert (blocks["beta"] == 0).all()


def test_allocation_with_the_measure_library() -> None:
    # baselines u1 3000, u2 4000 (from the emissions); allowance 5500: R = 1500 t. The cheap step
    # (3000 yuan/t) holds 1000 t in u1 and 2000 t in u2: least cost uses 1500 t of them,
    # 4.5 million yuan, marginal cost 3000
    units = pd.DataFrame({"basin": "b", "unit": ["u1", "u2"], "pollutant": "COD",
                          "population": [10.0, 30.0], "value_added": [100.0, 100.0]})
    allowances = pd.DataFrame({"basin": ["b"], "pollutant": ["COD"], "allowance_t": [5500.0]})
    out = run({"units": units, "emissions": _sector_emissions(), "measures": _measures(),
               "allowances": allowances, "equity_floor": 0.0})
    summary = out["summary"].set_index("method")
    assert summary.loc["equal_marginal_cost", "cost_yuan"] == pytest.approx(4.5e6)
    assert summary.loc["equal_marginal_cost", "max_marginal_cost"] == pytest.approx(3000.0)
    rows = _method(out, "equal_proportion")
    np.testing.assert_allclose(rows["baseline_t"], [3000.0, 4000.0])


def test_bad_measures_without_emissions() -> None:
    inputs = _inputs()
    del inputs["abatement_costs"]
    inputs["measures"] = _measures()
    assert "needs the emissions table" in _error(inputs)


def test_bad_no_cost_information() -> None:
    inputs = _inputs()
    del inputs["abatement_costs"]
    assert "give abatement_costs, or measures" in _error(inputs)


def test_report_draws_the_allocation_chart(tmp_path: Path) -> None:
    model = get_model("total_load_allocation")
    manifest = run_in_memory(model, model.example(), tmp_path / "out")
    assert model.report is not None
    written = model.report(tmp_path / "out", manifest)
    assert [p.name for p in written] == ["allocation.png"]
    assert written[0].stat().st_size > 1000


def test_example_population_and_value_added_are_the_shipped_figures() -> None:
    # the example's real columns: census 2020 population (persons / 10^4) and 2019 GDP (10^8 yuan)
    root = Path(__file__).resolve().parents[2] / "src" / "ecociv" / "data"
    census = pd.read_csv(root / "belt" / "census_2020.csv", dtype={"adcode": str}).set_index("adcode")
    series = pd.read_csv(root / "industry" / "indicator_series.csv", dtype={"unit": str})
    gdp = series[(series["indicator"] == "gdp") & (series["year"] == 2019)].set_index("unit")["value"]
    units = get_model("total_load_allocation").example()["units"].set_index("unit")
    for unit, row in units.iterrows():
        assert row["population"] == pytest.approx(census.loc[unit, "population_total"] / 1e4)
        assert row["value_added"] == pytest.approx(gdp[unit])
