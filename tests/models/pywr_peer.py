"""A peer model: the same resolved :class:`Network` translated to Pywr and run there.

Pywr (Tomlinson et al. 2020, *Environmental Modelling & Software* 126: 104635) solves one linear
program per time step over the routes of a network of typed nodes and allocates by cost: a demand's
benefit is written as a negative cost. This module builds a ``pywr.model.Model`` in Python from a
network that :func:`~ecociv.models.water_allocation.network.build_network` resolved (every figure
already in m³ per monthly step), runs it with a monthly time step and returns flows in the same
shape as :class:`~ecociv.models.water_allocation.solver.Result`, so the two tools can be compared
flow for flow (tests/models/test_water_pywr_peer.py) and timed on the same network
(benchmarks/bench_water_allocation.py). Pywr is optional: importing this module does not import it.

Translation (our element → Pywr nodes)
--------------------------------------
- time: ``timestep="M"`` (pandas monthly periods), so each step is one calendar month and Pywr's
  ``timestep.days`` is its length. Pywr flows are rates per day and storages change by
  rate × days, so a monthly volume V m³ is given to Pywr as V / (days × scale) and read back as
  rate × days × scale; ``scale`` (m³ per Pywr unit) is the engine's :func:`volume_scale`, keeping
  GLPK's numbers near 10⁰–10³.
- inflow node, junction: a ``Link`` hub; its local inflow an ``Input`` with min = max flow = the
  month's volume (an ``ArrayIndexedParameter`` over the run's steps).
- link of any kind: a ``Link`` for the water entering it (max_flow = capacity); with a loss, two
  more ``Link`` nodes (delivered, lost) tied in the ratio (1 − loss) : loss by an
  ``AggregatedNode`` with ``factors``; the lost water goes to an ``Output`` or, with ``loss_to``,
  into the aquifer. Disabled links (other than returns) are left out.
- minimum flow on a link (requirement of priority p): two parallel ``Link`` nodes in front of the
  link, the first with max_flow = the requirement and cost −(100 − p), the second the rest.
- demand site of priority p: a ``Link`` intake with max_flow = demand and cost −(100 − p) (Pywr's
  convention: benefit as negative cost), feeding an ``Output`` for the consumed part; with return
  flows, an ``AggregatedNode`` with factors (1 − r, r·share₁, r·share₂, …) over the consumed output
  and the return links makes each return exactly its share of the delivery. Pywr allocates over
  simple routes (no node twice, storages end and start routes), so a return to a node the site
  draws from (without a storage in between) would have nowhere to go: it enters a copy of that
  node whose outflows leave out the links leading back to the site (:func:`_return_loops`).
- reservoir: ``Storage`` (max_volume = capacity, min_volume = dead storage, initial volume),
  cost −(100 − fill_priority) (= −1 for the default 99: keep water unless a demand wants it);
  evaporation an ``Output`` whose fixed flow is computed from the storage at the start of the month
  (mm × area of that storage, at most the storage), as the engine does.
- aquifer: ``Storage`` with cost 0; natural recharge an ``Input`` (fixed flow); with a capacity, the
  recharge the full aquifer cannot take leaves by a penalised ``Output``; an annual pumping limit an
  ``AnnualVirtualStorage`` over the links leaving the aquifer (reset each 1 January, as the engine).
- lake: ``Output`` with cost 0; with a minimum inflow of priority p, a second ``Output`` before it
  taking up to the minimum at cost −(100 − p). Lake volume, area and level are not modelled in Pywr
  (the engine's lake balance is a post-processing of the lake inflow).
- sink: ``Output`` with cost 0.
- water-use cap: an ``AggregatedNode`` with max_flow over the group's intakes.
- routing costs, scaled by 1/100 from the engine's final program (so that every path costs well
  under one priority step): 10⁻⁵ per unit on every link, 0.01 × preference on supply links, 0.005
  on links leaving an aquifer (pumping), 0.02 on transfers.

Differences by design
---------------------
- One LP with costs, not priority levels. Pywr maximises Σ benefit × volume: within a priority it
  has no equal-coverage rule (any split of the level's water is optimal and GLPK returns a vertex,
  so one site may get everything); and because benefits are per volume delivered, with losses or
  return flows a lower priority that uses water more efficiently can win water from a higher one
  (the engine never cuts a higher priority). With adjacent priorities one unit of benefit apart, a
  loss above about 1/(100 − p) on a path is enough. Networks without losses or competing return
  flows give the same deliveries.
- Simple routes: in Pywr water cannot pass a node twice in a month, so a site cannot take up its
  own return flow again (the engine lets it, when its node is short of water), and a loop of
  transfers without a storage carries nothing around.
- Lakes: only the inflow is compared; evaporation from the lake surface is not in the Pywr model.
- Dead storage: the engine lets a reservoir that starts below its dead storage stay there; Pywr's
  ``min_volume`` would make that month infeasible, so min_volume is the smaller of the two.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ecociv.models.water_allocation.checks import return_shares
from ecociv.models.water_allocation.elements import Network
from ecociv.models.water_allocation.program import volume_scale

#: benefit of one unit delivered to priority p is (100 − p): Pywr's cost is its negative
PRIORITY_BASE = 100.0
LINK_COST = 1e-5
PREFERENCE_COST = 0.01
PUMPING_COST = 0.005
TRANSFER_COST = 0.02
REJECTED_RECHARGE_COST = 0.1


@contextmanager
def _quiet() -> Iterator[None]:
    """Pywr 1.31 turns its monthly frequency into a pandas offset with the alias 'M', which pandas ≥ 2.2
    reports as deprecated (the period alias 'M' itself is still right)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="'M' is deprecated", category=FutureWarning)
        yield


