"""Time ``ecociv monitor`` on a synthetic network: STATIONS air stations × YEARS years of daily
values of the six GB 3095 pollutants, as many surface-water stations with monthly samples of six
GB 3838 items, plus a lake-area and a water-use series per unit. Prints the seconds (wall and CPU) of reading
and checking the CSV, of the evaluation and of writing the outputs (target of the institutional
layer: 10 s). Usage: ``python benchmarks/bench_monitor.py [STATIONS] [YEARS]``."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ecociv.monitor.run import run_monitor, write


def make(folder: Path, stations: int, years: int) -> tuple[Path, Path, Path]:
    rng = np.random.default_rng(1)
    days = pd.date_range("2015-01-01", periods=365 * years, freq="D").strftime("%Y-%m-%d").to_numpy()
    air = {"SO2": 15, "NO2": 35, "PM10": 80, "PM2.5": 40, "CO": 1.2, "O3": 110}
    parts = []
    for ind, mean in air.items():
        st = np.repeat([f"A{k:03d}" for k in range(stations)], len(days))
        values = rng.gamma(4.0, mean / 4.0, size=st.size).round(2)
        parts.append(pd.DataFrame({"station": st, "indicator": ind, "time": np.tile(days, stations),
                                   "value": values, "units": "mg/m3" if ind == "CO" else "ug/m3"}))
    months = pd.period_range("2015-01", periods=12 * years, freq="M").strftime("%Y-%m").to_numpy()
    water = {"COD": 18, "NH3-N": 0.8, "TP": 0.15, "DO": 6.5, "CODMn": 5, "BOD5": 3.5}
    for ind, mean in water.items():
        st = np.repeat([f"W{k:03d}" for k in range(stations)], len(months))
        parts.append(pd.DataFrame({"station": st, "indicator": ind, "time": np.tile(months, stations),
                                   "value": rng.gamma(6.0, mean / 6.0, size=st.size).round(3), "units": "mg/L"}))
    yrs = np.arange(2015, 2015 + years).astype(str)
    units = [f"U{k:02d}" for k in range(max(1, stations // 10))]
    for ind, base, unit in (("water_use", 9.0, "1e8 m3"), ("lake_area", 700.0, "km2")):
        st = np.repeat(units, years)
        parts.append(pd.DataFrame({"station": st, "indicator": ind, "time": np.tile(yrs, len(units)),
                                   "value": (base * rng.normal(1, 0.08, size=st.size)).round(2), "units": unit}))
    obs = pd.concat(parts, ignore_index=True)
    obs.to_csv(folder / "obs.csv", index=False)
    pd.DataFrame({"station": [f"A{k:03d}" for k in range(stations)] + [f"W{k:03d}" for k in range(stations)],
                  "unit": [f"U{k % len(units):02d}" for k in range(stations)] * 2,
                  "water_class": [""] * stations + ["III"] * stations}).to_csv(folder / "stations.csv", index=False)
    pd.DataFrame({"place": units * 2, "indicator": ["water_use"] * len(units) + ["lake_area"] * len(units),
                  "kind": ["cap"] * len(units) + ["floor"] * len(units),
                  "value": [10.0] * len(units) + [650.0] * len(units),
                  "units": ["1e8 m3"] * len(units) + ["km2"] * len(units)}).to_csv(folder / "targets.csv", index=False)
    return folder / "obs.csv", folder / "stations.csv", folder / "targets.csv"


def main() -> None:
    stations = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    years = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        obs, st, tg = make(folder, stations, years)
        rows = sum(1 for _ in obs.open()) - 1
        start, cpu0 = time.perf_counter(), time.process_time()
        result = run_monitor(obs, st, tg)
        evaluated, cpu1 = time.perf_counter(), time.process_time()
        (folder / "out").mkdir()
        write(result, folder / "out")
        done, cpu2 = time.perf_counter(), time.process_time()
    print(f"{stations} stations x {years} years: {rows:,} observations")
    print(f"read, check and evaluate: {evaluated - start:.2f} s; write: {done - evaluated:.2f} s; "
          f"total {done - start:.2f} s wall (target <= 10 s)")
    print(f"CPU time of this process: evaluate {cpu1 - cpu0:.2f} s, write {cpu2 - cpu1:.2f} s "
          "(wall time grows when other processes share the cores)")
    print(f"alerts {len(result.alerts):,}, carrying-state rows {len(result.carrying_state):,}, "
          f"flagged {len(result.flagged):,}")


if __name__ == "__main__":
    main()
