"""The spec of ``et0``: its inputs, parameters and outputs with units and ranges.

Kept apart from the model's code and free of numerical libraries, so that listing and
describing models (``ecociv models``, ``ecociv model describe``) start quickly."""

from __future__ import annotations

from ecociv.spec import Column, ModelSpec, ParamInput, RasterInput, RasterOutput, TableInput, TableOutput

TIME_STEPS: tuple[str, ...] = ("daily", "monthly")

_STATION_TEMPERATURE = {"units": "degC", "ge": -90.0, "le": 60.0}

STATIONS_TABLE = TableInput(
    id="stations",
    about=(
        "Weather-station records, one row per station and day (time_step=daily, column "
        "day_of_year) or per station and month (time_step=monthly, column month, values are "
        "monthly means of daily values). Penman–Monteith is used on rows with humidity, wind and "
        "radiation; Hargreaves–Samani on the others."
    ),
    columns=(
        Column(id="latitude_deg", about="station latitude, decimal degrees (negative south)",
               units="degree", ge=-90.0, le=90.0),
        Column(id="elevation_m", about="station elevation above sea level", units="m",
               ge=-500.0, le=9000.0),
        Column(id="day_of_year", about="day of the year (daily time step)", units=None,
               dtype="int", ge=1, le=366, required=False),
        Column(id="month", about="month number (monthly time step)", units=None, dtype="int",
               ge=1, le=12, required=False),
        Column(id="tmax_c", about="maximum air temperature (daily, or monthly mean of daily)",
               **_STATION_TEMPERATURE),
        Column(id="tmin_c", about="minimum air temperature (daily, or monthly mean of daily)",
               **_STATION_TEMPERATURE),
        Column(id="ea_kpa", about="actual vapour pressure", units="kPa", ge=0.0, le=10.0,
               required=False),
        Column(id="rh_max_pct", about="maximum relative humidity (with rh_min_pct)",
               units="percent", ge=0.0, le=100.0, required=False),
        Column(id="rh_min_pct", about="minimum relative humidity (with rh_max_pct)",
               units="percent", ge=0.0, le=100.0, required=False),
        Column(id="rh_mean_pct", about="mean relative humidity", units="percent", ge=0.0,
               le=100.0, required=False),
        Column(id="wind_speed_m_s", about="mean wind speed at wind_height_m", units="m/s",
               ge=0.0, le=100.0, required=False),
        Column(id="wind_height_m", about="height of the wind measurement above ground "
               "(required with wind_speed_m_s)", units="m", ge=0.5, le=200.0, required=False),
        Column(id="solar_radiation_mj_m2_day", about="incoming solar radiation",
               units="MJ/m**2/day", ge=0.0, required=False),
        Column(id="sunshine_hours", about="actual sunshine duration", units="hour", ge=0.0,
               le=24.0, required=False),
        Column(id="tmean_prev_month_c", about="mean air temperature of the previous month "
               "(monthly soil heat flux, FAO-56 eq. 43)", required=False, **_STATION_TEMPERATURE),
    ),
)

#: Columns written by :func:`compute_et0_table` (besides ``ea_kpa``/``ea_kpa_used``).
TERM_COLUMNS: tuple[tuple[str, str, str | None], ...] = (
    ("et0_mm_day", "reference evapotranspiration", "mm/day"),
    ("et0_mm_month", "reference evapotranspiration of the month (monthly time step)", "mm/month"),
    ("method", "penman_monteith or hargreaves_samani", None),
    ("day_of_year_used", "day of the year used for a month, INT(30.4 M - 15)", None),
    ("ra_mj_m2_day", "extraterrestrial radiation Ra (eq. 21)", "MJ/m**2/day"),
    ("daylight_hours", "daylight hours N (eq. 34)", "hour"),
    ("rs_mj_m2_day", "solar radiation Rs used (measured, or eq. 35)", "MJ/m**2/day"),
    ("rso_mj_m2_day", "clear-sky radiation Rso (eq. 37)", "MJ/m**2/day"),
    ("rn_mj_m2_day", "net radiation Rn (eq. 40)", "MJ/m**2/day"),
    ("es_kpa", "saturation vapour pressure es (eq. 12)", "kPa"),
    ("delta_kpa_c", "slope of the vapour pressure curve (eq. 13)", "kPa/delta_degC"),
    ("gamma_kpa_c", "psychrometric constant (eq. 8)", "kPa/delta_degC"),
    ("u2_m_s", "wind speed at 2 m (eq. 47)", "m/s"),
    ("g_mj_m2_day", "soil heat flux G (eq. 42/43)", "MJ/m**2/day"),
)

