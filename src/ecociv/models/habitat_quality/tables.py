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


@dataclass(frozen=True)
class CoverLevels:
    """Rows of the sensitivity table that refine a land-use code by vegetation cover."""

    parents: np.ndarray  # land-use code refined
    cover_min: np.ndarray  # lowest cover of the level, 0-1
    codes: np.ndarray  # lucode of the level's row


def parse_cover_levels(table: pd.DataFrame) -> CoverLevels | None:
    """The cover levels of a checked sensitivity table (columns ``cover_level_of`` and
    ``cover_min``), or None when it has none."""
    label = "table 'sensitivity_table'"
    frame = _lower_columns(table)
    if "cover_level_of" not in frame.columns and "cover_min" not in frame.columns:
        return None
    for needed in ("cover_level_of", "cover_min"):
        if needed not in frame.columns:
            raise InputError(f"column 'cover_min' and column 'cover_level_of' go together; "
                             f"'{needed}' is missing", source=label)
    lines = _lines(frame)
    parents = pd.to_numeric(frame["cover_level_of"], errors="coerce")
    mins = pd.to_numeric(frame["cover_min"], errors="coerce")
    ordinary = set(frame.loc[parents.isna(), "lucode"].astype(np.int64))
    seen: dict[tuple[int, float], int] = {}
    for position, line in enumerate(lines):
        parent, low = parents.iloc[position], mins.iloc[position]
        if pd.isna(parent) != pd.isna(low):
            missing = "cover_min" if pd.isna(low) else "cover_level_of"
            raise InputError("a cover level needs both cover_level_of (the land-use code it "
                             "refines) and cover_min (its lowest cover, 0-1)", source=label,
                             where=f"line {line}, column '{missing}'")
        if pd.isna(parent):
            continue
        if int(parent) not in ordinary:
            raise InputError(f"cover_level_of {int(parent)} is not the lucode of a row without "
                             "cover_level_of; the refined class needs its own row (used where "
                             "the cover is unknown or below every level)", source=label,
                             where=f"line {line}, column 'cover_level_of'")
        key = (int(parent), float(low))
        if key in seen:
            raise InputError(f"two cover levels of lucode {key[0]} start at cover {key[1]:g} "
                             f"(lines {seen[key]} and {line})", source=label,
                             where=f"line {line}, column 'cover_min'")
        seen[key] = line
    if not seen:
        return None
    chosen = parents.notna().to_numpy()
    return CoverLevels(parents=parents[chosen].to_numpy(np.float64),
                       cover_min=mins[chosen].to_numpy(np.float64),
                       codes=frame.loc[chosen, "lucode"].to_numpy(np.float64))
