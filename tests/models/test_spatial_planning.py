"""`spatial_planning`: the urban development boundary on shapes whose areas are worked by hand
(1 km cells on an equal-area grid, so 1 cell = 1 km²), the resolution of overlapping control
lines by precedence (中共中央办公厅、国务院办公厅 2019, 关于在国土空间规划中统筹划定落实三条控制线的
指导意见: red line > permanent basic farmland > urban boundary by default), the per-unit conflict
table against the overlap raster, and construction-land efficiency by hand."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from shapely.geometry import box

from ecociv.grid.io import from_array
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.spatial_planning import kernels
from ecociv.models.spatial_planning.model import construction_land_table, run

BUILT, CROP, GRASS, WATER = 5, 1, 3, 4
TOP = 5_000_000.0


def _grid(shape: tuple[int, int]) -> GridSpec:
    return GridSpec.from_crs(CHINA_ALBERS, Affine(1000.0, 0, 0, 0, -1000.0, TOP), shape)


def _inputs(land_use: np.ndarray, **extra: Any) -> dict[str, Any]:
    """Inputs on 1 km cells with every boundary operation off unless given."""
    grid = _grid(land_use.shape)
    values: dict[str, Any] = {"land_use": from_array(land_use, grid, name="land_use", units=None),
                              "built_up_codes": "5", "cropland_codes": "1", "water_codes": "4",
                              "buffer_distance": 0.0, "closing_distance": 0.0,
                              "max_hole_area": 0.0, "min_patch_area": 0.0,
                              "expansion_factor": 0.0, "exclude_water": True,
                              "derive_basic_farmland": False, "precedence":
                              "redline,basic_farmland,urban_boundary"}
    for key, value in extra.items():
        if isinstance(value, np.ndarray):
            value = from_array(value, grid, name=key, units=None)
        values[key] = value
    return values


def _array(outputs: dict[str, Any], name: str) -> np.ndarray:
    return np.asarray(outputs[name].values)


def _km2(outputs: dict[str, Any], name: str) -> float:
    return float(np.nansum(_array(outputs, name)))


# ------------------------------------------------------------------ boundary on known shapes

def test_buffer_around_one_cell_takes_the_cells_within_the_distance() -> None:
    # one built-up cell in the middle of 9x9 grassland, no suitability given (all land may
    # grow). Cell centres within 2000 m: offsets (i, j) with i² + j² <= 4 -> 1 + 4 (distance 1)
    # + 4 (diagonals, sqrt 2) + 4 (distance 2) = 13 cells = 13 km². Within 1500 m: i² + j² <=
    # 2.25 -> the 3x3 block, 9 km².
    land = np.full((9, 9), GRASS)
    land[4, 4] = BUILT
    assert _km2(run(_inputs(land, buffer_distance=2000.0)), "urban_boundary") == 13
    assert _km2(run(_inputs(land, buffer_distance=1500.0)), "urban_boundary") == 9


def test_buffer_takes_only_suitable_land_and_never_water() -> None:
    # same cell; suitability 4 in the east half (columns >= 4), 1 elsewhere; water in column 5.
    # Within 2000 m of (4, 4) and in columns >= 4: columns 4 (5 cells: rows 2..6), 5 (3 cells:
    # rows 3..5), 6 (1 cell) -> 9; column 5 is water -> 9 - 3 = 6 cells (the centre included).
    land = np.full((9, 9), GRASS)
    land[:, 5] = WATER
    land[4, 4] = BUILT
    suitability = np.where(np.arange(9)[None, :] >= 4, 4, 1) * np.ones((9, 1), dtype=int)
    out = run(_inputs(land, buffer_distance=2000.0, urban_suitability=suitability))
    boundary = _array(out, "urban_boundary")
    assert boundary.sum() == 6
    assert boundary[:, 5].sum() == 0 and boundary[:, :4].sum() == 0


def test_minimum_patch_area_removes_the_small_block() -> None:
    # a 3x3 block (9 km²) and a 2x2 block (4 km²) of built-up land, apart
    land = np.full((8, 10), GRASS)
    land[1:4, 1:4] = BUILT
    land[5:7, 6:8] = BUILT
    assert _km2(run(_inputs(land, min_patch_area=4.0)), "urban_boundary") == 13
    assert _km2(run(_inputs(land, min_patch_area=5.0)), "urban_boundary") == 9
    assert _km2(run(_inputs(land, min_patch_area=10.0)), "urban_boundary") == 0


def test_closing_bridges_a_one_cell_gap_and_hole_filling_fills_small_holes() -> None:
    # two 3x3 blocks one column apart (columns 1-3 and 5-7, rows 1-3).
    # Closing by a disc of 1500 m (the 3x3 square): the dilation covers rows 0-4, columns 0-8;
    # the erosion keeps a cell when its whole 3x3 window is covered, which holds for the gap
    # column 4, rows 1-3 (but not for row 0 or 4, whose window reaches off the grid) -> 18 + 3.
    # By a disc of 1000 m (the cross of 5 cells): (0, 4) is not in the dilation (none of its
    # 4 neighbours is built-up), so (1, 4) and (3, 4) are eroded again -> 18 + 1 = 19 km².
    land = np.full((5, 9), GRASS)
    land[1:4, 1:4] = BUILT
    land[1:4, 5:8] = BUILT
    assert _km2(run(_inputs(land)), "urban_boundary") == 18
    assert _km2(run(_inputs(land, closing_distance=1500.0)), "urban_boundary") == 21
    assert _km2(run(_inputs(land, closing_distance=1000.0)), "urban_boundary") == 19
    # a ring of 8 cells around one hole of 1 km²: filled below 2 km², kept at exactly 1 km²
    ring = np.full((5, 5), GRASS)
    ring[1:4, 1:4] = BUILT
    ring[2, 2] = GRASS
    assert _km2(run(_inputs(ring, max_hole_area=2.0)), "urban_boundary") == 9
    assert _km2(run(_inputs(ring, max_hole_area=1.0)), "urban_boundary") == 8


def test_expansion_factor_caps_growth_nearest_first() -> None:
    # a row of 4 built-up cells (row 3, columns 3-6) in 7x10 grassland; growth to any land
    # within 3000 m; factor 1.5 -> at most 6 km²: the core (4) plus the two nearest cells. All
    # cells at 1000 m tie (10 of them); ties go to the higher score (here all 0), then to the
    # first in row order, so two cells of row 2 are taken.
    land = np.full((7, 10), GRASS)
    land[3, 3:7] = BUILT
    out = run(_inputs(land, buffer_distance=3000.0, expansion_factor=1.5))
    boundary = _array(out, "urban_boundary")
    assert boundary.sum() == 6
    assert boundary[3, 3:7].all()
    assert {tuple(c) for c in np.argwhere(boundary == 1)} == {
        (3, 3), (3, 4), (3, 5), (3, 6), (2, 3), (2, 4)}
    table = out["planning_by_zone"].set_index("zone")
    assert table.loc["all", "boundary_expansion_ratio"] == pytest.approx(1.5)
    # with a base map of 2 built-up cells, the cap is 1.5 x 2 = 3 km² < the core: the core stays
    initial = land.copy()
    initial[3, 5:7] = GRASS
    out = run(_inputs(land, buffer_distance=3000.0, expansion_factor=1.5, initial_land_use=initial))
    assert _km2(out, "urban_boundary") == 4
    row = out["planning_by_zone"].set_index("zone").loc["all"]
    assert (row["built_up_base_km2"], row["built_up_growth_km2"]) == (2, 2)
    assert (row["boundary_cap_km2"], row["urban_boundary_km2"]) == (3, 4)  # the core exceeds it


def test_caps_apply_per_unit() -> None:
    # two units (west columns 0-4, east 5-9), each with a 2-cell core; factor 2 -> 4 km² each
    land = np.full((6, 10), GRASS)
    land[2, 1:3] = BUILT
    land[2, 7:9] = BUILT
    zones = gpd.GeoDataFrame({"name": ["west", "east"]}, crs=CHINA_ALBERS,
                             geometry=[box(0, TOP - 6000, 5000, TOP), box(5000, TOP - 6000, 10_000, TOP)])
    out = run(_inputs(land, buffer_distance=5000.0, expansion_factor=2.0, zones=zones,
                      zone_field="name"))
    table = out["planning_by_zone"].set_index("zone")
    assert table.loc["west", "urban_boundary_km2"] == pytest.approx(4)
    assert table.loc["east", "urban_boundary_km2"] == pytest.approx(4)


# ------------------------------------------------------------------ lines and their conflicts

def _overlap_case() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # 4x4 grid. Built-up (urban claim) in rows 0-1; basic farmland (given) in columns 0-1; red
    # line in column 0 and cell (3, 3). Claims (bits 1 red, 2 farmland, 4 urban):
    #   row 0: 7 6 4 4      row 2: 3 2 0 0
    #   row 1: 7 6 4 4      row 3: 3 2 0 1
    land = np.full((4, 4), GRASS)
    land[0:2, :] = BUILT
    farmland = np.zeros((4, 4), dtype=int)
    farmland[:, 0:2] = 1
    redline = np.zeros((4, 4), dtype=int)
    redline[:, 0] = 1
    redline[3, 3] = 1
    return land, farmland, redline


def test_overlaps_are_resolved_by_the_default_precedence() -> None:
    land, farmland, redline = _overlap_case()
    out = run(_inputs(land, basic_farmland=farmland, redline=redline))
    np.testing.assert_array_equal(_array(out, "plan_conflict"),
                                  [[7, 6, 4, 4], [7, 6, 4, 4], [3, 2, 0, 0], [3, 2, 0, 1]])
    # red line wins column 0, farmland column 1, the urban boundary keeps columns 2-3 of rows 0-1
    np.testing.assert_array_equal(_array(out, "control_lines"),
                                  [[1, 2, 3, 3], [1, 2, 3, 3], [1, 2, 0, 0], [1, 2, 0, 1]])
    assert (_array(out, "urban_boundary") * redline).sum() == 0
    # spaces: red line ecological, farmland agricultural, boundary urban, grass ecological
    np.testing.assert_array_equal(_array(out, "three_zones"),
                                  [[1, 2, 3, 3], [1, 2, 3, 3], [1, 2, 1, 1], [1, 2, 1, 1]])
    conflicts = out["conflict_by_zone"]
    got = {(r.claims, r.resolved_to): r.area_km2 for r in conflicts.itertuples()}
    assert got == {("redline+basic_farmland", "redline"): 2.0,
                   ("redline+urban_boundary+basic_farmland".replace("+urban_boundary+basic_farmland",
                    "+basic_farmland+urban_boundary"), "redline"): 2.0,
                   ("basic_farmland+urban_boundary", "basic_farmland"): 2.0}
    # areas add up: 16 km² = ecological + agricultural + urban space
    row = out["planning_by_zone"].iloc[-1]
    assert row["zone"] == "all"
    assert row["ecological_space_km2"] + row["agricultural_space_km2"] + row["urban_space_km2"] == 16
    assert (row["redline_km2"], row["basic_farmland_km2"], row["urban_boundary_km2"]) == (5, 4, 4)
    assert row["urban_boundary_candidate_km2"] == 8


def test_a_custom_precedence_lets_the_urban_boundary_win() -> None:
    land, farmland, redline = _overlap_case()
    out = run(_inputs(land, basic_farmland=farmland, redline=redline,
                      precedence="urban_boundary, redline, basic_farmland"))
    np.testing.assert_array_equal(_array(out, "control_lines"),
                                  [[3, 3, 3, 3], [3, 3, 3, 3], [1, 2, 0, 0], [1, 2, 0, 1]])
    resolved = set(out["conflict_by_zone"]["resolved_to"])
    assert resolved == {"urban_boundary", "redline"}


def test_resolve_lines_kernel_on_every_combination() -> None:
    # the 8 combinations of three claims, one per cell; the winner is the first claimer in the
    # precedence, for each of the 6 orders
    bits = np.arange(8)
    claims = {"redline": bits & 1 > 0, "basic_farmland": bits & 2 > 0, "urban_boundary": bits & 4 > 0}
    codes = {"redline": 1, "basic_farmland": 2, "urban_boundary": 3}
    from itertools import permutations

    for order in permutations(codes):
        lines = kernels.resolve_lines(claims, order, codes)
        for cell in range(8):
            claimers = [p for p in order if claims[p][cell]]
            assert lines[cell] == (codes[claimers[0]] if claimers else 0)
    np.testing.assert_array_equal(kernels.claim_bits(claims, {"redline": 1, "basic_farmland": 2,
                                                              "urban_boundary": 4}), bits)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_random_grids_boundary_never_enters_the_red_line_and_tables_match_rasters(seed: int) -> None:
    rng = np.random.default_rng(seed)
    shape = (30, 40)
    land = rng.choice([CROP, GRASS, BUILT, WATER], size=shape, p=[0.4, 0.35, 0.2, 0.05])
    redline = (rng.random(shape) < 0.3).astype(int)
    suitability = rng.integers(0, 5, size=shape)
    farmland_suit = rng.integers(0, 5, size=shape)
    zones = gpd.GeoDataFrame({"name": ["a", "b", "c"]}, crs=CHINA_ALBERS, geometry=[
        box(0, TOP - 30_000, 15_000, TOP), box(15_000, TOP - 30_000, 40_000, TOP - 12_000),
        box(15_000, TOP - 12_000, 40_000, TOP)])
    out = run(_inputs(land, redline=redline, urban_suitability=suitability,
                      agricultural_suitability=farmland_suit, derive_basic_farmland=True,
                      buffer_distance=1500.0, closing_distance=1000.0, max_hole_area=3.0,
                      min_patch_area=2.0, expansion_factor=1.3, zones=zones, zone_field="name"))
    boundary = _array(out, "urban_boundary")
    assert (boundary * redline).sum() == 0
    bits = _array(out, "plan_conflict").astype(int)
    # basic farmland (derived from cropland with agricultural class >= 3) never in the boundary
    assert not (boundary.astype(bool) & (bits & 2 > 0)).any()
    table = out["conflict_by_zone"]
    units = table[table["zone"] != "all"]
    for code in (3, 5, 6, 7):
        expected = float((bits == code).sum())  # km²
        assert units.loc[units["claims_code"] == code, "area_km2"].sum() == pytest.approx(expected)
        assert table.loc[(table["zone"] == "all") & (table["claims_code"] == code),
                         "area_km2"].sum() == pytest.approx(expected)
    planning = out["planning_by_zone"].set_index("zone")
    assert planning.loc["all", ["ecological_space_km2", "agricultural_space_km2",
                                "urban_space_km2"]].sum() == pytest.approx(shape[0] * shape[1])
    assert planning.loc[["a", "b", "c"], "urban_boundary_km2"].sum() == pytest.approx(boundary.sum())
    # the cap holds per unit (cells by centre = exact fractions here: the units follow cells)
    ratio = planning.loc[["a", "b", "c"], "boundary_expansion_ratio"].dropna()
    core = planning.loc[["a", "b", "c"], "built_up_km2"] / planning.loc[["a", "b", "c"], "built_up_base_km2"]
    assert (ratio <= np.maximum(1.3, core[ratio.index]) + 1e-9).all()


def test_basic_farmland_is_derived_from_cropland_of_good_suitability() -> None:
    # cropland in rows 0-1; agricultural class 4 in column 0, 2 elsewhere -> 2 cells of farmland
    land = np.full((3, 3), GRASS)
    land[0:2, :] = CROP
    suitability = np.full((3, 3), 2)
    suitability[:, 0] = 4
    out = run(_inputs(land, agricultural_suitability=suitability, derive_basic_farmland=True))
    np.testing.assert_array_equal(_array(out, "control_lines"), [[2, 0, 0], [2, 0, 0], [0, 0, 0]])
    # cropland outside every line is agricultural space; grassland ecological
    np.testing.assert_array_equal(_array(out, "three_zones"), [[2, 2, 2], [2, 2, 2], [1, 1, 1]])


# ------------------------------------------------------------------ construction land

def test_construction_land_efficiency_by_hand() -> None:
    # unit A: 16 km² of construction land, cap 20, 60 000 persons, 50 x 10⁸ yuan
    #   -> 3 750 persons/km², 50e8 / 16 = 3.125e8 yuan/km² = 31 250 x 10⁴ yuan/km², 4 km² left
    # unit B: 4 km², cap 3 -> 1 km² over; no statistics
    caps = pd.DataFrame({"cap_km2": [20.0, 3.0]}, index=["A", "B"])
    stats = pd.DataFrame({"population": [60_000.0], "value_added": [50.0]}, index=["A"])
    table = construction_land_table(["A", "B", "all"], np.array([16.0, 4.0, 20.0]), caps, stats,
                                    region_cap_km2=22.0).set_index("zone")
    assert table.loc["A", "population_per_km2"] == pytest.approx(3750.0)
    assert table.loc["A", "value_added_per_km2"] == pytest.approx(31_250.0)
    assert table.loc["A", "over_cap_km2"] == pytest.approx(-4.0)
    assert table.loc["A", "over_cap"] == 0
    assert table.loc["B", "over_cap_km2"] == pytest.approx(1.0) and table.loc["B", "over_cap"] == 1
    assert np.isnan(table.loc["B", "population_per_km2"])
    # 'all': the region cap (22 km²: 2 left); statistics not summed as unit B has none
    assert table.loc["all", "over_cap_km2"] == pytest.approx(-2.0)
    assert np.isnan(table.loc["all", "population"])


def test_construction_land_through_the_model() -> None:
    land = np.full((4, 4), GRASS)
    land[0:2, 0:2] = BUILT  # 4 km²
    out = run(_inputs(land, unit_statistics=pd.DataFrame(
        {"zone": ["all"], "population": [10_000.0], "value_added": [2.0]}),
        construction_land_cap=3.0))
    row = out["construction_land"].set_index("zone").loc["all"]
    assert row["construction_land_km2"] == pytest.approx(4.0)
    assert row["over_cap_km2"] == pytest.approx(1.0)
    assert row["population_per_km2"] == pytest.approx(2500.0)
    assert row["value_added_per_km2"] == pytest.approx(5000.0)  # 2e8 yuan / 4 km² = 5000 x 10⁴


def test_with_zones_only_the_units_are_planned() -> None:
    # one unit over columns 0-2 of a 4x6 grid; built-up land in columns 2 and 3 of row 1.
    # planning_extent 'zones': column 3 is outside every unit -> nodata, never in the boundary;
    # the 'all' row is the unit (12 km²), with 1 km² of boundary. 'grid': both cells, 2 km².
    land = np.full((4, 6), GRASS)
    land[1, 2:4] = BUILT
    zones = gpd.GeoDataFrame({"name": ["u"]}, crs=CHINA_ALBERS, geometry=[box(0, TOP - 4000, 3000, TOP)])
    out = run(_inputs(land, zones=zones, zone_field="name"))
    boundary = _array(out, "urban_boundary")
    assert np.isnan(boundary[:, 3:]).all() and np.nansum(boundary) == 1
    row = out["planning_by_zone"].set_index("zone").loc["all"]
    assert (row["area_km2"], row["urban_boundary_km2"]) == (12, 1)
    out = run(_inputs(land, zones=zones, zone_field="name", planning_extent="grid"))
    assert _km2(out, "urban_boundary") == 2


def test_polygons_carry_their_area_and_unit() -> None:
    # two built-up blocks: 3x2 in the west unit, 2x2 straddling the units (3 cells east, 1 west)
    land = np.full((6, 10), GRASS)
    land[1:4, 1:3] = BUILT
    land[4, 4:6] = BUILT
    land[3, 5:7] = BUILT
    zones = gpd.GeoDataFrame({"name": ["west", "east"]}, crs=CHINA_ALBERS,
                             geometry=[box(0, TOP - 6000, 5000, TOP), box(5000, TOP - 6000, 10_000, TOP)])
    polygons = run(_inputs(land, zones=zones, zone_field="name"))["urban_boundary_polygons"]
    got = sorted(zip(polygons["area_km2"], polygons["zone"], polygons.geometry.area / 1e6, strict=True))
    assert got == [(4.0, "east", 4.0), (6.0, "west", 6.0)]


def test_growth_lost_to_the_red_line_is_relocated_within_the_cap() -> None:
    # core: row 3, columns 3-6 (4 km²); factor 1.5 -> 2 km² of growth; red line on rows 0-2.
    # The claim takes the first two cells at 1000 m in row order, (2, 3) and (2, 4): both in the
    # red line (claims code 5, resolved to the red line). Without relocation the boundary is the
    # core (4 km²); with it, the growth goes to the next cells at 1000 m outside the red line in
    # row order, (3, 2) and (3, 7): 6 km².
    land = np.full((7, 10), GRASS)
    land[3, 3:7] = BUILT
    redline = np.zeros((7, 10), dtype=int)
    redline[0:3, :] = 1
    common = {"buffer_distance": 1000.0, "expansion_factor": 1.5, "redline": redline}
    kept = run(_inputs(land, relocate_growth=False, **common))
    moved = run(_inputs(land, relocate_growth=True, **common))
    assert _km2(kept, "urban_boundary") == 4
    boundary = _array(moved, "urban_boundary")
    assert {tuple(c) for c in np.argwhere(boundary == 1)} == {
        (3, 2), (3, 3), (3, 4), (3, 5), (3, 6), (3, 7)}
    for out in (kept, moved):
        conflicts = out["conflict_by_zone"]
        assert conflicts[["claims", "resolved_to", "area_km2"]].values.tolist() == [
            ["redline+urban_boundary", "redline", 2.0]]
        assert (_array(out, "urban_boundary") * redline).sum() == 0
