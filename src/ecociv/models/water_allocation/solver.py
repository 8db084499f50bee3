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

import numpy as np

from ecociv.errors import InputError
from ecociv.models.water_allocation.elements import Network
from ecociv.models.water_allocation.loops import basic_costs, lake_series, month_bounds, proof_holds
from ecociv.models.water_allocation.program import INF, Program, Target, volume_scale

FIX_TOLERANCE = 1e-12  # coverage fractions fixed at (value − this) for later levels
KEEP_REWARD = 100.0  # per LP unit delivered (final program), above any routing cost
TIE_BREAK = 1e-5  # relative perturbation of target rewards that makes optimal allocations unique
COVERAGE_WEIGHT = 1e3  # per unit of coverage τ, against ≤ 1 per target in the combined level program
MERGE_WEIGHT = 1e4  # per LP unit of water, a level's objective above the next stage's in the one-program month
PROOF_TOLERANCE = 1e-13  # reduced costs within ± this (× the largest cost of a stage) count as zero in the proofs


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
    proofs: tuple[int, int] = (0, 0)  # combined level programs whose coverage was (not) proven maximal
    merges: tuple[int, int] = (0, 0)  # months tried in one program whose optimum was (not) proven


def _area(area: Any, volume: float) -> float:
    if isinstance(area, (int, float)):
        return float(area)
    return float(area.area_of_volume(volume))


@dataclass
class _Levels:
    """The priority levels of the months whose targets with something to serve are ``active``."""

    active: np.ndarray  # targets with something to serve
    active_index: np.ndarray
    levels: list[int]  # priority levels served one by one (the last fill level is left to the final program)
    quick: bool  # whether one program may serve every non-fill target in full
    members: dict[int, np.ndarray]  # targets of each level (positions among the targets)
    apart: dict[int, bool] = field(default_factory=dict)  # whether a level's targets are in separate parts


def _levels_of(active: np.ndarray, priorities: np.ndarray, is_fill: np.ndarray, part: np.ndarray) -> _Levels:
    # reservoir filling below every other target (the usual priority 99) is left to the final
    # program, which keeps as much water stored as it can; other levels are served in order
    demand_levels = priorities[active & ~is_fill]
    lowest_demand = int(demand_levels.max()) if demand_levels.size else 0
    fills = np.unique(priorities[active & is_fill & (priorities > lowest_demand)])
    last_fill = int(fills[-1]) if fills.size else None
    levels = [int(p) for p in np.unique(priorities[active]) if p != last_fill]
    quick = bool(np.all(priorities[active & is_fill] > lowest_demand)) and fills.size <= 1
    members = {p: np.flatnonzero(active & (priorities == p)) for p in levels}
    apart = {p: bool(np.unique(part[m]).size == m.size) for p, m in members.items()}
    return _Levels(active, np.flatnonzero(active), levels, quick, members, apart)


def _parts(net: Network, targets: list[Target]) -> np.ndarray:
    """For each target, the part of the network it is in: nodes joined by links (and where their
    losses seep) or by a water-use cap share one part; parts share no row of the program."""
    parent = {n: n for n in net.nodes}

    def root(n: str) -> str:
        while parent[n] != n:
            n = parent[n]
        return n

    def join(a: str, b: str) -> None:
        parent[root(a)] = root(b)

    for link in net.links:
        join(link.source, link.target)
        if link.loss_to:
            join(link.loss_to, link.source)
    for cap in net.caps:
        for site in cap.sites[1:]:
            join(site, cap.sites[0])
    links = {lk.id: lk for lk in net.links}
    requirement_link = {r.id: r.link for r in net.requirements}
    nodes = [links[requirement_link[t.ref]].source if t.kind == "requirement" else t.ref for t in targets]
    roots = {r: i for i, r in enumerate(sorted({root(n) for n in nodes}))}
    return np.array([roots[root(n)] for n in nodes], dtype=int)


@dataclass
class _Static:
    """Index arrays and per-step data of a run, fixed before the first month (volumes in m³)."""

    target_cols: np.ndarray
    level_rows: np.ndarray
    priorities: np.ndarray
    is_fill: np.ndarray
    amounts: np.ndarray  # (targets, steps)
    lp_amounts: np.ndarray  # (targets, steps): the amounts in LP units, the targets' columns' upper bounds
    link_cap: np.ndarray  # (links, steps), LP units; 0 on disabled links
    loss: np.ndarray
    res_cols: np.ndarray
    aq_cols: np.ndarray
    aq_spill_cols: np.ndarray
    site_cols: np.ndarray
    site_demand: np.ndarray  # (sites, steps)
    balance_rows: np.ndarray
    local_inflow: np.ndarray  # (balance nodes, steps)
    res_rows: np.ndarray  # reservoirs' positions among the balance nodes
    aq_rows: np.ndarray
    recharge: np.ndarray  # (aquifers, steps)
    res_capacity: np.ndarray
    res_dead: np.ndarray
    res_area: list[Any]
    res_curved: np.ndarray  # reservoirs whose area comes from a curve
    res_flat_area: np.ndarray  # m², the others' constant area (0 for curved ones)
    evap_rate: np.ndarray  # (reservoirs, 12) mm
    aq_capacity: np.ndarray
    pump_limit: np.ndarray  # m³ per year
    pump_rows: np.ndarray
    pump_monthly: np.ndarray  # (aquifers, steps)
    pumping_matrix: np.ndarray  # (aquifers, links): water pumped
    gain_matrix: np.ndarray  # (aquifers, links): water arriving or seeping in
    lake_matrix: np.ndarray  # (lakes, links): water arriving
    cap_rows: np.ndarray
    cap_limits: np.ndarray  # (caps, steps)
    tie: np.ndarray  # tie-break weight of each target
    tau_cost: np.ndarray  # objective: maximise the level's coverage
    zero_cost: np.ndarray
    step_cols: np.ndarray  # columns whose bounds are set every step: links, storages, targets (incl. the sites), tau
    step_lower: np.ndarray  # (steps, step columns): their bounds, storages filled in month by month
    step_upper: np.ndarray
    final_cost: np.ndarray  # (steps, columns): objective of each month's final program
    levels: list[_Levels]  # of each step

    has_pump_row: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # aquifers with a limit row
    merge_plans: dict[tuple[int, tuple[int, ...]], Any] = field(default_factory=dict)  # of _merge_plan
    month_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))  # rows set every month
    cap_at: int = 0  # position of the caps' rows among the month's rows

    any_curved: bool = False
    any_pump_row: bool = False
    pump_at: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # pumping rows among month_rows

    def __post_init__(self) -> None:
        self.has_pump_row = self.pump_rows >= 0
        self.any_pump_row = bool(self.has_pump_row.any())
        self.any_curved = bool(self.res_curved.any())
        self.pump_at = np.where(self.has_pump_row, self.balance_rows.size + np.cumsum(self.has_pump_row) - 1,
                                -1).astype(np.int64)
        self.local_inflow = np.ascontiguousarray(self.local_inflow, dtype=float)
        self.res_rows = self.res_rows.astype(np.int64)
        self.aq_rows = self.aq_rows.astype(np.int64)
        pumps = self.pump_rows[self.has_pump_row]
        self.month_rows = np.concatenate([self.balance_rows, pumps, self.cap_rows, self.level_rows]).astype(np.int32)
        self.cap_at = self.balance_rows.size + pumps.size


