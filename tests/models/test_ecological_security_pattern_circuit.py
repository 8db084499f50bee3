"""`ecological_security_pattern` circuit theory: analytic effective resistances (series, parallel,
a cell strip, a 2 × 2 block with diagonals) under Circuitscape's conductance conventions
(Circuitscape.jl ``construct_graph``: average conductance, diagonal ÷ √2), Kirchhoff's current
law, Circuitscape's node current, and the one-factorisation pairwise sum against pair-by-pair
solves."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ecociv.models.ecological_security_pattern.kernels_circuit import (
    band_edges,
    edge_conductance,
    effective_resistance,
    grid_edges,
    grounded_system,
    laplacian,
    nested_dissection,
    pair_current,
    pairwise_cumulative,
    sum_abs_pairwise,
    voltages,
)


def test_two_resistors_in_series_and_in_parallel() -> None:
    # series 0 -(2 Ω)- 1 -(3 Ω)- 2: R = 2 + 3 = 5 Ω
    u, v, g = np.array([0, 1]), np.array([1, 2]), np.array([1 / 2, 1 / 3])
    assert effective_resistance(3, u, v, g, 0, 2) == pytest.approx(5.0)
    # parallel: both between 0 and 1: R = 1 / (1/2 + 1/3) = 1.2 Ω
    u, v = np.array([0, 0]), np.array([1, 1])
    assert effective_resistance(2, u, v, g, 0, 1) == pytest.approx(1.2)


@pytest.mark.parametrize("n", [2, 5, 12])
def test_strip_of_unit_cells_has_n_minus_1_ohms(n: int) -> None:
    # a 1 × n strip of resistance-1 cells: n - 1 links of g = (1 + 1)/2 = 1 S in series
    strip = np.ones((1, n))
    u, v, g = grid_edges(strip, np.arange(n).reshape(1, n))
    assert effective_resistance(n, u, v, g, 0, n - 1) == pytest.approx(n - 1)


def test_strip_with_a_dear_cell_under_both_schemes() -> None:
    # cells 1, 3, 1 Ω. Average conductance: g = (1 + 1/3)/2 = 2/3 S per link -> 2 × 1.5 = 3 Ω.
    # Average resistance: g = 1/((1 + 3)/2) = 0.5 S per link -> 2 × 2 = 4 Ω
    strip = np.array([[1.0, 3.0, 1.0]])
    node = np.arange(3).reshape(1, 3)
    u, v, g = grid_edges(strip, node, "average_conductance")
    assert effective_resistance(3, u, v, g, 0, 2) == pytest.approx(3.0)
    u, v, g = grid_edges(strip, node, "average_resistance")
    assert effective_resistance(3, u, v, g, 0, 2) == pytest.approx(4.0)


def test_diagonal_conductance_is_divided_by_sqrt2() -> None:
    assert edge_conductance(np.array(1.0), np.array(1.0), diagonal=True) == pytest.approx(1 / math.sqrt(2))
    assert edge_conductance(np.array(2.0), np.array(2.0), diagonal=True,
                            scheme="average_resistance") == pytest.approx(1 / (2 * math.sqrt(2)))
    # 2 × 2 block of unit cells, opposite corners: the other two corners sit at the same
    # voltage (no current on their diagonal), leaving a-b-d (2 Ω) ∥ a-c-d (2 Ω) ∥ a-d (√2 Ω):
    # R = 1 / (1/2 + 1/2 + 1/√2) = 0.5858 Ω
    u, v, g = grid_edges(np.ones((2, 2)), np.arange(4).reshape(2, 2))
    assert effective_resistance(4, u, v, g, 0, 3) == pytest.approx(1 / (1 + 1 / math.sqrt(2)))


def test_strip_carries_one_ampere_through_every_cell() -> None:
    u, v, g = grid_edges(np.full((1, 6), 4.0), np.arange(6).reshape(1, 6))
    result = pair_current(6, u, v, g, source=0, ground=5)
    np.testing.assert_allclose(result.current, 1.0)
    assert result.resistance == pytest.approx(5 * 4.0)


resistances = arrays(np.float64, st.tuples(st.integers(2, 6), st.integers(2, 6)),
                     elements=st.floats(0.5, 200.0))


@settings(max_examples=25, deadline=None)
@given(resistance=resistances, data=st.data())
def test_current_is_conserved(resistance, data) -> None:
    rows, cols = resistance.shape
    n = rows * cols
    source, ground = data.draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True))
    u, v, g = grid_edges(resistance, np.arange(n).reshape(rows, cols))
    volts = voltages(laplacian(n, u, v, g), source, ground)
    # net current out of each node: +1 A at the source, -1 A at the ground, 0 elsewhere
    flow = g * (volts[u] - volts[v])
    net = np.bincount(u, weights=flow, minlength=n) - np.bincount(v, weights=flow, minlength=n)
    expected = np.zeros(n)
    expected[source], expected[ground] = 1.0, -1.0
    np.testing.assert_allclose(net, expected, atol=1e-9)
    result = pair_current(n, u, v, g, source, ground)
    # Circuitscape node current: 1 A at both terminals, never above 1 A anywhere
    assert result.current[source] == pytest.approx(1.0) and result.current[ground] == pytest.approx(1.0)
    assert np.all(result.current <= 1.0 + 1e-9)
    # the same solve with a nested-dissection order
    rr, cc = np.divmod(np.arange(n), cols)
    ordered = pair_current(n, u, v, g, source, ground, order=nested_dissection(rr, cc, leaf=2))
    np.testing.assert_allclose(ordered.current, result.current, atol=1e-9)


def test_nested_dissection_is_a_permutation_with_unplaced_nodes_last() -> None:
    rows, cols = np.divmod(np.arange(400), 20)
    rows = rows.astype(float)
    rows[[5, 17]] = np.nan
    order = nested_dissection(rows, cols, leaf=8)
    assert sorted(order) == list(range(400))
    assert set(order[-2:]) == {5, 17}


@settings(max_examples=25, deadline=None)
@given(values=arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(2, 7)),
                     elements=st.floats(-10, 10)))
def test_sum_abs_pairwise_matches_naive(values) -> None:
    naive = [sum(abs(a - b) for a, b in itertools.combinations(row, 2)) for row in values]
    np.testing.assert_allclose(sum_abs_pairwise(values), naive, atol=1e-9)


@settings(max_examples=15, deadline=None)
@given(resistance=arrays(np.float64, st.tuples(st.integers(3, 6), st.integers(3, 6)),
                         elements=st.floats(0.5, 50.0)), data=st.data())
def test_pairwise_sum_equals_pair_by_pair_solves(resistance, data) -> None:
    rows, cols = resistance.shape
    n = rows * cols
    focal = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=4, unique=True)))
    u, v, g = grid_edges(resistance, np.arange(n).reshape(rows, cols))
    current, matrix = pairwise_cumulative(n, u, v, g, focal, chunk=7)
    expected = np.zeros(n)
    for i, j in itertools.combinations(range(focal.size), 2):
        pair = pair_current(n, u, v, g, int(focal[i]), int(focal[j]))
        expected += pair.current
        assert matrix[i, j] == pytest.approx(pair.resistance)
        assert matrix[j, i] == pytest.approx(pair.resistance)
    np.testing.assert_allclose(current, expected, atol=1e-9)
    np.testing.assert_allclose(np.diag(matrix), 0.0, atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(resistance=arrays(np.float64, st.tuples(st.integers(2, 7), st.integers(2, 7)),
                         elements=st.floats(0.5, 200.0)), data=st.data())
def test_band_edges_are_the_window_edges(resistance, data) -> None:
    # a band of scattered cells (wrapping from one row's last column to the next row's first,
    # which are not neighbours), two of them shorted into one focal node: the conductors found
    # from the band's cells alone are the window's, in the same order, bit for bit
    rows, cols = resistance.shape
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=rows * cols, max_size=rows * cols)))
    mask[[cols - 1, cols]] = True
    band = np.flatnonzero(mask)
    node_of_band = np.arange(band.size, dtype=np.int32)
    node_of_band[:2] = 0  # shorted: no conductor between them
    node = np.full(rows * cols, -1, dtype=np.int64)
    node[band] = node_of_band
    expected = grid_edges(resistance, node.reshape(rows, cols), "average_conductance")
    for dtype in (np.int64, np.int32):
        found = band_edges(resistance, band.astype(dtype), node_of_band, "average_conductance")
        for got, want in zip(found, expected, strict=True):
            np.testing.assert_array_equal(got, want)


def test_grounded_system_is_the_reordered_laplacian_without_the_ground() -> None:
    # 6 × 40 cells, the first row shorted into focal node 0 (parallel conductors to the second
    # row: a long row that SciPy sorts unstably), ground 7, a nested-dissection order: exactly
    # the entries of L[keep][:, keep] from the whole Laplacian
    rng = np.random.default_rng(7)
    rows, cols = 6, 40
    resistance = rng.uniform(1.0, 50.0, (rows, cols))
    node = np.arange(rows * cols).reshape(rows, cols) - (cols - 1)
    node[0] = 0
    n = int(node.max()) + 1
    u, v, g = grid_edges(resistance, node)
    rr, cc = np.divmod(np.arange(n) + cols - 1, cols)
    order = nested_dissection(rr.astype(float), cc.astype(float), leaf=3)
    keep, matrix = grounded_system(n, u, v, g, 7, order)
    np.testing.assert_array_equal(keep, order[order != 7])
    expected = laplacian(n, u, v, g)[keep][:, keep].tocsc()
    expected.sort_indices()
    np.testing.assert_array_equal(matrix.indptr, expected.indptr)
    np.testing.assert_array_equal(matrix.indices, expected.indices)
    np.testing.assert_array_equal(matrix.data, expected.data)
    assert matrix.indices.dtype == np.int32
