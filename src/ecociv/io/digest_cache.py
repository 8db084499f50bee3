"""A persistent cache of file digests, so an unchanged input is hashed once, not on every run.

An entry is keyed by the file's absolute path and holds what ``os.stat`` says about the file
when it was hashed: size, modification and status-change times (nanoseconds), inode and device.
A digest is reused only while all of them are unchanged, as git's index and ``make`` decide
that a file is unchanged. Writing to a file changes its status-change time (ctime), which no
user command can set back, so an edit that keeps the size and restores the modification time
is still seen. A file changed less than :data:`RACY_SECONDS` before it was hashed is not
cached: a second write within the file system's timestamp granularity could leave every field
as it was ("racily clean" files in git).

The cache is an SQLite file, ``$ECOCIV_DIGEST_CACHE`` if set (``off`` turns the cache off),
else ``file-digests.sqlite3`` in ``$XDG_CACHE_HOME/ecociv`` (``~/.cache/ecociv``). It only
ever saves time: a cache that cannot be opened, read or written is ignored (and a damaged one
at the default name is replaced by an empty one), and the file is then hashed as without it.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

#: a file changed this recently (seconds) before hashing started is not cached
RACY_SECONDS = 2.0
#: files smaller than this (bytes) are hashed every time: faster than a look-up
MIN_CACHED_BYTES = 256 * 1024
#: entries kept; beyond it the least recently used are dropped
MAX_ENTRIES = 20_000
DEFAULT_NAME = "file-digests.sqlite3"

_SCHEMA = ("CREATE TABLE IF NOT EXISTS digests (path TEXT PRIMARY KEY, size INTEGER, "
           "mtime_ns INTEGER, ctime_ns INTEGER, inode INTEGER, device INTEGER, digest TEXT, "
           "used REAL)")

Key = tuple[int, int, int, int, int]


def cache_path() -> Path | None:
    """The cache file in use, or None when the cache is turned off."""
    setting = os.environ.get("ECOCIV_DIGEST_CACHE")
    if setting is not None:
        return None if setting.strip().lower() in ("", "off", "0", "no", "false") else Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ecociv" / DEFAULT_NAME


def stat_key(stat: os.stat_result) -> Key:
    """What identifies one state of a file: size, mtime_ns, ctime_ns, inode, device."""
    return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_dev)


def cacheable(stat: os.stat_result, started: float) -> bool:
    """Whether a file with ``stat``, hashed from time ``started`` (``time.time()``), may be
    cached: large enough, and not changed within :data:`RACY_SECONDS` of the hashing."""
    changed = max(stat.st_mtime_ns, stat.st_ctime_ns) / 1e9
    return stat.st_size >= MIN_CACHED_BYTES and changed < started - RACY_SECONDS


class DigestCache:
    """The SQLite file of digests; every method ignores errors of the cache itself."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._opened_for: tuple[int, Path | None] | None = None  # (pid, path) of the connection

    def get(self, path: str, key: Key) -> str | None:
        """The digest recorded for ``path`` in the state ``key``, or None."""
        with self._lock:
            row = self._run("SELECT size, mtime_ns, ctime_ns, inode, device, digest FROM digests "
                            "WHERE path = ?", (path,), fetch=True)
        if not row or tuple(row[:5]) != key or not _is_digest(row[5]):
            return None
        return str(row[5])

    def put(self, path: str, key: Key, digest: str) -> None:
        """Record ``digest`` for ``path`` in the state ``key``."""
        with self._lock:
            self._run("INSERT OR REPLACE INTO digests VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      (path, *key, digest, time.time()))
            count = self._run("SELECT count(*) FROM digests", (), fetch=True)
            if count and count[0] > MAX_ENTRIES:
                self._run("DELETE FROM digests WHERE path IN (SELECT path FROM digests "
                          "ORDER BY used LIMIT ?)", (count[0] - MAX_ENTRIES // 2,))

    def _run(self, sql: str, args: tuple[object, ...], *, fetch: bool = False) -> tuple | None:
        for attempt in (0, 1):
            connection = self._connect()
            if connection is None:
                return None
            try:
                with connection:
                    cursor = connection.execute(sql, args)
                    return cursor.fetchone() if fetch else None
            except sqlite3.DatabaseError as err:
                if not _damaged(err):  # locked by another process, disk full, read-only
                    return None
                if attempt or not self._replace_damaged():
                    self._disable()
                    return None
        return None

    def _connect(self, retry: bool = True) -> sqlite3.Connection | None:
        path = cache_path()
        if self._opened_for == (os.getpid(), path):
            return self._connection
        self._opened_for = (os.getpid(), path)  # a forked child opens its own connection
        self._connection = None
        if path is None:
            return None
        connection = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(path, timeout=2.0, check_same_thread=False,
                                         isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(_SCHEMA)
        except sqlite3.DatabaseError as err:
            _close(connection)
            if not _damaged(err):  # cannot open, locked, read-only: no cache this time
                return None
            if not (retry and self._replace_damaged()):
                self._disable()
                return None
            return self._connect(retry=False)
        except OSError:
            return None
        self._connection = connection
        return connection

    def _replace_damaged(self) -> bool:
        """Remove a damaged cache file when it has the default name (it was written by ecociv);
        True when the file can be created anew."""
        path = self._opened_for[1] if self._opened_for else None
        if self._connection is not None:
            self._connection.close()
        self._connection, self._opened_for = None, None
        if path is None or path.name != DEFAULT_NAME:
            return False
        try:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        except OSError:
            return False
        return True

    def _disable(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._connection = None
        self._opened_for = (os.getpid(), cache_path())


#: SQLite result codes of a cache that cannot be used now but is not damaged
_BUSY_CODES = frozenset({3, 5, 6, 8, 13, 14})  # PERM, BUSY, LOCKED, READONLY, FULL, CANTOPEN


def _damaged(err: sqlite3.DatabaseError) -> bool:
    """Whether an SQLite error means a damaged file (not a database, corrupt, short read)."""
    code = getattr(err, "sqlite_errorcode", None)
    if code is None:
        return not isinstance(err, sqlite3.OperationalError)
    return (code & 0xFF) not in _BUSY_CODES


def _close(connection: sqlite3.Connection | None) -> None:
    if connection is not None:
        connection.close()


def _is_digest(value: object) -> bool:
    return isinstance(value, str) and len(value) == 32 and all(c in "0123456789abcdef"
                                                                for c in value)
