"""Array operations of grid/ops.py on hand-made cases (expected sums worked out in comments),
with numpy and multi-chunk dask inputs and NaN cells."""

from __future__ import annotations

import dask.array as da
import geopandas as gpd
import numpy as np
import pytest
import xarray as xr
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon, box

from ecociv.grid.io import from_array
from ecociv.grid.ops import cell_area, rasterize_zones, reclassify, zonal_sums, zonal_table
from ecociv.grid.spec import CHINA_ALBERS, GridSpec

nan = np.nan

#: 4×4 cells of 10 m, upper-left corner (0, 40): cell centres at x = 5, 15, 25, 35 and
#: y = 35, 25, 15, 5
GRID = GridSpec.from_crs(CHINA_ALBERS, Affine(10, 0, 0, 0, -10, 40), (4, 4))

#: zone 1 = box(0, 20, 20, 40): rows 0-1, cols 0-1; zone 2 = box(12, 0, 40, 20): the centres
#: x = 15, 25, 35 of rows 2-3; 0 = outside
ZONE_POLYGONS = [box(0, 20, 20, 40), box(12, 0, 40, 20)]
ZONES = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 2, 2, 2], [0, 2, 2, 2]])

#: values 0..15 with NaN at (0, 0) and (2, 2)
V = np.arange(16, dtype=np.float64).reshape(4, 4)
V[0, 0] = nan
V[2, 2] = nan
#: ones with NaN at (3, 3)
W = np.ones((4, 4))
W[3, 3] = nan


# --- reclassify -----------------------------------------------------------------------------


def test_reclassify_maps_codes_and_keeps_nan() -> None:
    # 1 -> 10, 2 -> 20.5; 3 is not in the mapping -> NaN; a NaN cell stays NaN
    codes = from_array(np.array([[1, 2], [3, 255]]), GridSpec.from_crs(
        CHINA_ALBERS, Affine(10, 0, 0, 0, -10, 20), (2, 2)), name="lu", nodata=255)
    out = reclassify(codes, {1: 10.0, 2: 20.5})
    np.testing.assert_array_equal(out.values, [[10.0, 20.5], [nan, nan]])
    assert out.dims == ("y", "x")


def test_reclassify_multi_chunk_dask_and_empty_mapping() -> None:
    values = np.array([[1, 2, 2, 5], [5, 1, nan, 2], [2, 2, 1, 1], [9, 1, 5, 2]])
    codes = xr.DataArray(da.from_array(values, chunks=(3, 3)), dims=("y", "x"))
    out = reclassify(codes, {1: 0.5, 2: -1.0, 5: 7.0})
    assert isinstance(out.data, da.Array) and out.data.numblocks == (2, 2)
    expected = np.select([values == 1, values == 2, values == 5], [0.5, -1.0, 7.0], nan)
    np.testing.assert_array_equal(out.values, expected)
    assert np.isnan(reclassify(codes, {}).values).all()


# --- rasterize_zones ------------------------------------------------------------------------


@pytest.mark.parametrize("chunks", [(4, 4), (1, 4), (3, 3), (2, 1)])
def test_rasterize_zones_by_cell_centre_in_any_chunking(chunks: tuple[int, int]) -> None:
    zones = rasterize_zones(ZONE_POLYGONS, GRID, chunks)
    assert isinstance(zones, da.Array) and zones.dtype == np.int32
    np.testing.assert_array_equal(zones.compute(), ZONES)


def test_rasterize_zones_keeps_numbers_of_missing_geometries() -> None:
    # None and empty polygons take no cell but keep their position: zones 2 and 4
    zones = rasterize_zones([None, ZONE_POLYGONS[0], Polygon(), ZONE_POLYGONS[1]], GRID, (2, 2))
    np.testing.assert_array_equal(zones.compute(), np.select([ZONES == 1, ZONES == 2], [2, 4], 0))


def test_rasterize_no_shapes_gives_all_outside() -> None:
    np.testing.assert_array_equal(rasterize_zones([None], GRID, (2, 4)).compute(), 0)


