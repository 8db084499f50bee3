"""`ecological_security_pattern` minimum cumulative resistance: closed-form least-cost paths under
the ArcGIS cost-distance convention (step cost = mean resistance of the two cells × step length,
diagonal steps √2 × cell size), barriers, and properties against a naive reference on random
grids (cost distance ≥ 0, triangle inequality, links keep every source-to-source least cost)."""

from __future__ import annotations

import heapq
import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import minimum_spanning_tree

from ecociv.models.ecological_security_pattern.kernels_paths import (
    corridor_band,
    cost_distance,
    cost_graph,
    least_cost_links,
    path_length,
    zone_links,
)


def _links(resistance: np.ndarray, sources: np.ndarray, dx: float = 100.0, dy: float = 100.0):
    graph = cost_graph(resistance, dx, dy)
    result = cost_distance(graph, sources)
    return result, zone_links(resistance, result, dx, dy)


def _cells(rows_cols: list[tuple[int, int]], cols: int) -> list[int]:
    return [r * cols + c for r, c in rows_cols]


def test_graph_has_eight_neighbours_inside_and_fewer_on_edges() -> None:
    # 3×3 grid: 4 corners × 3 + 4 edge cells × 5 + centre × 8 = 40 directed steps
    graph = cost_graph(np.ones((3, 3)), 10.0, 10.0)
    assert graph.nnz == 40
    # step centre (4) -> right (5): (1 + 1)/2 × 10 m; centre -> corner (8): × √2
    assert graph[4, 5] == pytest.approx(10.0)
    assert graph[4, 8] == pytest.approx(10.0 * math.sqrt(2))


def test_uniform_resistance_straight_row_path() -> None:
    # 3 × 7 cells of 100 m, resistance 5; sources at (1, 0) and (1, 6):
    # 6 orthogonal steps × 5 × 100 m = 3000 resistance·m, length 600 m, straight along row 1
    resistance = np.full((3, 7), 5.0)
    sources = np.zeros((3, 7), dtype=np.int32)
    sources[1, 0], sources[1, 6] = 1, 2
    result, links = _links(resistance, sources)
    assert len(links) == 1
    link = links[0]
    assert (link.source_a, link.source_b) == (1, 2)
    assert link.cost == pytest.approx(3000.0)
    assert link.length_m == pytest.approx(600.0)
    assert list(link.cells) == _cells([(1, c) for c in range(7)], 7)
    # cost distance along the row: 0, 500, 1000, 1500, 1000, 500, 0 (nearest source)
    np.testing.assert_allclose(result.distance[1], [0, 500, 1000, 1500, 1000, 500, 0])
    np.testing.assert_array_equal(result.allocation[1, [0, 1, 2, 4, 5, 6]], [1, 1, 1, 2, 2, 2])  # [3]: a tie


def test_uniform_resistance_diagonal_path_costs_sqrt2_per_step() -> None:
    # 7 × 7 cells of 100 m, resistance 2; corners (0, 0) and (6, 6): 6 diagonal steps of
    # √2 × 100 m: cost 6 × 2 × 141.42 = 1697.06, length 848.53 m, along the diagonal
    resistance = np.full((7, 7), 2.0)
    sources = np.zeros((7, 7), dtype=np.int32)
    sources[0, 0], sources[6, 6] = 1, 2
    _, links = _links(resistance, sources)
    (link,) = links
    assert link.cost == pytest.approx(6 * 2 * 100 * math.sqrt(2))
    assert link.length_m == pytest.approx(600 * math.sqrt(2))
    assert list(link.cells) == _cells([(k, k) for k in range(7)], 7)


def test_rectangular_cells_use_their_own_width_and_height() -> None:
    # cells 100 m wide and 50 m high, resistance 1: a vertical step costs 50, a horizontal 100
    resistance = np.ones((4, 1))
    sources = np.zeros((4, 1), dtype=np.int32)
    sources[0, 0], sources[3, 0] = 1, 2
    _, links = _links(resistance, sources, dx=100.0, dy=50.0)
    assert links[0].cost == pytest.approx(150.0)
    assert links[0].length_m == pytest.approx(150.0)


