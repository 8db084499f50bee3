"""``ecological_redline`` — ecological protection red line from service importance and
sensitivity, per the 2017 national guideline (《生态保护红线划定指南》).

Steps (kernels in ``kernels.py``):

1. Each service layer given is graded by the cumulative contribution of its sorted cell
   values: the cells holding the top 50 % of the service are extremely important, the next
   30 % important, the rest generally important (percentages are parameters). Contributions
   are value × true cell area, which is the guideline's plain sum on an equal-area grid. With
   zones (``grading_extent`` 'zones', the default), only the union of the zones is graded:
   cells outside it neither count in the totals nor get a class (edge cells count with the
   fraction of their area inside). ``break_ties`` decides where a block of equal values that
   straddles a break goes.
2. Services are merged by their highest class (``importance_class``).
3. Red-line candidate = extremely important OR sensitivity class ≥ a parameter.
4. Clean-up, in this order: majority filter (square window), filling of enclosed holes below
   an area, removal of cropland and built-up land (with ``land_use`` and
   ``exclude_cropland_built_up``, the default), removal of patches below an area (true cell
   areas; patches 4-connected).
5. Red-line polygons (one per patch, ``rasterio.features.shapes``), the red line's area and
   share per unit and per basin with exact cell fractions (``ecociv.grid.zonal``), and the
   cropland and built-up land inside the delineated area before their removal (conflicts).

The global steps (thresholds over all cells, labelling patches) need whole grids, held
compactly (:mod:`.blockwise`): one service at a time as float32 (float64 when its values need
it), classes and masks as one byte per cell, patch labels as int32; everything cell by cell goes
in row bands. Results are those of whole float64 grids, bit for bit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr
from shapely.geometry import box, shape
from shapely.ops import unary_union

from ecociv.errors import InputError
from ecociv.grid.compact import PACKED_NODATA, PackedLayer, lazy_raster, pack_codes
from ecociv.grid.io import from_array, grid_of_array
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.grid.zonal import coverage, zonal_statistics
from ecociv.models.ecological_redline import blockwise, kernels
from ecociv.models.ecological_redline.spec import SERVICES, SPEC
from ecociv.spec import (
    Model,
    SummaryMeasure,
)
from ecociv.spec_blocks import zone_names

M2_PER_KM2 = 1e6


def _codes(inputs: Mapping[str, Any], param: str) -> list[int]:
    text = inputs.get(param)
    if text is None or not str(text).strip():
        raise InputError("land_use was given, so the land-use codes of cropland and built-up "
                         "land are needed (comma-separated integers, e.g. '11,12')",
                         source=f"parameter '{param}'")
    codes = []
    for token in str(text).replace(";", ",").split(","):
        token = token.strip()
        try:
            codes.append(int(token))
        except ValueError:
            raise InputError(f"{token!r} is not an integer land-use code; expected "
                             "comma-separated integers such as '11,12'",
                             source=f"parameter '{param}'") from None
    return codes


def _check_params(inputs: Mapping[str, Any]) -> tuple[float, float]:
    extremely = float(inputs["extremely_important_percent"])
    important = float(inputs["important_percent"])
    if extremely >= important:
        raise InputError(f"extremely_important_percent ({extremely:g} %) must be below "
                         f"important_percent ({important:g} %)",
                         source="parameter 'extremely_important_percent'")
    window = int(inputs["smoothing_window"])
    if window % 2 == 0:
        raise InputError(f"{window} is not an odd number of cells",
                         source="parameter 'smoothing_window'")
    return extremely, important


def _read_band(array: xr.DataArray, r0: int, r1: int) -> np.ndarray:
    return np.asarray(array.data[r0:r1], dtype=np.float64)


def _service_values(array: xr.DataArray, region: blockwise.Region) -> np.ndarray:
    """A service's values with NaN outside the region, as float32 where that holds every value
    exactly (float32 inputs), else float64."""
    rows, cols = region.code.shape
    out: np.ndarray = np.empty((rows, cols), dtype=np.float32)
    for r0, r1 in blockwise.bands(rows, cols):
        band = np.where(region.code[r0:r1] == 0, np.nan, _read_band(array, r0, r1))
        if out.dtype == np.float32 and not np.array_equal(band.astype(np.float32), band, equal_nan=True):
            out = out.astype(np.float64)
        out[r0:r1] = band
    return out


def run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Importance, red line, polygons and per-zone tables.

    The global steps (thresholds over every cell, patch labels) see the whole grid, held
    compactly: one service at a time (float32 when its values are float32), classes and masks as
    one byte per cell, labels as int32; the rest goes in row bands (see :mod:`.blockwise`)."""
    services = [sid for sid in SERVICES if sid in inputs]
    if not services:
        raise InputError(f"no service layer given; give at least one of {list(SERVICES)}")
    extremely_pct, important_pct = _check_params(inputs)
    template: xr.DataArray = inputs[services[0]]
    grid = grid_of_array(template)
    rows, cols = grid.shape
    region = _region(inputs, grid)
    weights = blockwise.Weights(grid, region)
    area = grid.cell_area_m2()

    outputs: dict[str, Any] = {}
    merged = np.zeros(grid.shape, dtype=np.uint8)  # 0 = nodata in every service so far
    rows_out = []
    for sid in services:
        values = _service_values(inputs[sid], region)
        t_extreme, t_important = blockwise.cumulative_thresholds(
            values, weights, (extremely_pct, important_pct), str(inputs.get("break_ties", "higher")))
        graded = np.empty(grid.shape, dtype=np.uint8)
        for r0, r1 in blockwise.bands(rows, cols):
            band = pack_codes(kernels.grade_by_thresholds(values[r0:r1].astype(np.float64),
                                                          t_extreme, t_important))
            graded[r0:r1] = band
            np.maximum(merged[r0:r1], np.where(band == PACKED_NODATA, 0, band), out=merged[r0:r1])
        outputs[f"importance_{sid}"] = lazy_raster(graded, grid, name=f"importance_{sid}")
        rows_out.append(_threshold_row(sid, values, graded, weights, t_extreme, t_important))
        del values
    merged[merged == 0] = PACKED_NODATA
    outputs["importance_class"] = lazy_raster(merged, grid, name="importance_class")
    outputs["importance_thresholds"] = pd.DataFrame(rows_out)

    valid = merged != PACKED_NODATA
    candidate = merged == kernels.EXTREMELY_IMPORTANT
    if "sensitivity_class" in inputs:
        threshold = int(inputs["extremely_sensitive_class"])
        for r0, r1 in blockwise.bands(rows, cols):
            sensitivity = np.where(region.code[r0:r1] == 0, np.nan,
                                   _read_band(inputs["sensitivity_class"], r0, r1))
            valid[r0:r1] |= np.isfinite(sensitivity)
            candidate[r0:r1] |= sensitivity >= threshold
    outputs["redline_candidate"] = lazy_raster(
        np.where(valid, candidate, PACKED_NODATA).astype(np.uint8), grid, name="redline_candidate")
    mask = _majority(candidate, valid, int(inputs["smoothing_window"]))
    del candidate
    mask = kernels.fill_holes(mask, valid, area, float(inputs["max_hole_area"]) * M2_PER_KM2)
    layers: dict[str, Any] = {}
    if "land_use" in inputs:
        cropland = _codes(inputs, "cropland_codes")
        built = _codes(inputs, "built_up_codes")
        both = sorted(set(cropland) & set(built))
        if both:
            raise InputError(f"code(s) {both} are listed as both cropland and built-up land",
                             source="parameters 'cropland_codes' and 'built_up_codes'")
        # conflicts: cropland and built-up land inside the delineated area (before exclusion)
        conflict = np.empty(grid.shape, dtype=np.uint8)
        for r0, r1 in blockwise.bands(rows, cols):
            conflict[r0:r1] = pack_codes(kernels.conflict_classes(
                np.where(valid[r0:r1], mask[r0:r1], np.nan), _read_band(inputs["land_use"], r0, r1),
                cropland, built))
        outputs["conflict"] = lazy_raster(conflict, grid, name="conflict")
        layers["cropland_conflict"] = PackedLayer(conflict, equal_to=1)
        layers["built_up_conflict"] = PackedLayer(conflict, equal_to=2)
        if bool(inputs.get("exclude_cropland_built_up", True)):
            mask &= ~((conflict == 1) | (conflict == 2))
    mask = kernels.remove_small_patches(mask, area, float(inputs["min_patch_area"]) * M2_PER_KM2)
    redline = np.where(valid, mask, PACKED_NODATA).astype(np.uint8)
    del valid
    outputs["redline"] = lazy_raster(redline, grid, name="redline")
    outputs["redline_polygons"] = _polygons(mask, area, grid)
    del mask
    layers = {"redline": PackedLayer(redline), **layers}
    outputs["redline_by_zone"] = _zone_table(layers, inputs.get("zones"), grid,
                                             inputs.get("zone_field"), "zone_field")
    if inputs.get("basins") is not None:
        outputs["redline_by_basin"] = _zone_table(layers, inputs["basins"], grid,
                                                  inputs.get("basin_field"), "basin_field")
    return outputs


