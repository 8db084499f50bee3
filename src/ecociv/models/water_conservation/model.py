"""``water_conservation`` — water conservation (水源涵养量) in mm/yr and 10⁸ m³/yr per unit.

Main method (``method = water_balance``): the water balance of the national ecological red-line
guideline (MEP & NDRC 2017), P − P·α − ET per cell, α the surface runoff coefficient of the
land-use class, ET the actual evapotranspiration (e.g. ``@water_yield.aet``). Option
(``method = invest_corrected``): InVEST water yield (``@water_yield.water_yield``) times
min(1, 249/V) · min(1, 0.9 TI/3) · min(1, Ksat/300), as in many Chinese InVEST studies.
Negative balances are set to 0 (``kernels.clip_negative``) and counted per zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dask.array as da
import numpy as np
import pandas as pd
import xarray as xr

from ecociv.errors import InputError
from ecociv.grid.io import from_array, grid_of_array
from ecociv.grid.ops import cell_area, reclassify, zonal_table
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.soil_conservation import kernels as terrain
from ecociv.models.water_conservation import kernels
from ecociv.models.water_conservation.spec import SPEC
from ecociv.spec import (
    Model,
    SummaryMeasure,
)

M2_PER_KM2 = 1e6
#: m³ in the 10⁸ m³ (亿立方米) of Chinese water statistics
M3_PER_1E8M3 = 1e8


def _need(inputs: Mapping[str, Any], method: str, names: tuple[str, ...]) -> None:
    missing = [name for name in names if name not in inputs]
    if missing:
        raise InputError(f"method '{method}' needs input(s) {missing}",
                         source="water_conservation inputs")


def _class_values(inputs: Mapping[str, Any], column: str, method: str) -> xr.DataArray:
    table: pd.DataFrame = inputs["water_conservation_table"]
    if column not in table.columns:
        raise InputError(f"method '{method}' needs a '{column}' column; columns: "
                         f"{list(table.columns)}", source="table 'water_conservation_table'")
    values = table[column].astype(float)
    return reclassify(inputs["land_use"], dict(zip(table["lucode"].astype(int), values,
                                                   strict=True)))


def _like(template: xr.DataArray, values: np.ndarray) -> xr.DataArray:
    out = template.copy(data=values)
    out.attrs = {}
    if isinstance(template.data, da.Array):
        out = out.chunk(dict(template.chunksizes))
    return out


def _topographic_index(inputs: Mapping[str, Any]) -> xr.DataArray:
    if "topographic_index" in inputs:
        return inputs["topographic_index"]
    if "dem" not in inputs or "soil_depth" not in inputs:
        raise InputError("method 'invest_corrected' needs 'topographic_index', or 'dem' and "
                         "'soil_depth' to derive it", source="water_conservation inputs")
    dem = inputs["dem"]
    grid = grid_of_array(dem)
    if grid.crs.is_geographic:
        raise InputError("the DEM is in a geographic CRS; the topographic index needs cells in "
                         "metres", source="input 'dem'")
    unit = grid.crs.axis_info[0].unit_conversion_factor if grid.crs.axis_info else 1.0
    dx, dy = (r * unit for r in grid.resolution)
    z = np.asarray(dem.values, dtype=np.float64)
    cells = terrain.flow_accumulation(terrain.d8_receivers(z, dx, dy),
                                      np.where(np.isnan(z), 0.0, 1.0))
    slope = 100.0 * np.hypot(*terrain.horn_gradient(z, dx, dy))
    upslope = _like(dem, np.where(np.isnan(z), np.nan, cells))
    return xr.apply_ufunc(kernels.topographic_index, upslope, inputs["soil_depth"],
                          _like(dem, slope), dask="parallelized", output_dtypes=[np.float64])


def run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Water conservation raster(s) and the per-zone table (lazy, except a DEM-derived TI)."""
    method = str(inputs.get("method", "water_balance"))
    land_use = inputs["land_use"]
    grid = grid_of_array(land_use)
    outputs: dict[str, Any] = {}
    if method == "water_balance":
        _need(inputs, method, ("precipitation", "aet"))
        alpha = _class_values(inputs, "runoff_coefficient", method)
        precipitation = inputs["precipitation"]
        outputs["surface_runoff"] = xr.apply_ufunc(
            kernels.surface_runoff, precipitation, alpha, dask="parallelized",
            output_dtypes=[np.float64])
        balance = xr.apply_ufunc(kernels.water_balance, precipitation, alpha, inputs["aet"],
                                 dask="parallelized", output_dtypes=[np.float64])
    else:  # "invest_corrected" (the spec's choices)
        _need(inputs, method, ("water_yield", "soil_saturated_conductivity"))
        velocity = _class_values(inputs, "velocity", method)
        correction = xr.apply_ufunc(
            kernels.yield_correction, velocity, _topographic_index(inputs),
            inputs["soil_saturated_conductivity"], dask="parallelized",
            output_dtypes=[np.float64],
            kwargs={"velocity_reference": float(inputs.get("velocity_reference",
                                                           kernels.VELOCITY_REFERENCE)),
                    "ksat_reference": float(inputs.get("ksat_reference",
                                                       kernels.KSAT_REFERENCE))})
        outputs["yield_correction"] = correction
        balance = inputs["water_yield"] * correction
    balance = balance.where(land_use.notnull())
    conservation = xr.apply_ufunc(kernels.clip_negative, balance, dask="parallelized",
                                  output_dtypes=[np.float64])
    outputs["water_conservation"] = conservation

    area = cell_area(grid, land_use)
    sums = {"area_m2": xr.where(conservation.notnull(), 1.0, np.nan) * area,
            "volume_m3": xr.apply_ufunc(kernels.volume_m3, conservation, area,
                                        dask="parallelized", output_dtypes=[np.float64]),
            "clipped": xr.where(balance < 0, 1.0, 0.0)}
    totals = zonal_table(sums, inputs.get("zones"), grid, zone_field=inputs.get("zone_field"))
    outputs["water_conservation_totals"] = totals.then(_totals)
    return outputs


