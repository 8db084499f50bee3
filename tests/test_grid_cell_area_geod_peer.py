"""True cell areas of ``GridSpec.cell_area_m2`` against geodesic polygon areas.

Peer: pyproj ``Geod.polygon_area_perimeter`` on the CRS's own ellipsoid (Karney 2013 geodesic
polygon area, GeographicLib via PROJ; checked with pyproj 3.7.2). Each cell's boundary is
densified (its edges are straight in the grid's CRS, i.e. parallels and meridians on a
geographic grid, curves on the ellipsoid for UTM and Albers), taken to longitude/latitude on the
CRS's datum and measured as a geodesic polygon.

Bounds found (relative error, largest over the cells checked):

* geographic (exact ellipsoidal zone formula): ≤ 4e-9 for 1° cells with 64 points per edge,
  ≤ 6e-11 with 512 points (the peer's polygon converges to the parallels); ≤ 1e-10 below 0.1°;
* Albers (equal-area: the nominal area): ≤ 6e-8 for 30 m cells, ≤ 4e-9 up to 100 km; the error at
  30 m is the peer's own rounding on tiny polygons (2.5e-8 for 30 m UTM cells too);
* other projections (the area density interpolated and integrated over each cell,
  ``ecociv.grid.areas``), 1 km to 100 km cells: UTM ≤ 3.2e-10, Lambert conformal conic (France,
  and New York Long Island in US survey feet) ≤ 3.2e-10, Web Mercator ≤ 1.9e-10, World Mercator
  ≤ 2e-10, polar stereographic north ≤ 3.3e-10, World Mollweide ≤ 5.3e-10, HEALPix ≤ 9e-11.
  The bounds below are 1e-9 (1e-7 at 30 m, the peer's limit: up to 6e-8 there).

Before, cells were the nominal area ÷ PROJ's areal scale factor at the cell centre: 2.1e-5 off
for 100 km UTM cells, 5.4e-4 for Web Mercator at any size (PROJ's factors treat it as spherical),
and World Mollweide and HEALPix were taken as equal-area (0.57 % and 15 % off).
"""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine
from pyproj import Geod, Proj, Transformer

from ecociv.grid.spec import CHINA_ALBERS, GridSpec

GEOD = Geod(ellps="WGS84")
#: 1 km to 100 km cells: the bound on the relative error
BOUND = 1e-9


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
    to_lonlat = Transformer.from_crs(spec.crs, spec.crs.geodetic_crs, always_xy=True)
    geod = spec.crs.get_geod()
    assert geod is not None
    worst = 0.0
    for row in range(shape[0]):
        for col in range(shape[1]):
            x0, y1 = spec.transform * (col, row)
            x1, y0 = spec.transform * (col + 1, row + 1)
            xs, ys = _ring(x0, y0, x1, y1, points_per_edge)
            lon, lat = (xs, ys) if spec.crs.is_geographic else to_lonlat.transform(xs, ys)
            reference = abs(geod.polygon_area_perimeter(lon, lat)[0])
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


@pytest.mark.parametrize(("size", "bound"), [(30.0, 1e-7), (1000.0, BOUND), (10_000.0, BOUND),
                                           (100_000.0, BOUND)])
@pytest.mark.parametrize("easting", [200_000.0, 490_000.0], ids=["300 km west of the meridian", "near it"])
def test_utm_cells(size: float, bound: float, easting: float) -> None:
    # UTM zone 45N (the Belt), 4900 km north
    assert _worst_relative_error("EPSG:32645", size, (easting, 4_900_000.0), (2, 2), 256) <= bound


