"""``double_evaluation`` — carrying capacity and development suitability (双评价) in the
manner of the Ministry of Natural Resources' 2020 guide.

Order of the evaluation (kernels in ``kernels.py``):

1. Ecological protection: cells in the extremely important area (``importance_class`` ≥ a
   parameter, or ``redline`` = 1, from ``ecological_redline``) are class 0, not evaluated.
2. Agriculture (farming): land level from slope, lowered by silt content; water level from
   precipitation and/or the water-use control modulus (the better of the two where both are
   given: irrigation water stands in for rain); land × water matrix; × climate (≥0 °C active
   accumulated temperature) matrix; lowered by salinization and agricultural hazards.
3. Towns: land level from slope, lowered by elevation and relief; the same water level; land ×
   water matrix; lowered by hazards (geological hazard risk).
4. Levels 1..5 become classes 4 most suitable, 3 suitable, 2 generally suitable, 1 unsuitable.
5. Per unit: area of each class (exact cell fractions), and the water-limited carrying scale:
   irrigated cropland = agricultural water / irrigation quota, population = domestic water /
   per-capita use; with the land-limited cropland (area of most suitable + suitable
   agricultural land) the smaller of the two.

Thresholds and matrices are those of the 2019 draft guideline as transcribed by an open
implementation (see ``kernels.py``); the 2020 text could not be checked, so every threshold is a
parameter and the defaults should be read as illustrative until checked against it. The
contiguity (集中连片度) and location (区位优势度) adjustments of the guide are not implemented.

Rasters are computed in memory (the per-unit tables need whole arrays): a few float64 arrays of
the grid.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise
from typing import Any

import dask
import numpy as np
import pandas as pd
from shapely.geometry import box

from ecociv.errors import InputError
from ecociv.grid.io import from_array, grid_of_array
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.grid.zonal import zonal_statistics
from ecociv.models.double_evaluation import kernels
from ecociv.spec import (
    Column,
    Model,
    ModelSpec,
    ParamInput,
    RasterInput,
    RasterOutput,
    TableInput,
    TableOutput,
)
from ecociv.spec_blocks import zone_column, zone_columns, zone_inputs, zone_names
from ecociv.units import Q_

YI_M3_YR = "hundred_million * m**3/yr"  # 亿立方米/年
WAN_MU = "ten_thousand * chinese_mu"  # 万亩
WAN = "ten_thousand"  # 万 (persons)
M2_PER_KM2 = 1e6

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
                      "degree", kernels.AGRICULTURE_SLOPE_DEG),
        _breaks_param("urban_slope_breaks", "Slope breaks of building land levels", "degree",
                      kernels.URBAN_SLOPE_DEG),
        _breaks_param("precipitation_breaks", "Precipitation breaks of water levels", "mm/yr",
                      kernels.PRECIPITATION_MM),
        _breaks_param("water_modulus_breaks", "Water-use control modulus breaks of water "
                      "levels", "m**3/km**2/yr", kernels.WATER_MODULUS_M3_KM2),
        _breaks_param("accumulated_temperature_breaks", "Accumulated temperature breaks of "
                      "climate levels (for the ≥0 °C sum)", "delta_degC*day",
                      kernels.ACCUMULATED_TEMPERATURE_DEGC_D),
        _breaks_param("silt_breaks", "Silt content from which farming land drops one level, "
                      "and from which it is lowest", "percent", kernels.SILT_PERCENT),
        _breaks_param("elevation_breaks", "Elevation from which building land drops one "
                      "level, and from which it is lowest", "m", kernels.URBAN_ELEVATION_M),
        _breaks_param("relief_breaks", "Relief from which building land drops one, and two, "
                      "levels", "m", kernels.URBAN_RELIEF_M),
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


def _numbers(inputs: Mapping[str, Any], pid: str, count: int, *, increasing: bool) -> tuple[float, ...]:
    text = str(inputs[pid])
    try:
        values = tuple(float(t) for t in text.replace(";", ",").split(",") if t.strip())
    except ValueError:
        raise InputError(f"{text!r} is not a comma-separated list of numbers",
                         source=f"parameter '{pid}'") from None
    if len(values) != count or not all(np.isfinite(values)):
        raise InputError(f"expected {count} finite numbers, got {text!r}",
                         source=f"parameter '{pid}'")
    if increasing and any(b <= a for a, b in pairwise(values)):
        raise InputError(f"values must increase strictly, got {text!r}", source=f"parameter '{pid}'")
    if not increasing and any(v < 0 for v in values):
        raise InputError(f"levels lost must be >= 0, got {text!r}", source=f"parameter '{pid}'")
    return values


def _levels(inputs: Mapping[str, Any]) -> tuple[int, int, int]:
    most, suitable, general = (int(inputs[k]) for k in (
        "most_suitable_min_level", "suitable_min_level", "generally_suitable_min_level"))
    if not 1 <= general <= suitable <= most <= 5:
        raise InputError(f"need 1 <= generally_suitable_min_level ({general}) <= "
                         f"suitable_min_level ({suitable}) <= most_suitable_min_level ({most}) "
                         "<= 5", source="parameter 'suitable_min_level'")
    return most, suitable, general


def _require_one(inputs: Mapping[str, Any], ids: tuple[str, ...], what: str) -> None:
    if not any(i in inputs for i in ids):
        raise InputError(f"{what}: give at least one of {list(ids)}")


def _climate(inputs: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> np.ndarray:
    if "accumulated_temperature" in arrays:
        return arrays["accumulated_temperature"]
    monthly = arrays["monthly_temperature"]  # 12 bands (spec), checked when loaded
    method = str(inputs["accumulated_temperature_method"])  # one of the spec's choices
    base = float(inputs["accumulated_temperature_base"])
    if method == "monthly":
        return kernels.accumulated_temperature_monthly(monthly, base)
    return kernels.accumulated_temperature_interpolated(monthly, base)


def _water_level(inputs: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> np.ndarray:
    levels = []
    if "precipitation" in arrays:
        levels.append(kernels.grade_higher_better(
            arrays["precipitation"], _numbers(inputs, "precipitation_breaks", 4, increasing=True)))
    if "water_modulus" in arrays:
        levels.append(kernels.grade_higher_better(
            arrays["water_modulus"], _numbers(inputs, "water_modulus_breaks", 4, increasing=True)))
    return kernels.better_of(*levels)


def agricultural_level(inputs: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> np.ndarray:
    """Agricultural production condition level (5 best .. 1 worst) of each cell."""
    land = kernels.grade_lower_better(
        arrays["slope"], _numbers(inputs, "agriculture_slope_breaks", 4, increasing=True))
    if "silt_content" in arrays:
        silt = _numbers(inputs, "silt_breaks", 2, increasing=True)
        land = kernels.downgrade_by_two_breaks(land, arrays["silt_content"], (silt[0], silt[1]),
                                               second_to_lowest=True)
    level = kernels.combine(kernels.AGRICULTURE_LAND_WATER, land, _water_level(inputs, arrays))
    climate = kernels.grade_higher_better(
        _climate(inputs, arrays), _numbers(inputs, "accumulated_temperature_breaks", 4,
                                           increasing=True))
    level = kernels.combine(kernels.AGRICULTURE_CLIMATE, level, climate)
    if "salinization_class" in arrays:
        salty = arrays["salinization_class"] >= int(inputs["salinization_min_class"])
        level = np.where(salty, kernels.downgrade(level, 1.0), level)
    if "agricultural_hazard" in arrays:
        steps = _numbers(inputs, "agricultural_hazard_downgrade", 4, increasing=False)
        level = kernels.hazard_downgrade(level, arrays["agricultural_hazard"], steps)
    return level


def urban_level(inputs: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> np.ndarray:
    """Urban construction condition level (5 best .. 1 worst) of each cell."""
    land = kernels.grade_lower_better(
        arrays["slope"], _numbers(inputs, "urban_slope_breaks", 4, increasing=True))
    if "elevation" in arrays:
        elevation = _numbers(inputs, "elevation_breaks", 2, increasing=True)
        land = kernels.downgrade_by_two_breaks(land, arrays["elevation"],
                                               (elevation[0], elevation[1]), second_to_lowest=True)
    if "relief" in arrays:
        relief = _numbers(inputs, "relief_breaks", 2, increasing=True)
        land = kernels.downgrade_by_two_breaks(land, arrays["relief"], (relief[0], relief[1]),
                                               second_to_lowest=False)
    level = kernels.combine(kernels.URBAN_LAND_WATER, land, _water_level(inputs, arrays))
    if "urban_hazard" in arrays:
        steps = _numbers(inputs, "urban_hazard_downgrade", 4, increasing=False)
        level = kernels.hazard_downgrade(level, arrays["urban_hazard"], steps)
    return level


def _protected(inputs: Mapping[str, Any], arrays: Mapping[str, np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    protected = np.zeros(shape, dtype=bool)
    if "importance_class" in arrays:
        protected |= arrays["importance_class"] >= int(inputs["extremely_important_class"])
    if "redline" in arrays:
        protected |= arrays["redline"] == 1
    return protected


def run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Suitability rasters and per-unit tables (computed in memory)."""
    _require_one(inputs, ("importance_class", "redline"), "ecological protection importance")
    _require_one(inputs, ("precipitation", "water_modulus"), "water resource")
    _require_one(inputs, ("accumulated_temperature", "monthly_temperature"), "climate")
    if "water_availability" in inputs and "water_yield" in inputs:
        raise InputError("give either the water_availability table or the water_yield raster "
                         "for the carrying scale, not both")
    thresholds = _levels(inputs)
    names = [i.id for i in SPEC.inputs if isinstance(i, RasterInput) and i.id in inputs]
    data = dask.compute(*[inputs[n].data for n in names])
    arrays = {n: np.asarray(v, dtype=np.float64) for n, v in zip(names, data, strict=True)}
    grid = grid_of_array(inputs["slope"])
    protected = _protected(inputs, arrays, grid.shape)

    outputs: dict[str, Any] = {}
    classes = {}
    for function, level in (("agriculture", agricultural_level(inputs, arrays)),
                            ("urban", urban_level(inputs, arrays))):
        suitability = kernels.exclude_protected(kernels.suitability_class(level, *thresholds),
                                                protected)
        classes[function] = suitability
        prefix = "agricultural" if function == "agriculture" else "urban"
        outputs[f"{prefix}_level"] = from_array(level, grid, name=f"{prefix}_level", units=None)
        outputs[f"{prefix}_suitability"] = from_array(suitability, grid,
                                                      name=f"{prefix}_suitability", units=None)

    zones = inputs.get("zones")
    if zones is None:
        geometries, names_ = [box(*grid.bounds)], ["all"]
    else:
        geometries = list(zones.geometry)
        names_ = zone_names(zones, inputs.get("zone_field"))
    layers = {f"{function}_{code}": np.where(np.isnan(c), np.nan, c == code)
              for function, c in classes.items() for code in kernels.CLASS_NAMES}
    if "water_yield" in arrays:
        layers["water_yield"] = arrays["water_yield"]
    stats = zonal_statistics(layers, geometries, grid, names=names_)
    outputs["suitability_by_zone"] = _class_table(stats, classes)
    carrying = _carrying(inputs, stats, zones is not None)
    if carrying is not None:
        outputs["carrying_scale"] = carrying
    return outputs


