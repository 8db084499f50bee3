"""Vector layers against a VectorInput (io/vectors.py)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from affine import Affine
from shapely.geometry import Point, Polygon, box

from ecociv.errors import InputError, InputWarning
from ecociv.grid.io import ReadNotes
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.io.vectors import read_vector
from ecociv.spec import Column, VectorInput

SPEC = VectorInput(id="zones", about="zones", geometry="polygon",
                   fields=(Column(id="name", about="zone name", units=None, dtype="str"),))
GRID = GridSpec.from_crs(CHINA_ALBERS, Affine(30, 0, 0, 0, -30, 5_000_000), (10, 10))


def write(tmp_path: Path, frame: gpd.GeoDataFrame, name: str = "zones.gpkg") -> Path:
    path = tmp_path / name
    frame.to_file(path, driver="GPKG", engine="pyogrio")
    return path


def test_reprojected_to_the_grid_and_noted(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame({"NAME": ["Manas"]}, geometry=[box(86, 44, 87, 45)], crs="EPSG:4326")
    notes = ReadNotes()
    with pytest.warns(InputWarning, match="no feature overlaps the run grid"):  # far from GRID
        read = read_vector(write(tmp_path, frame), SPEC, GRID, notes)
    assert list(read.columns) == ["name", "geometry"]  # field names matched case-insensitively
    assert read.crs.equals(GRID.crs)
    assert notes.messages and "reprojected from EPSG:4326 to the grid CRS" in notes.messages[0]


def test_invalid_polygon_is_repaired_and_noted(tmp_path: Path) -> None:
    bowtie = Polygon([(0, 4_999_900), (10, 4_999_910), (10, 4_999_900), (0, 4_999_910)])
    frame = gpd.GeoDataFrame({"name": ["x"]}, geometry=[bowtie], crs=CHINA_ALBERS)
    notes = ReadNotes()
    read = read_vector(write(tmp_path, frame), SPEC, GRID, notes)
    assert read.geometry.is_valid.all()
    assert any("1 invalid geometries repaired" in m for m in notes.messages)


def test_wrong_geometry_type(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame({"name": ["a"]}, geometry=[Point(1, 1)], crs=CHINA_ALBERS)
    path = write(tmp_path, frame)
    with pytest.raises(InputError) as err:
        read_vector(path, SPEC, GRID, ReadNotes())
    assert str(err.value) == f"vector 'zones' ({path}): expected polygon geometries, found ['Point']"


def test_missing_field(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame({"county": ["a"]}, geometry=[box(0, 0, 1, 1)], crs=CHINA_ALBERS)
    with pytest.raises(InputError, match=r"missing field\(s\) \['name'\]; fields found: \['county'"):
        read_vector(write(tmp_path, frame), SPEC, GRID, ReadNotes())


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_no_crs(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame({"name": ["a"]}, geometry=[box(0, 0, 1, 1)])
    with pytest.raises(InputError, match="layer has no coordinate reference system"):
        read_vector(write(tmp_path, frame), SPEC, GRID, ReadNotes())


def test_no_features(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame({"name": ["a"]}, geometry=[box(0, 0, 1, 1)], crs=CHINA_ALBERS).iloc[:0]
    with pytest.raises(InputError, match="layer has no features"):
        read_vector(write(tmp_path, frame), SPEC, GRID, ReadNotes())


@pytest.mark.parametrize(("content", "expected"), [("", "file is empty"),
                                                    ("lucode,x\n1,2\n", "not a readable vector file")])
def test_empty_or_non_vector_file(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "zones.gpkg"
    path.write_text(content)
    with pytest.raises(InputError, match=expected) as err:
        read_vector(path, SPEC, GRID, ReadNotes())
    assert f"vector 'zones' ({path})" in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file does not exist"):
        read_vector(tmp_path / "none.gpkg", SPEC, GRID, ReadNotes())


def test_a_layer_read_for_several_inputs_is_read_once(tmp_path: Path, monkeypatch) -> None:
    # a scenario check reads the layer its steps' zones name once; each input is checked on a
    # copy, as if read on its own (its own field checks and errors, the same frame)
    from ecociv.io import vectors

    frame = gpd.GeoDataFrame({"NAME": ["a", "b"], "Code": [1, 2]},
                             geometry=[box(0, 4_999_700, 150, 4_999_850), box(150, 4_999_700, 300, 4_999_850)],
                             crs=CHINA_ALBERS)
    path = write(tmp_path, frame)
    other = VectorInput(id="units", about="units", geometry="polygon",
                        fields=(Column(id="code", about="code", units=None, dtype="int"),))
    alone = [read_vector(path, spec, GRID, ReadNotes()) for spec in (SPEC, other)]
    calls: list[object] = []
    real = gpd.read_file
    monkeypatch.setattr(gpd, "read_file", lambda *a, **k: (calls.append(a), real(*a, **k))[1])
    read: dict = {}
    shared = [read_vector(path, spec, GRID, ReadNotes(), read) for spec in (SPEC, other, SPEC)]
    assert len(calls) == 1
    for a, b in zip(shared, [*alone, alone[0]], strict=True):
        assert a.equals(b) and list(a.columns) == list(b.columns)
    missing = VectorInput(id="zones2", about="z", geometry="polygon",
                          fields=(Column(id="absent", about="x", units=None, dtype="str"),))
    with pytest.raises(InputError, match=r"vector 'zones2'.*|missing field"):
        read_vector(path, missing, GRID, ReadNotes(), read)
    assert len(calls) == 1
    columns = [vectors.vector_columns(path, spec, read) for spec in (SPEC, other)]
    assert list(columns[0].columns) == ["name", "code"] and "vector 'units'" in columns[1].attrs["source"]