def _totals(frame: pd.DataFrame) -> pd.DataFrame:
    has = frame["valid_cells"] > 0
    area_m2 = frame["area_m2"].where(has)
    volume = frame["volume_m3"].where(has)
    return pd.DataFrame({
        "zone": frame["zone"].astype(str),
        "area_km2": frame["area_m2"] / M2_PER_KM2,
        "water_conservation_mm": volume / area_m2 * 1e3,
        "water_conservation_m3": volume,
        "water_conservation_1e8m3": volume / M3_PER_1E8M3,
        "cells": frame["cells"].astype(np.int64),
        "valid_cells": frame["valid_cells"].astype(np.int64),
        "clipped_cells": frame["clipped"].round().astype(np.int64),
    })


def example() -> dict[str, Any]:
    """3 × 3 cells of 1 km on China Albers: forest (1), grassland (2), water (3) and built-up
    land (4, not assessed), one land-use nodata cell. Runoff coefficients of forest (evergreen
    conifer), grassland (typical) and wetland as recalled from the guideline's table (not
    verified; illustrative here)."""
    from affine import Affine

    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(1000.0, 0, 0, 0, -1000.0, 5_000_000.0), (3, 3))
    codes = np.array([[1, 1, 2], [2, 3, 2], [4, 2, 255]])
    table = pd.DataFrame({"lucode": [1, 2, 3, 4], "runoff_coefficient": [0.0302, 0.0478, 0.0, None],
                          "velocity": [200.0, 500.0, 1500.0, 2012.0]})
    precipitation = np.array([[600.0, 550.0, 400.0], [350.0, 300.0, 320.0], [250.0, 280.0, 260.0]])
    aet = np.array([[420.0, 400.0, 330.0], [300.0, 320.0, 290.0], [200.0, 260.0, 240.0]])
    return {
        "land_use": from_array(codes, grid, name="land_use", units=None, nodata=255),
        "water_conservation_table": table,
        "precipitation": from_array(precipitation, grid, name="precipitation", units="mm/yr"),
        "aet": from_array(aet, grid, name="aet", units="mm/yr"),
    }


#: column of the per-unit summaries of a region run; mm × m² = 10⁻³ m³, in 10⁸ m³
SUMMARY = (SummaryMeasure("water_conservation_1e8m3", "output:water_conservation", "mm/yr", "total", 1e-3 / 1e8,
                          "water conservation (10⁸ m³/yr)"),)

MODEL = Model(spec=SPEC, run=run, example=example, summary=SUMMARY)
