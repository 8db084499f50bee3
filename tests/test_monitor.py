"""``ecociv monitor``: GB 3838-2002 classes at and around the Table 1 limits, the worst-item rule,
GB 3095-2012 annual-mean exceedance, HJ 663-2013 percentiles, carrying-state grades at each
cut-off, flagged observations with their line numbers, Sen's slope / Mann-Kendall on known
series, and the command line end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ecociv.errors import InputError
from ecociv.monitor import carrying, standards
from ecociv.monitor.observations import read_observations
from ecociv.monitor.run import run_monitor
from ecociv.monitor.trend import mann_kendall, sen_slope
from ecociv.monitor.water_quality import item_class


def _csv(path: Path, text: str) -> Path:
    path.write_text(text.strip() + "\n", encoding="utf-8")
    return path


# --- GB 3838-2002 Table 1 -------------------------------------------------------------------

@pytest.mark.parametrize(("indicator", "limits"), [
    ("NH3-N", [0.15, 0.5, 1.0, 1.5, 2.0]),
    ("CODMn", [2, 4, 6, 10, 15]),
    ("BOD5", [3, 3, 4, 6, 10]),
    ("TP", [0.02, 0.1, 0.2, 0.3, 0.4]),
])
def test_gb3838_class_at_and_just_above_each_limit(indicator: str, limits: list[float]) -> None:
    # GB 3838-2002 Table 1: a value equal to the class-k limit is class k (or better when the
    # limits of better classes are equal, e.g. BOD5 I = II = 3); just above is the next class
    # whose limit it meets; above class V is worse than V (6)
    for k, limit in enumerate(limits, start=1):
        at = int(item_class(indicator, limit))
        assert at == min(j for j, lim in enumerate(limits, start=1) if lim >= limit)
        assert at <= k
        above = int(item_class(indicator, limit * 1.001))
        expected = next((j for j, lim in enumerate(limits, start=1) if lim >= limit * 1.001), 6)
        assert above == expected
    assert int(item_class(indicator, 0.0)) == 1
    assert int(item_class(indicator, limits[-1] * 10)) == 6


def test_gb3838_dissolved_oxygen_is_a_minimum() -> None:
    # Table 1 item 3: DO >= 7.5 (I), 6, 5, 3, 2 mg/L
    values = [8.0, 7.5, 7.4, 6.0, 5.0, 4.9, 3.0, 2.0, 1.99]
    assert item_class("DO", values).tolist() == [1, 1, 2, 2, 3, 4, 4, 5, 6]


def test_gb3838_lake_phosphorus_limits() -> None:
    # Table 1 item 8: lakes and reservoirs 0.01, 0.025, 0.05, 0.1, 0.2 mg/L
    assert int(item_class("TP", 0.05, "lake")) == 3
    assert int(item_class("TP", 0.05, "river")) == 2


def test_standards_tables_have_sources_and_status() -> None:
    for table in (standards.gb3095(), standards.gb3838()):
        assert set(table["status"]) <= {"verified", "uncertain", "illustrative"}
        assert table["source"].str.len().min() > 20
    air = standards.gb3095().set_index(["indicator", "averaging", "grade"])["limit"]
    assert air[("PM2.5", "annual", 2)] == 35 and air[("SO2", "24h", 1)] == 50  # GB 3095-2012 Table 1


def test_worst_item_decides_the_station_class(tmp_path: Path) -> None:
    obs = _csv(tmp_path / "o.csv", """
