"""The spec of ``water_yield``: its inputs, parameters and outputs with units and ranges.

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
    VectorInput,
)
from ecociv.spec_blocks import land_use_input, lucode_table

SPEC = ModelSpec(
    id="water_yield",
    title="Annual water yield (Budyko)",
    title_zh="产水量",
    version="1.0.0",
    citation=(
        "Sharp, R. et al. (2020). InVEST User's Guide, Annual Water Yield. The Natural Capital "
        "Project. Zhang, L., Hickel, K., Dawes, W. R., Chiew, F. H. S., Western, A. W., Briggs, "
        "P. R. (2004). A rational function approach for estimating mean annual "
        "evapotranspiration. Water Resources Research 40, W02502. Donohue, R. J., Roderick, "
        "M. L., McVicar, T. R. (2012). Roots, storms and soil pores: incorporating key "
        "ecohydrological processes into Budyko's hydrological model. Journal of Hydrology "
        "436-437, 35-50."
    ),
    about=(
        "Mean annual water yield (precipitation minus actual evapotranspiration) of each cell, "
        "with actual evapotranspiration from the Budyko curve in Fu's form for vegetated "
        "land-use classes and min(Kc×ET0, P) for the others, as InVEST's Annual Water Yield "
        "model; means and volumes (true cell areas) per watershed."
    ),
    inputs=(
        land_use_input(codes_in="biophysical_table.lucode",
                       about="Land-use/land-cover codes (the run's grid)"),
        RasterInput(id="precipitation", about="Mean annual precipitation", units="mm/yr",
                    ge=0, le=20000, resampling="nearest"),
        RasterInput(id="et0", about="Mean annual reference evapotranspiration", units="mm/yr",
                    ge=0, le=5000, resampling="nearest"),
        RasterInput(id="root_restricting_depth",
                    about="Soil depth at which root penetration is strongly inhibited",
                    units="mm", ge=0, resampling="nearest"),
        RasterInput(id="plant_available_water",
                    about="Plant-available water content (InVEST's PAWC), fraction 0-1",
                    units="", ge=0, le=1, resampling="nearest"),
        lucode_table(
            "biophysical_table",
            "Biophysical parameters per land-use code (InVEST biophysical table)",
            Column(id="lulc_veg", about="1 for vegetated classes (Budyko curve), 0 for "
                   "others (wetlands, urban, water...: AET = min(Kc×ET0, P))",
                   units=None, dtype="bool"),
            Column(id="root_depth", about="maximum root depth (used for vegetated classes)",
                   units="mm", ge=0),
            Column(id="kc", about="crop coefficient (PET = Kc × ET0)", units="", ge=0),
        ),
        ParamInput(id="seasonality_z", about="Seasonality factor Z (InVEST's Z parameter, "
                   "must be > 0; typically 1-30)", units="", gt=0),
        RasterInput(id="seasonality_z_map", about="Seasonality factor Z per cell (e.g. "
                    "calibrated per basin by `ecociv calibrate`); where it has a value it "
                    "replaces seasonality_z", units="", gt=0, le=1000, resampling="nearest",
                    required=False),
        VectorInput(id="watersheds", about="Watershed polygons to summarise over",
                    geometry="polygon", required=False,
                    fields=(Column(id="ws_id", about="watershed identifier", units=None,
                                   dtype="int", required=False),)),
        ParamInput(id="watershed_id_field", about="Attribute naming each watershed (default: "
                   "ws_id if present, else the feature number)", units=None, dtype="str",
                   required=False, field_of="watersheds"),
    ),
    outputs=(
        RasterOutput(id="water_yield", about="Mean annual water yield (P - AET)", units="mm/yr",
                     long_name="annual water yield"),
        RasterOutput(id="aet", about="Mean annual actual evapotranspiration", units="mm/yr",
                     long_name="actual evapotranspiration"),
        RasterOutput(id="aet_fraction", about="Actual evapotranspiration over precipitation "
                     "(InVEST's fractp)", units="", long_name="AET / precipitation"),
        TableOutput(id="watershed_results", about="Means and water-yield volume per watershed "
                    "(InVEST's watershed_results_wyield columns)", columns=(
            Column(id="ws_id", about="watershed id (\"all\" without watersheds)", units=None,
                   dtype="str"),
            Column(id="precip_mn", about="mean precipitation of cells with data", units="mm/yr"),
            Column(id="PET_mn", about="mean potential evapotranspiration", units="mm/yr"),
            Column(id="AET_mn", about="mean actual evapotranspiration", units="mm/yr"),
            Column(id="wyield_mn", about="mean water yield", units="mm/yr"),
            Column(id="wyield_vol", about="water yield volume (sum over cells, true areas)",
                   units="m**3/yr"),
            Column(id="num_pixels", about="cells whose centre is in the watershed", units=None,
                   dtype="int"),
            Column(id="valid_pixels", about="cells with a water yield", units=None, dtype="int"),
            Column(id="area_m2", about="area of all cells in the watershed", units="m**2"),
        )),
    ),
)