_TEMPERATURE = {"units": "degC", "ge": -90.0, "le": 60.0, "required": False}

_TABLE_COLUMNS = (
    *(Column(id=name, about=about, units=units, dtype="str" if name == "method" else "float",
             required=name not in ("et0_mm_month", "day_of_year_used"))
      for name, about, units in TERM_COLUMNS),
    Column(id="ea_kpa", about="actual vapour pressure used (eq. 17/19)", units="kPa",
           required=False),
    Column(id="ea_kpa_used", about="actual vapour pressure used, when ea_kpa was an input",
           units="kPa", required=False),
)

SPEC = ModelSpec(
    id="et0",
    title="Reference evapotranspiration (FAO-56 Penman–Monteith)",
    title_zh="参考作物蒸散量",
    version="1.0.0",
    citation=(
        "Allen, R.G., Pereira, L.S., Raes, D. and Smith, M. (1998). Crop evapotranspiration — "
        "Guidelines for computing crop water requirements. FAO Irrigation and Drainage Paper 56. "
        "FAO, Rome. Hargreaves, G.H. and Samani, Z.A. (1985). Reference crop evapotranspiration "
        "from temperature. Applied Engineering in Agriculture 1(2): 96–99."
    ),
    about=(
        "Daily or monthly reference evapotranspiration ET0 of the FAO-56 grass reference crop, "
        "for weather-station tables and for grids. The FAO-56 Penman–Monteith equation (eq. 6) "
        "is used where humidity, wind and radiation are available; Hargreaves–Samani (FAO-56 "
        "eq. 52) where only maximum and minimum temperature are, and the method used is "
        "reported per row (column 'method') and per cell (raster 'et0_method'). Grid latitude "
        "is the cell-centre latitude in the raster's CRS."
    ),
    inputs=(
        STATIONS_TABLE.model_copy(update={"required": False}),
        RasterInput(id="tmax", about="Maximum air temperature (daily, or monthly mean of daily)",
                    **_TEMPERATURE),
        RasterInput(id="tmin", about="Minimum air temperature (daily, or monthly mean of daily)",
                    **_TEMPERATURE),
        RasterInput(id="elevation", about="Elevation above sea level (needed by Penman–Monteith)",
                    units="m", ge=-500.0, le=9000.0, required=False),
        RasterInput(id="actual_vapour_pressure", about="Actual vapour pressure ea", units="kPa",
                    ge=0.0, le=10.0, required=False),
        RasterInput(id="wind_speed_2m", about="Mean wind speed at 2 m above ground",
                    units="m/s", ge=0.0, le=100.0, required=False),
        RasterInput(id="solar_radiation", about="Incoming solar (shortwave) radiation Rs",
                    units="MJ/m**2/day", ge=0.0, le=50.0, required=False),
        ParamInput(id="time_step", about="daily (rows/param day_of_year) or monthly (month)",
                   units=None, dtype="str", choices=TIME_STEPS, default="daily"),
        ParamInput(id="day_of_year", about="Day of the year of the rasters (daily time step)",
                   units=None, dtype="int", ge=1, le=366, required=False),
        ParamInput(id="month", about="Month of the rasters (monthly time step; FAO-56 uses day "
                   "INT(30.4 M - 15))", units=None, dtype="int", ge=1, le=12, required=False),
        ParamInput(id="tmean_prev_month", about="Mean air temperature of the previous month, for "
                   "the monthly soil heat flux G = 0.14 (T_i - T_i-1) (FAO-56 eq. 43); G = 0 "
                   "without it", units="degC", ge=-90.0, le=60.0, required=False),
    ),
    outputs=(
        RasterOutput(id="et0", about="Reference evapotranspiration", units="mm/day",
                     long_name="reference evapotranspiration ET0 (FAO-56)", optional=True),
        RasterOutput(id="et0_method", about="Method used per cell: 1 = Penman–Monteith, "
                     "2 = Hargreaves–Samani", units=None, dtype="uint8",
                     long_name="ET0 method (1 Penman-Monteith, 2 Hargreaves-Samani)",
                     optional=True, kind="categorical",
                     categories=((1, "Penman-Monteith (FAO-56)", "#1f78b4"),
                                 (2, "Hargreaves-Samani (FAO-56 eq. 52)", "#ff7f00"))),
        TableOutput(id="et0_table", about="Station table with ET0, the method and every FAO-56 "
                    "intermediate term", optional=True, columns=_TABLE_COLUMNS),
    ),
)
