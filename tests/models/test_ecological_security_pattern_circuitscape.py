"""`ecological_security_pattern` circuit kernels against Circuitscape's own verification grids.

Peer: Circuitscape.jl 5.17.1 (commit 742dd0a), case ``sgVerify10`` (pairwise mode, 5 × 5 cells,
habitat as conductances, 8 neighbours, average-resistance connections, focal points without
short-circuit polygons); inputs and expected outputs copied unchanged into
``tests/data/circuitscape/`` (MIT licence, see the README there). Circuitscape.jl checks its own
results against these files to 1e-6.

Configuration of ours to match the case: resistance = 1 / conductance, scheme
``average_resistance``; every pair's circuit spans the whole grid (a corridor band of every
passable cell). Circuitscape places focal points 1 and 2 also on two nodata cells, which carry
no conductor; it paints the focal node's value there. Our sources must be passable, so those two
cells are left out of the sources and out of the comparison (each focal id keeps one passable
cell, so shorting focal regions, which our ``pairwise`` mode always does, changes nothing here).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ecociv.models.ecological_security_pattern.kernels import corridor_currents, pairwise_currents
from ecociv.models.ecological_security_pattern.kernels_circuit import pair_current, pairwise_cumulative
from ecociv.models.ecological_security_pattern.kernels_paths import Link

CASE = Path(__file__).parents[1] / "data" / "circuitscape" / "sgVerify10"
NETWORK = Path(__file__).parents[1] / "data" / "circuitscape" / "sgNetworkVerify1"

#: Circuitscape.jl's own tolerance for its verification outputs (test/runtests.jl)
TOLERANCE = 1e-6


def _asc(name: str) -> np.ndarray:
    """An ESRI ASCII grid of the case (6 header lines, nodata -9999 -> NaN)."""
    values = np.loadtxt(CASE / name, skiprows=6)
    return np.where(values == -9999, np.nan, values)


@pytest.fixture(scope="module")
def case() -> dict:
    conductance = _asc("cellmap7.asc")
    resistance = 1.0 / conductance
    points = _asc("points_polys7.asc")
    passable = np.isfinite(resistance)
    sources = np.where(np.isfinite(points) & passable, points, 0).astype(np.int32)
    ids = sorted(int(k) for k in np.unique(sources[sources > 0]))
    table = np.loadtxt(CASE / "sgVerify10_resistances.out")
    header = [int(k) for k in table[0, 1:]]
    expected = {(a, b): table[1 + header.index(a), 1 + header.index(b)]
                for a, b in itertools.combinations(ids, 2)}
    return {"resistance": resistance, "sources": sources, "passable": passable,
            "pairs": list(itertools.combinations(ids, 2)), "expected_reff": expected}


def _links(pairs: list[tuple[int, int]]) -> list[Link]:
    return [Link(a, b, np.zeros(0, dtype=np.int64), 0.0, 0.0) for a, b in pairs]


def test_case_has_the_focal_points_and_pairs_we_expect(case: dict) -> None:
    assert case["pairs"] == [(1, 2), (1, 3), (1, 4), (1, 7), (2, 3), (2, 4), (2, 7), (3, 4), (3, 7), (4, 7)]


def test_effective_resistances_match_circuitscape(case: dict) -> None:
    band = np.flatnonzero(case["passable"].ravel())
    pairs = case["pairs"]
    _, reff = corridor_currents(case["resistance"], case["sources"], _links(pairs), [band] * len(pairs),
                                "average_resistance")
    expected = np.array([case["expected_reff"][pair] for pair in pairs])
    # the .out file carries 10 significant digits
    np.testing.assert_allclose(reff, expected, rtol=1e-9)
    _, reff_pairwise = pairwise_currents(case["resistance"], case["sources"], _links(pairs), "average_resistance")
    np.testing.assert_allclose(reff_pairwise, expected, rtol=1e-9)


@pytest.mark.parametrize("pair", list(itertools.combinations([1, 2, 3, 4, 7], 2)))
def test_pair_current_maps_match_circuitscape(case: dict, pair: tuple[int, int]) -> None:
    band = np.flatnonzero(case["passable"].ravel())
    current, _ = corridor_currents(case["resistance"], case["sources"], _links([pair]), [band],
                                   "average_resistance")
    expected = _asc(f"sgVerify10_curmap_{pair[0]}_{pair[1]}.asc")
    ok = case["passable"]
    np.testing.assert_allclose(current[ok], expected[ok], rtol=0, atol=TOLERANCE)


def test_cumulative_current_matches_circuitscape_in_both_modes(case: dict) -> None:
    pairs = case["pairs"]
    band = np.flatnonzero(case["passable"].ravel())
    expected = _asc("sgVerify10_cum_curmap.asc")
    ok = case["passable"]
    summed, _ = corridor_currents(case["resistance"], case["sources"], _links(pairs), [band] * len(pairs),
                                  "average_resistance")
    np.testing.assert_allclose(summed[ok], expected[ok], rtol=0, atol=TOLERANCE)
    pairwise, _ = pairwise_currents(case["resistance"], case["sources"], _links(pairs), "average_resistance")
    np.testing.assert_allclose(pairwise[ok], expected[ok], rtol=0, atol=TOLERANCE)
    # the other connection scheme gives a different map: the comparison can fail
    other, _ = pairwise_currents(case["resistance"], case["sources"], _links(pairs), "average_conductance")
    assert np.abs(other[ok] - expected[ok]).max() > 100 * TOLERANCE


# --- the graph case -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def network() -> dict:
    edges = np.loadtxt(NETWORK / "sgNetworkVerify1_graph_conductances.txt")
    ids = np.unique(edges[:, :2]).astype(np.int64)
    position = {int(k): i for i, k in enumerate(ids)}
    u = np.array([position[int(a)] for a in edges[:, 0]])
    v = np.array([position[int(b)] for b in edges[:, 1]])
    focal = [int(k) for k in np.loadtxt(NETWORK / "sgNetworkVerify1_focal_nodes.txt")]
    n = ids.size
    _, component = connected_components(sp.coo_matrix((np.ones(u.size), (u, v)), shape=(n, n)), directed=False)
    return {"n": n, "u": u, "v": v, "g": edges[:, 2], "position": position, "focal": focal,
            "component": component}


def _by_component(net: dict) -> tuple[np.ndarray, dict[tuple[int, int], float]]:
    """Cumulative node currents and effective resistances, one solve per connected component
    holding two or more focal nodes (pairs in different components have no resistance)."""
    n, u, v, g, component = net["n"], net["u"], net["v"], net["g"], net["component"]
    current = np.zeros(n)
    resistance: dict[tuple[int, int], float] = {}
    for comp in np.unique(component):
        focal = [k for k in net["focal"] if component[net["position"][k]] == comp]
        if len(focal) < 2:
            continue
        members = np.flatnonzero(component == comp)
        local = np.full(n, -1)
        local[members] = np.arange(members.size)
        inside = component[u] == comp
        cumulative, matrix = pairwise_cumulative(members.size, local[u[inside]], local[v[inside]], g[inside],
                                                 local[[net["position"][k] for k in focal]])
        current[members] += cumulative
        for (i, a), (j, b) in itertools.product(enumerate(focal), repeat=2):
            resistance[(a, b)] = float(matrix[i, j])
    return current, resistance


def test_network_resistances_match_circuitscape(network: dict) -> None:
    _, resistance = _by_component(network)
    table = np.loadtxt(NETWORK / "sgNetworkVerify1_resistances.out")
    header = [int(k) for k in table[0, 1:]]
    assert sorted(header) == sorted(network["focal"])
    checked = 0
    for i, a in enumerate(header):
        for j, b in enumerate(header):
            expected = table[1 + i, 1 + j]
            if expected == -1:  # different components
                assert (a, b) not in resistance
            elif a != b:
                assert resistance[(a, b)] == pytest.approx(expected, rel=1e-9)
                checked += 1
    assert checked >= 20


def test_network_cumulative_node_currents_match_circuitscape(network: dict) -> None:
    current, _ = _by_component(network)
    expected = np.loadtxt(NETWORK / "sgNetworkVerify1_node_currents_cum.txt")
    got = np.array([current[network["position"][int(k)]] for k in expected[:, 0]])
    np.testing.assert_allclose(got, expected[:, 1], rtol=0, atol=TOLERANCE)


def test_network_pair_voltages_and_currents_match_circuitscape(network: dict) -> None:
    # Circuitscape grounds node 6 and injects 1 A at node 7; its files list the pair's component
    position, component = network["position"], network["component"]
    members = np.flatnonzero(component == component[position[6]])
    local = np.full(network["n"], -1)
    local[members] = np.arange(members.size)
    inside = component[network["u"]] == component[position[6]]
    result = pair_current(members.size, local[network["u"][inside]], local[network["v"][inside]],
                          network["g"][inside], source=local[position[7]], ground=local[position[6]])
    volts = np.loadtxt(NETWORK / "sgNetworkVerify1_voltages_6_7.txt")
    currents = np.loadtxt(NETWORK / "sgNetworkVerify1_node_currents_6_7.txt")
    assert volts.shape[0] == members.size
    np.testing.assert_allclose([result.volts[local[position[int(k)]]] for k in volts[:, 0]], volts[:, 1],
                               rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose([result.current[local[position[int(k)]]] for k in currents[:, 0]],
                               currents[:, 1], rtol=0, atol=TOLERANCE)