def _static(net: Network, prog: Program) -> _Static:
    steps = net.calendar.months
    links = net.links
    n_links = len(links)
    scale = prog.scale
    reservoirs = [net.reservoirs[r] for r in prog.res_ids]
    aquifers = [net.aquifers[a] for a in prog.aq_ids]
    link_cap = np.array([np.full(steps, INF) if lk.capacity is None else lk.capacity / scale for lk in links])
    link_cap = link_cap.reshape(n_links, steps)
    link_cap[~np.array([lk.enabled for lk in links], dtype=bool)] = 0.0
    node_index = {n: i for i, n in enumerate(prog.balance_nodes)}
    target_cols = np.array([t.col for t in prog.targets], dtype=np.int32)
    res_cols = np.array([prog.res_col[r] for r in prog.res_ids], dtype=np.int32)
    aq_cols = np.array([prog.aq_col[a] for a in prog.aq_ids], dtype=np.int32)
    site_cols = np.array([prog.site_col[d] for d in prog.site_ids], dtype=np.int32)
    zero_cost = np.zeros(prog.n_cols)
    # tie-break weights of the targets: earlier targets (file order) and upstream reservoirs first
    depth = _depths(net)
    keys = [(depth[t.ref] if t.kind == "fill" else 0, i) for i, t in enumerate(prog.targets)]
    rank = np.empty(len(keys))
    rank[sorted(range(len(keys)), key=keys.__getitem__)] = np.arange(len(keys))
    tie = 1.0 + TIE_BREAK * (1.0 - rank / (len(keys) + 1.0))
    tau_cost = zero_cost.copy()
    tau_cost[prog.tau] = -1.0
    amounts = np.array([t.amount for t in prog.targets]).reshape(len(prog.targets), steps)
    priorities = np.array([t.priority for t in prog.targets])
    is_fill = np.array([t.kind == "fill" for t in prog.targets], dtype=bool)
    site_demand = np.array([net.demands[d].demand for d in prog.site_ids]).reshape(len(prog.site_ids), steps)
    active = amounts > 0
    # every month's column bounds at once; the quick path: every non-fill target served (a target's
    # column is the volume delivered towards it, LP units). Reservoir and aquifer storage bounds
    # depend on last month and are filled in month by month
    lp_amounts = amounts / scale
    quick_lower = np.where(active & ~is_fill[:, None], lp_amounts, 0.0)
    n_res, n_aq = res_cols.size, aq_cols.size
    # (a demand site's delivery column is its target's: its bounds are the target's)
    step_lower = np.concatenate([np.zeros((steps, n_links + n_res + n_aq)), quick_lower.T, np.zeros((steps, 1))],
                                axis=1)
    step_upper = np.concatenate([link_cap.T, np.zeros((steps, n_res + n_aq)), lp_amounts.T, np.ones((steps, 1))],
                                axis=1)
    step_upper[:, n_links:n_links + n_res] = np.array([res.capacity for res in reservoirs]) / scale
    # keep every delivery at its fixed level; reservoirs upstream fill first among equals
    final_cost = np.repeat(prog.base_cost[None, :], steps, axis=0)
    final_cost[:, target_cols] = (-KEEP_REWARD * tie[:, None] * active).T  # per LP unit delivered
    patterns: dict[bytes, _Levels] = {}
    part = _parts(net, prog.targets)
    levels = []
    for t in range(steps):
        key = active[:, t].tobytes()
        if key not in patterns:
            patterns[key] = _levels_of(active[:, t].copy(), priorities, is_fill, part)
        levels.append(patterns[key])
    curved = np.array([not isinstance(res.area, (int, float)) for res in reservoirs], dtype=bool)
    return _Static(
        target_cols=target_cols,
        level_rows=np.array([t.level_row for t in prog.targets], dtype=np.int32),
        priorities=priorities,
        is_fill=is_fill,
        amounts=amounts,
        lp_amounts=lp_amounts,
        link_cap=link_cap,
        loss=np.array([lk.loss for lk in links]),
        res_cols=res_cols,
        aq_cols=aq_cols,
        aq_spill_cols=np.array([prog.aq_spill_col[a] for a in prog.aq_ids], dtype=np.int32),
        site_cols=site_cols,
        site_demand=site_demand,
        balance_rows=np.array([prog.balance_row[n] for n in prog.balance_nodes], dtype=np.int32),
        local_inflow=_local_inflow(net, prog),
        res_rows=np.array([node_index[r] for r in prog.res_ids], dtype=int),
        aq_rows=np.array([node_index[a] for a in prog.aq_ids], dtype=int),
        recharge=np.array([aq.recharge for aq in aquifers]).reshape(len(aquifers), steps),
        res_capacity=np.array([res.capacity for res in reservoirs]),
        res_dead=np.array([res.dead_storage for res in reservoirs]),
        res_area=[res.area for res in reservoirs],
        res_curved=curved,
        res_flat_area=np.array([0.0 if c else float(res.area) for c, res in zip(curved, reservoirs, strict=True)]),
        evap_rate=np.array([res.evaporation_mm for res in reservoirs]).reshape(len(reservoirs), 12),
        aq_capacity=np.array([np.inf if aq.capacity is None else aq.capacity for aq in aquifers]),
        pump_limit=np.array([aq.pumping_limit if aq.pumping_limit is not None else np.inf for aq in aquifers]),
        pump_rows=np.array([prog.pump_row.get(a, -1) for a in prog.aq_ids], dtype=np.int32),
        pump_monthly=np.array([aq.monthly_pumping_limit if aq.monthly_pumping_limit is not None
                               else np.full(steps, np.inf) for aq in aquifers]).reshape(len(aquifers), steps),
        pumping_matrix=np.array([[1.0 if lk.source == a else 0.0 for lk in links] for a in prog.aq_ids],
                                dtype=float).reshape(len(aquifers), n_links),
        gain_matrix=np.array([[(1 - lk.loss) * (lk.target == a) + lk.loss * (lk.loss_to == a) for lk in links]
                              for a in prog.aq_ids], dtype=float).reshape(len(aquifers), n_links),
        lake_matrix=np.array([[(1 - lk.loss) * (lk.target == k) for lk in links] for k in net.lakes],
                             dtype=float).reshape(len(net.lakes), n_links),
        cap_rows=np.array(prog.cap_rows, dtype=np.int32),
        cap_limits=np.array([c.limit for c in net.caps]).reshape(len(net.caps), steps),
        tie=tie,
        tau_cost=tau_cost,
        zero_cost=zero_cost,
        step_cols=np.concatenate([np.arange(n_links, dtype=np.int32), res_cols, aq_cols, target_cols,
                                  np.array([prog.tau], dtype=np.int32)]),
        step_lower=step_lower,
        step_upper=step_upper,
        final_cost=final_cost,
        levels=levels,
    )


