"""One ``ecociv model run`` on local threads and on a ``dask.distributed`` LocalCluster of 1 and 2
worker processes (``--scheduler tcp://...``): wall time, CPU of the client and of the workers,
and whether the outputs are identical.

The inputs are those of ``bench_scaling.py`` (a model of the Belt demo, its rasters resampled
onto an N × N grid of one input kind; written there if missing). Each round runs the three
set-ups in turn (threads, 1 worker, 2 workers), so they see the same load; a cluster is started
before its run (not timed: a user's cluster is already up) and closed after it. Workers have one
thread each (``threads_per_worker=1``), so "2 workers" uses both cores through two processes.
Every raster output of a cluster run is compared cell by cell with the threaded run of the same
round, and every table to 1e-12 (sums over chunks may be added in another order). Results:
``benchmarks/results/distributed.json``.

Usage::

    python benchmarks/bench_distributed.py --model water_yield --size 4000 --kind albers --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import bench_scaling as scaling  # noqa: E402
from bench_water_yield import machine_info, measure  # noqa: E402

RESULTS = HERE / "results" / "distributed.json"


def _workers_cpu(cluster: Any) -> float:
    """CPU seconds (user + sys) used so far by the cluster's worker processes."""
    import psutil

    total = 0.0
    for worker in cluster.workers.values():
        process = getattr(worker, "process", None)
        pid = getattr(getattr(process, "process", None), "pid", None)
        if pid is None:
            continue
        try:
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
        except psutil.NoSuchProcess:
            pass
    return total


def same_outputs(a: Path, b: Path) -> dict[str, Any]:
    """Largest difference between the rasters and tables of two output folders."""
    import numpy as np
    import pandas as pd
    import rasterio

    report: dict[str, Any] = {"rasters": {}, "tables": {}}
    for path in sorted(a.glob("*.tif")):
        with rasterio.open(path) as x, rasterio.open(b / path.name) as y:
            u, v = x.read(), y.read()
        both = ~(np.isnan(u) | np.isnan(v)) if u.dtype.kind == "f" else np.ones(u.shape, bool)
        report["rasters"][path.name] = {
            "identical": bool(np.array_equal(u, v, equal_nan=u.dtype.kind == "f")),
            "max_abs_diff": float(np.max(np.abs(u[both].astype(float) - v[both]), initial=0.0))}
    for path in sorted(a.glob("*.csv")):
        x, y = pd.read_csv(path), pd.read_csv(b / path.name)
        numeric = x.select_dtypes("number").columns
        diff = (x[numeric] - y[numeric]).abs() / x[numeric].abs().clip(lower=1e-300)
        report["tables"][path.name] = {"same_shape": x.shape == y.shape,
                                       "max_rel_diff": float(np.nanmax(diff.to_numpy(), initial=0))}
    report["ok"] = (all(r["identical"] for r in report["rasters"].values())
                    and all(t["same_shape"] and t["max_rel_diff"] <= 1e-12
                            for t in report["tables"].values()))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="water_yield")
    parser.add_argument("--size", type=int, default=4000)
    parser.add_argument("--kind", choices=sorted(scaling.KINDS), default="albers")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="override a parameter of the demo's step")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--src", type=Path, default=ROOT / "src")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    import distributed

    src = args.src.resolve()
    step = scaling.demo_steps(src)[args.model]
    for item in args.param:
        key, _, value = item.partition("=")
        step["params"][key] = value
    work = scaling.WORK / "distributed"
    env = {**os.environ, "PYTHONPATH": str(src)}
    record: dict[str, Any] = {"machine": machine_info(None), "model": args.model, "n": args.size,
                              "kind": args.kind, "params": step["params"],
                              "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
                              "runs": {"threads": [], "workers_1": [], "workers_2": []}}
    for i in range(args.repeats):
        for setup in ("threads", "workers_1", "workers_2"):
            out = work / f"{setup}_{i}"
            if out.exists():
                shutil.rmtree(out)
            cmd = scaling.command(args.model, step, args.kind, args.size, out)
            cluster = None
            if setup != "threads":
                cluster = distributed.LocalCluster(
                    n_workers=int(setup[-1]), threads_per_worker=1, processes=True,
                    dashboard_address=None, env={"PYTHONPATH": str(src)})
                cmd += ["--scheduler", cluster.scheduler_address]
            before = _workers_cpu(cluster) if cluster else 0.0
            load = [round(x, 2) for x in os.getloadavg()]
            result = measure(cmd, log=work / f"{setup}_{i}.log", env=env)
            result["workers_cpu_s"] = round(_workers_cpu(cluster) - before, 2) if cluster else 0.0
            result["loadavg_at_start"] = load
            if cluster is not None:
                cluster.close()
                result["outputs_vs_threads"] = same_outputs(work / f"threads_{i}", out)
            record["runs"][setup].append(result)
            print(f"round {i + 1} {setup}: {result['wall_s']:.1f} s wall, client CPU "
                  f"{result['user_s'] + result['sys_s']:.1f} s, workers CPU "
                  f"{result['workers_cpu_s']:.1f} s, load {load}"
                  + (f", outputs identical: {result['outputs_vs_threads']['ok']}"
                     if cluster is not None else ""), flush=True)
        for setup in ("workers_1", "workers_2"):
            shutil.rmtree(work / f"{setup}_{i}", ignore_errors=True)
        shutil.rmtree(work / f"threads_{i}", ignore_errors=True)
    summary = {}
    for setup, runs in record["runs"].items():
        summary[setup] = {"wall_median_s": round(statistics.median(r["wall_s"] for r in runs), 2),
                          "cpu_median_s": round(statistics.median(
                              r["user_s"] + r["sys_s"] + r["workers_cpu_s"] for r in runs), 2)}
    one, two = record["runs"]["workers_1"], record["runs"]["workers_2"]
    summary["speedup_1_to_2_workers_per_round"] = [round(a["wall_s"] / b["wall_s"], 2)
                                                   for a, b in zip(one, two, strict=True)]
    summary["outputs_identical"] = all(r["outputs_vs_threads"]["ok"] for r in one + two)
    record["summary"] = summary
    record["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=1))
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
