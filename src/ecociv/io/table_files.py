"""Tables written for people: CSV in UTF-8 with a byte-order mark, which Excel needs to show
Chinese names (``name_zh``) instead of mojibake on a Chinese-locale Windows, and XLSX workbooks.

Readers: ``pandas.read_csv`` drops the mark from the first column name by itself (both parsers),
as does :func:`ecociv.io.tables.read_table`; Python's ``csv`` module needs the file opened with
``encoding="utf-8-sig"``."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

#: encoding of every CSV ecociv writes: UTF-8 with a byte-order mark (Excel reads a CSV without
#: the mark in the ANSI code page, GBK on Chinese Windows); Python, R, pandas and QGIS read it
CSV_ENCODING = "utf-8-sig"
_BOM = "\ufeff".encode()
#: characters Excel refuses in sheet names, and its length limit
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_SHEET_CHARS = 31


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
    frame.to_csv(path, index=index, encoding=CSV_ENCODING)
    return path


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
