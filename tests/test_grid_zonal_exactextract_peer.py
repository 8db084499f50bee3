"""Exact cell coverage fractions and zonal means of ``ecociv.grid.zonal`` against exactextract.

Peer: exactextract (Baston 2019; Python bindings on PyPI, checked with exactextract 0.3.0), whose
``coverage`` operation gives the fraction of each cell covered by a polygon (float32 there, hence
the 1e-6 tolerance) and ``mean``/``sum`` the coverage-weighted statistics. Polygons cross many
cells: a skewed quadrilateral, a concave star, a polygon with a hole, a multipolygon, and a polygon
running off the grid; rasters on an equal-area grid (where our area weights equal exactextract's
coverage weights) and on a geographic grid (fractions only: exactextract's fractions there are of
degree-square cells, as ours).
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from affine import Affine

from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.grid.zonal import coverage, zonal_statistics

exactextract = pytest.importorskip("exactextract")
from exactextract.raster import NumPyRasterSource  # noqa: E402

ROWS, COLS = 30, 40
ALBERS = GridSpec.from_crs(CHINA_ALBERS, Affine(100.0, 0, 500000.0, 0, -100.0, 4000000.0), (ROWS, COLS))
GEOGRAPHIC = GridSpec.from_crs("EPSG:4326", Affine(0.01, 0, 86.0, 0, -0.01, 44.5), (ROWS, COLS))


def _shapes(grid: GridSpec) -> dict[str, shapely.Geometry]:
    """Polygons in unit coordinates (0..COLS, 0..ROWS from the top-left) mapped onto ``grid``."""
    unit = {
        "quadrilateral": shapely.Polygon([(1.3, 1.3), (33.33, 18.0), (21.0, 28.5), (7.7, 19.9)]),
        "star": shapely.Polygon([(20 + r * np.cos(a), 15 + r * np.sin(a))
                                 for a, r in zip(np.linspace(0, 2 * np.pi, 15, endpoint=False),
                                                 [11.3, 4.1] * 7 + [11.3], strict=True)]),
        "hole": shapely.Polygon([(2.5, 2.5), (37.2, 3.1), (36.4, 27.7), (3.3, 26.2)],
                                [[(10.2, 10.6), (25.7, 9.9), (18.1, 20.3)]]),
        "multipolygon": shapely.MultiPolygon([shapely.Point(8.4, 7.7).buffer(5.3),
                                              shapely.Point(30.2, 21.6).buffer(6.1)]),
        "off the grid": shapely.Polygon([(-6.2, -3.3), (14.6, -2.1), (11.9, 12.4), (-4.1, 9.8)]),
    }
    t = grid.transform
    return {name: shapely.transform(shape, lambda xy: np.column_stack(t * (xy[:, 0], xy[:, 1])))
            for name, shape in unit.items()}


def _peer(values: np.ndarray, grid: GridSpec, shape: shapely.Geometry, ops: list[str]):
    import geopandas as gpd

    left, bottom, right, top = grid.bounds
    raster = NumPyRasterSource(values, xmin=left, ymin=bottom, xmax=right, ymax=top, nodata=-9999.0,
                               srs_wkt=grid.crs_wkt)
    frame = gpd.GeoDataFrame({"id": [1]}, geometry=[shape], crs=grid.crs_wkt)
    return exactextract.exact_extract(raster, frame, ops, output="pandas").iloc[0]


def _values(seed: int = 0) -> np.ndarray:
    values = np.random.default_rng(seed).uniform(0.0, 10.0, (ROWS, COLS))
    values[::7, ::5] = np.nan
    return values


@pytest.mark.parametrize("grid", [ALBERS, GEOGRAPHIC], ids=["albers", "geographic"])
@pytest.mark.parametrize("name", ["quadrilateral", "star", "hole", "multipolygon", "off the grid"])
def test_coverage_fractions_match_exactextract(grid: GridSpec, name: str) -> None:
    shape = _shapes(grid)[name]
    cover = coverage(shape, grid)
    assert cover is not None
    ours = np.zeros(grid.shape)
    ours[cover.slices] = cover.fractions
    row = _peer(np.zeros(grid.shape), grid, shape, ["cell_id", "coverage"])
    theirs = np.zeros(ROWS * COLS)
    theirs[np.asarray(row["cell_id"], dtype=np.int64)] = row["coverage"]
    theirs = theirs.reshape(grid.shape)
    partial = (theirs > 0) & (theirs < 1)
    assert partial.sum() >= 10  # the polygon's boundary crosses cells
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", ["quadrilateral", "star", "hole", "multipolygon", "off the grid"])
def test_weighted_mean_and_sum_match_exactextract(name: str) -> None:
    shape = _shapes(ALBERS)[name]
    values = _values()
    table = zonal_statistics({"v": values}, [shape], ALBERS).iloc[0]
    peer = _peer(np.where(np.isnan(values), -9999.0, values), ALBERS, shape, ["mean", "sum"])
    assert table["v_mean"] == pytest.approx(peer["mean"], rel=1e-6)
    cell_area = 100.0 * 100.0  # m², equal-area grid
    assert table["v_sum_area"] / cell_area == pytest.approx(peer["sum"], rel=1e-6)
