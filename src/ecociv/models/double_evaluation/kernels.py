r"""Kernels of the "double evaluation" (双评价): resource and environment carrying capacity and
territorial development suitability (pure functions on numpy arrays).

Sources. The method is that of the Ministry of Natural Resources' guide
《资源环境承载能力和国土空间开发适宜性评价指南（试行）》(2020, 自然资办函〔2020〕127号) and its
2019 draft technical guideline (《…技术指南（征求意见稿）》): each factor is graded into five
levels, land and water are combined by a matrix into a production (construction) condition,
which climate, soil and hazards then adjust. The 2020 text could not be consulted here; the
thresholds, matrices and adjustments below are those of the 2019 draft as transcribed in an
open implementation of it, the China University of Geosciences "spj" toolset
(github.com/CUGGISRS/spj, 2019, ``script/AgriculturalLandResources.py``, ``AgricultureWater.py``,
``AgricultureClimate.py``, ``AgriculturalIntegration.py``, ``Urban.py``,
``UrbanWaterResources.py``, ``UrbanIntegration.py``). They are parameters (thresholds) or named
constants (matrices) so that a user holding the 2020 text can check and change them.

Level convention here: 5 = best (高 / 好) … 1 = worst (低 / 差); the guideline lists levels
best-first (1 = 高), so level :math:`L` here is :math:`6 - L` there. Final classes: 4 most
suitable, 3 suitable, 2 generally suitable, 1 unsuitable, 0 = inside the ecological protection
extremely important area (not evaluated, as the guide evaluates agriculture and towns only
outside it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Days in each month of a non-leap year.
DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.float64)


# Matrices: row = first factor's level 1..5, column = second factor's level 1..5 (5 = best),
# value = combined level. Transcribed from spj's integration scripts (2019 draft) into the
# 5 = best convention.
#: Farming: land resource (rows) × water resource (columns) -> farming condition
#: (spj ``AgriculturalIntegration.py``, first table).
AGRICULTURE_LAND_WATER = np.array([
    # water: 1  2  3  4  5
    [1, 1, 1, 1, 1],  # land 1
    [1, 1, 2, 2, 3],  # land 2
    [1, 2, 3, 4, 4],  # land 3
    [1, 3, 4, 5, 5],  # land 4
    [1, 4, 5, 5, 5],  # land 5
])
#: Farming condition (rows) × climate (columns) -> agricultural production condition
#: (spj ``AgriculturalIntegration.py``, second table).
AGRICULTURE_CLIMATE = np.array([
    # climate: 1  2  3  4  5
    [1, 1, 1, 1, 1],  # condition 1
    [1, 1, 2, 2, 3],  # condition 2
    [1, 2, 3, 4, 4],  # condition 3
    [1, 3, 4, 4, 5],  # condition 4
    [1, 4, 5, 5, 5],  # condition 5
])
#: Building: land resource (rows) × water resource (columns) -> urban construction condition
#: (spj ``UrbanIntegration.py``).
URBAN_LAND_WATER = np.array([
    # water: 1  2  3  4  5
    [1, 1, 1, 1, 1],  # land 1
    [1, 1, 2, 2, 3],  # land 2
    [2, 3, 3, 4, 4],  # land 3
    [3, 4, 4, 5, 5],  # land 4
    [3, 4, 5, 5, 5],  # land 5
])

EXCLUDED, UNSUITABLE, GENERALLY_SUITABLE, SUITABLE, MOST_SUITABLE = 0, 1, 2, 3, 4
CLASS_NAMES = {EXCLUDED: "ecological protection (not evaluated)", UNSUITABLE: "unsuitable",
               GENERALLY_SUITABLE: "generally suitable", SUITABLE: "suitable",
               MOST_SUITABLE: "most suitable"}

LITRES_PER_M3 = 1000.0
DAYS_PER_YEAR = 365.0
M2_PER_HA = 1e4
#: One mu (亩) = 10 000 / 15 m² (市制, the statutory Chinese area unit).
M2_PER_MU = 1e4 / 15.0


def grade_higher_better(values: np.ndarray, breaks: Sequence[float]) -> np.ndarray:
    """Five levels of a factor that is better when larger (precipitation, water modulus,
    accumulated temperature).

    Parameters
    ----------
    values : ndarray
        Factor values (units of ``breaks``); NaN = nodata.
    breaks : sequence of 4 float
        Increasing lower bounds of levels 2..5.

    Returns
    -------
    ndarray of float
        Level 1..5 (5 = best): 1 + number of breaks ≤ value, so a value equal to a break
        belongs to the better level (e.g. precipitation 1200 mm/yr -> 5, "≥1200 好"). NaN where
        nodata.
    """
    values = np.asarray(values, dtype=np.float64)
    level = 1.0 + np.sum([values >= b for b in breaks], axis=0)
    return np.where(np.isnan(values), np.nan, level)


def grade_lower_better(values: np.ndarray, breaks: Sequence[float]) -> np.ndarray:
    """Five levels of a factor that is better when smaller (slope).

    Parameters
    ----------
    values : ndarray
        Factor values (units of ``breaks``, e.g. degrees); NaN = nodata.
    breaks : sequence of 4 float
        Increasing upper bounds of levels 5..2.

    Returns
    -------
    ndarray of float
        Level 5 − number of breaks < value (5 = best): a value equal to a break belongs to the
        better level (slope 2° -> 5, "≤2°"). NaN where nodata.
    """
    values = np.asarray(values, dtype=np.float64)
    level = 5.0 - np.sum([values > b for b in breaks], axis=0)
    return np.where(np.isnan(values), np.nan, level)


def downgrade(level: np.ndarray, steps: np.ndarray | float) -> np.ndarray:
    """Lower a level by ``steps`` (levels), not below 1; NaN stays NaN."""
    return np.maximum(np.asarray(level, dtype=np.float64) - steps, 1.0)


def downgrade_by_two_breaks(level: np.ndarray, values: np.ndarray, breaks: tuple[float, float],
                            *, second_to_lowest: bool) -> np.ndarray:
    """Downgrade where a limiting factor is high.

    ``breaks[0] ≤ value < breaks[1]`` lowers the level by one; ``value ≥ breaks[1]`` lowers it
    to 1 (``second_to_lowest``, e.g. silt ≥ 80 %, elevation ≥ 5000 m) or by two (relief ≥
    200 m). NaN values (factor not known in the cell) leave the level unchanged.
    """
    values = np.asarray(values, dtype=np.float64)
    level = np.asarray(level, dtype=np.float64)
    one = (values >= breaks[0]) & (values < breaks[1])
    two = values >= breaks[1]
    out = np.where(one, downgrade(level, 1.0), level)
    return np.where(two, 1.0 if second_to_lowest else downgrade(level, 2.0), out)


def combine(matrix: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Combined level from a 5×5 matrix: ``matrix[first - 1, second - 1]``; NaN where either
    level is NaN."""
    first = np.asarray(first, dtype=np.float64)
    second = np.asarray(second, dtype=np.float64)
    bad = np.isnan(first) | np.isnan(second)
    i = np.where(bad, 1, first).astype(np.int64) - 1
    j = np.where(bad, 1, second).astype(np.int64) - 1
    return np.where(bad, np.nan, np.asarray(matrix, dtype=np.float64)[i, j])


