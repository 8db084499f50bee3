"""``spatial_planning`` — urban development boundary (城镇开发边界), three zones and three lines
(三区三线) with their conflicts resolved by precedence (多规合一), and construction-land control.

Steps (kernels in ``kernels.py``; method and sources in docs/spatial_planning.md):

1. Urban development boundary: core = built-up land of ``land_use`` outside water (with
   ``exclude_water``) and ``urban_constraint``; growth = land within ``buffer_distance`` of the
   core that is suitable (``urban_suitability`` ≥ a class, else ``urban_level`` ≥ a level, else
   ``urban_probability`` ≥ a threshold; any land without a suitability); closing by a disc of
   ``closing_distance``; holes below ``max_hole_area`` filled; water and constraints excluded;
   growth capped per unit at ``expansion_factor`` × built-up area of the base map (nearest
   growth first); patches below ``min_patch_area`` removed. This is the urban plan's claim.
2. Permanent basic farmland: the ``basic_farmland`` map, or cropland of agricultural
   suitability ≥ a class (illustrative: the official map is not public).
3. Lines: claims coded by bits (1 red line, 2 basic farmland, 4 urban boundary), resolved by
   ``precedence``; remnants of the urban boundary below ``min_patch_area`` left by the
   resolution are dropped. Three spaces from the resolved lines and the land use.
4. Tables per unit with exact cell fractions, and construction land against caps with land-use
   efficiency from ``unit_statistics``.

Whole grids are held in memory (labelling, distance transforms): a few arrays of the grid.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dask
import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr
from shapely.geometry import box, shape
from shapely.ops import unary_union

from ecociv.errors import InputError
from ecociv.grid.io import from_array, grid_of_array
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.spatial_planning import kernels
from ecociv.models.spatial_planning.spec import PLAN_BITS, PLANS, ROLES, SPEC
from ecociv.models.spatial_planning.tables import (
    LINE_CODES,
    M2_PER_KM2,
    conflict_table,
    construction_land_table,
    planning_table,
    table_label,
    unit_tables,
    zone_code_areas,
)
from ecociv.spec import Model, SummaryMeasure
from ecociv.spec_blocks import did_you_mean, zone_names

_RASTERS = ("land_use", "initial_land_use", "urban_suitability", "urban_level",
            "urban_probability", "agricultural_suitability", "redline", "basic_farmland",
            "urban_constraint")


# ----------------------------------------------------------------------------- checks

def _param(inputs: Mapping[str, Any], pid: str) -> Any:
    """A parameter's value, or its default from the spec (when run() is called directly)."""
    if pid in inputs:
        return inputs[pid]
    item = SPEC.input(pid)
    return getattr(item, "default", None)


def parse_precedence(text: str) -> list[str]:
    """Plan names in order of precedence, highest first (each of :data:`PLANS` once)."""
    names = [t.strip() for t in str(text).replace(">", ",").replace(";", ",").split(",")
             if t.strip()]
    for name in names:
        if name not in PLANS:
            raise InputError(f"unknown plan {name!r}{did_you_mean(name, PLANS)}; expected a "
                             f"comma-separated order of {list(PLANS)}",
                             source="parameter 'precedence'")
    if sorted(names) != sorted(PLANS):
        raise InputError(f"got {names}: name each of {list(PLANS)} exactly once, highest "
                         "precedence first", source="parameter 'precedence'")
    return names


def _code_list(inputs: Mapping[str, Any], param: str) -> list[int]:
    text = inputs.get(param)
    if text is None or not str(text).strip():
        return []
    codes = []
    for token in str(text).replace(";", ",").split(","):
        try:
            codes.append(int(token.strip()))
        except ValueError:
            raise InputError(f"{token.strip()!r} is not an integer land-use code; expected "
                             "comma-separated integers such as '11,12'",
                             source=f"parameter '{param}'") from None
    return codes