@dataclass
class PeerResult:
    """Flows of the Pywr run in the engine's layout (m³ per step; storages in m³ at the end of a step)."""

    labels: list[str]
    link_ids: list[str]
    flow: np.ndarray  # (links, steps) water entering each link
    arrival: np.ndarray  # (links, steps) water leaving each link after loss
    site_ids: list[str]
    delivered: np.ndarray  # (sites, steps)
    reservoir_ids: list[str]
    reservoir_storage: np.ndarray
    aquifer_ids: list[str]
    aquifer_storage: np.ndarray
    lake_ids: list[str]
    lake_inflow: np.ndarray
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class PywrModel:
    """A Pywr model built from a :class:`Network` and the Pywr nodes standing for each element."""

    model: Any
    net: Network
    scale: float
    days: np.ndarray  # length of each step in days
    link_entry: dict[str, Any] = field(default_factory=dict)  # link id → node carrying the water entering it
    link_net: dict[str, Any] = field(default_factory=dict)  # link id → node carrying the water leaving it
    site: dict[str, Any] = field(default_factory=dict)
    reservoir: dict[str, Any] = field(default_factory=dict)
    aquifer: dict[str, Any] = field(default_factory=dict)
    lake: dict[str, list[Any]] = field(default_factory=dict)
    recorders: dict[str, Any] = field(default_factory=dict)


def _evaporation_parameter(model: Any, storage: Any, evaporation_mm: np.ndarray, area: Any, months: np.ndarray,
                           scale: float) -> Any:
    """A Pywr parameter: the month's evaporation rate from ``storage`` (Pywr units per day).

    Notes
    -----
    E = min(e_m / 1000 × A(S₀), S₀) with e_m the month's evaporation depth (mm), A the water area
    (m²; constant or from the storage curve) and S₀ the storage at the start of the month (m³), as
    in the engine (:func:`ecociv.models.water_allocation.solver.allocate`).
    """
    from pywr.parameters import Parameter

    class ReservoirEvaporation(Parameter):
        def value(self, ts: Any, scenario_index: Any) -> float:
            volume = float(storage.volume[scenario_index.global_id]) * scale
            depth = float(evaporation_mm[months[ts.index]]) / 1000.0
            surface = float(area) if isinstance(area, (int, float)) else float(area.area_of_volume(volume))
            return min(depth * surface, volume) / scale / float(ts.days)

    return ReservoirEvaporation(model)


