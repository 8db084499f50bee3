"""The spec of ``ecological_redline``: its inputs, parameters and outputs with units and ranges.

Kept apart from the model's code and free of numerical libraries, so that listing and
describing models (``ecociv models``, ``ecociv model describe``) start quickly."""

from __future__ import annotations

from ecociv.spec import (
    Column,
    ModelSpec,
    ParamInput,
    RasterInput,
    RasterOutput,
    TableOutput,
    VectorOutput,
)
from ecociv.spec_blocks import land_use_input, zone_columns, zone_inputs

#: Cumulative shares (%) of the total service that bound the top two classes: the guideline
#: takes the cell values at which the cumulative service reaches 50 % and 80 % of the total as
#: the class breaks (《生态保护红线划定指南》2017, importance assessment, "评估分级").
EXTREMELY_IMPORTANT_PERCENT = 50.0

IMPORTANT_PERCENT = 80.0

#: Service inputs: id -> (units, description). Any units work (grading is relative); these
#: are the units the ecociv service models write.
SERVICES: dict[str, tuple[str, str]] = {
    "water_conservation": ("mm/yr", "Water conservation (水源涵养量)"),
    "soil_conservation": ("t/ha/yr", "Soil conservation (土壤保持量)"),
    "sand_fixation": ("t/km**2/yr", "Sand fixation (防风固沙量)"),
    "habitat_quality": ("", "Habitat quality 0-1 (biodiversity maintenance, 生物多样性维护)"),
}

_GUIDELINE = ("《生态保护红线划定指南》(MEP & NDRC 2017), importance assessment, grading "
              "(评估分级)")

#: importance classes of the guideline (一般重要 / 重要 / 极重要), coloured light to dark
IMPORTANCE_CLASSES = ((1, "generally important 一般重要", "#ffffb2"),
                      (2, "important 重要", "#fd8d3c"),
                      (3, "extremely important 极重要", "#bd0026"))
_ZONE_COLUMNS = zone_columns(
    Column(id="area_km2", about="area of the unit on the grid", units="km**2"),
    Column(id="redline_km2", about="red-line area", units="km**2"),
    Column(id="redline_percent", about="red-line area over the unit's area", units="percent"),
    Column(id="cropland_conflict_km2", about="red line on cropland (with land_use)",
           units="km**2", required=False),
    Column(id="built_up_conflict_km2", about="red line on built-up land (with land_use)",
           units="km**2", required=False),
)

