"""``habitat_quality`` — habitat degradation and quality with InVEST Habitat Quality semantics.

The tables are InVEST's (``src/natcap/invest/habitat_quality/habitat_quality.py``, 3.20.2), so an
InVEST threat table and sensitivity table work unchanged: threat table columns ``threat``,
``max_dist`` (metres, as InVEST since 3.15; before 3.15 it was km), ``weight`` (0–1),
``decay`` (``linear``/``exponential``), and InVEST's ``cur_path``/``fut_path``/``base_path``,
which are accepted and ignored; sensitivity table columns ``lucode``, ``name``, ``habitat`` (0–1)
and one 0–1 column per threat, named as in ``threat``. Names and decay values are compared
case-insensitively, headers too, as InVEST does.

Threat rasters. A model never opens files, and a spec's inputs are fixed, so the threat rasters
come as **one multi-band raster** ``threats`` whose bands follow the rows of the threat table
(``bands_from="threat_table.threat"``): band *i* is the threat of row *i*. An InVEST user stacks
the ``cur_path`` rasters without copying them, e.g. ``gdalbuildvrt -separate threats.vrt
crops.tif roads.tif urban.tif`` in table order. The framework reads the threat table first and
refuses a file whose band count differs from the table's number of rows ("expected 3 bands ...,
found 2", naming the file); in memory, ``threats`` is ``("band", "y", "x")`` with one band per row
(a ``("y", "x")`` raster is taken for a one-threat table), checked by the model with an error
naming the first threat without a band. (Alternatives rejected: fixed inputs ``threat_1`` …
``threat_8`` cap the number of threats and hide the names; a path column would make the model
read files.) Bands are matched to threats by position only: a file's band descriptions are not
compared with the threat names.

Per-threat degradation. InVEST (>= 3.15) writes one raster per threat,
``intermediate/degradation_[THREAT]_c.tif`` (``_calculate_individual_degradation``); here they are
the bands of one output, ``degradation_by_threat`` (a multi-band COG, band *i* = row *i* of the
threat table, each band described as "habitat degradation by threat: <threat>"). Its bands sum to
``degradation`` (eq. hq.3). The table ``threat_summary`` gives each threat's mean degradation and
share of the total per zone.

Threat reach. ``threat_aggregation = "nearest"`` (default) is InVEST's code since 3.13: the
impact of a threat on a cell decays with the distance to the *nearest* threat cell (any cell
with a value other than 0 or nodata), so intensities below 1 count as presence.
``"sum"`` is the user's guide's eq. hq.3 as printed: the intensity-weighted sum over *every*
threat cell within the maximum distance (FFT convolution with the unnormalised decay kernel).
With it degradation can exceed 1, so recalibrate ``half_saturation_constant`` (about half the
largest degradation, as the user's guide advises). InVEST 3.3–3.12 convolved with a
*normalised* kernel; that variant is not offered (InVEST dropped it, see its ADR-0003).

Other differences from InVEST, on purpose:

* distances are measured in metres between cell centres along both axes; InVEST resamples
  rectangular cells to squares of the smaller side first (identical for square cells);
* ``max_dist`` must be at least the cell size. InVEST documents this but does not check it; a
  pre-3.15 table in km (e.g. 0.5 on a 30 m grid) would otherwise run as a threat that reaches
  only its own cell;
* protection is either InVEST's access polygons (``access_polygons`` with an ``access``
  field; cells whose centre is in no polygon get 1; a later polygon overrides an earlier one)
  or an ``access`` raster (0–1, nodata = 1);
* the run grid is the land-use raster's; threat rasters are aligned to it by nearest neighbour
  when alignment is allowed, as InVEST aligns them;
* summaries per zone and per land-use class (not in InVEST) use true cell areas;
* rarity and the future/baseline scenarios are not computed: run the model once per scenario.

Nodata in a threat raster means no threat there, and nothing lies beyond the grid's edge (as in
InVEST: results within ``max_dist`` of the edge miss threats outside the study area).

Computation. Each threat's reach is computed on the whole grid: a chunked (dask) raster goes
through ``map_overlap`` with an overlap of ``floor(max_dist / cell size)`` cells, which is exact
because nothing beyond the maximum distance has an impact; blocks are widened to at least four
times the overlap (at most 32 Mi cells), so the overlap costs at most half again. Memory grows
with the reach: a block is about (6 × reach + chunk) rows × (chunk or 6 × reach) columns, some
30 bytes a cell while its distance transform runs (e.g. 8 km at 30 m on a 4000-column grid:
1600 × 4000 cells, ~0.2 GB a thread); a reach approaching the grid's size makes the block the
whole grid.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import dask.array as da
import numpy as np
import pandas as pd
import xarray as xr

from ecociv.errors import InputError
from ecociv.grid.io import from_array, grid_of_array
from ecociv.grid.ops import LazyTable, rasterize_zones
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.habitat_quality import kernels
from ecociv.spec import (
    Column,
    Model,
    ModelSpec,
    ParamInput,
    RasterInput,
    RasterOutput,
    SummaryMeasure,
    TableInput,
    TableOutput,
    VectorInput,
)
from ecociv.spec_blocks import land_use_input, lucode_column, lucode_table, zone_columns, zone_inputs, zone_names

M2_PER_HA = 1e4
#: Cells per block of a threat's reach computation, at most (the overlap widens blocks).
MAX_BLOCK_CELLS = 1 << 25
AGGREGATIONS = ("nearest", "sum")

_PATH_COLUMNS = tuple(
    Column(id=name, about=f"InVEST's {scenario} threat raster path; accepted and not read "
           "(the rasters are the bands of input 'threats', in table order)",
           units=None, dtype="str", required=False)
    for name, scenario in (("cur_path", "current"), ("fut_path", "future"), ("base_path", "baseline"))
)

SPEC = ModelSpec(
    id="habitat_quality",
    title="Habitat quality (InVEST)",
    title_zh="生境质量",
    version="1.0.0",
    citation=(
        "Sharp, R. et al. (2020). InVEST User's Guide, Habitat Quality (eqs. hq.1-hq.4). The "
        "Natural Capital Project. Semantics of InVEST 3.20.2 (natcap/invest, "
        "src/natcap/invest/habitat_quality/habitat_quality.py)."
    ),
    about=(
        "Habitat degradation from threats (each with a maximum distance, weight and linear or "
        "exponential decay), weighted by the sensitivity of each land-use class and reduced by "
        "protection, and habitat quality by the half-saturation function, as InVEST's Habitat "
        "Quality model, with InVEST's threat and sensitivity tables; summaries per zone, per "
        "threat and per land-use class."
    ),
    inputs=(
        land_use_input(codes_in="sensitivity_table.lucode", about="Land-use/land-cover codes "
                       "(the run's grid; InVEST's lulc_cur_path)"),
        RasterInput(id="threats", about="Threat rasters, one band per row of the threat table "
                    "in the same order (e.g. `gdalbuildvrt -separate` of InVEST's cur_path "
                    "rasters); values 0-1, 0 or nodata = no threat", units="", ge=0, le=1,
                    resampling="nearest", bands_from="threat_table.threat"),
        TableInput(id="threat_table", about="Threats and their reach (InVEST threats table)",
                   index="threat", columns=(
                       Column(id="threat", about="threat name; one column of that name in the "
                              "sensitivity table (case-insensitive)", units=None, dtype="str"),
                       Column(id="max_dist", about="maximum distance of the threat's impact "
                              "(> 0, at least the cell size; InVEST >= 3.15 units)", units="m",
                              ge=0),
                       Column(id="weight", about="relative impact of the threat (normalised by "
                              "the sum of weights)", units="", ge=0, le=1),
                       Column(id="decay", about="decay over distance: linear or exponential",
                              units=None, dtype="str"),
                       *_PATH_COLUMNS,
                   )),
        lucode_table("sensitivity_table", "Habitat suitability and sensitivity to each threat "
                     "per land-use code (InVEST sensitivity table; plus one 0-1 column per threat)",
                     Column(id="name", about="land-use class name", units=None, dtype="str",
                            required=False),
                     Column(id="habitat", about="habitat suitability H (0 = not habitat)",
                            units="", ge=0, le=1)),
        RasterInput(id="access", about="Accessibility to threats (0 = fully protected, 1 = "
                    "open; nodata = 1)", units="", ge=0, le=1, resampling="nearest",
                    required=False),
        VectorInput(id="access_polygons", about="InVEST's access vector: polygons with an "
                    "'access' field 0-1; cells outside every polygon get 1", geometry="polygon",
                    required=False, fields=(Column(id="access", about="accessibility 0-1",
                                                   units="", ge=0, le=1),)),
        ParamInput(id="half_saturation_constant", about="Half-saturation constant k (> 0); the "
                   "user's guide suggests 0.05 and recalibrating to about half the largest "
                   "degradation", units="", ge=0, default=kernels.DEFAULT_HALF_SATURATION),
        ParamInput(id="threat_aggregation", about="'nearest': impact of the nearest threat cell "
                   "(InVEST >= 3.13); 'sum': intensity-weighted sum over all threat cells in "
                   "reach (user's guide eq. hq.3)", units=None, dtype="str",
                   choices=AGGREGATIONS, default="nearest"),
        *zone_inputs("Polygons to summarise over (e.g. counties)"),
    ),
    outputs=(
        RasterOutput(id="degradation", about="Total threat level D (InVEST deg_sum_c)", units="",
                     long_name="habitat degradation"),
        RasterOutput(id="quality", about="Habitat quality Q, 0-1 (InVEST quality_c)", units="",
                     long_name="habitat quality"),
        RasterOutput(id="degradation_by_threat", about="Degradation by each threat D_r = i_r "
                     "(w_r / sum w) S_jr beta, one band per row of the threat table, named by the "
                     "threat (InVEST >= 3.15 intermediate/degradation_[THREAT]_c.tif); the bands "
                     "sum to degradation", units="", long_name="habitat degradation by threat",
                     bands_from="threat_table.threat"),
        TableOutput(id="zone_summary", about="Habitat area and area-weighted mean quality and "
                    "degradation per zone", columns=zone_columns(
                        Column(id="area_ha", about="area of cells with a result", units="ha"),
                        Column(id="habitat_area_ha", about="area of cells with H > 0", units="ha"),
                        Column(id="quality_mean", about="mean quality over all cells with a result",
                               units=""),
                        Column(id="quality_mean_habitat", about="mean quality over habitat cells",
                               units=""),
                        Column(id="degradation_mean", about="mean degradation over all cells",
                               units=""),
                        Column(id="degradation_mean_habitat", about="mean degradation over habitat "
                               "cells", units=""),
                        counts=True,
                    )),
        TableOutput(id="threat_summary", about="Degradation by each threat per zone (InVEST's "
                    "degradation_[THREAT] rasters, summarised)", columns=zone_columns(
                        Column(id="threat", about="threat name (lower case)", units=None,
                               dtype="str"),
                        Column(id="weight_normalized", about="w_r / sum of weights", units=""),
                        Column(id="degradation_mean", about="area-weighted mean degradation by "
                               "this threat over cells with a result", units=""),
                        Column(id="degradation_share", about="this threat's part of the zone's "
                               "total degradation (empty when the total is 0)", units=""),
                    )),
        TableOutput(id="class_summary", about="Area and mean quality and degradation per "
                    "land-use class", columns=(
                        lucode_column(),
                        Column(id="name", about="class name (when the table has one)", units=None,
                               dtype="str", required=False),
                        Column(id="habitat", about="habitat suitability H", units=""),
                        Column(id="area_ha", about="area of the class's cells", units="ha"),
                        Column(id="cells", about="number of cells", units=None, dtype="int"),
                        Column(id="quality_mean", about="area-weighted mean quality", units=""),
                        Column(id="degradation_mean", about="area-weighted mean degradation",
                               units=""),
                    )),
    ),
)


@dataclass(frozen=True)
class Threat:
    """One row of the threat table, checked."""

    name: str
    max_distance: float  # m
    weight: float  # normalised
    decay: str
    line: int


def _lines(table: pd.DataFrame) -> list[int]:
    return list(table.attrs.get("lines") or range(2, len(table) + 2))


def _lower_columns(table: pd.DataFrame) -> pd.DataFrame:
    frame = table.copy()
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    frame.attrs = dict(table.attrs)
    return frame


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def parse_threats(table: pd.DataFrame, cell_size: tuple[float, float]) -> list[Threat]:
    """Checked threats in table order, with weights normalised (InVEST semantics)."""
    label = "table 'threat_table'"
    frame = _lower_columns(table)
    lines = _lines(frame)
    rows: list[tuple[str, float, float, str, int]] = []
    seen: dict[str, int] = {}
    for position, line in enumerate(lines):
        row = frame.iloc[position]
        where = f"line {line}"
        name = str(row["threat"]).strip().lower()
        if not name or name == "nan":
            raise InputError("missing threat name", source=label, where=f"{where}, column 'threat'")
        if name in seen:
            raise InputError(f"threat {name!r} is listed twice (lines {seen[name]} and {line}; names "
                             "are compared case-insensitively)", source=label)
        seen[name] = line
        decay = str(row["decay"]).strip().lower()
        if decay not in kernels.DECAY_TYPES:
            close = difflib.get_close_matches(decay, kernels.DECAY_TYPES, n=1, cutoff=0.5)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise InputError(f"unknown decay {row['decay']!r}{hint}; expected one of "
                             f"{list(kernels.DECAY_TYPES)}", source=label,
                             where=f"{where}, column 'decay'")
        max_dist = _number(row["max_dist"])
        if not max_dist > 0:
            raise InputError(f"max_dist {row['max_dist']!r} must be > 0 m", source=label,
                             where=f"{where}, column 'max_dist'")
        cell = min(cell_size)
        if max_dist < cell:
            raise InputError(
                f"max_dist {max_dist:g} m is smaller than the cell size {cell:g} m, so threat "
                f"{name!r} would reach only its own cells; it must be at least the cell size "
                "(InVEST >= 3.15 reads max_dist in metres; tables for earlier versions are in km: "
                "multiply by 1000)", source=label, where=f"{where}, column 'max_dist'")
        weight = _number(row["weight"])
        if not 0 <= weight <= 1:
            raise InputError(f"weight {row['weight']!r} out of range; expected 0-1", source=label,
                             where=f"{where}, column 'weight'")
        rows.append((name, max_dist, weight, decay, line))
    if not rows:
        raise InputError("table has no threats", source=label)
    total = sum(r[2] for r in rows)
    if not total > 0:
        raise InputError("every threat weight is 0; at least one must be > 0 (weights are divided "
                         "by their sum)", source=label, where="column 'weight'")
    return [Threat(name, dist, weight / total, decay, line) for name, dist, weight, decay, line in rows]


def parse_sensitivity(table: pd.DataFrame, threats: list[Threat]) -> pd.DataFrame:
    """The sensitivity table with lower-case headers, one checked 0–1 column per threat."""
    label = "table 'sensitivity_table'"
    frame = _lower_columns(table)
    if "habitat" not in frame.columns:
        raise InputError(f"missing required column 'habitat'; columns found: {list(frame.columns)}",
                         source=label)
    missing = [t.name for t in threats if t.name not in frame.columns]
    if missing:
        lines = [t.line for t in threats if t.name in missing]
        raise InputError(
            f"no column for threat(s) {missing} (threat table line(s) {lines}); the sensitivity "
            f"table needs one 0-1 column per threat, named as the threat; columns found: "
            f"{list(frame.columns)}", source=label)
    lines = _lines(frame)
    for column in ("habitat", *(t.name for t in threats)):
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = np.flatnonzero(~((values >= 0) & (values <= 1)).to_numpy())
        if len(bad):
            cell = frame[column].iloc[int(bad[0])]
            raise InputError(f"{cell!r} is not a number from 0 to 1 (leave no cell blank: enter 0 "
                             "for classes a threat does not affect)", source=label,
                             where=f"line {lines[int(bad[0])]}, column '{column}'")
        frame[column] = values.astype(np.float64)
    return frame


def cell_size_m(grid: GridSpec) -> tuple[float, float]:
    """Cell (height, width) in metres; a geographic grid is refused, as InVEST refuses it."""
    if grid.crs.is_geographic:
        raise InputError(
            f"the run grid is in geographic coordinates ({grid.crs_label()}); habitat quality "
            "measures threat distances in metres and needs a projected grid (InVEST: 'all "
            "spatial inputs must have ... a projected coordinate system'); warp the rasters, e.g. "
            "to China Albers", source="input 'land_use'")
    unit = grid.crs.axis_info[0].unit_conversion_factor if grid.crs.axis_info else 1.0
    width, height = grid.resolution
    return height * unit, width * unit


def threat_bands(threats: xr.DataArray) -> list[xr.DataArray]:
    """One (y, x) raster per threat, in table order (the band count was checked against the
    table when the input was loaded: ``bands_from``)."""
    return [threats.isel(band=i, drop=True) for i in range(threats.sizes["band"])]


def _as_dask(data: Any, chunks: tuple[int, int]) -> da.Array:
    return data if isinstance(data, da.Array) else da.from_array(np.asarray(data), chunks=chunks)


def _block_chunks(chunks: tuple[tuple[int, ...], ...], shape: tuple[int, ...],
                  depth: tuple[int, int]) -> tuple[int, int]:
    """Blocks at least four times the overlap on each side (at most ``MAX_BLOCK_CELLS``)."""
    rows, cols = max(chunks[0]), max(chunks[1])
    rows = min(shape[0], max(rows, 4 * depth[0]))
    cols = min(shape[1], max(cols, 4 * depth[1]))
    if rows * cols > MAX_BLOCK_CELLS:
        rows = min(shape[0], max(max(chunks[0]), depth[0], MAX_BLOCK_CELLS // cols))
    return rows, cols


def threat_impact(threat: da.Array, item: Threat, cell_size: tuple[float, float],
                  aggregation: str) -> da.Array:
    """Decayed impact of one threat on every cell (lazy), chunked like ``threat``.

    The overlap between blocks is the threat's reach in cells, so each block sees every threat
    cell that can affect it: the result equals the whole-grid computation.
    """
    func: Callable[..., np.ndarray] = (kernels.nearest_threat_impact if aggregation == "nearest"
                                       else kernels.summed_threat_impact)
    block_func = partial(func, max_distance=item.max_distance, cell_size=cell_size, decay=item.decay)
    reach = (int(item.max_distance // cell_size[0]), int(item.max_distance // cell_size[1]))
    if aggregation == "nearest":  # only presence matters: move 1 byte per cell, not 4 or 8
        threat = da.map_blocks(kernels.threat_present, threat, dtype=np.bool_,
                               meta=np.array((), dtype=np.bool_))
    data = threat.rechunk(_block_chunks(threat.chunks, threat.shape, reach))
    depth = tuple(0 if len(axis) == 1 else min(d, min(axis))
                  for d, axis in zip(reach, data.chunks, strict=True))
    if depth != reach and any(len(axis) > 1 for axis in data.chunks):
        # a block thinner than the reach (the last one): make blocks thick enough
        data = data.rechunk(tuple(max(r, max(axis)) for r, axis in zip(reach, data.chunks,
                                                                          strict=True)))
        depth = tuple(0 if len(axis) == 1 else d for d, axis in zip(reach, data.chunks, strict=True))
    out = data.map_overlap(block_func, depth=depth, boundary="none", dtype=np.float64,
                           meta=np.array((), dtype=np.float64))
    return out.rechunk(threat.chunks)


def access_layer(inputs: Mapping[str, Any], grid: GridSpec,
                 chunks: tuple[tuple[int, ...], ...]) -> da.Array | float:
    """Accessibility β (0–1): the raster (nodata = 1), the rasterized polygons, or 1."""
    if "access" in inputs and "access_polygons" in inputs:
        raise InputError("give either 'access' (a raster) or 'access_polygons' (InVEST's access "
                         "vector), not both")
    if "access" in inputs:
        data = _as_dask(inputs["access"].data, (chunks[0][0], chunks[1][0])).rechunk(chunks)
        return da.where(da.isnan(data), 1.0, data)
    if "access_polygons" not in inputs:
        return 1.0
    polygons = inputs["access_polygons"]
    values = pd.to_numeric(polygons["access"], errors="coerce")
    bad = np.flatnonzero(~((values >= 0) & (values <= 1)).to_numpy())
    if len(bad):
        raise InputError(f"access {polygons['access'].iloc[int(bad[0])]!r} is not a number from 0 "
                         "to 1", source="input 'access_polygons'",
                         where=f"feature {int(bad[0]) + 1}, field 'access'")
    shapes = [(geom, float(value)) for geom, value in zip(polygons.geometry, values, strict=True)
              if geom is not None and not geom.is_empty]
    return da.map_blocks(partial(_burn_access, shapes, grid), chunks=chunks, dtype=np.float64,
                         meta=np.array((), dtype=np.float64))


def _burn_access(shapes: list[tuple[Any, float]], grid: GridSpec,
                 block_info: dict[Any, Any] | None = None) -> np.ndarray:
    """Access values of the polygons burnt on one block (cell centres; later polygons win;
    1 outside), as InVEST's ``pygeoprocessing.rasterize(..., ATTRIBUTE=ACCESS)`` on a raster
    filled with 1."""
    from rasterio.features import rasterize
    from rasterio.windows import Window
    from rasterio.windows import transform as window_transform

    assert block_info is not None
    (row0, row1), (col0, col1) = block_info[None]["array-location"]
    shape = (row1 - row0, col1 - col0)
    if not shapes:
        return np.ones(shape)
    window = Window(col0, row0, col1 - col0, row1 - row0)
    return rasterize(shapes, out_shape=shape, transform=window_transform(window, grid.transform),
                     fill=1.0, dtype="float64")


def _zone_raster(inputs: Mapping[str, Any], grid: GridSpec,
                 chunks: tuple[tuple[int, ...], ...]) -> tuple[list[str], da.Array]:
    """Zone names and a raster of zone numbers 1..n (0 = outside every zone)."""
    zones = inputs.get("zones")
    if zones is None:
        return ["all"], da.ones(grid.shape, chunks=chunks, dtype=np.int32)
    names = zone_names(zones, inputs.get("zone_field"))
    raster = rasterize_zones(list(zones.geometry), grid, (chunks[0][0], chunks[1][0]))
    return names, raster.rechunk(chunks)


def run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Degradation (total and by threat) and quality rasters and the zone, threat and class
    tables (all lazy)."""
    k = float(inputs["half_saturation_constant"])
    if not k > 0:
        raise InputError(f"{k:g} is not allowed; k must be > 0 (as in InVEST)",
                         source="parameter 'half_saturation_constant'")
    aggregation = str(inputs.get("threat_aggregation", "nearest"))
    land_use = inputs["land_use"]
    grid = grid_of_array(land_use)
    cell = cell_size_m(grid)
    threats = parse_threats(inputs["threat_table"], cell)
    table = parse_sensitivity(inputs["sensitivity_table"], threats).sort_values("lucode")
    bands = threat_bands(inputs["threats"])
    chunks = (tuple(c[0] for c in land_use.data.chunks) if isinstance(land_use.data, da.Array)
              else grid.default_chunks())
    codes = _as_dask(land_use.data, chunks)
    impacts = [threat_impact(_as_dask(band.data, chunks).rechunk(codes.chunks), item, cell,
                             aggregation) for item, band in zip(threats, bands, strict=True)]
    access = access_layer(inputs, grid, codes.chunks)
    lookup = {
        "codes": table["lucode"].to_numpy(np.float64),
        "habitat": table["habitat"].to_numpy(np.float64),
        "sensitivity": table[[t.name for t in threats]].to_numpy(np.float64).T,
        "weights": np.array([t.weight for t in threats]),
        "half_saturation": k,
    }
    n = len(threats)
    stack = da.map_blocks(
        partial(_fused_block, n, isinstance(access, da.Array), lookup),
        codes, *impacts, *([access] if isinstance(access, da.Array) else []),
        new_axis=0, chunks=((n + 3,), *codes.chunks), dtype=np.float64,
        meta=np.array((), dtype=np.float64))
    coords = {"y": land_use["y"], "x": land_use["x"]}

    def layer(index: int) -> xr.DataArray:
        return xr.DataArray(stack[index], dims=("y", "x"), coords=coords)

    by_threat = xr.DataArray(stack[:n], dims=("band", "y", "x"), coords={
        "band": np.arange(1, n + 1),
        "threat": ("band", [str(v) for v in inputs["threat_table"]["threat"]]), **coords})

    names, zone_raster = _zone_raster(inputs, grid, codes.chunks)
    shape = (len(names) + 1, len(table) + 1)  # zones (0 = outside), classes (0 = none)
    rows = n + 4
    parts = da.map_blocks(partial(_block_sums, grid, shape), zone_raster,
                          *(stack[i] for i in range(n + 3)), new_axis=[2, 3],
                          chunks=(1, 1, rows, shape[0] * shape[1]), dtype=np.float64,
                          meta=np.array((), dtype=np.float64))
    sums = parts.sum(axis=(0, 1))
    summaries = Summaries(names=names, threats=threats, table=table)
    return {
        "degradation": layer(n),
        "quality": layer(n + 1),
        "degradation_by_threat": by_threat,
        "zone_summary": LazyTable((sums,), summaries.zones),
        "threat_summary": LazyTable((sums,), summaries.by_threat),
        "class_summary": LazyTable((sums,), summaries.classes),
    }


