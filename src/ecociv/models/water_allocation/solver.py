"""Monthly priority allocation: one HiGHS linear program per step, solved priority level by level.

For each level (priority 1 first) the largest common coverage fraction τ of the level's targets is
found (max τ s.t. delivered_j ≥ τ·target_j); if τ < 1 a second program gives the level's targets
any further water the network can deliver with every target at ≥ τ. The level's deliveries are
then fixed as lower bounds, so a later (lower-priority) level can re-route water but never take
it from a higher one. A final program keeps all deliveries and uses supply links in order of
preference, pumps groundwater and runs transfers only where needed. This is the rule of WEAP's
allocation (Yates et al. 2005, *Water International* 30(4): 487–500: priorities 1–99, equal
coverage within a priority, supply preferences), with storage carried between months.

Volumes are scaled inside the programs (a power of ten so that the largest monthly volume is about
10³ units, keeping HiGHS's 1e-7 tolerances far below any reported volume); results are in m³.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np

from ecociv.errors import InputError
from ecociv.models.water_allocation.checks import return_shares
from ecociv.models.water_allocation.elements import Network

INF = highspy.kHighsInf
FIX_TOLERANCE = 1e-9  # coverage fractions fixed at (value − this) for later levels
LINK_COST = 1e-3  # per LP unit on every link: no water is moved without a reason
PREFERENCE_COST = 1.0  # per LP unit and preference rank on supply links (final program)
PUMPING_COST = 0.5  # per LP unit pumped (final program): groundwater only where surface water lacks
TRANSFER_COST = 2.0  # per LP unit transferred between basins (final program)
KEEP_REWARD = 100.0  # per LP unit delivered (final program), above any routing cost
TIE_BREAK = 1e-5  # relative perturbation of target rewards that makes optimal allocations unique
LINK_TIE = 1e-4  # per LP unit, spread over the links in file order (well above HiGHS's 1e-9 tolerance)


@dataclass
class Target:
    """Something served by priority: a site's demand, a minimum flow, a lake's minimum inflow, a fill."""

    id: str
    kind: str  # demand | requirement | lake | fill
    ref: str
    priority: int
    amount: np.ndarray  # m³ per step
    row: int = -1
    col: int = -1
    level_row: int = -1


@dataclass
class Result:
    """Allocation over every step; volumes in m³ (per step for flows, end of step for storages)."""

    labels: list[str]
    link_ids: list[str]
    flow: np.ndarray  # (links, steps) water entering each link
    arrival: np.ndarray  # (links, steps) water leaving each link (after loss)
    targets: list[Target]
    reservoir_ids: list[str]
    reservoir_storage: np.ndarray
    reservoir_evaporation: np.ndarray
    aquifer_ids: list[str]
    aquifer_storage: np.ndarray
    aquifer_recharge: np.ndarray  # natural + links in + seepage
    aquifer_pumping: np.ndarray
    aquifer_rejected: np.ndarray  # recharge the full aquifer could not take
    lake_ids: list[str]
    lake: dict[str, dict[str, np.ndarray]]
    site_ids: list[str] = field(default_factory=list)
    site_delivered: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (sites, steps)
    solves: int = 0
    residuals: dict[str, np.ndarray] = field(default_factory=dict)


def new_highs() -> highspy.Highs:
    """A silent HiGHS instance (the library prints a banner on C stdout when the first one is made)."""
    import os
    import sys

    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no file descriptor 1 (embedded interpreters)
        saved = -1
    if saved >= 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    try:
        highs = highspy.Highs()
    finally:
        if saved >= 0:
            os.dup2(saved, 1)
            os.close(saved)
    highs.setOptionValue("output_flag", False)
    # volumes are scaled to ~10³ units: 1e-9 keeps solver slack below 10⁻⁶ of the largest monthly volume
    highs.setOptionValue("primal_feasibility_tolerance", 1e-9)
    highs.setOptionValue("dual_feasibility_tolerance", 1e-9)
    # small programs re-solved from the previous basis: presolve costs more than it saves, and the
    # primal simplex suits the objective changes between levels (Belt network, 360 months: 0.86 -> 0.58 s)
    highs.setOptionValue("presolve", "off")
    highs.setOptionValue("simplex_strategy", 4)
    return highs


def volume_scale(net: Network) -> float:
    """m³ per LP unit: a power of ten near the network's largest monthly volume / 10³."""
    largest = [1.0]
    largest += [float(node.inflow.max()) for node in net.nodes.values()]
    largest += [float(site.demand.max()) for site in net.demands.values()]
    largest += [res.capacity for res in net.reservoirs.values()]
    largest += [float(aq.recharge.max()) for aq in net.aquifers.values()]
    return float(10.0 ** max(0, round(np.log10(max(largest))) - 3))


