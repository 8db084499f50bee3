"""rights_market against closed forms: Montgomery's (1972) equilibrium price of a market with
quadratic abatement costs, bounds solved by hand, Stavins' (1995) transaction-cost wedge, a
stepwise market priced at its marginal step, the independence of the outcome from the initial
allocation without transaction costs (Montgomery 1972, Theorem 4 — the 'Coase' property), and
the bad inputs of the issue."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecociv.errors import InputError
from ecociv.models.rights_market import kernels
from ecociv.models.rights_market.model import run


def _market(baseline, allocation, alpha, beta, **extra):
    frame = pd.DataFrame({"participant": [f"p{i}" for i in range(len(baseline))], "market": "SO2",
                          "baseline": baseline, "allocation": allocation,
                          "mac_intercept": alpha, "mac_slope": beta, **extra})
    return frame


def test_closed_form_price_without_bounds():
    b, rights = np.array([1000.0, 800.0, 600.0]), np.array([700.0, 600.0, 400.0])
    alpha, beta = np.array([100.0, 300.0, 50.0]), np.array([2.0, 1.0, 4.0])
    out = run({"participants": _market(b, rights, alpha, beta)})
    required = b.sum() - rights.sum()  # A = 700
    expected = (required + (alpha / beta).sum()) / (1 / beta).sum()  # p* = (A + Σα/β) / Σ1/β
    clearing, trades = out["clearing"].iloc[0], out["trades"]
    assert clearing["price"] == pytest.approx(expected, rel=1e-9)
    assert trades["abatement"].to_numpy() == pytest.approx((expected - alpha) / beta, rel=1e-9)
    assert trades["net_purchase"].sum() == pytest.approx(0.0, abs=1e-6)
    assert trades["marginal_abatement_cost"].to_numpy() == pytest.approx(np.full(3, expected), rel=1e-9)
    assert clearing["saving"] > 0


def test_bounds_active_solved_by_hand():
    # p0 abates cheaply but can abate at most its baseline 100: at the unbounded price
    # (300 + 0/1 + 0/1) / (1 + 1) = 150 it would abate 150 > 100. With a0 = 100 the other must
    # abate 200 at p = 0 + 1·200 = 200; p0's marginal cost at 100 is 100 < 200 (a corner).
    out = run({"participants": _market([100.0, 500.0], [0.0, 300.0], [0.0, 0.0], [1.0, 1.0])})
    trades = out["trades"]
    assert out["clearing"]["price"].iloc[0] == pytest.approx(200.0, rel=1e-9)
    assert trades["abatement"].tolist() == pytest.approx([100.0, 200.0], rel=1e-9)
    assert trades["holding_after"].min() >= -1e-9  # no negative holdings


def test_transaction_cost_wedge():
    # two participants, α = 0, β = 1, baselines 100, rights 50 and 100 (A = 50), cost c = 10:
    # buyer p0 abates p + c, seller p1 abates p; market: (p + 10) + p = 50 -> p = 20
    out = run({"participants": _market([100.0, 100.0], [50.0, 100.0], [0.0, 0.0], [1.0, 1.0]),
               "transaction_cost": 10.0})
    trades, clearing = out["trades"], out["clearing"].iloc[0]
    assert clearing["price"] == pytest.approx(20.0, rel=1e-9)
    assert trades["abatement"].tolist() == pytest.approx([30.0, 20.0], rel=1e-9)
    assert clearing["transaction_costs"] == pytest.approx(200.0, rel=1e-9)  # 20 bought × 10
    # cost without trading: p0 abates 50 at ½·50² = 1250; with: ½·30² + ½·20² + 200 = 850
    assert clearing["cost_without_trading"] == pytest.approx(1250.0)
    assert clearing["cost_with_trading"] == pytest.approx(850.0)


def test_no_trade_band_when_the_wedge_is_wider_than_the_gain():
    out = run({"participants": _market([100.0, 100.0], [60.0, 50.0], [0.0, 0.0], [1.0, 1.0]),
               "transaction_cost": 30.0})
    # at no trade the marginal costs are 40 and 50: a gain of 10 per unit < 30: nobody trades
    assert out["trades"]["net_purchase"].abs().max() == pytest.approx(0.0, abs=1e-6)
    assert out["clearing"]["saving"].iloc[0] == pytest.approx(0.0, abs=1e-6)


def test_stepwise_market_priced_at_the_marginal_step():
    # three measures (the stepwise MAC): unit A 100 t at 500 and 100 t at 2,000 yuan/t,
    # unit B 150 t at 1,000 yuan/t; 300 t must be abated: 100 @500 + 150 @1000 + 50 @2000
    participants = pd.DataFrame({"participant": ["a", "b"], "market": "COD", "unit": ["A", "B"],
                                 "baseline": [300.0, 300.0], "allocation": [150.0, 150.0]})
    curve = pd.DataFrame({"pollutant": "COD", "unit": ["A", "A", "B"],
                          "unit_cost": [500.0, 2000.0, 1000.0], "abatement_t": [100.0, 100.0, 150.0]})
    out = run({"participants": participants, "mac_curve": curve})
    trades = out["trades"].set_index("participant")
    assert out["clearing"]["price"].iloc[0] == pytest.approx(2000.0, rel=1e-6)
    assert trades.loc["a", "abatement"] == pytest.approx(150.0, rel=1e-6)
    assert trades.loc["b", "abatement"] == pytest.approx(150.0, rel=1e-6)
    assert trades["abatement_cost"].sum() == pytest.approx(100 * 500 + 50 * 2000 + 150 * 1000)
    with pytest.raises(InputError, match="shortfall 50"):  # 350 t possible, 400 t needed
        run({"participants": participants.assign(allocation=[100.0, 100.0]), "mac_curve": curve})


def test_allocation_does_not_change_the_outcome_without_transaction_costs():
    b = np.array([1000.0, 800.0, 600.0, 400.0])
    frame = _market(b, [500.0, 600.0, 300.0, 200.0], [100.0, 300.0, 50.0, 0.0], [2.0, 1.0, 4.0, 0.5])
    frame["sector"] = ["power_heat", "power_heat", "steel", "steel"]
    frame["output"] = [10.0, 5.0, 3.0, 4.0]
    caps = pd.DataFrame({"market": ["SO2"], "rights_issued": [1600.0]})
    results = {rule: run({"participants": frame, "caps": caps, "allocation_rule": rule})
               for rule in ("given", "grandfathering", "benchmarking", "auction")}
    prices = [r["clearing"]["price"].iloc[0] for r in results.values()]
    assert prices == pytest.approx([prices[0]] * 4, rel=1e-9)
    for r in results.values():
        assert r["trades"]["abatement"].to_numpy() == pytest.approx(
            results["given"]["trades"]["abatement"].to_numpy(), rel=1e-9)
    equity = results["given"]["allocation_equity"].set_index("rule")
    assert equity.loc["grandfathering", "gini_per_baseline"] == pytest.approx(0.0, abs=1e-12)
    # benchmark of power_heat: the best of 2 participants (share 0.1 -> at least one):
    # intensities 100 and 160 -> 100; steel: 200 and 100 -> 100; free = 100 × output, scaled
    bench = results["benchmarking"]["trades"]["allocation"].to_numpy()
    assert bench == pytest.approx(1600.0 * np.array([10, 5, 3, 4]) / 22, rel=1e-9)
    auction = results["auction"]["clearing"].iloc[0]
    assert auction["auction_revenue"] == pytest.approx(auction["price"] * 1600.0, rel=1e-9)


def test_zone_groups_clear_separately():
    frame = _market([100.0, 100.0, 100.0, 100.0], [50.0, 100.0, 50.0, 100.0],
                    [0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 3.0, 1.0], unit=["U1", "U1", "U2", "U2"])
    zones = pd.DataFrame({"unit": ["U1", "U2"], "zone_group": ["urumqi-changji", "kuitun"]})
    apart = run({"participants": frame, "trading_zones": zones})["clearing"].set_index("zone_group")
    assert apart.loc["urumqi-changji", "price"] == pytest.approx(25.0, rel=1e-9)  # p/1 + p/1 = 50
    assert apart.loc["kuitun", "price"] == pytest.approx(37.5, rel=1e-9)  # p/3 + p/1 = 50
    together = run({"participants": frame})["clearing"]
    assert len(together) == 1 and 25.0 < together["price"].iloc[0] < 37.5
    # a wider market never costs more in total (Montgomery 1972)
    assert together["cost_with_trading"].iloc[0] <= apart["cost_with_trading"].sum() + 1e-6


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(1, 1e4), st.floats(0, 1), st.floats(0, 5e3), st.floats(0.01, 10)),
                min_size=2, max_size=8),
       st.floats(0, 200))
def test_trading_never_costs_more_and_trades_sum_to_zero(rows, cost):
    b = np.array([r[0] for r in rows])
    frame = _market(b, b * np.array([r[1] for r in rows]), [r[2] for r in rows], [r[3] for r in rows])
    out = run({"participants": frame, "transaction_cost": cost})
    clearing, trades = out["clearing"].iloc[0], out["trades"]
    scale = max(1.0, float(b.sum()))
    assert abs(trades["net_purchase"].sum()) <= 1e-6 * scale
    assert clearing["cost_with_trading"] <= clearing["cost_without_trading"] * (1 + 1e-9) + 1e-6
    assert (trades["abatement"] >= -1e-9).all() and (trades["abatement"] <= b + 1e-9).all()
    assert (trades["holding_after"] >= trades["emissions"] - 1e-6 * scale).all()


def test_kernel_plentiful_rights_clear_at_the_floor():
    curves = kernels.Curves(np.zeros(2), np.ones(2), np.array([100.0, 100.0]), np.zeros(0, int),
                            np.zeros(0), np.zeros(0))
    result = kernels.clear(curves, np.array([100.0, 100.0]), np.array([150.0, 100.0]))
    assert result.price == 0.0
    assert result.abatement == pytest.approx([0.0, 0.0])
    assert result.net_purchase == pytest.approx([0.0, 0.0])


@pytest.mark.parametrize("change, inputs, message", [
    ({"market": "mercury"}, {}, "unknown market 'mercury'"),
    ({"participant": "p0"}, {}, "appears twice"),
    ({"mac_slope": np.nan}, {}, "no mac_curve table"),
    ({"allocation": np.nan}, {}, "has no allocation"),
    ({}, {"allocation_rule": "grandfathering"}, "need the caps table"),
    ({}, {"allocation_rule": "benchmarking", "caps": pd.DataFrame({"market": ["SO2"], "rights_issued": [10.0]})},
     "needs sector and output"),
    ({}, {"allocation_rule": "grandfathering",
          "caps": pd.DataFrame({"market": ["NOx"], "rights_issued": [10.0]})}, "caps has no row"),
    ({}, {"quantity_unit": "kWh"}, "quantity_unit must be a mass"),
])
def test_bad_inputs(change, inputs, message):
    frame = _market([100.0, 100.0], [50.0, 50.0], [0.0, 0.0], [1.0, 1.0])
    for column, value in change.items():
        frame.loc[1, column] = value
    with pytest.raises(InputError, match=message):
        run({"participants": frame, **inputs})


# participants from an emission inventory ------------------------------------------------------
def _inventory() -> dict:
    """Units A and B (sector 'power') each emit 100 t of CO2 in 2035, unit C (sector 'cement')
    20 t; the cost curve has one step for A (100 yuan/t, 50 t) and one for B (300 yuan/t, 50 t),
    none for C. A 2030 row and a zero emitter are ignored."""
    emissions = pd.DataFrame({
        "year": [2035, 2035, 2035, 2035, 2030], "unit": ["A", "B", "C", "D", "A"],
        "sector": ["power", "power", "cement", "power", "power"],
        "pollutant": ["CO2"] * 5, "emission_t": [100.0, 100.0, 20.0, 0.0, 80.0]})
    curve = pd.DataFrame({"year": [2035, 2035], "pollutant": ["CO2", "CO2"], "unit": ["A", "B"],
                          "sector": ["power", "power"], "unit_cost": [100.0, 300.0],
                          "abatement_t": [50.0, 50.0]})
    caps = pd.DataFrame({"market": ["CO2"], "zone_group": ["all"], "rights_issued": [165.0]})
    return {"emissions": emissions, "mac_curve": curve, "caps": caps,
            "allocation_rule": "grandfathering", "emissions_year": 2035}


def test_participants_from_an_emission_inventory_solved_by_hand():
    """Cap 165 t on 220 t: grandfathering gives 75 % of each baseline (75, 75, 15 t); 55 t must be
    abated. A's whole step (50 t at 100 yuan/t) then 5 t of B's at 300 yuan/t: price 300 yuan/t.
    A sells 25 t, B buys 20 t, C (no measure: it cannot abate) buys 5 t. Cost with trading
    50 × 100 + 5 × 300 = 6,500 yuan; without trading A and B abate 25 t each (2,500 + 7,500) and C
    cannot abate: 10,000 yuan."""
    out = run(_inventory())
    trades = out["trades"].set_index("participant")
    assert list(trades.index) == ["A/power", "B/power", "C/cement"]
    assert trades["allocation"].tolist() == pytest.approx([75.0, 75.0, 15.0])
    assert trades["abatement"].tolist() == pytest.approx([50.0, 5.0, 0.0])
    assert trades["net_purchase"].tolist() == pytest.approx([-25.0, 20.0, 5.0])
    clearing = out["clearing"].iloc[0]
    assert clearing["price"] == pytest.approx(300.0)
    assert clearing["cost_with_trading"] == pytest.approx(6500.0)
    assert clearing["cost_without_trading"] == pytest.approx(10000.0)


def test_participants_or_emissions_not_both_nor_none():
    inputs = _inventory()
    with pytest.raises(InputError, match="not both"):
        run({**inputs, "participants": pd.DataFrame({"participant": ["x"], "market": ["CO2"],
                                                     "baseline": [1.0]})})
    with pytest.raises(InputError, match="none was given"):
        run({k: v for k, v in inputs.items() if k != "emissions"})
    with pytest.raises(InputError, match=r"no row for year 2040.*2030, 2035"):
        run({**inputs, "emissions_year": 2040})
