"""``sand_fixation`` — wind erosion and the sand-fixation service by the Revised Wind Erosion
Equation (RWEQ; Fryrear et al. 1998, 2000).

For every month the weather factor (wind, air density, soil wetness, snow cover), the soil
erodible fraction and crust factors, the roughness factor and the vegetation factor give the
soil loss with the actual vegetation and with bare soil (COG = 1, "potential"); the service is
potential minus actual loss, as in Chinese sand-fixation service assessments (e.g. 彭建等
2017, 生态学报 37(11); 刘菁华等 2018, 生态学报 38(5)).

Choices made here, all documented in the spec and the kernels:

* **Wind factor from monthly means.** The bulletin sums U(U − 5)² over wind observations above
  5 m/s at 2 m. With monthly mean winds only, the observations are taken as Weibull distributed
  (shape ``weibull_shape``; Skidmore & Tatarko 1990) and Wf = N_d E[U(U−5)²; U > 5] in closed
  form. Winds measured at another height are brought to 2 m by the FAO-56 log profile (eq. 47).
* **Soil wetness** uses FAO-56 reference ET0 for the bulletin's ETp, with precipitation,
  irrigation and the fraction of days with rain or irrigation (``rain_days`` or
  ``rain_day_fraction``).
* **Snow cover** SD = 1 − (days with snow deeper than 25.4 mm)/(days in the month).
* **Loss form.** The default, ``soil_loss_form = field_mean``, is the mean loss over a field of
  length z, Q(z)/z, which grows with the erosive product X everywhere, so actual loss never
  exceeds potential loss and more vegetation never raises it (properties ecociv guarantees).
  The point form at z = 50 m downwind, SL = 2z/s² Q_max e^−(z/s)², is the form of Chinese
  assessments (``soil_loss_form = point``); it stops growing with the erosive product X
  once z/s > 1.532 (transport saturated within z); where the bare-soil case is past that point
  the loss with vegetation can exceed the bare-soil loss. Monthly sand fixation is then
  max(potential − actual, 0) and the months where this can happen are counted in
  ``saturated_months``.
* **Units.** Kernels work in kg/m² per month; outputs are t/km² (× 1000) per month and per year
  (sum of the 12 months of a 365-day year).
"""

from __future__ import annotations

from collections.abc import Mapping
from operator import itemgetter
from typing import Any
from uuid import uuid4

import dask
import dask.array as da
import numpy as np
import pandas as pd
import xarray as xr

from ecociv.errors import InputError
from ecociv.grid.io import from_array, grid_of_array
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models._cell_totals import area_totals
from ecociv.models.et0.kernels import wind_speed_at_2m
from ecociv.models.sand_fixation import kernels
from ecociv.models.sand_fixation.spec import SPEC
from ecociv.spec import (
    Model,
    SummaryMeasure,
)

#: km² per m²
KM2_PER_M2 = 1e-6

#: Sums of sand, silt and clay up to this many % are accepted (rounding of separately rounded
#: fractions); above it a cell is an error.
TEXTURE_SUM_TOLERANCE_PCT = 1.0


def _months() -> xr.DataArray:
    return xr.DataArray(kernels.DAYS_IN_MONTH, dims=("band",),
                        coords={"band": np.arange(1, 13)}, name="days")


def _first_cell(mask: np.ndarray) -> str:
    index = tuple(int(i) for i in np.argwhere(mask)[0])
    if len(index) == 3:
        return f"month {index[0] + 1}, cell (row {index[1]}, col {index[2]})"
    return f"cell (row {index[0]}, col {index[1]})"


def _check_inputs(inputs: Mapping[str, Any]) -> None:
    """Checks the spec's ranges cannot express, of the optional day counts per month (texture
    sums are checked chunk by chunk in the main pass: :func:`_soil_factor`)."""
    days = _months()
    checks: dict[str, tuple[xr.DataArray, str, str]] = {}
    for name in ("snow_cover_days", "rain_days"):
        if name in inputs:
            checks[name] = (inputs[name] > days, name,
                            "{value:g} days is more than the days in that month")
    if not checks:
        return
    values = {n: inputs[n] for n in ("snow_cover_days", "rain_days") if n in inputs}
    flags = dask.compute(*[mask.any() for mask, _, _ in checks.values()])
    for (key, (mask, source, message)), flagged in zip(checks.items(), flags, strict=True):
        if not bool(flagged):
            continue
        where_mask = np.asarray(mask.values)
        first = tuple(int(i) for i in np.argwhere(where_mask)[0])
        value = float(np.asarray(values[key].values)[first])
        raise InputError(message.format(value=value), source=f"input(s) {source}",
                         where=_first_cell(where_mask))


