"""One thread against two for ``sand_fixation`` (annual outputs) at 4000² on the ``albers_zstd``
inputs of ``bench_scaling.py``: interleaved pairs (the order alternates by round), each run a whole
``ecociv model run`` process with ``ECOCIV_THREADS`` set; CPU = user + sys of the process, peak
RSS of the process tree (``bench_water_yield.measure``), 1-minute load before each run.

Usage (the inputs must exist: ``bench_scaling.py --sizes 4000 --kinds albers_zstd --inputs-only
--models sand_fixation``)::

    python benchmarks/bench_scaling_threads.py [--src SRC] [--rounds 3] [--out results/sand_threads_4000.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_scaling as scaling  # noqa: E402
from bench_water_yield import measure  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, default=HERE.parent / "src")
    parser.add_argument("--size", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "sand_threads_4000.json")
    args = parser.parse_args(argv)
    src = str(args.src.resolve())
    step = scaling.demo_steps(Path(src))["sand_fixation"]
    step["params"] = {**step["params"], "monthly_outputs": "false"}
    rows = []
    for r in range(args.rounds):
        for threads in ("1", "2") if r % 2 == 0 else ("2", "1"):
            out = scaling.WORK / "out" / f"threads_{threads}_{r}"
            cmd = scaling.command("sand_fixation", step, "albers_zstd", args.size, out)
            env = {**os.environ, "PYTHONPATH": src, "ECOCIV_THREADS": threads}
            load = os.getloadavg()[0]
            res = measure(cmd, log=scaling.WORK / "logs" / f"threads_{threads}_{r}.log", env=env)
            shutil.rmtree(out)
            row = {"threads": threads, "round": r, "cpu_s": round(res["user_s"] + res["sys_s"], 2),
                   "wall_s": res["wall_s"], "rss_gb": round(res["peak_rss_bytes"] / 1e9, 3),
                   "load": round(load, 2)}
            print(row, flush=True)
            rows.append(row)
    args.out.write_text(json.dumps({"what": __doc__.split("\n\n")[0], "size": args.size, "src": src,
                                    "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                    "runs": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
