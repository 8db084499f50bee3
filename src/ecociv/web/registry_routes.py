"""Routes over the trading registry (``ecociv.ledger``): every command acts as the caller's
linked registry account, so the registry's own role checks (regulator / holder / auditor)
apply; holders read only their own balances and history."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from ecociv.ledger import Ledger, verify
from ecociv.web.auth import User
from ecociv.web.deps import State, current_user, state

router = APIRouter(prefix="/registry", tags=["registry"])


class NewAccount(BaseModel):
    account: str = Field(max_length=64)
    role: str


class Allocation(BaseModel):
    account: str = Field(max_length=64)
    amount: str = Field(max_length=40)
    instrument: str = Field(max_length=64)
    vintage: int | None = None
    key: str | None = Field(default=None, max_length=200)


class Transfer(BaseModel):
    to: str = Field(max_length=64)
    amount: str = Field(max_length=40)
    instrument: str = Field(max_length=64)
    key: str = Field(max_length=200)
    vintage: int | None = None


def _actor(user: User) -> str:
    if not user.registry_account:
        raise HTTPException(403, f"user {user.name!r} is not linked to a registry account; an "
                            "administrator links it (PATCH /api/v1/users/{name})")
    return user.registry_account


@contextmanager
def _ledger(st: State) -> Iterator[Ledger]:
    ledger = Ledger.init(st.registry)
    try:
        yield ledger
    finally:
        ledger.close()


def _reader(ledger: Ledger, actor: str) -> str:
    role = ledger.role(actor)
    if role is None:
        raise HTTPException(403, f"registry account {actor!r} does not exist")
    return role


@router.get("/me")
def registry_me(user: User = Depends(current_user),
                st: State = Depends(state)) -> dict[str, Any]:
    actor = _actor(user)
    with _ledger(st) as ledger:
        return {"account": actor, "role": ledger.role(actor)}


@router.get("/accounts")
def accounts(user: User = Depends(current_user),
             st: State = Depends(state)) -> list[dict[str, str]]:
    actor = _actor(user)
    with _ledger(st) as ledger:
        role = _reader(ledger, actor)
        rows = ledger.db.all("SELECT id, role FROM accounts ORDER BY id")
    return [{"account": a, "role": r} for a, r in rows if role != "holder" or a == actor]


@router.post("/accounts", status_code=201)
def create_account(body: NewAccount, user: User = Depends(current_user),
                   st: State = Depends(state)) -> dict[str, Any]:
    """Open an account (a regulator; the very first account is a regulator opening itself)."""
    with _ledger(st) as ledger:
        entry = ledger.create_account(body.account, body.role, actor=_actor(user))
    return entry.as_dict()


@router.post("/allocate", status_code=201)
def allocate(body: Allocation, user: User = Depends(current_user),
             st: State = Depends(state)) -> dict[str, Any]:
    with _ledger(st) as ledger:
        entry = ledger.allocate(body.account, body.amount, instrument=body.instrument,
                                vintage=body.vintage, key=body.key, actor=_actor(user))
    return entry.as_dict()


@router.post("/transfers", status_code=201)
def transfer(body: Transfer, user: User = Depends(current_user),
             st: State = Depends(state)) -> dict[str, Any]:
    """Move units from the caller's account (idempotent by ``key``)."""
    actor = _actor(user)
    with _ledger(st) as ledger:
        entry = ledger.transfer(actor, body.to, body.amount, instrument=body.instrument,
                                key=body.key, vintage=body.vintage, actor=actor)
    return entry.as_dict()


@router.get("/balances")
def balances(user: User = Depends(current_user),
             st: State = Depends(state)) -> list[dict[str, Any]]:
    actor = _actor(user)
    with _ledger(st) as ledger:
        role = _reader(ledger, actor)
        rows = ledger.balances()
    return [r for r in rows if role != "holder" or r["account"] == actor]


@router.get("/history")
def history(account: str | None = None, user: User = Depends(current_user),
            st: State = Depends(state)) -> list[dict[str, Any]]:
    """Journal entries (the audit history); holders see only their own account's."""
    actor = _actor(user)
    with _ledger(st) as ledger:
        role = _reader(ledger, actor)
        if role == "holder":
            if account not in (None, actor):
                raise HTTPException(403, f"account {actor!r} is a holder and reads only its own "
                                    "history")
            account = actor
        return [e.as_dict() for e in ledger.history(account)]


@router.get("/verify")
def verify_registry(user: User = Depends(current_user),
                    st: State = Depends(state)) -> dict[str, Any]:
    """Check the hash chain and balances end to end (regulator or auditor)."""
    actor = _actor(user)
    with _ledger(st) as ledger:
        if _reader(ledger, actor) not in ("regulator", "auditor"):
            raise HTTPException(403, f"account {actor!r}: verify needs role regulator or auditor")
        return verify(ledger).as_dict()