def _roles(inputs: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> dict[str, list[int]]:
    """Land-use codes of each role, from ``planning_classes`` or the code parameters."""
    table = inputs.get("planning_classes")
    if table is None:
        roles = {role: _code_list(inputs, f"{role}_codes") for role in ROLES[:3]}
        if not roles["built_up"]:
            raise InputError("the land-use codes of built-up land are needed (comma-separated "
                             "integers, e.g. '5'), or a planning_classes table",
                             source="parameter 'built_up_codes'")
        seen: dict[int, str] = {}
        for role, codes in roles.items():
            for code in codes:
                if code in seen:
                    raise InputError(f"code {code} is listed as both {seen[code]} and {role}",
                                     source=f"parameters '{seen[code]}_codes' and '{role}_codes'")
                seen[code] = role
        return roles
    label = table_label(table, "planning_classes")
    lines = table.attrs.get("lines") or list(range(2, len(table) + 2))
    for position, role in enumerate(table["role"].astype(str)):
        if role not in ROLES:
            raise InputError(f"role {role!r}{did_you_mean(role, ROLES)} is not one of "
                             f"{list(ROLES)}", source=label,
                             where=f"line {lines[position]}, column 'role'")
    listed = set(int(c) for c in table["lucode"])
    for name in ("land_use", "initial_land_use"):
        if name not in arrays:
            continue
        values = arrays[name]
        present = np.unique(values[np.isfinite(values)]).astype(np.int64)
        missing = sorted(set(present.tolist()) - listed)
        if missing:
            rows, cols = np.nonzero(values == missing[0])
            raise InputError(f"code(s) {missing} of input '{name}' are not listed in the "
                             f"planning_classes table (first at row {int(rows[0])}, column "
                             f"{int(cols[0])}); add a row per code with its role", source=label)
    return {role: [int(c) for c in table.loc[table["role"] == role, "lucode"]]
            for role in ROLES[:3]}


def urban_band(inputs: Mapping[str, Any]) -> Any:
    """The band of ``urban_probability`` to use: the raster itself when it has one band, else
    the band named for ``urban_class`` (default: the one built-up code), as land_use_change
    names the bands of its ``suitability`` ("suitability per class: <code>")."""
    data = inputs["urban_probability"]
    if "band" not in data.dims:
        return data
    label = "input 'urban_probability'"
    code = inputs.get("urban_class")
    if code is None:
        table = inputs.get("planning_classes")
        built = ([int(c) for c, r in zip(table["lucode"], table["role"].astype(str), strict=True)
                  if r == "built_up"] if table is not None
                 else _code_list(inputs, "built_up_codes"))
        if len(built) != 1:
            raise InputError(f"the raster has {data.sizes['band']} bands and built-up land has "
                             f"{len(built)} codes {built}: set urban_class to the code whose "
                             "band to use", source=label)
        code = built[0]
    names = data.attrs.get("band_names") or ()
    if "band_name" in data.coords:
        names = tuple(str(v) for v in data.coords["band_name"].values)
    codes = [str(name).rpartition(":")[2].strip() for name in names]
    if str(int(code)) not in codes:
        raise InputError(f"no band of the {data.sizes['band']} is named for class {int(code)} "
                         f"(band names: {list(names) or 'none'}); give the single band to use, "
                         "or land_use_change's suitability with its class codes",
                         source=label, where="parameter 'urban_class'")
    return data.isel(band=codes.index(str(int(code))), drop=True)


def _check_grids(inputs: Mapping[str, Any]) -> GridSpec:
    given = [name for name in _RASTERS if name in inputs]
    grid = grid_of_array(inputs["land_use"])
    for name in given[1:]:
        other = grid_of_array(inputs[name])
        if other != grid:
            raise InputError(f"is on another grid than land_use ({other.shape[0]}x"
                             f"{other.shape[1]} cells, bounds {tuple(round(v, 3) for v in other.bounds)} "
                             f"vs {grid.shape[0]}x{grid.shape[1]}, bounds "
                             f"{tuple(round(v, 3) for v in grid.bounds)}); align it first",
                             source=f"input '{name}'")
    if grid.crs.is_geographic:
        raise InputError("distances and areas need a projected grid in metres (e.g. an "
                         "Albers equal-area CRS); reproject the land-use map",
                         source="input 'land_use'")
    return grid


# ----------------------------------------------------------------------------- run

def run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Urban boundary, lines, spaces, conflicts and construction land (in memory)."""
    grid = _check_grids(inputs)
    precedence = parse_precedence(str(_param(inputs, "precedence")))
    if "urban_probability" in inputs:
        inputs = {**inputs, "urban_probability": urban_band(inputs)}
    names = [n for n in _RASTERS if n in inputs]
    arrays = {n: np.asarray(v, dtype=np.float64)
              for n, v in zip(names, dask.compute(*[inputs[n].data for n in names]), strict=True)}
    roles = _roles(inputs, arrays)
    zones = inputs.get("zones")
    unit_names = zone_names(zones, inputs.get("zone_field")) if zones is not None else []
    caps, stats = unit_tables(inputs, unit_names)

    area = np.broadcast_to(grid.cell_area_m2(), grid.shape)
    spacing = (grid.resolution[1], grid.resolution[0])
    land_use = arrays["land_use"]
    group = _unit_index(zones, grid)
    valid = np.isfinite(land_use)
    if zones is not None and str(_param(inputs, "planning_extent")) == "zones":
        if not (group > 0).any():
            raise InputError("no cell centre of the grid lies in a unit, so there is nothing to "
                             "plan (or set planning_extent to 'grid')", source="input 'zones'")
        valid &= group > 0
    built = valid & np.isin(land_use, roles["built_up"])
    cropland = valid & np.isin(land_use, roles["cropland"])
    excluded = ~valid
    if bool(_param(inputs, "exclude_water")):
        excluded |= np.isin(land_use, roles["water"])
    if "urban_constraint" in arrays:
        excluded |= arrays["urban_constraint"] == 1
    base = built
    growth = np.zeros(grid.shape, dtype=bool)
    if "initial_land_use" in arrays:
        initial = arrays["initial_land_use"]
        base = valid & np.isfinite(initial) & np.isin(initial, roles["built_up"])
        growth = built & ~base

    suitable, score = _suitability(inputs, arrays, valid)
    base_by_group = np.bincount(group.ravel(), weights=(area * base).ravel(),
                                minlength=len(unit_names) + 1)
    factor = float(_param(inputs, "expansion_factor"))
    cap = np.where(factor > 0, factor * base_by_group, np.inf)
    settings: dict[str, Any] = {
        "score": score, "group": group, "cap_m2": cap,
        "buffer_m": float(_param(inputs, "buffer_distance")),
        "closing_m": float(_param(inputs, "closing_distance")),
        "max_hole_m2": float(_param(inputs, "max_hole_area")) * M2_PER_KM2,
        "min_patch_m2": float(_param(inputs, "min_patch_area")) * M2_PER_KM2}
    candidate = delineate_boundary(built & ~excluded, suitable & ~excluded & valid, excluded,
                                   valid, area, spacing, **settings)
    claims = {"redline": valid & (arrays.get("redline", np.zeros(grid.shape)) == 1),
              "basic_farmland": valid & _basic_farmland(inputs, arrays, cropland),
              "urban_boundary": candidate}
    bits = kernels.claim_bits(claims, PLAN_BITS)
    final = candidate
    higher = precedence[:precedence.index("urban_boundary")]
    if higher and bool(_param(inputs, "relocate_growth")):
        # the growth the higher lines take is looked for elsewhere: delineate again without them
        taken = np.logical_or.reduce([claims[plan] for plan in higher])
        final = delineate_boundary(built & ~excluded & ~taken, suitable & ~excluded & valid & ~taken,
                                   excluded | taken, valid, area, spacing, **settings)
    lines = kernels.resolve_lines({**claims, "urban_boundary": final}, precedence, LINE_CODES)
    boundary = kernels.remove_small_patches(lines == LINE_CODES["urban_boundary"], area,
                                            settings["min_patch_m2"])
    lines[(lines == LINE_CODES["urban_boundary"]) & ~boundary] = 0
    spaces = kernels.three_zones(lines, cropland | built, LINE_CODES)

    def raster(values: np.ndarray, name: str) -> xr.DataArray:
        return from_array(np.where(valid, values, np.nan), grid, name=name, units=None)

    outputs: dict[str, Any] = {
        "urban_boundary": raster(boundary, "urban_boundary"),
        "urban_boundary_candidate": raster(candidate, "urban_boundary_candidate"),
        "urban_boundary_polygons": _polygons(boundary, area, grid, group,
                                             ["outside", *unit_names] if zones is not None else ["all"]),
        "three_zones": raster(spaces, "three_zones"),
        "control_lines": raster(lines, "control_lines"),
        "plan_conflict": raster(bits, "plan_conflict"),
    }
    geometries, labels = _report_zones(zones, unit_names, grid)
    # coded layers; the tables need the area of each code per zone
    coded = {"space": spaces, "line": lines, "candidate": candidate, "built_up": built,
             "built_up_base": base, "built_up_growth": growth,
             "overlap": bits.astype(np.int64) * 4 + lines}
    sums, zone_area = zone_code_areas(coded, valid, geometries, grid,
                                      {"space": 4, "line": 4, "candidate": 2, "built_up": 2,
                                       "built_up_base": 2, "built_up_growth": 2, "overlap": 32})
    outputs["planning_by_zone"] = planning_table(labels, zone_area, sums, factor)
    outputs["conflict_by_zone"] = conflict_table(labels, sums["overlap"])
    outputs["construction_land"] = construction_land_table(
        labels, sums["built_up"][:, 1] / M2_PER_KM2, caps, stats,
        inputs.get("construction_land_cap"))
    return outputs


def delineate_boundary(core: np.ndarray, suitable: np.ndarray, excluded: np.ndarray,
                       valid: np.ndarray, area: np.ndarray, spacing: tuple[float, float], *,
                       score: np.ndarray, group: np.ndarray, cap_m2: np.ndarray,
                       buffer_m: float, closing_m: float, max_hole_m2: float,
                       min_patch_m2: float) -> np.ndarray:
    """The urban development boundary as delineated (before other lines are considered).

    Parameters
    ----------
    core : ndarray of bool
        Built-up land that may be inside (water and constraints already removed).
    suitable : ndarray of bool
        Land suitable for growth.
    excluded : ndarray of bool
        Land never inside (water, constraints, nodata).
    valid : ndarray of bool
        Cells with data.
    area : ndarray
        True cell area, m².
    spacing : (float, float)
        Cell size (row, column), m.
    score, group, cap_m2
        Suitability score, unit index per cell and area cap per unit (m²), see
        :func:`kernels.cap_growth`.
    buffer_m, closing_m : float
        Growth distance and closing radius, m.
    max_hole_m2, min_patch_m2 : float
        Hole filling and minimum patch areas, m².

    Returns
    -------
    ndarray of bool
    """
    distance = kernels.distance_to(core, spacing)
    candidate = core | (suitable & (distance <= buffer_m + 1e-6))
    candidate = kernels.close(candidate, closing_m, spacing)
    candidate = kernels.fill_holes(candidate, valid, area, max_hole_m2)
    candidate &= ~excluded
    candidate = kernels.cap_growth(core, candidate, distance, score, group, area, cap_m2)
    return kernels.remove_small_patches(candidate, area, min_patch_m2)


def _suitability(inputs: Mapping[str, Any], arrays: Mapping[str, np.ndarray],
                 valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Suitable land and a score in [0, 1] (ties of distance go to higher scores)."""
    if "urban_suitability" in arrays:
        values = arrays["urban_suitability"]
        return values >= int(_param(inputs, "urban_min_class")), np.nan_to_num(values / 4.0)
    if "urban_level" in arrays:
        values = arrays["urban_level"]
        return values >= int(_param(inputs, "urban_min_level")), np.nan_to_num(values / 5.0)
    if "urban_probability" in arrays:
        values = arrays["urban_probability"]
        return (values >= float(_param(inputs, "urban_min_probability")),
                np.nan_to_num(values))
    return valid.copy(), np.zeros(valid.shape)


def _basic_farmland(inputs: Mapping[str, Any], arrays: Mapping[str, np.ndarray],
                    cropland: np.ndarray) -> np.ndarray:
    if "basic_farmland" in arrays:
        return arrays["basic_farmland"] == 1
    if not bool(_param(inputs, "derive_basic_farmland")):
        return np.zeros(cropland.shape, dtype=bool)
    if "agricultural_suitability" in arrays:
        return cropland & (arrays["agricultural_suitability"]
                           >= int(_param(inputs, "basic_farmland_min_class")))
    return cropland.copy()


def _unit_index(zones: Any, grid: GridSpec) -> np.ndarray:
    """Index of the unit whose polygon holds each cell centre (1..n; 0 = none)."""
    if zones is None or len(zones) == 0:
        return np.zeros(grid.shape, dtype=np.int64)
    from rasterio.features import rasterize

    shapes_ = [(geom, i + 1) for i, geom in enumerate(zones.geometry) if geom is not None]
    return rasterize(shapes_, out_shape=grid.shape, transform=grid.transform, fill=0,
                     dtype="int32").astype(np.int64)


def _report_zones(zones: Any, unit_names: list[str], grid: GridSpec) -> tuple[list[Any], list[str]]:
    """Polygons and names of the table rows: each unit, then 'all' (their union, or the whole
    grid without zones)."""
    if zones is None:
        return [box(*grid.bounds)], ["all"]
    return [*zones.geometry, unary_union(list(zones.geometry))], [*unit_names, "all"]


def _polygons(mask: np.ndarray, area: np.ndarray, grid: GridSpec, group: np.ndarray,
              names: list[str]) -> gpd.GeoDataFrame:
    """One polygon per 4-connected patch, with its true area (km²) and the unit holding most
    of it (cell centres; ``names[group]``)."""
    from rasterio.features import shapes

    labels, count = kernels.label_patches(mask)
    areas = kernels.patch_areas_m2(labels, count, area) / M2_PER_KM2
    pieces: dict[int, list[Any]] = {}
    if count:
        for geometry, value in shapes(labels, mask=labels > 0, connectivity=4,
                                      transform=grid.transform):
            pieces.setdefault(int(value), []).append(shape(geometry))
    inside = labels > 0
    index = labels[inside].astype(np.int64) * len(names) + np.minimum(group[inside], len(names) - 1)
    by_unit = np.bincount(index, weights=area[inside],
                          minlength=(count + 1) * len(names)).reshape(count + 1, len(names))
    ids = sorted(pieces)
    geometries = [unary_union(pieces[i]) if len(pieces[i]) > 1 else pieces[i][0] for i in ids]
    return gpd.GeoDataFrame({"id": pd.Series(ids, dtype="int64"),
                             "area_km2": pd.Series([areas[i] for i in ids], dtype="float64"),
                             "zone": pd.Series([names[int(np.argmax(by_unit[i]))] for i in ids],
                                               dtype="str")},
                            geometry=gpd.GeoSeries(geometries, crs=grid.crs_wkt), crs=grid.crs_wkt)


# ----------------------------------------------------------------------------- example

def example() -> dict[str, Any]:
    """12×12 cells of 1 km on China Albers, two units (west and east halves): a town of built-up
    land (code 5) in the west with cropland (1) around it, a river (4) in column 8, a red-line
    strip along the north edge that overlaps cropland and the town's edge, urban suitability
    high near the town, agricultural suitability high in the south."""
    from affine import Affine

    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(1000.0, 0, 0, 0, -1000.0, 5_000_000.0), (12, 12))
    rows, cols = np.mgrid[0:12, 0:12]
    land_use = np.full((12, 12), 3)
    land_use[4:, :8] = 1
    land_use[2:6, 2:6] = 5
    land_use[:, 8] = 4
    initial = land_use.copy()
    initial[5, 2:6] = 1
    urban = np.where(np.hypot(rows - 4, cols - 4) <= 4, 4, 1)
    agricultural = np.where(rows >= 6, 4, 2)
    redline = (rows <= 2).astype(np.int64)
    zones = gpd.GeoDataFrame({"name": ["west", "east"]},
                             geometry=[box(0, 4_988_000, 6_000, 5_000_000),
                                       box(6_000, 4_988_000, 12_000, 5_000_000)], crs=CHINA_ALBERS)
    caps = pd.DataFrame({"zone": ["west", "east"], "cap_km2": [20.0, 1.0]})
    stats = pd.DataFrame({"zone": ["west", "east"], "population": [60_000.0, 1_000.0],
                          "value_added": [50.0, 0.5]})

    def array(values: np.ndarray, name: str) -> xr.DataArray:
        return from_array(values, grid, name=name, units=None)

    return {
        "land_use": array(land_use, "land_use"),
        "initial_land_use": array(initial, "initial_land_use"),
        "urban_suitability": array(urban, "urban_suitability"),
        "agricultural_suitability": array(agricultural, "agricultural_suitability"),
        "redline": array(redline, "redline"),
        "construction_land_caps": caps, "unit_statistics": stats,
        "zones": zones, "zone_field": "name",
        "built_up_codes": "5", "cropland_codes": "1", "water_codes": "4",
        "buffer_distance": 1500.0, "closing_distance": 1000.0, "expansion_factor": 2.0,
    }


#: columns of the per-unit summaries of a region run (0/1 rasters: Σ value × m² × 10⁻⁶ = km²)
SUMMARY = (SummaryMeasure("urban_boundary_km2", "output:urban_boundary", "", "total", 1e-6,
                          "area inside the urban development boundary (km²)"),)

def check(given: Mapping[str, Any]) -> None:
    """What a scenario gives, checked before anything runs: the precedence and the land-use
    code parameters (without a planning_classes table)."""
    if given.get("precedence") is not None:
        parse_precedence(str(given["precedence"]))
    if given.get("planning_classes") is None:
        _roles({k: v for k, v in given.items() if k != "planning_classes"}, {})


MODEL = Model(spec=SPEC, run=run, example=example, summary=SUMMARY, check=check)
