r"""Kernels of ``industry_structure``: the structure LP of one year and the epsilon-constraint
Pareto front.

Notes
-----
Columns :math:`x_{us}` are the value added of unit u and sector s (10⁸ yuan) in the target year
t, bounded by the growth limits versus the base year :math:`t_0`:
:math:`V_{us}(1+g^{min}_{us})^{t-t_0} \le x_{us} \le V_{us}(1+g^{max}_{us})^{t-t_0}`.
The objective is :math:`\max \sum_{us} o_{us} x_{us}` (:math:`o = 1` for value added, the
base-year employment per value added for employment). A cap k on resource r (water, energy,
construction land or a pollutant) over an area (a unit or the region) and a set of sectors is
:math:`\sum_{(u,s) \in k} q_{rus}(t)\,x_{us} \le C_k` with the intensity :math:`q_{rus}(t) =
(R_{rus}/V_{us})(1+\rho_r)^{t-t_0}` (base-year use per value added, changing at the annual rate
:math:`\rho_r`). Share limits are :math:`x_{us} - \sigma \sum_{s'} x_{us'} \ge 0` (minimum share
σ) and :math:`\le 0` (maximum share).

The dual :math:`\lambda_k \ge 0` of a cap is the gain of the objective per unit more of the
resource (Dantzig 1963): with value added in 10⁸ yuan and water in 10⁸ m³, λ is directly yuan per
m³; energy caps give 10⁸ yuan per tce (×10⁸ → yuan/tce), pollutant caps 10⁸ yuan per t (×10⁸ →
yuan/t), land caps 10⁸ yuan per km² (×100 → yuan/m²).

Pareto front (epsilon-constraint, Haimes et al. 1971): with :math:`P = p \cdot x` the chosen
pressure over the region, :math:`P^{hi}` its value at the unconstrained optimum and
:math:`P^{lo} = \min P` under the same constraints, the front is :math:`\max o\cdot x` s.t.
:math:`P \le \varepsilon_k`, :math:`\varepsilon_k = P^{lo} + k (P^{hi} - P^{lo})/(n-1)`; its
objective is non-decreasing in ε.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ecociv.models.pollution_control.lp import Solution, solve


@dataclass(frozen=True)
class Row:
    """One constraint ``lower <= coef · x <= upper``."""

    name: str
    unit: str
    resource: str
    coef: np.ndarray
    lower: float
    upper: float
    share: float = float("nan")  # the limit of a share row (its bound is 0)


def solve_structure(objective: np.ndarray, lower: np.ndarray, upper: np.ndarray, rows: list[Row], *,
                    minimize: np.ndarray | None = None) -> Solution:
    """Maximise ``objective · x`` (or minimise ``minimize · x``) under the rows and bounds."""
    matrix = sp.csr_matrix(np.vstack([r.coef for r in rows])) if rows else sp.csr_matrix((0, len(objective)))
    row_lower = np.array([r.lower for r in rows], dtype=float)
    row_upper = np.array([r.upper for r in rows], dtype=float)
    if minimize is not None:
        return solve(minimize, lower, upper, matrix, row_lower, row_upper, maximize=False)
    return solve(objective, lower, upper, matrix, row_lower, row_upper, maximize=True)


def pareto_front(objective: np.ndarray, lower: np.ndarray, upper: np.ndarray, rows: list[Row],
                 pressure: np.ndarray, points: int) -> list[tuple[float, float, float]]:
    """``(epsilon, pressure, objective)`` of each point of the front, from the least pressure to the
    pressure of the unconstrained optimum (empty if the program is infeasible)."""
    best = solve_structure(objective, lower, upper, rows)
    least = solve_structure(objective, lower, upper, rows, minimize=pressure)
    if not (best.optimal and least.optimal):
        return []
    high = float(pressure @ best.x)
    low = float(pressure @ least.x)
    front = []
    for k in range(points):
        epsilon = low + (high - low) * k / (points - 1)
        # a hair of slack so the lowest point stays feasible after rounding
        limit = Row("pareto", "all", "pressure", pressure, -np.inf, epsilon + 1e-9 * max(1.0, abs(epsilon)))
        result = solve_structure(objective, lower, upper, [*rows, limit])
        if not result.optimal:
            continue
        front.append((epsilon, float(pressure @ result.x), float(objective @ result.x)))
    return front
