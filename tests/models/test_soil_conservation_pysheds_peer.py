"""D8 receivers of ``soil_conservation`` (also used by ``water_conservation``) against pysheds.

Peer: pysheds (Bartos 2020, https://github.com/mdbartos/pysheds; checked with pysheds 0.5)
``Grid.flowdir(routing="d8")``: steepest descent, slope = drop / distance between cell centres
with the true cell width and height, as ours (O'Callaghan & Mark 1984). Conventions mapped: pysheds
marks flats and pits with codes where ours has no receiver (-1), skips nodata and out-of-grid
neighbours as ours does, and breaks ties by its own neighbour order (N, NE, E, ...; ours E, SE,
S, ...); the DEMs below are continuous random values, so ties between two neighbours' slopes do
not occur, except on a flat plateau, where both report no receiver.
"""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine
from scipy import ndimage

from ecociv.models.soil_conservation import kernels

pysheds_grid = pytest.importorskip("pysheds.grid")
pysheds_view = pytest.importorskip("pysheds.sview")

#: pysheds direction code -> (row, col) step, with dirmap = (1, ..., 8)
STEPS = {1: (-1, 0), 2: (-1, 1), 3: (0, 1), 4: (1, 1), 5: (1, 0), 6: (1, -1), 7: (0, -1), 8: (-1, -1)}


def _peer_receivers(dem: np.ndarray, dx: float, dy: float) -> np.ndarray:
    view = pysheds_view.ViewFinder(affine=Affine(dx, 0.0, 0.0, 0.0, -dy, 0.0), shape=dem.shape, nodata=np.nan)
    grid = pysheds_grid.Grid(viewfinder=view)
    codes = np.asarray(grid.flowdir(pysheds_view.Raster(dem.copy(), viewfinder=view), dirmap=tuple(STEPS),
                                    flats=-1, pits=-2, nodata_out=0))
    rows, cols = np.mgrid[0:dem.shape[0], 0:dem.shape[1]]
    receivers = np.full(dem.shape, -1, dtype=np.int64)
    for code, (dr, dc) in STEPS.items():
        here = codes == code
        receivers[here] = ((rows + dr) * dem.shape[1] + cols + dc)[here]
    return receivers


def _dem(seed: int, shape: tuple[int, int] = (40, 55)) -> np.ndarray:
    """Tilted plane, smooth hills and rough noise (pits), a flat plateau and nodata holes, m."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]]
    hills = ndimage.gaussian_filter(rng.normal(size=shape), 3.0)
    dem = 800.0 - 1.5 * cols - 0.7 * rows + 30.0 * hills / np.abs(hills).max() + rng.normal(0.0, 2.0, shape)
    dem[5:12, 30:40] = dem.max() + 10.0  # a plateau: flat inside, draining at its rim
    dem[rng.random(shape) < 0.05] = np.nan
    return dem


@pytest.mark.parametrize(("seed", "dx", "dy"), [(0, 30.0, 30.0), (1, 25.0, 40.0), (2, 40.0, 10.0)])
def test_d8_receivers_match_pysheds(seed: int, dx: float, dy: float) -> None:
    dem = _dem(seed)
    ours = kernels.d8_receivers(dem, dx, dy)
    theirs = _peer_receivers(dem, dx, dy)
    np.testing.assert_array_equal(ours, theirs)
    # the comparison covers every kind of cell: draining, pits, plateau, nodata
    assert (ours >= 0).sum() > 1000
    assert ((ours < 0) & np.isfinite(dem)).sum() > 50
    assert np.isnan(dem).sum() > 50


def test_rectangular_cells_change_the_directions_in_both() -> None:
    dem = _dem(3)
    square = kernels.d8_receivers(dem, 30.0, 30.0)
    tall = kernels.d8_receivers(dem, 10.0, 60.0)
    assert (square != tall).sum() > 100
    np.testing.assert_array_equal(tall, _peer_receivers(dem, 10.0, 60.0))
