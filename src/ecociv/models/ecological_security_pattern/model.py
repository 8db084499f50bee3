"""``ecological_security_pattern`` — sources, resistance, least-cost corridors and circuit-theory
pinch points (生态安全格局: 源地–阻力面–廊道).

The whole grid is computed in memory with numpy/scipy (the cost graph is not chunk-local): about
0.27 kB per cell at the peak in the default ``corridors`` circuit mode (1.06 GB RSS for a whole
run on 2000 × 2000 cells, about 0.3 GB for the Belt's 732 × 1294 grid); the ``pairwise`` mode
needs more (2.3 GB and ~35 s at 1000 × 1000 cells, see :mod:`.kernels`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ecociv.errors import InputError
from ecociv.grid.io import from_array, grid_of_array
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.ecological_security_pattern import kernels_surface as surface
from ecociv.models.ecological_security_pattern.geometry import (
    corridor_length_by_zone,
    corridor_lines,
    rasterize_sources,
    source_polygons,
)
from ecociv.models.ecological_security_pattern.kernels import CIRCUIT_MODES, PATH_MODES, security_pattern
from ecociv.models.ecological_security_pattern.kernels_circuit import SCHEMES
from ecociv.spec import (
    Column,
    Model,
    ModelSpec,
    ParamInput,
    RasterInput,
    RasterOutput,
    SummaryMeasure,
    TableInput,
    TableOutput,
    VectorInput,
    VectorOutput,
)
from ecociv.spec_blocks import land_use_input, lucode_table, zone_columns, zone_inputs

FACTORS = ("land_use", "slope", "disturbance", "distance_to_built_up")
GRADED = ("slope", "disturbance", "distance_to_built_up")

#: Default class breaks and resistances of the graded factors (with ``grading=classes`` the last
#: class is open-ended; with ``linear`` the last bound is the point where the ramp ends).
#: Slope breaks: the slope grades of China's Second National Land Survey (TD/T 1014-2007,
#: 第二次全国土地调查技术规程: ≤2°, 2-6°, 6-15°, 15-25°, >25°). All resistances, the
#: distance-to-built-up breaks and the disturbance-index breaks are illustrative: give your own
#: ``factor_grades`` table.
DEFAULT_GRADES = pd.DataFrame({
    "factor": ["slope"] * 5 + ["distance_to_built_up"] * 5 + ["disturbance"] * 5,
    "upper": [2.0, 6.0, 15.0, 25.0, 90.0,
              500.0, 1000.0, 2000.0, 5000.0, 10000.0,
              0.2, 0.4, 0.6, 0.8, 1.0],
    "resistance": [1.0, 10.0, 50.0, 200.0, 500.0,
                   500.0, 200.0, 100.0, 30.0, 1.0,
                   1.0, 10.0, 100.0, 300.0, 1000.0],
})

SPEC = ModelSpec(
    id="ecological_security_pattern",
    title="Ecological security pattern (sources, MCR corridors, circuit-theory pinch points)",
    title_zh="生态安全格局",
    version="1.0.0",
    citation=(
        "Knaapen, J. P., Scheffer, M., Harms, B. (1992). Estimating habitat isolation in landscape "
        "planning. Landscape and Urban Planning 23, 1-16. Yu, K. J. (1999). 生物保护的景观生态安全格局. "
        "Acta Ecologica Sinica 19(1), 8-15. McRae, B. H., Kavanagh, D. M. (2011). Linkage Mapper "
        "Connectivity Analysis Software. The Nature Conservancy. McRae, B. H., Dickson, B. G., "
        "Keitt, T. H., Shah, V. B. (2008). Using circuit theory to model connectivity in ecology, "
        "evolution, and conservation. Ecology 89, 2712-2724. McRae, B. H. (2012). Pinchpoint "
        "Mapper Connectivity Analysis Software. The Nature Conservancy."
    ),
    about=(
        "Ecological sources are the largest connected patches (8-connectivity) of important land "
        "above a minimum true area, or given polygons. The resistance surface is a weighted sum of "
        "factor resistances: land use (table), slope, a disturbance index and distance to built-up "
        "land (graded by class breaks), or a ready resistance raster. Minimum cumulative resistance "
        "(cost distance; step cost = mean resistance of the two cells × step length) is computed "
        "by Dijkstra on the 8-neighbour grid; corridors are least-cost paths between sources whose "
        "cost-allocation zones touch (Linkage Mapper), dropped when they cross a third source. "
        "Circuit theory (Circuitscape conventions) gives current density, per corridor band "
        "(Pinchpoint Mapper, default) or pairwise over the whole grid; pinch points are corridor "
        "cells with current at or above a percentile. "
        "Computed in memory on the full grid (about 0.27 kB per cell). Grids must be projected."
    ),
    inputs=(
        land_use_input(codes_in="resistance_table.lucode", required=False,
                       about="Land-use/land-cover codes (resistance by resistance_table)"),
        RasterInput(id="resistance_surface", about="A ready resistance surface (dimensionless, > 0; "
                    "nodata = impassable) used instead of land use, slope and disturbance",
                    units="", gt=0, required=False),
        RasterInput(id="importance", about="Ecological importance (dimensionless score or class, "
                    "higher = more important, e.g. the red-line importance); cells >= "
                    "importance_threshold form source patches", units="", required=False,
                    resampling="nearest"),
        RasterInput(id="slope", about="Terrain slope", units="degree", ge=0, le=90, required=False),
        RasterInput(id="disturbance", about="Human disturbance index, 0 (none) to 1 (highest), e.g. a "
                    "rescaled human footprint", units="", ge=0, le=1, required=False),
        lucode_table("resistance_table", "Resistance per land-use code",
                     Column(id="resistance", about="resistance of the class (> 0; commonly 1-1000)",
                            units="", gt=0),
                     Column(id="built_up", about="1 for built-up land (for the distance-to-built-up "
                            "factor), else 0", units=None, dtype="bool", required=False),
                     required=False),
        TableInput(id="factor_weights", about="Weight of each resistance factor (land_use, slope, "
                   "disturbance, distance_to_built_up); exactly the listed factors are combined, "
                   "weights normalised to sum 1. Default: equal weights over the factors available "
                   "(illustrative)", index="factor", required=False, columns=(
                       Column(id="factor", about="factor name", units=None, dtype="str"),
                       Column(id="weight", about="weight", units="", ge=0),
                   )),
        TableInput(id="factor_grades", about="Class breaks of the graded factors: a value gets the "
                   "resistance of the first class with value <= upper (the last class is open-ended). "
                   "Factors not listed use the defaults (slope breaks of TD/T 1014-2007; all else "
                   "illustrative)", required=False, columns=(
                       Column(id="factor", about="slope, disturbance or distance_to_built_up",
                              units=None, dtype="str"),
                       Column(id="upper", about="upper bound of the class in the factor's units "
                              "(degree, 1, m)", units=None),
                       Column(id="resistance", about="resistance of the class (> 0)", units="",
                              gt=0),
                   )),
        VectorInput(id="sources", about="Ecological source polygons (used instead of importance); "
                    "source ids follow feature order", geometry="polygon", required=False),
        zone_inputs("Polygons to total corridor length in (e.g. prefectures)")[0],
        ParamInput(id="importance_threshold", about="Importance at and above which a cell can be a "
                   "source (needed with importance)", units="", required=False),
        ParamInput(id="min_source_area", about="Minimum area of a source patch (true cell areas); "
                   "default illustrative", units="km**2", ge=0, default=10.0),
        ParamInput(id="max_sources", about="Keep the largest this many patches", units="", dtype="int",
                   ge=1, default=30),
        ParamInput(id="corridor_width", about="Half-width of corridor bands as cost distance from the "
                   "least-cost path (resistance-weighted metres: resistance × m); default illustrative",
                   units="m", ge=0, default=50000.0),
        ParamInput(id="corridor_paths", about="least_cost: each corridor is the least-cost path "
                   "between its two sources over the whole grid, dropped if it crosses a third source "
                   "(Linkage Mapper); within_zones: the least-cost path inside the two sources' "
                   "cost-allocation zones (one Dijkstra run in all, faster)", units=None, dtype="str",
                   choices=PATH_MODES, default="least_cost"),
        ParamInput(id="max_corridor_cost", about="Drop corridors costing more (resistance × m)",
                   units="m", ge=0, required=False),
        ParamInput(id="pinch_percentile", about="Corridor cells with current at or above this "
                   "percentile are pinch points; default illustrative", units="", ge=0, le=100,
                   default=90.0),
        ParamInput(id="circuit_mode", about="corridors: one circuit per corridor band, summed "
                   "(Pinchpoint Mapper); pairwise: all source pairs on the whole grid (Circuitscape "
                   "pairwise mode; grids up to ~10^6 cells)", units=None, dtype="str",
                   choices=CIRCUIT_MODES, default="corridors"),
        ParamInput(id="connection_scheme", about="Cell-to-cell conductance: average_conductance "
                   "(Circuitscape default) or average_resistance", units=None, dtype="str",
                   choices=SCHEMES, default="average_conductance"),
        ParamInput(id="grading", about="classes: step function of the class breaks; linear: "
                   "piecewise-linear through (upper, resistance)", units=None, dtype="str",
                   choices=("classes", "linear"), default="classes"),
        zone_inputs()[1],
    ),
    outputs=(
        RasterOutput(id="resistance", about="Combined resistance surface (nodata = impassable)",
                     units="", long_name="resistance"),
        RasterOutput(id="cost_distance", about="Minimum cumulative resistance to the nearest source "
                     "(resistance × m)", units="m", long_name="cost distance to the nearest source"),
        RasterOutput(id="cost_allocation", about="Id of the nearest source by cost", units=None,
                     long_name="nearest source (cost allocation)", dtype="int32",
                     kind="categorical"),
        RasterOutput(id="current_density", about="Cumulative current through each cell with 1 A "
                     "between sources (Circuitscape node current)", units="A",
                     long_name="current density"),
        RasterOutput(id="pinch_points", about="1 = pinch point (corridor cell at or above the current "
                     "percentile), 0 = not", units=None, long_name="pinch points", dtype="uint8",
                     kind="categorical", categories=((0, "not a pinch point", "#f0f0f0"),
                                                     (1, "pinch point 夹点", "#e31a1c"))),
        VectorOutput(id="sources", about="Ecological sources (the cells used)", geometry="polygon",
                     fields=(Column(id="source_id", about="source id", units=None, dtype="int"),
                             Column(id="area_km2", about="true area", units="km**2"),
                             Column(id="cells", about="number of cells", units=None, dtype="int"))),
        VectorOutput(id="corridors", about="Least-cost corridors (cell-centre lines)", geometry="line",
                     fields=(Column(id="from_source", about="source id", units=None, dtype="int"),
                             Column(id="to_source", about="source id", units=None, dtype="int"),
                             Column(id="cost", about="accumulated cost (resistance × m)", units="m"),
                             Column(id="length_m", about="length", units="m"),
                             Column(id="effective_resistance", about="effective resistance between "
                                    "the two sources in the circuit", units="ohm"))),
        TableOutput(id="corridor_table", about="One row per corridor", columns=(
            Column(id="from_source", about="source id", units=None, dtype="int"),
            Column(id="to_source", about="source id", units=None, dtype="int"),
            Column(id="cost", about="accumulated cost (resistance × m)", units="m"),
            Column(id="length_m", about="length", units="m"),
            Column(id="effective_resistance", about="effective resistance", units="ohm"),
        )),
        TableOutput(id="corridor_length_by_zone", about="Corridor length per zone", optional=True,
                    columns=zone_columns(
                             Column(id="corridor_length_km", about="length of corridor lines in "
                                    "the zone", units="km"),
                             about="zone name or number")),
    ),
)


def _cell_size(grid: GridSpec) -> tuple[float, float]:
    if grid.crs.is_geographic:
        raise InputError(
            f"the run grid is geographic ({grid.crs_label()}); cost distances need a projected grid "
            "in metres: reproject the rasters (e.g. to China Albers equal-area)", source="run grid")
    unit = grid.crs.axis_info[0].unit_conversion_factor if grid.crs.axis_info else 1.0
    dx, dy = grid.resolution
    return dx * unit, dy * unit


def _line(table: pd.DataFrame, position: int) -> int:
    lines = table.attrs.get("lines")
    return int(lines[position]) if lines else position + 2


def _reclassify(codes: np.ndarray, table: pd.DataFrame, column: str) -> np.ndarray:
    keys = table["lucode"].to_numpy(dtype=np.float64)
    values = table[column].to_numpy(dtype=np.float64)
    order = np.argsort(keys)
    keys, values = keys[order], values[order]
    position = np.clip(np.searchsorted(keys, codes), 0, keys.size - 1)
    hit = keys[position] == codes
    return np.where(hit, values[position], np.nan)


def _grades(inputs: Mapping[str, Any], factor: str) -> tuple[np.ndarray, np.ndarray]:
    table = inputs.get("factor_grades")
    rows = None
    if table is not None:
        names = table["factor"].str.strip().str.lower()
        unknown = sorted(set(names) - set(GRADED))
        if unknown:
            raise InputError(f"unknown factor(s) {unknown}; graded factors are {list(GRADED)}",
                             source="table 'factor_grades'")
        if (names == factor).any():
            rows = table[names == factor]
    if rows is None:
        rows = DEFAULT_GRADES[DEFAULT_GRADES["factor"] == factor]
    rows = rows.sort_values("upper")
    return rows["upper"].to_numpy(dtype=np.float64), rows["resistance"].to_numpy(dtype=np.float64)


def resistance_surface(inputs: Mapping[str, Any], dx: float, dy: float) -> np.ndarray:
    """The combined resistance (dimensionless; NaN impassable) from the run's inputs."""
    factors_given = [name for name in ("land_use", "slope", "disturbance") if name in inputs]
    if "resistance_surface" in inputs:
        if factors_given:
            raise InputError(f"give either resistance_surface or the factors {factors_given}, not both",
                             source="input 'resistance_surface'")
        return np.asarray(inputs["resistance_surface"].values, dtype=np.float64)
    if "land_use" not in inputs or "resistance_table" not in inputs:
        raise InputError("the resistance surface needs land_use and resistance_table (or give "
                         "resistance_surface)", source="inputs")
    table: pd.DataFrame = inputs["resistance_table"]
    codes = np.asarray(inputs["land_use"].values, dtype=np.float64)
    mode = str(inputs.get("grading", "classes"))
    factors: dict[str, np.ndarray] = {"land_use": _reclassify(codes, table, "resistance")}
    for name in ("slope", "disturbance"):
        if name in inputs:
            upper, resistance = _grades(inputs, name)
            factors[name] = surface.graded(np.asarray(inputs[name].values, dtype=np.float64),
                                           upper, resistance, mode)
    if "built_up" in table.columns and (table["built_up"].fillna(0).astype(int) == 1).any():
        built_codes = table.loc[table["built_up"].fillna(0).astype(int) == 1, "lucode"].to_numpy()
        built = np.isin(codes, built_codes)
        upper, resistance = _grades(inputs, "distance_to_built_up")
        distance = surface.distance_to(built, dx, dy)
        factors["distance_to_built_up"] = np.where(np.isnan(codes), np.nan,
                                                   surface.graded(distance, upper, resistance, mode))
    weights = _weights(inputs.get("factor_weights"), factors)
    values = surface.weighted_resistance({k: factors[k] for k in weights}, weights)
    _check_positive(values, "resistance surface (from land_use, slope, disturbance)")
    return values