def _majority(candidate: np.ndarray, valid: np.ndarray, window: int) -> np.ndarray:
    """:func:`kernels.majority_filter` in row bands with ``window // 2`` rows of overlap (the
    window counts are integers, so the bands give the whole grid's result exactly)."""
    if window <= 1:
        return candidate & valid
    rows, cols = candidate.shape
    half = window // 2
    out = np.empty(candidate.shape, dtype=bool)
    for r0, r1 in blockwise.bands(rows, cols):
        a0, a1 = max(0, r0 - half), min(rows, r1 + half)
        smoothed = kernels.majority_filter(candidate[a0:a1], valid[a0:a1], window)
        out[r0:r1] = smoothed[r0 - a0:r1 - a0]
    return out


def _region(inputs: Mapping[str, Any], grid: GridSpec) -> blockwise.Region:
    """Fraction (0–1) of each cell inside the assessment region: the union of the zones with
    ``grading_extent`` 'zones' (and zones given), else 1 everywhere (the whole grid)."""
    zones = inputs.get("zones")
    if zones is None or str(inputs.get("grading_extent", "zones")) != "zones":
        return blockwise.Region.everywhere(grid.shape)
    cover = coverage(unary_union(list(zones.geometry)), grid)
    if cover is None:
        raise InputError("the zones do not overlap the grid of the service layers, so there is "
                         "no region to grade importance in (or set grading_extent to 'grid')",
                         source="input 'zones'")
    return blockwise.Region.from_fractions(grid.shape, cover.slices, cover.fractions)


