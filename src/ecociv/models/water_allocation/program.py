"""The linear program of one network (HiGHS): columns for link flows, storages, deliveries, targets
and a level's common coverage; rows for node balances, return flows, pumping limits, caps and
targets. Built once; only bounds, costs and the level rows' coefficients change between steps and
levels (:mod:`.solver`). Volumes are in LP units of :func:`volume_scale` m³; a target's column is
the volume delivered towards it (at most the step's amount), and a level's common coverage τ is a
fraction (each of its targets' volumes ≥ τ × the amount).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np

from ecociv.highs import silent_highs
from ecociv.models.water_allocation.checks import return_shares
from ecociv.models.water_allocation.elements import Network
from ecociv.models.water_allocation.loops import take_changes, take_cost_changes

INF = highspy.kHighsInf
_OPTIMAL = highspy.HighsModelStatus.kOptimal
_NOTSET = highspy.HighsModelStatus.kNotset
_ERROR = highspy.HighsStatus.kError
LINK_COST = 1e-3  # per LP unit on every link: no water is moved without a reason
PREFERENCE_COST = 1.0  # per LP unit and preference rank on supply links (final program)
PUMPING_COST = 0.5  # per LP unit pumped (final program): groundwater only where surface water lacks
TRANSFER_COST = 2.0  # per LP unit transferred between basins (final program)
LINK_TIE = 1e-4  # per LP unit at most, over the links in file order (quadratically; well above HiGHS's 1e-9 tolerance)


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


def new_highs() -> highspy.Highs:
    """A silent HiGHS instance set up for the monthly allocation programs."""
    highs = silent_highs()
    # volumes are scaled to ~10³ units: 1e-9 keeps solver slack below 10⁻⁶ of the largest monthly volume
    highs.setOptionValue("primal_feasibility_tolerance", 1e-9)
    highs.setOptionValue("dual_feasibility_tolerance", 1e-9)
    # small programs re-solved from the previous basis: presolve costs more than it saves, and the
    # primal simplex suits the objective changes between levels (Belt network, 360 months: 0.86 -> 0.58 s)
    highs.setOptionValue("presolve", "off")
    highs.setOptionValue("simplex_strategy", 4)
    # one thread: HiGHS's task scheduler costs ≈ 30 µs per run on these small programs, which use no
    # parallelism (if this process's scheduler was started with more threads, Program.run goes back
    # to the default)
    highs.setOptionValue("threads", 1)
    # no scaling and no bound perturbation: the volumes are already scaled to ≈10³ LP units, and each
    # run starts from the last optimal basis a few pivots away (Belt network, perturbed members, one
    # process: HiGHS's CPU per run 0.22 ms against 0.26-0.27 ms with both, the same allocations)
    highs.setOptionValue("simplex_scale_strategy", 0)
    highs.setOptionValue("primal_simplex_bound_perturbation_multiplier", 0.0)
    # no estimate of the starting basis's condition at every run (as HiGHS's MIP solver does for its
    # LP re-solves): each run starts from the last optimal basis. Belt network, one process, 40
    # perturbed members: 119.0-119.5 -> 117.3-117.9 ms CPU per member, the same allocations bit for bit
    highs.setOptionValue("simplex_initial_condition_check", False)
    return highs


def volume_scale(net: Network) -> float:
    """m³ per LP unit: a power of ten near the network's largest monthly volume / 10³."""
    largest = [1.0]
    largest += [float(node.inflow.max()) for node in net.nodes.values()]
    largest += [float(site.demand.max()) for site in net.demands.values()]
    largest += [res.capacity for res in net.reservoirs.values()]
    largest += [float(aq.recharge.max()) for aq in net.aquifers.values()]
    return float(10.0 ** max(0, round(np.log10(max(largest))) - 3))


