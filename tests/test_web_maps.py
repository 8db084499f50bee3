"""Dataset layers for the map (PNG, GeoJSON, corners in WGS 84) and monitoring alerts."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from tests.web_helpers import make_client, token

pytest.importorskip("fastapi")


@pytest.fixture
def env(tmp_path: Path):
    with make_client(tmp_path / "store") as client:
        yield client, {n: token(client, n) for n in ("plan", "view")}


def test_raster_layer_png_and_corners(env):
    import rasterio
    from PIL import Image
    from rasterio.warp import transform_bounds

    from ecociv.region.dataset import load_dataset

    client, t = env
    png = client.get("/api/v1/datasets/belt/layers/dem/map", headers=t["view"])
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    image = np.asarray(Image.open(io.BytesIO(png.content)))
    path = load_dataset("belt").layer("dem").path
    with rasterio.open(path) as src:
        # transparent exactly where the DEM has no data (at the PNG's resolution)
        scale = max(1, int(np.ceil(max(src.width, src.height) / 1024)))
        mask = src.read(1, out_shape=image.shape[:2], masked=True).mask
        bounds = transform_bounds(src.crs, "EPSG:4326", *src.bounds)
    assert image.shape[0] == src.height // scale
    assert np.array_equal(image[..., 3] == 0, np.broadcast_to(mask, image.shape[:2]))
    info = client.get("/api/v1/datasets/belt/layers/dem/info", headers=t["view"]).json()
    lons = [c[0] for c in info["corners_wgs84"]]
    lats = [c[1] for c in info["corners_wgs84"]]
    # the corners lie within the layer's bounds in WGS 84 (which also cover curved edges)
    assert bounds[0] - 1e-6 <= min(lons) and max(lons) <= bounds[2] + 1e-6
    assert bounds[1] - 1e-6 <= min(lats) and max(lats) <= bounds[3] + 1e-6
    assert 75 < min(lons) < max(lons) < 100 and 35 < min(lats) < max(lats) < 50  # Xinjiang
    assert client.get("/api/v1/datasets/belt/layers/dem/map?band=2",
                      headers=t["view"]).status_code == 400
    assert client.get("/api/v1/datasets/belt/layers/units/map", headers=t["view"]).status_code == 404
    assert client.get("/api/v1/datasets/belt/layers/nope/info", headers=t["view"]).status_code == 404


def test_vector_layer_geojson(env):
    import geopandas as gpd

    from ecociv.region.dataset import load_dataset

    client, t = env
    answer = client.get("/api/v1/datasets/belt/layers/prefectures/geojson", headers=t["view"])
    assert answer.status_code == 200
    layer = load_dataset("belt").layer("prefectures")
    frame = gpd.read_file(layer.path, layer=layer.layer)
    assert len(answer.json()["features"]) == len(frame)
    assert client.get("/api/v1/datasets/belt/layers/dem/geojson",
                      headers=t["view"]).status_code == 404


def test_monitor_alerts_of_uploaded_observations(env):
    from ecociv.monitor import run_monitor

    client, t = env
    # GB 3095-2012 Table 1: PM2.5 annual mean limit (grade II) 35 ug/m3; a mean of 50 exceeds it
    days = np.arange(np.datetime64("2020-01-01"), np.datetime64("2020-12-31"))
    rows = "\n".join(f"A,PM2.5,{d},50,ug/m3" for d in days)
    text = "station,indicator,time,value,units\n" + rows + "\n"
    assert client.post("/api/v1/uploads", headers=t["plan"],
                       files={"file": ("obs.csv", text.encode())}).status_code == 201
    answer = client.post("/api/v1/monitor", headers=t["plan"], json={"observations": "obs.csv"})
    assert answer.status_code == 200, answer.text
    folder = Path(client.app.state.ecociv.store) / "web" / "users" / "plan"
    expected = run_monitor(folder / "obs.csv")
    assert len(answer.json()["alerts"]) == len(expected.alerts) > 0
    assert any(a["indicator"] == "PM2.5" for a in answer.json()["alerts"])
    assert client.post("/api/v1/monitor", headers=t["view"],
                       json={"observations": "obs.csv"}).status_code == 403
    assert client.post("/api/v1/monitor", headers=t["plan"],
                       json={"observations": "../../web.sqlite"}).status_code == 404
