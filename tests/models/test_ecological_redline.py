"""`ecological_redline`: cumulative-contribution grading (《生态保护红线划定指南》2017: the cell
values at which the service accumulated from the top reaches 50 % and 80 % of the total are the
class breaks), clean-up of the red line, polygons, per-unit areas with exact cell fractions and
conflicts, worked by hand."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from shapely.geometry import box

from ecociv.errors import InputError
from ecociv.execute import run_in_memory, run_model
from ecociv.grid.io import from_array
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.ecological_redline import kernels
from ecociv.models.ecological_redline.model import MODEL, run
from ecociv.spec import ParamInput

NAN = np.nan


# ---------------------------------------------------------------- cumulative-contribution grading

def test_grading_of_1_to_10_gives_the_hand_thresholds() -> None:
    # values 1..10, equal cells, total 55. Sorted descending with cumulative shares:
    #   10 -> 10 (18.2 %), 9 -> 19 (34.5 %), 8 -> 27 (49.1 %), 7 -> 34 (61.8 %),
    #    6 -> 40 (72.7 %), 5 -> 45 (81.8 %), 4 -> 49 (89.1 %), 3 -> 52, 2 -> 54, 1 -> 55
    # 50 % is first reached at 7 (61.8 %), 80 % at 5 (81.8 %): the crossing cell joins the
    # higher class, so 10, 9, 8, 7 are extremely important (34/55 = 61.8 % of the service),
    # 6 and 5 important (11/55 = 20 %), 4..1 generally important.
    values = np.arange(1.0, 11.0).reshape(2, 5)
    thresholds = kernels.cumulative_thresholds(values, 1.0, (50.0, 80.0))
    np.testing.assert_array_equal(thresholds, [7.0, 5.0])
    classes = kernels.grade_by_thresholds(values, *thresholds)
    np.testing.assert_array_equal(classes, [[1, 1, 1, 1, 2], [2, 3, 3, 3, 3]])


def test_grading_weights_cells_by_their_area() -> None:
    # values 4, 2, 1 on cells of 1, 3 and 2 m²: amounts 4, 6, 2 (total 12); sorted by value the
    # cumulative amounts are 4 (33 %), 10 (83 %), 12 -> 50 % and 80 % are both reached at value 2.
    # Unweighted (equal cells) the amounts 4, 2, 1 (total 7) reach 50 % (3.5) at the first cell.
    values = np.array([4.0, 2.0, 1.0])
    np.testing.assert_array_equal(
        kernels.cumulative_thresholds(values, np.array([1.0, 3.0, 2.0]), (50.0, 80.0)), [2.0, 2.0])
    np.testing.assert_array_equal(kernels.cumulative_thresholds(values, 1.0, (50.0,)), [4.0])


def test_grading_edge_cases() -> None:
    # a share reached exactly by a cell stops there: 5 + 5 + 0, 50 % = 5 is reached by cell 1
    assert kernels.cumulative_thresholds(np.array([5.0, 5.0, 0.0]), 1.0, (50.0,))[0] == 5.0
    # ties with the threshold all join the higher class
    classes = kernels.grade_by_thresholds(np.array([5.0, 5.0, 0.0]), 5.0, 5.0)
    np.testing.assert_array_equal(classes, [3, 3, 1])
    # 100 % ends at the smallest positive value; zero cells never reach a class
    assert kernels.cumulative_thresholds(np.array([3.0, 1.0, 0.0, 0.0]), 1.0, (100.0,))[0] == 1.0
    # no service at all, or a share of 0 %: no cell is extremely important
    assert np.isinf(kernels.cumulative_thresholds(np.zeros(4), 1.0, (50.0,))).all()
    assert np.isinf(kernels.cumulative_thresholds(np.ones(4), 1.0, (0.0,))).all()
    # nodata cells are left out of the total and stay nodata
    values = np.array([NAN, 6.0, 4.0])
    assert kernels.cumulative_thresholds(values, 1.0, (50.0,))[0] == 6.0
    assert np.isnan(kernels.grade_by_thresholds(values, 6.0, 4.0)[0])


def test_a_block_of_equal_values_goes_to_the_nearer_share() -> None:
    # two cells of 0.9, four of 0.8, ten of 0.1 (equal cells): total 1.8 + 3.2 + 1.0 = 6.0.
    # Cumulative shares: after the 0.9s 30 %, after the 0.8 block 83.3 %, then 100 %.
    # 50 % is crossed inside the 0.8 block: 'higher' puts the whole block in the top class
    # (83.3 % of the service), 'nearest' leaves it out (30 %: |30 - 50| = 20 < |83.3 - 50|).
    # 80 % is crossed in the same block, nearer its end (|83.3 - 80| < |30 - 80|): 0.8 for both.
    values = np.array([0.9] * 2 + [0.8] * 4 + [0.1] * 10)
    np.testing.assert_allclose(kernels.cumulative_thresholds(values, 1.0, (50.0, 80.0)), [0.8, 0.8])
    np.testing.assert_allclose(kernels.cumulative_thresholds(values, 1.0, (50.0, 80.0), "nearest"),
                               [0.9, 0.8])
    # a block at the top has nothing above it: it stays in the top class
    assert kernels.cumulative_thresholds(np.array([5.0, 5.0, 1.0]), 1.0, (50.0,), "nearest")[0] == 5
    # without ties 'nearest' may drop the crossing cell: 1..10, 50 % crossed at 7 (61.8 %;
    # 49.1 % without it) -> 8
    assert kernels.cumulative_thresholds(np.arange(1.0, 11.0), 1.0, (50.0,), "nearest")[0] == 8
    with pytest.raises(ValueError, match="ties must be one of"):
        kernels.cumulative_thresholds(values, 1.0, (50.0,), "lower")


def test_break_ties_parameter_reaches_the_grading() -> None:
    # the ring of nine 9s of the hand case is one block holding 100 % of the water: it is the
    # top block, so both rules keep it extremely important
    for rule in ("higher", "nearest"):
        row = run(_inputs(break_ties=rule))["importance_thresholds"].iloc[0]
        assert row["threshold_extremely_important"] == 9.0
    values = np.array([[0.9, 0.9, 0.8, 0.8, 0.8, 0.8, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1,
                        0.1, 0.1]])
    g = GridSpec.from_crs(CHINA_ALBERS, Affine(1000.0, 0, 0, 0, -1000.0, 5_000_000.0), (1, 16))
    inputs = {"habitat_quality": from_array(values, g, name="h", units=""), "smoothing_window": 1,
              "max_hole_area": 0.0, "min_patch_area": 0.0, "extremely_important_percent": 50.0,
              "important_percent": 80.0, "extremely_sensitive_class": 3}
    higher = run({**inputs, "break_ties": "higher"})["importance_class"].values
    nearest = run({**inputs, "break_ties": "nearest"})["importance_class"].values
    assert (higher == 3).sum() == 6 and (nearest == 3).sum() == 2


def test_services_merge_by_their_highest_class() -> None:
    a = np.array([[1.0, 3.0], [NAN, 2.0]])
    b = np.array([[2.0, 1.0], [NAN, NAN]])
    np.testing.assert_array_equal(kernels.merge_importance([a, b]), [[2, 3], [NAN, 2]])


# ---------------------------------------------------------------- clean-up

def test_majority_filter_removes_a_spur_and_fills_a_notch() -> None:
    mask = np.zeros((7, 7), dtype=bool)
    mask[1:4, 1:4] = True
    mask[2, 2] = False  # a notch inside: 8 of the 9 window cells are red line -> filled
    mask[5, 5] = True  # an isolated cell: 1 of its 9 window cells -> removed
    valid = np.ones_like(mask)
    out = kernels.majority_filter(mask, valid, 3)
    assert out[2, 2] and not out[5, 5]
    # corner of the block (1, 1): window rows 0-2, cols 0-2 holds 4 of 9 -> removed
    assert not out[1, 1]
    # a tie keeps the cell: (0, 0) of a 2x2 grid half red line -> window holds 2 of 4
    tie = np.array([[True, True], [False, False]])
    np.testing.assert_array_equal(kernels.majority_filter(tie, np.ones((2, 2), bool), 3), tie)
    # nodata cells neither vote nor change; window 1 = no smoothing
    assert not kernels.majority_filter(mask, ~mask, 3).any()
    np.testing.assert_array_equal(kernels.majority_filter(mask, valid, 1), mask)


def test_hole_filling_fills_a_one_cell_hole() -> None:
    ring = np.zeros((5, 5), dtype=bool)
    ring[1:4, 1:4] = True
    ring[2, 2] = False  # a one-cell hole, enclosed on all eight sides
    valid = np.ones_like(ring)
    area = np.full((5, 1), 900.0)  # 30 m cells
    assert kernels.fill_holes(ring, valid, area, 901.0)[2, 2]
    # strictly smaller than the limit: a 900 m² hole stays with a 900 m² limit
    assert not kernels.fill_holes(ring, valid, area, 900.0)[2, 2]
    # a bay open to the grid edge is not a hole
    bay = ring.copy()
    bay[1:3, 2] = False
    bay[0, 2] = False
    assert not kernels.fill_holes(bay, valid, area, 1e9)[1:3, 2].any()
    # a gap closed only diagonally leaks (background is 8-connected): not a hole
    diagonal = np.zeros((3, 3), dtype=bool)
    diagonal[0, 1] = diagonal[1, 0] = diagonal[1, 2] = diagonal[2, 1] = True
    padded = np.pad(diagonal, 1)
    filled = kernels.fill_holes(padded, np.ones_like(padded), 1.0, 1e9)
    assert not filled[2, 2]
    # a hole next to a nodata cell is not taken as enclosed
    nodata_nearby = valid.copy()
    nodata_nearby[2, 2] = True
    hole_by_nodata = np.ones((5, 5), dtype=bool)
    hole_by_nodata[2, 2] = False
    hole_by_nodata[2, 3] = False
    valid_with_gap = valid.copy()
    valid_with_gap[2, 3] = False
    assert not kernels.fill_holes(hole_by_nodata, valid_with_gap, area, 1e9)[2, 2]


def test_minimum_patch_area_uses_true_cell_areas() -> None:
    mask = np.array([[1, 1, 0, 0, 1],
                     [0, 0, 0, 0, 0],
                     [1, 1, 0, 0, 0],
                     [0, 0, 1, 0, 0]], dtype=bool)
    # row areas (km² as m² / 1e6): rows 0-1 cells of 0.6, rows 2-3 cells of 0.4
    area = np.array([[0.6e6], [0.6e6], [0.4e6], [0.4e6]])
    out = kernels.remove_small_patches(mask, area, 1.0e6)
    # (0,0)-(0,1): 1.2 km² kept; (0,4): 0.6 removed; (2,0)-(2,1): 0.8 removed; (3,2) touches
    # (2,1) only by a corner, so it is a separate 0.4 km² patch (4-connectivity): removed
    expected = np.zeros_like(mask)
    expected[0, 0:2] = True
    np.testing.assert_array_equal(out, expected)
    labels, count = kernels.label_patches(mask)
    assert count == 4
    np.testing.assert_allclose(kernels.patch_areas_m2(labels, count, area)[1:].sum(), 3.0e6)


def test_conflict_classes() -> None:
    redline = np.array([[1.0, 1.0, 1.0, 0.0, NAN, 1.0]])
    land_use = np.array([[11.0, 51.0, 21.0, 11.0, 11.0, NAN]])
    np.testing.assert_array_equal(kernels.conflict_classes(redline, land_use, [11, 12], [51]),
                                  [[1, 2, 0, 0, NAN, NAN]])


# ---------------------------------------------------------------- the model, by hand

# 5x5 cells of 1 km (1 km² each, China Albers), x 0..5000 m, y 4 995 000..5 000 000 m.
#   water conservation: a ring of eight cells of 9 around (1,1) and a lone 9 at (4,4); total 81.
#     All nine 9s tie at the top -> the 50 % threshold is 9 -> all nine extremely important.
#   sensitivity class 3 (extremely sensitive) at (4,0) and (4,1).
#   candidate = ring (8) + (4,4) + (4,0),(4,1). No smoothing (window 1).
#   holes < 1.5 km² filled: (1,1) -> a 3x3 block of 9 km².
#   patches < 1.5 km² removed: (4,4) (1 km²) goes; (4,0)-(4,1) (2 km²) stays.
#   red line: the 3x3 block (9 km²) + the pair (2 km²) = 11 km².
WATER = np.array([[9, 9, 9, 0, 0],
                  [9, 0, 9, 0, 0],
                  [9, 9, 9, 0, 0],
                  [0, 0, 0, 0, 0],
                  [0, 0, 0, 0, 9]], dtype=float)
SENSITIVITY = np.ones((5, 5))
SENSITIVITY[4, 0:2] = 3
#   land use: cropland 11 at (0,0), (0,1), (4,0); built-up 51 at (2,2); forest 21 elsewhere
LAND_USE = np.full((5, 5), 21.0)
LAND_USE[0, 0] = LAND_USE[0, 1] = LAND_USE[4, 0] = 11
LAND_USE[2, 2] = 51
EXPECTED_REDLINE = np.array([[1, 1, 1, 0, 0],
                             [1, 1, 1, 0, 0],
                             [1, 1, 1, 0, 0],
                             [0, 0, 0, 0, 0],
                             [1, 1, 0, 0, 0]], dtype=float)
GRID = GridSpec.from_crs(CHINA_ALBERS, Affine(1000.0, 0, 0, 0, -1000.0, 5_000_000.0), (5, 5))


def _inputs(**extra: object) -> dict[str, object]:
    # west unit: x 0..1500 (column 0 and half of column 1); east: x 1500..5000
    zones = gpd.GeoDataFrame({"name": ["west", "east"]},
                             geometry=[box(0, 4_995_000, 1_500, 5_000_000),
                                       box(1_500, 4_995_000, 5_000, 5_000_000)], crs=CHINA_ALBERS)
    basins = gpd.GeoDataFrame({"basin": ["all"]}, geometry=[box(0, 4_995_000, 5_000, 5_000_000)],
                              crs=CHINA_ALBERS)
    values: dict[str, object] = {
        "water_conservation": from_array(WATER, GRID, name="water_conservation", units="mm/yr"),
        "sensitivity_class": from_array(SENSITIVITY, GRID, name="sensitivity_class", units=None),
        "land_use": from_array(LAND_USE, GRID, name="land_use", units=None),
        "zones": zones, "zone_field": "name", "basins": basins, "basin_field": "basin",
        "cropland_codes": "11, 12", "built_up_codes": "51,52,53",
        "smoothing_window": 1, "max_hole_area": 1.5, "min_patch_area": 1.5,
    }
    defaults = {i.id: i.default for i in MODEL.spec.inputs
                if isinstance(i, ParamInput) and i.default is not None}
    return {**defaults, **values, **extra}


def test_model_by_hand(tmp_path) -> None:
    # cropland and built-up land kept in the red line (reported as conflicts only)
    out = tmp_path / "out"
    manifest = run_in_memory(MODEL, _inputs(exclude_cropland_built_up=False), out)
    import rasterio

    with rasterio.open(out / "redline.tif") as src:
        np.testing.assert_array_equal(src.read(1), EXPECTED_REDLINE)
        assert src.dtypes[0] == "uint8"
    with rasterio.open(out / "importance_class.tif") as src:
        np.testing.assert_array_equal(src.read(1), np.where(WATER == 9, 3, 1))
    with rasterio.open(out / "conflict.tif") as src:
        conflict = src.read(1)
    # cropland in the red line at (0,0), (0,1), (4,0); built-up at (2,2)
    assert {tuple(c) for c in np.argwhere(conflict == 1)} == {(0, 0), (0, 1), (4, 0)}
    assert [tuple(c) for c in np.argwhere(conflict == 2)] == [(2, 2)]

    polygons = gpd.read_file(out / "redline_polygons.gpkg")
    assert sorted(polygons["area_km2"]) == pytest.approx([2.0, 9.0])
    # equal-area grid: polygon areas agree with the cell areas
    assert sorted(polygons.geometry.area / 1e6) == pytest.approx([2.0, 9.0])

    table = pd.read_csv(out / "redline_by_zone.csv").set_index("zone")
    # west: column 0 (5 km²) + half of column 1 (2.5 km²) = 7.5 km²;
    #   red line: column 0 rows 0,1,2,4 = 4 km² + half of column 1 rows 0,1,2,4 = 2 km² -> 6 km²,
    #   6 / 7.5 = 80 %; cropland in it: (0,0) 1 + half of (0,1) 0.5 + (4,0) 1 = 2.5 km²
    assert table.loc["west", "area_km2"] == pytest.approx(7.5)
    assert table.loc["west", "redline_km2"] == pytest.approx(6.0)
    assert table.loc["west", "redline_percent"] == pytest.approx(80.0)
    assert table.loc["west", "cropland_conflict_km2"] == pytest.approx(2.5)
    assert table.loc["west", "built_up_conflict_km2"] == pytest.approx(0.0)
    # east: 17.5 km²; red line 11 - 6 = 5 km² (28.571 %); cropland half of (0,1) = 0.5;
    #   built-up (2,2) = 1 km²
    assert table.loc["east", "area_km2"] == pytest.approx(17.5)
    assert table.loc["east", "redline_km2"] == pytest.approx(5.0)
    assert table.loc["east", "redline_percent"] == pytest.approx(100 * 5 / 17.5)
    assert table.loc["east", "cropland_conflict_km2"] == pytest.approx(0.5)
    assert table.loc["east", "built_up_conflict_km2"] == pytest.approx(1.0)
    basins = pd.read_csv(out / "redline_by_basin.csv")
    assert basins.loc[0, "redline_km2"] == pytest.approx(11.0)
    assert basins.loc[0, "redline_percent"] == pytest.approx(44.0)

    thresholds = pd.read_csv(out / "importance_thresholds.csv")
    assert thresholds.loc[0, "threshold_extremely_important"] == 9.0
    assert thresholds.loc[0, "share_extremely_important_percent"] == pytest.approx(100.0)
    assert thresholds.loc[0, "area_extremely_important_km2"] == pytest.approx(9.0)
    written = json.loads((out / "manifest.json").read_text())
    assert written["outputs"]["redline_by_zone"]["units"]["redline_km2"] == "km**2"
    assert "importance_sand_fixation" not in manifest["outputs"]


def test_cropland_and_built_up_land_are_excluded_by_default() -> None:
    # The red line of test_model_by_hand (3x3 block + the pair (4,0)-(4,1)) without cropland
    # (0,0), (0,1), (4,0) and built-up (2,2): the block keeps 6 cells, 4-connected (6 km² ≥
    # 1.5 km²); the pair loses (4,0) and (4,1) alone (1 km²) falls below the minimum patch.
    outputs = run(_inputs())
    expected = np.array([[0, 0, 1, 0, 0],
                         [1, 1, 1, 0, 0],
                         [1, 1, 0, 0, 0],
                         [0, 0, 0, 0, 0],
                         [0, 0, 0, 0, 0]], dtype=float)
    np.testing.assert_array_equal(outputs["redline"].values, expected)
    # the conflicts are what was removed: cropland (0,0), (0,1), (4,0); built-up (2,2)
    conflict = outputs["conflict"].values
    assert {tuple(c) for c in np.argwhere(conflict == 1)} == {(0, 0), (0, 1), (4, 0)}
    assert [tuple(c) for c in np.argwhere(conflict == 2)] == [(2, 2)]
    table = outputs["redline_by_zone"].set_index("zone")
    # west (x 0..1500): (1,0), (2,0) = 2 km² + half of (1,1), (2,1) = 1 km² -> 3 of 7.5 km²
    assert table.loc["west", "redline_km2"] == pytest.approx(3.0)
    assert table.loc["west", "redline_percent"] == pytest.approx(40.0)
    # east: half of (1,1), (2,1) = 1 km² + (0,2), (1,2) = 2 km² -> 3 km²
    assert table.loc["east", "redline_km2"] == pytest.approx(3.0)
    assert table.loc["west", "cropland_conflict_km2"] == pytest.approx(2.5)
    assert table.loc["east", "built_up_conflict_km2"] == pytest.approx(1.0)
    # without land use nothing is excluded
    no_land_use = {k: v for k, v in _inputs().items() if k != "land_use"}
    np.testing.assert_array_equal(run(no_land_use)["redline"].values, EXPECTED_REDLINE)


# 1 x 5 cells of 1 km; the region (zones) covers the first four cells, the fifth lies outside.
ROW_GRID = GridSpec.from_crs(CHINA_ALBERS, Affine(1000.0, 0, 0, 0, -1000.0, 5_000_000.0), (1, 5))


def _row_inputs(zone_right: float, **extra: object) -> dict[str, object]:
    values = np.array([[1.0, 2.0, 3.0, 4.0, 100.0]])
    zones = gpd.GeoDataFrame({"name": ["belt"]},
                             geometry=[box(0, 4_999_000, zone_right, 5_000_000)], crs=CHINA_ALBERS)
    defaults = {i.id: i.default for i in MODEL.spec.inputs
                if isinstance(i, ParamInput) and i.default is not None}
    return {**defaults, "water_conservation": from_array(values, ROW_GRID, name="w", units="mm/yr"),
            "zones": zones, "zone_field": "name", "smoothing_window": 1, "max_hole_area": 0.0,
            "min_patch_area": 0.0, **extra}


def test_grading_inside_the_region_only() -> None:
    # Inside the region (values 1, 2, 3, 4; total 10) the cumulative shares from the top are
    # 4 -> 40 %, 3 -> 70 %, 2 -> 90 %: 50 % is reached at 3, 80 % at 2. So 4 and 3 are
    # extremely important, 2 important, 1 generally important; the fifth cell (100, outside)
    # takes no part and is nodata.
    outputs = run(_row_inputs(4000.0))
    np.testing.assert_array_equal(outputs["importance_class"].values, [[1, 2, 3, 3, NAN]])
    np.testing.assert_array_equal(outputs["redline"].values, [[0, 0, 1, 1, NAN]])
    row = outputs["importance_thresholds"].iloc[0]
    assert (row["threshold_extremely_important"], row["threshold_important"]) == (3.0, 2.0)
    assert row["area_extremely_important_km2"] == pytest.approx(2.0)
    assert row["share_extremely_important_percent"] == pytest.approx(70.0)
    # Over the whole grid (total 110) the outside cell alone holds 90.9 %: both breaks are
    # 100, and every cell of the region is generally important.
    outputs = run(_row_inputs(4000.0, grading_extent="grid"))
    np.testing.assert_array_equal(outputs["importance_class"].values, [[1, 1, 1, 1, 3]])
    # A cell on the region's edge counts with the fraction inside: with the boundary at
    # x = 3500 the cell of 4 weighs half (amounts 1, 2, 3, 2; total 8): 4 -> 25 %, 3 -> 62.5 %,
    # 2 -> 87.5 %; the area of the extremely important class is 0.5 + 1 = 1.5 km².
    row = run(_row_inputs(3500.0))["importance_thresholds"].iloc[0]
    assert (row["threshold_extremely_important"], row["threshold_important"]) == (3.0, 2.0)
    assert row["area_extremely_important_km2"] == pytest.approx(1.5)
    assert row["share_extremely_important_percent"] == pytest.approx(62.5)


def test_zones_off_the_grid_are_an_error() -> None:
    inputs = _row_inputs(4000.0)
    inputs["zones"] = gpd.GeoDataFrame({"name": ["far"]}, geometry=[box(9e5, 0, 9.1e5, 1e4)],
                                       crs=CHINA_ALBERS)
    with pytest.raises(InputError, match=r"input 'zones'.*do not overlap the grid"):
        run(inputs)


def test_without_clean_up_the_candidate_is_the_red_line(tmp_path) -> None:
    outputs = run(_inputs(max_hole_area=0.0, min_patch_area=0.0, exclude_cropland_built_up=False))
    candidate = np.where(WATER == 9, 1.0, 0.0)
    candidate[4, 0:2] = 1.0
    np.testing.assert_array_equal(outputs["redline"].values, candidate)
    np.testing.assert_array_equal(outputs["redline_candidate"].values, candidate)
    # no zones: one row for the whole grid (25 km²; 8 + 1 + 2 = 11 km² of red line)
    outputs = run({k: v for k, v in _inputs(max_hole_area=0.0, min_patch_area=0.0,
                                            exclude_cropland_built_up=False).items()
                   if k not in ("zones", "zone_field")})
    row = outputs["redline_by_zone"].iloc[0]
    assert row["zone"] == "all" and row["area_km2"] == pytest.approx(25.0)
    assert row["redline_km2"] == pytest.approx(11.0)


def test_example_runs(tmp_path) -> None:
    manifest = run_in_memory(MODEL, MODEL.example(), tmp_path / "out")
    for output in MODEL.spec.outputs:
        if not output.optional:
            assert output.id in manifest["outputs"]


def test_empty_red_line_writes_an_empty_layer(tmp_path) -> None:
    run_in_memory(MODEL, _inputs(min_patch_area=100.0), tmp_path / "out")
    assert len(gpd.read_file(tmp_path / "out" / "redline_polygons.gpkg")) == 0


# ---------------------------------------------------------------- bad input

def test_no_service_layer_is_an_error() -> None:
    inputs = _inputs()
    del inputs["water_conservation"]
    with pytest.raises(InputError, match=r"no service layer given; give at least one of "
                                         r"\['water_conservation'"):
        run(inputs)


@pytest.mark.parametrize(("name", "value", "message"), [
    ("extremely_important_percent", 0.0, r"0 percent \(from 0.0\) is not allowed; it must be "
                                         r"greater than 0 percent"),
    ("important_percent", 120.0, r"120 percent \(from 120.0\) is above the allowed maximum 100"),
    ("extremely_important_percent", 85.0, r"must be below important_percent \(80 %\)"),
    ("smoothing_window", 4, "not an odd number"),
])
def test_bad_grading_parameters_are_named(name: str, value: object, message: str,
                                          tmp_path) -> None:
    with pytest.raises(InputError, match=message) as err:
        run_in_memory(MODEL, _inputs(**{name: value}), tmp_path / "out")
    assert f"parameter '{name}'" in str(err.value)


def test_threshold_outside_0_100_from_the_command_line(tmp_path, make_raster) -> None:
    water = make_raster(WATER, "water", res=1000.0)
    with pytest.raises(InputError, match=r"parameter 'important_percent'.*above the allowed "
                                         r"maximum 100"):
        run_model(MODEL, {"water_conservation": water}, {"important_percent": "150"},
                  tmp_path / "out")


def test_land_use_without_codes_is_an_error() -> None:
    inputs = _inputs()
    del inputs["built_up_codes"]
    with pytest.raises(InputError, match=r"parameter 'built_up_codes'.*land-use codes of "
                                         r"cropland and built-up land are needed"):
        run(inputs)
    with pytest.raises(InputError, match=r"parameter 'cropland_codes'.*'1a' is not an integer"):
        run(_inputs(cropland_codes="11,1a"))
    with pytest.raises(InputError, match=r"code\(s\) \[11\] are listed as both"):
        run(_inputs(built_up_codes="11,51"))


def test_negative_service_names_the_cell(tmp_path) -> None:
    water = WATER.copy()
    water[3, 2] = -1.0
    inputs = _inputs(water_conservation=from_array(water, GRID, name="water_conservation",
                                                   units="mm/yr"))
    with pytest.raises(InputError, match=r"input 'water_conservation' \(in memory\): cell "
                                         r"\(row 3, col 2\): value -1 mm/yr below the allowed "
                                         r"minimum 0"):
        run_in_memory(MODEL, inputs, tmp_path / "out")


def test_unknown_zone_field_is_named() -> None:
    with pytest.raises(InputError, match=r"no field 'county' \(parameter 'zone_field'\)"):
        run(_inputs(zone_field="county"))
