"""Peak memory of a whole run, placed by phase: run a Python script (e.g. the ``ecociv`` command
line) with named functions wrapped, and print for each call the process's RSS at its start and
end, the high-water mark ``VmHWM`` at both ends (never reset, so ``/usr/bin/time`` still sees the
true peak, and a rise of ``VmHWM`` during a call places the process's peak there), the largest
RSS sampled every 0.1 s by a thread during the call and in the gap after it (C allocations
included: tracemalloc sees only Python's), its CPU and wall time. Linux only (``/proc``).

Usage (the security pattern at 16000², as in ``RESULTS.md``)::

    P=ecociv.models.ecological_security_pattern
    python benchmarks/phase_memory.py \\
        "$P.model:resistance_surface,$P.kernels:cost_distance,$P.kernels:least_cost_links,\\
    $P.kernels:corridor_currents_on_bands,$P.model:source_polygons,ecociv.grid.write:write_rasters" \\
        -m ecociv.cli.main model run ecological_security_pattern --out OUT --input ...

The functions are patched where they are looked up (``module:function`` of the caller's
namespace when it imported them by name).
"""

from __future__ import annotations

import atexit
import importlib
import runpy
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

LABEL = ["start-up"]
PEAKS: dict[str, float] = {}


def status() -> dict[str, float]:
    """VmRSS and VmHWM of this process, GB."""
    found = {}
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(("VmHWM", "VmRSS")):
                found[line.split(":")[0]] = int(line.split()[1]) * 1024 / 1e9
    return found


def _sample() -> None:
    while True:
        rss, label = status()["VmRSS"], LABEL[0]
        PEAKS[label] = max(PEAKS.get(label, 0.0), rss)
        time.sleep(0.1)


def wrap(module_name: str, name: str) -> None:
    """Replace ``module_name.name`` by a timed, measured call of it."""
    module = importlib.import_module(module_name)
    func: Callable[..., Any] = getattr(module, name)

    def measured(*args: Any, **kwargs: Any) -> Any:
        start = status()
        LABEL[0] = name
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return func(*args, **kwargs)
        finally:
            end = status()
            LABEL[0] = f"after {name}"
            rise = " NEW-PEAK" if end["VmHWM"] > start["VmHWM"] + 0.005 else ""
            print(f"PHASE {name:28s} rss {start['VmRSS']:6.2f} -> {end['VmRSS']:6.2f} GB, "
                  f"VmHWM {start['VmHWM']:6.2f} -> {end['VmHWM']:6.2f}{rise}, "
                  f"sampled max {PEAKS.get(name, 0.0):6.2f} GB, "
                  f"wall {time.perf_counter() - wall:7.1f} s, cpu {time.process_time() - cpu:7.1f} s",
                  file=sys.stderr, flush=True)

    setattr(module, name, measured)


def _final() -> None:
    peaks = ", ".join(f"{k}: {v:.2f}" for k, v in PEAKS.items())
    print(f"FINAL VmHWM {status()['VmHWM']:.2f} GB; sampled max by phase and gap (GB): {peaks}",
          file=sys.stderr, flush=True)


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        raise SystemExit(__doc__)
    for item in argv[0].split(","):
        module_name, name = item.strip().split(":")
        wrap(module_name, name)
    threading.Thread(target=_sample, daemon=True).start()
    atexit.register(_final)
    rest = argv[1:]
    if rest[0] == "-m":
        sys.argv = [rest[1], *rest[2:]]
        runpy.run_module(rest[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = rest
        runpy.run_path(rest[0], run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
