"""Benchmark of exact cell coverage (:func:`ecociv.grid.zonal.coverage`) on the Belt dataset: the
39 member units (county level, 28-529 vertices) and their union (``unary_union``), on the
dataset's 732 × 1294 Albers grid, one source tree against another.

Each tree (``--tree LABEL=SRC``, a folder holding ``ecociv/``; default this checkout's ``src``)
runs in its own process, tree after tree, ``--rounds`` times (so all see the same load). A
process loads the units as ``ecociv demo`` does (``prepare_summaries``) and imports numba (as
every run has by then), times a first coverage (the compiled code loaded from numba's cache) and
then, ``--repeats`` times with the coverage cache cleared, the coverages of all units and of
their union; it reports the CPU seconds of the first call and the medians of the others. The
1-minute load average is read before each process.

Usage::

    python benchmarks/bench_coverage.py --tree before=/tmp/before/src --tree after=src
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

CHILD = """
import json, statistics, time
import numba  # noqa: F401  (imported by every run before any coverage)
from shapely.ops import unary_union
from ecociv.grid import zonal
from ecociv.region.dataset import load_dataset
from ecociv.region.units import read_units_table

dataset = load_dataset()
grid = dataset.grid
units = read_units_table(dataset.layer("units_table").path,
                         dataset.layer("units").source).to_crs(grid.crs)
geometries = list(units.geometry)
union = unary_union(geometries)


def cpu(shapes):
    zonal._coverage.cache_clear()
    start = time.process_time()
    for shape in shapes:
        zonal.coverage(shape, grid)
    return time.process_time() - start


first = cpu(geometries[:1])
units_s = [cpu(geometries) for _ in range({repeats})]
union_s = [cpu([union]) for _ in range({repeats})]
print(json.dumps({{"first_call_s": first, "units_s": statistics.median(units_s),
                  "union_s": statistics.median(union_s)}}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", action="append", default=[], metavar="LABEL=SRC")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    trees = [(t.split("=", 1)[0], Path(t.split("=", 1)[1]).resolve()) for t in args.tree]
    trees = trees or [("this", ROOT / "src")]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    runs: dict[str, list[dict[str, float]]] = {label: [] for label, _ in trees}
    for i in range(args.rounds):
        for label, src in trees:
            load = os.getloadavg()[0]
            out = subprocess.run([sys.executable, "-c", CHILD.format(repeats=args.repeats)],
                                 env={**env, "PYTHONPATH": str(src)}, capture_output=True,
                                 text=True, check=True)
            result = {**json.loads(out.stdout.strip().splitlines()[-1]), "load": load}
            runs[label].append(result)
            print(f"round {i + 1} {label}: 39 units {result['units_s'] * 1e3:.1f} ms, union "
                  f"{result['union_s'] * 1e3:.1f} ms, first call {result['first_call_s'] * 1e3:.1f} ms "
                  f"CPU (load {load:.2f})", flush=True)
    summary = {label: {key: round(statistics.median(r[key] for r in results), 4)
                       for key in ("units_s", "union_s", "first_call_s")}
               for label, results in runs.items()}
    print(json.dumps(summary, indent=2))
    if args.json is not None:
        args.json.write_text(json.dumps({"started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
                                         "trees": {k: str(v) for k, v in trees}, "runs": runs,
                                         "summary": summary}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
