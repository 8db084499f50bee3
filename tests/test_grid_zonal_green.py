"""Exact cell coverage fractions (:func:`ecociv.grid.zonal.coverage`, computed from the polygon's
edges by :mod:`ecociv.grid.coverage_loops`) against GEOS and against closed forms.

Peer: GEOS (through shapely 2), the area of the intersection of each cell's box with the polygon
divided by the box's area, for EVERY cell of the window (not only those on the boundary), on
random polygons (star-shaped, with holes, multipolygons, rings of either orientation, partly off
the grid) and adversarial ones (vertices on cell lines, horizontal and vertical edges, rectilinear
unions of boxes, slivers), on grids with either sign of the cell width and height. Fractions must agree
within 1e-12; their sum × cell area must equal the polygon's area (shoelace, GEOS) within 1e-9.
Closed forms: a triangle's per-cell fractions, a regular n-gon's area (n/2)·r²·sin(2π/n) and a
square with a square hole.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from affine import Affine
from hypothesis import assume, given
from hypothesis import strategies as st

from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.grid.zonal import coverage

ROWS, COLS = 24, 30
GRIDS = {  # coordinates of at most a few hundred cells in size: GEOS's own round-off ≪ 1e-12 cell
    "north-up": GridSpec.from_crs(CHINA_ALBERS, Affine(100.0, 0, 5000.0, 0, -100.0, 4000.0), (ROWS, COLS)),
    "south-up": GridSpec.from_crs(CHINA_ALBERS, Affine(30.0, 0, -2010.0, 0, 30.0, 370.0), (ROWS, COLS)),
    "geographic": GridSpec.from_crs("EPSG:4326", Affine(0.25, 0, 1.0, 0, -0.25, 3.0), (ROWS, COLS)),
    "columns east to west": GridSpec.from_crs(CHINA_ALBERS, Affine(-50.0, 0, 3000.0, 0, -50.0, 2000.0),
                                              (ROWS, COLS)),
    # the Belt's 1-km Albers grid, 5163 km north of the origin: coordinates there are stored to
    # 2⁻³⁰ m ≈ 9.3e-10 m, 9.3e-13 of a cell, so GEOS's intersection points (and a cell-unit
    # coordinate) are only that exact: the tolerance there is 8 of those
    "far from the origin": GridSpec.from_crs(
        CHINA_ALBERS, Affine(1000.0, 0, -1969000.0, 0, -1000.0, 5163000.0), (ROWS, COLS)),
}


def _tolerance(grid: GridSpec) -> float:
    """1e-12, or 8 × the spacing of doubles at the grid's largest coordinate, in cells."""
    t = grid.transform
    spacing = np.spacing(max(np.abs(grid.bounds))) / min(abs(t.a), abs(t.e))
    return max(1e-12, 8 * float(spacing))


def _world(shape: shapely.Geometry, grid: GridSpec) -> shapely.Geometry:
    """A shape drawn in cell units (column, row from the top-left) placed on ``grid``."""
    t = grid.transform
    return shapely.transform(shape, lambda xy: np.column_stack(t * (xy[:, 0], xy[:, 1])))


def _full(geometry: shapely.Geometry, grid: GridSpec) -> np.ndarray:
    out = np.zeros(grid.shape)
    cover = coverage(geometry, grid)
    if cover is not None:
        assert cover.fractions.shape == (cover.slices[0].stop - cover.slices[0].start,
                                         cover.slices[1].stop - cover.slices[1].start)
        assert np.all((cover.fractions >= 0) & (cover.fractions <= 1))
        out[cover.slices] = cover.fractions
    return out


def _geos(geometry: shapely.Geometry, grid: GridSpec) -> np.ndarray:
    """The peer: area(cell box ∩ geometry) / area(cell box) for every cell of the grid."""
    t = grid.transform
    rows, cols = np.mgrid[0:grid.rows, 0:grid.cols]
    x0, y0 = t * (cols, rows)
    x1, y1 = t * (cols + 1, rows + 1)
    cells = shapely.box(np.minimum(x0, x1), np.minimum(y0, y1), np.maximum(x0, x1), np.maximum(y0, y1))
    return shapely.area(shapely.intersection(cells, geometry)) / shapely.area(cells)


