"""Benchmark of the ``habitat_quality`` model as a whole process, with InVEST 3.20.2 as the peer.

For each N (default 4000) the script

1. generates or reuses synthetic inputs under ``benchmarks/_work/hq_synthetic_N{N}/`` (git-ignored):
   an N×N land-use raster of 30 m cells on China Albers with spatially coherent patches (classes
   are thresholds of smoothed random fields, never white noise), three threats (cropland and
   built-up land from the land use, roads as random straight lines, values 0/1), InVEST's
   threats table (``max_dist`` in m, ``cur_path`` to one GeoTIFF per threat) and sensitivity
   table, and the same threats stacked as one 3-band GeoTIFF for ecociv (same values);
2. runs ecociv once to warm up, then ``--repeats`` (≥ 3) times, each a fresh process
   (``python bench_habitat_quality.py _ecociv ...``: load the inputs, run, write COGs and tables)
   timed from spawn to exit, with peak RSS from ``wait4`` (and the sampled process-tree RSS);
3. with ``--invest PYTHON`` runs InVEST's Habitat Quality on the same inputs in the same way
   (``PYTHON bench_habitat_quality.py _invest ...``), interleaved with the ecociv runs;
4. checks our rasters against InVEST's (``deg_sum_c.tif``, ``quality_c.tif``) over the whole
   grid, and against a brute-force evaluation (nearest threat cell searched cell by cell) at
   random cells, so a fast but wrong run cannot pass;
5. prints the numbers and writes ``benchmarks/results/habitat_quality.json``.

Target (issue 4): ≥ 10× faster than InVEST on 4000×4000 with 3 threats.

Usage::

    .venv/bin/python benchmarks/bench_habitat_quality.py [--sizes 4000] [--repeats 3]
        [--invest benchmarks/_work/invest-venv/bin/python]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "_work"
RESULTS = HERE / "results" / "habitat_quality.json"
PYTHON = ROOT / ".venv" / "bin" / "python"
GB = 1e9
CELL = 30.0
ORIGIN = (-200_000.0, 4_950_000.0)
CRS = ("+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +ellps=WGS84 +units=m "
       "+no_defs")
SEED = 20240604
K = 0.05
#: lucode, name, habitat, sensitivity to crops, urban, roads (illustrative values in the range
#: of published InVEST applications in arid north-west China)
CLASSES = [
    (1, "forest", 1.0, 0.7, 0.9, 0.8),
    (2, "grassland", 0.8, 0.6, 0.7, 0.6),
    (3, "cropland", 0.3, 0.0, 0.5, 0.4),
    (4, "built_up", 0.0, 0.0, 0.0, 0.0),
    (5, "water", 0.7, 0.6, 0.7, 0.5),
    (6, "desert", 0.1, 0.2, 0.3, 0.2),
]
#: threat, max_dist (m), weight, decay
THREATS = [("crops", 4000.0, 0.7, "linear"), ("urban", 8000.0, 1.0, "exponential"),
           ("roads", 3000.0, 0.6, "linear")]
LULC_NODATA = 255
THREAT_NODATA = 255


# --------------------------------------------------------------------------------------------
# inputs


def folder_for(n: int) -> Path:
    return WORK / f"hq_synthetic_N{n}"


def _smooth_field(rng: Any, n: int, spacing: int) -> Any:
    """A spatially coherent random field, uniform on [0, 1] (a random lattice every
    ``spacing`` cells, cubic interpolation, then ranks)."""
    import numpy as np
    from scipy import ndimage

    lattice = rng.random((n // spacing + 3, n // spacing + 3))
    field = ndimage.zoom(lattice, spacing, order=3, prefilter=False)[spacing:spacing + n,
                                                                     spacing:spacing + n]
    ranks = np.empty(field.size, dtype=np.float32)
    ranks[np.argsort(field, axis=None)] = np.arange(field.size, dtype=np.float32) / field.size
    return ranks.reshape(field.shape)


def make_inputs(n: int, seed: int = SEED, force: bool = False) -> Path:
    """Write the inputs (reused when ``metadata.json`` matches)."""
    import numpy as np
    import rasterio
    from affine import Affine
    from rasterio.features import rasterize
    from shapely.geometry import LineString

    folder = folder_for(n)
    meta_path = folder / "metadata.json"
    if meta_path.exists() and not force:
        meta = json.loads(meta_path.read_text())
        if meta.get("seed") == seed and meta.get("n") == n and meta.get("version") == 1:
            return folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, n])
    coarse = _smooth_field(rng, n, 256) * 0.7 + _smooth_field(rng, n, 48) * 0.3
    moist = _smooth_field(rng, n, 128) * 0.6 + _smooth_field(rng, n, 24) * 0.4
    town = _smooth_field(rng, n, 32)
    lulc = np.full((n, n), 6, dtype=np.uint8)  # desert
    lulc[moist > 0.4] = 2  # grassland
    lulc[(moist > 0.6) & (coarse > 0.55)] = 1  # forest
    lulc[(moist > 0.5) & (coarse < 0.4)] = 3  # cropland (oases)
    lulc[(lulc == 3) & (town > 0.8)] = 4  # towns inside oases
    lulc[(moist > 0.85) & (coarse < 0.3)] = 5  # lakes and reservoirs
    rows, cols = np.ogrid[:n, :n]
    lulc[rows**2 + cols**2 < (0.06 * n) ** 2] = LULC_NODATA  # outside the study area
    del coarse, moist, town
    transform = Affine(CELL, 0, ORIGIN[0], 0, -CELL, ORIGIN[1])
    lines = []
    for _ in range(12):
        x0, y0, x1, y1 = rng.random(4) * n * CELL
        lines.append(LineString([(ORIGIN[0] + x0, ORIGIN[1] - y0), (ORIGIN[0] + x1, ORIGIN[1] - y1)]))
    roads = rasterize([(line, 1) for line in lines], out_shape=(n, n), transform=transform,
                      fill=0, dtype="uint8")
    threats = {"crops": (lulc == 3).astype(np.uint8), "urban": (lulc == 4).astype(np.uint8),
               "roads": roads}
    profile = {"driver": "GTiff", "width": n, "height": n, "count": 1, "dtype": "uint8",
               "crs": CRS, "transform": transform, "tiled": True, "blockxsize": 256,
               "blockysize": 256, "BIGTIFF": "IF_SAFER"}
    with rasterio.open(folder / "land_use.tif", "w", **profile, nodata=LULC_NODATA) as dst:
        dst.write(lulc, 1)
    for name, values in threats.items():
        with rasterio.open(folder / f"threat_{name}.tif", "w", **profile, nodata=THREAT_NODATA) as dst:
            dst.write(values, 1)
    stacked = {**profile, "count": len(THREATS), "interleave": "band"}
    with rasterio.open(folder / "threats.tif", "w", **stacked, nodata=THREAT_NODATA) as dst:
        for band, (name, *_rest) in enumerate(THREATS, start=1):
            dst.write(threats[name], band)
            dst.set_band_description(band, name)
    lines_csv = ["THREAT,MAX_DIST,WEIGHT,DECAY,CUR_PATH"]
    lines_csv += [f"{name},{dist:g},{weight:g},{decay},threat_{name}.tif"
                  for name, dist, weight, decay in THREATS]
    (folder / "threats.csv").write_text("\n".join(lines_csv) + "\n")
    sens = ["LUCODE,NAME,HABITAT," + ",".join(t[0].upper() for t in THREATS)]
    sens += [f"{code},{name},{h:g},{a:g},{b:g},{c:g}" for code, name, h, a, b, c in CLASSES]
    (folder / "sensitivity.csv").write_text("\n".join(sens) + "\n")
    counts = np.bincount(lulc.ravel(), minlength=256)
    meta = {"version": 1, "n": n, "seed": seed, "cell_m": CELL, "crs": CRS,
            "class_shares": {name: round(int(counts[code]) / n / n, 4) for code, name, *_ in CLASSES},
            "threat_shares": {k: round(float(v.mean()), 4) for k, v in threats.items()},
            "threats": [dict(zip(("threat", "max_dist_m", "weight", "decay"), t, strict=True))
                        for t in THREATS]}
    meta_path.write_text(json.dumps(meta, indent=2))
    return folder


# --------------------------------------------------------------------------------------------
# the two workers (run in their own processes)


def worker_ecociv(folder: Path, out: Path) -> None:
    """Load, run and write with ecociv, as ``ecociv model run`` would."""
    from ecociv.execute import load_inputs, run_loaded
    from ecociv.grid.io import open_raster
    from ecociv.models.habitat_quality.model import MODEL

    sources = {"land_use": folder / "land_use.tif", "threats": folder / "threats.tif",
               "threat_table": folder / "threats.csv",
               "sensitivity_table": folder / "sensitivity.csv"}
    loaded = load_inputs(MODEL, sources, {"half_saturation_constant": K})
    if loaded.values["threats"].ndim == 2:
        # The framework reads band 1 of a raster input unless its spec fixes a band count, and
        # the number of threats is data-dependent: open all bands here until it can.
        assert loaded.grid is not None
        loaded.values["threats"] = open_raster(
            sources["threats"], loaded.grid, name="threats", units="", resampling="nearest",
            notes=loaded.notes, bands=len(THREATS))
    run_loaded(MODEL, loaded, out)


def worker_invest(folder: Path, workspace: Path) -> None:
    """InVEST 3.20.2 Habitat Quality on the same inputs (run under InVEST's Python)."""
    import logging

    logging.basicConfig(level=logging.WARNING)
    from natcap.invest import habitat_quality

    habitat_quality.execute({
        "workspace_dir": str(workspace), "results_suffix": "",
        "lulc_cur_path": str(folder / "land_use.tif"), "lulc_fut_path": "", "lulc_bas_path": "",
        "threats_table_path": str(folder / "threats.csv"), "access_vector_path": "",
        "sensitivity_table_path": str(folder / "sensitivity.csv"),
        "half_saturation_constant": K, "n_workers": -1,
    })


# --------------------------------------------------------------------------------------------
# measuring one process


def measure(cmd: list[str], log: Path, sample_s: float = 0.1) -> dict[str, Any]:
    """Wall seconds from spawn to exit and peak RSS (max of wait4's ru_maxrss and the sampled
    RSS summed over the process tree)."""
    import psutil

    log.parent.mkdir(parents=True, exist_ok=True)
    peak = 0
    done = threading.Event()
    with open(log, "wb") as handle:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=handle, stderr=subprocess.STDOUT)

        def sample() -> None:
            nonlocal peak
            try:
                root = psutil.Process(proc.pid)
            except psutil.NoSuchProcess:
                return
            while not done.wait(sample_s):
                total = 0
                try:
                    for p in [root, *root.children(recursive=True)]:
                        try:
                            total += p.memory_info().rss
                        except psutil.NoSuchProcess:
                            pass
                except psutil.NoSuchProcess:
                    return
                peak = max(peak, total)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        thread.join()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"failed ({code}): {' '.join(cmd)}\n{log.read_text(errors='replace')[-3000:]}")
    return {"wall_s": round(wall, 3), "peak_rss_bytes": max(usage.ru_maxrss * 1024, peak),
            "user_s": round(usage.ru_utime, 2), "sys_s": round(usage.ru_stime, 2),
            "loadavg_1min_after": round(os.getloadavg()[0], 2)}


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    walls = [r["wall_s"] for r in runs]
    rss = [r["peak_rss_bytes"] / GB for r in runs]
    return {"n_runs": len(runs),
            "wall_s": {"median": round(statistics.median(walls), 3), "min": min(walls), "max": max(walls)},
            "peak_rss_gb": {"median": round(statistics.median(rss), 3), "max": round(max(rss), 3)},
            "runs": runs}