@pytest.mark.parametrize("count", [5, 300])
def test_rasterize_zones_same_cells_as_an_int32_burn(count: int) -> None:
    """Zones burnt into the smallest integer type (bytes up to 255 polygons, 16-bit words up to
    65535) and returned as int32 equal rasterio's int32 burn cell for cell: random overlapping
    polygons (the last one wins), edges through cell centres, several chunkings."""
    from rasterio.features import rasterize
    from shapely.geometry import box

    rng = np.random.default_rng(count)
    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(10, 0, 0, 0, -10, 400), (40, 37))
    polygons = []
    for _ in range(count):
        x0, y0 = rng.uniform(0, 370, 2).round() + rng.choice([0.0, 5.0])  # 5: a cell centre
        polygons.append(box(x0, y0, x0 + rng.uniform(5, 120), y0 + rng.uniform(5, 120)))
    expected = rasterize([(g, i + 1) for i, g in enumerate(polygons)], out_shape=grid.shape,
                         transform=grid.transform, fill=0, dtype="int32")
    assert len(np.unique(expected)) > min(count, 30) // 2  # many zones are visible
    for chunks in [(40, 37), (7, 11)]:
        zones = rasterize_zones(polygons, grid, chunks).compute()
        assert zones.dtype == np.int32
        np.testing.assert_array_equal(zones, expected)


# --- zonal_sums -----------------------------------------------------------------------------

#: rows: sum of V, sum of W, all cells, cells where V and W are both valid; columns: zone 0, 1, 2
#: V: zone 1 = NaN + 1 + 4 + 5 = 10; zone 2 = 9 + NaN + 11 + 13 + 14 + 15 = 62;
#:    outside = 2 + 3 + 6 + 7 + 8 + 12 = 38
#: W: outside 6, zone 1 4, zone 2 5 (NaN at (3, 3))
#: cells: 6, 4, 6; valid: 6, 3 (V NaN at (0, 0)), 4 (V NaN at (2, 2), W NaN at (3, 3))
EXPECTED_SUMS = np.array([[38.0, 10.0, 62.0], [6.0, 4.0, 5.0], [6.0, 4.0, 6.0], [6.0, 3.0, 4.0]])


def test_zonal_sums_numpy_inputs_single_chunk() -> None:
    zones = da.from_array(ZONES.astype(np.int32), chunks=(4, 4))
    np.testing.assert_array_equal(zonal_sums([V, W], zones, 2).compute(), EXPECTED_SUMS)


@pytest.mark.parametrize("zone_chunks", [(1, 4), (3, 3), (2, 1)])
def test_zonal_sums_multi_chunk_dask_inputs(zone_chunks: tuple[int, int]) -> None:
    zones = rasterize_zones(ZONE_POLYGONS, GRID, zone_chunks)
    # values chunked differently from the zones are rechunked to them
    values = [xr.DataArray(da.from_array(V, chunks=(2, 2)), dims=("y", "x")),
              da.from_array(W, chunks=(4, 1))]
    result = zonal_sums(values, zones, 2)
    assert isinstance(result, da.Array)
    np.testing.assert_array_equal(result.compute(), EXPECTED_SUMS)


def test_zonal_sums_all_nan_zone_sums_to_zero_with_zero_valid_cells() -> None:
    zones = da.from_array(ZONES.astype(np.int32), chunks=(2, 2))
    values = np.where(ZONES == 1, nan, 1.0)
    result = zonal_sums([values], zones, 2).compute()
    # zone 1 has 4 cells, none valid: the sum is 0 with 0 valid cells (the caller must use
    # valid_cells to tell "no data" from "zero")
    np.testing.assert_array_equal(result[:, 1], [0.0, 4.0, 0.0])


# --- zonal_table ----------------------------------------------------------------------------