def _local_inflow(net: Network, prog: Program) -> np.ndarray:
    """(balance nodes, steps) local inflow of each balance node, m³ per step."""
    inflow = np.array([net.nodes[n].inflow for n in prog.balance_nodes], dtype=float)
    return np.ascontiguousarray(inflow.reshape(len(prog.balance_nodes), net.calendar.months))


@dataclass
class _Carry:
    """What one month hands to the next: storages (m³), this year's pumping, and which levels were
    short in each calendar month last year (which programs to try first)."""

    storage: np.ndarray  # reservoirs
    aq_storage: np.ndarray
    pumped_this_year: np.ndarray
    short_by_month: list[tuple[int, ...]] = field(default_factory=lambda: [()] * 12)
    last: tuple[int, ...] = ()  # the levels short last month

    def note(self, month: int, shorts: list[int]) -> None:
        """Remember the levels short in ``month`` (0..11), in order."""
        self.short_by_month[month] = tuple(shorts)
        self.last = tuple(shorts)

    def expected(self, month: int, levels: list[int]) -> list[int]:
        """This month's levels that were short in the same calendar month last year, in order
        (shortages follow the seasons: on the Belt network's perturbed members this predicts them
        better than last month's shortage or both together)."""
        year = self.short_by_month[month]
        return [p for p in levels if p in year]


@dataclass
class _Month:
    """The programs' inputs for one month."""

    t: int
    month: int  # 0..11
    label: str
    amounts: np.ndarray  # m³ per target
    lp_amounts: np.ndarray  # LP units per target (the upper bounds of their columns)
    active: np.ndarray  # targets with something to serve
    active_index: np.ndarray
    evaporation: np.ndarray  # m³ per reservoir
    final_cost: np.ndarray  # objective of the final program
    levels: list[int]  # priority levels served one by one (the last fill level is left to the final program)
    quick: bool  # whether one program may serve every non-fill target in full
    members: dict[int, np.ndarray]  # targets of each level
    apart: dict[int, bool]  # whether a level's targets are in separate parts of the network


def _evaporation(s: _Static, storage: np.ndarray, month: int) -> np.ndarray:
    """Evaporation of each reservoir over a month (m³): rate × the area at the start storage, at most
    the storage."""
    area = s.res_flat_area
    if s.res_curved.any():
        area = area.copy()
        for i in np.flatnonzero(s.res_curved):
            area[i] = _area(s.res_area[i], storage[i])
    return np.minimum(s.evap_rate[:, month] / 1000.0 * area, storage)