def better_of(*levels: np.ndarray) -> np.ndarray:
    """Cell-wise best of several levels of the same factor, ignoring NaN (e.g. water from
    rainfall or from the irrigation-water quota, whichever is better)."""
    with np.errstate(invalid="ignore"):
        return np.fmax.reduce(np.stack([np.asarray(v, dtype=np.float64) for v in levels]), axis=0)


def hazard_downgrade(level: np.ndarray, hazard_class: np.ndarray,
                     steps_by_class: Sequence[float]) -> np.ndarray:
    """Lower a level by the steps given for each hazard class (class 1..n -> steps_by_class[k-1];
    a step ≥ 4 sends any level to 1). NaN hazard = not known, level unchanged."""
    hazard = np.asarray(hazard_class, dtype=np.float64)
    steps = np.zeros(hazard.shape)
    for index, step in enumerate(steps_by_class, start=1):
        steps[hazard == index] = step
    return downgrade(level, steps)


def suitability_class(level: np.ndarray, most_suitable_min: int, suitable_min: int,
                      generally_suitable_min: int) -> np.ndarray:
    """Suitability class from a combined level.

    Levels ≥ ``most_suitable_min`` -> 4 (most suitable), ≥ ``suitable_min`` -> 3 (suitable),
    ≥ ``generally_suitable_min`` -> 2 (generally suitable), else 1 (unsuitable); NaN stays NaN.
    With the defaults 5, 4, 2 the draft guideline's three classes are kept (levels 5–4
    适宜, 3–2 一般适宜, 1 不适宜; spj ``AgriculturalIntegration.py``) and its 适宜 is split in two.
    """
    level = np.asarray(level, dtype=np.float64)
    out = np.where(level >= most_suitable_min, MOST_SUITABLE,
                   np.where(level >= suitable_min, SUITABLE,
                            np.where(level >= generally_suitable_min, GENERALLY_SUITABLE,
                                     UNSUITABLE))).astype(np.float64)
    return np.where(np.isnan(level), np.nan, out)


def exclude_protected(classes: np.ndarray, protected: np.ndarray) -> np.ndarray:
    """Class 0 where ``protected`` (ecological protection extremely important area), else the
    class (NaN stays NaN outside the protected area)."""
    return np.where(np.asarray(protected, dtype=bool), float(EXCLUDED), classes)