class _Program:
    """The LP of one network; only bounds, costs and target coefficients change between steps."""

    def __init__(self, net: Network):
        self.net = net
        self.scale = volume_scale(net)
        self.h = new_highs()
        self.links = net.links
        self.link_index = {lk.id: i for i, lk in enumerate(self.links)}
        n_links = len(self.links)
        self.res_ids = list(net.reservoirs)
        self.aq_ids = list(net.aquifers)
        self.site_ids = list(net.demands)
        col = n_links
        self.res_col = {r: col + i for i, r in enumerate(self.res_ids)}
        col += len(self.res_ids)
        self.aq_col = {a: col + i for i, a in enumerate(self.aq_ids)}
        col += len(self.aq_ids)
        self.aq_spill_col = {a: col + i for i, a in enumerate(self.aq_ids)}
        col += len(self.aq_ids)
        self.site_col = {d: col + i for i, d in enumerate(self.site_ids)}
        col += len(self.site_ids)
        self.targets = self._targets()
        for target in self.targets:
            target.col = col
            col += 1
        self.tau = col
        col += 1
        self.balance_nodes = [n.id for n in net.nodes.values()
                              if n.type in ("inflow", "junction", "reservoir", "aquifer", "demand")]
        self.slack_pos: dict[str, int] = {}  # added only to diagnose an infeasible month (add_slack)
        self.slack_neg: dict[str, int] = {}
        self.n_cols = col
        self.h.addVars(col, np.zeros(col), np.full(col, INF))
        self.rows: list[str] = []
        self._build_rows()
        self.base_cost = np.zeros(col)
        for i, link in enumerate(self.links):
            cost = LINK_COST
            if link.kind == "supply":
                cost += PREFERENCE_COST * link.preference
            if link.kind == "transfer":
                cost += TRANSFER_COST
            if self.net.nodes[link.source].type == "aquifer":
                cost += PUMPING_COST
            # tie-break: among equally preferred routes the one listed first in the file carries the
            # water, so the allocation does not depend on the simplex path (reproducible results)
            self.base_cost[i] = cost + LINK_TIE * (i + 1) / len(self.links)
        for a in self.aq_ids:
            self.base_cost[self.aq_spill_col[a]] = 10.0
        self.solves = 0

    def _targets(self) -> list[Target]:
        net = self.net
        targets = [Target(f"demand:{d.id}", "demand", d.id, d.priority, d.demand) for d in net.demands.values()]
        targets += [Target(f"requirement:{r.id}", "requirement", r.id, r.priority, r.flow) for r in net.requirements]
        targets += [Target(f"lake:{lake.id}", "lake", lake.id, lake.priority, lake.minimum_inflow)
                    for lake in net.lakes.values() if lake.minimum_inflow is not None]
        targets += [Target(f"fill:{r.id}", "fill", r.id, r.fill_priority,
                           np.full(net.calendar.months, r.capacity)) for r in net.reservoirs.values()]
        return targets

    def _add_row(self, name: str, lower: float, upper: float, cols: list[int], vals: list[float]) -> int:
        merged: dict[int, float] = {}
        for c, v in zip(cols, vals, strict=True):
            merged[c] = merged.get(c, 0.0) + v
        self.h.addRow(lower, upper, len(merged), np.array(list(merged), dtype=np.int32),
                      np.array(list(merged.values()), dtype=float))
        self.rows.append(name)
        return len(self.rows) - 1

    def _build_rows(self) -> None:
        net = self.net
        self.balance_row: dict[str, int] = {}
        for node_id in self.balance_nodes:
            node = net.nodes[node_id]
            cols: list[int] = []
            vals: list[float] = []
            for i, link in enumerate(self.links):
                if link.target == node_id:
                    cols.append(i)
                    vals.append(1.0 - link.loss)
                if link.source == node_id and node.type != "demand":  # a site's returns have their own rows
                    cols.append(i)
                    vals.append(-1.0)
                if node.type == "aquifer" and link.loss_to == node_id:
                    cols.append(i)
                    vals.append(link.loss)
            if node.type == "reservoir":
                cols.append(self.res_col[node_id])
                vals.append(-1.0)
            elif node.type == "aquifer":
                cols += [self.aq_col[node_id], self.aq_spill_col[node_id]]
                vals += [-1.0, -1.0]
            elif node.type == "demand":
                cols.append(self.site_col[node_id])
                vals.append(-1.0)
            self.balance_row[node_id] = self._add_row(f"balance of {node.type} '{node_id}'", 0.0, 0.0, cols, vals)
        for site in net.demands.values():
            for link_id, share in return_shares(net, site.id).items():
                self._add_row(f"return flow of '{site.id}' on link '{link_id}'", 0.0, 0.0,
                              [self.link_index[link_id], self.site_col[site.id]],
                              [1.0, -share * site.return_fraction])
        self.pump_row: dict[str, int] = {}
        for a, aquifer in net.aquifers.items():
            if aquifer.pumping_limit is not None or aquifer.monthly_pumping_limit is not None:
                outs = [i for i, lk in enumerate(self.links) if lk.source == a]
                if outs:
                    self.pump_row[a] = self._add_row(f"pumping limit of aquifer '{a}'", -INF, INF, outs,
                                                     [1.0] * len(outs))
        self.cap_rows = [self._add_row(f"water-use cap '{cap.id}'", -INF, INF,
                                       [self.site_col[site] for site in cap.sites], [1.0] * len(cap.sites))
                         for cap in net.caps]
        for target in self.targets:
            if target.kind == "demand":
                cols, vals, upper = [self.site_col[target.ref], target.col], [1.0, -1.0], 0.0
            elif target.kind == "requirement":
                link_id = next(r.link for r in net.requirements if r.id == target.ref)
                cols, vals, upper = [self.link_index[link_id], target.col], [1.0, -1.0], INF
            elif target.kind == "lake":
                ins = [(i, 1.0 - lk.loss) for i, lk in enumerate(self.links) if lk.target == target.ref]
                cols = [i for i, _ in ins] + [target.col]
                vals = [v for _, v in ins] + [-1.0]
                upper = INF
            else:
                cols, vals, upper = [self.res_col[target.ref], target.col], [1.0, -1.0], INF
            target.row = self._add_row(f"{target.kind} target '{target.ref}'", 0.0, upper, cols, vals)
            target.level_row = self._add_row(f"level of '{target.id}'", -INF, INF, [target.col, self.tau],
                                             [1.0, -1.0])

    def add_slack(self) -> None:
        """Give every node balance a pair of free slack columns (for :func:`_diagnose`)."""
        for node_id in self.balance_nodes:
            row = self.balance_row[node_id]
            for sign, store in ((1.0, self.slack_pos), (-1.0, self.slack_neg)):
                self.h.addVar(0.0, INF)
                store[node_id] = self.n_cols
                self.h.changeCoeff(row, self.n_cols, sign)
                self.n_cols += 1

    # -- per step -------------------------------------------------------------------------------

    def run(self) -> str:
        self.h.run()
        self.solves += 1
        return str(self.h.getModelStatus()).rsplit(".", 1)[-1]

    def values(self) -> np.ndarray:
        return np.asarray(self.h.getSolution().col_value)

    def set_costs(self, cost: np.ndarray) -> None:
        self.h.changeColsCost(self.n_cols, np.arange(self.n_cols, dtype=np.int32), cost)

    def set_col_bounds(self, cols: list[int] | np.ndarray, lower: Any, upper: Any) -> None:
        cols = np.asarray(cols, dtype=np.int32)
        if cols.size:
            self.h.changeColsBounds(cols.size, cols, _filled(lower, cols.size), _filled(upper, cols.size))

    def set_row_bounds(self, rows: list[int] | np.ndarray, lower: Any, upper: Any) -> None:
        idx = np.asarray(rows, dtype=np.int32)
        if idx.size:
            self.h.changeRowsBounds(idx.size, idx, _filled(lower, idx.size),  # type: ignore[attr-defined]
                                    _filled(upper, idx.size))


