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

from ecociv.models.ecological_security_pattern.kernels import corridor_currents, pairwise_currents
from ecociv.models.ecological_security_pattern.kernels_paths import Link

CASE = Path(__file__).parents[1] / "data" / "circuitscape" / "sgVerify10"

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
