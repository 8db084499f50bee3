"""D8 flow routing of ``soil_conservation`` (also used by ``water_conservation``) against pyflwdir.

Peer: pyflwdir (Eilander et al. 2021, https://doi.org/10.5194/hess-25-5287-2021; checked with
pyflwdir 0.5.12). pyflwdir derives its D8 directions by priority-flood depression filling (Wang &
Liu 2006: each cell drains to the neighbour from which the flood reached it), not by steepest
descent (O'Callaghan & Mark 1984) as ours does, so the two networks differ on the same DEM. The
comparisons are therefore:

* the DEMs are pit-free by the peer's own test (``pyflwdir.dem.fill_depressions`` leaves them
  unchanged), and on them every interior cell of ours has a lower receiver;
* accumulation: ``flow_accumulation`` against pyflwdir's ``upstream_area`` and ``accuflux`` on the
  same network, once on our network and once on pyflwdir's;
* directions: where the two networks differ, our receiver is at least as steep as pyflwdir's
  (a steepest-descent peer gives the same directions: test_soil_conservation_pysheds_peer.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from ecociv.models.soil_conservation import kernels

pyflwdir = pytest.importorskip("pyflwdir")


def _pit_free_dem(seed: int, rows: int = 50, cols: int = 70) -> np.ndarray:
    """A plane falling to the east and south, m per cell, with smooth bumps too gentle to make
    pits."""
    rng = np.random.default_rng(seed)
    row, col = np.mgrid[0:rows, 0:cols]
    bumps = ndimage.gaussian_filter(rng.normal(size=(rows, cols)), 3.0)
    bumps *= 4.0 / np.abs(bumps).max()
    dem = 500.0 - 2.0 * col - 1.0 * row + bumps
    return dem.astype(np.float32).astype(np.float64)  # pyflwdir fills in float32: exact there


def _own_network(receivers: np.ndarray, dx: float, dy: float):
    """Our receivers as a pyflwdir network (a cell without receiver is a pit: its own index)."""
    target = receivers.ravel()
    idxs_ds = np.where(target >= 0, target, np.arange(target.size))
    return pyflwdir.FlwdirRaster(idxs_ds, receivers.shape, "d8", transform=(dx, 0.0, 0.0, 0.0, -dy, 0.0))


CASES = [(0, 30.0, 30.0), (1, 30.0, 30.0), (2, 25.0, 40.0)]


@pytest.mark.parametrize(("seed", "dx", "dy"), CASES)
def test_dem_is_pit_free_and_every_interior_cell_drains(seed: int, dx: float, dy: float) -> None:
    dem = _pit_free_dem(seed)
    filled, _ = pyflwdir.dem.fill_depressions(dem)
    np.testing.assert_array_equal(filled, dem)
    receivers = kernels.d8_receivers(dem, dx, dy)
    interior = receivers[1:-1, 1:-1]
    assert np.all(interior >= 0)
    assert np.all(dem.ravel()[interior] < dem[1:-1, 1:-1])


@pytest.mark.parametrize(("seed", "dx", "dy"), CASES)
def test_accumulation_on_our_network_matches_pyflwdir(seed: int, dx: float, dy: float) -> None:
    dem = _pit_free_dem(seed)
    receivers = kernels.d8_receivers(dem, dx, dy)
    network = _own_network(receivers, dx, dy)
    area = np.full(dem.shape, dx * dy)
    ours = kernels.flow_accumulation(receivers, area)
    np.testing.assert_allclose(ours, network.upstream_area(unit="m2"), rtol=1e-12)
    assert ours.max() > 50 * dx * dy  # long flow paths, not a trivial network
    weights = np.random.default_rng(seed).uniform(0.0, 5.0, dem.shape)
    np.testing.assert_allclose(kernels.flow_accumulation(receivers, weights), network.accuflux(weights),
                               rtol=1e-12)


@pytest.mark.parametrize(("seed", "dx", "dy"), CASES)
def test_accumulation_on_pyflwdir_network_matches_pyflwdir(seed: int, dx: float, dy: float) -> None:
    dem = _pit_free_dem(seed)
    network = pyflwdir.from_dem(dem, transform=(dx, 0.0, 0.0, 0.0, -dy, 0.0))
    idxs_ds = np.asarray(network.idxs_ds)
    receivers = np.where(idxs_ds == np.arange(idxs_ds.size), -1, idxs_ds).reshape(dem.shape)
    weights = np.random.default_rng(seed + 10).uniform(0.0, 5.0, dem.shape)
    np.testing.assert_allclose(kernels.flow_accumulation(receivers, weights), network.accuflux(weights),
                               rtol=1e-12)
    np.testing.assert_allclose(kernels.flow_accumulation(receivers, np.full(dem.shape, dx * dy)),
                               network.upstream_area(unit="m2"), rtol=1e-12)


@pytest.mark.parametrize(("seed", "dx", "dy"), CASES)
def test_our_receivers_are_at_least_as_steep_as_pyflwdirs(seed: int, dx: float, dy: float) -> None:
    dem = _pit_free_dem(seed)
    cols = dem.shape[1]
    ours = kernels.d8_receivers(dem, dx, dy).ravel()
    theirs = np.asarray(pyflwdir.from_dem(dem).idxs_ds)
    cells = np.flatnonzero((ours >= 0) & (theirs != np.arange(dem.size)))

    def slope(to: np.ndarray) -> np.ndarray:
        (r0, c0), (r1, c1) = np.divmod(cells, cols), np.divmod(to[cells], cols)
        return (dem.ravel()[cells] - dem.ravel()[to[cells]]) / np.hypot((r1 - r0) * dy, (c1 - c0) * dx)

    assert np.all(slope(ours) >= slope(theirs) - 1e-12)
    assert np.any(ours[cells] != theirs[cells])  # the networks do differ: the check has work to do
