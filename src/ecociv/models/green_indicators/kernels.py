r"""Pure kernels of ``green_indicators``: Tapio decoupling and additive LMDI-I decomposition.

Arrays and numbers in, arrays and numbers out; no tables, no files.

Tapio (2005) decoupling elasticity
----------------------------------
:math:`e = (\Delta C / C_0) / (\Delta G / G_0)` with :math:`C` the pressure (CO2) and :math:`G`
the driving force (GDP). The eight states of Tapio (2005, Transport Policy 12: 137–151, Fig. 2)
are decided by the signs of :math:`\Delta C` and :math:`\Delta G` and by :math:`e` against 0.8
and 1.2. Boundary rules (ecociv's, written so that every case has exactly one state):

* :math:`e = 0.8` exactly is *coupling* (expansive or recessive), :math:`e = 1.2` exactly is also
  *coupling*: the coupling band is the closed interval :math:`[0.8, 1.2]`; weak decoupling
  (growth) and weak negative decoupling (recession) are :math:`0 \le e < 0.8`; expansive negative
  decoupling and recessive decoupling are :math:`e > 1.2`.
* :math:`\Delta C = 0` with :math:`\Delta G > 0` (:math:`e = 0`) is *weak decoupling*;
  with :math:`\Delta G < 0` (:math:`e = 0`) it is *weak negative decoupling*.
* :math:`\Delta G = 0` (:math:`e` undefined): :math:`\Delta C < 0` is *strong decoupling*
  (pressure falls without growth), :math:`\Delta C > 0` is *strong negative decoupling*, and
  :math:`\Delta C = 0` is *no change* (a ninth label, not a Tapio state); :math:`e` is reported
  as NaN.
* Changes are compared with zero exactly; the elasticity is compared with 0.8 and 1.2 with a
  relative tolerance of 1e-9 (an elasticity computed as 0.7999999999999999 from values whose exact
  ratio is 0.8 is 0.8), and it is computed as :math:`(\Delta C\,G_0)/(C_0\,\Delta G)` so that
  round figures give exact ratios.

Additive LMDI-I (Ang 2004, 2005)
--------------------------------
For :math:`V = \sum_i \prod_k x_{ik}` the change :math:`V^T - V^0` is split into one effect per
factor :math:`k`:

.. math:: \Delta V_k = \sum_i L(V_i^T, V_i^0)\,\ln(x_{ik}^T / x_{ik}^0),\qquad
          L(a, b) = (a - b)/(\ln a - \ln b),\ L(a, a) = a.

The decomposition is perfect: :math:`\sum_k \Delta V_k = V^T - V^0` (Ang 2004, Energy Policy 32:
1131–1139). Zeros follow the limits of the small-value strategy of Ang & Liu (2007, Energy Policy
35: 238–246): a sub-category whose value is zero in both years contributes nothing; one that
appears (:math:`V_i^0 = 0 < V_i^T`) gives its whole :math:`V_i^T` to the factor(s) that are zero
at :math:`t_0`, shared equally when several are; one that disappears gives :math:`-V_i^0` to the
factor(s) that are zero at :math:`T`. These are the exact limits of replacing the zeros by
:math:`\delta \to 0` (checked in the tests), so the decomposition stays perfect.
"""

from __future__ import annotations

import numpy as np

#: Tapio (2005) thresholds of the elasticity between decoupling, coupling and negative decoupling.
LOWER = 0.8
UPPER = 1.2

STRONG_DECOUPLING = "strong decoupling"
WEAK_DECOUPLING = "weak decoupling"
EXPANSIVE_COUPLING = "expansive coupling"
EXPANSIVE_NEGATIVE_DECOUPLING = "expansive negative decoupling"
STRONG_NEGATIVE_DECOUPLING = "strong negative decoupling"
WEAK_NEGATIVE_DECOUPLING = "weak negative decoupling"
RECESSIVE_COUPLING = "recessive coupling"
RECESSIVE_DECOUPLING = "recessive decoupling"
NO_CHANGE = "no change"

#: The eight Tapio states (and the no-change label) with their usual Chinese names.
STATES_ZH = {
    STRONG_DECOUPLING: "强脱钩",
    WEAK_DECOUPLING: "弱脱钩",
    EXPANSIVE_COUPLING: "扩张连接",
    EXPANSIVE_NEGATIVE_DECOUPLING: "扩张负脱钩",
    STRONG_NEGATIVE_DECOUPLING: "强负脱钩",
    WEAK_NEGATIVE_DECOUPLING: "弱负脱钩",
    RECESSIVE_COUPLING: "衰退连接",
    RECESSIVE_DECOUPLING: "衰退脱钩",
    NO_CHANGE: "无变化",
}


def tapio_elasticity(pressure_start: float, pressure_end: float, driver_start: float,
                     driver_end: float) -> float:
    """Tapio decoupling elasticity (dimensionless).

    Parameters
    ----------
    pressure_start, pressure_end : float
        Pressure (e.g. CO2, t/yr) in the first and last year; the start must be > 0.
    driver_start, driver_end : float
        Driving force (e.g. GDP, 10^8 yuan) in the first and last year; the start must be > 0.

    Returns
    -------
    float
        :math:`(\\Delta C/C_0)/(\\Delta G/G_0)`; NaN when the driver does not change.

    Notes
    -----
    Tapio P. (2005), Transport Policy 12: 137–151, eq. (2).
    """
    if pressure_start <= 0 or driver_start <= 0:
        raise ValueError("the start values of the pressure and of the driver must be > 0")
    if driver_end == driver_start:
        return float("nan")
    return ((pressure_end - pressure_start) * driver_start) / (pressure_start * (driver_end - driver_start))


