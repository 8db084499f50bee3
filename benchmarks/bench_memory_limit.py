"""A raster larger than the memory a run may use: ``ecociv model run`` on ``bench_scaling.py``'s
inputs with the process's address space capped (``prlimit --as``, RLIMIT_AS: every mapping of
the process counts, heap, thread stacks, memory-mapped files and shared libraries), below the
size of the input files and far below the inputs decoded as float64.

ecociv has no memory-budget setting of its own: rasters are read lazily in chunks of about
1 Mi cells (``GridSpec.default_chunks``), so its memory follows the number of chunks in flight,
not the grid. This script shows whether a run completes under the cap, with what peak RSS and
time, and what error a user sees when the cap is too small for even that. ``MALLOC_ARENA_MAX=2``
keeps glibc from reserving 64 MiB of address space per thread (address space, not memory).
Results: ``benchmarks/results/memory_limit.json``.

Usage::

    python benchmarks/bench_memory_limit.py --model water_yield --size 16000 --limits 3 1.5
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import bench_scaling as scaling  # noqa: E402
from bench_water_yield import machine_info, measure  # noqa: E402

RESULTS = HERE / "results" / "memory_limit.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="water_yield")
    parser.add_argument("--size", type=int, default=16000)
    parser.add_argument("--kind", choices=sorted(scaling.KINDS), default="albers")
    parser.add_argument("--limits", type=float, nargs="+", default=[3.0],
                        help="address-space caps in GB (10^9 bytes)")
    parser.add_argument("--src", type=Path, default=ROOT / "src")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    src = args.src.resolve()
    step = scaling.demo_steps(src)[args.model]
    out = scaling.WORK / "memory_limit"
    cmd = scaling.command(args.model, step, args.kind, args.size, out)
    inputs = [Path(c.split("=", 1)[1]) for c in cmd if c.startswith(tuple(
        f"{k}=" for k in step["inputs"])) and c.endswith(".tif")]
    input_bytes = sum(p.stat().st_size for p in inputs)
    record: dict[str, Any] = {
        "machine": machine_info(None), "model": args.model, "n": args.size, "kind": args.kind,
        "input_files_bytes": input_bytes, "input_cells_float64_bytes": len(inputs) * args.size ** 2 * 8,
        "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "runs": []}
    env = {**os.environ, "PYTHONPATH": str(src), "MALLOC_ARENA_MAX": "2"}
    for limit in args.limits:
        if out.exists():
            shutil.rmtree(out)
        load = [round(x, 2) for x in os.getloadavg()]
        limited = ["prlimit", f"--as={int(limit * 1e9)}", "--", *cmd]
        log = scaling.WORK / "logs" / f"memory_limit_{args.model}_N{args.size}_{limit}GB.log"
        try:
            result = measure(limited, log=log, env=env)
            result["completed"] = True
        except RuntimeError:
            text = log.read_text(errors="replace")
            errors = [x for x in text.splitlines() if x.startswith(("error:", "MemoryError"))
                      or "Error" in x]
            result = {"completed": False, "message": errors[-1] if errors else text[-500:]}
        result.update(limit_gb=limit, loadavg_at_start=load)
        record["runs"].append(result)
        print(json.dumps(result), flush=True)
        shutil.rmtree(out, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=1))
    print(f"inputs {input_bytes / 1e9:.2f} GB on disk, "
          f"{record['input_cells_float64_bytes'] / 1e9:.1f} GB as float64")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
