"""CSV tables against a TableInput (io/tables.py): every problem names the file, the CSV line
and the column, and says what was expected."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecociv.errors import InputError
from ecociv.io.tables import check_table, read_table
from ecociv.spec import Column, TableInput

CsvWriter = Callable[[str, str], Path]

POOLS = TableInput(
    id="carbon_pools",
    about="carbon densities",
    index="lucode",
    columns=(
        Column(id="lucode", about="code", units=None, dtype="int"),
        Column(id="c_above", about="aboveground", units="t/ha", ge=0, le=1000),
        Column(id="c_soil", about="soil", units="t/ha", ge=0),
        Column(id="irrigated", about="flag", units=None, dtype="bool", required=False),
        Column(id="note", about="free text", units=None, dtype="str", required=False),
    ),
)


def read(write_csv: CsvWriter, text: str, name: str = "pools.csv") -> pd.DataFrame:
    return read_table(write_csv(name, text), POOLS)


def error(write_csv: CsvWriter, text: str) -> str:
    with pytest.raises(InputError) as err:
        read(write_csv, text)
    message = str(err.value)
    assert message.startswith("table 'carbon_pools' (") and "pools.csv" in message
    return message


def test_valid_table_is_typed(write_csv: CsvWriter) -> None:
    frame = read(write_csv, "lucode,c_above,c_soil,irrigated,note\n1,5,60,1,crop\n2,2.5,40,0,grass\n")
    assert frame["lucode"].tolist() == [1, 2] and frame["lucode"].dtype == np.int64
    assert frame["c_above"].tolist() == [5.0, 2.5]
    assert frame["irrigated"].tolist() == [1, 0]
    assert frame["note"].tolist() == ["crop", "grass"]
    assert frame.attrs["lines"] == [2, 3]


def test_headers_are_case_insensitive_and_stripped_invest_style(write_csv: CsvWriter) -> None:
    # InVEST tables spell headers LULC / C_Above; a BOM from Excel and spaces are tolerated
    frame = read(write_csv, "\ufeff LUCODE ,C_Above,c_SOIL,Description\n1,5,60,forest\n")
    assert list(frame.columns) == ["lucode", "c_above", "c_soil", "description"]
    assert frame["c_soil"].iloc[0] == 60.0


def test_missing_column(write_csv: CsvWriter) -> None:
    message = error(write_csv, "lucode,c_above\n1,5\n")
    assert "missing required column(s) ['c_soil']" in message
    assert "columns found: ['lucode', 'c_above']" in message


def test_missing_key_column(write_csv: CsvWriter) -> None:
    spec = TableInput(id="t", about="t", index="lucode",
                      columns=(Column(id="lucode", about="c", units=None, dtype="int", required=False),))
    with pytest.raises(InputError, match="missing key column 'lucode'"):
        read_table(write_csv("t.csv", "code\n1\n"), spec)


def test_duplicate_code(write_csv: CsvWriter) -> None:
    # "2" and "2.0" are the same code once typed
    message = error(write_csv, "lucode,c_above,c_soil\n1,5,60\n2,2,40\n3,1,1\n2.0,3,30\n")
    assert "duplicate code 2 in key column 'lucode' (lines [3, 5])" in message


@pytest.mark.parametrize("blank", ["", "NaN", "nan", "NA", "null", " "])
def test_blank_or_nan_cell(write_csv: CsvWriter, blank: str) -> None:
    message = error(write_csv, f"lucode,c_above,c_soil\n1,5,60\n2,{blank},40\n")
    assert "line 3, column 'c_above'" in message
    assert "missing value; expected a float in t/ha" in message


def test_blank_cell_in_optional_column_is_missing_not_zero(write_csv: CsvWriter) -> None:
    frame = read(write_csv, "lucode,c_above,c_soil,irrigated\n1,5,60,\n2,2,40,1\n")
    assert pd.isna(frame["irrigated"].iloc[0]) and frame["irrigated"].iloc[1] == 1


def test_units_inside_a_cell(write_csv: CsvWriter) -> None:
    message = error(write_csv, "lucode,c_above,c_soil\n1,12 t/ha,60\n")
    assert "line 2, column 'c_above'" in message
    assert "'12 t/ha' is not a number (units are not written in cells: this column is in t/ha)" in message


def test_non_integer_code(write_csv: CsvWriter) -> None:
    message = error(write_csv, "lucode,c_above,c_soil\n1,5,60\n2.5,2,40\n")
    assert "line 3, column 'lucode': '2.5' is not an integer" in message


def test_text_code(write_csv: CsvWriter) -> None:
    message = error(write_csv, "lucode,c_above,c_soil\nforest,5,60\n")
    assert "line 2, column 'lucode': 'forest' is not a number; expected a int" in message


def test_out_of_range_value(write_csv: CsvWriter) -> None:
    message = error(write_csv, "lucode,c_above,c_soil\n1,5,60\n2,-3,40\n")
    assert "line 3, column 'c_above': value -3 t/ha out of range; expected >= 0 t/ha" in message
    message = error(write_csv, "lucode,c_above,c_soil\n1,1500,60\n")
    assert "line 2, column 'c_above': value 1500 t/ha out of range; expected <= 1000 t/ha" in message


def test_infinite_value(write_csv: CsvWriter) -> None:
    message = error(write_csv, "lucode,c_above,c_soil\n1,5,inf\n")
    assert "line 2, column 'c_soil': 'inf' is not a finite number" in message


def test_bool_column_must_be_0_or_1(write_csv: CsvWriter) -> None:
    message = error(write_csv, "lucode,c_above,c_soil,irrigated\n1,5,60,\n2,5,60,2\n")
    assert "line 3, column 'irrigated': '2' is not 0 or 1" in message


def test_empty_file(write_csv: CsvWriter) -> None:
    assert "file is empty" in error(write_csv, "")


def test_header_only_file(write_csv: CsvWriter) -> None:
    assert "table has a header but no rows" in error(write_csv, "lucode,c_above,c_soil\n")


def test_only_blank_rows_is_header_only(write_csv: CsvWriter) -> None:
    assert "table has a header but no rows" in error(write_csv, "lucode,c_above,c_soil\n,,\n\n")


def test_whitespace_only_file(write_csv: CsvWriter) -> None:
    assert "file has no header row" in error(write_csv, "\n\n")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file does not exist"):
        read_table(tmp_path / "nope.csv", POOLS)


def test_blank_lines_keep_file_line_numbers(write_csv: CsvWriter) -> None:
    # the bad cell is on line 5 of the file; blank and ",,," rows above it must not shift that
    text = "lucode,c_above,c_soil\n1,5,60\n\n,,\n2,oops,40\n"
    assert "line 5, column 'c_above'" in error(write_csv, text)
    frame = read(write_csv, "lucode,c_above,c_soil\n1,5,60\n\n2,2,40\n,,\n")
    assert frame["lucode"].tolist() == [1, 2] and frame.attrs["lines"] == [2, 4]


def test_non_utf8_file_names_the_encoding(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("lucode,c_above,c_soil,note\n1,5,60,耕地\n".encode("gbk"))
    with pytest.raises(InputError, match="not UTF-8 text") as err:
        read_table(path, POOLS)
    assert "CSV UTF-8" in str(err.value)


def test_ragged_row(write_csv: CsvWriter) -> None:
    assert "more cells than the header" in error(write_csv, "lucode,c_above,c_soil\n1,5,60,7,8\n")
    assert "not a readable CSV file" in error(write_csv, "lucode,c_above,c_soil\n1,5,60\n2,5,60,7\n")


def test_check_table_in_memory_with_given_lines() -> None:
    frame = pd.DataFrame({"LUCODE": [1, 2], "c_above": [5.0, np.nan], "c_soil": [1.0, 2.0]})
    with pytest.raises(InputError, match="line 12, column 'c_above': missing value"):
        check_table(frame, POOLS, label="table 'carbon_pools' (memory)", lines=[11, 12])


def test_rows_ending_with_a_comma_do_not_shift_columns(write_csv: CsvWriter) -> None:
    # pandas' default would make "1" an index and read lucode=5, c_above=60, c_soil=""
    frame = read(write_csv, "lucode,c_above,c_soil\n1,5,60,\n2,4,50,\n")
    assert frame["lucode"].tolist() == [1, 2]
    assert frame["c_above"].tolist() == [5.0, 4.0] and frame["c_soil"].tolist() == [60.0, 50.0]


def test_folder_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a folder; expected a CSV file"):
        read_table(tmp_path, POOLS)