def test_zonal_table_by_polygon_with_zone_field() -> None:
    polygons = gpd.GeoDataFrame({"county": ["Manas", "Shihezi"]}, geometry=ZONE_POLYGONS,
                                crs=GRID.crs)
    rasters = {"v": from_array(V, GRID, name="v").chunk({"y": 1}),
               "w": from_array(W, GRID, name="w").chunk({"y": 1})}
    table = zonal_table(rasters, polygons, GRID, zone_field="county").compute()
    assert table["zone"].tolist() == ["Manas", "Shihezi"]
    assert table["cells"].tolist() == [4, 6] and table["valid_cells"].tolist() == [3, 4]
    assert table["v"].tolist() == [10.0, 62.0] and table["w"].tolist() == [4.0, 5.0]


def test_zonal_table_whole_grid() -> None:
    # all cells: V sums to 120 - 0 - 10 = 110, W to 15; valid where both: 16 - 3 = 13
    table = zonal_table({"v": from_array(V, GRID, name="v"), "w": from_array(W, GRID, name="w")},
                        None, GRID).compute()
    assert table.to_dict("records") == [{"zone": "all", "cells": 16, "valid_cells": 13, "v": 110.0,
                                         "w": 15.0}]


# --- cell_area ------------------------------------------------------------------------------


def test_cell_area_equal_area_is_one_dimensional() -> None:
    like = from_array(V, GRID, name="v")
    area = cell_area(GRID, like)
    assert area.dims == ("y",)
    np.testing.assert_array_equal(area.values, 100.0)
    # broadcasts by name: a (y, x) raster times the area
    assert (like * area).dims == ("y", "x")


def test_cell_area_utm_is_two_dimensional_and_lazy() -> None:
    utm = GridSpec.from_crs("EPSG:32645", Affine(1000, 0, 200_000, 0, -1000, 4_900_000), (6, 5))
    like = from_array(np.ones((6, 5)), utm, name="x").chunk({"y": 2, "x": 3})
    area = cell_area(utm, like)
    assert area.dims == ("y", "x") and isinstance(area.data, da.Array)
    assert area.data.chunks == like.data.chunks
    np.testing.assert_allclose(area.values, utm.cell_area_m2(), rtol=1e-12)
    # the eager path (numpy-backed raster) gives the same numbers
    np.testing.assert_allclose(cell_area(utm, like.compute()).values, utm.cell_area_m2(), rtol=1e-12)
    # areas differ along a row (areal scale grows away from the central meridian at 500 km)
    assert area.values[0, 0] < area.values[0, 4]


# --- property tests against naive references ------------------------------------------------


@st.composite
def zoned_rasters(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    rows, cols = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(rows, cols)).round(3)
    values[rng.random((rows, cols)) < 0.2] = nan
    zones = rng.integers(0, 4, (rows, cols)).astype(np.int32)
    chunks = (draw(st.integers(1, rows)), draw(st.integers(1, cols)))
    return values, zones, chunks


@settings(max_examples=25, deadline=None)
@given(zoned_rasters())
def test_zonal_sums_match_a_naive_loop(case: tuple[np.ndarray, np.ndarray, tuple[int, int]]) -> None:
    values, zones, chunks = case
    result = zonal_sums([values], da.from_array(zones, chunks=chunks), 3).compute()
    for zone in range(4):
        inside = zones == zone
        assert result[0, zone] == pytest.approx(np.nansum(values[inside]), abs=1e-9)
        assert result[1, zone] == inside.sum()
        assert result[2, zone] == (inside & ~np.isnan(values)).sum()


@settings(max_examples=25, deadline=None)
@given(zoned_rasters(), st.dictionaries(st.integers(0, 3), st.floats(-1e6, 1e6), max_size=4))
def test_reclassify_matches_a_dictionary_lookup(
        case: tuple[np.ndarray, np.ndarray, tuple[int, int]], mapping: dict[int, float]) -> None:
    _, zones, chunks = case
    codes = np.where(np.random.default_rng(0).random(zones.shape) < 0.1, nan, zones)
    out = reclassify(xr.DataArray(da.from_array(codes, chunks=chunks), dims=("y", "x")), mapping).values
    expected = np.array([[mapping.get(int(c), nan) if c == c else nan for c in row] for row in codes])
    np.testing.assert_array_equal(out, expected)
