"""Timeline of one whole ``ecociv model run`` (e.g. ``soil_conservation`` or ``sand_fixation``):
when each phase runs, on which thread, and how many cores the process keeps busy.

Runs the command line in this process (``python timeline_services.py [--src TREE] [--json
OUT] -- model run ID --input ... --out ...``) with, installed before anything of ecociv or dask
is imported (so imports are timed as in a normal run):

* a post-import hook that wraps, once their module is imported, the run's phases:
  ``execute.run.load_inputs``, ``execute.run.run_checked`` (the model's graph and the input
  checks set up), ``grid.write.compute_in_order`` (the chunked pass), each COG write
  (``grid.write._to_cog``/``_array_to_cog``), each digest (``io.hashing.file_digest``),
  ``execute.run.record_output_digests``, ``build_manifest``, and every dask task
  (``dask.local.execute_task``: the task's name prefix, start, end and thread CPU);
* a sampler thread reading the CPU time of every thread of the process (``/proc/self/task``,
  GDAL's own threads included) every ``--interval`` seconds.

Prints: phases (start, end, wall, thread), dask task groups (count, summed wall and thread
CPU), cores in use over time (share of the wall with < 0.5, 0.5-1.5 and > 1.5 cores busy, and
a coarse strip), and the process CPU. Times are seconds since the process started (from
``/proc/self/stat``), so the interpreter's own start is included. Diagnostic only: the wrappers
add a few microseconds per task.
"""

from __future__ import annotations

import argparse
import importlib.abc
import itertools
import json
import os
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

_TICK = os.sysconf("SC_CLK_TCK")


def _process_age() -> float:
    """Seconds since this process started (clock ticks resolution)."""
    start_ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return uptime - start_ticks / _TICK


#: perf_counter() value of the process start
ORIGIN = time.perf_counter() - _process_age()
EVENTS: list[dict[str, Any]] = []
_LOCK = threading.Lock()


def now() -> float:
    return time.perf_counter() - ORIGIN


def record(name: str, kind: str, start: float, end: float, cpu: float) -> None:
    with _LOCK:
        EVENTS.append({"name": name, "kind": kind, "thread": threading.current_thread().name,
                       "start": round(start, 4), "end": round(end, 4), "cpu": round(cpu, 4)})


def timed(kind: str, label: Callable[..., str] | str) -> Callable[[Callable[..., Any]], Any]:
    def wrap(func: Callable[..., Any]) -> Callable[..., Any]:
        def inner(*args: Any, **kwargs: Any) -> Any:
            start, cpu = now(), time.thread_time()
            try:
                return func(*args, **kwargs)
            finally:
                name = label(*args, **kwargs) if callable(label) else label
                record(name, kind, start, now(), time.thread_time() - cpu)
        inner.__wrapped__ = func  # type: ignore[attr-defined]
        return inner
    return wrap


def _key_name(key: Any) -> str:
    text = key[0] if isinstance(key, tuple) else str(key)
    text = str(text)
    # dask names end with a token: 'read-dem-<hex>' / '_ls_block-<hex>'
    head, _, tail = text.rpartition("-")
    return head if head and len(tail) >= 8 else text


def _patch_dask_local(module: Any) -> None:
    original = module.execute_task

    def execute_task(key: Any, *args: Any, **kwargs: Any) -> Any:
        start, cpu = now(), time.thread_time()
        try:
            return original(key, *args, **kwargs)
        finally:
            record(_key_name(key), "task", start, now(), time.thread_time() - cpu)

    module.execute_task = execute_task


def _path_name(path: Any, *_: Any, **__: Any) -> str:
    return Path(str(path)).name


def _patch_write(module: Any) -> None:
    module._to_cog = timed("cog", lambda tmp, path, *a, **k: f"cog {Path(path).name}")(module._to_cog)
    module._array_to_cog = timed("cog", lambda values, path, *a, **k:
                                 f"cog {Path(path).name}")(module._array_to_cog)


def _patch_run(module: Any) -> None:
    module.load_inputs = timed("phase", "load_inputs")(module.load_inputs)
    module.run_checked = timed("phase", "model.run + checks set up")(module.run_checked)
    module.compute_in_order = timed("phase", "compute_in_order")(module.compute_in_order)
    module.write_rasters = timed("phase", "write_rasters (pass + COGs)")(module.write_rasters)
    module.record_output_digests = timed("phase", "record_output_digests")(
        module.record_output_digests)
    module.build_manifest = timed("phase", "build_manifest")(module.build_manifest)
    module.write_other = timed("phase", lambda output, *a, **k: f"write_other {output.id}")(
        module.write_other)


def _patch_grid_write(module: Any) -> None:
    _patch_write(module)
    module.compute_in_order = timed("phase", "compute pass (dask)")(module.compute_in_order)


def _patch_hashing(module: Any) -> None:
    module.file_digest = timed("digest", lambda p, *a, **k: f"digest {Path(str(p)).name}")(
        module.file_digest)


def _patch_read_ahead(module: Any) -> None:
    module._ReadAhead._run = timed("read-ahead", "read-ahead thread")(module._ReadAhead._run)


PATCHES: dict[str, Callable[[Any], None]] = {
    "dask.local": _patch_dask_local,
    "ecociv.grid.write": _patch_grid_write,
    "ecociv.execute.run": _patch_run,
    "ecociv.io.hashing": _patch_hashing,
    "ecociv.read_ahead": _patch_read_ahead,
}