def test_step_cost_is_the_mean_of_the_two_cells() -> None:
    # 1 × 3 strip, resistances 1, 3, 1, 10 m cells: (1+3)/2 × 10 + (3+1)/2 × 10 = 40
    _, links = _links(np.array([[1.0, 3.0, 1.0]]),
                      np.array([[1, 0, 2]], dtype=np.int32), dx=10.0, dy=10.0)
    assert links[0].cost == pytest.approx(40.0)


@pytest.mark.parametrize("wall", [np.nan, 1000.0])
def test_barrier_forces_the_path_around(wall: float) -> None:
    # 5 × 5 cells of 1 m, resistance 1, a wall in column 2, rows 0-3 (impassable or 1000);
    # sources (0, 0) and (0, 4). Around the wall through (4, 2): from (0, 0) 2 diagonal +
    # 2 vertical steps to (4, 2), the same back up: cost 4 + 4√2 = 9.657 (crossing the 1000
    # wall directly costs ≥ 1001)
    resistance = np.ones((5, 5))
    resistance[0:4, 2] = wall
    sources = np.zeros((5, 5), dtype=np.int32)
    sources[0, 0], sources[0, 4] = 1, 2
    _, links = _links(resistance, sources, dx=1.0, dy=1.0)
    (link,) = links
    assert link.cost == pytest.approx(4 + 4 * math.sqrt(2))
    rows, cols = np.divmod(link.cells, 5)
    assert not np.any((cols == 2) & (rows < 4))
    assert (4 * 5 + 2) in link.cells
    assert link.length_m == pytest.approx(path_length(link.cells, 5, 1.0, 1.0))


def test_impassable_cells_are_unreached_and_walled_off_sources_unlinked() -> None:
    resistance = np.ones((3, 5))
    resistance[:, 2] = np.nan  # a full wall
    sources = np.zeros((3, 5), dtype=np.int32)
    sources[1, 0], sources[1, 4] = 1, 2
    result, links = _links(resistance, sources)
    assert links == []
    assert np.all(np.isinf(result.distance[:, 2])) and np.all(result.allocation[:, 2] == 0)


def test_max_cost_drops_expensive_links() -> None:
    resistance = np.ones((1, 5))
    sources = np.array([[1, 0, 2, 0, 3]], dtype=np.int32)
    graph = cost_graph(resistance, 1.0, 1.0)
    result = cost_distance(graph, sources)
    assert [(k.source_a, k.source_b) for k in zone_links(resistance, result, 1.0, 1.0)] == [(1, 2), (2, 3)]
    assert zone_links(resistance, result, 1.0, 1.0, max_cost=1.5) == []


def test_corridor_band_holds_cells_within_the_width() -> None:
    # path along row 2 of a 5 × 5 grid of 1 m cells, resistance 1: width 1 takes rows 1-3
    graph = cost_graph(np.ones((5, 5)), 1.0, 1.0)
    band = corridor_band(graph, np.arange(10, 15), 1.0)
    assert sorted(set(np.divmod(band, 5)[0])) == [1, 2, 3]
    assert corridor_band(graph, np.arange(10, 15), 0.0).tolist() == list(range(10, 15))


# ---------------------------------------------------------------- naive reference and properties

def _naive_distances(resistance: np.ndarray, dx: float, dy: float, start: int) -> np.ndarray:
    """Textbook Dijkstra with a binary heap over explicit neighbour loops (reference)."""
    rows, cols = resistance.shape
    best = np.full(rows * cols, np.inf)
    if not np.isfinite(resistance.flat[start]):
        return best
    best[start] = 0.0
    heap = [(0.0, start)]
    while heap:
        d, cell = heapq.heappop(heap)
        if d > best[cell]:
            continue
        r, c = divmod(cell, cols)
        for dr, dc in itertools.product((-1, 0, 1), repeat=2):
            rr, cc = r + dr, c + dc
            if (dr, dc) == (0, 0) or not (0 <= rr < rows and 0 <= cc < cols):
                continue
            if not np.isfinite(resistance[rr, cc]):
                continue
            step = (resistance[r, c] + resistance[rr, cc]) / 2 * math.hypot(dr * dy, dc * dx)
            if d + step < best[rr * cols + cc]:
                best[rr * cols + cc] = d + step
                heapq.heappush(heap, (d + step, rr * cols + cc))
    return best


