"""Terminal lakes: a volume–area–level curve and the monthly water balance of a lake without outflow.

Everything inside is SI: volumes in m³, areas in m², levels in m (above sea level or above a datum
stated with the curve); precipitation and evaporation are depths in mm per step. Units are converted
once, when a curve is read (:meth:`StorageCurve.read`).

Curve files
-----------
A curve is a CSV file whose first line names the columns ``level``, ``area`` and ``volume`` (in any
order; other columns such as ``note`` are ignored) and whose second line gives each column's unit as
a pint expression; every further line is one row of the table::

    level,area,volume
    m,km**2,hundred_million m**3
    186.2,0,0
    186.4,38.78,0.03878
    ...

Units may be any length, area and volume (``m``, ``km**2``, ``ha``, ``hundred_million m**3`` (亿 m³),
``ten_thousand m**3`` (万 m³), ``1e8 m**3``, ``km**3``). Blank lines and lines starting with ``#``
are skipped (line numbers in messages count them). Rows must have volume and level strictly
increasing and area non-decreasing; volumes and areas are non-negative (levels may be negative, e.g.
below sea level in the Turpan depression).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ecociv.errors import InputError
from ecociv.units import Q_

FloatArray = npt.NDArray[np.float64]

COLUMNS = ("level", "area", "volume")
_SI_UNITS = {"level": "m", "area": "m**2", "volume": "m**3"}
_DIMENSIONALITY = {"level": "[length]", "area": "[length] ** 2", "volume": "[length] ** 3"}
_KIND = {"level": "a length", "area": "an area", "volume": "a volume"}
_SYMBOL = {"level": "m", "area": "m²", "volume": "m³"}

#: packaged default curves (``src/ecociv/data/water``); provenance in ``lakes_sources.csv``
DEFAULT_CURVES = {"ebinur": "ebinur_curve.csv", "manas": "manas_lake_curve.csv"}
CLIMATE_FILE = "lake_climate.csv"
#: the volume test allows for the rounding of published tables: a curve whose volumes disagree with
#: ∫ area d(level) by more than this factor almost certainly has a wrong unit in its units row
_CONSISTENCY_FACTOR = 3.0


@dataclass(frozen=True, eq=False)
class StorageCurve:
    """Volume–area–level table of a lake or reservoir, interpolated piecewise-linearly.

    Parameters
    ----------
    level_m : array_like
        Water level of each row, m (strictly increasing).
    area_m2 : array_like
        Water-surface area of each row, m² (non-negative, non-decreasing).
    volume_m3 : array_like
        Stored volume of each row, m³ (non-negative, strictly increasing).
    source : str
        Name of the table (a file name) used in error messages.
    row_names : tuple of str, optional
        How rows are named in error messages (``"line 7"``); default ``"row 1"``, ``"row 2"``...

    Notes
    -----
    Between rows, area and level are linear in volume. Below the first row, when its volume is
    above 0, the curve continues linearly to an empty lake: volume 0 has area 0 and the level
    ``level₁ − 2·V₁/A₁``, the bottom of a paraboloid bowl (area ∝ depth, mean depth = half the
    maximum depth) through the first row. Above the last row area and level are extrapolated
    linearly in volume with the slopes of the last segment (:meth:`above_curve` tells when), so a
    lake filling past its table keeps growing in area and evaporating more, instead of being
    clamped; extend the table if a simulation spends long above it.
    """

    level_m: FloatArray
    area_m2: FloatArray
    volume_m3: FloatArray
    source: str = "curve"
    row_names: tuple[str, ...] = field(default=(), repr=False)
    # the table with the empty-lake point prepended when the first row holds water
    _level: FloatArray = field(init=False, repr=False)
    _area: FloatArray = field(init=False, repr=False)
    _volume: FloatArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        arrays = {}
        for name, value in (("level", self.level_m), ("area", self.area_m2), ("volume", self.volume_m3)):
            array = np.array(value, dtype=float).reshape(-1)
            array.setflags(write=False)
            arrays[name] = array
        object.__setattr__(self, "level_m", arrays["level"])
        object.__setattr__(self, "area_m2", arrays["area"])
        object.__setattr__(self, "volume_m3", arrays["volume"])
        names = self.row_names or tuple(f"row {i + 1}" for i in range(arrays["level"].size))
        object.__setattr__(self, "row_names", tuple(names))
        _validate(arrays["level"], arrays["area"], arrays["volume"], self.source, self.row_names)
        level, area, volume = arrays["level"], arrays["area"], arrays["volume"]
        if volume[0] > 0:
            bottom = level[0] - 2.0 * volume[0] / area[0]
            level = np.concatenate(([bottom], level))
            area = np.concatenate(([0.0], area))
            volume = np.concatenate(([0.0], volume))
        object.__setattr__(self, "_level", level)
        object.__setattr__(self, "_area", area)
        object.__setattr__(self, "_volume", volume)

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_table(cls, table: pd.DataFrame, source: str, units: dict[str, str] | None = None) -> StorageCurve:
        """Curve from a table with columns ``level``, ``area``, ``volume``.

        Parameters
        ----------
        table : pandas.DataFrame
            One row per table entry; other columns are ignored.
        source : str
            Name used in error messages.
        units : dict, optional
            Pint unit of each column, default ``{"level": "m", "area": "m**2", "volume": "m**3"}``.
        """
        missing = [name for name in COLUMNS if name not in table.columns]
        if missing:
            raise InputError(f"missing column(s) {', '.join(missing)}; a lake curve needs level, area and volume",
                             source=source)
        units = {**_SI_UNITS, **(units or {})}
        factors = {name: _unit_factor(units[name], name, source=source, where=f"column '{name}'")
                   for name in COLUMNS}
        values = {}
        for name in COLUMNS:
            try:
                values[name] = table[name].to_numpy(dtype=float) * factors[name]
            except (TypeError, ValueError) as err:
                raise InputError(f"column '{name}' has values that are not numbers: {err}", source=source) from err
        return cls(values["level"], values["area"], values["volume"], source=source)

    @classmethod
    def read(cls, path: str | Path) -> StorageCurve:
        """Read a curve CSV (column names on the first line, pint units on the second).

        Raises
        ------
        InputError
            Naming the file, the line and the column of the first problem found.
        """
        path = Path(path)
        source = path.name
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as err:
            raise InputError(f"cannot read the lake curve: {err.strerror or err}", source=str(path)) from err
        lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1)
                 if line.strip() and not line.lstrip().startswith("#")]
        if len(lines) < 2:
            raise InputError("a lake curve needs a header line (level,area,volume), a units line "
                             "(e.g. m,km**2,hundred_million m**3) and at least 2 rows", source=source)
        rows = [(number, [cell.strip() for cell in cells])
                for (number, _), cells in zip(lines, csv.reader(line for _, line in lines), strict=True)]
        header_line, header = rows[0]
        names = [name.lower() for name in header]
        missing = [name for name in COLUMNS if name not in names]
        if missing:
            raise InputError(f"the header names {', '.join(header) or 'nothing'}; missing column(s) "
                             f"{', '.join(missing)} (a lake curve needs level, area and volume)",
                             source=source, where=f"line {header_line}")
        index = {name: names.index(name) for name in COLUMNS}
        units_line, units = rows[1]
        factors = {}
        for name in COLUMNS:
            unit = units[index[name]] if index[name] < len(units) else ""
            factors[name] = _unit_factor(unit, name, source=source, where=f"line {units_line}, column '{name}'")
        columns: dict[str, list[float]] = {name: [] for name in COLUMNS}
        row_names = []
        for number, cells in rows[2:]:
            for name in COLUMNS:
                cell = cells[index[name]] if index[name] < len(cells) else ""
                try:
                    value = float(cell)
                except ValueError:
                    raise InputError(f"{name} {cell!r} is not a number", source=source,
                                     where=f"line {number}, column '{name}'") from None
                columns[name].append(value * factors[name])
            row_names.append(f"line {number}")
        return cls(np.array(columns["level"]), np.array(columns["area"]), np.array(columns["volume"]),
                   source=source, row_names=tuple(row_names))

    # -- lookups ------------------------------------------------------------------------------
    @property
    def max_volume_m3(self) -> float:
        """Volume of the last row, m³ (above it the curve is extrapolated)."""
        return float(self.volume_m3[-1])

    @property
    def bottom_level_m(self) -> float:
        """Level of the empty lake, m (the first row's level, or the extrapolated bottom)."""
        return float(self._level[0])

    def above_curve(self, volume_m3: npt.ArrayLike) -> Any:
        """True where a volume (m³) lies above the last row, i.e. area and level are extrapolated."""
        return np.asarray(volume_m3, dtype=float) > self.volume_m3[-1]

    def area_of_volume(self, volume_m3: npt.ArrayLike) -> Any:
        """Water-surface area (m²) at a stored volume (m³); vectorised, volume ≥ 0."""
        return _along(_check_non_negative(volume_m3, "volume"), self._volume, self._area)

    def level_of_volume(self, volume_m3: npt.ArrayLike) -> Any:
        """Water level (m) at a stored volume (m³); vectorised, volume ≥ 0."""
        return _along(_check_non_negative(volume_m3, "volume"), self._volume, self._level)

    def volume_of_level(self, level_m: npt.ArrayLike) -> Any:
        """Stored volume (m³) at a water level (m); 0 at or below the bottom; vectorised."""
        level = np.asarray(level_m, dtype=float)
        volume = _along(level, self._level, self._volume)
        return np.where(level <= self._level[0], 0.0, volume)[()]

    def volume_of_area(self, area_m2: npt.ArrayLike) -> Any:
        """Smallest stored volume (m³) whose surface area reaches ``area_m2`` (m²); vectorised.

        Where the table's area is flat over several rows the smallest matching volume is returned;
        above the last row the last segment is extrapolated (``inf`` if its area is flat).
        """
        area = _check_non_negative(area_m2, "area")
        table_area: FloatArray = self._area
        table_volume: FloatArray = self._volume
        upper = np.clip(np.searchsorted(table_area, area, side="left"), 1, table_area.size - 1)
        lower = upper - 1
        rise = table_area[upper] - table_area[lower]
        with np.errstate(divide="ignore", invalid="ignore"):
            fraction = np.where(rise > 0, (area - table_area[lower]) / rise, 0.0)
        volume = table_volume[lower] + fraction * (table_volume[upper] - table_volume[lower])
        volume = np.where(area <= table_area[0], 0.0, volume)
        if np.any(area > table_area[-1]) and rise.size and table_area[-1] <= table_area[-2]:
            volume = np.where(area > table_area[-1], np.inf, volume)
        return volume[()]


def _check_non_negative(values: npt.ArrayLike, name: str) -> Any:
    if isinstance(values, float):  # the monthly balance calls this once per lake and month
        if not (math.isfinite(values) and values >= 0):
            raise ValueError(f"{name} must be finite and >= 0, got {values}")
        return values
    array = np.asarray(values, dtype=float)
    if np.any(~np.isfinite(array)) or np.any(array < 0):
        bad = array[~(np.isfinite(array) & (array >= 0))].reshape(-1)[0]
        raise ValueError(f"{name} must be finite and >= 0, got {bad}")
    return array


def _along(x: Any, xp: FloatArray, fp: FloatArray) -> Any:
    """Piecewise-linear fp(x) on increasing ``xp``, extrapolated linearly beyond the last point."""
    if isinstance(x, float):
        if x > xp[-1]:
            return float(fp[-1] + (x - xp[-1]) * (fp[-1] - fp[-2]) / (xp[-1] - xp[-2]))
        return float(np.interp(x, xp, fp))
    result = np.interp(x, xp, fp)
    slope = (fp[-1] - fp[-2]) / (xp[-1] - xp[-2])
    result = np.where(x > xp[-1], fp[-1] + (x - xp[-1]) * slope, result)
    return result[()]


def _unit_factor(unit: str, column: str, *, source: str, where: str) -> float:
    """Factor converting a value in ``unit`` to the column's SI unit."""
    text = unit.strip()
    if not text:
        raise InputError(f"no unit for column '{column}': the second line must give each column's unit "
                         "(e.g. m,km**2,hundred_million m**3)", source=source, where=where)
    try:
        quantity: Any = Q_(text)
    except Exception as err:  # pint raises several unrelated types for garbage
        raise InputError(f"unknown unit {text!r}", source=source, where=where) from err
    if quantity.dimensionality != Q_(1, _SI_UNITS[column]).dimensionality:
        raise InputError(f"unit {text!r} is not {_KIND[column]} (expected e.g. {_SI_UNITS[column]})",
                         source=source, where=where)
    return float(quantity.to(_SI_UNITS[column]).magnitude)


def _validate(level: FloatArray, area: FloatArray, volume: FloatArray, source: str,
              rows: Sequence[str]) -> None:
    if not level.size == area.size == volume.size == len(rows):
        raise InputError(f"level, area and volume have {level.size}, {area.size} and {volume.size} values; "
                         "they must have one per row", source=source)
    if level.size < 2:
        raise InputError(f"a lake curve needs at least 2 rows, got {level.size}", source=source)
    columns = {"level": level, "area": area, "volume": volume}
    for i, row in enumerate(rows):
        for name, values in columns.items():
            if not np.isfinite(values[i]):
                raise InputError(f"{name} is not a finite number", source=source, where=f"{row}, column '{name}'")
            if name != "level" and values[i] < 0:
                raise InputError(f"{name} {values[i]:.4g} {_SYMBOL[name]} is negative", source=source,
                                 where=f"{row}, column '{name}'")
        if volume[i] > 0 and area[i] == 0:
            raise InputError(f"area is 0 m² but volume is {volume[i]:.4g} m³: only an empty lake can have "
                             "area 0", source=source, where=f"{row}, column 'area'")
    rule = "a lake curve must be monotonic (volume and level strictly increasing, area non-decreasing)"
    for i in range(1, level.size):
        for name in ("volume", "level"):
            values = columns[name]
            if not values[i] > values[i - 1]:
                raise InputError(f"{name} {values[i]:.4g} {_SYMBOL[name]} is not larger than {rows[i - 1]} "
                                 f"({values[i - 1]:.4g} {_SYMBOL[name]}): {rule}", source=source,
                                 where=f"{rows[i]}, column '{name}'")
        if area[i] < area[i - 1]:
            raise InputError(f"area {area[i]:.4g} m² is smaller than {rows[i - 1]} ({area[i - 1]:.4g} m²): {rule}",
                             source=source, where=f"{rows[i]}, column 'area'")
    stored = volume[-1] - volume[0]
    integrated = float(np.sum(0.5 * (area[1:] + area[:-1]) * np.diff(level)))
    if integrated > 0 and not 1 / _CONSISTENCY_FACTOR <= stored / integrated <= _CONSISTENCY_FACTOR:
        raise InputError(f"the volume between {rows[0]} and {rows[-1]} ({stored:.4g} m³) disagrees with area "
                         f"integrated over level ({integrated:.4g} m³) by a factor {stored / integrated:.3g}: "
                         "check the units (second line of a curve file)", source=source)


# -- the water balance ------------------------------------------------------------------------
@dataclass(frozen=True)
class LakeStep:
    """Result of one :func:`lake_step`; every volume in m³ over the step.

    ``volume_end_m3 = volume_start_m3 + inflow_m3 + precipitation_m3 − evaporation_m3 − spill_m3``
    holds to rounding.
    """

    volume_start_m3: float
    volume_end_m3: float
    area_end_m2: float
    level_end_m: float
    inflow_m3: float
    precipitation_m3: float
    evaporation_m3: float
    evaporation_demand_m3: float
    spill_m3: float
    dried_out: bool
    above_curve: bool


def lake_step(volume_m3: float, inflow_m3: float, precipitation_mm: float, evaporation_mm: float,
              curve: StorageCurve, substeps: int = 1, spill_volume_m3: float | None = None) -> LakeStep:
    r"""Advance a terminal lake by one step (a month) of inflow, precipitation and evaporation.

    Parameters
    ----------
    volume_m3 : float
        Stored volume at the start of the step, m³.
    inflow_m3 : float
        Inflow over the step (rivers, canals, groundwater), m³.
    precipitation_mm : float
        Precipitation on the lake over the step, mm.
    evaporation_mm : float
        Open-water evaporation over the step, mm. Pan readings must be converted first
        (:func:`open_water_evaporation_mm`).
    curve : StorageCurve
        Volume–area–level curve.
    substeps : int
        Number of equal sub-steps (Q, P and E split evenly); 1 is accurate for monthly steps.
    spill_volume_m3 : float, optional
        Volume above which water leaves the lake (a sill or an overflow channel); default: none, a
        terminal lake.

    Returns
    -------
    LakeStep
        End volume (m³), area (m²) and level (m), the precipitation and evaporation volumes (m³),
        the spill (m³), and whether the lake ran dry (evaporation cut to the water available).

    Notes
    -----
    Water balance of a lake without outflow (e.g. Mason et al. 1994, eq. 1):

    .. math:: V_1 = V_0 + Q + (P - E)\,\bar A, \qquad \bar A = \tfrac12\,[A(V_0) + A(V_1)]

    with the area taken as the mean of the start and end areas (trapezoidal rule, second order).
    The implicit equation is solved exactly on the piecewise-linear curve: its left-hand side
    minus right-hand side is linear within each curve segment, so the first segment where it
    changes sign holds the root. When evaporation exceeds all the water available
    (:math:`V_0 + Q + P\bar A < E\bar A`, the root would be negative) the lake dries: the end volume
    is 0, :math:`\bar A = A(V_0)/2` and evaporation is reduced to :math:`V_0 + Q + P\bar A`. The
    returned terms are computed first and the end volume from them, so the balance closes to
    rounding whatever the curve. With an area that grows with volume the scheme damps rather than
    overshoots (the mean area of a shrinking lake is smaller than its start area).

    Near empty, the curve's first segment runs from (0 m³, 0 m²) to the first row, so area is
    proportional to volume there and, without inflow, the last of the water decays geometrically
    (by :math:`(1 - e s/2)/(1 + e s/2)` per step, s = area/volume of the first row, e = net
    evaporation in m) unless :math:`e s/2 \ge 1`, when it dries within the step. Report a lake as
    dry below a small area rather than testing ``volume == 0``.

    Mason I.M., Guzkowska M.A.J., Rapley C.G., Street-Perrott F.A. (1994), The response of lake
    levels and areas to climatic change, Climatic Change 27:161–197.
    """
    for name, value in (("volume_m3", volume_m3), ("inflow_m3", inflow_m3),
                        ("precipitation_mm", precipitation_mm), ("evaporation_mm", evaporation_mm)):
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be finite and >= 0, got {value}")
    if int(substeps) != substeps or substeps < 1:
        raise ValueError(f"substeps must be a positive integer, got {substeps}")
    n = int(substeps)
    start = volume = float(volume_m3)
    totals = {"precipitation": 0.0, "evaporation": 0.0, "demand": 0.0, "spill": 0.0}
    dried = False
    for _ in range(n):
        volume, precipitation, evaporation, demand = _trapezoid_step(
            volume, float(inflow_m3) / n, float(precipitation_mm) / n / 1000.0, float(evaporation_mm) / n / 1000.0,
            curve)
        dried = dried or evaporation < demand
        spill = 0.0
        if spill_volume_m3 is not None and volume > spill_volume_m3:
            spill = volume - float(spill_volume_m3)
            volume = float(spill_volume_m3)
        totals["precipitation"] += precipitation
        totals["evaporation"] += evaporation
        totals["demand"] += demand
        totals["spill"] += spill
    return LakeStep(start, volume, float(curve.area_of_volume(volume)), float(curve.level_of_volume(volume)),
                    float(inflow_m3), totals["precipitation"], totals["evaporation"], totals["demand"],
                    totals["spill"], dried, bool(curve.above_curve(volume)))


def _trapezoid_step(volume: float, inflow: float, precipitation_m: float, evaporation_m: float,
                    curve: StorageCurve) -> tuple[float, float, float, float]:
    """One step of the trapezoidal balance; returns (end volume, P m³, E m³, E demand m³)."""
    table_volume: FloatArray = curve._volume
    table_area: FloatArray = curve._area
    area_start = float(curve.area_of_volume(volume))
    net = precipitation_m - evaporation_m
    constant = volume + inflow + net * area_start / 2.0
    # g(V) = V − V0 − Q − net·(A0 + A(V))/2 at the curve's rows; the root lies after the last row with g < 0
    residual = table_volume - constant - net * table_area / 2.0
    crossing = np.flatnonzero(residual >= 0)
    if crossing.size and crossing[0] == 0:
        end = 0.0  # evaporation takes everything: the lake dries
    else:
        k = int(crossing[0]) if crossing.size else table_volume.size  # root in segment (k-1, k)
        hi = min(k, table_volume.size - 1)
        lo = hi - 1
        slope_area = (table_area[hi] - table_area[lo]) / (table_volume[hi] - table_volume[lo])
        slope_residual = 1.0 - net * slope_area / 2.0
        if slope_residual <= 0:
            raise ValueError(f"{curve.source}: precipitation on the growing lake outpaces the curve's last "
                             "segment; extend the curve above its last row")
        base = k - 1
        end = float(table_volume[base] - residual[base] / slope_residual)
        end = max(end, 0.0)
    mean_area = 0.5 * (area_start + float(curve.area_of_volume(end)))
    precipitation = precipitation_m * mean_area
    demand = evaporation_m * mean_area
    available = volume + inflow + precipitation
    evaporation = min(demand, available)
    end_volume = available - evaporation
    return end_volume, precipitation, evaporation, demand


def simulate_lake(volume0_m3: float, inflow_m3: npt.ArrayLike, precipitation_mm: npt.ArrayLike,
                  evaporation_mm: npt.ArrayLike, curve: StorageCurve,
                  target_area_m2: float | npt.ArrayLike | None = None, *, start: str | None = None,
                  substeps: int = 1, spill_volume_m3: float | None = None, name: str = "lake") -> pd.DataFrame:
    """Run a terminal lake month by month.

    Parameters
    ----------
    volume0_m3 : float
        Volume at the start of the first month, m³.
    inflow_m3 : array_like, shape (n,)
        Inflow of each month, m³.
    precipitation_mm, evaporation_mm : array_like, shape (n,) or (12,)
        Precipitation on the lake and open-water evaporation of each month, mm; 12 values are
        monthly normals (January first) repeated from the calendar month of ``start`` (except in a
        run of exactly 12 months, where they are the run's months); one value is used every month.
    curve : StorageCurve
        Volume–area–level curve.
    target_area_m2 : float or array_like (n,) or (12,), optional
        Ecological minimum area, m²; months whose end area is below it are flagged.
    start : str, optional
        First month ``YYYY-MM``: the index becomes a monthly ``PeriodIndex``; default: a plain
        month counter 0..n-1 (normals then start in January).
    substeps, spill_volume_m3
        As in :func:`lake_step`.
    name : str
        Lake name used in error messages.

    Returns
    -------
    pandas.DataFrame
        One row per month (index ``month``): ``volume_start_m3``, ``inflow_m3``,
        ``precipitation_m3``, ``evaporation_m3``, ``spill_m3``, ``volume_m3``, ``area_m2`` and
        ``level_m`` (end of month), ``evaporation_demand_m3``, ``dried_out``, ``above_curve``,
        ``target_area_m2`` and ``below_target`` (end-of-month area below the target).

    Notes
    -----
    Each month is one :func:`lake_step`; the balance
    ``volume_m3 = volume_start_m3 + inflow_m3 + precipitation_m3 − evaporation_m3 − spill_m3``
    closes for every row.
    """
    inflow = np.asarray(inflow_m3, dtype=float).reshape(-1)
    n = inflow.size
    if n == 0:
        raise InputError("the inflow series is empty", source=name, where="inflow_m3")
    first_month = 1
    if start is not None:
        try:
            index: pd.Index = pd.period_range(start=str(start), periods=n, freq="M", name="month")
        except (ValueError, TypeError) as err:
            raise InputError(f"start {start!r} is not a month written YYYY-MM", source=name, where="start") from err
        first_month = int(index[0].month)
    else:
        index = pd.RangeIndex(n, name="month")
    calendar_month = (first_month - 1 + np.arange(n)) % 12
    precipitation = _monthly(precipitation_mm, n, calendar_month, "precipitation_mm", name)
    evaporation = _monthly(evaporation_mm, n, calendar_month, "evaporation_mm", name)
    target = None if target_area_m2 is None else _monthly(target_area_m2, n, calendar_month, "target_area_m2", name)
    for label, series in (("inflow_m3", inflow), ("precipitation_mm", precipitation),
                          ("evaporation_mm", evaporation)):
        bad = np.flatnonzero(~np.isfinite(series) | (series < 0))
        if bad.size:
            i = int(bad[0])
            raise InputError(f"{label} must be finite and >= 0, got {series[i]} (month {index[i]})",
                             source=name, where=f"{label}, month {index[i]}")
    if not np.isfinite(volume0_m3) or volume0_m3 < 0:
        raise InputError(f"initial volume must be finite and >= 0, got {volume0_m3}", source=name,
                         where="volume0_m3")
    records = []
    volume = float(volume0_m3)
    for i in range(n):
        step = lake_step(volume, inflow[i], precipitation[i], evaporation[i], curve, substeps=substeps,
                         spill_volume_m3=spill_volume_m3)
        records.append((step.volume_start_m3, step.inflow_m3, step.precipitation_m3, step.evaporation_m3,
                        step.spill_m3, step.volume_end_m3, step.area_end_m2, step.level_end_m,
                        step.evaporation_demand_m3, step.dried_out, step.above_curve))
        volume = step.volume_end_m3
    frame = pd.DataFrame.from_records(records, index=index, columns=[
        "volume_start_m3", "inflow_m3", "precipitation_m3", "evaporation_m3", "spill_m3", "volume_m3",
        "area_m2", "level_m", "evaporation_demand_m3", "dried_out", "above_curve"])
    frame["target_area_m2"] = np.nan if target is None else target
    frame["below_target"] = False if target is None else frame["area_m2"].to_numpy() < target
    return frame


def _monthly(values: Any, n: int, calendar_month: np.ndarray, label: str, name: str) -> FloatArray:
    array = np.asarray(values, dtype=float).reshape(-1)
    if array.size == 1:
        return np.full(n, float(array[0]))
    if array.size == n:
        return array
    if array.size == 12:
        return array[calendar_month]
    raise InputError(f"{label} has {array.size} values; expected {n} (one per month) or 12 (monthly normals, "
                     "January first)", source=name, where=label)


def months_below_target(frame: pd.DataFrame) -> int:
    """Number of months whose end-of-month area is below the target (column ``below_target``)."""
    return int(np.count_nonzero(frame["below_target"].to_numpy(dtype=bool)))


def longest_run_below_target(frame: pd.DataFrame) -> int:
    """Longest run of consecutive months below the target area."""
    flags = frame["below_target"].to_numpy(dtype=bool)
    longest = current = 0
    for flag in flags:
        current = current + 1 if flag else 0
        longest = max(longest, current)
    return longest


def months_below_target_by_year(frame: pd.DataFrame) -> pd.Series:
    """Months below the target area in each calendar year (needs the ``start`` of :func:`simulate_lake`)."""
    if not isinstance(frame.index, pd.PeriodIndex):
        raise ValueError("months_below_target_by_year needs a frame from simulate_lake(..., start='YYYY-MM')")
    years = frame.index.year
    return frame["below_target"].astype(int).groupby(years).sum().rename_axis("year")


# -- planning helpers -------------------------------------------------------------------------
def equilibrium_inflow(area_m2: npt.ArrayLike, precipitation_mm_yr: npt.ArrayLike,
                       evaporation_mm_yr: npt.ArrayLike) -> Any:
    r"""Annual inflow (m³/yr) that holds a terminal lake at a given area.

    Parameters
    ----------
    area_m2 : array_like
        Lake area to hold, m² (e.g. the ecological minimum area).
    precipitation_mm_yr : array_like
        Annual precipitation on the lake, mm/yr.
    evaporation_mm_yr : array_like
        Annual open-water evaporation, mm/yr.

    Returns
    -------
    float or numpy.ndarray
        :math:`Q = A\,(E - P)`, m³/yr, with E and P converted to m/yr; 0 where P ≥ E (the lake
        needs no inflow to hold that area).

    Notes
    -----
    Steady state of the closed-lake balance (Mason et al. 1994): inflow equals net evaporation
    over the lake. Example: Ebinur Lake's ecological area of 800 km² with the 7.92 × 10⁸ m³/yr
    inflow estimated for it (Chinese Science Bulletin, "Estimation of the rational water area for
    controlling wind erosion in the dried-up basin of the Ebinur Lake") implies E − P = 990 mm/yr.
    """
    area = np.asarray(area_m2, dtype=float)
    net_m = (np.asarray(evaporation_mm_yr, dtype=float) - np.asarray(precipitation_mm_yr, dtype=float)) / 1000.0
    return (area * np.maximum(net_m, 0.0))[()]


def equilibrium_area(inflow_m3_yr: npt.ArrayLike, precipitation_mm_yr: npt.ArrayLike,
                     evaporation_mm_yr: npt.ArrayLike) -> Any:
    r"""Area (m²) a terminal lake settles at under a constant annual inflow (m³/yr).

    :math:`A = Q / (E - P)` with E and P in m/yr (Mason et al. 1994); ``inf`` where P ≥ E.
    """
    inflow = np.asarray(inflow_m3_yr, dtype=float)
    net_m = (np.asarray(evaporation_mm_yr, dtype=float) - np.asarray(precipitation_mm_yr, dtype=float)) / 1000.0
    with np.errstate(divide="ignore", invalid="ignore"):
        area = np.where(net_m > 0, inflow / np.where(net_m > 0, net_m, 1.0), np.inf)
    return area[()]


def open_water_evaporation_mm(pan_evaporation_mm: npt.ArrayLike, pan_coefficient: float) -> Any:
    """Open-water evaporation (mm) from pan readings (mm) × a pan coefficient (a user number).

    Chinese stations report E601 sunken-tank or Φ20 cm pan evaporation; the coefficient converting
    them to a large water surface depends on the pan, season and site and must come from the user
    (or a local study); it is not guessed here.
    """
    if not 0 < pan_coefficient <= 1.5:
        raise ValueError(f"pan_coefficient must lie in (0, 1.5], got {pan_coefficient}")
    return (np.asarray(pan_evaporation_mm, dtype=float) * pan_coefficient)[()]


# -- packaged defaults ------------------------------------------------------------------------
def default_curve(lake: str) -> StorageCurve:
    """The packaged curve of ``"ebinur"`` (艾比湖) or ``"manas"`` (玛纳斯湖); both are illustrative.

    See ``src/ecociv/data/water/lakes_sources.csv`` for how each was built and from what.
    """
    key = lake.lower()
    if key not in DEFAULT_CURVES:
        raise InputError(f"no default curve for lake {lake!r}; choose one of {', '.join(DEFAULT_CURVES)}",
                         source="default_curve")
    with as_file(files("ecociv") / "data" / "water" / DEFAULT_CURVES[key]) as path:
        return StorageCurve.read(path)


def default_lake_climate(lake: str) -> pd.DataFrame:
    """Monthly normals (12 rows, month 1..12) of precipitation and open-water evaporation, mm.

    Columns ``precipitation_mm``, ``evaporation_mm``, ``status`` and ``source``; from
    ``src/ecociv/data/water/lake_climate.csv``.
    """
    with as_file(files("ecociv") / "data" / "water" / CLIMATE_FILE) as path:
        table = pd.read_csv(path)
    rows = table[table["lake"] == lake.lower()].set_index("month").sort_index()
    if rows.empty:
        raise InputError(f"no climate for lake {lake!r}; choose one of {', '.join(sorted(set(table['lake'])))}",
                         source=CLIMATE_FILE)
    return rows.drop(columns="lake")
