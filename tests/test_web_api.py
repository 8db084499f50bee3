"""The REST API of ``ecociv serve``: sign-in, roles, scenarios, runs and results, with the
forbidden cases of each role."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from tests.web_helpers import EXAMPLE, PASSWORD, make_client, token, upload_example

pytest.importorskip("fastapi")


@pytest.fixture
def client(tmp_path: Path):
    with make_client(tmp_path / "store") as c:
        yield c


@pytest.fixture
def tokens(client):
    return {name: token(client, name) for name in ("admin", "plan", "plan2", "view")}


def test_openapi_and_health(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/models" in spec["paths"] and "/api/v1/runs/{job_id}/events" in spec["paths"]
    answer = client.get("/api/v1/health")
    assert answer.json()["status"] == "ok"
    # security headers on every answer
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]


def test_everything_needs_sign_in(client):
    for path in ("/api/v1/models", "/api/v1/datasets", "/api/v1/scenarios", "/api/v1/runs",
                 "/api/v1/users", "/api/v1/registry/balances", "/api/v1/results/x"):
        assert client.get(path).status_code == 401, path
    bad = {"Authorization": "Bearer not-a-token"}
    assert client.get("/api/v1/models", headers=bad).status_code == 401


def test_models_from_the_specs(client, tokens):
    from ecociv.registry import all_specs

    answer = client.get("/api/v1/models", headers=tokens["view"])
    assert answer.status_code == 200
    ids = [m["id"] for m in answer.json()]
    assert ids == sorted(all_specs())
    one = client.get("/api/v1/models/water_yield", headers=tokens["view"]).json()
    assert one == all_specs()["water_yield"].describe()
    assert client.get("/api/v1/models/nope", headers=tokens["view"]).status_code == 404


def test_dataset_layers(client, tokens):
    from ecociv.region.catalog import describe_layers
    from ecociv.region.dataset import load_dataset

    assert client.get("/api/v1/datasets", headers=tokens["view"]).json()[0]["id"] == "belt"
    layers = client.get("/api/v1/datasets/belt/layers", headers=tokens["view"]).json()
    expected = describe_layers(load_dataset("belt"))
    assert [row["id"] for row in layers] == [row["id"] for row in expected]
    assert all("path" not in row for row in layers)  # no server paths leak
    assert client.get("/api/v1/datasets/..%2Fetc/layers", headers=tokens["view"]).status_code == 404


def test_login_wrong_password_and_rate_limit(tmp_path):
    with make_client(tmp_path / "s", login_attempts=3) as c:
        for _ in range(3):
            answer = c.post("/api/v1/auth/login", json={"username": "plan", "password": "wrong-1234"})
            assert answer.status_code == 401
        answer = c.post("/api/v1/auth/login", json={"username": "plan", "password": PASSWORD})
        assert answer.status_code == 429  # even the right password, until the window passes


def test_password_is_hashed_and_never_logged(tmp_path, caplog):
    with caplog.at_level("DEBUG"), make_client(tmp_path / "s") as c:
        token(c, "plan")
    db = (tmp_path / "s" / "web" / "web.sqlite").read_bytes()
    assert PASSWORD.encode() not in db
    assert b"$argon2id$" in db
    assert PASSWORD not in caplog.text


def test_cookie_session_needs_csrf_token(client):
    answer = client.post("/api/v1/auth/login", json={"username": "plan", "password": PASSWORD})
    csrf = answer.json()["csrf"]
    assert "httponly" in answer.headers["set-cookie"].lower()
    assert client.get("/api/v1/auth/me").json()["user"] == "plan"  # reading needs no token
    body = {"yaml": "name: x\nmodels: []\n"}
    assert client.post("/api/v1/scenarios", json=body).status_code == 403
    assert client.post("/api/v1/scenarios", json=body,
                       headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.post("/api/v1/scenarios", json=body,
                       headers={"X-CSRF-Token": csrf}).status_code == 201
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert client.get("/api/v1/auth/me").status_code == 401


def test_session_expiry(tmp_path):
    with make_client(tmp_path / "s", session_seconds=-1) as c:
        headers = token(c, "plan")
        assert c.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_users_admin_only(client, tokens):
    new = {"username": "someone", "password": "a long password", "role": "planner"}
    for who in ("plan", "view"):
        assert client.get("/api/v1/users", headers=tokens[who]).status_code == 403
        assert client.post("/api/v1/users", json=new, headers=tokens[who]).status_code == 403
    assert client.post("/api/v1/users", json=new, headers=tokens["admin"]).status_code == 201
    names = [u["name"] for u in client.get("/api/v1/users", headers=tokens["admin"]).json()]
    assert "someone" in names
    short = dict(new, username="other", password="short")
    answer = client.post("/api/v1/users", json=short, headers=tokens["admin"])
    assert answer.status_code == 400 and "at least 10 characters" in answer.json()["detail"]
    bad_role = dict(new, username="other2", role="god")
    assert client.post("/api/v1/users", json=bad_role, headers=tokens["admin"]).status_code == 400
    assert client.patch("/api/v1/users/someone", json={"role": "viewer"},
                        headers=tokens["admin"]).status_code == 200
    assert client.patch("/api/v1/users/ghost", json={"role": "viewer"},
                        headers=tokens["admin"]).status_code == 404
    assert client.delete("/api/v1/users/admin", headers=tokens["admin"]).status_code == 400
    assert client.delete("/api/v1/users/someone", headers=tokens["plan"]).status_code == 403
    assert client.delete("/api/v1/users/someone", headers=tokens["admin"]).status_code == 200


def _example_yaml() -> str:
    return (EXAMPLE / "scenario.yaml").read_text(encoding="utf-8")


def test_scenarios_owner_sharing_and_roles(client, tokens):
    body = {"yaml": _example_yaml()}
    assert client.post("/api/v1/scenarios", json=body, headers=tokens["view"]).status_code == 403
    answer = client.post("/api/v1/scenarios", json=body, headers=tokens["plan"])
    assert answer.status_code == 201
    sid = answer.json()["id"]
    assert answer.json()["name"] == "example"
    # private: another planner and a viewer do not see it
    assert client.get(f"/api/v1/scenarios/{sid}", headers=tokens["plan2"]).status_code == 404
    assert client.get(f"/api/v1/scenarios/{sid}", headers=tokens["view"]).status_code == 404
    assert sid not in [s["id"] for s in client.get("/api/v1/scenarios", headers=tokens["view"]).json()]
    assert client.get(f"/api/v1/scenarios/{sid}", headers=tokens["admin"]).status_code == 200
    # shared: visible, but only the owner edits; others copy
    assert client.patch(f"/api/v1/scenarios/{sid}/sharing", json={"shared": True},
                        headers=tokens["plan2"]).status_code == 404
    assert client.patch(f"/api/v1/scenarios/{sid}/sharing", json={"shared": True},
                        headers=tokens["plan"]).status_code == 200
    assert client.get(f"/api/v1/scenarios/{sid}", headers=tokens["view"]).status_code == 200
    levers = {"levers": {"water": {"irrigation_efficiency": 0.7}}}
    assert client.patch(f"/api/v1/scenarios/{sid}/levers", json=levers,
                        headers=tokens["plan2"]).status_code == 403
    assert client.patch(f"/api/v1/scenarios/{sid}/levers", json=levers,
                        headers=tokens["view"]).status_code == 403
    copy = client.post(f"/api/v1/scenarios/{sid}/copy", headers=tokens["plan2"])
    assert copy.status_code == 201 and copy.json()["copied_from"] == sid
    assert client.post(f"/api/v1/scenarios/{sid}/copy", headers=tokens["view"]).status_code == 403
    edited = client.patch(f"/api/v1/scenarios/{copy.json()['id']}/levers", json=levers,
                          headers=tokens["plan2"])
    assert edited.status_code == 200
    text = client.get(f"/api/v1/scenarios/{copy.json()['id']}", headers=tokens["plan2"]).json()["yaml"]
    assert yaml.safe_load(text)["levers"] == {"water": {"irrigation_efficiency": 0.7}}
    # the original is unchanged
    original = client.get(f"/api/v1/scenarios/{sid}", headers=tokens["plan"]).json()["yaml"]
    assert yaml.safe_load(original)["levers"] == {}
    assert client.delete(f"/api/v1/scenarios/{sid}", headers=tokens["plan2"]).status_code == 403
    assert client.delete(f"/api/v1/scenarios/{sid}", headers=tokens["plan"]).status_code == 200


def test_validate_gives_the_cli_messages(client, tokens, tmp_path):
    from ecociv.scenario.run_file import load_scenario_file
    from ecociv.scenario.validate import InvalidScenarioError

    upload_example(client, tokens["plan"])
    text = _example_yaml().replace("seasonality_z: 5", "seasonality_z: 5\n      bogus_param: 1")
    sid = client.post("/api/v1/scenarios", json={"yaml": text}, headers=tokens["plan"]).json()["id"]
    answer = client.post(f"/api/v1/scenarios/{sid}/validate", headers=tokens["plan"]).json()
    assert answer["valid"] is False
    # the same messages as `ecociv validate` on the same file next to the same data
    local = tmp_path / "scenario.yaml"
    local.write_text(text, encoding="utf-8")
    for path in EXAMPLE.iterdir():
        if path.suffix in (".tif", ".csv", ".gpkg"):
            (tmp_path / path.name).symlink_to(path)
    with pytest.raises(InvalidScenarioError) as err:
        load_scenario_file(local)
    assert answer["problems"] == [p.replace(f"{tmp_path}/", "") for p in err.value.problems]
    store = str(client.app.state.ecociv.store)
    missing = _example_yaml().replace("precipitation_synthetic.tif", "gone.tif")
    sid = client.post("/api/v1/scenarios", json={"yaml": missing}, headers=tokens["plan"]).json()["id"]
    problems = client.post(f"/api/v1/scenarios/{sid}/validate", headers=tokens["plan"]).json()["problems"]
    assert any("gone.tif" in p for p in problems)
    assert not any(store in p for p in problems)  # no server folder in the messages
    bad_yaml = client.post("/api/v1/scenarios", json={"yaml": "name: [x"}, headers=tokens["plan"])
    assert bad_yaml.status_code == 400 and "not valid YAML" in bad_yaml.json()["detail"]


@pytest.mark.parametrize("path", ["/etc/passwd", "../../catalog.sqlite", "../plan2/x.tif",
                                  "sub/../../x.tif"])
def test_scenario_paths_outside_the_uploads_are_refused(client, tokens, path):
    text = f"name: t\nmodels:\n  - id: carbon\n    inputs:\n      land_use: {path}\n"
    answer = client.post("/api/v1/scenarios", json={"yaml": text}, headers=tokens["plan"])
    assert answer.status_code == 400
    assert "outside your uploaded files" in answer.json()["detail"]
    layer = f"name: t\nlayers:\n  land_use: {{path: {path}}}\nmodels: []\n"
    answer = client.post("/api/v1/scenarios", json={"yaml": layer}, headers=tokens["plan"])
    assert answer.status_code == 400


def test_run_example_end_to_end(client, tokens):
    upload_example(client, tokens["plan"])
    sid = client.post("/api/v1/scenarios", json={"yaml": _example_yaml()},
                      headers=tokens["plan"]).json()["id"]
    assert client.post("/api/v1/runs", json={"scenario_id": sid},
                       headers=tokens["view"]).status_code == 403
    assert client.post("/api/v1/runs", json={"scenario_id": sid},
                       headers=tokens["plan2"]).status_code == 404
    answer = client.post("/api/v1/runs", json={"scenario_id": sid}, headers=tokens["plan"])
    assert answer.status_code == 202, answer.text
    job = answer.json()["id"]
    with client.stream("GET", f"/api/v1/runs/{job}/events", headers=tokens["plan"]) as stream:
        text = "".join(stream.iter_text())
    assert "event: done" in text and "event: end" in text
    state = client.get(f"/api/v1/runs/{job}", headers=tokens["plan"]).json()
    assert state["status"] == "completed", state
    run_id = state["run_id"]
    logs = client.get(f"/api/v1/runs/{job}/logs", headers=tokens["plan"]).json()
    assert next(e["event"] for e in logs) == "queued" and logs[-1]["event"] == "done"
    assert any(e.get("step") == "water_yield" for e in logs)
    # private run: other users see neither the job nor its results
    assert client.get(f"/api/v1/runs/{job}", headers=tokens["plan2"]).status_code == 404
    assert client.get(f"/api/v1/results/{run_id}", headers=tokens["view"]).status_code == 404
    files = client.get(f"/api/v1/results/{run_id}", headers=tokens["plan"]).json()["files"]
    table = next(f for f in files["tables"] if f.endswith(".csv"))
    as_json = client.get(f"/api/v1/results/{run_id}/table/{table}", headers=tokens["plan"]).json()
    import pandas as pd

    store = Path(client.app.state.ecociv.store)
    expected = pd.read_csv(store / "runs" / run_id / table)
    assert as_json["rows"] == len(expected) and as_json["columns"] == list(expected.columns)
    csv = client.get(f"/api/v1/results/{run_id}/table/{table}?format=csv", headers=tokens["plan"])
    assert csv.content == (store / "runs" / run_id / table).read_bytes()
    raster = files["rasters"][0]
    png = client.get(f"/api/v1/results/{run_id}/map/{raster}", headers=tokens["plan"])
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    tif = client.get(f"/api/v1/results/{run_id}/files/{raster}", headers=tokens["plan"])
    assert tif.content == (store / "runs" / run_id / raster).read_bytes()
    assert client.get(f"/api/v1/results/{run_id}/reports", headers=tokens["plan"]).json() == []
    # path traversal out of the run folder
    for bad in ("../../web/web.sqlite", "..%2F..%2Fcatalog.sqlite", "%2Fetc%2Fpasswd",
                ".partial-x/manifest.json"):
        answer = client.get(f"/api/v1/results/{run_id}/files/{bad}", headers=tokens["plan"])
        assert answer.status_code == 404, bad
    assert client.post(f"/api/v1/runs/{job}/cancel", headers=tokens["plan"]).status_code == 409
    # sharing the run is the owner's choice; the catalog lists it once
    listing = client.get("/api/v1/runs", headers=tokens["plan"]).json()
    assert [j["id"] for j in listing["jobs"]] == [job]
    assert run_id not in [r["run_id"] for r in listing["catalog"]]


def test_cancel_a_run(client, tokens):
    upload_example(client, tokens["plan"])
    sid = client.post("/api/v1/scenarios", json={"yaml": _example_yaml()},
                      headers=tokens["plan"]).json()["id"]
    job = client.post("/api/v1/runs", json={"scenario_id": sid}, headers=tokens["plan"]).json()["id"]
    assert client.post(f"/api/v1/runs/{job}/cancel", headers=tokens["plan2"]).status_code == 404
    assert client.post(f"/api/v1/runs/{job}/cancel", headers=tokens["view"]).status_code == 403
    assert client.post(f"/api/v1/runs/{job}/cancel", headers=tokens["plan"]).status_code == 200
    time.sleep(0.5)
    assert client.get(f"/api/v1/runs/{job}", headers=tokens["plan"]).json()["status"] == "cancelled"
    store = Path(client.app.state.ecociv.store)
    runs = store / "runs"
    assert not runs.exists() or not [p for p in runs.iterdir() if not p.name.startswith(".")]


def test_invalid_scenario_is_not_started(client, tokens):
    sid = client.post("/api/v1/scenarios", json={"yaml": _example_yaml()},
                      headers=tokens["plan"]).json()["id"]
    answer = client.post("/api/v1/runs", json={"scenario_id": sid}, headers=tokens["plan"])
    assert answer.status_code == 400  # the uploads it names are missing
    assert answer.json()["detail"]["problems"]


def test_results_of_a_command_line_run(client, tokens):
    """A run folder written by `ecociv run` (no web owner) is readable by every signed-in user;
    its GeoPackage comes back as GeoJSON in WGS 84 and a raster without a drawn map is rendered."""
    import shutil

    import geopandas as gpd

    store = Path(client.app.state.ecociv.store)
    folder = store / "runs" / "cli-run-1"
    (folder / "step").mkdir(parents=True)
    (folder / "manifest.json").write_text('{"scenario": "cli"}', encoding="utf-8")
    shutil.copyfile(EXAMPLE / "watersheds_synthetic.gpkg", folder / "step" / "zones.gpkg")
    shutil.copyfile(EXAMPLE / "precipitation_synthetic.tif", folder / "step" / "p.tif")
    geo = client.get("/api/v1/results/cli-run-1/geojson/step/zones.gpkg", headers=tokens["view"])
    assert geo.status_code == 200
    frame = gpd.read_file(EXAMPLE / "watersheds_synthetic.gpkg").to_crs(4326)
    features = geo.json()["features"]
    assert len(features) == len(frame)
    west = min(c[0] for f in features for ring in f["geometry"]["coordinates"] for c in ring)
    assert abs(west - frame.total_bounds[0]) < 1e-6
    png = client.get("/api/v1/results/cli-run-1/map/step/p.tif", headers=tokens["view"])
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    import io

    from PIL import Image

    assert Image.open(io.BytesIO(png.content)).size[0] > 1
    assert client.get("/api/v1/results/cli-run-1/geojson/step/p.tif",
                      headers=tokens["view"]).status_code == 404
    assert client.get("/api/v1/results/cli-run-1/table/step/p.tif",
                      headers=tokens["view"]).status_code == 404
    assert client.get("/api/v1/results/..%2Fweb/files/web.sqlite",
                      headers=tokens["view"]).status_code == 404


def test_dashboard_served_at_root_when_installed(client):
    from ecociv.web.app import STATIC

    answer = client.get("/")
    if not (STATIC / "index.html").exists():
        assert answer.status_code == 404
        return
    assert answer.status_code == 200 and "text/html" in answer.headers["content-type"]
    assert answer.headers["x-frame-options"] == "DENY"
    assert client.get("/../../web/web.sqlite").status_code == 404


def test_compare_two_runs(client, tokens):
    """`ecociv compare` over the API: the same tables as compare_runs on the same folders."""
    import shutil

    from ecociv.strategies.compare import compare_runs

    store = Path(client.app.state.ecociv.store)
    upload_example(client, tokens["plan"])
    sid = client.post("/api/v1/scenarios", json={"yaml": _example_yaml()},
                      headers=tokens["plan"]).json()["id"]
    run_ids = []
    for _ in range(2):
        job = client.post("/api/v1/runs", json={"scenario_id": sid}, headers=tokens["plan"]).json()["id"]
        for _ in range(600):
            state = client.get(f"/api/v1/runs/{job}", headers=tokens["plan"]).json()
            if state["status"] not in ("queued", "running"):
                break
            time.sleep(0.5)
        assert state["status"] == "completed", state
        run_ids.append(state["run_id"])
    assert client.post("/api/v1/comparisons", json={"run_ids": run_ids},
                       headers=tokens["view"]).status_code == 403
    assert client.post("/api/v1/comparisons", json={"run_ids": run_ids},
                       headers=tokens["plan2"]).status_code == 404  # private runs
    answer = client.post("/api/v1/comparisons", json={"run_ids": run_ids}, headers=tokens["plan"])
    assert answer.status_code == 201, answer.text
    cid, files = answer.json()["id"], answer.json()["files"]
    reference = store.parent / "reference"
    compare_runs([store / "runs" / r for r in run_ids], reference, maps=False)
    expected = sorted(p.relative_to(reference).as_posix() for p in reference.rglob("*") if p.is_file())
    assert files == expected
    csv = next(f for f in files if f.endswith(".csv"))
    got = client.get(f"/api/v1/comparisons/{cid}/files/{csv}", headers=tokens["plan"])
    assert got.content == (reference / csv).read_bytes()
    assert client.get(f"/api/v1/comparisons/{cid}", headers=tokens["plan2"]).status_code == 404
    assert client.get(f"/api/v1/comparisons/{cid}/files/../../x", headers=tokens["plan"]).status_code == 404
    shutil.rmtree(reference)


def test_runs_left_by_a_stopped_server_are_marked_interrupted(tmp_path):
    from ecociv.web.app import create_app
    from ecociv.web.db import now

    store = tmp_path / "store"
    with make_client(store) as c:
        c.app.state.ecociv.db.execute(
            "INSERT INTO jobs (id, owner, scenario_id, status, shared, created) VALUES "
            "('j1', 'plan', 's', 'running', 0, ?), ('j2', 'plan', 's', 'completed', 0, ?)",
            (now(), now()))
    again = create_app(store)  # the same store, a new server
    rows = dict(again.state.ecociv.db.all("SELECT id, status FROM jobs"))
    assert rows == {"j1": "interrupted", "j2": "completed"}


def test_serve_refuses_to_start_without_users(tmp_path, capsys, monkeypatch):
    from tests.cli_helper import run_ecociv

    monkeypatch.delenv("ECOCIV_ADMIN_PASSWORD", raising=False)
    code, _, err = run_ecociv(capsys, monkeypatch, "serve", "--store", str(tmp_path / "s"),
                              "--port", "1")
    assert code == 2
    assert "no users yet" in err and "--admin" in err


def test_serve_admin_password_too_short(tmp_path, capsys, monkeypatch):
    from tests.cli_helper import run_ecociv

    monkeypatch.setenv("ECOCIV_ADMIN_PASSWORD", "short")
    code, _, err = run_ecociv(capsys, monkeypatch, "serve", "--store", str(tmp_path / "s"),
                              "--admin", "boss")
    assert code == 2 and "at least 10 characters" in err
    assert "short" not in err.replace("at least", "")  # the password itself is never printed


def test_report_of_a_run_made_from_the_api(client, tokens):
    """POST /results/{run}/reports writes the report as `ecociv report` does; planners only; a
    bad language or an incomplete run is one message."""
    import json as json_module

    from ecociv.api import run_scenario

    store = Path(client.app.state.ecociv.store)
    run = run_scenario(EXAMPLE / "scenario.yaml", store=store, maps=False)
    url = f"/api/v1/results/{run.run_id}/reports"
    assert client.post(url, json={"lang": "en"}, headers=tokens["view"]).status_code == 403
    answer = client.post(url, json={"lang": "zh"}, headers=tokens["plan"])
    assert answer.status_code == 200, answer.text
    assert answer.json() == ["report-zh.html", "report-zh.xlsx"]
    html = (run.folder / "report-zh.html").read_text(encoding="utf-8")
    assert "<html" in html and run.run_id in html
    assert "report-zh.html" in client.get(url, headers=tokens["view"]).json()
    download = client.get(f"/api/v1/results/{run.run_id}/files/report-zh.html", headers=tokens["view"])
    assert download.content == (run.folder / "report-zh.html").read_bytes()
    bad = client.post(url, json={"lang": "fr"}, headers=tokens["plan"])
    assert bad.status_code == 400 and "--lang 'fr'" in bad.json()["detail"]
    assert client.post("/api/v1/results/no-such-run/reports", json={},
                       headers=tokens["plan"]).status_code == 404
    manifest = json_module.loads((run.folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["status"] = "failed"
    (run.folder / "manifest.json").write_text(json_module.dumps(manifest), encoding="utf-8")
    failed = client.post(url, json={"lang": "en"}, headers=tokens["plan"])
    assert failed.status_code == 400 and "failed" in failed.json()["detail"]
