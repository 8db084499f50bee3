"""Zone types of the differentiated assessment (差异化考核), classified from the run.

Rules (thresholds are parameters; defaults in :data:`DEFAULTS`, see docs/eco_assessment.md):

- ``cropland_growth``: cropland growth (first → last year of ``area_by_class``) ≥ threshold, %;
- ``groundwater_overdraft``: overdraft / allowable abstraction > threshold (GB/T 34968-2017 grades
  an area severely overdrawn when pumping / allowable abstraction > 1.3, i.e. overdraft /
  allowable > 0.3; recalled, not checked against the standard text);
- ``ecological_degradation``: decline of ecological land (forest + grassland + water) ≥ threshold,
  %, or decline of ESV ≥ threshold, %;
- ``general``: none of these.

A unit meeting several rules takes the first type of the precedence list; the evidence names
every rule it met.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ecociv.models.eco_assessment import indicators

GENERAL = "general"
TYPES = ("cropland_growth", "groundwater_overdraft", "ecological_degradation")
DEFAULT_PRECEDENCE = ("ecological_degradation", "groundwater_overdraft", "cropland_growth")
DEFAULTS = {"cropland_growth_threshold": 5.0, "overdraft_threshold": 0.3,
            "degradation_threshold": 5.0, "esv_decline_threshold": 5.0}
COLUMNS = ["unit", "zone_type", "evidence", "cropland_growth_pct", "overdraft_ratio",
           "ecological_land_change_pct", "esv_change_pct", "rules_met"]


def classify(units: Sequence[str], *, land: pd.DataFrame | None, overdraft: pd.DataFrame | None,
             esv: pd.DataFrame | None, thresholds: Mapping[str, float],
             precedence: Sequence[str] = DEFAULT_PRECEDENCE,
             overrides: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per unit: zone type, the evidence as text and the numbers the rules looked at."""
    land_by = {} if land is None else {r.unit: r for r in land.itertuples()}
    over_by = {} if overdraft is None else {r.unit: r for r in overdraft.itertuples()}
    esv_by = {} if esv is None else dict(zip(esv["unit"], esv["esv_change_pct"], strict=True))
    rows = []
    for unit in units:
        met: list[str] = []
        notes: list[str] = []
        crop = eco = ratio = change = float("nan")
        if unit in land_by:
            r = land_by[unit]
            crop, eco = indicators.cropland_growth_pct(r), indicators.ecological_change_pct(r)
            limit = thresholds["cropland_growth_threshold"]
            if np.isfinite(crop):
                hit = crop >= limit
                notes.append(f"cropland {r.cropland_first:.6g}→{r.cropland_last:.6g} km² "
                             f"({r.first_year}-{r.last_year}): {crop:+.4g}% {'≥' if hit else '<'} {limit:g}%")
                met += ["cropland_growth"] if hit else []
            limit = thresholds["degradation_threshold"]
            if np.isfinite(eco):
                hit = -eco >= limit
                notes.append(f"ecological land (forest+grassland+water) {eco:+.4g}%: decline "
                             f"{'≥' if hit else '<'} {limit:g}%")
                met += ["ecological_degradation"] if hit else []
        if unit in over_by:
            r = over_by[unit]
            limit = thresholds["overdraft_threshold"]
            if r.allowable_m3 > 0:
                ratio = r.overdraft_m3 / r.allowable_m3
                hit = ratio > limit
                notes.append(f"groundwater overdraft {r.overdraft_m3:.4g} m³ / allowable "
                             f"{r.allowable_m3:.4g} m³ = {ratio:.4g} {'>' if hit else '≤'} {limit:g}")
                met += ["groundwater_overdraft"] if hit else []
        if unit in esv_by:
            change = float(esv_by[unit])
            limit = thresholds["esv_decline_threshold"]
            hit = -change >= limit
            notes.append(f"ESV {change:+.4g}%: decline {'≥' if hit else '<'} {limit:g}%")
            if hit and "ecological_degradation" not in met:
                met.append("ecological_degradation")
        zone = next((t for t in precedence if t in met), GENERAL)
        if overrides and unit in overrides:
            notes.insert(0, f"zone type given in the zone_types table ({overrides[unit]}); "
                         f"from the run it would be {zone}")
            zone = overrides[unit]
        if not notes:
            notes.append("no run output covers this unit: general")
        rows.append((unit, zone, "; ".join(notes), crop, ratio, eco, change, ",".join(met)))
    return pd.DataFrame(rows, columns=COLUMNS)
