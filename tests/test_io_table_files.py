"""Tables written for people (io/table_files.py): CSV in UTF-8 with a byte-order mark (Excel on a
Chinese-locale Windows reads a CSV without it as GBK and garbles ``name_zh``), read back by
ecociv's own readers, and XLSX workbooks."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from ecociv.execute import run_in_memory
from ecociv.io.table_files import CSV_ENCODING, copy_csv, write_table, write_workbook
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


# write_table's fast path against the peer it replaces: pandas' DataFrame.to_csv with the same
# arguments (pandas 2.x, csv.writer QUOTE_MINIMAL), compared byte for byte.

def _pandas_bytes(frame: pd.DataFrame, path: Path, index: bool) -> bytes:
    frame.to_csv(path, index=index, encoding=CSV_ENCODING)
    return path.read_bytes()


SPECIAL_FLOATS = [0.0, -0.0, np.nan, np.inf, -np.inf, 1e-300, 1e300, 5e-324, 1e16, 1e-5, 1e-4,
                  0.1, 1 / 3, 123456789.125, -2.5e-7, 9_560_000.0]
TEXT = st.text(st.sampled_from(list("ab z,\"'\n\r\t;\\#乌鲁木齐昌吉é\u3000")), max_size=6)


def _column(draw: st.DrawFn, kind: str, rows: int) -> Any:
    if kind in ("float64", "float32"):
        values = draw(st.lists(st.one_of(st.sampled_from(SPECIAL_FLOATS),
                                         st.floats(allow_nan=True, width=64 if kind == "float64"
                                                   else 32)), min_size=rows, max_size=rows))
        with np.errstate(over="ignore"):  # 1e300 as float32 is inf
            return np.array(values, dtype=kind)
    if kind in ("int64", "int32", "uint8"):
        info = np.iinfo(kind)
        return np.array(draw(st.lists(st.integers(int(info.min), int(info.max)), min_size=rows,
                                      max_size=rows)), dtype=kind)
    if kind == "bool":
        return np.array(draw(st.lists(st.booleans(), min_size=rows, max_size=rows)), dtype=bool)
    missing = st.sampled_from([None, np.nan, pd.NA])
    if kind == "str":
        return pd.Series(draw(st.lists(st.one_of(TEXT, missing), min_size=rows, max_size=rows)),
                         dtype=object)
    if kind == "mixed":  # objects the fast path leaves to pandas
        return pd.Series(draw(st.lists(st.one_of(TEXT, st.integers(), st.floats(), missing),
                                       min_size=rows, max_size=rows)), dtype=object)
    if kind == "category":
        return pd.Categorical(draw(st.lists(st.sampled_from(["a", "b,c"]), min_size=rows,
                                            max_size=rows)))
    if kind == "Int64":
        return pd.array(draw(st.lists(st.one_of(st.integers(-5, 5), st.none()), min_size=rows,
                                      max_size=rows)), dtype="Int64")
    return pd.date_range("2020-01-01", periods=rows, freq="D")  # datetime64


KINDS = ["float64", "float32", "int64", "int32", "uint8", "bool", "str", "mixed", "category",
         "Int64", "datetime64"]
PLAIN = KINDS[:7]


@st.composite
def frames(draw: st.DrawFn, kinds: list[str] = KINDS) -> tuple[pd.DataFrame, bool]:
    rows = draw(st.integers(0, 12))
    labels = draw(st.lists(st.one_of(TEXT, st.integers(0, 3)), min_size=1, max_size=5))
    frame = pd.DataFrame({position: _column(draw, draw(st.sampled_from(kinds)), rows)
                          for position in range(len(labels))})
    frame.columns = labels  # duplicates and integer labels allowed
    index = draw(st.booleans())
    if index:
        frame.index = draw(st.sampled_from([
            pd.RangeIndex(rows), pd.Index(_column(draw, "float64", rows)),
            pd.Index(_column(draw, "str", rows), dtype=object),
            pd.MultiIndex.from_arrays([range(rows), range(rows)]),
        ]))
        frame.index.name = draw(st.one_of(st.none(), TEXT))
    return frame, index


@given(frames())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_write_table_writes_the_bytes_of_pandas(tmp_path_factory: pytest.TempPathFactory,
                                                case: tuple[pd.DataFrame, bool]) -> None:
    frame, index = case
    folder = tmp_path_factory.mktemp("csv")
    expected = _pandas_bytes(frame, folder / "pandas.csv", index)
    assert write_table(frame, folder / "ecociv.csv", index=index).read_bytes() == expected


@given(frames(PLAIN))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_plain_frames_take_the_fast_path(tmp_path_factory: pytest.TempPathFactory,
                                         case: tuple[pd.DataFrame, bool]) -> None:
    frame, index = case
    plain = (frame.shape[1] + index >= 2 and all(isinstance(c, str) for c in frame.columns)
             and not (index and (isinstance(frame.index, pd.MultiIndex)
                                 or not isinstance(frame.index.name, str | None))))
    folder = tmp_path_factory.mktemp("csv")
    expected = _pandas_bytes(frame, folder / "pandas.csv", index)
    with mock.patch.object(pd.DataFrame, "to_csv", side_effect=AssertionError("pandas")) as peer:
        if plain:
            assert write_table(frame, folder / "ecociv.csv", index=index).read_bytes() == expected
        else:
            with pytest.raises(AssertionError, match="pandas"):
                write_table(frame, folder / "ecociv.csv", index=index)
    assert peer.call_count == (0 if plain else 1)


def test_write_table_edge_frames(tmp_path: Path) -> None:
    long = pd.DataFrame({"month": np.repeat([f"1991-{m:02d}" for m in range(1, 13)], 6000),
                         "flow_m3": np.tile([9_560_000.0, -0.0, np.nan, 0.1, 1e300, -1e-300],
                                            12_000),
                         "name_zh": np.tile(["乌鲁木齐市", 'a "b", c', " d\n", "", "x", "\r"],
                                            12_000)})  # more rows than one chunk of the fast path
    cases = [
        (long, False),
        (pd.DataFrame({"a": [], "b": []}), False),
        (pd.DataFrame({"a": pd.Series([], dtype=float), "b": pd.Series([], dtype=object)}), True),
        (pd.DataFrame({"only": [np.nan, 1.0]}), False),  # one column: an empty row is '""'
        (pd.DataFrame({"only": ["", "x"]}), True),
        (pd.DataFrame({"a": [np.nan, np.nan], "b": [None, None]}), False),
        (pd.DataFrame({"a,b": [1, 2], 'c"d': [True, False], "名称": ["甲", "乙"]}), False),
    ]
    for number, (frame, index) in enumerate(cases):
        expected = _pandas_bytes(frame, tmp_path / f"pandas{number}.csv", index)
        written = write_table(frame, tmp_path / f"ecociv{number}.csv", index=index)
        assert written.read_bytes() == expected, number


def test_compressed_paths_and_missing_folders_go_to_pandas(tmp_path: Path) -> None:
    write_table(PREFECTURES, tmp_path / "p.csv.gz")
    assert pd.read_csv(tmp_path / "p.csv.gz").equals(PREFECTURES)  # gzip, as pandas writes it
    with pytest.raises(OSError, match="non-existent directory"):
        write_table(PREFECTURES, tmp_path / "absent" / "p.csv")


def test_model_tables_write_the_bytes_of_pandas(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Every table of the water_allocation example (monthly flows, mass balance, deliveries...)."""
    from ecociv.execute import write as execute_write
    from ecociv.models.water_allocation.model import MODEL as WATER

    compared = []

    def both(frame: pd.DataFrame, path: Path, *, index: bool = False) -> Path:
        written = write_table(frame, path, index=index)
        expected = _pandas_bytes(frame, tmp_path / "pandas.csv", index)
        assert written.read_bytes() == expected, path.name
        compared.append(path.name)
        return written

    monkeypatch.setattr(execute_write, "write_table", both)
    run_in_memory(WATER, WATER.example(), tmp_path / "water")
    assert {"flows.csv", "mass_balance.csv", "deliveries.csv", "lakes.csv"} <= set(compared)
