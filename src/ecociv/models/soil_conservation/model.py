"""``soil_conservation`` — soil conservation service by RUSLE (potential minus actual soil loss).

R from monthly precipitation, K from texture and organic carbon (EPIC), LS from the DEM (D8,
Desmet & Govers), C from a per-class table or from vegetation cover (Cai et al. 2000), P from
the table; the formulas and their sources are in ``kernels.py``.

Flow routing for LS is not local to a chunk: one task of the chunked pass takes the whole DEM
and computes upslope areas (``kernels.upslope_area``: compiled loops, D8 receivers in two
threads; the DEM, int32 receivers and one float64 grid, ~0.25 GB for 4000 × 4000 cells), while
the other threads compute R, K, C and P (one compiled pass per chunk, ``chunk_loops.py``, around
NumPy's vectorised exponentials); the gradient, LS and the losses follow chunk by chunk
(benchmarks/bench_services.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import dask
import dask.array as da
import numpy as np
import pandas as pd
import xarray as xr

from ecociv.errors import InputError
from ecociv.grid.io import from_array, grid_of_array
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models._cell_totals import area_totals
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


def _like(template: xr.DataArray, values: Any, units: str) -> xr.DataArray:
    """``values`` (an array of the template's shape) as a raster with the coordinates (and
    chunks, if dask) of ``template``."""
    out = template.copy(data=values)
    out.attrs = {"units": units}
    if isinstance(template.data, da.Array) and not isinstance(values, da.Array):
        out = out.chunk(dict(template.chunksizes))
    return out


def _slope_length_steepness(dem: xr.DataArray, dx: float, dy: float, *, max_slope_length: float,
                            steep_threshold_degrees: float) -> xr.DataArray:
    """LS of the DEM. On a dask-backed DEM, lazily: one task routes flow over the whole DEM
    (:func:`kernels.upslope_area`, which needs it in memory), and LS follows chunk by chunk
    with the gradient of each chunk from the chunk and one cell around it (:func:`_ls_block`),
    so the gradient is computed on every thread and never held for the whole grid, and the
    chunks of R and K (and their outputs) are computed on the other threads meanwhile."""
    options = {"max_slope_length": max_slope_length,
               "steep_threshold_degrees": steep_threshold_degrees}
    if not isinstance(dem.data, da.Array):
        return _like(dem, kernels.ls_factor(np.asarray(dem.values, dtype=np.float64), dx, dy,
                                            **options), "")
    data = dem.data
    if data.dtype not in (np.float32, np.float64):
        data = data.astype(np.float64)
    chunks = data.chunks
    upslope = da.from_delayed(dask.delayed(kernels.upslope_area, pure=True)(data, dx, dy),
                              shape=dem.shape, dtype=np.float64).rechunk(chunks)
    # the DEM with one more cell on every side (NaN beyond the grid, which the gradient
    # treats as it treats the grid's edge), the upslope area as it is
    values = da.map_overlap(_ls_block, data, upslope, depth=[1, 0], boundary=[np.nan, "none"],
                            trim=False, dtype=np.float64, chunks=chunks, dx=float(dx),
                            dy=float(dy), **options)
    out = dem.copy(data=values)
    out.attrs = {"units": ""}
    return out


def _ls_block(dem: np.ndarray, upslope: np.ndarray, *, dx: float, dy: float,
              max_slope_length: float, steep_threshold_degrees: float) -> np.ndarray:
    """LS of a chunk from the chunk of the DEM with one cell more on every side (NaN beyond
    the grid) and the chunk's upslope area: Horn's gradient of the chunk is that of the whole
    grid (its windows reach one cell), so the values are those of :func:`kernels.ls_factor`."""
    dzdx, dzdy = kernels.horn_gradient(dem, dx, dy)
    inner = (slice(1, -1), slice(1, -1))
    return _in_slabs(kernels.ls_from_terrain, upslope, dzdx[inner], dzdy[inner],
                     float(np.sqrt(dx * dy)), max_slope_length=max_slope_length,
                     steep_threshold_degrees=steep_threshold_degrees)


def _organic(inputs: Mapping[str, Any]) -> tuple[xr.DataArray, float]:
    """The organic input and the divisor that turns it into organic carbon (%): organic carbon
    itself (1), or organic matter (1.724, :data:`kernels.ORGANIC_MATTER_PER_CARBON`)."""
    given = [name for name in ("organic_carbon", "organic_matter") if name in inputs]
    if len(given) != 1:
        raise InputError("give exactly one of 'organic_carbon' and 'organic_matter' (both in %)"
                         + (f"; got {given}" if given else "; got neither"),
                         source="soil_conservation inputs")
    if given[0] == "organic_carbon":
        return inputs["organic_carbon"], 1.0
    return inputs["organic_matter"], kernels.ORGANIC_MATTER_PER_CARBON


@dataclass(frozen=True)
class _Classes:
    """C and P per land-use code (codes sorted), which classes take C from vegetation cover,
    and whether vegetation cover is given."""

    keys: np.ndarray
    c_values: np.ndarray
    p_values: np.ndarray
    from_cover: np.ndarray
    use_cover: bool


def _classes(inputs: Mapping[str, Any], table: pd.DataFrame) -> _Classes:
    codes = table["lucode"].astype(int).to_numpy()
    from_cover = (table["c_from_cover"].astype(bool).to_numpy() if "c_from_cover" in table.columns
                  else np.zeros(len(table), dtype=bool))
    use_cover = "vegetation_cover" in inputs
    if use_cover and not from_cover.any():
        raise InputError("vegetation_cover is given but no class has c_from_cover = 1; add a "
                         "c_from_cover column (1 for the classes whose C comes from vegetation "
                         "cover)", source="table 'cover_management_table'")
    order = np.argsort(codes, kind="stable")
    return _Classes(keys=codes[order].astype(np.float64),
                    c_values=table["c_factor"].to_numpy(dtype=np.float64)[order],
                    p_values=table["p_factor"].to_numpy(dtype=np.float64)[order],
                    from_cover=from_cover[order], use_cover=use_cover)


def _flat(block: np.ndarray) -> np.ndarray:
    """A block's cells as a 1-D C-contiguous array (a view when it is one), float32 or float64."""
    array = np.asarray(block)
    if array.dtype not in (np.float32, np.float64):
        array = array.astype(np.float64)
    return np.ascontiguousarray(array).reshape(-1)