def _weights(table: pd.DataFrame | None, factors: Mapping[str, np.ndarray]) -> dict[str, float]:
    if table is None:
        return {name: 1.0 for name in factors}  # equal weights: illustrative default
    label = "table 'factor_weights'"
    weights = {}
    for position, (name, weight) in enumerate(zip(table["factor"], table["weight"], strict=True)):
        key = str(name).strip().lower()
        where = f"line {_line(table, position)}, column 'factor'"
        if key not in FACTORS:
            raise InputError(f"unknown factor {name!r}; factors are {list(FACTORS)}", source=label,
                             where=where)
        if key not in factors:
            need = {"slope": "a slope raster", "disturbance": "a disturbance raster",
                    "distance_to_built_up": "a built_up column in resistance_table marking at least "
                                            "one code"}.get(key, key)
            raise InputError(f"factor {key!r} has a weight but no data (it needs {need})",
                             source=label, where=where)
        if float(weight) > 0:
            weights[key] = float(weight)
    if not weights:
        raise InputError("every weight is 0; give at least one positive weight", source=label)
    return weights


def _check_positive(values: np.ndarray, source: str) -> None:
    cell = surface.first_cell(values <= 0)
    if cell is not None:
        raise InputError(f"resistance {values[cell]:g} is not > 0 (resistance must be positive; "
                         "use nodata for impassable cells)", source=source,
                         where=f"cell (row {cell[0]}, col {cell[1]})")


