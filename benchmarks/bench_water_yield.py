"""Benchmark of ``ecociv model run water_yield`` as a whole process, with InVEST as the peer.

For each N (default 1000 and 4000) the script

1. generates or reuses synthetic InVEST-format inputs (``make_awy_inputs.py``);
2. runs ``.venv/bin/ecociv model run water_yield ...`` once to warm up (page cache, .pyc even
   where ``PYTHONDONTWRITEBYTECODE`` is set: see :func:`ecociv_env`), then
   ``--repeats`` times (≥ 3), each in a fresh process with a fresh output folder, measuring the
   wall time from spawn to exit and the peak resident set size (``os.wait4`` rusage
   ``ru_maxrss``, KiB on Linux; the peak of the summed RSS of the process tree, sampled every
   0.1 s with psutil, is also kept and the larger of the two reported);
3. with ``--invest PYTHON`` runs InVEST's Annual Water Yield (``invest_awy_runner.py``) on the
   same inputs, interleaved with the ecociv runs (A B A B ...) so both see the same machine
   load, and reports the ratio of the medians;
4. checks the outputs against an independent NumPy evaluation of the InVEST formulas on random
   windows (and the per-watershed means over the whole grid, band by band), and, when InVEST
   ran, our rasters against InVEST's, so a fast but wrong run cannot pass;
5. prints a table and writes ``benchmarks/results/water_yield.json`` (merged with earlier
   sizes, so ``--big`` can be run on its own).

``--big`` adds N = 16000 (256 M cells, ~4.3 GB of inputs) which must go through the chunked
path: it runs ``--big-repeats`` times (default 1) and checks peak RSS ≤ 4 GB.

Targets (2 cores): N = 4000 in ≤ 2 s wall and ≤ 0.9 GB peak RSS; N = 16000 with peak RSS
≤ 4 GB. GB here is 10⁹ bytes (stricter than GiB).

The inputs are Albers, uncompressed, tiled, 6 watersheds unless ``--crs`` (utm45n, wgs84),
``--compress`` (lzw, deflate, zstd), ``--striped`` or ``--watersheds`` say otherwise (the
options of ``make_awy_inputs.py``); results are stored per size and input kind.

``--ecociv-src LABEL=DIR`` (repeatable) times ecociv from other source trees too, e.g. the code
before a change (``git worktree add /tmp/old COMMIT``), interleaved run by run with the first
one (``python -m ecociv.cli.main`` with ``PYTHONPATH=DIR``); ``--ecociv-env LABEL:VAR=VALUE``
times ecociv with an environment variable set (e.g. ``noahead:ECOCIV_READ_AHEAD_MB=0``).

Usage::

    .venv/bin/python benchmarks/bench_water_yield.py [--sizes 1000 4000] [--repeats 5]
        [--invest benchmarks/_work/invest-venv/bin/python] [--big]
        [--crs utm45n] [--compress lzw] [--striped] [--watersheds 16]
        [--ecociv-src before=/tmp/old/src]
"""

from __future__ import annotations

import argparse
import csv
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

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import make_awy_inputs as gen  # noqa: E402

WORK = HERE / "_work"
RESULTS = HERE / "results" / "water_yield.json"
GB = 1e9
TARGETS = {
    "4000": {"wall_s": 2.0, "peak_rss_gb": 0.9},
    "16000": {"peak_rss_gb": 4.0},
}
INVEST_REFERENCE = {"4000": {"wall_s": 22.0, "peak_rss_gb": 0.9,
                             "source": "issue text: InVEST 3.20.2 on this class of machine"}}


# --------------------------------------------------------------------------------------------
# measuring one process