class _Loader(importlib.abc.Loader):
    def __init__(self, inner: Any, name: str):
        self.inner, self.name = inner, name

    def create_module(self, spec: Any) -> Any:
        return self.inner.create_module(spec)

    def exec_module(self, module: Any) -> None:
        start, cpu = now(), time.thread_time()
        self.inner.exec_module(module)
        PATCHES[self.name](module)
        record(f"import {self.name}", "import", start, now(), time.thread_time() - cpu)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name not in PATCHES:
            return None
        for finder in sys.meta_path:
            if finder is self:
                continue
            spec = getattr(finder, "find_spec", lambda *a: None)(name, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _Loader(spec.loader, name)
                return spec
        return None


def _thread_cpu() -> dict[str, float]:
    """CPU seconds (user + system) of every thread of this process, by tid."""
    out: dict[str, float] = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[tid] = (int(fields[11]) + int(fields[12])) / _TICK
    return out


class Sampler(threading.Thread):
    def __init__(self, interval: float):
        super().__init__(name="timeline-sampler", daemon=True)
        self.interval = interval
        self.samples: list[tuple[float, float]] = []  # (time, process CPU without this thread)
        self.stop = threading.Event()

    def run(self) -> None:
        own = str(threading.get_native_id())
        while not self.stop.is_set():
            cpu = _thread_cpu()
            cpu.pop(own, None)
            self.samples.append((now(), sum(cpu.values())))
            self.stop.wait(self.interval)


def summarise(events: list[dict[str, Any]], samples: list[tuple[float, float]],
              end: float) -> dict[str, Any]:
    phases = [e for e in events if e["kind"] in ("phase", "cog", "digest", "read-ahead", "import")]
    groups: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 1e9, 0.0])
    for e in events:
        if e["kind"] != "task":
            continue
        g = groups[e["name"]]
        g[0] += 1
        g[1] += e["end"] - e["start"]
        g[2] += e["cpu"]
        g[3] = min(g[3], e["start"])
        g[4] = max(g[4], e["end"])
    # cores in use between samples
    bins = {"idle (<0.5 core)": 0.0, "one core (0.5-1.5)": 0.0, "two cores (>1.5)": 0.0}
    strip = []
    for (t0, c0), (t1, c1) in itertools.pairwise(samples):
        dt = t1 - t0
        if dt <= 0:
            continue
        cores = (c1 - c0) / dt
        key = ("idle (<0.5 core)" if cores < 0.5 else "one core (0.5-1.5)" if cores <= 1.5
               else "two cores (>1.5)")
        bins[key] += dt
        strip.append((round(t0, 2), round(cores, 2)))
    return {
        "end_s": round(end, 3),
        "process_cpu_s": round(samples[-1][1], 3) if samples else None,
        "phases": sorted(phases, key=lambda e: e["start"]),
        "task_groups": {k: {"n": int(v[0]), "wall_sum": round(v[1], 3), "cpu_sum": round(v[2], 3),
                            "first_start": round(v[3], 3), "last_end": round(v[4], 3)}
                        for k, v in sorted(groups.items(), key=lambda kv: -kv[1][2])},
        "cores_busy_s": {k: round(v, 3) for k, v in bins.items()},
        "cores_strip": strip,
    }


def _print(summary: dict[str, Any], bucket: float = 0.25) -> None:
    print(f"\nprocess end (last event) {summary['end_s']:.2f} s, process CPU "
          f"{summary['process_cpu_s']} s (sampled)")
    print("\nphases (s since process start):")
    for e in summary["phases"]:
        print(f"  {e['start']:7.3f} {e['end']:7.3f} {e['end'] - e['start']:7.3f} wall "
              f"{e['cpu']:7.3f} cpu  [{e['thread']}] {e['name']}")
    print("\ndask task groups (n, summed wall, summed thread CPU, first start, last end):")
    for name, g in summary["task_groups"].items():
        print(f"  {g['n']:4d} {g['wall_sum']:7.3f} {g['cpu_sum']:7.3f} {g['first_start']:7.3f} "
              f"{g['last_end']:7.3f}  {name}")
    print("\ncores busy:", summary["cores_busy_s"])
    # coarse strip: mean cores per bucket
    strip = summary["cores_strip"]
    if strip:
        line = []
        edge, acc, n = strip[0][0], 0.0, 0
        for t, cores in strip:
            if t >= edge + bucket:
                line.append(acc / max(n, 1))
                edge, acc, n = edge + bucket, 0.0, 0
            acc += cores
            n += 1
        line.append(acc / max(n, 1))
        chars = "".join(" " if c < 0.25 else "." if c < 0.75 else "1" if c < 1.25 else
                        ":" if c < 1.75 else "2" for c in line)
        print(f"cores per {bucket} s from {strip[0][0]:.2f} s: |{chars}|")


def main() -> int:
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, default=None, help="source tree holding ecociv/")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--interval", type=float, default=0.02)
    args = parser.parse_args(argv[:split])
    cli_args = argv[split + 1:]
    if args.src is not None:
        sys.path.insert(0, str(args.src.resolve()))
    sys.meta_path.insert(0, _Finder())
    sampler = Sampler(args.interval)
    sampler.start()
    record("interpreter start", "phase", 0.0, now(), time.process_time())
    start, cpu = now(), time.thread_time()
    from ecociv.cli.main import main as cli_main
    record("import ecociv.cli.main", "import", start, now(), time.thread_time() - cpu)
    sys.argv = ["ecociv", *cli_args]
    start = now()
    try:
        cli_main()
    except SystemExit as exit_:
        if exit_.code not in (0, None):
            raise
    finally:
        record("cli main", "phase", start, now(), 0.0)
        sampler.stop.set()
        sampler.join()
        summary = summarise(EVENTS, sampler.samples, now())
        _print(summary)
        if args.json is not None:
            args.json.write_text(json.dumps({"events": EVENTS, **summary}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
