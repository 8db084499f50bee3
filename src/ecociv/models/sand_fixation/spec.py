"""The spec of ``sand_fixation``: its inputs, parameters and outputs with units and ranges.

Kept apart from the model's code and free of numerical libraries, so that listing and
describing models (``ecociv models``, ``ecociv model describe``) start quickly."""

from __future__ import annotations

from ecociv.spec import Column, ModelSpec, ParamInput, RasterInput, RasterOutput, TableOutput
from ecociv.spec_blocks import zone_columns, zone_inputs

#: Threshold wind speed at 2 m above which the wind factor accumulates, m/s (the bulletin:
#: ``Wf = Σ U2 (U2 − Ut)² Nd/N`` with Ut = 5 m/s at 2 m).
THRESHOLD_WIND_2M = 5.0

_MONTHLY = {"bands": 12, "resampling": "bilinear"}

SPEC = ModelSpec(
    id="sand_fixation",
    title="Wind erosion and sand fixation (RWEQ)",
    title_zh="防风固沙",
    version="1.0.0",
    citation=(
        "Fryrear, D.W., Saleh, A., Bilbro, J.D., Schomberg, H.M., Stout, J.E., Zobeck, T.M. "
        "(1998). RWEQ: Revised Wind Erosion Equation. USDA-ARS Technical Bulletin 1. Fryrear, "
        "D.W., Bilbro, J.D., Saleh, A., Schomberg, H., Stout, J.E., Zobeck, T.M. (2000). RWEQ: "
        "Improved wind erosion technology. J. Soil Water Conserv. 55(2): 183-189. Fryrear, D.W., "
        "Krammes, C.A., Williamson, D.L., Zobeck, T.M. (1994). Computing the wind erodible "
        "fraction of soils. J. Soil Water Conserv. 49(2): 183-188. Skidmore, E.L., Tatarko, J. "
        "(1990). Stochastic wind simulation for erosion modeling. Trans. ASAE 33(6): 1893-1899. "
        "Allen, R.G. et al. (1998). FAO Irrigation and Drainage Paper 56, eq. 47."
    ),
    about=(
        "Monthly and annual wind erosion with bare soil (potential) and with the actual "
        "vegetation by the Revised Wind Erosion Equation, and the sand-fixation service as "
        "their difference, in t/km²; totals per zone in t/yr and Mt/yr."
    ),
    inputs=(
        RasterInput(id="wind_speed", about="Mean wind speed of each month (January first) at "
                    "height 'wind_height'", units="m/s", ge=0, le=60, **_MONTHLY),
        RasterInput(id="temperature", about="Mean air temperature of each month", units="degC",
                    ge=-70, le=60, **_MONTHLY),
        RasterInput(id="precipitation", about="Precipitation of each month", units="mm/month",
                    ge=0, le=5000, **_MONTHLY),
        RasterInput(id="et0", about="Reference evapotranspiration of each month (stands in for "
                    "the bulletin's potential ET in the soil wetness factor)", units="mm/month",
                    ge=0, le=1000, **_MONTHLY),
        RasterInput(id="irrigation", about="Irrigation water applied in each month (absent: "
                    "none)", units="mm/month", ge=0, le=5000, required=False, **_MONTHLY),
        RasterInput(id="rain_days", about="Days with rain or irrigation in each month, Rd of "
                    "the soil wetness factor (absent: parameter 'rain_day_fraction')",
                    units="d", ge=0, le=31, required=False, **_MONTHLY),
        RasterInput(id="snow_cover_days", about="Days of each month with snow deeper than "
                    "25.4 mm (absent: none)", units="d", ge=0, le=31, required=False, **_MONTHLY),
        RasterInput(id="elevation", about="Elevation above sea level (air density)", units="m",
                    ge=-500, le=9000),
        RasterInput(id="sand", about="Sand content of the topsoil", units="percent", ge=0, le=100),
        RasterInput(id="silt", about="Silt content of the topsoil", units="percent", ge=0, le=100),
        RasterInput(id="clay", about="Clay content of the topsoil (must be > 0: EF uses sand/clay; "
                    "use a small value such as 0.5 % for pure sand)", units="percent", gt=0, le=100),
        RasterInput(id="organic_matter", about="Organic matter of the topsoil (not organic "
                    "carbon: OM ≈ 1.724 × OC)", units="percent", ge=0, le=100),
        RasterInput(id="caco3", about="Calcium carbonate of the topsoil (absent: 0 %, which "
                    "overstates EF on calcareous soils)", units="percent", ge=0, le=100,
                    required=False),
        RasterInput(id="vegetation_cover", about="Fractional vegetation cover, one value for "
                    "every month (give this or 'vegetation_cover_monthly')", units="", ge=0,
                    le=1, required=False),
        RasterInput(id="vegetation_cover_monthly", about="Fractional vegetation cover of each "
                    "month", units="", ge=0, le=1, required=False, **_MONTHLY),
        RasterInput(id="roughness", about="Surface roughness factor K' per cell (absent: "
                    "parameter 'roughness_factor')", units="", ge=0, le=1, required=False),
        ParamInput(id="roughness_factor", about="K' where no 'roughness' raster is given; 1 = "
                   "smooth, unridged surface (K' = exp(1.86 Kr - 2.41 Kr^0.934 - 0.127 Crr) "
                   "with Kr = Crr = 0, Fryrear et al. 1998): no roughness reduction",
                   units="", ge=0, le=1, default=1.0),
        ParamInput(id="wind_height", about="Height of the wind speed measurements; converted to "
                   "2 m by the FAO-56 log profile (eq. 47). 10 m: standard station and ERA5 "
                   "height", units="m", ge=0.5, le=200, default=10.0),
        ParamInput(id="weibull_shape", about="Weibull shape k of the wind observations within a "
                   "month, used to take the wind factor from the monthly mean (2 = Rayleigh). "
                   "Illustrative default: fit k to station records of the region", units="",
                   ge=0.5, le=10, default=2.0),
        ParamInput(id="threshold_wind_speed", about="Threshold wind speed at 2 m (Fryrear et al. "
                   "1998: 5 m/s)", units="m/s", ge=0, le=30, default=THRESHOLD_WIND_2M),
        ParamInput(id="rain_day_fraction", about="Rd/Nd of the soil wetness factor where no "
                   "'rain_days' raster is given. Illustrative default 1: all precipitation "
                   "counts fully (the strongest wetting)", units="", ge=0, le=1, default=1.0),
        ParamInput(id="downwind_distance", about="Downwind distance z from the non-erodible "
                   "edge at which soil loss is taken. Default 50 m: the value of the Chinese "
                   "(Inner Mongolia) RWEQ workflow as implemented in the public NatCap script "
                   "charlottegiseleweil/winderosion; Chinese papers call z the distance of "
                   "maximum erosion (刘菁华等 2018) but the 50 m could not be confirmed in a "
                   "printed source here", units="m", ge=1, le=10000, default=50.0),
        ParamInput(id="soil_loss_form", about="'point': loss at z, 2z/s² Qmax exp(-(z/s)²) "
                   "(Chinese assessments); 'field_mean': mean loss over a field of length z, "
                   "Qmax (1 - exp(-(z/s)²))/z", units=None, dtype="str",
                   choices=("point", "field_mean"), default="field_mean"),
        ParamInput(id="vegetation_factor_form", about="'flat_cover': COG = exp(-0.0438 SC), SC "
                   "in % (Chinese assessments); 'canopy': exp(-5.614 cc^0.7366) (the bulletin's "
                   "crop canopy)", units=None, dtype="str", choices=("flat_cover", "canopy"),
                   default="flat_cover"),
        ParamInput(id="monthly_outputs", about="Write the three 12-band monthly rasters "
                   "(potential and actual loss, sand fixation by month) besides the annual "
                   "ones; false computes the same annual results without them (36 fewer bands "
                   "to write: at 4000 x 4000 cells most of the run time)", units=None,
                   dtype="bool", default=True),
        *zone_inputs("Polygons to total sand fixation in (e.g. prefectures)"),
    ),
    outputs=(
        RasterOutput(id="soil_loss_potential", about="Annual wind erosion with bare soil (COG = 1)",
                     units="t/km**2/yr", long_name="potential wind erosion (RWEQ, bare soil)"),
        RasterOutput(id="soil_loss_actual", about="Annual wind erosion with the actual vegetation",
                     units="t/km**2/yr", long_name="actual wind erosion (RWEQ)"),
        RasterOutput(id="sand_fixation", about="Annual sand fixation: sum over months of "
                     "max(potential - actual, 0)", units="t/km**2/yr",
                     long_name="sand fixation (RWEQ potential - actual)"),
        RasterOutput(id="soil_loss_potential_monthly", about="Monthly wind erosion with bare soil",
                     units="t/km**2/month", long_name="potential wind erosion by month", bands=12,
                     optional=True, written_if="monthly_outputs"),
        RasterOutput(id="soil_loss_actual_monthly", about="Monthly wind erosion with vegetation",
                     units="t/km**2/month", long_name="actual wind erosion by month", bands=12,
                     optional=True, written_if="monthly_outputs"),
        RasterOutput(id="sand_fixation_monthly", about="Monthly sand fixation, max(potential - "
                     "actual, 0)", units="t/km**2/month", long_name="sand fixation by month",
                     bands=12, optional=True, written_if="monthly_outputs"),
        RasterOutput(id="saturated_months", about="Months in which the bare-soil point-form loss "
                     "is past its maximum (z/s > 1.532), where vegetation can raise the loss at "
                     "z and the service is floored at 0 (always 0 for field_mean)", units=None,
                     dtype="uint8", long_name="months with saturated transport at z"),
        TableOutput(id="sand_fixation_totals", about="Sand fixation and wind erosion per zone "
                    "(true cell areas)", columns=zone_columns(
            Column(id="area_km2", about="area of cells with a result", units="km**2"),
            Column(id="sand_fixation_t", about="sand fixation", units="t/yr"),
            Column(id="sand_fixation_mt", about="sand fixation", units="Mt/yr"),
            Column(id="soil_loss_potential_t", about="wind erosion with bare soil", units="t/yr"),
            Column(id="soil_loss_actual_t", about="wind erosion with vegetation", units="t/yr"),
            Column(id="sand_fixation_mean", about="mean sand fixation per area",
                   units="t/km**2/yr"),
            counts=True,
        )),
    ),
)
