"""The cellular automaton of ``land_use_change`` (allocation.py, ca_loops.py) on small synthetic
maps: demand met, restrictions and the conversion matrix honoured, reproducibility, and the
direction of the neighbourhood, inertia and suitability effects (PLUS: Liang et al. 2021, CEUS
85:101569; FLUS: Liu et al. 2017, Landscape and Urban Planning 168:94)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from ecociv.errors import InputError
from ecociv.models.land_use_change import ca_loops
from ecociv.models.land_use_change.allocation import (
    Neighbourhood,
    PatchSettings,
    allocate_step,
    cells_from_km2,
    class_index,
    feasibility,
    zone_areas,
)

K = 4  # classes: 0 cropland, 1 grassland, 2 built-up, 3 desert


def _landscape(n: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Blobby class map (quartiles of smoothed noise) and smooth suitability surfaces."""
    rng = np.random.default_rng(seed)
    field = ndimage.gaussian_filter(rng.random((n, n)), 3)
    cls = np.digitize(field, np.quantile(field, [0.25, 0.5, 0.75])).astype(np.int8)
    prob = np.stack([ndimage.gaussian_filter(rng.random((n, n)), 2) for _ in range(K)])
    prob = (prob - prob.min()) / (prob.max() - prob.min())
    return cls, prob.astype(np.float32)


def _run(cls: np.ndarray, prob: np.ndarray, demand: np.ndarray, *, seed: int = 1,
         restricted: np.ndarray | None = None, conversion: np.ndarray | None = None,
         zones: np.ndarray | None = None, weights: np.ndarray | None = None,
         inertia: np.ndarray | None = None, iterations: int = 60) -> tuple[np.ndarray, object]:
    n_zones = demand.shape[0]
    return allocate_step(
        cls, prob, demand,
        neighbourhood=Neighbourhood(3, np.ones(K) if weights is None else weights),
        inertia=np.ones((n_zones, K)) if inertia is None else inertia,
        conversion=np.ones((K, K), bool) if conversion is None else conversion,
        costs=np.zeros((K, K)), restricted=restricted, rng=np.random.default_rng(seed),
        patch=PatchSettings(seed_coefficient=np.full(K, 0.5), max_iterations=iterations),
        zones=zones)


def _demand(cls: np.ndarray, changes: dict[int, int]) -> np.ndarray:
    demand = zone_areas(cls, None, 1, K)
    for k, delta in changes.items():
        demand[0, k] += delta
    return demand


def test_demand_is_met_exactly() -> None:
    cls, prob = _landscape()
    demand = _demand(cls, {0: 150, 2: 60, 1: -120, 3: -90})
    new, state = _run(cls, prob, demand)
    assert state.converged and not state.gap.any()
    np.testing.assert_array_equal(zone_areas(new, None, 1, K), demand)
    # only the shrinking classes lost cells, only the growing ones gained
    changed = new != cls
    assert set(np.unique(cls[changed])) <= {1, 3}
    assert set(np.unique(new[changed])) <= {0, 2}


def test_demand_is_met_per_zone() -> None:
    cls, prob = _landscape()
    zones = np.zeros(cls.shape, np.int16)
    zones[:, 30:] = 1
    demand = np.stack([zone_areas(cls, zones, 2, K)[z] for z in range(2)])
    demand[0, 0] += 80
    demand[0, 1] -= 80
    demand[1, 2] += 50
    demand[1, 3] -= 50
    new, _state = _run(cls, prob, demand, zones=zones)
    np.testing.assert_array_equal(zone_areas(new, zones, 2, K), demand)
    changed = new != cls
    assert set(np.unique(new[changed & (zones == 0)])) == {0}
    assert set(np.unique(new[changed & (zones == 1)])) == {2}


def test_restricted_cells_never_change() -> None:
    cls, prob = _landscape()
    restricted = np.zeros(cls.shape, np.uint32)
    restricted[10:40, 10:40] = ca_loops.ALL_BITS          # e.g. the red line
    forbid_built = np.zeros(cls.shape, bool)
    forbid_built[40:, :] = True                           # no built-up in the south
    restricted[forbid_built] |= np.uint32(1 << 2)
    demand = _demand(cls, {0: 150, 2: 60, 1: -120, 3: -90})
    new, state = _run(cls, prob, demand, restricted=restricted)
    assert state.converged
    np.testing.assert_array_equal(new[10:40, 10:40], cls[10:40, 10:40])
    assert not np.any((new == 2) & (cls != 2) & forbid_built)


def test_conversion_matrix_zeros_never_happen() -> None:
    cls, prob = _landscape()
    conversion = np.ones((K, K), bool)
    conversion[3, 0] = False   # desert may not become cropland
    conversion[1, 2] = False   # grassland may not become built-up
    demand = _demand(cls, {0: 120, 2: 90, 1: -120, 3: -90})
    assert not any(s.any() for s in feasibility(cls, prob, demand, conversion=conversion,
                                                restricted=None, zones=None))
    new, state = _run(cls, prob, demand, conversion=conversion)
    assert state.converged
    assert not np.any((cls == 3) & (new == 0))
    assert not np.any((cls == 1) & (new == 2))


def test_same_seed_same_map_other_seed_other_map() -> None:
    cls, prob = _landscape()
    demand = _demand(cls, {0: 150, 1: -150})
    first, _ = _run(cls, prob, demand, seed=7)
    again, _ = _run(cls, prob, demand, seed=7)
    other, _ = _run(cls, prob, demand, seed=8)
    np.testing.assert_array_equal(first, again)
    assert np.any(first != other)
    np.testing.assert_array_equal(zone_areas(other, None, 1, K), demand)


