"""``et0`` — FAO-56 reference evapotranspiration for station tables and for grids."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from pyproj import CRS, Transformer

from ecociv.errors import InputError
from ecociv.models.et0 import kernels
from ecociv.models.et0.spec import SPEC
from ecociv.models.et0.stations import compute_et0_table
from ecociv.spec import (
    Model,
    RasterInput,
)

#: Raster inputs that Penman–Monteith needs besides temperature and elevation.
PENMAN_MONTEITH_RASTERS = ("actual_vapour_pressure", "wind_speed_2m", "solar_radiation")


def run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """ET0 table for the stations and/or lazy ET0 and method rasters."""
    time_step = str(inputs.get("time_step", "daily"))
    rasters = [i.id for i in SPEC.inputs if isinstance(i, RasterInput) and i.id in inputs]
    if "stations" not in inputs and not rasters:
        raise InputError("model 'et0' needs station records (input 'stations') or temperature "
                         "rasters (inputs 'tmax' and 'tmin')")
    outputs: dict[str, Any] = {}
    if "stations" in inputs:
        frame: pd.DataFrame = inputs["stations"]
        label = str(frame.attrs.get("source", "table 'stations'"))
        outputs["et0_table"] = compute_et0_table(frame, time_step, label)
    if rasters:
        outputs["et0"], outputs["et0_method"] = _grid_et0(inputs, time_step)
    return outputs


def _grid_et0(inputs: Mapping[str, Any], time_step: str) -> tuple[xr.DataArray, xr.DataArray]:
    missing = [name for name in ("tmax", "tmin") if name not in inputs]
    if missing:
        raise InputError(f"ET0 rasters need both 'tmax' and 'tmin'; missing {missing}")
    given = [name for name in PENMAN_MONTEITH_RASTERS if name in inputs]
    if given and len(given) < len(PENMAN_MONTEITH_RASTERS):
        absent = [n for n in PENMAN_MONTEITH_RASTERS if n not in given]
        raise InputError(
            f"Penman–Monteith needs rasters {list(PENMAN_MONTEITH_RASTERS)}; {given} given, "
            f"{absent} missing. Give all of them, or none for Hargreaves–Samani from temperature")
    if given and "elevation" not in inputs:
        raise InputError("Penman–Monteith needs the 'elevation' raster (atmospheric pressure, "
                         "clear-sky radiation)")
    day_of_year, previous = _grid_date(inputs, time_step)
    tmax: xr.DataArray = inputs["tmax"]
    lat, rows, cols = _cell_latitude(tmax)
    block = partial(_grid_block, day_of_year=day_of_year, tmean_previous=previous)
    optional = [inputs.get(name, np.nan) for name in ("elevation", *PENMAN_MONTEITH_RASTERS)]
    et0, method = xr.apply_ufunc(
        block, lat, rows, cols, tmax, inputs["tmin"], *optional,
        dask="parallelized", output_core_dims=[[], []],
        output_dtypes=[np.float64, np.float64],
    )
    et0 = et0.rename("et0").assign_attrs(units="mm/day", long_name="reference evapotranspiration")
    method = method.rename("et0_method").assign_attrs(units="")
    return et0, method


def _grid_date(inputs: Mapping[str, Any], time_step: str) -> tuple[float, float]:
    if time_step == "daily":  # else "monthly" (the spec's choices)
        wrong = [p for p in ("month", "tmean_prev_month") if p in inputs]
        if wrong:
            raise InputError(f"parameter(s) {wrong} apply to time_step=monthly, not daily")
        if "day_of_year" not in inputs:
            raise InputError("daily ET0 rasters need parameter 'day_of_year' (1-366)")
        return float(inputs["day_of_year"]), np.nan
    if "day_of_year" in inputs:
        raise InputError("parameter 'day_of_year' applies to time_step=daily; give 'month'")
    if "month" not in inputs:
        raise InputError("monthly ET0 rasters need parameter 'month' (1-12)")
    previous = float(inputs["tmean_prev_month"]) if "tmean_prev_month" in inputs else np.nan
    return float(kernels.mid_month_day_of_year(inputs["month"])), previous


def _grid_block(lat: np.ndarray, rows: np.ndarray, cols: np.ndarray, tmax: np.ndarray,
                tmin: np.ndarray, elevation: np.ndarray, ea: np.ndarray, u2: np.ndarray,
                rs: np.ndarray, *, day_of_year: float, tmean_previous: float
                ) -> tuple[np.ndarray, np.ndarray]:
    tmax, tmin = np.broadcast_arrays(np.asarray(tmax, dtype=np.float64),
                                     np.asarray(tmin, dtype=np.float64))
    swapped = tmin > tmax
    if swapped.any():
        at = tuple(np.argwhere(swapped)[0])
        raise InputError(
            f"minimum temperature {tmin[at]:g} °C is above the maximum {tmax[at]:g} °C",
            source="inputs 'tmin'/'tmax'",
            where=f"cell (row {int(np.broadcast_to(rows, tmax.shape)[at])}, "
                  f"col {int(np.broadcast_to(cols, tmax.shape)[at])})")
    flux = (kernels.soil_heat_flux_monthly((tmax + tmin) / 2.0, tmean_previous)
            if np.isfinite(tmean_previous) else 0.0)
    terms = kernels.et0_terms(latitude_deg=lat, elevation_m=elevation, day_of_year=day_of_year,
                              tmax_c=tmax, tmin_c=tmin, ea_kpa=ea, u2_m_s=u2, Rs=rs, G=flux)
    return terms["et0_mm_day"], terms["method"]


def _cell_latitude(like: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray, xr.DataArray]:
    """Cell-centre latitude (degrees), row and column numbers, lazily on ``like``'s chunks."""
    crs = like.rio.crs
    if crs is None:
        raise InputError("raster has no CRS, so the latitude of its cells is unknown",
                         source=str(like.name))
    zeros = xr.zeros_like(like, dtype=np.float64)
    rows = zeros + xr.DataArray(np.arange(like.sizes["y"], dtype=np.float64), dims="y",
                                coords={"y": like["y"]})
    cols = zeros + xr.DataArray(np.arange(like.sizes["x"], dtype=np.float64), dims="x",
                                coords={"x": like["x"]})
    pyproj_crs = CRS.from_user_input(crs.to_wkt())
    if pyproj_crs.is_geographic:
        return zeros + like["y"].astype(np.float64), rows, cols
    if pyproj_crs.geodetic_crs is None:
        raise InputError("the raster's CRS has no geodetic datum, so the latitude of its cells "
                         "is unknown", source=str(like.name))
    xs = zeros + like["x"].astype(np.float64)
    ys = zeros + like["y"].astype(np.float64)
    to_latitude = partial(_latitude_of, crs_wkt=pyproj_crs.to_wkt())
    lat = xr.apply_ufunc(to_latitude, xs, ys, dask="parallelized", output_dtypes=[np.float64])
    return lat, rows, cols


