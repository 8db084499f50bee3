"""The shipped strategy files run from the web as they are: the files they name beside them
(``../water/belt_network``, ``co2_caps_s4.csv``) are read-only resources of the package's data
folder, while every other path stays confined to the user's uploads."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from tests.web_helpers import make_client, token

pytest.importorskip("fastapi")


@pytest.fixture
def env(tmp_path: Path):
    with make_client(tmp_path / "store", workers=1) as client:
        yield client, {n: token(client, n) for n in ("plan", "plan2")}


def _stored(client, owner: str, scenario_id: str) -> dict:
    folder = Path(client.app.state.ecociv.store) / "web" / "users" / owner
    return yaml.safe_load((folder / f"{scenario_id}.scenario.yaml").read_text(encoding="utf-8"))


def test_shipped_strategy_starts_from_the_web(env):
    from ecociv.strategies.catalog import STRATEGIES
    from ecociv.web.scenarios import resource_roots

    client, t = env
    bau = next(s for s in STRATEGIES if s.id == "BAU")
    text = bau.path.read_text(encoding="utf-8")
    created = client.post("/api/v1/scenarios", json={"yaml": text}, headers=t["plan"])
    assert created.status_code == 201, created.text
    sid = created.json()["id"]
    # the user's text is kept; the file the runner reads names the shipped network absolutely
    assert client.get(f"/api/v1/scenarios/{sid}", headers=t["plan"]).json()["yaml"] == text
    steps = {s["id"]: s for s in _stored(client, "plan", sid)["models"]}
    network = Path(steps["water_allocation"]["inputs"]["network"])
    assert network == resource_roots()[0] / "water" / "belt_network" and network.is_dir()
    assert steps["water_yield"]["inputs"]["land_use"] == "@land_use_change.land_use_final"
    check = client.post(f"/api/v1/scenarios/{sid}/validate", headers=t["plan"]).json()
    assert check["valid"], check["problems"]
    job = client.post("/api/v1/runs", json={"scenario_id": sid}, headers=t["plan"])
    assert job.status_code == 202, job.text
    job_id = job.json()["id"]
    deadline = time.monotonic() + 240
    events: list[dict] = []
    while not any(e["event"] in ("start", "error") for e in events):
        assert time.monotonic() < deadline, "the run did not start"
        time.sleep(0.5)
        events = client.get(f"/api/v1/runs/{job_id}/logs", headers=t["plan"]).json()
    started = next(e for e in events if e["event"] in ("start", "error"))
    assert started["event"] == "start", started
    assert "water_allocation" in started["steps"] and "land_use_change" in started["steps"]
    client.post(f"/api/v1/runs/{job_id}/cancel", headers=t["plan"])  # the whole BAU is long
    # a copy by another planner still resolves the shipped files
    copied = client.post(f"/api/v1/scenarios/{sid}/copy", headers=t["plan"])
    assert copied.status_code == 201


@pytest.mark.parametrize("path", [
    "../../web.sqlite",                 # the server's database, beside the users' folders
    "/etc/passwd",                      # absolute
    "../../web/app.py",                 # from the strategy folder: the package, not its data
    "../water/../../web/app.py",
    "../water/no_such_network",         # inside the data folder, but not a shipped file
    "../../plan2/secret.csv",           # another user's upload
])
def test_paths_outside_uploads_and_shipped_files_are_refused(env, path):
    client, t = env
    folder = Path(client.app.state.ecociv.store) / "web" / "users" / "plan2"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "secret.csv").write_text("a\n1\n")
    text = f"name: x\nmodels:\n  - id: water_allocation\n    inputs:\n      network: {path}\n"
    answer = client.post("/api/v1/scenarios", json={"yaml": text}, headers=t["plan"])
    assert answer.status_code == 400, answer.text
    assert "outside your uploaded files" in answer.json()["detail"]


def test_an_upload_of_the_same_name_wins_over_the_shipped_file(env):
    client, t = env
    csv = "county,year,co2_cap_mt\nA,2035,1\n"
    assert client.post("/api/v1/uploads", headers=t["plan"],
                       files={"file": ("co2_caps_s4.csv", csv.encode())}).status_code == 201
    text = "name: x\nmodels:\n  - id: water_allocation\n    inputs:\n      network: co2_caps_s4.csv\n"
    sid = client.post("/api/v1/scenarios", json={"yaml": text}, headers=t["plan"]).json()["id"]
    assert _stored(client, "plan", sid)["models"][0]["inputs"]["network"] \
        == "co2_caps_s4.csv"
    # without the upload, the name is the shipped file beside the strategies
    other = client.post("/api/v1/scenarios", json={"yaml": text}, headers=t["plan2"]).json()["id"]
    shipped = Path(_stored(client, "plan2", other)["models"][0]["inputs"]["network"])
    assert shipped.is_absolute() and shipped.name == "co2_caps_s4.csv" and shipped.is_file()


def test_scenario_from_a_strategy_endpoint(env):
    from ecociv.strategies.catalog import STRATEGIES

    client, t = env
    made = client.post("/api/v1/strategies/s2/scenario", headers=t["plan"])
    assert made.status_code == 201, made.text
    s2 = next(s for s in STRATEGIES if s.id == "S2")
    body = client.get(f"/api/v1/scenarios/{made.json()['id']}", headers=t["plan"]).json()
    assert made.json()["strategy"] == "S2" and body["owner"] == "plan"
    assert body["yaml"] == s2.path.read_text(encoding="utf-8") and not body["shared"]
    view = token(client, "view")
    assert client.post("/api/v1/strategies/s2/scenario", headers=view).status_code == 403
    missing = client.post("/api/v1/strategies/S9/scenario", headers=t["plan"])
    assert missing.status_code == 404 and "BAU" in missing.json()["detail"]
