"""Small networks with closed-form allocations, shared by the engine's tests
(test_water_allocation.py, which gives the hand-worked expected flows) and the Pywr peer test
(test_water_pywr_peer.py, which compares the two tools on the same networks). Each function returns
fresh ``(nodes, links)`` lists in the YAML format of docs/water_network.md (volumes in m³ per month)."""

from __future__ import annotations

from typing import Any

Network = tuple[list[dict[str, Any]], list[dict[str, Any]]]


def one_source(users: list[dict[str, Any]], inflow: float = 100.0) -> Network:
    """A river of ``inflow`` m³ with a supply link to each user and the rest to a sink."""
    nodes = [{"id": "river", "type": "inflow", "inflow": inflow}, {"id": "out", "type": "sink"}, *users]
    links = [{"id": "r_out", "from": "river", "to": "out"}]
    links += [{"id": f"s_{u['id']}", "from": "river", "to": u["id"], "kind": "supply"} for u in users]
    return nodes, links


def transfer(own_inflow: float = 10, capacity: float = 25, loss: float = 0.2) -> Network:
    """Basin B (``own_inflow`` m³, a city wanting 50) fed by a transfer from basin A (100 m³)."""
    nodes = [{"id": "a_river", "type": "inflow", "inflow": 100, "basin": "A"},
             {"id": "b_river", "type": "junction", "inflow": own_inflow, "basin": "B"},
             {"id": "a_out", "type": "sink"}, {"id": "b_out", "type": "sink"},
             {"id": "city", "type": "demand", "sector": "industry", "demand": 50, "basin": "B"}]
    links = [{"id": "a_down", "from": "a_river", "to": "a_out"},
             {"id": "transfer", "from": "a_river", "to": "b_river", "kind": "transfer", "capacity": capacity,
              "loss": loss},
             {"id": "b_down", "from": "b_river", "to": "b_out"},
             {"id": "supply", "from": "b_river", "to": "city", "kind": "supply"}]
    return nodes, links


def return_downstream(town_draws_from: str = "up") -> Network:
    """A town (60, half returned to junction ``down``) and a farm (90) drawing at ``down``."""
    nodes = [{"id": "up", "type": "inflow", "inflow": 100}, {"id": "down", "type": "junction"},
             {"id": "out", "type": "sink"},
             {"id": "town", "type": "demand", "sector": "domestic", "demand": 60, "return_fraction": 0.5},
             {"id": "farm", "type": "demand", "sector": "agriculture", "demand": 90}]
    links = [{"id": "reach", "from": "up", "to": "down"}, {"id": "end", "from": "down", "to": "out"},
             {"id": "s_town", "from": town_draws_from, "to": "town", "kind": "supply"},
             {"id": "back", "from": "town", "to": "down", "kind": "return"},
             {"id": "s_farm", "from": "down", "to": "farm", "kind": "supply"}]
    return nodes, links


def groundwater_second_source() -> Network:
    """A farm wanting 100 from a 70 m³ river (preference 1) and a well (preference 2)."""
    nodes = [{"id": "river", "type": "inflow", "inflow": 70}, {"id": "out", "type": "sink"},
             {"id": "gw", "type": "aquifer", "initial": 1000},
             {"id": "farm", "type": "demand", "sector": "agriculture", "demand": 100}]
    links = [{"id": "r", "from": "river", "to": "out"},
             {"id": "surface", "from": "river", "to": "farm", "kind": "supply", "preference": 1},
             {"id": "well", "from": "gw", "to": "farm", "kind": "supply", "preference": 2}]
    return nodes, links


def pumping_limit() -> Network:
    """20 m³ a month from an aquifer only, pumping limit 120 m³/yr, sustainable yield 60 m³/yr."""
    nodes = [{"id": "gw", "type": "aquifer", "initial": 10000, "pumping_limit": "120 m**3/yr",
              "sustainable_yield": "60 m**3/yr", "basin": "B"},
             {"id": "farm", "type": "demand", "sector": "agriculture", "demand": 20, "basin": "B"}]
    links = [{"id": "well", "from": "gw", "to": "farm", "kind": "supply"}]
    return nodes, links


def minimum_flow() -> Network:
    """A farm wanting 100 from a 100 m³ river whose reach below must keep a minimum flow."""
    nodes = [{"id": "river", "type": "inflow", "inflow": 100}, {"id": "out", "type": "sink"},
             {"id": "farm", "type": "demand", "sector": "agriculture", "demand": 100}]
    links = [{"id": "reach", "from": "river", "to": "out"},
             {"id": "s", "from": "river", "to": "farm", "kind": "supply"}]
    return nodes, links


def seepage() -> Network:
    """A canal losing 30 % of 100 m³ to an aquifer on the way to a farm wanting 200."""
    nodes = [{"id": "river", "type": "inflow", "inflow": 100}, {"id": "gw", "type": "aquifer", "initial": 0},
             {"id": "farm", "type": "demand", "sector": "agriculture", "demand": 200}]
    links = [{"id": "canal", "from": "river", "to": "farm", "kind": "supply", "loss": 0.3, "loss_to": "gw"}]
    return nodes, links