def _set_up_month(prog: Program, s: _Static, carry: _Carry, t: int, month: int, label: str) -> _Month:
    """Balances, limits and column bounds of month ``t`` (``month``: 0..11)."""
    area = s.res_flat_area
    if s.any_curved:
        area = area.copy()
        for i in np.flatnonzero(s.res_curved):
            area[i] = _area(s.res_area[i], carry.storage[i])
    # balances, pumping limits, caps and level rows; links', storages' and targets' bounds
    evaporation = month_bounds(t, month, carry.storage, carry.aq_storage, carry.pumped_this_year, area, s.evap_rate,
                               s.res_dead, s.local_inflow, s.res_rows, s.aq_rows, s.recharge, s.pump_limit,
                               s.pump_monthly, s.pump_at, s.cap_limits, s.cap_at, prog.scale, s.month_rows,
                               prog.row_lower, prog.row_upper, s.step_cols, s.step_lower, s.step_upper,
                               len(prog.links), s.aq_capacity, prog.col_lower, prog.col_upper)
    final_cost = s.final_cost[t]
    prog.set_costs(final_cost)
    pattern = s.levels[t]
    return _Month(t, month, label, s.amounts[:, t], s.lp_amounts[:, t], pattern.active, pattern.active_index,
                  evaporation, final_cost, pattern.levels, pattern.quick, pattern.members, pattern.apart)


def _set_targets_lower(prog: Program, s: _Static, m: _Month, members: np.ndarray, lower: Any) -> None:
    """Targets ``members`` served at least the fractions ``lower`` of their amounts (at most all)."""
    amounts = m.lp_amounts[members]
    prog.set_col_bounds(s.target_cols[members], lower * amounts, amounts)


def _open_levels(prog: Program, s: _Static, m: _Month, members: np.ndarray) -> np.ndarray:
    """The level rows of ``members`` made binding (volume ≥ τ × this step's amount); returns them."""
    prog.set_level_coefficients(members, -m.lp_amounts[members])
    rows = s.level_rows[members]
    prog.set_row_bounds(rows, 0.0, INF)
    return rows


def _fractions(x: np.ndarray, s: _Static, m: _Month, members: np.ndarray) -> np.ndarray:
    """The fractions of their amounts that ``members`` get in the solution ``x``."""
    return x[s.target_cols[members]] / m.lp_amounts[members]


def _shares(s: _Static, m: _Month, members: np.ndarray) -> np.ndarray:
    """Per LP unit delivered to ``members``, the objective "give a level's targets the most water":
    each target's fraction of its amount weighted by amount / the largest amount (and tie-break)."""
    return -s.tie[members] / m.lp_amounts[members].max()


def _solve_month(prog: Program, s: _Static, carry: _Carry, m: _Month, shortcuts: bool) -> None:
    """Solve month ``m`` (the solution stays in ``prog``): with the shortcuts
    (:func:`_solve_month_fast`) or every level in turn, then the final program (the reference)."""
    if shortcuts:
        _solve_month_fast(prog, s, carry, m)
        return
    _set_targets_lower(prog, s, m, m.active_index, 0.0)
    _solve_levels(prog, s, m.levels, m)
    prog.set_costs(m.final_cost)
    status = prog.run()
    if status != "kOptimal":
        raise _diagnose(prog, m.label, status)


def _solve_month_fast(prog: Program, s: _Static, carry: _Carry, m: _Month) -> None:
    """Solve month ``m`` with the shortcuts; the allocation of :func:`_solve_month` without them.

    The levels expected short (:meth:`_Carry.expected`) are visited in order; each takes one program
    that serves every level above it not yet fixed in full and maximises its coverage (if that is
    feasible, each of those levels' own step would have given coverage 1, so this is exactly the
    level-by-level rule). When no level is expected short any more, one program tries the final
    allocation with every remaining level served in full. A program that turns out infeasible falls
    back to the next level's own step.
    """
    pending = m.levels
    expected = carry.expected(m.month, pending)
    if expected:
        # in one program a level wrongly expected short costs nothing: add last month's short levels
        wider = [p for p in pending if p in expected or p in carry.last]
        # a level whose targets are in separate parts (the terminal lakes) leaves water short below
        # it more often than not: expect the next level short too
        after = [pending[i + 1] for i, p in enumerate(pending[:-1]) if p in wider and m.apart[p]]
        if after and _shared_levels(m, sorted({*wider, *after})) <= 1:
            wider = sorted({*wider, *after})
        if _try_merged(prog, s, carry, m, wider if _shared_levels(m, wider) <= 1 else expected):
            return
    shorts: list[int] = []
    pos = 0
    try_final = True
    quick_state = m.quick and not expected  # the month's bounds serve every non-fill target in full
    while pos < len(pending):
        upcoming = [p for p in expected if pending.index(p) >= pos]
        if not upcoming and try_final:
            if not quick_state:
                _set_lower_from(prog, s, m, pos, len(pending))
            prog.set_costs(m.final_cost)
            if prog.run() == "kOptimal":
                carry.note(m.month, shorts)
                return
            if pos == 0 and not expected:  # nothing was expected short: guess as last month, then the last level
                guesses = [list(carry.last)] if carry.last else []
                guesses += [[pending[-1]]] if [pending[-1]] not in guesses else []
                if any(_try_merged(prog, s, carry, m, [p for p in g if p in pending]) for g in guesses):
                    return
                quick_state = False
                _set_lower_from(prog, s, m, 0, 0)
            upcoming = [pending[pos]]
            try_final = False
        quick_state = False
        level = upcoming[0] if upcoming else pending[pos]
        index = pending.index(level)
        members = m.members[level]
        _set_lower_from(prog, s, m, pos, index)
        # a common coverage τ only where the level's targets share a part of the network; otherwise
        # (one target, or each in its own part) maximising each target's share is maximising its
        # coverage, with no level rows (whose coefficients, the step's amounts, would be changed)
        common = members.size > 1 and not m.apart[level]
        rows = _open_levels(prog, s, m, members) if common else s.level_rows[:0]
        prog.set_tau_bounds(0.0, 1.0)
        prog.set_costs(_coverage_and_share_cost(s, members, m) if common else _share_cost(s, members, m))
        status = prog.run()
        if status != "kOptimal":
            if index == pos:
                raise _diagnose(prog, m.label, status)
            # a level above the expected one is short: its own step next, no final attempt before
            # a shortage has been found
            prog.set_row_bounds(rows, -INF, INF)
            expected = []
            try_final = False
            continue
        x = prog.values()
        fractions = _fractions(x, s, m, members)
        tau = float(x[prog.tau]) if common else float(fractions.min())
        if tau < 1.0 - FIX_TOLERANCE:
            shorts.append(level)
            try_final = True
            if not common:
                # targets in separate parts: each part's shares are maximal on their own, so the
                # smallest of them, τ, is too (nothing to prove)
                prog.proven += members.size > 1
            elif _coverage_is_maximal(prog, x):
                prog.proven += 1
            else:  # the combined program's coverage is not proven maximal: the two steps
                prog.unproven += 1
                prog.set_costs(s.tau_cost)
                if prog.run() != "kOptimal":
                    raise _diagnose(prog, m.label, "coverage")
                _share_the_rest(prog, s, members, m, float(prog.values()[prog.tau]))
                fractions = _fractions(prog.values(), s, m, members)
        _set_targets_lower(prog, s, m, members, np.minimum(np.maximum(fractions - FIX_TOLERANCE, 0.0), 1.0))
        prog.set_row_bounds(rows, -INF, INF)
        prog.set_tau_bounds(0.0, 1.0)
        pos = index + 1
    carry.note(m.month, shorts)
    prog.set_costs(m.final_cost)
    status = prog.run()
    if status != "kOptimal":
        raise _diagnose(prog, m.label, status)


