"""The spec of ``double_evaluation``: its inputs, parameters and outputs with units and ranges.

Kept apart from the model's code and free of numerical libraries, so that listing and
describing models (``ecociv models``, ``ecociv model describe``) start quickly."""

from __future__ import annotations

from typing import Any

from ecociv.spec import (
    Column,
    ModelSpec,
    ParamInput,
    RasterInput,
    RasterOutput,
    TableInput,
    TableOutput,
)
from ecociv.spec_blocks import zone_column, zone_columns, zone_inputs

#: Slope breaks of cropland, degrees: ≤2 flat, 2–6, 6–15, 15–25, >25 steep — the national
#: cropland slope grades (全国土地利用现状调查技术规程 1984; TD/T 1055-2019 第三次全国国土调查
#: 技术规程), used by the guide for the land resource of farming (spj AgriculturalLandResources).
AGRICULTURE_SLOPE_DEG = (2.0, 6.0, 15.0, 25.0)

#: Slope breaks for building land, degrees: ≤3, 3–8, 8–15, 15–25, >25 (2019 draft via spj
#: ``Urban.py``).
URBAN_SLOPE_DEG = (3.0, 8.0, 15.0, 25.0)

#: Annual precipitation breaks, mm/yr: <200 差, 200–400, 400–800, 800–1200, ≥1200 好 (2019
#: draft via spj ``AgricultureWater.py``).
PRECIPITATION_MM = (200.0, 400.0, 800.0, 1200.0)

#: Breaks of the total-water-use control modulus (用水总量控制指标模数), m³/km²/yr, for city
#: and county level: <3, 3–8, 8–13, 13–25, ≥25 × 10⁴ (2019 draft via spj
#: ``AgricultureWater.py`` and ``UrbanWaterResources.py``).
WATER_MODULUS_M3_KM2 = (30_000.0, 80_000.0, 130_000.0, 250_000.0)

#: Breaks of ≥0 °C accumulated temperature, °C·d: <1500 差, 1500–4000, 4000–5800, 5800–7600,
#: ≥7600 好 (2019 draft via spj ``AgricultureClimate.py``).
ACCUMULATED_TEMPERATURE_DEGC_D = (1500.0, 4000.0, 5800.0, 7600.0)

#: Silt content (%) from which the farming land level drops one level, and from which it is
#: the lowest (2019 draft via spj ``AgriculturalLandResources.py``: 60–80 % −1, ≥80 % lowest).
SILT_PERCENT = (60.0, 80.0)

#: Elevation (m) from which the building land level drops one level, and from which it is the
#: lowest (2019 draft via spj ``Urban.py``: 3500–5000 m −1, ≥5000 m lowest).
URBAN_ELEVATION_M = (3500.0, 5000.0)

#: Relief (地形起伏度, m) from which the building land level drops one and two levels (2019
#: draft via spj ``Urban.py``: 100–200 m −1, ≥200 m −2).
URBAN_RELIEF_M = (100.0, 200.0)

YI_M3_YR = "hundred_million * m**3/yr"  # 亿立方米/年
WAN_MU = "ten_thousand * chinese_mu"  # 万亩
WAN = "ten_thousand"  # 万 (persons)

#: Monthly temperature: 12 bands once the framework reads multi-band rasters.
_MONTHLY: dict[str, Any] = {"bands": 12} if "bands" in RasterInput.model_fields else {}

#: suitability classes (colours from grey through red to green) and the five condition levels
SUITABILITY_CLASSES = ((0, "ecological protection, not evaluated 生态保护极重要区", "#bdbdbd"),
                       (1, "unsuitable 不适宜", "#d7191c"),
                       (2, "generally suitable 一般适宜", "#fdae61"),
                       (3, "suitable 适宜", "#a6d96a"),
                       (4, "most suitable 最适宜", "#1a9641"))
CONDITION_LEVELS = ((1, "level 1 (worst) 低", "#d7191c"), (2, "level 2 较低", "#fdae61"),
                    (3, "level 3 中等", "#ffffbf"), (4, "level 4 较高", "#a6d96a"),
                    (5, "level 5 (best) 高", "#1a9641"))
