"""Groundwater overdraft against the allowable abstraction (可开采量), worked out by hand, and the
documented overdraft of the Turpan basin in the shipped Belt network."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from ecociv.errors import InputError
from ecociv.models.water_allocation.network import build_network, load_network
from ecociv.models.water_allocation.results import basin_summary, groundwater_overdraft, groundwater_table
from ecociv.models.water_allocation.solver import allocate

BELT = Path(__file__).resolve().parents[2] / "src" / "ecociv" / "data" / "water" / "belt_network"
BASE: dict[str, Any] = {"start": "2001-01", "months": 12,
                        "defaults": {"volume_units": "m**3", "flow_units": "m**3/month"}}


def _wells(aquifer: dict[str, Any], demand: float = 50.0, months: int = 12) -> Any:
    doc = copy.deepcopy(BASE)
    doc.update(months=months, nodes=[{"id": "gw", "type": "aquifer", "initial": 1e6, **aquifer},
                      {"id": "town", "type": "demand", "sector": "domestic", "demand": demand}],
               links=[{"id": "w", "from": "gw", "to": "town", "kind": "supply"}])
    return build_network(doc, base=Path("."), source="test.yaml")


def test_overdraft_is_pumping_above_the_allowable_abstraction() -> None:
    # 50 m³/month pumped for 12 months = 600 m³; allowable abstraction 240 m³/yr -> overdraft 360 m³.
    # Recharge (1000 m³/month, far above the pumping) does not enter the overdraft.
    net = _wells({"recharge": 1000, "allowable_abstraction": "240 m**3/yr"})
    row = groundwater_table(net, allocate(net)).iloc[0]
    assert row["pumping_m3"] == pytest.approx(600)
    assert row["allowable_abstraction_m3"] == pytest.approx(240)
    assert row["sustainable_yield_m3"] == pytest.approx(240)  # the older column name carries the same limit
    assert row["overdraft_m3"] == pytest.approx(360)


def test_pumping_below_the_allowable_abstraction_is_no_overdraft() -> None:
    # 600 m³ pumped against 720 m³/yr allowed: none, although recharge is zero
    net = _wells({"allowable_abstraction": "720 m**3/yr"})
    assert groundwater_table(net, allocate(net)).iloc[0]["overdraft_m3"] == pytest.approx(0.0)


def test_a_part_year_counts_the_months_share_of_the_allowable_abstraction() -> None:
    # 3 months of 1200 m³: 3600 pumped; allowed 1200 m³/yr × 3 / 12 = 300 -> overdraft 3300
    net = _wells({"allowable_abstraction": "1200 m**3/yr"}, demand=1200, months=3)
    row = groundwater_table(net, allocate(net)).iloc[0]
    assert row["allowable_abstraction_m3"] == pytest.approx(300)
    assert row["overdraft_m3"] == pytest.approx(3600 - 300)


def test_older_key_sustainable_yield_still_sets_the_limit() -> None:
    net = _wells({"sustainable_yield": "240 m**3/yr"})
    assert groundwater_table(net, allocate(net)).iloc[0]["overdraft_m3"] == pytest.approx(360)


def test_overdraft_kernel() -> None:
    assert groundwater_overdraft(9.97e8, 6.77e8) == pytest.approx(3.2e8)
    assert groundwater_overdraft(1.0, 2.0) == 0.0


def test_both_names_of_the_limit_are_refused() -> None:
    with pytest.raises(InputError, match=r"node 'gw'.*either 'allowable_abstraction' or its older name"):
        _wells({"allowable_abstraction": "240 m**3/yr", "sustainable_yield": "240 m**3/yr"})


def test_negative_allowable_abstraction_is_refused() -> None:
    with pytest.raises(InputError, match=r"node 'gw'.allowable_abstraction: .* is negative"):
        _wells({"allowable_abstraction": "-1 m**3/yr"})


def test_unknown_key_near_allowable_abstraction_is_named() -> None:
    with pytest.raises(InputError, match=r"allowable_abstraction"):
        _wells({"allowable_abstration": "240 m**3/yr"})


def test_turpan_shows_overdraft_in_the_shipped_network() -> None:
    # Turpan is a documented overdraft area (Du et al. 2023, Journal of Arid Land: 4.79e8 m³/a in
    # 2003-2011; Zhang & Dong 2017, 地下水: exploitation-potential coefficient 0.4376). The shipped
    # network must show it from its data: allowable abstraction below what the basin pumps.
    net = load_network(BELT, months=120)
    assert net.aquifers["turpan_aquifer"].allowable_abstraction < net.aquifers["turpan_aquifer"].recharge.sum() / 10
    summary = basin_summary(net, allocate(net)).set_index(["basin", "sector"])
    assert summary.loc[("Turpan", "all"), "groundwater_overdraft_1e8m3_per_yr"] > 0.0
