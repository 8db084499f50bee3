"""``ecociv serve --processes N``: several HTTP processes share the port and the database. A run
started through one process is cancelled through another; only the first process marks runs a
previous server left unfinished as interrupted; all processes together allow no more failed
sign-ins than ``--login-attempts`` (5)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from tests.web_helpers import served

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "src" / "ecociv" / "data" / "example" / "scenario.yaml"


def _status(db, job: str) -> str:
    return str(db.one("SELECT status FROM jobs WHERE id = ?", (job,))[0])


def _cancel_through_another_manager(store):
    """Submit a plan job in one JobManager and, once it runs, cancel it through a second one on
    the same database (a second process of the same server: it must not mark the first's run
    interrupted, and has no handle on the worker process)."""
    from ecociv.web.db import WebDB
    from ecociv.web.jobs import JobManager

    first = JobManager(WebDB(store / "web" / "web.sqlite"), store, workers=1)
    job = first.submit("plan", "s", EXAMPLE, False)
    other_db = WebDB(store / "web" / "web.sqlite")
    other = JobManager(other_db, store, workers=1, reset=False)
    deadline = time.monotonic() + 120
    while _status(other_db, job) != "running":
        assert time.monotonic() < deadline, _status(other_db, job)
        time.sleep(0.2)
    proc = first._procs[job]
    assert other.cancel(job)
    return first, other_db, job, proc


def test_a_run_is_cancelled_through_another_process(tmp_path):
    from ecociv.web.jobs import read_events

    store = tmp_path / "store"
    first, other_db, job, proc = _cancel_through_another_manager(store)
    deadline = time.monotonic() + 30
    while proc.is_alive() or job in first._procs:
        assert time.monotonic() < deadline, "the first process did not stop the cancelled run"
        time.sleep(0.2)
    time.sleep(1.5)
    assert _status(other_db, job) == "cancelled"  # not overwritten as failed by the first
    events = [e["event"] for e in read_events(first.log_path(job))[0]]
    assert events[-1] == "cancelled" and "error" not in events and "done" not in events
    assert not list((store / "runs").glob("*")) or all(  # nothing half-written in place
        (p / "manifest.json").is_file() for p in (store / "runs").iterdir()
        if not p.name.startswith("."))


def test_a_log_ends_cancelled_when_the_worker_logs_after_a_cancel_elsewhere(tmp_path):
    """The worker may log (its start, a step) after another server process wrote the cancel and
    before this one stops it: the log must still end with the cancel."""
    from ecociv.web.jobs import _log, read_events

    first, other_db, job, proc = _cancel_through_another_manager(tmp_path / "store")
    _log(first.log_path(job), "step", name="late")  # as the worker would, before it is stopped
    deadline = time.monotonic() + 30
    while proc.is_alive() or job in first._procs:
        assert time.monotonic() < deadline, "the first process did not stop the cancelled run"
        time.sleep(0.2)
    deadline = time.monotonic() + 5  # the first process appends once its worker has stopped
    events = [e["event"] for e in read_events(first.log_path(job))[0]]
    while events[-1] != "cancelled" and time.monotonic() < deadline:
        time.sleep(0.1)
        events = [e["event"] for e in read_events(first.log_path(job))[0]]
    assert events[-1] == "cancelled", events
    assert _status(other_db, job) == "cancelled"


def test_serve_with_two_processes(tmp_path):
    import httpx
    import psutil

    store = tmp_path / "store"
    with served(store, "two-process-admin", "--processes", "2", log=tmp_path / "server.log") as (
            proc, root):
        base = f"{root}/api/v1"
        # uvicorn's supervisor and its 2 server processes (spawned Python interpreters)
        children = [c for c in psutil.Process(proc.pid).children() if "python" in c.name().lower()]
        assert len(children) >= 2, children
        ok = httpx.post(f"{base}/auth/login", json={"username": "admin",
                                                    "password": "two-process-admin"})
        assert ok.status_code == 200
        token = {"Authorization": f"Bearer {ok.json()['token']}"}
        for _ in range(6):  # the session is valid in every process (one database)
            assert httpx.get(f"{base}/auth/me", headers=token).json()["user"] == "admin"
        codes = [httpx.post(f"{base}/auth/login", json={"username": "admin", "password": "wrong"}
                            ).status_code for _ in range(6)]
        # each of the 2 processes allows 5 // 2 = 2 failures: at most 4 in all, then 429
        assert codes.count(401) <= 4 and 429 in codes, codes
