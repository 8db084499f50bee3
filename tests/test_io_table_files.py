"""Tables written for people (io/table_files.py): CSV in UTF-8 with a byte-order mark (Excel on a
Chinese-locale Windows reads a CSV without it as GBK and garbles ``name_zh``), read back by
ecociv's own readers, and XLSX workbooks."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from ecociv.execute import run_in_memory
from ecociv.io.table_files import copy_csv, write_table, write_workbook
from ecociv.io.tables import read_table
from ecociv.models.carbon.model import MODEL as CARBON
from ecociv.spec import Column, TableInput

BOM = b"\xef\xbb\xbf"

PREFECTURES = pd.DataFrame({"adcode": [650100, 652300], "name_zh": ["乌鲁木齐市", "昌吉回族自治州"],
                            "area_km2": [13_788.0, 73_139.5]})
SPEC = TableInput(id="prefectures", about="prefectures", index="adcode", columns=(
    Column(id="adcode", about="code", units=None, dtype="int"),
    Column(id="name_zh", about="Chinese name", units=None, dtype="str"),
    Column(id="area_km2", about="area", units="km**2"),
))


def test_csv_has_a_byte_order_mark_and_chinese_in_utf8(tmp_path: Path) -> None:
    path = write_table(PREFECTURES, tmp_path / "p.csv")
    data = path.read_bytes()
    assert data.startswith(BOM) and not data[3:].startswith(BOM)
    assert "乌鲁木齐市".encode() in data
    assert data[3:].decode("utf-8").splitlines()[0] == "adcode,name_zh,area_km2"


def test_round_trip_through_ecociv_readers(tmp_path: Path) -> None:
    path = write_table(PREFECTURES, tmp_path / "p.csv")
    table = read_table(path, SPEC)
    assert list(table.columns) == ["adcode", "name_zh", "area_km2"]  # no "\ufeffadcode"
    assert table.set_index("adcode").loc[650100, "name_zh"] == "乌鲁木齐市"
    pd.testing.assert_frame_equal(pd.read_csv(path), PREFECTURES)  # pandas drops the mark itself
    with open(path, encoding="utf-8-sig", newline="") as handle:
        assert next(csv.DictReader(handle))["adcode"] == "650100"


def test_copy_adds_the_mark_once(tmp_path: Path) -> None:
    plain = tmp_path / "plain.csv"
    plain.write_text("file,name_zh\na.tif,高程\n", encoding="utf-8")
    copied = copy_csv(plain, tmp_path / "copied.csv")
    assert copied.read_bytes() == BOM + plain.read_bytes()
    again = copy_csv(copied, tmp_path / "again.csv")
    assert again.read_bytes() == copied.read_bytes()


def test_workbook_sheets_hold_chinese_text(tmp_path: Path) -> None:
    names = pd.DataFrame({"sheet?": ["x"]})
    path = write_workbook({"prefectures": PREFECTURES, "a/b [c]": names,
                           "a_b _c_": names, "x" * 40: names}, tmp_path / "summary.xlsx")
    book = load_workbook(path, read_only=False)
    assert book.sheetnames == ["prefectures", "a_b _c_", "a_b _c_ (2)", "x" * 31]
    sheet = book["prefectures"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows == [("adcode", "name_zh", "area_km2"), (650100, "乌鲁木齐市", 13788),
                    (652300, "昌吉回族自治州", 73139.5)]
    assert sheet.freeze_panes == "A2"
    # 7 wide characters: 14 columns of text plus a margin
    assert sheet.column_dimensions["B"].width == pytest.approx(16)


def test_model_table_outputs_carry_the_mark(tmp_path: Path) -> None:
    manifest = run_in_memory(CARBON, CARBON.example(), tmp_path / "carbon")
    tables = [meta["path"] for meta in manifest["outputs"].values() if meta["type"] == "table"]
    assert tables
    for name in tables:
        data = (tmp_path / "carbon" / name).read_bytes()
        assert data.startswith(BOM), name
        assert not pd.read_csv(tmp_path / "carbon" / name).columns[0].startswith("\ufeff")


def test_et0_command_writes_the_mark(capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from importlib.resources import files

    from tests.cli_helper import run_ecociv

    stations = Path(str(files("ecociv") / "data" / "example" / "stations_synthetic.csv"))
    out = tmp_path / "et0.csv"
    code, _, err = run_ecociv(capsys, monkeypatch, "et0", "--stations", str(stations), "--out",
                              str(out), "--time-step", "monthly")
    assert code == 0, err
    assert out.read_bytes().startswith(BOM)
    assert "et0_mm_day" in pd.read_csv(out).columns
