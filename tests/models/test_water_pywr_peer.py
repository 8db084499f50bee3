"""Peer test: the closed-form networks of test_water_allocation.py run in Pywr give the same flows.

Each network is written once in our format, resolved by ``build_network``, allocated by our engine
(``allocate``) and by Pywr 1.31 on the translation of :mod:`tests.models.pywr_peer`
(Tomlinson J.E., Arnott J.H., Harou J.J. 2020, "A water resource simulator in Python",
Environmental Modelling & Software 126: 104635). Deliveries per site, storages per step and flows
per link are compared to 1e-6 relative. The expected values themselves are worked out in
test_water_allocation.py; here only the two tools are compared. Where the tools differ by design
(no equal-coverage rule within a priority in Pywr) the test checks that the difference is exactly
the documented one.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("pywr")

from ecociv.models.water_allocation.network import Network, build_network
from ecociv.models.water_allocation.results import delivered
from ecociv.models.water_allocation.solver import Result, allocate
from tests.models import water_networks as networks
from tests.models.pywr_peer import PeerResult, allocate_pywr

BASE: dict[str, Any] = {"start": "2001-01", "months": 1,
                        "defaults": {"volume_units": "m**3", "flow_units": "m**3/month"}}
RTOL = 1e-6


@pytest.fixture(autouse=True)
def _free_pywr_in_this_thread() -> Any:
    """Collect Pywr's objects after each test, in the main thread: collected later in a dask worker
    thread of another test, GLPK (thread-local environment) aborts the test session."""
    import gc

    yield
    gc.collect()

ATOL = 1e-6  # m³, for volumes of 10–100 m³


def close(actual: np.ndarray, desired: np.ndarray, what: str = "") -> None:
    """Equal to 1e-6 relative to the largest volume compared (values near 0 are compared absolutely:
    the engine fixes coverage fractions to 1 − 1e-9, leaving up to 1e-9 × demand in a store)."""
    desired = np.asarray(desired, dtype=float)
    scale = max(float(np.abs(desired).max(initial=0.0)), 1.0)
    np.testing.assert_allclose(actual, desired, rtol=RTOL, atol=RTOL * scale, err_msg=what)


def net_of(nodes: list[dict[str, Any]], links: list[dict[str, Any]], **extra: Any) -> Network:
    doc = copy.deepcopy(BASE)
    doc.update(nodes=nodes, links=links, **extra)
    return build_network(doc, base=Path("."), source="peer.yaml")


def both(net: Network) -> tuple[Result, PeerResult]:
    """Our allocation and Pywr's, with the storages and the sites' deliveries compared."""
    ours, theirs = allocate(net), allocate_pywr(net)
    given = delivered(net, ours)
    for i, site in enumerate(theirs.site_ids):
        close(theirs.delivered[i], given[site], f"delivered to {site}")
    close(theirs.reservoir_storage, ours.reservoir_storage, "reservoir storage")
    close(theirs.aquifer_storage, ours.aquifer_storage, "aquifer storage")
    return ours, theirs


def same_flows(ours: Result, theirs: PeerResult) -> None:
    close(theirs.flow, ours.flow, "link flows")
    close(theirs.arrival, ours.arrival, "link arrivals")


def one_source(users: list[dict[str, Any]], inflow: float = 100.0) -> Network:
    return net_of(*networks.one_source(users, inflow))


def test_one_source_two_users_by_priority() -> None:
    # test_scarcity_served_by_priority: town (priority 1) and farm (priority 2) share 100 m³
    net = one_source([{"id": "town", "type": "demand", "sector": "domestic", "priority": 1, "demand": 60},
                      {"id": "farm", "type": "demand", "sector": "agriculture", "priority": 2, "demand": 80}])
    same_flows(*both(net))


def test_equal_sharing_differs_only_in_the_split() -> None:
    # test_equal_coverage_within_a_priority: two priority-4 farms (80, 120) share 100 m³. The engine
    # gives both the same coverage; Pywr has no such rule (module docstring, "Differences by design"):
    # both tools give the level the same total and fill no site beyond its demand, but Pywr's split
    # is whatever vertex GLPK returns. The difference is exactly a re-split within the level.
    net = one_source([{"id": "a", "type": "demand", "sector": "agriculture", "demand": 80},
                      {"id": "b", "type": "demand", "sector": "agriculture", "demand": 120}])
    ours, theirs = allocate(net), allocate_pywr(net)
    given = delivered(net, ours)
    pywr_given = dict(zip(theirs.site_ids, theirs.delivered[:, 0], strict=True))
    assert pywr_given["a"] + pywr_given["b"] == pytest.approx(given["a"][0] + given["b"][0], rel=RTOL)
    assert 0 <= pywr_given["a"] <= 80 + ATOL and 0 <= pywr_given["b"] <= 120 + ATOL
    assert given["a"][0] / 80 == pytest.approx(given["b"][0] / 120, rel=RTOL)  # ours: equal coverage
    # the river's outflow (what neither farm takes) is the same
    assert theirs.flow[0, 0] == pytest.approx(ours.flow[0, 0], abs=ATOL)


def test_transfer_capacity_binding_with_loss_and_switched_off() -> None:
    # test_transfer_capacity_binds_and_loses_water: 25 m³ transfer losing 20 % into a basin with 10 m³
    nodes, links = networks.transfer()
    same_flows(*both(net_of(nodes, links)))
    links[1]["enabled"] = False
    same_flows(*both(net_of(nodes, links)))


def test_transfer_used_only_when_needed() -> None:
    # test_transfer_used_only_when_needed: the transfer's cost keeps it at 0 in both tools
    same_flows(*both(net_of(*networks.transfer(own_inflow=60, loss=0.0))))


def test_reservoir_carry_over_three_months() -> None:
    # test_reservoir_carries_water_over: 100 m³ in January, demand 50 in February and March; the
    # storage after each month is compared (by both()), and every link's flow
    zeros = [0.0] * 9
    nodes = [{"id": "river", "type": "inflow", "inflow": {"monthly": [100.0, 0.0, 0.0, *zeros]}},
             {"id": "dam", "type": "reservoir", "capacity": 80, "initial": 0},
             {"id": "out", "type": "sink"},
             {"id": "farm", "type": "demand", "sector": "agriculture",
              "demand": {"monthly": [0.0, 50.0, 50.0, *zeros]}}]
    links = [{"id": "r1", "from": "river", "to": "dam"}, {"id": "spill", "from": "dam", "to": "out"},
             {"id": "s", "from": "dam", "to": "farm", "kind": "supply"}]
    ours, theirs = both(net_of(nodes, links, months=3))
    assert theirs.reservoir_storage.shape == (1, 3)
    same_flows(ours, theirs)


def test_reservoir_evaporation_from_a_constant_area() -> None:
    # not in the closed-form file: 1 km² losing 10 mm a month (10 000 m³) from a 10⁶ m³ reservoir
    # with no inflow and a town taking 2·10⁵ m³ a month; both tools take evaporation from the
    # storage at the start of each month
    nodes = [{"id": "river", "type": "inflow", "inflow": 0.0},
             {"id": "dam", "type": "reservoir", "capacity": 2e6, "initial": 1e6, "area": "1 km**2",
              "evaporation_mm": 10},
             {"id": "out", "type": "sink"},
             {"id": "town", "type": "demand", "sector": "domestic", "demand": 2e5}]
    links = [{"id": "r1", "from": "river", "to": "dam"}, {"id": "spill", "from": "dam", "to": "out"},
             {"id": "s", "from": "dam", "to": "town", "kind": "supply"}]
    ours, theirs = both(net_of(nodes, links, months=6))
    same_flows(ours, theirs)


def test_return_flow_reused_downstream() -> None:
    # test_return_flow_reused_downstream: the town returns half its 60 m³ above the farm's intake
    same_flows(*both(net_of(*networks.return_downstream())))


def test_groundwater_second_source_by_preference() -> None:
    # test_supply_preference_and_groundwater_only_when_needed: river first (preference 1), the well
    # for the rest; the aquifer's end storage is compared
    same_flows(*both(net_of(*networks.groundwater_second_source())))


def test_annual_pumping_limit() -> None:
    # test_annual_pumping_limit_and_overdraft: the limit (an AnnualVirtualStorage in Pywr) runs out
    # in June; 14 months so that the reset on 1 January is compared too
    ours, theirs = both(net_of(*networks.pumping_limit(), months=14))
    same_flows(ours, theirs)


def test_minimum_flow_requirement() -> None:
    # test_minimum_flow_requirement_outranks_agriculture: 30 m³ must stay in the reach (priority 2)
    same_flows(*both(net_of(*networks.minimum_flow(), requirements=[{"id": "eco", "link": "reach", "flow": 30}])))


def test_seepage_recharges_the_aquifer() -> None:
    # test_seepage_recharges_the_aquifer_and_balances_close: 30 % of the canal's water reaches the aquifer
    same_flows(*both(net_of(*networks.seepage())))


def test_lake_minimum_inflow_outranks_agriculture() -> None:
    # a lake wanting 40 m³ (priority 2) below a farm (priority 4) on a 100 m³ river: the lake inflow
    # is compared (Pywr has no lake balance; the engine's lake volume is post-processing)
    from importlib.resources import files

    curve = Path(str(files("ecociv") / "data" / "water" / "ebinur_curve.csv"))
    nodes = [{"id": "river", "type": "inflow", "inflow": 100},
             {"id": "lake", "type": "lake", "curve": str(curve), "initial_area": "500 km**2",
              "evaporation_mm": [0.0] * 12, "minimum_inflow": 40},
             {"id": "farm", "type": "demand", "sector": "agriculture", "demand": 100}]
    links = [{"id": "reach", "from": "river", "to": "lake"},
             {"id": "s", "from": "river", "to": "farm", "kind": "supply"}]
    net = net_of(nodes, links)
    ours, theirs = both(net)
    same_flows(ours, theirs)
    close(theirs.lake_inflow[0], ours.lake["lake"]["inflow"], "lake inflow")


def test_loss_lets_a_lower_priority_win_in_pywr_only() -> None:
    # The documented difference of a single cost-weighted LP: the town (priority 1, benefit 99 per m³
    # delivered) is served through a canal losing 5 %, the farm (priority 2, benefit 98) without
    # loss. Per m³ taken from the river the town is worth 99 × 0.95 = 94.05 < 98, so Pywr serves the
    # farm first: farm 80, and the town 0.95 × (100 − 80) = 19. The engine serves priority 1 first:
    # town 60 (63.16 m³ from the river), farm 100 − 60 / 0.95 = 36.84.
    nodes = [{"id": "river", "type": "inflow", "inflow": 100}, {"id": "out", "type": "sink"},
             {"id": "town", "type": "demand", "sector": "domestic", "priority": 1, "demand": 60},
             {"id": "farm", "type": "demand", "sector": "agriculture", "priority": 2, "demand": 80}]
    links = [{"id": "r_out", "from": "river", "to": "out"},
             {"id": "canal", "from": "river", "to": "town", "kind": "supply", "loss": 0.05},
             {"id": "ditch", "from": "river", "to": "farm", "kind": "supply"}]
    net = net_of(nodes, links)
    ours, theirs = allocate(net), allocate_pywr(net)
    given = delivered(net, ours)
    assert given["town"][0] == pytest.approx(60, rel=RTOL)
    assert given["farm"][0] == pytest.approx(100 - 60 / 0.95, rel=RTOL)
    pywr_given = dict(zip(theirs.site_ids, theirs.delivered[:, 0], strict=True))
    assert pywr_given["farm"] == pytest.approx(80, rel=RTOL)
    assert pywr_given["town"] == pytest.approx(0.95 * 20, rel=RTOL)


def test_return_to_the_node_the_site_draws_from() -> None:
    # the town draws from junction j and returns half of its 60 m³ to j, where the farm (90) also
    # draws: 100 − 60 + 30 = 70 for the farm. Pywr allocates over simple routes, so the translation
    # sends the return to a copy of j without the link back to the town (pywr_peer._return_loops)
    # (here junction "down" plays j and headwater "up" the river)
    same_flows(*both(net_of(*networks.return_downstream(town_draws_from="down"))))


def test_monthly_pumping_limit() -> None:
    # the limit per month (an AggregatedNode with a monthly max_flow in Pywr)
    nodes, links = networks.pumping_limit()
    nodes[0]["pumping_limit"] = {"annual": "120 m**3/yr", "monthly_shares": [1 / 12] * 12}
    same_flows(*both(net_of(nodes, links, months=12)))


def test_water_use_cap() -> None:
    # a cap of 1080 m³/yr on two farms wanting 60 each from 200 m³: 90 this month in both tools (the
    # split between the farms differs by design, so the capped total and the river's outflow are compared)
    nodes, links = networks.one_source([
        {"id": "a", "type": "demand", "sector": "agriculture", "demand": 60, "basin": "M"},
        {"id": "b", "type": "demand", "sector": "agriculture", "demand": 60, "basin": "M"}], inflow=200)
    net = net_of(nodes, links, caps=[{"id": "m", "group": "M", "cap": "1080 m**3/yr"}])
    ours, theirs = allocate(net), allocate_pywr(net)
    assert theirs.delivered[:, 0].sum() == pytest.approx(90, rel=RTOL)
    assert theirs.flow[0, 0] == pytest.approx(ours.flow[0, 0], rel=RTOL)