def to_pywr(net: Network, *, solver: str = "glpk") -> PywrModel:
    """Translate a resolved network into a Pywr model (see the module docstring for the mapping).

    Parameters
    ----------
    net : Network
        A network from :func:`~ecociv.models.water_allocation.network.load_network` or
        :func:`~ecociv.models.water_allocation.network.build_network` (m³ per monthly step).
    solver : str
        Pywr solver name (``glpk`` or ``lpsolve`` in Pywr 1.31).

    Returns
    -------
    PywrModel
        The Pywr model (not yet run) with the nodes standing for each link, site, storage and lake.
    """
    from pywr.core import Model
    from pywr.nodes import AggregatedNode, AnnualVirtualStorage, Input, Link, Output, Storage
    from pywr.parameters import ArrayIndexedParameter
    from pywr.recorders import NumpyArrayNodeRecorder, NumpyArrayStorageRecorder

    cal = net.calendar
    labels = cal.labels
    start = f"{labels[0]}-01"
    last = labels[-1]
    with _quiet():
        model = Model(start=start, end=f"{last}-01", timestep="M", solver=solver)
        periods = model.timestepper.datetime_index
    if len(periods) != cal.months:
        raise RuntimeError(f"Pywr made {len(periods)} monthly steps for a {cal.months}-month run")
    days = np.asarray(periods.days_in_month, dtype=float)
    scale = volume_scale(net)
    months = np.asarray(cal.month_of_year, dtype=int) - 1
    peer = PywrModel(model, net, scale, days)

    def rate(volumes: np.ndarray | float) -> Any:
        """Monthly volumes (m³) as a Pywr rate parameter (units per day)."""
        values = np.broadcast_to(np.asarray(volumes, dtype=float), (cal.months,)) / days / scale
        return ArrayIndexedParameter(model, values)

    # -- nodes --------------------------------------------------------------------------------
    entry: dict[str, Any] = {}  # our node → Pywr node water flows into
    leave: dict[str, Any] = {}  # our node → Pywr node water flows out of
    for node in net.nodes.values():
        name = f"node:{node.id}"
        if node.type in ("inflow", "junction"):
            hub = Link(model, name)
            entry[node.id] = leave[node.id] = hub
        elif node.type == "reservoir":
            res = net.reservoirs[node.id]
            hub = Storage(model, name, max_volume=res.capacity / scale, initial_volume=res.initial / scale,
                          min_volume=min(res.dead_storage, res.initial) / scale,
                          cost=-(PRIORITY_BASE - res.fill_priority))
            entry[node.id] = leave[node.id] = hub
            peer.reservoir[node.id] = hub
            if np.any(res.evaporation_mm > 0) and (not isinstance(res.area, (int, float)) or res.area > 0):
                evaporation = _evaporation_parameter(model, hub, res.evaporation_mm, res.area, months, scale)
                sink = Output(model, f"{name}:evaporation", min_flow=evaporation, max_flow=evaporation)
                hub.connect(sink)
        elif node.type == "aquifer":
            aq = net.aquifers[node.id]
            bound = aq.capacity if aq.capacity is not None else (
                aq.initial + float(aq.recharge.sum()) + sum(float(n.inflow.sum()) for n in net.nodes.values()))
            hub = Storage(model, name, max_volume=max(bound, aq.initial, 1.0) / scale,
                          initial_volume=aq.initial / scale, cost=0.0)
            peer.aquifer[node.id] = hub
            leave[node.id] = hub
            if aq.capacity is not None:
                gate = Link(model, f"{name}:recharge")
                gate.connect(hub)
                gate.connect(Output(model, f"{name}:rejected", cost=REJECTED_RECHARGE_COST))
                entry[node.id] = gate
            else:
                entry[node.id] = hub
            if np.any(aq.recharge > 0):
                Input(model, f"{name}:natural_recharge", min_flow=rate(aq.recharge),
                      max_flow=rate(aq.recharge)).connect(entry[node.id])
        elif node.type == "demand":
            site = net.demands[node.id]
            intake = Link(model, name, max_flow=rate(site.demand), cost=-(PRIORITY_BASE - site.priority))
            consumed = Output(model, f"{name}:consumed")
            intake.connect(consumed)
            entry[node.id] = leave[node.id] = intake
            peer.site[node.id] = intake
        elif node.type == "lake":
            lake = net.lakes[node.id]
            rest = Output(model, name)
            peer.lake[node.id] = [rest]
            if lake.minimum_inflow is not None and np.any(lake.minimum_inflow > 0):
                hub = Link(model, f"{name}:inflow")
                minimum = Output(model, f"{name}:minimum", max_flow=rate(lake.minimum_inflow),
                                 cost=-(PRIORITY_BASE - lake.priority))
                hub.connect(minimum)
                hub.connect(rest)
                peer.lake[node.id].append(minimum)
                entry[node.id] = hub
            else:
                entry[node.id] = rest
        else:  # sink
            entry[node.id] = Output(model, name)
        if node.type in ("inflow", "junction", "reservoir") and np.any(node.inflow > 0):
            Input(model, f"{name}:local_inflow", min_flow=rate(node.inflow),
                  max_flow=rate(node.inflow)).connect(entry[node.id])

    # -- links --------------------------------------------------------------------------------
    hubs: dict[tuple[str, str], tuple[Any, set[str]]] = {}  # (site, node) → (hub for its returns, links left out)

    def returns_hub(link: Any) -> Any:
        """The node a return that would come back to its own site enters instead of ``link.target``."""
        key = (link.source, link.target)
        if key not in hubs:
            hub = Link(model, f"node:{link.target}:returns_of:{link.source}")
            hubs[key] = (hub, loops[link.source][link.id])
        return hubs[key][0]

    requirement_of = {req.link: req for req in net.requirements}
    heads: dict[str, list[Any]] = {}  # link id → the Pywr nodes water enters it by
    loops = _return_loops(net)
    for link in net.links:
        if not link.enabled and link.kind != "return":
            continue
        name = f"link:{link.id}"
        cost = LINK_COST
        if link.kind == "supply":
            cost += PREFERENCE_COST * link.preference
        if link.kind == "transfer":
            cost += TRANSFER_COST
        if net.nodes[link.source].type == "aquifer":
            cost += PUMPING_COST
        capacity = None if link.capacity is None else link.capacity
        if not link.enabled:
            capacity = np.zeros(cal.months)
        gross = Link(model, name, cost=cost, **({} if capacity is None else {"max_flow": rate(capacity)}))
        peer.link_entry[link.id] = gross
        upstream = leave[link.source]
        req = requirement_of.get(link.id)
        if req is not None:
            limit = req.flow if capacity is None else np.minimum(req.flow, capacity)
            first = Link(model, f"{name}:requirement", max_flow=rate(limit), cost=-(PRIORITY_BASE - req.priority))
            rest = Link(model, f"{name}:above_requirement",
                        **({} if capacity is None else {"max_flow": rate(np.maximum(capacity - limit, 0.0))}))
            heads[link.id] = [first, rest]
            for part in (first, rest):
                part.connect(gross)
        else:
            heads[link.id] = [gross]
        for head in heads[link.id]:
            upstream.connect(head)
        if link.loss > 0:
            arrive = Link(model, f"{name}:net")
            lost = Link(model, f"{name}:lost")
            gross.connect(arrive)
            gross.connect(lost)
            lost.connect(entry[link.loss_to] if link.loss_to else Output(model, f"{name}:loss"))
            AggregatedNode(model, f"{name}:loss_ratio", [arrive, lost]).factors = [1.0 - link.loss, link.loss]
            arrive.connect(returns_hub(link) if link.id in loops.get(link.source, {}) else entry[link.target])
            peer.link_net[link.id] = arrive
        else:
            gross.connect(returns_hub(link) if link.id in loops.get(link.source, {}) else entry[link.target])
            peer.link_net[link.id] = gross
    for hub_of, (hub, excluded) in hubs.items():
        for out in net.links_out_of(hub_of[1]):
            if out.id in heads and out.id not in excluded:
                for head in heads[out.id]:
                    hub.connect(head)

    # -- return flows, caps, pumping limits ---------------------------------------------------
    for site in net.demands.values():
        shares = return_shares(net, site.id)
        if not shares:
            continue
        consumed = model.nodes[f"node:{site.id}:consumed"]
        returns = [peer.link_entry[link_id] for link_id in shares]
        if site.return_fraction <= 0:
            for node in returns:
                node.max_flow = 0.0
            continue
        factors = [site.return_fraction * share for share in shares.values()]
        members = returns
        if site.return_fraction < 1:
            members = [consumed, *returns]
            factors = [1.0 - site.return_fraction, *factors]
        else:
            consumed.max_flow = 0.0
        if len(members) > 1:
            AggregatedNode(model, f"node:{site.id}:returns", members).factors = factors
    for cap in net.caps:
        AggregatedNode(model, f"cap:{cap.id}", [peer.site[s] for s in cap.sites]).max_flow = rate(cap.limit)
    for aq_id, aq in net.aquifers.items():
        pumps = [peer.link_entry[lk.id] for lk in net.links_out_of(aq_id) if lk.id in peer.link_entry]
        if aq.pumping_limit is not None and pumps:
            volume = aq.pumping_limit / scale
            AnnualVirtualStorage(model, f"node:{aq_id}:pumping_limit", nodes=pumps, max_volume=volume,
                                 initial_volume=volume, reset_day=1, reset_month=1)
        if aq.monthly_pumping_limit is not None and pumps:
            AggregatedNode(model, f"node:{aq_id}:monthly_pumping_limit", pumps).max_flow = \
                rate(aq.monthly_pumping_limit)

    _close_open_ends(model)

    # -- recorders ----------------------------------------------------------------------------
    for link_id, node in peer.link_entry.items():
        peer.recorders[f"flow:{link_id}"] = NumpyArrayNodeRecorder(model, node)
        if peer.link_net[link_id] is not node:
            peer.recorders[f"arrival:{link_id}"] = NumpyArrayNodeRecorder(model, peer.link_net[link_id])
    for site_id, node in peer.site.items():
        peer.recorders[f"site:{site_id}"] = NumpyArrayNodeRecorder(model, node)
    for store_id, node in {**peer.reservoir, **peer.aquifer}.items():
        peer.recorders[f"storage:{store_id}"] = NumpyArrayStorageRecorder(model, node)
    for lake_id, outputs in peer.lake.items():
        for i, node in enumerate(outputs):
            peer.recorders[f"lake:{lake_id}:{i}"] = NumpyArrayNodeRecorder(model, node)
    return peer