def _cover(inputs: Mapping[str, Any]) -> xr.DataArray:
    if "vegetation_cover_monthly" in inputs:
        return inputs["vegetation_cover_monthly"]
    if "vegetation_cover" in inputs:
        return inputs["vegetation_cover"]
    raise InputError("model 'sand_fixation' needs 'vegetation_cover' (one raster for all "
                     "months) or 'vegetation_cover_monthly' (12 bands)")


def _soil_block(sand: np.ndarray, silt: np.ndarray, clay: np.ndarray, organic: np.ndarray,
                *caco3: np.ndarray, constant_caco3: float = 0.0,
                block_info: dict[Any, Any] | None = None) -> np.ndarray:
    """EF × SCF of a block, after checking its texture sums (the error names the cell in grid
    coordinates): one compiled pass (``month_loops.soil_factor``, the operations of
    :func:`kernels.erodible_fraction` × :func:`kernels.crust_factor`)."""
    from ecociv.models.sand_fixation import month_loops

    (row0, _), (col0, _) = (block_info[0]["array-location"] if block_info else ((0, 0), (0, 0)))
    shape = np.shape(sand)
    flat = [_flat_cells(a) for a in (sand, silt, clay, organic)]
    carbonate = (_flat_cells(caco3[0]) if caco3
                 else np.array([constant_caco3], dtype=np.float64))
    out = np.empty(flat[0].size)
    first = month_loops.soil_factor(flat[0], flat[1], flat[2], flat[3], carbonate, bool(caco3),
                                    100.0 + TEXTURE_SUM_TOLERANCE_PCT,
                                    np.array(kernels.ERODIBLE_FRACTION_COEFFICIENTS),
                                    np.array(kernels.CRUST_FACTOR_COEFFICIENTS), out)
    if first >= 0:
        row, col = (int(i) for i in np.unravel_index(first, shape))
        texture = (float(flat[0][first]) + float(flat[1][first])) + float(flat[2][first])
        raise InputError(f"sand + silt + clay = {texture:g} % exceeds 100 %; "
                         "expected fractions of the fine earth in % that sum to at most 100",
                         source="input(s) sand, silt, clay",
                         where=f"cell (row {row0 + row}, col {col0 + col})")
    return out.reshape(shape)


def _flat_cells(block: np.ndarray) -> np.ndarray:
    """A block's cells as a 1-D C-contiguous array (a view when it is one), float32 or
    float64."""
    array = np.asarray(block)
    if array.dtype not in (np.float32, np.float64):
        array = array.astype(np.float64)
    return np.ascontiguousarray(array).reshape(-1)


def _soil_factor(inputs: Mapping[str, Any]) -> xr.DataArray:
    """EF × SCF (:func:`kernels.erodible_fraction`, :func:`kernels.crust_factor`) chunk by
    chunk in the main pass, with the check of texture sums (no pass of its own)."""
    rasters = [inputs[name] for name in ("sand", "silt", "clay", "organic_matter")]
    caco3 = inputs.get("caco3", 0.0)
    given_caco3 = isinstance(caco3, xr.DataArray)
    arrays = [r.data for r in rasters] + ([caco3.data] if given_caco3 else [])
    chunks = next((a.chunks for a in arrays if isinstance(a, da.Array)),
                  tuple((n,) for n in np.shape(arrays[0])))
    arrays = [(a if isinstance(a, da.Array) else da.from_array(np.asarray(a), chunks=chunks))
              .rechunk(chunks) for a in arrays]
    data = da.map_blocks(_soil_block, *arrays, dtype=np.float64, meta=np.empty((0, 0)),
                         constant_caco3=0.0 if given_caco3 else float(caco3))
    return rasters[0].copy(data=data)


_ANNUAL = ("soil_loss_potential", "soil_loss_actual", "sand_fixation", "saturated_months")
_MONTHLY_OUT = ("soil_loss_potential_monthly", "soil_loss_actual_monthly", "sand_fixation_monthly")


