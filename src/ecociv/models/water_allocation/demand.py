r"""Water demands from the rest of ``ecociv``: irrigation (FAO-56 crop coefficients), domestic and
industrial use, and the cropland-reduction lever (压地减水).

Pure functions on numbers and numpy arrays; the only file this module opens is the crop table
(:func:`load_crop_table`). Monthly arrays have 12 values, January to December, or
``years × 12`` values where a function says so. Depths are in mm per month, areas in ha,
volumes in m³ per month (1 mm over 1 ha is 10 m³).

References
----------
Allen, R.G., Pereira, L.S., Raes, D. and Smith, M. (1998), *Crop evapotranspiration — Guidelines
for computing crop water requirements*, FAO Irrigation and Drainage Paper 56, Rome (FAO-56).

Smith, M. (1992), *CROPWAT — A computer program for irrigation planning and management*, FAO
Irrigation and Drainage Paper 46, Rome; effective-rainfall options as documented in CROPWAT 8.0
(FAO Land and Water Division).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from importlib.resources import as_file, files
from pathlib import Path
from typing import Final, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ecociv.errors import InputError

FloatArray = NDArray[np.float64]
PeffMethod = Literal["usda_scs", "fao_dependable", "fixed_fraction"]

#: Days in each month of a non-leap year; the Kc curve is laid on this 365-day reference year.
DAYS_IN_MONTH: Final = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.float64)
#: m³ of water per mm of depth over one hectare (1e-3 m × 1e4 m²).
M3_PER_MM_HA: Final = 10.0
#: Effective-rainfall methods understood by :func:`effective_precipitation`.
PEFF_METHODS: Final = ("usda_scs", "fao_dependable", "fixed_fraction")

#: Columns of the crop table (``data/water/crops.csv``).
CROP_TABLE_COLUMNS: Final = (
    "crop", "name_zh", "kc_ini", "kc_mid", "kc_end", "l_ini", "l_dev", "l_mid", "l_late",
    "planting_month", "planting_day", "height_m", "yield_t_per_ha", "status",
)
STAGE_COLUMNS: Final = ("l_ini", "l_dev", "l_mid", "l_late")
KC_COLUMNS: Final = ("kc_ini", "kc_mid", "kc_end")
STATUSES: Final = ("literature", "reported", "derived", "illustrative", "mixed")


def _f(value: ArrayLike) -> FloatArray:
    return np.asarray(value, dtype=np.float64)


# --- calendar ---------------------------------------------------------------------------------


def days_in_months(year: int | Sequence[int] | None = None) -> FloatArray:
    """Days in each calendar month.

    Parameters
    ----------
    year : int, sequence of int or None
        None: a non-leap year (12 values). An int: that year (29 days in a leap February). A
        sequence of years: their months one after the other (``12 × len(year)`` values).

    Returns
    -------
    ndarray
        Days (d), shape ``(12,)`` or ``(12 × n_years,)``.
    """
    if year is None:
        return DAYS_IN_MONTH.copy()
    years = [year] if isinstance(year, (int, np.integer)) else list(year)
    return np.array([calendar.monthrange(int(y), m)[1] for y in years for m in range(1, 13)], dtype=np.float64)


# --- crop coefficient curve -------------------------------------------------------------------


def _stage_lengths(l_ini: int, l_dev: int, l_mid: int, l_late: int) -> tuple[int, int, int, int]:
    lengths = []
    for name, value in (("l_ini", l_ini), ("l_dev", l_dev), ("l_mid", l_mid), ("l_late", l_late)):
        number = float(value)
        if not number > 0 or number != int(number):
            raise InputError(f"stage length must be a whole number of days > 0, got {value!r}", source=name)
        lengths.append(int(number))
    if sum(lengths) > 365:
        raise InputError(f"growing season of {sum(lengths)} days is longer than a year (365 d)", source="l_ini..l_late")
    return lengths[0], lengths[1], lengths[2], lengths[3]


def _check_kc(**values: float) -> None:
    for name, value in values.items():
        if not 0.0 <= float(value) <= 2.0:
            raise InputError(f"crop coefficient must be in 0-2, got {value!r}", source=name)


def daily_kc(kc_ini: float, kc_mid: float, kc_end: float,
             l_ini: int, l_dev: int, l_mid: int, l_late: int) -> FloatArray:
    r"""FAO-56 crop coefficient on each day of the growing season.

    Parameters
    ----------
    kc_ini, kc_mid, kc_end : float
        Crop coefficients (dimensionless, 0-2) of the initial, mid-season and end of the late
        season stage (FAO-56 Table 12).
    l_ini, l_dev, l_mid, l_late : int
        Lengths of the initial, crop development, mid-season and late season stages (d, whole
        days > 0; FAO-56 Table 11).

    Returns
    -------
    ndarray
        Kc (dimensionless) on season days 1 … L, L = l_ini + l_dev + l_mid + l_late.

    Notes
    -----
    FAO-56 Chapter 6, Fig. 25 and eq. 66: Kc is ``kc_ini`` through the initial stage, rises
    linearly during development, is ``kc_mid`` through mid-season and falls linearly to
    ``kc_end`` at the end of the late season. For season day *i*,

    .. math:: K_{c,i} = K_{c,prev} + \frac{i - \sum L_{prev}}{L_{stage}}\,(K_{c,next} - K_{c,prev})

    so day ``l_ini + l_dev`` has ``kc_mid`` and the last day has ``kc_end``.
    """
    _check_kc(kc_ini=kc_ini, kc_mid=kc_mid, kc_end=kc_end)
    l1, l2, l3, l4 = _stage_lengths(l_ini, l_dev, l_mid, l_late)
    day = np.arange(1, l1 + l2 + l3 + l4 + 1, dtype=np.float64)
    kc = np.full(day.shape, float(kc_mid))
    kc[day <= l1] = kc_ini
    development = (day > l1) & (day <= l1 + l2)
    kc[development] = kc_ini + (day[development] - l1) / l2 * (kc_mid - kc_ini)
    late = day > l1 + l2 + l3
    kc[late] = kc_mid + (day[late] - (l1 + l2 + l3)) / l4 * (kc_end - kc_mid)
    return kc


def _planting_doy(planting_month: int, planting_day: int) -> int:
    """Day of the 365-day reference year (1-based) of a planting date."""
    month = int(planting_month)
    if float(planting_month) != month or not 1 <= month <= 12:
        raise InputError(f"planting month must be 1-12, got {planting_month!r}", source="planting_month")
    day = int(planting_day)
    if float(planting_day) != day or not 1 <= day <= DAYS_IN_MONTH[month - 1]:
        raise InputError(
            f"planting day must be 1-{int(DAYS_IN_MONTH[month - 1])} in month {month}, got {planting_day!r}",
            source="planting_day",
        )
    return int(DAYS_IN_MONTH[: month - 1].sum()) + day


def calendar_kc(kc_ini: float, kc_mid: float, kc_end: float, l_ini: int, l_dev: int, l_mid: int, l_late: int,
                planting_month: int, planting_day: int) -> FloatArray:
    """Kc on each day of the 365-day reference year, 0 outside the growing season.

    Parameters are those of :func:`daily_kc` and :func:`monthly_kc`.

    Returns
    -------
    ndarray
        Kc (dimensionless), shape ``(365,)``, index 0 = 1 January. A season that runs past
        31 December (winter wheat) continues from 1 January of the same reference year.
    """
    season = daily_kc(kc_ini, kc_mid, kc_end, l_ini, l_dev, l_mid, l_late)
    start = _planting_doy(planting_month, planting_day) - 1
    year = np.zeros(365)
    year[(start + np.arange(season.size)) % 365] = season
    return year


def _month_means(daily: FloatArray) -> FloatArray:
    edges = np.concatenate(([0], np.cumsum(DAYS_IN_MONTH).astype(int)))
    return np.array([daily[edges[m]:edges[m + 1]].mean() for m in range(12)])


def monthly_kc(kc_ini: float, kc_mid: float, kc_end: float, l_ini: int, l_dev: int, l_mid: int, l_late: int,
               planting_month: int, planting_day: int) -> FloatArray:
    r"""FAO-56 crop coefficient averaged over each calendar month.

    Parameters
    ----------
    kc_ini, kc_mid, kc_end : float
        Crop coefficients (dimensionless, 0-2), FAO-56 Table 12.
    l_ini, l_dev, l_mid, l_late : int
        Stage lengths (d, whole days > 0), FAO-56 Table 11; the season is at most 365 days.
    planting_month, planting_day : int
        Planting (or green-up, for perennials) date: season day 1.

    Returns
    -------
    ndarray
        Mean Kc of each month (dimensionless), shape ``(12,)``, January first.

    Notes
    -----
    The daily curve of :func:`daily_kc` (FAO-56 eq. 66, Fig. 25) is laid on a 365-day year from
    the planting date (a season may run past 31 December and continue in January) and averaged
    over the days of each month, **counting days outside the growing season as Kc = 0**: off
    season there is no crop to irrigate, so a month half in the season gets half the ETc of a
    full month. Soil evaporation outside the season is thereby ignored (it is not an irrigation
    requirement). ``Kc_month × ET0_month`` equals the sum of daily ``Kc × ET0`` when ET0 is
    uniform within the month. 29 February is not modelled: the reference year has 365 days.
    """
    return _month_means(calendar_kc(kc_ini, kc_mid, kc_end, l_ini, l_dev, l_mid, l_late,
                                    planting_month, planting_day))


def season_fraction(l_ini: int, l_dev: int, l_mid: int, l_late: int,
                    planting_month: int, planting_day: int) -> FloatArray:
    """Fraction of each month's days that fall in the growing season (0-1), shape ``(12,)``.

    Pass it to :func:`net_irrigation_requirement_mm` to count only the rain of the season's days
    in a month the crop occupies partly (as CROPWAT prorates rain by period).
    """
    l1, l2, l3, l4 = _stage_lengths(l_ini, l_dev, l_mid, l_late)
    start = _planting_doy(planting_month, planting_day) - 1
    year = np.zeros(365)
    year[(start + np.arange(l1 + l2 + l3 + l4)) % 365] = 1.0
    return _month_means(year)


def climate_adjusted_kc(kc_table: ArrayLike, u2_m_per_s: ArrayLike, rh_min_percent: ArrayLike,
                        height_m: ArrayLike) -> FloatArray:
    r"""Adjust a tabulated Kc mid or Kc end (> 0.45) to the local climate.

    Parameters
    ----------
    kc_table : array_like
        Kc mid or Kc end from FAO-56 Table 12 (dimensionless), valid for RHmin = 45 %, u2 = 2 m/s.
    u2_m_per_s : array_like
        Mean daily wind speed at 2 m during the stage (m/s), 1-6.
    rh_min_percent : array_like
        Mean daily minimum relative humidity during the stage (%), 20-80.
    height_m : array_like
        Mean plant height during the stage (m), 0.1-10.

    Returns
    -------
    ndarray
        Adjusted Kc (dimensionless).

    Notes
    -----
    FAO-56 eq. 62 (and eq. 65 for Kc end):

    .. math:: K_c = K_{c,table} + [0.04 (u_2 - 2) - 0.004 (RH_{min} - 45)] (h/3)^{0.3}

    with u2, RHmin and h clipped to the ranges above as FAO-56 prescribes. In the Belt's oases
    (RHmin often 20-35 % in summer) the adjustment raises Kc mid by a few hundredths.
    """
    u2 = np.clip(_f(u2_m_per_s), 1.0, 6.0)
    rh = np.clip(_f(rh_min_percent), 20.0, 80.0)
    h = np.clip(_f(height_m), 0.1, 10.0)
    return _f(kc_table) + (0.04 * (u2 - 2.0) - 0.004 * (rh - 45.0)) * (h / 3.0) ** 0.3


# --- effective precipitation and net irrigation requirement ----------------------------------


def _non_negative(values: FloatArray, name: str) -> None:
    bad = np.flatnonzero(values < 0)
    if bad.size:
        position = np.unravel_index(int(bad[0]), values.shape)
        where = f"index {position[0] if len(position) == 1 else position}"
        raise InputError(f"must not be negative, got {values[position]!r}", source=name, where=where)


def effective_precipitation(p_mm: ArrayLike, method: PeffMethod = "usda_scs", fraction: float = 0.8) -> FloatArray:
    r"""Monthly effective precipitation.

    Parameters
    ----------
    p_mm : array_like
        Total precipitation of each month (mm/month, >= 0), shape ``(..., 12)`` or any shape.
    method : {"usda_scs", "fao_dependable", "fixed_fraction"}
        Formula, see Notes.
    fraction : float
        Effective fraction (0-1) for ``"fixed_fraction"``.

    Returns
    -------
    ndarray
        Effective precipitation (mm/month), never negative, same shape as ``p_mm``.

    Notes
    -----
    Formulas as offered by FAO CROPWAT (Smith 1992, FAO Irrigation and Drainage Paper 46;
    CROPWAT 8.0 "effective rainfall" options), with P the monthly total in mm:

    - ``"usda_scs"``, USDA Soil Conservation Service method as programmed in CROPWAT:
      :math:`P_{eff} = P (125 - 0.2 P) / 125` for P <= 250 mm, :math:`125 + 0.1 P` above
      (continuous at 250 mm, where both give 150 mm);
    - ``"fao_dependable"``, FAO/AGLW dependable-rain formula:
      :math:`P_{eff} = \max(0.6 P - 10, 0)` for P <= 70 mm, :math:`0.8 P - 24` above
      (continuous at 70 mm, 32 mm); months under 16.7 mm count for nothing, which matters in
      arid oases;
    - ``"fixed_fraction"``: :math:`P_{eff} = f P`.

    The constants were checked against two independent public implementations: the CRAN package
    FAO56 (``EffPrec``) for the USDA-SCS formula, and published CROPWAT re-implementations for
    the dependable-rain formula; pyCropWat's ``fao_aglw`` (0.8 P − 25 above 250 mm) differs from
    the CROPWAT 8.0 constants used here.
    """
    p = _f(p_mm)
    _non_negative(p, "precipitation")
    if method == "usda_scs":
        peff = np.where(p <= 250.0, p * (125.0 - 0.2 * p) / 125.0, 125.0 + 0.1 * p)
    elif method == "fao_dependable":
        peff = np.where(p <= 70.0, 0.6 * p - 10.0, 0.8 * p - 24.0)
    elif method == "fixed_fraction":
        if not 0.0 <= float(fraction) <= 1.0:
            raise InputError(f"must be in 0-1, got {fraction!r}", source="fraction")
        peff = float(fraction) * p
    else:
        raise InputError(f"unknown method {method!r}; expected one of {', '.join(PEFF_METHODS)}",
                         source="effective precipitation method")
    return np.maximum(peff, 0.0)


def net_irrigation_requirement_mm(kc: ArrayLike, et0_mm: ArrayLike, p_mm: ArrayLike,
                                  method: PeffMethod = "usda_scs", *, fraction: float = 0.8,
                                  season_fraction: ArrayLike | None = None) -> FloatArray:
    r"""Net irrigation requirement of a crop, month by month.

    Parameters
    ----------
    kc : array_like
        Monthly mean crop coefficient (dimensionless), shape ``(..., 12)`` (e.g. from
        :func:`monthly_kc`; tile it for ``years × 12`` series).
    et0_mm : array_like
        Reference evapotranspiration of each month (mm/month, >= 0), broadcast with ``kc``.
    p_mm : array_like
        Precipitation of each month (mm/month, >= 0), broadcast with ``kc``.
    method : str
        Effective-precipitation method of :func:`effective_precipitation`.
    fraction : float
        Effective fraction for ``method="fixed_fraction"``.
    season_fraction : array_like, optional
        Share of each month in the growing season (:func:`season_fraction`); when given, only
        that share of the month's effective rain is counted. Default: the whole month's.

    Returns
    -------
    ndarray
        Net irrigation requirement at the field (mm/month, >= 0); 0 where Kc = 0.

    Notes
    -----
    :math:`NIR = \max(K_c\,ET_0 - P_{eff}, 0)` where Kc > 0, else 0 (FAO-56 eq. 58 for
    ETc = Kc·ET0; Smith 1992 for the irrigation requirement as ETc less effective rain).
    Capillary rise, leaching and pre-irrigation are not included.
    """
    k = _f(kc)
    et0 = _f(et0_mm)
    _non_negative(k, "kc")
    _non_negative(et0, "et0")
    peff = effective_precipitation(p_mm, method, fraction)
    if season_fraction is not None:
        peff = peff * np.clip(_f(season_fraction), 0.0, 1.0)
    return np.where(k > 0, np.maximum(k * et0 - peff, 0.0), 0.0)


def irrigation_demand_m3(areas_ha: Mapping[str, float], nir_mm: Mapping[str, ArrayLike],
                         efficiency: float) -> FloatArray:
    r"""Gross irrigation demand of a demand site.

    Parameters
    ----------
    areas_ha : mapping of str to float
        Irrigated area of each crop (ha, >= 0).
    nir_mm : mapping of str to array_like
        Net irrigation requirement of each crop (mm/month), all of the same shape, ``(12,)`` or
        ``(years × 12,)``; every crop of ``areas_ha`` must be present.
    efficiency : float
        Overall irrigation efficiency, water consumed by the crop over water withdrawn, in (0, 1].

    Returns
    -------
    ndarray
        Gross irrigation demand (m³/month), the shape of the NIR arrays.

    Notes
    -----
    :math:`D = \sum_c A_c\,NIR_c \times 10 / \eta` (1 mm over 1 ha = 10 m³).
    """
    eta = float(efficiency)
    if not 0.0 < eta <= 1.0:
        raise InputError(f"irrigation efficiency must be in (0, 1], got {efficiency!r}", source="efficiency")
    if not areas_ha:
        raise InputError("no crops given", source="areas_ha")
    total: FloatArray | None = None
    for crop, area in areas_ha.items():
        if not float(area) >= 0.0:
            raise InputError(f"area must be >= 0 ha, got {area!r}", source="areas_ha", where=f"crop {crop!r}")
        if crop not in nir_mm:
            raise InputError(f"no net irrigation requirement for crop {crop!r}", source="nir_mm",
                             where=f"crop {crop!r}")
        nir = _f(nir_mm[crop])
        _non_negative(nir, f"net irrigation requirement of crop {crop!r}")
        volume = float(area) * nir * M3_PER_MM_HA
        if total is not None and volume.shape != total.shape:
            raise InputError(f"NIR of crop {crop!r} has shape {volume.shape}, others {total.shape}",
                             source="nir_mm", where=f"crop {crop!r}")
        total = volume if total is None else total + volume
    assert total is not None
    return total / eta


# --- domestic and industry -------------------------------------------------------------------


def domestic_demand_m3(population: float, per_capita_l_per_day: float,
                       year: int | Sequence[int] | None = None) -> FloatArray:
    """Domestic water demand month by month.

    Parameters
    ----------
    population : float
        Persons served (>= 0).
    per_capita_l_per_day : float
        Use per person (L/d, >= 0).
    year : int, sequence of int or None
        Calendar year(s) for month lengths (leap Februaries); None: a 365-day year.

    Returns
    -------
    ndarray
        Demand (m³/month), shape ``(12,)`` or ``(12 × n_years,)``.

    Notes
    -----
    :math:`D_m = N \\times q \\times 10^{-3} \\times d_m` with :math:`d_m` the days of month m.
    """
    for name, value in (("population", population), ("per_capita_l_per_day", per_capita_l_per_day)):
        if not float(value) >= 0.0:
            raise InputError(f"must be >= 0, got {value!r}", source=name)
    return float(population) * float(per_capita_l_per_day) * 1e-3 * days_in_months(year)


def industry_demand_m3(value_added_yuan_per_yr: float, intensity_m3_per_yuan: float,
                       year: int | Sequence[int] | None = None) -> FloatArray:
    """Industrial water demand month by month.

    Parameters
    ----------
    value_added_yuan_per_yr : float
        Industrial value added (yuan/yr, >= 0).
    intensity_m3_per_yuan : float
        Water use per yuan of value added (m³/yuan, >= 0; 10 m³ per 10⁴ yuan is 1e-3 m³/yuan).
    year : int, sequence of int or None
        Calendar year(s); None: a 365-day year.

    Returns
    -------
    ndarray
        Demand (m³/month), shape ``(12,)`` or ``(12 × n_years,)``; each year sums to
        ``value_added × intensity``.

    Notes
    -----
    The annual volume is spread over the months in proportion to their days (steady production).
    """
    for name, value in (("value_added_yuan_per_yr", value_added_yuan_per_yr),
                        ("intensity_m3_per_yuan", intensity_m3_per_yuan)):
        if not float(value) >= 0.0:
            raise InputError(f"must be >= 0, got {value!r}", source=name)
    days = days_in_months(year)
    days_per_year = np.repeat(days.reshape(-1, 12).sum(axis=1), 12)
    return float(value_added_yuan_per_yr) * float(intensity_m3_per_yuan) * days / days_per_year


# --- cropland reduction (压地减水) -------------------------------------------------------------


def reduce_cropland(areas_ha: Mapping[str, float], reduction_ha: Mapping[str, float], site: str, *,
                    source: str | None = None, where: str | None = None) -> dict[str, float]:
    """Crop areas of a demand site after taking cropland out of irrigation.

    Parameters
    ----------
    areas_ha : mapping of str to float
        Irrigated area of each crop at the site (ha, >= 0).
    reduction_ha : mapping of str to float
        Area taken out per crop (ha, >= 0, at most the crop's area; a reduction above the area by
        less than one part in 10¹² is taken as the whole area).
    site : str
        Demand-site id, for error messages.
    source, where : str, optional
        Where the reduction was given (e.g. ``"levers"``, ``"cropland_reduction.farms"``), for
        error messages; by default the site and crop are named.

    Returns
    -------
    dict of str to float
        New areas (ha); crops not reduced keep their area.
    """
    import difflib

    def place(crop: str) -> dict[str, str]:
        return {"source": source or f"site {site!r}", "where": f"{where}.{crop}" if where else f"crop {crop!r}"}

    new = {}
    for crop, area in areas_ha.items():
        if not float(area) >= 0.0:
            raise InputError(f"the site's area must be >= 0 ha, got {area!r}", **place(crop))
        new[crop] = float(area)
    for crop, cut in reduction_ha.items():
        if crop not in new:
            close = difflib.get_close_matches(str(crop), list(new), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise InputError(f"site '{site}' grows no '{crop}'{hint}; crops: {', '.join(sorted(new)) or 'none'}",
                             **place(crop))
        if not float(cut) >= 0.0:
            raise InputError(f"cropland reduction must be >= 0 ha, got {cut!r}", **place(crop))
        if float(cut) > new[crop] * (1 + 1e-12):
            raise InputError(f"cropland reduction of {float(cut):g} ha exceeds the site's {crop} area: it must lie "
                             f"in 0..{new[crop]:g} ha", **place(crop))
        new[crop] = max(new[crop] - float(cut), 0.0)
    return new


def water_saving_m3(reduction_ha: Mapping[str, float], nir_mm: Mapping[str, ArrayLike]) -> float:
    r"""Net water saved per year by taking cropland out of irrigation.

    Parameters
    ----------
    reduction_ha : mapping of str to float
        Area taken out per crop (ha, >= 0).
    nir_mm : mapping of str to array_like
        Net irrigation requirement per crop (mm/month), ``(12,)`` or ``(years × 12,)``.

    Returns
    -------
    float
        Saving (m³/yr) at the field, before conveyance and application losses: the mean annual
        value over the years of the NIR series.

    Notes
    -----
    :math:`S = \sum_c A_c \times NIR_{c,annual} \times 10`. The withdrawal saved is
    ``S / efficiency`` (:func:`irrigation_demand_m3`).
    """
    total = 0.0
    for crop, cut in reduction_ha.items():
        if not float(cut) >= 0.0:
            raise InputError(f"cropland reduction must be >= 0 ha, got {cut!r}", source="reduction_ha",
                             where=f"crop {crop!r}")
        if crop not in nir_mm:
            raise InputError(f"no net irrigation requirement for crop {crop!r}", source="nir_mm",
                             where=f"crop {crop!r}")
        nir = _f(nir_mm[crop]).ravel()
        if nir.size == 0 or nir.size % 12:
            raise InputError(f"expected 12 × years monthly values, got {nir.size}", source="nir_mm",
                             where=f"crop {crop!r}")
        total += float(cut) * float(nir.sum()) / (nir.size // 12) * M3_PER_MM_HA
    return total


# --- crop table --------------------------------------------------------------------------------


def _table_error(path: str, line: int | None, column: str | None, message: str) -> InputError:
    parts = [f"line {line}" if line is not None else None, f"column {column!r}" if column else None]
    return InputError(message, source=path, where=", ".join(p for p in parts if p) or None)


def _validate_crop_table(table: pd.DataFrame, path: str) -> pd.DataFrame:
    missing = [c for c in CROP_TABLE_COLUMNS if c not in table.columns]
    if missing:
        raise _table_error(path, 1, missing[0], f"missing column(s) {', '.join(missing)}")
    if table.empty:
        raise _table_error(path, None, None, "no crops in the table")
    numeric = (*KC_COLUMNS, *STAGE_COLUMNS, "planting_month", "planting_day", "height_m", "yield_t_per_ha")
    out = table.copy()
    for column in numeric:
        values = pd.to_numeric(out[column], errors="coerce")
        for bad in np.flatnonzero(values.isna().to_numpy()):
            raise _table_error(path, int(bad) + 2, column, f"expected a number, got {out[column].iloc[bad]!r}")
        out[column] = values.astype(float)
    seen: dict[str, int] = {}
    for index, row in enumerate(out.itertuples(index=False)):
        line = index + 2  # line 1 is the header
        crop = str(row.crop).strip()
        if not crop or crop == "nan":
            raise _table_error(path, line, "crop", "empty crop id")
        if crop in seen:
            raise _table_error(path, line, "crop", f"crop {crop!r} repeats line {seen[crop]}")
        seen[crop] = line
        for column in KC_COLUMNS:
            if not 0.0 <= getattr(row, column) <= 2.0:
                raise _table_error(path, line, column, f"crop {crop!r}: Kc must be in 0-2, got {getattr(row, column)}")
        for column in STAGE_COLUMNS:
            value = getattr(row, column)
            if not value > 0 or value != int(value):
                raise _table_error(path, line, column, f"crop {crop!r}: stage length must be whole days > 0, "
                                   f"got {value}")
        if sum(getattr(row, c) for c in STAGE_COLUMNS) > 365:
            raise _table_error(path, line, "l_late", f"crop {crop!r}: growing season longer than 365 days")
        month = row.planting_month
        if month != int(month) or not 1 <= month <= 12:
            raise _table_error(path, line, "planting_month", f"crop {crop!r}: planting month must be 1-12, got {month}")
        day = row.planting_day
        if day != int(day) or not 1 <= day <= DAYS_IN_MONTH[int(month) - 1]:
            raise _table_error(path, line, "planting_day", f"crop {crop!r}: no day {day} in month {int(month)}")
        if not row.height_m > 0:
            raise _table_error(path, line, "height_m", f"crop {crop!r}: height must be > 0 m, got {row.height_m}")
        if not row.yield_t_per_ha > 0:
            raise _table_error(path, line, "yield_t_per_ha",
                               f"crop {crop!r}: yield must be > 0 t/ha, got {row.yield_t_per_ha}")
        if str(row.status).strip() not in STATUSES:
            raise _table_error(path, line, "status",
                               f"crop {crop!r}: status must be one of {', '.join(STATUSES)}, got {row.status!r}")
    for column in (*STAGE_COLUMNS, "planting_month", "planting_day"):
        out[column] = out[column].astype(int)
    out["crop"] = out["crop"].astype(str).str.strip()
    return out.set_index("crop")


def load_crop_table(path: str | Path | None = None) -> pd.DataFrame:
    """Read and check a crop table (default: the packaged ``data/water/crops.csv``).

    Parameters
    ----------
    path : str or Path, optional
        A CSV with the columns of :data:`CROP_TABLE_COLUMNS`: ``crop`` (id), ``name_zh``,
        ``kc_ini``, ``kc_mid``, ``kc_end`` (dimensionless, 0-2), ``l_ini``, ``l_dev``, ``l_mid``,
        ``l_late`` (d, whole days > 0, sum <= 365), ``planting_month`` (1-12), ``planting_day``,
        ``height_m`` (m), ``yield_t_per_ha`` (t/ha > 0), ``status``. Extra columns are kept.

    Returns
    -------
    DataFrame
        One row per crop, indexed by ``crop``.

    Raises
    ------
    InputError
        Naming the file, the line (header = line 1) and the column of the first bad value.
    """
    if path is None:
        with as_file(files("ecociv") / "data" / "water" / "crops.csv") as packaged:
            return load_crop_table(packaged)
    name = str(path)
    try:
        table = pd.read_csv(path, dtype={"crop": str, "name_zh": str, "status": str}, comment="#")
    except FileNotFoundError:
        raise InputError("crop table not found", source=name) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read the crop table as CSV: {err}", source=name) from None
    return _validate_crop_table(table, name)


def _crop_row(table: pd.DataFrame, crop: str) -> pd.Series:
    if crop not in table.index:
        raise InputError(f"unknown crop {crop!r}; the crop table has {', '.join(map(str, table.index))}",
                         source="crop table", where=f"crop {crop!r}")
    return table.loc[crop]


def crop_monthly_kc(table: pd.DataFrame, crop: str) -> FloatArray:
    """Monthly mean Kc (dimensionless, ``(12,)``) of a crop of a table from :func:`load_crop_table`."""
    row = _crop_row(table, crop)
    return monthly_kc(row.kc_ini, row.kc_mid, row.kc_end, int(row.l_ini), int(row.l_dev), int(row.l_mid),
                      int(row.l_late), int(row.planting_month), int(row.planting_day))


def crop_season_fraction(table: pd.DataFrame, crop: str) -> FloatArray:
    """Share of each month in the crop's growing season (0-1, ``(12,)``)."""
    row = _crop_row(table, crop)
    return season_fraction(int(row.l_ini), int(row.l_dev), int(row.l_mid), int(row.l_late),
                           int(row.planting_month), int(row.planting_day))