def _block_sums(grid: GridSpec, shape: tuple[int, int], zones: np.ndarray, *layers: np.ndarray,
                block_info: dict[Any, Any] | None = None) -> np.ndarray:
    """Per-(zone, class) sums of one block (see :class:`Summaries`). ``layers`` are those of
    :func:`kernels.degradation_and_quality`: NaN only where the class is 0, whose buckets the
    summaries ignore, so no mask is needed."""
    assert block_info is not None
    (row0, row1), (col0, col1) = block_info[0]["array-location"]
    area = np.broadcast_to(grid.cell_area_m2(row0, row1, col0, col1), zones.shape).ravel()
    n = len(layers) - 3
    key = (zones.astype(np.intp) * shape[1] + layers[n + 2].astype(np.intp)).ravel()
    length = shape[0] * shape[1]
    out = np.empty((n + 4, length))
    out[0] = np.bincount(key, minlength=length)
    out[1] = np.bincount(key, weights=area, minlength=length)
    for row, layer in enumerate((layers[n + 1], layers[n], *layers[:n]), start=2):
        out[row] = np.bincount(key, weights=layer.ravel() * area, minlength=length)
    return out[None, None]


def _fused_block(n_threats: int, has_access: bool, lookup: dict[str, Any], codes: np.ndarray,
                 *blocks: np.ndarray) -> np.ndarray:
    access = blocks[n_threats] if has_access else 1.0
    return kernels.degradation_and_quality(codes, blocks[:n_threats], access=access, **lookup)


