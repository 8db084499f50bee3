"""Strategy-2 levers applied to a network document before it is resolved.

A scenario's ``levers`` (or the model's ``levers`` parameter) is a mapping; each key edits the
network the planner started from, so every run is the file plus a visible list of changes:

``water_use_cap``         {basin or unit name: annual cap}, e.g. ``{manas: "12 hundred_million m**3/yr"}``
``cropland_reduction``    {site: {crop: area}}, hectares taken out of irrigation (压地减水)
``crop_mix``              {site: {crop: area}}, replaces the site's crop areas
``irrigation_efficiency`` a fraction for every irrigation site, or {site: fraction}
``transfers``             {link: {enabled: bool, capacity: flow}} (e.g. Irtysh→Urumqi on/off, volume)
``groundwater_pumping_limit`` {aquifer: annual flow, or a flow specification per month (e.g.
                          ``{annual: ..., monthly_shares: [...]}``) so the year's allowance cannot be
                          spent before winter}
``lake_minimum_inflow``   {lake: flow spec} ecological minimum for a terminal lake
``priorities``            {sector or site id: priority 1–99}
``inflow_scale``          a factor for every inflow, or {node: factor} (dry/wet years, climate change)
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping
from typing import Any

from ecociv.errors import InputError
from ecociv.models.water_allocation.demand import reduce_cropland
from ecociv.models.water_allocation.spec import LEVERS


def _hint(name: str, names: list[str]) -> str:
    close = difflib.get_close_matches(name, names, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _mapping(value: Any, lever: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InputError(f"lever '{lever}' takes a mapping, got {value!r}", source="levers", where=lever)
    return value


def _area_ha(value: Any, where: str) -> float:
    from ecociv.units import Q_

    try:
        quantity = Q_(float(value), "ha") if isinstance(value, (int, float)) else Q_(str(value))
        return float(quantity.to("ha").magnitude)
    except Exception as err:
        raise InputError(f"{value!r} is not an area (e.g. '20000 ha' or '30 ten_thousand chinese_mu')",
                         source="levers", where=where) from err


def apply_levers(doc: Mapping[str, Any], levers: Mapping[str, Any], *, source: str) -> dict[str, Any]:
    """A copy of the network document ``doc`` with ``levers`` applied (see the module docstring)."""
    if not isinstance(levers, Mapping):
        raise InputError(f"levers are a mapping of lever name to value, got {levers!r}", source="levers")
    out: dict[str, Any] = copy.deepcopy(dict(doc))
    nodes = {str(n.get("id")): n for n in out.get("nodes") or [] if isinstance(n, dict)}
    links = {str(lk.get("id")): lk for lk in out.get("links") or [] if isinstance(lk, dict)}

    def node_of(node_id: str, lever: str, types: tuple[str, ...]) -> dict[str, Any]:
        node = nodes.get(node_id)
        if node is None or node.get("type") not in types:
            candidates = [k for k, v in nodes.items() if v.get("type") in types]
            raise InputError(f"no {'/'.join(types)} node '{node_id}' in {source}{_hint(node_id, candidates)}",
                             source="levers", where=f"{lever}.{node_id}")
        return node

    def irrigation_of(site: str, lever: str) -> dict[str, Any]:
        node = node_of(site, lever, ("demand",))
        if not isinstance(node.get("irrigation"), dict):
            raise InputError(f"site '{site}' has no 'irrigation' crops to change", source="levers",
                             where=f"{lever}.{site}")
        return node["irrigation"]

    for lever, value in levers.items():
        if lever not in LEVERS:
            raise InputError(f"unknown lever '{lever}'{_hint(str(lever), list(LEVERS))}; levers: {', '.join(LEVERS)}",
                             source="levers", where=str(lever))
        if lever == "water_use_cap":
            caps = out.setdefault("caps", [])
            for group, cap in _mapping(value, lever).items():
                caps.append({"id": f"cap_{group}", "group": str(group), "cap": cap})
        elif lever == "cropland_reduction":
            for site, crops in _mapping(value, lever).items():
                areas = irrigation_of(site, lever).setdefault("crops", {})
                cuts = {str(crop): _area_ha(area, f"{lever}.{site}.{crop}")
                        for crop, area in _mapping(crops, f"{lever}.{site}").items()}
                have = {str(crop): _area_ha(area, f"{site}.irrigation.crops.{crop}") for crop, area in areas.items()}
                left = reduce_cropland(have, cuts, str(site), source="levers", where=f"{lever}.{site}")
                for crop in cuts:
                    areas[crop] = f"{left[crop]!r} ha"
        elif lever == "crop_mix":
            for site, crops in _mapping(value, lever).items():
                irrigation_of(site, lever)["crops"] = dict(_mapping(crops, f"{lever}.{site}"))
        elif lever == "irrigation_efficiency":
            targets: Mapping[str, Any] = value if isinstance(value, Mapping) else {
                k: value for k, n in nodes.items() if isinstance(n.get("irrigation"), dict)}
            for site, efficiency in targets.items():
                irrigation_of(site, lever)["efficiency"] = efficiency
        elif lever == "transfers":
            for link_id, change in _mapping(value, lever).items():
                if link_id not in links:
                    raise InputError(f"no link '{link_id}'{_hint(str(link_id), list(links))}", source="levers",
                                     where=f"{lever}.{link_id}")
                change = change if isinstance(change, Mapping) else {"enabled": change}
                for key, item in change.items():
                    if key not in ("enabled", "capacity", "loss"):
                        raise InputError(f"transfers take enabled, capacity, loss; got '{key}'", source="levers",
                                         where=f"{lever}.{link_id}")
                    links[link_id][key] = item
        elif lever == "groundwater_pumping_limit":
            for aquifer, limit in _mapping(value, lever).items():
                node_of(aquifer, lever, ("aquifer",))["pumping_limit"] = limit
        elif lever == "lake_minimum_inflow":
            for lake, flow in _mapping(value, lever).items():
                node_of(lake, lever, ("lake",))["minimum_inflow"] = flow
        elif lever == "priorities":
            sectors = ("domestic", "ecology", "livestock", "industry", "agriculture")
            for key, priority in _mapping(value, lever).items():
                if key in sectors:
                    for node in nodes.values():
                        if node.get("type") == "demand" and node.get("sector") == key:
                            node["priority"] = priority
                else:
                    node_of(key, lever, ("demand",))["priority"] = priority
        elif lever == "inflow_scale":
            factors: Mapping[str, Any] = value if isinstance(value, Mapping) else {
                k: _factor(value, lever) for k, n in nodes.items() if n.get("inflow") is not None}
            for node_id, factor in factors.items():
                scaled = nodes.get(node_id)
                if scaled is None or scaled.get("inflow") is None:
                    raise InputError(f"no node with an inflow named '{node_id}'", source="levers",
                                     where=f"{lever}.{node_id}")
                scaled["inflow"] = _scaled(scaled["inflow"], _factor(factor, f"{lever}.{node_id}"),
                                           f"{lever}.{node_id}")
    return out


def _factor(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"a scale factor is a number (e.g. 0.8 for 80 %), got {value!r}", source="levers",
                         where=where)
    return float(value)


def _scaled(spec: Any, factor: float, where: str) -> Any:
    if factor < 0:
        raise InputError(f"scale factor {factor} must not be negative", source="levers", where=where)
    from ecociv.units import Q_

    if isinstance(spec, Mapping):
        spec = dict(spec)
        if "series" in spec:
            spec["scale"] = float(spec.get("scale", 1.0)) * factor
        elif "annual" in spec:
            spec["annual"] = _scaled(spec["annual"], factor, where)
        elif "monthly" in spec:
            spec["monthly"] = [_scaled(v, factor, where) for v in spec["monthly"]]
        return spec
    if isinstance(spec, (int, float)):
        return spec * factor
    quantity = Q_(str(spec)) * factor
    return f"{quantity.magnitude!r} {quantity.units}"
