"""Load on ``ecociv serve`` over localhost: concurrent users browsing results while a few
planners start small runs; p50 / p95 latency, error rate, and a check that no request was lost
and no run corrupted.

The server runs as ``ecociv serve`` in its own process (uvicorn, one event loop, ``--workers``
run processes) on a fresh results store. Before the load, one shared run of the synthetic example
scenario is made to browse. Then, at once:

- ``--users`` browsers (threads, each with its own session) loop for ``--seconds`` over: the model
  list, the run list, a run's file listing, a result table as JSON, a raster map as PNG, the
  Belt's layer list, a map tile of the run's raster (cycling over its tiles at its native zoom
  and one out) and a tile of the Belt's land use at zoom 7 (cycling over the Belt);
- ``--runners`` planners each start ``--runs`` small runs (the example scenario) and follow each
  to its end by polling.

Every browser signs in before the timed window. The CPU seconds of the HTTP process(es) over
the window (psutil; not the run processes) are recorded with the latencies: on a machine shared
with other jobs they are the fairer comparison of ``--processes`` settings.

Every request is counted: answered with the expected status, answered with another status
(error), or not answered (a lost request: connection error or timeout). After the load every run
must be ``completed`` and every output file must match the BLAKE2b digest recorded in its step
manifest when it was written (no run corrupted).

Usage::

    .venv/bin/python benchmarks/bench_web_load.py [--users 50] [--runners 5] [--seconds 60]
        [--workers 2] [--processes 1]

Results: ``benchmarks/results/web_load.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
EXAMPLE = ROOT / "src" / "ecociv" / "data" / "example"
PASSWORD = "bench password 1234"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Recorder:
    """Latencies by endpoint, errors, lost requests (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.lost: list[str] = []

    def call(self, client: httpx.Client, name: str, method: str, url: str, ok: tuple[int, ...] = (200,),
             **kwargs: object) -> httpx.Response | None:
        start = time.perf_counter()
        try:
            answer = client.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as err:
            with self.lock:
                self.lost.append(f"{name}: {type(err).__name__}: {err}")
            return None
        elapsed = time.perf_counter() - start
        with self.lock:
            self.latency[name].append(elapsed)
            if answer.status_code not in ok:
                self.errors.append(f"{name}: HTTP {answer.status_code} {answer.text[:200]}")
        return answer


def _login(base: str, user: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=120)
    answer = client.post("/api/v1/auth/login", json={"username": user, "password": PASSWORD})
    answer.raise_for_status()
    client.headers["Authorization"] = f"Bearer {answer.json()['token']}"
    client.cookies.clear()
    return client


def _upload_example(client: httpx.Client) -> None:
    for path in sorted(EXAMPLE.iterdir()):
        if path.suffix in (".tif", ".csv", ".gpkg"):
            client.post("/api/v1/uploads", files={"file": (path.name, path.read_bytes())}).raise_for_status()


def _wait(client: httpx.Client, job: str, rec: Recorder | None = None, limit: float = 1800) -> dict:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        answer = (rec.call(client, "run status", "GET", f"/api/v1/runs/{job}") if rec
                  else client.get(f"/api/v1/runs/{job}"))
        if answer is not None and answer.status_code == 200 and answer.json()["status"] in (
                "completed", "failed", "cancelled", "interrupted"):
            return answer.json()  # type: ignore[no-any-return]
        time.sleep(1.0)
    raise TimeoutError(job)


def _http_processes(pid: int, processes: int) -> list[object]:
    """The server's HTTP processes: ``ecociv serve`` itself, or with ``--processes`` > 1 its
    uvicorn workers (not the run processes below them)."""
    import psutil

    main = psutil.Process(pid)
    if processes <= 1:
        return [main]
    deadline = time.monotonic() + 60
    while len(workers := main.children()) < processes and time.monotonic() < deadline:
        time.sleep(0.5)
    return [main, *workers]


def _cpu_seconds(procs: list[object]) -> float:
    """User + system CPU seconds of ``procs`` themselves (not of their children)."""
    total = 0.0
    for proc in procs:
        times = proc.cpu_times()  # type: ignore[attr-defined]
        total += times.user + times.system
    return total


def _tiles_over(bounds: list[float], z: int) -> list[tuple[int, int]]:
    """(x, y) of the XYZ tiles of zoom ``z`` over ``bounds`` (west, south, east, north)."""
    import math

    west, south, east, north = bounds
    n = 2**z

    def row(lat: float) -> int:
        return int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)

    cols = range(int((west + 180) / 360 * n), int((east + 180) / 360 * n) + 1)
    return [(x, y) for x in cols for y in range(row(north), row(south) + 1)]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _corrupted(store: Path, run_id: str) -> list[str]:
    from ecociv.io.hashing import digest_problems

    problems = []
    for step_manifest in (store / "runs" / run_id).glob("*/manifest.json"):
        outputs = json.loads(step_manifest.read_text()).get("outputs", {})
        problems += digest_problems(step_manifest.parent, outputs)
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--runners", type=int, default=5)
    parser.add_argument("--runs", type=int, default=1, help="runs started by each runner")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2, help="`ecociv serve --workers`")
    parser.add_argument("--processes", type=int, default=1, help="`ecociv serve --processes`")
    args = parser.parse_args()

    store = Path(tempfile.mkdtemp(prefix="ecociv-web-load-")) / "store"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, ECOCIV_ADMIN_PASSWORD=PASSWORD,
               PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    server = subprocess.Popen([sys.executable, "-m", "ecociv.cli.main", "serve", "--store", str(store),
                               "--port", str(port), "--admin", "admin", "--workers", str(args.workers),
                               "--processes", str(args.processes)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(120):
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        admin = _login(base, "admin")
        for i in range(args.runners):
            admin.post("/api/v1/users", json={"username": f"planner{i}", "password": PASSWORD,
                                              "role": "planner"}).raise_for_status()
        for i in range(10):
            admin.post("/api/v1/users", json={"username": f"viewer{i}", "password": PASSWORD,
                                              "role": "viewer"}).raise_for_status()
        # one shared run to browse
        owner = _login(base, "planner0")
        _upload_example(owner)
        yaml_text = (EXAMPLE / "scenario.yaml").read_text(encoding="utf-8")
        sid = owner.post("/api/v1/scenarios", json={"yaml": yaml_text, "shared": True}).json()["id"]
        job = owner.post("/api/v1/runs", json={"scenario_id": sid, "shared": True}).json()["id"]
        first = _wait(owner, job)
        assert first["status"] == "completed", first
        run_id = first["run_id"]
        files = owner.get(f"/api/v1/results/{run_id}").json()["files"]
        table, raster = files["tables"][0], files["rasters"][0]
        # the map tiles a browser asks for: every tile over the raster at its native zoom and
        # one zoom out, and the Belt's land use at zoom 7 (Web Mercator, XYZ)
        legend = owner.get(f"/api/v1/results/{run_id}/legend/{raster}").json()
        belt = owner.get("/api/v1/datasets/belt/layers/land_use/legend").json()
        result_tiles = [f"/api/v1/results/{run_id}/tiles/{raster}/{z}/{x}/{y}.png"
                        for z in (legend["native_zoom"] - 1, legend["native_zoom"])
                        for x, y in _tiles_over(legend["bounds_wgs84"], z)]
        belt_tiles = [f"/api/v1/datasets/belt/layers/land_use/tiles/7/{x}/{y}.png"
                      for x, y in _tiles_over(belt["bounds_wgs84"], 7)]
        for i in range(1, args.runners):
            planner = _login(base, f"planner{i}")
            _upload_example(planner)

        rec = Recorder()
        started: list[str] = []
        # every browser signs in before the load starts (argon2 hashing of 50 sign-ins would
        # otherwise fill the measured window on a loaded machine)
        sessions: list[httpx.Client] = [None] * args.users  # type: ignore[list-item]

        def sign_in(i: int) -> None:
            sessions[i] = _login(base, f"viewer{i % 10}")

        signing = [threading.Thread(target=sign_in, args=(i,)) for i in range(args.users)]
        for thread in signing:
            thread.start()
        for thread in signing:
            thread.join()
        http_procs = _http_processes(server.pid, args.processes)
        cpu_before = _cpu_seconds(http_procs)
        stop = time.monotonic() + args.seconds

        def browse(i: int) -> None:
            client = sessions[i]
            pages = [("models", "/api/v1/models"), ("runs", "/api/v1/runs"),
                     ("result files", f"/api/v1/results/{run_id}"),
                     ("table json", f"/api/v1/results/{run_id}/table/{table}"),
                     ("map png", f"/api/v1/results/{run_id}/map/{raster}"),
                     ("layers", "/api/v1/datasets/belt/layers"),
                     ("result tile", ""), ("belt tile", "")]
            k = i
            while time.monotonic() < stop:
                name, url = pages[k % len(pages)]
                if name == "result tile":
                    url = result_tiles[k % len(result_tiles)]
                elif name == "belt tile":
                    url = belt_tiles[k % len(belt_tiles)]
                rec.call(client, name, "GET", url, ok=(200, 204))
                k += 1

        def run(i: int) -> None:
            client = _login(base, f"planner{i}")
            my_sid = client.post("/api/v1/scenarios", json={"yaml": yaml_text}).json()["id"]
            for _ in range(args.runs):
                answer = rec.call(client, "start run", "POST", "/api/v1/runs", ok=(202,),
                                  json={"scenario_id": my_sid})
                if answer is not None and answer.status_code == 202:
                    job_id = answer.json()["id"]
                    with rec.lock:
                        started.append(job_id)
                    _wait(client, job_id, rec)

        t0 = time.perf_counter()
        threads = [threading.Thread(target=browse, args=(i,)) for i in range(args.users)]
        threads += [threading.Thread(target=run, args=(i,)) for i in range(args.runners)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - t0
        http_cpu = _cpu_seconds(http_procs) - cpu_before

        states = [admin.get(f"/api/v1/runs/{j}").json() for j in started]
        corrupted = {s["run_id"]: _corrupted(store, s["run_id"]) for s in states if s.get("run_id")}
        all_lat = [x for values in rec.latency.values() for x in values]
        requests = len(all_lat) + len(rec.lost)
        result = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "load_average": os.getloadavg(),
            "users": args.users, "runners": args.runners, "runs_per_runner": args.runs,
            "workers": args.workers, "processes": args.processes,
            "seconds": args.seconds, "wall_s": round(wall, 1),
            "requests": requests, "lost": len(rec.lost), "errors": len(rec.errors),
            "error_rate": (len(rec.errors) + len(rec.lost)) / max(1, requests),
            "requests_per_s": round(len(all_lat) / wall, 1),
            "http_cpu_s": round(http_cpu, 1),
            "http_cpu_ms_per_request": round(1000 * http_cpu / max(1, len(all_lat)), 1),
            "p50_ms": round(1000 * statistics.median(all_lat), 1) if all_lat else None,
            "p95_ms": round(1000 * _percentile(all_lat, 0.95), 1) if all_lat else None,
            "by_endpoint": {name: {"n": len(v), "p50_ms": round(1000 * statistics.median(v), 1),
                                   "p95_ms": round(1000 * _percentile(v, 0.95), 1)}
                            for name, v in sorted(rec.latency.items())},
            "runs_started": len(started),
            "runs_completed": sum(s["status"] == "completed" for s in states),
            "runs_corrupted": sum(bool(p) for p in corrupted.values()),
            "first_errors": rec.errors[:5], "first_lost": rec.lost[:5],
        }
        out = ROOT / "benchmarks" / "results" / "web_load.json"
        out.parent.mkdir(exist_ok=True)
        history = json.loads(out.read_text()) if out.exists() else []
        history.append(result)
        out.write_text(json.dumps(history, indent=2) + "\n")
        print(json.dumps(result, indent=2))
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
