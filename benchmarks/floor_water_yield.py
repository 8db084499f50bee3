"""What bounds ``ecociv model run water_yield`` from below: the parts of a run no model code can
remove, each timed alone in a fresh process (wall and CPU seconds, medians of ``--repeats``).

=============  ================================================================================
python         the interpreter starting and exiting (``python -c pass``)
imports        what a run imports: the CLI, ``ecociv.execute``, the model and its compiled loop
               (numba, with its on-disk cache loaded by one call on a 1×1 block)
decode         reading every cell of the five input rasters through GDAL on as many threads as
               cores, as the run does (LZW, DEFLATE ... whatever the inputs are), nothing else
encode         the three outputs of a finished run (float32 4000² at N = 4000), in memory, written
               the way ``ecociv.grid.write`` writes them: an uncompressed tiled GeoTIFF, then the
               COG copy (ZSTD level 1, predictor, AVERAGE overviews), copies side by side
=============  ================================================================================

The sum is the floor of a run on these inputs on this machine; InVEST 3.20.2 has to decode the
same inputs too. Usage::

    .venv/bin/python benchmarks/floor_water_yield.py INPUT_FOLDER RUN_FOLDER [--repeats 3]

``INPUT_FOLDER`` is one of ``make_awy_inputs.py``'s folders, ``RUN_FOLDER`` the output folder of
a run on it (its ``water_yield.tif``, ``aet.tif`` and ``aet_fraction.tif`` are re-encoded).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

STAGES = ("python", "imports", "decode", "encode")
OUTPUTS = ("water_yield", "aet", "aet_fraction")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _imports() -> None:
    import numpy as np

    import ecociv.cli.main  # noqa: F401
    from ecociv import execute  # noqa: F401
    from ecociv.models.water_yield import loops
    from ecociv.registry import get_model

    get_model("water_yield")
    one = np.ones((1, 1))
    loops.budyko_block(one, one, one, one, one, one, False, 5.0, np.ones(1), True, 1.0,
                       np.ones(1), np.ones(1), np.ones(1), np.zeros((1, 1), np.int32), one,
                       1.0, np.empty((0, 0)), np.empty((0, 0)),
                       np.empty((1, 1)), np.empty((1, 1)), np.empty((1, 1)), np.zeros((11, 2)))


def _decode(folder: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    import make_awy_inputs as gen
    import rasterio
    from rasterio.windows import Window

    names = [gen.FILES[k] for k in ("land_use", "precipitation", "et0", "root_restricting_depth",
                                    "plant_available_water")]
    jobs = []
    for name in names:
        with rasterio.open(folder / name) as src:
            height, width = src.shape
        jobs += [(folder / name, Window(0, row, width, min(256, height - row)))
                 for row in range(0, height, 256)]

    def read(job: tuple[Path, Any]) -> int:
        with rasterio.open(job[0]) as src:
            return int(src.read(1, window=job[1]).size)

    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        list(pool.map(read, jobs))


def _encode(run: Path) -> dict[str, float]:
    """Wall and CPU of the tiled write and of the COG copies (the arrays are read first, untimed)."""
    from concurrent.futures import ThreadPoolExecutor

    import rasterio
    import rasterio.shutil

    from ecociv.grid import write

    arrays = {}
    for name in OUTPUTS:
        with rasterio.open(run / f"{name}.tif") as src:
            arrays[name] = (src.read(1), src.profile)
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        wall, cpu = time.perf_counter(), _cpu()
        for name, (data, profile) in arrays.items():
            profile = {**profile, "driver": "GTiff", "tiled": True, "blockxsize": 256,
                       "blockysize": 256, "compress": None, "predictor": None}
            profile = {k: v for k, v in profile.items() if v is not None}
            with rasterio.open(tmp / f"{name}.tiled.tif", "w", **profile) as dst:
                dst.write(data, 1)
        timings["tiled_wall_s"], timings["tiled_cpu_s"] = time.perf_counter() - wall, _cpu() - cpu
        meta = write.RasterMeta(units="", long_name="", model_id="", output_id="")
        wall, cpu = time.perf_counter(), _cpu()
        with write._bounded_block_cache(), ThreadPoolExecutor(min(3, os.cpu_count() or 1)) as pool:
            list(pool.map(lambda n: write._to_cog(tmp / f"{n}.tiled.tif", tmp / f"{n}.tif", meta,
                                                  "zstd"), OUTPUTS))
        timings["cog_wall_s"], timings["cog_cpu_s"] = time.perf_counter() - wall, _cpu() - cpu
    return timings


def child(stage: str, folder: Path, run: Path) -> dict[str, float]:
    wall, cpu = time.perf_counter(), _cpu()
    extra: dict[str, float] = {}
    if stage == "imports":
        _imports()
    elif stage == "decode":
        _decode(folder)
    elif stage == "encode":
        extra = _encode(run)
    return {"in_process_wall_s": time.perf_counter() - wall, "in_process_cpu_s": _cpu() - cpu,
            **extra}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", type=Path)
    parser.add_argument("run", type=Path)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--stages", nargs="*", default=list(STAGES), choices=STAGES)
    parser.add_argument("--child", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.child:
        print("FLOOR " + json.dumps(child(args.child, args.inputs, args.run)))
        return 0
    import bench_water_yield as bench

    rows: dict[str, Any] = {}
    for stage in args.stages:
        runs, inner = [], []
        for i in range(args.repeats + 1):
            cmd = ([sys.executable, "-c", "pass"] if stage == "python" else
                   [sys.executable, __file__, str(args.inputs), str(args.run), "--child", stage])
            log = bench.WORK / "logs" / f"floor_{stage}.log"
            os.environ.setdefault("PYTHONPATH", str(HERE.parent / "src"))
            result = bench.measure(cmd, log=log)
            if i == 0:
                continue  # warm-up (page cache, .pyc, numba cache)
            runs.append(result)
            lines = [x for x in log.read_text().splitlines() if x.startswith("FLOOR ")]
            inner.append(json.loads(lines[-1].removeprefix("FLOOR ")) if lines else {})
        keys = sorted({k for d in inner for k in d})
        rows[stage] = {
            "wall_s": round(statistics.median(r["wall_s"] for r in runs), 3),
            "cpu_s": round(statistics.median(r["user_s"] + r["sys_s"] for r in runs), 3),
            "peak_rss_gb": round(statistics.median(r["peak_rss_bytes"] for r in runs) / 1e9, 3),
            "in_process": {k: round(statistics.median(d.get(k, 0.0) for d in inner), 3)
                           for k in keys},
            "load_avg_1min": round(os.getloadavg()[0], 2),
        }
        print(f"{stage:8s} wall {rows[stage]['wall_s']:6.2f} s  cpu {rows[stage]['cpu_s']:6.2f} s  "
              f"load {rows[stage]['load_avg_1min']:.1f}  "
              + "  ".join(f"{k}={v:.2f}" for k, v in rows[stage]["in_process"].items()), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"inputs": str(args.inputs), "stages": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
