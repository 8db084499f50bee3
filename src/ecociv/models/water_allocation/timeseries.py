"""Monthly steps and the conversion of volumes and flows to m³ per step, once, at the boundary.

A flow given per second, day or year becomes ``rate × length of the calendar month`` (pint's year
is 365.25 d); a flow given per month is the volume of that calendar month, whatever its length.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pint

from ecociv.errors import InputError
from ecociv.units import Q_

SECONDS_PER_DAY = 86400.0


@dataclass(frozen=True)
class Calendar:
    """``months`` consecutive calendar months from ``start_year``-``start_month``."""

    start_year: int
    start_month: int
    months: int

    @classmethod
    def parse(cls, text: str, months: int, *, source: str) -> Calendar:
        try:
            year, month = (int(part) for part in str(text).split("-")[:2])
            if not 1 <= month <= 12:
                raise ValueError
        except ValueError:
            raise InputError(f"start {text!r} is not a month written YYYY-MM", source=source, where="start") from None
        return cls(year, month, months)

    @property
    def years(self) -> np.ndarray:
        """Calendar year of each step."""
        index = self.start_month - 1 + np.arange(self.months)
        return self.start_year + index // 12

    @property
    def month_of_year(self) -> np.ndarray:
        """Calendar month (1..12) of each step."""
        return (self.start_month - 1 + np.arange(self.months)) % 12 + 1

    @property
    def days(self) -> np.ndarray:
        """Days in each step's calendar month."""
        return np.array([calendar.monthrange(int(y), int(m))[1]
                         for y, m in zip(self.years, self.month_of_year, strict=True)], dtype=float)

    @property
    def labels(self) -> list[str]:
        """``YYYY-MM`` of each step."""
        return [f"{y}-{m:02d}" for y, m in zip(self.years, self.month_of_year, strict=True)]


def _quantity(value: Any, default_units: str | None, *, source: str, where: str) -> pint.Quantity:
    if isinstance(value, bool) or value is None:
        raise InputError(f"expected a quantity, got {value!r}", source=source, where=where)
    if isinstance(value, (int, float)):
        if default_units is None:
            raise InputError(f"the number {value} has no units: write it with units (e.g. '{value} m**3/s') "
                             "or set defaults.volume_units / defaults.flow_units", source=source, where=where)
        return Q_(float(value), default_units)
    try:
        quantity: pint.Quantity = Q_(str(value).strip())
    except Exception as err:  # pint raises several unrelated types for garbage
        raise InputError(f"{value!r} is not a number with units", source=source, where=where) from err
    if isinstance(quantity.magnitude, (int, float)) and quantity.dimensionless and default_units is not None:
        return Q_(float(quantity.magnitude), default_units)
    return quantity


def volume_m3(value: Any, default_units: str | None, *, source: str, where: str) -> float:
    """A storage or capacity volume in m³."""
    quantity = _quantity(value, default_units, source=source, where=where)
    try:
        m3 = float(quantity.to("m**3").magnitude)
    except pint.errors.DimensionalityError:
        raise InputError(f"{value!r} is not a volume (expected e.g. '8.8e8 m**3' or "
                         "'1.2 hundred_million m**3')", source=source, where=where) from None
    return _not_negative(m3, value, "volume", source=source, where=where)


def _not_negative(number: float, value: Any, what: str, *, source: str, where: str) -> float:
    if not number >= 0:
        raise InputError(f"{value!r} is negative (or not a number): a {what} must be ≥ 0", source=source,
                         where=where)
    return number


def _per_month(quantity: pint.Quantity) -> bool:
    return "month" in str(quantity.units)


def rate_to_step(quantity: pint.Quantity, days: np.ndarray, *, source: str, where: str) -> np.ndarray:
    """Convert a flow to m³ in each step (``days`` = length of each step's month)."""
    try:
        if _per_month(quantity):
            per_month = float(quantity.to("m**3/month").magnitude)
            return np.full(days.shape, per_month)
        per_second = float(quantity.to("m**3/s").magnitude)
    except pint.errors.DimensionalityError:
        raise InputError(f"'{quantity}' is not a flow (expected volume per time, e.g. '3 m**3/s' or "
                         "'1.2 hundred_million m**3/yr')", source=source, where=where) from None
    return per_second * days * SECONDS_PER_DAY