def _month_mid_days() -> np.ndarray:
    ends = np.cumsum(DAYS_IN_MONTH)
    return ends - DAYS_IN_MONTH / 2.0


def accumulated_temperature_monthly(monthly_mean_degc: np.ndarray, base_degc: float) -> np.ndarray:
    r"""Active accumulated temperature from monthly means, month by month (°C·d).

    Parameters
    ----------
    monthly_mean_degc : ndarray, shape (12, ...)
        Mean air temperature of each month, °C, January first.
    base_degc : float
        Threshold, °C (0 or 10).

    Returns
    -------
    ndarray
        :math:`\sum_m d_m T_m [T_m \ge T_b]`, °C·d (:math:`d_m` days in month :math:`m`,
        non-leap year). NaN if any month is NaN.

    Notes
    -----
    Active accumulated temperature (活动积温) sums the daily mean temperature of the days whose
    mean is at or above the threshold (the standard agroclimatic definition; the guide grades
    the ≥0 °C sum). With only monthly means, every day of a month is taken at the monthly
    mean: the transition months are counted wholly in or wholly out, which is why
    :func:`accumulated_temperature_interpolated` is the model's default.
    """
    temperature = np.asarray(monthly_mean_degc, dtype=np.float64)
    days = DAYS_IN_MONTH.reshape((12,) + (1,) * (temperature.ndim - 1))
    return np.sum(np.where(temperature >= base_degc, temperature * days, 0.0), axis=0)


def accumulated_temperature_interpolated(monthly_mean_degc: np.ndarray,
                                         base_degc: float) -> np.ndarray:
    r"""Active accumulated temperature from daily temperatures interpolated linearly between
    mid-month means (°C·d).

    Parameters
    ----------
    monthly_mean_degc : ndarray, shape (12, ...)
        Mean air temperature of each month, °C, January first.
    base_degc : float
        Threshold, °C.

    Returns
    -------
    ndarray
        :math:`\sum_{d=1}^{365} T_d [T_d \ge T_b]`, °C·d; NaN if any month is NaN.

    Notes
    -----
    Each monthly mean is placed at the middle of its month (day :math:`c_m`, non-leap year) and
    the daily mean of day :math:`d` (centre :math:`d - 0.5`) is interpolated linearly between
    the two surrounding mid-month values, cyclically across December–January. This is a
    method choice of ecociv (the guide does not prescribe how to get daily values from monthly
    normals): it resolves the dates on which the threshold is crossed inside a month, where
    :func:`accumulated_temperature_monthly` counts transition months wholly in or out.
    Linear interpolation does not preserve each month's mean exactly (it smooths peaks); for a
    constant temperature it returns :math:`365\,T`.
    """
    temperature = np.asarray(monthly_mean_degc, dtype=np.float64)
    centres = _month_mid_days()
    total = np.zeros(temperature.shape[1:])
    for day in range(365):
        t = day + 0.5
        upper = int(np.searchsorted(centres, t, side="right"))  # first centre after t
        if upper == 0:  # before mid-January: between mid-December (previous year) and January
            lo, hi, c_lo, c_hi = 11, 0, centres[11] - 365.0, centres[0]
        elif upper == 12:  # after mid-December: towards mid-January of the next year
            lo, hi, c_lo, c_hi = 11, 0, centres[11], centres[0] + 365.0
        else:
            lo, hi, c_lo, c_hi = upper - 1, upper, centres[upper - 1], centres[upper]
        weight = (t - c_lo) / (c_hi - c_lo)
        daily = (1.0 - weight) * temperature[lo] + weight * temperature[hi]
        total += np.where(daily >= base_degc, daily, 0.0)
    return np.where(np.isnan(temperature).any(axis=0), np.nan, total)


def irrigable_cropland_ha(water_m3_per_yr: np.ndarray | float,
                          quota_m3_per_ha_yr: float) -> np.ndarray:
    r"""Irrigated cropland that a volume of agricultural water supports, ha.

    Notes
    -----
    :math:`A = W_{agr} / q`, with :math:`W_{agr}` the water available to agriculture (m³/yr)
    and :math:`q` the comprehensive irrigation quota (m³/ha/yr): the water-limited scale of
    farming of the 2020 guide's carrying-scale evaluation (承载规模评价).
    """
    return np.asarray(water_m3_per_yr, dtype=np.float64) / quota_m3_per_ha_yr


def supportable_population(water_m3_per_yr: np.ndarray | float,
                           litres_per_person_day: float) -> np.ndarray:
    r"""Population that a volume of domestic water supports, persons.

    Notes
    -----
    :math:`P = 1000\,W_{dom} / (365\,u)`, with :math:`W_{dom}` the domestic water available
    (m³/yr) and :math:`u` the per-capita domestic use (L/person/day).
    """
    return (np.asarray(water_m3_per_yr, dtype=np.float64) * LITRES_PER_M3
            / (DAYS_PER_YEAR * litres_per_person_day))
