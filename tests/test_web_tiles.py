"""Map tiles (Web Mercator XYZ PNG): pixels against an independent reprojection of pixel centres
with pyproj, class colours, one colour scale per layer, HTTP caching, bad tile addresses, and the
Cloud-Optimized GeoTIFF download.

The reference: tile ``z/x/y`` spans ``2 * 20037508.34 / 2**z`` m of EPSG:3857 (the XYZ scheme of
OpenStreetMap, y counted from the north); the centre of tile pixel (i, j) is transformed with
pyproj to the raster's CRS and the cell under it is found from the raster's affine transform.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pytest

from tests.web_helpers import make_client, token

pytest.importorskip("fastapi")

HALF = 20037508.342789244
#: Albers equal-area conic of the Belt dataset (central meridian 87° E, parallels 25° and 47° N)
ALBERS = "+proj=aea +lat_0=0 +lon_0=87 +lat_1=25 +lat_2=47 +datum=WGS84 +units=m +no_defs"
CLASSES = ((1, "cropland 耕地", "#e6c84c"), (2, "forest", "#1b7837"), (3, "grassland", "#a6d96a"),
           (4, "water", "#2166ac"), (5, "built-up", "#d7301f"), (6, "desert", "#f4e3c1"))


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def _class_raster(path: Path, crs: str, centre: tuple[float, float], cell: float,
                  shape: tuple[int, int] = (24, 30)) -> np.ndarray:
    """A categorical raster centred on ``centre`` (lon, lat) in ``crs``: codes 1-6 such that no
    two neighbouring cells share one, nodata (255) in a 4 × 5 block; the RAT as ecociv writes
    it."""
    import rasterio
    from pyproj import Transformer
    from rasterio.transform import from_origin

    from ecociv.grid.write import write_class_sidecar

    rows, cols = shape
    cx, cy = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(*centre)
    transform = from_origin(cx - cols / 2 * cell, cy + rows / 2 * cell, cell, cell)
    r, c = np.indices(shape)
    codes = ((r * 7 + c) % 6 + 1).astype("uint8")
    codes[3:7, 10:15] = 255
    with rasterio.open(path, "w", driver="GTiff", width=cols, height=rows, count=1, dtype="uint8",
                       crs=crs, transform=transform, nodata=255) as dst:
        dst.write(codes, 1)
    write_class_sidecar(path, CLASSES)
    return codes


def _reference(path: Path, z: int, x: int, y: int) -> tuple[np.ndarray, np.ndarray]:
    """(expected code or -1 for transparent, ambiguous mask) of every pixel of tile z/x/y:
    pixel centres transformed with pyproj, cells found by the inverse affine transform;
    ambiguous = a centre within 1e-6 cell of a cell edge."""
    import rasterio
    from pyproj import Transformer

    size = 2 * HALF / 2**z
    j, i = np.meshgrid(np.arange(256), np.arange(256))
    mx = -HALF + x * size + (j + 0.5) * size / 256
    my = HALF - y * size - (i + 0.5) * size / 256
    with rasterio.open(path) as src:
        data, nodata, inverse = src.read(1), src.nodata, ~src.transform
        px, py = Transformer.from_crs("EPSG:3857", src.crs, always_xy=True).transform(mx, my)
    col, row = inverse * (px, py)
    inside = (col >= 0) & (col < data.shape[1]) & (row >= 0) & (row < data.shape[0])
    expected = np.full((256, 256), -1)
    ri, ci = np.floor(row[inside]).astype(int), np.floor(col[inside]).astype(int)
    values = data[ri, ci].astype(int)
    expected[inside] = np.where(values == nodata, -1, values)
    frac = np.minimum(np.abs(col - np.round(col)), np.abs(row - np.round(row)))
    return expected, frac < 1e-6


def _decode(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


@pytest.mark.parametrize("crs, cell", [("EPSG:32645", 1000.0), (ALBERS, 1000.0),
                                       ("EPSG:4326", 0.01)],
                         ids=["utm45n", "albers", "wgs84"])
def test_tile_pixels_match_an_independent_reprojection(tmp_path, crs, cell):
    from ecociv.web import tiles

    path = tmp_path / "classes.tif"
    _class_raster(path, crs, (87.6, 43.8), cell)
    style = tiles.make_style(path)
    assert style.kind == "categorical"
    assert [(c, n, k) for c, n, k in style.classes] == list(CLASSES)  # from the RAT
    colours = {code: tuple(int(k[i:i + 2], 16) for i in (1, 3, 5)) for code, _, k in CLASSES}
    z = 9  # a tile pixel is ~305 m of EPSG:3857, ~220 m on the ground: smaller than a cell
    x, y = _tile_of(87.6, 43.8, z)
    image = _decode(tiles.render_tile(path, style, z, x, y))
    expected, ambiguous = _reference(path, z, x, y)
    assert (expected > 0).sum() > 1000 and (expected == -1).sum() > 1000  # cells and outside
    check = ~ambiguous
    assert np.array_equal(image[..., 3][check] == 0, (expected == -1)[check])
    for code, rgb in colours.items():
        hit = check & (expected == code)
        assert hit.any()
        assert (image[hit][:, :3] == rgb).all(), f"class {code}"
    # zoomed out (most frequent class of the covered cells): only class colours or transparent
    x3, y3 = _tile_of(87.6, 43.8, 5)
    small = _decode(tiles.render_tile(path, style, 5, x3, y3))
    shown = {tuple(p[:3]) for p in small[small[..., 3] > 0]}
    assert shown and shown <= set(colours.values())
    # a tile far away (Atlantic) does not touch the raster
    assert tiles.render_tile(path, style, 9, *_tile_of(-30.0, 40.0, 9)) is None


def test_continuous_scale_is_fixed_per_layer(tmp_path):
    """Two tiles of one layer colour equal values alike: the ramp's limits are the layer's 2nd and
    98th percentiles, not each tile's."""
    import rasterio
    from matplotlib import colormaps
    from rasterio.transform import from_origin

    from ecociv.web import tiles

    path = tmp_path / "gradient.tif"
    values = np.tile(np.arange(200, dtype="float32"), (100, 1))  # west -> east: 0 ... 199 mm/yr
    values[:, :3] = -9999
    with rasterio.open(path, "w", driver="GTiff", width=200, height=100, count=1,
                       dtype="float32", crs="EPSG:4326", nodata=-9999,
                       transform=from_origin(86.0, 44.5, 0.02, 0.02)) as dst:
        dst.write(values, 1)
    style = tiles.make_style(path, title="precipitation", units="mm/yr")
    valid = values[values > -9999]
    assert (style.low, style.high) == pytest.approx(tuple(np.percentile(valid, [2, 98])), rel=0.02)
    assert style.cmap == "YlGnBu"  # the report's ramp for water quantities
    ramp = colormaps[style.cmap]
    for lon in (86.5, 89.5):  # a western and an eastern tile
        z = 8
        x, y = _tile_of(lon, 44.0, z)
        image = _decode(tiles.render_tile(path, style, z, x, y))
        size = 2 * HALF / 2**z
        j = np.arange(256)
        lons = np.degrees((-HALF + x * size + (j + 0.5) * size / 256) / 6378137.0)
        cols = np.floor((lons - 86.0) / 0.02).astype(int)
        row = 128
        for jj in range(0, 256, 17):
            if 3 <= cols[jj] < 200 and abs((lons[jj] - 86.0) / 0.02 - round((lons[jj] - 86.0) / 0.02)) > 1e-6:
                norm = np.clip((cols[jj] - style.low) / (style.high - style.low), 0, 1)
                assert tuple(image[row, jj, :3]) == tuple(ramp(norm, bytes=True)[:3])


