"""``land_use_change`` — demand (demand.py), suitability (suitability.py) and the cellular
automaton (allocation.py) chained year by year, with the outputs other models read.

Calibration uses only the maps given: the suitability models are trained on ``land_use`` (and
``land_use_previous``), the Markov chain on those two maps; a map of a later year, kept for
validation (``ecociv land-use validate``), is never an input.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, cast

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import NDArray

from ecociv import reuse
from ecociv.errors import InputError, InputWarning
from ecociv.grid.io import grid_of_array
from ecociv.grid.spec import GridSpec
from ecociv.models.land_use_change import allocation as alloc
from ecociv.models.land_use_change.inputs import (
    balance_codes,
    class_settings,
    conversion_arrays,
    output_years,
    restriction_mask,
    special_codes,
    zone_raster,
)
from ecociv.models.land_use_change.spec import SPEC
from ecociv.spec import Model


@dataclass
class _Run:
    """What the year loop needs and produces."""

    codes: list[int]
    names: dict[int, str]
    grid: GridSpec
    cell_km2: float
    valid: NDArray[np.bool_]
    zones: NDArray[np.int16] | None
    zone_labels: list[str]
    #: cells with data in both maps (the Markov chain and the suitability fit); = valid with one
    calibration: NDArray[np.bool_] | None = None


def cell_area_km2(grid: GridSpec) -> float:
    """Area of one cell (km²) of a projected grid (cells of equal area in an equal-area CRS)."""
    if grid.crs.is_geographic:
        raise InputError("land-use change needs a projected, equal-area grid (cells of one "
                         f"area), got the geographic CRS {grid.crs.to_string()}", source="land_use")
    return abs(grid.transform.a * grid.transform.e) / 1e6


def _codes_map(cls: NDArray[np.int8], codes: list[int]) -> NDArray[np.signedinteger]:
    """The class codes of a class-index map (-1 outside), int16 when the codes fit."""
    dtype = np.int16 if -1 <= min(codes) and max(codes) <= np.iinfo(np.int16).max else np.int32
    lookup = np.asarray([*codes, -1], dtype=dtype)   # index -1 (outside) -> -1
    return cast("NDArray[np.signedinteger]", lookup[cls])


def _read_classes(land_use: xr.DataArray, codes: list[int], name: str,
                  inside: NDArray[np.bool_] | None = None
                  ) -> tuple[NDArray[np.int8], NDArray[np.bool_]]:
    """Class index (int8, -1 outside) and the cells with data of a class raster, read band by
    band of rows (a lazy raster is never held whole, nor as float64); ``inside``: only these
    cells count. InputError naming the first cell of an unknown code."""
    ny, nx = land_use.shape[-2:]
    chunks = getattr(land_use.data, "chunks", None)
    step = int(chunks[0][0]) if chunks else max(1, (1 << 20) // max(nx, 1))
    cls = np.empty((ny, nx), dtype=np.int8)
    valid = np.empty((ny, nx), dtype=bool)
    for r0 in range(0, ny, step):
        r1 = min(ny, r0 + step)
        band = np.asarray(land_use[r0:r1].values)
        ok = np.isfinite(band) if band.dtype.kind == "f" else np.ones(band.shape, bool)
        if inside is not None:
            ok &= inside[r0:r1]
        valid[r0:r1] = ok
        cls[r0:r1] = alloc.class_index(band, codes, ok, source=name, row_offset=r0)
    return cls, valid


def _demand(inputs: Mapping[str, Any], run: _Run, cls: NDArray[np.int8],
            before: NDArray[np.int8] | None, start: int, end: int
            ) -> tuple[pd.DataFrame, dict[str, str], list[str], str]:
    """The Demand (km²) for every year start..end, where cropland reduction takes its cells
    (per zone), lever notes and the demand's source."""
    from ecociv.models.land_use_change import demand as dm

    # the maps as class codes (int16) only while the demand is computed
    current = _codes_map(cls, run.codes)
    previous = None if before is None else _codes_map(before, run.codes)

    zone_names = {i: name for i, name in enumerate(run.zone_labels)}
    zones = None if run.zones is None else np.where(run.zones >= 0, run.zones, -1)
    valid = run.valid if zones is None else run.valid & (zones >= 0)
    initial_areas = dm.areas_from_map(current, run.codes, run.cell_km2, valid=valid, zones=zones,
                                      zone_names=zone_names)
    years = list(range(start, end + 1))
    targets = inputs.get("demand_targets")
    matrix = inputs.get("transition_probabilities")
    if targets is not None:
        demand = dm.demand_from_targets(targets, initial_areas, years, base_year=start,
                                        absorber=special_codes(inputs)[2])
        source = "demand_targets"
    elif matrix is not None:
        demand = _demand_from_table(matrix, run, initial_areas,
                                    float(inputs.get("transition_years") or 1.0), start, end)
        source = "transition_probabilities"
    elif previous is not None:
        both = valid if run.calibration is None else valid & run.calibration
        demand = dm.demand_from_markov(np.where(both, previous, -1), np.where(both, current, -1),
                                       run.codes,
                                       year_initial=int(inputs["previous_year"]),
                                       year_final=start, end_year=end,
                                       cell_area_km2=run.cell_km2, valid=both, zones=zones,
                                       zone_names=zone_names)
        source = "markov"
    else:
        demand = pd.concat([initial_areas.assign(year=y) for y in years], ignore_index=True)
        source = "constant"
    levers = inputs.get("levers") or {}
    notes: list[str] = []
    where: dict[str, str] = {}
    if levers:
        cropland, built_up, unused = special_codes(inputs)
        demand, notes = dm.apply_levers(demand, levers, initial_areas, absorber=unused,
                                        cropland=cropland, built_up=built_up,
                                        balance=balance_codes(inputs, run.codes))
        where = dict(demand.attrs.get("cropland_reduction_where", {}))
    return dm.validate_demand(demand), where, notes, source


