"""Shared helpers of the web API tests (not a test module)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