def _texture_error(sand: np.ndarray, silt: np.ndarray, clay: np.ndarray, index: int,
                   row0: int, col0: int) -> InputError:
    row, col = np.unravel_index(index, sand.shape)
    values = [float(a[row, col]) for a in (sand, silt, clay)]
    return InputError(
        f"sand + silt + clay = {sum(values):g} % (sand {values[0]:g}, silt {values[1]:g}, "
        f"clay {values[2]:g}); expected at most 100 % (+{TEXTURE_SUM_TOLERANCE:g} for "
        "rounding)", source="inputs 'sand', 'silt', 'clay'",
        where=f"cell (row {row0 + row}, col {col0 + col})")


def _erodibility_cells(sand: np.ndarray, silt: np.ndarray, clay: np.ndarray,
                       organic: np.ndarray, organic_per_carbon: float, correction: str,
                       row0: int, col0: int, out: np.ndarray | None = None) -> np.ndarray:
    """K (:func:`kernels.soil_erodibility`) of a block, with the texture check (the error
    names the cell in grid coordinates): compiled loops around NumPy's exponentials, slab by
    slab of :data:`SLAB_CELLS` cells (the five temporaries stay in the CPU caches and are
    allocated once). ``out``: a float64 array of the block's cells to write K into (1-D)."""
    from ecociv.models.soil_conservation import chunk_loops

    if correction not in ("none", "zhang_2008"):
        raise ValueError(f"unknown erodibility correction {correction!r}")
    flat = [_flat(a) for a in (sand, silt, clay, organic)]
    size = flat[0].size
    result = np.empty(size) if out is None else out
    step = max(1, min(size, SLAB_CELLS))
    scratch = [np.empty(step) for _ in range(5)]
    for start in range(0, size, step):
        stop = min(size, start + step)
        sand_term, silt_ratio, carbon_term, hisand_term, carbon = (
            part[:stop - start] for part in scratch)
        cells = [values[start:stop] for values in flat]
        first = chunk_loops.erodibility_arguments(cells[0], cells[1], cells[2], cells[3],
                                                  float(organic_per_carbon),
                                                  100.0 + TEXTURE_SUM_TOLERANCE, sand_term,
                                                  silt_ratio, carbon_term, hisand_term, carbon)
        if first >= 0:
            raise _texture_error(np.asarray(sand), np.asarray(silt), np.asarray(clay),
                                 start + first, row0, col0)
        np.exp(sand_term, out=sand_term)
        kernels.positive_power(silt_ratio, 0.3, silt_ratio)
        np.exp(carbon_term, out=carbon_term)
        np.exp(hisand_term, out=hisand_term)
        chunk_loops.erodibility(cells[0], cells[1], cells[2], carbon, sand_term, silt_ratio,
                                carbon_term, hisand_term, correction == "zhang_2008",
                                kernels.K_US_TO_SI, result[start:stop])
    return result.reshape(np.shape(sand))