station,indicator,time,value,units
W,COD,2020-05-01,12,mg/L
W,NH3-N,2020-05-01,1.6,mg/L
W,DO,2020-05-01,8,mg/L
W,COD,2020-06-01,12,mg/L
W,NH3-N,2020-06-01,0.1,mg/L
F,fecal_coliform,2020-06-01,30000,count/L
""")
    res = run_monitor(obs)
    samples = res.water_samples[res.water_samples["station"] == "W"].set_index("time")
    assert samples.loc["2020-05-01", "water_class"] == 5  # NH3-N 1.6 > 1.5 (IV) -> V
    assert samples.loc["2020-05-01", "deciding_items"] == "NH3-N"
    assert samples.loc["2020-06-01", "water_class"] == 1
    year = res.water_class.set_index("station").loc["W"]
    assert year["water_class"] == 3  # annual mean NH3-N 0.85 -> III
    assert year["deciding_item"] == "NH3-N"
    assert bool(year["meets_target"])  # no target given: class III, the bulletins' benchmark
    coli = res.evaluations.set_index("place").loc["F"]  # Table 1 item 24: 30000/L is class V
    assert coli["units"] == "count/L" and coli["threshold"] == 10000 and coli["state"] == "overloaded"


# --- GB 3095-2012 / HJ 663-2013 ---------------------------------------------------------------

def _daily(station: str, indicator: str, values: list[float], year: int = 2020) -> str:
    days = np.arange(np.datetime64(f"{year}-01-01"), np.datetime64(f"{year}-01-01") + len(values))
    return "\n".join(f"{station},{indicator},{d},{v},ug/m3" for d, v in zip(days, values, strict=True))


def test_gb3095_annual_mean_exceedance(tmp_path: Path) -> None:
    values = [30.0] * 200 + [41.0] * 166  # mean 35.0 -> meets grade II 35; +1 on a day -> exceeds
    obs = _csv(tmp_path / "o.csv", "station,indicator,time,value,units\n" + _daily("A", "PM2.5", values))
    ev = run_monitor(obs).evaluations
    row = ev[ev["statistic"].str.startswith("annual_mean")].iloc[0]
    assert row["value"] == pytest.approx(np.mean(values)) and row["threshold"] == 35
    assert row["state"] == "near_overload"  # ratio 1.0: at the limit is not an exceedance
    values[0] += 366 * 0.01 + 1
    obs2 = _csv(tmp_path / "o2.csv", "station,indicator,time,value,units\n" + _daily("A", "PM2.5", values))
    ev2 = run_monitor(obs2).evaluations
    assert ev2[ev2["statistic"].str.startswith("annual_mean")].iloc[0]["state"] == "overloaded"


def test_hj663_percentile_and_grade_one(tmp_path: Path) -> None:
    values = [float(v) for v in range(1, 101)]
    obs = _csv(tmp_path / "o.csv", "station,indicator,time,value,units\n" + _daily("A", "SO2", values))
    st = _csv(tmp_path / "s.csv", "station,air_class\nA,1\n")
    ev = run_monitor(obs, st).evaluations.set_index("statistic")
    p98 = ev.loc["P98 vs 24h grade 1"]
    assert p98["value"] == pytest.approx(1 + 99 * 0.98)  # position 1 + (n-1)p, linear
    assert p98["threshold"] == 50  # grade I 24-h SO2
    assert ev.loc["annual_mean vs annual grade 1", "threshold"] == 20


# --- carrying state ---------------------------------------------------------------------------------

def test_grades_at_each_cut_off() -> None:
    water = standards.carrying_thresholds()["water_use"]
    assert carrying.grade([0.89, 0.9, 0.99, 1.0, 1.2], water).tolist() == [0, 1, 1, 2, 2]
    air = standards.carrying_thresholds()["air"]
    assert carrying.grade([0.79, 0.8, 1.0, 1.0001], air).tolist() == [0, 1, 1, 2]
    assert carrying.level("overloaded", True) == "red" and carrying.level("overloaded", False) == "orange"
    assert carrying.level("near_overload", None) == "yellow" and carrying.level("near_overload", False) == "blue"
    assert carrying.level("not_overloaded", True) == ""


def test_water_use_cap_grades_units(tmp_path: Path) -> None:
    obs = _csv(tmp_path / "o.csv", """