@pytest.mark.parametrize("size", [30.0, 1000.0, 10_000.0, 100_000.0])
@pytest.mark.parametrize(("crs", "origin"), [
    ("EPSG:2154", (700_000.0, 6_600_000.0)),  # RGF93 / Lambert-93 (conformal conic, France)
    ("EPSG:2263", (1_000_000.0, 200_000.0)),  # NAD83 / New York Long Island (ftUS), GRS 1980
    ("EPSG:3857", (9_000_000.0, 6_000_000.0)),  # Web Mercator, ≈ 47°N
    ("EPSG:3395", (9_000_000.0, 6_000_000.0)),  # World Mercator (ellipsoidal)
    ("EPSG:3413", (50_000.0, 250_000.0)),  # NSIDC polar stereographic north, beside the pole
    ("ESRI:54009", (1_000_000.0, 2_000_000.0)),  # World Mollweide (spherical formulas, WGS 84)
    ("+proj=healpix +ellps=WGS84", (9_000_000.0, 4_000_000.0)),
], ids=["lambert-93", "ny-long-island-ftus", "web-mercator", "world-mercator", "polar-stereo",
        "world-mollweide", "healpix"])
def test_other_projections(crs: str, origin: tuple[float, float], size: float) -> None:
    bound = 1e-7 if size < 100 else BOUND
    assert _worst_relative_error(crs, size, origin, (2, 2), 256) <= bound


def _peer_area(crs: str, x0: float, y0: float, size: float) -> float:
    spec = GridSpec.from_crs(crs, Affine(size, 0, x0, 0, -size, y0), (1, 1))
    to_lonlat = Transformer.from_crs(spec.crs, spec.crs.geodetic_crs, always_xy=True)
    lon, lat = to_lonlat.transform(*_ring(x0, y0 - size, x0 + size, y0, 256))
    return abs(GEOD.polygon_area_perimeter(lon, lat)[0])


def test_the_peer_detects_the_errors_of_the_centre_scale_factor() -> None:
    """The former method, nominal area ÷ PROJ's areal scale factor at the cell centre, is off by
    2e-5 for a 100 km UTM cell 300 km west of the meridian and by 5e-4 on Web Mercator: the
    comparison above would catch it."""
    for crs, x0, y0, size, off in [("EPSG:32645", 200_000.0, 4_900_000.0, 100_000.0, 1e-5),
                                    ("EPSG:3857", 9_000_000.0, 6_000_000.0, 1000.0, 4e-4)]:
        proj = Proj(crs)
        lon, lat = proj(x0 + size / 2, y0 - size / 2, inverse=True)
        centre = size * size / proj.get_factors(lon, lat).areal_scale
        assert abs(centre / _peer_area(crs, x0, y0, size) - 1.0) > off
        spec = GridSpec.from_crs(crs, Affine(size, 0, x0, 0, -size, y0), (1, 1))
        assert spec.cell_area_m2()[0, 0] == pytest.approx(_peer_area(crs, x0, y0, size), rel=BOUND)


def test_world_mollweide_is_not_the_nominal_area() -> None:
    """World Mollweide (ESRI:54009) uses PROJ's spherical formulas with the WGS 84 datum: a
    nominal 1 km² cell at 17°N holds 0.9943 km² of the ellipsoid."""
    reference = _peer_area("ESRI:54009", 1_000_000.0, 2_000_000.0, 1000.0)
    assert abs(1e6 / reference - 1.0) > 5e-3
    spec = GridSpec.from_crs("ESRI:54009", Affine(1000.0, 0, 1_000_000.0, 0, -1000.0, 2_000_000.0), (1, 1))
    assert spec.cell_area_m2()[0, 0] == pytest.approx(reference, rel=BOUND)


def test_utm_without_the_scale_correction_would_fail() -> None:
    """The nominal area alone is off by the areal scale (≈ 1 - 2·0.0004 near the meridian): the
    peer comparison detects a missing correction."""
    spec = GridSpec.from_crs("EPSG:32645", Affine(1000.0, 0, 490_000.0, 0, -1000.0, 4_900_000.0), (1, 1))
    to_lonlat = Transformer.from_crs(spec.crs, "EPSG:4326", always_xy=True)
    lon, lat = to_lonlat.transform(*_ring(490_000.0, 4_899_000.0, 491_000.0, 4_900_000.0, 64))
    reference = abs(GEOD.polygon_area_perimeter(lon, lat)[0])
    assert abs(1e6 / reference - 1.0) > 5e-4
    assert spec.cell_area_m2()[0, 0] == pytest.approx(reference, rel=BOUND)
