"""The spec of ``ecological_security_pattern``: its inputs, parameters and outputs with units and ranges.

Kept apart from the model's code and free of numerical libraries, so that listing and
describing models (``ecociv models``, ``ecociv model describe``) start quickly."""

from __future__ import annotations

from ecociv.spec import (
    Column,
    ModelSpec,
    ParamInput,
    RasterInput,
    RasterOutput,
    TableInput,
    TableOutput,
    VectorInput,
    VectorOutput,
)
from ecociv.spec_blocks import land_use_input, lucode_table, zone_columns, zone_inputs

SCHEMES = ("average_conductance", "average_resistance")

CIRCUIT_MODES = ("corridors", "pairwise")

PATH_MODES = ("least_cost", "within_zones")

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