def tapio_state(pressure_change: float, driver_change: float, elasticity: float) -> str:
    """The Tapio (2005) state of one period, with the boundary rules of the module docstring.

    Parameters
    ----------
    pressure_change : float
        Change of the pressure over the period (any unit; only its sign is used).
    driver_change : float
        Change of the driving force over the period (only its sign is used).
    elasticity : float
        The elasticity of :func:`tapio_elasticity` (ignored when ``driver_change`` is 0).

    Returns
    -------
    str
        One of the eight state names, or ``"no change"`` when neither changes.
    """
    if driver_change == 0:
        if pressure_change < 0:
            return STRONG_DECOUPLING
        if pressure_change > 0:
            return STRONG_NEGATIVE_DECOUPLING
        return NO_CHANGE
    if driver_change > 0:
        if pressure_change < 0:
            return STRONG_DECOUPLING
        if _below(elasticity, LOWER):
            return WEAK_DECOUPLING
        if not _above(elasticity, UPPER):
            return EXPANSIVE_COUPLING
        return EXPANSIVE_NEGATIVE_DECOUPLING
    if pressure_change > 0:
        return STRONG_NEGATIVE_DECOUPLING
    if _below(elasticity, LOWER):
        return WEAK_NEGATIVE_DECOUPLING
    if not _above(elasticity, UPPER):
        return RECESSIVE_COUPLING
    return RECESSIVE_DECOUPLING


#: relative tolerance of the comparison of an elasticity with a threshold
THRESHOLD_RTOL = 1e-9


def _below(value: float, threshold: float) -> bool:
    return value < threshold * (1 - THRESHOLD_RTOL)


def _above(value: float, threshold: float) -> bool:
    return value > threshold * (1 + THRESHOLD_RTOL)


def log_mean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Logarithmic mean :math:`L(a, b) = (a - b)/(\\ln a - \\ln b)`, :math:`L(a, a) = a`, of
    positive arrays (same units as ``a`` and ``b``)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = (a - b) / (np.log(a) - np.log(b))
    return np.where(np.isclose(a, b, rtol=1e-12, atol=0.0), 0.5 * (a + b), value)


def lmdi_additive(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Additive LMDI-I effects of each factor (same units as the aggregate).

    Parameters
    ----------
    start, end : ndarray, shape (n_subcategories, n_factors)
        Factor values :math:`x_{ik}` at :math:`t_0` and :math:`T`, all ≥ 0 and finite; the
        aggregate is :math:`V = \\sum_i \\prod_k x_{ik}`.

    Returns
    -------
    ndarray, shape (n_factors,)
        :math:`\\Delta V_k`; they sum to :math:`V^T - V^0` (perfect decomposition).

    Notes
    -----
    Ang B.W. (2005), Energy Policy 33: 867–871, Table 1 (additive LMDI-I); zero values by the
    limits of the small-value strategy, Ang B.W., Liu N. (2007), Energy Policy 35: 238–246.
    """
    start = np.atleast_2d(np.asarray(start, dtype=float))
    end = np.atleast_2d(np.asarray(end, dtype=float))
    if start.shape != end.shape:
        raise ValueError(f"start {start.shape} and end {end.shape} differ in shape")
    if not (np.isfinite(start).all() and np.isfinite(end).all()):
        raise ValueError("factor values must be finite")
    if (start < 0).any() or (end < 0).any():
        raise ValueError("factor values must be >= 0")
    v_start = start.prod(axis=1)
    v_end = end.prod(axis=1)
    effects = np.zeros(start.shape[1])
    both = (v_start > 0) & (v_end > 0)
    if both.any():
        weight = log_mean(v_end[both], v_start[both])
        effects += (weight[:, None] * np.log(end[both] / start[both])).sum(axis=0)
    appears = (v_start == 0) & (v_end > 0)
    for i in np.flatnonzero(appears):
        zero = start[i] == 0
        effects[zero] += v_end[i] / zero.sum()
    disappears = (v_start > 0) & (v_end == 0)
    for i in np.flatnonzero(disappears):
        zero = end[i] == 0
        effects[zero] -= v_start[i] / zero.sum()
    return effects


def intensity(numerator: np.ndarray, value_added_1e8_yuan: np.ndarray, *, per: float = 1e4) -> np.ndarray:
    """Quantity per ``per`` yuan of value added (NaN where value added is 0 or missing).

    Parameters
    ----------
    numerator : ndarray
        The pressure in its own unit (t, tce, m³).
    value_added_1e8_yuan : ndarray
        Value added in 10^8 yuan.
    per : float
        The yuan amount of the denominator (default 10^4 yuan, 万元).

    Returns
    -------
    ndarray
        ``numerator / (value_added × 10^8 / per)``.
    """
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(value_added_1e8_yuan, dtype=float) * (1e8 / per)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)