class Program:
    """The LP of one network; only bounds, costs and the level rows' coefficients change between steps."""

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
            if target.kind == "demand":  # a site's delivery is its target's volume: no column or row of its own
                target.col = self.site_col[target.ref]
            else:
                target.col = col
                col += 1
        self.tau = col
        self.tau_col = np.array([col], dtype=np.int32)
        col += 1
        self.balance_nodes = [n.id for n in net.nodes.values()
                              if n.type in ("inflow", "junction", "reservoir", "aquifer", "demand")]
        self.slack_pos: dict[str, int] = {}  # added only to diagnose an infeasible month (add_slack)
        self.slack_neg: dict[str, int] = {}
        self.n_cols = col
        self.h.addVars(col, np.zeros(col), np.full(col, INF))
        self.rows: list[str] = []
        # what HiGHS holds, mirrored for the optimality test of a coverage (solver._coverage_is_maximal):
        # bounds and the constraint matrix, kept up to date by the set_* methods
        self.col_lower = np.zeros(col)
        self.col_upper = np.full(col, INF)
        self._row_entries: list[tuple[np.ndarray, np.ndarray]] = []
        self._row_bounds: list[tuple[float, float]] = []
        self._build_rows()
        self.row_lower = np.array([b[0] for b in self._row_bounds])
        self.row_upper = np.array([b[1] for b in self._row_bounds])
        # what HiGHS holds: the bounds and costs wanted are passed to it at the next run (only those changed)
        self._held_col = (self.col_lower.copy(), self.col_upper.copy())
        self._held_row = (self.row_lower.copy(), self.row_upper.copy())
        self._changes = self._change_buffers()
        self.matrix = np.zeros((len(self.rows), col))
        for r, (idx, vals) in enumerate(self._row_entries):
            self.matrix[r, idx] = vals
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
            # water, so the allocation does not depend on the simplex path (reproducible results).
            # Growing with the square of the position: with costs linear in it, two sites each
            # served by the same two sources (links k..k+3) could swap water at exactly no cost
            # (k+1 − k − (k+3) + (k+2) = 0), and the link flows depended on the simplex path
            self.base_cost[i] = cost + LINK_TIE * ((i + 1) / len(self.links)) ** 2
        for a in self.aq_ids:
            self.base_cost[self.aq_spill_col[a]] = 10.0
        self.solves = 0
        self.proven = 0  # combined coverage-and-share programs whose coverage was proven maximal
        self.unproven = 0  # ... and not (solved again as two programs)
        self.merged = 0  # months solved by one program, proven the level-by-level allocation
        self.unmerged = 0  # ... tried and not proven (solved level by level)
        self._values: np.ndarray | None = None  # the last run's solution, once read
        self.short_history: list[tuple[int, ...]] = []  # levels short per calendar month in the last run's last year
        # one-program months' objectives by (step, levels expected short): they depend on the steps'
        # amounts, not on inflows (a program is used again only with other inflows)
        self.merged_costs: dict[tuple[int, tuple[int, ...]], tuple[np.ndarray, np.ndarray]] = {}
        self.static: Any = None  # the solver's per-run arrays of the last run (solver._Static), used again
        self.cost = np.zeros(self.n_cols)  # the objective wanted
        self._held_cost = np.zeros(self.n_cols)  # the objective HiGHS has (all zero when built)
        # each target's level row: delivered − amount·τ ≥ 0 when the level is served; τ's coefficient
        # (−amount of the step, LP units) is set only when the row is used (set_level_coefficients)
        self.level_coefficients = np.full(len(self.targets), -1.0)  # as the rows were built
        self.level_rows = np.array([t.level_row for t in self.targets], dtype=np.int64)
        self.coefficient_changes = 0  # coefficients passed to HiGHS since built
        self._compress()

    def _compress(self) -> None:
        """The matrix by compressed columns (for the compiled proof check), and where τ's coefficient
        in each level row sits in it."""
        cols, rows = np.nonzero(self.matrix.T)
        keep = np.zeros(self.matrix.shape, dtype=bool)
        keep[self.level_rows, self.tau] = True  # a coefficient set to 0 keeps its place
        keep[rows, cols] = True
        cols, rows = np.nonzero(keep.T)
        self.csc_indptr = np.searchsorted(cols, np.arange(self.n_cols + 1)).astype(np.int64)
        self.csc_indices = rows.astype(np.int64)
        self.csc_data = self.matrix[rows, cols].copy()
        position = {(int(r), int(c)): k for k, (r, c) in enumerate(zip(rows, cols, strict=True))}
        self.level_at = np.array([position[int(r), self.tau] for r in self.level_rows], dtype=np.int64)

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
        idx = np.array(list(merged), dtype=np.int32)
        values = np.array(list(merged.values()), dtype=float)
        self.h.addRow(lower, upper, len(merged), idx, values)
        self._row_entries.append((idx, values))
        self._row_bounds.append((lower, upper))
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
                cols, vals, upper = [], [], 0.0
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
            if cols:
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
        grown = self.n_cols - self.col_lower.size
        self.col_lower = np.concatenate([self.col_lower, np.zeros(grown)])
        self.col_upper = np.concatenate([self.col_upper, np.full(grown, INF)])
        self._held_col = (np.concatenate([self._held_col[0], np.zeros(grown)]),
                          np.concatenate([self._held_col[1], np.full(grown, INF)]))
        self.cost = np.concatenate([self.cost, np.zeros(grown)])
        self._held_cost = np.concatenate([self._held_cost, np.zeros(grown)])
        self._changes = self._change_buffers()
        self.matrix = np.concatenate([self.matrix, np.zeros((self.matrix.shape[0], grown))], axis=1)
        for node_id in self.balance_nodes:
            self.matrix[self.balance_row[node_id], [self.slack_pos[node_id], self.slack_neg[node_id]]] = [1.0, -1.0]
        self._compress()

    # -- per step -------------------------------------------------------------------------------

    def run(self) -> str:
        """Solve with the bounds and costs set since the last run; the model status's name."""
        self.flush()
        self._values = None
        if self.h.run() == _ERROR and self.h.getModelStatus() == _NOTSET:
            # HiGHS refuses a thread count unlike that of the process's scheduler, which another
            # HiGHS user started first: use the scheduler as it is
            self.h.setOptionValue("threads", 0)
            self.h.run()
        self.solves += 1
        status = self.h.getModelStatus()
        return "kOptimal" if status == _OPTIMAL else str(status).rsplit(".", 1)[-1]

    def flush(self) -> None:
        """Pass HiGHS the bounds and costs that differ from those it holds, one call each (a change
        costs it work at the next run, and each call costs a fixed time)."""
        h = self.h
        index, lower, upper = self._changes
        n = take_changes(self.col_lower, self.col_upper, *self._held_col, index, lower, upper)
        if n:
            h.changeColsBounds(n, index[:n], lower[:n], upper[:n])
        n = take_changes(self.row_lower, self.row_upper, *self._held_row, index, lower, upper)
        if n:
            h.changeRowsBounds(n, index[:n], lower[:n], upper[:n])  # type: ignore[attr-defined]
        n = take_cost_changes(self.cost, self._held_cost, index, lower)
        if n:
            h.changeColsCost(n, index[:n], lower[:n])

    def _change_buffers(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Positions and values of the changes :meth:`flush` passes (as long as the columns or rows)."""
        size = max(self.n_cols, len(self.rows))
        return np.zeros(size, dtype=np.int32), np.zeros(size), np.zeros(size)

    def values(self) -> np.ndarray:
        """The last run's solution (LP units), read from HiGHS once per run; not to be changed."""
        if self._values is None:
            self._values = np.fromiter(self.h.getSolution().col_value, float, self.n_cols)
        return self._values

    def set_costs(self, cost: np.ndarray) -> None:
        """The objective (one cost per column) of the next run; ``cost`` is kept, not copied."""
        self.cost = cost

    def set_level_coefficients(self, targets: np.ndarray, values: np.ndarray) -> None:
        """τ's coefficients in the level rows of ``targets`` (positions among the targets; −amount in
        LP units); only changed ones are passed to HiGHS. A changed coefficient makes HiGHS set its
        simplex solver up again at the next run (its factorisation, work arrays and the LP's copy;
        on the Belt program 3–25 µs more than a run after a bound change, ≈ 45 µs, at load 1.5),
        and each call costs Python time: the target rows' coefficients never change (targets are
        volumes bounded by the step's amount) and the level rows' only when a level whose targets
        share one coverage is served."""
        changed = np.flatnonzero(values != self.level_coefficients[targets])
        if changed.size:
            which = targets[changed]
            new = values[changed]
            rows = self.level_rows[which]
            change = self.h.changeCoeff
            for r, v in zip(rows.tolist(), new.tolist(), strict=True):
                change(r, self.tau, v)
            self.matrix[rows, self.tau] = new
            self.csc_data[self.level_at[which]] = new
            self.level_coefficients[which] = new
            self.coefficient_changes += changed.size

    def set_col_bounds(self, cols: list[int] | np.ndarray, lower: Any, upper: Any) -> None:
        """Column bounds of the next run (scalars or one per column)."""
        self.col_lower[cols] = lower
        self.col_upper[cols] = upper

    def set_tau_bounds(self, lower: float, upper: float) -> None:
        """Bounds of the coverage column τ at the next run."""
        self.col_lower[self.tau] = lower
        self.col_upper[self.tau] = upper

    def set_row_bounds(self, rows: list[int] | np.ndarray, lower: Any, upper: Any) -> None:
        """Row bounds of the next run (scalars or one per row)."""
        self.row_lower[rows] = lower
        self.row_upper[rows] = upper