def _filled(value: Any, size: int) -> np.ndarray:
    """``value`` as a float array of ``size`` (a scalar repeated)."""
    if isinstance(value, (int, float)):
        return np.full(size, float(value))
    return np.ascontiguousarray(value, dtype=float)


def _area(area: Any, volume: float) -> float:
    if isinstance(area, (int, float)):
        return float(area)
    return float(area.area_of_volume(volume))


def allocate(net: Network, *, shortcuts: bool = True) -> Result:
    """Allocate water over every step of ``net``; raises :class:`InputError` naming the node and month
    when a step has no feasible allocation.

    Each month first tries the common case in one program: every target except reservoir filling
    fully served, filling and routing optimised together. Only when that is infeasible (a shortage
    somewhere) are the levels solved one by one; after a month with a shortage the next month starts
    with one program that serves the levels above last month's short level in full and maximises
    that level's coverage (when feasible, exactly that level's step; fewer programs). Reservoir
    filling below every other priority (the default 99) keeps the most water stored; equal coverage
    applies to the targets of one level.
    ``shortcuts=False`` solves every level of every month: the reference the shortcuts are tested
    against (ties between equally good allocations are broken by fixed small costs, in file order and
    upstream reservoirs first, so both give the same allocation).
    """
    prog = _Program(net)
    cal = net.calendar
    steps = cal.months
    labels = cal.labels
    month = cal.month_of_year - 1
    years = cal.years
    links = net.links
    n_links = len(links)
    scale = prog.scale
    flow = np.zeros((n_links, steps))
    site_delivered = np.zeros((len(prog.site_ids), steps))
    res_store = np.zeros((len(prog.res_ids), steps))
    res_evap = np.zeros_like(res_store)
    aq_store = np.zeros((len(prog.aq_ids), steps))
    aq_pump = np.zeros_like(aq_store)
    aq_recharge = np.zeros_like(aq_store)
    aq_rejected = np.zeros_like(aq_store)
    lake_state = {k: lake.initial_volume for k, lake in net.lakes.items()}
    lake_out: dict[str, dict[str, np.ndarray]] = {
        k: {name: np.zeros(steps) for name in ("inflow", "precipitation", "evaporation", "spill", "volume", "area",
                                            "level")}
        for k in net.lakes}
    storage = np.array([net.reservoirs[r].initial for r in prog.res_ids], dtype=float)
    aq_storage = np.array([net.aquifers[a].initial for a in prog.aq_ids], dtype=float)
    pumped_this_year = np.zeros(len(prog.aq_ids))

    # static index arrays
    target_cols = np.array([t.col for t in prog.targets], dtype=np.int32)
    level_rows = np.array([t.level_row for t in prog.targets], dtype=np.int32)
    priorities = np.array([t.priority for t in prog.targets])
    is_fill = np.array([t.kind == "fill" for t in prog.targets], dtype=bool)
    amounts_all = np.array([t.amount for t in prog.targets]).reshape(len(prog.targets), steps)
    link_cap = np.array([np.full(steps, INF) if lk.capacity is None else lk.capacity / scale for lk in links])
    link_cap = link_cap.reshape(n_links, steps)
    link_cap[~np.array([lk.enabled for lk in links], dtype=bool)] = 0.0
    loss = np.array([lk.loss for lk in links])
    res_cols = np.array([prog.res_col[r] for r in prog.res_ids], dtype=np.int32)
    aq_cols = np.array([prog.aq_col[a] for a in prog.aq_ids], dtype=np.int32)
    aq_spill_cols = np.array([prog.aq_spill_col[a] for a in prog.aq_ids], dtype=np.int32)
    site_cols = np.array([prog.site_col[d] for d in prog.site_ids], dtype=np.int32)
    site_demand = np.array([net.demands[d].demand for d in prog.site_ids]).reshape(len(prog.site_ids), steps)
    node_index = {n: i for i, n in enumerate(prog.balance_nodes)}
    balance_rows = np.array([prog.balance_row[n] for n in prog.balance_nodes], dtype=np.int32)
    local_inflow = np.array([net.nodes[n].inflow for n in prog.balance_nodes]).reshape(len(balance_rows), steps)
    res_rows = np.array([node_index[r] for r in prog.res_ids], dtype=int)
    aq_rows = np.array([node_index[a] for a in prog.aq_ids], dtype=int)
    recharge = np.array([net.aquifers[a].recharge for a in prog.aq_ids]).reshape(len(prog.aq_ids), steps)
    res_capacity = np.array([net.reservoirs[r].capacity for r in prog.res_ids])
    res_dead = np.array([net.reservoirs[r].dead_storage for r in prog.res_ids])
    aq_capacity = np.array([np.inf if net.aquifers[a].capacity is None else net.aquifers[a].capacity
                            for a in prog.aq_ids])
    pump_limit = np.array([net.aquifers[a].pumping_limit if net.aquifers[a].pumping_limit is not None else np.inf
                           for a in prog.aq_ids])
    pump_rows = np.array([prog.pump_row.get(a, -1) for a in prog.aq_ids], dtype=np.int32)
    pump_monthly = np.array([net.aquifers[a].monthly_pumping_limit if net.aquifers[a].monthly_pumping_limit is not None
                             else np.full(steps, np.inf) for a in prog.aq_ids]).reshape(len(prog.aq_ids), steps)
    has_pump_row = pump_rows >= 0
    pumping_matrix = np.array([[1.0 if lk.source == a else 0.0 for lk in links] for a in prog.aq_ids])
    gain_matrix = np.array([[(1 - lk.loss) * (lk.target == a) + lk.loss * (lk.loss_to == a) for lk in links]
                            for a in prog.aq_ids])
    lake_matrix = np.array([[(1 - lk.loss) * (lk.target == k) for lk in links] for k in net.lakes])
    cap_rows = np.array(prog.cap_rows, dtype=np.int32)
    cap_limits = np.array([c.limit for c in net.caps]).reshape(len(net.caps), steps)
    zero_cost = np.zeros(prog.n_cols)
    # tie-break weights of the targets: earlier targets (file order) and upstream reservoirs first
    depth = _depths(net)
    keys = [(depth[t.ref] if t.kind == "fill" else 0, i) for i, t in enumerate(prog.targets)]
    rank = np.empty(len(keys))
    rank[sorted(range(len(keys)), key=keys.__getitem__)] = np.arange(len(keys))
    tie = 1.0 + TIE_BREAK * (1.0 - rank / (len(keys) + 1.0))
    tau_cost = zero_cost.copy()
    tau_cost[prog.tau] = -1.0
    # columns whose bounds are set every step: links, storages, targets, sites, tau
    step_cols = np.concatenate([np.arange(n_links, dtype=np.int32), res_cols, aq_cols, target_cols, site_cols,
                                np.array([prog.tau], dtype=np.int32)])
    evap_rate = np.array([net.reservoirs[r].evaporation_mm for r in prog.res_ids]).reshape(len(prog.res_ids), 12)

    def set_targets_lower(members: np.ndarray, lower: Any) -> None:
        prog.set_col_bounds(target_cols[members], lower, 1.0)

    def solve_levels(levels: list[int], active: np.ndarray, amounts: np.ndarray, when: str,
                     first_tau: float | None = None, final_cost: np.ndarray | None = None) -> tuple[int | None, bool]:
        """Serve ``levels`` in order; returns the first level that could not be served in full and
        whether the final program has been solved already.

        ``first_tau``: the first level's coverage, already maximised by the caller's program (its
        level rows active). ``final_cost``: once a level has been short, try the final program with
        every later level served in full; when that is feasible it is the month's answer (each later
        level's step would have given coverage 1)."""
        short = None
        for index, level in enumerate(levels):
            members = np.flatnonzero(active & (priorities == level))
            if members.size == 0:
                continue
            if index == 0 and first_tau is not None:
                tau = first_tau
            else:
                prog.set_row_bounds(level_rows[members], 0.0, INF)
                prog.set_col_bounds([prog.tau], 0.0, 1.0)
                prog.set_costs(tau_cost)
                status = prog.run()
                if status != "kOptimal":
                    raise _diagnose(prog, when, status)
                tau = float(prog.values()[prog.tau])
            if tau < 1.0 - FIX_TOLERANCE and short is None:
                short = level
            if tau < 1.0 - FIX_TOLERANCE and members.size > 1:
                prog.set_col_bounds([prog.tau], tau, tau)
                cost = zero_cost.copy()
                cost[target_cols[members]] = -amounts[members] / amounts[members].max() * tie[members]
                prog.set_costs(cost)
                if prog.run() != "kOptimal":
                    raise _diagnose(prog, when, "second pass")
            fractions = prog.values()[target_cols[members]]
            set_targets_lower(members, np.clip(fractions - FIX_TOLERANCE, 0.0, 1.0))
            prog.set_row_bounds(level_rows[members], -INF, INF)
            rest = levels[index + 1:]
            if short is not None and rest and final_cost is not None:
                later = np.flatnonzero(active & np.isin(priorities, rest))
                set_targets_lower(later, 1.0)
                prog.set_col_bounds([prog.tau], 0.0, 1.0)
                prog.set_costs(final_cost)
                if prog.run() == "kOptimal":
                    return short, True
                set_targets_lower(later, 0.0)
        prog.set_col_bounds([prog.tau], 0.0, 1.0)
        return short, False

    short_level: int | None = None  # first level short in the previous month
    last_short: int | None = None  # first level short in the last month that had a shortage
    for t in range(steps):
        if t > 0 and years[t] != years[t - 1]:
            pumped_this_year[:] = 0.0
        # storages, evaporation and right-hand sides
        rhs = -local_inflow[:, t].copy()
        evaporation = np.zeros(len(prog.res_ids))
        res_lower = np.zeros(len(prog.res_ids))
        for i, r in enumerate(prog.res_ids):
            area = _area(net.reservoirs[r].area, storage[i])
            evaporation[i] = min(evap_rate[i, month[t]] / 1000.0 * area, storage[i])
            res_lower[i] = min(res_dead[i], storage[i] - evaporation[i])
        if res_rows.size:
            rhs[res_rows] -= storage - evaporation
        if aq_rows.size:
            rhs[aq_rows] -= aq_storage + recharge[:, t]
        prog.set_row_bounds(balance_rows, rhs / scale, rhs / scale)
        if has_pump_row.any():
            remaining = np.minimum(np.maximum(0.0, pump_limit - pumped_this_year), pump_monthly[:, t])[has_pump_row]
            prog.set_row_bounds(pump_rows[has_pump_row], -INF, remaining / scale)
        if cap_rows.size:
            prog.set_row_bounds(cap_rows, -INF, cap_limits[:, t] / scale)
        prog.set_row_bounds(level_rows, -INF, INF)
        amounts = amounts_all[:, t]
        active = amounts > 0
        for target, amount in zip(prog.targets, amounts, strict=True):
            prog.h.changeCoeff(target.row, target.col, -amount / scale)
        # all column bounds of the step in one call; the quick path: every non-fill target served
        quick_lower = np.where(active & ~is_fill, 1.0, np.where(active, 0.0, 1.0))
        lower = np.concatenate([np.zeros(n_links), res_lower / scale, np.zeros(aq_cols.size), quick_lower,
                                np.zeros(site_cols.size), [0.0]])
        upper = np.concatenate([link_cap[:, t], res_capacity / scale,
                                np.maximum(aq_capacity, aq_storage) / scale, np.ones(target_cols.size),
                                site_demand[:, t] / scale, [1.0]])
        prog.set_col_bounds(step_cols, lower, upper)
        final_cost = prog.base_cost.copy()
        # keep every delivery at its fixed level; reservoirs upstream fill first among equals
        final_cost[target_cols] = -KEEP_REWARD * amounts / scale * tie
        prog.set_costs(final_cost)
        # reservoir filling below every other target (the usual priority 99) is left to the final
        # program, which keeps as much water stored as it can; other levels are served in order
        demand_levels = priorities[active & ~is_fill]
        lowest_demand = int(demand_levels.max()) if demand_levels.size else 0
        fills = np.unique(priorities[active & is_fill & (priorities > lowest_demand)])
        last_fill = int(fills[-1]) if fills.size else None
        levels = [int(p) for p in np.unique(priorities[active]) if p != last_fill]
        quick = bool(np.all(priorities[active & is_fill] > lowest_demand)) and fills.size <= 1
        # after a month with a shortage, expect one again: skip the one-program attempt and maximise
        # last month's short level with every level above it served in full (if that is feasible it
        # is exactly that level's step of the level-by-level rule)
        if not shortcuts:
            quick, short_level = False, None
        status = prog.run() if quick and short_level is None else "skipped"
        if status != "kOptimal":
            todo = levels
            first_tau = None
            expect = short_level if short_level is not None else last_short
            if shortcuts and expect is not None and expect in levels and expect != levels[0]:
                above = active & (priorities < expect)
                set_targets_lower(np.flatnonzero(active), np.where(above, 1.0, 0.0)[active])
                guess = np.flatnonzero(active & (priorities == expect))
                prog.set_row_bounds(level_rows[guess], 0.0, INF)
                prog.set_col_bounds([prog.tau], 0.0, 1.0)
                prog.set_costs(tau_cost)
                if prog.run() == "kOptimal":
                    todo = [p for p in levels if p >= expect]
                    first_tau = float(prog.values()[prog.tau])
                else:
                    prog.set_row_bounds(level_rows[guess], -INF, INF)
                    set_targets_lower(np.flatnonzero(active), 0.0)
            else:
                set_targets_lower(np.flatnonzero(active), 0.0)
            short_level, solved = solve_levels(todo, active, amounts, labels[t], first_tau,
                                               final_cost if shortcuts else None)
            last_short = short_level if short_level is not None else last_short
            if not solved:
                prog.set_costs(final_cost)
                status = prog.run()
                if status != "kOptimal":
                    raise _diagnose(prog, labels[t], status)
        else:
            short_level = None
        x = prog.values() * scale
        flow[:, t] = np.maximum(x[:n_links], 0.0)
        site_delivered[:, t] = x[site_cols]
        storage = x[res_cols] if res_cols.size else storage
        res_store[:, t] = storage
        res_evap[:, t] = evaporation
        if aq_cols.size:
            pumping = pumping_matrix @ flow[:, t]
            aq_storage = x[aq_cols]
            aq_store[:, t] = aq_storage
            aq_pump[:, t] = pumping
            aq_recharge[:, t] = recharge[:, t] + gain_matrix @ flow[:, t]
            aq_rejected[:, t] = x[aq_spill_cols]
            pumped_this_year += pumping
        if net.lakes:
            from ecociv.models.water_allocation.lake import lake_step

            inflows = lake_matrix @ flow[:, t]
            for i, (k, lake) in enumerate(net.lakes.items()):
                step = lake_step(lake_state[k], float(inflows[i]), float(lake.precipitation_mm[month[t]]),
                                 float(lake.evaporation_mm[month[t]]), lake.curve)
                lake_state[k] = float(step.volume_end_m3)
                out = lake_out[k]
                out["inflow"][t] = inflows[i]
                out["precipitation"][t] = step.precipitation_m3
                out["evaporation"][t] = step.evaporation_m3
                out["spill"][t] = step.spill_m3
                out["volume"][t] = step.volume_end_m3
                out["area"][t] = step.area_end_m2
                out["level"][t] = step.level_end_m
    arrival = flow * (1.0 - loss)[:, None]
    return Result(labels, [lk.id for lk in links], flow, arrival, prog.targets, prog.res_ids, res_store,
                  res_evap, prog.aq_ids, aq_store, aq_recharge, aq_pump, aq_rejected, list(net.lakes), lake_out,
                  prog.site_ids, site_delivered, prog.solves)


