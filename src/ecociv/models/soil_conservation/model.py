"""``soil_conservation`` — soil conservation service by RUSLE (potential minus actual soil loss).

R from monthly precipitation, K from texture and organic carbon (EPIC), LS from the DEM (D8,
Desmet & Govers), C from a per-class table or from vegetation cover (Cai et al. 2000), P from
the table; the formulas and their sources are in ``kernels.py``.

Flow routing for LS is not local to a chunk: one task of the chunked pass takes the whole DEM
and computes upslope areas and gradients (``kernels.terrain``: compiled loops, about five
float64 grids at its peak, ~0.6 GB for 4000 × 4000 cells), while the other threads compute R and
K; LS itself and every other step are chunk by chunk (benchmarks/bench_services.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import dask
import dask.array as da
import numpy as np
import pandas as pd
import xarray as xr

from ecociv.errors import InputError
from ecociv.grid.io import from_array, grid_of_array
from ecociv.grid.ops import cell_area, reclassify, zonal_table
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.soil_conservation import kernels
from ecociv.models.soil_conservation.spec import SPEC
from ecociv.spec import (
    Model,
    SummaryMeasure,
)

#: Sand + silt + clay may exceed 100 % by this much (rounding of published fractions), %.
TEXTURE_SUM_TOLERANCE = 1.0
M2_PER_HA = 1e4
T_PER_MT = 1e6


#: Cells per slab in which the cell-by-cell kernels go through a chunk (:func:`_in_slabs`).
SLAB_CELLS = 1 << 16


def _in_slabs(func: Callable[..., np.ndarray], *arrays: Any, **kwargs: Any) -> np.ndarray:
    """``func(*arrays, **kwargs)`` of a cell-by-cell kernel, evaluated slab by slab of rows of
    about :data:`SLAB_CELLS` cells: the same values, but the kernel's temporaries stay in the CPU
    caches instead of streaming whole chunks through memory once per operation. Arguments that
    are not 2-D arrays of the first one's shape are passed whole."""
    shape = np.shape(arrays[0])
    if len(shape) != 2 or shape[0] * shape[1] <= SLAB_CELLS:
        return func(*arrays, **kwargs)
    step = max(1, SLAB_CELLS // shape[1])
    out: np.ndarray | None = None
    for row0 in range(0, shape[0], step):
        rows = slice(row0, row0 + step)
        part = np.asarray(func(*(a[rows] if isinstance(a, np.ndarray) and a.shape == shape else a
                                 for a in arrays), **kwargs))
        if out is None:
            out = np.empty(shape, dtype=part.dtype)
        out[rows] = part
    assert out is not None
    return out


def _metre_cells(grid: GridSpec) -> tuple[float, float]:
    if grid.crs.is_geographic:
        raise InputError("the DEM is in a geographic CRS; LS needs a projected grid with cells "
                         "in metres (warp the inputs, e.g. to China Albers)", source="input 'dem'")
    unit = grid.crs.axis_info[0].unit_conversion_factor if grid.crs.axis_info else 1.0
    dx, dy = grid.resolution
    return dx * unit, dy * unit


def _like(template: xr.DataArray, values: np.ndarray, units: str) -> xr.DataArray:
    """``values`` as a raster with the coordinates (and chunks, if dask) of ``template``."""
    out = template.copy(data=values)
    out.attrs = {"units": units}
    if isinstance(template.data, da.Array):
        out = out.chunk(dict(template.chunksizes))
    return out


def _erosivity_of_months(*months: np.ndarray) -> np.ndarray:
    return kernels.rainfall_erosivity(list(months))


def _slope_length_steepness(dem: xr.DataArray, dx: float, dy: float, *, max_slope_length: float,
                            steep_threshold_degrees: float) -> xr.DataArray:
    """LS of the DEM. On a dask-backed DEM, lazily: one task routes flow over the whole DEM
    (:func:`kernels.terrain`, which needs it in memory), and LS follows chunk by chunk, so the
    chunks of R and K (and their outputs) are computed on the other threads meanwhile."""
    options = {"max_slope_length": max_slope_length,
               "steep_threshold_degrees": steep_threshold_degrees}
    if not isinstance(dem.data, da.Array):
        return _like(dem, kernels.ls_factor(np.asarray(dem.values, dtype=np.float64), dx, dy,
                                            **options), "")
    chunks = dem.data.chunks
    parts = dask.delayed(kernels.terrain, nout=3, pure=True)(dem.data, dx, dy)
    upslope, dzdx, dzdy = (da.from_delayed(part, shape=dem.shape, dtype=np.float64).rechunk(chunks)
                           for part in parts)
    values = da.map_blocks(_in_slabs, kernels.ls_from_terrain, upslope, dzdx, dzdy,
                           float(np.sqrt(dx * dy)), dtype=np.float64, **options)
    out = dem.copy(data=values)
    out.attrs = {"units": ""}
    return out


def _organic_carbon(inputs: Mapping[str, Any]) -> xr.DataArray:
    given = [name for name in ("organic_carbon", "organic_matter") if name in inputs]
    if len(given) != 1:
        raise InputError("give exactly one of 'organic_carbon' and 'organic_matter' (both in %)"
                         + (f"; got {given}" if given else "; got neither"),
                         source="soil_conservation inputs")
    if given[0] == "organic_carbon":
        return inputs["organic_carbon"]
    return xr.apply_ufunc(kernels.organic_carbon_from_matter, inputs["organic_matter"],
                          dask="parallelized", output_dtypes=[np.float64])


def _erodibility_block(sand: np.ndarray, silt: np.ndarray, clay: np.ndarray, carbon: np.ndarray,
                       correction: str, row0: int, col0: int) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        excess = (sand + silt + clay) > 100.0 + TEXTURE_SUM_TOLERANCE
    if excess.any():
        row, col = np.argwhere(excess)[0]
        total = sand[row, col] + silt[row, col] + clay[row, col]
        raise InputError(
            f"sand + silt + clay = {total:g} % (sand {sand[row, col]:g}, silt {silt[row, col]:g}, "
            f"clay {clay[row, col]:g}); expected at most 100 % (+{TEXTURE_SUM_TOLERANCE:g} for "
            "rounding)", source="inputs 'sand', 'silt', 'clay'",
            where=f"cell (row {row0 + row}, col {col0 + col})")
    return _in_slabs(kernels.soil_erodibility, sand, silt, clay, carbon, correction)


def _erodibility(sand: xr.DataArray, silt: xr.DataArray, clay: xr.DataArray,
                 carbon: xr.DataArray, correction: str) -> xr.DataArray:
    """K, checking texture sums chunk by chunk (the error names the cell)."""
    arrays = [a.data for a in (sand, silt, clay, carbon)]
    if not any(isinstance(a, da.Array) for a in arrays):
        s_, si_, c_, oc_ = (np.asarray(a, dtype=np.float64) for a in arrays)
        return sand.copy(data=_erodibility_block(s_, si_, c_, oc_, correction, 0, 0))
    chunks = next(a.chunks for a in arrays if isinstance(a, da.Array))
    arrays = [a.rechunk(chunks) if isinstance(a, da.Array) else da.from_array(a, chunks=chunks)
              for a in arrays]

    def _block(sand_: np.ndarray, silt_: np.ndarray, clay_: np.ndarray, carbon_: np.ndarray,
               block_info: dict[Any, Any] | None = None) -> np.ndarray:
        assert block_info is not None
        (row0, _), (col0, _) = block_info[0]["array-location"]
        return _erodibility_block(sand_.astype(np.float64), silt_.astype(np.float64),
                                  clay_.astype(np.float64), carbon_.astype(np.float64),
                                  correction, row0, col0)

    data = da.map_blocks(_block, *arrays, dtype=np.float64)
    return sand.copy(data=data)


def _cover_factor(inputs: Mapping[str, Any], table: pd.DataFrame, codes: pd.Series) -> xr.DataArray:
    land_use = inputs["land_use"]
    c_table = reclassify(land_use, dict(zip(codes, table["c_factor"], strict=True)))
    from_cover = (table["c_from_cover"].astype(bool) if "c_from_cover" in table.columns
                  else pd.Series(False, index=table.index))
    if "vegetation_cover" not in inputs:
        return c_table
    if not from_cover.any():
        raise InputError("vegetation_cover is given but no class has c_from_cover = 1; add a "
                         "c_from_cover column (1 for the classes whose C comes from vegetation "
                         "cover)", source="table 'cover_management_table'")
    use_cover = reclassify(land_use, dict(zip(codes, from_cover.astype(float), strict=True)))
    c_cover = xr.apply_ufunc(partial(_in_slabs, kernels.cover_factor_from_vegetation),
                             inputs["vegetation_cover"], dask="parallelized",
                             output_dtypes=[np.float64])
    return xr.where(use_cover == 1, c_cover, c_table)


def run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """R, K and LS rasters, potential/actual loss and conservation, and the zone table.

    Everything stays lazy (flow routing is one task that reads the whole DEM).
    """
    table: pd.DataFrame = inputs["cover_management_table"]
    codes = table["lucode"].astype(int)
    land_use = inputs["land_use"]
    grid = grid_of_array(land_use)
    dx, dy = _metre_cells(grid)

    # R from the months as read (each month its own array: no 12-band block is assembled)
    precipitation = inputs["precipitation"]
    months = [precipitation.isel(band=i, drop=True) for i in range(precipitation.sizes["band"])]
    erosivity = xr.apply_ufunc(partial(_in_slabs, _erosivity_of_months), *months,
                               dask="parallelized", output_dtypes=[np.float64])

    erodibility = _erodibility(inputs["sand"], inputs["silt"], inputs["clay"],
                               _organic_carbon(inputs), str(inputs.get("erodibility_correction",
                                                                        "none")))

    ls = _slope_length_steepness(inputs["dem"], dx, dy,
                                 max_slope_length=float(inputs.get("max_slope_length", 333.0)),
                                 steep_threshold_degrees=float(inputs.get("steep_slope_threshold",
                                                                          10.0)))

    cover = _cover_factor(inputs, table, codes)
    practice = reclassify(land_use, dict(zip(codes, table["p_factor"], strict=True)))
    potential = kernels.soil_loss(erosivity, erodibility, ls)
    actual = kernels.soil_loss(erosivity, erodibility, ls, cover, practice)
    # potential where the actual loss is defined, so the three maps share one mask
    potential = potential.where(actual.notnull())
    conservation = kernels.soil_conservation(potential, actual)

    area_ha = cell_area(grid, land_use) / M2_PER_HA
    sums = {"area_ha": xr.where(conservation.notnull(), 1.0, np.nan) * area_ha,
            "soil_loss_potential_t": potential * area_ha,
            "soil_loss_actual_t": actual * area_ha,
            "soil_conservation_t": conservation * area_ha}
    totals = zonal_table(sums, inputs.get("zones"), grid, zone_field=inputs.get("zone_field"))
    return {
        "rainfall_erosivity": erosivity,
        "soil_erodibility": erodibility,
        "ls_factor": ls,
        "soil_loss_potential": potential,
        "soil_loss_actual": actual,
        "soil_conservation": conservation,
        "soil_conservation_totals": totals.then(_totals),
    }


def _totals(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({"zone": frame["zone"].astype(str), "area_ha": frame["area_ha"]})
    has = frame["valid_cells"] > 0
    for name in ("soil_loss_potential", "soil_loss_actual", "soil_conservation"):
        out[f"{name}_t"] = frame[f"{name}_t"].where(has)
    for name in ("soil_loss_potential", "soil_loss_actual", "soil_conservation"):
        out[f"{name}_mt"] = out[f"{name}_t"] / T_PER_MT
    out["soil_conservation_mean"] = out["soil_conservation_t"] / out["area_ha"].where(has)
    out["cells"] = frame["cells"].astype(np.int64)
    out["valid_cells"] = frame["valid_cells"].astype(np.int64)
    return out


def example() -> dict[str, Any]:
    """4 × 5 cells of 100 m on China Albers: a hillside falling 12 m per cell to the east over
    cropland (1), grassland (2) and built-up land (3), one land-use nodata cell; illustrative
    C and P (not from a source)."""
    from affine import Affine

    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(100.0, 0, 0, 0, -100.0, 5_000_000.0), (4, 5))
    codes = np.array([[2, 2, 1, 1, 1], [2, 2, 1, 1, 3], [2, 2, 2, 1, 3], [2, 2, 2, 255, 3]])
    dem = np.tile(1500.0 - 12.0 * np.arange(5), (4, 1)) - 3.0 * np.arange(4)[:, None]
    months = np.array([5, 6, 12, 25, 35, 40, 45, 38, 25, 15, 8, 6], dtype=float)
    monthly = months[:, None, None] * np.linspace(0.8, 1.2, 20).reshape(4, 5)[None]
    table = pd.DataFrame({"lucode": [1, 2, 3], "c_factor": [0.3, 0.1, 0.0],
                          "p_factor": [0.5, 1.0, 1.0], "c_from_cover": [0, 1, 0]})

    def raster(values: np.ndarray, name: str, units: str | None) -> xr.DataArray:
        return from_array(values, grid, name=name, units=units)

    return {
        "land_use": from_array(codes, grid, name="land_use", units=None, nodata=255),
        "precipitation": raster(monthly, "precipitation", "mm/month"),
        "dem": raster(dem, "dem", "m"),
        "cover_management_table": table,
        "vegetation_cover": raster(np.full((4, 5), 0.4), "vegetation_cover", ""),
        "sand": raster(np.full((4, 5), 35.0), "sand", "percent"),
        "silt": raster(np.full((4, 5), 45.0), "silt", "percent"),
        "clay": raster(np.full((4, 5), 20.0), "clay", "percent"),
        "organic_matter": raster(np.full((4, 5), 2.0), "organic_matter", "percent"),
    }


#: column of the per-unit summaries of a region run; t/ha × m² = 10⁻⁴ t, 1 Mt = 10⁶ t
SUMMARY = (SummaryMeasure("soil_conservation_mt", "output:soil_conservation", "t/ha/yr", "total", 1e-4 / 1e6,
                          "soil conservation (Mt/yr)"),)

MODEL = Model(spec=SPEC, run=run, example=example, summary=SUMMARY)
