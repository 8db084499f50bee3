"""Runs started from the web: each in its own worker process (at most ``workers`` at once), with
progress as JSON lines in ``STORE/web/jobs/<job>.log`` (read by the server-sent events stream).
A cancelled job's process is terminated; the runner writes into a ``.partial-`` folder renamed
into place only on success, so a cancelled or killed run never damages the store."""

from __future__ import annotations

import json
import multiprocessing
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from ecociv.web.db import WebDB, now

TERMINAL = ("completed", "failed", "cancelled", "interrupted")


def _log(path: Path, event: str, **fields: Any) -> None:
    with path.open("a", encoding="utf-8") as log:
        log.write(json.dumps({"time": time.time(), "event": event, **fields}) + "\n")


def _run(scenario: str, store: str, log_path: str, scheduler: str | None = None) -> None:
    """Worker process body: run one scenario file into the store, logging every step."""
    log = Path(log_path)
    try:
        from ecociv.errors import EcocivError
        from ecociv.scenario.run_file import load_scenario_file, run_scenario_file
        from ecociv.scenario.validate import InvalidScenarioError

        try:
            loaded = load_scenario_file(scenario)
            _log(log, "start", steps=[s.name for s in loaded.steps])
            result = run_scenario_file(loaded, store, maps=True, scheduler=scheduler,
                                       progress=lambda step, status: _log(log, "step", step=step,
                                                                          status=status))
        except InvalidScenarioError as err:
            _log(log, "error", message="; ".join(err.problems))
            return
        except EcocivError as err:
            _log(log, "error", message=str(err))
            return
        _log(log, "done", run_id=result.run_id, seconds=result.manifest.get("seconds"))
    except Exception as err:
        _log(log, "error", message=f"internal error: {type(err).__name__}: {err}")


def read_events(path: Path, start: int = 0) -> tuple[list[dict[str, Any]], int]:
    """The complete JSON lines of a job log after byte ``start``, and the offset after them."""
    if not path.exists():
        return [], start
    with path.open("rb") as log:
        log.seek(start)
        data = log.read()
    end = data.rfind(b"\n") + 1
    events = [json.loads(line) for line in data[:end].splitlines() if line.strip()]
    return events, start + end


class JobManager:
    """Queue and run scenario files in worker processes."""

    def __init__(self, db: WebDB, store: Path, *, workers: int = 2, scheduler: str | None = None,
                 reset: bool = True):
        self.db, self.store, self.scheduler = db, store, scheduler
        self.jobs_dir = store / "web" / "jobs"
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        self._slots = threading.Semaphore(max(1, workers))
        self._procs: dict[str, Any] = {}
        self._cancelled: set[str] = set()
        self._lock = threading.Lock()
        self._context = multiprocessing.get_context("spawn")
        # runs a previous server left unfinished are reported, never silently resumed (done once,
        # by the first process, when the server runs several: ``reset=False`` for the others)
        if reset:
            self.db.execute("UPDATE jobs SET status = 'interrupted', finished = ? WHERE status "
                            "IN ('queued', 'running')", (now(),))

    def log_path(self, job_id: str) -> Path:
        return self.jobs_dir / f"{job_id}.log"

    def submit(self, owner: str, scenario_id: str, scenario_file: Path, shared: bool) -> str:
        job_id = uuid.uuid4().hex[:16]
        self.db.execute("INSERT INTO jobs (id, owner, scenario_id, status, shared, created) "
                        "VALUES (?, ?, ?, 'queued', ?, ?)",
                        (job_id, owner, scenario_id, int(shared), now()))
        _log(self.log_path(job_id), "queued")
        threading.Thread(target=self._drive, args=(job_id, scenario_file), daemon=True).start()
        return job_id

    def _cancelled_elsewhere(self, job_id: str) -> bool:
        """Whether another server process cancelled the job (its row says so)."""
        row = self.db.one("SELECT status FROM jobs WHERE id = ?", (job_id,))
        return row is not None and row[0] == "cancelled"

    def _drive(self, job_id: str, scenario_file: Path) -> None:
        with self._slots:
            with self._lock:
                if job_id in self._cancelled or self._cancelled_elsewhere(job_id):
                    return
                proc = self._context.Process(target=_run, args=(str(scenario_file), str(self.store),
                                                                 str(self.log_path(job_id)),
                                                                 self.scheduler),
                                             daemon=True)
                proc.start()
                self._procs[job_id] = proc
            self.db.execute("UPDATE jobs SET status = 'running' WHERE id = ? AND status = 'queued'",
                            (job_id,))
            proc.join(1.0)
            while proc.is_alive():  # a cancel may come through another server process
                if self._cancelled_elsewhere(job_id):
                    proc.terminate()
                proc.join(1.0)
            with self._lock:
                self._procs.pop(job_id, None)
                if job_id in self._cancelled:
                    return  # cancel() here stopped the worker before it logged
                if self._cancelled_elsewhere(job_id):
                    self._end_log_as_cancelled(job_id)
                    return
        self._finish(job_id, proc.exitcode)

    def _end_log_as_cancelled(self, job_id: str) -> None:
        """Make ``cancelled`` the log's last event once the worker has stopped: the worker may have
        logged (its start, a step) between the cancel, written by whichever server process took
        it, and its termination here."""
        events, _ = read_events(self.log_path(job_id))
        if not events or events[-1].get("event") != "cancelled":
            _log(self.log_path(job_id), "cancelled")

    def _finish(self, job_id: str, exitcode: int | None) -> None:
        events, _ = read_events(self.log_path(job_id))
        last = events[-1] if events else {}
        if last.get("event") == "done":
            self.db.execute("UPDATE jobs SET status = 'completed', run_id = ?, finished = ? "
                            "WHERE id = ?", (last["run_id"], now(), job_id))
            self._record_footprint(str(last["run_id"]))
            return
        message = last.get("message") if last.get("event") == "error" else (
            f"worker process ended with exit code {exitcode}")
        self.db.execute("UPDATE jobs SET status = 'failed', error = ?, finished = ? WHERE id = ?",
                        (message, now(), job_id))
        if last.get("event") != "error":
            _log(self.log_path(job_id), "error", message=message)

    def _record_footprint(self, run_id: str) -> None:
        """Keep the run's outline for queries by place (a run without a grid has none)."""
        from ecociv.web.footprints import run_outline
        from ecociv.web.paths import safe_id

        outline = run_outline(self.store / "runs" / safe_id(run_id, "run"))
        if outline is not None:
            self.db.record_footprint(run_id, outline[0], outline[1])

    def cancel(self, job_id: str) -> bool:
        """Stop a queued or running job; False when it had already ended."""
        with self._lock:
            row = self.db.one("SELECT status FROM jobs WHERE id = ?", (job_id,))
            if row is None or row[0] in TERMINAL:
                return False
            self._cancelled.add(job_id)
            proc = self._procs.get(job_id)
            if proc is not None:
                proc.terminate()
        if proc is not None:
            proc.join(10)
        self.db.execute("UPDATE jobs SET status = 'cancelled', finished = ? WHERE id = ?",
                        (now(), job_id))
        _log(self.log_path(job_id), "cancelled")
        return True

    def shutdown(self) -> None:
        with self._lock:
            procs = list(self._procs.items())
        for job_id, proc in procs:
            self.cancel(job_id)
            proc.join(5)
