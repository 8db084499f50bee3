"""The results store: one folder per run under ``<root>/runs`` plus an embedded SQLite catalog.

Each run folder's ``manifest.json`` is the source of truth; the catalog is an index rebuilt from
manifests when they disagree (a run killed between rename and catalog insert is picked up, rows
whose folder is gone are dropped), so the catalog is always consistent with the folders. A
damaged catalog is moved aside (``catalog.sqlite.corrupt-<time>``) and rebuilt the same way.

A run is written into ``runs/.partial-<run id>`` (with a marker naming the writing process) and
renamed when complete; unfinished folders of killed runs are removed on the next run or listing.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import time
import uuid
import warnings
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecociv.errors import OutputError, OutputWarning
from ecociv.io import partial
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


_BROKEN = ("SQLITE_CORRUPT", "SQLITE_NOTADB")
_UNSAFE = re.compile(r"[^\w.-]+")
PARTIAL = ".partial-"


def run_slug(scenario: str) -> str:
    """``scenario`` as a safe part of a folder name: runs of characters other than letters,
    digits, ``_``, ``.`` and ``-`` (``/``, spaces, ``:`` ...) become one ``-``."""
    return _UNSAFE.sub("-", scenario).strip(".-")[:60] or "run"


class ResultsStore:
    """Run folders and their catalog under ``root``."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.runs_dir = self.root / "runs"
        self.catalog_path = self.root / "catalog.sqlite"
        self._catalog_checked = False

    def _check_root(self) -> None:
        for path in (self.root, self.runs_dir):
            if path.exists() and not path.is_dir():
                raise OutputError(f"results store {self.root}: {path} is a file, not a folder; "
                                  "give the folder of a results store (a new one is created)")

    def _prepare(self) -> None:
        self._check_root()
        ensure_writable_parent(self.runs_dir)
        try:
            self.runs_dir.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise OutputError(f"results store {self.root} is not writable: {err}") from err

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        if not self._catalog_checked:
            self._check_catalog()
        try:
            connection = sqlite3.connect(self.catalog_path, timeout=30)
            try:
                connection.execute("PRAGMA foreign_keys = ON")
                connection.executescript(_SCHEMA)
                with connection:
                    yield connection
            finally:
                connection.close()
        except sqlite3.Error as err:
            raise OutputError(f"results catalog {self.catalog_path}: {err}") from err

    def _check_catalog(self) -> None:
        """Move a damaged catalog aside (never deleting it) and rebuild it from the manifests of
        the run folders, saying so in a warning."""
        self._catalog_checked = True
        if not self.catalog_path.is_file():
            return
        try:
            with closing(sqlite3.connect(self.catalog_path, timeout=30)) as connection:
                result = connection.execute("PRAGMA quick_check").fetchone()
        except sqlite3.DatabaseError as err:
            if getattr(err, "sqlite_errorname", "") not in _BROKEN:
                raise OutputError(f"results catalog {self.catalog_path}: {err}") from err
            problem = str(err)
        else:
            if result is not None and result[0] == "ok":
                return
            problem = f"integrity check: {result[0] if result else 'no answer'}"
        aside = self.catalog_path.with_name(
            f"{self.catalog_path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:4]}")
        for suffix in ("", "-journal", "-wal", "-shm"):  # a stale journal must not meet a new file
            side = self.catalog_path.with_name(self.catalog_path.name + suffix)
            if side.exists():
                side.rename(aside.with_name(aside.name + suffix))
        warnings.warn(f"results catalog {self.catalog_path} is damaged ({problem}); moved it to "
                      f"{aside} and rebuilt the catalog from the run folders' manifests",
                      OutputWarning, stacklevel=2)
        self.reconcile()

    @staticmethod
    def new_run_id(scenario: str) -> str:
        """``<date>-<time>-<scenario as a safe name>-<6 hex digits>``."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        return f"{stamp}-{run_slug(scenario)}-{uuid.uuid4().hex[:6]}"

    @contextmanager
    def new_run(self, scenario: str) -> Iterator[tuple[str, Path]]:
        """Yield (run id, temporary folder); on success the folder is renamed into
        ``runs/<run id>`` and catalogued, on failure it is removed. Unfinished folders left by
        killed ecociv runs are removed first."""
        self._prepare()
        partial.remove_stale(self.runs_dir, PARTIAL)
        run_id = self.new_run_id(scenario)
        tmp = self.runs_dir / f"{PARTIAL}{run_id}"
        tmp.mkdir()
        try:
            partial.mark(tmp)
            yield run_id, tmp
            partial.unmark(tmp)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        final = self.runs_dir / run_id
        tmp.rename(final)
        self._catalogue(final)

    def unfinished(self) -> tuple[list[partial.PartialFolder], list[partial.PartialFolder]]:
        """Unfinished run folders: (removed, left). Those of ecociv runs whose process is gone
        are removed; those still being written, or not marked as ecociv's, are left."""
        if not self.runs_dir.is_dir():
            return [], []
        removed = partial.remove_stale(self.runs_dir, PARTIAL)
        return removed, partial.find(self.runs_dir, PARTIAL)

    def unfinished_report(self) -> list[str]:
        """Sentences on unfinished run folders removed or left (see :meth:`unfinished`)."""
        removed, left = self.unfinished()
        lines = []
        if removed:
            size = partial.describe_size(sum(f.size for f in removed))
            lines.append(f"removed {len(removed)} unfinished run folder(s) left by ecociv runs "
                         f"that were killed ({size})")
        running = [f for f in left if f.running]
        foreign = [f for f in left if not f.ours]
        if running:
            lines.append(f"{len(running)} run(s) still being written in {self.runs_dir} "
                         f"({partial.describe_size(sum(f.size for f in running))} so far)")
        if foreign:
            names = ", ".join(f.path.name for f in foreign[:3]) + (" ..." if len(foreign) > 3 else "")
            lines.append(
                f"{len(foreign)} unfinished run folder(s) in {self.runs_dir} hold "
                f"{partial.describe_size(sum(f.size for f in foreign))} ({names}); they carry no "
                f"record of the process that wrote them, so ecociv leaves them: when no ecociv "
                f"run is going, remove them with `rm -r {self.runs_dir}/{PARTIAL}*`")
        return lines

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
        self._check_root()
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
            except (KeyError, ValueError, TypeError, OSError):
                continue  # not an ecociv run folder

    def list_runs(self) -> list[RunRow]:
        """Runs, newest first (after reconciling the catalog with the folders)."""
        self._check_root()
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
        self._check_root()
        if not self.runs_dir.is_dir():
            return []
        if not self.catalog_path.exists():
            self.reconcile()  # rebuilt from the run folders' manifests
        with self._db() as db:
            rows = db.execute(
                "SELECT run_id, steps.step FROM steps JOIN runs USING (run_id) "
                "WHERE steps.cache_key = ? AND runs.status = 'completed' ORDER BY runs.started DESC",
                (cache_key,),
            ).fetchall()
        # by run id, not the recorded path: a store may have been moved or given relative
        folders = [self.runs_dir / run_id / step for run_id, step in rows]
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
