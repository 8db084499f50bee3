r"""Simulated cropland change → crop areas of the network's irrigation sites (压地减水 reaching
the water demand).

The land simulation (``land_use_change``'s ``cropland_area`` table: ``year``, ``zone``,
``cropland_km2``, ``change_ha``) says how the cropland of each administrative unit changes; this
module turns that into one factor per irrigation site, by which all its crop areas are multiplied
before the levers are applied (the crop mix is kept). Rules (docs/water_network.md, "Cropland
change from the land simulation"):

- **Year**: ``cropland_year``, default the latest year of the table (the simulation's end year).
  The unit's start area is ``cropland_km2 × 100 − change_ha`` (ha) — the area of the year the
  changes are counted from — and its area that year ``cropland_km2 × 100`` (1 km² = 100 ha).
- **Sites of a unit**: the demand nodes with ``irrigation`` crops whose ``unit`` is the zone's
  code. A table with the zone ``all`` only (a land simulation without zones) applies the
  region's change to every irrigation site.
- **Rule** ``relative`` (default): every site of unit *u* is scaled by
  :math:`f_u = A^{year}_u / A^{start}_u`; the unit's change in ha is then split among its sites in
  proportion to their irrigated areas, in the unit's relative terms — right when the network's
  irrigated areas (statistics) and the mapped cropland (e.g. 1 km MODIS cells) differ in level.
  Rule ``absolute``: the unit's change ``change_ha`` itself is split among its sites in
  proportion to their irrigated areas, :math:`\Delta_s = \Delta_u A_s / \sum_{s' \in u} A_{s'}`,
  :math:`f_s = (A_s + \Delta_s) / A_s`; a cut larger than a site's area leaves it at 0 ha (with a
  warning). Either way an increase raises the demand (oasis growth).
- Zones without an irrigation site, and sites whose unit has no row, are listed in the
  ``cropland_coupling`` table with a warning; a table none of whose zones is a site's unit is an
  error (the zones are probably named by another field than the network's unit codes).

Irrigation demand is linear in each crop's area (FAO-56 NIR × area / efficiency,
:func:`~ecociv.models.water_allocation.demand.irrigation_demand_m3`), so a site's demand after the
coupling is :math:`f_s` times its demand before, levers aside.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ecociv.errors import InputError, InputWarning

RULES = ("relative", "absolute")
COLUMNS = ("year", "zone", "cropland_km2", "change_ha")
HA_PER_KM2 = 100.0
SOURCE = "cropland_change"
#: relative tolerance below which a start area is taken as zero cropland (ha)
_TINY_HA = 1e-9


@dataclass
class Coupling:
    """The factor of every coupled irrigation site and the rows of the ``cropland_coupling`` table."""

    year: int
    rule: str
    factors: dict[str, float] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)

    def table(self, demand_before: Mapping[str, float]) -> pd.DataFrame:
        """The ``cropland_coupling`` output; ``demand_before``: mean annual demand (m³/yr) of each
        site, network as given (no levers); the demand after is ``factor ×`` it (linear in area)."""
        frame = pd.DataFrame(self.rows, columns=[
            "unit", "site", "year", "rule", "cropland_start_ha", "cropland_year_ha", "change_ha",
            "irrigated_before_ha", "irrigated_after_ha", "area_factor", "status"])
        before = frame["site"].map(lambda s: demand_before.get(s, np.nan) if s else np.nan).astype(float)
        frame["demand_before_m3_per_yr"] = before
        frame["demand_after_m3_per_yr"] = before * frame["area_factor"]
        return frame


def _table(change: pd.DataFrame) -> pd.DataFrame:
    frame = change.reset_index() if "zone" not in change.columns and change.index.name == "zone" else change
    frame = frame.copy()
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)} "
                         "(land_use_change's cropland_area table)", source=SOURCE)
    if frame.empty:
        raise InputError("the table has no rows", source=SOURCE)
    lines = [int(x) for x in frame.attrs.get("lines", range(2, len(frame) + 2))]
    for column in ("year", "cropland_km2", "change_ha"):
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = np.flatnonzero(~np.isfinite(values.to_numpy(dtype=float)))
        if bad.size:
            raise InputError(f"expected a number, got {frame[column].iloc[bad[0]]!r}", source=SOURCE,
                             where=f"line {lines[bad[0]]}, column '{column}'")
        frame[column] = values.astype(float)
    frame["zone"] = frame["zone"].astype(str).str.strip()
    frame["line"] = lines
    return frame


def _rows_of_year(frame: pd.DataFrame, year: Any) -> tuple[int, pd.DataFrame]:
    years = sorted({int(y) for y in frame["year"]})
    chosen = years[-1] if year is None else int(year)
    if chosen not in years:
        raise InputError(f"cropland_year {chosen} is not in the table (years: {', '.join(map(str, years))})",
                         source="cropland_year")
    rows = frame[frame["year"].astype(int) == chosen]
    repeated = rows[rows["zone"].duplicated()]
    if len(repeated):
        first = repeated.iloc[0]
        raise InputError(f"zone '{first['zone']}' appears twice in {chosen}", source=SOURCE,
                         where=f"line {int(first['line'])}")
    for row in rows.itertuples(index=False):
        where = f"line {int(row.line)}"
        if row.cropland_km2 < 0:
            raise InputError(f"cropland area must be >= 0 km2, got {row.cropland_km2:g}", source=SOURCE,
                             where=f"{where}, column 'cropland_km2'")
        start = row.cropland_km2 * HA_PER_KM2 - row.change_ha
        if start < -1e-6 * max(1.0, abs(row.change_ha)):
            raise InputError(f"change_ha {row.change_ha:g} is more than the zone's cropland "
                             f"({row.cropland_km2:g} km2 = {row.cropland_km2 * HA_PER_KM2:g} ha) can have grown: "
                             "the start area would be negative", source=SOURCE, where=f"{where}, column 'change_ha'")
    return chosen, rows


def _area_ha(value: Any, where: str, source: str) -> float:
    from ecociv.models.water_allocation.levers import _area_ha as area_of

    try:
        return area_of(value, where)
    except InputError as err:
        raise InputError(err.detail, source=source, where=where) from None


def irrigation_sites(doc: Mapping[str, Any], source: str) -> dict[str, tuple[str | None, float]]:
    """Irrigation sites of a network document: id → (unit code or None, irrigated area in ha)."""
    sites: dict[str, tuple[str | None, float]] = {}
    for node in doc.get("nodes") or []:
        if not isinstance(node, Mapping) or not isinstance(node.get("irrigation"), Mapping):
            continue
        site = str(node.get("id"))
        crops = node["irrigation"].get("crops") or {}
        total = sum(_area_ha(area, f"{site}.irrigation.crops.{crop}", source)
                    for crop, area in (crops.items() if isinstance(crops, Mapping) else ()))
        unit = node.get("unit")
        sites[site] = (None if unit is None else str(unit).strip(), float(total))
    return sites


def plan(doc: Mapping[str, Any], change: pd.DataFrame, *, year: Any = None, rule: Any = None,
         source: str = "network") -> Coupling:
    """The factor per irrigation site from a cropland-change table (see the module docstring).

    Parameters
    ----------
    doc : mapping
        The parsed network document (before levers).
    change : DataFrame
        Columns ``year``, ``zone`` (unit code, or ``all``), ``cropland_km2`` (km², >= 0) and
        ``change_ha`` (ha, change from the start year; negative = less cropland).
    year : int, optional
        The year whose change is used; default the latest in the table.
    rule : {"relative", "absolute"}, optional
        Default ``"relative"``.
    source : str
        The network file, for messages.
    """
    rule = "relative" if rule is None else str(rule)
    if rule not in RULES:
        raise InputError(f"unknown rule {rule!r}; expected one of {', '.join(RULES)}", source="cropland_change_rule")
    chosen, rows = _rows_of_year(_table(change), year)
    sites = irrigation_sites(doc, source)
    if not sites:
        raise InputError("the network has no irrigation site (a demand node with 'irrigation' crops) for the "
                         "cropland change to reach", source=source)
    per_unit = rows[rows["zone"] != "all"]
    if per_unit.empty:  # a simulation without zones: the region's change for every site
        region = rows.iloc[0]
        targets = {site: "all" for site in sites}
        land = {"all": region}
    else:
        land = {str(r["zone"]): r for _, r in per_unit.iterrows()}
        targets = {site: unit for site, (unit, _) in sites.items() if unit in land}
        if not targets:
            zones = ", ".join(list(land)[:5]) + (" …" if len(land) > 5 else "")
            units = ", ".join(sorted({u for u, _ in sites.values() if u})) or "none"
            raise InputError(f"none of its {len(land)} zones ({zones}) is the unit of an irrigation site of the "
                             f"network (units: {units}); give the land simulation's zones by the network's unit "
                             "codes (e.g. zone_field: adcode)", source=SOURCE)
    coupling = Coupling(year=chosen, rule=rule)
    by_unit: dict[str, list[str]] = {}
    for site, unit in targets.items():
        by_unit.setdefault(unit, []).append(site)
    clamped: list[str] = []
    no_start: list[str] = []
    for unit, row in land.items():
        year_ha = float(row["cropland_km2"]) * HA_PER_KM2
        change_ha = float(row["change_ha"])
        start_ha = max(year_ha - change_ha, 0.0)
        base = {"unit": unit, "year": chosen, "rule": rule, "cropland_start_ha": start_ha,
                "cropland_year_ha": year_ha, "change_ha": change_ha}
        members = by_unit.get(unit, [])
        if not members:
            coupling.rows.append({**base, "site": "", "irrigated_before_ha": 0.0, "irrigated_after_ha": 0.0,
                                  "area_factor": np.nan, "status": "no irrigation site in the network"})
            continue
        irrigated = sum(sites[s][1] for s in members)
        for site in members:
            area = sites[site][1]
            status = "applied"
            if rule == "relative":
                if start_ha <= _TINY_HA:
                    factor, status = 1.0, "unchanged: the unit has no cropland in the start year"
                    no_start.append(f"{site} ({unit}: {change_ha:+.6g} ha from 0)")
                else:
                    factor = year_ha / start_ha
            else:
                share = change_ha * area / irrigated if irrigated > 0 else 0.0
                factor = (area + share) / area if area > 0 else 1.0
                if factor < 0:
                    factor, status = 0.0, f"clamped: a cut of {-share:.6g} ha exceeds the site's {area:.6g} ha"
                    clamped.append(f"{site} ({-share:.6g} ha cut, {area:.6g} ha irrigated)")
            coupling.factors[site] = factor
            coupling.rows.append({**base, "site": site, "irrigated_before_ha": area,
                                  "irrigated_after_ha": area * factor, "area_factor": factor, "status": status})
    left_out = sorted(site for site in sites if site not in targets)
    for site in left_out:
        own, area = sites[site]
        coupling.rows.append({"unit": own or "", "site": site, "year": chosen, "rule": rule,
                              "cropland_start_ha": np.nan, "cropland_year_ha": np.nan, "change_ha": np.nan,
                              "irrigated_before_ha": area, "irrigated_after_ha": area, "area_factor": 1.0,
                              "status": "unchanged: its unit has no row in cropland_change" if own
                              else "unchanged: the site has no unit"})
    lonely = [r for r in coupling.rows if not r["site"]]
    if lonely:
        lost = sum(r["change_ha"] for r in lonely)
        warnings.warn(f"water_allocation: {len(lonely)} zone(s) of cropland_change have no irrigation site in the "
                      f"network ({', '.join(r['unit'] for r in lonely[:6])}{' …' if len(lonely) > 6 else ''}); their "
                      f"cropland change ({lost:+.6g} ha in {chosen}) does not reach the water demand "
                      "(listed in cropland_coupling.csv)", InputWarning, stacklevel=2)
    if left_out:
        warnings.warn(f"water_allocation: irrigation site(s) {', '.join(left_out)} keep their crop areas: no unit, "
                      "or their unit has no row in cropland_change (listed in cropland_coupling.csv)", InputWarning,
                      stacklevel=2)
    if no_start:
        warnings.warn("water_allocation: no ratio for site(s) whose unit had no cropland in the start year, crop "
                      f"areas kept (use cropland_change_rule: absolute to add the hectares): {'; '.join(no_start)}",
                      InputWarning, stacklevel=2)
    if clamped:
        warnings.warn(f"water_allocation: cropland cut larger than the site's irrigated area, left at 0 ha: "
                      f"{'; '.join(clamped)}", InputWarning, stacklevel=2)
    return coupling


def scale_crops(doc: Mapping[str, Any], factors: Mapping[str, float], *, source: str) -> dict[str, Any]:
    """A copy of the network document with each listed site's crop areas multiplied by its factor."""
    out: dict[str, Any] = copy.deepcopy(dict(doc))
    for node in out.get("nodes") or []:
        if not isinstance(node, dict) or str(node.get("id")) not in factors:
            continue
        site = str(node["id"])
        factor = float(factors[site])
        crops = node["irrigation"].get("crops") or {}
        node["irrigation"]["crops"] = {
            crop: f"{_area_ha(area, f'{site}.irrigation.crops.{crop}', source) * factor!r} ha"
            for crop, area in crops.items()}
    return out
