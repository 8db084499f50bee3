"""The server's own database on both backends (SQLite file, PostgreSQL by URL with PostGIS when it
is installed) and the run footprints found by place (``GET /api/v1/runs?bbox=``).

The PostgreSQL variants run against a throw-away local server (tests/ledger_helpers.py) and skip
with the reason when none can be started. The API tests of tests/test_web_api.py imported below
run again here with a client whose database is PostgreSQL."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from tests.ledger_helpers import new_database
from tests.test_web_api import (  # noqa: F401  (collected again with the PostgreSQL client)
    test_cancel_a_run,
    test_cookie_session_needs_csrf_token,
    test_everything_needs_sign_in,
    test_run_example_end_to_end,
    test_scenarios_owner_sharing_and_roles,
    test_users_admin_only,
)
from tests.web_helpers import PASSWORD, make_client, token


@pytest.fixture
def pg_url(tmp_path, postgres_server) -> str:
    return new_database("postgresql", tmp_path / "unused.sqlite", postgres_server)


@pytest.fixture
def client(tmp_path: Path, pg_url: str):
    """The API of tests/test_web_api.py, its users, scenarios and runs kept in PostgreSQL."""
    with make_client(tmp_path / "store", database=pg_url) as c:
        yield c


@pytest.fixture
def tokens(client):
    return {name: token(client, name) for name in ("admin", "plan", "plan2", "view")}


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path, postgres_server) -> str:
    """A new server database: a SQLite path or a PostgreSQL URL."""
    return new_database(request.param, tmp_path / "web.sqlite", postgres_server)


def test_nothing_of_the_server_is_kept_in_the_store_with_postgresql(client, tokens):
    store = Path(client.app.state.ecociv.store)
    assert client.app.state.ecociv.db.postgres
    assert not (store / "web" / "web.sqlite").exists()
    stored = client.app.state.ecociv.db.one("SELECT hash FROM users WHERE name = ?", ("plan",))[0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_users_sessions_and_runs_survive_a_restart(tmp_path, database):
    from ecociv.web.app import create_app
    from ecociv.web.db import now

    store = tmp_path / "store"
    with make_client(store, database=database) as c:
        headers = token(c, "plan")
        c.app.state.ecociv.db.execute(
            "INSERT INTO jobs (id, owner, scenario_id, status, shared, created) VALUES "
            "('j1', 'plan', 's', 'running', 0, ?), ('j2', 'plan', 's', 'completed', 0, ?)",
            (now(), now()))
        c.app.state.ecociv.db.close()
    again = create_app(store, database=database)  # the same database, a new server
    from fastapi.testclient import TestClient

    with TestClient(again) as c2:
        assert c2.get("/api/v1/auth/me", headers=headers).json()["user"] == "plan"
        rows = dict(again.state.ecociv.db.all("SELECT id, status FROM jobs"))
        assert rows == {"j1": "interrupted", "j2": "completed"}


def test_session_expiry_is_kept_to_the_second(tmp_path, database):
    """Sessions end when they should: an expiry 3 s ahead holds now and is gone 3.5 s later (a
    4-byte float column, PostgreSQL's REAL, would round today's epoch seconds by up to 128 s)."""
    with make_client(tmp_path / "s", database=database, session_seconds=3) as c:
        headers = token(c, "plan")
        expires = c.app.state.ecociv.db.one("SELECT expires FROM sessions")[0]
        assert abs(expires - (time.time() + 3)) < 2
        assert c.get("/api/v1/auth/me", headers=headers).status_code == 200
        time.sleep(3.5)
        assert c.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_deleting_a_user_ends_their_sessions(tmp_path, database):
    with make_client(tmp_path / "s", database=database) as c:
        headers, admin = token(c, "plan2"), token(c, "admin")
        assert c.get("/api/v1/auth/me", headers=headers).status_code == 200
        assert c.delete("/api/v1/users/plan2", headers=admin).status_code == 200
        assert c.get("/api/v1/auth/me", headers=headers).status_code == 401
        assert c.app.state.ecociv.db.all('SELECT * FROM sessions WHERE "user" = ?', ("plan2",)) == []


def test_a_database_holding_other_tables_is_refused(pg_url):
    import psycopg

    from ecociv.errors import InputError
    from ecociv.web.db import WebDB

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount NUMERIC)")
        conn.execute("INSERT INTO invoices VALUES (1, 9.5)")
    with pytest.raises(InputError, match=r"not the web server's.*invoices"):
        WebDB(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:  # nothing was written into it
        tables = {r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()").fetchall()}
        assert tables - {"spatial_ref_sys"} == {"invoices"}
        assert conn.execute("SELECT amount FROM invoices").fetchone()[0] == 9.5


def test_an_unreachable_database_is_one_clear_error_without_the_password(tmp_path):
    pytest.importorskip("psycopg")
    from ecociv.errors import InputError
    from ecociv.web.db import WebDB

    url = f"postgresql://someone:s3cret@/nodb?host={tmp_path}&port=9"
    with pytest.raises(InputError) as caught:
        WebDB(url)
    assert "cannot connect" in str(caught.value) and "s3cret" not in str(caught.value)
    assert "someone:***@" in str(caught.value)


def test_postgis_is_used_when_the_database_has_it(pg_url):
    import psycopg

    from ecociv.web.db import WebDB

    with psycopg.connect(pg_url, autocommit=True) as conn:
        available = conn.execute(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").fetchone() is not None
    db = WebDB(pg_url)
    try:
        assert db.postgis == available
        if available:
            kind = db.one("SELECT udt_name FROM information_schema.columns WHERE "
                          "table_name = 'footprints' AND column_name = 'geom'")
            assert kind == ("geometry",)
    finally:
        db.close()


# footprints ----------------------------------------------------------------------------------
# Two runs far apart: a UTM zone 45N grid around Urumqi (10 km cells, 10 × 10) and a 1° × 1°
# EPSG:4326 grid at 100–101°E, 30–31°N.
_UTM = {"crs": "EPSG:32645", "transform": [10000.0, 0.0, 540000.0, 0.0, -10000.0, 4900000.0],
        "shape": [10, 10]}
_GEO = {"crs": "EPSG:4326", "transform": [0.01, 0.0, 100.0, 0.0, -0.01, 31.0], "shape": [100, 100]}


def _add_run(store: Path, db, run_id: str, grid: dict, owner: str = "plan") -> None:
    from ecociv.web.db import now

    folder = store / "runs" / run_id
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"run_id": run_id, "grid": grid}),
                                          encoding="utf-8")
    db.execute("INSERT INTO jobs (id, owner, scenario_id, status, run_id, shared, created) "
               "VALUES (?, ?, 's', 'completed', ?, 0, ?)", (f"job-{run_id}", owner, run_id, now()))


def test_the_outline_follows_the_grid_edge():
    """Every outline vertex, transformed back to UTM 45N, lies on the grid's edge (within 1 mm),
    and the outline is the curved edge, not only the four corners."""
    from pyproj import Transformer
    from shapely import from_wkt

    from ecociv.web.footprints import grid_outline

    wkt, bounds = grid_outline(_UTM)
    polygon = from_wkt(wkt)
    lon, lat = polygon.exterior.coords.xy
    x, y = Transformer.from_crs(4326, 32645, always_xy=True).transform(list(lon), list(lat))
    west, east, north, south = 540000.0, 640000.0, 4900000.0, 4800000.0
    for xi, yi in zip(x, y, strict=True):
        on_edge = min(abs(xi - west), abs(xi - east), abs(yi - north), abs(yi - south))
        assert on_edge < 1e-3 and west - 1e-3 <= xi <= east + 1e-3 and south - 1e-3 <= yi <= north + 1e-3
    assert len(lon) == 4 * 32 + 1
    assert bounds == pytest.approx(polygon.bounds)
    # Urumqi's centre (87.62°E, 43.83°N) is inside; Beijing is not
    assert polygon.contains(from_wkt("POINT (87.62 43.83)"))
    assert not polygon.contains(from_wkt("POINT (116.4 39.9)"))


def test_runs_found_by_place(tmp_path, database):
    with make_client(tmp_path / "store", database=database) as c:
        st = c.app.state.ecociv
        _add_run(st.store, st.db, "urumqi", _UTM)
        _add_run(st.store, st.db, "sichuan", _GEO)
        _add_run(st.store, st.db, "private", _GEO, owner="plan2")
        headers = token(c, "plan")

        def found(box: str) -> list[str]:
            answer = c.get(f"/api/v1/runs?bbox={box}", headers=headers)
            assert answer.status_code == 200, answer.text
            return sorted(j["run_id"] for j in answer.json()["jobs"])

        assert found("87,43,88,44") == ["urumqi"]
        assert found("100.5,30.5,100.6,30.6") == ["sichuan"]  # plan2's run stays invisible
        assert found("100.99,30.99,102,32") == ["sichuan"]
        assert found("101.001,30,102,31") == []
        assert found("0,0,10,10") == []
        assert found("80,25,110,50") == ["sichuan", "urumqi"]
        everything = c.get("/api/v1/runs", headers=headers).json()["jobs"]
        assert sorted(j["run_id"] for j in everything) == ["sichuan", "urumqi"]
        if st.db.postgis:  # the outline is a PostGIS geometry, queried in the database
            assert st.db.one("SELECT ST_SRID(geom) FROM footprints WHERE run_id = ?",
                             ("urumqi",)) == (4326,)
        for bad in ("1,2,3", "a,b,c,d", "10,0,5,1", "0,0,200,1"):
            answer = c.get(f"/api/v1/runs?bbox={bad}", headers=headers)
            assert answer.status_code == 400 and "bbox" in answer.json()["detail"], bad