def _latitude_of(x: np.ndarray, y: np.ndarray, *, crs_wkt: str) -> np.ndarray:
    crs = CRS.from_wkt(crs_wkt)
    geodetic = crs.geodetic_crs
    assert geodetic is not None
    transformer = Transformer.from_crs(crs, geodetic, always_xy=True)
    _, latitude = transformer.transform(x, y)
    return np.asarray(latitude, dtype=np.float64)


def example() -> dict[str, Any]:
    """3×3 cells of 1 km on China Albers near Ürümqi (Tianshan northern slope), 15 July, and
    two station rows: one with full data (Penman–Monteith), one with temperature only
    (Hargreaves–Samani). One cell lacks radiation (Hargreaves–Samani), one has no data."""
    from affine import Affine

    from ecociv.grid.io import from_array
    from ecociv.grid.spec import CHINA_ALBERS, GridSpec

    x0, y0 = Transformer.from_crs("EPSG:4326", CHINA_ALBERS, always_xy=True).transform(87.6, 43.8)
    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(1000.0, 0, round(x0, -3), 0, -1000.0,
                                                  round(y0, -3)), (3, 3))
    nan = np.nan

    def raster(name: str, values: list[list[float]], units: str) -> xr.DataArray:
        return from_array(np.array(values), grid, name=name, units=units)

    stations = pd.DataFrame({
        "station": ["urumqi", "shihezi"],
        "latitude_deg": [43.78, 44.32], "elevation_m": [935.0, 443.0],
        "day_of_year": [196, 196], "tmax_c": [31.2, 33.0], "tmin_c": [19.4, 18.1],
        "rh_mean_pct": [38.0, nan], "wind_speed_m_s": [3.1, nan], "wind_height_m": [10.0, nan],
        "sunshine_hours": [10.4, nan],
    })
    return {
        "stations": stations,
        "tmax": raster("tmax", [[31, 30.5, 30], [29, 28, 27], [26, 25, nan]], "degC"),
        "tmin": raster("tmin", [[18, 17.5, 17], [16, 15, 14], [13, 12, nan]], "degC"),
        "elevation": raster("elevation", [[600, 700, 800], [900, 1000, 1100],
                                          [1200, 1300, 1400]], "m"),
        "actual_vapour_pressure": raster("actual_vapour_pressure", [[1.2] * 3] * 3, "kPa"),
        "wind_speed_2m": raster("wind_speed_2m", [[2.0, 2.2, 2.4]] * 3, "m/s"),
        "solar_radiation": raster("solar_radiation", [[26, 26, 25], [25, 24, nan],
                                                      [24, 23, 23]], "MJ/m**2/day"),
        "time_step": "daily",
        "day_of_year": 196,
    }


MODEL = Model(spec=SPEC, run=run, example=example)
