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
        assert search.touched.size == 0


def test_resistance_surface_in_row_bands_equals_one_band(monkeypatch) -> None:
    """Every factor is graded cell by cell, the distance to built-up land on the whole grid:
    bands of 3 rows give the whole-grid surface bit for bit."""
    import pandas as pd
    from affine import Affine

    from ecociv.grid.io import from_array
    from ecociv.grid.spec import CHINA_ALBERS, GridSpec
    from ecociv.models.ecological_security_pattern import model

    rng = np.random.default_rng(9)
    shape = (31, 23)
    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(250.0, 0, 0, 0, -400.0, 5_000_000.0), shape)
    codes = rng.integers(1, 5, shape).astype(float)
    codes[rng.random(shape) < 0.05] = np.nan
    inputs = {
        "land_use": from_array(codes, grid, name="land_use", units=None).chunk({"y": 7}),
        "slope": from_array(rng.uniform(0, 40, shape), grid, name="slope"),
        "disturbance": from_array(rng.uniform(0, 1, shape), grid, name="disturbance"),
        "resistance_table": pd.DataFrame({"lucode": [1, 2, 3, 4],
                                          "resistance": [10.0, 100.0, 1000.0, 3.3],
                                          "built_up": [0, 0, 1, 0]}),
        "grading": "linear",
    }
    monkeypatch.setattr(model, "BAND_CELLS", 1 << 30)
    whole = model.resistance_surface(inputs, 250.0, 400.0)
    monkeypatch.setattr(model, "BAND_CELLS", 3 * 23)
    banded = model.resistance_surface(inputs, 250.0, 400.0)
    np.testing.assert_array_equal(banded, whole)
    assert np.isnan(whole).any() and np.unique(whole[np.isfinite(whole)]).size > 100


def test_queue_and_reached_list_grow_mid_search(monkeypatch) -> None:
    """A queue that starts with room for the origins only grows while the search runs (the
    compiled scan returns, the arrays are enlarged, the scan resumes): SciPy's result still."""
    from ecociv.models.ecological_security_pattern import grid_dijkstra

    monkeypatch.setattr(grid_dijkstra, "_QUEUE_START", 1)
    resistance = _grid(5, (70, 90), 1000)
    graph = cost_graph(resistance, 30.0, 30.0)
    origins = np.flatnonzero(np.isfinite(resistance).ravel())[[0, 2000, 4000]]
    distance, predecessor = dijkstra(graph, directed=True, indices=origins, min_only=True,
                                     return_predecessors=True)[:2]
    search = GridSearch(resistance, 30.0, 30.0)
    reached = search.run(origins)
    assert search._queue.size > 32 and reached.size > 1024  # both grew (two items per pair)
    np.testing.assert_array_equal(search.dist, distance)
    np.testing.assert_array_equal(search.pred, predecessor)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_least_cost_links_on_the_grid_equal_the_full_scipy_searches(seed: int) -> None:
    """On the grid the per-source searches stop once a cell of every candidate source is
    scanned; the links (sources, cost, cells) equal those of SciPy's searches to the limit, on
    grids of few resistance values (ties everywhere) and impassable cells."""
    from ecociv.models.ecological_security_pattern.kernels_paths import (
        cost_distance,
        least_cost_links,
        zone_links,
    )

    resistance = _grid(seed, (45, 52), 3 if seed < 3 else 1000)
    rng = np.random.default_rng(seed + 7)
    labels = np.zeros(resistance.shape, dtype=np.int32)
    passable = np.flatnonzero(np.isfinite(resistance).ravel())
    for label in range(1, 9):
        labels.ravel()[rng.choice(passable, 3, replace=False)] = label
    graph = cost_graph(resistance, 30.0, 40.0)
    zones = zone_links(resistance, cost_distance(graph, labels), 30.0, 40.0)
    full = least_cost_links(graph, labels, zones, 30.0, 40.0)
    search = GridSearch(resistance, 30.0, 40.0)
    early = least_cost_links(search, labels, zone_links(resistance, cost_distance(search, labels),
                                                        30.0, 40.0), 30.0, 40.0)
    assert len(full) > 5
    assert [(k.source_a, k.source_b, k.cost, k.cells.tolist()) for k in early] == \
        [(k.source_a, k.source_b, k.cost, k.cells.tolist()) for k in full]
