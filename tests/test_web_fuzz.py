"""Property-based fuzzing of a few endpoints from the OpenAPI description (hypothesis, bounded
examples): whatever a signed-in user sends, the server answers with a documented status (never
500), keeps its JSON error shape, and never serves a file outside the store."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.web_helpers import make_client, token

pytest.importorskip("fastapi")

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)
SEGMENT = st.one_of(TEXT, st.sampled_from(["..", "../..", "%2e%2e", "/etc/passwd", "..%2F",
                                           ".partial-x", "web/web.sqlite", "\\..\\", "~"]))


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    store = tmp_path_factory.mktemp("fuzz") / "store"
    with make_client(store) as client:
        secret = store / "web" / "users" / "secret.txt"
        secret.parent.mkdir(parents=True, exist_ok=True)
        secret.write_text("SECRET-MARKER")
        run = store / "runs" / "r1"
        run.mkdir(parents=True)
        (run / "manifest.json").write_text("{}")
        yield client, token(client, "plan")


def test_openapi_lists_the_fuzzed_operations(env):
    client, _ = env
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/scenarios", "/api/v1/results/{run_id}/files/{path}",
                 "/api/v1/scenarios/{scenario_id}/levers", "/api/v1/auth/login"):
        assert path in paths


@SETTINGS
@given(path=st.lists(SEGMENT, min_size=1, max_size=4))
def test_result_paths_never_leave_the_run(env, path):
    client, headers = env
    from urllib.parse import quote

    url = "/api/v1/results/r1/files/" + "/".join(quote(p, safe="") for p in path)
    answer = client.get(url, headers=headers)
    assert answer.status_code in (200, 404), (url, answer.status_code)
    assert b"SECRET-MARKER" not in answer.content


@SETTINGS
@given(body=st.one_of(st.dictionaries(TEXT, st.one_of(TEXT, st.integers(), st.none()), max_size=3),
                      st.fixed_dictionaries({"yaml": TEXT}),
                      st.fixed_dictionaries({"yaml": TEXT, "shared": st.booleans()})))
def test_scenario_create_answers_cleanly(env, body):
    client, headers = env
    answer = client.post("/api/v1/scenarios", json=body, headers=headers)
    assert answer.status_code in (201, 400, 422), (body, answer.text)
    assert "detail" in answer.json() or answer.status_code == 201


@SETTINGS
@given(levers=st.recursive(st.one_of(st.none(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), TEXT),
                           lambda inner: st.dictionaries(TEXT, inner, max_size=3), max_leaves=8))
def test_lever_edits_answer_cleanly(env, levers):
    client, headers = env
    sid = env[0].app.state.ecociv.cache.get("fuzz-sid")
    if sid is None:
        sid = client.post("/api/v1/scenarios", json={"yaml": "name: f\nmodels: []\n"},
                          headers=headers).json()["id"]
        client.app.state.ecociv.cache["fuzz-sid"] = sid
    answer = client.patch(f"/api/v1/scenarios/{sid}/levers", json={"levers": levers},
                          headers=headers)
    assert answer.status_code in (200, 400, 422), (levers, answer.text)


@SETTINGS
@given(username=TEXT, password=TEXT)
def test_login_answers_cleanly(env, username, password):
    from ecociv.web.auth import LoginLimiter

    client, _ = env
    # fuzzing must not be stopped by the rate limit it triggers
    client.app.state.ecociv.limiter = LoginLimiter(attempts=10**6)
    answer = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    client.cookies.clear()
    assert answer.status_code in (401, 422), (username, answer.text)
