"""The built dashboard as ``ecociv serve`` serves it (no browser needed): the page and its files
at ``/`` with the security headers, nothing loaded from another host, the build's inputs present,
and a run's raster as a plain (placeable) PNG even when the run drew its own map."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from tests.web_helpers import make_client, token

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "src" / "ecociv" / "web" / "static"


@pytest.fixture
def client(tmp_path: Path):
    with make_client(tmp_path / "store") as c:
        yield c


def test_page_and_assets_served_at_root(client) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "default-src 'self'" in page.headers["content-security-policy"]
    refs = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert {"app.js", "style.css", "leaflet.css"} <= set(refs)
    for ref in refs:
        assert "//" not in ref, f"the page loads {ref} from another host"
        answer = client.get("/" + ref)
        assert answer.status_code == 200 and answer.content, ref
    assert client.get("/app.js").headers["content-type"].startswith(("application/javascript",
                                                                     "text/javascript"))


def test_bundle_calls_only_the_api() -> None:
    code = (STATIC / "app.js").read_text(encoding="utf-8")
    assert "/api/v1" in code
    # every fetch/EventSource/image goes through the relative API prefix: no absolute URL is built
    assert not re.search(r"fetch\(\s*[\"'`]https?:", code)
    assert not re.search(r"EventSource\(\s*[\"'`]https?:", code)
    assert "tile.openstreetmap" not in code and "unpkg.com" not in code


def test_build_inputs_are_committed() -> None:
    web = ROOT / "web"
    package = json.loads((web / "package.json").read_text(encoding="utf-8"))
    assert package["scripts"]["build"] == "node build.mjs"
    assert {"leaflet", "js-yaml"} <= set(package["dependencies"])
    assert (web / "package-lock.json").is_file()
    sources = {p.name for p in (web / "src").iterdir()}
    assert {"index.html", "main.js", "map.js", "levers.js", "i18n.js", "api.js", "charts.js"} <= sources
    built = (STATIC / "index.html").read_text(encoding="utf-8")
    assert built == (web / "src" / "index.html").read_text(encoding="utf-8"), "rebuild: npm run build"


def test_run_raster_plain_png_even_with_drawn_map(client, tmp_path: Path) -> None:
    import rasterio
    from rasterio.transform import from_origin

    run = tmp_path / "store" / "runs" / "20260101-000000-x-abc123"
    (run / "step").mkdir(parents=True)
    (run / "manifest.json").write_text("{}", encoding="utf-8")
    with rasterio.open(run / "step" / "out.tif", "w", driver="GTiff", width=4, height=3, count=1,
                       dtype="float32", crs="EPSG:4326",
                       transform=from_origin(86.0, 44.0, 0.1, 0.1)) as dst:
        dst.write(np.arange(12, dtype="float32").reshape(1, 3, 4))
    drawn = b"\x89PNG\r\n\x1a\n drawn by the run"
    (run / "step" / "out.png").write_bytes(drawn)
    headers = token(client, "view")
    base = f"/api/v1/results/{run.name}"
    assert client.get(f"{base}/map/step/out.tif", headers=headers).content == drawn
    plain = client.get(f"{base}/map/step/out.tif?plain=true", headers=headers)
    assert plain.status_code == 200 and plain.content != drawn
    from io import BytesIO

    from PIL import Image

    assert Image.open(BytesIO(plain.content)).size == (4, 3)
    info = client.get(f"{base}/raster/step/out.tif", headers=headers).json()
    assert info["corners_wgs84"][0] == [86.0, 44.0] and info["corners_wgs84"][2] == [86.4, 43.7]


def test_strategies_listed_with_their_levers(client) -> None:
    import yaml

    from ecociv.strategies.catalog import STRATEGIES

    assert client.get("/api/v1/strategies").status_code == 401
    rows = client.get("/api/v1/strategies", headers=token(client, "view")).json()
    assert [r["id"] for r in rows] == [s.id for s in STRATEGIES] and rows[0]["id"] == "BAU"
    s2 = next(s for s in STRATEGIES if s.id == "S2")
    expected = yaml.safe_load(s2.path.read_text(encoding="utf-8"))["levers"]
    assert next(r for r in rows if r["id"] == "S2")["levers"] == expected
    assert rows[2]["title_zh"] == s2.title_zh
