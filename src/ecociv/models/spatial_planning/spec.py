"""The spec of ``spatial_planning``: its inputs, parameters and outputs with units and ranges.

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
    VectorOutput,
)
from ecociv.spec_blocks import land_use_input, lucode_table, zone_column, zone_columns, zone_inputs

#: The three plans (control lines) in their default precedence, highest first. When lines
#: conflict, the red line keeps its integrity, permanent basic farmland its scale, and the urban
#: development boundary gives way to both (中共中央办公厅、国务院办公厅 2019, 关于在国土空间规划中
#: 统筹划定落实三条控制线的指导意见, part 协调解决冲突; read in secondary copies, see
#: docs/spatial_planning.md).
PLANS = ("redline", "basic_farmland", "urban_boundary")
DEFAULT_PRECEDENCE = ",".join(PLANS)

#: Bit of each plan in the ``plan_conflict`` codes.
PLAN_BITS = {"redline": 1, "basic_farmland": 2, "urban_boundary": 4}

PLAN_NAMES = {"redline": "ecological red line 生态保护红线",
              "basic_farmland": "permanent basic farmland 永久基本农田",
              "urban_boundary": "urban development boundary 城镇开发边界"}

#: Roles a land-use class can have in the planning (column ``role`` of ``planning_classes``).
ROLES = ("built_up", "cropland", "water", "other")

#: Expansion factor of the urban development boundary over the current urban construction land.
#: 1.3 is recalled from the 2022 national delineation rules of the three zones and three lines
#: (自然资源部, 全国"三区三线"划定规则, 2022) and could not be checked in a primary or secondary
#: copy: uncertain; set the figure of your own province.
EXPANSION_FACTOR = 1.3

_BIT_CATEGORIES = (
    (0, "no plan 无", "#f0f0f0"),
    (1, "red line 仅生态保护红线", "#a1d99b"),
    (2, "farmland 仅永久基本农田", "#fee391"),
    (3, "red line + farmland 红线与基本农田重叠", "#e6550d"),
    (4, "boundary 仅城镇开发边界", "#bcbddc"),
    (5, "red line + boundary 红线与开发边界重叠", "#a50f15"),
    (6, "farmland + boundary 基本农田与开发边界重叠", "#8c2d04"),
    (7, "all three 三线重叠", "#000000"),
)
ZONE_CATEGORIES = ((1, "ecological space 生态空间", "#41ab5d"),
                   (2, "agricultural space 农业空间", "#fec44f"),
                   (3, "urban space 城镇空间", "#de2d26"))
LINE_CATEGORIES = ((0, "no line 无控制线", "#f0f0f0"),
                   (1, "red line 生态保护红线", "#006d2c"),
                   (2, "basic farmland 永久基本农田", "#d95f0e"),
                   (3, "urban boundary 城镇开发边界", "#756bb1"))
_INSIDE = ((0, "outside 外", "#f0f0f0"), (1, "inside 内", "#756bb1"))

_KM2 = "km**2"
_YI_YUAN = "hundred_million * yuan"
_WAN_YUAN_KM2 = "ten_thousand * yuan / km**2"


def _codes_param(pid: str, what: str, example: str) -> ParamInput:
    return ParamInput(id=pid, about=f"Land-use codes of {what}, comma-separated (e.g. "
                      f"{example}; ignored when planning_classes is given)", units=None,
                      dtype="str", required=False)


_PLANNING_COLUMNS = zone_columns(
    Column(id="area_km2", about="area of the unit on the grid", units=_KM2),
    Column(id="ecological_space_km2", about="ecological space 生态空间", units=_KM2),
    Column(id="agricultural_space_km2", about="agricultural space 农业空间", units=_KM2),
    Column(id="urban_space_km2", about="urban space 城镇空间 (= final urban boundary)",
           units=_KM2),
    Column(id="redline_km2", about="red line after resolution", units=_KM2),
    Column(id="basic_farmland_km2", about="permanent basic farmland after resolution",
           units=_KM2),
    Column(id="urban_boundary_km2", about="urban development boundary after resolution",
           units=_KM2),
    Column(id="urban_boundary_candidate_km2", about="urban development boundary as delineated, "
           "before the conflicts with the other lines are resolved", units=_KM2),
    Column(id="built_up_km2", about="built-up land of land_use", units=_KM2),
    Column(id="built_up_base_km2", about="built-up land of the base map (initial_land_use, "
           "else land_use): the base of the expansion factor", units=_KM2),
    Column(id="built_up_growth_km2", about="built-up in land_use that was not built-up in "
           "initial_land_use (0 without it)", units=_KM2),
    Column(id="boundary_cap_km2", about="expansion_factor × built_up_base_km2 (empty without "
           "a cap); a boundary above it means the built-up land of land_use alone exceeds it",
           units=_KM2, required=False),
    Column(id="boundary_expansion_ratio", about="urban_boundary_km2 / built_up_base_km2",
           units=""),
)

SPEC = ModelSpec(
    id="spatial_planning",
    title="Urban development boundary, three zones and three lines, construction-land control",
    title_zh="城镇开发边界、三区三线与建设用地管控",
    version="1.0.0",
    citation=(
        "中共中央办公厅、国务院办公厅 (2019). 关于在国土空间规划中统筹划定落实三条控制线的指导"
        "意见 (Guiding opinions on delineating the three control lines in territorial spatial "
        "planning). Soille, P. (2003). Morphological Image Analysis, 2nd ed., Springer "
        "(closing, hole filling). Maurer, C. R., Qi, R., Raghavan, V. (2003). A linear time "
        "algorithm for computing exact Euclidean distance transforms. IEEE TPAMI 25(2), 265-270."
    ),
    about=(
        "Urban development boundary from a land-use map (current or simulated): built-up land "
        "plus suitable land within a buffer, closed (compactness), holes filled, water and "
        "constraints excluded, capped at an expansion factor × the base built-up area per unit "
        "(growth nearest the built-up land first), small patches removed; as a raster and "
        "polygons. Three control lines — red line, permanent basic farmland (given, or derived "
        "from cropland of good agricultural suitability: illustrative), urban boundary — with "
        "their overlaps coded per cell, resolved by a configurable precedence (default red "
        "line > basic farmland > urban boundary), and the three spaces (ecological, "
        "agricultural, urban); per-unit conflict table (which plans claim which land, km², "
        "resolved to what), per-unit areas, and construction land against a cap with land-use "
        "efficiency (value added and population per km² of construction land)."
    ),
    inputs=(
        land_use_input(codes_in=None, about="Land-use map the plan is drawn on (current, or "
                       "simulated, e.g. @land_use_change.land_use_2035)"),
        land_use_input(codes_in=None, id="initial_land_use", required=False,
                       about="Earlier land-use map: base of the expansion factor, and growth "
                       "= built-up in land_use that was not built-up here"),
        RasterInput(id="urban_suitability", about="Urban construction suitability classes "
                    "(0-4, from double_evaluation; 3 suitable, 4 most suitable)", units=None,
                    kind="categorical", required=False),
        RasterInput(id="urban_level", about="Urban construction condition level (1-5, from "
                    "double_evaluation), if urban_suitability is not given", units=None,
                    kind="categorical", required=False),
        RasterInput(id="urban_probability", about="Urban suitability as a probability 0-1, "
                    "if neither class nor level is given: a single band, or land_use_change's "
                    "multi-band suitability (@land_use_change.suitability), of which the band "
                    "of urban_class is used", units="", ge=0, le=1, required=False,
                    any_bands=True),
        RasterInput(id="agricultural_suitability", about="Agricultural production "
                    "suitability (0-4, from double_evaluation), to derive basic farmland",
                    units=None, kind="categorical", required=False),
        RasterInput(id="redline", about="Ecological protection red line (1 = inside, from "
                    "ecological_redline)", units=None, kind="categorical", required=False),
        RasterInput(id="basic_farmland", about="Permanent basic farmland (1 = inside), the "
                    "official map when you have it", units=None, kind="categorical",
                    required=False),
        RasterInput(id="urban_constraint", about="Other land the urban boundary must avoid "
                    "(1 = excluded: hazards, airports, heritage...)", units=None,
                    kind="categorical", required=False),
        lucode_table("planning_classes", "Role of each land-use code in the planning (every "
                     "code of the maps must be listed)",
                     Column(id="role", about="built_up, cropland, water or other", units=None,
                            dtype="str"), required=False),
        TableInput(id="construction_land_caps", about="Construction-land cap per unit "
                   "(e.g. the quota of the territorial plan)", index="zone", required=False,
                   columns=(zone_column("unit name, as in the zones' zone_field"),
                            Column(id="cap_km2", about="construction-land cap", units=_KM2,
                                   ge=0))),
        TableInput(id="unit_statistics", about="Statistics per unit for land-use efficiency",
                   index="zone", required=False, columns=(
                       zone_column("unit name, as in the zones' zone_field"),
                       Column(id="population", about="resident population (persons)",
                              units="", ge=0, required=False),
                       Column(id="value_added", about="value added (GDP) of the unit",
                              units=_YI_YUAN, ge=0, required=False),
                   )),
        *zone_inputs("Units to plan and report over (counties)"),
        _codes_param("built_up_codes", "built-up land", "'5', or '51,52,53' in CNLUCC"),
        _codes_param("cropland_codes", "cropland", "'1', or '11,12' in CNLUCC"),
        _codes_param("water_codes", "water (rivers, lakes, reservoirs)", "'4'"),
        ParamInput(id="urban_min_class", about="urban_suitability at or above this is suitable "
                   "for growth (3 = suitable 适宜)", units=None, dtype="int", ge=1, le=4,
                   default=3),
        ParamInput(id="urban_min_level", about="urban_level at or above this is suitable for "
                   "growth (with urban_level only)", units=None, dtype="int", ge=1, le=5,
                   default=4),
        ParamInput(id="urban_class", about="Land-use code whose band of a multi-band "
                   "urban_probability is used (bands named '...: <code>', as land_use_change "
                   "writes them); default the one code of built-up land", units=None,
                   dtype="int", required=False),
        ParamInput(id="urban_min_probability", about="urban_probability at or above this is "
                   "suitable for growth (with urban_probability only; illustrative default)",
                   units="", ge=0, le=1, default=0.5),
        ParamInput(id="buffer_distance", about="Growth reaches land within this distance of "
                   "built-up land (cell centre to cell centre; suitable land only when a "
                   "suitability is given). Illustrative default", units="m", ge=0,
                   default=2000.0),
        ParamInput(id="closing_distance", about="Radius of the disc of the morphological "
                   "closing that makes the boundary compact (0 = none). Illustrative default",
                   units="m", ge=0, default=1000.0),
        ParamInput(id="max_hole_area", about="Enclosed holes of the boundary smaller than this "
                   "are filled (0 = none). Illustrative default", units=_KM2, ge=0,
                   default=2.0),
        ParamInput(id="min_patch_area", about="Boundary patches smaller than this are removed "
                   "(0 = none). Illustrative default", units=_KM2, ge=0, default=1.0),
        ParamInput(id="expansion_factor", about="The boundary of a unit is at most this × the "
                   "built-up area of its base map (growth nearest built-up land kept first; 0 "
                   f"= no cap). Default {EXPANSION_FACTOR}: recalled from the 2022 national "
                   "three-zones-three-lines rules, not verified", units="", ge=0,
                   default=EXPANSION_FACTOR),
        ParamInput(id="exclude_water", about="Keep water (water_codes) out of the boundary",
                   units=None, dtype="bool", default=True),
        ParamInput(id="basic_farmland_min_class", about="Without a basic_farmland map: "
                   "cropland whose agricultural_suitability is at or above this is taken as "
                   "permanent basic farmland (illustrative: the official map is not public); "
                   "without agricultural_suitability all cropland is", units=None,
                   dtype="int", ge=1, le=4, default=3),
        ParamInput(id="derive_basic_farmland", about="Without a basic_farmland map, derive one "
                   "from cropland (else there is no basic-farmland line)", units=None,
                   dtype="bool", default=True),
        ParamInput(id="precedence", about="Order in which overlapping lines win, highest "
                   f"first, comma-separated names of {list(PLANS)} (default: the 2019 "
                   "guiding opinions' order)", units=None, dtype="str",
                   default=DEFAULT_PRECEDENCE),
        ParamInput(id="relocate_growth", about="Delineate the boundary again without the "
                   "land of the lines that outrank it, so that growth lost to them is looked "
                   "for elsewhere within the cap (0 = the boundary is the claim minus that land)",
                   units=None, dtype="bool", default=True),
        ParamInput(id="planning_extent", about="Where the plan is drawn: 'zones' = inside "
                   "the units only (cells whose centre is in no unit are nodata in every raster "
                   "output and never inside the boundary), 'grid' = every cell. Without zones "
                   "the whole grid", units=None, dtype="str", choices=("zones", "grid"),
                   default="zones"),
        ParamInput(id="construction_land_cap", about="Construction-land cap of the whole "
                   "region (row 'all'), when no construction_land_caps table is given",
                   units=_KM2, ge=0, required=False),
    ),
    outputs=(
        RasterOutput(id="urban_boundary", about="Urban development boundary after the "
                     "conflicts are resolved (1 = inside)", units=None,
                     long_name="urban development boundary (0/1)", dtype="uint8",
                     kind="categorical", categories=_INSIDE),
        RasterOutput(id="urban_boundary_candidate", about="Urban development boundary as "
                     "delineated, before resolution: the urban plan's claim (1 = inside)",
                     units=None, long_name="urban boundary before resolution (0/1)",
                     dtype="uint8", kind="categorical", categories=_INSIDE),
        VectorOutput(id="urban_boundary_polygons", about="One polygon per patch of the urban "
                     "boundary (after resolution)", geometry="polygon", fields=(
                         Column(id="id", about="patch number", units=None, dtype="int"),
                         Column(id="area_km2", about="true area (from cell areas)",
                                units=_KM2),
                         Column(id="zone", about="unit holding most of the patch ('all' "
                                "without zones)", units=None, dtype="str"),
                     )),
        RasterOutput(id="three_zones", about="Three spaces: 1 ecological, 2 agricultural, 3 "
                     "urban", units=None, long_name="three zones (1-3)", dtype="uint8",
                     kind="categorical", categories=ZONE_CATEGORIES),
        RasterOutput(id="control_lines", about="Control line holding each cell after "
                     "resolution: 0 none, 1 red line, 2 permanent basic farmland, 3 urban "
                     "boundary", units=None, long_name="three control lines (0-3)",
                     dtype="uint8", kind="categorical", categories=LINE_CATEGORIES),
        RasterOutput(id="plan_conflict", about="Plans claiming each cell, before resolution: "
                     "sum of 1 red line, 2 basic farmland, 4 urban boundary (3, 5, 6, 7 = "
                     "overlaps)", units=None, long_name="plans claiming the cell (bit codes)",
                     dtype="uint8", kind="categorical", categories=_BIT_CATEGORIES),
        TableOutput(id="conflict_by_zone", about="Overlapping claims per unit: which plans "
                    "claim the land, its area and the line it was resolved to (one row per "
                    "unit, combination and outcome; zone 'all' = the region)",
                    columns=zone_columns(
                        Column(id="claims_code", about="bit code (3, 5, 6 or 7)", units=None,
                               dtype="int"),
                        Column(id="claims", about="plans claiming the land, '+'-joined",
                               units=None, dtype="str"),
                        Column(id="resolved_to", about="line holding the land after "
                               "resolution (or 'none')", units=None, dtype="str"),
                        Column(id="area_km2", about="area (exact cell fractions)",
                               units=_KM2),
                    )),
        TableOutput(id="planning_by_zone", about="Spaces, lines and built-up land per unit "
                    "(exact cell fractions; zone 'all' = the union of the units, or the grid)",
                    columns=_PLANNING_COLUMNS),
        TableOutput(id="construction_land", about="Construction land against its cap and "
                    "land-use efficiency per unit (zone 'all' = the region)",
                    columns=zone_columns(
                        Column(id="construction_land_km2", about="built-up land of land_use",
                               units=_KM2),
                        Column(id="cap_km2", about="cap (empty: none given)", units=_KM2,
                               required=False),
                        Column(id="over_cap_km2", about="construction land minus cap (> 0 "
                               "over, < 0 room left)", units=_KM2, required=False),
                        Column(id="over_cap", about="1 = over the cap", units=None,
                               dtype="int", required=False),
                        Column(id="population", about="resident population (persons)",
                               units="", required=False),
                        Column(id="value_added", about="value added", units=_YI_YUAN,
                               required=False),
                        Column(id="population_per_km2", about="persons per km² of "
                               "construction land", units="1/km**2", required=False),
                        Column(id="value_added_per_km2", about="value added per km² of "
                               "construction land (万元/km²)", units=_WAN_YUAN_KM2,
                               required=False),
                    )),
    ),
)
