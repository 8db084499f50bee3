"""Checks of the tables of ``pollution_control`` and ``industry_structure`` that a spec cannot
express (known ids, a source on every measure, unique keys); each failure is one InputError
naming the table, line and value."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ecociv.errors import InputError

#: the fixed sector ids (src/ecociv/data/industry/sectors.csv; tests check both agree)
SECTORS = ("agriculture", "mining", "food_processing", "textiles", "petroleum_refining", "coking",
           "coal_chemicals", "chemicals_other", "non_metallic_minerals", "steel", "non_ferrous",
           "other_manufacturing", "power_heat", "construction", "transport_logistics", "tourism",
           "services_other", "households")
POLLUTANTS = ("SO2", "NOx", "PM", "VOCs", "CO2", "COD", "NH3-N")


def line_of(frame: pd.DataFrame, position: int) -> str:
    """Where row ``position`` of a checked table is (its CSV line, or its row in memory)."""
    lines = frame.attrs.get("lines")
    if lines is not None and position < len(lines):
        return f"line {lines[position]}"
    return f"row {position}"


def known(frame: pd.DataFrame, column: str, allowed: Iterable[str], table: str, what: str) -> None:
    """Every value of ``column`` is one of ``allowed``."""
    allowed = tuple(allowed)
    values = frame[column].astype(str)
    bad = ~values.isin(allowed)
    if bad.any():
        position = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(f"unknown {what} {values.iloc[position]!r}; expected one of {', '.join(allowed)}",
                         source=f"table '{table}'", where=f"{line_of(frame, position)}, column '{column}'")


def unique(frame: pd.DataFrame, columns: list[str], table: str) -> None:
    """No two rows share the key ``columns``."""
    duplicated = frame.duplicated(columns, keep="first")
    if duplicated.any():
        position = int(duplicated.to_numpy().nonzero()[0][0])
        key = ", ".join(f"{c}={frame[c].iloc[position]!s}" for c in columns)
        raise InputError(f"duplicate row ({key}); each ({', '.join(columns)}) must appear once",
                         source=f"table '{table}'", where=line_of(frame, position))


def sourced(frame: pd.DataFrame, table: str) -> None:
    """Every row names a source (a source id, or 'illustrative')."""
    text = frame["source"].astype(str).str.strip()
    bad = text.eq("") | text.str.lower().isin(["nan", "none", "na"])
    if bad.any():
        position = int(bad.to_numpy().nonzero()[0][0])
        raise InputError("missing source; every measure needs a source id (document, table, year, unit "
                         "in control_measures_sources.csv) or 'illustrative'", source=f"table '{table}'",
                         where=f"{line_of(frame, position)}, column 'source'")


def prefecture_of(code: str) -> str:
    """The prefecture-level unit of an adcode: a county code (6 digits) aggregates to its
    prefecture (first 4 digits + "00"); Corps cities (6590xx) are their own unit; other ids are
    kept as given."""
    code = str(code).strip()
    if len(code) == 6 and code.isdigit() and not code.startswith("6590"):
        return code[:4] + "00"
    return code