def _diagnose(prog: _Program, month: str, status: str) -> InputError:
    """Find which balances cannot close: relax every node balance with penalised slack and report it."""
    h = prog.h
    prog.add_slack()
    cost = np.zeros(prog.n_cols)
    slack = list(prog.slack_pos.values()) + list(prog.slack_neg.values())
    depth = _depths(prog.net)
    for node_id in prog.balance_nodes:  # blame the node furthest downstream where water gets stuck
        cost[[prog.slack_pos[node_id], prog.slack_neg[node_id]]] = 1.0 / (1.0 + depth[node_id])
    prog.set_col_bounds(slack, 0.0, INF)
    target_cols = [t.col for t in prog.targets]
    prog.set_col_bounds(target_cols, 0.0, 1.0)
    prog.set_row_bounds([t.level_row for t in prog.targets], -INF, INF)
    prog.set_costs(cost)
    h.run()
    problems = []
    if str(h.getModelStatus()).endswith("kOptimal"):
        x = prog.values()
        for node_id in prog.balance_nodes:
            excess = x[prog.slack_neg[node_id]] * prog.scale
            deficit = x[prog.slack_pos[node_id]] * prog.scale
            node = prog.net.nodes[node_id]
            if excess > 1e-3:
                problems.append(f"{node.type} '{node_id}' has {excess:.6g} m³ that cannot leave it (its outflow "
                                "links are full, disabled or missing, or storage is at capacity)")
            if deficit > 1e-3:
                problems.append(f"{node.type} '{node_id}' must pass on {deficit:.6g} m³ more than reaches it "
                                "(a return flow or storage bound forces more water out than comes in)")
    if not problems:
        problems.append(f"the solver reported {status} and no single node balance explains it")
    return InputError(f"no feasible allocation in {month}: " + "; ".join(problems), source=prog.net.source,
                      where=f"step {month}")


def _depths(net: Network) -> dict[str, int]:
    """Longest number of links from any headwater to each node (loops cut at the first revisit)."""
    depth = dict.fromkeys(net.nodes, 0)
    for _ in range(len(net.nodes)):
        changed = False
        for link in net.links:
            if depth[link.target] < depth[link.source] + 1 <= len(net.nodes):
                depth[link.target] = depth[link.source] + 1
                changed = True
        if not changed:
            break
    return depth
