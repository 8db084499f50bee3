"""What bounds ``ecociv model run water_yield`` from below: the parts of a run no model code can
remove, each timed alone in a fresh process (wall and CPU seconds, medians of ``--repeats``).

=============  ================================================================================
python         the interpreter starting and exiting (``python -c pass``)
imports        what a run imports: the CLI, ``ecociv.execute``, the model and its compiled loop
               (numba, with its on-disk cache loaded by one call on a 1×1 block)
decode         reading every cell of the five input rasters through GDAL on as many threads as
               cores, as the run does (LZW, DEFLATE ... whatever the inputs are), nothing else
encode         the three outputs of a finished run (float32 4000² at N = 4000), in memory, written
               by ``ecociv.grid.write.write_rasters`` as a run writes them (chunks into a tiled
               GeoTIFF, then the COG copies: ZSTD level 1, predictor, AVERAGE overviews computed
               by ``ecociv.grid.overviews``)
encode-gdal    the same with ``ECOCIV_OWN_OVERVIEWS=0``: GDAL computes the overviews (before)
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

STAGES = ("python", "imports", "decode", "encode", "encode-gdal")
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
    """Wall and CPU of ``write_rasters`` of the three outputs (read first, untimed) as a run
    writes them: chunks into a tiled GeoTIFF, then the COG copies; overviews by
    ``ecociv.grid.overviews`` unless ``ECOCIV_OWN_OVERVIEWS=0`` (stage ``encode-gdal``)."""
    import dask.array as da
    import rasterio
    import xarray as xr

    from ecociv.grid import write
    from ecociv.grid.io import grid_of, read_chunks

    grid = grid_of(run / f"{OUTPUTS[0]}.tif")
    chunks = read_chunks(grid)
    items = []
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        for name in OUTPUTS:
            with rasterio.open(run / f"{name}.tif") as src:
                data = src.read(1, masked=True).astype("float64").filled(float("nan"))
            meta = write.RasterMeta(units="mm/yr", long_name=name, model_id="water_yield",
                                    output_id=name)
            items.append((xr.DataArray(da.from_array(data, chunks=chunks), dims=("y", "x")),
                          tmp / f"{name}.tif", meta))
        wall, cpu = time.perf_counter(), _cpu()
        write.write_rasters(items, grid)
        return {"write_wall_s": time.perf_counter() - wall, "write_cpu_s": _cpu() - cpu}


def child(stage: str, folder: Path, run: Path) -> dict[str, float]:
    wall, cpu = time.perf_counter(), _cpu()
    extra: dict[str, float] = {}
    if stage == "imports":
        _imports()
    elif stage == "decode":
        _decode(folder)
    elif stage in ("encode", "encode-gdal"):
        if stage == "encode-gdal":
            os.environ["ECOCIV_OWN_OVERVIEWS"] = "0"
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

    print(f"inputs: {args.inputs}; outputs re-encoded from {args.run}", flush=True)
    rows: dict[str, Any] = {}
    runs: dict[str, list[dict[str, Any]]] = {stage: [] for stage in args.stages}
    inner: dict[str, list[dict[str, float]]] = {stage: [] for stage in args.stages}
    loads: dict[str, list[float]] = {stage: [] for stage in args.stages}
    os.environ.setdefault("PYTHONPATH", str(HERE.parent / "src"))
    for i in range(args.repeats + 1):  # the stages interleaved round by round (same load)
        for stage in args.stages:
            cmd = ([sys.executable, "-c", "pass"] if stage == "python" else
                   [sys.executable, __file__, str(args.inputs), str(args.run), "--child", stage])
            log = bench.WORK / "logs" / f"floor_{stage}.log"
            load = os.getloadavg()[0]
            result = bench.measure(cmd, log=log)
            if i == 0:
                continue  # warm-up (page cache, .pyc, numba cache)
            runs[stage].append(result)
            loads[stage].append(round(load, 2))
            lines = [x for x in log.read_text().splitlines() if x.startswith("FLOOR ")]
            inner[stage].append(json.loads(lines[-1].removeprefix("FLOOR ")) if lines else {})
    for stage in args.stages:
        keys = sorted({k for d in inner[stage] for k in d})
        rows[stage] = {
            "wall_s": round(statistics.median(r["wall_s"] for r in runs[stage]), 3),
            "cpu_s": round(statistics.median(r["user_s"] + r["sys_s"] for r in runs[stage]), 3),
            "peak_rss_gb": round(statistics.median(r["peak_rss_bytes"] for r in runs[stage]) / 1e9, 3),
            "in_process": {k: round(statistics.median(d.get(k, 0.0) for d in inner[stage]), 3)
                           for k in keys},
            "load_1min": loads[stage],
        }
        print(f"{stage:11s} wall {rows[stage]['wall_s']:6.2f} s  cpu {rows[stage]['cpu_s']:6.2f} s  "
              f"loads {rows[stage]['load_1min']}  "
              + "  ".join(f"{k}={v:.2f}" for k, v in rows[stage]["in_process"].items()), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"inputs": str(args.inputs), "stages": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