station,indicator,time,value,units
U1,water_use,2020,8.9,1e8 m3
U2,water_use,2020,9.0,1e8 m3
U3,water_use,2020,10.0,1e8 m3
U4,water_use,2020,5,1e8 m3
U4,water_use,2021,6,1e8 m3
U5,water_use,2020-01,0.5,1e8 m3
U5,water_use,2020-02,0.6,1e8 m3
""")
    tg = _csv(tmp_path / "t.csv", """
place,indicator,kind,value,units
U1,water_use,cap,10,1e8 m3
U2,water_use,cap,10,1e8 m3
U3,water_use,cap,10,1e8 m3
U4,water_use,cap,5.5,1e8 m3
U5,water_use,cap,10,1e8 m3
""")
    res = run_monitor(obs, targets=tg)
    state = res.carrying_state.set_index(["unit", "year"])["state"]
    assert state[("U1", 2020)] == "not_overloaded"
    assert state[("U2", 2020)] == "near_overload"
    assert state[("U3", 2020)] == "overloaded"
    assert state[("U4", 2020)] == "near_overload" and state[("U4", 2021)] == "overloaded"
    alerts = res.alerts.set_index(["place", "period"])["level"]
    assert alerts[("U4", 2021)] == "red"  # overloaded and rising
    # latest year of each series: U2, U3 (2020) and U4 (2021; its 2020 alert is older)
    assert sum(res.summary["latest_alerts_by_level"].values()) == len(res.alerts) - 1
    assert ("U1", 2020) not in alerts.index
    u5 = res.evaluations.set_index("place").loc["U5"]
    assert u5["value"] == pytest.approx(1.1e8) and u5["note"] == "sum of 2 monthly values"


# --- flagged observations ---------------------------------------------------------------------------

def test_each_bad_observation_is_flagged_with_its_line(tmp_path: Path) -> None:
    obs = _csv(tmp_path / "o.csv", """
station,indicator,time,value,units
A,PM10,2020-01-01,50,ug/m3
A,PM10,2020-01-02,n/a,ug/m3
A,PM10,2020-01-03,-1,ug/m3
A,FOO,2020-01-04,1,ug/m3
A,PM10,2020-01-05,1,ppm
A,PM10,2020-13-01,1,ug/m3
A,PM10,2020-01-01,51,ug/m3
A,PM10,2020-01-06,,ug/m3
,PM10,2020-01-07,3,ug/m3
A,gw_level,2020-01,-3.5,m
""")
    used, flagged = read_observations(obs)
    reasons = dict(zip(flagged["line"], flagged["reason"], strict=True))
    assert reasons[3].startswith("non-numeric")
    assert reasons[4].startswith("negative")
    assert reasons[5].startswith("unknown indicator")
    assert reasons[6].startswith("unknown unit")
    assert reasons[7].startswith("impossible")
    assert reasons[8] == "duplicate of line 2"
    assert reasons[9] == "missing value"
    assert reasons[10] == "missing station"
    assert 11 not in reasons  # a groundwater level may be negative (metres relative to a datum)
    assert len(used) + len(flagged) == 10


def test_unusable_input_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_observations(tmp_path / "missing.csv")
    bad = _csv(tmp_path / "b.csv", "station,indicator,value\nA,PM10,3\n")
    with pytest.raises(InputError, match="missing column"):
        read_observations(bad)


# --- trend ------------------------------------------------------------------------------------------

def test_sen_slope_and_mann_kendall_on_known_series() -> None:
    years = list(range(2000, 2010))
    values = [100.0 - 5 * k for k in range(10)]
    values[3] = 500.0  # one outlier does not move the median slope
    assert sen_slope(years, values) == pytest.approx(-5.0)
    trend = mann_kendall(years, [float(v) for v in range(10)])
    # S = n(n-1)/2 = 45, Var = 10*9*25/18 = 125, Z = 44/sqrt(125) = 3.9354
    assert trend.s == 45 and trend.z == pytest.approx(44 / 125 ** 0.5)
    assert trend.direction() == "increasing"
    flat = mann_kendall(years, [1.0, 2.0] * 5)
    assert flat.direction() == "no trend"


# --- command line -----------------------------------------------------------------------------------

def test_cli_end_to_end_json(tmp_path: Path) -> None:
    obs = _csv(tmp_path / "o.csv", """
