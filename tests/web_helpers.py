"""Shared helpers of the web API tests (not a test module)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from ecociv.web import auth
from ecociv.web.app import create_app

EXAMPLE = Path(__file__).resolve().parents[1] / "src" / "ecociv" / "data" / "example"
PASSWORD = "correct horse battery"
USERS = {"admin": "admin", "plan": "planner", "plan2": "planner", "view": "viewer"}


def make_client(store: Path, **kwargs: Any) -> TestClient:
    # argon2 at its lowest cost keeps the tests quick; the server uses the library's defaults
    auth._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    auth._DUMMY = auth._hasher.hash("not a password")
    app = create_app(store, **kwargs)
    accounts = app.state.ecociv.accounts
    for name, role in USERS.items():
        accounts.create_user(name, PASSWORD, role)
    return TestClient(app)


def token(client: TestClient, name: str) -> dict[str, str]:
    """Bearer headers for user ``name``."""
    answer = client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    client.cookies.clear()  # the tests speak as several users: no shared cookie jar
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def upload_example(client: TestClient, headers: dict[str, str]) -> None:
    """Upload the files the example scenario names."""
    for path in sorted(EXAMPLE.iterdir()):
        if path.suffix in (".tif", ".csv", ".gpkg"):
            answer = client.post("/api/v1/uploads", headers=headers,
                                 files={"file": (path.name, path.read_bytes())})
            assert answer.status_code == 201, answer.text


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(store: Path, admin_password: str, *args: str, log: Path,
           cwd: Path | None = None) -> Iterator[tuple[subprocess.Popen, str]]:
    """``ecociv serve --store STORE --admin admin ARGS`` in a subprocess (this checkout's ``src``
    first on the path) on a free port; yields the process and its base URL once
    ``/api/v1/health`` answers (the test fails with the server's log when it does not within
    120 s), and stops it at the end."""
    import httpx

    root = Path(__file__).resolve().parents[1]
    port = free_port()
    env = {**os.environ, "ECOCIV_ADMIN_PASSWORD": admin_password,
           "PYTHONPATH": os.pathsep.join([str(root / "src"), os.environ.get("PYTHONPATH", "")])}
    with log.open("wb") as output:
        proc = subprocess.Popen([sys.executable, "-m", "ecociv.cli.main", "serve", "--store", str(store),
                                 "--port", str(port), "--admin", "admin", *args],
                                stdout=output, stderr=subprocess.STDOUT, env=env, cwd=cwd)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("ecociv serve did not start:\n" + log.read_text(errors="replace"))
                time.sleep(0.3)
            yield proc, base
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
