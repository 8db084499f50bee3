"""The resolved elements of a water network: every quantity in m³ (storage) or m³ per monthly step
(flows), as :func:`~ecociv.models.water_allocation.network.build_network` leaves them for the solver."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ecociv.models.water_allocation import timeseries as ts


@dataclass
class Node:
    """A node; ``inflow`` is the local inflow in m³ per step (zeros when none)."""

    id: str
    type: str
    name: str
    basin: str
    unit: str
    inflow: np.ndarray


@dataclass
class Reservoir:
    id: str
    capacity: float
    initial: float
    dead_storage: float
    evaporation_mm: np.ndarray  # (12,)
    area: Any  # float m² or a StorageCurve
    fill_priority: int


@dataclass
class Aquifer:
    id: str
    initial: float
    capacity: float | None
    recharge: np.ndarray
    allowable_abstraction: float | None  # m³/yr (可开采量); overdraft = pumping above it
    pumping_limit: float | None  # m³/yr
    monthly_pumping_limit: np.ndarray | None = None  # m³ per step, when the limit is given per month


@dataclass
class DemandSite:
    id: str
    sector: str
    priority: int
    demand: np.ndarray
    return_fraction: float
    crops_ha: dict[str, float] = field(default_factory=dict)
    climate: str | None = None
    efficiency: float | None = None


@dataclass
class Lake:
    id: str
    curve: Any  # StorageCurve
    initial_volume: float
    evaporation_mm: np.ndarray
    precipitation_mm: np.ndarray
    target_area: float | None  # m²
    minimum_inflow: np.ndarray | None
    priority: int


@dataclass
class Link:
    id: str
    source: str
    target: str
    kind: str
    capacity: np.ndarray | None  # m³ per step; None = unlimited
    loss: float
    loss_to: str | None
    preference: int
    share: float | None
    enabled: bool


@dataclass
class Requirement:
    id: str
    link: str
    flow: np.ndarray
    priority: int


@dataclass
class Cap:
    """A total water-use cap on a group of demand sites, spread over the months of each year in
    proportion to the group's demand (m³ per step)."""

    id: str
    sites: list[str]
    annual: float
    limit: np.ndarray


@dataclass
class Network:
    """A resolved network: every quantity in m³ (storage) or m³ per step (flows)."""

    name: str
    source: str
    calendar: ts.Calendar
    nodes: dict[str, Node]
    links: list[Link]
    reservoirs: dict[str, Reservoir]
    aquifers: dict[str, Aquifer]
    demands: dict[str, DemandSite]
    lakes: dict[str, Lake]
    requirements: list[Requirement]
    climate: dict[str, dict[str, np.ndarray]]
    caps: list[Cap] = field(default_factory=list)
    crop_table_file: str | None = None  # the network's own crop table (None: the packaged one)

    def link(self, link_id: str) -> Link:
        for item in self.links:
            if item.id == link_id:
                return item
        raise KeyError(link_id)

    def links_into(self, node_id: str) -> list[Link]:
        return [lk for lk in self.links if lk.target == node_id]

    def links_out_of(self, node_id: str) -> list[Link]:
        return [lk for lk in self.links if lk.source == node_id]