def _class_table(stats: pd.DataFrame, classes: Mapping[str, np.ndarray]) -> pd.DataFrame:
    rows = []
    for _, record in stats.iterrows():
        zone_km2 = record["area_m2"] / M2_PER_KM2
        for function in classes:
            for code, name in kernels.CLASS_NAMES.items():
                km2 = record[f"{function}_{code}_sum_area"] / M2_PER_KM2
                rows.append({"zone": str(record["zone"]), "function": function, "class_code": code,
                             "class_name": name, "area_km2": km2,
                             "percent": 100 * km2 / zone_km2 if zone_km2 > 0 else np.nan})
    return pd.DataFrame(rows)


def _carrying(inputs: Mapping[str, Any], stats: pd.DataFrame, has_zones: bool) -> pd.DataFrame | None:
    zones = stats["zone"].astype(str)
    if "water_availability" in inputs:
        table: pd.DataFrame = inputs["water_availability"].copy()
        table["zone"] = table["zone"].astype(str)
        if has_zones:
            missing = sorted(set(zones) - set(table["zone"]))
            if missing:
                raise InputError(f"no row for zone(s) {missing}; the table needs one row per "
                                 "zone, keyed by the zones' zone_field",
                                 source="table 'water_availability'", where="column 'zone'")
            table = table.set_index("zone").loc[list(zones)].reset_index()
        agricultural = Q_(table["agricultural_water"].to_numpy(float), YI_M3_YR)
        domestic = Q_(table["domestic_water"].to_numpy(float), YI_M3_YR)
        out = pd.DataFrame({"zone": table["zone"]})
    elif "water_yield" in inputs:
        # Σ water yield × covered area: mm/yr × m² -> m³/yr
        total = Q_(stats["water_yield_sum_area"].to_numpy(float), "mm/yr * m**2")
        usable = total * float(inputs["usable_water_fraction"])
        agricultural = usable * float(inputs["agricultural_water_share"])
        domestic = usable * float(inputs["domestic_water_share"])
        out = pd.DataFrame({"zone": zones})
    else:
        return None
    quota = float(inputs["irrigation_quota"])
    per_capita = float(inputs["domestic_water_per_capita"])
    cropland = Q_(kernels.irrigable_cropland_ha(agricultural.to("m**3/yr").magnitude, quota), "ha")
    people = kernels.supportable_population(domestic.to("m**3/yr").magnitude, per_capita)
    out["agricultural_water"] = agricultural.to(YI_M3_YR).magnitude
    out["domestic_water"] = domestic.to(YI_M3_YR).magnitude
    out["cropland_water_limited_ha"] = cropland.magnitude
    out["cropland_water_limited_10k_mu"] = cropland.to(WAN_MU).magnitude
    if has_zones or "water_yield" in inputs:
        suitable_m2 = (stats[f"agriculture_{kernels.MOST_SUITABLE}_sum_area"]
                       + stats[f"agriculture_{kernels.SUITABLE}_sum_area"]).to_numpy(float)
        suitable_ha = Q_(suitable_m2, "m**2").to("ha").magnitude
        out["suitable_cropland_ha"] = suitable_ha
        out["cropland_carrying_ha"] = np.minimum(cropland.magnitude, suitable_ha)
    out["population_water_limited"] = people
    out["population_water_limited_10k"] = Q_(people, "").to(WAN).magnitude
    return out


