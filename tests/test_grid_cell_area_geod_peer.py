"""True cell areas of ``GridSpec.cell_area_m2`` against geodesic polygon areas.

Peer: pyproj ``Geod(ellps="WGS84").polygon_area_perimeter`` (Karney 2013 geodesic polygon area,
GeographicLib via PROJ; checked with pyproj 3.7.2). Each cell's boundary is densified (its edges
are straight in the grid's CRS, i.e. parallels and meridians on a geographic grid, curves on the
ellipsoid for UTM and Albers), taken to longitude/latitude and measured as a geodesic polygon.

Bounds found (relative error, largest over the cells checked):

* geographic (exact ellipsoidal zone formula): ≤ 4e-9 for 1° cells with 64 points per edge,
  ≤ 6e-11 with 512 points (the peer's polygon converges to the parallels); ≤ 1e-10 below 0.1°;
* Albers (equal-area: the nominal area): ≤ 6e-8 for 30 m cells, ≤ 4e-9 up to 100 km; the error at
  30 m is the peer's own rounding on tiny polygons;
* UTM (nominal area ÷ the areal scale factor at the cell centre): ≤ 2e-8 for 30 m cells and
  ≤ 3e-7 for 10 km cells; 2.1e-5 for 100 km cells, as the scale factor varies across the cell
  (second order in the cell size). The 1e-6 bound holds up to 10 km cells.
"""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine
from pyproj import Geod, Transformer

from ecociv.grid.spec import CHINA_ALBERS, GridSpec

GEOD = Geod(ellps="WGS84")


def _ring(x0: float, y0: float, x1: float, y1: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The boundary of the rectangle, ``n`` points per edge, counter-clockwise."""
    t = np.linspace(0.0, 1.0, n, endpoint=False)
    xs = np.concatenate([x0 + (x1 - x0) * t, np.full(n, x1), x1 - (x1 - x0) * t, np.full(n, x0)])
    ys = np.concatenate([np.full(n, y0), y0 + (y1 - y0) * t, np.full(n, y1), y1 - (y1 - y0) * t])
    return xs, ys


def _worst_relative_error(crs: str, size: float, origin: tuple[float, float], shape: tuple[int, int],
                          points_per_edge: int = 64) -> float:
    spec = GridSpec.from_crs(crs, Affine(size, 0, origin[0], 0, -size, origin[1]), shape)
    area = np.broadcast_to(spec.cell_area_m2(), shape)
    to_lonlat = Transformer.from_crs(spec.crs, "EPSG:4326", always_xy=True)
    worst = 0.0
    for row in range(shape[0]):
        for col in range(shape[1]):
            x0, y1 = spec.transform * (col, row)
            x1, y0 = spec.transform * (col + 1, row + 1)
            xs, ys = _ring(x0, y0, x1, y1, points_per_edge)
            lon, lat = (xs, ys) if spec.crs.is_geographic else to_lonlat.transform(xs, ys)
            reference = abs(GEOD.polygon_area_perimeter(lon, lat)[0])
            worst = max(worst, abs(area[row, col] / reference - 1.0))
    return worst


@pytest.mark.parametrize(("size", "points", "bound"), [(0.0003, 64, 1e-9), (0.01, 64, 1e-10), (0.1, 64, 1e-10),
                                                       (1.0, 64, 5e-9), (1.0, 512, 1e-10)])
def test_geographic_cells(size: float, points: int, bound: float) -> None:
    # the Belt's latitude, 80-82°E 45-47°N
    assert _worst_relative_error("EPSG:4326", size, (80.0, 47.0), (2, 2), points) <= bound


@pytest.mark.parametrize(("size", "bound"), [(30.0, 1e-7), (1000.0, 1e-9), (10_000.0, 1e-9), (100_000.0, 1e-8)])
def test_albers_cells(size: float, bound: float) -> None:
    assert _worst_relative_error(CHINA_ALBERS, size, (-1_500_000.0, 5_000_000.0), (2, 2)) <= bound


@pytest.mark.parametrize(("size", "bound"), [(30.0, 1e-7), (1000.0, 1e-8), (10_000.0, 1e-6), (100_000.0, 5e-5)])
@pytest.mark.parametrize("easting", [200_000.0, 490_000.0], ids=["300 km west of the meridian", "near it"])
def test_utm_cells(size: float, bound: float, easting: float) -> None:
    # UTM zone 45N (the Belt), 4900 km north
    assert _worst_relative_error("EPSG:32645", size, (easting, 4_900_000.0), (2, 2)) <= bound


def test_utm_without_the_scale_correction_would_fail() -> None:
    """The nominal area alone is off by the areal scale (≈ 1 - 2·0.0004 near the meridian): the
    peer comparison detects a missing correction."""
    spec = GridSpec.from_crs("EPSG:32645", Affine(1000.0, 0, 490_000.0, 0, -1000.0, 4_900_000.0), (1, 1))
    to_lonlat = Transformer.from_crs(spec.crs, "EPSG:4326", always_xy=True)
    lon, lat = to_lonlat.transform(*_ring(490_000.0, 4_899_000.0, 491_000.0, 4_900_000.0, 64))
    reference = abs(GEOD.polygon_area_perimeter(lon, lat)[0])
    assert abs(1e6 / reference - 1.0) > 5e-4
    assert spec.cell_area_m2()[0, 0] == pytest.approx(reference, rel=1e-8)