def _check(unit_shape: shapely.Geometry, grid: GridSpec) -> None:
    geometry = _world(unit_shape, grid)
    ours = _full(geometry, grid)
    peer = _geos(geometry, grid)
    np.testing.assert_allclose(ours, peer, rtol=0, atol=_tolerance(grid))
    cell = abs(grid.transform.a * grid.transform.e)
    on_grid = shapely.intersection(geometry, shapely.box(*grid.bounds)).area
    assert ours.sum() * cell == pytest.approx(on_grid, rel=1e-9, abs=1e-9 * cell)


def _star(draw: st.DrawFn, cu: float, cv: float, r_min: float, r_max: float) -> np.ndarray:
    n = draw(st.integers(3, 40))
    angles = np.sort(np.array(draw(st.lists(st.floats(0, 2 * np.pi, exclude_max=True),
                                            min_size=n, max_size=n, unique=True))))
    radii = np.array(draw(st.lists(st.floats(r_min, r_max), min_size=n, max_size=n)))
    return np.column_stack([cu + radii * np.cos(angles), cv + radii * np.sin(angles)])


def _oriented(draw: st.DrawFn, ring: np.ndarray) -> np.ndarray:
    return ring[::-1] if draw(st.booleans()) else ring


@st.composite
def polygons(draw: st.DrawFn) -> shapely.Geometry:
    """Star-shaped polygons in cell units, some with a hole, some of two parts, some partly off
    the grid, rings of either orientation; optionally with vertices snapped to half cells (on cell
    lines, and horizontal or vertical edges where two neighbours snap alike)."""
    snap = draw(st.sampled_from([None, 1.0, 0.5]))
    parts = []
    for _ in range(draw(st.integers(1, 2))):
        cu = draw(st.floats(-5, COLS + 5))
        cv = draw(st.floats(-5, ROWS + 5))
        outer = _star(draw, cu, cv, 3.0, 12.0)
        holes = []
        if draw(st.booleans()):
            holes.append(_oriented(draw, _star(draw, cu, cv, 0.3, 2.9)))
        if snap is not None:
            outer = np.round(outer / snap) * snap
            holes = [np.round(h / snap) * snap for h in holes]
        parts.append(shapely.Polygon(_oriented(draw, outer), holes))
    geometry = parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)
    assume(geometry.is_valid and geometry.area > 0)
    return geometry


@st.composite
def rectilinear(draw: st.DrawFn) -> shapely.Geometry:
    """Unions of boxes with corners on a lattice of quarter cells: only horizontal and vertical
    edges, many on cell lines; often with holes or several parts."""
    boxes = []
    for _ in range(draw(st.integers(1, 6))):
        u0, u1 = sorted(draw(st.lists(st.integers(-8, 4 * COLS + 8), min_size=2, max_size=2, unique=True)))
        v0, v1 = sorted(draw(st.lists(st.integers(-8, 4 * ROWS + 8), min_size=2, max_size=2, unique=True)))
        boxes.append(shapely.box(u0 / 4, v0 / 4, u1 / 4, v1 / 4))
    return shapely.union_all(boxes)


@given(polygons(), st.sampled_from(sorted(GRIDS)))
def test_random_polygons_match_geos_in_every_cell(shape: shapely.Geometry, grid: str) -> None:
    _check(shape, GRIDS[grid])


@given(rectilinear(), st.sampled_from(sorted(GRIDS)))
def test_rectilinear_unions_of_boxes_match_geos(shape: shapely.Geometry, grid: str) -> None:
    _check(shape, GRIDS[grid])


@given(st.floats(1, COLS - 1), st.floats(1, ROWS - 1), st.floats(-1, 1), st.floats(-1, 1),
       st.floats(1e-9, 1e-3), st.booleans())
