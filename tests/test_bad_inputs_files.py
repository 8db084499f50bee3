"""A file of the wrong kind given for an input: a workbook, a GeoPackage or a semicolon CSV as a
table; a raster, a folder or a broken file as a vector layer. Each once gave a misleading message
("not UTF-8 text ... convert it from GBK", GDAL's advice on driver prefixes, or a list with one
column named 'lucode;c_above;...'); each now says what the file is and what was expected."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from ecociv.errors import InputError, InputWarning
from ecociv.grid.io import ReadNotes
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.io.tables import read_table
from ecociv.io.vectors import read_vector
from ecociv.spec import Column, TableInput, VectorInput

EXAMPLE = Path(__file__).parents[1] / "src" / "ecociv" / "data" / "example"
TABLE = TableInput(id="pools", about="pools", index="lucode", columns=(
    Column(id="lucode", about="code", units=None, dtype="int"),
    Column(id="c_above", about="carbon", units="t/ha")))
ZONES = VectorInput(id="zones", about="zones", geometry="polygon")


def _grid() -> GridSpec:
    from affine import Affine

    return GridSpec.from_crs(CHINA_ALBERS, Affine(100, 0, 0, 0, -100, 5_000_000), (3, 3))


def _table_error(path: Path) -> str:
    with pytest.raises(InputError) as caught:
        read_table(path, TABLE)
    return str(caught.value)


def _vector_error(path: Path) -> str:
    with pytest.raises(InputError) as caught:
        read_vector(path, ZONES, _grid(), ReadNotes())
    return str(caught.value)


def test_geopackage_as_a_table(tmp_path: Path) -> None:
    message = _table_error(shutil.copy(EXAMPLE / "watersheds_synthetic.gpkg", tmp_path))
    assert "is a GeoPackage or SQLite database, not a CSV table" in message
    assert "UTF-8" not in message.split("Save As")[0]  # not the encoding advice


def test_workbook_as_a_table(tmp_path: Path) -> None:
    path = tmp_path / "pools.xlsx"
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)  # a zip container, as .xlsx files are
    assert "is an Excel workbook or another zip file, not a CSV table" in _table_error(path)


def test_raster_as_a_table(tmp_path: Path) -> None:
    message = _table_error(shutil.copy(EXAMPLE / "land_use_synthetic.tif", tmp_path))
    assert "is a TIFF raster, not a CSV table" in message


def test_semicolon_separated_table(tmp_path: Path) -> None:
    path = tmp_path / "pools.csv"
    path.write_text("lucode;c_above\n1;5\n")
    message = _table_error(path)
    assert "line 1: the header 'lucode;c_above' is separated by semicolons; expected commas" in message


def test_gbk_text_still_gets_the_encoding_advice(tmp_path: Path) -> None:
    path = tmp_path / "pools.csv"
    path.write_bytes("lucode,c_above,name\n1,5,耕地\n".encode("gbk"))
    assert "not UTF-8 text" in _table_error(path)


def test_raster_as_zones(tmp_path: Path) -> None:
    message = _vector_error(shutil.copy(EXAMPLE / "land_use_synthetic.tif", tmp_path))
    assert "is a raster, not a vector file; expected a polygon vector file" in message


def test_folder_as_zones(tmp_path: Path) -> None:
    assert "is a folder; expected a polygon vector file" in _vector_error(tmp_path)


def test_broken_vector_file(tmp_path: Path) -> None:
    path = tmp_path / "zones.gpkg"
    path.write_text("not a GeoPackage")
    message = _vector_error(path)
    assert "not a readable vector file" in message and "expected a polygon vector file" in message
    assert "It might help" not in message  # GDAL's advice on driver prefixes is not for users


def test_good_files_still_read(tmp_path: Path) -> None:
    path = tmp_path / "pools.csv"
    path.write_text("lucode,c_above\n1,5\n")
    assert read_table(path, TABLE)["c_above"].tolist() == [5.0]
    with pytest.warns(InputWarning):  # the example's watersheds lie far from this 3×3 grid
        frame = read_vector(EXAMPLE / "watersheds_synthetic.gpkg", ZONES, _grid(), ReadNotes())
    assert len(frame) > 0 and np.isfinite(frame.total_bounds).all()


@pytest.mark.parametrize(("cell", "units", "hint"), [
    ("5%", "", "this column is a fraction: write 0.05, not 5%"),
    ("5 %", "percent", "write the number without the % sign"),
    ("５", "t/ha", "full-width characters"),
    ("0．5", "", "full-width characters"),
    ("5 t/ha", "t/ha", "units are not written in cells: this column is in t/ha"),
])
def test_why_a_cell_is_not_a_number(tmp_path: Path, cell: str, units: str, hint: str) -> None:
    spec = TableInput(id="t", about="t", columns=(Column(id="value", about="v", units=units),))
    path = tmp_path / "t.csv"
    path.write_text(f"value\n{cell}\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_table(path, spec)
    assert f"line 2, column 'value': {cell!r} is not a number" in str(caught.value)
    assert hint in str(caught.value)
