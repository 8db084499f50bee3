"""The timeline of one ``ecociv demo``: every step, map, summary and process start, by process and
thread, with wall and CPU seconds, and the chain of spans that set its length.

Runs ``ecociv demo`` of a source tree (``--tree LABEL=SRC``, a folder holding ``ecociv/``; default
this checkout's ``src``) with ``ECOCIV_TIMELINE`` set (:mod:`ecociv.scenario.timeline`; a tree
without that module runs untraced and only its totals are printed), times it from spawn to exit
(wall, CPU of the process tree, the 1-minute load average at its start) and prints the spans
relative to the spawn. ``--json`` writes the spans and totals. ``--repeats N`` runs each tree N
times in turn and prints each run.

Usage::

    python benchmarks/demo_timeline.py --tree now=src
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_demo import trees_and_environments  # noqa: E402
from bench_water_yield import measure  # noqa: E402

WORK = HERE / "_work" / "demo_timeline"

#: the Belt baseline's step graph (step -> the steps whose outputs it reads)
NEEDS = {
    "water_conservation": {"water_yield"},
    "ecological_sensitivity": {"soil_conservation"},
    "ecological_redline": {"water_conservation", "soil_conservation", "sand_fixation",
                           "habitat_quality", "ecological_sensitivity"},
    "ecological_security_pattern": {"ecological_redline"},
    "double_evaluation": {"ecological_redline", "water_yield"},
}


def run_traced(label: str, src: Path, index: int, env_extra: dict[str, str]) -> dict[str, Any]:
    """One traced demo of ``src``: totals and spans (times relative to the spawn)."""
    store = WORK / f"{label}-{index}"
    trace = WORK / f"{label}-{index}.jsonl"
    for path in (store, trace):
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    load = round(os.getloadavg()[0], 2)
    env = {**os.environ, **env_extra, "PYTHONPATH": str(src), "ECOCIV_TIMELINE": str(trace)}
    spawned = time.time()
    result = measure([sys.executable, "-m", "ecociv.cli.main", "demo", "--out", str(store)],
                     log=WORK / f"{label}-{index}.log", env=env)
    spans = []
    if trace.exists():
        for line in trace.read_text().splitlines():
            item = json.loads(line)
            item["start"] = round(item["start"] - spawned, 3)
            item["end"] = round(item["end"] - spawned, 3)
            spans.append(item)
    shutil.rmtree(store, ignore_errors=True)
    return {"label": label, "wall_s": round(result["wall_s"], 3),
            "cpu_s": round(result["user_s"] + result["sys_s"], 3),
            "peak_rss_gb": round(result["peak_rss_bytes"] / 1e9, 3), "load_1min": load,
            "spans": sorted(spans, key=lambda s: s["start"])}


def critical_chain(spans: list[dict[str, Any]]) -> list[str]:
    """The steps of the chain that ends with the last step to finish, each the latest-ending of
    the steps it needed (how the steps' order set the run's length)."""
    steps = {s["name"]: s for s in spans if s["event"] == "step"}
    if not steps:
        return []
    name = max(steps, key=lambda n: steps[n]["end"])
    chain = [name]
    while NEEDS.get(name):
        needed = [n for n in NEEDS[name] if n in steps]
        if not needed:
            break
        name = max(needed, key=lambda n: steps[n]["end"])
        chain.append(name)
    return chain[::-1]


def report(run: dict[str, Any]) -> str:
    """The run as text: totals, the spans by process and thread, CPU by kind, the step chain."""
    lines = [f"{run['label']}: {run['wall_s']:.2f} s wall, {run['cpu_s']:.2f} s CPU (process tree), "
             f"{run['peak_rss_gb']:.2f} GB, load {run['load_1min']}"]
    spans = run["spans"]
    if not spans:
        return "\n".join([*lines, "  (no trace: the tree has no ecociv.scenario.timeline)"])
    lanes: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for item in spans:
        lanes[(item["pid"], item["thread"])].append(item)
    names = {}
    for item in spans:
        if item["event"] in ("startup", "process"):
            names[item["pid"]] = item["name"]
    for (pid, thread), items in sorted(lanes.items(), key=lambda kv: kv[1][0]["start"]):
        lines.append(f"  [{names.get(pid, pid)} {pid} / {thread}]  start, end, wall, CPU of the "
                     "thread, of the process (s)")
        for item in items:
            cpu = "" if item["cpu"] is None else f"{item['cpu']:7.2f}"
            pcpu = "" if item.get("pcpu") is None else f"{item['pcpu']:7.2f}"
            lines.append(f"    {item['start']:7.2f} {item['end']:7.2f} {item['end'] - item['start']:6.2f}"
                         f" {cpu:>7} {pcpu:>7}  {item['event']:<14} {item['name']}")
    by_kind: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for item in spans:
        if item["event"] in ("process",):
            continue
        entry = by_kind[item["event"]]
        entry[0] += item["end"] - item["start"]
        entry[1] += item["cpu"] or 0.0
        entry[2] += 1
    lines.append("  by kind (count, wall s summed, thread CPU s summed):")
    for kind, (wall, cpu, count) in sorted(by_kind.items(), key=lambda kv: -kv[1][1]):
        lines.append(f"    {kind:<16} {int(count):3d} {wall:7.2f} {cpu:7.2f}")
    for item in spans:
        if item["event"] == "process":
            lines.append(f"  process {item['name']} (pid {item['pid']}): {item['start']:.2f}-"
                         f"{item['end']:.2f} s, CPU {item['cpu']:.2f} s")
    chain = critical_chain(spans)
    steps = {s["name"]: s for s in spans if s["event"] == "step"}
    if chain:
        lines.append("  step chain to the last step: " + " -> ".join(
            f"{n} [{steps[n]['start']:.2f}-{steps[n]['end']:.2f}]" for n in chain))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", action="append", default=[], metavar="LABEL=SRC")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--env", action="append", default=[], metavar="LABEL:VAR=VALUE")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    trees, extra = trees_and_environments(parser, args.tree, args.env)
    WORK.mkdir(parents=True, exist_ok=True)
    runs = []
    for index in range(args.repeats):
        for label, src in trees:
            run = run_traced(label, src, index, extra[label])
            runs.append(run)
            print(report(run), flush=True)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"trees": {k: str(v) for k, v in trees}, "runs": runs},
                                        indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