SPEC = ModelSpec(
    id="ecological_redline",
    title="Ecological protection red line",
    title_zh="生态保护红线",
    version="1.0.0",
    citation=(
        "Ministry of Environmental Protection and National Development and Reform Commission "
        "(2017). 生态保护红线划定指南 (Technical Guideline for Delimiting Ecological Protection "
        "Red Lines), 环办生态〔2017〕48号. Rosenfeld, A. (1970). Connectivity in digital "
        "pictures. Journal of the ACM 17(1), 146-160."
    ),
    about=(
        "Ecological function importance of each service layer graded by the cumulative "
        "contribution of its sorted cell values (top 50 % of the total service = extremely "
        "important, next 30 % = important), merged by the highest class; red line = extremely "
        "important or extremely sensitive land, smoothed by a majority filter, small holes "
        "filled and small patches removed (true cell areas); red-line polygons, red-line area "
        "and share per unit and per basin (exact cell fractions), and overlap with cropland and "
        "built-up land, which is removed from the red line by default. With zones, the grading "
        "(and every raster output) covers the union of the zones only. At least one service "
        "layer is needed."
    ),
    inputs=(
        *(RasterInput(id=sid, about=f"{about}, per unit area (optional; at least one service)",
                      units=units, ge=0, required=False)
          for sid, (units, about) in SERVICES.items()),
        RasterInput(id="sensitivity_class", about="Ecological sensitivity classes (from "
                    "ecological_sensitivity; higher = more sensitive)", units=None,
                    kind="categorical", required=False),
        land_use_input(codes_in=None, required=False, about="Land-use codes, for conflicts "
                       "with cropland and built-up land"),
        *zone_inputs("Administrative units to report the red line over"),
        *zone_inputs("River basins to report the red line over", id="basins",
                     field_id="basin_field",
                     field_about="Attribute naming each basin (default: feature number)"),
        ParamInput(id="extremely_important_percent", about="Cumulative share of the total "
                   f"service held by the extremely important cells ({_GUIDELINE}: 50 %)",
                   units="percent", gt=0, le=100, default=EXTREMELY_IMPORTANT_PERCENT),
        ParamInput(id="important_percent", about="Cumulative share of the total service held "
                   f"by the extremely important and important cells together ({_GUIDELINE}: "
                   "80 %)", units="percent", gt=0, le=100, default=IMPORTANT_PERCENT),
        ParamInput(id="extremely_sensitive_class", about="Sensitivity classes at or above this "
                   "count as extremely sensitive (default 3 = 极敏感 on the guideline's scale "
                   "1 一般敏感, 2 敏感, 3 极敏感; use 5 on a five-class scale)", units=None,
                   dtype="int", ge=1, le=255, default=3),
        ParamInput(id="smoothing_window", about="Side of the square majority-filter window, "
                   "cells (odd; 1 = no smoothing; a cell joins the side holding more than half "
                   "of the valid cells of its window, so strips narrower than about half the "
                   "window disappear). Illustrative default 3", units=None,
                   dtype="int", ge=1, le=51, default=3),
        ParamInput(id="max_hole_area", about="Enclosed holes smaller than this are filled "
                   "(0 = none). Illustrative default (the guideline sets no figure)",
                   units="km**2", ge=0, default=1.0),
        ParamInput(id="min_patch_area", about="Red-line patches smaller than this are removed "
                   "(0 = none). Illustrative default (the guideline sets no figure)",
                   units="km**2", ge=0, default=1.0),
        ParamInput(id="grading_extent", about="Where the services are graded: 'zones' = "
                   "inside the union of the zones only (the assessment region; cells outside "
                   "it neither count in the totals nor get a class and are nodata in every "
                   "raster output; cells on its edge count with the fraction inside), 'grid' = "
                   "every cell of the grid. Without zones the whole grid is graded",
                   units=None, dtype="str", choices=("zones", "grid"), default="zones"),
        ParamInput(id="break_ties", about="Cells equal to the value at which a cumulative "
                   "share is crossed: 'higher' = all join the higher class (it then holds at "
                   "least the share); 'nearest' = all join the higher or all the lower class, "
                   "whichever leaves its share nearer the guideline's percentage (matters for "
                   "services with many equal values, such as habitat quality by class)",
                   units=None, dtype="str", choices=("higher", "nearest"), default="higher"),
        ParamInput(id="exclude_cropland_built_up", about="With land_use: remove cropland and "
                   "built-up land from the red line (after hole filling, before the minimum "
                   "patch area), as the delineations in the territorial plans do (the red line "
                   "does not include permanent basic farmland or built-up land: 自然资源部等, "
                   "关于在国土空间规划中统筹划定落实三条控制线的指导意见, 2019). The conflicts "
                   "are still reported: they are what was removed. 0 = report only",
                   units=None, dtype="bool", default=True),
        ParamInput(id="cropland_codes", about="Land-use codes of cropland, comma-separated "
                   "(needed with land_use; e.g. 11,12 in the CNLUCC classification)",
                   units=None, dtype="str", required=False),
        ParamInput(id="built_up_codes", about="Land-use codes of built-up land, comma-separated "
                   "(needed with land_use; e.g. 51,52,53 in CNLUCC)", units=None, dtype="str",
                   required=False),
    ),
    outputs=(
        RasterOutput(id="importance_class", about="Merged ecological function importance: 1 "
                     "generally important, 2 important, 3 extremely important", units=None,
                     long_name="ecological function importance (1-3)", dtype="uint8",
                     kind="categorical", categories=IMPORTANCE_CLASSES),
        *(RasterOutput(id=f"importance_{sid}", about=f"Importance class of {sid} alone (1-3)",
                       units=None, long_name=f"{sid} importance (1-3)", dtype="uint8",
                       optional=True, kind="categorical", categories=IMPORTANCE_CLASSES)
          for sid in SERVICES),
        RasterOutput(id="redline_candidate", about="Extremely important or extremely sensitive "
                     "land before clean-up (1 = candidate)", units=None,
                     long_name="red-line candidate (0/1)", dtype="uint8", kind="categorical",
                     categories=((0, "not a candidate 非候选区", "#f0f0f0"),
                                 (1, "red-line candidate 红线候选区", "#fb6a4a"))),
        RasterOutput(id="redline", about="Ecological protection red line after smoothing, hole "
                     "filling and minimum patch area (1 = inside)", units=None,
                     long_name="ecological protection red line (0/1)", dtype="uint8",
                     kind="categorical", categories=((0, "outside the red line 红线外", "#f0f0f0"),
                                                     (1, "ecological protection red line 生态保护红线",
                                                      "#cb181d"))),
        RasterOutput(id="conflict", about="Cropland (1) or built-up land (2) inside the "
                     "delineated red line before their exclusion, 0 elsewhere (with land_use)", units=None,
                     long_name="red-line conflicts (1 cropland, 2 built-up)", dtype="uint8",
                     optional=True, kind="categorical",
                     categories=((0, "no conflict 无冲突", "#f0f0f0"),
                                 (1, "red line on cropland 红线内耕地", "#fec44f"),
                                 (2, "red line on built-up land 红线内建设用地", "#b30000"))),
        VectorOutput(id="redline_polygons", about="One polygon per red-line patch",
                     geometry="polygon", fields=(
                         Column(id="id", about="patch number", units=None, dtype="int"),
                         Column(id="area_km2", about="true area (from cell areas)",
                                units="km**2"),
                     )),
        TableOutput(id="importance_thresholds", about="Grading of each service: value "
                    "thresholds and the share of the service in each class", columns=(
                        Column(id="service", about="service input id", units=None, dtype="str"),
                        Column(id="units", about="units of the service and its thresholds",
                               units=None, dtype="str"),
                        Column(id="threshold_extremely_important", about="lowest value of "
                               "the extremely important class (service units)", units=None),
                        Column(id="threshold_important", about="lowest value of the important "
                               "class (service units)", units=None),
                        Column(id="share_extremely_important_percent", about="share of the "
                               "total service in extremely important cells", units="percent"),
                        Column(id="share_important_percent", about="share of the total service "
                               "in important cells", units="percent"),
                        Column(id="area_extremely_important_km2", about="area of extremely "
                               "important cells", units="km**2"),
                        Column(id="area_important_km2", about="area of important cells",
                               units="km**2"),
                        Column(id="area_generally_important_km2", about="area of generally "
                               "important cells", units="km**2"),
                    )),
        TableOutput(id="redline_by_zone", about="Red line and conflicts per unit (exact cell "
                    "fractions; one row 'all' without zones)", columns=_ZONE_COLUMNS),
        TableOutput(id="redline_by_basin", about="Red line and conflicts per basin (with "
                    "basins)", columns=_ZONE_COLUMNS, optional=True),
    ),
)
