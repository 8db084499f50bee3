r"""Compiled loops (numba) of the monthly allocation: the check of a lexicographic optimality proof
and the terminal lakes' month-by-month balance.

:func:`proof_holds` is the sign test of :func:`.solver._lexicographic_proof` in one pass over the
constraint matrix (compressed columns) instead of a dozen NumPy calls on dense arrays: for each
non-basic column the reduced cost of each stage, d_k = c_k − Σ_i a_ij y_ki, until the first stage
where \|d_k\| exceeds that stage's tolerance, then the sign its bound allows; then the same for
the rows, whose reduced cost is y_ki and whose activity is Σ_j a_ij x_j.

:func:`lake_series` is :func:`.lake._trapezoid_step` applied month after month (the piecewise-linear
volume–area table extrapolated beyond its last row, as :meth:`.lake.StorageCurve.area_of_volume`).

Compiled code is cached on disk and loaded without numba's compiler set-up
(:func:`ecociv.compiled.jit`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ecociv.compiled import jit

_jit = jit(nogil=True, error_model="numpy")

#: values within this of a finite bound (relative, at least absolute) sit at that bound
AT_BOUND = 1e-9


@_jit
def _at_lower(value: float, lower: float) -> bool:
    return np.isfinite(lower) and abs(value - lower) <= AT_BOUND * max(1.0, abs(lower))


@_jit
def _at_upper(value: float, upper: float) -> bool:
    return np.isfinite(upper) and abs(value - upper) <= AT_BOUND * max(1.0, abs(upper))


@_jit
def _sign_allowed(reduced: float, low: bool, up: bool) -> bool:
    """A minimisation's reduced cost ``reduced`` (not zero) is allowed at the bounds a variable sits
    at: > 0 at its lower bound, < 0 at its upper bound, any sign when both (fixed)."""
    if low and up:
        return True
    return low if reduced > 0 else up


@_jit
def basic_costs(basic: NDArray[np.int32], costs: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Each stage's costs of the basic variables in basis order (c_B, 0 for a row's slack), and
    whether any is not zero (else y = 0 and there is nothing to solve)."""
    n_stages = costs.shape[0]
    rhs = np.zeros((n_stages, basic.size))
    nonzero = np.zeros(n_stages, dtype=np.bool_)
    for k in range(n_stages):
        for i in range(basic.size):
            if basic[i] >= 0:
                value = costs[k, basic[i]]
                rhs[k, i] = value
                if value != 0.0:
                    nonzero[k] = True
    return rhs, nonzero


@_jit
def proof_holds(basic: NDArray[np.int32], costs: NDArray[np.float64], duals: NDArray[np.float64],
                tolerance: float, indptr: NDArray[np.int64], indices: NDArray[np.int64],
                data: NDArray[np.float64], x: NDArray[np.float64], col_lower: NDArray[np.float64],
                col_upper: NDArray[np.float64], loose: NDArray[np.bool_], row_lower: NDArray[np.float64],
                row_upper: NDArray[np.float64]) -> bool:
    """Whether every non-basic column and row has, at the first stage where its reduced cost is
    beyond that stage's ``tol``, the sign its bound allows.

    Parameters
    ----------
    basic : int array
        HiGHS's basic variables: a column index, or −1 − row for a row.
    costs, duals : (stages, columns), (stages, rows)
        Each stage's objective and the y of Bᵀy = c_B on the basis.
    tolerance : float
        Reduced costs within ± this × max(1, the stage's largest absolute cost) count as zero.
    indptr, indices, data : the constraint matrix, compressed columns.
    loose : (stages, columns) bool
        Columns whose lower bound is 0 at a stage instead of ``col_lower`` (the targets of the
        levels not yet served at that stage).
    """
    n_stages = costs.shape[0]
    n_cols = x.size
    n_rows = row_lower.size
    tol = np.empty(n_stages)
    for k in range(n_stages):
        tol[k] = tolerance * max(1.0, np.abs(costs[k]).max())
    basic_col = np.zeros(n_cols, dtype=np.bool_)
    basic_row = np.zeros(n_rows, dtype=np.bool_)
    for b in basic:
        if b >= 0:
            basic_col[b] = True
        else:
            basic_row[-1 - b] = True
    activity = np.zeros(n_rows)
    for j in range(n_cols):
        start, stop = indptr[j], indptr[j + 1]
        xj = x[j]
        for p in range(start, stop):
            activity[indices[p]] += data[p] * xj
        if basic_col[j]:
            continue
        for k in range(n_stages):
            d = costs[k, j]
            for p in range(start, stop):
                d -= duals[k, indices[p]] * data[p]
            if abs(d) > tol[k]:
                if loose[k, j]:
                    low = abs(xj) <= AT_BOUND
                else:
                    low = _at_lower(xj, col_lower[j])
                if not _sign_allowed(d, low, _at_upper(xj, col_upper[j])):
                    return False
                break
    for i in range(n_rows):
        if basic_row[i]:
            continue
        for k in range(n_stages):
            y = duals[k, i]
            if abs(y) > tol[k]:
                if not _sign_allowed(y, _at_lower(activity[i], row_lower[i]), _at_upper(activity[i], row_upper[i])):
                    return False
                break
    return True