def _share_cost(s: _Static, members: np.ndarray, m: _Month) -> np.ndarray:
    """Objective "give a level's targets the most water", each weighted by its amount (and tie-break)."""
    cost = s.zero_cost.copy()
    cost[s.target_cols[members]] = _shares(s, m, members)
    return cost


def _shared_levels(m: _Month, levels: list[int]) -> int:
    """How many of ``levels`` have several targets in one part of the network (a common coverage)."""
    return sum(1 for p in levels if m.members[p].size > 1 and not m.apart[p])


def _try_merged(prog: Program, s: _Static, carry: _Carry, m: _Month, expected: list[int]) -> bool:
    """:func:`_solve_month_merged` with ``expected`` and, when a level expected in full turns out
    short (infeasible program), once more with the next level after the first expected one."""
    if not expected or MERGE_WEIGHT <= 0:
        return False
    merged = _solve_month_merged(prog, s, carry, m, expected)
    if merged is None:
        later = [p for p in m.levels[m.levels.index(expected[0]) + 1:] if p not in expected]
        if later:
            merged = _solve_month_merged(prog, s, carry, m, sorted([*expected, later[0]]))
    return bool(merged)


def _solve_month_merged(prog: Program, s: _Static, carry: _Carry, m: _Month, expected: list[int]) -> bool | None:
    """Try month ``m`` in ONE program: the levels expected short get their coverage and shares by
    objective weights (each level's far above the next one's, the last one's far above the final
    objective), every other level is served in full, and the optimum is kept only when its basis
    proves it the lexicographic optimum of the level-by-level rule (:func:`_lexicographic_proof`).
    Returns True when solved, None when the program is infeasible (a level expected in full is
    short) and False when it cannot be tried or the proof fails (then the levels' bounds and rows
    are left for :func:`_solve_month_fast`'s steps)."""
    plan = _merge_plan(prog, s, m, expected)
    if plan is None:  # one coverage column: at most one level whose targets share a coverage
        return False
    _set_targets_lower(prog, s, m, plan.members, plan.lower)
    rows = _open_levels(prog, s, m, plan.shared) if plan.shared.size else plan.rows
    prog.set_tau_bounds(0.0, 1.0)
    cost, costs = _merged_costs(prog, s, m, plan, expected)
    prog.set_costs(cost)
    status = prog.run()
    if status == "kOptimal":
        x = prog.values()
        if _lexicographic_proof(prog, x, costs, plan.loose):
            prog.merged += 1
            # the expected levels with a target below its amount (each level's targets one segment)
            short = x[plan.expected_cols] < (1.0 - FIX_TOLERANCE) * m.lp_amounts[plan.expected_targets]
            flags = np.logical_or.reduceat(short, plan.starts).tolist()
            shorts = [p for p, flag in zip(expected, flags, strict=True) if flag]
            carry.note(m.month, shorts)
            return True
        prog.unmerged += 1
    prog.set_row_bounds(rows, -INF, INF)
    return False if status == "kOptimal" else None


