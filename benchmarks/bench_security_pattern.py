"""Benchmark of the ``ecological_security_pattern`` model as a whole process.

The script

1. generates (or reuses) synthetic inputs in ``benchmarks/_work/security_pattern/``: an N × N
   resistance surface of 1 km cells on China Albers (a smooth random field from 1 to 100, a
   few impassable "lakes") and an importance raster with 40 round patches of 8-30 km radius,
   of which the model keeps the 30 largest as sources (``max_sources`` = 30);
2. runs the model in a fresh Python process (``run_model``: read the GeoTIFFs, compute, write
   COGs, GeoPackages and CSVs) once to warm up, then ``--repeats`` times (≥ 3), measuring the
   wall time from spawn to exit and the peak resident set size (``os.wait4`` ``ru_maxrss``);
   the compute-and-write time the run manifest records is kept too;
3. checks the outputs: 30 sources, cost distance 0 on source cells and ≥ 0 elsewhere, every
   corridor's cost equal to the step costs summed along its line (recomputed here from the
   resistance raster), pinch points inside the current-carrying cells;
4. writes ``benchmarks/results/security_pattern.json``.

Two configurations run: the defaults (``corridor_paths=least_cost``, ``circuit_mode=corridors``)
and the faster ``corridor_paths=within_zones``.

Target (issue 4): N = 2000 with 30 sources in ≤ 30 s on 2 cores; peak memory reported.

Usage::

    .venv/bin/python benchmarks/bench_security_pattern.py [--size 2000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "_work" / "security_pattern"
RESULTS = HERE / "results" / "security_pattern.json"
PYTHON = ROOT / ".venv" / "bin" / "python"
GB = 1e9
TARGET_WALL_S = 30.0
CELL_M = 1000.0
TOP = 5_000_000.0
PARAMS = {"importance_threshold": 0.5, "min_source_area": 10.0, "max_sources": 30,
          "corridor_width": 20000.0, "pinch_percentile": 90.0}
CONFIGS = {"default": {}, "within_zones": {"corridor_paths": "within_zones"}}


def make_inputs(size: int, folder: Path, seed: int = 20240601) -> dict[str, Path]:
    """Write ``resistance.tif`` and ``importance.tif`` (float32, 1 km cells) once per size."""
    import rasterio
    from affine import Affine
    from scipy import ndimage

    from ecociv.grid.spec import CHINA_ALBERS

    folder.mkdir(parents=True, exist_ok=True)
    files = {"resistance_surface": folder / f"resistance_{size}.tif",
             "importance": folder / f"importance_{size}.tif"}
    if all(path.exists() for path in files.values()):
        return files
    rng = np.random.default_rng(seed)
    field = ndimage.gaussian_filter(rng.standard_normal((size, size)), sigma=size / 60)
    field = (field - field.min()) / (field.max() - field.min())
    resistance = (1.0 + 99.0 * field**2).astype(np.float32)
    rows, cols = np.ogrid[0:size, 0:size]
    for cy, cx, radius in zip(rng.uniform(0, size, 6), rng.uniform(0, size, 6),
                              rng.uniform(size / 200, size / 80, 6), strict=True):
        resistance[(rows - cy) ** 2 + (cols - cx) ** 2 <= radius**2] = np.nan  # lakes
    importance = np.zeros((size, size), dtype=np.float32)
    for cy, cx, radius in zip(rng.uniform(40, size - 40, 40), rng.uniform(40, size - 40, 40),
                              rng.uniform(8, 30, 40), strict=True):
        importance[(rows - cy) ** 2 + (cols - cx) ** 2 <= radius**2] = 1.0
    profile = {"driver": "GTiff", "width": size, "height": size, "count": 1, "dtype": "float32",
               "crs": CHINA_ALBERS, "transform": Affine(CELL_M, 0, 0, 0, -CELL_M, TOP),
               "nodata": -9999.0, "tiled": True, "blockxsize": 256, "blockysize": 256,
               "compress": "deflate"}
    for name, values in (("resistance_surface", resistance), ("importance", importance)):
        with rasterio.open(files[name], "w", **profile) as dst:
            dst.write(np.where(np.isnan(values), -9999.0, values).astype(np.float32), 1)
    return files


def child(files: dict[str, str], params: dict[str, Any], out: str) -> None:
    """The measured process: the generic run path on files."""
    from ecociv.execute import run_model
    from ecociv.models.ecological_security_pattern.model import MODEL

    run_model(MODEL, files, params, out)


def measure(cmd: list[str], log: Path) -> dict[str, Any]:
    """Wall seconds and peak RSS (ru_maxrss) of one process run to completion."""
    with open(log, "wb") as handle:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=handle, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"run failed ({code}):\n{log.read_text(errors='replace')[-3000:]}")
    return {"wall_s": round(wall, 3), "peak_rss_gb": round(usage.ru_maxrss * 1024 / GB, 3),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 2)}


def check(out: Path, files: dict[str, Path]) -> dict[str, Any]:
    """Independent checks of one run's outputs (raises AssertionError)."""
    import geopandas as gpd
    import pandas as pd
    import rasterio

    def read(path: Path) -> np.ndarray:
        with rasterio.open(path) as src:
            return src.read(1, masked=True).astype(np.float64).filled(np.nan)

    resistance = read(files["resistance_surface"])
    sources = gpd.read_file(out / "sources.gpkg")
    assert len(sources) == 30, f"{len(sources)} sources"
    distance = read(out / "cost_distance.tif")
    allocation = read(out / "cost_allocation.tif")
    assert np.nanmin(distance) >= 0
    corridors = gpd.read_file(out / "corridors.gpkg")
    table = pd.read_csv(out / "corridor_table.csv")
    assert len(corridors) == len(table) > 0
    worst = 0.0
    for line, cost in zip(corridors.geometry, corridors["cost"], strict=True):
        xy = np.asarray(line.coords)
        col = np.round((xy[:, 0] - CELL_M / 2) / CELL_M).astype(int)
        row = np.round((TOP - CELL_M / 2 - xy[:, 1]) / CELL_M).astype(int)
        r = resistance[row, col]
        steps = np.hypot(np.diff(row), np.diff(col)) * CELL_M
        assert np.all(np.isin(np.abs(np.diff(row)), [0, 1])) and np.all(np.isin(np.abs(np.diff(col)), [0, 1]))
        recomputed = float(np.sum((r[:-1] + r[1:]) / 2 * steps))
        worst = max(worst, abs(recomputed - cost) / cost)
        # a corridor starts and ends on source cells: cost distance 0 there
        assert distance[row[0], col[0]] == 0 and distance[row[-1], col[-1]] == 0
    assert worst < 1e-6, f"corridor cost differs from its path by {worst:.2e}"
    current = read(out / "current_density.tif")
    pinch = read(out / "pinch_points.tif")
    assert np.all(current[pinch == 1] > 0) and np.nansum(pinch) > 0
    return {"sources": len(sources), "corridors": len(corridors),
            "corridor_length_km_total": round(float(table["length_m"].sum()) / 1000, 1),
            "pinch_cells": int(np.nansum(pinch)), "max_relative_cost_error": worst,
            "allocated_cells": int(np.isfinite(allocation).sum())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", nargs=3, metavar=("FILES_JSON", "PARAMS_JSON", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child[0]), json.loads(args.child[1]), args.child[2])
        return
    if args.repeats < 3:
        parser.error("--repeats must be at least 3")
    files = make_inputs(args.size, WORK)
    report: dict[str, Any] = {
        "size": [args.size, args.size], "cells": args.size**2, "cell_m": CELL_M, "params": PARAMS,
        "target": {"wall_s": TARGET_WALL_S, "sources": 30},
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "machine": platform.machine()},
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "configs": {},
    }
    for name, extra in CONFIGS.items():
        params = {**PARAMS, **extra}
        runs = []
        for attempt in range(args.repeats + 1):  # the first run warms caches and is not counted
            out = WORK / f"out_{name}"
            if out.exists():
                shutil.rmtree(out)
            cmd = [str(PYTHON), str(Path(__file__).resolve()), "--child",
                   json.dumps({k: str(v) for k, v in files.items()}), json.dumps(params), str(out)]
            result = measure(cmd, WORK / f"log_{name}.txt")
            manifest = json.loads((out / "manifest.json").read_text())
            result["compute_and_write_s"] = manifest["timings_s"]["compute_and_write"]
            if attempt == 0:
                report["configs"][name] = {"params": params, "checks": check(out, files)}
                continue
            runs.append(result)
            print(f"{name} run {attempt}: {result}", flush=True)
        walls = [r["wall_s"] for r in runs]
        report["configs"][name].update({
            "runs": runs,
            "wall_s_median": round(statistics.median(walls), 3),
            "peak_rss_gb_max": max(r["peak_rss_gb"] for r in runs),
            "cpu_s_median": round(statistics.median(r["cpu_s"] for r in runs), 2),
            "meets_target": statistics.median(walls) <= TARGET_WALL_S,
        })
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    for name, config in report["configs"].items():
        print(f"{name}: median {config['wall_s_median']} s, peak RSS {config['peak_rss_gb_max']} GB, "
              f"{config['checks']}")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
