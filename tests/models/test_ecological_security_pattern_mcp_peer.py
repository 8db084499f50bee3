"""`ecological_security_pattern` cost distance against scikit-image's minimum-cost-path solver.

Peer: scikit-image ``skimage.graph.MCP_Geometric`` (checked with scikit-image 0.26.0), whose edge
cost is the mean of the two cells' costs times the distance between their centres (``sampling``
gives the cell height and width) - the ArcGIS convention our kernels follow. Infinite costs are
impassable there, NaN resistance here. Compared on random and structured resistance surfaces
with barriers and rectangular cells: the cost distance to the nearest source, the allocation to
the nearest source, and the cost of the least-cost links between sources.
"""

from __future__ import annotations

import numpy as np
import pytest

from ecociv.models.ecological_security_pattern.kernels_paths import (
    cost_distance,
    cost_graph,
    least_cost_links,
    zone_links,
)

graph_module = pytest.importorskip("skimage.graph")

DX, DY = 30.0, 20.0


def _random_surface(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    resistance = rng.uniform(1.0, 100.0, (40, 60))
    resistance[rng.random(resistance.shape) < 0.05] = np.nan  # scattered impassable cells
    resistance[8:32, 30] = np.nan  # walls to go around
    resistance[5, 5:25] = np.nan
    return resistance


def _structured_surface() -> np.ndarray:
    # a valley of resistance 1 winding through a plateau of 50, a river (impassable) with one
    # ford, and a smooth gradient on the right
    rows, cols = 45, 50
    resistance = np.full((rows, cols), 50.0)
    r = np.arange(rows)
    centre = (cols / 2 + 10 * np.sin(r / 6)).astype(int)
    for row, col in zip(r, centre, strict=True):
        resistance[row, max(col - 1, 0):col + 2] = 1.0
    resistance[22, :] = np.nan
    resistance[22, 3] = 5.0  # the ford
    resistance[:, 40:] = np.linspace(1.0, 20.0, 10)[None, :]
    return resistance


def _sources(shape: tuple[int, int]) -> np.ndarray:
    labels = np.zeros(shape, dtype=np.int32)
    labels[1:4, 1:4] = 1
    labels[shape[0] - 3, shape[1] - 3] = 2
    labels[shape[0] - 5:shape[0] - 2, 2:4] = 3
    return labels


def _mcp(resistance: np.ndarray, cells: np.ndarray) -> np.ndarray:
    costs = np.where(np.isfinite(resistance), resistance, np.inf)
    mcp = graph_module.MCP_Geometric(costs, fully_connected=True, sampling=(DY, DX))
    cumulative, _ = mcp.find_costs([tuple(cell) for cell in np.argwhere(cells)])
    return cumulative


SURFACES = {"random-1": lambda: _random_surface(1), "random-2": lambda: _random_surface(2),
            "structured": _structured_surface}


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_cost_distance_and_allocation_match_mcp_geometric(name: str) -> None:
    resistance = SURFACES[name]()
    labels = _sources(resistance.shape)
    labels[~np.isfinite(resistance)] = 0
    result = cost_distance(cost_graph(resistance, DX, DY), labels)
    peer = _mcp(resistance, labels > 0)
    reached = np.isfinite(result.distance)
    np.testing.assert_array_equal(reached, np.isfinite(peer))
    assert reached.sum() > 0.5 * resistance.size
    np.testing.assert_allclose(result.distance[reached], peer[reached], rtol=1e-12, atol=0)
    # allocation: the source whose own cost surface is lowest (random costs: no ties)
    per_source = np.stack([_mcp(resistance, labels == k) for k in (1, 2, 3)])
    nearest = np.where(reached, np.argmin(per_source, axis=0) + 1, 0)
    np.testing.assert_array_equal(result.allocation, nearest)


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_least_cost_links_cost_what_mcp_geometric_finds(name: str) -> None:
    resistance = SURFACES[name]()
    labels = _sources(resistance.shape)
    labels[~np.isfinite(resistance)] = 0
    graph = cost_graph(resistance, DX, DY)
    zones = zone_links(resistance, cost_distance(graph, labels), DX, DY)
    links = least_cost_links(graph, labels, zones, DX, DY)
    assert links
    for link in links:
        from_a = _mcp(resistance, labels == link.source_a)
        assert link.cost == pytest.approx(from_a[labels == link.source_b].min(), rel=1e-12)
        # the path's own steps add up to the cost
        steps = zip(link.cells[:-1], link.cells[1:], strict=True)
        assert sum(graph[int(p), int(q)] for p, q in steps) == pytest.approx(link.cost, rel=1e-12)


def test_a_wall_without_gap_leaves_the_far_side_unreached_in_both() -> None:
    resistance = np.ones((10, 10))
    resistance[:, 5] = np.nan
    labels = np.zeros((10, 10), dtype=np.int32)
    labels[4, 1] = 1
    result = cost_distance(cost_graph(resistance, DX, DY), labels)
    peer = _mcp(resistance, labels > 0)
    assert np.all(np.isinf(result.distance[:, 5:])) and np.all(np.isinf(peer[:, 5:]))
    np.testing.assert_allclose(result.distance[:, :5], peer[:, :5], rtol=1e-12)
