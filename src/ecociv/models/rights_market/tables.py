"""Small readers of the market's input tables shared by the permit and water markets."""

from __future__ import annotations

import pandas as pd


def where(frame: pd.DataFrame, position: int) -> str:
    """Where row ``position`` of ``frame`` is, for an error: its file line when the table was
    read from a file (``attrs['lines']``), else its row number from 1."""
    lines = frame.attrs.get("lines")
    return f"line {lines[position]}" if lines else f"row {position + 1}"


def text(frame: pd.DataFrame, column: str) -> pd.Series:
    """Column ``column`` as stripped text; an absent column reads as empty strings."""
    if column not in frame.columns:
        return pd.Series([""] * len(frame), index=frame.index)
    return frame[column].fillna("").astype(str).str.strip()
