"""Tables of ``spatial_planning``: areas per zone by exact cell fractions (one weighted bincount
per zone), the planning and conflict tables, the unit tables given by the user (checked against
the zones) and construction land against caps with land-use efficiency."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ecociv.errors import InputError
from ecociv.grid.spec import GridSpec
from ecociv.grid.zonal import coverage
from ecociv.models.spatial_planning.spec import PLAN_BITS, PLANS
from ecociv.spec_blocks import did_you_mean

M2_PER_KM2 = 1e6
#: code of each plan in ``control_lines``
LINE_CODES = {plan: i + 1 for i, plan in enumerate(PLANS)}


def table_label(table: pd.DataFrame, table_id: str) -> str:
    """``table 'id'``, with its file when the loader recorded it."""
    source = table.attrs.get("source")
    return f"table '{table_id}'" + (f" ({source})" if source else "")


def zone_code_areas(coded: Mapping[str, np.ndarray], valid: np.ndarray, geometries: list[Any],
                    grid: GridSpec, sizes: Mapping[str, int]
                    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Area (m²) of each code of each coded layer in each zone, with exact cell fractions.

    Parameters
    ----------
    coded : mapping of name to ndarray of int
        Codes 0..size-1 per cell.
    valid : ndarray of bool
        Cells counted (nodata cells are not).
    geometries : list of shapely geometries
        Zones in the grid's CRS.
    grid : GridSpec
    sizes : mapping of name to int
        Number of codes of each layer.

    Returns
    -------
    sums : dict of name to ndarray (zones, size)
        Σ fraction × cell area over the cells of each code, m².
    zone_area : ndarray (zones,)
        Area of each zone on the grid, m² (nodata cells included).

    Notes
    -----
    The layers are combined into one mixed-radix code per cell, so each zone needs a single
    weighted ``bincount``; the area of each layer's code is a marginal of it.
    """
    names = list(coded)
    shape = tuple(sizes[n] for n in names)
    combined = np.zeros(valid.shape, dtype=np.int64)
    for name in names:
        combined = combined * sizes[name] + np.asarray(coded[name], dtype=np.int64)
    combined[~valid] = -1
    sums = {name: np.zeros((len(geometries), sizes[name])) for name in names}
    zone_area = np.zeros(len(geometries))
    for index, geometry in enumerate(geometries):
        cover = coverage(geometry, grid)
        if cover is None:
            continue
        rows, cols = cover.slices
        weights = cover.fractions * grid.cell_area_m2(rows.start, rows.stop, cols.start, cols.stop)
        zone_area[index] = float(weights.sum())
        window = combined[rows, cols]
        keep = (window >= 0) & (weights > 0)
        counts = np.bincount(window[keep], weights=np.broadcast_to(weights, window.shape)[keep],
                             minlength=int(np.prod(shape))).reshape(shape)
        for axis, name in enumerate(names):
            sums[name][index] = counts.sum(axis=tuple(a for a in range(len(names)) if a != axis))
    return sums, zone_area


def _claims_text(code: int) -> str:
    return "+".join(plan for plan in PLANS if code & PLAN_BITS[plan])


def planning_table(labels: list[str], zone_area: np.ndarray, sums: Mapping[str, np.ndarray],
                    factor: float) -> pd.DataFrame:
    km2 = {name: values / M2_PER_KM2 for name, values in sums.items()}
    table = pd.DataFrame({"zone": labels, "area_km2": zone_area / M2_PER_KM2})
    for code, name in enumerate(("ecological_space", "agricultural_space", "urban_space"), 1):
        table[f"{name}_km2"] = km2["space"][:, code]
    for plan, code in LINE_CODES.items():
        table[f"{plan}_km2"] = km2["line"][:, code]
    table["urban_boundary_candidate_km2"] = km2["candidate"][:, 1]
    for name in ("built_up", "built_up_base", "built_up_growth"):
        table[f"{name}_km2"] = km2[name][:, 1]
    base = table["built_up_base_km2"]
    table["boundary_cap_km2"] = factor * base if factor > 0 else np.nan
    table["boundary_expansion_ratio"] = table["urban_boundary_km2"] / base.where(base > 0)
    return table