def _ratio(numerator: Any, denominator: Any) -> np.ndarray:
    numerator, denominator = np.asarray(numerator, float), np.asarray(denominator, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


@dataclass(frozen=True)
class Summaries:
    """Tables from per-(zone, class) sums. Rows: cells, area (m²), quality × area, degradation
    × area, then degradation by each threat × area; columns zone-major ``zone * (classes + 1) +
    class``, zone 0 = outside every zone, class 0 = nodata or no class (its sums are not used
    but for the cell count)."""

    names: list[str]
    threats: list[Threat]
    table: pd.DataFrame

    def _cube(self, sums: np.ndarray) -> np.ndarray:
        return sums.reshape(sums.shape[0], len(self.names) + 1, len(self.table) + 1)

    def zones(self, sums: np.ndarray) -> pd.DataFrame:
        cube = self._cube(sums)[:, 1:, :]  # zones 1..n
        valid = cube[:, :, 1:]
        habitat = self.table["habitat"].to_numpy() > 0
        area, habitat_area = valid[1].sum(1), valid[1][:, habitat].sum(1)
        return pd.DataFrame({
            "zone": self.names,
            "area_ha": area / M2_PER_HA,
            "habitat_area_ha": habitat_area / M2_PER_HA,
            "quality_mean": _ratio(valid[2].sum(1), area),
            "quality_mean_habitat": _ratio(valid[2][:, habitat].sum(1), habitat_area),
            "degradation_mean": _ratio(valid[3].sum(1), area),
            "degradation_mean_habitat": _ratio(valid[3][:, habitat].sum(1), habitat_area),
            "cells": cube[0].sum(1).astype(np.int64),
            "valid_cells": valid[0].sum(1).astype(np.int64),
        })

    def by_threat(self, sums: np.ndarray) -> pd.DataFrame:
        per_zone = self._cube(sums)[:, 1:, 1:].sum(2)
        return pd.concat([pd.DataFrame({
            "zone": self.names,
            "threat": item.name,
            "weight_normalized": item.weight,
            "degradation_mean": _ratio(per_zone[4 + r], per_zone[1]),
            "degradation_share": _ratio(per_zone[4 + r], per_zone[3]),
        }) for r, item in enumerate(self.threats)], ignore_index=True)

    def classes(self, sums: np.ndarray) -> pd.DataFrame:
        per_class = self._cube(sums)[:, :, 1:].sum(1)  # over the whole grid
        frame = pd.DataFrame({"lucode": self.table["lucode"].astype(np.int64).to_numpy()})
        if "name" in self.table.columns:
            frame["name"] = self.table["name"].astype(str).to_numpy()
        frame["habitat"] = self.table["habitat"].to_numpy()
        frame["area_ha"] = per_class[1] / M2_PER_HA
        frame["cells"] = per_class[0].astype(np.int64)
        frame["quality_mean"] = _ratio(per_class[2], per_class[1])
        frame["degradation_mean"] = _ratio(per_class[3], per_class[1])
        return frame


def _raster(values: np.ndarray, grid: GridSpec, name: str) -> xr.DataArray:
    """An in-memory raster with dims ("y", "x") or ("band", "y", "x")."""
    if values.ndim == 2:
        return from_array(values, grid, name=name, units="")
    out = xr.DataArray(values.astype(np.float64), dims=("band", "y", "x"), name=name,
                       coords={"band": np.arange(1, values.shape[0] + 1), "y": grid.y_coords(),
                               "x": grid.x_coords()}, attrs={"units": "", "input_id": name})
    return out.rio.write_crs(grid.crs.to_wkt()).rio.write_transform(grid.transform)


def example() -> dict[str, Any]:
    """7×7 cells of 100 m on China Albers: forest (1) and grassland (2) habitat around a
    cropland strip (3) with a road (threat 'roads') and the cropland itself (threat 'crops')."""
    from affine import Affine

    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(100.0, 0, 0, 0, -100.0, 5_000_000.0), (7, 7))
    codes = np.full((7, 7), 1)
    codes[:, 4:] = 2
    codes[:, 3] = 3
    codes[0, 0] = 255
    crops = (codes == 3).astype(float)
    roads = np.zeros((7, 7))
    roads[3, :] = 1.0
    threat_table = pd.DataFrame({"threat": ["crops", "roads"], "max_dist": [300.0, 200.0],
                                 "weight": [0.7, 1.0], "decay": ["linear", "exponential"]})
    sensitivity = pd.DataFrame({"lucode": [1, 2, 3], "name": ["forest", "grassland", "cropland"],
                                "habitat": [1.0, 0.6, 0.0], "crops": [0.8, 0.5, 0.0],
                                "roads": [0.6, 0.4, 0.0]})
    return {
        "land_use": from_array(codes, grid, name="land_use", units=None, nodata=255),
        "threats": _raster(np.stack([crops, roads]), grid, "threats"),
        "threat_table": threat_table,
        "sensitivity_table": sensitivity,
        "half_saturation_constant": 0.05,
    }


#: column of the per-unit summaries of a region run
SUMMARY = (SummaryMeasure("habitat_quality_mean", "output:quality", "", "mean", 1.0,
                          "mean habitat quality (0-1), area-weighted"),)

MODEL = Model(spec=SPEC, run=run, example=example, summary=SUMMARY)