def run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Monthly and annual potential/actual wind erosion, sand fixation and per-zone totals
    (lazy, except for the input checks that the spec cannot express).

    One fused kernel (:func:`kernels.soil_loss_by_month`) per chunk goes through the twelve
    months and returns the annual sums, and the monthly values when ``monthly_outputs``. Each
    month of a monthly input is handed over as its own array (its own chunk as read), so the
    months are never copied into one block."""
    cover = _cover(inputs)
    _check_inputs(inputs)
    days = _months()
    height = float(inputs.get("wind_height", 10.0))
    with_monthly = bool(inputs.get("monthly_outputs", True))
    soil = _soil_factor(inputs)
    roughness = inputs.get("roughness", float(inputs.get("roughness_factor", 1.0)))
    wet_fraction = (inputs["rain_days"] / days if "rain_days" in inputs
                    else float(inputs.get("rain_day_fraction", 1.0)))
    arguments = [inputs["wind_speed"], inputs["temperature"], inputs["elevation"],
                 inputs["precipitation"], inputs["et0"], inputs.get("irrigation", 0.0),
                 wet_fraction, inputs.get("snow_cover_days", 0.0), soil, roughness, cover]
    # which arguments are monthly (a band dimension): handed over month by month
    monthly_flags = [isinstance(a, xr.DataArray) and "band" in a.dims for a in arguments]
    options: dict[str, Any] = {
        "days": kernels.DAYS_IN_MONTH,
        # the 2 m conversion is applied in the kernel, in the wind raster's precision
        "wind_to_2m": float(wind_speed_at_2m(1.0, height)),
        "shape": float(inputs.get("weibull_shape", 2.0)),
        "threshold": float(inputs.get("threshold_wind_speed", kernels.THRESHOLD_WIND_2M)),
        "distance_m": float(inputs.get("downwind_distance", 50.0)),
        "loss_form": str(inputs.get("soil_loss_form", "field_mean")),
        "cover_form": str(inputs.get("vegetation_factor_form", "flat_cover")),
        "scale": kernels.T_PER_KM2_PER_KG_PER_M2,
        "monthly": with_monthly,
        # the monthly rasters are written as float32: keep them so (half the memory in flight)
        "monthly_dtype": np.float32,
    }
    names = _ANNUAL + (_MONTHLY_OUT if with_monthly else ())
    keys = ("potential", "actual", "fixation", "saturated", "potential_monthly",
            "actual_monthly", "fixation_monthly")[:len(names)]

    def block(*values: Any) -> tuple[np.ndarray, ...]:
        # a monthly argument comes as the list of its band chunks (months first) as read;
        # each month is handed over as a view
        grouped = [[part[k] for part in value for k in range(part.shape[0])] if monthly
                   else value for value, monthly in zip(values, monthly_flags, strict=True)]
        result = kernels.soil_loss_by_month(*grouped, **options)
        return tuple(result[key] for key in keys)

    # EF x SCF is a dask array whatever the inputs (_soil_factor): one task per chunk
    results = _by_chunk(block, arguments, monthly_flags, names, days)
    outputs: dict[str, Any] = {}
    for name, value in zip(names, results, strict=True):
        if name in _MONTHLY_OUT:
            value = value.assign_coords(band=days["band"]).transpose("band", "y", "x")
        outputs[name] = value.rename(name)
    grid = grid_of_array(inputs["elevation"])
    # t/km² × km² per zone, one compiled pass per chunk over the annual rasters and the cell
    # areas (the sums ``zonal_table`` gives of ``value * cell_area(grid) * KM2_PER_M2``)
    totals = area_totals([outputs[name] for name in _ANNUAL[:3]],
                         [("sand_fixation_t", 2, False), ("soil_loss_potential_t", 0, False),
                          ("soil_loss_actual_t", 1, False), ("area_km2", 2, True)],
                         inputs.get("zones"), grid, _square_km,
                         zone_field=inputs.get("zone_field"))
    outputs["sand_fixation_totals"] = totals.then(_totals)
    return outputs


def _by_chunk(block: Any, arguments: list[Any], monthly: list[bool], names: tuple[str, ...],
              days: xr.DataArray) -> list[xr.DataArray]:
    """``block`` as one task per chunk of the grid, given each band chunk of the monthly
    arrays as it is read (``concatenate=False``): no task per month and chunk to take the
    months apart (768 of them at 4000² in 1 Mi-cell chunks), no transposition and no copy of
    the months into one block. The outputs carry the grid's coordinates and the attributes
    of the first argument, as ``xarray.apply_ufunc`` gives them."""
    template = next(a for a in arguments if isinstance(a, xr.DataArray))
    template = template.isel(band=0, drop=True) if "band" in template.dims else template
    grid_dims = template.dims
    pairs: list[Any] = []
    for value, per_month in zip(arguments, monthly, strict=True):
        if not isinstance(value, xr.DataArray):
            pairs += [value, None]
        elif per_month:
            pairs += [da.asarray(value.transpose("band", *grid_dims).data), "byx"]
        else:
            pairs += [da.asarray(value.transpose(*grid_dims).data), "yx"]
    tuples = da.blockwise(block, "yx", *pairs, concatenate=False, align_arrays=True,
                          dtype=np.float64, meta=np.empty((0, 0)),
                          name=f"sand_fixation-{uuid4().hex}")
    outputs = []
    for index, name in enumerate(names):
        if name in _MONTHLY_OUT:
            data = tuples.map_blocks(itemgetter(index), new_axis=0,
                                     chunks=((days.size,), *tuples.chunks), dtype=np.float32,
                                     meta=np.empty((0, 0, 0), np.float32))
            outputs.append(xr.DataArray(data, dims=("band", *grid_dims),
                                        coords={**template.coords, "band": days["band"]},
                                        attrs=template.attrs))
        else:
            data = tuples.map_blocks(itemgetter(index), dtype=np.float64,
                                     meta=np.empty((0, 0)))
            outputs.append(template.copy(data=data))
    return outputs


def _square_km(area_m2: np.ndarray) -> np.ndarray:
    return area_m2 * KM2_PER_M2


def _totals(frame: pd.DataFrame) -> pd.DataFrame:
    area = frame["area_km2"]
    return pd.DataFrame({
        "zone": frame["zone"].astype(str),
        "area_km2": area,
        "sand_fixation_t": frame["sand_fixation_t"],
        "sand_fixation_mt": frame["sand_fixation_t"] * 1e-6,
        "soil_loss_potential_t": frame["soil_loss_potential_t"],
        "soil_loss_actual_t": frame["soil_loss_actual_t"],
        "sand_fixation_mean": (frame["sand_fixation_t"] / area.where(area > 0)).astype(np.float64),
        "cells": frame["cells"].astype(np.int64),
        "valid_cells": frame["valid_cells"].astype(np.int64),
    })


def example() -> dict[str, Any]:
    """3×3 cells of 1 km on China Albers: a windy desert row, an oasis row with irrigation and
    vegetation, a snowy mountain row; one cell without soil data."""
    from affine import Affine

    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(1000.0, 0, 0, 0, -1000.0, 5_000_000.0), (3, 3))
    month = np.arange(12)
    spring = 1.0 + 0.5 * np.exp(-((month - 4) ** 2) / 4.0)  # windiest in April-May

    def monthly(base: np.ndarray, profile: np.ndarray) -> np.ndarray:
        return profile[:, None, None] * base[None, :, :]

    wind = monthly(np.array([[4.5, 4.0, 3.5], [3.5, 3.0, 2.5], [4.0, 3.5, 3.0]]), spring)
    temperature = monthly(np.ones((3, 3)), 20 * np.sin((month - 3) * np.pi / 6))
    temperature += np.array([[0.0] * 3, [0.0] * 3, [-8.0] * 3])[None]
    precipitation = monthly(np.array([[0.5] * 3, [1.0] * 3, [3.0] * 3]), 10 + 10 * np.sin(month / 2))
    et0 = monthly(np.ones((3, 3)), 30 + 120 * np.clip(np.sin((month - 2) * np.pi / 9), 0, None))
    irrigation = monthly(np.array([[0.0] * 3, [100.0] * 3, [0.0] * 3]),
                         ((month >= 3) & (month <= 8)).astype(float))
    snow = monthly(np.array([[0.0] * 3, [5.0] * 3, [25.0] * 3]),
                   np.array([1, 1, 0.5, 0, 0, 0, 0, 0, 0, 0, 0.5, 1.0]))
    clay = np.array([[5.0, 8.0, 10.0], [15.0, 20.0, 18.0], [12.0, 10.0, np.nan]])
    sand = np.array([[85.0, 75.0, 70.0], [40.0, 35.0, 45.0], [50.0, 55.0, np.nan]])
    silt = 100.0 - sand - clay

    def raster(values: np.ndarray, name: str, units: str) -> Any:
        return from_array(values, grid, name=name, units=units)

    return {
        "wind_speed": raster(wind, "wind_speed", "m/s"),
        "temperature": raster(temperature, "temperature", "degC"),
        "precipitation": raster(precipitation, "precipitation", "mm/month"),
        "et0": raster(et0, "et0", "mm/month"),
        "irrigation": raster(irrigation, "irrigation", "mm/month"),
        "snow_cover_days": raster(snow, "snow_cover_days", "d"),
        "elevation": raster(np.array([[400.0] * 3, [600.0] * 3, [2000.0] * 3]), "elevation", "m"),
        "sand": raster(sand, "sand", "percent"),
        "silt": raster(silt, "silt", "percent"),
        "clay": raster(clay, "clay", "percent"),
        "organic_matter": raster(np.array([[0.3] * 3, [1.5] * 3, [3.0] * 3]), "organic_matter",
                                 "percent"),
        "caco3": raster(np.full((3, 3), 8.0), "caco3", "percent"),
        "vegetation_cover": raster(np.array([[0.02, 0.05, 0.1], [0.4, 0.5, 0.3], [0.6, 0.5, 0.4]]),
                                   "vegetation_cover", ""),
    }


#: column of the per-unit summaries of a region run; t/km² × m² = 10⁻⁶ t, 1 Mt = 10⁶ t
SUMMARY = (SummaryMeasure("sand_fixation_mt", "output:sand_fixation", "t/km**2/yr", "total", 1e-6 / 1e6,
                          "sand fixation (Mt/yr)"),)

MODEL = Model(spec=SPEC, run=run, example=example, summary=SUMMARY)
