"""The raster read/write floor of whole runs: ``ecociv model run`` of ``water_yield``,
``soil_conservation`` and ``sand_fixation`` (annual) on 4000² UTM 45N LZW inputs, each a fresh
process, with variants of the shared engine interleaved round by round so they see the same load.

Variants (``--variants``):

=========  ====================================================================================
new        this tree's ``src`` (outputs of 4000² runs go through a tiled file and a COG copy)
new-mem    this tree with ``ECOCIV_WRITE_MEMORY_MB=100000``: outputs cast into arrays and the
           COGs written straight from them, everything else as ``new``
gdal-ovr   this tree with ``ECOCIV_OWN_OVERVIEWS=0``: GDAL computes every overview (the code
           before ``ecociv.grid.overviews``), everything else as ``new``
base       another source tree (``--base-src``, e.g. ``git archive main src`` unpacked): the
           code before the change
=========  ====================================================================================

Each row records wall and CPU seconds (user + system of the process), peak RSS, the run's own
``timings_s`` from its manifest and the 1-minute load average at the start of the run. Medians
are over ``--repeats`` rounds after one warm-up round. Usage::

    .venv/bin/python benchmarks/bench_raster_io.py --repeats 3 --base-src /tmp/base/src \\
        [--configs water_yield soil_conservation sand_fixation_annual] [--json out.json]
        [--variants new gdal-ovr base]

``--reads`` times instead, each in a fresh process, what a run does with its raster inputs
alone: ``decode`` (every band read through GDAL in 256-row windows, nothing else) and
``read-check`` (``open_raster`` of every input of the config, then the range checks' ``nanmin``
and ``nanmax`` of each — ``value_ranges`` of the rasters chunked alike, or one
``value_range`` per raster, where the tree has them — computed together
on 2 threads) with the ``new`` and ``base`` trees; ``--reads-folder DIR ...`` reads the
GeoTIFFs of other folders (e.g. the Albers uncompressed services inputs).

Inputs: ``make_awy_inputs.py`` (``awy_synthetic_N4000_utm45n_lzw_ws16``) and
``bench_services.py --crs utm --compress lzw`` (``services_synthetic_N4000_utm_lzw``), made
beforehand.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_services as services  # noqa: E402
import bench_water_yield as wy  # noqa: E402

WORK = HERE / "_work"
FOLDERS = {"water_yield": WORK / "awy_synthetic_N4000_utm45n_lzw_ws16",
           "soil_conservation": WORK / "services_synthetic_N4000_utm_lzw",
           "sand_fixation_annual": WORK / "services_synthetic_N4000_utm_lzw"}


def command(config: str, out: Path, src: Path) -> list[str]:
    if config == "water_yield":
        return wy.ecociv_cmd(FOLDERS[config], out, src)
    return services.model_cmd(config, FOLDERS[config], out, src)


def run(config: str, variant: str, src: Path, round_: int) -> dict[str, Any]:
    out = WORK / "runs" / f"rasterio_{config}_{variant}"
    if out.exists():
        shutil.rmtree(out)
    env = {**os.environ, "PYTHONPATH": str(src)}
    env.pop("ECOCIV_WRITE_MEMORY_MB", None)
    env.pop("ECOCIV_OWN_OVERVIEWS", None)
    if variant == "new-mem":
        env["ECOCIV_WRITE_MEMORY_MB"] = "100000"
    if variant == "gdal-ovr":
        env["ECOCIV_OWN_OVERVIEWS"] = "0"
    load = os.getloadavg()[0]
    log = WORK / "logs" / f"rasterio_{config}_{variant}_{round_}.log"
    result = wy.measure(command(config, out, src), log=log, env=env)
    manifest = json.loads((out / "manifest.json").read_text())
    result["timings_s"] = manifest.get("timings_s", {})
    result["load_1min"] = round(load, 2)
    result["cpu_s"] = round(result["user_s"] + result["sys_s"], 3)
    return result


READS_CHILD = r"""
import os, resource, sys, time
from pathlib import Path
sys.path.insert(0, os.environ["ECOCIV_SRC"])
import dask, dask.array as da, rasterio
from rasterio.windows import Window
stage, folder = sys.argv[1], Path(sys.argv[2])
paths = sorted(folder.glob("*.tif"))
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
wall, start = time.perf_counter(), cpu()
if stage == "decode":
    for path in paths:
        with rasterio.open(path) as src:
            for band in range(1, src.count + 1):
                for row in range(0, src.height, 256):
                    src.read(band, window=Window(0, row, src.width, min(256, src.height - row)))
else:
    from ecociv.grid.io import grid_of, open_raster
    grid = grid_of(paths[0])
    pending = []
    datas = []
    for path in paths:
        with rasterio.open(path) as src:
            count = src.count
        data = open_raster(path, grid, name=path.stem, bands=count if count > 1 else None).data
        datas.append(data)
    try:  # the checks as a run makes them: the ranges of rasters chunked alike in one reduction
        from ecociv.execute.checks import value_ranges  # (since 4 December, 19:00)
        by_chunks = {}
        for data in datas:
            by_chunks.setdefault(data.chunks, []).append(data)
        for group in by_chunks.values():
            pending.append(value_ranges(group, [(True, True)] * len(group)))
    except ImportError:
        try:  # one reduction per raster for both bounds (4 December)
            from ecociv.execute.checks import value_range
            for data in datas:
                both = value_range(data)
                pending += [both["min"], both["max"]]
        except ImportError:
            pending += [v for data in datas for v in (da.nanmin(data), da.nanmax(data))]
    dask.compute(*pending, num_workers=2)