def example() -> dict[str, Any]:
    """4×4 cells of 1 km on China Albers: an oasis plain (flat, irrigated, warm) grading into
    mountains (steep, cold, high) to the north; one extremely important cell; two units."""
    import geopandas as gpd
    from affine import Affine

    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(1000.0, 0, 0, 0, -1000.0, 5_000_000.0), (4, 4))
    slope = np.array([[30.0, 20, 12, 8], [10, 6, 4, 3], [2, 1, 1, 2], [1, 1, 0.5, 1]])
    elevation = np.array([[3800.0, 3000, 2500, 2000], [1500, 1200, 1000, 900],
                          [600, 500, 500, 500], [450, 450, 400, 400]])
    temperature_sum = np.array([[900.0, 1800, 2500, 3000], [3600, 3900, 4100, 4200],
                                [4300, 4400, 4400, 4300], [4500, 4500, 4500, 4500]])
    importance = np.ones((4, 4))
    importance[0, 0] = 3
    zones = gpd.GeoDataFrame({"name": ["west", "east"]},
                             geometry=[box(0, 4_996_000, 2_000, 5_000_000),
                                       box(2_000, 4_996_000, 4_000, 5_000_000)], crs=CHINA_ALBERS)
    return {
        "importance_class": from_array(importance, grid, name="importance_class", units=None),
        "slope": from_array(slope, grid, name="slope", units="degree"),
        "elevation": from_array(elevation, grid, name="elevation", units="m"),
        "precipitation": from_array(np.full((4, 4), 180.0), grid, name="precipitation",
                                    units="mm/yr"),
        "water_modulus": from_array(np.full((4, 4), 140_000.0), grid, name="water_modulus",
                                    units="m**3/km**2/yr"),
        "accumulated_temperature": from_array(temperature_sum, grid,
                                              name="accumulated_temperature",
                                              units="delta_degC*day"),
        "water_yield": from_array(np.linspace(300.0, 20.0, 16).reshape(4, 4), grid,
                                  name="water_yield", units="mm/yr"),
        "zones": zones, "zone_field": "name",
    }


MODEL = Model(spec=SPEC, run=run, example=example)
