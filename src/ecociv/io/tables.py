"""Reading CSV tables against a :class:`~ecociv.spec.TableInput`: InVEST-style headers
(case-insensitive, stripped), typed columns, ranges, a unique key column; each problem is
reported with the file, the CSV line and the column."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ecociv.errors import InputError
from ecociv.spec import Column, TableInput


def read_table(path: str | Path, spec: TableInput) -> pd.DataFrame:
    """Read and check a CSV table (UTF-8, optional BOM) against ``spec``.

    Column names are lower-cased and stripped, as InVEST does; columns not in the spec are kept.
    Line numbers in messages are those of the CSV file (the header is line 1).
    """
    path = Path(path)
    label = f"table '{spec.id}' ({path})"
    if not path.exists():
        raise InputError("file does not exist", source=label)
    if path.is_dir():
        raise InputError("is a folder; expected a CSV file", source=label)
    if path.stat().st_size == 0:
        raise InputError("file is empty", source=label)
    kind = not_a_csv(path)
    if kind:
        raise InputError(f"is {kind}, not a CSV table; expected a CSV file (in Excel: Save As "
                         "'CSV UTF-8 (Comma delimited)')", source=label)
    try:
        with warnings.catch_warnings():
            # index_col=False: a row with more cells than the header is an error (pandas would
            # otherwise make the extra leading cells an index and shift every column, e.g. for
            # rows that end with a comma); one trailing empty cell per row is tolerated.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                                skip_blank_lines=False, index_col=False)
    except pd.errors.ParserWarning as err:
        raise InputError(f"some rows have more cells than the header has columns ({err})",
                         source=label) from err
    except UnicodeDecodeError as err:
        raise InputError(
            f"not UTF-8 text ({err.reason} at byte {err.start}); save the table as "
            "'CSV UTF-8' (Excel) or convert it, e.g. from GBK", source=label) from err
    except pd.errors.ParserError as err:
        raise InputError(f"not a readable CSV file: {err}", source=label) from err
    except pd.errors.EmptyDataError as err:
        raise InputError("file has no header row", source=label) from err
    # Rows whose cells are all empty (blank lines, ",,," rows from spreadsheets) are skipped, but
    # the others keep their line number in the file for messages.
    lines = np.arange(len(frame)) + 2
    if len(frame):
        cells = frame.fillna("").to_numpy(dtype=object)
        blank = np.array([not any(str(cell).strip() for cell in row) for row in cells], dtype=bool)
        frame, lines = frame[~blank], lines[~blank]
    _check_delimiter(frame, label)
    checked = check_table(frame, spec, label=label, lines=lines)
    checked.attrs["source"] = str(path)  # for messages of checks made later (e.g. by a model)
    return checked


#: Leading bytes of files that are often given where a CSV table is expected.
_SIGNATURES = (
    (b"PK\x03\x04", "an Excel workbook or another zip file"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 workbook"),
    (b"SQLite format 3\x00", "a GeoPackage or SQLite database"),
    (b"II*\x00", "a TIFF raster"),
    (b"MM\x00*", "a TIFF raster"),
    (b"%PDF", "a PDF document"),
)


def not_a_csv(path: Path) -> str | None:
    """What a file is when its first bytes show it is not text (an Excel workbook, a GeoPackage,
    a GeoTIFF...), else None."""
    with path.open("rb") as handle:
        head = handle.read(16)
    return next((kind for signature, kind in _SIGNATURES if head.startswith(signature)), None)


def _check_delimiter(frame: pd.DataFrame, label: str) -> None:
    """A header read as one column that holds ';' or tabs: the file uses another delimiter
    (European Excel saves CSV with ';')."""
    if len(frame.columns) != 1:
        return
    header = str(frame.columns[0])
    for delimiter, name in ((";", "semicolons"), ("\t", "tabs")):
        if delimiter in header:
            raise InputError(f"the header {header!r} is separated by {name}; expected commas "
                             "(save as 'CSV UTF-8 (Comma delimited)', or replace the "
                             f"{name} by commas)", source=label, where="line 1")


def check_table(frame: pd.DataFrame, spec: TableInput, *, label: str,
                lines: Sequence[int] | np.ndarray | None = None,
                row_names: Sequence[str] | None = None) -> pd.DataFrame:
    """Check and type an in-memory table (all cells as strings or already typed).

    ``lines`` gives the file line of each row for messages (default: row position + 2, the
    header being line 1); the returned frame keeps them in ``frame.attrs["lines"]``.
    ``row_names`` names the rows in messages instead (e.g. ``"row 0"`` for a DataFrame).
    """
    frame = frame.copy().reset_index(drop=True)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    line_numbers = np.asarray(lines if lines is not None else np.arange(len(frame)) + 2)
    places = np.asarray(row_names if row_names is not None
                        else [f"line {int(line)}" for line in line_numbers], dtype=object)
    if len(frame) == 0:
        raise InputError("table has a header but no rows", source=label)
    duplicated = frame.columns[frame.columns.duplicated()].tolist()
    if duplicated:
        raise InputError(f"duplicate column name(s) {duplicated}", source=label)
    missing = [c.id for c in spec.columns if c.required and c.id not in frame.columns]
    if missing:
        raise InputError(
            f"missing required column(s) {missing}; columns found: {list(frame.columns)}",
            source=label,
        )
    if spec.index is not None and spec.index not in frame.columns:
        raise InputError(
            f"missing key column '{spec.index}'; columns found: {list(frame.columns)}", source=label)
    for column in spec.columns:
        if column.id in frame.columns:
            frame[column.id] = _typed_column(frame[column.id], column, label, places)
    if spec.index is not None:
        _check_unique(frame, spec.index, label, places)
    frame.attrs["lines"] = [int(line) for line in line_numbers]
    return frame


_MISSING = ("", "nan", "na", "n/a", "null", "none")


def _where(places: np.ndarray, position: int, column: Column) -> str:
    return f"{places[position]}, column '{column.id}'"


def _typed_column(values: pd.Series, column: Column, label: str, lines: np.ndarray) -> pd.Series:
    if column.dtype == "str":
        return values.astype(str).str.strip()
    expected = f"a {column.dtype}" + (f" in {column.units}" if column.units else "")
    text = values.astype(str).str.strip()
    missing = text.str.lower().isin(_MISSING) | values.isna().to_numpy()
    if column.required and missing.any():
        position = int(np.flatnonzero(missing.to_numpy())[0])
        raise InputError(f"missing value; expected {expected}", source=label,
                         where=_where(lines, position, column))
    numbers = pd.to_numeric(text.where(~missing, np.nan), errors="coerce")
    for position, (cell, number, absent) in enumerate(zip(text, numbers, missing, strict=True)):
        if absent:
            continue
        if pd.isna(number):
            hint = _not_a_number_hint(cell, column)
            raise InputError(f"{cell!r} is not a number{hint}; expected {expected}",
                             source=label, where=_where(lines, position, column))
        if not np.isfinite(number):
            raise InputError(f"{cell!r} is not a finite number; expected {expected}",
                             source=label, where=_where(lines, position, column))
    if column.dtype in ("int", "bool"):
        bad = np.flatnonzero((numbers.notna() & (numbers != np.round(numbers))).to_numpy())
        if len(bad):
            position = int(bad[0])
            raise InputError(f"{text.iloc[position]!r} is not an integer", source=label,
                             where=_where(lines, position, column))
    _check_range(numbers, column, label, lines)
    if column.dtype == "int":
        return numbers.astype("Int64") if numbers.isna().any() else numbers.astype(np.int64)
    if column.dtype == "bool":
        bad = np.flatnonzero((numbers.notna() & ~numbers.isin([0, 1])).to_numpy())
        if len(bad):
            position = int(bad[0])
            raise InputError(f"{text.iloc[position]!r} is not 0 or 1", source=label,
                             where=_where(lines, position, column))
        return numbers.astype("Int64") if numbers.isna().any() else numbers.astype(np.int64)
    return numbers.astype(np.float64)


def _not_a_number_hint(cell: str, column: Column) -> str:
    """Why a cell that is not a number may have been written so, for the message."""
    import unicodedata

    if unicodedata.normalize("NFKC", cell) != cell:
        return (" (it holds full-width characters, e.g. from a Chinese input method: type the "
                "number with half-width digits, point and minus sign)")
    if cell.endswith("%"):
        number = pd.to_numeric(cell[:-1].strip(), errors="coerce")
        if column.units == "" and not pd.isna(number):
            return f" (this column is a fraction: write {number / 100:g}, not {cell})"
        return " (write the number without the % sign)"
    if column.units and any(ch.isalpha() for ch in cell):
        return f" (units are not written in cells: this column is in {column.units})"
    return ""


def _check_range(numbers: pd.Series, column: Column, label: str, lines: np.ndarray) -> None:
    units = f" {column.units}" if column.units else ""
    checks = []
    if column.ge is not None:
        checks.append((numbers < column.ge, f">= {column.ge:g}{units}"))
    if column.le is not None:
        checks.append((numbers > column.le, f"<= {column.le:g}{units}"))
    if column.gt is not None:
        checks.append((numbers <= column.gt, f"> {column.gt:g}{units}"))
    if column.lt is not None:
        checks.append((numbers >= column.lt, f"< {column.lt:g}{units}"))
    for failing, expected in checks:
        positions = np.flatnonzero(failing.fillna(False).to_numpy(dtype=bool))
        if len(positions):
            position = int(positions[0])
            raise InputError(
                f"value {numbers.iloc[position]:g}{units} out of range; expected {expected}",
                source=label,
                where=_where(lines, position, column),
            )


def _check_unique(frame: pd.DataFrame, key: str, label: str, lines: np.ndarray) -> None:
    duplicated = frame[key].duplicated(keep=False)
    if duplicated.any():
        positions = list(np.flatnonzero(duplicated.to_numpy()))
        code = frame[key].iloc[positions[0]]
        code = code.item() if isinstance(code, np.generic) else code
        word, _, _ = str(lines[positions[0]]).partition(" ")
        where = [str(lines[p]).partition(" ")[2] for p in positions if frame[key].iloc[p] == code]
        raise InputError(
            f"duplicate code {code!r} in key column '{key}' ({word}s [{', '.join(where)}]); each "
            "code must appear once",
            source=label,
        )
