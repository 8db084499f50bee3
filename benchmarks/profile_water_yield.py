"""Where the time and memory of ``ecociv model run water_yield`` go, stage by stage.

Each stage runs in a fresh process (so its peak RSS is its own) and does everything the stage
before it did, plus one step; the differences of the medians are the cost of each step:

=============  ===============================================================================
imports        interpreter start + ``ecociv.cli.main`` + ``ecociv.execute`` + the model
hash           imports + BLAKE2b of every input file (what the manifest records)
load           imports + ``load_inputs`` (open rasters lazily, read table and watersheds)
read           load + read every input raster chunk (nodata → NaN, float conversion)
compute        load + compute every output chunk, the watershed table and the input checks,
               writing nothing
tiled          ``run_loaded`` with the COG copy skipped (chunks written into tiled GeoTIFFs,
               hashing in the background as usual)
full-nohash    ``run_loaded`` with hashing skipped
full           ``run_loaded`` as the CLI runs it
full-lean      an experiment, not ecociv's code: ``full`` with two leaner forms of the same
               steps patched in (lookup-table reclassify, Fu evaluated on vegetated cells only),
               see :func:`_patch_lean` (the third, zonal bincounts without boolean indexing, is
               now ecociv's ``grid.ops.zonal_sums``)
=============  ===============================================================================

Usage::

    .venv/bin/python benchmarks/profile_water_yield.py 4000 [--repeats 3] [--stages ...]
        [--chunk-cells 1048576]

``--chunk-cells`` overrides ``GridSpec.default_chunks`` (cells per chunk) in the children, to
see how the chunk size trades memory for speed. Requires the inputs of
``make_awy_inputs.py``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

STAGES = ("imports", "hash", "load", "read", "compute", "tiled", "full-nohash", "full", "full-lean")


class _Null:
    """A dask ``store`` target that drops what it is given."""

    def __setitem__(self, key: Any, value: Any) -> None:
        pass


def _patch_lean() -> None:
    """What-if: replace two steps of water_yield by leaner forms that give the same numbers
    (to rounding), to measure what they would save. Nothing here is used by ecociv."""
    import numpy as np
    import xarray as xr

    from ecociv.models.water_yield import kernels, model

    def reclassify(codes: Any, mapping: Any) -> Any:
        keys = np.array(sorted(int(k) for k in mapping))
        lut = np.full(int(keys.max()) + 2, np.nan)
        lut[keys] = [mapping[int(k)] for k in keys]
        missing = lut.size - 1

        def _block(block: np.ndarray) -> np.ndarray:
            bad = np.isnan(block) | (block < 0) | (block > missing - 1)
            return lut[np.where(bad, missing, block).astype(np.intp)]

        return xr.apply_ufunc(_block, codes, dask="parallelized", output_dtypes=[np.float64])

    def aet_fraction(precip: Any, et0: Any, kc: Any, veg: Any, root: Any, depth: Any, pawc: Any,
                     z: float) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            pet = kc * et0
            out = np.minimum(precip, pet) / precip
            v = veg == 1
            p = precip[v]
            phi = pet[v] / p
            omega = np.minimum(z * np.minimum(root[v], depth[v]) * pawc[v] / p + 1.25, 5.0)
            out[v] = np.minimum(phi, 1.0 + phi - (1.0 + phi**omega) ** (1.0 / omega))
        invalid = (precip == 0) | np.isnan(precip) | np.isnan(pet) | np.isnan(veg)
        invalid |= np.isnan(depth) | np.isnan(pawc)
        out[invalid] = np.nan
        return out

    model.reclassify = reclassify  # type: ignore[assignment]
    kernels.aet_fraction = aet_fraction  # type: ignore[assignment]


def child(stage: str, folder: Path, out: Path, chunk_cells: int | None,
          chunk_shape: tuple[int, int] | None = None) -> dict[str, Any]:
    started = time.perf_counter()
    import make_awy_inputs as gen

    import ecociv.cli.main  # noqa: F401  (what the CLI imports before it runs anything)
    from ecociv import execute
    from ecociv.registry import get_model

    if chunk_cells:
        from ecociv.grid.spec import GridSpec

        original = GridSpec.default_chunks
        GridSpec.default_chunks = lambda self, target_cells=chunk_cells: original(self, chunk_cells)  # type: ignore[method-assign]
    if chunk_shape:
        from ecociv.grid.spec import GridSpec

        GridSpec.default_chunks = lambda self, target_cells=0: (  # type: ignore[method-assign]
            min(chunk_shape[0], self.rows), min(chunk_shape[1], self.cols))
    model = get_model("water_yield")
    if stage == "full-lean":
        _patch_lean()
    timings = {"imports": time.perf_counter() - started}
    files = {k: str(folder / v) for k, v in gen.FILES.items()}
    if stage == "imports":
        return timings
    if stage == "hash":
        from ecociv.io.hashing import file_digest

        t = time.perf_counter()
        for path in files.values():
            file_digest(path)
        timings["hash"] = time.perf_counter() - t
        return timings
    t = time.perf_counter()
    loaded = execute.load_inputs(model, files, {"seasonality_z": "5"})
    timings["load"] = time.perf_counter() - t
    if stage == "load":
        return timings
    import dask
    import dask.array as da

    t = time.perf_counter()
    with execute.scheduler(None):
        if stage == "read":
            arrays = [v.data for v in loaded.values.values() if hasattr(v, "data")
                      and isinstance(getattr(v, "data", None), da.Array)]
            da.store(arrays, [_Null() for _ in arrays], lock=False)
            timings["read"] = time.perf_counter() - t
            return timings
        if stage == "compute":
            produced = dict(model.run(loaded.values))
            checks = execute._raster_checks(model, loaded.values)
            rasters = [v.data for v in produced.values() if hasattr(v, "dims")]
            others = [v for v in produced.values() if not hasattr(v, "dims")]
            stored = da.store(rasters, [_Null() for _ in rasters], lock=False, compute=False)
            dask.compute(stored, *others, *[c[2] for c in checks])
            timings["compute"] = time.perf_counter() - t
            return timings
    from ecociv.grid import write

    cog_spans: list[tuple[float, float]] = []
    original_cog = write._to_cog

    def timed_cog(*args: Any, **kwargs: Any) -> None:
        t0 = time.perf_counter()
        if stage != "tiled":
            original_cog(*args, **kwargs)
        cog_spans.append((t0, time.perf_counter()))

    write._to_cog = timed_cog
    if stage == "full-nohash":
        from concurrent.futures import Future

        def no_digest(path: Any) -> Future[str]:
            done: Future[str] = Future()
            done.set_result("skipped")
            return done

        execute.digest_later = no_digest
    t = time.perf_counter()
    execute.run_loaded(model, loaded, out)
    timings["run_loaded"] = time.perf_counter() - t
    # the copies may run side by side: wall time from the first start to the last end
    timings["cog_copies"] = (max(e for _, e in cog_spans) - min(b for b, _ in cog_spans)
                             if cog_spans else 0.0)
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, nargs="?", default=4000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--stages", nargs="*", default=list(STAGES[:-1]), choices=STAGES)
    parser.add_argument("--chunk-cells", type=int, default=None)
    parser.add_argument("--chunks", type=int, nargs=2, default=None, metavar=("ROWS", "COLS"),
                        help="force this chunk shape instead")
    parser.add_argument("--child", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    if args.child:
        result = child(args.child, args.folder, args.out, args.chunk_cells,
                       tuple(args.chunks) if args.chunks else None)
        print("PROFILE " + json.dumps(result))
        return 0

    import bench_water_yield as bench
    import make_awy_inputs as gen

    folder = gen.ensure_inputs(args.n)
    python = str(ROOT / ".venv" / "bin" / "python")
    out = bench.WORK / "runs" / f"profile_N{args.n}"
    rows = {}
    for stage in args.stages:
        runs = []
        inner: list[dict[str, float]] = []
        for i in range(args.repeats + 1):
            cmd = [python, __file__, "--child", stage, "--folder", str(folder), "--out", str(out)]
            if args.chunk_cells:
                cmd += ["--chunk-cells", str(args.chunk_cells)]
            if args.chunks:
                cmd += ["--chunks", *map(str, args.chunks)]
            bench._fresh(out)
            log = bench.WORK / "logs" / f"profile_{stage}.log"
            result = bench.measure(cmd, log=log)
            if i == 0:
                continue  # warm-up
            runs.append(result)
            line = [x for x in log.read_text().splitlines() if x.startswith("PROFILE ")][-1]
            inner.append(json.loads(line.removeprefix("PROFILE ")))
        s = bench.summary(runs)
        keys = sorted({k for d in inner for k in d})
        s["cpu_s"] = round(statistics.median(r["user_s"] + r["sys_s"] for r in runs), 2)
        s["in_process_s"] = {k: round(statistics.median(d.get(k, 0.0) for d in inner), 3) for k in keys}
        rows[stage] = s
        print(f"{stage:12s} wall {s['wall_s']['median']:6.2f} s (min {s['wall_s']['min']:.2f})  "
              f"peak RSS {s['peak_rss_gb']['median']:.3f} GB  cpu {s['cpu_s']:.2f} s  "
              + "  ".join(f"{k}={v:.2f}" for k, v in s["in_process_s"].items()), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"n": args.n, "chunk_cells": args.chunk_cells,
                                         "chunks": args.chunks,
                                         "stages": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
