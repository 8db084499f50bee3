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
    grade_of = stations["air_class"].to_dict() if len(stations) else {}
    by_indicator = dict(tuple(obs.groupby("indicator", sort=False)))
    out = []
    for ind, sub in by_indicator.items():
        codes, names = pd.factorize(sub["station"])
        years = sub["year"].to_numpy()
        values = sub["value"].to_numpy()
        daily = (sub["resolution"] == "day").to_numpy()
        key = [codes, years]
        n_days = pd.Series(values[daily]).groupby([codes[daily], years[daily]]).size()
        for rec in rules[rules["indicator"] == ind].to_dict("records"):
            if rec["statistic"] == "mean":
                stat = pd.Series(values).groupby(key).mean()
            else:
                if not daily.any():
                    continue
                stat = pd.Series(values[daily]).groupby([codes[daily], years[daily]]).quantile(
                    float(rec["percentile"]) / 100.0)
            part = pd.DataFrame({"station": names[stat.index.get_level_values(0)],
                                 "indicator": ind, "year": stat.index.get_level_values(1).to_numpy(),
                                 "value": stat.to_numpy()})
            part["grade"] = [int(grade_of.get(st, 2)) for st in part["station"]]
            part["statistic"] = (f"P{int(rec['percentile'])}" if rec["statistic"] == "percentile"
                                 else "annual_mean")
            part["against"] = rec["against"]
            part["n_days"] = n_days.reindex(stat.index).fillna(0).astype(int).to_numpy()
            part["limit"] = [limits.get((ind, rec["against"], g), float("nan")) for g in part["grade"]]
            out.append(part)
    if not out:
        return pd.DataFrame(columns=columns)
    result = pd.concat(out, ignore_index=True)
    result["units"] = result["indicator"].map({"CO": "mg/m3"}).fillna("ug/m3")
    result["complete"] = result["n_days"] >= MIN_DAYS
    return result[columns]
