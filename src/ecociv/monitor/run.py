"""``run_monitor``: observations in, evaluations, carrying states, alerts, flagged rows and a
summary out (all pandas tables; :func:`write` saves them)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecociv.errors import InputError
from ecociv.monitor import air_quality, carrying, standards, water_quality
from ecociv.monitor.indicators import INDICATORS
from ecociv.monitor.observations import read_observations, read_stations, read_targets
from ecociv.monitor.trend import mann_kendall

CHECK_COLUMNS = ["place", "unit", "element", "group", "indicator", "statistic", "year", "value", "threshold",
                 "units", "ratio", "state", "standard", "note"]
ALERT_COLUMNS = ["place", "unit", "indicator", "statistic", "period", "level", "state", "value", "threshold",
                 "units", "ratio", "trend", "message"]


@dataclass
class MonitorResult:
    """Tables of one monitoring run (see docs/monitor.md for their columns)."""

    evaluations: Any
    water_class: Any
    water_samples: Any
    trends: Any
    carrying_state: Any
    alerts: Any
    flagged: Any
    summary: dict[str, Any] = field(default_factory=dict)


def _empty_stations() -> Any:
    import pandas as pd

    return pd.DataFrame(columns=["unit", "basin", "water_class", "water_body", "air_class"]).rename_axis("station")


def _unit_of(places: Any, stations: Any, obs_units: dict[str, str]) -> Any:
    unit_map = {**obs_units, **({str(k): str(v) for k, v in stations["unit"].items() if v} if len(stations) else {})}
    return places.map(lambda p: unit_map.get(p) or p)


def _air_checks(air_obs: Any, stations: Any) -> Any:
    import pandas as pd

    air = air_quality.evaluate(air_obs, stations)
    if air.empty:
        return pd.DataFrame(columns=CHECK_COLUMNS)
    note = air["complete"].map({True: "", False: f"fewer than {air_quality.MIN_DAYS} daily values"})
    return pd.DataFrame({
        "place": air["station"], "element": "environment", "group": "air", "indicator": air["indicator"],
        "statistic": air["statistic"] + " vs " + air["against"] + " grade " + air["grade"].astype(str),
        "year": air["year"], "value": air["value"], "threshold": air["limit"], "units": air["units"],
        "ratio": air["value"] / air["limit"], "standard": "GB 3095-2012 Table 1; HJ 663-2013", "note": note})


def _water_checks(years: Any) -> Any:
    import pandas as pd

    if years.empty:
        return pd.DataFrame(columns=CHECK_COLUMNS)
    roman = water_quality.ROMAN
    return pd.DataFrame({
        "place": years["station"], "element": "environment", "group": "surface_water",
        "indicator": years["ratio_item"],
        "statistic": "annual mean vs class " + years["target_class"].map(roman) + " (station class " +
                     years["class_name"] + ", deciding " + years["deciding_item"].astype(str) + ")",
        "year": years["year"], "value": years["ratio_value"], "threshold": years["ratio_limit"],
        "units": years["ratio_item"].map(lambda i: INDICATORS[i].unit if i in INDICATORS else ""),
        "ratio": years["ratio"], "standard": "GB 3838-2002 Table 1", "note": ""})


def _target_checks(obs: Any, targets: list[dict[str, Any]]) -> Any:
    import pandas as pd

    rows = []
    wanted = {tg["indicator"] for tg in targets}
    by_indicator = {str(k): g for k, g in obs.groupby("indicator", sort=False) if k in wanted} if targets else {}
    for tg in targets:
        ind = tg["indicator"]
        if ind not in by_indicator:
            continue
        pool = by_indicator[ind]
        sub = pool[pool["station"] == tg["place"]]
        if sub.empty:
            sub = pool[pool["unit"] == tg["place"]]
        if sub.empty:
            continue
        domain = str(sub["domain"].iloc[0])
        how = "sum" if domain == "water_use" else "mean"
        annual = sub.groupby("year")["value"].agg(how)
        monthly = sub[sub["resolution"] == "month"].groupby("year")["date"].nunique()
        if tg["period"] is not None:
            annual = annual[annual.index == tg["period"]]
        group = {"water_use": "water_use", "groundwater": "groundwater", "lake": "lake_area"}.get(domain, domain)
        for year, value in annual.items():
            ratio = value / tg["value"] if tg["kind"] == "cap" else (
                tg["value"] / value if value > 0 else float("inf"))
            rows.append({"place": tg["place"], "element": carrying.ELEMENT[group], "group": group, "indicator": ind,
                         "statistic": f"annual {how} vs {tg['kind']}", "year": int(year), "value": float(value),
                         "threshold": tg["value"], "units": tg["units"], "ratio": ratio,
                         "standard": f"target ({tg['status']})" + (f": {tg['source']}" if tg["source"] else ""),
                         "note": (f"sum of {int(monthly[year])} monthly values" if how == "sum" and
                                  0 < monthly.get(year, 0) < 12 else "")})
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)


def _trends(obs: Any) -> Any:
    import pandas as pd

    sub = obs
    rows = []
    for (place, ind, domain), group in sub.groupby(["station", "indicator", "domain"]):
        annual = group.groupby("year")["value"].agg("sum" if domain == "water_use" else "mean")
        if len(annual) < 2:
            continue
        tr = mann_kendall([float(y) for y in annual.index], [float(v) for v in annual.to_numpy()])
        rows.append({"place": place, "indicator": ind, "first_year": int(annual.index.min()),
                     "last_year": int(annual.index.max()), "n_years": tr.n, "sen_slope_per_year": tr.slope,
                     "mk_s": tr.s, "mk_z": tr.z, "mk_p": tr.p, "direction": tr.direction(),
                     "units": str(group["units"].iloc[0])})
    return pd.DataFrame(rows, columns=["place", "indicator", "first_year", "last_year", "n_years",
                                       "sen_slope_per_year", "mk_s", "mk_z", "mk_p", "direction", "units"])


def _grade_checks(checks: Any) -> Any:
    import numpy as np

    thresholds = standards.carrying_thresholds()
    state = np.zeros(len(checks), dtype=int)
    for group, idx in checks.groupby("group").groups.items():
        pos = checks.index.get_indexer(idx)
        state[pos] = carrying.grade(checks["ratio"].to_numpy(dtype=float)[pos], thresholds[str(group)])
    checks["state"] = [carrying.STATES[s] for s in state]
    return checks


def _alerts(checks: Any) -> Any:
    import numpy as np
    import pandas as pd

    from ecociv.monitor.trend import sen_slope

    rows = []
    ordered = checks.sort_values("year", kind="stable").reset_index(drop=True)
    cols = {c: ordered[c].to_numpy() for c in ("place", "unit", "indicator", "statistic", "year", "value",
                                                 "threshold", "units", "ratio", "state")}
    hot = cols["state"] != "not_overloaded"
    if not hot.any():
        return pd.DataFrame(columns=ALERT_COLUMNS)
    for _key, idx in ordered.groupby(["place", "indicator", "statistic"], sort=False).indices.items():
        if not hot[idx].any():
            continue
        years = cols["year"][idx].astype(float)
        ratios = cols["ratio"][idx].astype(float)
        for pos, k in enumerate(idx):
            if not hot[k]:
                continue
            if pos < 1:
                worsening, trend = None, "unknown (first year)"
            else:
                slope = sen_slope(years[: pos + 1].tolist(), ratios[: pos + 1].tolist())
                worsening = bool(slope > 0)
                trend = f"{'worsening' if worsening else 'easing'} (Sen slope {slope:+.3g} of the ratio per year)"
            state = str(cols["state"][k])
            message = (f"{cols['place'][k]}: {cols['indicator'][k]} {cols['statistic'][k]} {cols['value'][k]:.4g} "
                       f"{cols['units'][k]} against {cols['threshold'][k]:.4g} (ratio {cols['ratio'][k]:.3g}) in "
                       f"{cols['year'][k]}: {carrying.STATES_ZH[state]} {state.replace('_', ' ')}")
            rows.append((cols["place"][k], cols["unit"][k], cols["indicator"][k], cols["statistic"][k],
                         cols["year"][k], carrying.level(state, worsening), state, cols["value"][k],
                         cols["threshold"][k], cols["units"][k], cols["ratio"][k], trend, message))
    frame = pd.DataFrame(rows, columns=ALERT_COLUMNS)
    order = {"red": 0, "orange": 1, "yellow": 2, "blue": 3}
    rank = frame["level"].map(order).to_numpy()
    frame = frame.iloc[np.lexsort((-frame["ratio"].to_numpy(dtype=float), rank))].reset_index(drop=True)
    return frame


def _latest(alerts: Any) -> Any:
    """The alerts of the last year each place, indicator and statistic was evaluated in."""
    if alerts.empty:
        return alerts
    last = alerts.groupby(["place", "indicator", "statistic"])["period"].transform("max")
    return alerts[alerts["period"] == last]


def _carrying_state(checks: Any) -> Any:
    import pandas as pd

    columns = ["unit", "year", "water_resources", "environment", "ecology", "state", "state_zh", "driver"]
    if checks.empty:
        return pd.DataFrame(columns=columns)
    rank = checks["state"].map({s: k for k, s in enumerate(carrying.STATES)})
    frame = checks.assign(rank=rank).sort_values(["rank", "ratio"], ascending=False)
    element = frame.groupby(["unit", "year", "element"])["rank"].max().unstack("element")
    out = pd.DataFrame(index=element.index)
    for name in ("water_resources", "environment", "ecology"):
        col = element[name] if name in element.columns else pd.Series(float("nan"), index=element.index)
        out[name] = col.map(lambda r: carrying.STATES[int(r)] if r == r else "not_assessed")
    worst = frame.drop_duplicates(["unit", "year"]).set_index(["unit", "year"])
    out["state"] = [carrying.STATES[int(r)] for r in worst["rank"].reindex(out.index)]
    out["state_zh"] = out["state"].map(carrying.STATES_ZH)
    drivers = worst.reindex(out.index)
    out["driver"] = (drivers["place"] + " " + drivers["indicator"] + " ratio " +
                     drivers["ratio"].map(lambda r: f"{r:.3g}")).where(out["state"] != "not_overloaded", "")
    return out.reset_index()[columns]


def _read_all(observations: Path | None, run: Path | None) -> tuple[Any, Any, list[dict[str, Any]]]:
    import pandas as pd

    from ecociv.monitor.from_run import from_run
    from ecociv.monitor.observations import check_observations

    if observations is None and run is None:
        raise InputError("no observations: give an observation table, a run folder, or both")
    obs_parts: list[Any] = []
    flag_parts: list[Any] = []
    run_targets: list[dict[str, Any]] = []
    if observations is not None:
        obs, flagged = read_observations(Path(observations))
        obs_parts.append(obs)
        flag_parts.append(flagged.assign(file=str(observations)))
    if run is not None:
        frame, run_targets = from_run(Path(run))
        label = f"{run}/water_allocation (long format)"
        obs, flagged = check_observations(frame, label)
        obs_parts.append(obs)
        flag_parts.append(flagged.assign(file=label))
    return (pd.concat(obs_parts, ignore_index=True), pd.concat(flag_parts, ignore_index=True), run_targets)


def run_monitor(observations: Path | None, stations: Path | None = None, targets: Path | None = None,
                *, default_targets: bool = False, run: Path | None = None) -> MonitorResult:
    """Evaluate observations against the standards, the targets and the carrying-state cut-offs.

    Parameters
    ----------
    observations : Path or None
        Long-format CSV (see :mod:`ecociv.monitor.observations`).
    stations : Path, optional
        Station table (unit, basin, water_class, water_body, air_class).
    targets : Path, optional
        Targets and red lines (place, indicator, kind cap|floor, value, units[, period]).
    default_targets : bool
        Also use the example Belt targets (standards_targets_belt.csv) when ``targets`` is None.
    run : Path, optional
        A finished run folder: its ``water_allocation`` lake areas, water use per unit and
        groundwater pumping are monitored too, with the run's lake target areas and allowable
        abstractions as targets (:mod:`ecociv.monitor.from_run`).

    Returns
    -------
    MonitorResult
    """
    import pandas as pd

    start = time.perf_counter()
    obs, flagged, run_targets = _read_all(observations, run)
    st = read_stations(Path(stations)) if stations is not None else _empty_stations()
    if targets is not None:
        tg = read_targets(Path(targets))
    elif default_targets:
        from importlib.resources import as_file

        with as_file(standards.default_targets_path()) as path:
            tg = read_targets(Path(path))
    else:
        tg = []
    tg = [*tg, *run_targets]
    unknown = sorted(set(obs["station"]) - set(st.index)) if len(st) else []
    by_domain = {str(k): g for k, g in obs.groupby("domain", sort=False)}
    empty = obs.iloc[:0]
    samples, years = water_quality.classify(by_domain.get("surface_water", empty), st)
    other = [g for d, g in by_domain.items() if d not in ("air", "surface_water")]
    levels = pd.concat(other) if other else empty
    parts = [p for p in (_air_checks(by_domain.get("air", empty), st), _water_checks(years),
                         _target_checks(levels, tg)) if not p.empty]
    checks = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=CHECK_COLUMNS)
    pairs = obs.loc[obs["unit"] != "", ["station", "unit"]].drop_duplicates("station")
    obs_units = dict(zip(pairs["station"], pairs["unit"], strict=True))
    checks["unit"] = _unit_of(checks["place"].astype(str), st, obs_units)
    checks = _grade_checks(checks)[CHECK_COLUMNS]
    alerts = _alerts(checks)
    state = _carrying_state(checks)
    trends = _trends(levels)
    summary = {
        "observations_read": int(len(obs) + len(flagged)), "observations_used": len(obs),
        "flagged": len(flagged),
        "flagged_by_reason": {k: int(v) for k, v in flagged["reason"].str.replace(
            r" '.*| of line .*|\(.*", "", regex=True).str.strip().value_counts().items()},
        "stations": int(obs["station"].nunique()), "stations_not_in_station_table": unknown[:20],
        "indicators": sorted(obs["indicator"].unique().tolist()),
        "years": [int(obs["year"].min()), int(obs["year"].max())] if len(obs) else [],
        "evaluations": len(checks),
        "alerts_by_level": {k: int(v) for k, v in alerts["level"].value_counts().items()},
        "latest_alerts_by_level": {k: int(v) for k, v in _latest(alerts)["level"].value_counts().items()},
        "carrying_state_counts": {k: int(v) for k, v in state["state"].value_counts().items()},
        "overloaded_units": sorted(state.loc[state["state"] == "overloaded", "unit"].astype(str).unique().tolist()),
        "water_class_counts": {water_quality.ROMAN[int(k)]: int(v) for k, v in
                               years["water_class"].value_counts().sort_index().items()} if len(years) else {},
        "targets": len(tg),
        "standards": {"air": "GB 3095-2012 Table 1 (verified)", "air_statistics": "HJ 663-2013 (percentiles uncertain)",
                      "surface_water": "GB 3838-2002 Table 1 (verified)",
                      "carrying_thresholds": "illustrative (standards_carrying_thresholds.csv)",
                      "alert_levels": "uncertain (red/orange/yellow/blue from grade and trend)"},
        "seconds": round(time.perf_counter() - start, 3),
    }
    return MonitorResult(evaluations=checks, water_class=years, water_samples=samples, trends=trends,
                         carrying_state=state, alerts=alerts, flagged=flagged, summary=summary)


def write(result: MonitorResult, folder: Path, *, chart: bool = True) -> list[str]:
    """Write the tables as CSV, the summary as JSON and (``chart``) ``chart.png`` into ``folder``
    (which must exist); returns the names written."""
    names = {"alerts.csv": result.alerts, "carrying_state.csv": result.carrying_state,
             "flagged.csv": result.flagged, "evaluations.csv": result.evaluations,
             "water_class.csv": result.water_class, "water_samples.csv": result.water_samples,
             "trends.csv": result.trends}
    for name, frame in names.items():
        frame.to_csv(folder / name, index=False)
    (folder / "summary.json").write_text(json.dumps(result.summary, indent=2, ensure_ascii=False) + "\n",
                                         encoding="utf-8")
    written = [*names, "summary.json"]
    if chart:
        from ecociv.monitor.chart import draw

        if draw(result.evaluations, folder / "chart.png"):
            written.append("chart.png")
    return written