@_jit
def _interp(value: float, xp: NDArray[np.float64], fp: NDArray[np.float64]) -> float:
    """Piecewise-linear fp(value) on increasing ``xp``; the first value below its first point, the
    last segment extrapolated above its last point."""
    n = xp.size
    if value > xp[n - 1]:
        return fp[n - 1] + (value - xp[n - 1]) * (fp[n - 1] - fp[n - 2]) / (xp[n - 1] - xp[n - 2])
    if value <= xp[0]:
        return fp[0]
    lo = 0
    hi = n - 1
    while hi - lo > 1:  # xp[lo] < value <= xp[hi]
        mid = (lo + hi) // 2
        if xp[mid] < value:
            lo = mid
        else:
            hi = mid
    if value == xp[hi]:
        return fp[hi]
    return fp[lo] + (value - xp[lo]) * (fp[hi] - fp[lo]) / (xp[hi] - xp[lo])


@_jit
def lake_series(volume0: float, inflow: NDArray[np.float64], rain_m: NDArray[np.float64],
                evap_m: NDArray[np.float64], months: NDArray[np.int64], table_volume: NDArray[np.float64],
                table_area: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64],
                                                          NDArray[np.float64], int]:
    """Volumes (m³, end of month), precipitation and evaporation (m³) of a terminal lake month by
    month; the last value is the first month whose balance cannot be solved on the table (−1 when
    none): precipitation on the growing lake outpacing the table's last segment."""
    steps = inflow.size
    volume = np.zeros(steps)
    precipitation = np.zeros(steps)
    evaporation = np.zeros(steps)
    current = volume0
    n = table_volume.size
    for t in range(steps):
        p_m = rain_m[months[t]]
        e_m = evap_m[months[t]]
        area_start = _interp(current, table_volume, table_area)
        net = p_m - e_m
        constant = current + inflow[t] + net * area_start / 2.0
        # g(V) = V − V0 − Q − net·(A0 + A(V))/2 at the table's rows; the root lies after the last row with g < 0
        k = n
        for row in range(n):
            if table_volume[row] - constant - net * table_area[row] / 2.0 >= 0:
                k = row
                break
        if k == 0:
            end = 0.0
        else:
            hi = min(k, n - 1)
            lo = hi - 1
            slope_area = (table_area[hi] - table_area[lo]) / (table_volume[hi] - table_volume[lo])
            slope_residual = 1.0 - net * slope_area / 2.0
            if slope_residual <= 0:
                return volume, precipitation, evaporation, t
            base = k - 1
            residual = table_volume[base] - constant - net * table_area[base] / 2.0
            end = max(table_volume[base] - residual / slope_residual, 0.0)
        mean_area = 0.5 * (area_start + _interp(end, table_volume, table_area))
        rain = p_m * mean_area
        demand = e_m * mean_area
        available = current + inflow[t] + rain
        evaporated = min(demand, available)
        current = available - evaporated
        volume[t] = current
        precipitation[t] = rain
        evaporation[t] = evaporated
    return volume, precipitation, evaporation, -1


