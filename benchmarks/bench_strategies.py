"""Benchmark of the strategy scenarios on the Belt (1 km grid, land use simulated 2019 -> 2035).

Two cases, each a whole ``ecociv`` process into a fresh results store (no cache to start from):

- ``combined``: ``ecociv run combined.yaml --no-maps`` (target <= 120 s on 2 cores);
- ``all``: ``ecociv strategies run`` of all eight scenarios, the baseline first, shared steps from
  the store's cache (target <= 5 min).

Wall time, CPU (user + sys) and peak RSS of the process tree come from
``bench_water_yield.measure``; the 1/5/15-minute load averages are recorded before each run (the
machine is shared: compare CPU seconds, and wall time only at similar load).

With ``--peer-src DIR`` (another checkout's ``src``, e.g. the strategy files before a change),
each repeat runs the peer and this tree back to back, in alternating order, so both see the same
load; the report gives the medians of each and the load averages before and after every run.

Usage::

    python benchmarks/bench_strategies.py [--repeats 3] [--case combined --case all]
        [--peer-src /tmp/old/src]
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
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_water_yield import measure, summary  # noqa: E402

WORK = HERE / "_work" / "strategies"
RESULTS = HERE / "results" / "strategies.json"
COMBINED = ROOT / "src" / "ecociv" / "data" / "strategies" / "combined.yaml"


def command(case: str, store: Path, src: Path = ROOT / "src") -> list[str]:
    """The ``ecociv`` command line of a case (the combined file of the tree ``src``)."""
    base = [sys.executable, "-m", "ecociv.cli.main"]
    if case == "combined":
        combined = src / COMBINED.relative_to(ROOT / "src")
        return [*base, "run", str(combined), "--no-maps", "--out", str(store)]
    return [*base, "strategies", "run", "--out", str(store)]


def run_case(case: str, index: int, src: Path = ROOT / "src", tag: str = "") -> dict[str, Any]:
    """One run of ``case`` with the tree ``src`` into a fresh store; its measures and the load
    averages before and after it."""
    store = WORK / f"{case}{tag}-{index}"
    shutil.rmtree(store, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(src)}
    load = os.getloadavg()
    result = measure(command(case, store, src), log=WORK / f"{case}{tag}-{index}.log", env=env)
    result["load_before"] = [round(x, 2) for x in load]
    result["load_after"] = [round(x, 2) for x in os.getloadavg()]
    result["src"] = str(src)
    shutil.rmtree(store, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--case", action="append", choices=("combined", "all"))
    parser.add_argument("--peer-src", type=Path, help="another tree's src, run interleaved")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    cases = args.case or ["combined", "all"]
    report: dict[str, Any] = {}
    for case in cases:
        runs: list[dict[str, Any]] = []
        peer: list[dict[str, Any]] = []
        for i in range(args.repeats):
            if args.peer_src is None:
                runs.append(run_case(case, i))
                continue
            order = ["peer", "this"] if i % 2 == 0 else ["this", "peer"]
            for which in order:
                if which == "peer":
                    peer.append(run_case(case, i, args.peer_src, "-peer"))
                else:
                    runs.append(run_case(case, i))
                print(case, which, i, json.dumps({k: (runs if which == "this" else peer)[-1][k]
                                                  for k in ("wall_s", "user_s", "sys_s", "load_before")}),
                      flush=True)
        report[case] = {"runs": runs, **summary(runs),
                        "load_median": statistics.median(r["load_before"][0] for r in runs)}
        if peer:
            report[case]["peer"] = {"src": str(args.peer_src), "runs": peer, **summary(peer),
                                    "load_median": statistics.median(r["load_before"][0] for r in peer)}
        print(case, json.dumps({k: v for k, v in report[case].items() if k != "runs"}, default=str))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
