"""The spec of ``soil_conservation``: its inputs, parameters and outputs with units and ranges.

Kept apart from the model's code and free of numerical libraries, so that listing and
describing models (``ecociv models``, ``ecociv model describe``) start quickly."""

from __future__ import annotations

from ecociv.spec import Column, ModelSpec, ParamInput, RasterInput, RasterOutput, TableOutput
from ecociv.spec_blocks import land_use_input, lucode_table, zone_columns, zone_inputs

_PERCENT = {"units": "percent", "ge": 0, "le": 100, "resampling": "bilinear"}

SPEC = ModelSpec(
    id="soil_conservation",
    title="Soil conservation (RUSLE)",
    title_zh="土壤保持",
    version="1.0.0",
    citation=(
        "Renard, K. G., Foster, G. R., Weesies, G. A., McCool, D. K., Yoder, D. C. (1997). "
        "Predicting soil erosion by water: a guide to conservation planning with the Revised "
        "Universal Soil Loss Equation (RUSLE). USDA Agriculture Handbook 703. Wischmeier, W. H., "
        "Smith, D. D. (1978). Predicting rainfall erosion losses. USDA Agriculture Handbook 537. "
        "Williams, J. R. (1995). The EPIC model. In Singh, V. P. (ed.), Computer Models of "
        "Watershed Hydrology, 909-1000. Desmet, P. J. J., Govers, G. (1996). J. Soil Water "
        "Conserv. 51(5), 427-433. McCool, D. K. et al. (1987, 1989). Trans. ASAE 30(5), "
        "1387-1396; 32(5), 1571-1576. Liu, B. Y., Nearing, M. A., Risse, L. M. (1994). Trans. "
        "ASAE 37(6), 1835-1840. Cai, C. F. et al. (2000). 水土保持学报 14(2), 19-24."
    ),
    about=(
        "Mean annual soil loss by water erosion, A = R K LS C P, without (potential, C = P = 1) "
        "and with cover and practice (actual), and their difference, the soil conservation "
        "service, in t/ha/yr; totals per zone in t/yr and Mt/yr over true cell areas. LS needs "
        "the whole DEM in memory (about five grid-sized float64 arrays)."
    ),
    inputs=(
        land_use_input(codes_in="cover_management_table.lucode"),
        RasterInput(id="precipitation", about="Mean monthly precipitation, 12 bands (January "
                    "first)", units="mm/month", ge=0, le=5000, bands=12),
        RasterInput(id="dem", about="Elevation, in a projected CRS with cells in metres (LS "
                    "routes flow over the whole grid; not depression-filled)", units="m",
                    ge=-500, le=9000),
        lucode_table(
            "cover_management_table",
            "RUSLE cover-management (C) and support-practice (P) factors per land-use code",
            Column(id="c_factor", about="cover-management factor C (used unless c_from_cover "
                   "is 1 and vegetation_cover is given)", units="", ge=0, le=1),
            Column(id="p_factor", about="support-practice factor P (1 = no practice)",
                   units="", ge=0, le=1),
            Column(id="c_from_cover", about="1: C from vegetation_cover by Cai et al. (2000) "
                   "for this class; 0: c_factor (default 0)", units=None, dtype="bool",
                   required=False),
        ),
        RasterInput(id="vegetation_cover", about="Fractional vegetation cover 0-1 (C of the "
                    "classes with c_from_cover = 1)", units="", ge=0, le=1, required=False),
        RasterInput(id="sand", about="Sand content of the topsoil (0.05-2 mm)", **_PERCENT),
        RasterInput(id="silt", about="Silt content of the topsoil (0.002-0.05 mm)", **_PERCENT),
        RasterInput(id="clay", about="Clay content of the topsoil (< 0.002 mm)", **_PERCENT),
        RasterInput(id="organic_carbon", about="Topsoil organic carbon (give this or "
                    "organic_matter)", required=False, **_PERCENT),
        RasterInput(id="organic_matter", about="Topsoil organic matter, converted to organic "
                    "carbon by / 1.724 (give this or organic_carbon)", required=False, **_PERCENT),
        ParamInput(id="max_slope_length", about="Cap on the upslope length entering a cell, m: "
                   "beyond it overland flow is taken to be channelled (illustrative default; "
                   "InVEST SDR documents 122-333 m from the literature for its L cap)",
                   units="m", ge=1, default=333.0),
        ParamInput(id="steep_slope_threshold", about="Slope angle from which S follows Liu et "
                   "al. (1994), 21.91 sin θ - 0.96, instead of McCool et al. (1987); 10° as in "
                   "Chinese RUSLE studies (illustrative); 90 disables", units="degree", ge=0,
                   le=90, default=10.0),
        ParamInput(id="erodibility_correction", about="'none': K by EPIC (Williams 1995); "
                   "'zhang_2008': K = -0.01383 + 0.51575 K_EPIC for Chinese soils (Zhang et al. "
                   "2008)", units=None, dtype="str", choices=("none", "zhang_2008"),
                   default="none"),
        ParamInput(id="factor_outputs", about="Write the R, K and LS rasters besides the "
                   "losses and the service; false computes the same losses without writing them "
                   "(3 of the 6 rasters: less time and disk)", units=None, dtype="bool",
                   default=True),
        *zone_inputs("Polygons to total soil loss and conservation in"),
    ),
    outputs=(
        RasterOutput(id="rainfall_erosivity", about="RUSLE R from monthly precipitation",
                     units="MJ*mm/(ha*h*yr)", long_name="rainfall erosivity R", optional=True,
                     written_if="factor_outputs"),
        RasterOutput(id="soil_erodibility", about="RUSLE K from texture and organic carbon",
                     units="t*ha*h/(ha*MJ*mm)", long_name="soil erodibility K", optional=True,
                     written_if="factor_outputs"),
        RasterOutput(id="ls_factor", about="RUSLE slope length and steepness factor LS",
                     units="", long_name="slope length and steepness factor LS", optional=True,
                     written_if="factor_outputs"),
        RasterOutput(id="soil_loss_potential", about="Soil loss without cover or practice, "
                     "R K LS", units="t/(ha*yr)", long_name="potential soil loss"),
        RasterOutput(id="soil_loss_actual", about="Soil loss with cover and practice, R K LS C P",
                     units="t/(ha*yr)", long_name="actual soil loss"),
        RasterOutput(id="soil_conservation", about="Potential minus actual soil loss",
                     units="t/(ha*yr)", long_name="soil conservation"),
        TableOutput(id="soil_conservation_totals", about="Soil loss and conservation per zone",
                    columns=zone_columns(
            Column(id="area_ha", about="area of the cells with a result", units="ha"),
            Column(id="soil_loss_potential_t", about="potential soil loss", units="t/yr"),
            Column(id="soil_loss_actual_t", about="actual soil loss", units="t/yr"),
            Column(id="soil_conservation_t", about="soil conservation", units="t/yr"),
            Column(id="soil_loss_potential_mt", about="potential soil loss", units="Mt/yr"),
            Column(id="soil_loss_actual_mt", about="actual soil loss", units="Mt/yr"),
            Column(id="soil_conservation_mt", about="soil conservation", units="Mt/yr"),
            Column(id="soil_conservation_mean", about="area-weighted mean soil conservation",
                   units="t/(ha*yr)"),
            counts=True,
        )),
    ),
)
