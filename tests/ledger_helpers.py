"""Databases for the registry tests: a SQLite file per test, and a PostgreSQL database per test on
a throw-away local server started from the installed PostgreSQL binaries (or the server named by
ECOCIV_TEST_POSTGRES_URL). Without either, the PostgreSQL variants are skipped with a message."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """A local PostgreSQL server in a temporary folder (stopped and removed at the end)."""

    def __init__(self) -> None:
        self.url: str | None = os.environ.get("ECOCIV_TEST_POSTGRES_URL")
        self.folder: Path | None = None
        self.reason = ""
        if self.url:
            return
        try:
            import psycopg  # noqa: F401
        except ImportError:
            self.reason = "psycopg is not installed"
            return
        initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
        if not initdb or not pg_ctl:
            self.reason = "no PostgreSQL server binaries (apt-get install postgresql)"
            return
        self.folder = Path(tempfile.mkdtemp(prefix="ecociv-pg-"))
        prefix: list[str] = []
        if os.geteuid() == 0:  # initdb refuses to run as root
            if shutil.which("runuser") is None:
                self.reason = "running as root without runuser to start PostgreSQL as another user"
                return
            try:
                import pwd

                user = pwd.getpwnam("postgres")
            except KeyError:
                self.reason = "running as root and there is no 'postgres' user"
                return
            os.chown(self.folder, user.pw_uid, user.pw_gid)
            prefix = ["runuser", "-u", "postgres", "--"]
        data, port = self.folder / "data", _free_port()
        try:
            subprocess.run([*prefix, initdb, "-D", str(data), "-A", "trust", "-U", "postgres",
                            "--no-sync"], check=True, capture_output=True, timeout=120)
            subprocess.run([*prefix, pg_ctl, "-D", str(data), "-l", str(self.folder / "log"), "-w",
                            "-o", f"-p {port} -k {self.folder} -c listen_addresses='' "
                            "-c fsync=on -c max_connections=50", "start"],
                           check=True, capture_output=True, timeout=120)
        except (subprocess.SubprocessError, OSError) as err:
            self.reason = f"could not start a local PostgreSQL server: {err}"
            return
        self._stop = [*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "stop"]
        self.url = f"postgresql://postgres@/postgres?host={self.folder}&port={port}"

    def new_database(self) -> str:
        import psycopg

        assert self.url is not None
        name = f"ecociv_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        if "/postgres?" in self.url:
            return self.url.replace("/postgres?", f"/{name}?")
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def stop(self) -> None:
        if self.folder is not None:
            if getattr(self, "_stop", None):
                subprocess.run(self._stop, capture_output=True, timeout=60)
            shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server():
    server = PostgresServer()
    yield server
    server.stop()


def new_database(kind: str, sqlite_path: Path, server: PostgresServer) -> str:
    """A new, empty database of ``kind`` ("sqlite": ``sqlite_path``; "postgresql": a new database
    on ``server``, or the test is skipped with the reason there is none)."""
    if kind == "sqlite":
        return str(sqlite_path)
    if server.url is None:
        pytest.skip(f"PostgreSQL tests skipped: {server.reason}")
    return server.new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def registry_db(request, tmp_path, postgres_server) -> str:
    """A new, empty registry database: a SQLite path or a PostgreSQL URL."""
    return new_database(request.param, tmp_path / "registry.sqlite", postgres_server)
