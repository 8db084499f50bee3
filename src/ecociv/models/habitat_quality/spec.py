"""The spec of ``habitat_quality``: its inputs, parameters and outputs with units and ranges.

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
)
from ecociv.spec_blocks import (
    land_use_input,
    lucode_column,
    lucode_table,
    zone_columns,
    zone_inputs,
)

#: Half-saturation constant k suggested by the user's guide ("By default, you can set k =
#: 0.05", Sharp et al. 2020, Data Needs; InVEST's sample data use 0.05). It should be recalibrated
#: to about half the largest degradation on the landscape.
DEFAULT_HALF_SATURATION = 0.05

AGGREGATIONS = ("nearest", "sum")

_PATH_COLUMNS = tuple(
    Column(id=name, about=f"InVEST's {scenario} threat raster path; accepted and not read "
           "(the rasters are the bands of input 'threats', in table order)",
           units=None, dtype="str", required=False)
    for name, scenario in (("cur_path", "current"), ("fut_path", "future"), ("base_path", "baseline"))
)

SPEC = ModelSpec(
    id="habitat_quality",
    title="Habitat quality (InVEST)",
    title_zh="生境质量",
    version="1.0.0",
    citation=(
        "Sharp, R. et al. (2020). InVEST User's Guide, Habitat Quality (eqs. hq.1-hq.4). The "
        "Natural Capital Project. Semantics of InVEST 3.20.2 (natcap/invest, "
        "src/natcap/invest/habitat_quality/habitat_quality.py)."
    ),
    about=(
        "Habitat degradation from threats (each with a maximum distance, weight and linear or "
        "exponential decay), weighted by the sensitivity of each land-use class and reduced by "
        "protection, and habitat quality by the half-saturation function, as InVEST's Habitat "
        "Quality model, with InVEST's threat and sensitivity tables; summaries per zone, per "
        "threat and per land-use class. Optionally, classes split into vegetation-cover "
        "levels (e.g. high/medium/low-cover grassland) with their own suitability and "
        "sensitivities, chosen per cell from a vegetation-cover raster."
    ),
    inputs=(
        land_use_input(codes_in="sensitivity_table.lucode", about="Land-use/land-cover codes "
                       "(the run's grid; InVEST's lulc_cur_path)"),
        RasterInput(id="threats", about="Threat rasters, one band per row of the threat table "
                    "in the same order (e.g. `gdalbuildvrt -separate` of InVEST's cur_path "
                    "rasters); values 0-1, 0 or nodata = no threat", units="", ge=0, le=1,
                    resampling="nearest", bands_from="threat_table.threat"),
        TableInput(id="threat_table", about="Threats and their reach (InVEST threats table)",
                   index="threat", columns=(
                       Column(id="threat", about="threat name; one column of that name in the "
                              "sensitivity table (case-insensitive)", units=None, dtype="str"),
                       Column(id="max_dist", about="maximum distance of the threat's impact "
                              "(> 0, at least the cell size; InVEST >= 3.15 units)", units="m",
                              gt=0),
                       Column(id="weight", about="relative impact of the threat (normalised by "
                              "the sum of weights)", units="", ge=0, le=1),
                       Column(id="decay", about="decay over distance: linear or exponential",
                              units=None, dtype="str"),
                       *_PATH_COLUMNS,
                   )),
        lucode_table("sensitivity_table", "Habitat suitability and sensitivity to each threat "
                     "per land-use code (InVEST sensitivity table; plus one 0-1 column per threat)",
                     Column(id="name", about="land-use class name", units=None, dtype="str",
                            required=False),
                     Column(id="habitat", about="habitat suitability H (0 = not habitat)",
                            units="", ge=0, le=1),
                     Column(id="cover_level_of", about="for a row that is a vegetation-cover "
                            "level of another class: that class's lucode (blank for ordinary "
                            "rows; used with input vegetation_cover)", units=None, dtype="int",
                            required=False),
                     Column(id="cover_min", about="lowest vegetation cover of the level, 0-1 "
                            "(inclusive; with cover_level_of)", units="", ge=0, le=1,
                            required=False)),
        RasterInput(id="vegetation_cover", about="Fractional vegetation cover 0-1: a cell of a "
                    "class with cover levels in the sensitivity table (rows with "
                    "cover_level_of) takes the row of the highest level whose cover_min its "
                    "cover reaches; nodata or below every level = the class's own row",
                    units="", ge=0, le=1, required=False),
        RasterInput(id="access", about="Accessibility to threats (0 = fully protected, 1 = "
                    "open; nodata = 1)", units="", ge=0, le=1, resampling="nearest",
                    required=False),
        VectorInput(id="access_polygons", about="InVEST's access vector: polygons with an "
                    "'access' field 0-1; cells outside every polygon get 1", geometry="polygon",
                    required=False, fields=(Column(id="access", about="accessibility 0-1",
                                                   units="", ge=0, le=1),)),
        ParamInput(id="half_saturation_constant", about="Half-saturation constant k (> 0); the "
                   "user's guide suggests 0.05 and recalibrating to about half the largest "
                   "degradation", units="", gt=0, default=DEFAULT_HALF_SATURATION),
        ParamInput(id="threat_aggregation", about="'nearest': impact of the nearest threat cell "
                   "(InVEST >= 3.13); 'sum': intensity-weighted sum over all threat cells in "
                   "reach (user's guide eq. hq.3)", units=None, dtype="str",
                   choices=AGGREGATIONS, default="nearest"),
        *zone_inputs("Polygons to summarise over (e.g. counties)"),
    ),
    outputs=(
        RasterOutput(id="degradation", about="Total threat level D (InVEST deg_sum_c)", units="",
                     long_name="habitat degradation"),
        RasterOutput(id="quality", about="Habitat quality Q, 0-1 (InVEST quality_c)", units="",
                     long_name="habitat quality"),
        RasterOutput(id="degradation_by_threat", about="Degradation by each threat D_r = i_r "
                     "(w_r / sum w) S_jr beta, one band per row of the threat table, named by the "
                     "threat (InVEST >= 3.15 intermediate/degradation_[THREAT]_c.tif); the bands "
                     "sum to degradation", units="", long_name="habitat degradation by threat",
                     bands_from="threat_table.threat"),
        TableOutput(id="zone_summary", about="Habitat area and area-weighted mean quality and "
                    "degradation per zone", columns=zone_columns(
                        Column(id="area_ha", about="area of cells with a result", units="ha"),
                        Column(id="habitat_area_ha", about="area of cells with H > 0", units="ha"),
                        Column(id="quality_mean", about="mean quality over all cells with a result",
                               units=""),
                        Column(id="quality_mean_habitat", about="mean quality over habitat cells",
                               units=""),
                        Column(id="degradation_mean", about="mean degradation over all cells",
                               units=""),
                        Column(id="degradation_mean_habitat", about="mean degradation over habitat "
                               "cells", units=""),
                        counts=True,
                    )),
        TableOutput(id="threat_summary", about="Degradation by each threat per zone (InVEST's "
                    "degradation_[THREAT] rasters, summarised)", columns=zone_columns(
                        Column(id="threat", about="threat name (lower case)", units=None,
                               dtype="str"),
                        Column(id="weight_normalized", about="w_r / sum of weights", units=""),
                        Column(id="degradation_mean", about="area-weighted mean degradation by "
                               "this threat over cells with a result", units=""),
                        Column(id="degradation_share", about="this threat's part of the zone's "
                               "total degradation (empty when the total is 0)", units=""),
                    )),
        TableOutput(id="class_summary", about="Area and mean quality and degradation per "
                    "land-use class", columns=(
                        lucode_column(),
                        Column(id="name", about="class name (when the table has one)", units=None,
                               dtype="str", required=False),
                        Column(id="habitat", about="habitat suitability H", units=""),
                        Column(id="area_ha", about="area of the class's cells", units="ha"),
                        Column(id="cells", about="number of cells", units=None, dtype="int"),
                        Column(id="quality_mean", about="area-weighted mean quality", units=""),
                        Column(id="degradation_mean", about="area-weighted mean degradation",
                               units=""),
                    )),
    ),
)
