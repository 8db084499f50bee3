"""Closed-form networks for the monthly priority allocation (expected flows worked out by hand).

Each network is small enough that the allocation rule (WEAP's: priorities 1–99, equal coverage within
a priority, supply preferences; Yates et al. 2005) fixes every flow; the comments give the arithmetic.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ecociv.errors import InputError
from ecociv.models.water_allocation.network import build_network
from ecociv.models.water_allocation.results import (
    basin_summary,
    delivered,
    groundwater_table,
    mass_balance,
    return_check,
)
from ecociv.models.water_allocation.solver import allocate
from tests.models import water_networks as networks

BASE: dict[str, Any] = {"start": "2001-01", "months": 1,
                        "defaults": {"volume_units": "m**3", "flow_units": "m**3/month"}}


def net_of(nodes: list[dict[str, Any]], links: list[dict[str, Any]], **extra: Any) -> Any:
    doc = copy.deepcopy(BASE)
    doc.update(nodes=nodes, links=links, **extra)
    return build_network(doc, base=Path("."), source="test.yaml")


def run(nodes: list[dict[str, Any]], links: list[dict[str, Any]], **extra: Any) -> tuple[Any, Any]:
    net = net_of(nodes, links, **extra)
    result = allocate(net)
    residual = mass_balance(net, result)
    assert np.abs(residual["relative_residual"]).max() < 1e-6
    assert return_check(net, result) < 1e-6
    return net, result


def given(net: Any, result: Any) -> dict[str, float]:
    return {k: float(v[0]) for k, v in delivered(net, result).items()}


def one_source(users: list[dict[str, Any]], inflow: float = 100.0) -> tuple[Any, Any]:
    return run(*networks.one_source(users, inflow))


def test_scarcity_served_by_priority() -> None:
    # 100 m³ for a priority-1 town (60) and a priority-2 farm (80): town 60, farm the remaining 40
    net, result = one_source([
        {"id": "town", "type": "demand", "sector": "domestic", "priority": 1, "demand": 60},
        {"id": "farm", "type": "demand", "sector": "agriculture", "priority": 2, "demand": 80}])
    got = given(net, result)
    assert got["town"] == pytest.approx(60, rel=1e-6)
    assert got["farm"] == pytest.approx(40, rel=1e-6)


def test_equal_coverage_within_a_priority() -> None:
    # 100 m³ for two priority-4 farms wanting 80 and 120: common coverage 100/200 = 0.5 -> 40 and 60
    net, result = one_source([
        {"id": "a", "type": "demand", "sector": "agriculture", "demand": 80},
        {"id": "b", "type": "demand", "sector": "agriculture", "demand": 120}])
    got = given(net, result)
    assert got["a"] == pytest.approx(40, rel=1e-6)
    assert got["b"] == pytest.approx(60, rel=1e-6)


def test_equal_coverage_then_the_rest_to_who_can_take_it() -> None:
    # farm a can only receive 10 (its canal), so the common coverage is 10/50 = 0.2; farm b then gets
    # all the water a cannot take: 100 − 10 = 90 (> 0.2 × 100): after max-min, max total delivery
    nodes = [{"id": "river", "type": "inflow", "inflow": 100}, {"id": "out", "type": "sink"},
             {"id": "a", "type": "demand", "sector": "agriculture", "demand": 50},
             {"id": "b", "type": "demand", "sector": "agriculture", "demand": 100}]
    links = [{"id": "r", "from": "river", "to": "out"},
             {"id": "sa", "from": "river", "to": "a", "kind": "supply", "capacity": 10},
             {"id": "sb", "from": "river", "to": "b", "kind": "supply"}]
    net, result = run(nodes, links)
    got = given(net, result)
    assert got["a"] == pytest.approx(10, rel=1e-6)
    assert got["b"] == pytest.approx(90, rel=1e-6)


def test_transfer_capacity_binds_and_loses_water() -> None:
    # basin B has 10 m³ for a demand of 50; a transfer from A carries at most 25 m³ and loses 20 %:
    # B receives 10 + 25 × 0.8 = 30
    nodes, links = networks.transfer()
    net, result = run(nodes, links)
    assert given(net, result)["city"] == pytest.approx(30, rel=1e-6)
    assert result.flow[net.links.index(net.link("transfer")), 0] == pytest.approx(25, rel=1e-6)
    # switched off: only the basin's own 10
    links[1]["enabled"] = False
    net, result = run(nodes, links)
    assert given(net, result)["city"] == pytest.approx(10, rel=1e-6)


def test_transfer_used_only_when_needed() -> None:
    # B's own 60 m³ covers its 50: the transfer (dearer than local water) stays at 0
    net, result = run(*networks.transfer(own_inflow=60, loss=0.0))
    assert result.flow[1, 0] == pytest.approx(0, abs=1e-6)
    assert given(net, result)["city"] == pytest.approx(50, rel=1e-6)


def test_reservoir_carries_water_over() -> None:
    # Jan: 100 in, no demand; the reservoir (capacity 80) fills to 80 and 20 spill downstream.
    # Feb: no inflow, demand 50 -> 50 released, 30 left.  Mar: demand 50 -> the last 30.
    nodes = [{"id": "river", "type": "inflow", "inflow": {"series": "q"}},
             {"id": "dam", "type": "reservoir", "capacity": 80, "initial": 0},
             {"id": "out", "type": "sink"},
             {"id": "farm", "type": "demand", "sector": "agriculture", "demand": {"series": "d"}}]
    links = [{"id": "r1", "from": "river", "to": "dam"}, {"id": "spill", "from": "dam", "to": "out"},
             {"id": "s", "from": "dam", "to": "farm", "kind": "supply"}]
    folder = Path(__file__).parent / "_wa_tmp"
    folder.mkdir(exist_ok=True)
    (folder / "series.csv").write_text("month,q,d\n2001-01,100,0\n2001-02,0,50\n2001-03,0,50\n")
    doc = copy.deepcopy(BASE)
    doc.update(months=3, nodes=nodes, links=links, series=[{"file": "series.csv", "units": "m**3/month"}])
    try:
        net = build_network(doc, base=folder, source="test.yaml")
    finally:
        (folder / "series.csv").unlink()
        folder.rmdir()
    result = allocate(net)
    assert np.allclose(result.reservoir_storage[0], [80, 30, 0], atol=1e-5)
    assert np.allclose(delivered(net, result)["farm"], [0, 50, 30], atol=1e-5)
    assert result.flow[1, 0] == pytest.approx(20, abs=1e-5)
    assert np.abs(mass_balance(net, result)["relative_residual"]).max() < 1e-6


def test_return_flow_reused_downstream() -> None:
    # upstream town takes 60 of 100 and returns half (30) below its intake; the downstream farm
    # (demand 90) finds 40 + 30 = 70
    net, result = run(*networks.return_downstream())
    got = given(net, result)
    assert got["town"] == pytest.approx(60, rel=1e-6)
    assert got["farm"] == pytest.approx(70, rel=1e-6)


def test_supply_preference_and_groundwater_only_when_needed() -> None:
    # surface water (preference 1) covers 70 of the 100 wanted; the well (preference 2) the other 30
    _, result = run(*networks.groundwater_second_source())
    assert result.flow[1, 0] == pytest.approx(70, rel=1e-6)
    assert result.flow[2, 0] == pytest.approx(30, rel=1e-6)
    assert result.aquifer_storage[0, 0] == pytest.approx(970, rel=1e-6)


def test_annual_pumping_limit_and_overdraft() -> None:
    # 20 m³/month from the aquifer only, limit 120 m³/yr: Jan–Jun served, Jul–Dec nothing.
    # sustainable yield 60 m³/yr -> overdraft 120 − 60 = 60
    net = net_of(*networks.pumping_limit(), months=12)
    result = allocate(net)
    got = delivered(net, result)["farm"]
    assert np.allclose(got, [20] * 6 + [0] * 6, atol=1e-6)
    table = groundwater_table(net, result)
    assert table["overdraft_m3"].iloc[0] == pytest.approx(60, rel=1e-6)
    summary = basin_summary(net, result)
    row = summary[(summary["basin"] == "B") & (summary["sector"] == "all")].iloc[0]
    assert row["groundwater_overdraft_1e8m3_per_yr"] == pytest.approx(60 / 1e8, rel=1e-6)


def test_water_use_cap_limits_the_group() -> None:
    # two farms of basin M want 60 each from 200 m³; a cap of 12 × 90 m³/yr spread by demand gives 90
    # this month, shared equally (priority 4): 45 each
    nodes = [{"id": "river", "type": "inflow", "inflow": 200}, {"id": "out", "type": "sink"},
             {"id": "a", "type": "demand", "sector": "agriculture", "demand": 60, "basin": "M"},
             {"id": "b", "type": "demand", "sector": "agriculture", "demand": 60, "basin": "M"}]
    links = [{"id": "r", "from": "river", "to": "out"}, {"id": "sa", "from": "river", "to": "a", "kind": "supply"},
             {"id": "sb", "from": "river", "to": "b", "kind": "supply"}]
    net, result = run(nodes, links, caps=[{"id": "m", "group": "M", "cap": "1080 m**3/yr"}])
    got = given(net, result)
    # one month of a 1080 m³/yr cap: 1080 × 1/12 = 90
    assert got["a"] + got["b"] == pytest.approx(90, rel=1e-6)
    assert got["a"] == pytest.approx(45, rel=1e-6)


def test_minimum_flow_requirement_outranks_agriculture() -> None:
    # an ecological flow of 30 m³ (priority 2) on the reach below the intake comes before the farm
    # (priority 4): of 100 m³ the farm gets 70
    net, result = run(*networks.minimum_flow(), requirements=[{"id": "eco", "link": "reach", "flow": 30}])
    assert given(net, result)["farm"] == pytest.approx(70, rel=1e-6)


def test_lower_priority_never_takes_from_higher() -> None:
    # adding a big priority-5 user leaves priorities 1–3 exactly as they were (random demands and
    # inflows, seeded; the inflows are often short of the three demands)
    rng = np.random.default_rng(5)
    for _ in range(5):
        demands = rng.uniform(10, 80, 3)
        inflow = float(rng.uniform(50, 150))
        users = [{"id": f"u{i}", "type": "demand", "sector": "industry", "priority": i + 1, "demand": float(d)}
                 for i, d in enumerate(demands)]
        before = given(*one_source(users, inflow=inflow))
        after = given(*one_source([*users, {"id": "big", "type": "demand", "sector": "agriculture",
                                            "priority": 5, "demand": 500.0}], inflow=inflow))
        for key in before:
            assert after[key] == pytest.approx(before[key], rel=1e-7, abs=1e-6)


def test_seepage_recharges_the_aquifer_and_balances_close() -> None:
    # a canal loses 30 % of 100 m³ to the aquifer: the farm gets 70, the aquifer gains 30
    net, result = run(*networks.seepage())
    assert given(net, result)["farm"] == pytest.approx(70, rel=1e-6)
    assert result.aquifer_storage[0, 0] == pytest.approx(30, rel=1e-6)


# -- bad input -------------------------------------------------------------------------------------

def test_link_to_missing_node_is_named() -> None:
    with pytest.raises(InputError, match=r"link 'sb'.*'to: farmm'.*did you mean 'farm'"):
        net_of([{"id": "river", "type": "inflow", "inflow": 1}, {"id": "farm", "type": "demand",
                "sector": "agriculture", "demand": 1}, {"id": "out", "type": "sink"}],
               [{"id": "r", "from": "river", "to": "out"},
                {"id": "sb", "from": "river", "to": "farmm", "kind": "supply"}])


def test_priority_outside_1_99_is_named() -> None:
    with pytest.raises(InputError, match=r"node 'farm'.priority.*1 \(first\) to 99"):
        one_source([{"id": "farm", "type": "demand", "sector": "agriculture", "priority": 100, "demand": 1}])
    with pytest.raises(InputError, match=r"node 'farm'.priority"):
        one_source([{"id": "farm", "type": "demand", "sector": "agriculture", "priority": 0, "demand": 1}])


def test_demand_without_a_path_is_named() -> None:
    with pytest.raises(InputError, match=r"node 'lonely'.*no path from any source"):
        net_of([{"id": "river", "type": "inflow", "inflow": 1}, {"id": "out", "type": "sink"},
                {"id": "j", "type": "junction"},
                {"id": "lonely", "type": "demand", "sector": "industry", "demand": 5}],
               [{"id": "r", "from": "river", "to": "out"},
                {"id": "s", "from": "j", "to": "lonely", "kind": "supply"}])


def test_lossless_transfer_cycle_is_named() -> None:
    with pytest.raises(InputError, match=r"t1, t2 form a loop.*a -> b -> a"):
        net_of([{"id": "src", "type": "inflow", "inflow": 1}, {"id": "a", "type": "junction"},
                {"id": "b", "type": "junction"}, {"id": "out", "type": "sink"}],
               [{"id": "in", "from": "src", "to": "a"}, {"id": "t1", "from": "a", "to": "b", "kind": "transfer"},
                {"id": "t2", "from": "b", "to": "a", "kind": "transfer"}, {"id": "o", "from": "b", "to": "out"}])
    # with a loss on one leg the loop is allowed
    net_of([{"id": "src", "type": "inflow", "inflow": 1}, {"id": "a", "type": "junction"},
            {"id": "b", "type": "junction"}, {"id": "out", "type": "sink"}],
           [{"id": "in", "from": "src", "to": "a"}, {"id": "t1", "from": "a", "to": "b", "kind": "transfer"},
            {"id": "t2", "from": "b", "to": "a", "kind": "transfer", "loss": 0.1},
            {"id": "o", "from": "b", "to": "out"}])


def test_negative_and_short_series_are_named(tmp_path: Path) -> None:
    nodes = [{"id": "river", "type": "inflow", "inflow": {"series": "q"}}, {"id": "out", "type": "sink"}]
    links = [{"id": "r", "from": "river", "to": "out"}]
    doc = copy.deepcopy(BASE)
    doc.update(months=3, nodes=nodes, links=links, series=[{"file": "q.csv", "units": "m**3/s"}])
    (tmp_path / "q.csv").write_text("month,q\n2001-01,1\n2001-02,-2\n2001-03,1\n")
    with pytest.raises(InputError, match=r"q.csv: line 3, column 'q': series 'q' month 2001-02: value -2"):
        build_network(doc, base=tmp_path, source="n.yaml")
    (tmp_path / "q.csv").write_text("month,q\n2001-01,1\n2001-02,2\n")
    with pytest.raises(InputError, match=r"series 'q' has 2 months but the run needs 3.*first missing month 2001-03"):
        build_network(doc, base=tmp_path, source="n.yaml")


def test_side_files_of_a_network_are_named_not_tracebacks(tmp_path: Path) -> None:
    # a missing climate or series file, or a series without 'month' when the run length comes from
    # the series, raised FileNotFoundError / KeyError; a negative climate value named no line
    nodes = [{"id": "river", "type": "inflow", "inflow": {"series": "q"}}, {"id": "out", "type": "sink"}]
    doc = {"start": "2001-01", "nodes": nodes, "links": [{"id": "r", "from": "river", "to": "out"}],
           "series": [{"file": "q.csv", "units": "m**3/s"}]}
    with pytest.raises(InputError, match=r"n.yaml: series\[0\]: series file .*q.csv does not exist"):
        build_network(doc, base=tmp_path, source="n.yaml")
    (tmp_path / "q.csv").write_text("mon,q\n2001-01,1\n")
    with pytest.raises(InputError, match=r"q.csv: needs a 'month' column"):
        build_network(doc, base=tmp_path, source="n.yaml")
    (tmp_path / "q.csv").write_text("month,q\n2001-01,1\n")
    with_climate = {**doc, "climate": {"file": "climate.csv"}}
    with pytest.raises(InputError, match=r"n.yaml: climate.file: climate file .*climate.csv does not exist"):
        build_network(with_climate, base=tmp_path, source="n.yaml")
    rows = [f"oasis,{m},{10 * m},{-4 if m == 3 else 1}" for m in range(1, 13)]
    (tmp_path / "climate.csv").write_text("climate,month,et0_mm,precipitation_mm\n" + "\n".join(rows) + "\n")
    with pytest.raises(InputError, match=r"climate.csv: line 4, column 'precipitation_mm': value -4 is not a "
                                         r"non-negative number"):
        build_network(with_climate, base=tmp_path, source="n.yaml")


def test_negative_inflow_constant_is_named() -> None:
    with pytest.raises(InputError, match=r"node 'river'.inflow.*negative"):
        net_of([{"id": "river", "type": "inflow", "inflow": -5}, {"id": "out", "type": "sink"}],
               [{"id": "r", "from": "river", "to": "out"}])


def test_negative_annual_inflow_and_storage_are_named_when_loading() -> None:
    # a negative annual inflow used to pass loading and fail later as an infeasible LP
    with pytest.raises(InputError, match=r"node 'river'.inflow.annual: -30000 is negative.*flow must be ≥ 0"):
        net_of([{"id": "river", "type": "inflow", "inflow": {"annual": -30000, "monthly_shares": [1 / 12] * 12}},
                {"id": "out", "type": "sink"}], [{"id": "r", "from": "river", "to": "out"}],
               defaults={"flow_units": "m**3/yr"})
    with pytest.raises(InputError, match=r"node 'wells'.initial: '-5 m\*\*3' is negative.*volume must be ≥ 0"):
        net_of([{"id": "wells", "type": "aquifer", "initial": "-5 m**3"}, {"id": "out", "type": "sink"}],
               [{"id": "w", "from": "wells", "to": "out"}])
    with pytest.raises(InputError, match=r"node 'wells'.sustainable_yield: .* is negative"):
        net_of([{"id": "wells", "type": "aquifer", "initial": "5 m**3", "sustainable_yield": "-1 m**3/yr"},
                {"id": "out", "type": "sink"}], [{"id": "w", "from": "wells", "to": "out"}])


def test_units_are_converted_once() -> None:
    # 1 m³/s for January (31 d) = 2 678 400 m³; 1.2e8 m³/yr for January = 1.2e8 × 31 / 365.25
    net = net_of([{"id": "a", "type": "inflow", "inflow": "1 m**3/s"},
                  {"id": "b", "type": "inflow", "inflow": "1.2 hundred_million m**3/yr"},
                  {"id": "c", "type": "inflow", "inflow": "5 ten_thousand m**3/month"},
                  {"id": "out", "type": "sink"}],
                 [{"id": f"{k}o", "from": k, "to": "out"} for k in "abc"])
    assert net.nodes["a"].inflow[0] == pytest.approx(2_678_400)
    assert net.nodes["b"].inflow[0] == pytest.approx(1.2e8 * 31 / 365.25)
    assert net.nodes["c"].inflow[0] == pytest.approx(5e4)


def test_infeasible_step_names_node_and_month() -> None:
    # 100 m³ arrive at a junction whose only way out carries 40: the diagnosis names it
    nodes = [{"id": "river", "type": "inflow", "inflow": 100}, {"id": "gorge", "type": "junction"},
             {"id": "out", "type": "sink"}]
    links = [{"id": "r", "from": "river", "to": "gorge"}, {"id": "g", "from": "gorge", "to": "out", "capacity": 40}]
    with pytest.raises(InputError, match=r"step 2001-01.*junction 'gorge' has 60 m³ that cannot leave"):
        allocate(net_of(nodes, links))


def test_wrong_units_and_keys_are_named() -> None:
    with pytest.raises(InputError, match=r"node 'dam'.capacity.*not a volume"):
        net_of([{"id": "dam", "type": "reservoir", "capacity": "5 m**3/s"}], [])
    with pytest.raises(InputError, match=r"unknown key 'nodez'"):
        build_network({**BASE, "nodez": []}, base=Path("."), source="x.yaml")
    with pytest.raises(InputError, match=r"unknown node type 'reservior'.*did you mean 'reservoir'"):
        net_of([{"id": "dam", "type": "reservior"}], [])


def test_structural_mistakes_are_named(tmp_path: Path) -> None:
    river = {"id": "river", "type": "inflow", "inflow": 10}
    out = {"id": "out", "type": "sink"}
    farm = {"id": "farm", "type": "demand", "sector": "agriculture", "demand": 5}
    down = {"id": "r", "from": "river", "to": "out"}
    with pytest.raises(InputError, match=r"link 's': a supply link must end at a demand site, not at sink 'out'"):
        net_of([river, out], [down, {"id": "s", "from": "river", "to": "out", "kind": "supply"}])
    with pytest.raises(InputError, match=r"node 'farm'.*return_fraction is 0.4 but the site has no return link"):
        net_of([river, out, {**farm, "return_fraction": 0.4}],
               [down, {"id": "s", "from": "river", "to": "farm", "kind": "supply"}])
    with pytest.raises(InputError, match=r"requirement 'eco'.*names link 'rr', which does not exist.*did you mean 'r'"):
        net_of([river, out], [down], requirements=[{"id": "eco", "link": "rr", "flow": 1}])
    with pytest.raises(InputError, match=r"caps\[0\].*no demand site has basin or unit 'Manass'"):
        net_of([river, out, {**farm, "basin": "Manas"}],
               [down, {"id": "s", "from": "river", "to": "farm", "kind": "supply"}],
               caps=[{"group": "Manass", "cap": "1 m**3/yr"}])
    with pytest.raises(InputError, match=r"node 'river'.*no enabled link leaves it"):
        net_of([river, out], [])
    # a lake curve that is not monotonic is named with its file and line
    (tmp_path / "curve.csv").write_text("level,area,volume\nm,km**2,m**3\n1,1,10\n2,2,5\n")
    lake = {"id": "lake", "type": "lake", "curve": "curve.csv", "initial_volume": 5, "evaporation_mm": 100}
    doc = copy.deepcopy(BASE)
    doc.update(nodes=[river, lake], links=[{"id": "in", "from": "river", "to": "lake"}])
    with pytest.raises(InputError, match=r"curve.csv: line 4.*volume.*monotonic"):
        build_network(doc, base=tmp_path, source="n.yaml")


def test_mass_balance_closes_on_random_networks() -> None:
    # seeded random chains with losses, seepage, returns, a reservoir and wells: every node and month
    # closes to 1e-6 of its throughput and returns are exactly the declared fraction
    rng = np.random.default_rng(11)
    for _ in range(6):
        q = [float(v) for v in rng.uniform(0, 200, 12)]
        d = [float(v) for v in rng.uniform(0, 120, 12)]
        nodes = [{"id": "river", "type": "inflow", "inflow": {"monthly": q}},
                 {"id": "dam", "type": "reservoir", "capacity": float(rng.uniform(50, 300)),
                  "initial": 20, "area": "0.01 km**2", "evaporation_mm": [float(rng.uniform(0, 200))] * 12},
                 {"id": "mid", "type": "junction"}, {"id": "gw", "type": "aquifer", "initial": 100,
                                                     "recharge": 5, "pumping_limit": "300 m**3/yr"},
                 {"id": "town", "type": "demand", "sector": "domestic", "demand": {"monthly": d},
                  "return_fraction": float(rng.uniform(0, 0.9))},
                 {"id": "farm", "type": "demand", "sector": "agriculture", "demand": {"monthly": d[::-1]}},
                 {"id": "out", "type": "sink"}]
        links = [{"id": "a", "from": "river", "to": "dam"}, {"id": "b", "from": "dam", "to": "mid",
                                                               "loss": float(rng.uniform(0, 0.3)), "loss_to": "gw"},
                 {"id": "c", "from": "mid", "to": "out"},
                 {"id": "s1", "from": "dam", "to": "town", "kind": "supply"},
                 {"id": "r1", "from": "town", "to": "mid", "kind": "return"},
                 {"id": "s2", "from": "mid", "to": "farm", "kind": "supply", "loss": 0.1},
                 {"id": "w", "from": "gw", "to": "farm", "kind": "supply", "preference": 2}]
        net = net_of(nodes, links, months=24)
        result = allocate(net)
        assert np.abs(mass_balance(net, result)["relative_residual"]).max() < 1e-6
        assert return_check(net, result) < 1e-6


def test_reservoir_without_spill_is_named() -> None:
    # returns into a full reservoir with no way out would silently cut the delivery behind them
    with pytest.raises(InputError, match=r"node 'dam' \(reservoir\).*no enabled link leaves it.*must spill"):
        net_of([{"id": "river", "type": "inflow", "inflow": 10}, {"id": "dam", "type": "reservoir", "capacity": 5}],
               [{"id": "r", "from": "river", "to": "dam"}])


def test_overdraft_shared_by_unit_pumping() -> None:
    # two towns of different units pump 30 and 10 m³/month from one aquifer (sustainable yield 240 m³/yr):
    # 480 m³ pumped, overdraft 240, shared 3:1 -> 180 and 60
    from ecociv.models.water_allocation.results import groundwater_units_table

    nodes = [{"id": "gw", "type": "aquifer", "initial": 1e6, "sustainable_yield": "240 m**3/yr"},
             {"id": "a", "type": "demand", "sector": "domestic", "demand": 30, "unit": "650102"},
             {"id": "b", "type": "demand", "sector": "domestic", "demand": 10, "unit": "650103"}]
    links = [{"id": "wa", "from": "gw", "to": "a", "kind": "supply"}, {"id": "wb", "from": "gw", "to": "b",
                                                                       "kind": "supply"}]
    net = net_of(nodes, links, months=12)
    table = groundwater_units_table(net, allocate(net)).set_index("unit")
    assert table.loc["650102", "pumping_m3"] == pytest.approx(360)
    assert table.loc["650102", "overdraft_m3"] == pytest.approx(180)
    assert table.loc["650103", "overdraft_m3"] == pytest.approx(60)


def test_ecological_water_counts_lake_minimum_met(tmp_path: Path) -> None:
    # a lake wanting 40 m³ a month (priority 2) gets the whole 100 m³ river: its inflow is 100 and the
    # ecological water 40 per month, i.e. 12 × 40 m³/yr in the basin summary
    (tmp_path / "curve.csv").write_text("level,area,volume\nm,km**2,m**3\n0,0,0\n1,1,1e6\n")
    doc = copy.deepcopy(BASE)
    doc.update(months=12, nodes=[{"id": "river", "type": "inflow", "inflow": 100, "basin": "L"},
                                 {"id": "lake", "type": "lake", "curve": "curve.csv", "initial_volume": 0,
                                  "evaporation_mm": 0, "minimum_inflow": 40, "basin": "L"}],
               links=[{"id": "in", "from": "river", "to": "lake"}])
    net = build_network(doc, base=tmp_path, source="n.yaml")
    row = basin_summary(net, allocate(net)).set_index(["basin", "sector"]).loc[("L", "all")]
    assert row["ecological_water_1e8m3_per_yr"] == pytest.approx(12 * 40 / 1e8)
    assert row["terminal_lake_inflow_1e8m3_per_yr"] == pytest.approx(12 * 100 / 1e8)


def test_shortcuts_give_the_reference_allocation() -> None:
    # the one-program months and the "last month's short level first" guess must not change the
    # allocation: compare with every level solved every month, on the example network with dry and
    # wet years (tie-breaking costs make the optimum unique)
    from ecociv.models.water_allocation.ensemble import perturbed_inflows
    from ecociv.models.water_allocation.model import MODEL
    from ecociv.models.water_allocation.network import load_network

    net = load_network(MODEL.example()["network"])
    base = {n: node.inflow.copy() for n, node in net.nodes.items() if np.any(node.inflow > 0)}
    for member in range(4):
        for node, series in perturbed_inflows(base, net.calendar.years, member, seed=9, sigma=0.5).items():
            net.nodes[node].inflow = series
        fast, reference = allocate(net), allocate(net, shortcuts=False)
        assert fast.solves < reference.solves
        got, expected = delivered(net, fast), delivered(net, reference)
        for site in got:
            np.testing.assert_allclose(got[site], expected[site], rtol=1e-7, atol=1e-3 * max(expected[site].max(), 1))
        np.testing.assert_allclose(fast.reservoir_storage, reference.reservoir_storage, rtol=1e-7, atol=1.0)


def test_unproven_coverage_falls_back_to_the_two_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    # a level with several targets is served by one program (coverage weighted far above the
    # shares) whose coverage is then proven maximal from the optimal basis. With no weight on the
    # coverage the program maximises the shares alone: where that lowers the common coverage the
    # proof must fail and the level be solved in two steps; where it passes it must be right. Both
    # give the every-level reference allocation.
    from ecociv.models.water_allocation import solver
    from ecociv.models.water_allocation.ensemble import perturbed_inflows
    from ecociv.models.water_allocation.model import MODEL
    from ecociv.models.water_allocation.network import load_network

    net = load_network(MODEL.example()["network"])
    base = {n: node.inflow.copy() for n, node in net.nodes.items() if np.any(node.inflow > 0)}
    proofs = {True: np.zeros(2, dtype=int), False: np.zeros(2, dtype=int)}
    for member in range(4):
        for node, series in perturbed_inflows(base, net.calendar.years, member, seed=9, sigma=0.5).items():
            net.nodes[node].inflow = series
        reference = allocate(net, shortcuts=False)
        assert reference.proofs == (0, 0)
        for weighted in (True, False):
            monkeypatch.setattr(solver, "COVERAGE_WEIGHT", 1e3 if weighted else 0.0)
            fast = allocate(net)
            proofs[weighted] += fast.proofs
            np.testing.assert_allclose(fast.site_delivered, reference.site_delivered, rtol=0,
                                       atol=1e-7 * reference.site_delivered.max())
            np.testing.assert_allclose(fast.reservoir_storage, reference.reservoir_storage, rtol=0,
                                       atol=1e-7 * reference.reservoir_storage.max())
    assert proofs[True][0] > 0 and proofs[True][1] == 0  # the weight suffices on this network
    assert proofs[False][1] > 0  # without it some coverages are not maximal, and that is caught
    assert proofs[False][0] > 0


def test_unproven_one_program_month_falls_back_to_the_levels(monkeypatch: pytest.MonkeyPatch) -> None:
    # a month with levels expected short is tried in ONE program (each level's objective weighted
    # far above the next) and kept only when its basis proves it the level-by-level optimum. With
    # weights too small (0.01) to order the levels some optima are not, the proof must reject them
    # and the month be solved level by level; the allocation is the reference's either way. With
    # the proof switched off the same weights give a different allocation (the proof is needed).
    from ecociv.models.water_allocation import solver
    from ecociv.models.water_allocation.ensemble import perturbed_inflows
    from ecociv.models.water_allocation.model import MODEL
    from ecociv.models.water_allocation.network import load_network

    net = load_network(MODEL.example()["network"])
    base = {n: node.inflow.copy() for n, node in net.nodes.items() if np.any(node.inflow > 0)}
    merges = {1e4: np.zeros(2, dtype=int), 1e-2: np.zeros(2, dtype=int)}
    for member in range(4):
        for node, series in perturbed_inflows(base, net.calendar.years, member, seed=9, sigma=0.5).items():
            net.nodes[node].inflow = series
        reference = allocate(net, shortcuts=False)
        for weight in merges:
            monkeypatch.setattr(solver, "MERGE_WEIGHT", weight)
            fast = allocate(net)
            merges[weight] += fast.merges
            for got, expected in ((fast.site_delivered, reference.site_delivered),
                                  (fast.reservoir_storage, reference.reservoir_storage)):
                np.testing.assert_allclose(got, expected, rtol=0, atol=1e-11 * expected.max())
    assert merges[1e4][0] > 0 and merges[1e4][1] == 0  # the weights suffice on this network
    assert merges[1e-2][1] > 0 and merges[1e-2][0] > 0  # too small: some months are caught
    for node, series in perturbed_inflows(base, net.calendar.years, 0, seed=9, sigma=0.5).items():
        net.nodes[node].inflow = series
    reference = allocate(net, shortcuts=False)
    monkeypatch.setattr(solver, "_lexicographic_proof", lambda *args: True)
    unchecked = allocate(net)
    assert np.abs(unchecked.site_delivered - reference.site_delivered).max() > 1e-3 * reference.site_delivered.max()


def test_monthly_pumping_limit_spreads_the_allowance() -> None:
    # the same 120 m³/yr as a monthly limit (10 m³ every month): 10 of the 20 wanted, all year round,
    # instead of 20 until June and nothing after
    nodes, links = networks.pumping_limit()
    nodes[0]["pumping_limit"] = {"annual": "120 m**3/yr", "monthly_shares": [1 / 12] * 12}
    net = net_of(nodes, links, months=12)
    assert np.allclose(delivered(net, allocate(net))["farm"], 10, atol=1e-6)


def test_misspelt_keys_are_named() -> None:
    river = {"id": "river", "type": "inflow", "inflow": 10}
    with pytest.raises(InputError, match=r"node 'dam'.*unknown key 'capcity'.*did you mean 'capacity'"):
        net_of([river, {"id": "dam", "type": "reservoir", "capcity": 5, "capacity": 5}], [])
    with pytest.raises(InputError, match=r"link 'r'.*unknown key 'los'.*did you mean 'loss'"):
        net_of([river, {"id": "out", "type": "sink"}], [{"id": "r", "from": "river", "to": "out", "los": 0.1}])
    with pytest.raises(InputError, match=r"node 'farm'.irrigation.*unknown key 'efficency'"):
        net_of([river, {"id": "farm", "type": "demand", "sector": "agriculture",
                        "irrigation": {"crops": {"cotton": "1 ha"}, "climate": "x", "efficency": 0.5}}], [])


def test_domestic_and_industry_demand_on_the_calendar() -> None:
    # 100 000 people × 150 L/d: February 2004 (leap) 100 000 × 0.15 m³ × 29 d = 435 000 m³;
    # 1e9 yuan/yr × 12 m³ per 10⁴ yuan = 1.2e6 m³ in each calendar year, by days (Feb 2004: × 29/366)
    doc = copy.deepcopy(BASE)
    doc.update(start="2003-11", months=16, nodes=[
        {"id": "river", "type": "inflow", "inflow": "1 m**3/s"}, {"id": "out", "type": "sink"},
        {"id": "town", "type": "demand", "sector": "domestic",
         "domestic_use": {"population": "10 ten_thousand", "per_capita": "150 L/d"}},
        {"id": "plant", "type": "demand", "sector": "industry",
         "industry_use": {"value_added": "10 hundred_million yuan/yr", "intensity": "12 m**3/(ten_thousand yuan)"}}],
        links=[{"id": "r", "from": "river", "to": "out"}, {"id": "a", "from": "river", "to": "town", "kind": "supply"},
               {"id": "b", "from": "river", "to": "plant", "kind": "supply"}])
    net = build_network(doc, base=Path("."), source="n.yaml")
    february = net.calendar.labels.index("2004-02")
    assert net.demands["town"].demand[february] == pytest.approx(435_000)
    assert net.demands["plant"].demand[february] == pytest.approx(1.2e6 * 29 / 366)
    assert net.demands["plant"].demand[2:14].sum() == pytest.approx(1.2e6)  # 2004-01 .. 2004-12


def test_default_units_must_be_a_volume_and_a_flow() -> None:
    with pytest.raises(InputError, match=r"defaults.flow_units.*not a flow"):
        build_network({**BASE, "defaults": {"volume_units": "m**3", "flow_units": "m**3"}, "nodes": [], "links": []},
                      base=Path("."), source="n.yaml")
    with pytest.raises(InputError, match=r"defaults.volume_units.*not a volume"):
        build_network({**BASE, "defaults": {"volume_units": "m**3/s"}, "nodes": [], "links": []},
                      base=Path("."), source="n.yaml")


def test_network_file_with_a_key_twice_or_not_utf8_is_named(tmp_path: Path) -> None:
    from ecociv.models.water_allocation.network import load_network

    path = tmp_path / "network.yaml"
    path.write_text("start: 2001-01\nmonths: 1\nnodes:\n  - {id: river, type: inflow, inflow: '1 m**3/s'}\n"
                    "  - {id: out, type: sink}\nlinks:\n  - {id: r, from: river, to: out}\nmonths: 2\n")
    with pytest.raises(InputError, match=r"network.yaml.*duplicate key 'months'.*line 2.*line 8"):
        load_network(tmp_path)
    path.write_bytes("name: 玛纳斯河\nstart: 2001-01\n".encode("gbk"))
    with pytest.raises(InputError, match=r"network.yaml: network file is not UTF-8 text"):
        load_network(path)
