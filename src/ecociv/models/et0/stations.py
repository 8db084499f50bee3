"""ET0 for a table of weather-station records (one row per station and day, or station and month).

Rules, chosen so that every number in the output can be traced to its inputs:

* Penman–Monteith (FAO-56 eq. 6) for a row that has humidity, wind **and** radiation;
  Hargreaves–Samani (eq. 52) otherwise, named in the ``method`` column. FAO-56 (ch. 3) would
  instead fill a missing wind speed with 2 m/s; here a row without wind falls back to
  Hargreaves–Samani, so that ``method`` alone says whether an ET0 rests on measured data.
* Humidity, first available per row: ``ea_kpa``; ``rh_max_pct`` with ``rh_min_pct`` (eq. 17);
  ``rh_mean_pct`` (eq. 19). Radiation: ``solar_radiation_mj_m2_day``, else ``sunshine_hours``
  (Angström, eq. 35). A blank cell in these optional columns means "not measured".
* ``wind_height_m`` is required whenever ``wind_speed_m_s`` is given (no default height: a
  10 m wind read as a 2 m wind overestimates ET0); the wind is brought to 2 m by eq. 47.
* Monthly rows use J = INT(30.4 M - 15) and G = 0.14 (T_i - T_(i-1)) (eq. 43) when
  ``tmean_prev_month_c`` is given, else G = 0; daily rows use G = 0 (eq. 42).
  ``et0_mm_month`` multiplies by the days of the month of a non-leap year.
* Rows are never dropped or silently repaired: a blank required cell, an impossible value or a
  half-given pair (``rh_max_pct`` without ``rh_min_pct``) is an :class:`~ecociv.errors.InputError`
  naming the file, the CSV line (the header is line 1) and the column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from ecociv.errors import InputError
from ecociv.io.tables import check_table
from ecociv.models.et0 import kernels
from ecociv.models.et0.spec import STATIONS_TABLE, TERM_COLUMNS, TIME_STEPS

TimeStep = Literal["daily", "monthly"]

METHOD_NAMES = {kernels.PENMAN_MONTEITH: "penman_monteith",
                kernels.HARGREAVES_SAMANI: "hargreaves_samani"}

#: Tolerance on sunshine hours above the astronomical daylight hours (rounding of records), h.
SUNSHINE_TOLERANCE_H = 0.05


@dataclass(frozen=True)
class _Source:
    """Where rows come from: a label for messages and the file line of each row."""

    label: str
    lines: np.ndarray

    def error(self, message: str, position: int | None = None,
              column: str | None = None) -> InputError:
        where = None
        if position is not None:
            where = f"line {int(self.lines[position])}" + (f", column '{column}'" if column else "")
        return InputError(message, source=self.label, where=where)


def _first(mask: np.ndarray) -> int | None:
    hits = np.flatnonzero(mask)
    return int(hits[0]) if len(hits) else None


def _float(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _line_numbers(frame: pd.DataFrame, lines: Sequence[int] | np.ndarray | None) -> np.ndarray:
    given = lines if lines is not None else frame.attrs.get("lines")
    if given is not None and len(given) == len(frame):
        return np.asarray(given, dtype=np.int64)
    return np.arange(len(frame), dtype=np.int64) + 2


def compute_et0_table(frame: pd.DataFrame, time_step: str, source_label: str, *,
                      lines: Sequence[int] | np.ndarray | None = None,
                      one_row_per_date: bool = True) -> pd.DataFrame:
    """FAO-56 ET0 for each row of a station table, with every intermediate term.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns of :data:`STATIONS_TABLE` (cells may be strings as read from a CSV, or numbers;
        column names are matched case-insensitively). Other columns are kept.
    time_step : {"daily", "monthly"}
        Daily rows need ``day_of_year``; monthly rows need ``month``.
    source_label : str
        Name of the file or table, used in error messages.
    lines : sequence of int, optional
        Line of each row in the CSV file, for messages (default: ``frame.attrs["lines"]`` if
        set, else row position + 2, the header being line 1). Needed when blank lines were
        dropped on reading.
    one_row_per_date : bool
        Refuse a station (told apart by a ``station``/``station_id``/``name``/``id`` column,
        else by latitude and elevation; and by ``year``/``date`` when given) with the same month
        or day twice. Off only for rows that are not station records (e.g. grid cells).

    Returns
    -------
    pandas.DataFrame
        The input columns, then ``et0_mm_day`` (mm/day), ``et0_mm_month`` (monthly only),
        ``method``, ``day_of_year_used`` (monthly only), and the terms ``ra_mj_m2_day``,
        ``daylight_hours``, ``rs_mj_m2_day``, ``rso_mj_m2_day``, ``rn_mj_m2_day``, ``es_kpa``,
        ``ea_kpa`` (``ea_kpa_used`` when ``ea_kpa`` was an input), ``delta_kpa_c``,
        ``gamma_kpa_c``, ``u2_m_s``, ``g_mj_m2_day``. Terms Penman–Monteith alone uses are blank
        on Hargreaves–Samani rows.

    Raises
    ------
    InputError
        With the file, CSV line and column, for missing columns or values, a month or day
        given twice for a station, values out of range, units written in cells, T_min > T_max,
        RH_min > RH_max, half-given humidity pairs, wind without its height, sunshine longer
        than the day, or solar radiation above the extraterrestrial radiation.
    """
    if time_step not in TIME_STEPS:
        raise InputError(f"time step {time_step!r} is not one of {list(TIME_STEPS)}",
                         source=source_label)
    monthly = time_step == "monthly"
    source = _Source(source_label, _line_numbers(frame, lines))
    raw = frame.astype(object).where(frame.notna(), "")  # NaN/NA cells count as blank
    table = check_table(raw, STATIONS_TABLE, label=source_label, lines=source.lines)
    _check_columns(table, monthly, source)
    n_rows = len(table)

    date_column = "month" if monthly else "day_of_year"
    date = _float(table, date_column)
    _no_blanks(date, date_column, source)
    if one_row_per_date:
        _no_repeated_dates(table, date, date_column, source)
    tmax = _float(table, "tmax_c")
    tmin = _float(table, "tmin_c")
    latitude = _float(table, "latitude_deg")
    elevation = _float(table, "elevation_m")
    bad = _first(tmin > tmax)
    if bad is not None:
        raise source.error(
            f"minimum temperature {tmin[bad]:g} °C is above the maximum temperature "
            f"{tmax[bad]:g} °C of the same row (columns tmin_c/tmax_c swapped?)", bad, "tmin_c")
    day_of_year = kernels.mid_month_day_of_year(date) if monthly else date

    ea = _humidity(table, tmax, tmin, source)
    u2 = _wind(table, source)
    radiation = _float(table, "solar_radiation_mj_m2_day")
    sunshine = _float(table, "sunshine_hours")
    Ra = kernels.extraterrestrial_radiation(latitude, day_of_year)
    big_n = kernels.daylight_hours(latitude, day_of_year)
    bad = _first(sunshine > big_n + SUNSHINE_TOLERANCE_H)
    if bad is not None:
        raise source.error(
            f"{sunshine[bad]:g} h of sunshine is longer than the {big_n[bad]:.2f} h of daylight "
            f"at latitude {latitude[bad]:g}° on day {int(day_of_year[bad])} of the year",
            bad, "sunshine_hours")
    bad = _first(radiation > Ra)
    if bad is not None:
        raise source.error(
            f"solar radiation {radiation[bad]:g} MJ/m²/day is above the extraterrestrial "
            f"radiation {Ra[bad]:.2f} MJ/m²/day of this latitude and day; expected MJ/m²/day "
            "(daily mean W/m² × 0.0864 = MJ/m²/day)", bad, "solar_radiation_mj_m2_day")

    soil_heat_flux = np.zeros(n_rows)
    if monthly:
        previous = _float(table, "tmean_prev_month_c")
        flux = kernels.soil_heat_flux_monthly((tmax + tmin) / 2.0, previous)
        soil_heat_flux = np.where(np.isfinite(previous), flux, 0.0)

    terms = kernels.et0_terms(
        latitude_deg=latitude, elevation_m=elevation, day_of_year=day_of_year, tmax_c=tmax,
        tmin_c=tmin, ea_kpa=ea, u2_m_s=u2, Rs=radiation, sunshine_hours=sunshine,
        G=soil_heat_flux)
    return _assemble(table, terms, monthly, date, day_of_year)


def _check_columns(table: pd.DataFrame, monthly: bool, source: _Source) -> None:
    needed = ["latitude_deg", "elevation_m", "month" if monthly else "day_of_year", "tmax_c",
              "tmin_c"]
    if "wind_speed_m_s" in table.columns:
        needed.append("wind_height_m")
    missing = [c for c in needed if c not in table.columns]
    if missing:
        why = " (wind_height_m is required with wind_speed_m_s)" if "wind_height_m" in missing else ""
        raise source.error(
            f"missing required column(s) {missing} for a {'monthly' if monthly else 'daily'} "
            f"time step{why}; columns found: {list(table.columns)}")
    produced = {name for name, _, _ in TERM_COLUMNS} | {"ea_kpa_used"}
    clash = [c for c in table.columns if c in produced]
    if clash:
        raise source.error(
            f"column(s) {clash} are names of computed output columns; rename or remove them "
            "(wind goes in wind_speed_m_s with wind_height_m, radiation in "
            "solar_radiation_mj_m2_day)")


def _no_blanks(values: np.ndarray, column: str, source: _Source) -> None:
    bad = _first(np.isnan(values))
    if bad is not None:
        spec = next(c for c in STATIONS_TABLE.columns if c.id == column)
        raise source.error(f"missing value; expected an integer from {spec.ge:g} to {spec.le:g}",
                           bad, column)


#: Columns that tell stations apart, when present (else a station is its latitude and elevation).
STATION_COLUMNS = ("station", "station_id", "station_name", "name", "id")
#: Columns that tell records of different years apart.
PERIOD_COLUMNS = ("year", "date")


def _no_repeated_dates(table: pd.DataFrame, date: np.ndarray, column: str,
                       source: _Source) -> None:
    """One row per station (and year, with a ``year`` column) and date: a month or day given
    twice would be averaged into nothing and silently double in any total."""
    keys = [c for c in STATION_COLUMNS if c in table.columns] or ["latitude_deg", "elevation_m"]
    periods = [c for c in PERIOD_COLUMNS if c in table.columns]
    keys += periods
    frame = table[keys].astype(str).assign(_date=date)
    repeated = frame.duplicated(keep=False).to_numpy()
    first = _first(repeated)
    if first is None:
        return
    same = np.flatnonzero((frame == frame.iloc[first]).all(axis=1).to_numpy())
    station = ", ".join(f"{k} {table[k].iloc[first]}" for k in keys)
    word = "month" if column == "month" else "day of the year"
    raise source.error(
        f"{word} {int(date[first])} appears twice for the same station ({station}) on lines "
        f"{[int(source.lines[p]) for p in same]}; each station needs one row per {word}"
        + ("" if periods else " (records of several years need a 'year' column)"),
        first, column)


def _pair(table: pd.DataFrame, first: str, second: str,
          source: _Source) -> tuple[np.ndarray, np.ndarray]:
    a = _float(table, first)
    b = _float(table, second)
    if first in table.columns or second in table.columns:
        for given, blank, name in ((a, b, second), (b, a, first)):
            bad = _first(np.isfinite(given) & np.isnan(blank))
            if bad is not None:
                other = first if name == second else second
                if name not in table.columns:
                    raise source.error(f"column '{other}' needs column '{name}'; columns found: "
                                       f"{list(table.columns)}")
                raise source.error(
                    f"missing value; '{other}' is given on this line, so '{name}' is needed too "
                    "(leave both blank if not measured)", bad, name)
    return a, b


def _humidity(table: pd.DataFrame, tmax: np.ndarray, tmin: np.ndarray,
              source: _Source) -> np.ndarray:
    rh_max, rh_min = _pair(table, "rh_max_pct", "rh_min_pct", source)
    bad = _first(rh_min > rh_max)
    if bad is not None:
        raise source.error(f"minimum relative humidity {rh_min[bad]:g} % is above the maximum "
                           f"{rh_max[bad]:g} % of the same row", bad, "rh_min_pct")
    ea = _float(table, "ea_kpa")
    from_extremes = kernels.actual_vapour_pressure_from_rh_extremes(tmax, tmin, rh_max, rh_min)
    from_mean = kernels.actual_vapour_pressure_from_rh_mean(tmax, tmin, _float(table, "rh_mean_pct"))
    ea = np.where(np.isfinite(ea), ea, from_extremes)
    return np.where(np.isfinite(ea), ea, from_mean)


def _wind(table: pd.DataFrame, source: _Source) -> np.ndarray:
    speed = _float(table, "wind_speed_m_s")
    height = _float(table, "wind_height_m")
    bad = _first(np.isfinite(speed) & np.isnan(height))
    if bad is not None:
        raise source.error(
            "missing value; the height of the wind measurement is needed where wind_speed_m_s "
            "is given (e.g. 10 for a standard 10 m mast, 2 for an agrometeorological station)",
            bad, "wind_height_m")
    return kernels.wind_speed_at_2m(speed, height)


def _assemble(table: pd.DataFrame, terms: dict[str, np.ndarray], monthly: bool,
              date: np.ndarray, day_of_year: np.ndarray) -> pd.DataFrame:
    out = table.copy()
    et0 = terms["et0_mm_day"]
    out["et0_mm_day"] = et0
    if monthly:
        out["et0_mm_month"] = et0 * kernels.DAYS_IN_MONTH[date.astype(int) - 1]
    codes = terms["method"]
    out["method"] = [METHOD_NAMES.get(int(c), "") if np.isfinite(c) else "" for c in codes]
    if monthly:
        out["day_of_year_used"] = day_of_year.astype(np.int64)
    ea_name = "ea_kpa_used" if "ea_kpa" in table.columns else "ea_kpa"
    for name in ("ra_mj_m2_day", "daylight_hours", "rs_mj_m2_day", "rso_mj_m2_day",
                 "rn_mj_m2_day", "es_kpa", "ea_kpa", "delta_kpa_c", "gamma_kpa_c", "u2_m_s",
                 "g_mj_m2_day"):
        out[ea_name if name == "ea_kpa" else name] = terms[name]
    return out