def test_growth_follows_suitability() -> None:
    cls, prob = _landscape(n=80)
    demand = _demand(cls, {0: 300, 1: -300})
    new, _ = _run(cls, prob, demand)
    gained = (new == 0) & (cls == 1)
    stayed = (new == 1) & (cls == 1)
    assert prob[0][gained].mean() > prob[0][stayed].mean() + 0.05


def test_neighbourhood_effect_grows_next_to_the_class() -> None:
    """With the neighbourhood weight of cropland at 1 new cropland touches old cropland more
    often than with weight ~0 (seeds only, as PLUS's sample weight 0.00001 for water)."""
    cls, _ = _landscape(n=80)
    prob = np.full((K, 80, 80), 0.5, np.float32)
    demand = _demand(cls, {0: 200, 1: -200})
    near = ndimage.binary_dilation(cls == 0, np.ones((3, 3), bool))

    def share_touching(weights: np.ndarray) -> float:
        new, state = _run(cls, prob, demand, weights=weights)
        assert state.converged
        gained = (new == 0) & (cls != 0)
        return float(near[gained].mean())

    assert share_touching(np.ones(K)) > share_touching(np.array([1e-5, 1, 1, 1])) + 0.2


def test_inertia_direction() -> None:
    """A larger adaptive coefficient of a class makes its cells propose fewer changes and other
    cells propose more changes into it (FLUS inertia, PLUS's D_k)."""
    cls, prob = _landscape()
    need = np.zeros((1, K), np.int64)
    need[0, 0] = 10_000
    surplus = np.zeros((1, K), np.int64)
    surplus[0, 1:] = 10_000
    args = (np.zeros((1, 1), np.int16), np.zeros((1, 1), np.uint32), need, surplus, np.ones(K), 1)
    tail = (np.ones((K, K), bool), np.ones((K, K)), np.full(K, 0.5), 0.5, np.uint64(3))

    def proposals(coefficient: np.ndarray) -> np.ndarray:
        out = ca_loops.propose(cls, prob, *args, coefficient, *tail)
        return np.bincount(cls[out >= 0], minlength=K)

    base = proposals(np.ones((1, K)))
    sticky = proposals(np.array([[1.0, 5.0, 1.0, 1.0]]))
    attractive = proposals(np.array([[5.0, 1.0, 1.0, 1.0]]))
    assert sticky[1] < base[1] / 2
    assert attractive[1:].sum() > 1.5 * base[1:].sum()


def test_inertia_rule_of_flus() -> None:
    from ecociv.models.land_use_change.allocation import _adapt

    d = np.ones((1, 3))
    out = _adapt(d, np.array([[-10, 10, 10]]), np.array([[-20, 20, 5]]))
    # excess growing (-10 -> -20): times 10/20; deficit growing (10 -> 20): times 20/10;
    # gap closing: unchanged
    np.testing.assert_allclose(out, [[0.5, 2.0, 1.0]])


def test_unreachable_demand_is_reported_not_hidden() -> None:
    cls, prob = _landscape()
    prob[0] = 0.0   # cropland nowhere suitable: no cell can become cropland
    demand = _demand(cls, {0: 50, 1: -50})
    gain_short, loss_short = feasibility(cls, prob, demand, conversion=np.ones((K, K), bool),
                                         restricted=None, zones=None)
    assert gain_short[0, 0] == 50 and loss_short[0, 1] == 50
    _new, state = _run(cls, prob, demand, iterations=5)
    assert not state.converged and state.gap[0, 0] == 50


def test_restriction_makes_demand_infeasible() -> None:
    cls, prob = _landscape()
    restricted = np.where(cls == 1, ca_loops.ALL_BITS, np.uint32(0)).astype(np.uint32)
    demand = _demand(cls, {0: 50, 1: -50})
    _, loss_short = feasibility(cls, prob, demand, conversion=np.ones((K, K), bool),
                                restricted=restricted, zones=None)
    assert loss_short[0, 1] == 50


def test_conversion_matrix_makes_demand_infeasible() -> None:
    cls, prob = _landscape()
    conversion = np.ones((K, K), bool)
    conversion[3, 0] = False
    conversion[1, 2] = False
    # desert must lose 90 cells but may only become built-up, which needs 60
    demand = _demand(cls, {0: 150, 2: 60, 1: -120, 3: -90})
    gain_short, loss_short = feasibility(cls, prob, demand, conversion=conversion,
                                         restricted=None, zones=None)
    assert gain_short[0, 0] == 30 and loss_short[0, 3] == 30


def test_demand_total_must_match_the_map() -> None:
    cls, prob = _landscape()
    with pytest.raises(InputError, match="demand totals"):
        _run(cls, prob, _demand(cls, {0: 10}))


def test_class_index_names_an_unknown_code() -> None:
    codes = np.array([[1, 2], [9, 255]])
    with pytest.raises(InputError, match=r"row 1, col 0.*\[9\]"):
        class_index(codes, [1, 2], valid=codes != 255)
    np.testing.assert_array_equal(class_index(codes, [1, 2, 9], valid=codes != 255),
                                  [[0, 1], [2, -1]])


def test_cells_from_km2_sum_to_each_zone() -> None:
    # 2 zones of 10 cells of 1 km²; demand 3.3/3.3/3.4 km² and one zone asked 5.5 % too much
    cells = cells_from_km2(np.array([[3.3, 3.3, 3.4], [2.0, 4.0, 4.55]]), np.array([10, 10]), 1.0)
    np.testing.assert_array_equal(cells.sum(axis=1), [10, 10])
    np.testing.assert_array_equal(cells[0], [3, 3, 4])
