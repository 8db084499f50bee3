"""Time and memory of every raster model of the Belt demo per megapixel, on the kinds of input
users have, and how they grow with the grid from 1000² to 16000² cells.

Inputs: the ``ecociv demo`` scenario (the Belt baseline) is run once with this checkout
(``WORK/demo``), and each raster model is then run alone, as a whole ``ecociv model run``
process, with the inputs and parameters its step had in the demo (read from the step's
``manifest.json``), every raster resampled onto an N × N grid over the Belt's extent:

* ``albers``: the Belt's Albers equal-area CRS, uncompressed, 256 × 256 tiles;
* ``utm_lzw``: UTM zone 45N (EPSG:32645), LZW, 256 × 256 tiles;
* ``wgs84_deflate``: geographic EPSG:4326, DEFLATE, 256 × 256 tiles;
* ``utm_lzw_striped``: UTM zone 45N, LZW, strips of one row (untiled);
* ``albers_zstd`` / ``albers_deflate``: the Belt's Albers CRS, ZSTD (level 1) / DEFLATE (level
  6, GDAL's default), 256 × 256 tiles, horizontal predictor for integer bands and the
  floating-point one for float bands: compressed inputs as users keep them (at 16000² the
  uncompressed inputs of ``sand_fixation`` would be 32.5 GB).

The grid is the bounding box of the Belt's 732 × 1294 grid of 1 km cells (in the target CRS)
split into N × N cells, so cells are not square (about 1294/N × 732/N km on Albers) and finer
grids only repeat the 1 km data (bilinear for continuous inputs, nearest for categorical
ones, as ``RasterInput.resampling_method`` says): the runs measure the engine and the models on
N² cells, not new information. Vector inputs (county polygons) and tables are the demo's. Models
with distances in metres (habitat_quality's threat decay, the security pattern's corridors, the
red line's patch areas) see more cells per kilometre on finer grids, so their time per cell
grows; that is what finer data costs.

Each run: wall time from spawn to exit, CPU (user + sys), peak RSS of the process tree
(``bench_water_yield.measure``), 1/5/15-minute load averages before the run. One untimed run of
each model first (page cache, numba's cache, the input digest cache). ``--repeats`` timed runs,
model after model in turn (so each model's runs are spread over the session's load). Results:
``benchmarks/results/scaling.json`` (every run, merged with earlier entries by
(model, kind, N), and by the ``--param`` overrides when given: ``model|kind|N|key=value``).
Each run also records the bytes of its raster inputs, the largest size its output folder reached
while it ran (sampled every second: the uncompressed tiled files the chunks are streamed into
before the COGs are copied from them count there) and the size of the finished outputs.

Usage::

    python benchmarks/bench_scaling.py --sizes 2000 --kinds albers utm_lzw wgs84_deflate \
        utm_lzw_striped --repeats 3
    python benchmarks/bench_scaling.py --sizes 1000 2000 4000 8000 --kinds albers --repeats 1
    python benchmarks/bench_scaling.py --sizes 16000 --kinds albers --models water_yield carbon
    nice -n 19 python benchmarks/bench_scaling.py --sizes 16000 --kinds albers_zstd \
        --models sand_fixation --param monthly_outputs=false --no-warmup --as-gb 16 --clean-inputs
"""

from __future__ import annotations

import argparse
import json
import os
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
sys.path.insert(0, str(HERE))

from bench_water_yield import machine_info, measure  # noqa: E402

WORK = HERE / "_work" / "scaling"
RESULTS = HERE / "results" / "scaling.json"
KINDS: dict[str, dict[str, Any]] = {
    "albers": {"crs": None, "compress": None, "tiled": True},
    "utm_lzw": {"crs": "EPSG:32645", "compress": "lzw", "tiled": True},
    "wgs84_deflate": {"crs": "EPSG:4326", "compress": "deflate", "tiled": True},
    "utm_lzw_striped": {"crs": "EPSG:32645", "compress": "lzw", "tiled": False},
    "albers_zstd": {"crs": None, "compress": "zstd", "tiled": True, "predictor": True,
                    "options": {"zstd_level": 1}},
    "albers_deflate": {"crs": None, "compress": "deflate", "tiled": True, "predictor": True},
}
#: models of the demo without raster inputs (not part of a per-megapixel table)
NOT_RASTER = {"water_allocation"}