print("READS", time.perf_counter() - wall, cpu() - start)
"""


def reads(configs: list[str], sources: dict[str, Path], repeats: int,
          folders: list[Path] | None = None) -> dict[str, Any]:
    """Median wall and CPU seconds of decoding / reading and checking each config's inputs
    (or the GeoTIFFs of each of ``folders``)."""
    import subprocess

    out: dict[str, Any] = {}
    for folder in folders or sorted({FOLDERS[c] for c in configs}):
        rows: dict[str, list[tuple[float, float, float]]] = {}
        for round_ in range(repeats + 1):
            for label, stage, src in (("decode", "decode", sources["new"]),
                                      ("read-check new", "read", sources["new"]),
                                      ("read-check base", "read", sources["base"])):
                load = os.getloadavg()[0]
                done = subprocess.run([sys.executable, "-c", READS_CHILD, stage, str(folder)],
                                      env={**os.environ, "ECOCIV_SRC": str(src)},
                                      capture_output=True, text=True, check=True)
                line = [x for x in done.stdout.splitlines() if x.startswith("READS ")][-1]
                wall, cpu = (float(v) for v in line.split()[1:])
                print(f"{folder.name} {label:16s} round {round_} wall {wall:6.2f} s cpu {cpu:6.2f} s "
                      f"load {load:.1f}", flush=True)
                if round_:
                    rows.setdefault(label, []).append((wall, cpu, round(load, 2)))
        out[folder.name] = {label: {"wall_s": round(statistics.median(r[0] for r in v), 3),
                                    "cpu_s": round(statistics.median(r[1] for r in v), 3),
                                    "load_1min": [r[2] for r in v]} for label, v in rows.items()}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", nargs="*", default=list(FOLDERS), choices=list(FOLDERS))
    parser.add_argument("--variants", nargs="*", default=["new", "new-mem", "base"],
                        choices=["new", "new-mem", "gdal-ovr", "base"])
    parser.add_argument("--base-src", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--reads", action="store_true")
    parser.add_argument("--reads-folder", type=Path, nargs="*", default=None,
                        help="with --reads: the GeoTIFFs of these folders instead of the configs' "
                             "(e.g. benchmarks/_work/services_synthetic_N4000, Albers uncompressed)")
    parser.add_argument("--new-src", type=Path, default=HERE.parent / "src",
                        help="the tree of the 'new' variants (default: this checkout's src)")
    args = parser.parse_args(argv)
    if ("base" in args.variants or args.reads) and args.base_src is None:
        parser.error("--base-src is needed for the 'base' variant and --reads")
    sources = {"new": args.new_src, "new-mem": args.new_src, "gdal-ovr": args.new_src,
               "base": args.base_src}
    for folder in args.reads_folder or []:
        print(f"inputs: {folder} ({', '.join(sorted(p.name for p in folder.glob('*.tif')))})",
              flush=True)
    for config in args.configs if not args.reads_folder else []:
        print(f"inputs of {config}: {FOLDERS[config]} "
              f"({', '.join(sorted(p.name for p in FOLDERS[config].glob('*.tif')))})", flush=True)
    if args.reads:
        result = reads(args.configs, sources, args.repeats, args.reads_folder)
        print(json.dumps(result, indent=2))
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(result, indent=2) + "\n")
        return 0
    rows: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for config in args.configs:
        rows[config] = {v: [] for v in args.variants}
        for round_ in range(args.repeats + 1):
            for variant in args.variants:
                result = run(config, variant, sources[variant], round_)
                print(f"{config:22s} {variant:9s} round {round_}  wall {result['wall_s']:6.2f} s  "
                      f"cpu {result['cpu_s']:6.2f} s  rss {result['peak_rss_bytes'] / 1e9:.2f} GB  "
                      f"load {result['load_1min']:.1f}", flush=True)
                if round_:
                    rows[config][variant].append(result)
    summary: dict[str, Any] = {}
    for config, by_variant in rows.items():
        summary[config] = {}
        for variant, runs in by_variant.items():
            summary[config][variant] = {
                "wall_s": round(statistics.median(r["wall_s"] for r in runs), 3),
                "cpu_s": round(statistics.median(r["cpu_s"] for r in runs), 3),
                "peak_rss_gb": round(statistics.median(r["peak_rss_bytes"] for r in runs) / 1e9, 3),
                "load_1min": [r["load_1min"] for r in runs],
                "runs": runs,
            }
            s = summary[config][variant]
            print(f"MEDIAN {config:22s} {variant:9s} wall {s['wall_s']:6.2f} s  cpu {s['cpu_s']:6.2f} s"
                  f"  rss {s['peak_rss_gb']:.2f} GB  loads {s['load_1min']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