def _return_loops(net: Network) -> dict[str, dict[str, set[str]]]:
    """Return links that bring a site's water back to a node it is supplied from without a storage
    in between: {site: {return link: links out of the return's node that lead back to the site}}.

    Pywr allocates over simple routes (no node twice), so such a return could never go on; the
    translation sends it to a copy of the node whose outflows leave out the links in the set.
    """
    out: dict[str, list[Any]] = {}
    for link in net.links:
        if link.enabled or link.kind == "return":
            out.setdefault(link.source, []).append(link)
    storages = set(net.reservoirs) | set(net.aquifers)

    def reaches(start: str, goal: str) -> bool:
        seen, stack = {start}, [start]
        while stack:
            node = stack.pop()
            if node == goal:
                return True
            if node in storages and node != start:
                continue
            for link in out.get(node, []):
                if link.target not in seen:
                    seen.add(link.target)
                    stack.append(link.target)
        return False

    loops: dict[str, dict[str, set[str]]] = {}
    for link in net.links:
        if link.kind != "return" or link.target in storages or not reaches(link.target, link.source):
            continue
        back = {lk.id for lk in out.get(link.target, []) if lk.target == link.source or
                (lk.target not in storages and reaches(lk.target, link.source))}
        loops.setdefault(link.source, {})[link.id] = back
    return loops


