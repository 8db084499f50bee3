"""The spec of ``water_conservation``: its inputs, parameters and outputs with units and ranges.

Kept apart from the model's code and free of numerical libraries, so that listing and
describing models (``ecociv models``, ``ecociv model describe``) start quickly."""

from __future__ import annotations

from ecociv.spec import Column, ModelSpec, ParamInput, RasterInput, RasterOutput, TableOutput
from ecociv.spec_blocks import (
    count_columns,
    land_use_input,
    lucode_table,
    zone_columns,
    zone_inputs,
)

#: Reference velocity coefficient of the corrected-yield method (dimensionless).
VELOCITY_REFERENCE = 249.0

#: Reference saturated hydraulic conductivity of the corrected-yield method, cm/d.
KSAT_REFERENCE = 300.0

#: 10⁸ m³ written for pint (km² × hm = 10⁶ m² × 10² m)
UNIT_1E8M3_PER_YR = "km**2*hm/yr"

METHODS = ("water_balance", "invest_corrected")

SPEC = ModelSpec(
    id="water_conservation",
    title="Water conservation",
    title_zh="水源涵养量",
    version="1.0.0",
    citation=(
        "Ministry of Environmental Protection, National Development and Reform Commission "
        "(2017). 生态保护红线划定指南 (Guidelines for delineating ecological protection red "
        "lines), 环办生态〔2017〕48号: water conservation by the water-balance equation "
        "TQ = Σ (P - R - ET) A × 10³. Corrected-yield option: InVEST annual water yield (Sharp "
        "et al. 2020) × min(1, 249/V) × min(1, 0.9 TI/3) × min(1, Ksat/300), as applied in "
        "Chinese InVEST studies (e.g. Bao Y. B. et al. 2016, 地理研究 35(4); not verified)."
    ),
    about=(
        "Water retained by ecosystems each year, mm/yr per cell: precipitation minus surface "
        "runoff (P × the class's runoff coefficient) minus actual evapotranspiration "
        "(guideline water balance), or InVEST water yield reduced by velocity, topography and "
        "soil conductivity factors; negative balances set to 0; per zone the area-weighted "
        "mean (mm/yr) and the volume (m³/yr and 10⁸ m³/yr, true cell areas)."
    ),
    inputs=(
        land_use_input(codes_in="water_conservation_table.lucode"),
        lucode_table(
            "water_conservation_table",
            "Per land-use code: surface runoff coefficient (water_balance) and/or flow "
            "velocity coefficient (invest_corrected); an empty cell = class not assessed "
            "(nodata)",
            Column(id="runoff_coefficient", about="mean surface runoff coefficient α as a "
                   "fraction (the guideline's table gives %, e.g. 3.02 % -> 0.0302)",
                   units="", ge=0, le=1, required=False),
            Column(id="velocity", about="flow velocity coefficient V of the class "
                   "(corrected-yield method)", units="", ge=0, required=False),
        ),
        ParamInput(id="method", about="'water_balance' (guideline, default) or "
                   "'invest_corrected' (corrected InVEST water yield)", units=None, dtype="str",
                   choices=METHODS, default="water_balance"),
        RasterInput(id="precipitation", about="Mean annual precipitation (water_balance)",
                    units="mm/yr", ge=0, le=20000, required=False),
        RasterInput(id="aet", about="Mean annual actual evapotranspiration, e.g. "
                    "@water_yield.aet (water_balance)", units="mm/yr", ge=0, le=20000,
                    required=False),
        RasterInput(id="water_yield", about="Mean annual water yield, e.g. "
                    "@water_yield.water_yield (invest_corrected)", units="mm/yr", ge=0,
                    le=20000, required=False),
        RasterInput(id="topographic_index", about="Topographic index log10(drainage cells / "
                    "(soil depth mm × slope %)) (invest_corrected; or give dem and soil_depth)",
                    units="", required=False),
        RasterInput(id="dem", about="Elevation, projected CRS in metres, to derive the "
                    "topographic index with soil_depth (D8 drainage area, Horn slope)",
                    units="m", ge=-500, le=9000, required=False),
        RasterInput(id="soil_depth", about="Soil depth for the topographic index",
                    units="mm", ge=0, required=False),
        RasterInput(id="soil_saturated_conductivity", about="Saturated hydraulic conductivity "
                    "of the soil (invest_corrected)", units="cm/d", ge=0, required=False),
        ParamInput(id="velocity_reference", about="The 249 of min(1, 249/V) (invest_corrected; "
                   "constant of the literature method, not verified here)", units="", ge=0,
                   default=VELOCITY_REFERENCE),
        ParamInput(id="ksat_reference", about="The 300 of min(1, Ksat/300) (invest_corrected; "
                   "constant of the literature method, not verified here)", units="cm/d", ge=0,
                   default=KSAT_REFERENCE),
        *zone_inputs("Polygons to total water conservation in (e.g. counties)"),
    ),
    outputs=(
        RasterOutput(id="water_conservation", about="Water conservation depth (negative "
                     "balances set to 0)", units="mm/yr", long_name="water conservation"),
        RasterOutput(id="surface_runoff", about="Surface runoff P × α (water_balance)",
                     units="mm/yr", long_name="surface runoff", optional=True),
        RasterOutput(id="yield_correction", about="Fraction of water yield retained, "
                     "min(1, 249/V) min(1, 0.9 TI/3) min(1, Ksat/300) (invest_corrected)",
                     units="", long_name="water-yield correction factor", optional=True),
        TableOutput(id="water_conservation_totals", about="Water conservation per zone",
                    columns=zone_columns(
            Column(id="area_km2", about="area of the cells with a result", units="km**2"),
            Column(id="water_conservation_mm", about="area-weighted mean depth",
                   units="mm/yr"),
            Column(id="water_conservation_m3", about="volume", units="m**3/yr"),
            Column(id="water_conservation_1e8m3", about="volume in 10⁸ m³ (亿立方米) per year",
                   units=UNIT_1E8M3_PER_YR),
            *count_columns(),
            Column(id="clipped_cells", about="cells whose negative balance was set to 0",
                   units=None, dtype="int"),
        )),
    ),
)
