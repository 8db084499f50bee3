"""The shipped tables of ``eco_assessment`` (src/ecociv/data/institutions/assessment_*.csv):
the indicator system, the GDI category weights and the zone-type emphasis factors."""

from __future__ import annotations

from importlib.resources import files

import pandas as pd

_FOLDER = "data/institutions"


def _read(name: str) -> pd.DataFrame:
    path = files("ecociv").joinpath(f"{_FOLDER}/{name}")
    with path.open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)


def indicator_system() -> pd.DataFrame:
    """assessment_indicators.csv: indicator, category, direction, unit_of_measure, ... ."""
    return _read("assessment_indicators.csv")


def categories() -> pd.DataFrame:
    """assessment_categories.csv: category, name_zh, weight_percent (float), source, note."""
    frame = _read("assessment_categories.csv")
    return frame.assign(weight_percent=frame["weight_percent"].astype(float))


def zone_weights() -> pd.DataFrame:
    """assessment_zone_weights.csv: zone_type, indicator, emphasis (float), rationale, source."""
    frame = _read("assessment_zone_weights.csv")
    return frame.assign(emphasis=frame["emphasis"].astype(float))


def sources() -> pd.DataFrame:
    """assessment_sources.csv: one row per source id used by the other tables."""
    return _read("assessment_sources.csv")