def _close_open_ends(model: Any) -> None:
    """Give every Pywr node a route from an input and to an output (Pywr refuses nodes on no route).

    A storage with no inflow, a junction no water reaches or a node with no way out is legal in our
    format (it just carries nothing); in Pywr it gets an ``Input`` or ``Output`` with max_flow 0.
    """
    import networkx as nx
    from pywr._core import BaseInput, BaseLink, BaseOutput, StorageInput, StorageOutput
    from pywr.nodes import Input, Output

    graph = model.graph
    for direction in ("from_input", "to_output"):
        for count in range(len(graph) + 1):
            flow_nodes = [n for n in graph.nodes if isinstance(n, (BaseInput, BaseOutput, BaseLink))]
            if direction == "from_input":
                ends = [n for n in flow_nodes if isinstance(n, BaseInput)]
                reached = set(ends).union(*(nx.descendants(graph, n) for n in ends))
                open_ends = [n for n in flow_nodes if n not in reached and not isinstance(n, BaseInput)]
                neighbours = graph.predecessors
            else:
                ends = [n for n in flow_nodes if isinstance(n, BaseOutput)]
                reached = set(ends).union(*(nx.ancestors(graph, n) for n in ends))
                open_ends = [n for n in flow_nodes if n not in reached and not isinstance(n, BaseOutput)]
                neighbours = graph.successors
            if not open_ends:
                break
            unreached = set(open_ends)
            heads = [n for n in open_ends if not any(m in unreached for m in neighbours(n))] or open_ends[:1]
            for node in heads:
                owner = node.parent if isinstance(node, (StorageInput, StorageOutput)) else node
                if direction == "from_input":
                    Input(model, f"{owner.name}:no_inflow:{count}", max_flow=0.0).connect(owner)
                else:
                    owner.connect(Output(model, f"{owner.name}:no_outflow:{count}", max_flow=0.0))


