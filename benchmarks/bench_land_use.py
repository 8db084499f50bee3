"""Benchmark of the ``land_use_change`` cellular automaton (allocation.py, ca_loops.py).

For each N (default 1000, 2500, 5000) the script runs, in a fresh process per run,

1. a synthetic landscape of N × N cells and 7 classes (thresholds of a smoothed random field:
   patches, never white noise), suitability surfaces (smoothed random fields, float32) and a
   demand that moves ~0.5 % of the map per year (cropland +0.3 %, built-up +0.2 %, forest
   +0.05 % taken from grassland and unused land): the inputs of the allocation, not timed;
2. ``--steps`` annual steps (default 10) exactly as the model's year loop does them: the
   feasibility check (max-flow LP per zone) then :func:`allocate_step`, timed together;
3. a check that every year's demand is met exactly (else the run fails), so a fast but wrong
   run cannot pass.

Peak memory is the process's peak RSS (``ru_maxrss`` of the child, which includes the inputs:
the landscape (1 byte/cell), the suitability (28 bytes/cell) and the generator's
temporaries). Each configuration runs ``--repeats`` times after one warm-up run that compiles
numba's cached code; the median is reported. The machine is shared: the load average is
recorded before each configuration.

Target (issue 12): 5000 × 5000 cells, 7 classes, 10 annual steps ≤ 60 s on 2 cores, ≤ 2 GB.

With ``--model-sizes`` the whole model is also timed from files (``execute.run_model``, as
``ecociv model run``: reading and checking the inputs, drivers, logistic suitability trained on
the changed cells, Markov demand, the automaton, COG/CSV writing) on the same landscape with an
earlier map (~1 % younger cropland/built-up), written once under ``benchmarks/_work/``.

Usage::

    .venv/bin/python benchmarks/bench_land_use.py [--sizes 1000 2500 5000] [--steps 10]
        [--repeats 3] [--step-sizes 2500:5,10,20] [--model-sizes 1000 2500]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "land_use.json"
K = 7
SEED = 20261203
#: annual change as a share of the map: + for growing classes, - for those giving cells
#: (0 cropland, 1 forest, 2 grassland, 3 water, 4 built-up, 5 unused, 6 snow/ice)
CHANGE = (0.003, 0.0005, -0.002, 0.0, 0.002, -0.0035, 0.0)


def _landscape(n: int) -> tuple[Any, Any]:
    """Class map (int8) and suitability (float32, k × n × n) from smoothed random fields
    (bilinear zoom of a coarse field: cheap at 5000² and spatially coherent)."""
    import numpy as np
    from scipy import ndimage

    rng = np.random.default_rng(SEED)

    def field(coarse: int) -> Any:
        small = rng.random((coarse, coarse)).astype(np.float32)
        return ndimage.zoom(small, n / coarse, order=1)[:n, :n]

    base = field(60)
    edges = np.quantile(base[:: max(1, n // 500), :: max(1, n // 500)],
                        np.linspace(0, 1, K + 1)[1:-1])
    cls = np.digitize(base, edges).astype(np.int8)
    del base
    prob = np.empty((K, n, n), np.float32)
    for k in range(K):
        prob[k] = field(40)
    return cls, prob


def _child(n: int, steps: int) -> dict[str, Any]:
    import numpy as np

    from ecociv.models.land_use_change.allocation import (
        Neighbourhood,
        PatchSettings,
        allocate_step,
        feasibility,
        zone_areas,
    )

    cls, prob = _landscape(n)
    area = zone_areas(cls, None, 1, K)
    cells = n * n
    conversion = np.ones((K, K), bool)
    conversion[:, 6] = False            # no new snow/ice
    conversion[3, :] = False            # water stays water
    conversion[3, 3] = True
    neighbourhood = Neighbourhood(3, np.array([1, 1, 1, 1e-5, 1, 1, 1]))
    patch = PatchSettings(seed_coefficient=np.full(K, 0.5))
    rng = np.random.default_rng(SEED)
    state: Any = np.ones((1, K))
    iterations = []
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    cpu0 = usage0.ru_utime + usage0.ru_stime
    start = time.perf_counter()
    for year in range(1, steps + 1):
        demand = area + np.round(np.array(CHANGE) * cells * year).astype(np.int64)[None, :]
        demand[0, 5] += area.sum() - demand.sum()
        gain, loss = feasibility(cls, prob, demand, conversion=conversion, restricted=None,
                                 zones=None)
        if gain.any() or loss.any():
            raise SystemExit(f"infeasible demand in year {year}")
        cls, state = allocate_step(cls, prob, demand, neighbourhood=neighbourhood, inertia=state,
                                   conversion=conversion, costs=np.zeros((K, K)),
                                   restricted=None, rng=rng, patch=patch)
        if not np.array_equal(zone_areas(cls, None, 1, K), demand):
            raise SystemExit(f"demand not met in year {year}: gap {state.gap.tolist()}")
        iterations.append(state.iterations)
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu0
    peak = usage.ru_maxrss * 1024
    return {"n": n, "steps": steps, "seconds": seconds, "cpu_seconds": cpu, "peak_bytes": peak,
            "iterations": iterations, "changed_cells": int(np.abs(
                np.array(CHANGE)).sum() / 2 * cells * steps)}


def _input_kind() -> str:
    """Input files of the whole-model runs: 'albers' (China Albers, uncompressed tiled GeoTIFF)
    or 'utm-lzw' (UTM zone 45N, LZW-compressed striped GeoTIFF, as users' data mostly are);
    set by ``--inputs`` and passed to the child processes in ECOCIV_BENCH_INPUTS."""
    return os.environ.get("ECOCIV_BENCH_INPUTS", "albers")


def _make_model_inputs(n: int) -> Path:
    """Write the whole model's inputs as GeoTIFF/CSV under ``benchmarks/_work/land_use_N{n}/``
    (git-ignored; reused): the start map, an earlier map (~1 % of the map younger
    cropland/built-up, where the first suitability surface is highest), ``dem`` and ``slope``
    from two of the suitability surfaces, and the class table."""
    import numpy as np
    import pandas as pd
    import rasterio
    from affine import Affine

    folder = HERE / "_work" / f"land_use_N{n}_{_input_kind()}"
    if (folder / "classes.csv").is_file():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    cls, prob = _landscape(n)
    codes = np.arange(1, K + 1, dtype=np.uint8)
    start_map = codes[cls]
    del cls
    earlier = start_map.copy()
    young = (prob[0] > np.quantile(prob[0][:: 7, :: 7], 0.98)) & np.isin(start_map, (1, 5))
    earlier[young] = 3
    if _input_kind() == "utm-lzw":  # UTM 45N near Urumqi, LZW, strips (GDAL's default layout)
        crs, origin, layout = "EPSG:32645", (300_000.0, 4_900_000.0), {"compress": "lzw"}
    else:
        crs = ("+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +ellps=WGS84 "
               "+units=m +no_defs")
        origin, layout = (0.0, 5_000_000.0), {"tiled": True}
    for name, values, dtype, nodata in (("land_use", start_map, "uint8", 255),
                                        ("land_use_previous", earlier, "uint8", 255),
                                        ("dem", prob[1] * 2000.0, "float32", None),
                                        ("slope", prob[2] * 30.0, "float32", None)):
        with rasterio.open(folder / f"{name}.tif", "w", driver="GTiff", width=n, height=n,
                           count=1, dtype=dtype, crs=crs, nodata=nodata, **layout,
                           transform=Affine(30.0, 0, origin[0], 0, -30.0, origin[1])) as dst:
            dst.write(values.astype(dtype), 1)
    pd.DataFrame({"lucode": codes}).to_csv(folder / "classes.csv", index=False)
    return folder


def _child_model(n: int, steps: int) -> dict[str, Any]:
    """The whole model from files, as ``ecociv model run`` does it: inputs read and checked,
    drivers, logistic suitability trained on the cells that changed between the earlier map and
    the start map, Markov demand, the automaton, outputs written as COGs and CSV."""
    import tempfile

    from ecociv.execute import run_model
    from ecociv.models.land_use_change.model import MODEL

    folder = HERE / "_work" / f"land_use_N{n}_{_input_kind()}"
    sources = {name: folder / f"{name}.tif" for name in ("land_use", "land_use_previous", "dem",
                                                          "slope")}
    sources["classes"] = folder / "classes.csv"
    params = {"previous_year": 2010, "start_year": 2015, "end_year": 2015 + steps}
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        run_model(MODEL, sources, params, Path(out) / "out")
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"n": n, "steps": steps, "seconds": seconds, "cpu_seconds": usage.ru_utime
            + usage.ru_stime - usage0.ru_utime - usage0.ru_stime,
            "peak_bytes": usage.ru_maxrss * 1024, "iterations": []}


def _run(n: int, steps: int, mode: str = "_child") -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src")}
    out = subprocess.run([sys.executable, __file__, mode, str(n), str(steps)],
                         capture_output=True, text=True, check=False, env=env)
    if out.returncode != 0:
        raise SystemExit(out.stderr or out.stdout)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _configuration(n: int, steps: int, repeats: int, mode: str = "_child") -> dict[str, Any]:
    if mode == "_model":   # inputs written once, in a process of their own (not in the peak)
        _run(n, steps, "_make")
    load = os.getloadavg()
    runs = [_run(n, steps, mode) for _ in range(repeats)]
    seconds = statistics.median(r["seconds"] for r in runs)
    peak = statistics.median(r["peak_bytes"] for r in runs)
    cpu = statistics.median(r["cpu_seconds"] for r in runs)
    row = {"what": "model" if mode == "_model" else "allocation", "n": n, "cells": n * n,
           "steps": steps, "median_s": round(seconds, 2),
           "median_cpu_s": round(cpu, 2),
           "runs_s": [round(r["seconds"], 2) for r in runs],
           "cell_steps_per_s": round(n * n * steps / seconds),
           "peak_rss_gb": round(peak / 1e9, 2), "iterations_per_step": runs[0]["iterations"],
           "load_before": [round(x, 2) for x in load], "load_after":
           [round(x, 2) for x in os.getloadavg()]}
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2500, 5000])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--step-sizes", default="2500:5,10,20",
                        help="N:steps,... also timed at N with these numbers of steps")
    parser.add_argument("--model-sizes", type=int, nargs="*", default=[],
                        help="also time the whole model (fit, demand, automaton, writing) at N")
    parser.add_argument("--inputs", choices=("albers", "utm-lzw"), default="albers",
                        help="input files of the whole-model runs (see _input_kind)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON file of the results")
    args = parser.parse_args()
    os.environ["ECOCIV_BENCH_INPUTS"] = args.inputs
    _run(200, 2)   # warm-up: compiles (or loads) numba's cached code
    rows = [_configuration(n, args.steps, args.repeats) for n in args.sizes]
    if args.step_sizes.strip():
        size, _, counts = args.step_sizes.partition(":")
        rows += [_configuration(int(size), int(s), args.repeats) for s in counts.split(",")
                 if int(s) != args.steps or int(size) not in args.sizes]
    rows += [_configuration(n, args.steps, args.repeats, "_model") for n in args.model_sizes]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"cpus": os.cpu_count(), "inputs": args.inputs, "rows": rows},
                                   indent=1) + "\n")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        print(json.dumps(_child(int(sys.argv[2]), int(sys.argv[3]))))
    elif len(sys.argv) > 1 and sys.argv[1] == "_make":
        print(json.dumps({"folder": str(_make_model_inputs(int(sys.argv[2])))}))
    elif len(sys.argv) > 1 and sys.argv[1] == "_model":
        print(json.dumps(_child_model(int(sys.argv[2]), int(sys.argv[3]))))
    else:
        main()
