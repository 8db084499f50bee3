"""Benchmark of ``ecociv model run sand_fixation`` (RWEQ) and ``soil_conservation`` (RUSLE) as
whole processes on N×N synthetic inputs (issue 4: "RWEQ and RUSLE annual ≤ 5 s" at 4000²,
peak memory reported).

The script

1. generates or reuses synthetic inputs under ``benchmarks/_work/services_synthetic_N{N}/``
   (git-ignored; every file name contains ``synthetic``): 30 m cells on China Albers
   (``ecociv.grid.spec.CHINA_ALBERS``), spatially coherent fields from lattice value noise
   (``make_awy_inputs.ValueNoise``, seeded ``np.random.Generator``): a DEM rising from a desert
   plain in the north to a mountain crest in the south with hills and pits, land use in
   patches (oases, towns, lakes, forest, grassland, desert, glaciers), 12-band monthly wind at
   10 m, air temperature, precipitation and ET0 (a seasonal cycle times a spatial field times
   a coarse anomaly field per month), sand/silt/clay/organic matter/CaCO3 and vegetation cover;
   a quarter disc at the north-west corner is nodata in every static layer (outside the study
   area); inputs are tiled 256×256 float32/uint8 GeoTIFFs, uncompressed by default (as in
   ``bench_water_yield.py``: the benchmark is about the models, not about decompression);
2. for each configuration (``sand_fixation_annual``: the annual rasters and totals only,
   ``--param monthly_outputs=false``, the issue's "RWEQ annual"; ``sand_fixation``: also the
   three 12-band monthly rasters; ``soil_conservation``: RUSLE, annual by construction) runs
   ``.venv/bin/ecociv model run MODEL ...`` once to warm up (page cache, .pyc), then
   ``--repeats`` (≥ 3) times, each a fresh process with a fresh output folder,
   timed from spawn to exit, with the peak RSS from ``os.wait4`` (``ru_maxrss``) and the
   psutil-sampled process-tree RSS (``bench_water_yield.measure``; Linux starts a child's
   ``ru_maxrss`` at its parent's peak, so this script does every heavy step (input generation,
   reading outputs) in subprocesses and stays far smaller than the runs; a run whose
   ``ru_maxrss`` does not exceed this process's peak is flagged and its sampled peak used),
   the user/system CPU seconds, the in-process ``timings_s.compute_and_write`` of the run's
   ``manifest.json``, and the 1/5/15-minute load averages read just before each run starts
   (the machine is shared);
3. summarises each output raster of the last run (valid cells, float64 sum, min, max) and, with
   ``--compare-to FOLDER`` (a folder with one run folder per configuration, e.g. kept by
   ``--keep-outputs``), the nodata mismatches and the largest absolute and relative difference
   cell by cell, so a faster but different run is seen;
   with ``--diagnose-hashing`` each configuration is also timed with the run manifest's
   BLAKE2b hashing of every input byte switched off (``python bench_services.py
   _cli_without_input_hashing ...``), to show that framework cost; those rows are diagnostics;
   with ``soil_conservation``, LS alone (``kernels.ls_factor`` on the DEM in a fresh process,
   which needs the whole DEM in memory) is timed too, for its share of CPU and peak memory;
   ``--src TREE`` runs the CLI with the ``ecociv`` package of another source tree (a folder
   holding ``ecociv/``), e.g. the same checkout with the model files of before a change, so
   "before" and "after" differ only in those files;
4. prints a table and writes ``benchmarks/results/services.json`` (``--label`` names the entry,
   e.g. ``before``/``after``; entries with other labels are kept).

Usage::

    .venv/bin/python benchmarks/bench_services.py [--size 4000] [--repeats 3]
        [--configs sand_fixation_annual sand_fixation soil_conservation] [--label after]
        [--keep-outputs DIR] [--compare-to DIR] [--diagnose-hashing] [--src TREE]
        [--baseline-src TREE] [--runs-dir DIR] [--env NAME=VALUE ...]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import make_awy_inputs as awy  # noqa: E402
from bench_water_yield import GB, bytecode_env, machine_info, measure, summary  # noqa: E402

from ecociv.grid.spec import CHINA_ALBERS  # noqa: E402

WORK = HERE / "_work"
RESULTS = HERE / "results" / "services.json"
#: the checkout's virtual environment, else the interpreter running this script (e.g. from a
#: git worktree without its own environment, with PYTHONPATH pointing at its src)
_BIN = ROOT / ".venv" / "bin" if (ROOT / ".venv" / "bin" / "python").exists() else Path(sys.executable).parent
ECOCIV = _BIN / "ecociv"
PYTHON = _BIN / "python"
#: suffix of a configuration run with the input hashing switched off (diagnostic)
NO_HASH = "__no_input_hash"
SEED = 20240611
GENERATOR_VERSION = 1
CELL = 30.0
#: near Shihezi / Manas on the northern slope of the Tianshan, as in make_awy_inputs.py
ORIGIN = awy.ORIGIN
FLOAT_NODATA = -9999.0
LULC_NODATA = 255
BAND_ROWS = 512
TARGET_WALL_S = 5.0
#: configuration name: (model id, --param values). "Annual" runs are the issue's target:
#: sand_fixation without its three 12-band monthly rasters (same annual results).
CONFIGS: dict[str, tuple[str, dict[str, str]]] = {
    "sand_fixation_annual": ("sand_fixation", {"monthly_outputs": "false"}),
    "sand_fixation": ("sand_fixation", {}),
    "soil_conservation": ("soil_conservation", {}),
    # the losses, the service and the totals without the R, K and LS rasters
    "soil_conservation_losses": ("soil_conservation", {"factor_outputs": "false"}),
}

#: file of each input (monthly inputs have 12 bands, January first)
FILES = {
    "dem": "dem_synthetic.tif",
    "land_use": "land_use_synthetic.tif",
    "wind_speed": "wind_speed_10m_monthly_synthetic.tif",
    "temperature": "temperature_monthly_synthetic.tif",
    "precipitation": "precipitation_monthly_synthetic.tif",
    "et0": "et0_monthly_synthetic.tif",
    "sand": "sand_synthetic.tif",
    "silt": "silt_synthetic.tif",
    "clay": "clay_synthetic.tif",
    "organic_matter": "organic_matter_synthetic.tif",
    "caco3": "caco3_synthetic.tif",
    "vegetation_cover": "vegetation_cover_synthetic.tif",
    "cover_management_table": "cover_management_synthetic.csv",
}
MONTHLY = ("wind_speed", "temperature", "precipitation", "et0")

#: RUSLE C and P per class of ``make_awy_inputs.CLASSES`` (illustrative values in the range of
#: Chinese RUSLE studies; grassland C from vegetation cover by Cai et al. 2000)
COVER_MANAGEMENT = {  # lucode: (c_factor, p_factor, c_from_cover)
    1: (0.25, 0.4, 0),  # cropland (terraced/bordered irrigated fields)
    2: (0.006, 1.0, 0),  # forest
    3: (0.10, 1.0, 1),  # grassland: C from cover
    4: (0.0, 1.0, 0),  # water
    5: (0.0, 1.0, 0),  # built-up
    6: (0.50, 1.0, 1),  # desert and unused land: C from cover
    7: (0.0, 1.0, 0),  # glaciers
}


# --------------------------------------------------------------------------------------------
# inputs


#: grids the inputs can be on: China Albers (equal-area: the benchmarks of before) or UTM zone
#: 45N (conformal, what most users' data are in), over the same place
CRS_KINDS = {"albers": CHINA_ALBERS, "utm": "EPSG:32645"}


def origin_for(crs_kind: str) -> tuple[float, float]:
    """Upper-left corner of the grid: ``ORIGIN`` (China Albers), or the same point in UTM 45N
    rounded to the 30 m cells."""
    if crs_kind == "albers":
        return ORIGIN
    from pyproj import Transformer

    x, y = Transformer.from_crs(CHINA_ALBERS, CRS_KINDS[crs_kind], always_xy=True).transform(*ORIGIN)
    return round(x / CELL) * CELL, round(y / CELL) * CELL


def folder_for(n: int, seed: int = SEED, compress: str | None = None,
               crs_kind: str = "albers") -> Path:
    return WORK / (f"services_synthetic_N{n}" + ("" if seed == SEED else f"_seed{seed}")
                   + ("" if crs_kind == "albers" else f"_{crs_kind}")
                   + (f"_{compress}" if compress else ""))


def _profile(n: int, dtype: str, nodata: float, count: int, compress: str | None,
             crs_kind: str = "albers") -> dict[str, Any]:
    from affine import Affine

    left, top = origin_for(crs_kind)
    profile: dict[str, Any] = {
        "driver": "GTiff", "width": n, "height": n, "count": count, "dtype": dtype,
        "crs": CRS_KINDS[crs_kind], "transform": Affine(CELL, 0, left, 0, -CELL, top),
        "nodata": nodata, "tiled": True, "blockxsize": 256, "blockysize": 256,
        "interleave": "band", "BIGTIFF": "IF_SAFER",
    }
    if compress:
        profile.update(compress=compress, predictor=3 if dtype == "float32" else 2,
                       num_threads="ALL_CPUS")
    return profile


def _season(month: np.ndarray) -> np.ndarray:
    """−1 in January … +1 in July (month 0 = January)."""
    return -np.cos(2.0 * np.pi * month / 12.0)


def _fields(rows: np.ndarray, n: int, noise: dict[str, Any]) -> dict[str, np.ndarray]:
    """All layers of one band of rows (float32; monthly layers (12, rows, n))."""
    row0, row1 = int(rows[0]), int(rows[-1]) + 1
    cols = np.arange(n)
    south = ((rows + 0.5) / n).astype(np.float32)[:, None]
    relief = noise["relief"].band(row0, row1)
    elev = np.clip(0.85 * south**1.3 + 0.45 * (relief - 0.5), 0.0, 1.0)  # 0 desert … 1 crest
    moist = noise["moisture"].band(row0, row1)
    soil = noise["soil"].band(row0, row1)
    windy = noise["wind"].band(row0, row1)
    lulc = awy._classify(elev, moist, noise["urban"].band(row0, row1),
                         noise["lakes"].band(row0, row1))
    outside = awy._disc(rows, cols, (0.0, 0.0), 0.08 * n)
    lulc[outside] = LULC_NODATA
    dem = (300.0 + 4200.0 * elev).astype(np.float32)  # m
    sand = np.clip(15.0 + 70.0 * (1.0 - elev) * (0.55 + 0.45 * soil), 5.0, 92.0)
    clay = np.clip(2.0 + 28.0 * (1.0 - sand / 100.0) * (0.35 + 0.65 * (1.0 - soil)), 1.0, 40.0)
    silt = 100.0 - sand - clay
    organic_matter = 0.2 + 4.5 * elev * moist + 0.3 * soil
    caco3 = 14.0 * (1.0 - elev) * soil
    cover = np.select(
        [lulc == 1, lulc == 2, lulc == 3, lulc == 4, lulc == 5, lulc == 6, lulc == 7],
        [0.50 + 0.35 * moist, 0.60 + 0.35 * moist, 0.10 + 0.65 * moist * (0.4 + 0.6 * elev),
         0.0 * moist, 0.08 + 0.10 * moist, 0.01 + 0.12 * moist, 0.0 * moist], 0.0)
    cover = np.clip(cover, 0.0, 1.0)

    month = np.arange(12, dtype=np.float32)[:, None, None]
    season = _season(month)
    anomaly = np.stack([a.band(row0, row1) for a in noise["anomaly"]]) - 0.5  # (12, rows, n)
    dem_km = dem[None] / 1000.0
    temperature = (9.0 - 6.5 * (dem_km - 0.3) + 1.5 * (moist[None] - 0.5) + 18.0 * season
                   + 3.0 * anomaly)
    annual_p = 110.0 + 520.0 * elev**1.4 + 80.0 * (moist - 0.5)  # mm/yr
    p_share = 1.0 + 0.7 * season
    p_share = p_share / p_share.sum()
    precipitation = annual_p[None] * p_share * (1.0 + 0.8 * anomaly)
    annual_et0 = 1450.0 - 800.0 * elev - 120.0 * (moist - 0.5)
    et_share = np.clip(season + 0.85, 0.03, None) ** 1.3
    et_share = et_share / et_share.sum()
    et0 = annual_et0[None] * et_share * (1.0 + 0.2 * anomaly)
    spring = 1.0 + 0.35 * np.exp(-((month - 4.0) ** 2) / 4.0)  # windiest in April-May
    wind = (2.0 + 3.5 * windy[None] + 1.0 * (1.0 - moist[None])) * spring * (1.0 + 0.5 * anomaly)
    static_nan = outside
    layers: dict[str, np.ndarray] = {
        "dem": dem, "sand": sand, "silt": silt, "clay": clay, "organic_matter": organic_matter,
        "caco3": caco3, "vegetation_cover": cover,
    }
    out = {k: np.where(static_nan, FLOAT_NODATA, v).astype(np.float32) for k, v in layers.items()}
    out["land_use"] = lulc
    out["temperature"] = temperature.astype(np.float32)
    out["precipitation"] = np.maximum(precipitation, 0.0).astype(np.float32)
    out["et0"] = np.maximum(et0, 0.0).astype(np.float32)
    out["wind_speed"] = np.maximum(wind, 0.0).astype(np.float32)
    return out


def make_inputs(n: int, seed: int = SEED, compress: str | None = None, force: bool = False,
                crs_kind: str = "albers") -> Path:
    """Write the inputs for N on the grid ``crs_kind`` with ``compress`` (reused when
    ``metadata.json`` matches); the values do not depend on the grid or the compression."""
    import rasterio
    from rasterio.windows import Window

    folder = folder_for(n, seed, compress, crs_kind)
    meta_path = folder / "metadata.json"
    if meta_path.exists() and not force:
        meta = json.loads(meta_path.read_text())
        if (meta.get("generator_version") == GENERATOR_VERSION and meta.get("n") == n
                and meta.get("seed") == seed and meta.get("compress") == compress
                and meta.get("crs_kind", "albers") == crs_kind
                and all((folder / f).exists() for f in FILES.values())):
            return folder
    folder.mkdir(parents=True, exist_ok=True)
    meta_path.unlink(missing_ok=True)
    started = time.perf_counter()
    rng = np.random.default_rng([seed, n])
    noise = {
        "relief": awy.ValueNoise(rng, n),
        "moisture": awy.ValueNoise(rng, n),
        "urban": awy.ValueNoise(rng, n, ((256, 0.6), (64, 0.3), (16, 0.1))),
        "lakes": awy.ValueNoise(rng, n, ((128, 0.7), (32, 0.3))),
        "soil": awy.ValueNoise(rng, n, ((256, 0.5), (64, 0.3), (16, 0.2))),
        "wind": awy.ValueNoise(rng, n, ((1024, 0.6), (256, 0.4))),
        "anomaly": [awy.ValueNoise(rng, n, ((1024, 0.7), (256, 0.3))) for _ in range(12)],
    }
    rasters = {k: v for k, v in FILES.items() if v.endswith(".tif")}
    parts = {k: folder / f".{v}.part" for k, v in rasters.items()}
    datasets = {}
    counts = np.zeros(256, dtype=np.int64)
    try:
        for key, path in parts.items():
            dtype, nodata = ("uint8", LULC_NODATA) if key == "land_use" else ("float32", FLOAT_NODATA)
            datasets[key] = rasterio.open(path, "w", **_profile(n, dtype, nodata,
                                                                 12 if key in MONTHLY else 1,
                                                                 compress, crs_kind))
        for row0 in range(0, n, BAND_ROWS):
            rows = np.arange(row0, min(n, row0 + BAND_ROWS))
            window = Window(0, row0, n, rows.size)
            layers = _fields(rows, n, noise)
            counts += np.bincount(layers["land_use"].ravel(), minlength=256)
            for key, values in layers.items():
                if key in MONTHLY:
                    datasets[key].write(values, list(range(1, 13)), window=window)
                else:
                    datasets[key].write(values, 1, window=window)
    finally:
        for ds in datasets.values():
            ds.close()
    for key, path in parts.items():
        os.replace(path, folder / rasters[key])
    table = ["lucode,c_factor,p_factor,c_from_cover"]
    table += [f"{code},{c:g},{p:g},{flag}" for code, (c, p, flag) in COVER_MANAGEMENT.items()]
    (folder / FILES["cover_management_table"]).write_text("\n".join(table) + "\n")
    shares = {c.desc: round(int(counts[c.code]) / (n * n), 4) for c in awy.CLASSES}
    shares["nodata (255)"] = round(int(counts[LULC_NODATA]) / (n * n), 4)
    meta = {
        "synthetic": True,
        "purpose": "benchmark inputs for sand_fixation (RWEQ) and soil_conservation (RUSLE); "
                   "not real data",
        "generator": "benchmarks/bench_services.py",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "rng": "numpy.random.default_rng([seed, n]) (PCG64)",
        "n": n, "cells": n * n, "cell_size_m": CELL, "crs_kind": crs_kind,
        "crs": CRS_KINDS[crs_kind], "origin_upper_left": list(origin_for(crs_kind)),
        "block": [256, 256], "compress": compress,
        "nodata": {"float32": FLOAT_NODATA, "land_use": LULC_NODATA},
        "monthly_12_bands": list(MONTHLY),
        "land_use_classes": [c.__dict__ for c in awy.CLASSES], "class_shares": shares,
        "cover_management": {str(k): dict(zip(("c_factor", "p_factor", "c_from_cover"), v,
                                              strict=True))
                             for k, v in COVER_MANAGEMENT.items()},
        "files": FILES,
        "bytes": {k: (folder / f).stat().st_size for k, f in FILES.items()},
        "seconds_to_generate": round(time.perf_counter() - started, 1),
    }
    meta_path.write_text(json.dumps(meta, indent=2))
    return folder


# --------------------------------------------------------------------------------------------
# runs


def model_cmd(config: str, folder: Path, out: Path, src: Path | None = None) -> list[str]:
    hashing = not config.endswith(NO_HASH)
    model, params = CONFIGS[config.removesuffix(NO_HASH)]
    f = {k: folder / v for k, v in FILES.items()}
    if model == "sand_fixation":
        names = {"wind_speed": "wind_speed", "temperature": "temperature",
                 "precipitation": "precipitation", "et0": "et0", "elevation": "dem",
                 "sand": "sand", "silt": "silt", "clay": "clay",
                 "organic_matter": "organic_matter", "caco3": "caco3",
                 "vegetation_cover": "vegetation_cover"}
    elif model == "soil_conservation":
        names = {"land_use": "land_use", "precipitation": "precipitation", "dem": "dem",
                 "cover_management_table": "cover_management_table",
                 "vegetation_cover": "vegetation_cover", "sand": "sand", "silt": "silt",
                 "clay": "clay", "organic_matter": "organic_matter"}
    else:
        raise ValueError(model)
    if src is not None:  # the CLI of another source tree (e.g. the code before a change)
        cmd = [str(PYTHON), str(Path(__file__).resolve()), "_cli_from_source", str(src)]
    elif hashing:
        cmd = [str(ECOCIV)]
    else:
        cmd = [str(PYTHON), str(Path(__file__).resolve()), "_cli_without_input_hashing"]
    cmd += ["model", "run", model]
    for input_id, key in names.items():
        cmd += ["--input", f"{input_id}={f[key]}"]
    for name, value in params.items():
        cmd += ["--param", f"{name}={value}"]
    return [*cmd, "--out", str(out)]


def _own_peak_rss() -> int:
    """Peak RSS of this process, bytes (``ru_maxrss``)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run_once(config: str, folder: Path, out: Path, log: Path, src: Path | None = None,
             env: dict[str, str] | None = None) -> dict[str, Any]:
    if out.exists():
        shutil.rmtree(out)
    load = [round(x, 2) for x in os.getloadavg()]
    # Linux starts a child's ru_maxrss at its parent's peak (kept across fork and exec): the
    # wait4 figure only means something while this process stays far smaller than the runs,
    # which is why every heavy step of this script runs in a subprocess
    parent = _own_peak_rss()
    result = measure(model_cmd(config, folder, out, src), log=log,
                     env={**bytecode_env(), **(env or {})})
    result["benchmark_process_peak_rss_bytes"] = parent
    if result["ru_maxrss_bytes"] <= parent:
        result["ru_maxrss_inherited"] = True
        result["peak_rss_bytes"] = result["tree_sampled_peak_bytes"]
    result["loadavg_at_start"] = load
    manifest = json.loads((out / "manifest.json").read_text())
    result["in_process_s"] = manifest.get("timings_s", {})
    return result


