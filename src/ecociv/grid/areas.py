r"""True cell areas on projections that do not preserve area (UTM, Lambert conformal, Mercator ...).

The true (ellipsoidal) area of a cell is the integral over the cell of the area density
:math:`g(x, y)`, the true area per map area (the inverse of the areal scale factor). It is
measured as the Jacobian determinant of the map from the grid's CRS to an ellipsoidal Lambert
azimuthal equal-area projection on the same datum, centred on the part of the grid being
fitted (:func:`projection_density`; finite differences of PROJ's transformation, so no
projection-specific formula is needed: a projection that uses spherical formulas on an
ellipsoidal datum, as Web Mercator does, is measured on that ellipsoid too, which PROJ's own
``proj_factors`` does not do). :math:`g` is smooth wherever the projection is, so it
is not evaluated at every cell: it is interpolated by a tensor Chebyshev polynomial fitted on a
small lattice of points over the grid (or over tiles of it), and the polynomial is integrated
exactly over every cell. The areas of a block of cells are then one matrix product
``rows @ coefficients @ cols.T``.

Each fit is checked against the projection on a denser lattice (Chebyshev–Lobatto points of
twice the degree, which include the tile's edges and corners); the degree doubles until the
largest relative error of the density there is below :data:`TOLERANCE`, and a tile that cannot
be fitted (too curved, or partly outside the projection's domain) is split in four. Tiles of at
most :data:`MIN_TILE` cells a side are integrated directly by Gauss–Legendre quadrature of the
density (4 × 4 points per cell); points where the projection has no inverse count as 0, so a
cell wholly outside the projection's domain has no area and one on its edge about the area of
its part inside.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from affine import Affine
    from pyproj import CRS

#: largest relative error of the interpolated area density accepted on the check lattice (the
#: density itself is noisy at about 1e-9 where PROJ inverts a projection by iteration, e.g.
#: polar stereographic near the pole)
TOLERANCE = 1e-8
#: degrees tried for a tile, per axis
DEGREES = (4, 8, 16, 32)
#: tiles with at most this many cells a side are integrated cell by cell
MIN_TILE = 32
#: Gauss–Legendre points per axis and cell on the smallest tiles
GAUSS_POINTS = 4

#: finite-difference step of :func:`projection_density`, in units of the ellipsoid's semi-major
#: axis (about 13 km on the Earth: truncation error ~ step⁴ / 30, rounding error ~ 1e-16 / step)
STEP = 2e-3

#: step reductions tried where the finite-difference stencil leaves the projection's domain
SHRINK = (8.0, 64.0, 512.0)

Density = Callable[[np.ndarray, np.ndarray], np.ndarray]
#: the area density to use on a tile ``(row_start, row_stop), (col_start, col_stop)``
DensityFor = Callable[[tuple[int, int], tuple[int, int]], Density]


def _integrals(edges: np.ndarray, low: float, high: float, degree: int) -> np.ndarray:
    r"""Integral over each interval ``edges[j]..edges[j+1]`` (in cells) of the Chebyshev
    polynomials :math:`T_0 .. T_{degree}` of the position mapped from ``[low, high]`` to [-1, 1];
    shape (len(edges) - 1, degree + 1), in cells.

    Notes
    -----
    Antiderivatives (Mason & Handscomb 2003, *Chebyshev Polynomials*, eq. 2.43):
    :math:`\int T_0 = T_1`, :math:`\int T_1 = T_2 / 4`,
    :math:`\int T_k = T_{k+1} / (2(k+1)) - T_{k-1} / (2(k-1))` for :math:`k \ge 2`.
    """
    from numpy.polynomial import chebyshev as cheb

    t = (2.0 * (edges - low) / (high - low)) - 1.0
    values = cheb.chebvander(t, degree + 1)  # T_0 .. T_{degree+1} at every edge
    anti = np.empty((len(edges), degree + 1))
    anti[:, 0] = values[:, 1]
    if degree >= 1:
        anti[:, 1] = values[:, 2] / 4.0
    for k in range(2, degree + 1):
        anti[:, k] = values[:, k + 1] / (2 * (k + 1)) - values[:, k - 1] / (2 * (k - 1))
    return np.diff(anti, axis=0) * ((high - low) / 2.0)


def _nodes(low: float, high: float, count: int) -> np.ndarray:
    """``count`` Chebyshev points of the first kind on [low, high] (interpolation nodes)."""
    t = np.cos(np.pi * (np.arange(count) + 0.5) / count)
    return low + (t + 1.0) * (high - low) / 2.0


def _lobatto(low: float, high: float, count: int) -> np.ndarray:
    """``count`` Chebyshev–Lobatto points on [low, high], ends included (check points)."""
    t = np.cos(np.pi * np.arange(count) / (count - 1))
    return low + (t + 1.0) * (high - low) / 2.0


@dataclass(frozen=True)
class _Tile:
    """Cells ``rows[0]:rows[1]``, ``cols[0]:cols[1]``: Chebyshev coefficients of the density
    (``coef``, shape (degree + 1, degree + 1), rows first) or, on the smallest tiles, the mean
    density of every cell (``means``)."""

    rows: tuple[int, int]
    cols: tuple[int, int]
    coef: np.ndarray | None = None
    means: np.ndarray | None = None
    error: float = 0.0

    def mean_density(self, rows: tuple[int, int], cols: tuple[int, int]) -> np.ndarray:
        """Mean density of cells ``rows[0]:rows[1]``, ``cols[0]:cols[1]`` (inside the tile)."""
        if self.means is not None:
            return self.means[rows[0] - self.rows[0]:rows[1] - self.rows[0],
                              cols[0] - self.cols[0]:cols[1] - self.cols[0]]
        factors = self.factors(rows, cols)
        assert factors is not None
        return factors[0] @ factors[1].T

    def factors(self, rows: tuple[int, int],
                cols: tuple[int, int]) -> tuple[np.ndarray, np.ndarray] | None:
        """``(left, right)``, shapes (rows, k) and (cols, k), whose product ``left @ right.T``
        is :meth:`mean_density` (None on tiles of per-cell means): a compiled loop can form
        each cell's density from k products instead of reading a block of densities."""
        if self.coef is None:
            return None
        degree = self.coef.shape[0] - 1
        along_rows = _integrals(np.arange(rows[0], rows[1] + 1, dtype=np.float64),
                                *self.rows, degree)
        along_cols = _integrals(np.arange(cols[0], cols[1] + 1, dtype=np.float64),
                                *self.cols, degree)
        return along_rows @ self.coef, along_cols


