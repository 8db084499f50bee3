"""Annual evaluation of ambient air quality after HJ 663-2013 against GB 3095-2012 Table 1: the
annual mean of the daily values (SO2, NO2, PM10, PM2.5) against the annual limit, and a
percentile of the daily values against the 24-hour limit (98th for SO2 and NO2, 95th for PM10,
PM2.5 and CO, 90th of the daily maximum 8-hour O3 against its 8-hour limit; the statistics are
data in standards_air_evaluation.csv). Percentiles are by linear interpolation between the
ranked values (position 1 + (n - 1) p). A daily O3 value is read as the day's maximum 8-hour
mean. A year with fewer than 324 daily values is evaluated and marked incomplete (GB 3095-2012
section 8 asks for at least 324 daily means a year: recalled, marked uncertain)."""

from __future__ import annotations

from typing import Any

from ecociv.monitor import standards

#: daily values a year needs to count as complete (GB 3095-2012 section 8; uncertain)
MIN_DAYS = 324


def evaluate(obs: Any, stations: Any) -> Any:
    """Rows of (station, indicator, year, statistic, against, value, n_days, grade, limit,
    units, complete) for the air observations ``obs`` (canonical units)."""
    import pandas as pd

    columns = ["station", "indicator", "year", "statistic", "against", "value", "n_days", "grade", "limit",
               "units", "complete"]
    if obs.empty:
        return pd.DataFrame(columns=columns)
    limits = standards.gb3095().set_index(["indicator", "averaging", "grade"])["limit"]
    rules = standards.air_evaluation()
    grade = obs["station"].map(stations["air_class"]).fillna(2).astype(int) if len(stations) else 2
    frame = obs.assign(grade=grade)
    keys = ["station", "indicator", "year", "grade"]
    daily = frame[frame["resolution"] == "day"]
    n_days = daily.groupby(keys)["value"].size()
    all_by = dict(tuple(frame.groupby("indicator", sort=False)))
    daily_by = dict(tuple(daily.groupby("indicator", sort=False)))
    out = []
    for rec in rules.to_dict("records"):
        ind = rec["indicator"]
        if rec["statistic"] == "mean":
            if ind not in all_by:
                continue
            stat = all_by[ind].groupby(keys)["value"].mean()
        else:
            if ind not in daily_by:
                continue
            stat = daily_by[ind].groupby(keys)["value"].quantile(float(rec["percentile"]) / 100.0)
        if stat.empty:
            continue
        part = stat.rename("value").reset_index()
        part["statistic"] = (f"P{int(rec['percentile'])}" if rec["statistic"] == "percentile" else "annual_mean")
        part["against"] = rec["against"]
        part["n_days"] = n_days.reindex(pd.MultiIndex.from_frame(part[keys])).fillna(0).astype(int).to_numpy()
        part["limit"] = [limits.get((ind, rec["against"], g), float("nan")) for g in part["grade"]]
        out.append(part)
    if not out:
        return pd.DataFrame(columns=columns)
    result = pd.concat(out, ignore_index=True)
    result["units"] = result["indicator"].map({"CO": "mg/m3"}).fillna("ug/m3")
    result["complete"] = result["n_days"] >= MIN_DAYS
    return result[columns]
