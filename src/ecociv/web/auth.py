"""Accounts, password hashing (argon2id), sessions (cookie + CSRF token, or bearer token), roles
and login rate limiting. Passwords are never stored in clear nor logged; session tokens are
stored as SHA-256 digests."""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ecociv.errors import InputError
from ecociv.web.db import WebDB, now

#: web roles, weakest first; each includes the rights of the ones before it
ROLES = ("viewer", "planner", "admin")
SESSION_COOKIE = "ecociv_session"
CSRF_COOKIE = "ecociv_csrf"
CSRF_HEADER = "x-csrf-token"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MIN_PASSWORD = 10

_hasher = PasswordHasher()


@dataclass(frozen=True)
class User:
    """A signed-in user: name, web role and the registry account it acts as (if any)."""

    name: str
    role: str
    registry_account: str | None = None
    csrf: str | None = None  # set for cookie sessions: unsafe methods must echo it
    via_cookie: bool = False

    def at_least(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise InputError(f"user name {name!r}: use 1-64 letters, digits, '_', '.' or '-', "
                         "starting with a letter or digit")
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"password: at least {MIN_PASSWORD} characters are needed")
    return password


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    """Users and sessions in the server database."""

    def __init__(self, db: WebDB, *, session_seconds: float = 12 * 3600):
        self.db = db
        self.session_seconds = session_seconds

    def create_user(self, name: str, password: str, role: str,
                    registry_account: str | None = None) -> None:
        check_name(name)
        check_password(password)
        if role not in ROLES:
            raise InputError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
        if self.db.one("SELECT 1 FROM users WHERE name = ?", (name,)):
            raise InputError(f"user {name!r} exists already")
        self.db.execute("INSERT INTO users (name, hash, role, registry_account, created) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (name, _hasher.hash(password), role, registry_account, now()))

    def users(self) -> list[dict[str, str | None]]:
        rows = self.db.all("SELECT name, role, registry_account, created FROM users ORDER BY name")
        return [dict(zip(("name", "role", "registry_account", "created"), r, strict=True))
                for r in rows]

    def update_user(self, name: str, *, role: str | None = None,
                    registry_account: str | None = None, password: str | None = None) -> None:
        if not self.db.one("SELECT 1 FROM users WHERE name = ?", (name,)):
            raise KeyError(name)
        if role is not None:
            if role not in ROLES:
                raise InputError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
            self.db.execute("UPDATE users SET role = ? WHERE name = ?", (role, name))
        if registry_account is not None:
            self.db.execute("UPDATE users SET registry_account = ? WHERE name = ?",
                            (registry_account or None, name))
        if password is not None:
            self.db.execute("UPDATE users SET hash = ? WHERE name = ?",
                            (_hasher.hash(check_password(password)), name))
            self.db.execute('DELETE FROM sessions WHERE "user" = ?', (name,))

    def delete_user(self, name: str) -> bool:
        return self.db.execute("DELETE FROM users WHERE name = ?", (name,)) > 0

    def login(self, name: str, password: str) -> tuple[str, str] | None:
        """A new session ``(token, csrf)`` for right credentials, else None (same time either
        way: an unknown user still costs one hash check)."""
        row = self.db.one("SELECT hash FROM users WHERE name = ?", (name,))
        stored = row[0] if row else _DUMMY
        try:
            _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        self.db.execute("DELETE FROM sessions WHERE expires < ?", (time.time(),))
        self.db.execute('INSERT INTO sessions (token_hash, "user", csrf, expires) VALUES (?, ?, ?, ?)',
                        (_digest(token), name, csrf, time.time() + self.session_seconds))
        return token, csrf

    def logout(self, token: str) -> None:
        self.db.execute("DELETE FROM sessions WHERE token_hash = ?", (_digest(token),))

    def user_for(self, token: str) -> User | None:
        row = self.db.one(
            "SELECT u.name, u.role, u.registry_account, s.csrf, s.expires FROM sessions s "
            'JOIN users u ON u.name = s."user" WHERE s.token_hash = ?', (_digest(token),))
        if row is None or row[4] < time.time():
            return None
        return User(row[0], row[1], row[2], row[3])


_DUMMY = _hasher.hash(secrets.token_urlsafe(16))


class LoginLimiter:
    """At most ``attempts`` failed logins per user name and per client address in ``window``
    seconds; further attempts are refused (HTTP 429) until the window has passed."""

    def __init__(self, attempts: int = 5, window: float = 60.0):
        self.attempts, self.window = attempts, window
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str) -> deque[float]:
        times = self._failures[key]
        while times and times[0] < time.monotonic() - self.window:
            times.popleft()
        return times

    def blocked(self, *keys: str) -> bool:
        with self._lock:
            return any(len(self._recent(k)) >= self.attempts for k in keys)

    def failed(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._recent(key).append(time.monotonic())

    def reset(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
