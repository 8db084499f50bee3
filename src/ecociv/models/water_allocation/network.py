"""The water network: read from YAML (docs/water_network.md), checked, resolved to m³ per step.

Reading does all unit conversion; the solver sees plain arrays of m³ per monthly step.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ecociv.errors import InputError
from ecociv.models.water_allocation import timeseries as ts
from ecociv.models.water_allocation.checks import check_network
from ecociv.models.water_allocation.document import read_document
from ecociv.models.water_allocation.elements import (
    Aquifer,
    Cap,
    DemandSite,
    Lake,
    Link,
    Network,
    Node,
    Requirement,
    Reservoir,
)
from ecociv.models.water_allocation.network_file import nearest, validate_document

#: default priority by sector: living first, then ecology, then production (seed study, strategy 2)
DEFAULT_PRIORITY = {"domestic": 1, "ecology": 2, "livestock": 3, "industry": 3, "agriculture": 4}
LAKE_PRIORITY = 2
REQUIREMENT_PRIORITY = 2
RESERVOIR_FILL_PRIORITY = 99


def _twelve(value: Any, *, source: str = "", where: str = "", default: float | None = None) -> np.ndarray:
    if value is None:
        if default is None:
            raise InputError("is required: 12 monthly values, January first", source=source, where=where)
        return np.full(12, default)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return np.full(12, float(value))
    array = np.asarray(value, dtype=float) if isinstance(value, list) else np.array([])
    if array.shape != (12,) or not np.all(np.isfinite(array)) or np.any(array < 0):
        raise InputError(f"expected 12 non-negative numbers (mm per month, January first), got {value!r}",
                         source=source, where=where)
    return array


def load_network(path: str | Path, *, overrides: Mapping[str, Any] | None = None,
                 months: int | None = None, start: str | None = None,
                 zone_volumes: Mapping[str, float] | None = None,
                 crop_scale: Mapping[str, float] | None = None) -> Network:
    """Read a network YAML (or a folder with ``network.yaml``) into a resolved :class:`Network`.

    Parameters
    ----------
    path : path
        The YAML file or its folder.
    overrides : mapping, optional
        Levers applied on top of the file (see :mod:`ecociv.models.water_allocation.levers`).
    months, start : optional
        Override the run length and first month.
    zone_volumes : mapping, optional
        Annual water-yield volume (m³/yr) per zone id, for inflows written ``{water_yield: ...}``.
    crop_scale : mapping, optional
        Factor per irrigation site applied to all its crop areas before the levers (the simulated
        cropland change, :mod:`ecociv.models.water_allocation.cropland_coupling`).
    """
    doc, path = read_document(path)
    source = str(path)
    if crop_scale:
        from ecociv.models.water_allocation.cropland_coupling import scale_crops

        doc = scale_crops(doc, crop_scale, source=source)
    if overrides:
        from ecociv.models.water_allocation.levers import apply_levers

        doc = apply_levers(doc, overrides, source=source)
    return build_network(doc, base=path.parent, source=source, months=months, start=start,
                         zone_volumes=zone_volumes)


def build_network(doc: Mapping[str, Any], *, base: Path, source: str, months: int | None = None,
                  start: str | None = None, zone_volumes: Mapping[str, float] | None = None) -> Network:
    """Resolve a parsed network document (see :func:`load_network`)."""
    validate_document(doc, source=source)  # keys, types and ranges; then units, files and references
    defaults = doc.get("defaults") or {}
    volume_units = defaults.get("volume_units")
    flow_units = defaults.get("flow_units")
    if volume_units is not None:  # a volume and a flow unit, or an error naming the key
        ts.volume_m3(1.0, volume_units, source=source, where="defaults.volume_units")
    if flow_units is not None:
        ts.annual_m3(1.0, flow_units, source=source, where="defaults.flow_units")
    series_entries = doc.get("series") or []
    start_text = start or doc.get("start")
    if start_text is None:
        raise InputError("needs 'start' (first month, YYYY-MM)", source=source)
    n_months = months or doc.get("months")
    if n_months is None:
        n_months = _shortest_series(series_entries, base, str(start_text), source=source)
    cal = ts.Calendar.parse(str(start_text), n_months, source=source)
    series = ts.read_series(series_entries, base, cal, source=source)
    series.zone_volumes = zone_volumes

    def flow(spec: Any, where: str) -> np.ndarray:
        return ts.flow_series(spec, cal, series, flow_units, source=source, where=where)

    def volume(value: Any, where: str) -> float:
        return ts.volume_m3(value, volume_units, source=source, where=where)

    climate = _read_climate(doc.get("climate") or {}, base, source)
    nodes: dict[str, Node] = {}
    reservoirs: dict[str, Reservoir] = {}
    aquifers: dict[str, Aquifer] = {}
    demands: dict[str, DemandSite] = {}
    lakes: dict[str, Lake] = {}
    for raw in doc["nodes"]:
        node_id = str(raw["id"])
        where = f"node '{node_id}'"
        if node_id in nodes:
            raise InputError("duplicate node id", source=source, where=where)
        node_type = str(raw["type"])
        local = flow(raw["inflow"], f"{where}.inflow") if raw.get("inflow") is not None \
            else np.zeros(cal.months)
        nodes[node_id] = Node(node_id, node_type, str(raw.get("name", node_id)), str(raw.get("basin", "")),
                              str(raw.get("unit", "")), local)
        if node_type == "reservoir":
            reservoirs[node_id] = _reservoir(raw, where, volume, base, source)
        elif node_type == "aquifer":
            aquifers[node_id] = _aquifer(raw, where, volume, flow, flow_units, source)
        elif node_type == "demand":
            demands[node_id] = _demand(raw, where, flow, cal, climate, doc, base, source)
        elif node_type == "lake":
            lakes[node_id] = _lake(raw, where, volume, flow, base, source)
    links = [_link(raw, nodes, flow, source) for raw in doc.get("links") or []]
    seen: set[str] = set()
    for item in links:
        if item.id in seen:
            raise InputError("duplicate link id", source=source, where=f"link '{item.id}'")
        seen.add(item.id)
    requirements = []
    for raw in doc.get("requirements") or []:
        at = f"requirement '{raw['id']}'"
        if raw["link"] not in seen:
            hint = nearest(str(raw["link"]), sorted(seen))
            raise InputError(f"names link '{raw['link']}', which does not exist{hint}", source=source, where=at)
        requirements.append(Requirement(str(raw["id"]), str(raw["link"]), flow(raw["flow"], at),
                                        int(raw.get("priority", REQUIREMENT_PRIORITY))))
    caps = [_cap(raw, index, nodes, demands, cal, flow_units, source)
            for index, raw in enumerate(doc.get("caps") or [])]
    network = Network(str(doc.get("name", path_name(source))), source, cal, nodes, links, reservoirs, aquifers,
                      demands, lakes, requirements, climate, caps,
                      crop_table_file=str(base / str(doc["crops"])) if doc.get("crops") else None)
    check_network(network)
    return network


def path_name(source: str) -> str:
    return Path(source).parent.name or Path(source).stem


def _shortest_series(entries: list[Any], base: Path, start: str, *, source: str) -> int:
    if not entries:
        raise InputError("needs 'months' (run length) when no series files are given", source=source)
    lengths = []
    for index, entry in enumerate(entries):
        path = base / str(entry["file"])
        frame = ts.read_csv_file(path, what="series file", source=source, where=f"series[{index}]",
                                 dtype={"month": str})
        if "month" not in frame.columns:
            raise InputError("needs a 'month' column (YYYY-MM)", source=str(path))
        months = [str(m).strip()[:7] for m in frame["month"]]
        if start not in months:
            raise InputError(f"series file starts at {months[0] if months else '?'}, not at start {start}",
                             source=str(base / str(entry["file"])))
        lengths.append(len(months) - months.index(start))
    return min(lengths)


def _read_climate(raw: Mapping[str, Any], base: Path, source: str) -> dict[str, dict[str, np.ndarray]]:
    climate: dict[str, dict[str, np.ndarray]] = {}
    if "file" in raw:
        path = base / str(raw["file"])
        frame = ts.read_csv_file(path, what="climate file", source=source, where="climate.file")
        need = {"climate", "month", "et0_mm", "precipitation_mm"}
        if not need <= set(frame.columns):
            raise InputError(f"climate file needs columns {sorted(need)}", source=str(path))
        for column in ("et0_mm", "precipitation_mm"):
            values = pd.to_numeric(frame[column], errors="coerce")
            bad = np.flatnonzero(~(values >= 0))
            if bad.size:
                raise InputError(f"value {frame[column].iloc[bad[0]]} is not a non-negative number (mm per month)",
                                 source=str(path), where=f"line {int(bad[0]) + 2}, column '{column}'")
        for name, group in frame.groupby("climate", sort=False):
            group = group.sort_values("month")
            if list(group["month"]) != list(range(1, 13)):
                raise InputError(f"climate '{name}' needs months 1..12 once each", source=str(path))
            climate[str(name)] = {
                "et0": _twelve(list(group["et0_mm"]), source=str(path), where=f"climate '{name}' et0_mm"),
                "precipitation": _twelve(list(group["precipitation_mm"]), source=str(path),
                                         where=f"climate '{name}' precipitation_mm")}
    for name, value in raw.items():
        if name == "file":
            continue
        climate[str(name)] = {key: _twelve(value.get(key), source=source, where=f"climate '{name}'.{key}")
                              for key in ("et0", "precipitation")}
    return climate


def _area_or_curve(raw: Mapping[str, Any], where: str, base: Path, source: str) -> Any:
    from ecociv.models.water_allocation.lake import StorageCurve

    if raw.get("curve") is not None:
        return StorageCurve.read(base / str(raw["curve"]))
    if raw.get("area") is not None:
        return ts.area_m2(raw["area"], source=source, where=f"{where}.area")
    return 0.0


def _reservoir(raw: Mapping[str, Any], where: str, volume: Any, base: Path, source: str) -> Reservoir:
    capacity = volume(raw["capacity"], f"{where}.capacity")
    initial = volume(raw.get("initial", 0), f"{where}.initial") if raw.get("initial") is not None else 0.0
    dead = volume(raw["dead_storage"], f"{where}.dead_storage") if raw.get("dead_storage") is not None else 0.0
    if not 0 <= dead <= capacity:
        raise InputError(f"dead_storage {dead:.4g} m³ must lie in 0..capacity ({capacity:.4g} m³)", source=source,
                         where=where)
    if not 0 <= initial <= capacity:
        raise InputError(f"initial storage {initial:.4g} m³ must lie in 0..capacity ({capacity:.4g} m³)",
                         source=source, where=where)
    evaporation = _twelve(raw.get("evaporation_mm"), default=0.0)
    area = _area_or_curve(raw, where, base, source)
    fill = int(raw.get("fill_priority", RESERVOIR_FILL_PRIORITY))
    return Reservoir(str(raw["id"]), capacity, initial, dead, evaporation, area, fill)


def _aquifer(raw: Mapping[str, Any], where: str, volume: Any, flow: Any, flow_units: str | None,
             source: str) -> Aquifer:
    initial = volume(raw["initial"], f"{where}.initial")
    capacity = volume(raw["capacity"], f"{where}.capacity") if raw.get("capacity") is not None else None
    recharge = flow(raw.get("recharge", 0.0) if raw.get("recharge") is not None else "0 m**3/s", f"{where}.recharge")

    def annual(key: str) -> float | None:
        if raw.get(key) is None:
            return None
        return ts.annual_m3(raw[key], flow_units, source=source, where=f"{where}.{key}")

    if raw.get("allowable_abstraction") is not None and raw.get("sustainable_yield") is not None:
        raise InputError("give either 'allowable_abstraction' or its older name 'sustainable_yield', not both",
                         source=source, where=where)
    allowable = annual("allowable_abstraction" if raw.get("allowable_abstraction") is not None
                       else "sustainable_yield")
    limit = raw.get("pumping_limit")
    if isinstance(limit, Mapping):  # a limit per month (a flow specification), e.g. {monthly: [...]}
        monthly = flow(limit, f"{where}.pumping_limit")
        return Aquifer(str(raw["id"]), initial, capacity, recharge, allowable, None, monthly)
    return Aquifer(str(raw["id"]), initial, capacity, recharge, allowable, annual("pumping_limit"))


def _demand(raw: Mapping[str, Any], where: str, flow: Any, cal: ts.Calendar, climate: Mapping[str, Any],
            doc: Mapping[str, Any], base: Path, source: str) -> DemandSite:
    sector = str(raw["sector"])
    priority = int(raw.get("priority", DEFAULT_PRIORITY[sector]))
    from ecociv.models.water_allocation.demand_sites import site_demand

    demand, crops, climate_name, efficiency = site_demand(raw, where, flow, cal, climate, doc, base, source)
    return_fraction = float(raw.get("return_fraction", 0.0))
    return DemandSite(str(raw["id"]), sector, priority, demand, return_fraction, crops, climate_name, efficiency)


def _lake(raw: Mapping[str, Any], where: str, volume: Any, flow: Any, base: Path, source: str) -> Lake:
    from ecociv.models.water_allocation.lake import StorageCurve

    curve = StorageCurve.read(base / str(raw["curve"]))
    if raw.get("initial_volume") is not None:
        initial = volume(raw["initial_volume"], f"{where}.initial_volume")
    elif raw.get("initial_level") is not None:
        level = ts.length_m(raw["initial_level"], source=source, where=f"{where}.initial_level")
        initial = float(curve.volume_of_level(level))
    elif raw.get("initial_area") is not None:
        initial = float(curve.volume_of_area(ts.area_m2(raw["initial_area"], source=source,
                                                        where=f"{where}.initial_area")))
    else:
        raise InputError("a lake needs initial_volume, initial_level or initial_area", source=source, where=where)
    target = ts.area_m2(raw["target_area"], source=source, where=f"{where}.target_area") \
        if raw.get("target_area") is not None else None
    minimum = flow(raw["minimum_inflow"], f"{where}.minimum_inflow") if raw.get("minimum_inflow") is not None else None
    return Lake(str(raw["id"]), curve, initial,
                _twelve(raw["evaporation_mm"]), _twelve(raw.get("precipitation_mm"), default=0.0),
                target, minimum,
                int(raw.get("priority", LAKE_PRIORITY)))


def _link(raw: Mapping[str, Any], nodes: Mapping[str, Node], flow: Any, source: str) -> Link:
    link_id = str(raw["id"])
    where = f"link '{link_id}'"
    for end in ("from", "to"):
        if str(raw[end]) not in nodes:
            raise InputError(f"'{end}: {raw[end]}' names a node that does not exist"
                             f"{nearest(str(raw[end]), list(nodes))}", source=source, where=where)
    capacity = flow(raw["capacity"], f"{where}.capacity") if raw.get("capacity") is not None else None
    loss_to = str(raw["loss_to"]) if raw.get("loss_to") is not None else None
    if loss_to is not None and (loss_to not in nodes or nodes[loss_to].type != "aquifer"):
        raise InputError(f"loss_to '{loss_to}' must name an aquifer node", source=source, where=where)
    share = float(raw["share"]) if raw.get("share") is not None else None
    return Link(link_id, str(raw["from"]), str(raw["to"]), str(raw.get("kind", "river")), capacity,
                float(raw.get("loss", 0.0)), loss_to, int(raw.get("preference", 1)), share,
                bool(raw.get("enabled", True)))


def _cap(raw: Any, index: int, nodes: Mapping[str, Node], demands: Mapping[str, DemandSite], cal: ts.Calendar,
         flow_units: str | None, source: str) -> Cap:
    where = f"caps[{index}]"
    if "sites" in raw:
        sites = [str(s) for s in raw["sites"]]
        unknown = [s for s in sites if s not in demands]
        if unknown:
            raise InputError(f"names demand site(s) {unknown} that do not exist", source=source, where=where)
    else:
        group = str(raw["group"])
        sites = [d for d in demands if group in (nodes[d].basin, nodes[d].unit)]
        if not sites:
            groups = sorted({nodes[d].basin for d in demands} | {nodes[d].unit for d in demands} - {""})
            raise InputError(f"no demand site has basin or unit '{group}'{nearest(group, groups)}", source=source,
                             where=where)
    annual = ts.annual_m3(raw["cap"], flow_units, source=source, where=f"{where}.cap")
    demand = np.sum([demands[s].demand for s in sites], axis=0)
    limit = np.zeros(cal.months)
    years = cal.years
    for year in np.unique(years):
        mask = years == year
        total = float(demand[mask].sum())
        share = demand[mask] / total if total > 0 else np.full(int(mask.sum()), 1.0 / mask.sum())
        limit[mask] = annual * float(mask.sum()) / 12.0 * share
    return Cap(str(raw.get("id", f"cap_{index}")), sites, annual, limit)
