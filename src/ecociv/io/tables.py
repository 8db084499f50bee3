"""Reading CSV tables against a :class:`~ecociv.spec.TableInput`: InVEST-style headers
(case-insensitive, stripped), typed columns, ranges, a unique key column; each problem is
reported with the file, the CSV line and the column."""

from __future__ import annotations

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
    if path.stat().st_size == 0:
        raise InputError("file is empty", source=label)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise InputError(f"not a readable CSV file: {err}", source=label) from err
    except pd.errors.EmptyDataError as err:
        raise InputError("file has no header row", source=label) from err
    return check_table(frame, spec, label=label)


def check_table(frame: pd.DataFrame, spec: TableInput, *, label: str) -> pd.DataFrame:
    """Check and type an in-memory table (all cells as strings or already typed)."""
    frame = frame.copy()
    frame.columns = [str(c).strip().lower() for c in frame.columns]
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
    for column in spec.columns:
        if column.id in frame.columns:
            frame[column.id] = _typed_column(frame[column.id], column, label)
    if spec.index is not None:
        _check_unique(frame, spec.index, label)
    return frame.reset_index(drop=True)


def _line(row_position: int) -> str:
    return f"line {row_position + 2}"


def _typed_column(values: pd.Series, column: Column, label: str) -> pd.Series:
    if column.dtype == "str":
        return values.astype(str).str.strip()
    text = values.astype(str).str.strip()
    for position, cell in enumerate(text):
        if cell == "" or cell.lower() in ("nan", "na", "null", "none"):
            if column.required:
                raise InputError(
                    f"missing value; expected a {column.dtype}"
                    + (f" in {column.units}" if column.units else ""),
                    source=label,
                    where=f"{_line(position)}, column '{column.id}'",
                )
    numbers = pd.to_numeric(text.replace({"": np.nan}), errors="coerce")
    for position, (cell, number) in enumerate(zip(text, numbers, strict=True)):
        if cell != "" and pd.isna(number) and cell.lower() not in ("nan", "na", "null", "none"):
            hint = ""
            if column.units and any(ch.isalpha() for ch in cell):
                hint = f" (units are not written in cells: this column is in {column.units})"
            raise InputError(
                f"{cell!r} is not a number{hint}",
                source=label,
                where=f"{_line(position)}, column '{column.id}'",
            )
    if column.dtype == "int" or column.dtype == "bool":
        finite = numbers.dropna()
        bad = finite[finite != np.round(finite)]
        if len(bad):
            position = int(bad.index[0])
            raise InputError(
                f"{text.iloc[position]!r} is not an integer",
                source=label,
                where=f"{_line(position)}, column '{column.id}'",
            )
    _check_range(numbers, column, label)
    if column.dtype == "int":
        return numbers.astype("Int64") if numbers.isna().any() else numbers.astype(np.int64)
    if column.dtype == "bool":
        if not numbers.dropna().isin([0, 1]).all():
            position = int(numbers[~numbers.isin([0, 1])].index[0])
            raise InputError(
                f"{text.iloc[position]!r} is not 0 or 1",
                source=label,
                where=f"{_line(position)}, column '{column.id}'",
            )
        return numbers.astype(np.int64)
    return numbers.astype(np.float64)


def _check_range(numbers: pd.Series, column: Column, label: str) -> None:
    units = f" {column.units}" if column.units else ""
    for bound, failing in ((column.ge, numbers < (column.ge if column.ge is not None else 0)),
                           (column.le, numbers > (column.le if column.le is not None else 0))):
        if bound is None:
            continue
        if failing.any():
            position = int(failing[failing].index[0])
            expected = (f">= {column.ge}" if bound is column.ge else f"<= {column.le}") + units
            raise InputError(
                f"value {numbers.iloc[position]} out of range; expected {expected}",
                source=label,
                where=f"{_line(position)}, column '{column.id}'",
            )


def _check_unique(frame: pd.DataFrame, key: str, label: str) -> None:
    duplicated = frame[key].duplicated(keep=False)
    if duplicated.any():
        positions = list(np.flatnonzero(duplicated.to_numpy()))
        code = frame[key].iloc[positions[0]]
        lines = [p + 2 for p in positions if frame[key].iloc[p] == code]
        raise InputError(
            f"duplicate code {code!r} in key column '{key}' (lines {lines}); each code must "
            "appear once",
            source=label,
        )


def lookup_columns(frame: pd.DataFrame, key: str, columns: Sequence[str]) -> dict[str, pd.Series]:
    """Columns of a keyed table as Series indexed by the key."""
    indexed = frame.set_index(key)
    return {name: indexed[name] for name in columns}
