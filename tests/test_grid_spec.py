"""GridSpec: equal-area detection, true cell areas (equal-area, geographic, UTM), chunking and
grid comparison."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine
from pyproj import Geod, Transformer

from ecociv.grid.spec import CHINA_ALBERS, GridSpec, ellipsoidal_zone_q

#: radius of the test sphere, m
R = 6_371_000.0


def grid(crs: str, res: float, origin: tuple[float, float], shape: tuple[int, int]) -> GridSpec:
    return GridSpec.from_crs(crs, Affine(res, 0, origin[0], 0, -res, origin[1]), shape)


@pytest.mark.parametrize(
    ("crs", "equal_area"),
    [
        (CHINA_ALBERS, True),
        ("EPSG:3035", True),  # ETRS89 LAEA Europe
        ("EPSG:6933", True),  # WGS 84 / NSIDC EASE-Grid 2.0 Global (cylindrical equal-area)
        ("EPSG:8857", True),  # WGS 84 / Equal Earth Greenwich
        ("+proj=moll +lon_0=0 +R=6371007", True),
        # PROJ's Mollweide is spherical: on the WGS 84 ellipsoid it does not preserve area
        ("+proj=moll +lon_0=0 +datum=WGS84", False),
        ("EPSG:32645", False),  # UTM 45N
        ("EPSG:3857", False),
        ("EPSG:4326", False),
    ],
)
def test_is_equal_area(crs: str, equal_area: bool) -> None:
    assert grid(crs, 30, (0, 0), (2, 2)).is_equal_area is equal_area


def test_equal_area_cells_are_the_nominal_area() -> None:
    # 30 m x 30 m on China Albers: every cell 900 m²
    spec = grid(CHINA_ALBERS, 30, (0, 5_000_000), (4, 3))
    area = spec.cell_area_m2()
    assert area.shape == (4, 1)
    np.testing.assert_array_equal(area, 900.0)
    assert spec.cell_area_m2(1, 3).shape == (2, 1)


def test_equal_area_in_feet_converts_to_m2() -> None:
    # 10 ft cells on an equal-area CRS in US survey feet: (10 × 0.3048006096)² m²
    crs = "+proj=aea +lat_1=29.5 +lat_2=45.5 +lat_0=23 +lon_0=-96 +datum=NAD83 +units=us-ft"
    spec = grid(crs, 10, (0, 0), (1, 1))
    assert spec.cell_area_m2()[0, 0] == pytest.approx((10 * 1200 / 3937) ** 2, rel=1e-12)


def test_geographic_sphere_matches_band_area_formula() -> None:
    """Spherical band ("zone") area: A = 2πR² |sin φ1 − sin φ2| × Δλ / 360° (Archimedes' hat-box
    theorem), exactly, for 1° cells from 45°N southwards on a sphere of radius R."""
    spec = grid(f"+proj=longlat +R={R} +no_defs", 1.0, (80.0, 45.0), (3, 2))
    top = np.radians([45.0, 44.0, 43.0])
    bottom = np.radians([44.0, 43.0, 42.0])
    expected = 2 * np.pi * R**2 * np.abs(np.sin(top) - np.sin(bottom)) * 1.0 / 360.0
    area = spec.cell_area_m2()
    assert area.shape == (3, 1)
    np.testing.assert_allclose(area[:, 0], expected, rtol=1e-12)


def test_geographic_wgs84_close_to_authalic_sphere_and_equal_to_geodesic_polygons() -> None:
    # 0.01° cells at 44°N on WGS84
    spec = grid("EPSG:4326", 0.01, (85.0, 44.0), (3, 2))
    area = spec.cell_area_m2()[:, 0]
    # spherical band formula with the authalic radius 6 371 007.2 m: within 0.5 %
    authalic = 6_371_007.2
    top = np.radians(44.0 - 0.01 * np.arange(3))
    sphere = 2 * np.pi * authalic**2 * np.abs(np.sin(top) - np.sin(top - np.radians(0.01))) * 0.01 / 360
    np.testing.assert_allclose(area, sphere, rtol=5e-3)
    # the geodesic area of each cell polygon (edges this short are the parallels to < 1e-8)
    geod = Geod(ellps="WGS84")
    for row in range(3):
        north, south = 44.0 - 0.01 * row, 44.0 - 0.01 * (row + 1)
        polygon, _ = geod.polygon_area_perimeter([85.0, 85.01, 85.01, 85.0], [south, south, north, north])
        assert area[row] == pytest.approx(abs(polygon), rel=1e-8)


def test_zone_q_function_limits() -> None:
    # q(90°) on WGS84 gives the ellipsoid's total area 2πa²q_p = 5.10065621724e14 m²
    e = np.sqrt(0.0066943799901413165)
    total = 2 * np.pi * 6_378_137.0**2 * ellipsoidal_zone_q(np.array(np.pi / 2), e)
    assert total == pytest.approx(5.10065621724e14, rel=1e-10)
    assert ellipsoidal_zone_q(np.array(0.3), 0.0) == pytest.approx(2 * np.sin(0.3))


def test_utm_cells_corrected_by_areal_scale_match_geodesic_area() -> None:
    """UTM 45N 30 m cells from 300 km west of the central meridian (scale < 1) to 60 km east
    (scale ≈ 1): each cell's area equals the geodesic area of its corners taken to lon/lat."""
    spec = grid("EPSG:32645", 30.0, (200_000.0, 4_900_000.0), (3, 12_000))
    area = spec.cell_area_m2()
    assert area.shape == (3, 12_000)
    to_lonlat = Transformer.from_crs("EPSG:32645", "EPSG:4326", always_xy=True)
    geod = Geod(ellps="WGS84")
    for row, col in [(0, 0), (2, 11_999), (1, 6_000), (0, 9_999)]:
        x0 = 200_000.0 + 30 * col
        y0 = 4_900_000.0 - 30 * row
        lon, lat = to_lonlat.transform([x0, x0 + 30, x0 + 30, x0], [y0 - 30, y0 - 30, y0, y0])
        reference = abs(geod.polygon_area_perimeter(lon, lat)[0])
        assert area[row, col] == pytest.approx(reference, rel=1e-7), (row, col)
    # the correction varies along a row: 300 km west of the central meridian (areal scale
    # ≈ 1.0014) a 30 m cell holds 898.73 m², on the meridian (column 10 000, scale 0.9996²)
    # 900.72 m²; one factor per row would be wrong by 0.2 % somewhere
    assert area[0, 0] == pytest.approx(898.73, abs=0.01)
    assert area[0, 10_000] == pytest.approx(900 / 0.9996**2, rel=1e-6)
    # a window of rows and columns gives the same numbers
    np.testing.assert_allclose(spec.cell_area_m2(1, 3, 100, 110), area[1:3, 100:110], rtol=1e-12)


