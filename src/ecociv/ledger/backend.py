"""The database under the registry: SQLite (WAL, synchronous=FULL) by default, PostgreSQL by URL.

Both are used through the same few SQL statements (``?`` placeholders, rewritten to ``%s`` for
PostgreSQL). Every change runs in one transaction that first takes the registry's write lock —
``BEGIN IMMEDIATE`` in SQLite, a row lock on the one row of table ``head`` in PostgreSQL — so the
journal stays one linear hash chain however many processes write at once."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ecociv.errors import EcocivError, InputError, OutputError

FORMAT = "ecociv-registry"
SCHEMA_VERSION = "1"

SCHEMA = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE head (id INTEGER PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL, hash TEXT NOT NULL)",
    "CREATE TABLE accounts (id TEXT PRIMARY KEY, role TEXT NOT NULL, seq BIGINT NOT NULL)",
    "CREATE TABLE journal (seq BIGINT PRIMARY KEY, idem_key TEXT NOT NULL UNIQUE, "
    "command TEXT NOT NULL, actor TEXT NOT NULL, payload TEXT NOT NULL, created_at TEXT NOT NULL, "
    "prev_hash TEXT NOT NULL, hash TEXT NOT NULL)",
    "CREATE TABLE postings (seq BIGINT NOT NULL, line INTEGER NOT NULL, account TEXT NOT NULL, "
    "instrument TEXT NOT NULL, vintage INTEGER NOT NULL, amount BIGINT NOT NULL, "
    "balance_after BIGINT NOT NULL, PRIMARY KEY (seq, line))",
    "CREATE INDEX postings_position ON postings (account, instrument, vintage, seq)",
)

GENESIS = "0" * 64


class RegistryLockedError(OutputError):
    """The registry stayed locked by another writer for longer than the timeout."""


def is_url(target: str) -> bool:
    """Whether ``target`` names a PostgreSQL database rather than a SQLite file."""
    return bool(re.match(r"^postgres(ql)?(\+\w+)?://", target))


class Database:
    """One connection to a registry database.

    Parameters
    ----------
    target : str
        A SQLite file path or a ``postgresql://`` URL.
    timeout : float
        Seconds to wait for another writer's lock, s.
    """

    def __init__(self, target: str, *, timeout: float = 60.0):
        self.target = str(target)
        self.postgres = is_url(self.target)
        self.timeout = timeout
        self._conn: Any = self._connect_postgres() if self.postgres else self._connect_sqlite()

    # connections ---------------------------------------------------------------------------
    def _connect_sqlite(self) -> sqlite3.Connection:
        path = Path(self.target)
        if path.is_dir():
            raise InputError("is a folder; --db must be a registry file (e.g. registry.sqlite) or a "
                             "postgresql:// URL", source=str(path))
        if not path.parent.exists():
            raise InputError(f"folder {path.parent} does not exist", source=str(path))
        if path.exists() and path.stat().st_size > 0:
            with open(path, "rb") as handle:
                if handle.read(16) != b"SQLite format 3\x00":
                    raise InputError("is not a SQLite registry database (ecociv never writes into "
                                     "a file it did not create)", source=str(path))
        try:
            conn = sqlite3.connect(str(path), timeout=self.timeout, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error as err:
            raise InputError(f"cannot be opened as a registry: {err}", source=str(path)) from err
        return conn

    def _connect_postgres(self) -> Any:
        try:
            import psycopg
        except ImportError as err:  # pragma: no cover - psycopg is in the test extra
            raise InputError("a postgresql:// registry needs the psycopg package "
                             "(pip install 'psycopg[binary]')", source="--db") from err
        try:
            return psycopg.connect(self.target, autocommit=True,
                                   connect_timeout=max(1, int(self.timeout)))
        except psycopg.Error as err:
            raise InputError(f"cannot connect: {str(err).strip().splitlines()[0]}",
                             source=_redact(self.target)) from err

    def close(self) -> None:
        self._conn.close()

    # SQL -----------------------------------------------------------------------------------
    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.postgres else statement

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(self._sql(statement), tuple(params))

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if self.postgres:
            with self._conn.cursor() as cursor:
                cursor.executemany(self._sql(statement), [tuple(r) for r in rows])
        else:
            self._conn.executemany(statement, [tuple(r) for r in rows])

    def one(self, statement: str, params: Sequence[Any] = ()) -> Any:
        return self.execute(statement, params).fetchone()

    def all(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        return list(self.execute(statement, params).fetchall())

    # transactions --------------------------------------------------------------------------
    _depth = 0
    _reading = False

    @contextmanager
    def write(self) -> Iterator[None]:
        """A transaction holding the registry's write lock; committed when the outermost block
        ends. Nested blocks are savepoints: a failed inner command undoes only itself."""
        if self._depth:
            name = f"cmd{self._depth}"
            self._conn.execute(f"SAVEPOINT {name}")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                raise
            finally:
                self._depth -= 1
                self._conn.execute(f"RELEASE SAVEPOINT {name}")
            return
        try:
            if self.postgres:
                self._conn.execute("BEGIN")
                self._conn.execute("SELECT seq FROM head WHERE id = 1 FOR UPDATE")
            else:
                self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as err:
            raise RegistryLockedError(f"registry {self.target} is locked by another writer and stayed "
                                 f"locked for {self.timeout:g} s: {err}") from err
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self._conn.execute("ROLLBACK")
            raise
        self._depth = 0
        try:
            self._conn.execute("COMMIT")
        except Exception as err:
            raise OutputError(f"registry {self.target}: the change could not be committed and was "
                              f"not applied: {err}") from err

    @contextmanager
    def read(self) -> Iterator[None]:
        """A read transaction: every statement inside sees the same committed state (inside a
        write or another read, the enclosing transaction)."""
        if self._depth or self._reading:
            yield
            return
        self._reading = True
        if self.postgres:
            self._conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        else:
            self._conn.execute("BEGIN")
        try:
            yield
        finally:
            self._reading = False
            self._conn.execute("ROLLBACK" if self.postgres else "COMMIT")

    # schema --------------------------------------------------------------------------------
    def has_schema(self) -> bool:
        if self.postgres:
            row = self.one("SELECT to_regclass('meta')")
            return row is not None and row[0] is not None
        row = self.one("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
        return row is not None

    def tables(self) -> list[str]:
        if self.postgres:
            rows = self.all("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        else:
            rows = self.all("SELECT name FROM sqlite_master WHERE type = 'table'")
        return sorted(r[0] for r in rows)

    def create_schema(self, created_at: str) -> bool:
        """Create the tables; False when the database already is a registry.

        Raises
        ------
        InputError
            The database holds other tables (ecociv does not write into a database it did not
            create) or is a registry of another format.
        """
        if self.has_schema():
            self.check_format()
            return False
        others = self.tables()
        if others:
            raise InputError(f"holds tables that are not a registry's ({', '.join(others[:5])}); "
                             "give a new file or an empty database", source=_redact(self.target))
        if self.postgres:
            self._conn.execute("BEGIN")
        else:
            self._conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in SCHEMA:
                self.execute(statement)
            self.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", [
                ("format", FORMAT), ("version", SCHEMA_VERSION), ("created_at", created_at)])
            self.execute("INSERT INTO head (id, seq, hash) VALUES (1, 0, ?)", (GENESIS,))
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")
        return True

    def check_format(self) -> None:
        """Raise unless the database is a registry of this schema version."""
        if not self.has_schema():
            raise InputError("is not an initialised registry; run `ecociv registry --db ... init` "
                             "first", source=_redact(self.target))
        meta = dict(self.all("SELECT key, value FROM meta"))
        if meta.get("format") != FORMAT:
            raise InputError("is not an ecociv registry (its meta table says format "
                             f"{meta.get('format')!r})", source=_redact(self.target))
        if meta.get("version") != SCHEMA_VERSION:
            raise InputError(f"is a registry of schema version {meta.get('version')!r}; this ecociv "
                             f"reads version {SCHEMA_VERSION}", source=_redact(self.target))


def _redact(target: str) -> str:
    """``target`` without a password (``postgresql://user:secret@host`` → ``user:***@host``)."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", target)


def describe_error(err: Exception) -> EcocivError:
    """A database error as an ecociv error with its first line."""
    return OutputError(f"registry database error: {str(err).strip().splitlines()[0]}")