def _demand_from_table(table: pd.DataFrame, run: _Run, initial_areas: pd.DataFrame,
                       span: float, start: int, end: int) -> pd.DataFrame:
    """Areas projected by a transition-probability table (rows = from) annualised over
    ``span`` years, per zone."""
    from ecociv.models.land_use_change import demand as dm

    index = {code: i for i, code in enumerate(run.codes)}
    k = len(run.codes)
    matrix = np.zeros((k, k))
    for row, (a, b, p) in enumerate(table[["from_lucode", "to_lucode", "probability"]]
                                    .itertuples(index=False)):
        for code in (a, b):
            if int(code) not in index:
                raise InputError(f"class {int(code)} is not in the class table",
                                 source="transition_probabilities", where=f"row {row + 1}")
        matrix[index[int(a)], index[int(b)]] += float(p)
    listed = {index[int(a)] for a in table["from_lucode"]}
    for i in set(range(k)) - listed:
        matrix[i, i] = 1.0   # a class without rows stays as it is
    annual = dm.annualise(matrix, span)
    rows = []
    for zone, frame in initial_areas.groupby("zone", sort=False):
        areas0 = frame.set_index("lucode").reindex(run.codes)["area_km2"].to_numpy()
        projected = dm.project_areas(areas0, annual.matrix, end - start)
        rows += [(start + t, str(zone), code, float(projected[t, i]))
                 for t in range(end - start + 1) for i, code in enumerate(run.codes)]
    out = pd.DataFrame(rows, columns=["year", "zone", "lucode", "area_km2"])
    out.attrs["annualised"] = {"all": annual}
    return out


