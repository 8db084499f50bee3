r"""Kernels of ``pollution_control``: the least-cost control LP of one year, the technical minimum
of each emission source and the stepwise marginal abatement cost (MAC) curve.

Notation: a *source* g is one (unit, sector, pollutant) with emissions :math:`E_g` (t/yr, the
emissions with the controls already in place). Measure m of the library applies to the sources of
its sector and pollutant with removal efficiency :math:`\eta_m`, largest application
:math:`a_m` and unit cost :math:`c_m` (yuan per t removed).

Notes
-----
How measures combine. The measures of one source are alternatives on shares of its emissions
(GAINS's application rates of alternative technologies on one activity): :math:`x_{gm} \in [0,
a_m]` is the share of :math:`E_g` treated by m and :math:`\sum_m x_{gm} \le 1` (a tonne is treated
once). Removal is :math:`E_g \sum_m \eta_m x_{gm}`, cost :math:`\sum_m c_m \eta_m E_g x_{gm}`, the
residual :math:`E_g (1 - \sum_m \eta_m x_{gm})`: linear. Measures applied one after another on the
same gas (e.g. low-NOx burners then SCR) multiply their pass-through, :math:`1 - \eta = (1 -
\eta_1)(1 - \eta_2)`, which is not linear in two application levels; such a stack is written as
its own row of the library, with the combined efficiency and the summed cost per tonne of the
combination, and competes with the single measures as an alternative.

The LP of a year minimises :math:`\sum c_m \eta_m E_g x_{gm}` subject to, for every cap k on
pollutant p and area A (a unit, a basin with the share :math:`s_{g,A}` of the unit's emissions in
it, or the whole region): :math:`\sum_{g \in A} s_{g,A} E_g \sum_m \eta_m x_{gm} \ge
\sum_{g \in A} s_{g,A} E_g - \mathrm{cap}_k`. The dual of that row is the shadow price of the cap
(yuan/t).

The technical minimum of a source is its residual with the measures at their maximum: the most
efficient measure takes the largest share it may, then the next, until the share reaches 1 (the
fractional-knapsack optimum of :math:`\max \sum \eta_m x_m`). Every source can reach its minimum
at the same time, so a cap is feasible exactly when it is at least the sum of its sources'
technical minima.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ecociv.models.pollution_control.lp import solve

TOLERANCE_T = 1e-6  # t/yr: slack below which a cap counts as binding, and feasibility margin


@dataclass(frozen=True)
class Cap:
    """One cap of one year: the sources it covers (row positions) with their weights."""

    name: str
    area: str
    area_type: str
    pollutant: str
    year: int
    cap_t: float
    sources: np.ndarray  # positions in the year's source table
    weights: np.ndarray  # share of each source's emissions counted in the area


class ShortfallError(Exception):
    """A cap below its technical minimum (the model turns it into an InputError)."""

    def __init__(self, cap: Cap, minimum: float):
        self.cap = cap
        self.minimum = minimum
        super().__init__(cap.name)


def candidate_table(sources: pd.DataFrame, measures: pd.DataFrame) -> pd.DataFrame:
    """One row per (source, applicable measure): ``source`` (position), measure, efficiency,
    max application and unit cost."""
    frame = sources[["sector", "pollutant"]].reset_index(drop=True)
    frame["source"] = np.arange(len(frame))
    merged = frame.merge(measures[["measure", "sector", "pollutant", "removal_efficiency",
                                   "max_application", "unit_cost"]], on=["sector", "pollutant"])
    return merged.sort_values(["source", "measure"], kind="stable").reset_index(drop=True)


def technical_minimum(emission: np.ndarray, candidates: pd.DataFrame) -> np.ndarray:
    """Residual emissions of each source with every applicable measure at its maximum (t/yr).

    Parameters
    ----------
    emission : ndarray
        Emissions of each source (t/yr).
    candidates : DataFrame
        :func:`candidate_table`.
    """
    best_removal = np.zeros(len(emission))
    if len(candidates):
        ordered = candidates.sort_values(["source", "removal_efficiency"], ascending=[True, False],
                                         kind="stable")
        source = ordered["source"].to_numpy()
        share = ordered["max_application"].to_numpy(dtype=float)
        taken_before = ordered.groupby("source")["max_application"].cumsum().to_numpy() - share
        share = np.clip(np.minimum(share, 1.0 - taken_before), 0.0, None)
        np.add.at(best_removal, source, share * ordered["removal_efficiency"].to_numpy(dtype=float))
    return emission * (1.0 - best_removal)


@dataclass(frozen=True)
class YearResult:
    """The chosen shares of one year and the caps' duals."""

    application: np.ndarray  # per candidate
    removed: np.ndarray  # t/yr per candidate
    cost: np.ndarray  # yuan/yr per candidate
    cap_dual: np.ndarray  # yuan/t per cap
    cap_residual: np.ndarray  # t/yr per cap