def test_tile_address_parsing():
    from ecociv.errors import InputError
    from ecociv.web import tiles

    assert tiles.parse_tile("0", "0", "0") == (0, 0, 0)
    for z, x, y in (("1", "2", "0"), ("23", "0", "0"), ("-1", "0", "0"), ("a", "0", "0"),
                    ("3", "0", "8")):
        with pytest.raises(InputError, match="tile"):
            tiles.parse_tile(z, x, y)
    # tile 1/0/0 is the north-west quarter of the Web Mercator square
    assert tiles.tile_bounds(1, 0, 0) == pytest.approx((-HALF, 0.0, 0.0, HALF))


@pytest.fixture
def env(tmp_path: Path):
    with make_client(tmp_path / "store") as client:
        yield client, {n: token(client, n) for n in ("plan", "view")}


def test_dataset_tiles_legend_cache_and_errors(env):
    client, t = env
    base = "/api/v1/datasets/belt/layers/land_use"
    legend = client.get(f"{base}/legend", headers=t["view"]).json()
    from ecociv.region.dataset import load_dataset

    classes = load_dataset("belt").layer("land_use").extra["classes"]
    assert legend["kind"] == "categorical"
    assert {c["code"]: c["name"] for c in legend["classes"]} == {int(k): v for k, v in classes.items()}
    west, south, east, north = legend["bounds_wgs84"]
    assert 75 < west < east < 100 and 35 < south < north < 50
    x, y = _tile_of(87.6, 43.8, 7)  # Urumqi, inside the Belt
    answer = client.get(f"{base}/tiles/7/{x}/{y}.png", headers=t["view"])
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    assert answer.headers["cache-control"].startswith("private, max-age=")
    image = _decode(answer.content)
    colours = {tuple(int(c["colour"][i:i + 2], 16) for i in (1, 3, 5)) for c in legend["classes"]}
    assert {tuple(p[:3]) for p in image[image[..., 3] > 0]} <= colours
    again = client.get(f"{base}/tiles/7/{x}/{y}.png",
                       headers={**t["view"], "If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert client.get(f"{base}/tiles/7/0/0.png", headers=t["view"]).status_code == 204
    for bad in ("7/128/0", "23/0/0", "x/1/1", "7/1/-1"):
        answer = client.get(f"{base}/tiles/{bad}.png", headers=t["view"])
        assert answer.status_code == 400 and "tile" in answer.json()["detail"], bad
    assert client.get(f"{base}/tiles/7/{x}/{y}.png?band=2", headers=t["view"]).status_code == 400
    assert client.get(f"{base}/tiles/7/{x}/{y}.png").status_code == 401
    assert client.get("/api/v1/datasets/belt/layers/units/tiles/1/1/0.png",
                      headers=t["view"]).status_code == 404
    dem = client.get("/api/v1/datasets/belt/layers/dem/legend", headers=t["view"]).json()
    assert dem["kind"] == "continuous" and dem["units"] == "m" and dem["min"] < dem["max"]


def test_dataset_cog_download(env, tmp_path):
    import rasterio

    from ecociv.region.dataset import load_dataset

    client, t = env
    answer = client.get("/api/v1/datasets/belt/layers/dem/cog", headers=t["view"])
    assert answer.status_code == 200
    target = tmp_path / "dem.tif"
    target.write_bytes(answer.content)
    with rasterio.open(target) as cog, rasterio.open(load_dataset("belt").layer("dem").path) as src:
        assert cog.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
        assert cog.crs == src.crs and cog.transform == src.transform
        assert np.array_equal(cog.read(1), src.read(1))


def test_result_tiles_from_a_run_folder(env):
    client, t = env
    store = Path(client.app.state.ecociv.store)
    step = store / "runs" / "run-tiles" / "classes"
    step.mkdir(parents=True)
    (step.parent / "manifest.json").write_text(json.dumps({"run_id": "run-tiles"}))
    _class_raster(step / "classes.tif", "EPSG:32645", (87.6, 43.8), 1000.0)
    legend = client.get("/api/v1/results/run-tiles/legend/classes/classes.tif",
                        headers=t["view"]).json()
    assert [(c["code"], c["name"], c["colour"]) for c in legend["classes"]] == list(CLASSES)
    x, y = _tile_of(87.6, 43.8, 9)
    answer = client.get(f"/api/v1/results/run-tiles/tiles/classes/classes.tif/9/{x}/{y}.png",
                        headers=t["view"])
    assert answer.status_code == 200
    expected, ambiguous = _reference(step / "classes.tif", 9, x, y)
    image = _decode(answer.content)
    assert np.array_equal((image[..., 3] == 0)[~ambiguous], (expected == -1)[~ambiguous])
    assert client.get(f"/api/v1/results/run-tiles/tiles/classes/../../../web/web.sqlite/9/{x}/{y}.png",
                      headers=t["view"]).status_code == 404
    assert client.get("/api/v1/results/run-tiles/tiles/classes/classes.tif/9/999/1.png",
                      headers=t["view"]).status_code == 400
    # once the run is a private web run of another user, its tiles and legend are not found
    from ecociv.web.db import now

    client.app.state.ecociv.db.execute(
        "INSERT INTO jobs (id, owner, scenario_id, status, run_id, shared, created) VALUES "
        "('j-tiles', 'plan', 's', 'completed', 'run-tiles', 0, ?)", (now(),))
    for url in (f"/api/v1/results/run-tiles/tiles/classes/classes.tif/9/{x}/{y}.png",
                "/api/v1/results/run-tiles/legend/classes/classes.tif"):
        assert client.get(url, headers=t["view"]).status_code == 404
        assert client.get(url, headers=t["plan"]).status_code == 200


def test_multiband_layer_one_scale_per_band(env):
    """precipitation_monthly has 12 bands (months): each band has its own legend, computed from
    that band's valid cells (2-98 %), and its own tiles."""
    import rasterio

    from ecociv.region.dataset import load_dataset

    client, t = env
    base = "/api/v1/datasets/belt/layers/precipitation_monthly"
    january = client.get(f"{base}/legend", headers=t["view"]).json()
    july = client.get(f"{base}/legend?band=7", headers=t["view"]).json()
    assert january["bands"] == july["bands"] == 12 and len(july["band_names"]) == 12
    with rasterio.open(load_dataset("belt").layer("precipitation_monthly").path) as src:
        for legend, band in ((january, 1), (july, 7)):
            values = src.read(band, masked=True).compressed().astype(float)
            low, high = np.percentile(values, [2, 98])
            # the legend reads the band at half resolution (at most 1024 cells a side)
            assert legend["min"] == pytest.approx(low, abs=0.05 * (high - low))
            assert legend["max"] == pytest.approx(high, abs=0.05 * (high - low))
    assert (january["min"], january["max"]) != (july["min"], july["max"])
    x, y = _tile_of(87.6, 43.8, 6)
    one = client.get(f"{base}/tiles/6/{x}/{y}.png", headers=t["view"])
    seven = client.get(f"{base}/tiles/6/{x}/{y}.png?band=7", headers=t["view"])
    assert one.status_code == seven.status_code == 200
    assert one.headers["etag"] != seven.headers["etag"] and one.content != seven.content
    assert client.get(f"{base}/legend?band=13", headers=t["view"]).status_code == 400


def test_tile_addresses_fuzzed(env):
    """Any integer tile address: 400 when impossible (z outside 0-22, x or y outside
    0 .. 2**z - 1), else 200 (PNG) or 204 (no data there); never a server error."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    client, t = env

    @settings(max_examples=30, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(z=st.integers(-2, 25), x=st.integers(-3, 2**25), y=st.integers(-3, 2**25))
    def check(z, x, y):
        answer = client.get(f"/api/v1/datasets/belt/layers/land_use/tiles/{z}/{x}/{y}.png",
                            headers=t["view"])
        possible = 0 <= z <= 22 and 0 <= x < 2**z and 0 <= y < 2**z
        assert answer.status_code in ((200, 204) if possible else (400,)), (z, x, y)

    check()