grids = arrays(np.float64, st.tuples(st.integers(2, 6), st.integers(2, 6)),
               elements=st.one_of(st.floats(1.0, 100.0), st.just(np.nan)))


@settings(max_examples=25, deadline=None)
@given(resistance=grids, data=st.data())
def test_cost_distance_matches_naive_dijkstra_nonnegative_and_triangle(resistance, data) -> None:
    rows, cols = resistance.shape
    cells = rows * cols
    a, b, c = (data.draw(st.integers(0, cells - 1)) for _ in range(3))
    graph = cost_graph(resistance, 30.0, 20.0)
    distances = {}
    for start in (a, b, c):
        if not np.isfinite(resistance.flat[start]):
            continue
        labels = np.zeros(cells, dtype=np.int32)
        labels[start] = 1
        got = cost_distance(graph, labels.reshape(rows, cols)).distance.ravel()
        np.testing.assert_allclose(got, _naive_distances(resistance, 30.0, 20.0, start))
        assert np.all(got[np.isfinite(got)] >= 0)
        distances[start] = got
    if len(distances) == 3 and len({a, b, c}) == 3:
        assert distances[a][c] <= distances[a][b] + distances[b][c] + 1e-9


def _mst_weight(k: int, edges: dict[tuple[int, int], float]) -> float:
    rows = [i - 1 for i, _ in edges]
    cols = [j - 1 for _, j in edges]
    # +1 keeps zero-cost edges (touching sources) in the sparse matrix; subtracted below
    tree = minimum_spanning_tree(coo_matrix((np.array(list(edges.values())) + 1.0, (rows, cols)),
                                            shape=(k, k)))
    return float(tree.sum() - tree.nnz)


sources_on_grids = st.tuples(
    arrays(np.float64, st.tuples(st.integers(3, 7), st.integers(3, 7)), elements=st.floats(1.0, 50.0)),
    st.data())


@settings(max_examples=25, deadline=None)
@given(case=sources_on_grids)
def test_links_exact_costs_and_spanning_tree(case) -> None:
    resistance, data = case
    rows, cols = resistance.shape
    picks = data.draw(st.lists(st.integers(0, rows * cols - 1), min_size=2, max_size=4, unique=True))
    labels = np.zeros(rows * cols, dtype=np.int32)
    labels[picks] = np.arange(1, len(picks) + 1)
    labels = labels.reshape(rows, cols)
    graph = cost_graph(resistance, 10.0, 10.0)
    result = cost_distance(graph, labels)
    zones = zone_links(resistance, result, 10.0, 10.0)
    exact = {(i, j): _naive_distances(resistance, 10.0, 10.0, picks[i - 1])[picks[j - 1]]
             for i, j in itertools.combinations(range(1, len(picks) + 1), 2)}
    for link in zones + least_cost_links(graph, labels, zones, 10.0, 10.0):
        # each link costs what its own path costs, and no less than the least cost
        steps = zip(link.cells[:-1], link.cells[1:], strict=True)
        assert link.cost == pytest.approx(sum(graph[int(p), int(q)] for p, q in steps))
        assert link.cost >= exact[(link.source_a, link.source_b)] - 1e-9
        assert labels.flat[link.cells[0]] == link.source_a and labels.flat[link.cells[-1]] == link.source_b
    for link in least_cost_links(graph, labels, zones, 10.0, 10.0):
        assert link.cost == pytest.approx(exact[(link.source_a, link.source_b)])
    # Mehlhorn (1988): a minimum spanning tree of the zone links spans the sources as cheaply as
    # one of the complete graph of least costs
    assert _mst_weight(len(picks), {(k.source_a, k.source_b): k.cost for k in zones}) == \
        pytest.approx(_mst_weight(len(picks), exact))


