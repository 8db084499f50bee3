"""The compiled loops of the allocation against the Python they replace."""

from __future__ import annotations

import numpy as np
import pytest

from ecociv.models.water_allocation.lake import StorageCurve, _trapezoid_step
from ecociv.models.water_allocation.loops import lake_series, proof_holds


def _cone() -> StorageCurve:
    h = np.linspace(0.0, 12.0, 13)
    c = 4.0e6
    return StorageCurve(100.0 + h, c * h**2 + 1.0e5, c * h**3 / 3.0 + 1.0e5 * h, source="cone")


def test_lake_series_is_the_trapezoid_step_month_after_month() -> None:
    curve = _cone()
    rng = np.random.default_rng(7)
    steps = 60
    months = np.arange(steps, dtype=np.int64) % 12
    inflow = rng.uniform(0.0, 3.0e7, steps)
    inflow[20:26] = 0.0  # a dry half-year: the lake shrinks, maybe to nothing
    rain = rng.uniform(0.0, 0.03, 12)
    evap = rng.uniform(0.05, 0.4, 12)
    volume, precipitation, evaporation, failed = lake_series(2.0e8, inflow, rain, evap, months,
                                                             curve._volume, curve._area)
    assert failed == -1
    current = 2.0e8
    for t in range(steps):
        current, p, e, _ = _trapezoid_step(current, float(inflow[t]), float(rain[months[t]]),
                                           float(evap[months[t]]), curve)
        np.testing.assert_allclose([volume[t], precipitation[t], evaporation[t]], [current, p, e],
                                   rtol=1e-12, atol=1e-6)
    # above the table's last row the last segment is extrapolated, as the curve does
    big = lake_series(float(curve._volume[-1]) * 3, np.zeros(1), rain, evap, months[:1], curve._volume, curve._area)
    expected = _trapezoid_step(float(curve._volume[-1]) * 3, 0.0, float(rain[0]), float(evap[0]), curve)
    np.testing.assert_allclose(big[0][0], expected[0], rtol=1e-12)


def test_lake_series_reports_rain_outpacing_the_last_segment() -> None:
    # flat area, rain far above evaporation on a table whose last segment grows in area: the
    # balance has no root on the table (the Python step raises for the same month)
    curve = StorageCurve(np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0e6, 1.0e8]), np.array([0.0, 5.0e5, 5.0e7]),
                         source="steep")
    months = np.zeros(3, dtype=np.int64)
    rain = np.full(12, 1.0)
    evap = np.zeros(12)
    *_, failed = lake_series(4.0e7, np.zeros(3), rain, evap, months, curve._volume, curve._area)
    assert failed == 0
    with pytest.raises(ValueError, match="outpaces"):
        _trapezoid_step(4.0e7, 0.0, 1.0, 0.0, curve)


def _csc(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cols, rows = np.nonzero(matrix.T)
    indptr = np.searchsorted(cols, np.arange(matrix.shape[1] + 1)).astype(np.int64)
    return indptr, rows.astype(np.int64), matrix[rows, cols]


def test_proof_holds_follows_the_signs_of_the_reduced_costs() -> None:
    # min c·x over x0 + x1 = 1 (row 0), 0 ≤ x ≤ 1; basis {x0}: y = c0, d1 = c1 − c0
    matrix = np.array([[1.0, 1.0]])
    indptr, indices, data = _csc(matrix)
    basic = np.array([0], dtype=np.int32)
    x = np.array([1.0, 0.0])
    lower, upper = np.zeros(2), np.ones(2)
    row = np.ones(1)
    no_loose = np.zeros((1, 2), dtype=bool)

    def holds(c0: float, c1: float, loose: np.ndarray = no_loose, col_lower: np.ndarray = lower) -> bool:
        costs = np.array([[c0, c1]])
        duals = np.array([[c0]])
        return bool(proof_holds(basic, costs, duals, 1e-11, indptr, indices, data, x, col_lower, upper,
                                loose, row, row))

    assert holds(1.0, 2.0)  # d1 = 1 > 0 at x1's lower bound: optimal
    assert not holds(2.0, 1.0)  # d1 = −1 at the lower bound: x1 should grow
    assert holds(1.0, 1.0)  # d1 = 0: a tie, left to a later stage
    # x1 = 0.5 off its bounds with d1 ≠ 0 (basis and point disagree): not a proof
    x[:] = [0.5, 0.5]
    assert not holds(1.0, 2.0)
    x[:] = [1.0, 0.0]
    # x1 at a lower bound of 0.5: d1 > 0 is allowed there, not when the stage loosens that bound to 0
    x[:] = [0.5, 0.5]
    assert holds(1.0, 2.0, col_lower=np.array([0.0, 0.5]))
    assert not holds(1.0, 2.0, col_lower=np.array([0.0, 0.5]), loose=np.array([[False, True]]))
    x[:] = [1.0, 0.0]
    # x1 fixed at 0 by its bounds: any sign
    fixed_upper = upper.copy()
    fixed_upper[1] = 0.0
    costs = np.array([[2.0, 1.0]])
    assert proof_holds(basic, costs, np.array([[2.0]]), 1e-11, indptr, indices, data, x, lower,
                       fixed_upper, no_loose, row, row)
    # two stages: a tie at the first is decided by the second
    costs = np.array([[1.0, 1.0], [0.0, -1.0]])
    duals = np.array([[1.0], [0.0]])
    assert not proof_holds(basic, costs, duals, 1e-11, indptr, indices, data, x, lower, upper,
                           np.zeros((2, 2), dtype=bool), row, row)
    costs = np.array([[1.0, 1.0], [0.0, 1.0]])
    assert proof_holds(basic, costs, duals, 1e-11, indptr, indices, data, x, lower, upper,
                       np.zeros((2, 2), dtype=bool), row, row)


def test_take_changes_passes_exactly_the_entries_that_differ() -> None:
    # Program.flush passes HiGHS only the bounds and costs that differ from those it holds
    from ecociv.models.water_allocation.loops import take_changes, take_cost_changes

    held_lower, held_upper = np.array([0.0, 1.0, 2.0, 3.0]), np.array([5.0, 5.0, np.inf, 5.0])
    want_lower, want_upper = np.array([0.0, 1.5, 2.0, 3.0]), np.array([5.0, 5.0, 7.0, 5.0])
    index, lower, upper = np.zeros(4, dtype=np.int32), np.zeros(4), np.zeros(4)
    n = take_changes(want_lower, want_upper, held_lower, held_upper, index, lower, upper)
    assert n == 2 and index[:n].tolist() == [1, 2]
    assert lower[:n].tolist() == [1.5, 2.0] and upper[:n].tolist() == [5.0, 7.0]
    assert np.array_equal(held_lower, want_lower) and np.array_equal(held_upper, want_upper)
    assert take_changes(want_lower, want_upper, held_lower, held_upper, index, lower, upper) == 0
    held = np.zeros(3)
    n = take_cost_changes(np.array([0.0, -1.0, 0.0]), held, index, lower)
    assert n == 1 and index[0] == 1 and lower[0] == -1.0 and held.tolist() == [0.0, -1.0, 0.0]
