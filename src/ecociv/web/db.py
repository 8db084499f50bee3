"""The server's own database: users, sessions, scenarios and the runs started from the web (the
results store's ``catalog.sqlite`` stays the run catalog).

By default a SQLite file (``STORE/web/web.sqlite``, WAL journal); by URL a PostgreSQL database
(``ecociv serve --database postgresql://...``). With the PostGIS extension in that database the
footprint of every finished run is a ``geometry(Polygon, 4326)`` and the run list is filtered by a
bounding box in the database (``ST_Intersects``); without PostGIS (and in SQLite) the same footprint
is kept as WKT and filtered with shapely, with the same answers.

The statements of the server are written once, with ``?`` placeholders, and rewritten to ``%s``
for PostgreSQL (as the trading registry does, :mod:`ecociv.ledger.backend`).
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ecociv.errors import InputError
from ecociv.ledger.backend import _redact, is_url

FORMAT = "ecociv-web"
SCHEMA_VERSION = "1"

_SQLITE_SCHEMA = """
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
CREATE TABLE IF NOT EXISTS footprints (
  run_id TEXT PRIMARY KEY, wkt TEXT NOT NULL,
  west REAL NOT NULL, south REAL NOT NULL, east REAL NOT NULL, north REAL NOT NULL);
"""

# PostgreSQL: ``user`` is a reserved word (quoted), times in seconds need double precision
# (``REAL`` is 4 bytes there: ±128 s at today's epoch seconds).
_POSTGRES_SCHEMA = (
    "CREATE TABLE ecociv_web_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE users (name TEXT PRIMARY KEY, hash TEXT NOT NULL, role TEXT NOT NULL, "
    "registry_account TEXT, created TEXT NOT NULL)",
    'CREATE TABLE sessions (token_hash TEXT PRIMARY KEY, "user" TEXT NOT NULL REFERENCES '
    "users(name) ON DELETE CASCADE, csrf TEXT NOT NULL, expires DOUBLE PRECISION NOT NULL)",
    "CREATE TABLE scenarios (id TEXT PRIMARY KEY, owner TEXT NOT NULL, name TEXT NOT NULL, "
    "yaml TEXT NOT NULL, shared INTEGER NOT NULL DEFAULT 0, updated TEXT NOT NULL)",
    "CREATE TABLE jobs (id TEXT PRIMARY KEY, owner TEXT NOT NULL, scenario_id TEXT NOT NULL, "
    "status TEXT NOT NULL, run_id TEXT, error TEXT, shared INTEGER NOT NULL DEFAULT 0, "
    "created TEXT NOT NULL, finished TEXT)",
    "CREATE INDEX jobs_run ON jobs(run_id)",
    "CREATE TABLE footprints (run_id TEXT PRIMARY KEY, wkt TEXT NOT NULL, "
    "west DOUBLE PRECISION NOT NULL, south DOUBLE PRECISION NOT NULL, "
    "east DOUBLE PRECISION NOT NULL, north DOUBLE PRECISION NOT NULL)",
)
_POSTGIS_COLUMN = (
    "ALTER TABLE footprints ADD COLUMN geom geometry(Polygon, 4326)",
    "CREATE INDEX footprints_geom ON footprints USING GIST (geom)",
)


def now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class WebDB:
    """The server's database: a SQLite file or a PostgreSQL URL, used from many threads.

    Parameters
    ----------
    target : str or Path
        A SQLite file path (created with its folder) or a ``postgresql://`` URL of an empty
        database or one this class created before (ecociv never writes into a database holding
        other tables).
    connections : int
        PostgreSQL connections kept open at most (requests wait for a free one).
    """

    def __init__(self, target: str | Path, *, connections: int = 8):
        self.target = str(target)
        self.postgres = is_url(self.target)
        self.postgis = False
        self._lock = threading.Lock()
        if self.postgres:
            self._pool = _Pool(self.target, connections)
            self._init_postgres()
        else:
            self.path = Path(target)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._sqlite() as connection:
                connection.execute("PRAGMA journal_mode=WAL")
                connection.executescript(_SQLITE_SCHEMA)

    @property
    def label(self) -> str:
        """The database for messages (a PostgreSQL password replaced by ``***``)."""
        return _redact(self.target)

    # connections -------------------------------------------------------------------------
    @contextmanager
    def _sqlite(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(self.path, timeout=30)
        try:
            connection.execute("PRAGMA foreign_keys = ON")
            with connection:
                yield connection
        finally:
            connection.close()

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        if not self.postgres:
            with self._sqlite() as connection:
                yield connection
            return
        with self._pool.connection() as connection:
            yield connection

    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.postgres else statement

    # statements --------------------------------------------------------------------------
    def execute(self, statement: str, params: Sequence[Any] = ()) -> int:
        """Run one writing statement; the number of rows it changed."""
        if self.postgres:
            with self._connection() as connection:
                return int(connection.execute(self._sql(statement), tuple(params)).rowcount)
        with self._lock, self._sqlite() as connection:
            return connection.execute(statement, params).rowcount

    def one(self, statement: str, params: Sequence[Any] = ()) -> Any:
        with self._connection() as connection:
            return connection.execute(self._sql(statement), tuple(params)).fetchone()

    def all(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._connection() as connection:
            return list(connection.execute(self._sql(statement), tuple(params)).fetchall())

    def close(self) -> None:
        if self.postgres:
            self._pool.close()

    # footprints --------------------------------------------------------------------------
    def record_footprint(self, run_id: str, wkt: str, bounds: Sequence[float]) -> None:
        """Keep the WGS 84 outline of run ``run_id`` (polygon WKT, lon/lat degrees) and its
        bounds (west, south, east, north), replacing an earlier one."""
        west, south, east, north = (float(v) for v in bounds[:4])
        self.execute("DELETE FROM footprints WHERE run_id = ?", (run_id,))
        if self.postgis:
            self.execute("INSERT INTO footprints (run_id, wkt, west, south, east, north, geom) "
                         "VALUES (?, ?, ?, ?, ?, ?, ST_GeomFromText(?, 4326))",
                         (run_id, wkt, west, south, east, north, wkt))
        else:
            self.execute("INSERT INTO footprints (run_id, wkt, west, south, east, north) "
                         "VALUES (?, ?, ?, ?, ?, ?)", (run_id, wkt, west, south, east, north))

    def runs_intersecting(self, bbox: tuple[float, float, float, float]) -> set[str]:
        """Runs whose footprint intersects the lon/lat box (west, south, east, north), degrees."""
        west, south, east, north = (float(v) for v in bbox)
        if self.postgis:
            rows = self.all("SELECT run_id FROM footprints WHERE ST_Intersects(geom, "
                            "ST_MakeEnvelope(?, ?, ?, ?, 4326))", (west, south, east, north))
            return {r[0] for r in rows}
        from shapely import box, from_wkt

        rows = self.all("SELECT run_id, wkt FROM footprints WHERE west <= ? AND east >= ? "
                        "AND south <= ? AND north >= ?", (east, west, north, south))
        window = box(west, south, east, north)
        return {run for run, wkt in rows if from_wkt(wkt).intersects(window)}

    # PostgreSQL schema -------------------------------------------------------------------
    def _init_postgres(self) -> None:
        with self._pool.connection() as connection:
            tables = {r[0] for r in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()").fetchall()}
            if "ecociv_web_meta" in tables:
                meta = dict(connection.execute("SELECT key, value FROM ecociv_web_meta").fetchall())
                if meta.get("format") != FORMAT or meta.get("version") != SCHEMA_VERSION:
                    raise InputError(f"is a database of format {meta.get('format')!r} version "
                                     f"{meta.get('version')!r}; this ecociv serves "
                                     f"{FORMAT} version {SCHEMA_VERSION}", source=self.label)
            elif tables - {"spatial_ref_sys"}:
                others = ", ".join(sorted(tables - {"spatial_ref_sys"})[:5])
                raise InputError(f"holds tables that are not the web server's ({others}); give "
                                 "an empty database (ecociv never writes into a database it did "
                                 "not create)", source=self.label)
            else:
                with connection.transaction():
                    for statement in _POSTGRES_SCHEMA:
                        connection.execute(statement)
                    connection.execute("INSERT INTO ecociv_web_meta (key, value) VALUES "
                                       "('format', %s), ('version', %s), ('created', %s)",
                                       (FORMAT, SCHEMA_VERSION, now()))
            self.postgis = self._enable_postgis(connection)

    @staticmethod
    def _enable_postgis(connection: Any) -> bool:
        """Add the ``geom`` column when PostGIS is (or can be) installed in the database."""
        import psycopg

        installed = connection.execute(
            "SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone() is not None
        if not installed:
            available = connection.execute(
                "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").fetchone()
            if available is None:
                return False
            try:
                connection.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            except psycopg.Error:  # no right to create extensions: plain footprints
                return False
        has_geom = connection.execute(
            "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = 'footprints' AND column_name = 'geom'").fetchone() is not None
        if not has_geom:
            with connection.transaction():
                for statement in _POSTGIS_COLUMN:
                    connection.execute(statement)
                connection.execute("UPDATE footprints SET geom = ST_GeomFromText(wkt, 4326)")
        return True


class _Pool:
    """At most ``size`` autocommit PostgreSQL connections, opened when first needed."""

    def __init__(self, url: str, size: int):
        try:
            import psycopg  # noqa: F401
        except ImportError as err:  # pragma: no cover - psycopg is a dependency of the web extra
            raise InputError("a postgresql:// database needs the psycopg package "
                             "(pip install 'psycopg[binary]')", source="--database") from err
        self.url = url
        self._free: queue.LifoQueue[Any] = queue.LifoQueue()
        self._slots = threading.Semaphore(max(1, size))
        self._all: list[Any] = []
        self._lock = threading.Lock()

    def _open(self) -> Any:
        import psycopg

        try:
            connection = psycopg.connect(self.url, autocommit=True, connect_timeout=30)
        except psycopg.Error as err:
            raise InputError(f"cannot connect: {str(err).strip().splitlines()[0]}",
                             source=_redact(self.url)) from err
        with self._lock:
            self._all.append(connection)
        return connection

    @contextmanager
    def connection(self) -> Iterator[Any]:
        with self._slots:
            try:
                connection = self._free.get_nowait()
            except queue.Empty:
                connection = self._open()
            if connection.closed or connection.broken:
                connection = self._open()
            try:
                yield connection
            finally:
                self._free.put(connection)

    def close(self) -> None:
        with self._lock:
            for connection in self._all:
                connection.close()
            self._all.clear()