station,indicator,time,value,units
L,lake_area,2016,700,km2
L,lake_area,2017,650,km2
L,lake_area,2018,600,km2
W,NH3-N,2020-05,1.2,mg/L
W,NH3-N,2020-06,oops,mg/L
""")
    st = _csv(tmp_path / "s.csv", "station,unit,water_class\nL,652700,\nW,650100,II\n")
    tg = _csv(tmp_path / "t.csv", "place,indicator,kind,value,units\nL,lake_area,floor,800,km2\n")
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "ecociv.cli.main", "monitor", "--observations", str(obs),
                           "--stations", str(st), "--targets", str(tg), "--out", str(out), "--json"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["flagged"] == 1 and summary["alerts_by_level"]["red"] >= 2
    for name in ("alerts.csv", "carrying_state.csv", "flagged.csv", "summary.json", ".ecociv-output.json",
                 "chart.png"):
        assert (out / name).exists()
    assert "\n6,W,NH3-N,2020-06,oops" in (out / "flagged.csv").read_text()  # CSV line 6 (header is line 1)
    state = (out / "carrying_state.csv").read_text()
    assert "652700,2018" in state and "650100,2020" in state
    # a second run into the same folder replaces the earlier output; a foreign file blocks nothing
    (out / "notes.txt").write_text("mine")
    again = subprocess.run([sys.executable, "-m", "ecociv.cli.main", "monitor", "--observations", str(obs),
                            "--out", str(out), "--no-chart"], capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 0, again.stderr
    assert (out / "notes.txt").read_text() == "mine" and not (out / "chart.png").exists()
    missing = subprocess.run([sys.executable, "-m", "ecociv.cli.main", "monitor", "--observations",
                              str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o2")],
                             capture_output=True, text=True, timeout=120, check=False)
    assert missing.returncode == 2 and missing.stderr.startswith("error:")


def test_belt_example_targets_grade_ebinur_lake(tmp_path: Path) -> None:
    # standards_targets_belt.csv: Ebinur Lake floor 800 km2 (uncertain source); 2020 Landsat
    # low of 360 km2 (Terekhov and Abayev 2020) is far below it, 805 km2 (October 2018) just above
    obs = _csv(tmp_path / "o.csv", """
station,indicator,time,value,units
Ebinur Lake,lake_area,2018,805,km2
Ebinur Lake,lake_area,2020,360,km2
""")
    res = run_monitor(obs, default_targets=True)
    state = res.evaluations.set_index("year")["state"]
    assert state[2018] == "near_overload" and state[2020] == "overloaded"
    assert res.summary["targets"] == 3


@pytest.mark.parametrize(("table", "match"), [
    ("station,water_class\nA,VI\n", "line 2, column 'water_class'"),
    ("station,air_class\nA,3\n", "line 2, column 'air_class'"),
    ("station,water_body\nA,sea\n", "line 2, column 'water_body'"),
    ("station\nA\nA\n", "listed twice"),
    ("name\nA\n", "no `station` column"),
])
def test_bad_station_tables_are_refused(tmp_path: Path, table: str, match: str) -> None:
    from ecociv.monitor.observations import read_stations

    with pytest.raises(InputError, match=match):
        read_stations(_csv(tmp_path / "s.csv", table))


@pytest.mark.parametrize(("table", "match"), [
    ("place,indicator,kind,value,units\nL,FOO,cap,1,m3\n", "unknown indicator"),
    ("place,indicator,kind,value,units\nL,lake_area,limit,1,km2\n", "expected cap or floor"),
    ("place,indicator,kind,value,units\nL,lake_area,floor,big,km2\n", "not a number"),
    ("place,indicator,kind,value,units\nL,lake_area,floor,1,kg\n", "not accepted"),
    ("place,indicator,kind,value,units,period\nL,lake_area,floor,1,km2,2020s\n", "expected a year"),
    ("place,indicator,value,units\nL,lake_area,1,km2\n", "missing column"),
])
def test_bad_target_tables_are_refused(tmp_path: Path, table: str, match: str) -> None:
    from ecociv.monitor.observations import read_targets

    with pytest.raises(InputError, match=match):
        read_targets(_csv(tmp_path / "t.csv", table))


def test_cli_module_imports_no_numerical_library() -> None:
    # `ecociv --help` loads every command module: the monitor command keeps pandas/numpy inside
    code = ("import sys, ecociv.cli.monitor_cmd; "
            "print(sorted(m for m in ('numpy', 'pandas', 'matplotlib') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"


def _fake_run(folder: Path) -> Path:
    # the water_allocation output layout (src/ecociv/models/water_allocation/spec.py)
    wa = folder / "water_allocation"
    wa.mkdir(parents=True)
    _csv(wa / "lakes.csv", """