def measure(cmd: list[str], *, log: Path, env: dict[str, str] | None = None,
            sample_s: float = 0.1) -> dict[str, Any]:
    """Run ``cmd`` to completion; wall seconds and peak RSS bytes of the process (tree)."""
    import psutil

    log.parent.mkdir(parents=True, exist_ok=True)
    tree_peak = 0
    done = threading.Event()
    with open(log, "wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)

        def sample() -> None:
            nonlocal tree_peak
            try:
                root = psutil.Process(proc.pid)
            except psutil.NoSuchProcess:
                return
            while not done.wait(sample_s):
                try:
                    procs = [root, *root.children(recursive=True)]
                    total = 0
                    for p in procs:
                        try:
                            total += p.memory_info().rss
                        except psutil.NoSuchProcess:
                            pass
                    tree_peak = max(tree_peak, total)
                except psutil.NoSuchProcess:
                    return

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    maxrss = usage.ru_maxrss * 1024  # KiB on Linux
    result = {
        "wall_s": round(wall, 4),
        "peak_rss_bytes": max(maxrss, tree_peak),
        "ru_maxrss_bytes": maxrss,
        "tree_sampled_peak_bytes": tree_peak,
        "user_s": round(usage.ru_utime, 3),
        "sys_s": round(usage.ru_stime, 3),
        "returncode": proc.returncode,
    }
    if proc.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{tail}")
    return result


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    walls = [r["wall_s"] for r in runs]
    rss = [r["peak_rss_bytes"] / GB for r in runs]
    return {
        "n_runs": len(runs),
        "wall_s": {"median": round(statistics.median(walls), 3), "min": round(min(walls), 3),
                   "max": round(max(walls), 3)},
        "peak_rss_gb": {"median": round(statistics.median(rss), 3), "min": round(min(rss), 3),
                        "max": round(max(rss), 3)},
        # CPU seconds (user + sys) of the process: less sensitive than wall time to other
        # load on a shared machine
        "cpu_s": {"median": round(statistics.median(r["user_s"] + r["sys_s"] for r in runs), 2)},
    }


# --------------------------------------------------------------------------------------------
# commands


def ecociv_prefix(src: Path | None) -> list[str]:
    """The command that starts ecociv: this Python running the CLI module, as the ``ecociv``
    script does (``ecociv.cli.main:entry``), on ``src`` or this checkout's source tree (set by
    :func:`ecociv_env`). Not the venv's installed script: one installed before the entry point
    changed calls ``main()`` and misses the script's own start and exit."""
    return [sys.executable, "-m", "ecociv.cli.main"]


def ecociv_env(src: Path | None) -> dict[str, str]:
    """The environment of an ecociv run: ``src`` first on the path, and Python allowed to cache
    the bytecode of the source tree's modules (``PYTHONDONTWRITEBYTECODE`` removed), so the
    warm-up leaves the ``.pyc`` files an installed package has from ``pip install`` (InVEST's
    are there) and the timed runs do not compile ecociv's ~60 modules again (0.07 CPU-s of the
    one-core start on this machine)."""
    return {**bytecode_env(), "PYTHONPATH": str(src if src is not None else ROOT / "src")}


def bytecode_env() -> dict[str, str]:
    """This process's environment without ``PYTHONDONTWRITEBYTECODE`` (set in some shells), so
    the runs of a benchmark's warm-up leave the ``.pyc`` files an installed package has."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def ecociv_cmd(folder: Path, out: Path, src: Path | None = None) -> list[str]:
    f = {k: folder / v for k, v in gen.FILES.items()}
    return [
        *ecociv_prefix(src), "model", "run", "water_yield",
        "--input", f"precipitation={f['precipitation']}",
        "--input", f"et0={f['et0']}",
        "--input", f"root_restricting_depth={f['root_restricting_depth']}",
        "--input", f"plant_available_water={f['plant_available_water']}",
        "--input", f"land_use={f['land_use']}",
        "--input", f"biophysical_table={f['biophysical_table']}",
        "--input", f"watersheds={f['watersheds']}",
        "--param", "seasonality_z=5",
        "--out", str(out),
    ]


def invest_cmd(python: str, folder: Path, workspace: Path, workers: int) -> list[str]:
    return [python, str(HERE / "invest_awy_runner.py"), str(folder), str(workspace),
            "--n-workers", str(workers)]


def _fresh(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    return path


def run_ecociv(folder: Path, out: Path, log: Path, src: Path | None = None,
               extra_env: dict[str, str] | None = None) -> dict[str, Any]:
    _fresh(out)
    env = ecociv_env(src)
    if extra_env:
        env = {**(env if env is not None else os.environ), **extra_env}
    result = measure(ecociv_cmd(folder, out, src), log=log, env=env)
    manifest = json.loads((out / "manifest.json").read_text())
    result["in_process_s"] = manifest.get("timings_s", {})
    return result


def run_invest(python: str, folder: Path, workspace: Path, workers: int, log: Path) -> dict[str, Any]:
    _fresh(workspace)
    return measure(invest_cmd(python, folder, workspace, workers), log=log)


# --------------------------------------------------------------------------------------------
# independent check of the outputs


def read_table(folder: Path) -> dict[int, dict[str, float]]:
    with open(folder / gen.FILES["biophysical_table"], newline="") as handle:
        return {int(row["lucode"]): {"veg": float(row["lulc_veg"]), "root": float(row["root_depth"]),
                                     "kc": float(row["kc"])} for row in csv.DictReader(handle)}


def reference_wyield(lulc: np.ndarray, precip: np.ndarray, eto: np.ndarray, soil: np.ndarray,
                     pawc: np.ndarray, table: dict[int, dict[str, float]], z: float,
                     ) -> dict[str, np.ndarray]:
    """InVEST's ``fractp_op``/``wyield_op`` written out directly (float64, NaN = no data).

    PET = Kc·ET0; vegetated: ω = min(Z·min(root, soil)·PAWC/P + 1.25, 5),
    AET/P = min(PET/P, 1 + PET/P − (1 + (PET/P)^ω)^(1/ω)); others: AET/P = min(PET, P)/P;
    yield = (1 − AET/P)·P, AET = AET/P·P. Cells with P = 0 or any missing input have no value.
    """
    kc = np.full(lulc.shape, np.nan)
    veg = np.full(lulc.shape, np.nan)
    root = np.full(lulc.shape, np.nan)
    for code, row in table.items():
        hit = lulc == code
        kc[hit], veg[hit], root[hit] = row["kc"], row["veg"], row["root"]
    valid = ~(np.isnan(kc) | np.isnan(precip) | np.isnan(eto) | np.isnan(soil) | np.isnan(pawc))
    valid &= precip != 0
    with np.errstate(all="ignore"):
        pet = kc * eto
        phi = pet / precip
        awc = np.where(root < soil, root, soil) * pawc
        omega = np.minimum(awc / precip * z + 1.25, 5.0)
        fu = 1.0 + phi - (1.0 + phi**omega) ** (1.0 / omega)
        veg_fract = np.where(phi < fu, phi, fu)
        nonveg_fract = np.where(precip < pet, precip, pet) / precip
        fract = np.where(veg == 1, veg_fract, nonveg_fract)
    fract = np.where(valid, fract, np.nan)
    return {"aet_fraction": fract, "aet": fract * precip, "water_yield": (1.0 - fract) * precip}


def _read(path: Path, window: Any) -> np.ndarray:
    import rasterio

    with rasterio.open(path) as src:
        data = src.read(1, window=window, masked=True)
    return np.ma.filled(data.astype(np.float64), np.nan)


def _read_inputs(folder: Path, window: Any) -> dict[str, np.ndarray]:
    f = gen.FILES
    return {"lulc": _read(folder / f["land_use"], window),
            "precip": _read(folder / f["precipitation"], window),
            "eto": _read(folder / f["et0"], window),
            "soil": _read(folder / f["root_restricting_depth"], window),
            "pawc": _read(folder / f["plant_available_water"], window)}


def _compare(ours: np.ndarray, ref: np.ndarray, *, rtol: float, atol: float) -> dict[str, Any]:
    ours_nan, ref_nan = np.isnan(ours), np.isnan(ref)
    both = ~ours_nan & ~ref_nan
    diff = np.abs(ours[both] - ref[both])
    bad = diff > atol + rtol * np.abs(ref[both])
    return {
        "cells": int(ours.size),
        "nodata_mismatch": int((ours_nan != ref_nan).sum()),
        "max_abs_diff": float(diff.max()) if diff.size else 0.0,
        "out_of_tolerance": int(bad.sum()),
    }


def check_windows(folder: Path, out: Path, n: int, seed: int, count: int, size: int = 512,
                  z: float = 5.0) -> dict[str, Any]:
    """Our three rasters vs the reference on ``count`` random windows plus the NW corner (which
    holds the land-use nodata area)."""
    from rasterio.windows import Window

    rng = np.random.default_rng([seed, n, 99])
    size = min(size, n)
    origins = [(0, 0)] + [(int(rng.integers(0, n - size + 1)), int(rng.integers(0, n - size + 1)))
                          for _ in range(count)]
    table = read_table(folder)
    worst: dict[str, Any] = {}
    for row, col in origins:
        window = Window(col, row, size, size)
        ref = reference_wyield(**_read_inputs(folder, window), table=table, z=z)
        for name in ("water_yield", "aet", "aet_fraction"):
            # outputs are float32: tolerance of a float32 rounding of values up to ~700 mm
            result = _compare(_read(out / f"{name}.tif", window), ref[name],
                              rtol=2e-6, atol=1e-5 if name == "aet_fraction" else 2e-3)
            prev = worst.get(name)
            if prev is None:
                worst[name] = result
            else:
                worst[name] = {"cells": prev["cells"] + result["cells"],
                               "nodata_mismatch": prev["nodata_mismatch"] + result["nodata_mismatch"],
                               "max_abs_diff": max(prev["max_abs_diff"], result["max_abs_diff"]),
                               "out_of_tolerance": prev["out_of_tolerance"] + result["out_of_tolerance"]}
    ok = all(v["nodata_mismatch"] == 0 and v["out_of_tolerance"] == 0 for v in worst.values())
    return {"windows": [list(o) for o in origins], "window_size": size, "per_output": worst, "ok": ok}


def check_watersheds(folder: Path, out: Path, n: int, z: float = 5.0,
                     band_rows: int = 1024) -> dict[str, Any]:
    """Per-watershed mean water yield over the whole grid (band by band, cells whose centre is
    in the polygon) vs our ``watershed_results.csv``."""
    import geopandas as gpd
    import rasterio
    from rasterio.features import rasterize
    from rasterio.windows import Window
    from rasterio.windows import transform as window_transform

    sheds = gpd.read_file(folder / gen.FILES["watersheds"])
    with rasterio.open(folder / gen.FILES["land_use"]) as src:
        transform = src.transform
    shapes = [(geom, i + 1) for i, geom in enumerate(sheds.geometry)]
    k = len(shapes) + 1
    sums, counts = np.zeros(k), np.zeros(k)
    table = read_table(folder)
    for row0 in range(0, n, band_rows):
        rows = min(band_rows, n - row0)
        window = Window(0, row0, n, rows)
        zones = rasterize(shapes, out_shape=(rows, n), transform=window_transform(window, transform),
                          fill=0, dtype="int32")
        wy = reference_wyield(**_read_inputs(folder, window), table=table, z=z)["water_yield"]
        ok = ~np.isnan(wy)
        sums += np.bincount(zones[ok], weights=wy[ok], minlength=k)
        counts += np.bincount(zones[ok], minlength=k)
    ref = {int(ws): sums[i + 1] / counts[i + 1] for i, ws in enumerate(sheds["ws_id"])}
    ours = {}
    with open(out / "watershed_results.csv", newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            ours[int(float(row["ws_id"]))] = float(row["wyield_mn"])
    rel = max(abs(ours[ws] - ref[ws]) / abs(ref[ws]) for ws in ref)
    return {"watersheds": len(ref), "max_rel_diff_wyield_mn": rel, "ok": bool(rel < 1e-6),
            "reference_wyield_mn": {str(k): round(v, 4) for k, v in ref.items()}}


def compare_with_invest(out: Path, workspace: Path, n: int, band_rows: int = 1024) -> dict[str, Any]:
    """Our rasters and watershed means vs InVEST's, over all of InVEST's grid (InVEST clips its
    outputs to the intersection of the inputs and the watersheds' bounding box)."""
    import rasterio
    from rasterio.windows import Window

    pairs = {"water_yield": "wyield.tif", "aet": "aet.tif", "aet_fraction": "fractp.tif"}
    per_pixel = workspace / "output" / "per_pixel"
    found: dict[str, Any] = {}
    for ours_name, theirs in pairs.items():
        if not (per_pixel / theirs).exists():
            found[ours_name] = {"missing": str(per_pixel / theirs)}
            continue
        with rasterio.open(out / f"{ours_name}.tif") as a_src, rasterio.open(per_pixel / theirs) as b_src:
            a_t, b_t = a_src.transform, b_src.transform
            col_off = round((b_t.c - a_t.c) / a_t.a)
            row_off = round((b_t.f - a_t.f) / a_t.e)
            rows, cols = b_src.height, b_src.width
        worst = {"invest_grid": [rows, cols], "offset_in_ours": [row_off, col_off],
                 "nodata_mismatch": 0, "max_abs_diff": 0.0, "valid_cells": 0}
        for row0 in range(0, rows, band_rows):
            height = min(band_rows, rows - row0)
            a = _read(out / f"{ours_name}.tif", Window(col_off, row_off + row0, cols, height))
            b = _read(per_pixel / theirs, Window(0, row0, cols, height))
            both = ~np.isnan(a) & ~np.isnan(b)
            worst["nodata_mismatch"] += int((np.isnan(a) != np.isnan(b)).sum())
            worst["valid_cells"] += int(both.sum())
            if both.any():
                worst["max_abs_diff"] = max(worst["max_abs_diff"], float(np.abs(a[both] - b[both]).max()))
        found[ours_name] = worst
    table: dict[str, Any] = {}
    theirs_csv = workspace / "output" / "watershed_results_wyield.csv"
    if theirs_csv.exists():
        with open(theirs_csv, newline="", encoding="utf-8-sig") as handle:
            inv = {int(float(r["ws_id"])): r for r in csv.DictReader(handle)}
        with open(out / "watershed_results.csv", newline="", encoding="utf-8-sig") as handle:
            ours = {int(float(r["ws_id"])): r for r in csv.DictReader(handle)}
        for column in ("precip_mn", "PET_mn", "AET_mn", "wyield_mn"):
            diffs = [abs(float(ours[k][column]) - float(inv[k][column])) / max(1e-12, abs(float(inv[k][column])))
                     for k in inv if k in ours and column in inv[k]]
            if diffs:
                table[column] = {"max_rel_diff": max(diffs)}
    found["watershed_table"] = table
    return found


# --------------------------------------------------------------------------------------------
# machine and versions


def machine_info(invest_python: str | None) -> dict[str, Any]:
    import psutil

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info: dict[str, Any] = {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": cpu,
        "ram_gb": round(psutil.virtual_memory().total / GB, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "openblas_env": {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS")},
    }
    versions = {}
    for name in ("numpy", "dask", "xarray", "rasterio", "rioxarray", "pandas", "geopandas", "psutil"):
        try:
            from importlib.metadata import version

            versions[name] = version(name)
        except Exception:
            continue
    try:
        import rasterio

        versions["gdal (rasterio)"] = rasterio.__gdal_version__
    except ImportError:
        pass
    out = subprocess.run([sys.executable, "-c", "import ecociv; print(ecociv.__version__)"],
                         capture_output=True, text=True, check=False, env=ecociv_env(None))
    versions["ecociv"] = out.stdout.strip()
    git = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True, check=False)
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"],
                           capture_output=True, text=True, check=False)
    versions["ecociv_commit"] = git.stdout.strip() + ("+dirty(src)" if dirty.stdout.strip() else "")
    if invest_python:
        code = ("import natcap.invest, numpy, pygeoprocessing; from osgeo import gdal; "
                "print(natcap.invest.__version__, pygeoprocessing.__version__, gdal.__version__, "
                "numpy.__version__)")
        res = subprocess.run([invest_python, "-c", code], capture_output=True, text=True, check=False)
        parts = res.stdout.split()
        if len(parts) == 4:
            versions.update({"natcap.invest": parts[0], "pygeoprocessing": parts[1],
                             "gdal (invest)": parts[2], "numpy (invest)": parts[3]})
        else:
            versions["natcap.invest"] = f"unavailable: {res.stderr.strip()[-300:]}"
    info["versions"] = versions
    return info


def cli_startup(repeats: int = 3) -> dict[str, Any]:
    """Wall time of ``ecociv --version`` (interpreter start + CLI imports, no model)."""
    runs = [measure([*ecociv_prefix(None), "--version"], log=WORK / "logs" / "startup.log",
                    env=ecociv_env(None))
            for _ in range(repeats + 1)][1:]
    return summary(runs)


# --------------------------------------------------------------------------------------------


def variant_of(args: argparse.Namespace) -> gen.Variant:
    return gen.Variant(args.crs, args.compress, args.striped, args.watersheds)


def bench_size(n: int, args: argparse.Namespace, repeats: int, with_invest: bool) -> dict[str, Any]:
    variant = variant_of(args)
    folder = gen.ensure_inputs(n, args.seed, variant=variant)
    meta = json.loads((folder / "metadata.json").read_text())
    runs_dir = WORK / "runs"
    logs = WORK / "logs"
    tag = f"N{n}{variant.suffix}"
    out = runs_dir / f"ecociv_{tag}"
    workspace = runs_dir / f"invest_{tag}"
    others: dict[str, tuple[Path | None, dict[str, str]]] = {
        label: (src, {}) for label, src in args.ecociv_src}
    for label, variable, value in args.ecociv_env:
        others.setdefault(label, (None, {}))[1][variable] = value
    entry: dict[str, Any] = {
        "inputs": {"folder": str(folder.relative_to(ROOT)), "cells": n * n, "seed": meta["seed"],
                   "bytes": sum(meta["bytes"].values()), "compress": meta["compress"],
                   "crs": meta["crs"], "striped": meta["striped"], "watersheds": meta["watersheds"],
                   "class_shares": meta["class_shares"]},
    }
    print(f"\n== N = {n} ({n * n:,} cells, inputs {sum(meta['bytes'].values()) / GB:.2f} GB)",
          flush=True)
    entry["date"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    entry["loadavg_at_start"] = [round(x, 2) for x in os.getloadavg()]
    if args.warmup and not (n >= 16000 and not args.big_warmup):
        print("  warm-up ecociv ...", flush=True)
        run_ecociv(folder, out, logs / f"ecociv_{tag}_warmup.log")
        for label, (src, extra) in others.items():
            run_ecociv(folder, runs_dir / f"ecociv_{label}_{tag}",
                       logs / f"ecociv_{label}_{tag}_warmup.log", src, extra)
        if with_invest:
            print("  warm-up InVEST ...", flush=True)
            run_invest(args.invest, folder, workspace, args.invest_workers,
                       logs / f"invest_{tag}_warmup.log")
    ours, theirs = [], []
    other_runs: dict[str, list[dict[str, Any]]] = {label: [] for label in others}
    loads = []
    for i in range(repeats):
        loads.append([round(x, 2) for x in os.getloadavg()])
        r = run_ecociv(folder, out, logs / f"ecociv_{tag}_{i}.log")
        ours.append(r)
        print(f"  ecociv run {i + 1}: {r['wall_s']:.2f} s, {r['peak_rss_bytes'] / GB:.3f} GB "
              f"(in-process {r['in_process_s'].get('total')} s), load {loads[-1]}", flush=True)
        for label, (src, extra) in others.items():
            o = run_ecociv(folder, runs_dir / f"ecociv_{label}_{tag}",
                           logs / f"ecociv_{label}_{tag}_{i}.log", src, extra)
            other_runs[label].append(o)
            print(f"  ecociv [{label}] run {i + 1}: {o['wall_s']:.2f} s, {o['peak_rss_bytes'] / GB:.3f} GB "
                  f"(in-process {o['in_process_s'].get('total')} s)", flush=True)
        if with_invest:
            t = run_invest(args.invest, folder, workspace, args.invest_workers,
                           logs / f"invest_{tag}_{i}.log")
            theirs.append(t)
            print(f"  InVEST run {i + 1}: {t['wall_s']:.2f} s, {t['peak_rss_bytes'] / GB:.3f} GB",
                  flush=True)
    entry["loadavg_per_round"] = loads
    entry["ecociv"] = {**summary(ours), "runs": ours}
    for label, runs in other_runs.items():
        src, extra = others[label]
        entry[f"ecociv [{label}]"] = {**summary(runs), "runs": runs,
                                      "src": str(src) if src is not None else "(as ecociv)",
                                      "env": extra}
        ratios = [o["wall_s"] / r["wall_s"] for o, r in zip(runs, ours, strict=True)]
        entry[f"ratio_{label}_over_ecociv"] = {
            "wall_median_ratio": round(statistics.median(ratios), 2),
            "wall_ratio_per_round": [round(x, 2) for x in ratios]}
    if with_invest:
        entry["invest"] = {**summary(theirs), "runs": theirs, "n_workers": args.invest_workers}
        entry["ratio_invest_over_ecociv"] = {
            "wall": round(entry["invest"]["wall_s"]["median"] / entry["ecociv"]["wall_s"]["median"], 2),
            "wall_ratio_per_round": [round(t["wall_s"] / r["wall_s"], 2)
                                     for t, r in zip(theirs, ours, strict=True)],
            "peak_rss": round(entry["invest"]["peak_rss_gb"]["median"]
                              / entry["ecociv"]["peak_rss_gb"]["median"], 2),
        }
    print("  checking outputs against an independent NumPy evaluation ...", flush=True)
    entry["check"] = {"windows": check_windows(folder, out, n, args.seed, args.check_windows)}
    if not args.skip_table_check:
        entry["check"]["watersheds"] = check_watersheds(folder, out, n)
    entry["check"]["ok"] = all(v["ok"] for v in entry["check"].values() if isinstance(v, dict))
    if with_invest:
        print("  comparing with InVEST's outputs ...", flush=True)
        entry["agreement_with_invest"] = compare_with_invest(out, workspace, n)
    target = TARGETS.get(str(n))
    if target:
        met = {}
        if "wall_s" in target:
            met["wall_s"] = entry["ecociv"]["wall_s"]["median"] <= target["wall_s"]
        if "peak_rss_gb" in target:
            met["peak_rss_gb"] = entry["ecociv"]["peak_rss_gb"]["max"] <= target["peak_rss_gb"]
        entry["targets"] = {"target": target, "met": met}
    if str(n) in INVEST_REFERENCE:
        entry["invest_reference_from_issue"] = INVEST_REFERENCE[str(n)]
    return entry


def print_table(results: dict[str, Any]) -> str:
    lines = ["| N / inputs | tool | runs | wall median (s) | wall min–max (s) | CPU median (s) | "
             "peak RSS median (GB) | peak RSS max (GB) | InVEST/ecociv wall | InVEST/ecociv RSS "
             "| output check |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for key in sorted(results["sizes"], key=lambda k: (int(k.split("_")[0]), k)):
        entry = results["sizes"][key]
        ratio = entry.get("ratio_invest_over_ecociv", {})
        tools = ["ecociv", *(k for k in entry if k.startswith("ecociv [")), "invest"]
        for tool in tools:
            if tool not in entry:
                continue
            s = entry[tool]
            check = ("ok" if entry["check"]["ok"] else "FAILED") if tool == "ecociv" else ""
            n_label = f"{int(key.split('_')[0]):,}" + (f" {key.split('_', 1)[1]}" if "_" in key else "")
            lines.append(
                f"| {n_label} | {'InVEST 3.20.2' if tool == 'invest' else tool} | {s['n_runs']} | "
                f"{s['wall_s']['median']:.2f} | {s['wall_s']['min']:.2f}–{s['wall_s']['max']:.2f} | "
                f"{s.get('cpu_s', {}).get('median', float('nan')):.2f} | "
                f"{s['peak_rss_gb']['median']:.3f} | {s['peak_rss_gb']['max']:.3f} | "
                f"{ratio.get('wall', '') if tool == 'invest' else ''} | "
                f"{ratio.get('peak_rss', '') if tool == 'invest' else ''} | {check} |")
    text = "\n".join(lines)
    print("\n" + text)
    return text


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 4000])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per size (≥ 3)")
    parser.add_argument("--big", action="store_true", help="also N = 16000 (chunked path)")
    parser.add_argument("--big-repeats", type=int, default=1)
    parser.add_argument("--big-warmup", action="store_true",
                        help="warm-up run at N = 16000 too (default: none; the inputs were just "
                        "written or read, so they are in the page cache if RAM allows)")
    parser.add_argument("--invest", metavar="PYTHON", default=None,
                        help="a Python with natcap.invest: time InVEST on the same inputs")
    parser.add_argument("--invest-workers", type=int, default=-1,
                        help="InVEST n_workers (-1: in-process, InVEST's default)")
    parser.add_argument("--invest-big", action="store_true", help="run InVEST at N = 16000 too")
    parser.add_argument("--seed", type=int, default=gen.DEFAULT_SEED)
    parser.add_argument("--check-windows", type=int, default=4)
    parser.add_argument("--skip-table-check", action="store_true")
    parser.add_argument("--no-warmup", dest="warmup", action="store_false")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--crs", choices=sorted(gen.GRIDS), default="albers")
    parser.add_argument("--compress", choices=["deflate", "lzw", "zstd"], default=None)
    parser.add_argument("--striped", action="store_true", help="untiled inputs (strips of one row)")
    parser.add_argument("--watersheds", type=int, default=gen.DEFAULT_WATERSHEDS)
    parser.add_argument("--ecociv-src", action="append", default=[], metavar="LABEL=DIR",
                        type=lambda text: (text.split("=", 1)[0], Path(text.split("=", 1)[1]).resolve()),
                        help="also time ecociv from this source tree, interleaved")
    parser.add_argument("--ecociv-env", action="append", default=[], metavar="LABEL:VAR=VALUE",
                        type=lambda text: (text.split(":", 1)[0],
                                           *text.split(":", 1)[1].split("=", 1)),
                        help="also time ecociv with this environment variable (with "
                        "--ecociv-src of the same LABEL: that tree), interleaved; e.g. "
                        "noahead:ECOCIV_READ_AHEAD_MB=0")
    parser.add_argument("--skip-startup", action="store_true", help="do not time ecociv --version")
    args = parser.parse_args(argv)
    if args.repeats < 3:
        parser.error("--repeats must be at least 3 (medians of several runs)")
    results: dict[str, Any] = {"sizes": {}}
    if args.out.exists():
        results = json.loads(args.out.read_text())
        results.setdefault("sizes", {})
    results["benchmark"] = "ecociv model run water_yield, whole process"
    results["date"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    results["machine"] = machine_info(args.invest)
    results["gb"] = "10^9 bytes"
    results["method"] = (
        "wall = spawn to exit of the CLI process; peak RSS = max(os.wait4 ru_maxrss, "
        "psutil-sampled sum over the process tree); warm page cache (one untimed warm-up run); "
        "ecociv (and other ecociv source trees) and InVEST runs interleaved; median of the timed "
        "runs; load averages before each round")
    print(f"machine: {results['machine']['nproc']} cores, {results['machine']['cpu_model']}, "
          f"{results['machine']['ram_gb']} GB RAM", flush=True)
    if not args.skip_startup:
        results["cli_startup"] = cli_startup()
        print(f"ecociv --version: {results['cli_startup']['wall_s']['median']:.2f} s", flush=True)
    suffix = variant_of(args).suffix
    for n in args.sizes:
        results["sizes"][f"{n}{suffix}"] = bench_size(n, args, args.repeats, bool(args.invest))
    if args.big:
        big = bench_size(16000, args, args.big_repeats, bool(args.invest) and args.invest_big)
        results["sizes"][f"16000{suffix}"] = big
    results["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["table_markdown"] = print_table(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=2, default=_plain) + "\n")
    os.replace(tmp, args.out)
    print(f"\nwrote {args.out}")
    failed = [k for k, v in results["sizes"].items() if not v["check"]["ok"]]
    if failed:
        print(f"OUTPUT CHECK FAILED for N = {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
