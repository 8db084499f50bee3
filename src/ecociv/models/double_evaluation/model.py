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

Rasters are computed in row bands and kept as one byte per cell per output (4 bytes per cell
in all) until written; the per-unit tables read each unit's window of them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from typing import Any

import dask
import numpy as np
import pandas as pd
from shapely.geometry import box

from ecociv.errors import InputError
from ecociv.grid.compact import PackedLayer, chunk_row_edges, lazy_raster, pack_codes, row_bands
from ecociv.grid.io import from_array, grid_of_array
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.grid.zonal import zonal_statistics
from ecociv.models.double_evaluation import kernels
from ecociv.models.double_evaluation.spec import SPEC, WAN, WAN_MU, YI_M3_YR
from ecociv.spec import (
    Model,
    RasterInput,
)
from ecociv.spec_blocks import zone_names
from ecociv.units import Q_

M2_PER_KM2 = 1e6


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


#: (function, output prefix) of the two evaluations
FUNCTIONS = (("agriculture", "agricultural"), ("urban", "urban"))
#: cells per row band of the raster pass (about 20 float64 temporaries of a band are alive)
BAND_CELLS = 1 << 22
#: the raster outputs, each held as uint8 codes (one byte per cell) until written
RASTERS = tuple(f"{prefix}_{what}" for _, prefix in FUNCTIONS for what in ("level", "suitability"))


def _band_classes(inputs: Mapping[str, Any], arrays: Mapping[str, np.ndarray],
                  thresholds: tuple[int, int, int]) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(output prefix, level, suitability class) of each function on one block of cells (every
    step is cell by cell, so blocks give the values of the whole grid)."""
    shape = arrays["slope"].shape
    protected = _protected(inputs, arrays, shape)
    out = []
    for function, prefix in FUNCTIONS:
        level = agricultural_level(inputs, arrays) if function == "agriculture" else \
            urban_level(inputs, arrays)
        suitability = kernels.exclude_protected(kernels.suitability_class(level, *thresholds),
                                                protected)
        out.append((prefix, level, suitability))
    return out


def run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Suitability rasters and per-unit tables.

    Every raster step is cell by cell, so the grid is computed in row bands (read, graded and
    packed into one byte per cell per output, two bands at a time on the run's cores); the
    per-unit tables read each unit's window of the packed classes."""
    _require_one(inputs, ("importance_class", "redline"), "ecological protection importance")
    _require_one(inputs, ("precipitation", "water_modulus"), "water resource")
    _require_one(inputs, ("accumulated_temperature", "monthly_temperature"), "climate")
    if "water_availability" in inputs and "water_yield" in inputs:
        raise InputError("give either the water_availability table or the water_yield raster "
                         "for the carrying scale, not both")
    thresholds = _levels(inputs)
    names = [i.id for i in SPEC.inputs if isinstance(i, RasterInput) and i.id in inputs]
    grid = grid_of_array(inputs["slope"])
    codes = {key: np.empty(grid.shape, dtype=np.uint8) for key in RASTERS}

    def band(rows: tuple[int, int]) -> None:
        r0, r1 = rows
        data = dask.compute(*[inputs[n].data[..., r0:r1, :] for n in names])
        arrays = {n: np.asarray(v, dtype=np.float64) for n, v in zip(names, data, strict=True)}
        for prefix, level, suitability in _band_classes(inputs, arrays, thresholds):
            codes[f"{prefix}_level"][r0:r1] = pack_codes(level)
            codes[f"{prefix}_suitability"][r0:r1] = pack_codes(suitability)

    bands = list(row_bands(grid.rows, grid.cols, chunk_row_edges(inputs["slope"]), BAND_CELLS))
    with ThreadPoolExecutor(max_workers=max(1, min(len(bands), os.cpu_count() or 1))) as pool:
        list(pool.map(band, bands))

    outputs: dict[str, Any] = {key: lazy_raster(codes[key], grid, name=key) for key in RASTERS}
    zones = inputs.get("zones")
    if zones is None:
        geometries, names_ = [box(*grid.bounds)], ["all"]
    else:
        geometries = list(zones.geometry)
        names_ = zone_names(zones, inputs.get("zone_field"))
    classes = {function: codes[f"{prefix}_suitability"] for function, prefix in FUNCTIONS}
    layers: dict[str, Any] = {f"{function}_{code}": PackedLayer(c, equal_to=code)
                              for function, c in classes.items() for code in kernels.CLASS_NAMES}
    if "water_yield" in inputs:
        layers["water_yield"] = inputs["water_yield"]
    stats = zonal_statistics(layers, geometries, grid, names=names_)
    outputs["suitability_by_zone"] = _class_table(stats, classes)
    carrying = _carrying(inputs, stats, zones is not None)
    if carrying is not None:
        outputs["carrying_scale"] = carrying
    return outputs


def _class_table(stats: pd.DataFrame, classes: Mapping[str, Any]) -> pd.DataFrame:
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
