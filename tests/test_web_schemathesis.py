"""Schemathesis fuzzing of a few read endpoints from the server's own OpenAPI description, with a
bounded number of examples (CI time): no generated request may make the server fail (5xx)."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")
schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402

from tests.web_helpers import make_client, token  # noqa: E402

_client = None


def _app_and_headers(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, dict[str, str]]:
    global _client
    if _client is None:
        store = tmp_path_factory.mktemp("schemathesis") / "store"
        _client = make_client(store)
        run = store / "runs" / "r1"
        run.mkdir(parents=True)
        (run / "manifest.json").write_text("{}")
    return _client.app, token(_client, "plan")


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    app, headers = _app_and_headers(tmp_path_factory)
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", app), headers


@pytest.mark.parametrize("path", ["/api/v1/models/{model_id}", "/api/v1/scenarios/{scenario_id}",
                                  "/api/v1/results/{run_id}/files/{path}",
                                  "/api/v1/results/{run_id}/table/{path}",
                                  "/api/v1/runs/{job_id}",
                                  "/api/v1/datasets/{name}/layers/{layer_id}/tiles/{z}/{x}/{y}.png",
                                  "/api/v1/results/{run_id}/tiles/{path}/{z}/{x}/{y}.png",
                                  "/api/v1/results/{run_id}/legend/{path}"])
def test_no_server_error(api, path):
    schema, headers = api
    operation = schema[path]["GET"]
    strategy = operation.as_strategy()

    from hypothesis import given

    @settings(max_examples=25, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def check(case):
        response = case.call(headers=headers)
        assert response.status_code < 500, (case.path_parameters, case.query, response.text)

    check()