def test_slivers_and_near_axis_edges_match_geos(u: float, v: float, du: float, dv: float,
                                                width: float, reverse: bool) -> None:
    # a thin triangle of any direction, and a nearly horizontal / nearly vertical one
    for a, b in [((u + 8 * du, v + 8 * dv), (u + 8 * du + width, v + 8 * dv - width)),
                 ((u + 10.0, v + width), (u + 10.0, v)),
                 ((u + width, v + 10.0), (u, v + 10.0))]:
        ring = [(u, v), a, b]
        shape = shapely.Polygon(ring[::-1] if reverse else ring)
        if shape.is_valid and shape.area > 0:
            _check(shape, GRIDS["north-up"])


@pytest.mark.parametrize("grid", sorted(GRIDS))
def test_cell_corners_and_lines_through_vertices(grid: str) -> None:
    # a diamond through cell corners, edges at 45° passing exactly through corners, and a
    # rectangle on cell lines with a hole on cell lines: exact 0 / 1 / ½ cells
    diamond = shapely.Polygon([(10, 2), (18, 10), (10, 18), (2, 10)])
    frame = shapely.Polygon([(20, 1), (28, 1), (28, 9), (20, 9)], [[(22, 3), (22, 7), (26, 7), (26, 3)]])
    for shape in (diamond, frame):
        _check(shape, GRIDS[grid])
    fractions = _full(_world(diamond, GRIDS[grid]), GRIDS[grid])
    assert set(np.unique(fractions)) == {0.0, 0.5, 1.0}
    assert fractions.sum() == 128.0  # the diamond's area: 2 × 8 × 8 cells
    fractions = _full(_world(frame, GRIDS[grid]), GRIDS[grid])
    assert set(np.unique(fractions)) == {0.0, 1.0} and fractions.sum() == 64 - 16


def test_triangle_closed_form() -> None:
    # the triangle (0,0), (3,0), (0,3) in cell units: cells (r, c) with r + c < 2 wholly inside,
    # the three on the diagonal r + c = 2 cut in half, all others outside
    grid = GRIDS["north-up"]
    fractions = _full(_world(shapely.Polygon([(0, 0), (3, 0), (0, 3)]), grid), grid)[:3, :3]
    expected = np.array([[1, 1, 0.5], [1, 0.5, 0], [0.5, 0, 0]])
    np.testing.assert_array_equal(fractions, expected)


@pytest.mark.parametrize("n", [8, 97, 1000])
def test_regular_polygon_area_closed_form(n: int) -> None:
    # a regular n-gon of circumradius r has area (n/2) r² sin(2π/n), → π r² as n grows
    grid = GRIDS["north-up"]
    r = 9.37
    angles = 2 * np.pi * np.arange(n) / n
    shape = shapely.Polygon(np.column_stack([15.2 + r * np.cos(angles), 11.9 + r * np.sin(angles)]))
    fractions = _full(_world(shape, grid), grid)
    assert fractions.sum() == pytest.approx(n / 2 * r * r * math.sin(2 * math.pi / n), rel=1e-12)
    if n == 1000:
        assert fractions.sum() == pytest.approx(math.pi * r * r, rel=1e-4)


def test_square_with_a_hole_closed_form() -> None:
    # a 10 × 10 cell square with a 2.5 × 2.5 hole in the middle of a cell block
    grid = GRIDS["south-up"]
    shape = shapely.Polygon([(1, 1), (11, 1), (11, 11), (1, 11)],
                            [[(4.25, 4.25), (6.75, 4.25), (6.75, 6.75), (4.25, 6.75)]])
    fractions = _full(_world(shape, grid), grid)
    assert fractions.sum() == pytest.approx(100 - 6.25, rel=1e-14)
    assert fractions[5, 5] == 0.0 and fractions[4, 4] == pytest.approx(1 - 0.75 * 0.75, abs=1e-15)
    assert fractions[1, 1] == 1.0 and fractions[0, 0] == 0.0


def test_rotated_grid_still_uses_cell_boxes() -> None:
    # rotated transforms keep the GEOS path (cells there are not boxes in the grid's CRS axes)
    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(10.0, 1.0, 0.0, 1.0, -10.0, 100.0), (8, 8))
    cover = coverage(shapely.box(5, 30, 45, 70), grid)
    assert cover is not None and 0 < cover.fractions.max() <= 1