def conflict_table(labels: list[str], overlap: np.ndarray) -> pd.DataFrame:
    """Rows per zone, overlap code (3, 5, 6, 7) and resolved line with a positive area."""
    names = {0: "none", **{code: plan for plan, code in LINE_CODES.items()}}
    rows = []
    for index, zone in enumerate(labels):
        for code in (3, 5, 6, 7):
            for line in range(len(PLANS) + 1):
                value = overlap[index, code * 4 + line]
                if value > 0:
                    rows.append({"zone": zone, "claims_code": code, "claims": _claims_text(code),
                                 "resolved_to": names[line], "area_km2": value / M2_PER_KM2})
    table = pd.DataFrame(rows, columns=["zone", "claims_code", "claims", "resolved_to", "area_km2"])
    return table.astype({"claims_code": "int64", "area_km2": "float64"})


def unit_tables(inputs: Mapping[str, Any], unit_names: list[str]
                 ) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The cap and statistics tables, with every unit they name checked against the zones."""
    known = [*unit_names, "all"]
    out = []
    for table_id in ("construction_land_caps", "unit_statistics"):
        table = inputs.get(table_id)
        if table is not None:
            label = table_label(table, table_id)
            lines = table.attrs.get("lines") or list(range(2, len(table) + 2))
            for position, zone in enumerate(table["zone"].astype(str)):
                if zone not in known:
                    hint = did_you_mean(zone, known)
                    given = ("the zones' zone_field" if unit_names else
                             "no zones were given, so only 'all'")
                    raise InputError(f"unit {zone!r}{hint} is not a unit of the zones ({given}; "
                                     f"units: {known[:8]}{' ...' if len(known) > 8 else ''})",
                                     source=label, where=f"line {lines[position]}, column 'zone'")
            table = table.set_index(table["zone"].astype(str))
        out.append(table)
    return out[0], out[1]


def construction_land_table(zones: list[str], construction_km2: np.ndarray,
                            caps: pd.DataFrame | None, stats: pd.DataFrame | None,
                            region_cap_km2: float | None) -> pd.DataFrame:
    """Construction land against caps and land-use efficiency per unit.

    Parameters
    ----------
    zones : list of str
        Row names (units, then 'all').
    construction_km2 : ndarray
        Construction (built-up) land of each row, km².
    caps : DataFrame or None
        ``cap_km2`` indexed by zone.
    stats : DataFrame or None
        ``population`` (persons) and/or ``value_added`` (10⁸ yuan) indexed by zone.
    region_cap_km2 : float or None
        Cap of row 'all' when ``caps`` has none.

    Returns
    -------
    DataFrame
        ``over_cap_km2`` = construction − cap (km²); ``population_per_km2`` = population /
        construction land (persons/km²); ``value_added_per_km2`` = value added × 10⁴ /
        construction land (10⁴ yuan/km², 万元/km²). Row 'all' takes its statistics from the
        table's 'all' row, else the sum over units when every unit has a value.
    """
    table = pd.DataFrame({"zone": zones, "construction_land_km2": construction_km2})
    cap = pd.Series(np.nan, index=zones, dtype=np.float64)
    if caps is not None:
        cap.update(caps["cap_km2"].astype(np.float64))
    if region_cap_km2 is not None and "all" in cap.index and np.isnan(cap["all"]):
        cap["all"] = float(region_cap_km2)
    table["cap_km2"] = cap.to_numpy()
    table["over_cap_km2"] = table["construction_land_km2"] - table["cap_km2"]
    table["over_cap"] = pd.array(np.where(table["cap_km2"].notna(), table["over_cap_km2"] > 0, None),
                                 dtype="Int64")
    land = table["construction_land_km2"].where(table["construction_land_km2"] > 0)
    for column in ("population", "value_added"):
        values = pd.Series(np.nan, index=zones, dtype=np.float64)
        if stats is not None and column in stats.columns:
            values.update(stats[column].astype(np.float64))
            units = [z for z in zones if z != "all"]
            if "all" in values.index and np.isnan(values["all"]) and units \
                    and values[units].notna().all():
                values["all"] = float(values[units].sum())
        table[column] = values.to_numpy()
    table["population_per_km2"] = table["population"] / land
    table["value_added_per_km2"] = table["value_added"] * 1e4 / land
    return table
