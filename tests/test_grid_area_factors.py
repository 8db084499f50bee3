"""``GridSpec.cell_area_factors``: the factors a compiled loop multiplies out per cell give the
same true cell areas as ``GridSpec.cell_area_m2`` (which ``tests/test_grid_cell_area_geod_peer.py``
checks against pyproj's geodesic areas)."""

from __future__ import annotations

import pytest
from affine import Affine

from ecociv.grid.spec import CHINA_ALBERS, GridSpec


@pytest.mark.parametrize(("crs", "cell", "origin"), [
    ("EPSG:32645", 30.0, (200_000.0, 4_900_000.0)),  # UTM 45N, 300 km west of the meridian
    ("EPSG:3857", 1000.0, (9_000_000.0, 6_000_000.0)),  # Web Mercator near 47° N
    ("EPSG:2154", 250.0, (600_000.0, 6_900_000.0)),  # Lambert-93
])
def test_factors_multiply_out_to_the_cell_areas(crs: str, cell: float,
                                                origin: tuple[float, float]) -> None:
    grid = GridSpec.from_crs(crs, Affine(cell, 0, origin[0], 0, -cell, origin[1]), (300, 400))
    for rows, cols in (((0, 300), (0, 400)), ((17, 99), (250, 400)), ((299, 300), (0, 1))):
        found = grid.cell_area_factors(*rows, *cols)
        assert found is not None
        scale, left, right = found
        assert left.shape == (rows[1] - rows[0], right.shape[1])
        assert right.shape[0] == cols[1] - cols[0]
        areas = grid.cell_area_m2(*rows, *cols)
        assert scale * (left @ right.T) == pytest.approx(areas, rel=1e-14)
        # conformal grids: the areas do vary over the block, the factors are not a constant
        if areas.size > 1:
            assert areas.std() > 0


def test_no_factors_where_areas_are_a_column() -> None:
    """Equal-area and geographic grids give one area per row: no factors."""
    albers = GridSpec.from_crs(CHINA_ALBERS, Affine(30.0, 0, 0, 0, -30.0, 5_000_000.0), (20, 30))
    lonlat = GridSpec.from_crs("EPSG:4326", Affine(0.01, 0, 85.0, 0, -0.01, 45.0), (20, 30))
    for grid in (albers, lonlat):
        assert grid.cell_area_factors(0, 20, 0, 30) is None
        assert grid.cell_area_m2(0, 20, 0, 30).shape == (20, 1)