def _fit(density: Density, rows: tuple[int, int], cols: tuple[int, int],
         tolerance: float) -> _Tile | None:
    """A checked Chebyshev fit of ``density`` over the tile, or None when none is good enough."""
    from numpy.polynomial import chebyshev as cheb

    for degree in DEGREES:
        count = degree + 1
        node_rows, node_cols = _nodes(*rows, count), _nodes(*cols, count)
        values = density(*np.meshgrid(node_cols, node_rows))
        if not np.all(np.isfinite(values)):
            return None
        vander_rows = cheb.chebvander(2 * (node_rows - rows[0]) / (rows[1] - rows[0]) - 1, degree)
        vander_cols = cheb.chebvander(2 * (node_cols - cols[0]) / (cols[1] - cols[0]) - 1, degree)
        coef = np.linalg.solve(vander_rows, np.linalg.solve(vander_cols, values.T).T)
        check_rows, check_cols = _lobatto(*rows, 2 * count + 1), _lobatto(*cols, 2 * count + 1)
        truth = density(*np.meshgrid(check_cols, check_rows))
        if not np.all(np.isfinite(truth)):
            return None
        fitted = cheb.chebgrid2d(2 * (check_rows - rows[0]) / (rows[1] - rows[0]) - 1,
                                 2 * (check_cols - cols[0]) / (cols[1] - cols[0]) - 1, coef)
        error = float(np.max(np.abs(fitted / truth - 1.0)))
        if error <= tolerance:
            return _Tile(rows, cols, coef=coef, error=error)
    return None


def _quadrature(density: Density, rows: tuple[int, int], cols: tuple[int, int]) -> _Tile:
    """Mean density of every cell by Gauss–Legendre quadrature. Points where the density is
    undefined (outside the projection's domain, e.g. beyond the edge of a world map) count as
    0: a cell partly outside gets about the area of its part inside, one wholly outside 0."""
    points, weights = np.polynomial.legendre.leggauss(GAUSS_POINTS)
    offsets, weights = (points + 1.0) / 2.0, weights / 2.0
    at_rows = (np.arange(*rows)[:, None] + offsets[None, :]).ravel()
    at_cols = (np.arange(*cols)[:, None] + offsets[None, :]).ravel()
    values = density(*np.meshgrid(at_cols, at_rows))
    n_rows, n_cols = rows[1] - rows[0], cols[1] - cols[0]
    values = np.nan_to_num(values, nan=0.0).reshape(n_rows, GAUSS_POINTS, n_cols, GAUSS_POINTS)
    means = np.einsum("iajb,a,b->ij", values, weights, weights)
    return _Tile(rows, cols, means=means)