def _importance_sources(inputs: Mapping[str, Any], grid: GridSpec,
                        passable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if inputs.get("importance_threshold") is None:
        raise InputError("importance needs the parameter importance_threshold (cells at or above "
                         "it can be sources)", source="parameter 'importance_threshold'")
    threshold = float(inputs["importance_threshold"])
    importance = np.asarray(inputs["importance"].values, dtype=np.float64)
    mask = (importance >= threshold) & passable
    area = grid.cell_area_m2()
    labels, areas = surface.label_patches(mask, area)
    minimum = float(inputs.get("min_source_area", 10.0))
    sources, kept = surface.select_sources(labels, areas, minimum, int(inputs.get("max_sources", 30)))
    if kept.size == 0:
        if areas.size == 0:
            raise InputError(f"no passable cell has importance >= {threshold:g}; lower "
                             "importance_threshold", source="input 'importance'")
        raise InputError(
            f"no source patch reaches the minimum area {minimum:g} km²: the largest of the "
            f"{areas.size} patches with importance >= {threshold:g} covers {areas.max():.4g} km²; "
            "lower min_source_area or importance_threshold", source="input 'importance'")
    return sources, kept


def run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Resistance, cost distance, corridors, current density and pinch points (computed in memory)."""
    template = inputs.get("land_use", inputs.get("resistance_surface"))
    if template is None:
        raise InputError("give land_use (with resistance_table) or resistance_surface", source="inputs")
    grid = grid_of_array(template)
    dx, dy = _cell_size(grid)
    resistance = resistance_surface(inputs, dx, dy)
    passable = np.isfinite(resistance)
    if "sources" in inputs:
        sources = rasterize_sources(inputs["sources"], grid, passable)
    elif "importance" in inputs:
        sources, _ = _importance_sources(inputs, grid, passable)
    else:
        raise InputError("give ecological sources: an importance raster (with importance_threshold) "
                         "or a sources polygon layer", source="inputs")
    count = int(sources.max())
    if count < 2:
        raise InputError(f"only {count} source found; corridors need at least 2 (lower "
                         "min_source_area or importance_threshold, or give more polygons)",
                         source="sources")
    pattern = security_pattern(
        resistance, sources, dx, dy, corridor_width=float(inputs.get("corridor_width", 50000.0)),
        max_corridor_cost=inputs.get("max_corridor_cost"),
        pinch_percentile=float(inputs.get("pinch_percentile", 90.0)),
        circuit_mode=str(inputs.get("circuit_mode", "corridors")),
        scheme=str(inputs.get("connection_scheme", "average_conductance")),
        paths=str(inputs.get("corridor_paths", "least_cost")))
    lines = corridor_lines(pattern.links, pattern.effective_resistance, grid)
    table = pd.DataFrame(lines.drop(columns="geometry"))
    pinch = np.where(passable, pattern.pinch.astype(np.float64), np.nan)
    allocation = np.where(pattern.allocation > 0, pattern.allocation, np.nan)
    outputs: dict[str, Any] = {
        "resistance": from_array(resistance, grid, name="resistance", units=""),
        "cost_distance": from_array(pattern.cost_distance, grid, name="cost_distance", units="m"),
        "cost_allocation": from_array(allocation, grid, name="cost_allocation", units=None),
        "current_density": from_array(pattern.current, grid, name="current_density", units="A"),
        "pinch_points": from_array(pinch, grid, name="pinch_points", units=None),
        "sources": source_polygons(sources, grid),
        "corridors": lines,
        "corridor_table": table,
    }
    if "zones" in inputs:
        outputs["corridor_length_by_zone"] = corridor_length_by_zone(lines, inputs["zones"],
                                                                     inputs.get("zone_field"))
    return outputs


def example() -> dict[str, Any]:
    """12 × 16 cells of 1 km on China Albers: grassland (1) with two forest patches (2) that are
    important, a built-up block (3) between them and one nodata cell."""
    from affine import Affine

    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(1000.0, 0, 0, 0, -1000.0, 5_000_000.0), (12, 16))
    codes = np.ones((12, 16))
    codes[2:6, 1:5] = 2
    codes[6:10, 11:15] = 2
    codes[4:8, 7:9] = 3
    codes[0, 15] = 255
    importance = np.where(codes == 2, 1.0, 0.2)
    slope = np.tile(np.linspace(0.0, 30.0, 16), (12, 1))
    table = pd.DataFrame({"lucode": [1, 2, 3], "resistance": [50.0, 1.0, 1000.0], "built_up": [0, 0, 1]})
    return {
        "land_use": from_array(codes, grid, name="land_use", units=None, nodata=255),
        "importance": from_array(importance, grid, name="importance", units=""),
        "slope": from_array(slope, grid, name="slope", units="degree"),
        "resistance_table": table,
        "importance_threshold": 0.5,
        "min_source_area": 5.0,
        "corridor_width": 20000.0,
    }


#: column of the per-unit summaries of a region run (zones = the region's units)
SUMMARY = (SummaryMeasure("corridor_length_km", "output:corridor_length_by_zone", "km", "zone_total", 1.0,
                          "length of ecological corridors (km)"),)

MODEL = Model(spec=SPEC, run=run, example=example, summary=SUMMARY)
