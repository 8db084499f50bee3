"""Run progress over WebSocket (``/runs/{job}/ws``), the alternative to server-sent events: the
same events as the run's log, then ``end``; refused (close code 1008) without a session, for
another user's run, and for a cookie sent by a page of another origin."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web_helpers import PASSWORD, make_client, token, upload_example

pytest.importorskip("fastapi")
EXAMPLE = Path(__file__).resolve().parents[1] / "src" / "ecociv" / "data" / "example"


@pytest.fixture
def env(tmp_path: Path):
    with make_client(tmp_path / "store") as client:
        yield client, {n: token(client, n) for n in ("plan", "plan2")}


def test_progress_over_websocket(env):
    from starlette.websockets import WebSocketDisconnect

    client, t = env
    upload_example(client, t["plan"])
    text = (EXAMPLE / "scenario.yaml").read_text(encoding="utf-8")
    sid = client.post("/api/v1/scenarios", json={"yaml": text}, headers=t["plan"]).json()["id"]
    job = client.post("/api/v1/runs", json={"scenario_id": sid}, headers=t["plan"]).json()["id"]
    url = f"/api/v1/runs/{job}/ws"
    messages = []
    with client.websocket_connect(url, headers=t["plan"]) as socket:
        while True:
            message = socket.receive_json()
            messages.append(message)
            if message["event"] == "end":
                break
    assert messages[-1] == {"event": "end", "status": "completed"}
    logs = client.get(f"/api/v1/runs/{job}/logs", headers=t["plan"]).json()
    assert messages[:-1] == logs  # every logged event, in order, once
    assert any(m["event"] == "step" and m.get("step") == "water_yield" for m in messages)
    # refused: no session, another user's run, a cookie from another site's page
    for headers in ({}, t["plan2"]):
        with pytest.raises(WebSocketDisconnect) as closed:
            with client.websocket_connect(url, headers=headers) as socket:
                socket.receive_json()
        assert closed.value.code == 1008
    login = client.post("/api/v1/auth/login", json={"username": "plan", "password": PASSWORD})
    assert login.status_code == 200 and client.cookies.get("ecociv_session")
    with pytest.raises(WebSocketDisconnect) as closed:
        with client.websocket_connect(url, headers={"Origin": "https://evil.example"}) as socket:
            socket.receive_json()
    assert closed.value.code == 1008
    with client.websocket_connect(url, headers={"Origin": "http://testserver"}) as socket:
        assert socket.receive_json()["event"] == "queued"