def _merged_costs(prog: Program, s: _Static, m: _Month, plan: _MergePlan,
                  expected: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The one-program month's objective and each stage's (:func:`_solve_month_merged`); they depend on
    the step's amounts and costs, not on inflows, and are kept in the program for the next run."""
    key = (m.t, tuple(expected))
    kept = prog.merged_costs.get(key)
    if kept is not None:
        return kept
    # stages in order: per expected level its coverage (shared levels) and its shares, then the final
    # objective; the weighted sum puts each stage MERGE_WEIGHT above the next in water units
    n_stages = int(plan.loose.shape[0])
    costs = np.zeros((n_stages, prog.n_cols))  # each stage's objective
    costs[-1] = m.final_cost
    cost = m.final_cost.copy()
    weight = MERGE_WEIGHT
    k = n_stages - 2
    for lev, cols, shared in reversed(plan.levels):
        unit = float(m.lp_amounts[lev].max())  # LP units of water per unit of share
        share = _shares(s, m, lev)  # the level's shares (:func:`_share_cost`) per LP unit
        costs[k, cols] = share
        cost[cols] += weight * unit * share
        k -= 1
        if shared:
            costs[k, prog.tau] = -1.0  # its coverage (:attr:`_Static.tau_cost`) before its shares
            cost[prog.tau] += weight * unit * COVERAGE_WEIGHT * -1.0
            k -= 1
            weight *= max(COVERAGE_WEIGHT, 1.0)
        weight *= MERGE_WEIGHT
    prog.merged_costs[key] = cost, costs
    return cost, costs


@dataclass
class _MergePlan:
    """What a one-program month needs that depends only on its levels and the levels expected short."""

    members: np.ndarray  # targets: the levels served in full, then the expected ones
    lower: np.ndarray  # their lower bounds (1 in full, 0 expected)
    rows: np.ndarray  # level rows of the expected level whose targets share a coverage (or none)
    shared: np.ndarray  # those targets (positions among the targets)
    levels: list[tuple[np.ndarray, np.ndarray, bool]]  # per expected level: targets, their columns, shared
    loose: np.ndarray  # (stages, columns): the later levels' targets, lower bound 0 at a stage
    expected_targets: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # of the expected levels
    expected_cols: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))  # their columns
    starts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # where each level's targets begin

    def __post_init__(self) -> None:
        self.expected_targets = np.concatenate([lev for lev, _, _ in self.levels])
        self.expected_cols = np.concatenate([cols for _, cols, _ in self.levels])
        self.starts = np.cumsum([0] + [lev.size for lev, _, _ in self.levels[:-1]]).astype(np.int64)


def _merge_plan(prog: Program, s: _Static, m: _Month, expected: list[int]) -> _MergePlan | None:
    """The :class:`_MergePlan` of ``m``'s levels with ``expected`` short, made once per run and
    kept; None when more than one expected level's targets share a coverage."""
    key = (id(m.members), tuple(expected))
    if key in s.merge_plans:
        return s.merge_plans[key]
    shared = [p for p in expected if m.members[p].size > 1 and not m.apart[p]]
    plan = None
    if len(shared) <= 1:
        short = set(expected)
        full = [m.members[p] for p in m.levels if p not in short]
        free = [m.members[p] for p in expected]
        members = np.concatenate(full + free)
        lower = np.zeros(members.size)
        lower[:sum(f.size for f in full)] = 1.0
        shared_targets = m.members[shared[0]] if shared else m.members[expected[0]][:0]
        rows = s.level_rows[shared_targets]
        loose_rows = []
        levels = []
        for level in expected:
            lev = m.members[level]
            below = np.concatenate([m.members[p] for p in m.levels[m.levels.index(level) + 1:]] + [lev[:0]])
            row = np.zeros(prog.n_cols, dtype=bool)
            row[s.target_cols[below]] = True
            loose_rows += [row, row] if level in shared else [row]
            levels.append((lev, s.target_cols[lev], level in shared))
        loose_rows.append(np.zeros(prog.n_cols, dtype=bool))  # the final objective
        plan = _MergePlan(members, lower, rows, shared_targets, levels, np.array(loose_rows))
    s.merge_plans[key] = plan
    return plan


def _lexicographic_proof(prog: Program, x: np.ndarray, costs: np.ndarray, loose: np.ndarray) -> bool:
    """Whether the optimal basis HiGHS holds proves ``x`` optimal for each stage's objective in turn,
    over the points optimal for every earlier stage (a lexicographic optimum).

    Stage k is (objective ``costs[k]``, the columns ``loose[k]`` whose lower bound is 0 in its
    program instead of the one HiGHS holds: the targets of the levels after it, not yet served).
    For each stage the
    reduced costs on the basis are d = c_k − Aᵀy (columns) and y (rows), with Bᵀy = c_B solved by
    HiGHS's factorisation. Every change Δ from ``x`` to a feasible point changes c_k by Σ d_j Δ_j
    over the non-basic variables; if each d_j beyond ±PROOF_TOLERANCE (relative to the largest
    cost) has the sign its bound allows (≥ 0 at a lower bound, ≤ 0 at an upper one, any when
    fixed), c_k cannot improve, and a point as good as ``x`` keeps those variables where they are:
    they are held for the later stages (whose own d_j on them need not have any sign). So each
    non-basic variable is checked at the first stage where its reduced cost is not zero."""
    h = prog.h
    basic = h.getBasicVariables()[1]  # type: ignore[attr-defined]
    rhs, nonzero = basic_costs(basic, costs)
    # a stage whose costs are all on non-basic columns has y = 0 (nothing to solve)
    duals = np.zeros(rhs.shape)
    for k in range(rhs.shape[0]):
        if nonzero[k]:
            duals[k] = h.getBasisTransposeSolve(rhs[k])[1]  # type: ignore[attr-defined]
    return bool(proof_holds(basic, costs, duals, PROOF_TOLERANCE, prog.csc_indptr, prog.csc_indices,
                            prog.csc_data, x, prog.col_lower, prog.col_upper, loose, prog.row_lower,
                            prog.row_upper))


def _coverage_and_share_cost(s: _Static, members: np.ndarray, m: _Month) -> np.ndarray:
    """Objective of one program for a level's two steps: its coverage τ weighted far above the
    rewards of :func:`_share_the_rest` (an optimum of it with the largest τ is an optimum of both)."""
    cost = s.tau_cost * COVERAGE_WEIGHT
    cost[s.target_cols[members]] = _shares(s, m, members)
    return cost