def _cells(demand: pd.DataFrame, run: _Run, year: int, zone_cells: NDArray[np.int64]
           ) -> NDArray[np.int64]:
    """Demand of one year as cells (zones × classes) summing to each zone's cells."""
    labels = run.zone_labels if run.zones is not None else ["all"]
    rows = demand[demand["year"] == year]
    table = rows.pivot(index="zone", columns="lucode", values="area_km2")
    table = table.reindex(index=labels, columns=run.codes)
    if table.isna().to_numpy().any():
        zone, code = next((z, c) for z in labels for c in run.codes if np.isnan(table.at[z, c]))
        raise InputError(f"no demand for class {code} in zone {zone!r}, year {year}",
                         source="demand")
    return alloc.cells_from_km2(table.to_numpy(np.float64), zone_cells, run.cell_km2)


def _suitability(inputs: Mapping[str, Any], run: _Run, before: NDArray[np.int8] | None,
                 cls: NDArray[np.int8], seed: int
                 ) -> tuple[NDArray[np.float32], pd.DataFrame]:
    """Suitability of every class (k, ny, nx) and the driver contributions.

    With an earlier map, trained on the cells that changed (PLUS's LEAS); a class that did not
    grow between the maps has no such cells and takes the model of the current pattern."""
    from ecociv.models.land_use_change.drivers import drivers_for
    from ecociv.models.land_use_change.suitability import fit_suitability

    cropland, built_up, _ = special_codes(inputs)
    oasis = [i for i, code in enumerate(run.codes) if code in (cropland, built_up)]
    fit_mask = run.valid if run.calibration is None else run.calibration
    drivers, now = drivers_for(inputs, run.grid, cls, oasis, previous=before)
    # the maps as class codes (int16) only while the models are fitted
    current = _codes_map(cls, run.codes)
    previous = None if before is None else _codes_map(before, run.codes)
    names = drivers.names
    method = str(inputs.get("method") or "logistic")
    samples = int(inputs.get("n_samples") or 20000)
    if previous is not None:
        fit = fit_suitability(drivers, names, np.where(fit_mask, previous, -1), run.codes,
                              final=np.where(fit_mask, current, -1), method=method,
                              n_samples=samples, seed=seed, valid=fit_mask)
        if now is not None:   # the oasis of the start map for the prediction
            drivers.layers[-1] = now
            del now
    else:
        fit = fit_suitability(drivers, names, current, run.codes, method=method,
                              n_samples=samples, seed=seed, valid=run.valid)
    contributions = fit.contributions
    missing = [i for i, model in enumerate(fit.models) if model is None]
    pattern = pattern_drivers = None
    if previous is not None and missing:
        # the current pattern, without the distance to the oasis (it would restate the map);
        # fitted before the suitability array exists, so its temporaries do not add to it
        keep = [i for i, name in enumerate(names) if name != "distance_to_oasis_km"]
        keep = keep or list(range(len(names)))
        pattern_drivers = drivers.select(keep)
        pattern = fit_suitability(pattern_drivers, pattern_drivers.names, current, run.codes,
                                  method=method, n_samples=samples, seed=seed, valid=run.valid)
        codes = [run.codes[i] for i in missing]
        extra = pattern.contributions[pattern.contributions["lucode"].isin(codes)]
        contributions = pd.concat([contributions, extra], ignore_index=True)
    del current, previous
    # one float32 array (k, ny, nx), filled band of rows by band of rows
    release_memory()
    prob = fit.predict(drivers, valid=run.valid)
    if pattern is not None:
        pattern.predict(pattern_drivers, valid=run.valid, out=prob, bands=missing)
    return prob, contributions


