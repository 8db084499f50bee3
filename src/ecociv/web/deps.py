"""Request dependencies: the server state, the signed-in user and role checks."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Depends, HTTPException, Request

from ecociv.web.auth import CSRF_HEADER, SESSION_COOKIE, Accounts, LoginLimiter, User
from ecociv.web.db import WebDB
from ecociv.web.jobs import JobManager

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


@dataclass
class State:
    """What every request handler shares."""

    store: Path
    db: WebDB
    accounts: Accounts
    limiter: LoginLimiter
    jobs: JobManager
    registry: str
    cache: dict[str, Any]

    def user_dir(self, user: str) -> Path:
        folder = self.store / "web" / "users" / user
        folder.mkdir(parents=True, exist_ok=True)
        return folder


def state(request: Request) -> State:
    return request.app.state.ecociv


def current_user(request: Request, st: State = Depends(state)) -> User:
    """The user of a bearer token or of the session cookie (with the CSRF token echoed in the
    ``X-CSRF-Token`` header for unsafe methods); HTTP 401 otherwise."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = st.accounts.user_for(header[7:].strip())
        if user is None:
            raise HTTPException(401, "sign in: the token is unknown or expired",
                                headers={"WWW-Authenticate": "Bearer"})
        return user
    token = request.cookies.get(SESSION_COOKIE)
    user = st.accounts.user_for(token) if token else None
    if user is None:
        raise HTTPException(401, "sign in first (POST /api/v1/auth/login)")
    if request.method in UNSAFE:
        sent = request.headers.get(CSRF_HEADER, "")
        if not (user.csrf and secrets.compare_digest(sent, user.csrf)):
            raise HTTPException(403, "missing or wrong CSRF token (send the X-CSRF-Token header "
                                "returned at login)")
    return user


def role(minimum: str) -> Callable[..., User]:
    """A dependency that requires web role ``minimum`` (viewer < planner < admin)."""

    def check(user: User = Depends(current_user)) -> User:
        if not user.at_least(minimum):
            raise HTTPException(403, f"user {user.name!r} has role {user.role}; this needs role "
                                f"{minimum} or higher")
        return user

    return check
