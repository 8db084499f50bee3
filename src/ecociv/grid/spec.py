"""The grid of a run: one CRS, one affine transform, one shape."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from affine import Affine
from pyproj import CRS
from pyproj.exceptions import ProjError

from ecociv.grid.areas import AreaField, DensityFor, projection_density

#: Albers equal-area conic for China (standard parallels 25°N and 47°N, central meridian 105°E,
#: WGS84 ellipsoid) - the projection commonly used for national land-use statistics of China.
CHINA_ALBERS = (
    "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
)

#: largest difference of the area density from 1 over a grid accepted as "equal-area"
_EQUAL_AREA_TOLERANCE = 1e-8
_EQUAL_AREA_METHODS = {"aea", "laea", "cea", "moll", "eck2", "eck4", "eck6", "sinu", "igh", "hammer",
                       "tcea", "eqearth", "wag4", "wag7", "mbtfps", "healpix"}


def ellipsoidal_zone_q(lat_rad: np.ndarray, eccentricity: float) -> np.ndarray:
    r"""The authalic function :math:`q(\varphi)` of an ellipsoid of revolution (dimensionless).

    Notes
    -----
    :math:`q = (1 - e^2)\left[\frac{\sin\varphi}{1 - e^2\sin^2\varphi} - \frac{1}{2e}
    \ln\frac{1 - e\sin\varphi}{1 + e\sin\varphi}\right]`, and :math:`q = 2\sin\varphi` on a
    sphere (Snyder 1987, *Map Projections - A Working Manual*, USGS PP 1395, eq. 3-12). The area
    between the equator and latitude :math:`\varphi` over a longitude span :math:`\Delta\lambda`
    (radians) is :math:`a^2 q(\varphi) \Delta\lambda / 2`.
    """
    sin = np.sin(lat_rad)
    if eccentricity == 0:
        return 2.0 * sin
    e = eccentricity
    e2 = e * e
    return (1 - e2) * (sin / (1 - e2 * sin * sin)
                       - np.log((1 - e * sin) / (1 + e * sin)) / (2 * e))


def short_crs(crs: CRS) -> str:
    """A short, readable name of a CRS for messages: ``EPSG:32645``, else its PROJ string."""
    epsg = crs.to_epsg(min_confidence=90)
    if epsg is not None:
        return f"EPSG:{epsg}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        proj4 = crs.to_proj4()
    return proj4 or crs.name


@dataclass(frozen=True)
class GridSpec:
    """A raster grid: coordinate reference system, affine transform and (rows, cols)."""

    crs_wkt: str
    transform: Affine
    shape: tuple[int, int]

    @classmethod
    def from_crs(cls, crs: str | CRS, transform: Affine, shape: tuple[int, int]) -> GridSpec:
        return cls(CRS.from_user_input(crs).to_wkt(), Affine(*transform[:6]), (int(shape[0]), int(shape[1])))

    @cached_property
    def crs(self) -> CRS:
        return CRS.from_wkt(self.crs_wkt)

    @property
    def rows(self) -> int:
        return self.shape[0]

    @property
    def cols(self) -> int:
        return self.shape[1]

    @property
    def resolution(self) -> tuple[float, float]:
        """Cell size (x, y) in CRS units, both positive."""
        return abs(self.transform.a), abs(self.transform.e)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in CRS units."""
        t = self.transform
        cols = np.array([0, self.cols, 0, self.cols], dtype=np.float64)
        rows = np.array([0, 0, self.rows, self.rows], dtype=np.float64)
        xs = t.c + t.a * cols + t.b * rows  # all four corners: also right for rotated grids
        ys = t.f + t.d * cols + t.e * rows
        return float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())

    @property
    def is_rotated(self) -> bool:
        return self.transform.b != 0 or self.transform.d != 0

    def x_coords(self) -> np.ndarray:
        return self.transform.c + self.transform.a * (np.arange(self.cols) + 0.5)

    def y_coords(self) -> np.ndarray:
        return self.transform.f + self.transform.e * (np.arange(self.rows) + 0.5)

    def _density_for(self) -> DensityFor:
        # not cached: it holds PROJ transformers, which the grid must not carry when pickled
        return projection_density(self.crs, self.transform)

    @cached_property
    def is_equal_area(self) -> bool:
        """True when the CRS is a projection that preserves area on its ellipsoid over the grid.

        The projection method must claim to preserve area (PROJ name or EPSG method name), and
        the claim is checked when PROJ can invert the projection: the area density
        (:func:`ecociv.grid.areas.projection_density`) on a 5 × 5 lattice over the grid must be
        1. It is not, e.g., for PROJ's spherical Mollweide or Eckert IV formulas applied to the
        WGS 84 ellipsoid (World Mollweide, ESRI:54009: 0.57 % less than nominal) or for HEALPix
        (a constant 0.849); such grids get their true cell areas like any other projection.
        """
        if self.crs.is_geographic or self.is_rotated:
            return False
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            method = (self.crs.to_dict() or {}).get("proj", "")
        operation = self.crs.coordinate_operation
        name = operation.method_name.lower() if operation is not None else ""
        if not (method in _EQUAL_AREA_METHODS or "equal area" in name or "equal-area" in name):
            return False
        at = np.linspace(0.0, 1.0, 5)
        cols, rows = np.meshgrid(at * self.cols, at * self.rows)
        try:
            density = self._density_for()((0, self.rows), (0, self.cols))(cols, rows)
        except ProjError:  # no inverse in PROJ (e.g. Wagner VII): the method's claim stands
            return True
        return bool(np.all(np.abs(density - 1.0) <= _EQUAL_AREA_TOLERANCE))

    @property
    def area_varies_along_rows(self) -> bool:
        """True when cell areas differ between columns (projections that are neither equal-area
        nor geographic, e.g. UTM, whose areal scale grows away from the central meridian)."""
        return not self.is_equal_area and not self.crs.is_geographic

    @cached_property
    def _area_field(self) -> AreaField:
        return AreaField(self._density_for(), self.shape)

    def cell_area_m2(self, row_start: int = 0, row_stop: int | None = None,
                     col_start: int = 0, col_stop: int | None = None) -> np.ndarray:
        r"""True (ellipsoidal) area of each cell of rows ``row_start:row_stop``, in m².

        Equal-area projections (:attr:`is_equal_area`) give the nominal cell area and geographic
        grids the exact area of each cell bounded by two parallels and two meridians on the CRS
        ellipsoid; both return an array of shape (rows, 1) that broadcasts over columns. Other
        projections (UTM, Lambert conformal, Mercator, World Mollweide ...) integrate the area
        density (true area per map area) over each cell (:class:`ecociv.grid.areas.AreaField`:
        a checked Chebyshev interpolation, integrated exactly; within 1e-9 relative of the
        geodesic area of the cell in the tests) and return shape (rows, cols) for columns
        ``col_start:col_stop``.

        Notes
        -----
        Geographic cells: :math:`A = \frac{a^2}{2}\,|q(\varphi_1) - q(\varphi_2)|\,\Delta\lambda`
        (see :func:`ellipsoidal_zone_q`); on a sphere of radius :math:`R` this is the band area
        :math:`2\pi R^2 |\sin\varphi_1 - \sin\varphi_2| \cdot \Delta\lambda / 360°`.
        Projected cells: :math:`A = \iint_{cell} 1 / s(x, y)\,dx\,dy`, :math:`s` the areal
        scale factor (map area per true area).
        """
        stop = self.rows if row_stop is None else row_stop
        n = stop - row_start
        if self.is_rotated:
            raise ValueError("rotated grids are not supported for area computations")
        unit = self.crs.axis_info[0].unit_conversion_factor if self.crs.axis_info else 1.0
        nominal = abs(self.transform.a * self.transform.e) * unit**2
        if self.is_equal_area:
            return np.full((n, 1), nominal)
        if self.crs.is_geographic:
            ellipsoid = self.crs.ellipsoid
            assert ellipsoid is not None, "a geographic CRS has an ellipsoid"
            a = ellipsoid.semi_major_metre
            flattening = 1 / ellipsoid.inverse_flattening if ellipsoid.inverse_flattening else 0.0
            eccentricity = float(np.sqrt(flattening * (2 - flattening)))
            radians = self.crs.axis_info[0].unit_conversion_factor if self.crs.axis_info else np.pi / 180
            top = self.transform.f + self.transform.e * np.arange(row_start, stop, dtype=np.float64)
            bottom = top + self.transform.e
            limit = np.pi / 2
            q_top = ellipsoidal_zone_q(np.clip(top * radians, -limit, limit), eccentricity)
            q_bottom = ellipsoidal_zone_q(np.clip(bottom * radians, -limit, limit), eccentricity)
            width = abs(self.transform.a) * radians
            return (a * a / 2 * np.abs(q_top - q_bottom) * width).reshape(n, 1)
        col_end = self.cols if col_stop is None else col_stop
        return nominal * self._area_field.mean_density(row_start, stop, col_start, col_end)

    def cell_area_factors(self, row_start: int, row_stop: int, col_start: int,
                          col_stop: int) -> tuple[float, np.ndarray, np.ndarray] | None:
        """``(scale, left, right)`` with :meth:`cell_area_m2` ``= scale * (left @ right.T)``
        for projections whose areas are one fitted polynomial over the grid (UTM and other
        conformal grids of ordinary size); None otherwise (equal-area, geographic, rotated,
        or areas fitted on several tiles)."""
        if self.is_rotated or self.is_equal_area or self.crs.is_geographic:
            return None
        factors = self._area_field.factors(row_start, row_stop, col_start, col_stop)
        if factors is None:
            return None
        unit = self.crs.axis_info[0].unit_conversion_factor if self.crs.axis_info else 1.0
        return abs(self.transform.a * self.transform.e) * unit**2, factors[0], factors[1]

    def crs_label(self) -> str:
        """Short CRS name for messages (EPSG code when there is one)."""
        return short_crs(self.crs)

    def differences(self, other: GridSpec, *, tolerance: float = 1e-6) -> list[str]:
        """How ``self`` differs from ``other``, in words (empty when :meth:`same_as`)."""
        found = []
        if not self.crs.equals(other.crs, ignore_axis_order=True):
            found.append(f"CRS {self.crs_label()} vs {other.crs_label()}")
        if self.shape != other.shape:
            found.append(f"shape (rows, cols) {self.shape} vs {other.shape}")
        res = max(other.resolution)
        if not np.allclose(self.resolution, other.resolution, rtol=0, atol=tolerance * res):
            found.append(f"cell size {self.resolution} vs {other.resolution}")
        origin, other_origin = (self.transform.c, self.transform.f), (other.transform.c, other.transform.f)
        if not np.allclose(origin, other_origin, rtol=0, atol=tolerance * res):
            found.append(f"upper-left corner {origin} vs {other_origin}")
        if self.is_rotated != other.is_rotated:
            found.append("rotation")
        return found

    @cached_property
    def _crs_string(self) -> str:
        return str(self.crs.to_string())  # an authority look-up, ~20 ms: once per grid

    def describe(self) -> dict[str, object]:
        return {
            "crs": self._crs_string,
            "transform": list(self.transform)[:6],
            "shape": list(self.shape),
            "resolution": list(self.resolution),
            "equal_area": self.is_equal_area,
        }

    def same_as(self, other: GridSpec, *, tolerance: float = 1e-6) -> bool:
        """True when both grids have the same CRS, shape and transform (to ``tolerance`` cells)."""
        if self.shape != other.shape or not self.crs.equals(other.crs, ignore_axis_order=True):
            return False
        res = max(self.resolution)
        a = np.array(list(self.transform)[:6])
        b = np.array(list(other.transform)[:6])
        return bool(np.all(np.abs(a - b) <= tolerance * res))

    def default_chunks(self, target_cells: int = 4_194_304) -> tuple[int, int]:
        """Row-band chunks spanning the full width, about ``target_cells`` cells each, in multiples
        of 256 rows when possible (the tile height of written rasters)."""
        rows = max(1, target_cells // max(1, self.cols))
        if rows >= 256:
            rows = rows // 256 * 256
        return min(rows, self.rows), self.cols
