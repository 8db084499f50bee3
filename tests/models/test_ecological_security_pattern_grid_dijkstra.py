"""The grid Dijkstra (``grid_dijkstra``) equals SciPy's ``dijkstra`` on the sparse step-cost
graph bit for bit: distances, predecessors and nearest sources, on grids full of equal-cost
paths (one or a few resistance values, square and oblong cells), with several sources,
impassable cells, a cost limit and repeated origins."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from ecociv.models.ecological_security_pattern.grid_dijkstra import GridSearch
from ecociv.models.ecological_security_pattern.kernels_paths import cost_graph


def _grid(seed: int, shape: tuple[int, int], levels: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    resistance = rng.integers(1, levels + 1, shape).astype(np.float64)
    if levels > 50:
        resistance = rng.uniform(1, 100, shape)
    resistance[rng.random(shape) < 0.08] = np.nan
    return resistance


@pytest.mark.parametrize(("seed", "shape", "levels", "dx", "dy"), [
    (1, (40, 37), 1, 30.0, 30.0),   # one resistance: ties everywhere
    (2, (53, 61), 3, 30.0, 30.0),
    (3, (47, 29), 2, 1294.0, 732.0),  # oblong cells, as on the benchmark grids
    (4, (60, 60), 1000, 100.0, 100.0),  # continuous values
])
def test_searches_equal_scipy(seed: int, shape: tuple[int, int], levels: int, dx: float,
                              dy: float) -> None:
    resistance = _grid(seed, shape, levels)
    rng = np.random.default_rng(seed + 100)
    labels = np.zeros(shape, dtype=np.int32)
    passable = np.flatnonzero(np.isfinite(resistance).ravel())
    for label in range(1, 6):
        labels.ravel()[rng.choice(passable, 4, replace=False)] = label
    origins = np.flatnonzero(labels.ravel() > 0)
    graph = cost_graph(resistance, dx, dy)
    distance, predecessor, origin = dijkstra(graph, directed=True, indices=origins, min_only=True,
                                             return_predecessors=True)
    search = GridSearch(resistance, dx, dy)
    allocation = np.zeros(resistance.size, dtype=np.int32)
    search.run(origins, labels=labels.ravel(), source=allocation)
    np.testing.assert_array_equal(search.dist, distance)
    np.testing.assert_array_equal(search.pred, predecessor)
    expected = np.where(origin >= 0, labels.ravel()[np.maximum(origin, 0)], 0)
    np.testing.assert_array_equal(allocation, expected)
    dist, pred = search.take()
    np.testing.assert_array_equal(dist, distance)
    np.testing.assert_array_equal(pred, predecessor)
    # bounded searches from a path of cells (unsorted, one repeated), reusing the workspace
    for limit in (float(np.median(distance[np.isfinite(distance)])), 3 * dx, np.inf):
        path = rng.choice(passable, 9, replace=False)
        path = np.concatenate([path, path[:1]])
        reached = dijkstra(graph, directed=True, indices=path, min_only=True,
                           return_predecessors=True, limit=limit)
        cells = search.run(path, limit=limit)
        np.testing.assert_array_equal(search.dist, reached[0])
        np.testing.assert_array_equal(search.pred, reached[1])
        np.testing.assert_array_equal(np.sort(cells), np.flatnonzero(np.isfinite(reached[0])))
        search.reset()
        assert np.isinf(search.dist).all() and (search.pred == -9999).all()
        assert (search.pos == -1).all()
