"""Exact (area-weighted) zonal statistics on hand-made cases with the answer worked out."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from shapely.geometry import Polygon, box

from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.grid.zonal import coverage, zonal_statistics

# 4 × 4 cells of 10 m, upper-left corner (0, 40): cell (r, c) spans x 10c..10c+10, y 40-10r-10..40-10r
GRID = GridSpec.from_crs(CHINA_ALBERS, Affine(10.0, 0, 0.0, 0, -10.0, 40.0), (4, 4))
VALUES = np.arange(16, dtype=np.float64).reshape(4, 4)


def test_half_cells_count_half() -> None:
    # x 5..25, y 25..35: half of cell (0,0), all of (0,1)... no: y 25..35 is half of rows 0 and 1
    # row 0 spans y 30..40 (covered 30..35 = half), row 1 spans y 20..30 (covered 25..30 = half)
    # col 0 spans x 0..10 (covered 5..10 = half), col 1 x 10..20 (all), col 2 x 20..30 (5 of 10)
    cover = coverage(box(5, 25, 25, 35), GRID)
    assert cover is not None
    full = np.zeros((4, 4))
    full[cover.slices] = cover.fractions
    expected = np.zeros((4, 4))
    expected[0, :3] = [0.25, 0.5, 0.25]
    expected[1, :3] = [0.25, 0.5, 0.25]
    np.testing.assert_allclose(full, expected)


def test_triangle_fractions_and_weighted_mean() -> None:
    # right triangle with legs of 20 m along the top-left: vertices (0,40), (20,40), (0,20)
    # cells (0,0) and the diagonal cells (0,1), (1,0) are cut by the hypotenuse x + (40 - y) = 20
    # cell (0,0): fully inside (x+depth ≤ 20 for all its corners: max 10+10 = 20) -> 1
    # cell (0,1): x 10..20, depth 0..10: region x + depth ≤ 20 is a triangle of area 50 -> 0.5
    # cell (1,0): x 0..10, depth 10..20: likewise -> 0.5
    table = zonal_statistics({"v": VALUES}, [Polygon([(0, 40), (20, 40), (0, 20)])], GRID)
    row = table.iloc[0]
    assert row["area_m2"] == pytest.approx(200.0)  # ½ × 20 × 20
    # mean = (0×100 + 1×50 + 4×50) / 200 = 1.25
    assert row["v_mean"] == pytest.approx(1.25)
    assert row["v_sum_area"] == pytest.approx(250.0)


def test_nodata_cells_are_left_out_of_the_mean_not_read_as_zero() -> None:
    values = VALUES.copy()
    values[0, 0] = np.nan
    # whole top row: cells 0..3, cell 0 missing -> mean of 1, 2, 3 = 2 over 300 m²
    table = zonal_statistics({"v": values}, [box(0, 30, 40, 40)], GRID)
    row = table.iloc[0]
    assert row["v_mean"] == pytest.approx(2.0)
    assert row["v_valid_area_m2"] == pytest.approx(300.0)
    assert row["area_m2"] == pytest.approx(400.0)


def test_dask_input_polygon_partly_outside_and_outside_entirely() -> None:
    lazy = da.from_array(VALUES, chunks=(2, 2))
    # x -10..10, y 0..40: only column 0 is on the grid -> mean of 0, 4, 8, 12 = 6, area 400 m²
    table = zonal_statistics({"v": lazy}, [box(-10, 0, 10, 40), box(100, 100, 110, 110)], GRID,
                             names=["edge", "away"])
    assert table.set_index("zone").loc["edge", "v_mean"] == pytest.approx(6.0)
    assert table.set_index("zone").loc["edge", "area_m2"] == pytest.approx(400.0)
    assert np.isnan(table.set_index("zone").loc["away", "v_mean"])
    assert table.set_index("zone").loc["away", "area_m2"] == 0.0


def test_polygon_with_hole() -> None:
    # the whole grid minus the 20 × 20 centre square -> 1600 - 400 = 1200 m²
    # the hole covers cells (1,1), (1,2), (2,1), (2,2) = 5, 6, 9, 10 (sum 30); all values sum 120
    ring = Polygon([(0, 0), (40, 0), (40, 40), (0, 40)], holes=[[(10, 10), (30, 10), (30, 30), (10, 30)]])
    row = zonal_statistics({"v": VALUES}, [ring], GRID).iloc[0]
    assert row["area_m2"] == pytest.approx(1200.0)
    assert row["v_mean"] == pytest.approx((120 - 30) / 12)


def test_polygon_over_some_columns_of_a_utm_grid() -> None:
    # UTM cells have a true area varying by column (cell_area_m2 gives rows x cols there); a
    # polygon over columns 1..2 of a 4 x 4 grid of 10 km cells 300 km west of the central
    # meridian must be weighted by the areas of those columns (was: a broadcasting error)
    grid = GridSpec.from_crs("EPSG:32645", Affine(10_000.0, 0, 200_000.0, 0, -10_000.0, 4_800_000.0),
                             (4, 4))
    table = zonal_statistics({"v": VALUES}, [box(210_000, 4_760_000, 230_000, 4_800_000)], grid)
    areas = grid.cell_area_m2()
    assert areas.shape == (4, 4) and not np.allclose(areas[:, 1], areas[:, 2])
    row = table.iloc[0]
    assert row["area_m2"] == pytest.approx(areas[:, 1:3].sum())
    expected = (VALUES[:, 1:3] * areas[:, 1:3]).sum() / areas[:, 1:3].sum()
    assert row["v_mean"] == pytest.approx(expected)


def test_dask_windows_read_together_each_chunk_once_and_equal_to_numpy() -> None:
    # three zones whose windows share chunks: each chunk of the dask raster is computed once
    # (one dask.compute for all windows), and the table equals that of the same values in NumPy
    calls = []

    def block(values: np.ndarray) -> np.ndarray:
        if values.size:  # (dask also calls it once on an empty array, for its meta)
            calls.append(values.shape)
        return values * 1.0

    values = VALUES.copy()
    values[1, 2] = np.nan
    lazy = da.from_array(values, chunks=(2, 2)).map_blocks(block, dtype=np.float64)
    zones = [box(3, 3, 27, 37), Polygon([(5, 5), (35, 12), (14, 33)]), box(100, 100, 110, 110),
             box(12, 1, 39, 21)]
    table = zonal_statistics({"v": lazy, "w": values}, zones, GRID)
    assert len(calls) == 4  # the 2 × 2 chunks
    expected = zonal_statistics({"v": values, "w": values}, zones, GRID)
    pd.testing.assert_frame_equal(table, expected, check_exact=True)
    np.testing.assert_array_equal(table["v_sum_area"], table["w_sum_area"])