def annual_m3(value: Any, default_units: str | None, *, source: str, where: str) -> float:
    """A flow expressed as m³ per (365.25-day) year, e.g. a sustainable yield or a pumping limit."""
    quantity = _quantity(value, default_units, source=source, where=where)
    try:
        if _per_month(quantity):
            m3 = float(quantity.to("m**3/month").magnitude) * 12.0
        else:
            m3 = float(quantity.to("m**3/year").magnitude)
    except pint.errors.DimensionalityError:
        raise InputError(f"{value!r} is not a flow (volume per time)", source=source, where=where) from None
    return _not_negative(m3, value, "flow", source=source, where=where)


@dataclass
class SeriesTable:
    """Named monthly series, already in m³ per step of the run's calendar."""

    values: dict[str, np.ndarray]
    files: dict[str, str]
    #: annual water-yield volume per zone (m³/yr), e.g. the water_yield model's watershed_results
    zone_volumes: Mapping[str, float] | None = None


def read_csv_file(path: Path, *, what: str, source: str, where: str | None = None,
                  dtype: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """A CSV file a network names (series, climate); a missing or unreadable file is an
    :class:`InputError` naming the network entry (``source``, ``where``) or the file."""
    if not path.is_file():
        raise InputError(f"{what} {path} does not exist", source=source, where=where)
    try:
        return pd.read_csv(path, dtype=dict(dtype) if dtype else None)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as err:
        raise InputError(f"cannot read {what} as CSV (UTF-8, comma-separated): {err}", source=str(path)) from None


def read_series(entries: Sequence[Mapping[str, Any]], base: Path, cal: Calendar, *, source: str) -> SeriesTable:
    """Read the ``series`` files of a network: a ``month`` column (YYYY-MM) and one column per series.

    Every series must cover every step of the run; negative or missing values are errors naming the
    file, series and month.
    """
    values: dict[str, np.ndarray] = {}
    files: dict[str, str] = {}
    labels = cal.labels
    days = cal.days
    for index, entry in enumerate(entries):
        where = f"series[{index}]"
        path = base / str(entry["file"])
        frame = read_csv_file(path, what="series file", source=source, where=where, dtype={"month": str})
        if "month" not in frame.columns:
            raise InputError("needs a 'month' column (YYYY-MM)", source=str(path))
        months = [str(m).strip()[:7] for m in frame["month"]]
        line_of = {m: i + 2 for i, m in enumerate(months)}
        missing = [m for m in labels if m not in line_of]
        unit = Q_(1.0, str(entry["units"]))
        step = rate_to_step(unit, days, source=str(path), where="units")
        for column in frame.columns:
            if column == "month":
                continue
            if column in values:
                raise InputError(f"series '{column}' is defined twice ({files[column]} and {path})", source=str(path))
            if missing:
                raise InputError(
                    f"series '{column}' has {len(frame)} months but the run needs {cal.months} "
                    f"({labels[0]}..{labels[-1]}); first missing month {missing[0]}", source=str(path))
            raw = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
            rows = np.array([line_of[m] - 2 for m in labels])
            picked = raw[rows]
            bad = np.flatnonzero(~np.isfinite(picked) | (picked < 0))
            if bad.size:
                first = int(bad[0])
                raise InputError(
                    f"series '{column}' month {labels[first]}: value {frame[column].iloc[rows[first]]} "
                    "is not a non-negative number (flows, inflows included, must be ≥ 0)", source=str(path),
                    where=f"line {rows[first] + 2}, column '{column}'")
            values[str(column)] = picked * step
            files[str(column)] = str(path)
    return SeriesTable(values, files)


def flow_series(spec: Any, cal: Calendar, series: SeriesTable, default_units: str | None, *,
                source: str, where: str) -> np.ndarray:
    """Resolve a flow specification (docs/water_network.md) to m³ per step.

    Accepted forms: a quantity or number (constant rate); ``{series: NAME, scale: s}``;
    ``{annual: Q, monthly_shares: [12]}``; ``{monthly: [12 rates]}``; ``{water_yield: [zone ids],
    fraction: f, monthly_shares: [12]}`` (f × the zones' annual water-yield volume). The form, its keys,
    ``scale``, ``fraction`` and ``monthly_shares`` are checked with the network file
    (:mod:`.network_file`); here units are converted and series and zones looked up.
    """
    days = cal.days
    if isinstance(spec, Mapping):
        keys = set(spec)
        if "water_yield" in spec:
            return _non_negative(_from_water_yield(spec, cal, series, source=source, where=where), cal,
                                 source=source, where=where)
        if "series" in spec:
            name = str(spec["series"])
            if name not in series.values:
                import difflib

                close = difflib.get_close_matches(name, list(series.values), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise InputError(f"no series named '{name}'{hint}", source=source, where=where)
            return series.values[name] * float(spec.get("scale", 1.0))
        if "annual" in spec:
            annual = annual_m3(spec["annual"], default_units, source=source, where=f"{where}.annual")
            shares = np.asarray(spec.get("monthly_shares", [1 / 12] * 12), dtype=float)
            return _non_negative(annual * shares[cal.month_of_year - 1], cal, source=source, where=where)
        if "monthly" in spec:
            monthly = spec["monthly"]
            out = np.empty(cal.months)
            for month in range(12):
                quantity = _quantity(monthly[month], default_units, source=source, where=f"{where}.monthly[{month}]")
                mask = cal.month_of_year == month + 1
                out[mask] = rate_to_step(quantity, days[mask], source=source, where=f"{where}.monthly[{month}]")
            return _non_negative(out, cal, source=source, where=where)
        raise InputError(f"a flow needs one of 'series', 'annual' or 'monthly' (got keys {sorted(keys)})",
                         source=source, where=where)
    quantity = _quantity(spec, default_units, source=source, where=where)
    return _non_negative(rate_to_step(quantity, days, source=source, where=where), cal, source=source, where=where)


def _non_negative(values: np.ndarray, cal: Calendar, *, source: str, where: str) -> np.ndarray:
    bad = np.flatnonzero(~(values >= 0))
    if bad.size:
        raise InputError(f"negative flow ({values[int(bad[0])]:.6g} m³) in {cal.labels[int(bad[0])]}: a flow "
                         "must be ≥ 0", source=source, where=where)
    return values


def _converted(value: Any, target: str, what: str, *, source: str, where: str) -> float:
    quantity = _quantity(value, None, source=source, where=where)
    try:
        return float(quantity.to(target).magnitude)
    except pint.errors.DimensionalityError:
        raise InputError(f"{value!r} is not {what} (expected units convertible to {target})", source=source,
                         where=where) from None


def area_m2(value: Any, *, source: str, where: str) -> float:
    """An area (e.g. ``"25 km**2"``, ``"3000 ha"``) in m²."""
    return _converted(value, "m**2", "an area", source=source, where=where)


def length_m(value: Any, *, source: str, where: str) -> float:
    """A length or level (e.g. ``"194.5 m"``) in m."""
    return _converted(value, "m", "a length", source=source, where=where)


def _from_water_yield(spec: Mapping[str, Any], cal: Calendar, series: SeriesTable, *, source: str,
                      where: str) -> np.ndarray:
    """``fraction`` × the summed annual water-yield volume of the named zones, spread by ``monthly_shares``."""
    if series.zone_volumes is None:
        raise InputError("takes its inflow from water-yield zones, but no water_yield_zones table was given "
                         "(e.g. the water_yield model's watershed_results: `water_yield_zones: "
                         "\"@water_yield.watershed_results\"`)", source=source, where=where)
    zones = spec["water_yield"]
    zones = [zones] if isinstance(zones, (str, int)) else list(zones)
    missing = [str(z) for z in zones if str(z) not in series.zone_volumes]
    if missing:
        raise InputError(f"water-yield zone(s) {missing} are not in the water_yield_zones table (zones: "
                         f"{sorted(series.zone_volumes)[:10]}{'...' if len(series.zone_volumes) > 10 else ''})",
                         source=source, where=where)
    annual = float(spec.get("fraction", 1.0)) * sum(series.zone_volumes[str(z)] for z in zones)
    shares = np.asarray(spec.get("monthly_shares", [1 / 12] * 12), dtype=float)
    return annual * shares[cal.month_of_year - 1]
