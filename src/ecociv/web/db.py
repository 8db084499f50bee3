"""The server's own SQLite database (``STORE/web/web.sqlite``): users, sessions, scenarios and
the runs started from the web (the results store's ``catalog.sqlite`` stays the run catalog)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY, hash TEXT NOT NULL, role TEXT NOT NULL,
  registry_account TEXT, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
  token_hash TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
  csrf TEXT NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS scenarios (
  id TEXT PRIMARY KEY, owner TEXT NOT NULL, name TEXT NOT NULL, yaml TEXT NOT NULL,
  shared INTEGER NOT NULL DEFAULT 0, updated TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY, owner TEXT NOT NULL, scenario_id TEXT NOT NULL, status TEXT NOT NULL,
  run_id TEXT, error TEXT, shared INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL,
  finished TEXT);
CREATE INDEX IF NOT EXISTS jobs_run ON jobs(run_id);
"""


def now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class WebDB:
    """A small thread-safe wrapper of one SQLite file (WAL journal, one writer at a time)."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(self.path, timeout=30)
        try:
            connection.execute("PRAGMA foreign_keys = ON")
            with connection:
                yield connection
        finally:
            connection.close()

    def execute(self, statement: str, params: Sequence[Any] = ()) -> int:
        """Run one writing statement; the number of rows it changed."""
        with self._lock, self._connect() as connection:
            return connection.execute(statement, params).rowcount

    def one(self, statement: str, params: Sequence[Any] = ()) -> Any:
        with self._connect() as connection:
            return connection.execute(statement, params).fetchone()

    def all(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._connect() as connection:
            return connection.execute(statement, params).fetchall()