def output_stats(out: Path) -> dict[str, Any]:
    """Valid cells, float64 sum, min and max of every band of every raster output."""
    import rasterio

    stats: dict[str, Any] = {}
    for path in sorted(out.glob("*.tif")):
        with rasterio.open(path) as src:
            total, valid, low, high = 0.0, 0, np.inf, -np.inf
            for _, window in src.block_windows(1):
                data = src.read(window=window, masked=True)
                values = data.compressed().astype(np.float64)
                if values.size:
                    total += float(values.sum())
                    valid += int(values.size)
                    low, high = min(low, float(values.min())), max(high, float(values.max()))
            stats[path.stem] = {"bands": src.count, "valid_cells": valid, "sum": total,
                                "min": low if valid else None, "max": high if valid else None}
    return stats


def compare_outputs(out: Path, reference: Path) -> dict[str, Any]:
    """Cell-by-cell differences of every raster in ``out`` to the same file in ``reference``:
    nodata mismatches, max |a − b|, and max |a − b| / max(|b|, floor) with a floor of 1e-6 of
    the largest |b| of that raster (relative error where values are not tiny)."""
    import rasterio

    found: dict[str, Any] = {}
    for path in sorted(out.glob("*.tif")):
        other = reference / path.name
        if not other.exists():
            found[path.stem] = {"missing_in_reference": True}
            continue
        with rasterio.open(path) as a_src, rasterio.open(other) as b_src:
            scale = 0.0
            for _, window in b_src.block_windows(1):
                block = b_src.read(window=window, masked=True)
                if block.count():
                    scale = max(scale, float(np.abs(block).max()))
            floor = max(scale * 1e-6, 1e-30)
            mismatch, max_abs, max_rel = 0, 0.0, 0.0
            for _, window in a_src.block_windows(1):
                a = a_src.read(window=window, masked=True)
                b = b_src.read(window=window, masked=True)
                mismatch += int((np.ma.getmaskarray(a) != np.ma.getmaskarray(b)).sum())
                both = ~np.ma.getmaskarray(a) & ~np.ma.getmaskarray(b)
                if both.any():
                    av = a.data[both].astype(np.float64)
                    bv = b.data[both].astype(np.float64)
                    diff = np.abs(av - bv)
                    max_abs = max(max_abs, float(diff.max()))
                    max_rel = max(max_rel, float((diff / np.maximum(np.abs(bv), floor)).max()))
        found[path.stem] = {"nodata_mismatch": mismatch, "max_abs_diff": max_abs,
                            "max_rel_diff": max_rel, "reference_max_abs_value": scale}
    return found


