"""The spec of ``ecological_sensitivity``: its inputs, parameters and outputs with units and ranges.

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
)
from ecociv.spec_blocks import zone_columns, zone_inputs

#: Factor limits: (parameter id, default, about, increasing).
LIMITS = {
    "erosivity": ("erosivity_limits", "100,600", "rainfall erosivity R, MJ·mm/(ha·h·yr)", True),
    "relief": ("relief_limits", "50,300", "terrain relief, m", True),
    "cover": ("cover_limits", "0.2,0.6", "vegetation cover, fraction (sensitivity falls with "
              "cover)", False),
    "dryness": ("dryness_limits", "1.5,16", "dryness index", True),
    "windy_days": ("windy_days_limits", "10,30", "days with wind ≥ 6 m/s in winter-spring, "
                   "December-May (10/30: the 5-class limits 5/10/20/30 merged, and the defaults "
                   "of a public 3-class implementation; the 2017 guideline's table not seen)",
                   True),
    "evaporation_ratio": ("evaporation_ratio_limits", "3,15", "evaporation / precipitation", True),
    "mineralization": ("mineralization_limits", "5,25", "groundwater mineralization, g/L", True),
    "groundwater_depth": ("groundwater_depth_limits", "1,5", "groundwater depth, m (sensitivity "
                          "falls with depth)", False),
}

_LIMIT_PARAMS = tuple(
    ParamInput(id=pid, about=f"Limits of the {about} classes, ascending, comma-separated "
               f"(default {default}; how each default was sourced: see the model notes)",
               units=None, dtype="str", default=default)
    for pid, default, about, _ in LIMITS.values()
)

SPEC = ModelSpec(
    id="ecological_sensitivity",
    title="Ecological sensitivity (soil erosion, desertification, salinization)",
    title_zh="生态环境敏感性",
    version="1.1.0",
    citation=(
        "Ministry of Environmental Protection, National Development and Reform Commission "
        "(2017). 生态保护红线划定指南 (Guideline for delimiting ecological protection red lines), "
        "环办生态〔2017〕48号, appendix: ecological-environment sensitivity assessment. State "
        "Environmental Protection Administration (2002). 生态功能区划暂行规程. Soil Survey "
        "Division Staff (1993). Soil Survey Manual, USDA Handbook 18 (texture triangle)."
    ),
    about=(
        "Soil (water) erosion SS = (R·K·LS·C)^(1/4), land desertification D = (I·W·K·C)^(1/4) "
        "and soil salinization S = (I·M·D·K)^(1/4) sensitivity indices from factors graded "
        "1/3/5, their classes (一般敏感/敏感/极敏感) and the highest of the three, with class "
        "areas per zone. Limits are parameters; several defaults are illustrative (see each)."
    ),
    inputs=(
        RasterInput(id="rainfall_erosivity", about="Rainfall erosivity R (e.g. the "
                    "soil_conservation model's)", units="MJ*mm/(ha*h*yr)", ge=0, le=100000),
        RasterInput(id="vegetation_cover", about="Fractional vegetation cover (growing season), "
                    "factor C of erosion and, without 'vegetation_cover_winter_spring', of "
                    "desertification", units="", ge=0, le=1),
        RasterInput(id="vegetation_cover_winter_spring", about="Fractional vegetation cover in "
                    "winter and spring (the guideline's 植被覆盖(冬春) of desertification)",
                    units="", ge=0, le=1, required=False),
        RasterInput(id="terrain_relief", about="Terrain relief (地形起伏度): highest minus lowest "
                    "elevation in a neighbourhood (absent: from 'elevation')", units="m", ge=0,
                    le=9000, required=False),
        RasterInput(id="elevation", about="Elevation, for the terrain relief when no "
                    "'terrain_relief' is given", units="m", ge=-500, le=9000, required=False),
        ParamInput(id="relief_window", about="Side of the square neighbourhood for relief from "
                   "'elevation', cells (odd). Illustrative default 3", units=None, dtype="int",
                   ge=3, le=101, default=3),
        RasterInput(id="soil_texture", about="Soil texture class codes: 1 sand, 2 loamy sand, "
                    "3 sandy loam, 4 loam, 5 silt loam, 6 silt, 7 sandy clay loam, 8 clay loam, "
                    "9 silty clay loam, 10 sandy clay, 11 silty clay, 12 clay (USDA), 13 gravel, "
                    "14 bedrock (absent: from sand/silt/clay)", units=None, kind="categorical",
                    required=False),
        RasterInput(id="sand", about="Sand content, for the USDA texture class when no "
                    "'soil_texture' is given", units="percent", ge=0, le=100, required=False),
        RasterInput(id="silt", about="Silt content (see 'sand')", units="percent", ge=0, le=100,
                    required=False),
        RasterInput(id="clay", about="Clay content (see 'sand')", units="percent", ge=0, le=100,
                    required=False),
        TableInput(id="texture_scores", about="Scores of each texture code for the three indices "
                   "(absent: the built-in table, partly illustrative)", index="code",
                   required=False, columns=(
            Column(id="code", about="texture class code", units=None, dtype="int"),
            Column(id="erosion", about="erodibility score of soil erosion sensitivity", units=""),
            Column(id="desertification", about="texture score of desertification sensitivity",
                   units=""),
            Column(id="salinization", about="texture score of salinization sensitivity",
                   units=""),
        )),
        RasterInput(id="dryness_index", about="Dryness index (干燥度) I of desertification "
                    "(absent: 0.16 × accumulated temperature ≥ 10 °C / precipitation of that "
                    "period from 'temperature_monthly' and 'precipitation_monthly', or else "
                    "annual et0 / precipitation)", units="", ge=0, le=1000, required=False),
        RasterInput(id="temperature_monthly", about="Mean air temperature of each month, 12 "
                    "bands from January, for the dryness index by the modified Selyaninov "
                    "formula (with 'precipitation_monthly')", units="degC", ge=-70, le=60,
                    bands=12, required=False),
        RasterInput(id="precipitation_monthly", about="Precipitation of each month, 12 bands "
                    "from January (see 'temperature_monthly')", units="mm/month", ge=0, le=5000,
                    bands=12, required=False),
        RasterInput(id="evaporation_ratio", about="Evaporation / precipitation of salinization "
                    "(absent: annual et0 / precipitation)", units="", ge=0, le=1000,
                    required=False),
        RasterInput(id="precipitation", about="Annual precipitation (for the ratios above)",
                    units="mm/yr", ge=0, le=20000, required=False),
        RasterInput(id="et0", about="Annual reference evapotranspiration (for the ratios above)",
                    units="mm/yr", ge=0, le=5000, required=False),
        RasterInput(id="windy_days", about="Days with wind ≥ 6 m/s in winter and spring "
                    "(December-May)", units="d", ge=0, le=182, required=False),
        ParamInput(id="windy_days_default", about="Windy days where no 'windy_days' raster is "
                   "given. Illustrative default 20 d", units="d", ge=0, le=182, default=20.0),
        RasterInput(id="groundwater_mineralization", about="Mineralization (total dissolved "
                    "solids) of shallow groundwater", units="g/L", ge=0, le=500, required=False),
        ParamInput(id="groundwater_mineralization_default", about="Mineralization where no raster "
                   "is given. Illustrative default 1 g/L (fresh)", units="g/L", ge=0, le=500,
                   default=1.0),
        RasterInput(id="groundwater_depth", about="Depth to the shallow groundwater table",
                    units="m", ge=0, le=1000, required=False),
        ParamInput(id="groundwater_depth_default", about="Groundwater depth where no raster is "
                   "given. Illustrative default 10 m", units="m", ge=0, le=1000, default=10.0),
        *_LIMIT_PARAMS,
        ParamInput(id="index_class_limits", about="Limits of the index classes, ascending, "
                   "comma-separated; n - 1 limits give classes 1..n and factor scores 1, 3, ..., "
                   "2n - 1 (2017 guideline default 2,4: 1.0-2.0, 2.1-4.0, >4.0)", units=None,
                   dtype="str", default="2,4"),
        *zone_inputs("Polygons to report class areas in"),
    ),
    outputs=(
        RasterOutput(id="erosion_sensitivity", about="Soil erosion sensitivity index "
                     "(R·K·LS·C)^(1/4)", units="", long_name="soil erosion sensitivity index"),
        RasterOutput(id="desertification_sensitivity", about="Land desertification sensitivity "
                     "index (I·W·K·C)^(1/4)", units="", long_name="desertification sensitivity index"),
        RasterOutput(id="salinization_sensitivity", about="Soil salinization sensitivity index "
                     "(I·M·D·K)^(1/4)", units="", long_name="salinization sensitivity index"),
        RasterOutput(id="erosion_sensitivity_class", about="Soil erosion sensitivity class (1 = "
                     "一般敏感 ... 3 = 极敏感 with the default limits)", units=None, dtype="uint8",
                     long_name="soil erosion sensitivity class", kind="categorical"),
        RasterOutput(id="desertification_sensitivity_class", about="Desertification sensitivity "
                     "class", units=None, dtype="uint8",
                     long_name="desertification sensitivity class", kind="categorical"),
        RasterOutput(id="salinization_sensitivity_class", about="Salinization sensitivity class",
                     units=None, dtype="uint8", long_name="salinization sensitivity class",
                     kind="categorical"),
        RasterOutput(id="sensitivity_class", about="Highest of the three classes (cells with "
                     "some indices missing take the highest of the others)", units=None,
                     dtype="uint8", long_name="ecological sensitivity class (highest)",
                     kind="categorical"),
        TableOutput(id="sensitivity_area", about="Area of each class of each index per zone",
                    columns=zone_columns(
            Column(id="index", about="erosion, desertification, salinization or overall",
                   units=None, dtype="str"),
            Column(id="class", about="sensitivity class", units=None, dtype="int"),
            Column(id="class_name", about="name of the class", units=None, dtype="str"),
            Column(id="area_km2", about="area of the class (true cell areas)", units="km**2"),
            Column(id="share_pct", about="share of the zone's classified area", units="percent"),
        )),
    ),
)
