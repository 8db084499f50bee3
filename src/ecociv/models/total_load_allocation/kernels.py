r"""Pure kernels of ``total_load_allocation`` (总量控制分配): the three allocation rules, the
abatement-cost program and the Gini coefficient.

Notation for one basin and pollutant: unit :math:`i` has baseline :math:`e_i` (t/yr), technical
minimum :math:`m_i` (the emission it cannot go below), allowance :math:`a_i`, abatement
:math:`q_i = e_i - a_i`; the basin allowance is :math:`A` and the required abatement
:math:`R = \max(0, \sum e_i - A)`. Abatement cost is a sum of blocks, each linear plus quadratic
(:math:`C_k(x) = \alpha_k x + \tfrac12 \beta_k x^2`, :math:`0 \le x \le w_k`): one block with
:math:`\beta > 0` is the quadratic cost curve, several blocks with :math:`\beta = 0` a stepwise
(marginal-abatement-cost) curve.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ecociv.highs import silent_highs


class InfeasibleError(ValueError):
    """The allowance cannot be met: ``shortfall`` t/yr more than the units can abate."""

    def __init__(self, message: str, shortfall: float):
        super().__init__(message)
        self.shortfall = shortfall


def equal_proportion(baseline: np.ndarray, minimum: np.ndarray, allowance: float) -> np.ndarray:
    r"""Allowances cut by the same share from every baseline (等比例削减).

    Parameters
    ----------
    baseline, minimum : ndarray
        Baseline and technical minimum emission of each unit, t/yr (:math:`0 \le m_i \le e_i`).
    allowance : float
        Basin allowance :math:`A`, t/yr.

    Returns
    -------
    ndarray
        :math:`a_i = r e_i` with one ratio :math:`r = A / \sum e_i` (no cut when
        :math:`A \ge \sum e_i`); a unit whose share would fall below its minimum is held at the
        minimum and the others share the rest in proportion to their baselines (repeated until
        no unit is below its minimum).

    Raises
    ------
    InfeasibleError
        When :math:`A < \sum m_i`.
    """
    baseline = np.asarray(baseline, dtype=float)
    minimum = np.asarray(minimum, dtype=float)
    if allowance >= baseline.sum():
        return baseline.copy()
    if allowance < minimum.sum():
        raise InfeasibleError("allowance below the sum of technical minimums", minimum.sum() - allowance)
    held = np.zeros(len(baseline), dtype=bool)
    while True:
        free = ~held
        ratio = (allowance - minimum[held].sum()) / baseline[free].sum() if free.any() else 0.0
        result = np.where(held, minimum, ratio * baseline)
        below = free & (result < minimum)
        if not below.any():
            return result
        held |= below


@dataclass(frozen=True)
class CostBlock:
    """One block of a unit's abatement cost: ``alpha`` yuan/t, ``beta`` yuan/t², at most ``width``
    t/yr (``inf``: no limit of its own)."""

    unit: int
    alpha: float
    beta: float
    width: float = float("inf")


def block_cost(blocks: Sequence[CostBlock], amounts: np.ndarray) -> np.ndarray:
    """Cost of each block at ``amounts`` (t/yr), yuan/yr: :math:`\\alpha x + \\tfrac12 \\beta x^2`."""
    alpha = np.array([b.alpha for b in blocks])
    beta = np.array([b.beta for b in blocks])
    return alpha * amounts + 0.5 * beta * amounts**2


def least_cost(blocks: Sequence[CostBlock], n_units: int, lower: np.ndarray, upper: np.ndarray,
               required: float | None) -> np.ndarray:
    r"""Abatement of each block that minimises the total cost (HiGHS QP).

    Parameters
    ----------
    blocks : sequence of CostBlock
        The cost blocks of every unit.
    n_units : int
        Number of units.
    lower, upper : ndarray
        Bounds on each unit's abatement :math:`\sum_{k \in i} x_k`, t/yr.
    required : float or None
        Total abatement of the basin (:math:`\sum_k x_k = R`); None = no basin constraint (each unit
        only by its bounds, e.g. fixed by ``lower == upper``).

    Returns
    -------
    ndarray
        Abatement of each block, t/yr.

    Notes
    -----
    Minimises :math:`\sum_k \alpha_k x_k + \tfrac12 \beta_k x_k^2`. With one quadratic block per
    unit and no active bound this is the equal-marginal-cost rule :math:`\alpha_i + \beta_i q_i =
    \lambda`, :math:`\lambda = (R + \sum \alpha_i/\beta_i)/\sum 1/\beta_i` (Montgomery 1972,
    J. Econ. Theory 5: 395–418; Baumol & Oates 1971).
    """
    import highspy

    n = len(blocks)
    highs = silent_highs()
    inf = highspy.kHighsInf
    scale = max(1.0, float(np.max(np.abs(np.concatenate([upper[np.isfinite(upper)], [required or 0.0]])))))
    model = highspy.HighsModel()
    lp = model.lp_
    lp.num_col_ = n
    lp.col_cost_ = np.array([b.alpha * scale for b in blocks])
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = np.array([b.width / scale if np.isfinite(b.width) else inf for b in blocks])
    rows_lower = [lo / scale for lo in lower]
    rows_upper = [up / scale if np.isfinite(up) else inf for up in upper]
    starts: list[int] = []
    index: list[int] = []
    for block in blocks:
        starts.append(len(index))
        index.append(block.unit)
        if required is not None:
            index.append(n_units)
    starts.append(len(index))
    if required is not None:
        rows_lower.append(required / scale)
        rows_upper.append(required / scale)
    lp.num_row_ = len(rows_lower)
    lp.row_lower_ = np.array(rows_lower)
    lp.row_upper_ = np.array(rows_upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.array(starts)
    lp.a_matrix_.index_ = np.array(index)
    lp.a_matrix_.value_ = np.ones(len(index))
    beta = np.array([b.beta * scale * scale for b in blocks])
    if (beta > 0).any():
        hessian = model.hessian_
        hessian.dim_ = n
        hessian.format_ = highspy.HessianFormat.kTriangular
        hessian.start_ = np.arange(n + 1)
        hessian.index_ = np.arange(n)
        hessian.value_ = beta
    highs.passModel(model)
    highs.run()
    status = highs.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise InfeasibleError(f"the abatement program has no solution ({highs.modelStatusToString(status)})", 0.0)
    return np.clip(np.asarray(highs.getSolution().col_value) * scale, 0.0, None)


def equal_marginal_cost_quadratic(alpha: np.ndarray, beta: np.ndarray, upper: np.ndarray,
                                  required: float) -> tuple[np.ndarray, float]:
    r"""Closed form of the equal-marginal-cost rule for one quadratic block per unit.

    Parameters
    ----------
    alpha, beta : ndarray
        :math:`C_i(q) = \alpha_i q + \tfrac12 \beta_i q^2` (yuan/t, yuan/t², :math:`\beta_i > 0`).
    upper : ndarray
        Most each unit can abate, t/yr.
    required : float
        Total abatement :math:`R`, t/yr (:math:`\le \sum` upper).

    Returns
    -------
    q : ndarray
        :math:`q_i = \min(\max((\lambda - \alpha_i)/\beta_i, 0), u_i)`, t/yr.
    lam : float
        The common marginal cost :math:`\lambda`, yuan/t, found on the active set: units at a bound
        are fixed and :math:`\lambda = (R' + \sum_F \alpha_i/\beta_i)/\sum_F 1/\beta_i` over the free
        units :math:`F` (exact; at most ``2n`` passes).
    """
    alpha = np.asarray(alpha, dtype=float)
    beta = np.asarray(beta, dtype=float)
    upper = np.asarray(upper, dtype=float)
    if required <= 0:
        return np.zeros_like(alpha), float(alpha.min())
    at_zero = np.zeros(len(alpha), dtype=bool)
    at_top = np.zeros(len(alpha), dtype=bool)
    for _ in range(2 * len(alpha) + 1):
        free = ~(at_zero | at_top)
        rest = required - upper[at_top].sum()
        lam = (rest + (alpha[free] / beta[free]).sum()) / (1.0 / beta[free]).sum()
        q = np.where(at_top, upper, np.where(at_zero, 0.0, (lam - alpha) / beta))
        low = free & (q < 0)
        high = free & (q > upper)
        if not (low.any() or high.any()):
            return q, float(lam)
        at_zero |= low
        at_top |= high
    raise RuntimeError("active set did not settle")  # pragma: no cover - bounded by 2n passes


def gini(values: np.ndarray, weights: np.ndarray | None = None) -> float:
    r"""Gini coefficient of ``values`` (e.g. allowance per capita), optionally weighted (e.g. by
    population), dimensionless in [0, 1).

    Notes
    -----
    :math:`G = \sum_i \sum_j w_i w_j |x_i - x_j| / (2 W^2 \bar x)`, :math:`W = \sum w`,
    :math:`\bar x = \sum w x / W`; equal weights give the pairwise form
    :math:`\sum\sum |x_i - x_j|/(2 n^2 \bar x)`: 0 when all are equal, :math:`(n-1)/n` when one
    holds everything. With weights it equals one minus twice the area under the Lorenz curve
    of the allowance against the weights (Lorenz form, checked in the tests).
    """
    x = np.asarray(values, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    if len(x) == 0 or w.sum() <= 0:
        return float("nan")
    mean = (w * x).sum() / w.sum()
    if mean == 0:
        return 0.0
    spread = (w[:, None] * w[None, :] * np.abs(x[:, None] - x[None, :])).sum()
    return float(spread / (2.0 * w.sum() ** 2 * mean))
