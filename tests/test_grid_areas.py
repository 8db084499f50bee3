"""The interpolated and exactly integrated area density of ``ecociv.grid.areas`` against cell
integrals known in closed form, and the equal-area detection of ``GridSpec``."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from affine import Affine
from pyproj import CRS, Proj

from ecociv.grid import areas
from ecociv.grid.areas import AreaField
from ecociv.grid.spec import _EQUAL_AREA_METHODS, CHINA_ALBERS, GridSpec, ellipsoidal_zone_q


def _wavy(col: np.ndarray, row: np.ndarray) -> np.ndarray:
    """g(u, v) = (1 + 0.1 cos(u / 300)) · exp(v / 1000): its cell integrals are known exactly."""
    return (1.0 + 0.1 * np.cos(col / 300.0)) * np.exp(row / 1000.0)


def _wavy_cells(rows: int, cols: int) -> np.ndarray:
    """∫∫ g over every cell, from the antiderivatives u + 30 sin(u / 300) and 1000 exp(v / 1000)."""
    u = np.arange(cols + 1, dtype=np.float64)
    v = np.arange(rows + 1, dtype=np.float64)
    along_cols = np.diff(u + 30.0 * np.sin(u / 300.0))
    along_rows = 1000.0 * np.exp(v[:-1] / 1000.0) * np.expm1(1.0 / 1000.0)
    return along_rows[:, None] * along_cols[None, :]


def test_smooth_density_cells_match_the_closed_form() -> None:
    field = AreaField(lambda rows, cols: _wavy, (1500, 4000))
    got = field.mean_density(0, 1500, 0, 4000)
    exact = _wavy_cells(1500, 4000)
    assert float(np.max(np.abs(got / exact - 1.0))) < areas.TOLERANCE
    # 13 periods of the cosine over the columns need tiles or a high degree, not one per cell
    assert len(field.tiles()) < 16
    # any window gives the same numbers as the whole
    np.testing.assert_allclose(field.mean_density(700, 910, 1999, 2345), got[700:910, 1999:2345],
                               rtol=1e-12)


def test_undefined_density_gives_partial_cells_and_exact_others() -> None:
    """Where the density is undefined (outside a projection's domain) tiles are split down to
    cell-by-cell quadrature: cells wholly outside have no area, all others inside are exact."""

    def partly(col: np.ndarray, row: np.ndarray) -> np.ndarray:
        return np.where(col + row < 150.0, np.nan, _wavy(col, row))

    field = AreaField(lambda rows, cols: partly, (300, 400))
    got = field.mean_density(0, 300, 0, 400)
    cols, rows = np.meshgrid(np.arange(400), np.arange(300))
    outside = cols + rows + 2 <= 150  # the whole cell is undefined
    inside = cols + rows >= 150
    assert (got[outside] == 0).all()
    assert not np.isnan(got).any()
    exact = _wavy_cells(300, 400)
    assert float(np.max(np.abs(got[inside] / exact[inside] - 1.0))) < areas.TOLERANCE
    # cells across the edge get about the area of their part inside (about half here)
    edge = ~outside & ~inside
    assert (0 < got[edge]).all() and (got[edge] < exact[edge]).all()
    assert any(tile.means is not None for tile in field.tiles())


def test_world_mollweide_cells_add_up_to_the_ellipsoid() -> None:
    """100 km cells over the whole of World Mollweide (ESRI:54009), whose corners lie outside the
    map's outline: no NaN, and the cells add up to the area of the WGS 84 ellipsoid,
    2πa²q(90°) = 510 065 621.7 km², within 1e-4 (cells on the outline are approximate)."""
    spec = GridSpec.from_crs("ESRI:54009", Affine(100_000.0, 0, -18_050_000.0, 0, -100_000.0, 9_050_000.0),
                             (181, 361))
    area = spec.cell_area_m2()
    assert not np.isnan(area).any()
    assert area[0, 0] == 0.0  # a corner: off the map
    e = np.sqrt(0.0066943799901413165)
    ellipsoid = 2 * np.pi * 6_378_137.0**2 * float(ellipsoidal_zone_q(np.array(np.pi / 2), e))
    assert float(area.sum()) == pytest.approx(ellipsoid, rel=1e-4)


def test_fit_is_checked_not_trusted() -> None:
    """A density with a kink cannot be fitted by a polynomial to 1e-8: the check rejects every
    degree and the tiles shrink around the kink, so the cells stay exact."""

    def kinked(col: np.ndarray, row: np.ndarray) -> np.ndarray:
        return 1.0 + 0.01 * np.abs(col - 100.0)

    field = AreaField(lambda rows, cols: kinked, (64, 256))
    got = field.mean_density(0, 64, 0, 256)
    u = np.arange(257, dtype=np.float64)
    anti = u + 0.005 * (u - 100.0) * np.abs(u - 100.0)
    exact = np.broadcast_to(np.diff(anti), got.shape)
    assert float(np.max(np.abs(got / exact - 1.0))) < 1e-8
    assert len(field.tiles()) > 1


def test_a_field_pickles_fitted() -> None:
    field = AreaField(lambda rows, cols: _wavy, (100, 100))
    copy = pickle.loads(pickle.dumps(field))
    np.testing.assert_array_equal(copy.mean_density(3, 9, 10, 20), field.mean_density(3, 9, 10, 20))


def test_utm_grid_is_one_low_degree_tile() -> None:
    """A 4000 × 4000 30 m UTM grid: one tile of degree 4 (25 interpolation nodes), not one
    projection call per cell."""
    spec = GridSpec.from_crs("EPSG:32645", Affine(30.0, 0, 400_000.0, 0, -30.0, 4_900_000.0), (4000, 4000))
    spec.cell_area_m2(0, 1)
    tiles = spec._area_field.tiles()
    assert len(tiles) == 1 and tiles[0].coef is not None and tiles[0].coef.shape == (5, 5)


@pytest.mark.parametrize("method", sorted(_EQUAL_AREA_METHODS - {"wag7"}))
def test_every_listed_equal_area_method_is_confirmed_on_a_sphere(method: str) -> None:
    """Each projection listed as equal-area has a constant area density over a 100 km grid on a
    sphere: 1 (PROJ's areal scale factor, ``Proj.get_factors``, is 1 too), except HEALPix,
    whose areas are a constant 0.849 × the nominal area: it gets that by the general path."""
    crs = f"+proj={method} +R=6371007" + (" +lat_1=25 +lat_2=47" if method == "aea" else "")
    spec = GridSpec.from_crs(crs, Affine(1000.0, 0, 1_000_000.0, 0, -1000.0, 2_000_000.0), (100, 100))
    area = spec.cell_area_m2()
    if method == "healpix":
        assert not spec.is_equal_area
        np.testing.assert_allclose(area, 1e6 * 0.848826363, rtol=1e-8)
    else:
        assert spec.is_equal_area
        assert area.shape == (100, 1)
        assert area[0, 0] == 1e6
        lon, lat = Proj(CRS(crs))(1_050_000.0, 1_950_000.0, inverse=True)
        assert Proj(CRS(crs)).get_factors(lon, lat).areal_scale == pytest.approx(1.0, abs=1e-8)


@pytest.mark.parametrize("crs", ["ESRI:54009", "ESRI:54012", "+proj=hammer +datum=WGS84"])
def test_spherical_equal_area_formulas_on_an_ellipsoid_are_not_equal_area(crs: str) -> None:
    """World Mollweide, World Eckert IV and Hammer on the WGS 84 datum apply the spherical
    formulas (radius a) to geodetic coordinates: they do not preserve area on the ellipsoid
    (the nominal 1 km² cell holds 0.9943 km² at 17°N and varies by 1e-4 over 100 km; the
    geodesic peer test confirms the computed areas)."""
    spec = GridSpec.from_crs(crs, Affine(1000.0, 0, 1_000_000.0, 0, -1000.0, 2_000_000.0), (100, 100))
    assert not spec.is_equal_area
    area = spec.cell_area_m2()
    assert area.shape == (100, 100)
    assert 0.99 < float(area.min()) / 1e6 < float(area.max()) / 1e6 < 0.999


@pytest.mark.parametrize("crs", ["EPSG:32645", "EPSG:3857", "EPSG:2154", "EPSG:3413", "EPSG:3395"])
def test_conformal_projections_are_not_equal_area(crs: str) -> None:
    spec = GridSpec.from_crs(crs, Affine(1000.0, 0, 100_000.0, 0, -1000.0, 200_000.0), (10, 10))
    assert not spec.is_equal_area
    assert spec.cell_area_m2().shape == (10, 10)


def test_an_equal_area_claim_that_does_not_hold_is_not_believed(monkeypatch: pytest.MonkeyPatch) -> None:
    """If the method list wrongly named a conformal projection, the density check would still
    refuse it and the cells get their true areas."""
    monkeypatch.setattr("ecociv.grid.spec._EQUAL_AREA_METHODS", _EQUAL_AREA_METHODS | {"utm"})
    spec = GridSpec.from_crs("+proj=utm +zone=45 +datum=WGS84",
                             Affine(30.0, 0, 200_000.0, 0, -30.0, 4_900_000.0), (2, 2))
    assert not spec.is_equal_area
    assert spec.cell_area_m2()[0, 0] == pytest.approx(898.73, abs=0.01)


def test_albers_stays_the_nominal_area() -> None:
    spec = GridSpec.from_crs(CHINA_ALBERS, Affine(30.0, 0, -1_400_000.0, 0, -30.0, 5_100_000.0), (8, 8))
    np.testing.assert_array_equal(spec.cell_area_m2(), 900.0)


def test_tolerance_is_tighter_than_the_target() -> None:
    assert areas.TOLERANCE <= 1e-7