def test_least_cost_link_may_leave_the_two_zones() -> None:
    # 4 × 6 cells of 10 m, resistance 1; sources 1 at (0, 0), 3 at (0, 1), 2 at (3, 3).
    # Within the zones of 1 and 2 the path costs more than the unrestricted one, which runs
    # diagonally through the zone of 3 (3 diagonal steps: 30√2 = 42.43)
    resistance = np.ones((4, 6))
    labels = np.zeros((4, 6), dtype=np.int32)
    labels[0, 0], labels[3, 3], labels[0, 1] = 1, 2, 3
    graph = cost_graph(resistance, 10.0, 10.0)
    zones = zone_links(resistance, cost_distance(graph, labels), 10.0, 10.0)
    exact = {(k.source_a, k.source_b): k for k in least_cost_links(graph, labels, zones, 10.0, 10.0)}
    within = {(k.source_a, k.source_b): k for k in zones}
    assert exact[(1, 2)].cost == pytest.approx(30 * math.sqrt(2))
    assert within[(1, 2)].cost > exact[(1, 2)].cost
    assert list(exact[(1, 2)].cells) == [0, 7, 14, 21]


def test_least_cost_link_crossing_a_third_source_is_dropped() -> None:
    # 3 × 9 cells of 1 m. Row 0 (resistance 1) holds sources 1 | 3 | 2 at columns 0, 4, 8;
    # row 1 is impassable except at both ends; row 2 is a dear detour (resistance 100) where the
    # zones of 1 and 2 meet. The least-cost path from 1 to 2 runs along row 0 through source 3,
    # so the pair is left to the links 1-3 and 3-2
    resistance = np.ones((3, 9))
    resistance[1, 1:8] = np.nan
    resistance[2, :] = 100.0
    labels = np.zeros((3, 9), dtype=np.int32)
    labels[0, 0], labels[0, 8], labels[0, 4] = 1, 2, 3
    graph = cost_graph(resistance, 1.0, 1.0)
    zones = zone_links(resistance, cost_distance(graph, labels), 1.0, 1.0)
    assert (1, 2) in {(k.source_a, k.source_b) for k in zones}
    exact = least_cost_links(graph, labels, zones, 1.0, 1.0)
    assert {(k.source_a, k.source_b) for k in exact} == {(1, 3), (2, 3)}
    assert all(k.cost == pytest.approx(4.0) for k in exact)


def test_one_byte_labels_and_one_thread_give_the_links_of_int32_labels_on_two(monkeypatch) -> None:
    """The model passes source ids in one byte (up to 254 sources) and searches on one thread
    above a state size: 254 one-cell sources in uint8 give the links of int32 labels searched
    on two threads (the label arithmetic is done on Python ints: 254 + 2 wraps in uint8)."""
    from ecociv.models.ecological_security_pattern import kernels_paths
    from ecociv.models.ecological_security_pattern.grid_dijkstra import GridSearch

    rng = np.random.default_rng(11)
    resistance = rng.uniform(1.0, 20.0, (40, 40))
    labels = np.zeros(40 * 40, dtype=np.int32)
    labels[rng.choice(40 * 40, 254, replace=False)] = np.arange(1, 255)
    labels = labels.reshape(40, 40)

    def links(source_ids: np.ndarray) -> list[tuple[int, int, float, list[int]]]:
        graph = GridSearch(resistance, 10.0, 10.0)
        zones = zone_links(resistance, cost_distance(graph, source_ids), 10.0, 10.0)
        return [(k.source_a, k.source_b, k.cost, k.cells.tolist())
                for k in least_cost_links(graph, source_ids, zones, 10.0, 10.0)]

    two_threads = links(labels)
    monkeypatch.setattr(kernels_paths, "SPAWN_STATE_BYTES", 0)
    one_thread = links(labels.astype(np.uint8))
    assert len(two_threads) > 254 and one_thread == two_threads