def _tiles(density_for: DensityFor, rows: tuple[int, int], cols: tuple[int, int],
           tolerance: float) -> list[_Tile]:
    n_rows, n_cols = rows[1] - rows[0], cols[1] - cols[0]
    density = density_for(rows, cols)
    if n_rows <= MIN_TILE and n_cols <= MIN_TILE:
        return [_quadrature(density, rows, cols)]
    tile = _fit(density, rows, cols, tolerance)
    if tile is not None:
        return [tile]
    row_parts = [rows] if n_rows <= MIN_TILE else [(rows[0], rows[0] + n_rows // 2),
                                                  (rows[0] + n_rows // 2, rows[1])]
    col_parts = [cols] if n_cols <= MIN_TILE else [(cols[0], cols[0] + n_cols // 2),
                                                  (cols[0] + n_cols // 2, cols[1])]
    return [t for r in row_parts for c in col_parts for t in _tiles(density_for, r, c, tolerance)]


class AreaField:
    """Mean area density (true area ÷ nominal cell area, dimensionless) of every cell of a
    ``shape`` grid, from ``density_for(rows, cols)(col, row)``: the density at continuous cell
    positions (cell edges at integers, so the centre of cell (i, j) is (j + 0.5, i + 0.5)), as
    computed for the tile ``rows``, ``cols``.

    The tiles are fitted on first use (thread-safe), so a field can be built cheaply and
    shipped to workers.
    """

    def __init__(self, density_for: DensityFor, shape: tuple[int, int],
                 tolerance: float = TOLERANCE):
        self._density_for = density_for
        self.shape = shape
        self.tolerance = tolerance
        self._fitted: list[_Tile] | None = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, object]:
        self.tiles()
        state = dict(self.__dict__)
        del state["_lock"], state["_density_for"]
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

        def _gone(rows: tuple[int, int], cols: tuple[int, int]) -> Density:
            raise RuntimeError("an unpickled AreaField is already fitted")

        self._density_for = _gone

    def tiles(self) -> list[_Tile]:
        """The fitted tiles covering the grid."""
        with self._lock:
            if self._fitted is None:
                self._fitted = _tiles(self._density_for, (0, self.shape[0]), (0, self.shape[1]),
                                      self.tolerance)
            return self._fitted

    def mean_density(self, row_start: int, row_stop: int, col_start: int, col_stop: int) -> np.ndarray:
        """Mean density of the cells ``row_start:row_stop``, ``col_start:col_stop``."""
        tiles = self.tiles()
        if len(tiles) == 1:
            return tiles[0].mean_density((row_start, row_stop), (col_start, col_stop))
        out = np.empty((row_stop - row_start, col_stop - col_start))
        for tile in tiles:
            r0, r1 = max(row_start, tile.rows[0]), min(row_stop, tile.rows[1])
            c0, c1 = max(col_start, tile.cols[0]), min(col_stop, tile.cols[1])
            if r0 < r1 and c0 < c1:
                out[r0 - row_start:r1 - row_start, c0 - col_start:c1 - col_start] = \
                    tile.mean_density((r0, r1), (c0, c1))
        return out

    def factors(self, row_start: int, row_stop: int, col_start: int,
                col_stop: int) -> tuple[np.ndarray, np.ndarray] | None:
        """:meth:`_Tile.factors` of the cells when one fitted polynomial covers the grid, else
        None (use :meth:`mean_density`)."""
        tiles = self.tiles()
        if len(tiles) != 1:
            return None
        return tiles[0].factors((row_start, row_stop), (col_start, col_stop))


def _nowhere(col: np.ndarray, row: np.ndarray) -> np.ndarray:
    return np.full(np.shape(col), np.nan)


def projection_density(crs: CRS, transform: Affine) -> DensityFor:
    r"""The area density of a projected grid: true area (m² on the CRS's ellipsoid) per map area
    (m²), at continuous cell positions, for each tile.

    Notes
    -----
    A Lambert azimuthal equal-area projection (ellipsoidal, Snyder 1987, *Map Projections - A
    Working Manual*, USGS PP 1395, pp. 187-190) preserves area, so the true area element is
    :math:`|\partial(X, Y) / \partial(x, y)|\,dx\,dy` with :math:`(X, Y)` its coordinates of
    the point with grid coordinates :math:`(x, y)`. The derivatives are fourth-order central
    differences with step :data:`STEP` × the semi-major axis. The projection is centred on the
    tile's centre, far from its singular antipode.
    """
    from pyproj import Transformer

    unit = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
    geodetic = crs.geodetic_crs
    assert geodetic is not None and geodetic.ellipsoid is not None, "a projected CRS has an ellipsoid"
    ellipsoid = geodetic.ellipsoid
    shape = f"+a={ellipsoid.semi_major_metre!r} " + (
        f"+rf={ellipsoid.inverse_flattening!r}" if ellipsoid.inverse_flattening else "+es=0")
    step = STEP * ellipsoid.semi_major_metre / unit
    to_lonlat = Transformer.from_crs(crs, geodetic, always_xy=True)
    offsets = np.array([-2.0, -1.0, 1.0, 2.0])[:, None] * step
    weights = np.array([1.0, -8.0, 8.0, -1.0])[:, None] / (12.0 * step)

    def density_for(rows: tuple[int, int], cols: tuple[int, int]) -> Density:
        # the tile's centre, or the point of a 9 × 9 lattice over it nearest to the centre
        # where the projection is defined (a tile across the outline of a world map)
        at = np.linspace(0.0, 1.0, 9)
        cc, rr = np.meshgrid(cols[0] + at * (cols[1] - cols[0]), rows[0] + at * (rows[1] - rows[0]))
        order = np.argsort(np.hypot(at[None, :] - 0.5, at[:, None] - 0.5).ravel(), kind="stable")
        at_cols, at_rows = cc.ravel()[order], rr.ravel()[order]
        xs = transform.c + transform.a * at_cols
        ys = transform.f + transform.e * at_rows
        lons, lats = to_lonlat.transform(xs, ys, errcheck=False)
        inside = np.flatnonzero(np.isfinite(lons) & np.isfinite(lats))
        if inside.size == 0:
            return _nowhere
        lon, lat = lons[inside[0]], lats[inside[0]]
        to_plane = Transformer.from_pipeline(
            "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
            f"+step +proj=laea +lat_0={float(lat)!r} +lon_0={float(lon)!r} {shape}")

        def jacobian(x: np.ndarray, y: np.ndarray, shrink: float) -> np.ndarray:
            xs = np.concatenate([x + offsets / shrink, np.broadcast_to(x, (4, x.size))])
            ys = np.concatenate([np.broadcast_to(y, (4, y.size)), y + offsets / shrink])
            lons, lats = to_lonlat.transform(xs, ys, errcheck=False)
            big_x, big_y = to_plane.transform(lons, lats, errcheck=False)
            big_x, big_y = np.asarray(big_x), np.asarray(big_y)
            w = weights * shrink
            with np.errstate(invalid="ignore", over="ignore"):  # inf outside the domain
                dx_dx = (w * big_x[:4]).sum(axis=0)
                dy_dx = (w * big_y[:4]).sum(axis=0)
                dx_dy = (w * big_x[4:]).sum(axis=0)
                dy_dy = (w * big_y[4:]).sum(axis=0)
                result = np.abs(dx_dx * dy_dy - dx_dy * dy_dx) / unit**2
            result[~np.isfinite(result) | (result <= 0)] = np.nan
            return result

        def density(col: np.ndarray, row: np.ndarray) -> np.ndarray:
            x = (transform.c + transform.a * np.asarray(col, dtype=np.float64)).ravel()
            y = (transform.f + transform.e * np.asarray(row, dtype=np.float64)).ravel()
            result = jacobian(x, y, 1.0)
            # near the edge of the projection's domain (a world map's outline) the stencil
            # reaches outside: shorter steps there (down to ~25 m)
            for shrink in SHRINK:
                bad = np.isnan(result)
                if not bad.any():
                    break
                result[bad] = jacobian(x[bad], y[bad], shrink)
            return result.reshape(np.shape(col))

        return density

    return density_for
