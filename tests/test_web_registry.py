"""The trading registry over the web API: every call acts as the caller's linked registry
account, so ecociv.ledger's own role checks apply (docs/registry.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web_helpers import make_client, token

pytest.importorskip("fastapi")


@pytest.fixture
def setup(tmp_path: Path):
    with make_client(tmp_path / "store") as client:
        admin = token(client, "admin")
        for name, account, role in (("mee", "mee", "admin"), ("plant", "plant-a", "viewer"),
                                    ("plantb", "plant-b", "viewer"), ("aud", "aud-1", "viewer")):
            answer = client.post("/api/v1/users", headers=admin, json={
                "username": name, "password": "registry password", "role": role,
                "registry_account": account})
            assert answer.status_code == 201
        tokens = {}
        for name in ("mee", "plant", "plantb", "aud", "view"):
            answer = client.post("/api/v1/auth/login",
                                 json={"username": name, "password": "registry password"
                                       if name != "view" else "correct horse battery"})
            tokens[name] = {"Authorization": f"Bearer {answer.json()['token']}"}
        client.cookies.clear()
        yield client, tokens


def test_registry_roles_and_transfers(setup):
    client, t = setup
    post = client.post
    # no linked registry account: 403 on every registry endpoint
    for path in ("/api/v1/registry/balances", "/api/v1/registry/accounts", "/api/v1/registry/verify"):
        assert client.get(path, headers=t["view"]).status_code == 403
    # the first account is a regulator opening itself; a holder cannot open accounts
    assert post("/api/v1/registry/accounts", json={"account": "plant-a", "role": "holder"},
                headers=t["plant"]).status_code == 403
    assert post("/api/v1/registry/accounts", json={"account": "mee", "role": "regulator"},
                headers=t["mee"]).status_code == 201
    for account, role in (("plant-a", "holder"), ("plant-b", "holder"), ("aud-1", "auditor")):
        assert post("/api/v1/registry/accounts", json={"account": account, "role": role},
                    headers=t["mee"]).status_code == 201
    bad_role = post("/api/v1/registry/accounts", json={"account": "x", "role": "king"},
                    headers=t["mee"])
    assert bad_role.status_code == 400 and "--role must be one of" in bad_role.json()["detail"]
    # only the regulator issues units
    grant = {"account": "plant-a", "amount": "100", "instrument": "SO2", "key": "g1"}
    assert post("/api/v1/registry/allocate", json=grant, headers=t["plant"]).status_code == 403
    assert post("/api/v1/registry/allocate", json=grant, headers=t["mee"]).status_code == 201
    # a holder moves its own units only, idempotently by key
    move = {"to": "plant-b", "amount": "30.5", "instrument": "SO2", "key": "t1"}
    first = post("/api/v1/registry/transfers", json=move, headers=t["plant"])
    again = post("/api/v1/registry/transfers", json=move, headers=t["plant"])
    assert first.status_code == again.status_code == 201
    assert first.json()["seq"] == again.json()["seq"]
    # an auditor holds nothing and cannot move units
    assert post("/api/v1/registry/transfers", json=dict(move, key="t2"),
                headers=t["aud"]).status_code == 403
    too_much = post("/api/v1/registry/transfers", json=dict(move, key="t3", amount="1000"),
                    headers=t["plant"])
    assert too_much.status_code == 400
    # balances: a holder sees its own, the auditor all (from the ledger itself)
    from ecociv.ledger import Ledger

    with Ledger(client.app.state.ecociv.registry) as ledger:
        expected = ledger.balances()
    own = client.get("/api/v1/registry/balances", headers=t["plant"]).json()
    assert own == [r for r in expected if r["account"] == "plant-a"]
    assert own[0]["balance"] == "69.5"
    assert client.get("/api/v1/registry/balances", headers=t["aud"]).json() == expected
    # history: holders only their own; the audit trail and verify for auditor / regulator
    assert client.get("/api/v1/registry/history?account=plant-b",
                      headers=t["plant"]).status_code == 403
    mine = client.get("/api/v1/registry/history", headers=t["plant"]).json()
    assert {e["command"] for e in mine} == {"create_account", "allocate", "transfer"}
    full = client.get("/api/v1/registry/history", headers=t["aud"]).json()
    assert len(full) == 6
    assert client.get("/api/v1/registry/verify", headers=t["plant"]).status_code == 403
    verified = client.get("/api/v1/registry/verify", headers=t["aud"]).json()
    assert verified["ok"] is True
    assert [a["account"] for a in client.get("/api/v1/registry/accounts",
                                              headers=t["plant"]).json()] == ["plant-a"]
    assert client.get("/api/v1/registry/me", headers=t["plant"]).json() == {
        "account": "plant-a", "role": "holder"}