def run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Simulate land use from start_year to end_year (annual steps); see the module docstring.

    GDAL's block cache is bounded while the inputs are read (as while outputs are written,
    ``grid.write``): its default, 5 % of RAM, kept about 0.35 GB of decoded input tiles
    resident in a 5000² run (peak 1.97 GB; 1.61 GB with the cache at 64 MiB), and each band of
    rows is read once per pass anyway. An explicit GDAL_CACHEMAX is left alone."""
    from ecociv.grid.write import _bounded_block_cache

    with _bounded_block_cache():
        return _run(inputs)


def _run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    land_use: xr.DataArray = inputs["land_use"]
    grid = grid_of_array(land_use)
    table: pd.DataFrame = inputs["classes"]
    mu = inputs.get("seed_coefficient")
    codes, names, weights, seed_coefficients = class_settings(
        table, 0.5 if mu is None else float(mu))
    start, end = int(inputs["start_year"]), int(inputs["end_year"])
    if end <= start:
        raise InputError(f"end_year {end} must be after start_year {start}", source="end_year")
    years = output_years(inputs.get("output_years"), start, end)
    cls, valid = _read_classes(land_use, codes, "land_use")
    before = both = None   # the earlier map as class indices, and the cells with data in both
    if inputs.get("land_use_previous") is not None:
        if inputs.get("previous_year") is None:
            raise InputError("land_use_previous needs previous_year", source="previous_year")
        if int(inputs["previous_year"]) >= start:
            raise InputError(f"previous_year {inputs['previous_year']} must be before start_year "
                             f"{start}", source="previous_year")
        before, both = _read_classes(inputs["land_use_previous"], codes, "land_use_previous",
                                     inside=valid)
    zones, labels = zone_raster(inputs, grid, valid)
    run_ = _Run(codes, names, grid, cell_area_km2(grid), valid, zones, labels, both)
    demand, where, notes, source = _demand(inputs, run_, cls, before, start, end)
    seed = int(inputs.get("seed") or 0)
    release_memory()
    prob, contributions = reuse.kept(  # the fit reads no lever: reused across lever samples
        "land_use_change.suitability", partial(_suitability, inputs, run_, before, cls, seed))
    del before   # the automaton works on the start map
    release_memory()
    conversion, costs = conversion_arrays(inputs.get("conversion"), codes)
    restricted = restriction_mask(inputs, cls, codes, prob, where, run_)
    result = _simulate(inputs, run_, cls, prob, demand, conversion, costs, restricted, weights,
                       seed_coefficients, start, end, seed, years)
    outputs = _outputs(run_, cls, prob, demand, contributions, result, start, end,
                       special_codes(inputs)[0])
    if inputs.get("report_zones") is not None:
        report, report_labels = zone_raster(inputs, grid, valid, key="report_zones",
                                            field="report_zone_field")
        outputs["cropland_area"] = _cropland_by_report_zone(
            run_, cls, result, report, report_labels, start, end, special_codes(inputs)[0])
    outputs["demand"].attrs["notes"] = [f"demand from {source}", *notes]
    release_memory()
    return outputs


@dataclass
class _Result:
    maps: dict[int, NDArray[np.int8]]
    final: NDArray[np.int8]
    allocated: dict[int, NDArray[np.int64]]
    iterations: dict[int, int]


def _simulate(inputs: Mapping[str, Any], run: _Run, cls: NDArray[np.int8],
              prob: NDArray[np.float32], demand: pd.DataFrame, conversion: NDArray[np.bool_],
              costs: NDArray[np.float64], restricted: NDArray[np.uint32] | None,
              weights: NDArray[np.float64], seed_coefficients: NDArray[np.float64],
              start: int, end: int, seed: int, years: list[int]) -> _Result:
    from ecociv.models.land_use_change import demand as dm

    k = len(run.codes)
    n_zones = len(run.zone_labels) if run.zones is not None else 1
    zone_cells = alloc.zone_areas(cls, run.zones, n_zones, k).sum(axis=1)
    neighbourhood = alloc.Neighbourhood(int(inputs.get("neighbourhood_size") or 3), weights)
    patch = alloc.PatchSettings(
        seed_coefficient=seed_coefficients,
        threshold_decay=float(inputs.get("threshold_decay") or 0.9),
        max_iterations=int(inputs.get("max_iterations") or 40),
        tolerance=float(inputs.get("tolerance") or 0.0))
    rng = np.random.default_rng(seed)
    state: alloc.AllocationState | NDArray[np.float64] = np.ones((n_zones, k))
    labels = run.zone_labels if run.zones is not None else ["all"]
    current = cls
    result = _Result({start: cls} if start in years else {}, cls,
                     {start: alloc.zone_areas(cls, run.zones, n_zones, k)}, {start: 0})
    for year in range(start + 1, end + 1):
        target = _cells(demand, run, year, zone_cells)
        gain, loss = alloc.feasibility(current, prob, target, conversion=conversion,
                                       restricted=restricted, zones=run.zones)
        if gain.any():
            capacity = {(labels[z], run.codes[c]): int(target[z, c] - gain[z, c])
                        for z, c in zip(*np.nonzero(gain), strict=True)}
            rows = demand[demand["year"] == year]
            dm.check_feasible(rows[rows["zone"].isin(labels)], capacity, run.cell_km2)
        if loss.any():
            z, c = (int(x) for x in np.argwhere(loss)[0])
            raise InputError(
                f"class {run.codes[c]} must lose {loss[z, c] * run.cell_km2:.3f} km2 more than its "
                "cells may give (conversion matrix, restricted areas, suitability)",
                source="demand", where=f"class {run.codes[c]}, zone {labels[z]!r}, year {year}")
        current, state = alloc.allocate_step(
            current, prob, target, neighbourhood=neighbourhood, inertia=state,
            conversion=conversion, costs=costs, restricted=restricted, rng=rng, patch=patch,
            zones=run.zones)
        result.allocated[year] = alloc.zone_areas(current, run.zones, n_zones, k)
        result.iterations[year] = state.iterations
        if not state.converged and state.gap is not None:
            z, c = (int(i) for i in np.unravel_index(int(np.argmax(np.abs(state.gap))),
                                                      state.gap.shape))
            warnings.warn(
                f"land_use_change: demand not met in {year} after {state.iterations} iterations "
                f"(largest gap: class {run.codes[c]}, zone {labels[z]!r}, "
                f"{state.gap[z, c] * run.cell_km2:.3f} km2; every gap is in demand.csv); raise "
                "max_iterations or tolerance", InputWarning, stacklevel=2)
        if year in years:
            result.maps[year] = current
    result.final = current
    return result


def _wrap(values: Any, run: _Run, name: str, units: str | None) -> xr.DataArray:
    """A raster on the run's grid around ``values`` (numpy or dask) without a copy
    (``from_array`` converts to float64, and rioxarray's ``write_crs`` copies unless in place)."""
    coords: dict[str, Any] = {"y": run.grid.y_coords(), "x": run.grid.x_coords()}
    dims: tuple[str, ...] = ("y", "x")
    if values.ndim == 3:
        dims = ("band", "y", "x")
        coords["band"] = np.arange(1, values.shape[0] + 1)
    out = xr.DataArray(values, dims=dims, coords=coords, name=name)
    out.attrs = {"units": units or "", "input_id": name}
    out.rio.write_crs(run.grid.crs.to_wkt(), inplace=True)
    out.rio.write_transform(run.grid.transform, inplace=True)
    return out


def _lazy(values: NDArray[Any], chunks: tuple[int, ...], lookup: NDArray[Any] | None = None
          ) -> Any:
    """A dask array reading ``values`` (or ``lookup[values]``) chunk by chunk when computed.

    ``dask.array.from_array`` copies a numpy array whole (dask 2026.8: +175 MB for a
    7 × 2500² float32 array); this view holds a reference and slices it in each task."""
    import dask.array as da

    def piece(block_info: dict[Any, Any] | None = None) -> NDArray[Any]:
        assert block_info is not None
        where = tuple(slice(*bounds) for bounds in block_info[None]["array-location"])
        return values[where] if lookup is None else lookup[values[where]]

    dtype = values.dtype if lookup is None else lookup.dtype
    edges = tuple(tuple(min(size, n - start) for start in range(0, n, size))
                  for n, size in zip(values.shape, chunks, strict=True))
    return da.map_blocks(piece, chunks=edges, dtype=dtype,
                         meta=np.empty((0,) * values.ndim, dtype=dtype))


def _raster(run: _Run, cls: NDArray[np.int8], name: str) -> xr.DataArray:
    """A class map as codes (float32, NaN outside the region) with its classes attached: lazy,
    computed chunk by chunk from the int8 map when written (no full-size float copy)."""
    from ecociv.grid.write import palette_classes

    codes = np.append(np.asarray(run.codes, np.float32), np.float32(np.nan))  # index -1: NaN
    lazy = _lazy(cls, run.grid.default_chunks(), codes)
    return _wrap(lazy, run, name, None).assign_attrs(categories=palette_classes(run.names))


def release_memory() -> None:
    """Give freed heap memory back to the system (glibc's ``malloc_trim``; nothing elsewhere).

    Arrays below glibc's mmap threshold (up to 32 MB once large arrays were freed: the chunks
    of a raster read) are carved from per-thread heaps that keep their pages after ``free``;
    between the phases of a run this kept about 0.5 GB of a 5000² run resident."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):   # not glibc (musl): nothing to do
        return


def _transition_table(run: _Run, first: NDArray[np.int8], last: NDArray[np.int8],
                      years: int) -> pd.DataFrame:
    """Area of each conversion start -> end and the annualised matrix (rows = from)."""
    from ecociv.models.land_use_change import ca_loops
    from ecociv.models.land_use_change import demand as dm

    k = len(run.codes)
    counts = ca_loops.pair_counts(first, last, k)
    totals = counts.sum(axis=1, keepdims=True)
    matrix = np.where(totals > 0, counts / np.maximum(totals, 1), np.eye(k))
    annual = dm.annualise(matrix, years)
    table = pd.DataFrame([
        (a, b, float(counts[i, j]) * run.cell_km2, float(annual.matrix[i, j]))
        for i, a in enumerate(run.codes) for j, b in enumerate(run.codes)],
        columns=["from_lucode", "to_lucode", "area_km2", "probability_annual"])
    table.attrs["notes"] = [annual.note]
    return table


def _outputs(run: _Run, initial: NDArray[np.int8], prob: NDArray[np.float32],
             demand: pd.DataFrame, contributions: pd.DataFrame, result: _Result, start: int,
             end: int, cropland: int) -> dict[str, Any]:
    labels = run.zone_labels if run.zones is not None else ["all"]
    outputs: dict[str, Any] = {"land_use_final": _raster(run, result.final, "land_use_final")}
    for year, cls in result.maps.items():
        outputs[f"land_use_{year}"] = _raster(run, cls, f"land_use_{year}")
    outside = ~run.valid
    for band in prob:                # in place: the automaton is done with it
        np.copyto(band, np.float32(np.nan), where=outside)
    del outside
    outputs["suitability"] = _wrap(_lazy(prob, (1, *run.grid.default_chunks())), run,
                                   "suitability", "")
    rows = []
    for year, cells in result.allocated.items():
        per_zone = [(label, cells[z]) for z, label in enumerate(labels)]
        if run.zones is not None:
            per_zone.append(("all", cells.sum(axis=0)))
        rows += [(year, label, code, run.names[code], float(n) * run.cell_km2)
                 for label, counts in per_zone for code, n in zip(run.codes, counts, strict=True)]
    areas = pd.DataFrame(rows, columns=["year", "zone", "lucode", "name", "area_km2"])
    outputs["area_by_class"] = areas
    allocated = areas.drop(columns="name").rename(columns={"area_km2": "allocated_km2"})
    table = demand.merge(allocated, on=["year", "zone", "lucode"], how="left")
    table["gap_km2"] = table["area_km2"] - table["allocated_km2"]
    table["iterations"] = table["year"].map(result.iterations).fillna(0).astype(np.int64)
    outputs["demand"] = table
    outputs["transitions"] = _transition_table(run, initial, result.final, end - start)
    outputs["driver_contributions"] = contributions[["lucode", "driver", "contribution",
                                                     "method"]].reset_index(drop=True)
    crop = areas[areas["lucode"] == cropland][["year", "zone", "area_km2"]]
    crop = crop.rename(columns={"area_km2": "cropland_km2"}).reset_index(drop=True)
    base = crop[crop["year"] == start].set_index("zone")["cropland_km2"]
    crop["change_ha"] = (crop["cropland_km2"] - crop["zone"].map(base)) * 100.0
    outputs["cropland_area"] = crop
    return outputs


def _cropland_by_report_zone(run: _Run, initial: NDArray[np.int8], result: _Result,
                             zones: NDArray[np.int16] | None, labels: list[str], start: int,
                             end: int, cropland: int) -> pd.DataFrame:
    """``cropland_area`` over report zones (and 'all'): cropland cells × cell area of the start
    map, each map year's and the end year's map; ``change_ha`` from the start year."""
    frame = pd.DataFrame(columns=["year", "zone", "cropland_km2", "change_ha"])
    if zones is None or cropland not in run.codes:
        return frame
    crop = run.codes.index(cropland)
    maps = {start: initial, **{y: m for y, m in result.maps.items() if y < end}, end: result.final}
    inside = zones >= 0
    rows = []
    for year, cls in sorted(maps.items()):
        counts = np.bincount(zones[inside & (cls == crop)].astype(np.int64), minlength=len(labels))
        rows += [(year, label, float(n) * run.cell_km2) for label, n in zip(labels, counts,
                                                                              strict=True)]
        rows.append((year, "all", float(np.count_nonzero((cls == crop) & run.valid)) * run.cell_km2))
    frame = pd.DataFrame(rows, columns=["year", "zone", "cropland_km2"])
    base = frame[frame["year"] == start].set_index("zone")["cropland_km2"]
    frame["change_ha"] = (frame["cropland_km2"] - frame["zone"].map(base)) * 100.0
    return frame


def example() -> dict[str, Any]:
    """A 30 × 30 map of 1 km cells on China Albers: cropland (1) spreading from an oasis into
    grassland (3) and desert (6) between 2015 and 2020, simulated to 2025; elevation and the
    distance to the oasis as drivers."""
    from affine import Affine

    from ecociv.grid.io import from_array
    from ecociv.grid.spec import CHINA_ALBERS

    n = 30
    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(1000.0, 0, 0, 0, -1000.0, 5_000_000.0), (n, n))
    rows, cols = np.mgrid[0:n, 0:n]
    dem = 400.0 + 40.0 * rows + 5.0 * cols                     # m, rising to the south
    radius = np.hypot(rows - 5, cols - 15)
    previous = np.where(radius < 6, 1, np.where(rows < 15, 3, 6))
    current = np.where(radius < 8, 1, np.where(rows < 15, 3, 6))
    previous[0, 0] = current[0, 0] = 255                         # nodata
    return {
        "land_use": from_array(current, grid, name="land_use", units=None, nodata=255),
        "land_use_previous": from_array(previous, grid, name="land_use_previous", units=None,
                                        nodata=255),
        "classes": pd.DataFrame({"lucode": [1, 3, 6],
                                 "name": ["cropland", "grassland", "unused (desert)"]}),
        "dem": from_array(dem, grid, name="dem", units="m"),
        "start_year": 2020,
        "end_year": 2025,
        "previous_year": 2015,
        "n_samples": 400,
    }


def check(given: Mapping[str, Any]) -> None:
    """Before a scenario runs: ``output_years`` within start_year..end_year (one error naming
    the year and the range)."""
    start, end = given.get("start_year"), given.get("end_year")
    if start is not None and end is not None and given.get("output_years") is not None:
        output_years(given["output_years"], int(start), int(end))


MODEL = Model(spec=SPEC, run=run, example=example, check=check)
