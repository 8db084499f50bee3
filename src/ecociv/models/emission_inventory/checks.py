"""Checks of the inventory's tables and levers; each failure is one InputError naming the table,
line (or row) and column."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ecociv.errors import InputError
from ecociv.models.emission_inventory.spec import LEVERS, POLLUTANTS
from ecociv.units import parse_unit, ureg

WILDCARD = "*"


def place(frame: pd.DataFrame, position: int) -> str:
    """``line N`` (CSV line, header = line 1) when the frame came from a file, else ``row N``."""
    lines = frame.attrs.get("lines")
    if lines is not None and len(lines) == len(frame):
        return f"line {lines[position]}"
    return f"row {position}"


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()


def check_factors(factors: pd.DataFrame) -> pd.DataFrame:
    """The factor library with known pollutants, mass-per-something units, a source on every row
    and one row per (sector, process, pollutant)."""
    label = "table 'emission_factors'"
    seen: dict[tuple[str, str, str], str] = {}
    for i, row in enumerate(factors.itertuples(index=False)):
        where = place(factors, i)
        pollutant = _text(row.pollutant)
        if pollutant not in POLLUTANTS:
            raise InputError(f"unknown pollutant {pollutant!r}; expected one of {', '.join(POLLUTANTS)}",
                             source=label, where=f"{where}, column 'pollutant'")
        unit = _text(row.unit)
        try:
            parse_unit(unit)
        except ValueError as err:
            raise InputError(f"unknown unit {unit!r} ({err}); expected a pint unit such as 'kg/t' or 't/TJ'",
                             source=label, where=f"{where}, column 'unit'") from err
        if not _text(row.source):
            raise InputError("no source: every factor needs its document, table and year (or "
                             "'illustrative')", source=label, where=f"{where}, column 'source'")
        key = (_text(row.sector), _text(row.process), pollutant)
        if key in seen:
            raise InputError(f"second factor for sector {key[0]!r}, process {key[1]!r}, pollutant "
                             f"{pollutant!r} (first at {seen[key]})", source=label, where=where)
        seen[key] = where
    out = factors.copy()
    for column in ("sector", "process", "pollutant", "unit"):
        out[column] = out[column].map(_text)
    return out


def check_activity(activity: pd.DataFrame, factors: pd.DataFrame) -> pd.DataFrame:
    """Activity rows with a known unit, a non-negative amount and a factor for their process."""
    label = "table 'activity'"
    keys = set(zip(factors["sector"], factors["process"], strict=True))
    out = activity.copy()
    for column in ("unit", "sector", "process", "activity_unit"):
        out[column] = out[column].map(_text)
    for i, row in enumerate(out.itertuples(index=False)):
        where = place(activity, i)
        if not np.isfinite(row.activity):
            raise InputError("activity is empty; expected a number ≥ 0", source=label,
                             where=f"{where}, column 'activity'")
        if row.activity < 0:
            raise InputError(f"negative activity {row.activity}; expected a number ≥ 0", source=label,
                             where=f"{where}, column 'activity'")
        try:
            parse_unit(row.activity_unit)
        except ValueError as err:
            raise InputError(f"unknown unit {row.activity_unit!r}", source=label,
                             where=f"{where}, column 'activity_unit'") from err
        if (row.sector, row.process) not in keys and (WILDCARD, row.process) not in keys:
            raise InputError(f"sector {row.sector!r} with process {row.process!r} is not in the factor "
                             "library (emission_factors has no row for it, nor for sector '*')",
                             source=label, where=f"{where}, columns 'sector', 'process'")
    return out


def check_controls(controls: pd.DataFrame, overrides: Mapping[tuple[str, str] | str, float]) -> pd.DataFrame:
    """Control rows with a known pollutant and an application rate: the lever's ('measure/sector',
    else 'measure', else 'sector/pollutant'), else the table's `application`, else 0 (a measure of
    the library that is not applied)."""
    label = "table 'controls'"
    out = controls.copy()
    for column in ("measure", "sector", "pollutant"):
        out[column] = out[column].map(_text)
    out["unit"] = out["unit"].map(_text) if "unit" in out.columns else ""
    rates = []
    for i, row in enumerate(out.itertuples(index=False)):
        where = place(controls, i)
        if row.pollutant not in POLLUTANTS:
            raise InputError(f"unknown pollutant {row.pollutant!r}; expected one of {', '.join(POLLUTANTS)}",
                             source=label, where=f"{where}, column 'pollutant'")
        rate = overrides.get((row.measure, row.sector),
                             overrides.get(row.measure, overrides.get((row.sector, row.pollutant))))
        if rate is None:
            rate = getattr(row, "application", np.nan)
        if rate is None or not np.isfinite(rate):
            rate = 0.0  # a measure of the library that is not applied
        maximum = getattr(row, "max_application", np.nan)
        if maximum is not None and np.isfinite(maximum) and rate > maximum + 1e-12:
            raise InputError(f"application {rate} is above max_application {maximum}", source=label,
                             where=f"{where}, column 'application'")
        rates.append(float(rate))
    out["application"] = rates
    return out


def _rate(value: Any, name: str) -> float:
    try:
        rate = float(value)
    except (TypeError, ValueError) as err:
        raise InputError(f"expected a number, got {value!r}", source="levers",
                         where=name) from err
    if not np.isfinite(rate) or rate <= -1:
        raise InputError(f"expected a number above -1, got {value!r}", source="levers", where=name)
    return rate


def parse_levers(levers: Mapping[str, Any] | None) -> tuple[dict[str, float], int | None,
                                                           dict[tuple[str, str] | str, float]]:
    """``growth`` (key → rate), ``end_year`` and ``application`` overrides of the levers."""
    levers = dict(levers or {})
    unknown = sorted(set(levers) - set(LEVERS))
    if unknown:
        raise InputError(f"unknown lever(s) {unknown}; expected {', '.join(LEVERS)}", source="levers")
    growth = {str(k): _rate(v, f"growth.{k}") for k, v in dict(levers.get("growth") or {}).items()}
    end = levers.get("end_year")
    end_year = None
    if end is not None:
        if isinstance(end, bool) or not float(end).is_integer():
            raise InputError(f"expected a calendar year, got {end!r}", source="levers", where="end_year")
        end_year = int(end)
    application: dict[tuple[str, str] | str, float] = {}
    for key, value in dict(levers.get("application") or {}).items():
        rate = _rate(value, f"application.{key}")
        if not 0 <= rate <= 1:
            raise InputError(f"expected a share 0-1, got {value!r}", source="levers",
                             where=f"application.{key}")
        first, slash, second = str(key).partition("/")
        # 'sector/pollutant' when the second part is a pollutant id, else 'measure/sector'
        application[(first, second) if slash else str(key)] = rate
    return growth, end_year, application


def growth_rates(activity: pd.DataFrame, growth: Mapping[str, float]) -> dict[tuple[str, str], float]:
    """Rate per (unit, sector): 'unit/sector' first, then 'sector', then '*', else 0."""
    known_sectors = set(activity["sector"])
    known_units = set(activity["unit"])
    for key in growth:
        unit, slash, sector = key.partition("/")
        if slash and (unit not in known_units or sector not in known_sectors):
            raise InputError(f"no activity for unit {unit!r} and sector {sector!r}", source="levers",
                             where=f"growth.{key}")
        if not slash and key != WILDCARD and key not in known_sectors:
            raise InputError(f"no activity for sector {key!r}; sectors: {sorted(known_sectors)}",
                             source="levers", where=f"growth.{key}")
    rates = {}
    for unit, sector in set(zip(activity["unit"], activity["sector"], strict=True)):
        rate = growth.get(f"{unit}/{sector}", growth.get(sector, growth.get(WILDCARD, 0.0)))
        rates[(unit, sector)] = rate
    return rates


def check_exports(exports: pd.DataFrame, years: set[int], units: set[str]) -> pd.DataFrame:
    """Export rows whose producer is a unit of the inventory and whose year it covers."""
    label = "table 'electricity_exports'"
    out = exports.copy()
    for column in ("producer_unit", "receiving_region"):
        out[column] = out[column].map(_text)
    for i, row in enumerate(out.itertuples(index=False)):
        where = place(exports, i)
        if row.producer_unit not in units:
            raise InputError(f"producer unit {row.producer_unit!r} has no CO2 in the inventory",
                             source=label, where=f"{where}, column 'producer_unit'")
        if int(row.year) not in years:
            raise InputError(f"year {row.year} is not a year of the inventory ({min(years)}-{max(years)})",
                             source=label, where=f"{where}, column 'year'")
    out["co2_t"] = out["electricity"] * out["emission_factor"] * float(
        (1.0 * ureg.Unit("kWh") * ureg.Unit("kg/kWh")).to("t").magnitude)
    return out
