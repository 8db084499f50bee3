"""The timeline of one ``ecociv model run water_yield`` process on the machine's cores.

Runs the command as ``bench_water_yield.py`` does (same inputs, from ``make_awy_inputs.py``),
with :mod:`_timeline_hook` recording spans of the functions a run spends its time in (per
thread: imports, GDAL reads, the compiled loop's blocks, tiled writes, COG copies, digests ...),
while this process samples the CPU time of every thread of the child from
``/proc/PID/task/*/schedstat`` (nanoseconds) every ``--sample-ms``. It prints:

* the phases of the run on the wall-clock axis (from spawn to the parent seeing the exit), with
  the cores they kept busy on average and the core-seconds left idle (cores × wall − CPU);
* the main thread's spans (nested) and, for every other thread, what it did and when;
* the cores in use per ``--bin-ms`` bin, so serial stretches show as ``1.0``;
* the CPU by part (decoding, compiled loop, tiled writes, COG phase, the rest) and the wall
  the CPU alone allows on the machine's cores (CPU / cores).

The hook adds a few milliseconds (one wrapper per call); compare wall times with
``bench_water_yield.py``, not with these runs.

Usage::

    python benchmarks/timeline_water_yield.py --crs utm45n --compress lzw --watersheds 16 \
        [--src DIR] [--runs 3] [--out results/timeline.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import make_awy_inputs as gen  # noqa: E402
from bench_water_yield import ecociv_cmd, ecociv_env  # noqa: E402

WORK = HERE / "_work"


def _sample_threads(pid: int) -> dict[int, tuple[str, int]]:
    """Thread id -> (name, CPU ns) of every thread of ``pid``."""
    found: dict[int, tuple[str, int]] = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat", encoding="ascii") as stat:
                ns = int(stat.read().split()[0])
            with open(f"/proc/{pid}/task/{tid}/comm", encoding="ascii") as comm:
                name = comm.read().strip()
        except (OSError, ValueError, IndexError):
            continue
        found[int(tid)] = (name, ns)
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
            found[0] = ("rss", int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE"))
    except (OSError, ValueError, IndexError):
        pass
    return found


def run_once(src: Path, folder: Path, out: Path, log: Path, sample_s: float,
             env_extra: dict[str, str]) -> dict[str, Any]:
    """One timed run with spans and CPU samples."""
    if out.exists():
        shutil.rmtree(out)
    spans_file = log.with_suffix(".spans.jsonl")
    cmd = ecociv_cmd(folder, out, src)
    # replace "-m ecociv.cli.main" by the hook script (which calls ecociv.cli.main.main)
    index = cmd.index("-m")
    cmd = [cmd[0], str(HERE / "_timeline_hook.py"), *cmd[index + 2:]]
    env = {**ecociv_env(src), "ECOCIV_TIMELINE_OUT": str(spans_file), **env_extra}
    samples: list[tuple[float, dict[int, tuple[str, int]]]] = []
    done = threading.Event()
    load = os.getloadavg()[0]
    with open(log, "wb") as handle:
        spawned = time.time()
        proc = subprocess.Popen(cmd, stdout=handle, stderr=subprocess.STDOUT, env=env)

        def sample() -> None:
            while not done.is_set():
                samples.append((time.time(), _sample_threads(proc.pid)))
                done.wait(sample_s)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        exited = time.time()
        done.set()
        sampler.join()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"run failed ({code}): {log.read_text(errors='replace')[-2000:]}")
    lines = spans_file.read_text().splitlines()
    head = json.loads(lines[0])
    spans = [json.loads(line) for line in lines[1:]]
    return {"spawned": spawned, "exited": exited, "main_returned": head["main_returned"],
            "cpu_s": usage.ru_utime + usage.ru_stime, "user_s": usage.ru_utime,
            "sys_s": usage.ru_stime, "maxrss_gb": usage.ru_maxrss * 1024 / 1e9,
            "load_1min": round(load, 2), "spans": spans,
            "samples": [(t, {str(k): v for k, v in s.items()}) for t, s in samples]}


def _cpu_curve(run: dict[str, Any], bin_s: float) -> list[tuple[float, float]]:
    """(bin start since spawn, cores in use) from the CPU samples."""
    t0 = run["spawned"]
    points = []  # (time, total ns of all threads seen so far)
    last: dict[str, int] = {}
    for when, threads in run["samples"]:
        for tid, (_, ns) in threads.items():
            if tid != "0":
                last[tid] = ns
        points.append((when - t0, sum(last.values())))
    end = run["exited"] - t0
    total_ns = run["cpu_s"] * 1e9
    points.append((end, max(total_ns, points[-1][1] if points else 0)))
    curve = []
    edge = 0.0
    index = 0
    prev_t, prev_ns = 0.0, 0.0
    while edge < end:
        stop = min(edge + bin_s, end)
        # CPU ns at 'stop' by linear interpolation between samples
        while index < len(points) and points[index][0] <= stop:
            prev_t, prev_ns = points[index]
            index += 1
        if index < len(points):
            nxt_t, nxt_ns = points[index]
            frac = (stop - prev_t) / (nxt_t - prev_t) if nxt_t > prev_t else 0.0
            at_stop = prev_ns + frac * (nxt_ns - prev_ns)
        else:
            at_stop = prev_ns
        curve.append((edge, stop, at_stop))
        edge = stop
    out = []
    before = 0.0
    for start, stop, at_stop in curve:
        out.append((round(start, 3), round((at_stop - before) / 1e9 / max(stop - start, 1e-9), 2)))
        before = at_stop
    return out


def _cores_between(run: dict[str, Any], a: float, b: float) -> float:
    """CPU seconds of the whole process between a and b (seconds since spawn), from samples."""
    t0 = run["spawned"]
    last: dict[str, int] = {}
    series = []
    for when, threads in run["samples"]:
        for tid, (_, ns) in threads.items():
            if tid != "0":
                last[tid] = ns
        series.append((when - t0, sum(last.values()) / 1e9))
    series.append((run["exited"] - t0, max(run["cpu_s"], series[-1][1] if series else 0.0)))

    def at(t: float) -> float:
        prev_t, prev_v = 0.0, 0.0
        for when, value in series:
            if when >= t:
                if when == prev_t:
                    return value
                return prev_v + (t - prev_t) / (when - prev_t) * (value - prev_v)
            prev_t, prev_v = when, value
        return series[-1][1]

    return at(b) - at(a)


def cpu_parts(run: dict[str, Any], cores: int) -> list[tuple[str, float]]:
    """(part, CPU seconds) of a run: decoding (GDAL reads on every thread), the compiled loop,
    the tiled writes (with the overview pyramid), the process CPU before the pass less the
    decoding done then, the COG phase (GDAL's encoding threads, digests), the rest and the
    whole run (divided by ``cores``, the wall no schedule of this CPU on them can beat)."""
    spans = run["spans"]
    t0 = run["spawned"]

    def thread_cpu(test: Any) -> float:
        return sum(s[5] for s in spans if test(s[4]))

    decode = thread_cpu(lambda label: label.startswith("gdal read"))
    compute = [s for s in spans if s[4] == "dask compute"]
    parts: list[tuple[str, float]] = []
    if compute:
        pass0 = min(s[0] for s in compute) - t0
        pass1 = max(s[1] for s in compute) - t0
        decode_before = sum(s[5] for s in spans
                            if s[4].startswith("gdal read") and s[1] - t0 <= pass0)
        before = _cores_between(run, 0.0, pass0)
        cog_end = max((s[1] for s in spans if s[4].startswith(("COG file", "COG from array"))),
                      default=pass1 + t0) - t0
        parts.append(("start to the pass, less decoding (interpreter, imports, load, graph)",
                      before - decode_before))
        parts.append(("decoding the inputs (GDAL reads, every thread)", decode))
        parts.append(("compiled loop (blocks)", thread_cpu(lambda label: label == "kernel block")))
        parts.append(("tiled writes with the overview pyramid",
                      thread_cpu(lambda label: label == "tiled write block")))
        in_pass = _cores_between(run, pass0, pass1)
        parts.append(("rest of the pass (dask, block reads, checks, zones)",
                      in_pass - sum(cpu for _, cpu in parts[1:]) + decode_before))
        parts.append(("COG phase (encoding threads, digests)", _cores_between(run, pass1, cog_end)))
    accounted = sum(cpu for _, cpu in parts)
    parts.append(("after the COGs (table, manifest, exit)", run["cpu_s"] - accounted))
    parts.append(("whole run", run["cpu_s"]))
    return parts


def phases(run: dict[str, Any]) -> list[tuple[str, float, float]]:
    """(name, start, end) of the run's phases, seconds since spawn."""
    t0 = run["spawned"]
    spans = run["spans"]

    def first(label: str, key: int = 0) -> float | None:
        times = [s[key] for s in spans if s[4] == label]
        return (min(times) if key == 0 else max(times)) - t0 if times else None

    def last_end(prefix: str) -> float | None:
        times = [s[1] for s in spans if s[4].startswith(prefix)]
        return max(times) - t0 if times else None

    hook = first("hook installed")
    load0, load1 = first("load_inputs"), first("load_inputs", 1)
    compute = [s for s in spans if s[4] == "dask compute"]
    pass0 = min(s[0] for s in compute) - t0 if compute else None
    pass1 = max(s[1] for s in compute) - t0 if compute else None
    cog1 = last_end("COG file") or last_end("COG from array")
    main_end = run["main_returned"] - t0
    exit_t = run["exited"] - t0
    marks = [("interpreter start", 0.0, hook), ("imports (CLI, engine, model)", hook, load0),
             ("load_inputs (open, table, watersheds)", load0, load1),
             ("graph + checks set-up", load1, pass0),
             ("pass: decode, loop, checks, zones, tiled writes", pass0, pass1),
             ("COG copies + digests", pass1, cog1),
             ("table, digests, manifest, folder", cog1, main_end),
             ("after main(): exit and teardown", main_end, exit_t)]
    return [(name, a, b) for name, a, b in marks if a is not None and b is not None]


def report(run: dict[str, Any], cores: int, bin_s: float) -> str:
    t0 = run["spawned"]
    wall = run["exited"] - t0
    lines = [f"wall {wall:.3f} s, CPU {run['cpu_s']:.2f} s (user {run['user_s']:.2f}, sys "
             f"{run['sys_s']:.2f}), peak RSS {run['maxrss_gb']:.3f} GB, load {run['load_1min']}; "
             f"idle core-s {cores * wall - run['cpu_s']:.2f} of {cores * wall:.2f}"]
    lines.append("")
    lines.append(f"{'phase':50s} {'start':>7s} {'end':>7s} {'wall':>6s} {'CPU':>6s} {'cores':>5s} "
                 f"{'idle core-s':>11s}")
    for name, a, b in phases(run):
        cpu = _cores_between(run, a, b)
        dur = max(b - a, 1e-9)
        lines.append(f"{name:50s} {a:7.3f} {b:7.3f} {b - a:6.3f} {cpu:6.2f} {cpu / dur:5.2f} "
                     f"{cores * (b - a) - cpu:11.2f}")
    lines.append("")
    lines.append("CPU by part (s):")
    for name, cpu in cpu_parts(run, cores):
        lines.append(f"  {name:72s} {cpu:6.2f}")
    lines.append(f"  {'floor set by the CPU alone: whole run / ' + str(cores) + ' cores (wall)':72s} "
                 f"{run['cpu_s'] / cores:6.2f}")
    lines.append("")
    main_id = next((s[2] for s in run["spans"] if s[4] == "hook installed"), None)
    main_spans = sorted((s for s in run["spans"] if s[2] == main_id and s[1] - s[0] >= 0.008),
                        key=lambda s: (s[0], -s[1]))
    lines.append("main thread spans ≥ 8 ms (start, wall, thread CPU):")
    stack: list[float] = []
    for s in main_spans:
        while stack and s[0] >= stack[-1] - 1e-6:
            stack.pop()
        lines.append(f"  {s[0] - t0:7.3f} {s[1] - s[0]:6.3f} {s[5]:6.3f}  {'  ' * len(stack)}{s[4]}")
        stack.append(s[1])
    lines.append("")
    lines.append("other threads (label: calls, first start, last end, wall sum, CPU sum):")
    threads: dict[Any, dict[str, list[Any]]] = {}
    for s in run["spans"]:
        if s[2] == main_id:
            continue
        threads.setdefault((s[2], s[3]), {}).setdefault(s[4].split(" rows ")[0], []).append(s)
    for (tid, name), labels in sorted(threads.items(), key=lambda kv: min(
            x[0] for v in kv[1].values() for x in v)):
        lines.append(f"  thread {name} ({tid}):")
        for label, items in sorted(labels.items(), key=lambda kv: min(x[0] for x in kv[1])):
            lines.append(f"    {label:48s} {len(items):4d}  {min(x[0] for x in items) - t0:7.3f} "
                         f"{max(x[1] for x in items) - t0:7.3f} {sum(x[1] - x[0] for x in items):6.3f} "
                         f"{sum(x[5] for x in items):6.3f}")
    rss = [(when - t0, threads["0"][1] / 1e9) for when, threads in run["samples"]
           if "0" in threads]
    if rss:
        peak_t, peak = max(rss, key=lambda item: item[1])
        marks = "  ".join(f"{t:4.2f}:{v:4.2f}" for t, v in rss[::max(1, len(rss) // 24)])
        lines.append("")
        lines.append(f"RSS (GB) over time, peak {peak:.3f} at {peak_t:.2f} s:")
        lines.append("  " + marks)
    lines.append("")
    lines.append(f"cores in use per {bin_s * 1000:.0f} ms (from /proc schedstat samples):")
    curve = _cpu_curve(run, bin_s)
    row = []
    for start, used in curve:
        row.append(f"{start:5.2f}:{used:4.2f}")
        if len(row) == 8:
            lines.append("  " + "  ".join(row))
            row = []
    if row:
        lines.append("  " + "  ".join(row))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=4000)
    parser.add_argument("--crs", choices=sorted(gen.GRIDS), default="albers")
    parser.add_argument("--compress", choices=["deflate", "lzw", "zstd"], default=None)
    parser.add_argument("--watersheds", type=int, default=gen.DEFAULT_WATERSHEDS)
    parser.add_argument("--seed", type=int, default=gen.DEFAULT_SEED)
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="ecociv source tree")
    parser.add_argument("--runs", type=int, default=2, help="timed runs after one warm-up")
    parser.add_argument("--sample-ms", type=float, default=10.0)
    parser.add_argument("--bin-ms", type=float, default=100.0)
    parser.add_argument("--env", action="append", default=[], metavar="VAR=VALUE")
    parser.add_argument("--out", type=Path, default=None, help="JSON of every run (spans, samples)")
    args = parser.parse_args(argv)
    variant = gen.Variant(args.crs, args.compress, False, args.watersheds)
    folder = gen.ensure_inputs(args.size, args.seed, variant=variant)
    env_extra = dict(item.split("=", 1) for item in args.env)
    cores = os.cpu_count() or 1
    logs = WORK / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    out = WORK / "runs" / "timeline"
    print(f"inputs {folder} ({args.size}², {args.crs}, {args.compress or 'uncompressed'}, "
          f"{args.watersheds} watersheds); ecociv from {args.src}; {cores} cores; env {env_extra}",
          flush=True)
    run_once(args.src, folder, out, logs / "timeline_warmup.log", args.sample_ms / 1000, env_extra)
    runs = []
    for index in range(args.runs):
        run = run_once(args.src, folder, out, logs / f"timeline_{index}.log", args.sample_ms / 1000,
                       env_extra)
        runs.append(run)
        print(f"\n=== run {index + 1}", flush=True)
        print(report(run, cores, args.bin_ms / 1000), flush=True)
    walls = [r["exited"] - r["spawned"] for r in runs]
    print(f"\nwall median {statistics.median(walls):.3f} s, CPU median "
          f"{statistics.median(r['cpu_s'] for r in runs):.2f} s, loads "
          f"{[r['load_1min'] for r in runs]}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"inputs": str(folder), "src": str(args.src),
                                        "env": env_extra, "cores": cores, "runs": runs}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
