"""Benchmark of the strategy scenarios on the Belt (1 km grid, land use simulated 2019 -> 2035).

Two cases, each a whole ``ecociv`` process into a fresh results store (no cache to start from):

- ``combined``: ``ecociv run combined.yaml --no-maps`` (target <= 120 s on 2 cores);
- ``all``: ``ecociv strategies run`` of all eight scenarios, the baseline first, shared steps from
  the store's cache (target <= 5 min).

Wall time, CPU (user + sys) and peak RSS of the process tree come from
``bench_water_yield.measure``; the 1/5/15-minute load averages are recorded before each run (the
machine is shared: compare CPU seconds, and wall time only at similar load).

Usage::

    python benchmarks/bench_strategies.py [--repeats 3] [--case combined --case all]
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


def command(case: str, store: Path) -> list[str]:
    """The ``ecociv`` command line of a case."""
    base = [sys.executable, "-m", "ecociv.cli.main"]
    if case == "combined":
        return [*base, "run", str(COMBINED), "--no-maps", "--out", str(store)]
    return [*base, "strategies", "run", "--out", str(store)]


def run_case(case: str, index: int) -> dict[str, Any]:
    """One run of ``case`` into a fresh store; its measures and the load before it."""
    store = WORK / f"{case}-{index}"
    shutil.rmtree(store, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    load = os.getloadavg()
    result = measure(command(case, store), log=WORK / f"{case}-{index}.log", env=env)
    result["load_before"] = [round(x, 2) for x in load]
    shutil.rmtree(store, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--case", action="append", choices=("combined", "all"))
    args = parser.parse_args()
    cases = args.case or ["combined", "all"]
    report: dict[str, Any] = {}
    for case in cases:
        runs = [run_case(case, i) for i in range(args.repeats)]
        report[case] = {"runs": runs, **summary(runs),
                        "load_median": statistics.median(r["load_before"][0] for r in runs)}
        print(case, json.dumps({k: v for k, v in report[case].items() if k != "runs"}))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