def _coverage_is_maximal(prog: Program, x: np.ndarray) -> bool:
    """Whether the optimal basis HiGHS holds also proves that ``x`` has the largest coverage τ.

    The reduced costs of the objective "maximise τ" (minimise −τ) are computed for that basis
    (B^T y = c_B with HiGHS's factorisation; d = c − A^T y for the columns, y for the rows); the
    basis proves τ maximal when every column or row with a reduced cost beyond ±1e-13 is at the
    bound that sign allows (a basic one has none)."""
    h = prog.h
    basic = h.getBasicVariables()[1]  # type: ignore[attr-defined]
    at = np.flatnonzero(basic == prog.tau)
    if at.size == 0:  # τ non-basic: maximal only at its upper bound
        return bool(x[prog.tau] >= 1.0 - FIX_TOLERANCE)
    rhs = np.zeros(basic.size)
    rhs[at] = -1.0
    y = h.getBasisTransposeSolve(rhs)[1]  # type: ignore[attr-defined]
    d = -(y @ prog.matrix)
    d[prog.tau] -= 1.0
    for j in np.flatnonzero(np.abs(d) > PROOF_TOLERANCE):
        if not _bound_allows(x[j], prog.col_lower[j], prog.col_upper[j], d[j]):
            return False
    rows = np.flatnonzero(np.abs(y) > PROOF_TOLERANCE)
    if rows.size:
        activity = prog.matrix[rows] @ x
        for k, i in enumerate(rows):
            if not _bound_allows(activity[k], prog.row_lower[i], prog.row_upper[i], y[i]):
                return False
    return True


def _bound_allows(value: float, lower: float, upper: float, reduced: float) -> bool:
    """Whether a variable at ``value`` may have reduced cost ``reduced`` in a minimisation: ≥ 0 at
    its lower bound, ≤ 0 at its upper bound, any sign when fixed."""
    at_lower = lower > -INF and abs(value - lower) <= 1e-9 * max(1.0, abs(lower))
    at_upper = upper < INF and abs(value - upper) <= 1e-9 * max(1.0, abs(upper))
    return (at_lower and at_upper) or (at_lower and reduced > 0) or (at_upper and reduced < 0)


def _set_lower_from(prog: Program, s: _Static, m: _Month, start: int, stop: int) -> None:
    """Targets of the levels ``m.levels[start:stop]`` served in full (lower bound 1), those of the
    later levels free (0)."""
    levels = m.levels
    if start >= len(levels):
        return
    full = [m.members[p] for p in levels[start:stop]]
    free = [m.members[p] for p in levels[stop:]]
    members = np.concatenate(full + free)
    lower = np.zeros(members.size)
    lower[:sum(f.size for f in full)] = 1.0
    _set_targets_lower(prog, s, m, members, lower)


def _solve_levels(prog: Program, s: _Static, levels: list[int], m: _Month) -> None:
    """Serve ``levels`` in order, each by its coverage, sharing the rest when short, and fixed."""
    for level in levels:
        members = m.members[level]
        if members.size == 0:
            continue
        tau = _level_coverage(prog, s, members, m)
        if tau < 1.0 - FIX_TOLERANCE and members.size > 1:
            _share_the_rest(prog, s, members, m, tau)
        fractions = _fractions(prog.values(), s, m, members)
        _set_targets_lower(prog, s, m, members, np.clip(fractions - FIX_TOLERANCE, 0.0, 1.0))
        prog.set_row_bounds(s.level_rows[members], -INF, INF)
    prog.set_tau_bounds(0.0, 1.0)


def _level_coverage(prog: Program, s: _Static, members: np.ndarray, m: _Month) -> float:
    """The largest common coverage τ of a level's targets (max τ s.t. delivered ≥ τ·target)."""
    _open_levels(prog, s, m, members)
    prog.set_tau_bounds(0.0, 1.0)
    prog.set_costs(s.tau_cost)
    status = prog.run()
    if status != "kOptimal":
        raise _diagnose(prog, m.label, status)
    return float(prog.values()[prog.tau])


def _share_the_rest(prog: Program, s: _Static, members: np.ndarray, m: _Month, tau: float) -> None:
    """With every target of a short level at ≥ τ, give them any further water the network can deliver."""
    prog.set_tau_bounds(tau, tau)
    prog.set_costs(_share_cost(s, members, m))
    if prog.run() != "kOptimal":
        raise _diagnose(prog, m.label, "second pass")


class _Outputs:
    """The solution of every step (m³), kept month by month; flows, deliveries and storages are read
    from it after the last month."""

    def __init__(self, net: Network, prog: Program):
        steps = net.calendar.months
        self.x = np.zeros((steps, prog.n_cols))
        self.res_evap = np.zeros((len(prog.res_ids), steps))

    def record(self, s: _Static, carry: _Carry, m: _Month, x: np.ndarray, n_links: int) -> None:
        """Store the month's solution ``x`` (m³) and carry its storages to the next month."""
        t = m.t
        self.x[t] = x
        if s.res_cols.size:
            carry.storage = x[s.res_cols]
        self.res_evap[:, t] = m.evaporation
        if s.aq_cols.size:
            carry.aq_storage = x[s.aq_cols]
            if s.any_pump_row:
                carry.pumped_this_year += s.pumping_matrix @ np.maximum(x[:n_links], 0.0)

    def result(self, net: Network, prog: Program, s: _Static) -> Result:
        n_links = len(net.links)
        x = self.x.T
        flow = np.maximum(x[:n_links], 0.0)
        arrival = flow * (1.0 - s.loss)[:, None]
        lakes = _lakes(net, s, flow)
        return Result(net.calendar.labels, [lk.id for lk in net.links], flow, arrival, prog.targets,
                      prog.res_ids, x[s.res_cols], self.res_evap, prog.aq_ids, x[s.aq_cols],
                      s.recharge + s.gain_matrix @ flow, s.pumping_matrix @ flow, x[s.aq_spill_cols],
                      list(net.lakes), lakes, prog.site_ids, x[s.site_cols], prog.solves,
                      proofs=(prog.proven, prog.unproven), merges=(prog.merged, prog.unmerged))


