"""Habitat quality: the threat and sensitivity tables, read with InVEST's semantics (names, decay
values and headers compared case-insensitively; weights normalised by their sum)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ecociv.errors import InputError
from ecociv.models.habitat_quality import kernels
from ecociv.spec_blocks import did_you_mean


@dataclass(frozen=True)
class Threat:
    """One row of the threat table, checked."""

    name: str
    max_distance: float  # m
    weight: float  # normalised
    decay: str
    line: int


def _lines(table: pd.DataFrame) -> list[int]:
    return list(table.attrs.get("lines") or range(2, len(table) + 2))


def _lower_columns(table: pd.DataFrame) -> pd.DataFrame:
    frame = table.copy()
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    frame.attrs = dict(table.attrs)
    return frame


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def parse_threats(table: pd.DataFrame, cell_size: tuple[float, float]) -> list[Threat]:
    """Checked threats in table order, with weights normalised (InVEST semantics)."""
    label = "table 'threat_table'"
    frame = _lower_columns(table)
    lines = _lines(frame)
    rows: list[tuple[str, float, float, str, int]] = []
    seen: dict[str, int] = {}
    for position, line in enumerate(lines):
        row = frame.iloc[position]
        where = f"line {line}"
        name = str(row["threat"]).strip().lower()
        if not name or name == "nan":
            raise InputError("missing threat name", source=label, where=f"{where}, column 'threat'")
        if name in seen:
            raise InputError(f"threat {name!r} is listed twice (lines {seen[name]} and {line}; names "
                             "are compared case-insensitively)", source=label)
        seen[name] = line
        decay = str(row["decay"]).strip().lower()
        if decay not in kernels.DECAY_TYPES:
            raise InputError(f"unknown decay {row['decay']!r}{did_you_mean(decay, kernels.DECAY_TYPES)}"
                             f"; expected one of "
                             f"{list(kernels.DECAY_TYPES)}", source=label,
                             where=f"{where}, column 'decay'")
        max_dist = _number(row["max_dist"])  # > 0 (spec)
        cell = min(cell_size)
        if max_dist < cell:
            raise InputError(
                f"max_dist {max_dist:g} m is smaller than the cell size {cell:g} m, so threat "
                f"{name!r} would reach only its own cells; it must be at least the cell size "
                "(InVEST >= 3.15 reads max_dist in metres; tables for earlier versions are in km: "
                "multiply by 1000)", source=label, where=f"{where}, column 'max_dist'")
        weight = _number(row["weight"])  # 0-1 (spec)
        rows.append((name, max_dist, weight, decay, line))
    total = sum(r[2] for r in rows)
    if not total > 0:
        raise InputError("every threat weight is 0; at least one must be > 0 (weights are divided "
                         "by their sum)", source=label, where="column 'weight'")
    return [Threat(name, dist, weight / total, decay, line) for name, dist, weight, decay, line in rows]


def parse_sensitivity(table: pd.DataFrame, threats: list[Threat]) -> pd.DataFrame:
    """The sensitivity table with lower-case headers, one checked 0–1 column per threat."""
    label = "table 'sensitivity_table'"
    frame = _lower_columns(table)
    if "habitat" not in frame.columns:
        raise InputError(f"missing required column 'habitat'; columns found: {list(frame.columns)}",
                         source=label)
    missing = [t.name for t in threats if t.name not in frame.columns]
    if missing:
        lines = [t.line for t in threats if t.name in missing]
        raise InputError(
            f"no column for threat(s) {missing} (threat table line(s) {lines}); the sensitivity "
            f"table needs one 0-1 column per threat, named as the threat; columns found: "
            f"{list(frame.columns)}", source=label)
    lines = _lines(frame)
    for column in ("habitat", *(t.name for t in threats)):
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = np.flatnonzero(~((values >= 0) & (values <= 1)).to_numpy())
        if len(bad):
            cell = frame[column].iloc[int(bad[0])]
            raise InputError(f"{cell!r} is not a number from 0 to 1 (leave no cell blank: enter 0 "
                             "for classes a threat does not affect)", source=label,
                             where=f"line {lines[int(bad[0])]}, column '{column}'")
        frame[column] = values.astype(np.float64)
    return frame