def solve_year(emission: np.ndarray, candidates: pd.DataFrame, caps: list[Cap],
               minimum: np.ndarray) -> YearResult:
    """Least-cost shares of the measures meeting every cap of one year.

    Raises
    ------
    ShortfallError
        The first cap whose area cannot get below it even with every measure at its maximum.
    """
    n_sources = len(emission)
    n_cand = len(candidates)
    for cap in caps:
        floor = float(np.dot(cap.weights, minimum[cap.sources]))
        if floor > cap.cap_t * (1.0 + 1e-9) + TOLERANCE_T:
            raise ShortfallError(cap, floor)
    source = candidates["source"].to_numpy(dtype=np.int64)
    eta = candidates["removal_efficiency"].to_numpy(dtype=float)
    removal_per_share = emission[source] * eta  # t/yr removed at application 1
    cost = candidates["unit_cost"].to_numpy(dtype=float) * removal_per_share
    upper = candidates["max_application"].to_numpy(dtype=float)
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    lo: list[float] = []
    hi: list[float] = []
    # each tonne treated once: Σ_m x_gm ≤ 1 where the maxima could exceed 1
    totals = np.bincount(source, weights=upper, minlength=n_sources) if n_cand else np.zeros(n_sources)
    shared = np.flatnonzero(totals > 1.0 + 1e-12)
    share_row = {int(g): i for i, g in enumerate(shared)}
    in_shared = np.flatnonzero(np.isin(source, shared))
    rows.extend(share_row[int(g)] for g in source[in_shared])
    cols.extend(in_shared.tolist())
    vals.extend([1.0] * len(in_shared))
    lo += [-np.inf] * len(shared)
    hi += [1.0] * len(shared)
    first_cap_row = len(shared)
    required = []
    for k, cap in enumerate(caps):
        need = float(np.dot(cap.weights, emission[cap.sources])) - cap.cap_t
        required.append(need)
        weight = np.zeros(n_sources)
        weight[cap.sources] = cap.weights
        covered = np.flatnonzero(weight[source] > 0)
        rows.extend([first_cap_row + k] * len(covered))
        cols.extend(covered.tolist())
        vals.extend((weight[source[covered]] * removal_per_share[covered]).tolist())
        lo.append(need if need > 0 else -np.inf)
        hi.append(np.inf)
    n_rows = first_cap_row + len(caps)
    matrix = sp.csr_matrix((vals, (rows, cols)), shape=(n_rows, n_cand))
    if n_cand == 0 or all(need <= 0 for need in required):
        application = np.zeros(n_cand)
        dual = np.zeros(len(caps))
    else:
        result = solve(cost, np.zeros(n_cand), upper, matrix, np.asarray(lo, dtype=float),
                       np.asarray(hi, dtype=float))
        if not result.optimal:  # the check above makes every cap feasible: a bug if reached
            raise RuntimeError(f"control LP not solved ({result.status})")
        application = np.clip(result.x, 0.0, upper)
        dual = np.maximum(result.row_dual[first_cap_row:], 0.0)
    removed = removal_per_share * application
    residual_source = emission - np.bincount(source, weights=removed, minlength=n_sources)
    cap_residual = np.array([float(np.dot(c.weights, residual_source[c.sources])) for c in caps])
    return YearResult(application, removed, cost * application, dual, cap_residual)


def mac_steps(emission: np.ndarray, candidates: pd.DataFrame, group: np.ndarray | None = None) -> pd.DataFrame:
    """Stepwise MAC curve of the sources given (one pollutant, one year).

    Measures are ranked by unit cost (ties: higher efficiency first, then the order of the
    candidates); walking up the ranking, each measure treats the share of its source still
    untreated by cheaper alternatives, up to its maximum application (retrospective method:
    options added cumulatively against the baseline). Width = :math:`E_g \\eta_m x_{gm}`,
    height = :math:`c_m`.

    ``group`` (one code per candidate, e.g. its pollutant) makes one curve per group in one pass.

    Returns
    -------
    DataFrame
        ``group``, ``candidate`` (row of ``candidates``), ``unit_cost``, ``abatement_t``,
        ``cumulative_abatement_t``, ``cumulative_cost_yuan``, ranked within each group; zero-width
        steps dropped.
    """
    columns = ["group", "candidate", "unit_cost", "abatement_t", "cumulative_abatement_t", "cumulative_cost_yuan"]
    if not len(candidates):
        return pd.DataFrame(columns=columns)
    cost = candidates["unit_cost"].to_numpy(dtype=float)
    eta = candidates["removal_efficiency"].to_numpy(dtype=float)
    groups = np.zeros(len(candidates), dtype=np.int64) if group is None else np.asarray(group)
    order = np.lexsort((np.arange(len(candidates)), -eta, cost, groups))
    source = candidates["source"].to_numpy(dtype=np.int64)[order]
    maximum = candidates["max_application"].to_numpy(dtype=float)[order]
    # share taken by cheaper alternatives of the same source = min(Σ of their maxima, 1)
    taken_before = pd.Series(maximum).groupby(source).cumsum().to_numpy() - maximum
    share = np.clip(np.minimum(maximum, 1.0 - np.minimum(taken_before, 1.0)), 0.0, None)
    width = emission[source] * eta[order] * share
    keep = width > 0
    frame = pd.DataFrame({"group": groups[order][keep], "candidate": order[keep], "unit_cost": cost[order][keep],
                          "abatement_t": width[keep]})
    by = frame.groupby("group", sort=False)
    frame["cumulative_abatement_t"] = by["abatement_t"].cumsum()
    frame["cumulative_cost_yuan"] = (frame["abatement_t"] * frame["unit_cost"]).groupby(frame["group"]).cumsum()
    return frame.reset_index(drop=True)


def cost_on_curve(steps: pd.DataFrame, abatement_t: float) -> float:
    """Area under a stepwise MAC curve from 0 to ``abatement_t`` (yuan/yr); NaN beyond its end."""
    if abatement_t <= 0:
        return 0.0
    total = 0.0
    left = 0.0
    for width, height in zip(steps["abatement_t"], steps["unit_cost"], strict=True):
        take = min(width, abatement_t - left)
        total += take * height
        left += take
        if left >= abatement_t - 1e-12:
            return total
    return float("nan")