def _threshold_row(sid: str, values: np.ndarray, graded: np.ndarray, weights: blockwise.Weights,
                   t_extreme: float, t_important: float) -> dict[str, Any]:
    rows, cols = values.shape

    def amounts_band(r0: int, r1: int) -> np.ndarray:
        v = values[r0:r1].astype(np.float64)
        return np.where(np.isfinite(v), v * weights.band(r0, r1), 0.0)

    total = blockwise.pairwise_sum(blockwise.flat_segment(amounts_band, cols), rows * cols)

    # sums over the cells of one class, as np.sum of the whole selection (bit for bit), without
    # holding the selection: it can be most of the grid
    def share(code: int) -> float:
        if not total > 0:
            return 0.0

        def amounts(r0: int, r1: int) -> np.ndarray:
            member = graded[r0:r1] == code
            return values[r0:r1][member].astype(np.float64) * weights.band(r0, r1)[member]

        return float(100 * blockwise.selection_sum(amounts, rows, cols) / total)

    def km2(code: int) -> float:
        def areas(r0: int, r1: int) -> np.ndarray:
            return weights.band(r0, r1)[graded[r0:r1] == code]

        return float(blockwise.selection_sum(areas, rows, cols) / M2_PER_KM2)

    return {
        "service": sid, "units": SERVICES[sid][0] or "1",
        "threshold_extremely_important": t_extreme if np.isfinite(t_extreme) else np.nan,
        "threshold_important": t_important if np.isfinite(t_important) else np.nan,
        "share_extremely_important_percent": share(kernels.EXTREMELY_IMPORTANT),
        "share_important_percent": share(kernels.IMPORTANT),
        "area_extremely_important_km2": km2(kernels.EXTREMELY_IMPORTANT),
        "area_important_km2": km2(kernels.IMPORTANT),
        "area_generally_important_km2": km2(kernels.GENERALLY_IMPORTANT),
    }


