"""Benchmark of ``ecociv uncertainty``: a Monte Carlo (Latin hypercube) of the water and land
levers of the Belt, with 1 and 2 dask workers (LocalCluster, one thread each).

The scenario couples ``land_use_change`` (Belt dataset, 2019 -> 2035, the strategy-1 levers) and
``water_allocation`` (the Belt network, the strategy-2 irrigation efficiency; the simulated
cropland per county sets its irrigated crop areas, as in the strategy files; ``--uncoupled``: the
two steps side by side, as measured first); the uncertain targets are

* ``levers.land_use.urban_growth_rate``: triangular(1.0, 1.57, 2.5) %/yr (mode: the Manas basin
  1980-2020 rate used by belt_strategy1_land.yaml; the bounds are illustrative);
* ``levers.water.irrigation_efficiency``: truncated normal(0.70, 0.05) on [0.55, 0.85]
  (illustrative);
* ``levers.water.inflow_scale``: uniform(0.85, 1.15) (dry to wet years; illustrative).

Every sample is a full run of both models (planned and checked by the scenario runner, run in
memory: nothing written; ``--files`` runs each sample into a run folder and reads its files back,
as before). Reported: samples per second of the sampling phase (without the cluster start and the
deterministic run), the median CPU seconds of one sample on its worker, the CPU seconds of the
whole study (this process and its worker processes, cluster start included), and the speed-up
from 1 to 2 workers. ``--repeat R`` runs the worker counts R times, interleaved (1, 2, 1, 2, ...).
The machine is shared: the load average before and after each study is recorded.

Target (Performance): 1,000 samples <= 30 min.

Usage::

    .venv/bin/python benchmarks/bench_uncertainty.py [--samples 1000] [--workers 1 2]
        [--repeat 2] [--files] [--scenario FILE] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parents[1] / "src" / "ecociv" / "data"


def scenario_file(folder: Path, coupled: bool = True) -> Path:
    """Write the benchmark scenario (with its ``uncertainty`` section) into ``folder``;
    ``coupled``: the simulated cropland per county sets the irrigated crop areas of
    ``water_allocation`` (as in the strategy files), so the land levers reach water demand."""
    doc: dict[str, Any] = {
        "name": "bench_water_land", "dataset": "belt", "years": [2035],
        "models": [
            {"id": "land_use_change",
             "inputs": {k: f"dataset:{v}" for k, v in {
                 "land_use": "land_use", "classes": "land_use_classes", "dem": "dem",
                 "slope": "slope", "precipitation": "precipitation_annual", "et0": "et0_annual",
                 "rivers": "rivers", "cities": "cities", "county_seats": "county_seats"}.items()}
             | {"zones": str(DATA / "strategies" / "belt_zone.gpkg")},   # the Belt only, as the strategies
             "params": {"start_year": 2019, "end_year": 2035, "fixed_codes": "4,7", "seed": 2019,
                        "zone_field": "zone"}},
            {"id": "water_allocation", "inputs": {"network": str(DATA / "water" / "belt_network")}},
        ],
        "levers": {"land_use": {"urban_growth_rate": 1.57,
                                "cropland_reduction": {"share": 0.05, "to": 3,
                                                       "where": "low_suitability", "year": 2035}},
                   "water": {"irrigation_efficiency": 0.70}},
        "uncertainty": {"seed": 2026, "parameters": [
            {"target": "levers.land_use.urban_growth_rate", "distribution": "triangular",
             "low": 1.0, "mode": 1.57, "high": 2.5},
            {"target": "levers.water.irrigation_efficiency", "distribution": "truncnorm",
             "mean": 0.70, "sd": 0.05, "low": 0.55, "high": 0.85},
            {"target": "levers.water.inflow_scale", "distribution": "uniform",
             "low": 0.85, "high": 1.15},
        ]},
    }
    if coupled:
        land, water = doc["models"]
        land["inputs"]["report_zones"] = "dataset:units"
        land["params"]["report_zone_field"] = "adcode"
        water["inputs"]["cropland_change"] = "@land_use_change.cropland_area"
    path = folder / "bench_water_land.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    return path


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended (the study's workers)."""
    own, children = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    from ecociv.uncertainty.study import run_study

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--files", action="store_true",
                        help="run each sample into a run folder and read its files (the old path)")
    parser.add_argument("--uncoupled", action="store_true",
                        help="land and water steps not coupled (the scenario measured before)")
    parser.add_argument("--scenario", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "uncertainty.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-unc-") as tmp:
        path = args.scenario or scenario_file(Path(tmp), coupled=not args.uncoupled)
        rows = []
        for repeat in range(args.repeat):
            for workers in args.workers:
                out = Path(tmp) / f"study-{workers}-{repeat}"
                load = os.getloadavg()[0]
                t0, c0 = time.perf_counter(), _cpu()
                result = run_study(path, out, samples=args.samples, method="mc", workers=workers,
                                   in_memory=not args.files, progress=lambda message: print(message, flush=True))
                wall, cpu = time.perf_counter() - t0, _cpu() - c0
                s = result.summary
                rows.append({"workers": workers, "samples": s["runs"], "failed": s["failed"],
                             "files": args.files, "coupled": not args.uncoupled,
                             "sample_seconds": s["sample_seconds"], "wall_seconds": round(wall, 1),
                             "samples_per_second": s["samples_per_second"],
                             "mean_run_seconds": round(s["mean_run_seconds"], 2),
                             "median_run_cpu_seconds": round(s["median_run_cpu_seconds"], 2),
                             "study_cpu_seconds": round(cpu, 1),
                             "load_before": round(load, 1), "load_after": round(os.getloadavg()[0], 1),
                             "started": time.strftime("%H:%M:%S", time.gmtime(time.time() - wall)),
                             "indicators": s["indicators"]})
                print(json.dumps(rows[-1]), flush=True)
                shutil.rmtree(out, ignore_errors=True)
    medians = {}
    for workers in args.workers:
        mine = [r for r in rows if r["workers"] == workers]
        medians[workers] = {
            "samples_per_second": statistics.median(r["samples_per_second"] for r in mine),
            "median_run_cpu_seconds": statistics.median(r["median_run_cpu_seconds"] for r in mine),
            "runs": len(mine)}
    first = medians[args.workers[0]]["samples_per_second"]
    for workers in args.workers[1:]:
        medians[workers]["speedup_vs_first"] = round(medians[workers]["samples_per_second"] / first, 2)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"scenario": str(args.scenario or "generated water+land"),
                                    "rows": rows, "medians": medians}, indent=2))
    print(json.dumps(medians, indent=2))


if __name__ == "__main__":
    main()
