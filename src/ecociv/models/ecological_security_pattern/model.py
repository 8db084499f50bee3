"""``ecological_security_pattern`` — sources, resistance, least-cost corridors and circuit-theory
pinch points (生态安全格局: 源地–阻力面–廊道).

The least-cost searches need the whole grid (they are not chunk-local), held as compact arrays:
the resistance (float64), the search state of :mod:`.grid_dijkstra` (12 bytes per cell, one
workspace on grids above ~9,000² cells; the step-cost graph is never built), source ids and
cost allocation (one byte per cell below 255 sources), the cost distance (float32 once
searched) and the current (float32; summed in float64 on the corridor bands' cells only); each
corridor's circuit is built from its band's cells, not a window of the grid; the resistance surface is
made in row bands and the rasters are handed to the writer a chunk at a time. See
``benchmarks/RESULTS.md`` (scaling section) for the measured peak memory by grid size. The
``pairwise`` circuit mode needs more (a sparse factorisation of the whole grid: 2.3 GB and ~35 s
at 1000 × 1000 cells, see :mod:`.kernels`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ecociv.errors import InputError
from ecociv.grid.compact import lazy_map
from ecociv.grid.io import from_array, grid_of_array
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.ecological_security_pattern import kernels_surface as surface
from ecociv.models.ecological_security_pattern.geometry import (
    corridor_length_by_zone,
    corridor_lines,
    rasterize_sources,
    source_polygons,
)
from ecociv.models.ecological_security_pattern.kernels import security_pattern
from ecociv.models.ecological_security_pattern.spec import SPEC
from ecociv.spec import (
    Model,
    SummaryMeasure,
)

FACTORS = ("land_use", "slope", "disturbance", "distance_to_built_up")
GRADED = ("slope", "disturbance", "distance_to_built_up")

#: Default class breaks and resistances of the graded factors (with ``grading=classes`` the last
#: class is open-ended; with ``linear`` the last bound is the point where the ramp ends).
#: Slope breaks: the slope grades of China's Second National Land Survey (TD/T 1014-2007,
#: 第二次全国土地调查技术规程: ≤2°, 2-6°, 6-15°, 15-25°, >25°). All resistances, the
#: distance-to-built-up breaks and the disturbance-index breaks are illustrative: give your own
#: ``factor_grades`` table.
DEFAULT_GRADES = pd.DataFrame({
    "factor": ["slope"] * 5 + ["distance_to_built_up"] * 5 + ["disturbance"] * 5,
    "upper": [2.0, 6.0, 15.0, 25.0, 90.0,
              500.0, 1000.0, 2000.0, 5000.0, 10000.0,
              0.2, 0.4, 0.6, 0.8, 1.0],
    "resistance": [1.0, 10.0, 50.0, 200.0, 500.0,
                   500.0, 200.0, 100.0, 30.0, 1.0,
                   1.0, 10.0, 100.0, 300.0, 1000.0],
})


def _cell_size(grid: GridSpec) -> tuple[float, float]:
    if grid.crs.is_geographic:
        raise InputError(
            f"the run grid is geographic ({grid.crs_label()}); cost distances need a projected grid "
            "in metres: reproject the rasters (e.g. to China Albers equal-area)", source="run grid")
    unit = grid.crs.axis_info[0].unit_conversion_factor if grid.crs.axis_info else 1.0
    dx, dy = grid.resolution
    return dx * unit, dy * unit


def _line(table: pd.DataFrame, position: int) -> int:
    lines = table.attrs.get("lines")
    return int(lines[position]) if lines else position + 2


def _reclassify(codes: np.ndarray, table: pd.DataFrame, column: str) -> np.ndarray:
    keys = table["lucode"].to_numpy(dtype=np.float64)
    values = table[column].to_numpy(dtype=np.float64)
    order = np.argsort(keys)
    keys, values = keys[order], values[order]
    position = np.clip(np.searchsorted(keys, codes), 0, keys.size - 1)
    hit = keys[position] == codes
    return np.where(hit, values[position], np.nan)


def _grades(inputs: Mapping[str, Any], factor: str) -> tuple[np.ndarray, np.ndarray]:
    table = inputs.get("factor_grades")
    rows = None
    if table is not None:
        names = table["factor"].str.strip().str.lower()
        unknown = sorted(set(names) - set(GRADED))
        if unknown:
            raise InputError(f"unknown factor(s) {unknown}; graded factors are {list(GRADED)}",
                             source="table 'factor_grades'")
        if (names == factor).any():
            rows = table[names == factor]
    if rows is None:
        rows = DEFAULT_GRADES[DEFAULT_GRADES["factor"] == factor]
    rows = rows.sort_values("upper")
    return rows["upper"].to_numpy(dtype=np.float64), rows["resistance"].to_numpy(dtype=np.float64)


#: cells per row band of the resistance surface (every step but the distance to built-up land is
#: cell by cell)
BAND_CELLS = 1 << 22


def _band(array: Any, r0: int, r1: int) -> np.ndarray:
    return np.asarray(array.data[r0:r1], dtype=np.float64)


def resistance_surface(inputs: Mapping[str, Any], dx: float, dy: float) -> np.ndarray:
    """The combined resistance (dimensionless; NaN impassable) from the run's inputs.

    Computed in row bands of :data:`BAND_CELLS` cells (each factor is graded cell by cell; only
    the distance to built-up land needs the whole grid, from a one-byte mask), so that no
    float64 copy of a factor is held for the whole grid: the values are those of the whole-grid
    computation, bit for bit."""
    factors_given = [name for name in ("land_use", "slope", "disturbance") if name in inputs]
    if "resistance_surface" in inputs:
        if factors_given:
            raise InputError(f"give either resistance_surface or the factors {factors_given}, not both",
                             source="input 'resistance_surface'")
        return np.asarray(inputs["resistance_surface"].values, dtype=np.float64)
    if "land_use" not in inputs or "resistance_table" not in inputs:
        raise InputError("the resistance surface needs land_use and resistance_table (or give "
                         "resistance_surface)", source="inputs")
    table: pd.DataFrame = inputs["resistance_table"]
    mode = str(inputs.get("grading", "classes"))
    land_use = inputs["land_use"]
    rows, cols = int(land_use.shape[-2]), int(land_use.shape[-1])
    step = max(1, BAND_CELLS // max(1, cols))
    bands = [(r0, min(rows, r0 + step)) for r0 in range(0, rows, step)]
    names = ["land_use"] + [name for name in ("slope", "disturbance") if name in inputs]
    grades = {name: _grades(inputs, name) for name in names[1:]}
    distance = None
    built_marked = "built_up" in table.columns and (table["built_up"].fillna(0).astype(int) == 1).any()
    if built_marked:
        names.append("distance_to_built_up")
        built_codes = table.loc[table["built_up"].fillna(0).astype(int) == 1, "lucode"].to_numpy()
        grades["distance_to_built_up"] = _grades(inputs, "distance_to_built_up")
        built = np.empty((rows, cols), dtype=bool)
        for r0, r1 in bands:
            built[r0:r1] = np.isin(_band(land_use, r0, r1), built_codes)
        distance = surface.distance_to(built, dx, dy)
        del built
    weights = _weights(inputs.get("factor_weights"), dict.fromkeys(names, np.empty(0)))
    values = np.empty((rows, cols), dtype=np.float64)
    for r0, r1 in bands:
        codes = _band(land_use, r0, r1)
        factors: dict[str, np.ndarray] = {"land_use": _reclassify(codes, table, "resistance")}
        for name in ("slope", "disturbance"):
            if name in inputs:
                upper, resistance = grades[name]
                factors[name] = surface.graded(_band(inputs[name], r0, r1), upper, resistance, mode)
        if distance is not None:
            upper, resistance = grades["distance_to_built_up"]
            factors["distance_to_built_up"] = np.where(
                np.isnan(codes), np.nan, surface.graded(distance[r0:r1], upper, resistance, mode))
        values[r0:r1] = surface.weighted_resistance({k: factors[k] for k in weights}, weights)
    del distance
    _check_positive(values, "resistance surface (from land_use, slope, disturbance)")
    return values


def _weights(table: pd.DataFrame | None, factors: Mapping[str, np.ndarray]) -> dict[str, float]:
    if table is None:
        return {name: 1.0 for name in factors}  # equal weights: illustrative default
    label = "table 'factor_weights'"
    weights = {}
    for position, (name, weight) in enumerate(zip(table["factor"], table["weight"], strict=True)):
        key = str(name).strip().lower()
        where = f"line {_line(table, position)}, column 'factor'"
        if key not in FACTORS:
            raise InputError(f"unknown factor {name!r}; factors are {list(FACTORS)}", source=label,
                             where=where)
        if key not in factors:
            need = {"slope": "a slope raster", "disturbance": "a disturbance raster",
                    "distance_to_built_up": "a built_up column in resistance_table marking at least "
                                            "one code"}.get(key, key)
            raise InputError(f"factor {key!r} has a weight but no data (it needs {need})",
                             source=label, where=where)
        if float(weight) > 0:
            weights[key] = float(weight)
    if not weights:
        raise InputError("every weight is 0; give at least one positive weight", source=label)
    return weights


def _check_positive(values: np.ndarray, source: str) -> None:
    cell = surface.first_cell(values <= 0)
    if cell is not None:
        raise InputError(f"resistance {values[cell]:g} is not > 0 (resistance must be positive; "
                         "use nodata for impassable cells)", source=source,
                         where=f"cell (row {cell[0]}, col {cell[1]})")


def _importance_sources(inputs: Mapping[str, Any], grid: GridSpec,
                        passable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if inputs.get("importance_threshold") is None:
        raise InputError("importance needs the parameter importance_threshold (cells at or above "
                         "it can be sources)", source="parameter 'importance_threshold'")
    threshold = float(inputs["importance_threshold"])
    mask = np.empty(passable.shape, dtype=bool)
    step = max(1, BAND_CELLS // max(1, grid.cols))
    for r0 in range(0, grid.rows, step):
        r1 = min(grid.rows, r0 + step)
        mask[r0:r1] = (_band(inputs["importance"], r0, r1) >= threshold) & passable[r0:r1]
    area = grid.cell_area_m2()
    labels, areas = surface.label_patches(mask, area)
    minimum = float(inputs.get("min_source_area", 10.0))
    sources, kept = surface.select_sources(labels, areas, minimum, int(inputs.get("max_sources", 30)))
    if kept.size == 0:
        if areas.size == 0:
            raise InputError(f"no passable cell has importance >= {threshold:g}; lower "
                             "importance_threshold", source="input 'importance'")
        raise InputError(
            f"no source patch reaches the minimum area {minimum:g} km²: the largest of the "
            f"{areas.size} patches with importance >= {threshold:g} covers {areas.max():.4g} km²; "
            "lower min_source_area or importance_threshold", source="input 'importance'")
    return sources, kept


#: grids of more cells (the benchmark's 2000² and up) hand the memory the row-band temporaries
#: freed back to the system (:func:`_release_freed_memory`); smaller ones (the Belt's 0.95 × 10⁶
#: cells) leave those few MB in the heap, where the trim and the C library's lookup
#: (``find_library`` runs ``ldconfig`` in a subprocess: 20-35 ms of wall per call) cost more than
#: they return (0.05 s of the step in the Belt demo's profile)
TRIM_CELLS = 1 << 21


def _release_freed_memory() -> None:
    """Hand memory freed by the row-band temporaries back to the system (glibc's
    ``malloc_trim``): after freeing blocks of a few tens of MB glibc raises its mmap threshold
    and keeps later ones in its heap, about 9 bytes per cell of the grid after the resistance
    surface (measured at 4000²). A no-op where the C library has no ``malloc_trim``."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _same(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


