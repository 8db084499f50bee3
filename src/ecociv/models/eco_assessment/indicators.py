"""Indicators computed from the outputs of other models, one long table (unit, indicator, value,
origin) per source. Which output column gives which indicator is in
``src/ecociv/data/institutions/assessment_indicators.csv`` (column ``computed_from``) and in
``docs/eco_assessment.md``. A source without the data an indicator needs gives no row for it
(never a guessed value)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

ALL = "all"
ROW_COLUMNS = ["unit", "indicator", "value", "origin"]

#: land-use codes of the Belt classes (src/ecociv/data/belt/land_use_classes.csv)
DEFAULT_LUCODES = {"cropland": (1,), "forest": (2,), "grassland": (3,), "water": (4,), "built_up": (5,)}


def _rows(items: Iterable[tuple[str, str, float, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(list(items), columns=ROW_COLUMNS)
    return frame[np.isfinite(frame["value"].astype(float))] if len(frame) else frame


def _units(series: pd.Series) -> pd.Series:
    return series.astype(str).str.strip().replace({"nan": "", "None": ""})


def _change_pct(first: float, last: float) -> float:
    return (last - first) / first * 100.0 if first > 0 else float("nan")


def from_deliveries(deliveries: pd.DataFrame) -> pd.DataFrame:
    """``water_use_total`` (10^8 m³/yr): Σ delivered_m3 of the unit's demand sites / years of the
    run (months / 12)."""
    frame = deliveries.assign(unit=_units(deliveries["unit"]))
    frame = frame[frame["unit"] != ""]
    years = frame["month"].astype(str).nunique() / 12.0
    totals = frame.groupby("unit")["delivered_m3"].sum() / max(years, 1e-9) / 1e8
    return _rows((u, "water_use_total", float(v), "water_allocation.deliveries: delivered_m3")
                 for u, v in totals.items())


def overdraft_by_unit(groundwater: pd.DataFrame, groundwater_units: pd.DataFrame | None) -> pd.DataFrame:
    """Overdraft and allowable abstraction per unit (m³ summed over the run's years).

    Rows of ``groundwater`` that name a unit count for it directly. Aquifers without a unit are
    shared by ``groundwater_units``: the unit's allowable abstraction is its share of the pumping
    the table attributes to units (same aquifer and year) × the aquifer's allowable abstraction,
    its overdraft the share given there; units on one aquifer then have the same ratio.
    Columns: unit, overdraft_m3, allowable_m3, origin.
    """
    rows: list[tuple[str, float, float, str]] = []
    frame = groundwater.assign(unit=_units(groundwater["unit"]) if "unit" in groundwater else "")
    named = frame[frame["unit"] != ""]
    for unit, group in named.groupby("unit"):
        rows.append((str(unit), float(group["overdraft_m3"].sum()),
                     float(group["allowable_abstraction_m3"].sum()), "water_allocation.groundwater"))
    if groundwater_units is not None and len(groundwater_units):
        aquifers = frame[frame["unit"] == ""].groupby(["aquifer", "year"])["allowable_abstraction_m3"].sum()
        shares = groundwater_units.assign(unit=_units(groundwater_units["unit"]))
        shares = shares.join(aquifers, on=["aquifer", "year"], how="inner")
        pumped = shares.groupby(["aquifer", "year"])["pumping_m3"].transform("sum").to_numpy(float)
        fraction = np.divide(shares["pumping_m3"].to_numpy(float), pumped,
                             out=np.zeros(len(shares)), where=pumped > 0)
        shares = shares.assign(allowable=fraction * shares["allowable_abstraction_m3"].to_numpy(float))
        for unit, group in shares.groupby("unit"):
            rows.append((str(unit), float(group["overdraft_m3"].sum()), float(group["allowable"].sum()),
                         "water_allocation.groundwater_units × groundwater"))
    out = pd.DataFrame(rows, columns=["unit", "overdraft_m3", "allowable_m3", "origin"])
    return out.groupby("unit", as_index=False).agg(
        overdraft_m3=("overdraft_m3", "sum"), allowable_m3=("allowable_m3", "sum"),
        origin=("origin", lambda s: " + ".join(sorted(set(s)))))


def from_groundwater(by_unit: pd.DataFrame) -> pd.DataFrame:
    """``groundwater_overdraft_ratio``: overdraft / allowable abstraction (units with allowable
    abstraction > 0)."""
    ok = by_unit[by_unit["allowable_m3"] > 0]
    return _rows((r.unit, "groundwater_overdraft_ratio", r.overdraft_m3 / r.allowable_m3,
                  f"{r.origin}: overdraft_m3 / allowable_abstraction_m3") for r in ok.itertuples())


def from_intensities(intensities: pd.DataFrame) -> pd.DataFrame:
    """``water_intensity``, ``energy_intensity``, ``carbon_intensity``: the unit's 'all' row in its
    last year (empty or zero values are not indicators: a zero intensity means no data in the
    accounts)."""
    frame = intensities.assign(unit=_units(intensities["unit"]))
    if "sector" in frame:
        frame = frame[frame["sector"].astype(str) == ALL]
    frame = frame[frame["unit"] != ALL].sort_values("year")
    last = frame.groupby("unit").tail(1)
    items = []
    for column in ("water_intensity", "energy_intensity", "carbon_intensity"):
        if column not in last:
            continue
        for row in last.itertuples():
            value = float(getattr(row, column))
            if np.isfinite(value) and value > 0:
                items.append((row.unit, column, value,
                              f"green_indicators.intensities: {column} ({int(row.year)})"))
    return _rows(items)


_EMISSIONS = {"cod_t": "cod_reduction_pct", "nh3_n_t": "nh3n_reduction_pct", "so2_t": "so2_reduction_pct",
              "nox_t": "nox_reduction_pct"}


def from_emissions(emissions: pd.DataFrame) -> pd.DataFrame:
    """``*_reduction_pct``: (first year − last year) / first year × 100 of each pollutant column
    (units with at least two years and a positive first-year emission)."""
    frame = emissions.assign(unit=_units(emissions["unit"])).sort_values("year")
    items = []
    for unit, group in frame.groupby("unit"):
        if group["year"].nunique() < 2:
            continue
        first, last = group.iloc[0], group.iloc[-1]
        for column, indicator in _EMISSIONS.items():
            if column in group and np.isfinite(first[column]) and first[column] > 0:
                items.append((str(unit), indicator, -_change_pct(first[column], last[column]),
                              f"emission_inventory.emissions_by_unit: {column} "
                              f"{int(first['year'])}→{int(last['year'])}"))
    return _rows(items)


def land_use_changes(area: pd.DataFrame, lucodes: Mapping[str, tuple[int, ...]]) -> pd.DataFrame:
    """Per zone: first and last year, total area and areas of the class groups in both years."""
    frame = area.assign(zone=_units(area["zone"]))
    frame = frame[frame["zone"] != ALL] if (frame["zone"] != ALL).any() else frame
    rows = []
    for zone, group in frame.groupby("zone"):
        first_year, last_year = int(group["year"].min()), int(group["year"].max())
        record: dict[str, Any] = {"unit": str(zone), "first_year": first_year, "last_year": last_year}
        for label, year in (("first", first_year), ("last", last_year)):
            at = group[group["year"] == year]
            record[f"total_{label}"] = float(at["area_km2"].sum())
            for name, codes in lucodes.items():
                record[f"{name}_{label}"] = float(at.loc[at["lucode"].isin(codes), "area_km2"].sum())
        rows.append(record)
    return pd.DataFrame(rows)


def from_land_use(changes: pd.DataFrame) -> pd.DataFrame:
    """Cropland retention, new construction land, forest/grassland/water shares and the change
    of ecological land (forest + grassland + water) from :func:`land_use_changes`."""
    items = []
    for r in changes.itertuples():
        span = f"{r.first_year}→{r.last_year}"
        origin = "land_use_change.area_by_class: area_km2"
        if r.cropland_first > 0:
            retained = min(r.cropland_last / r.cropland_first * 100, 100.0)
            items.append((r.unit, "cropland_retention_pct", retained,
                          f"{origin}, cropland {span} (capped at 100)"))
        items.append((r.unit, "new_construction_land_pct", _change_pct(r.built_up_first, r.built_up_last),
                      f"{origin}, built-up {span}"))
        if r.total_last > 0:
            for name in ("forest", "grassland", "water"):
                indicator = {"forest": "forest_cover_pct", "grassland": "grassland_share_pct",
                             "water": "water_area_share_pct"}[name]
                items.append((r.unit, indicator, getattr(r, f"{name}_last") / r.total_last * 100,
                              f"{origin}, {name} / all classes ({r.last_year})"))
        items.append((r.unit, "ecological_land_change_pct", ecological_change_pct(r),
                      f"{origin}, forest + grassland + water {span}"))
    return _rows(items)


def ecological_change_pct(r: Any) -> float:
    """Change of forest + grassland + water area, first → last year, percent."""
    first = r.forest_first + r.grassland_first + r.water_first
    last = r.forest_last + r.grassland_last + r.water_last
    return _change_pct(first, last)


def cropland_growth_pct(r: Any) -> float:
    """Cropland growth, first → last year, percent."""
    return _change_pct(r.cropland_first, r.cropland_last)


def from_redline(redline: pd.DataFrame) -> pd.DataFrame:
    """``redline_share_pct``: the red line's share of the unit's area."""
    frame = redline.assign(zone=_units(redline["zone"]))
    frame = frame[frame["zone"] != ALL]
    return _rows((r.zone, "redline_share_pct", float(r.redline_percent),
                  "ecological_redline.redline_by_zone: redline_percent") for r in frame.itertuples())


def esv_change(esv: pd.DataFrame) -> pd.DataFrame:
    """ESV change per unit, percent of the baseline (units with esv_change_yuan and esv_yuan > 0)."""
    if "esv_change_yuan" not in esv:
        return pd.DataFrame(columns=["unit", "esv_change_pct"])
    frame = esv.assign(unit=_units(esv["unit"]))
    frame = frame[(frame["unit"] != ALL) & (frame["esv_yuan"] > 0) & frame["esv_change_yuan"].notna()]
    return pd.DataFrame({"unit": frame["unit"],
                         "esv_change_pct": frame["esv_change_yuan"] / frame["esv_yuan"] * 100})


def from_esv(changes: pd.DataFrame) -> pd.DataFrame:
    """``esv_change_pct`` from :func:`esv_change`."""
    return _rows((r.unit, "esv_change_pct", float(r.esv_change_pct),
                  "eco_compensation.esv_by_unit: esv_change_yuan / esv_yuan") for r in changes.itertuples())
