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

Cover levels (an addition to InVEST). The Chinese land-use classification splits grassland by
vegetation cover (high > 50 %, medium 20–50 %, low 5–20 %), and habitat studies of the region give
each level its own suitability. Rows of the sensitivity table with ``cover_level_of`` (the class
they refine) and ``cover_min`` (their lowest cover, 0–1) are such levels; with the optional input
``vegetation_cover`` each cell of the refined class takes the row of the highest level its cover
reaches (``kernels.cover_level_codes``), so a simulated land-use map that turns a cell into
grassland gets the level of the cover there. Without ``vegetation_cover`` (or where the cover is
nodata or below every level) the class's own row applies: an InVEST table with extra rows still
runs as in InVEST. ``class_summary`` reports the levels as classes of their own.

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

from collections.abc import Mapping
from functools import partial
from typing import Any

import dask.array as da
import numpy as np
import pandas as pd
import xarray as xr

from ecociv.errors import InputError
from ecociv.grid.io import from_array, grid_of_array
from ecociv.grid.ops import LazyTable
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.habitat_quality import kernels
from ecociv.models.habitat_quality.layers import access_layer, zone_raster
from ecociv.models.habitat_quality.spec import SPEC
from ecociv.models.habitat_quality.summaries import Summaries, block_sums
from ecociv.models.habitat_quality.tables import parse_cover_levels, parse_sensitivity, parse_threats
from ecociv.models.habitat_quality.threats import as_dask, cell_size_m, threat_bands, threat_impact
from ecociv.spec import (
    Model,
    SummaryMeasure,
)


def run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Degradation (total and by threat) and quality rasters and the zone, threat and class
    tables (all lazy)."""
    k = float(inputs["half_saturation_constant"])
    aggregation = str(inputs.get("threat_aggregation", "nearest"))
    land_use = inputs["land_use"]
    grid = grid_of_array(land_use)
    cell = cell_size_m(grid)
    threats = parse_threats(inputs["threat_table"], cell)
    table = parse_sensitivity(inputs["sensitivity_table"], threats).sort_values("lucode")
    bands = threat_bands(inputs["threats"])
    chunks = (tuple(c[0] for c in land_use.data.chunks) if isinstance(land_use.data, da.Array)
              else grid.default_chunks())
    codes = _cover_levels(inputs, table, as_dask(land_use.data, chunks))
    impacts = [threat_impact(as_dask(band.data, chunks).rechunk(codes.chunks), item, cell,
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

    names, zones = zone_raster(inputs, grid, codes.chunks)
    shape = (len(names) + 1, len(table) + 1)  # zones (0 = outside), classes (0 = none)
    rows = n + 4
    parts = da.map_blocks(partial(block_sums, grid, shape), zones,
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


def _cover_levels(inputs: Mapping[str, Any], table: pd.DataFrame, codes: da.Array) -> da.Array:
    """Land-use codes with the cover-level rows applied (unchanged without vegetation_cover)."""
    levels = parse_cover_levels(table)
    if "vegetation_cover" not in inputs:
        return codes
    if levels is None:
        raise InputError("vegetation_cover is given but no row of the sensitivity table is a "
                         "cover level; add columns cover_level_of and cover_min (e.g. rows for "
                         "high-, medium- and low-cover grassland), or leave vegetation_cover out",
                         source="input 'vegetation_cover'")
    cover = as_dask(inputs["vegetation_cover"].data,
                    (codes.chunks[0][0], codes.chunks[1][0])).rechunk(codes.chunks)
    return da.map_blocks(kernels.cover_level_codes, codes, cover, levels.parents,
                         levels.cover_min, levels.codes, dtype=np.float64,
                         meta=np.array((), dtype=np.float64))


def _fused_block(n_threats: int, has_access: bool, lookup: dict[str, Any], codes: np.ndarray,
                 *blocks: np.ndarray) -> np.ndarray:
    access = blocks[n_threats] if has_access else 1.0
    return kernels.degradation_and_quality(codes, blocks[:n_threats], access=access, **lookup)


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
