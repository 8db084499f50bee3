"""Structural checks of a network, each failure naming the node, link or cycle at fault."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from ecociv.errors import InputError
from ecociv.models.water_allocation.elements import Network


def return_shares(network: Network, site_id: str) -> dict[str, float]:
    """Share of a demand site's return flow taken by each of its return links (equal when not given)."""
    links = [lk for lk in network.links_out_of(site_id) if lk.kind == "return"]
    given = [lk.share for lk in links]
    if not links:
        return {}
    if all(share is None for share in given):
        return {lk.id: 1.0 / len(links) for lk in links}
    if any(share is None for share in given):
        raise InputError("give 'share' on all return links of the site or on none", source=network.source,
                         where=f"node '{site_id}'")
    total = float(sum(share for share in given if share is not None))
    if abs(total - 1) > 1e-6:
        raise InputError(f"return link shares sum to {total:.6g}, not 1", source=network.source,
                         where=f"node '{site_id}'")
    return {lk.id: float(lk.share or 0.0) for lk in links}


def check_network(network: Network) -> None:
    """Raise :class:`InputError` on the first structural problem found."""
    source = network.source
    nodes = network.nodes
    for link in network.links:
        start, end = nodes[link.source], nodes[link.target]
        where = f"link '{link.id}'"
        if link.source == link.target:
            raise InputError("a link cannot start and end at the same node", source=source, where=where)
        if start.type in ("lake", "sink"):
            raise InputError(f"starts at {start.type} '{start.id}', which has no outflow (terminal)",
                             source=source, where=where)
        if link.kind == "supply" and end.type != "demand":
            raise InputError(f"a supply link must end at a demand site, not at {end.type} '{end.id}'",
                             source=source, where=where)
        if start.type == "demand" and link.kind != "return":
            raise InputError(f"a link leaving demand site '{start.id}' must be of kind 'return'",
                             source=source, where=where)
        if link.kind == "return" and start.type != "demand":
            raise InputError(f"a return link must start at a demand site, not at {start.type} '{start.id}'",
                             source=source, where=where)
        if end.type == "demand" and link.kind != "supply":
            raise InputError(f"water reaches demand site '{end.id}' only through kind 'supply' links",
                             source=source, where=where)
        if end.type == "inflow":
            raise InputError(f"ends at inflow node '{end.id}' (headwaters take no links in; use a junction)",
                             source=source, where=where)
    for site in network.demands.values():
        shares = return_shares(network, site.id)
        if site.return_fraction > 0 and not shares:
            raise InputError(f"return_fraction is {site.return_fraction} but the site has no return link",
                             source=source, where=f"node '{site.id}'")
    _check_outlets(network)
    _check_supply_paths(network)
    _check_lossless_cycles(network)


def _enabled_out(network: Network) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for link in network.links:
        if link.enabled:
            out[link.source].append(link.target)
    return out


def _check_outlets(network: Network) -> None:
    out = _enabled_out(network)
    receives = {lk.target for lk in network.links if lk.enabled}
    for node in network.nodes.values():
        if node.type not in ("inflow", "junction", "reservoir"):
            continue
        has_water = bool(np.any(node.inflow > 0)) or node.id in receives
        if has_water and not out.get(node.id):
            spill = " (a full reservoir must spill: without a way out, deliveries whose return flows end here " \
                "would be cut)" if node.type == "reservoir" else ""
            raise InputError("water reaches this node but no enabled link leaves it; add a river link to a "
                             f"downstream node, a lake or a sink{spill}", source=network.source,
                             where=f"node '{node.id}' ({node.type})")


def _check_supply_paths(network: Network) -> None:
    out = _enabled_out(network)
    sources = [n.id for n in network.nodes.values()
               if n.type in ("inflow", "aquifer") or np.any(n.inflow > 0)
               or (n.type == "reservoir" and network.reservoirs[n.id].initial > 0)]
    reached = set(sources)
    stack = list(sources)
    while stack:
        node = stack.pop()
        for nxt in out.get(node, []):
            if nxt not in reached:
                reached.add(nxt)
                stack.append(nxt)
    for site in network.demands.values():
        if site.id not in reached and np.any(site.demand > 0):
            raise InputError("demand site has no path from any source (inflow, reservoir, aquifer): every "
                             "supply link is missing or disabled, or starts at a node no water reaches",
                             source=network.source, where=f"node '{site.id}'")


def _check_lossless_cycles(network: Network) -> None:
    """A loop that gives back all the water it takes (no loss, no consumption) lets water be counted twice."""
    graph: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for link in network.links:
        if not link.enabled or link.loss > 0 or link.loss_to:
            continue
        if link.kind == "return":
            site = network.demands[link.source]
            share = return_shares(network, site.id).get(link.id, 0.0)
            if site.return_fraction * share < 1.0:
                continue
        graph[link.source].append((link.target, link.id))
    colour: dict[str, int] = {}
    path: list[tuple[str, str]] = []

    def visit(node: str) -> list[str] | None:
        colour[node] = 1
        for nxt, link_id in graph.get(node, []):
            path.append((node, link_id))
            if colour.get(nxt) == 1:
                names = [n for n, _ in path]
                cycle = [*names[names.index(nxt):], nxt]
                links = [lk for _, lk in path][names.index(nxt):]
                return [" -> ".join(cycle), ", ".join(links)]
            if colour.get(nxt) is None:
                found = visit(nxt)
                if found:
                    return found
            path.pop()
        colour[node] = 2
        return None

    for node in list(network.nodes):
        if colour.get(node) is None:
            found = visit(node)
            if found:
                raise InputError(f"links {found[1]} form a loop without losses or consumption ({found[0]}): water "
                                 "could circle for ever; give one of them a loss or remove the loop",
                                 source=network.source, where="links")