def _lakes(net: Network, s: _Static, flow: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """Terminal lakes month by month from the water the links bring them (they do not feed back into
    the allocation): the balance of :func:`.lake.lake_step`, one step per month
    (:func:`.loops.lake_series`)."""
    steps = flow.shape[1]
    months = (net.calendar.month_of_year - 1).astype(np.int64)
    inflows = s.lake_matrix @ flow
    out: dict[str, dict[str, np.ndarray]] = {}
    for i, (k, lake) in enumerate(net.lakes.items()):
        inflow = np.ascontiguousarray(inflows[i])
        if np.any(~np.isfinite(inflow)) or np.any(inflow < 0):
            raise ValueError(f"inflow_m3 must be finite and >= 0 (lake '{k}')")
        rain = np.ascontiguousarray(lake.precipitation_mm, dtype=float) / 1000.0
        evap = np.ascontiguousarray(lake.evaporation_mm, dtype=float) / 1000.0
        volume, precipitation, evaporation, failed = lake_series(
            float(lake.initial_volume), inflow, rain, evap, months, lake.curve._volume, lake.curve._area)
        if failed >= 0:
            raise ValueError(f"{lake.curve.source}: precipitation on the growing lake outpaces the curve's last "
                             "segment; extend the curve above its last row")
        out[k] = {"inflow": inflow.copy(), "precipitation": precipitation, "evaporation": evaporation,
                  "spill": np.zeros(steps), "volume": volume,
                  "area": np.asarray(lake.curve.area_of_volume(volume), dtype=float).reshape(steps),
                  "level": np.asarray(lake.curve.level_of_volume(volume), dtype=float).reshape(steps)}
    return out


def allocate(net: Network, *, shortcuts: bool = True, program: Program | None = None) -> Result:
    """Allocate water over every step of ``net``; raises :class:`InputError` naming the node and month
    when a step has no feasible allocation.

    Each month first tries the common case in one program: every target except reservoir filling
    fully served, filling and routing optimised together. The levels that were short in the same
    calendar month last year are instead visited in order, each with one program that serves the
    levels above it in full and maximises its coverage (when feasible, exactly that level's step);
    when nothing more is expected short, one program tries the final allocation with every
    remaining level in full, and an infeasible attempt falls back to the next level's own step.
    A level with several targets maximises its coverage and shares the rest in the same program
    (coverage weighted far above the shares); the coverage is then proven maximal from the optimal
    basis (:func:`_coverage_is_maximal`), and when it cannot be the two steps are solved apart.
    A month with levels expected short (last year's same month, widened by last month's) is first
    tried in ONE program: each expected level's coverage and shares weighted far above the next
    level's and the final objective, the other levels served in full; its optimum is kept only
    when the optimal basis proves it the lexicographic optimum of the level-by-level rule
    (:func:`_lexicographic_proof`), else the month is solved level by level as above.
    Reservoir filling below every other priority (the default 99) keeps the most water stored;
    equal coverage applies to the targets of one level.
    ``shortcuts=False`` solves every level of every month: the reference the shortcuts are tested
    against (ties between equally good allocations are broken by fixed small costs, in file order and
    upstream reservoirs first, so both give the same allocation).
    ``program``: a :class:`.program.Program` of ``net`` from an earlier call, used again (its first
    month starts from the basis it was left with, and the levels short in each calendar month of
    the earlier call's last year are the first year's guesses; only inflows may have changed
    since, and not the volume scale, :func:`.program.volume_scale`); after an
    :class:`InputError` it may not be.
    """
    if program is not None:
        if program.net is not net or program.scale != volume_scale(net) or program.slack_pos:
            raise ValueError("the program was made for another network, volume scale or has diagnosis columns")
        prog = program
        prog.solves = prog.proven = prog.unproven = prog.merged = prog.unmerged = 0
    else:
        prog = Program(net)
    if program is not None and isinstance(prog.static, _Static):
        # only inflows differ from the earlier call: its index arrays, bounds, objectives and level
        # patterns hold, with this call's local inflows
        static = prog.static
        static.local_inflow = _local_inflow(net, prog)
    else:
        static = _static(net, prog)
    prog.static = static
    cal = net.calendar
    months = (cal.month_of_year - 1).tolist()  # Python ints: read once a month
    years = cal.years.tolist()
    labels = cal.labels
    carry = _Carry(storage=np.array([net.reservoirs[r].initial for r in prog.res_ids], dtype=float),
                   aq_storage=np.array([net.aquifers[a].initial for a in prog.aq_ids], dtype=float),
                   pumped_this_year=np.zeros(len(prog.aq_ids)))
    if program is not None and prog.short_history:
        # the program's last run ended with these levels short in each calendar month: the first
        # year's guesses (only which programs are tried first depends on them, not the allocation)
        carry.short_by_month = list(prog.short_history)
    outputs = _Outputs(net, prog)
    n_links = len(net.links)
    for t in range(cal.months):
        if t > 0 and years[t] != years[t - 1]:
            carry.pumped_this_year[:] = 0.0
        month = _set_up_month(prog, static, carry, t, int(months[t]), labels[t])
        _solve_month(prog, static, carry, month, shortcuts)
        outputs.record(static, carry, month, prog.values() * prog.scale, n_links)
    prog.short_history = list(carry.short_by_month)
    return outputs.result(net, prog, static)


def _diagnose(prog: Program, month: str, status: str) -> InputError:
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
    prog.set_col_bounds(target_cols, 0.0, prog.col_upper[target_cols])
    prog.set_row_bounds([t.level_row for t in prog.targets], -INF, INF)
    prog.set_costs(cost)
    prog.run()
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
