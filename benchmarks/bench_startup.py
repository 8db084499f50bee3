"""Start-up time of the ``ecociv`` commands that do no work: ``--version``, ``--help``, ``models``
and ``model describe ID``, each as a whole process (interpreter start, imports, output).

Every command runs ``--repeats`` times as a subprocess (``python -m ecociv.cli.main ARGS``, stdout
to a pipe), after one untimed warm-up run (``.pyc`` files, page cache); the peer is the bare
interpreter (``python -c pass``) timed in the same rounds, so a loaded machine shows in both.
``--baseline-src TREE`` also times another source tree (e.g. a checkout of the previous commit)
run by run in turn with this one. ``python -X importtime`` of each command is run once and the
numerical libraries it imported are recorded (listing and describing should import none).

Usage::

    .venv/bin/python benchmarks/bench_startup.py --repeats 15 [--baseline-src /path/to/old/src]

Results: ``benchmarks/results/startup.json`` (every run, medians, load averages, versions).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"

#: command label -> ecociv arguments
COMMANDS: dict[str, list[str]] = {
    "--version": ["--version"],
    "--help": ["--help"],
    "models": ["models"],
    "models --json": ["models", "--json"],
    "model describe water_yield": ["model", "describe", "water_yield"],
    "model describe habitat_quality --json": ["model", "describe", "habitat_quality", "--json"],
}

#: targets of the issue, seconds of wall time (median) per command
TARGETS_S = {"--version": 0.3, "--help": 0.3, "models": 0.6, "models --json": 0.6,
             "model describe water_yield": 0.6, "model describe habitat_quality --json": 0.6}

#: libraries only running a model needs
HEAVY = ("xarray", "dask", "rasterio", "geopandas", "scipy", "matplotlib", "numba", "pandas",
         "shapely", "pyproj", "pint", "numpy")


def _env(src: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(src)
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    return env


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


#: CPU seconds (user + system) of every timed process, by argv: fairer than wall time when other
#: jobs share the machine
CPU_S: dict[tuple[str, ...], list[float]] = {}


def _time(argv: list[str], env: dict[str, str]) -> float:
    """Wall seconds from spawn to exit of one process (output discarded; it must succeed); its
    CPU seconds are appended to ``CPU_S``."""
    cpu = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, check=False)
    seconds = time.perf_counter() - start
    CPU_S.setdefault((env.get("PYTHONPATH", ""), *argv), []).append(_children_cpu() - cpu)
    if done.returncode != 0:
        raise RuntimeError(f"{argv} exited {done.returncode}: {done.stderr.decode()[-2000:]}")
    return seconds


def _importtime(python: str, args: list[str], env: dict[str, str]) -> dict[str, object]:
    """Heavy top-level packages imported by one run, and the total import time (µs) it reports."""
    done = subprocess.run([python, "-X", "importtime", "-m", "ecociv.cli.main", *args], env=env,
                          capture_output=True, text=True, check=False)
    heavy: set[str] = set()
    total_us = 0
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        self_us, _cumulative, name = (part.strip() for part in line[len("import time:"):].split("|"))
        if not self_us.isdigit():
            continue  # the header line
        total_us += int(self_us)
        if name.partition(".")[0] in HEAVY:
            heavy.add(name.partition(".")[0])
    return {"heavy_imported": sorted(heavy), "import_time_total_ms": round(total_us / 1000, 1)}


def _summary(runs: list[float]) -> dict[str, float]:
    return {"median_s": round(statistics.median(runs), 4), "min_s": round(min(runs), 4),
            "max_s": round(max(runs), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--python", default=sys.executable, help="interpreter (the project venv's)")
    parser.add_argument("--baseline-src", type=Path, default=None,
                        help="another source tree (its src/ folder) timed in the same rounds")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "startup.json")
    options = parser.parse_args()

    trees = {"current": SRC}
    if options.baseline_src is not None:
        trees["baseline"] = options.baseline_src.resolve()
    argvs = {label: [options.python, "-m", "ecociv.cli.main", *args] for label, args in COMMANDS.items()}
    peer = [options.python, "-c", "pass"]
    load_start = os.getloadavg()
    started = datetime.now(UTC).isoformat(timespec="seconds")

    for src in trees.values():  # untimed warm-up
        for argv in argvs.values():
            _time(argv, _env(src))
    _time(peer, _env(SRC))
    CPU_S.clear()

    runs: dict[str, dict[str, list[float]]] = {tree: {label: [] for label in argvs} for tree in trees}
    peer_runs: list[float] = []
    loads: list[float] = []
    for _ in range(options.repeats):
        loads.append(os.getloadavg()[0])
        peer_runs.append(_time(peer, _env(SRC)))
        for label, argv in argvs.items():
            for tree, src in trees.items():
                runs[tree][label].append(_time(argv, _env(src)))

    results: dict[str, object] = {}
    for tree, src in trees.items():
        per_command = {}
        for label, values in runs[tree].items():
            entry: dict[str, object] = {**_summary(values), "runs_s": [round(v, 4) for v in values],
                                        "cpu_median_s": round(statistics.median(
                                            CPU_S[(str(src), *argvs[label])]), 4),
                                        "target_s": TARGETS_S[label],
                                        "meets_target": statistics.median(values) <= TARGETS_S[label]}
            entry.update(_importtime(options.python, COMMANDS[label], _env(src)))
            per_command[label] = entry
        results[tree] = {"src": str(src), "commands": per_command}
    if "baseline" in results:
        results["baseline_over_current"] = {
            label: round(statistics.median(runs["baseline"][label]) / statistics.median(runs["current"][label]), 2)
            for label in argvs}

    report = {
        "benchmark": "startup",
        "started_utc": started,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version()},
        "load_average": {"start_1_5_15": [round(x, 2) for x in load_start],
                         "end_1_5_15": [round(x, 2) for x in os.getloadavg()],
                         "per_round_1min": [round(x, 2) for x in loads]},
        "repeats": options.repeats,
        "method": "python -m ecociv.cli.main ARGS as a subprocess, wall time spawn to exit; one "
                  "untimed warm-up per command; trees and commands interleaved run by run",
        "peer_python_c_pass": {**_summary(peer_runs), "runs_s": [round(v, 4) for v in peer_runs],
                               "cpu_median_s": round(statistics.median(
                                   CPU_S[(str(SRC), *peer)]), 4)},
        "results": results,
    }
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    print(f"load average at start {load_start[0]:.2f}, end {os.getloadavg()[0]:.2f}; "
          f"python -c pass median {statistics.median(peer_runs):.3f} s")
    header = f"{'command':42s} " + " ".join(f"{tree + ' median wall / CPU (s)':>30s}"
                                            for tree in trees)
    print(header + f" {'target (s)':>11s}")
    for label in argvs:
        medians = " ".join(
            f"{statistics.median(runs[tree][label]):22.3f} / "
            f"{statistics.median(CPU_S[(str(src), *argvs[label])]):5.3f}"
            for tree, src in trees.items())
        print(f"{label:42s} {medians} {TARGETS_S[label]:11.1f}")
    for tree in trees:
        for label, entry in results[tree]["commands"].items():  # type: ignore[index]
            if entry["heavy_imported"]:
                print(f"{tree}: `ecociv {label}` imports {', '.join(entry['heavy_imported'])}")
    print(f"wrote {options.out}")


if __name__ == "__main__":
    main()
