"""CPU of single steps of the Belt demo, one source tree against another, on the same inputs.

The script runs ``ecociv demo`` once with this checkout (or takes ``--run``, a finished demo run
folder), reads the manifests of the chosen steps (their input files, upstream outputs included,
and parameters) and runs each step's model alone as ``ecociv model run`` in a fresh process per
tree (``--tree LABEL=SRC``, a folder holding ``ecociv/``), tree after tree and model after model
in each round, so that every tree sees the same load. Inputs or parameters a tree's model does
not declare are left out (older code). Per run: wall time from spawn to exit, CPU (user +
system of the process and its children, ``os.wait4``), peak RSS, the 1-minute load average at
the start and the run manifest's ``timings_s``. Prints one JSON line per run and writes
``benchmarks/results/belt_steps.json``.

Used to find where the demo's critical path (ecological_sensitivity -> ecological_redline ->
ecological_security_pattern) had become slower than at 7f8ca16: compare CPU seconds, not wall
time, on a shared machine.

Usage::

    python benchmarks/bench_belt_steps.py --tree then=/work/wt/base7f/src --tree now=src \\
        --models ecological_sensitivity ecological_redline ecological_security_pattern \\
        --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_scaling import finished_demo_run  # noqa: E402

WORK = HERE / "_work" / "belt_steps"
RESULTS = HERE / "results" / "belt_steps.json"
MODELS = ("ecological_sensitivity", "ecological_redline", "ecological_security_pattern")


def demo_run(src: Path) -> Path:
    """The folder of a finished demo run made with ``src`` (made once, then reused)."""
    return finished_demo_run(src, WORK / "demo")


def declared(src: Path, model: str) -> set[str]:
    """Input and parameter ids the model of tree ``src`` declares."""
    code = ("from ecociv.registry import get_model; "
            f"print(' '.join(i.id for i in get_model('{model}').spec.inputs))")
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(src)},
                          capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def command(run: Path, model: str, ids: set[str], out: Path) -> list[str]:
    """``ecociv model run`` of one step with the inputs and parameters it had in the demo."""
    manifest = json.loads((run / model / "manifest.json").read_text())
    cmd = [sys.executable, "-m", "ecociv.cli.main", "model", "run", model, "--out", str(out)]
    for key, value in manifest["inputs"].items():
        if key in ids:  # upstream outputs were recorded in the run's unfinished folder
            path = value["path"] if isinstance(value, dict) else value
            cmd += ["-i", f"{key}={path.replace(f'/.partial-{run.name}/', f'/{run.name}/')}"]
    for key, value in manifest["params"].items():
        if key in ids:
            text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
            cmd += ["-p", f"{key}={text}"]
    return cmd


def run_once(cmd: list[str], src: Path, out: Path) -> dict[str, Any]:
    """One process: wall, CPU, peak RSS, load at the start, the manifest's timings."""
    if out.exists():
        shutil.rmtree(out)
    load = round(os.getloadavg()[0], 2)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env={**os.environ, "PYTHONPATH": str(src)},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    result: dict[str, Any] = {
        "wall_s": round(time.perf_counter() - start, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        "peak_rss_gb": round(usage.ru_maxrss / 1e6, 3), "load1_at_start": load,
        "exit_status": status}
    if status:
        result["output_tail"] = output.decode(errors="replace")[-1000:]
    else:
        result["timings_s"] = json.loads((out / "manifest.json").read_text()).get("timings_s")
        shutil.rmtree(out)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tree", action="append", default=[], metavar="LABEL=SRC",
                        help="a source tree (repeatable; default: this checkout's src)")
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--run", type=Path, help="a finished demo run folder to take inputs from")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    trees = dict(item.split("=", 1) for item in args.tree) or {"this": str(ROOT / "src")}
    trees = {label: Path(path).resolve() for label, path in trees.items()}
    run = args.run or demo_run(ROOT / "src")
    print(f"inputs: the steps of {run}; trees: {trees}; models: {args.models}", flush=True)
    commands = {(label, model): command(run, model, declared(src, model),
                                        WORK / f"out-{label}-{model}")
                for label, src in trees.items() for model in args.models}
    for (label, model), cmd in commands.items():  # untimed: page cache, numba's cache, .pyc
        run_once(cmd, trees[label], WORK / f"out-{label}-{model}")
    runs: list[dict[str, Any]] = []
    for repeat in range(args.repeats):
        for model in args.models:
            for label, src in trees.items():
                entry = {"repeat": repeat, "model": model, "tree": label,
                         **run_once(commands[(label, model)], src, WORK / f"out-{label}-{model}")}
                runs.append(entry)
                print(json.dumps(entry), flush=True)
    summary = {f"{model} {label}": {
        "cpu_s_median": statistics.median(r["cpu_s"] for r in runs
                                          if r["model"] == model and r["tree"] == label),
        "peak_rss_gb_median": statistics.median(r["peak_rss_gb"] for r in runs
                                                if r["model"] == model and r["tree"] == label)}
        for model in args.models for label in trees}
    print(json.dumps(summary, indent=1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"started_from": str(run), "trees": {k: str(v) for k, v in
                                                                         trees.items()},
                                    "runs": runs, "summary": summary}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