def _polygons(mask: np.ndarray, area: np.ndarray, grid: GridSpec) -> gpd.GeoDataFrame:
    """One polygon per 4-connected patch, with its true area."""
    from rasterio.features import shapes

    labels, count = kernels.label_patches(mask)
    areas = kernels.patch_areas_m2(labels, count, area) / M2_PER_KM2
    pieces: dict[int, list[Any]] = {}
    if count:
        for geometry, value in shapes(labels, mask=labels > 0, connectivity=4,
                                      transform=grid.transform):
            pieces.setdefault(int(value), []).append(shape(geometry))
    ids = sorted(pieces)
    geometries = [unary_union(pieces[i]) if len(pieces[i]) > 1 else pieces[i][0] for i in ids]
    return gpd.GeoDataFrame({"id": pd.Series(ids, dtype="int64"),
                             "area_km2": pd.Series([areas[i] for i in ids], dtype="float64")},
                            geometry=gpd.GeoSeries(geometries, crs=grid.crs_wkt), crs=grid.crs_wkt)


def _zone_table(layers: Mapping[str, Any], zones: Any, grid: GridSpec,
                requested_field: str | None, param: str) -> pd.DataFrame:
    if zones is None:
        geometries, names = [box(*grid.bounds)], ["all"]
    else:
        geometries = list(zones.geometry)
        names = zone_names(zones, requested_field, param=param)
    stats = zonal_statistics(dict(layers), geometries, grid, names=names)
    table = pd.DataFrame({"zone": stats["zone"].astype(str), "area_km2": stats["area_m2"] / M2_PER_KM2})
    table["redline_km2"] = stats["redline_sum_area"] / M2_PER_KM2
    table["redline_percent"] = 100 * table["redline_km2"] / table["area_km2"].where(table["area_km2"] > 0)
    for name in ("cropland_conflict", "built_up_conflict"):
        if name in layers:
            table[f"{name}_km2"] = stats[f"{name}_sum_area"] / M2_PER_KM2
    return table


def example() -> dict[str, Any]:
    """8×8 cells of 500 m (0.25 km²) on China Albers: a water-conservation hot spot in the
    north-west, habitat quality high along the east, one extremely sensitive strip, cropland
    (code 1) and built-up land (code 5) in places; two units (west and east halves)."""
    from affine import Affine

    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(500.0, 0, 0, 0, -500.0, 5_000_000.0), (8, 8))
    rows, cols = np.mgrid[0:8, 0:8]
    water = 200.0 * np.exp(-((rows - 2.0) ** 2 + (cols - 2.0) ** 2) / 6.0)
    water[7, 0] = np.nan
    habitat = np.clip(0.1 + 0.12 * cols, 0, 1)
    sensitivity = np.where(rows == 6, 3, 1)
    land_use = np.where(cols >= 6, 2, 1)
    land_use[0:2, 6:8] = 5
    zones = gpd.GeoDataFrame({"name": ["west", "east"]},
                             geometry=[box(0, 4_996_000, 2_000, 5_000_000),
                                       box(2_000, 4_996_000, 4_000, 5_000_000)], crs=CHINA_ALBERS)
    return {
        "water_conservation": from_array(water, grid, name="water_conservation", units="mm/yr"),
        "habitat_quality": from_array(habitat, grid, name="habitat_quality", units=""),
        "sensitivity_class": from_array(sensitivity, grid, name="sensitivity_class", units=None),
        "land_use": from_array(land_use, grid, name="land_use", units=None),
        "zones": zones, "zone_field": "name",
        "cropland_codes": "1", "built_up_codes": "5",
        "min_patch_area": 0.5, "max_hole_area": 0.5,
    }


#: column of the per-unit summaries of a region run (a 0/1 raster: Σ value × m² × 10⁻⁶ = km²)
SUMMARY = (SummaryMeasure("redline_km2", "output:redline", "", "total", 1e-6,
                          "area inside the ecological protection red line (km²)", share_column="redline_percent",
                          share_description="share of the unit inside the red line (%)"),)

MODEL = Model(spec=SPEC, run=run, example=example, summary=SUMMARY)