def test_rotated_grid_area_is_refused() -> None:
    spec = GridSpec.from_crs(CHINA_ALBERS, Affine(30, 1, 0, 1, -30, 0), (2, 2))
    with pytest.raises(ValueError, match="rotated"):
        spec.cell_area_m2()


def test_default_chunks_are_row_bands() -> None:
    spec = grid(CHINA_ALBERS, 30, (0, 0), (10_000, 5_000))
    rows, cols = spec.default_chunks()
    assert cols == 5_000 and rows % 256 == 0 and rows * cols <= 4_194_304
    assert spec.default_chunks(target_cells=12_000) == (2, 5_000)
    assert grid(CHINA_ALBERS, 30, (0, 0), (3, 3)).default_chunks() == (3, 3)


def test_differences_name_what_differs() -> None:
    base = grid(CHINA_ALBERS, 30, (0, 5_000_000), (4, 4))
    assert base.same_as(base) and base.differences(base) == []
    shifted = grid(CHINA_ALBERS, 30, (15, 5_000_000), (4, 4))
    assert not shifted.same_as(base)
    assert shifted.differences(base) == ["upper-left corner (15.0, 5000000.0) vs (0.0, 5000000.0)"]
    other = grid("EPSG:32645", 60, (0, 5_000_000), (2, 2))
    text = "; ".join(other.differences(base))
    assert "CRS EPSG:32645 vs +proj=aea" in text
    assert "shape (rows, cols) (2, 2) vs (4, 4)" in text
    assert "cell size (60.0, 60.0) vs (30.0, 30.0)" in text


def test_bounds_of_north_up_south_up_and_rotated_grids() -> None:
    assert grid(CHINA_ALBERS, 30, (0, 90), (3, 2)).bounds == (0.0, 0.0, 60.0, 90.0)
    south_up = GridSpec.from_crs(CHINA_ALBERS, Affine(30, 0, 0, 0, 30, 0), (3, 2))
    assert south_up.bounds == (0.0, 0.0, 60.0, 90.0)
    # rotated: corners (0, 0), (20, 10), (-10, 20), (10, 30) for 2×2 cells of (10, 5) / (-5, 10)
    rotated = GridSpec.from_crs(CHINA_ALBERS, Affine(10, -5, 0, 5, 10, 0), (2, 2))
    assert rotated.bounds == (-10.0, 0.0, 20.0, 30.0)