_DRAFT = "2019 draft guideline via the CUG spj toolset; not checked against the 2020 text"


def _list(values: tuple[float, ...]) -> str:
    return ",".join(f"{v:g}" for v in values)


def _breaks_param(pid: str, about: str, units: str, default: tuple[float, ...]) -> ParamInput:
    return ParamInput(id=pid, about=f"{about}: {len(default)} increasing comma-separated values "
                      f"in {units} (default {_list(default)}: {_DRAFT})", units=units,
                      dtype="str", default=_list(default))


SPEC = ModelSpec(
    id="double_evaluation",
    title="Carrying capacity and development suitability (double evaluation)",
    title_zh="资源环境承载能力和国土空间开发适宜性评价（双评价）",
    version="1.0.0",
    citation=(
        "Ministry of Natural Resources of China (2020). 资源环境承载能力和国土空间开发适宜性评价"
        "指南（试行）, 自然资办函〔2020〕127号. Thresholds and matrices: the 2019 draft technical "
        "guideline as implemented in the China University of Geosciences 'spj' toolset "
        "(github.com/CUGGISRS/spj, 2019)."
    ),
    about=(
        "Agricultural and urban suitability classes outside the ecological protection extremely "
        "important area, by five-level grading of land (slope, silt, elevation, relief), water "
        "(precipitation, water-use control modulus), climate (≥0 °C accumulated temperature, "
        "from a raster or from 12 monthly mean temperatures) and hazards combined by the "
        "guideline's matrices; areas of each class per unit; and the water-limited carrying "
        "scale per unit: irrigated cropland (ha, 10⁴ mu) and population (10⁴ persons)."
    ),
    inputs=(
        RasterInput(id="importance_class", about="Ecological function importance (1-3, from "
                    "ecological_redline)", units=None, kind="categorical", required=False),
        RasterInput(id="redline", about="Ecological protection red line (1 = inside, from "
                    "ecological_redline)", units=None, kind="categorical", required=False),
        RasterInput(id="slope", about="Slope", units="degree", ge=0, le=90),
        RasterInput(id="silt_content", about="Topsoil silt content (farming land downgrade)",
                    units="percent", ge=0, le=100, required=False),
        RasterInput(id="elevation", about="Elevation (building land downgrade)", units="m",
                    required=False),
        RasterInput(id="relief", about="Relief, the elevation range in a neighbourhood "
                    "(地形起伏度; building land downgrade)", units="m", ge=0, required=False),
        RasterInput(id="precipitation", about="Mean annual precipitation (water level)",
                    units="mm/yr", ge=0, required=False),
        RasterInput(id="water_modulus", about="Total-water-use control quota per unit area "
                    "(用水总量控制指标模数; water level)", units="m**3/km**2/yr", ge=0,
                    required=False),
        RasterInput(id="accumulated_temperature", about="Active accumulated temperature above "
                    "the base (climate level)", units="delta_degC*day", ge=0, required=False),
        RasterInput(id="monthly_temperature", about="Mean air temperature of each month, 12 "
                    "bands January..December (climate level, if accumulated_temperature is "
                    "not given)", units="degC", ge=-90, le=60, required=False, **_MONTHLY),
        RasterInput(id="salinization_class", about="Soil salinization sensitivity classes "
                    "(higher = more sensitive; farming downgrade)", units=None,
                    kind="categorical", required=False),
        RasterInput(id="agricultural_hazard", about="Agricultural hazard risk (drought, flood, "
                    "cold...): 1 low, 2 medium, 3 high, 4 extremely high", units=None,
                    kind="categorical", required=False),
        RasterInput(id="urban_hazard", about="Geological hazard risk for building: 1 low, 2 "
                    "medium, 3 high, 4 extremely high", units=None, kind="categorical",
                    required=False),
        RasterInput(id="water_yield", about="Annual water yield (e.g. from water_yield), for "
                    "the available water per unit when no water_availability table is given",
                    units="mm/yr", required=False),
        TableInput(id="water_availability", about="Water available per unit (e.g. the unit's "
                   "total-water-use control quota split by sector)", index="zone",
                   required=False, columns=(
                       zone_column("unit name, as in the zones' zone_field"),
                       Column(id="agricultural_water", about="water available to agriculture",
                              units=YI_M3_YR, ge=0),
                       Column(id="domestic_water", about="water available for domestic use",
                              units=YI_M3_YR, ge=0),
                   )),
        *zone_inputs("Units to report over (prefectures, counties)"),
        ParamInput(id="extremely_important_class", about="importance_class at or above this is "
                   "the ecological protection extremely important area (3 = 极重要)", units=None,
                   dtype="int", ge=1, le=255, default=3),
        _breaks_param("agriculture_slope_breaks", "Slope breaks of farming land levels",
                      "degree", AGRICULTURE_SLOPE_DEG),
        _breaks_param("urban_slope_breaks", "Slope breaks of building land levels", "degree",
                      URBAN_SLOPE_DEG),
        _breaks_param("precipitation_breaks", "Precipitation breaks of water levels", "mm/yr",
                      PRECIPITATION_MM),
        _breaks_param("water_modulus_breaks", "Water-use control modulus breaks of water "
                      "levels", "m**3/km**2/yr", WATER_MODULUS_M3_KM2),
        _breaks_param("accumulated_temperature_breaks", "Accumulated temperature breaks of "
                      "climate levels (for the ≥0 °C sum)", "delta_degC*day",
                      ACCUMULATED_TEMPERATURE_DEGC_D),
        _breaks_param("silt_breaks", "Silt content from which farming land drops one level, "
                      "and from which it is lowest", "percent", SILT_PERCENT),
        _breaks_param("elevation_breaks", "Elevation from which building land drops one "
                      "level, and from which it is lowest", "m", URBAN_ELEVATION_M),
        _breaks_param("relief_breaks", "Relief from which building land drops one, and two, "
                      "levels", "m", URBAN_RELIEF_M),
        ParamInput(id="agricultural_hazard_downgrade", about="Levels lost by the agricultural "
                   "condition per hazard class 1..4, comma-separated (default 0,0,1,1: "
                   "illustrative simplification of the 2019 draft, which lowers the best level "
                   "by one where the hazard is high)", units="", dtype="str", default="0,0,1,1"),
        ParamInput(id="urban_hazard_downgrade", about="Levels lost by the urban condition per "
                   "hazard class 1..4 (≥4 = to the lowest), comma-separated (default 0,1,2,4: "
                   f"{_DRAFT})", units="", dtype="str", default="0,1,2,4"),
        ParamInput(id="salinization_min_class", about="salinization_class at or above this "
                   "lowers the agricultural condition by one level (2019 draft via spj: "
                   "extremely sensitive; default 3 on a 1-3 scale)", units=None, dtype="int",
                   ge=1, le=255, default=3),
        ParamInput(id="accumulated_temperature_base", about="Base of the accumulated "
                   "temperature computed from monthly_temperature (the guide grades ≥0 °C; "
                   "use 10 with breaks for the ≥10 °C sum)", units="degC", ge=-20, le=30,
                   default=0.0),
        ParamInput(id="accumulated_temperature_method", about="From monthly means: "
                   "'interpolated' (daily values interpolated between mid-month means) or "
                   "'monthly' (each day at its month's mean)", units=None, dtype="str",
                   choices=("interpolated", "monthly"), default="interpolated"),
        ParamInput(id="most_suitable_min_level", about="Combined level (1-5) from which land is "
                   "most suitable", units=None, dtype="int", ge=1, le=5, default=5),
        ParamInput(id="suitable_min_level", about="Combined level from which land is suitable "
                   "(default 4: with 5, the draft's 适宜 = levels 4-5)", units=None, dtype="int",
                   ge=1, le=5, default=4),
        ParamInput(id="generally_suitable_min_level", about="Combined level from which land is "
                   "generally suitable (default 2: the draft's 一般适宜 = levels 2-3)", units=None,
                   dtype="int", ge=1, le=5, default=2),
        ParamInput(id="usable_water_fraction", about="Share of the water yield that can be used "
                   "(illustrative default 0.4, the 40 % withdrawal-to-resource ratio commonly "
                   "taken as the limit of high water stress)", units="", ge=0, le=1, default=0.4),
        ParamInput(id="agricultural_water_share", about="Share of the usable water given to "
                   "agriculture (illustrative default 0.85, of the order of Xinjiang's water use)",
                   units="", ge=0, le=1, default=0.85),
        ParamInput(id="domestic_water_share", about="Share of the usable water given to "
                   "domestic use (illustrative default 0.05)", units="", ge=0, le=1,
                   default=0.05),
        ParamInput(id="irrigation_quota", about="Comprehensive irrigation quota per hectare "
                   "(illustrative default 6000 m³/ha = 400 m³/mu, of the order of drip-irrigated "
                   "cropland in northern Xinjiang; give e.g. '450 m**3/chinese_mu/yr')",
                   units="m**3/ha/yr", gt=0, default=6000.0),
        ParamInput(id="domestic_water_per_capita", about="Domestic water use per person "
                   "(default 125 L/person/day: upper value for zone VI — Xinjiang, Tibet, "
                   "Qinghai — of GB/T 50331-2002, cited from memory, to be checked)", units="L/d",
                   gt=0, default=125.0),
    ),
    outputs=(
        RasterOutput(id="agricultural_suitability", about="Agricultural production suitability: "
                     "4 most suitable, 3 suitable, 2 generally suitable, 1 unsuitable, 0 "
                     "ecological protection (not evaluated)", units=None,
                     long_name="agricultural suitability (0-4)", dtype="uint8",
                     kind="categorical", categories=SUITABILITY_CLASSES),
        RasterOutput(id="urban_suitability", about="Urban construction suitability (codes as "
                     "agricultural_suitability)", units=None, long_name="urban suitability (0-4)",
                     dtype="uint8", kind="categorical", categories=SUITABILITY_CLASSES),
        RasterOutput(id="agricultural_level", about="Agricultural production condition level "
                     "(5 best .. 1 worst) before the class mapping", units=None,
                     long_name="agricultural condition level (1-5)", dtype="uint8",
                     kind="categorical", categories=CONDITION_LEVELS),
        RasterOutput(id="urban_level", about="Urban construction condition level (5 best .. 1 "
                     "worst)", units=None, long_name="urban condition level (1-5)", dtype="uint8",
                     kind="categorical", categories=CONDITION_LEVELS),
        TableOutput(id="suitability_by_zone", about="Area of each suitability class per unit "
                    "(exact cell fractions; zone 'all' without zones)", columns=zone_columns(
                        Column(id="function", about="agriculture or urban", units=None,
                               dtype="str"),
                        Column(id="class_code", about="0-4", units=None, dtype="int"),
                        Column(id="class_name", about="class in words", units=None, dtype="str"),
                        Column(id="area_km2", about="area of the class in the unit",
                               units="km**2"),
                        Column(id="percent", about="area over the unit's area", units="percent"),
                    )),
        TableOutput(id="carrying_scale", about="Water-limited carrying scale per unit (with "
                    "water_availability or water_yield)", optional=True, columns=zone_columns(
                        Column(id="agricultural_water", about="water available to agriculture",
                               units=YI_M3_YR),
                        Column(id="domestic_water", about="water available for domestic use",
                               units=YI_M3_YR),
                        Column(id="cropland_water_limited_ha", about="irrigated cropland the "
                               "agricultural water supports", units="ha"),
                        Column(id="cropland_water_limited_10k_mu", about="the same in 10⁴ mu",
                               units=WAN_MU),
                        Column(id="suitable_cropland_ha", about="most suitable + suitable "
                               "agricultural land (land-limited scale; with zones)", units="ha",
                               required=False),
                        Column(id="cropland_carrying_ha", about="smaller of the water- and "
                               "land-limited cropland", units="ha", required=False),
                        Column(id="population_water_limited", about="persons the domestic water "
                               "supports", units=""),
                        Column(id="population_water_limited_10k", about="the same in 10⁴ "
                               "persons", units=WAN),
                    )),
    ),
)
