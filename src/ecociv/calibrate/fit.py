r"""Fitting the named parameters to gauged runoff with ``scipy.optimize.least_squares``.

The objective is a weighted sum of squares of log ratios (so a factor 2 too high weighs as much
as a factor 2 too low, whatever the river's size) plus a Gaussian prior on the log parameters,
which keeps parameters no gauge constrains (ungauged elevation bands, or Z where the
precipitation factor already explains the data) near their prior values:

.. math::

   J(x) = \sum_g \left(\frac{\ln(Q^{sim}_g(x) / Q^{obs}_g)}{\sigma_Q}\right)^2
        + \sum_k \left(\frac{x_k - \ln \theta^{prior}_k}{\sigma_k}\right)^2,
   \qquad \theta_k = e^{x_k}

minimised within the parameters' bounds (trust-region reflective). Percent bias of a gauge:
:math:`PBIAS = 100 (Q^{sim} - Q^{obs}) / Q^{obs}`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import least_squares

from ecociv.calibrate.problem import Problem

#: relative standard error given to a published mean annual runoff (ln units)
RUNOFF_LOG_SD = 0.1

#: simulated runoff below this (10⁸ m³/yr) is floored in the log ratio
FLOOR = 1e-6


@dataclass(frozen=True)
class FitResult:
    """Outcome of one calibration.

    Attributes
    ----------
    values : dict of str to float
        Parameter values (calibrated if ``converged``, else the starting values).
    converged : bool
        The optimiser reported convergence and the objective is finite.
    message : str
        The optimiser's message.
    objective_before, objective_after : float
        J at the prior values and at the result.
    simulated_before, simulated_after : dict of str to float
        Runoff (10⁸ m³/yr) of every gauge of the problem, at the prior and at the result.
    calibrated_on : tuple of str
        Gauges whose runoff entered the objective.
    evaluations : int
        Objective evaluations.
    """

    values: dict[str, float]
    converged: bool
    message: str
    objective_before: float
    objective_after: float
    simulated_before: dict[str, float]
    simulated_after: dict[str, float]
    calibrated_on: tuple[str, ...]
    evaluations: int


def pbias(simulated: float, observed: float) -> float:
    """Percent bias, 100 (sim − obs) / obs."""
    return 100.0 * (simulated - observed) / observed


def residuals(problem: Problem, x: NDArray[np.float64], gauge_ids: Sequence[str],
              runoff_log_sd: float = RUNOFF_LOG_SD) -> NDArray[np.float64]:
    """Weighted log-ratio residuals of the gauges followed by the prior residuals."""
    sim = problem.simulate(x, gauge_ids)
    data = [np.log(max(sim[g], FLOOR) / problem.observed[g]) / runoff_log_sd for g in gauge_ids]
    prior = (x - problem.prior_vector()) / np.array([p.prior_log_sd for p in problem.parameters])
    return np.concatenate([np.asarray(data, dtype=np.float64), prior])


def fit(problem: Problem, gauge_ids: Sequence[str] | None = None, *, max_nfev: int | None = 200,
        runoff_log_sd: float = RUNOFF_LOG_SD, start: NDArray[np.float64] | None = None
        ) -> FitResult:
    """Calibrate the problem's parameters on ``gauge_ids`` (default: every gauge with runoff).

    Parameters
    ----------
    problem : Problem
    gauge_ids : sequence of str, optional
        Gauges whose published runoff enters the objective.
    max_nfev : int, optional
        Largest number of objective evaluations; reaching it means no convergence.
    runoff_log_sd : float
        Standard error given to ln(runoff).
    start : ndarray, optional
        Starting ln values (default: the priors).

    Returns
    -------
    FitResult
    """
    ids = tuple(problem.observed if gauge_ids is None else gauge_ids)
    unknown = [g for g in ids if g not in problem.observed]
    if unknown:
        raise KeyError(f"no published runoff for gauge(s) {', '.join(unknown)}")
    x0 = problem.prior_vector() if start is None else np.asarray(start, dtype=np.float64)
    lower = np.log([p.lower for p in problem.parameters])
    upper = np.log([p.upper for p in problem.parameters])
    x0 = np.clip(x0, lower + 1e-9, upper - 1e-9)

    def objective(x: NDArray[np.float64]) -> NDArray[np.float64]:
        return residuals(problem, x, ids, runoff_log_sd)

    before = float(np.sum(objective(x0) ** 2))
    result = least_squares(objective, x0, bounds=(lower, upper), method="trf", x_scale=1.0,
                           max_nfev=max_nfev, diff_step=1e-4)
    after = float(np.sum(result.fun ** 2))
    converged = bool(result.success and result.status > 0 and np.isfinite(after))
    x = result.x if converged else x0
    names = [p.name for p in problem.parameters]
    return FitResult(
        values=dict(zip(names, np.exp(x).tolist(), strict=True)), converged=converged,
        message=str(result.message), objective_before=before,
        objective_after=after if converged else before,
        simulated_before=problem.simulate(x0), simulated_after=problem.simulate(x),
        calibrated_on=ids, evaluations=int(result.nfev))


def split_half(gauge_ids: Sequence[str]) -> tuple[list[str], list[str]]:
    """Alternate gauges into a calibration half (1st, 3rd, ...) and a held-out half."""
    ids = list(gauge_ids)
    return ids[0::2], ids[1::2]


def held_out(problem: Problem, calibration: Sequence[str], validation: Sequence[str],
             **kwargs: object) -> tuple[FitResult, dict[str, float]]:
    """Calibrate on ``calibration`` and return the fit and the PBIAS (%) of each held-out gauge."""
    result = fit(problem, calibration, **kwargs)  # type: ignore[arg-type]
    scores = {g: pbias(result.simulated_after[g], problem.observed[g]) for g in validation}
    return result, scores