month,lake,inflow_m3,precipitation_m3,evaporation_m3,spill_m3,volume_m3,area_km2,level_m,target_area_km2,below_target
2020-01,ebinur_lake,1,1,1,0,1,560,189,500,False
2020-02,ebinur_lake,1,1,1,0,1,540,189,500,False
2021-01,ebinur_lake,1,1,1,0,1,480,189,500,True
2021-02,ebinur_lake,1,1,1,0,1,470,189,500,True
""")
    _csv(wa / "groundwater.csv", """
year,months,aquifer,basin,unit,recharge_m3,pumping_m3,allowable_abstraction_m3,sustainable_yield_m3,overdraft_m3,storage_end_m3
2020,12,kuitun_aquifer,Kuitun,654202,1,280000000,300000000,300000000,0,1
2021,12,kuitun_aquifer,Kuitun,654202,1,310000000,300000000,300000000,10000000,1
""")
    _csv(wa / "deliveries.csv", """
month,site,sector,priority,basin,unit,demand_m3,delivered_m3,shortage_m3,coverage
2020-01,a,domestic,1,B,650100,10,10,0,1
2020-01,b,industry,2,B,650100,5,4,1,0.8
""")
    return folder


def test_monitoring_a_run(tmp_path: Path) -> None:
    res = run_monitor(None, run=_fake_run(tmp_path / "run"))
    ev = res.evaluations.set_index(["place", "year"])
    # lake: annual mean 550 then 475 km2 against the network's 500 km2 target area
    assert ev.loc[("ebinur_lake", 2020), "value"] == pytest.approx(550.0)
    assert ev.loc[("ebinur_lake", 2020), "state"] == "near_overload"  # 500/550 = 0.91
    assert ev.loc[("ebinur_lake", 2021), "state"] == "overloaded"
    # groundwater pumping against the allowable abstraction of each year
    assert ev.loc[("kuitun_aquifer", 2020), "ratio"] == pytest.approx(280 / 300)
    assert ev.loc[("kuitun_aquifer", 2021), "state"] == "overloaded"
    state = res.carrying_state.set_index(["unit", "year"])["state"]
    assert state[("654202", 2021)] == "overloaded"
    # water use: deliveries summed over the unit's sites in the month (10 + 4 m3)
    tg = _csv(tmp_path / "t.csv", "place,indicator,kind,value,units\n650100,water_use,cap,14,m3\n")
    use = run_monitor(None, targets=tg, run=tmp_path / "run").evaluations.set_index("place").loc["650100"]
    assert use["value"] == pytest.approx(14.0) and use["state"] == "overloaded"  # at the cap (rule ge)
    with pytest.raises(InputError, match="no water_allocation/ folder"):
        run_monitor(None, run=tmp_path)
    with pytest.raises(InputError, match="no observations"):
        run_monitor(None)
