"""Uploads: a corpus of bad files, each refused with a message naming the file and what was
expected, and nothing stored; good files stored in the user's own folder."""

from __future__ import annotations

import gzip
import io
import sqlite3
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests.web_helpers import EXAMPLE, make_client, token

pytest.importorskip("fastapi")


@pytest.fixture
def env(tmp_path: Path):
    with make_client(tmp_path / "store") as client:
        yield client, {n: token(client, n) for n in ("plan", "view", "plan2")}


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.csv", b"0" * 20_000_000)  # 20 MB of zeros in ~20 kB
    return buffer.getvalue()


def _huge_declared_tiff(path: Path) -> bytes:
    """A tiny compressed GeoTIFF that declares 100 000 x 100 000 float64 cells (80 GB)."""
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", width=100_000, height=100_000, count=1,
                       dtype="float64", crs="EPSG:32645", compress="deflate", tiled=True,
                       sparse_ok=True, transform=from_origin(0, 0, 30, 30)) as dst:
        dst.write(np.zeros((1, 256, 256)), window=((0, 256), (0, 256)))
    return path.read_bytes()


def _sqlite_not_gpkg(path: Path) -> bytes:
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE t (x)")
    connection.commit()
    connection.close()
    return path.read_bytes()


def _corpus(tmp: Path) -> list[tuple[str, bytes, str]]:
    tif = (EXAMPLE / "precipitation_synthetic.tif").read_bytes()
    return [
        ("../evil.csv", b"a,b\n1,2\n", "give a plain file name"),
        ("..\\evil.csv", b"a,b\n1,2\n", "give a plain file name"),
        ("sub/x.csv", b"a,b\n1,2\n", "give a plain file name"),
        (".hidden.csv", b"a,b\n1,2\n", "give a plain file name"),
        ("x.scenario.yaml", b"name: x\n", "kept for scenarios"),
        ("x.exe", b"MZ\x90\x00", "is not accepted"),
        ("noext", b"a,b\n", "is not accepted"),
        ("bomb.csv", _zip_bomb(), "zip archives are not accepted"),
        ("bomb.tif", gzip.compress(b"\x00" * 1_000_000), "gzip archives are not accepted"),
        ("fake.tif", b"a,b\n1,2\n", "not a GeoTIFF"),
        ("fake.gpkg", tif, "not a GeoPackage"),
        ("plain.gpkg", _sqlite_not_gpkg(tmp / "plain.sqlite"), "not a GeoPackage"),
        ("binary.csv", b"a,b\n\x00\x01\x02\n", "not a text file"),
        ("latin.csv", "a,b\nSchöne,2\n".encode("latin-1") + b"x" * 10, "not UTF-8 text"),
        ("empty.csv", b"", "the file is empty"),
        ("bad.yaml", b"a: [1, 2\n", "not valid YAML"),
        ("truncated.tif", tif[:600], "not a readable raster"),
        ("huge.tif", _huge_declared_tiff(tmp / "huge.tif"), "more than 8.6 GB"),
    ]


def test_bad_upload_corpus(env, tmp_path):
    client, t = env
    folder = Path(client.app.state.ecociv.store) / "web" / "users" / "plan"
    for name, content, message in _corpus(tmp_path):
        answer = client.post("/api/v1/uploads", headers=t["plan"], files={"file": (name, content)})
        assert answer.status_code == 400, (name, answer.text)
        assert message in answer.json()["detail"], (name, answer.json())
        assert name.split("/")[-1].split("\\")[-1].lstrip(".") in answer.json()["detail"] or \
            "upload name" in answer.json()["detail"]
    # nothing was stored, not even a temporary file, and nothing outside the folder
    assert sorted(p.name for p in folder.iterdir()) == []
    assert not (folder.parent / "evil.csv").exists()


def test_truncated_geotiff_gets_the_cli_message(env, tmp_path):
    """The message of a cut GeoTIFF is the one ecociv's raster reader gives."""
    from ecociv.errors import InputError
    from ecociv.grid.io import grid_of

    client, t = env
    cut = (EXAMPLE / "precipitation_synthetic.tif").read_bytes()[:600]
    local = tmp_path / "cut.tif"
    local.write_bytes(cut)
    with pytest.raises(InputError) as err:
        grid_of(local, name="cut.tif")
    answer = client.post("/api/v1/uploads", headers=t["plan"], files={"file": ("cut.tif", cut)})
    assert answer.status_code == 400
    # the same words, with the server's own path left out
    assert answer.json()["detail"] == str(err.value).replace(f" ({local})", "")
    assert str(client.app.state.ecociv.store) not in answer.json()["detail"]


def test_size_limit(env, monkeypatch):
    from ecociv.web import uploads

    client, t = env
    monkeypatch.setattr(uploads, "MAX_BYTES", 10_000)
    answer = client.post("/api/v1/uploads", headers=t["plan"],
                         files={"file": ("big.csv", b"a,b\n" + b"1,2\n" * 5000)})
    assert answer.status_code == 413 and "larger than" in answer.json()["detail"]


def test_good_uploads_are_private(env):
    client, t = env
    for path in (EXAMPLE / "precipitation_synthetic.tif", EXAMPLE / "watersheds_synthetic.gpkg",
                 EXAMPLE / "biophysical_illustrative.csv", EXAMPLE / "scenario.yaml"):
        answer = client.post("/api/v1/uploads", headers=t["plan"],
                             files={"file": (path.name, path.read_bytes())})
        assert answer.status_code == 201, answer.text
        assert answer.json()["bytes"] == path.stat().st_size
    names = [u["name"] for u in client.get("/api/v1/uploads", headers=t["plan"]).json()]
    assert "precipitation_synthetic.tif" in names and len(names) == 4
    assert client.get("/api/v1/uploads", headers=t["plan2"]).json() == []
    assert client.get("/api/v1/uploads", headers=t["view"]).status_code == 403
    assert client.post("/api/v1/uploads", headers=t["view"],
                       files={"file": ("a.csv", b"a\n1\n")}).status_code == 403
    # a name with folders matches no upload route (404, or 405 from the dashboard's static files)
    answer = client.delete("/api/v1/uploads/..%2F..%2Fweb.sqlite", headers=t["plan"])
    assert answer.status_code in (404, 405)
    assert (Path(client.app.state.ecociv.store) / "web" / "web.sqlite").exists()
    assert client.delete("/api/v1/uploads/..web.sqlite", headers=t["plan"]).status_code == 404
    assert client.delete("/api/v1/uploads/scenario.yaml", headers=t["plan2"]).status_code == 404
    assert client.delete("/api/v1/uploads/scenario.yaml", headers=t["plan"]).status_code == 200