def _factor_block(land_use: np.ndarray, sand: np.ndarray, silt: np.ndarray, clay: np.ndarray,
                  organic: np.ndarray, *rest: np.ndarray, organic_per_carbon: float,
                  correction: str, classes: _Classes,
                  block_info: dict[Any, Any] | None = None) -> np.ndarray:
    """R, K, C and P of a chunk, stacked (4, rows, cols) float64. ``rest``: vegetation cover
    (when ``classes.use_cover``), then the months of precipitation."""
    from ecociv.models.soil_conservation import chunk_loops

    (row0, _), (col0, _) = (block_info[0]["array-location"] if block_info else ((0, 0), (0, 0)))
    shape = np.shape(land_use)
    stack = np.empty((4, *shape))
    r_out, k_out, c_out, p_out = (stack[i].reshape(-1) for i in range(4))
    cover = rest[0] if classes.use_cover else None
    months = rest[1:] if classes.use_cover else rest
    # R: annual sum and sum of cubes in month order (kernels.rainfall_erosivity), in one pass
    # over the months (bands of one raster: one type, which the compiled loop's tuple needs)
    coefficient = (kernels.R_US_TO_SI * kernels.FOURNIER_COEFFICIENT
                   * 10.0**kernels.FOURNIER_OFFSET)
    flat_months = [_flat(month) for month in months]
    common = np.result_type(*flat_months)
    chunk_loops.erosivity_of_months(tuple(m.astype(common, copy=False) for m in flat_months),
                                    coefficient, r_out)
    _erodibility_cells(sand, silt, clay, organic, organic_per_carbon, correction, row0, col0,
                       out=k_out)
    # C and P by class, C of the cover classes by Cai et al. (2000)
    if cover is not None:
        percent = _flat(cover).astype(np.float64) * 100.0
        with np.errstate(divide="ignore", invalid="ignore"):
            log10_percent = np.log10(percent)
    else:
        percent = log10_percent = np.empty(0)
    chunk_loops.cover_practice(_flat(land_use), classes.keys, classes.c_values,
                               classes.p_values, classes.from_cover, cover is not None,
                               log10_percent, percent, kernels.CAI_FULL_COVER_PERCENT,
                               c_out, p_out)
    return stack


def _loss_block(factors: np.ndarray, ls: np.ndarray) -> np.ndarray:
    """Potential loss, actual loss and conservation of a chunk, stacked (3, rows, cols)."""
    from ecociv.models.soil_conservation import chunk_loops

    shape = np.shape(ls)
    stack = np.empty((3, *shape))
    r_k_c_p = [np.ascontiguousarray(factors[i]).reshape(-1) for i in range(4)]
    chunk_loops.soil_losses(r_k_c_p[0], r_k_c_p[1], _flat(ls), r_k_c_p[2], r_k_c_p[3],
                            *(stack[i].reshape(-1) for i in range(3)))
    return stack


def _as_dask(values: list[Any], chunks: Any) -> list[da.Array]:
    return [v if isinstance(v, da.Array) else da.from_array(np.asarray(v), chunks=chunks)
            for v in values]