def _fresh(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    return path


# --------------------------------------------------------------------------------------------
# checks


def _read(path: Path) -> Any:
    import numpy as np
    import rasterio

    with rasterio.open(path) as src:
        return np.ma.filled(src.read(1, masked=True).astype(np.float64), np.nan)


def compare_with_invest(out: Path, workspace: Path) -> dict[str, Any]:
    import numpy as np

    found: dict[str, Any] = {}
    for ours, theirs in (("degradation", "deg_sum_c.tif"), ("quality", "quality_c.tif")):
        a, b = _read(out / f"{ours}.tif"), _read(workspace / theirs)
        both = ~np.isnan(a) & ~np.isnan(b)
        diff = np.abs(a[both] - b[both])
        found[ours] = {"cells_compared": int(both.sum()),
                       "nodata_mismatch": int((np.isnan(a) != np.isnan(b)).sum()),
                       "max_abs_diff": float(diff.max()) if diff.size else 0.0,
                       "mean_abs_diff": float(diff.mean()) if diff.size else 0.0}
    # both write float32: agreement to float32 rounding of values up to ~2 is ~2e-7
    found["ok"] = all(v["nodata_mismatch"] == 0 and v["max_abs_diff"] < 1e-5
                      for v in found.values() if isinstance(v, dict))
    return found


def brute_force_check(folder: Path, out: Path, cells: int = 200, seed: int = 7) -> dict[str, Any]:
    """D and Q at random cells from InVEST's equations, each nearest threat cell found by
    scanning the square window of radius max_dist around the cell."""
    import numpy as np

    lulc = _read(folder / "land_use.tif")
    threats = {name: _read(folder / f"threat_{name}.tif") for name, *_ in THREATS}
    deg, qual = _read(out / "degradation.tif"), _read(out / "quality.tif")
    table = {code: (h, dict(zip([t[0] for t in THREATS], s, strict=True)))
             for code, _name, h, *s in CLASSES}
    total_w = sum(t[2] for t in THREATS)
    rng = np.random.default_rng(seed)
    n = lulc.shape[0]
    worst = 0.0
    mismatches = 0
    for row, col in rng.integers(0, n, size=(cells, 2)):
        code = lulc[row, col]
        if np.isnan(code):
            mismatches += int(not np.isnan(deg[row, col]))
            continue
        habitat, sens = table[int(code)]
        d_total = 0.0
        for name, max_dist, weight, decay in THREATS:
            r = int(max_dist // CELL)
            r0, r1, c0, c1 = max(0, row - r), min(n, row + r + 1), max(0, col - r), min(n, col + r + 1)
            window = threats[name][r0:r1, c0:c1]
            ys, xs = np.nonzero(np.nan_to_num(window) != 0)
            if ys.size == 0:
                continue
            d = float(np.min(np.hypot((ys + r0 - row) * CELL, (xs + c0 - col) * CELL)))
            if d > max_dist:
                continue
            impact = 1 - d / max_dist if decay == "linear" else float(np.exp(-2.99 * d / max_dist))
            d_total += impact * weight / total_w * sens[name]
        q = habitat * (1 - d_total**2.5 / (d_total**2.5 + K**2.5))
        worst = max(worst, abs(deg[row, col] - d_total), abs(qual[row, col] - q))
    return {"cells": cells, "max_abs_diff": worst, "nodata_mismatch": mismatches,
            "ok": bool(worst < 1e-5 and mismatches == 0)}


# --------------------------------------------------------------------------------------------


def machine(invest_python: str | None) -> dict[str, Any]:
    import psutil

    info: dict[str, Any] = {"nproc": len(os.sched_getaffinity(0)),
                            "ram_gb": round(psutil.virtual_memory().total / GB, 1),
                            "os": platform.platform(), "python": platform.python_version()}
    git = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True, check=False)
    info["ecociv_commit"] = git.stdout.strip()
    if invest_python:
        res = subprocess.run([invest_python, "-c", "import natcap.invest as i; print(i.__version__)"],
                             capture_output=True, text=True, check=False)
        info["natcap.invest"] = res.stdout.strip() or res.stderr.strip()[-200:]
    return info


def bench(n: int, repeats: int, invest: str | None) -> dict[str, Any]:
    folder = make_inputs(n)
    runs, logs = WORK / "runs", WORK / "logs"
    out, workspace = runs / f"hq_ecociv_N{n}", runs / f"hq_invest_N{n}"
    me = str(Path(__file__).resolve())
    ours_cmd = [str(PYTHON), me, "_ecociv", str(folder), str(out)]
    entry: dict[str, Any] = {"cells": n * n, "inputs": json.loads((folder / "metadata.json").read_text()),
                             "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                             "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]}
    print(f"== N = {n}: warm-up", flush=True)
    _fresh(out)
    measure(ours_cmd, logs / f"hq_ecociv_N{n}_warmup.log")
    ours, theirs = [], []
    for i in range(repeats):
        _fresh(out)
        ours.append(measure(ours_cmd, logs / f"hq_ecociv_N{n}_{i}.log"))
        print(f"  ecociv {i + 1}: {ours[-1]['wall_s']:.2f} s, {ours[-1]['peak_rss_bytes'] / GB:.2f} GB, "
              f"load {ours[-1]['loadavg_1min_after']}", flush=True)
        if invest:
            _fresh(workspace)
            theirs.append(measure([invest, me, "_invest", str(folder), str(workspace)],
                                  logs / f"hq_invest_N{n}_{i}.log"))
            print(f"  InVEST {i + 1}: {theirs[-1]['wall_s']:.2f} s, "
                  f"{theirs[-1]['peak_rss_bytes'] / GB:.2f} GB, load {theirs[-1]['loadavg_1min_after']}",
                  flush=True)
    entry["ecociv"] = summary(ours)
    entry["throughput_cells_per_s"] = round(n * n / entry["ecociv"]["wall_s"]["median"])
    entry["check_brute_force"] = brute_force_check(folder, out)
    if invest:
        entry["invest"] = summary(theirs)
        entry["speedup_invest_over_ecociv"] = round(
            entry["invest"]["wall_s"]["median"] / entry["ecociv"]["wall_s"]["median"], 2)
        entry["agreement_with_invest"] = compare_with_invest(out, workspace)
    entry["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return entry


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_ecociv":
        worker_ecociv(Path(argv[1]), Path(argv[2]))
        return 0
    if argv and argv[0] == "_invest":
        worker_invest(Path(argv[1]), Path(argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[4000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--invest", metavar="PYTHON", default=None,
                        help="a Python with natcap.invest 3.20.2 (benchmarks/setup_invest_venv.sh)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.repeats < 3:
        parser.error("--repeats must be at least 3")
    results: dict[str, Any] = json.loads(args.out.read_text()) if args.out.exists() else {}
    results.update({"benchmark": "habitat_quality (3 threats), whole process: load, run, write",
                    "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine(args.invest),
                    "gb": "10^9 bytes", "target": "InVEST wall / ecociv wall >= 10 at N = 4000"})
    results.setdefault("sizes", {})
    for n in args.sizes:
        results["sizes"][str(n)] = entry = bench(n, args.repeats, args.invest)
        line = (f"N={n}: ecociv median {entry['ecociv']['wall_s']['median']:.2f} s, peak "
                f"{entry['ecociv']['peak_rss_gb']['max']:.2f} GB, {entry['throughput_cells_per_s']:,} cells/s")
        if args.invest:
            line += (f"; InVEST median {entry['invest']['wall_s']['median']:.2f} s, peak "
                     f"{entry['invest']['peak_rss_gb']['max']:.2f} GB; speed-up "
                     f"{entry['speedup_invest_over_ecociv']}x; agreement ok: "
                     f"{entry['agreement_with_invest']['ok']}")
        print(line + f"; brute-force check ok: {entry['check_brute_force']['ok']}", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
