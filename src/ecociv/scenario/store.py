"""The results store: one folder per run under ``<root>/runs`` plus an embedded SQLite catalog.

Each run folder's ``manifest.json`` is the source of truth; the catalog is an index rebuilt from
manifests when they disagree (a run killed between rename and catalog insert is picked up, rows
whose folder is gone are dropped), so the catalog is always consistent with the folders.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecociv.errors import OutputError
from ecociv.io.atomic import ensure_writable_parent
from ecociv.io.hashing import digest_problems

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    scenario TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT NOT NULL,
    seconds REAL NOT NULL,
    status TEXT NOT NULL,
    path TEXT NOT NULL,
    ecociv_version TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS steps (
    run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    step TEXT NOT NULL,
    model TEXT NOT NULL,
    cache_key TEXT NOT NULL,
    cached INTEGER NOT NULL,
    PRIMARY KEY (run_id, step)
);
CREATE INDEX IF NOT EXISTS steps_cache_key ON steps(cache_key);
"""


@dataclass(frozen=True)
class RunRow:
    run_id: str
    scenario: str
    started: str
    finished: str
    seconds: float
    status: str
    path: str


class ResultsStore:
    """Run folders and their catalog under ``root``."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.runs_dir = self.root / "runs"
        self.catalog_path = self.root / "catalog.sqlite"

    def _prepare(self) -> None:
        ensure_writable_parent(self.runs_dir)
        try:
            self.runs_dir.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise OutputError(f"results store {self.root} is not writable: {err}") from err

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(self.catalog_path, timeout=30)
        try:
            connection.execute("PRAGMA foreign_keys = ON")
            connection.executescript(_SCHEMA)
            with connection:
                yield connection
        finally:
            connection.close()

    @staticmethod
    def new_run_id(scenario: str) -> str:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        return f"{stamp}-{scenario}-{uuid.uuid4().hex[:6]}"

    @contextmanager
    def new_run(self, scenario: str) -> Iterator[tuple[str, Path]]:
        """Yield (run id, temporary folder); on success the folder is renamed into
        ``runs/<run id>`` and catalogued, on failure it is removed."""
        self._prepare()
        run_id = self.new_run_id(scenario)
        tmp = self.runs_dir / f".partial-{run_id}"
        tmp.mkdir()
        try:
            yield run_id, tmp
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        final = self.runs_dir / run_id
        tmp.rename(final)
        self._catalogue(final)

    def _catalogue(self, folder: Path) -> None:
        manifest = json.loads((folder / "manifest.json").read_text())
        with self._db() as db:
            db.execute(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (manifest["run_id"], manifest["scenario"]["name"], manifest["started"],
                 manifest["finished"], manifest["seconds"], manifest["status"], str(folder),
                 manifest["ecociv_version"]),
            )
            for step in manifest["steps"]:
                db.execute("INSERT OR REPLACE INTO steps VALUES (?, ?, ?, ?, ?)",
                           (manifest["run_id"], step["name"], step["model"], step["cache_key"],
                            int(step["cached"])))

    def reconcile(self) -> None:
        """Make the catalog match the run folders (see module docstring)."""
        if not self.runs_dir.is_dir():
            return
        folders = {p.name: p for p in self.runs_dir.iterdir()
                   if p.is_dir() and not p.name.startswith(".") and (p / "manifest.json").is_file()}
        with self._db() as db:
            known = {row[0] for row in db.execute("SELECT run_id FROM runs")}
            for run_id in known - set(folders):
                db.execute("DELETE FROM steps WHERE run_id = ?", (run_id,))
                db.execute("DELETE FROM runs WHERE run_id = ?", (run_id,))
        for run_id in set(folders) - known:
            try:
                self._catalogue(folders[run_id])
            except (KeyError, ValueError):
                continue  # not an ecociv run folder

    def list_runs(self) -> list[RunRow]:
        """Runs, newest first (after reconciling the catalog with the folders)."""
        if not self.root.exists():
            return []
        self.reconcile()
        with self._db() as db:
            rows = db.execute("SELECT run_id, scenario, started, finished, seconds, status, path "
                              "FROM runs ORDER BY started DESC, run_id DESC").fetchall()
        return [RunRow(*row) for row in rows]

    def cached_steps(self, cache_key: str) -> list[Path]:
        """Folders of completed earlier steps with this cache key, newest first (their outputs
        are not checked here: see :meth:`cached_step`)."""
        if not self.catalog_path.exists():
            return []
        with self._db() as db:
            rows = db.execute(
                "SELECT runs.path, steps.step FROM steps JOIN runs USING (run_id) "
                "WHERE steps.cache_key = ? AND runs.status = 'completed' ORDER BY runs.started DESC",
                (cache_key,),
            ).fetchall()
        folders = [Path(run_path) / step for run_path, step in rows]
        return [folder for folder in folders if (folder / "manifest.json").is_file()]

    def cached_step(self, cache_key: str) -> Path | None:
        """Folder of an earlier step with the same cache key whose output files all match the
        BLAKE2b digests recorded in its manifest when they were written."""
        for folder in self.cached_steps(cache_key):
            try:
                outputs: dict[str, Any] = json.loads((folder / "manifest.json").read_text()).get(
                    "outputs", {})
            except (OSError, ValueError):
                continue
            if not digest_problems(folder, outputs):
                return folder
        return None