def net_irrigation_requirements(crops: Sequence[str], et0_mm: ArrayLike, p_mm: ArrayLike,
                                method: PeffMethod = "usda_scs", *, table: pd.DataFrame | None = None,
                                prorate_rain: bool = False) -> dict[str, FloatArray]:
    """Net irrigation requirement (mm/month) of each crop under one climate.

    Parameters
    ----------
    crops : sequence of str
        Crop ids of the table.
    et0_mm, p_mm : array_like
        Monthly ET0 and precipitation (mm/month), ``(12,)`` or ``(years × 12,)`` starting in January.
    method : str
        Effective-precipitation method (:func:`effective_precipitation`).
    table : DataFrame, optional
        Crop table; default the packaged one.
    prorate_rain : bool
        Count only the season's share of a partly occupied month's rain (:func:`season_fraction`).

    Returns
    -------
    dict of str to ndarray
        NIR (mm/month) per crop, the shape of ``et0_mm``.
    """
    crop_table = load_crop_table() if table is None else table
    et0 = _f(et0_mm)
    if et0.ndim != 1 or et0.size == 0 or et0.size % 12:
        raise InputError(f"expected 12 × years monthly values starting in January, got shape {et0.shape}",
                         source="et0")
    years = et0.size // 12
    result = {}
    for crop in crops:
        kc = np.tile(crop_monthly_kc(crop_table, crop), years)
        share = np.tile(crop_season_fraction(crop_table, crop), years) if prorate_rain else None
        result[crop] = net_irrigation_requirement_mm(kc, et0, p_mm, method, season_fraction=share)
    return result