def _summarise(config: str, runs: list[dict[str, Any]], entry: dict[str, Any]) -> None:
    compute = [r["in_process_s"].get("compute_and_write") for r in runs]
    entry.update(summary(runs))
    entry["compute_and_write_s"] = {"median": float(np.median(compute)), "min": min(compute),
                                    "max": max(compute)}
    entry["runs"] = runs
    entry["target"] = {"wall_s": TARGET_WALL_S,
                       "met": entry["wall_s"]["median"] <= TARGET_WALL_S}


def _env(pairs: list[str]) -> dict[str, str]:
    """``NAME=VALUE`` items as a mapping (empty: the runs inherit this environment as is)."""
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise SystemExit(f"--env expects NAME=VALUE, got {pair!r}")
        out[name] = value
    return out


def bench_config(config: str, folder: Path, args: argparse.Namespace,
                 ) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Time ``config``; with ``args.baseline_src``, the baseline tree too, run by run in turn
    (baseline, then this tree), so both see the same load. Returns the entry of this tree and
    that of the baseline (or None)."""
    model, params = CONFIGS[config.removesuffix(NO_HASH)]
    runs_dir = args.runs_dir or WORK / "runs"
    out = runs_dir / f"services_{config}_N{args.size}"
    base_out = runs_dir / f"services_{config}_N{args.size}_baseline"
    logs = (args.runs_dir / "logs") if args.runs_dir else WORK / "logs"
    base = args.baseline_src

    def new_entry(src: Path | None, where: Path) -> dict[str, Any]:
        return {"model": model, "params": params, "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
                "command": " ".join(model_cmd(config, folder, where, src))}

    entry = new_entry(args.src, out)
    if args.env:
        entry["env"] = _env(args.env)
    base_entry = new_entry(base, base_out) if base is not None else None
    print(f"\n== {config} (N = {args.size}, load {entry['loadavg_at_start']})", flush=True)
    if args.warmup:
        if base is not None:
            r = run_once(config, folder, base_out, logs / f"services_{config}_warmup_base.log", base)
            print(f"  warm-up (baseline): {r['wall_s']:.2f} s", flush=True)
        r = run_once(config, folder, out, logs / f"services_{config}_warmup.log", args.src,
                     _env(args.env))
        print(f"  warm-up: {r['wall_s']:.2f} s", flush=True)
    runs: list[dict[str, Any]] = []
    base_runs: list[dict[str, Any]] = []

    def show(tag: str, i: int, r: dict[str, Any]) -> None:
        print(f"  run {i + 1}{tag}: {r['wall_s']:.2f} s wall, {r['peak_rss_bytes'] / GB:.3f} GB, "
              f"compute_and_write {r['in_process_s'].get('compute_and_write')} s, "
              f"CPU {r['user_s'] + r['sys_s']:.1f} s, load at start {r['loadavg_at_start']}",
              flush=True)

    for i in range(args.repeats):
        if base is not None:
            base_runs.append(run_once(config, folder, base_out,
                                      logs / f"services_{config}_{i}_base.log", base))
            show(" (baseline)", i, base_runs[-1])
        runs.append(run_once(config, folder, out, logs / f"services_{config}_{i}.log", args.src,
                             _env(args.env)))
        show("", i, runs[-1])
    _summarise(config, runs, entry)
    reference = None
    if base_entry is not None:
        _summarise(config, base_runs, base_entry)
        base_entry.update(_in_subprocess("_analyse", str(base_out)))
        pairs = [r["wall_s"] / b["wall_s"] for r, b in zip(runs, base_runs, strict=True)]
        cpu = [(r["user_s"] + r["sys_s"]) / (b["user_s"] + b["sys_s"])
               for r, b in zip(runs, base_runs, strict=True)]
        entry["to_baseline"] = {
            "what": "this run / the baseline run just before it, run by run",
            "baseline_src": str(base), "wall_ratio_median": round(float(np.median(pairs)), 3),
            "wall_ratios": [round(x, 3) for x in pairs],
            "cpu_ratio_median": round(float(np.median(cpu)), 3),
            "cpu_ratios": [round(x, 3) for x in cpu]}
        reference = base_out
    elif args.compare_to:
        reference = args.compare_to / config.removesuffix(NO_HASH)
        if not reference.exists():  # e.g. the annual run against a full run's folder
            reference = args.compare_to / model
    if reference is not None:
        entry["compared_to"] = str(reference)
    entry.update(_in_subprocess("_analyse", str(out), *([str(reference)] if reference else [])))
    if args.keep_outputs:
        keep = args.keep_outputs / config
        if keep.exists():
            shutil.rmtree(keep)
        shutil.copytree(out, keep)
        entry["kept_outputs"] = str(keep)
    return entry, base_entry


def table(results: dict[str, Any]) -> str:
    lines = ["| label | inputs | model | runs | wall median (s) | wall min–max (s) | CPU median (s) | "
             "compute_and_write median (s) | peak RSS median (GB) | peak RSS max (GB) | "
             "load avg at start of runs (1 min) | wall / CPU ratio to baseline (median) | ≤ 5 s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for label, entry in results["entries"].items():
        given = entry.get("inputs", {})
        kind = f"{given.get('crs_kind', 'albers')}, {given.get('compress') or 'uncompressed'}"
        for model, s in entry.get("configs", {}).items():
            loads = ", ".join(f"{r['loadavg_at_start'][0]:.2f}" for r in s["runs"])
            ratio = s.get("to_baseline")
            ratios = (f"{ratio['wall_ratio_median']:.2f} / {ratio['cpu_ratio_median']:.2f}"
                      if ratio else "")
            lines.append(
                f"| {label} | {kind} | {model} | {s['n_runs']} | {s['wall_s']['median']:.2f} | "
                f"{s['wall_s']['min']:.2f}–{s['wall_s']['max']:.2f} | {s['cpu_s']['median']:.2f} | "
                f"{s['compute_and_write_s']['median']:.2f} | {s['peak_rss_gb']['median']:.3f} | "
                f"{s['peak_rss_gb']['max']:.3f} | {loads} | {ratios} | "
                f"{'yes' if s['target']['met'] else 'no'} |")
    return "\n".join(lines)


def cli_without_input_hashing(args: list[str]) -> int:
    """``ecociv ARGS`` in this process with the provenance hashing of the input files
    (``ecociv.io.hashing.digest_later``, BLAKE2b of every input byte in a background thread)
    replaced by a constant: a diagnostic of what that hashing costs, never a result."""
    from concurrent.futures import Future

    import ecociv.execute.run
    import ecociv.io.hashing

    def constant(path: str | Path) -> Future[str]:
        done: Future[str] = Future()
        done.set_result("not hashed (benchmark diagnostic)")
        return done

    ecociv.io.hashing.digest_later = constant
    ecociv.execute.run.digest_later = constant
    from ecociv.cli.main import main as cli_main

    sys.argv = ["ecociv", *args]
    cli_main()
    return 0


def _in_subprocess(*worker: str) -> Any:
    """JSON printed (last line) by ``python bench_services.py WORKER ARGS`` (heavy reading is
    kept out of this process, see run_once)."""
    done = subprocess.run([str(PYTHON), str(Path(__file__).resolve()), *worker],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{worker[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def analyse(out: str, reference: str | None = None) -> int:
    """Worker: statistics of a run's rasters (and differences to a reference run), as JSON."""
    result: dict[str, Any] = {"outputs": output_stats(Path(out))}
    if reference:
        result["differences"] = compare_outputs(Path(out), Path(reference))
    print(json.dumps(result, default=float))
    return 0


