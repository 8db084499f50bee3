"""Tables written for people: CSV in UTF-8 with a byte-order mark, which Excel needs to show
Chinese names (``name_zh``) instead of mojibake on a Chinese-locale Windows, and XLSX workbooks.

Readers: ``pandas.read_csv`` drops the mark from the first column name by itself (both parsers),
as does :func:`ecociv.io.tables.read_table`; Python's ``csv`` module needs the file opened with
``encoding="utf-8-sig"``."""

from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: encoding of every CSV ecociv writes: UTF-8 with a byte-order mark (Excel reads a CSV without
#: the mark in the ANSI code page, GBK on Chinese Windows); Python, R, pandas and QGIS read it
CSV_ENCODING = "utf-8-sig"
_BOM = "\ufeff".encode()
#: characters Excel refuses in sheet names, and its length limit
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_SHEET_CHARS = 31
#: rows formatted and written at a time by the fast path of :func:`write_table`
_CHUNK_ROWS = 65_536
#: path endings for which pandas compresses the file (``compression="infer"``)
_COMPRESSED = (".gz", ".bz2", ".zip", ".xz", ".zst", ".tar")


def write_table(frame: pd.DataFrame, path: str | Path, *, index: bool = False) -> Path:
    """Write ``frame`` as a CSV file in UTF-8 with a byte-order mark.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table; missing values are written as empty cells.
    path : str or Path
        The ``.csv`` file to write (replaced if it exists).
    index : bool
        Write the frame's index as the first column.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    columns = _plain_columns(frame, index) if _plain_path(path) else None
    if columns is None:
        frame.to_csv(path, index=index, encoding=CSV_ENCODING)
        return path
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow([label for label, _ in columns])
    cells = [coded for _, coded in columns]
    with open(os.path.expanduser(path), "w", encoding=CSV_ENCODING, newline="") as handle:
        handle.write(header.getvalue())
        for start in range(0, len(frame), _CHUNK_ROWS):
            rows = [text[codes[start:start + _CHUNK_ROWS]].tolist() for codes, text in cells]
            handle.write("\n".join(map(",".join, zip(*rows, strict=True))))
            handle.write("\n")
    return path


# The fast path of write_table writes the bytes ``DataFrame.to_csv(path, index=index,
# encoding=CSV_ENCODING)`` writes (pandas 2.x) for frames of plain columns, several times faster on
# long tables of repeated values (the monthly flows of water_allocation): every column is coded by
# its distinct values (pandas.factorize), each distinct value is formatted once as pandas formats
# it, and rows are joined from the codes. pandas formats a float column with ``astype(str)`` (NumPy's
# shortest repr: "0.1", "1e+16", "-0.0", "inf") and missing values as empty cells, passes integers,
# booleans and strings to Python's ``csv.writer`` (QUOTE_MINIMAL), which quotes a string as needed;
# here ``csv.writer`` quotes each distinct string. Floats are coded by their bits, so 0.0 and -0.0
# stay apart. Any other frame (extension dtypes, dates, categoricals, mixed objects, MultiIndex,
# labels that are not strings, a single column, whose only empty cell csv.writer quotes) and
# compressed or unusual paths go to pandas. tests/test_io_table_files.py compares both byte for byte.


def _plain_path(path: Path) -> bool:
    """True if pandas would write ``path`` as a plain file that exists or can be created."""
    name = str(path).lower()
    return not name.endswith(_COMPRESSED) and Path(os.path.expanduser(path)).parent.is_dir()


def _plain_columns(frame: Any, index: bool) -> list[tuple[str, tuple[Any, Any]]] | None:
    """(header label, (codes, formatted distinct values)) of every column written, the index first
    if ``index``, or None if pandas must write the frame."""
    if not isinstance(frame, pd.DataFrame) or isinstance(frame.columns, pd.MultiIndex):
        return None
    series: list[tuple[Any, Any]] = []
    if index:
        if isinstance(frame.index, pd.MultiIndex):
            return None
        series.append(("" if frame.index.name is None else frame.index.name, frame.index))
    series += [(label, frame.iloc[:, position]) for position, label in enumerate(frame.columns)]
    if len(series) < 2:
        return None
    columns = []
    for label, values in series:
        coded = _coded_cells(values) if isinstance(label, str) else None
        if coded is None:
            return None
        columns.append((label, coded))
    return columns


def _coded_cells(values: pd.Series | pd.Index) -> tuple[Any, Any] | None:
    """Codes of the cells of a column and the text of its distinct values (last: the empty missing
    cell, code -1), or None if its dtype is not one the fast path formats as pandas does."""
    data = values.to_numpy() if isinstance(values.dtype, np.dtype) else None
    if data is None or data.ndim != 1:
        return None
    kind = data.dtype.kind
    if kind == "f" and data.dtype.itemsize in (4, 8):
        bits = data.view(f"i{data.dtype.itemsize}")
        codes, distinct = pd.factorize(bits)
        text = distinct.astype(bits.dtype).view(data.dtype).astype(str).astype(object)
        missing = np.isnan(data)
        if missing.any():
            codes[missing] = -1
    elif kind in "iub":
        codes, distinct = pd.factorize(data)
        text = np.array([str(value) for value in distinct.tolist()], dtype=object)
    elif kind == "O" and pd.api.types.infer_dtype(data, skipna=True) in ("string", "empty"):
        codes, distinct = pd.factorize(data)  # missing values (None, NaN, NA, NaT) coded -1
        text = np.array([_quoted(value) for value in distinct], dtype=object)
    else:
        return None
    return codes, np.append(text, "")


def _quoted(value: str) -> str:
    """``value`` as Python's csv.writer writes it in a row of several fields."""
    line = io.StringIO()
    csv.writer(line, lineterminator="\n").writerow([value, ""])
    return line.getvalue()[:-2]


def copy_csv(source: str | Path, target: str | Path) -> Path:
    """Copy a UTF-8 CSV file, adding the byte-order mark if it has none (the bytes are otherwise
    unchanged)."""
    data = Path(source).read_bytes()
    target = Path(target)
    target.write_bytes(data if data.startswith(_BOM) else _BOM + data)
    return target


def _sheet_name(name: str, taken: set[str]) -> str:
    base = _SHEET_FORBIDDEN.sub("_", name).strip("'") or "sheet"
    candidate, number = base[:_SHEET_CHARS], 2
    while candidate.lower() in taken:
        suffix = f" ({number})"
        candidate, number = base[: _SHEET_CHARS - len(suffix)] + suffix, number + 1
    taken.add(candidate.lower())
    return candidate


def _display_width(value: Any) -> int:
    """Width of a cell's text in Excel columns (East Asian wide characters count twice)."""
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def write_workbook(sheets: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """Write tables as the sheets of one XLSX workbook (header row frozen, columns as wide as
    their text, up to 60 characters).

    Parameters
    ----------
    sheets : mapping of str to pandas.DataFrame
        Sheet name (shortened to Excel's 31 characters, ``[]:*?/\\`` replaced) to table.
    path : str or Path
        The ``.xlsx`` file to write (replaced if it exists).

    Returns
    -------
    Path
        ``path``.
    """
    from openpyxl.utils import get_column_letter

    path = Path(path)
    taken: set[str] = set()
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            sheet = _sheet_name(name, taken)
            frame.to_excel(writer, sheet_name=sheet, index=False)
            worksheet = writer.sheets[sheet]
            worksheet.freeze_panes = "A2"
            for position, column in enumerate(frame.columns, start=1):
                cells = [column, *frame[column].head(1000).tolist()]
                width = max(_display_width(cell) for cell in cells)
                worksheet.column_dimensions[get_column_letter(position)].width = min(60, width + 2)
    return path