def _allocated(allocation: np.ndarray) -> np.ndarray:
    return np.where(allocation > 0, allocation, np.nan)


def _pinch(pinch: np.ndarray, passable: np.ndarray) -> np.ndarray:
    return np.where(passable, pinch.astype(np.float64), np.nan)


def run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Resistance, cost distance, corridors, current density and pinch points (computed in memory)."""
    template = inputs.get("land_use", inputs.get("resistance_surface"))
    if template is None:
        raise InputError("give land_use (with resistance_table) or resistance_surface", source="inputs")
    grid = grid_of_array(template)
    dx, dy = _cell_size(grid)
    resistance = resistance_surface(inputs, dx, dy)
    trim = resistance.size > TRIM_CELLS
    if trim:
        _release_freed_memory()
    passable = np.isfinite(resistance)
    if "sources" in inputs:
        sources = rasterize_sources(inputs["sources"], grid, passable)
    elif "importance" in inputs:
        sources, _ = _importance_sources(inputs, grid, passable)
    else:
        raise InputError("give ecological sources: an importance raster (with importance_threshold) "
                         "or a sources polygon layer", source="inputs")
    count = int(sources.max())
    if count < 255:  # source ids (and the cost allocation) in one byte per cell
        sources = sources.astype(np.uint8)
    elif count < 65535:
        sources = sources.astype(np.uint16)
    if trim:
        _release_freed_memory()
    if count < 2:
        raise InputError(f"only {count} source found; corridors need at least 2 (lower "
                         "min_source_area or importance_threshold, or give more polygons)",
                         source="sources")
    pattern = security_pattern(
        resistance, sources, dx, dy, corridor_width=float(inputs.get("corridor_width", 50000.0)),
        max_corridor_cost=inputs.get("max_corridor_cost"),
        pinch_percentile=float(inputs.get("pinch_percentile", 90.0)),
        circuit_mode=str(inputs.get("circuit_mode", "corridors")),
        scheme=str(inputs.get("connection_scheme", "average_conductance")),
        paths=str(inputs.get("corridor_paths", "least_cost")))
    lines = corridor_lines(pattern.links, pattern.effective_resistance, grid)
    table = pd.DataFrame(lines.drop(columns="geometry"))
    # the rasters are handed to the writer as views of the arrays computed (float64 values made a
    # chunk at a time), not as float64 copies of the grid
    outputs: dict[str, Any] = {
        "resistance": lazy_map(_same, (resistance,), grid, name="resistance", units=""),
        "cost_distance": lazy_map(_same, (pattern.cost_distance,), grid, name="cost_distance",
                                  units="m"),
        "cost_allocation": lazy_map(_allocated, (pattern.allocation,), grid,
                                    name="cost_allocation", units=None),
        "current_density": lazy_map(_same, (pattern.current,), grid, name="current_density",
                                    units="A"),
        "pinch_points": lazy_map(_pinch, (pattern.pinch, passable), grid, name="pinch_points",
                                 units=None),
        "sources": source_polygons(sources, grid),
        "corridors": lines,
        "corridor_table": table,
    }
    if "zones" in inputs:
        outputs["corridor_length_by_zone"] = corridor_length_by_zone(lines, inputs["zones"],
                                                                     inputs.get("zone_field"))
    return outputs


def example() -> dict[str, Any]:
    """12 × 16 cells of 1 km on China Albers: grassland (1) with two forest patches (2) that are
    important, a built-up block (3) between them and one nodata cell."""
    from affine import Affine

    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(1000.0, 0, 0, 0, -1000.0, 5_000_000.0), (12, 16))
    codes = np.ones((12, 16))
    codes[2:6, 1:5] = 2
    codes[6:10, 11:15] = 2
    codes[4:8, 7:9] = 3
    codes[0, 15] = 255
    importance = np.where(codes == 2, 1.0, 0.2)
    slope = np.tile(np.linspace(0.0, 30.0, 16), (12, 1))
    table = pd.DataFrame({"lucode": [1, 2, 3], "resistance": [50.0, 1.0, 1000.0], "built_up": [0, 0, 1]})
    return {
        "land_use": from_array(codes, grid, name="land_use", units=None, nodata=255),
        "importance": from_array(importance, grid, name="importance", units=""),
        "slope": from_array(slope, grid, name="slope", units="degree"),
        "resistance_table": table,
        "importance_threshold": 0.5,
        "min_source_area": 5.0,
        "corridor_width": 20000.0,
    }


#: column of the per-unit summaries of a region run (zones = the region's units)
SUMMARY = (SummaryMeasure("corridor_length_km", "output:corridor_length_by_zone", "km", "zone_total", 1.0,
                          "length of ecological corridors (km)"),)

MODEL = Model(spec=SPEC, run=run, example=example, summary=SUMMARY)