def _use_source(src: str) -> None:
    """Import ``ecociv`` from the source tree ``src`` from now on (this script imported it from
    the checkout already)."""
    sys.path.insert(0, str(Path(src).resolve()))
    for name in [m for m in sys.modules if m == "ecociv" or m.startswith("ecociv.")]:
        del sys.modules[name]
    import ecociv

    assert Path(ecociv.__file__ or "").resolve().is_relative_to(Path(src).resolve())


def cli_from_source(src: str, args: list[str]) -> int:
    """``ecociv ARGS`` with the ``ecociv`` package imported from the source tree ``src``."""
    _use_source(src)
    from ecociv.cli.main import main as cli_main

    sys.argv = ["ecociv", *args]
    cli_main()
    return 0


def _high_water_mark() -> int:
    """Peak RSS of this process image since its exec, bytes (VmHWM: unlike ru_maxrss it does
    not start from the parent's peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def ls_factor_alone(dem_path: str, src: str | None = None) -> int:
    """Worker: read the DEM and compute RUSLE LS as ``soil_conservation`` does (with the
    package of the source tree ``src`` if given), printing JSON with the seconds and the peak
    RSS before and after (this process only)."""
    import resource

    import rasterio

    if src:
        _use_source(src)
    from ecociv.models.soil_conservation import kernels

    with rasterio.open(dem_path) as dataset:
        dem = dataset.read(1, masked=True).astype(np.float64).filled(np.nan)
        dx, dy = dataset.res
    before = resource.getrusage(resource.RUSAGE_SELF)
    with_dem = _high_water_mark()
    started = time.perf_counter()
    kernels.ls_factor(dem, dx, dy, max_slope_length=333.0, steep_threshold_degrees=10.0)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"wall_s": round(wall, 3),
                      "cpu_s": round(after.ru_utime + after.ru_stime
                                     - before.ru_utime - before.ru_stime, 3),
                      "peak_rss_with_dem_gb": round(with_dem / GB, 3),
                      "peak_rss_gb": round(_high_water_mark() / GB, 3)}))
    return 0


def ls_share(folder: Path, repeats: int, src: Path | None) -> dict[str, Any]:
    """LS alone (fresh process each time) on the benchmark DEM, to set against the whole
    soil_conservation run."""
    runs = []
    for _ in range(repeats):
        load = [round(x, 2) for x in os.getloadavg()]
        result = _in_subprocess("_ls_factor_alone", str(folder / FILES["dem"]),
                                *([str(src)] if src is not None else []))
        runs.append({**result, "loadavg_at_start": load})
    keys = ("wall_s", "cpu_s", "peak_rss_with_dem_gb", "peak_rss_gb")
    return {"what": "kernels.ls_factor alone on the DEM (float64 in memory), fresh process",
            "median": {k: float(np.median([r[k] for r in runs])) for k in keys}, "runs": runs}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_cli_without_input_hashing":
        return cli_without_input_hashing(argv[1:])
    if argv and argv[0] == "_ls_factor_alone":
        return ls_factor_alone(*argv[1:3])
    if argv and argv[0] == "_analyse":
        return analyse(*argv[1:3])
    if argv and argv[0] == "_cli_from_source":
        return cli_from_source(argv[1], argv[2:])
    if argv and argv[0] == "_make_inputs":
        compress = None if argv[3] == "none" else argv[3]
        folder = make_inputs(int(argv[1]), int(argv[2]), compress, crs_kind=argv[4])
        print(json.dumps({"folder": str(folder)}))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=4000, help="N (N×N cells)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per model (≥ 3)")
    parser.add_argument("--configs", nargs="*", default=list(CONFIGS), choices=list(CONFIGS),
                        help="what to time: sand_fixation_annual (no monthly rasters), "
                        "sand_fixation (all outputs), soil_conservation, "
                        "soil_conservation_losses (factor_outputs=false: no R, K, LS rasters)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--compress", choices=["deflate", "lzw", "zstd"], default=None,
                        help="compression of the inputs (default: none)")
    parser.add_argument("--crs", choices=list(CRS_KINDS), default="albers",
                        help="grid of the inputs: China Albers (equal-area) or UTM zone 45N")
    parser.add_argument("--label", default="latest", help="name of this entry in the results")
    parser.add_argument("--keep-outputs", type=Path, default=None,
                        help="copy the last run's outputs to DIR/MODEL")
    parser.add_argument("--compare-to", type=Path, default=None,
                        help="compare outputs cell by cell with DIR/MODEL (from --keep-outputs)")
    parser.add_argument("--diagnose-hashing", action="store_true",
                        help="also time each configuration with the input-file hashing of the "
                        "run manifest switched off (a diagnostic of that framework cost)")
    parser.add_argument("--src", type=Path, default=None,
                        help="run the CLI with the ecociv package of this source tree (a "
                        "folder holding ecociv/), e.g. the code before a change")
    parser.add_argument("--baseline-src", type=Path, default=None,
                        help="also time the ecociv package of this source tree (e.g. a git "
                        "worktree of the commit before a change: TREE/src), run by run in turn "
                        "with this one, so both see the same load; its entry is labelled "
                        "--baseline-label, and each configuration gets the run-by-run ratios")
    parser.add_argument("--baseline-label", default="before")
    parser.add_argument("--skip-ls-alone", action="store_true",
                        help="do not time kernels.ls_factor alone")
    parser.add_argument("--no-warmup", dest="warmup", action="store_false")
    parser.add_argument("--inputs-only", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--env", nargs="*", default=[], metavar="NAME=VALUE",
                        help="environment variables of this tree's runs only (not the "
                             "baseline's), e.g. ECOCIV_RWEQ_SLAB_THREADS=2")
    parser.add_argument("--runs-dir", type=Path, default=None,
                        help="folder of the runs' outputs and logs (default benchmarks/_work/"
                             "runs and logs; give another when two benchmarks run at once)")
    args = parser.parse_args(argv)
    if args.repeats < 3 and not args.inputs_only:
        parser.error("--repeats must be at least 3 (medians of several runs)")
    # generated in a subprocess so that this process stays small (see run_once)
    folder = Path(_in_subprocess("_make_inputs", str(args.size), str(args.seed),
                                 args.compress or "none", args.crs)["folder"])
    meta = json.loads((folder / "metadata.json").read_text())
    print(f"inputs: {folder} ({sum(meta['bytes'].values()) / GB:.2f} GB)", flush=True)
    if args.inputs_only:
        return 0
    results: dict[str, Any] = {"entries": {}}
    if args.out.exists():
        results = json.loads(args.out.read_text())
        results.setdefault("entries", {})
    results["benchmark"] = ("ecociv model run sand_fixation / soil_conservation, whole process, "
                            "on synthetic N×N inputs")
    results["gb"] = "10^9 bytes"
    results["method"] = (
        "wall = spawn to exit of the CLI process; peak RSS = max(os.wait4 ru_maxrss, "
        "psutil-sampled sum over the process tree); one untimed warm-up run per model (warm "
        "page cache); median/min/max of the timed runs; compute_and_write = the run's "
        "manifest timings_s (model run + compute + writing COGs, without interpreter start, "
        "imports and input opening); load averages read just before each run")
    entry: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine_info(None),
        "inputs": {"folder": str(folder.relative_to(ROOT)), "n": args.size, "seed": meta["seed"],
                   "cells": meta["cells"], "bytes": sum(meta["bytes"].values()),
                   "compress": meta["compress"], "crs_kind": meta.get("crs_kind", "albers"),
                   "crs": meta["crs"], "class_shares": meta["class_shares"]},
        "configs": {},
    }
    base_entry: dict[str, Any] | None = None
    if args.baseline_src is not None:
        base_entry = {**entry, "configs": {}, "source_tree": str(args.baseline_src),
                      "machine": entry["machine"]}
    for config in args.configs:
        names = [config] + ([config + NO_HASH] if args.diagnose_hashing else [])
        for name in names:
            entry["configs"][name], base = bench_config(name, folder, args)
            if base_entry is not None and base is not None:
                base_entry["configs"][name] = base
    if "soil_conservation" in args.configs and not args.skip_ls_alone:
        entry["ls_factor_alone"] = ls_share(folder, args.repeats, args.src)
        whole = entry["configs"]["soil_conservation"]
        alone = entry["ls_factor_alone"]["median"]
        entry["ls_factor_alone"]["share_of_soil_conservation"] = {
            "cpu": round(alone["cpu_s"] / whole["cpu_s"]["median"], 3),
            "peak_rss": round(alone["peak_rss_gb"] / whole["peak_rss_gb"]["median"], 3)}
        print(f"\nLS alone: {alone['wall_s']:.2f} s wall, {alone['cpu_s']:.2f} s CPU, peak RSS "
              f"{alone['peak_rss_gb']:.3f} GB ({alone['peak_rss_with_dem_gb']:.3f} GB with just the "
              f"DEM read)", flush=True)
    entry["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    entry["benchmark_process_peak_rss_gb"] = round(_own_peak_rss() / GB, 3)
    if args.src is not None:
        entry["source_tree"] = str(args.src)
    results["entries"][args.label] = entry
    if base_entry is not None:
        results["entries"][args.baseline_label] = base_entry
    results["table_markdown"] = table(results)
    print("\n" + results["table_markdown"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=2, default=float) + "\n")
    os.replace(tmp, args.out)
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
