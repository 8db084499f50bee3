"""Reading observation, station and target tables. Every observation that cannot be used is
returned in a *flagged* table with its CSV line number and the reason; none is dropped silently.

Observations (long format, one value a line): ``station`` (a monitoring station, lake, well or
unit id), ``indicator`` (see :mod:`ecociv.monitor.indicators`), ``time`` (``YYYY-MM-DD`` a daily
value, ``YYYY-MM`` a monthly value, ``YYYY`` an annual value), ``value`` and ``units`` (the
measurement unit, e.g. ``ug/m3``, ``mg/L``, ``km2``, ``m3``). Optional ``unit`` (the
administrative unit, e.g. adcode ``650100``) when there is no station table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ecociv.errors import InputError
from ecociv.monitor.indicators import INDICATORS, resolve, unit_factor

REQUIRED = ("station", "indicator", "time", "value", "units")
FLAG_COLUMNS = ["line", "station", "indicator", "time", "value", "units", "reason"]


def _read_csv(path: Path, label: str) -> Any:
    import pandas as pd

    if not path.is_file():
        raise InputError("file does not exist", source=f"{label} {path}")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                            skipinitialspace=True)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as err:
        raise InputError(f"not a readable CSV table: {err}", source=f"{label} {path}") from err
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return frame


def read_observations(path: Path) -> tuple[Any, Any]:
    """Read and check an observation table.

    Returns
    -------
    (observations, flagged) : tuple of DataFrame
        ``observations``: station, unit (may be empty), indicator, domain, time, resolution
        (``day``/``month``/``year``), date, year, value (canonical unit), units (canonical), line.
        ``flagged``: line, station, indicator, time, value, units, reason.

    Raises
    ------
    InputError
        The file is missing, unreadable or lacks a required column.
    """
    import numpy as np
    import pandas as pd

    frame = _read_csv(Path(path), "observations")
    if "units" not in frame.columns and "measure_unit" in frame.columns:
        frame = frame.rename(columns={"measure_unit": "units"})
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InputError(f"missing column(s) {missing}; expected {list(REQUIRED)} (units = the measurement unit, "
                         "e.g. ug/m3; optional unit = administrative unit)", source=f"observations {path}")
    n = len(frame)
    line = np.arange(2, n + 2)
    station = frame["station"].str.strip()
    raw_ind = frame["indicator"].str.strip()
    time = frame["time"].str.strip()
    raw_value = frame["value"].str.strip()
    units = frame["units"].str.strip()
    admin = frame["unit"].str.strip() if "unit" in frame.columns else pd.Series([""] * n)
    reason = np.full(n, "", dtype=object)

    def flag(mask: Any, text: Any) -> None:
        mask = np.asarray(mask, dtype=bool) & (reason == "")
        reason[mask] = text if isinstance(text, str) else np.asarray(text, dtype=object)[mask]

    flag(station == "", "missing station")
    names = raw_ind.unique()
    lookup = {name: resolve(name) for name in names}
    indicator = raw_ind.map(lookup)
    flag(indicator.isna(), "unknown indicator " + raw_ind.map(repr))
    # units: factor per (indicator, units) pair
    pairs = pd.DataFrame({"i": indicator.fillna(""), "u": units}).drop_duplicates()
    factors = {(i, u): (unit_factor(i, u) if i else None) for i, u in zip(pairs["i"], pairs["u"], strict=True)}
    factor = pd.Series([factors[(i, u)] for i, u in zip(indicator.fillna(""), units, strict=True)],
                       dtype="float64")
    expected = indicator.map(lambda i: INDICATORS[i].unit if isinstance(i, str) else "")
    flag(factor.isna(), "unknown unit " + units.map(repr) + " for " + indicator.fillna("") +
         " (expected e.g. " + expected + ")")
    flag(raw_value == "", "missing value")
    number = pd.to_numeric(raw_value, errors="coerce")
    flag(number.isna() | ~np.isfinite(number.fillna(0.0)), "non-numeric value " + raw_value.map(repr))
    nonneg = indicator.map(lambda i: INDICATORS[i].nonnegative if isinstance(i, str) else False).astype(bool)
    flag(nonneg & (number < 0), "negative value (impossible for this indicator)")
    # time: YYYY-MM-DD, YYYY-MM or YYYY
    date = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    resolution = pd.Series("", index=frame.index, dtype=object)
    for pattern, fmt, res in ((r"^\d{4}-\d{1,2}-\d{1,2}$", "%Y-%m-%d", "day"),
                              (r"^\d{4}-\d{1,2}$", "%Y-%m", "month"), (r"^\d{4}$", "%Y", "year")):
        match = time.str.match(pattern)
        if match.any():
            date[match] = pd.to_datetime(time[match], format=fmt, errors="coerce")
            resolution[match] = res
    flag(time == "", "missing time")
    flag(date.isna(), "impossible or unreadable time " + time.map(repr) +
         " (expected YYYY-MM-DD, YYYY-MM or YYYY)")
    # duplicates among rows otherwise valid: the first is kept, later ones flagged
    good = reason == ""
    key = pd.DataFrame({"s": station, "i": indicator, "d": date, "r": resolution})
    dup = key.duplicated(keep="first") & good
    if dup.any():
        first_line = pd.Series(line, index=frame.index)[good].groupby(
            [key["s"][good], key["i"][good], key["d"][good], key["r"][good]]).transform("first")
        reason[dup.to_numpy()] = ("duplicate of line " + first_line[dup].astype(int).astype(str)).to_numpy()
    bad = reason != ""
    flagged = pd.DataFrame({"line": line[bad], "station": station[bad].to_numpy(),
                            "indicator": raw_ind[bad].to_numpy(), "time": time[bad].to_numpy(),
                            "value": raw_value[bad].to_numpy(), "units": units[bad].to_numpy(),
                            "reason": reason[bad]}, columns=FLAG_COLUMNS)
    ok = ~bad
    ind_ok = indicator[ok]
    obs = pd.DataFrame({
        "station": station[ok].to_numpy(), "unit": admin[ok].to_numpy(), "indicator": ind_ok.to_numpy(),
        "domain": ind_ok.map(lambda i: INDICATORS[i].domain).to_numpy(),
        "time": time[ok].to_numpy(), "resolution": resolution[ok].to_numpy(), "date": date[ok].to_numpy(),
        "value": (number[ok] * factor[ok]).to_numpy(dtype=float),
        "units": ind_ok.map(lambda i: INDICATORS[i].unit).to_numpy(), "line": line[ok]})
    obs["year"] = obs["date"].dt.year.astype("int64")
    return obs, flagged


def read_stations(path: Path) -> Any:
    """Station table: ``station`` (required), optional ``unit`` (administrative unit), ``basin``,
    ``water_class`` (target class of the water body's function, I-V or 1-5), ``water_body``
    (``river`` or ``lake``/``reservoir``; GB 3838 total phosphorus and nitrogen) and ``air_class``
    (1 or 2: the GB 3095 function area; default 2)."""
    frame = _read_csv(Path(path), "stations")
    label = f"stations {path}"
    if "station" not in frame.columns:
        raise InputError(f"no `station` column (columns: {list(frame.columns)})", source=label)
    for column in ("unit", "basin", "water_class", "water_body", "air_class"):
        if column not in frame.columns:
            frame[column] = ""
    frame = frame.apply(lambda col: col.str.strip())
    roman = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "": 0}
    classes = []
    for row, text in enumerate(frame["water_class"], start=2):
        key = text.upper().replace("CLASS", "").strip()
        if key not in roman:
            raise InputError(f"{text!r} is not a water class; expected I-V or 1-5", source=label,
                             where=f"line {row}, column 'water_class'")
        classes.append(roman[key])
    frame["water_class"] = classes
    grades = []
    for row, text in enumerate(frame["air_class"], start=2):
        if text not in ("", "1", "2", "I", "II"):
            raise InputError(f"{text!r} is not a GB 3095 function-area class; expected 1 or 2", source=label,
                             where=f"line {row}, column 'air_class'")
        grades.append(1 if text in ("1", "I") else 2)
    frame["air_class"] = grades
    bodies = frame["water_body"].str.lower().replace({"reservoir": "lake", "": "river"})
    for row, text in enumerate(bodies, start=2):
        if text not in ("river", "lake"):
            raise InputError(f"{text!r} is not a water body type; expected river, lake or reservoir", source=label,
                             where=f"line {row}, column 'water_body'")
    frame["water_body"] = bodies
    dup = frame["station"].duplicated()
    if dup.any():
        row = int(dup.to_numpy().nonzero()[0][0]) + 2
        raise InputError(f"station {frame['station'].iloc[row - 2]!r} is listed twice", source=label,
                         where=f"line {row}")
    return frame.set_index("station")


def read_targets(path: Path) -> Any:
    """Targets and red lines: ``place`` (station or unit), ``indicator``, ``kind`` (``cap``: the
    observed value must stay at or below; ``floor``: at or above), ``value``, ``units``; optional
    ``period`` (a year; empty = every year), ``source``, ``status``."""
    frame = _read_csv(Path(path), "targets")
    label = f"targets {path}"
    need = ("place", "indicator", "kind", "value", "units")
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise InputError(f"missing column(s) {missing}; expected {list(need)}", source=label)
    for column in ("period", "source", "status"):
        if column not in frame.columns:
            frame[column] = ""
    rows = []
    for row, rec in enumerate(frame.to_dict("records"), start=2):
        ind = resolve(rec["indicator"])
        if ind is None:
            raise InputError(f"unknown indicator {rec['indicator']!r}", source=label, where=f"line {row}")
        kind = rec["kind"].strip().lower()
        if kind not in ("cap", "floor"):
            raise InputError(f"kind {rec['kind']!r}: expected cap or floor", source=label, where=f"line {row}")
        try:
            value = float(rec["value"])
        except ValueError:
            raise InputError(f"value {rec['value']!r} is not a number", source=label, where=f"line {row}") from None
        factor = unit_factor(ind, rec["units"])
        if factor is None:
            raise InputError(f"unit {rec['units']!r} not accepted for {ind} (expected e.g. {INDICATORS[ind].unit})",
                             source=label, where=f"line {row}")
        period = str(rec["period"]).strip()
        if period and not period.isdigit():
            raise InputError(f"period {period!r}: expected a year or empty", source=label, where=f"line {row}")
        rows.append({"place": rec["place"].strip(), "indicator": ind, "kind": kind, "value": value * factor,
                     "units": INDICATORS[ind].unit, "period": int(period) if period else None,
                     "source": rec["source"], "status": rec["status"] or "user"})
    return rows
