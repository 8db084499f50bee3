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
    return check_observations(_read_csv(Path(path), "observations"), f"observations {path}")


def check_observations(frame: Any, label: str) -> tuple[Any, Any]:
    """Check a long-format table of strings already read (see :func:`read_observations`);
    ``label`` names it in errors. Line numbers count the header as line 1."""
    import numpy as np
    import pandas as pd

    path = label
    if "units" not in frame.columns and "measure_unit" in frame.columns:
        frame = frame.rename(columns={"measure_unit": "units"})
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InputError(f"missing column(s) {missing}; expected {list(REQUIRED)} (units = the measurement unit, "
                         "e.g. ug/m3; optional unit = administrative unit)", source=path)
    n = len(frame)
    line = np.arange(2, n + 2)

    def column(name: str) -> tuple[Any, Any]:
        # factorize first: the string work is done once per distinct value, not once per row
        codes, uniques = pd.factorize(frame[name], sort=False)
        return codes, np.asarray([str(u).strip() for u in uniques], dtype=object)

    st_codes, st_uniq = column("station")
    in_codes, in_uniq = column("indicator")
    tm_codes, tm_uniq = column("time")
    un_codes, un_uniq = column("units")
    station = st_uniq[st_codes]
    raw_ind = in_uniq[in_codes]
    time = tm_uniq[tm_codes]
    units = un_uniq[un_codes]
    raw_value = frame["value"].to_numpy(dtype=object)
    if "unit" in frame.columns:
        ad_codes, ad_uniq = column("unit")
        admin = ad_uniq[ad_codes]
    else:
        admin = np.full(n, "", dtype=object)
    reason = np.full(n, "", dtype=object)
    bad = np.zeros(n, dtype=bool)

    def flag(mask: Any, text: Any) -> None:
        # ``text``: a message, or a function of the flagged row positions giving one message each
        where = np.flatnonzero(np.asarray(mask, dtype=bool) & ~bad)
        if where.size:
            reason[where] = text if isinstance(text, str) else np.asarray(text(where), dtype=object)
            bad[where] = True

    flag((st_uniq == "")[st_codes], "missing station")
    ind_uniq = np.asarray([resolve(name) or "" for name in in_uniq], dtype=object)
    indicator = ind_uniq[in_codes]
    flag((ind_uniq == "")[in_codes], lambda w: [f"unknown indicator {raw_ind[k]!r}" for k in w])
    # units: one factor per distinct (indicator, units) pair
    width = max(len(un_uniq), 1)
    pair_codes, pairs = pd.factorize(in_codes.astype(np.int64) * width + un_codes)
    pair_factor = np.asarray([unit_factor(ind_uniq[c // width], un_uniq[c % width]) if ind_uniq[c // width]
                              else None for c in pairs], dtype=float)
    factor = pair_factor[pair_codes]
    flag(np.isnan(factor), lambda w: [f"unknown unit {units[k]!r} for {indicator[k]} (expected e.g. "
                                      f"{INDICATORS[indicator[k]].unit})" for k in w])
    number = pd.to_numeric(pd.Series(raw_value), errors="coerce").to_numpy(dtype=float)
    retry = np.flatnonzero(~np.isfinite(number))  # blanks around a number, empty cells, text
    if retry.size:
        stripped = [str(raw_value[k]).strip() for k in retry]
        number[retry] = pd.to_numeric(pd.Series(stripped, dtype=object), errors="coerce").to_numpy(dtype=float)
        blank = np.zeros(n, dtype=bool)
        blank[retry] = [text == "" for text in stripped]
        flag(blank, "missing value")
    flag(~np.isfinite(number), lambda w: [f"non-numeric value {raw_value[k]!r}" for k in w])
    nonneg = np.asarray([bool(i) and INDICATORS[i].nonnegative for i in ind_uniq], dtype=bool)[in_codes]
    with np.errstate(invalid="ignore"):
        flag(nonneg & (number < 0), "negative value (impossible for this indicator)")
    # time: YYYY-MM-DD, YYYY-MM or YYYY, parsed once per distinct text
    tu = pd.Series(tm_uniq, dtype=object)
    t_date = pd.Series(pd.NaT, index=tu.index, dtype="datetime64[ns]")
    t_res = np.full(len(tu), "", dtype=object)
    for pattern, fmt, res in ((r"^\d{4}-\d{1,2}-\d{1,2}$", "%Y-%m-%d", "day"),
                              (r"^\d{4}-\d{1,2}$", "%Y-%m", "month"), (r"^\d{4}$", "%Y", "year")):
        match = tu.str.match(pattern).to_numpy(dtype=bool)
        if match.any():
            t_date[match] = pd.to_datetime(tu[match], format=fmt, errors="coerce")
            t_res[match] = res
    date = t_date.to_numpy()[tm_codes]
    resolution = t_res[tm_codes]
    flag((tm_uniq == "")[tm_codes], "missing time")
    flag(np.isnat(date), lambda w: [f"impossible or unreadable time {time[k]!r} (expected YYYY-MM-DD, "
                                    "YYYY-MM or YYYY)" for k in w])
    # duplicates among rows otherwise valid: the first is kept, later ones flagged
    good = ~bad
    days = date[good].astype("datetime64[D]").astype(np.int64) + (1 << 20)
    key = pd.Series((st_codes[good].astype(np.int64) * max(len(in_uniq), 1) + in_codes[good]) * (1 << 22) + days)
    dup_good = key.duplicated(keep="first").to_numpy()
    if dup_good.any():
        first = pd.Series(line[good]).groupby(key.to_numpy()).transform("first").to_numpy()
        positions = np.flatnonzero(good)[dup_good]
        reason[positions] = [f"duplicate of line {int(f)}" for f in first[dup_good]]
        bad[positions] = True
    flagged = pd.DataFrame({"line": line[bad], "station": station[bad], "indicator": raw_ind[bad],
                            "time": time[bad], "value": raw_value[bad], "units": units[bad],
                            "reason": reason[bad]}, columns=FLAG_COLUMNS)
    ok = ~bad
    ind_ok = indicator[ok]
    domain = {i: INDICATORS[i].domain for i in INDICATORS}
    canonical = {i: INDICATORS[i].unit for i in INDICATORS}
    obs = pd.DataFrame({
        "station": station[ok], "unit": admin[ok], "indicator": ind_ok,
        "domain": pd.Series(ind_ok, dtype=object).map(domain).to_numpy(),
        "time": time[ok], "resolution": resolution[ok], "date": date[ok],
        "value": number[ok] * factor[ok],
        "units": pd.Series(ind_ok, dtype=object).map(canonical).to_numpy(), "line": line[ok]})
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