@_jit
def month_bounds(t: int, month: int, storage: NDArray[np.float64], aq_storage: NDArray[np.float64],
                 pumped: NDArray[np.float64], area: NDArray[np.float64], evap_rate: NDArray[np.float64],
                 res_dead: NDArray[np.float64], local_inflow: NDArray[np.float64], res_rows: NDArray[np.int64],
                 aq_rows: NDArray[np.int64], recharge: NDArray[np.float64], pump_limit: NDArray[np.float64],
                 pump_monthly: NDArray[np.float64], pump_at: NDArray[np.int64], cap_limits: NDArray[np.float64],
                 cap_at: int, scale: float, month_rows: NDArray[np.int32], row_lower: NDArray[np.float64],
                 row_upper: NDArray[np.float64], step_cols: NDArray[np.int32], step_lower: NDArray[np.float64],
                 step_upper: NDArray[np.float64], n_links: int, aq_capacity: NDArray[np.float64],
                 col_lower: NDArray[np.float64], col_upper: NDArray[np.float64]) -> NDArray[np.float64]:
    """Write month ``t``'s row and column bounds (LP units) into ``row_lower`` … ``col_upper``;
    returns the reservoirs' evaporation (m³).

    Rows ``month_rows``: the node balances first (= −local inflow − storage after evaporation,
    − aquifer storage − recharge), then the pumping limits (≤ what is left of the year's limit,
    at most the month's), the caps (≤ the month's limit) and the level rows (free). Columns
    ``step_cols``: the month's ``step_lower``/``step_upper`` with the reservoirs' lower bounds
    (dead storage, or less when below it) and the aquifers' upper bounds (capacity, or the
    storage when above it). Evaporation is the rate × ``area`` at the start storage, at most
    the storage (the arithmetic of :func:`.solver._set_up_month` before it was compiled).
    """
    n_res = storage.size
    n_aq = aq_storage.size
    n_bal = local_inflow.shape[0]
    evaporation = np.empty(n_res)
    for i in range(n_res):
        evaporation[i] = min(evap_rate[i, month] / 1000.0 * area[i], storage[i])
    for r in range(month_rows.size):
        row = month_rows[r]
        if r < n_bal:
            continue
        row_lower[row] = -np.inf
        row_upper[row] = np.inf
    for b in range(n_bal):
        row_lower[month_rows[b]] = -local_inflow[b, t]
    for i in range(n_res):
        row_lower[month_rows[res_rows[i]]] -= storage[i] - evaporation[i]
    for a in range(n_aq):
        row_lower[month_rows[aq_rows[a]]] -= aq_storage[a] + recharge[a, t]
    for b in range(n_bal):
        value = row_lower[month_rows[b]] / scale
        row_lower[month_rows[b]] = value
        row_upper[month_rows[b]] = value
    for a in range(n_aq):
        if pump_at[a] >= 0:
            remaining = min(max(0.0, pump_limit[a] - pumped[a]), pump_monthly[a, t])
            row_upper[month_rows[pump_at[a]]] = remaining / scale
    for c in range(cap_limits.shape[0]):
        row_upper[month_rows[cap_at + c]] = cap_limits[c, t] / scale
    for k in range(step_cols.size):
        col_lower[step_cols[k]] = step_lower[t, k]
        col_upper[step_cols[k]] = step_upper[t, k]
    for i in range(n_res):
        col_lower[step_cols[n_links + i]] = min(res_dead[i], storage[i] - evaporation[i]) / scale
    for a in range(n_aq):
        col_upper[step_cols[n_links + n_res + a]] = max(aq_capacity[a], aq_storage[a]) / scale
    return evaporation


@_jit
def take_changes(want_lower: NDArray[np.float64], want_upper: NDArray[np.float64], held_lower: NDArray[np.float64],
                 held_upper: NDArray[np.float64], index: NDArray[np.int32], lower: NDArray[np.float64],
                 upper: NDArray[np.float64]) -> int:
    """The entries where the wanted bounds differ from those held: their positions and values are
    written to the first n places of ``index``, ``lower`` and ``upper`` and copied into the held
    arrays; returns n (:meth:`.program.Program.flush`, one pass instead of a dozen NumPy calls)."""
    n = 0
    for i in range(want_lower.size):
        lo = want_lower[i]
        up = want_upper[i]
        if lo != held_lower[i] or up != held_upper[i]:
            index[n] = i
            lower[n] = lo
            upper[n] = up
            held_lower[i] = lo
            held_upper[i] = up
            n += 1
    return n


@_jit
def take_cost_changes(want: NDArray[np.float64], held: NDArray[np.float64], index: NDArray[np.int32],
                      values: NDArray[np.float64]) -> int:
    """:func:`take_changes` for one array (the objective)."""
    n = 0
    for i in range(want.size):
        value = want[i]
        if value != held[i]:
            index[n] = i
            values[n] = value
            held[i] = value
            n += 1
    return n