def finished_demo_run(src: Path, store: Path) -> Path:
    """The folder of a finished ``ecociv demo`` run in ``store`` made with the source tree ``src``
    (made once, then reused)."""
    runs = sorted((store / "runs").glob("*/manifest.json")) if store.exists() else []
    if not runs:
        env = {**os.environ, "PYTHONPATH": str(src)}
        subprocess.run([sys.executable, "-m", "ecociv.cli.main", "demo", "--out", str(store)],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        runs = sorted((store / "runs").glob("*/manifest.json"))
    return runs[-1].parent


def demo_steps(src: Path) -> dict[str, dict[str, Any]]:
    """Each raster step of the demo: its inputs (id -> path) and parameters (id -> value)."""
    run = finished_demo_run(src, WORK / "demo")
    steps = {}
    for manifest in sorted(run.glob("*/manifest.json")):
        data = json.loads(manifest.read_text())
        model = data["model"] if isinstance(data["model"], str) else data["model"]["id"]
        if model in NOT_RASTER:
            continue
        inputs = {}
        for key, value in data["inputs"].items():
            path = value if isinstance(value, str) else value.get("path")
            # upstream outputs were recorded in the run's unfinished folder, renamed since
            path = path.replace(f"/.partial-{run.name}/", f"/{run.name}/")
            inputs[key] = path
        steps[model] = {"inputs": inputs, "params": data.get("params") or {}}
    return steps


def target_grid(kind: str, n: int) -> tuple[Any, Any]:
    """CRS and transform of the N × N grid over the Belt's extent for an input kind."""
    import rasterio
    from rasterio.transform import from_bounds
    from rasterio.warp import transform_bounds

    with rasterio.open(ROOT / "src" / "ecociv" / "data" / "belt" / "land_use.tif") as ref:
        crs, bounds = ref.crs, ref.bounds
    target = KINDS[kind]["crs"]
    if target is not None:
        bounds = transform_bounds(crs, target, *bounds, densify_pts=51)
        crs = rasterio.crs.CRS.from_user_input(target)
    return crs, from_bounds(*bounds, n, n)


def resampled(model: str, input_id: str, source: str, kind: str, n: int) -> Path:
    """``source`` on the N × N grid of ``kind`` (written once, then reused)."""
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.vrt import WarpedVRT

    from ecociv.registry import get_spec

    spec = get_spec(model)
    item = next(i for i in spec.inputs if i.id == input_id)
    method = item.resampling_method
    name = Path(source).name
    origin = "belt" if "/data/belt/" in source else Path(source).parent.name
    folder = WORK / "inputs" / f"{kind}_N{n}"
    out = folder / f"{origin}__{Path(name).stem}__{method}.tif"
    if out.exists():
        return out
    folder.mkdir(parents=True, exist_ok=True)
    crs, transform = target_grid(kind, n)
    options = KINDS[kind]
    profile: dict[str, Any] = {"driver": "GTiff", "width": n, "height": n, "crs": crs,
                               "transform": transform, "BIGTIFF": "IF_SAFER"}
    if options["tiled"]:
        profile.update(tiled=True, blockxsize=256, blockysize=256)
    else:
        profile.update(tiled=False, blockysize=1)
    if options["compress"]:
        profile["compress"] = options["compress"]
    profile.update(options.get("options", {}))
    partial = out.with_suffix(".partial.tif")
    with rasterio.open(source) as src:
        profile.update(count=src.count, dtype=src.dtypes[0], nodata=src.nodata)
        if options.get("predictor"):  # 2: horizontal differencing, 3: floating point
            profile["predictor"] = 3 if src.dtypes[0].startswith("float") else 2
        with WarpedVRT(src, crs=crs, transform=transform, width=n, height=n,
                       resampling=Resampling[method], src_nodata=src.nodata,
                       nodata=src.nodata) as vrt, rasterio.open(partial, "w", **profile) as dst:
            dst.scales, dst.offsets = src.scales, src.offsets  # int16 layers in 0.1 units
            if src.descriptions and any(src.descriptions):
                dst.descriptions = src.descriptions
            tags = src.tags()
            if tags:
                dst.update_tags(**tags)
            for band in range(1, src.count + 1):
                btags = src.tags(band)
                if btags:
                    dst.update_tags(band, **btags)
                if src.units and src.units[band - 1]:
                    dst.set_band_unit(band, src.units[band - 1])
            rows = max(1, 2 ** 22 // n)
            for top in range(0, n, rows):
                window = rasterio.windows.Window(0, top, n, min(rows, n - top))
                dst.write(vrt.read(window=window), window=window)
    partial.rename(out)
    return out


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _files_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) if folder.exists() else 0


def _folder_peak(out: Path, done: threading.Event, peak: list[int]) -> None:
    """Largest size the output folder ``out`` and the temporary folder the run writes beside it
    (``.<name>.partial-*``, renamed to ``out`` at the end) reach until ``done`` (sampled every
    second; files that vanish between the listing and the stat are skipped; other runs' folders
    in the same parent are not counted)."""
    while not done.wait(1.0):
        total = 0
        try:
            for folder in [out, *out.parent.glob(f".{out.name}.partial-*")]:
                for f in folder.rglob("*"):
                    try:
                        total += f.stat().st_size
                    except OSError:
                        pass
        except OSError:
            pass
        peak[0] = max(peak[0], total)


def command(model: str, step: dict[str, Any], kind: str, n: int, out: Path) -> list[str]:
    from ecociv.registry import get_spec
    from ecociv.spec import RasterInput

    spec = get_spec(model)
    rasters = {i.id for i in spec.inputs if isinstance(i, RasterInput)}
    cmd = [sys.executable, "-m", "ecociv.cli.main", "model", "run", model, "--out", str(out)]
    for key, path in step["inputs"].items():
        if key in rasters:
            path = str(resampled(model, key, path, kind, n))
        cmd += ["--input", f"{key}={path}"]
    for key, value in step["params"].items():
        if isinstance(value, dict | list):
            continue
        cmd += ["--param", f"{key}={_param(value)}"]
    return cmd


def run_one(model: str, step: dict[str, Any], kind: str, n: int, src: Path,
            tag: str, as_gb: float | None = None) -> dict[str, Any]:
    out = WORK / "out" / f"{model}_{kind}_N{n}_{tag}"
    if out.exists():
        shutil.rmtree(out)
    cmd = command(model, step, kind, n, out)
    inputs_bytes = sum(Path(a.split("=", 1)[1]).stat().st_size for a in cmd
                       if "=" in a and a.split("=", 1)[1].endswith(".tif"))
    if as_gb:  # cap the address space (every mapping counts), as bench_memory_limit.py does
        cmd = ["prlimit", f"--as={int(as_gb * 1e9)}", "--", *cmd]
    env = {**os.environ, "PYTHONPATH": str(src)}
    load = [round(x, 2) for x in os.getloadavg()]
    done, peak = threading.Event(), [0]
    watcher = threading.Thread(target=_folder_peak, args=(out, done, peak), daemon=True)
    watcher.start()
    try:
        result = measure(cmd, log=WORK / "logs" / f"{model}_{kind}_N{n}_{tag}.log", env=env)
    finally:
        done.set()
        watcher.join()
    result["loadavg_at_start"] = load
    result["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    result["raster_inputs_bytes"] = inputs_bytes
    result["out_folder_peak_bytes"] = peak[0]
    result["outputs_bytes"] = _files_bytes(out)
    result["ecociv_env"] = {k: v for k, v in os.environ.items() if k.startswith("ECOCIV_")}
    manifest = json.loads((out / "manifest.json").read_text())
    result["in_process_s"] = manifest.get("timings_s", {})
    shutil.rmtree(out)
    return result


KIND_TITLES = {"albers": "Albers, uncompressed", "utm_lzw": "UTM 45N, LZW",
               "wgs84_deflate": "EPSG:4326, DEFLATE", "utm_lzw_striped": "UTM 45N, LZW, striped"}


def _rss_gb(entry: dict[str, Any]) -> float:
    """Median peak RSS of the process tree sampled every 0.1 s (``ru_maxrss`` of a child starts
    at this script's own peak on Linux, which the input resampling can raise)."""
    return statistics.median(r["tree_sampled_peak_bytes"] for r in entry["runs"]) / 1e9


def tables(record: dict[str, Any], kinds_n: int) -> str:
    """Markdown tables from the results: per input kind at N = ``kinds_n``, and growth with N on
    Albers uncompressed inputs."""
    entries = record["entries"]
    models = sorted({e["model"] for e in entries.values()})
    lines = [f"Per input kind, N = {kinds_n} ({kinds_n ** 2 / 1e6:g} Mpx): CPU s per Mpx / wall s "
             "per Mpx / peak RSS GB (whole process, start-up included); last column: CPU on "
             "each kind ÷ CPU on Albers", "",
             "| model | " + " | ".join(KIND_TITLES[k] for k in KIND_TITLES) + " | CPU ÷ Albers |",
             "|---|" + "---|" * (len(KIND_TITLES) + 1)]
    for model in models:
        cells, cpus = [], {}
        for kind in KIND_TITLES:
            e = entries.get(f"{model}|{kind}|{kinds_n}")
            if e is None or "refused" in e:
                cells.append("refused" if e else "—")
                continue
            cpus[kind] = e["cpu_median_s"]
            cells.append(f"{e['cpu_s_per_mpx']:.2f} / {e['wall_s_per_mpx']:.2f} / "
                         f"{_rss_gb(e):.2f}")
        ratio = ", ".join(f"{cpus[k] / cpus['albers']:.2f}" for k in KIND_TITLES
                          if k in cpus and k != "albers" and "albers" in cpus)
        lines.append(f"| {model} | " + " | ".join(cells) + f" | {ratio} |")
    sizes = sorted({e["n"] for e in entries.values() if e["kind"] == "albers"})
    lines += ["", "Growth with N, Albers uncompressed: CPU s (wall s), peak RSS GB; last column: "
              "CPU per added Mpx between the two largest sizes run (start-up excluded)", "",
              "| model | " + " | ".join(f"{n}² ({n * n / 1e6:g} Mpx)" for n in sizes)
              + " | marginal CPU s/Mpx |", "|---|" + "---|" * (len(sizes) + 1)]
    for model in models:
        cells, done = [], []
        for n in sizes:
            e = entries.get(f"{model}|albers|{n}")
            if e is None or "refused" in e:
                cells.append("—")
                continue
            done.append(e)
            cells.append(f"{e['cpu_median_s']:.1f} ({e['wall_median_s']:.1f}), {_rss_gb(e):.2f}")
        marginal = ""
        if len(done) >= 2:
            a, b = done[-2], done[-1]
            marginal = f"{(b['cpu_median_s'] - a['cpu_median_s']) / (b['megapixels'] - a['megapixels']):.2f}"
        lines.append(f"| {model} | " + " | ".join(cells) + f" | {marginal} |")
    lines += _other_growth(entries)
    return "\n".join(lines)


def _other_growth(entries: dict[str, Any]) -> list[str]:
    """Growth rows of the runs on other kinds than Albers uncompressed or with ``--param``
    overrides (one row per model, kind and overrides)."""
    rows: dict[tuple[str, str, str], dict[int, dict[str, Any]]] = {}
    for e in entries.values():
        if "refused" in e or (e["kind"] == "albers" and not e.get("variant")):
            continue
        rows.setdefault((e["model"], e["kind"], e.get("variant", "")), {})[e["n"]] = e
    if not rows:
        return []
    sizes = sorted({n for by_n in rows.values() for n in by_n})
    lines = ["", "Growth with N, other input kinds and parameters: CPU s (wall s), peak RSS GB; "
             "raster inputs GB on disk; last column: CPU per added Mpx between the two largest "
             "sizes run", "",
             "| model, kind, parameters | " + " | ".join(f"{n}²" for n in sizes)
             + " | marginal CPU s/Mpx |", "|---|" + "---|" * (len(sizes) + 1)]
    for (model, kind, variant), by_n in sorted(rows.items()):
        cells = []
        for n in sizes:
            e = by_n.get(n)
            if e is None:
                cells.append("—")
                continue
            size = e["runs"][0].get("raster_inputs_bytes")
            cells.append(f"{e['cpu_median_s']:.1f} ({e['wall_median_s']:.1f}), {_rss_gb(e):.2f}"
                         + (f"; {size / 1e9:.2f}" if size else ""))
        done = [by_n[n] for n in sizes if n in by_n]
        marginal = ""
        if len(done) >= 2:
            a, b = done[-2], done[-1]
            marginal = f"{(b['cpu_median_s'] - a['cpu_median_s']) / (b['megapixels'] - a['megapixels']):.2f}"
        label = ", ".join(x for x in (model, kind, variant) if x)
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {marginal} |")
    return lines


def save(record: dict[str, Any], runs: dict[str, list[dict[str, Any]]], refused: dict[str, str],
         kind: str, n: int, out: Path, variant: str = "") -> None:
    """Write the results so far (after every run: a long session may be stopped). ``variant``:
    the ``--param`` overrides (``key=value,...``), part of the entries' keys when given."""
    suffix = f"|{variant}" if variant else ""
    for model, message in refused.items():
        record["entries"][f"{model}|{kind}|{n}{suffix}"] = {
            "model": model, "kind": kind, "n": n, "variant": variant, "refused": message,
            "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    for model, model_runs in runs.items():
        if not model_runs:
            continue
        walls = [r["wall_s"] for r in model_runs]
        cpus = [r["user_s"] + r["sys_s"] for r in model_runs]
        mpx = n * n / 1e6
        record["entries"][f"{model}|{kind}|{n}{suffix}"] = {
            "model": model, "kind": kind, "n": n, "variant": variant, "megapixels": mpx,
            "wall_median_s": round(statistics.median(walls), 3),
            "cpu_median_s": round(statistics.median(cpus), 3),
            "wall_s_per_mpx": round(statistics.median(walls) / mpx, 4),
            "cpu_s_per_mpx": round(statistics.median(cpus) / mpx, 4),
            "peak_rss_gb_median": round(statistics.median(
                r["peak_rss_bytes"] for r in model_runs) / 1e9, 3),
            "loadavg_1min": [r["loadavg_at_start"][0] for r in model_runs],
            "runs": model_runs,
            "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    # merge with what other sessions wrote meanwhile: only the entries of this invocation
    # replace theirs (another invocation may have rewritten an entry read at this one's start)
    mine = record.setdefault("_mine", set())
    mine.update(f"{m}|{kind}|{n}{suffix}" for m in [*refused, *(m for m, r in runs.items() if r)])
    if out.exists():
        current = json.loads(out.read_text())
        current["entries"].update({key: record["entries"][key] for key in mine})
        record["entries"] = current["entries"]
        for session in current.get("sessions", []):
            if session not in record["sessions"]:
                record["sessions"].insert(0, session)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({k: v for k, v in record.items() if k != "_mine"}, indent=1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000])
    parser.add_argument("--kinds", nargs="+", choices=sorted(KINDS), default=["albers"])
    parser.add_argument("--models", nargs="*", help="default: every raster model of the demo")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--no-warmup", action="store_true")
    parser.add_argument("--src", type=Path, default=ROOT / "src",
                        help="the source tree to time (a folder holding ecociv/)")
    parser.add_argument("--inputs-only", action="store_true")
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                        help="override a parameter of the demo's step (e.g. "
                        "monthly_outputs=false); the results are kept apart by it")
    parser.add_argument("--as-gb", type=float,
                        help="cap each run's address space at this many GB (prlimit --as)")
    parser.add_argument("--clean-inputs", action="store_true",
                        help="delete the input files this invocation wrote once its runs at a "
                        "size are done (files that existed before are kept)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--table", type=int, metavar="N",
                        help="print the markdown tables of --out (input kinds at N) and stop")
    args = parser.parse_args(argv)
    if args.table:
        print(tables(json.loads(args.out.read_text()), args.table))
        return 0
    src = args.src.resolve()
    steps = demo_steps(src)
    models = args.models or sorted(steps)
    overrides = dict(item.split("=", 1) for item in args.param)
    for model in models:
        known = set(steps[model]["params"])
        for key in overrides:
            if key not in known:
                parser.error(f"--param {key}: not a parameter of the demo's {model} step "
                             f"({', '.join(sorted(known))})")
        steps[model]["params"] = {**steps[model]["params"], **overrides}
    variant = ",".join(f"{k}={v}" for k, v in sorted(overrides.items()))
    record = json.loads(args.out.read_text()) if args.out.exists() else {"entries": {}}
    record.setdefault("sessions", []).append({"machine": machine_info(None), "argv": sys.argv[1:],
                                              "started": time.strftime("%Y-%m-%d %H:%M:%S UTC",
                                                                       time.gmtime())})
    for n in args.sizes:
        for kind in args.kinds:
            t0, c0 = time.perf_counter(), time.process_time()
            folder = WORK / "inputs" / f"{kind}_N{n}"
            before = set(folder.glob("*")) if folder.exists() else set()
            used: set[Path] = set()
            for model in models:  # writes the inputs
                used.update(Path(a.split("=", 1)[1]) for a in
                            command(model, steps[model], kind, n, WORK / "unused")
                            if "=" in a and a.split("=", 1)[1].endswith(".tif"))
            new = sorted(set(folder.glob("*")) - before)
            print(f"inputs {kind} N={n}: {time.perf_counter() - t0:.0f} s wall, "
                  f"{time.process_time() - c0:.0f} s CPU to write {len(new)} new files "
                  f"({sum(f.stat().st_size for f in new) / 1e9:.2f} GB); the runs read "
                  f"{sum(f.stat().st_size for f in used) / 1e9:.2f} GB of raster inputs", flush=True)
            if args.inputs_only:
                continue
            if not args.no_warmup:
                for model in models:
                    run_one(model, steps[model], kind, n, src, "warmup", args.as_gb)
            runs: dict[str, list[dict[str, Any]]] = {m: [] for m in models}
            refused: dict[str, str] = {}
            for i in range(args.repeats):
                for model in models:
                    if model in refused:
                        continue
                    try:
                        result = run_one(model, steps[model], kind, n, src, str(i), args.as_gb)
                    except RuntimeError as err:  # e.g. a model that needs a projected grid
                        lines = [x for x in str(err).splitlines() if x.startswith("error:")]
                        refused[model] = lines[-1] if lines else str(err)[-300:]
                        print(f"{model} {kind} N={n}: {refused[model]}", flush=True)
                        continue
                    runs[model].append(result)
                    save(record, runs, refused, kind, n, args.out, variant)
                    cpu = result["user_s"] + result["sys_s"]
                    print(f"{model} {kind} N={n} run {i + 1}: {result['wall_s']:.2f} s wall, "
                          f"{cpu:.2f} s CPU, {result['peak_rss_bytes'] / 1e9:.3f} GB, "
                          f"load {result['loadavg_at_start']}", flush=True)
            save(record, runs, refused, kind, n, args.out, variant)
            if args.clean_inputs:
                for f in new:
                    f.unlink(missing_ok=True)
                print(f"deleted the {len(new)} input files written for {kind} N={n}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
