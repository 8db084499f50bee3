"""One linear program solved by HiGHS from sparse arrays (shared by ``pollution_control`` and
``industry_structure``): ``min/max c·x`` subject to ``row_lower <= A x <= row_upper`` and
``lower <= x <= upper``; returns the solution, the row activities and the row duals."""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from ecociv.highs import silent_highs

INF = highspy.kHighsInf


@dataclass(frozen=True)
class Solution:
    """The result of :func:`solve`.

    ``row_dual`` is d(objective)/d(row bound) of the binding bound (HiGHS convention, objective in
    its own sense): for a minimisation, ``>=`` rows that bind have duals >= 0; for a maximisation,
    ``<=`` rows that bind have duals >= 0.
    """

    status: str
    x: np.ndarray
    activity: np.ndarray
    row_dual: np.ndarray
    objective: float

    @property
    def optimal(self) -> bool:
        return self.status == "Optimal"


def solve(cost: np.ndarray, lower: np.ndarray, upper: np.ndarray, matrix: sp.spmatrix,
          row_lower: np.ndarray, row_upper: np.ndarray, *, maximize: bool = False) -> Solution:
    """Solve one LP with HiGHS (dual simplex, tolerances 1e-9).

    Parameters
    ----------
    cost, lower, upper : ndarray
        Objective coefficient and bounds of each column (``±inf`` = free).
    matrix : scipy sparse matrix
        Constraint matrix, rows × columns.
    row_lower, row_upper : ndarray
        Bounds of each row.
    maximize : bool
        Maximise instead of minimise.
    """
    csc = sp.csc_matrix(matrix)
    n_rows, n_cols = csc.shape
    lp = highspy.HighsLp()
    lp.num_col_ = n_cols
    lp.num_row_ = n_rows
    lp.col_cost_ = np.ascontiguousarray(cost, dtype=float)
    lp.col_lower_ = np.where(np.isfinite(lower), lower, -INF).astype(float)
    lp.col_upper_ = np.where(np.isfinite(upper), upper, INF).astype(float)
    lp.row_lower_ = np.where(np.isfinite(row_lower), row_lower, -INF).astype(float)
    lp.row_upper_ = np.where(np.isfinite(row_upper), row_upper, INF).astype(float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data.astype(float)
    lp.a_matrix_.num_col_ = n_cols
    lp.a_matrix_.num_row_ = n_rows
    lp.sense_ = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
    highs = silent_highs()
    highs.setOptionValue("primal_feasibility_tolerance", 1e-9)
    highs.setOptionValue("dual_feasibility_tolerance", 1e-9)
    highs.setOptionValue("presolve", "on")
    highs.setOptionValue("simplex_strategy", 1)  # dual simplex
    highs.passModel(lp)
    highs.run()
    status = highs.modelStatusToString(highs.getModelStatus())
    if status != "Optimal":
        return Solution(status, np.full(n_cols, np.nan), np.full(n_rows, np.nan), np.full(n_rows, np.nan),
                        float("nan"))
    solution = highs.getSolution()
    x = np.array(solution.col_value, dtype=float)
    activity = np.array(solution.row_value, dtype=float) if n_rows else np.zeros(0)
    duals = np.array(solution.row_dual, dtype=float) if n_rows else np.zeros(0)
    return Solution(status, x, activity, duals, float(highs.getInfo().objective_function_value))
