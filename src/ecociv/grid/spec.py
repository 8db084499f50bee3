"""The grid of a run: one CRS, one affine transform, one shape."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from affine import Affine
from pyproj import CRS, Geod

#: Albers equal-area conic for China (standard parallels 25°N and 47°N, central meridian 105°E,
#: WGS84 ellipsoid) - the projection commonly used for national land-use statistics of China.
CHINA_ALBERS = (
    "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
)

_EQUAL_AREA_METHODS = {"aea", "laea", "cea", "moll", "eck4", "eck6", "sinu", "igh", "hammer", "tcea"}


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
        x0, y0 = self.transform * (0, 0)
        x1, y1 = self.transform * (self.cols, self.rows)
        return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)

    @property
    def is_rotated(self) -> bool:
        return self.transform.b != 0 or self.transform.d != 0

    def x_coords(self) -> np.ndarray:
        return self.transform.c + self.transform.a * (np.arange(self.cols) + 0.5)

    def y_coords(self) -> np.ndarray:
        return self.transform.f + self.transform.e * (np.arange(self.rows) + 0.5)

    @cached_property
    def is_equal_area(self) -> bool:
        """True when the CRS is a projection that preserves area."""
        if self.crs.is_geographic:
            return False
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            method = (self.crs.to_dict() or {}).get("proj", "")
        if method in _EQUAL_AREA_METHODS:
            return True
        operation = self.crs.coordinate_operation
        name = operation.method_name.lower() if operation is not None else ""
        return "equal area" in name or "equal-area" in name

    def cell_area_m2(self, row_start: int = 0, row_stop: int | None = None) -> np.ndarray:
        """True (ellipsoidal) area of each cell of rows ``row_start:row_stop``, in m².

        Returns an array of shape (rows, 1) that broadcasts over columns. Equal-area projections
        give the nominal cell area; geographic grids give the exact area of each latitude band on
        the CRS ellipsoid; other projections are corrected by the areal scale factor at the grid's
        centre column of each row (pyproj ``Proj.get_factors``).
        """
        stop = self.rows if row_stop is None else row_stop
        n = stop - row_start
        if self.is_rotated:
            raise ValueError("rotated grids are not supported for area computations")
        if self.is_equal_area:
            unit = self.crs.axis_info[0].unit_conversion_factor if self.crs.axis_info else 1.0
            area = abs(self.transform.a * self.transform.e) * unit**2
            return np.full((n, 1), area)
        if self.crs.is_geographic:
            geod: Geod = self.crs.get_geod()  # type: ignore[assignment]
            top = self.transform.f + self.transform.e * np.arange(row_start, stop)
            bottom = top + self.transform.e
            width = abs(self.transform.a)
            areas = np.array(
                [
                    abs(geod.polygon_area_perimeter([0, width, width, 0], [b, b, t, t])[0])
                    for b, t in zip(bottom, top, strict=True)
                ]
            )
            return areas.reshape(n, 1)
        from pyproj import Proj

        proj = Proj(self.crs)
        ys = self.y_coords()[row_start:stop]
        xs = np.full_like(ys, self.x_coords()[self.cols // 2])
        lon, lat = proj(xs, ys, inverse=True)
        factors = proj.get_factors(lon, lat)
        unit = self.crs.axis_info[0].unit_conversion_factor if self.crs.axis_info else 1.0
        nominal = abs(self.transform.a * self.transform.e) * unit**2
        return (nominal / np.asarray(factors.areal_scale)).reshape(n, 1)

    def describe(self) -> dict[str, object]:
        return {
            "crs": self.crs.to_string(),
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
