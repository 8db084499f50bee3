"""Benchmark of ``ecociv demo`` (the Belt baseline scenario: every model, maps, summary) as a whole
process, one source tree against another in the same session.

Each tree (``--tree LABEL=SRC``, a folder holding ``ecociv/``; default: this checkout's ``src``)
runs the demo once untimed (page cache, ``.pyc``, numba's on-disk cache, the input digest cache),
then ``--repeats`` times in turn, tree after tree, so all see the same load. Every run writes a
fresh results store; wall time from spawn to exit, CPU (user + sys) and peak RSS of the process
tree come from ``bench_water_yield.measure``, the 1/5/15-minute load averages are read before
each run. The trees must hold the same embedded dataset for the comparison to mean anything
(e.g. ``git archive`` of two commits that differ only in code). ``ECOCIV_STEP_WORKERS`` and
``ECOCIV_MAP_WORKERS``, when set, apply to every tree and are recorded; ``--env LABEL:VAR=VALUE``
sets a variable for one tree only (the same tree twice with different settings, e.g.
``--tree one=src --tree two=src --env one:ECOCIV_STEP_WORKERS=1 --env two:ECOCIV_STEP_WORKERS=2``).

Usage::

    python benchmarks/bench_demo.py --tree before=/tmp/before/src --tree after=src --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_water_yield import bytecode_env, machine_info, measure, summary  # noqa: E402

WORK = HERE / "_work" / "demo"
RESULTS = HERE / "results" / "demo.json"


def run_demo(label: str, src: Path, index: int | str,
             extra_env: dict[str, str] | None = None) -> dict[str, Any]:
    """One ``ecociv demo`` of the tree ``src`` into a fresh store (``extra_env``: variables set
    for this run); its measures."""
    store = WORK / f"{label}-{index}"
    if store.exists():
        shutil.rmtree(store)
    load = [round(x, 2) for x in os.getloadavg()]
    env = {**bytecode_env(), **(extra_env or {}), "PYTHONPATH": str(src)}
    result = measure([sys.executable, "-m", "ecociv.cli.main", "demo", "--out", str(store)],
                     log=WORK / f"{label}-{index}.log", env=env)
    result["loadavg_at_start"] = load
    result["steps_s"] = {}  # each step's in-process timings, from its manifest
    runs = sorted(store.glob("runs/*/manifest.json"))
    if runs:  # the runner's own time (plan to commit) and each step's start to end
        run_manifest = json.loads(runs[-1].read_text())
        result["run_seconds"] = run_manifest.get("seconds")
        result["step_seconds"] = {s["name"]: s["seconds"] for s in run_manifest.get("steps", [])}
    for manifest in sorted(store.glob("runs/*/*/manifest.json")):
        timings = json.loads(manifest.read_text()).get("timings_s", {})
        result["steps_s"][manifest.parent.name] = timings
    shutil.rmtree(store)
    return result


def trees_and_environments(parser: argparse.ArgumentParser, tree_args: list[str],
                           env_args: list[str]
                           ) -> tuple[list[tuple[str, Path]], dict[str, dict[str, str]]]:
    """The ``--tree LABEL=SRC`` source trees (default: this checkout) and each one's extra
    environment from ``--env LABEL:VAR=VALUE`` (a malformed item is a usage error)."""
    trees = [(t.split("=", 1)[0], Path(t.split("=", 1)[1]).resolve()) for t in tree_args]
    trees = trees or [("this", ROOT / "src")]
    tree_env: dict[str, dict[str, str]] = {label: {} for label, _ in trees}
    for item in env_args:
        label, _, assignment = item.partition(":")
        variable, equals, value = assignment.partition("=")
        if label not in tree_env or not variable or not equals:
            parser.error(f"--env {item!r}: expected LABEL:VAR=VALUE with LABEL one of {list(tree_env)}")
        tree_env[label][variable] = value
    return trees, tree_env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", action="append", default=[], metavar="LABEL=SRC",
                        help="a source tree to time (repeatable; default: this checkout)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--env", action="append", default=[], metavar="LABEL:VAR=VALUE",
                        help="an environment variable for one tree's runs (repeatable)")
    parser.add_argument("--skip-warmup", action="append", default=[], metavar="LABEL",
                        help="no untimed first run for this tree (its caches are warm from an "
                             "earlier benchmark in the same session; repeatable)")
    args = parser.parse_args(argv)
    trees, tree_env = trees_and_environments(parser, args.tree, args.env)
    WORK.mkdir(parents=True, exist_ok=True)
    record: dict[str, Any] = {"machine": machine_info(None), "started": time.strftime(
        "%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "trees": {k: str(v) for k, v in trees},
        "environment": {k: v for k, v in os.environ.items()
                        if k in ("ECOCIV_STEP_WORKERS", "ECOCIV_MAP_WORKERS", "ECOCIV_THREADS")},
        "tree_environment": tree_env, "runs": {label: [] for label, _ in trees}}
    for label, src in trees:
        if label in args.skip_warmup:
            continue
        warm = run_demo(label, src, "warmup", tree_env[label])
        print(f"warm-up {label}: {warm['wall_s']:.1f} s", flush=True)
    for i in range(args.repeats):
        for label, src in trees:
            result = run_demo(label, src, i, tree_env[label])
            record["runs"][label].append(result)
            print(f"run {i + 1} {label}: {result['wall_s']:.1f} s wall, "
                  f"{result['user_s'] + result['sys_s']:.1f} s CPU, "
                  f"{result['peak_rss_bytes'] / 1e9:.2f} GB, load {result['loadavg_at_start']}",
                  flush=True)
    record["summary"] = {label: summary(runs) for label, runs in record["runs"].items()}
    if len(trees) > 1:
        first = trees[0][0]
        for label, _ in trees[1:]:
            pairs = zip(record["runs"][label], record["runs"][first], strict=True)
            ratios = [(a["wall_s"], a["user_s"] + a["sys_s"], b["wall_s"], b["user_s"] + b["sys_s"])
                      for a, b in pairs]
            record["summary"][label][f"ratio_to_{first}"] = {
                "wall_per_round": [round(a / c, 3) for a, _, c, _ in ratios],
                "cpu_per_round": [round(b / d, 3) for _, b, _, d in ratios],
                "wall_median": round(statistics.median(a / c for a, _, c, _ in ratios), 3),
                "cpu_median": round(statistics.median(b / d for _, b, _, d in ratios), 3)}
    record["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2))
    print(json.dumps(record["summary"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