def run_pywr(peer: PywrModel) -> PeerResult:
    """Run a translated model and return its flows in m³ per step (storages in m³).

    ``timings`` holds ``setup_s`` (Pywr's route search and LP construction) and ``run_s`` (the
    monthly solves), wall-clock seconds.
    """
    net, model, scale = peer.net, peer.model, peer.scale
    with _quiet():
        started = time.perf_counter()
        model.setup()
        set_up = time.perf_counter()
        model.run()
        finished = time.perf_counter()
    steps = net.calendar.months

    def volumes(key: str) -> np.ndarray:
        return np.asarray(peer.recorders[key].data, dtype=float)[:, 0] * peer.days * scale

    def levels(key: str) -> np.ndarray:
        return np.asarray(peer.recorders[key].data, dtype=float)[:, 0] * scale

    link_ids = [lk.id for lk in net.links]
    flow = np.zeros((len(link_ids), steps))
    arrival = np.zeros_like(flow)
    for i, link in enumerate(net.links):
        if link.id not in peer.link_entry:
            continue
        flow[i] = volumes(f"flow:{link.id}")
        arrival[i] = volumes(f"arrival:{link.id}") if f"arrival:{link.id}" in peer.recorders else flow[i]
    sites = list(net.demands)
    lakes = list(net.lakes)
    return PeerResult(
        list(net.calendar.labels), link_ids, flow, arrival, sites,
        np.array([volumes(f"site:{s}") for s in sites]).reshape(len(sites), steps),
        list(net.reservoirs),
        np.array([levels(f"storage:{r}") for r in net.reservoirs]).reshape(len(net.reservoirs), steps),
        list(net.aquifers),
        np.array([levels(f"storage:{a}") for a in net.aquifers]).reshape(len(net.aquifers), steps),
        lakes,
        np.array([sum(volumes(f"lake:{k}:{i}") for i in range(len(peer.lake[k]))) for k in lakes]
                 ).reshape(len(lakes), steps),
        {"setup_s": set_up - started, "run_s": finished - set_up})


def allocate_pywr(net: Network, *, solver: str = "glpk") -> PeerResult:
    """Translate ``net`` to Pywr and run it: :func:`to_pywr` then :func:`run_pywr`."""
    started = time.perf_counter()
    peer = to_pywr(net, solver=solver)
    built = time.perf_counter()
    result = run_pywr(peer)
    result.timings["build_s"] = built - started
    release(peer)
    return result


def release(peer: PywrModel) -> None:
    """Free a Pywr model now, in this thread. Pywr's objects hold reference cycles, so they are freed
    by the garbage collector at an arbitrary later moment, possibly in another thread (a dask or
    process-pool worker), where GLPK, whose environment is thread-local, aborts the whole process
    ("glp_free: memory allocation error")."""
    import gc

    peer.__dict__.clear()
    gc.collect()