def _erodibility(sand: xr.DataArray, silt: xr.DataArray, clay: xr.DataArray,
                 carbon: xr.DataArray, correction: str) -> xr.DataArray:
    """K from organic carbon, checking texture sums chunk by chunk (the error names the cell)."""
    arrays = [a.data for a in (sand, silt, clay, carbon)]
    chunks = next((a.chunks for a in arrays if isinstance(a, da.Array)),
                  tuple((n,) for n in np.shape(arrays[0])))
    arrays = [a.rechunk(chunks) for a in _as_dask(arrays, chunks)]

    def _block(sand_: np.ndarray, silt_: np.ndarray, clay_: np.ndarray, carbon_: np.ndarray,
               block_info: dict[Any, Any] | None = None) -> np.ndarray:
        assert block_info is not None
        (row0, _), (col0, _) = block_info[0]["array-location"]
        return _erodibility_cells(sand_, silt_, clay_, carbon_, 1.0, correction, row0, col0)

    return sand.copy(data=da.map_blocks(_block, *arrays, dtype=np.float64))


def run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """R, K and LS rasters, potential/actual loss and conservation, and the zone table.

    Everything stays lazy. Flow routing is one task that reads the whole DEM; R, K, C and P
    are one compiled pass per chunk (:func:`_factor_block`) computed meanwhile, and the losses
    another (:func:`_loss_block`) once LS is there.
    """
    table: pd.DataFrame = inputs["cover_management_table"]
    land_use = inputs["land_use"]
    grid = grid_of_array(land_use)
    dx, dy = _metre_cells(grid)
    organic, organic_per_carbon = _organic(inputs)
    correction = str(inputs.get("erodibility_correction", "none"))
    classes = _classes(inputs, table)

    precipitation = inputs["precipitation"]
    months = [precipitation.isel(band=i, drop=True) for i in range(precipitation.sizes["band"])]
    rasters = [land_use, inputs["sand"], inputs["silt"], inputs["clay"], organic,
               *([inputs["vegetation_cover"]] if classes.use_cover else []), *months]
    arrays = [r.data for r in rasters]
    chunks = next((a.chunks for a in arrays if isinstance(a, da.Array)),
                  tuple((n,) for n in grid.shape))
    arrays = [a.rechunk(chunks) for a in _as_dask(arrays, chunks)]
    factors = da.map_blocks(_factor_block, *arrays, new_axis=0,
                            chunks=((4,), *chunks), dtype=np.float64,
                            meta=np.empty((0, 0, 0)),
                            organic_per_carbon=organic_per_carbon, correction=correction,
                            classes=classes)
    erosivity = _like(land_use, factors[0], "")
    erodibility = _like(land_use, factors[1], "")

    ls = _slope_length_steepness(inputs["dem"], dx, dy,
                                 max_slope_length=float(inputs.get("max_slope_length", 333.0)),
                                 steep_threshold_degrees=float(inputs.get("steep_slope_threshold",
                                                                          10.0)))
    ls_data = _as_dask([ls.data], chunks)[0].rechunk(chunks)
    losses = da.map_blocks(_loss_block, factors, ls_data, chunks=((3,), *chunks),
                           dtype=np.float64, meta=np.empty((0, 0, 0)))
    potential, actual, conservation = (_like(land_use, losses[i], "t/(ha*yr)")
                                       for i in range(3))

    # t/ha × ha per zone, one compiled pass per chunk over the losses and the cell areas
    # (the sums ``zonal_table`` gives of ``loss * cell_area(grid) / M2_PER_HA``)
    totals = area_totals([potential, actual, conservation],
                         [("area_ha", 2, True), ("soil_loss_potential_t", 0, False),
                          ("soil_loss_actual_t", 1, False), ("soil_conservation_t", 2, False)],
                         inputs.get("zones"), grid, _hectares,
                         zone_field=inputs.get("zone_field"))
    factors = ({"rainfall_erosivity": erosivity, "soil_erodibility": erodibility,
                "ls_factor": ls} if bool(inputs.get("factor_outputs", True)) else {})
    return {
        **factors,
        "soil_loss_potential": potential,
        "soil_loss_actual": actual,
        "soil_conservation": conservation,
        "soil_conservation_totals": totals.then(_totals),
    }


def _hectares(area_m2: np.ndarray) -> np.ndarray:
    return area_m2 / M2_PER_HA


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
