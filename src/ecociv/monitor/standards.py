"""The standards and thresholds shipped as data (src/ecociv/data/institutions/standards_*.csv,
each row with its standard, table, item, source and status ``verified``/``uncertain``/
``illustrative``)."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from typing import Any


def _table(name: str) -> Any:
    import pandas as pd

    with (files("ecociv") / "data" / "institutions" / name).open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle)


@lru_cache(maxsize=1)
def gb3095() -> Any:
    """GB 3095-2012 Table 1: indicator, averaging (annual, 24h, 8h_max, 1h), grade, limit, units."""
    return _table("standards_gb3095.csv")


@lru_cache(maxsize=1)
def gb3838() -> Any:
    """GB 3838-2002 Table 1: indicator, direction (max/min), water_body (all/river/lake),
    water_class 1-5, limit, units."""
    return _table("standards_gb3838.csv")


@lru_cache(maxsize=1)
def air_evaluation() -> Any:
    """Annual evaluation statistics (HJ 663-2013): indicator, statistic, percentile, against."""
    return _table("standards_air_evaluation.csv")


@lru_cache(maxsize=1)
def carrying_thresholds() -> dict[str, dict[str, Any]]:
    """Cut-offs of the carrying-state grades keyed by indicator group (water_use, groundwater,
    air, surface_water, lake_area)."""
    frame = _table("standards_carrying_thresholds.csv")
    return {rec["indicator"]: rec for rec in frame.to_dict("records")}


def default_targets_path() -> Any:
    """The example targets of the Belt (Ebinur Lake area, Xinjiang water-use cap...)."""
    return files("ecociv") / "data" / "institutions" / "standards_targets_belt.csv"
