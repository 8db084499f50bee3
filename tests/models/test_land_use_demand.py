"""Markov demand: transition counts worked by hand, annualisation by the closed-form root of a
2x2 matrix, the fallback when no stochastic root exists, projection, demand builders and the
feasibility check.

Sources: the 2x2 closed form P^t = (1/(a+b)) [[b + a l^t, a - a l^t], [b - b l^t, a + b l^t]]
with l = 1 - a - b (eigenvalues 1 and l; e.g. Kemeny & Snell, Finite Markov Chains, 1960, ch. 2
[recall]); the embedding problem (Higham & Lin 2011, Linear Algebra Appl. 435:448-463); Manas
River Basin cropland +2036.53 km2 (+34.91 %) 1980-2020 (Lee et al. 2023, Land 12(8):1487, Table 4).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecociv.errors import InputError
from ecociv.models.land_use_change import demand as dm


def two_class(a: float, b: float, t: float) -> np.ndarray:
    """Closed-form t-step matrix of the chain with annual switch probabilities a (1->2), b (2->1)."""
    lam = (1.0 - a - b) ** t
    return np.array([[b + a * lam, a - a * lam], [b - b * lam, a + b * lam]]) / (a + b)


# ---------------------------------------------------------------- counts


def test_counts_and_matrix_by_hand() -> None:
    # initial      final        from 1: (0,0)->1 (0,1)->2 (2,0)->1   -> [2, 1, 0]
    # 1 1 2        1 2 2        from 2: (0,2)->2 (1,0)->2 (2,1)->2   -> [0, 3, 0]
    # 2 3 3        2 3 1        from 3: (1,1)->3 (1,2)->1 (2,2)->3   -> [1, 0, 2]
    # 1 2 3        1 2 3
    initial = np.array([[1, 1, 2], [2, 3, 3], [1, 2, 3]])
    final = np.array([[1, 2, 2], [2, 3, 1], [1, 2, 3]])
    counts = dm.transition_counts(initial, final, [1, 2, 3])
    assert counts.tolist() == [[2, 1, 0], [0, 3, 0], [1, 0, 2]]
    assert counts.dtype == np.int64
    pm = dm.transition_matrix(initial, final, [1, 2, 3])
    np.testing.assert_allclose(pm, [[2 / 3, 1 / 3, 0], [0, 1, 0], [1 / 3, 0, 2 / 3]])
    # orientation: rows = from. Swapping the maps transposes the counts.
    assert dm.transition_counts(final, initial, [1, 2, 3]).tolist() == counts.T.tolist()
    # codes order fixes the row/column order
    assert dm.transition_counts(initial, final, [3, 2, 1]).tolist() == [[2, 0, 1], [0, 3, 0], [0, 1, 2]]


def test_counts_with_mask_and_absent_class() -> None:
    initial = np.array([[1, 1, 255], [1, 2, 2]], dtype=np.uint8)
    final = np.array([[1, 2, 255], [2, 2, 2]], dtype=np.uint8)
    valid = initial != 255
    counts = dm.transition_counts(initial, final, [1, 2, 3], valid)
    assert counts.tolist() == [[1, 2, 0], [0, 2, 0], [0, 0, 0]]
    pm = dm.transition_matrix(initial, final, [1, 2, 3], valid)
    # class 3 absent at the start: identity row
    np.testing.assert_allclose(pm, [[1 / 3, 2 / 3, 0], [0, 1, 0], [0, 0, 1]])


def test_counts_bad_input() -> None:
    a = np.array([[1, 2], [3, 4]])
    with pytest.raises(InputError, match="class code 4 is not in the class table"):
        dm.transition_counts(a, a, [1, 2, 3])
    with pytest.raises(InputError, match="different shapes"):
        dm.transition_counts(a, a[:1], [1, 2, 3, 4])
    with pytest.raises(InputError, match="repeat"):
        dm.transition_counts(a, a, [1, 2, 2, 3, 4])


# ---------------------------------------------------------------- annualisation


def test_two_class_root_by_hand() -> None:
    # annual a = b = 0.2: l = 0.6, l^2 = 0.36; P2 = [[0.68, 0.32], [0.32, 0.68]]; root = [[0.8, 0.2], [0.2, 0.8]]
    res = dm.annualise([[0.68, 0.32], [0.32, 0.68]], 2)
    assert res.method == "principal_root"
    np.testing.assert_allclose(res.matrix, [[0.8, 0.2], [0.2, 0.8]], atol=1e-12)
    assert res.residual < 1e-12
    assert "principal" in res.note


@pytest.mark.parametrize(("a", "b", "n"), [(0.1, 0.05, 10), (0.03, 0.2, 5), (0.25, 0.1, 2.5)])
def test_two_class_root_closed_form(a: float, b: float, n: float) -> None:
    res = dm.annualise(two_class(a, b, n), n)
    assert res.method == "principal_root"
    np.testing.assert_allclose(res.matrix, two_class(a, b, 1.0), atol=1e-10)


def test_three_class_root_recovered() -> None:
    rm = np.array([[0.95, 0.04, 0.01], [0.02, 0.9, 0.08], [0.0, 0.05, 0.95]])
    res = dm.annualise(np.linalg.matrix_power(rm, 10), 10)
    assert res.method == "principal_root"
    np.testing.assert_allclose(res.matrix, rm, atol=1e-10)


def test_one_year_period_is_identity_operation() -> None:
    rm = [[0.9, 0.1], [0.3, 0.7]]
    res = dm.annualise(rm, 1)
    assert res.method == "identity_period"
    np.testing.assert_array_equal(res.matrix, rm)


@pytest.mark.parametrize(
    ("pm", "n"),
    [
        # eigenvalue -0.8 < 0: any stochastic 2x2 root R has R^2 with eigenvalue (1-a-b)^2 >= 0,
        # so no stochastic square root exists
        ([[0.1, 0.9], [0.9, 0.1]], 2),
        ([[0.0, 1.0], [1.0, 0.0]], 2),
        # a 3-cycle: principal cube root has negative entries
        ([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5], [0.5, 0.0, 0.5]], 3),
        # principal root of a slow matrix with one rare jump has a small negative entry
        ([[0.9, 0.1, 0.0], [0.0, 0.9, 0.1], [0.0, 0.0, 1.0]], 10),
    ],
)
def test_fallback_when_no_stochastic_root(pm: list[list[float]], n: int) -> None:
    res = dm.annualise(pm, n)
    assert res.method == "nearest_stochastic_root"
    rm = res.matrix
    assert np.isrealobj(rm)
    assert (rm >= 0).all()
    np.testing.assert_allclose(rm.sum(axis=1), 1.0, atol=1e-12)
    residual = np.abs(np.linalg.matrix_power(rm, n) - np.asarray(pm)).max()
    assert res.residual == pytest.approx(residual, abs=1e-12)
    assert "no stochastic" in res.note and f"{residual:.2e}" in res.note


def test_fallback_is_close_when_root_is_nearly_stochastic() -> None:
    # 0.9/0.1 chain in which 1 -> 3 needs two steps: the principal 10th root is almost stochastic,
    # the regularised root reproduces P to better than 0.01 (Eastman & He 2020 report errors of the
    # same order for the "zero the small negatives" fix)
    res = dm.annualise([[0.9, 0.1, 0.0], [0.0, 0.9, 0.1], [0.0, 0.0, 1.0]], 10)
    assert res.residual < 0.01


@pytest.mark.parametrize(
    ("pm", "years", "match"),
    [
        ([[0.5, 0.6], [0.5, 0.5]], 2, "row 0"),
        ([[1.2, -0.2], [0.5, 0.5]], 2, "negative probability"),
        ([[0.5, 0.5]], 2, "square"),
        ([[np.nan, 1.0], [0.5, 0.5]], 2, "NaN"),
        ([[0.5, 0.5], [0.5, 0.5]], 0, "years must be > 0"),
        ([[0.5, 0.5], [0.5, 0.5]], "x", "years must be a number"),
    ],
)
def test_annualise_bad_input(pm: list[list[float]], years: object, match: str) -> None:
    with pytest.raises(InputError, match=match):
        dm.annualise(pm, years)  # type: ignore[arg-type]


# ---------------------------------------------------------------- projection


def test_projection_equals_repeated_multiplication() -> None:
    rm = np.array([[0.95, 0.04, 0.01], [0.02, 0.9, 0.08], [0.1, 0.05, 0.85]])
    a0 = np.array([100.0, 50.0, 25.0])
    out = dm.project_areas(a0, rm, 7)
    assert out.shape == (8, 3)
    np.testing.assert_array_equal(out[0], a0)
    for t in range(8):
        np.testing.assert_allclose(out[t], a0 @ np.linalg.matrix_power(rm, t), rtol=1e-12)
    np.testing.assert_allclose(out.sum(axis=1), 175.0)


def test_projection_bad_input() -> None:
    with pytest.raises(InputError, match="areas0"):
        dm.project_areas([1.0, 2.0, 3.0], np.eye(2), 3)
    with pytest.raises(InputError, match="n_years"):
        dm.project_areas([1.0, 2.0], np.eye(2), -1)


# ---------------------------------------------------------------- demand builders


def _maps() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    lu0 = rng.integers(1, 4, size=(40, 50))
    lu1 = np.where(rng.random(lu0.shape) < 0.1, rng.integers(1, 4, size=lu0.shape), lu0)
    zones = np.repeat(np.array([[1, 2]]), 25, axis=1).repeat(40, axis=0)
    return lu0, lu1, zones


def test_demand_from_markov() -> None:
    lu0, lu1, zones = _maps()
    d = dm.demand_from_markov(
        lu0,
        lu1,
        [1, 2, 3],
        year_initial=2010,
        year_final=2020,
        end_year=2030,
        cell_area_km2=0.25,
        zones=zones,
        zone_names={1: "west", 2: "east"},
    )
    assert list(d.columns) == list(dm.DEMAND_COLUMNS)
    assert sorted(d["zone"].unique()) == ["all", "east", "west"]
    assert sorted(d["year"].unique()) == list(range(2020, 2031))
    tot = d.groupby(["year", "zone"])["area_km2"].sum().unstack()
    np.testing.assert_allclose(tot["all"], 2000 * 0.25)
    np.testing.assert_allclose(tot["west"], 1000 * 0.25)
    first = d[(d.year == 2020) & (d.zone == "all")]["area_km2"].to_numpy()
    np.testing.assert_allclose(first, np.bincount(lu1.ravel(), minlength=4)[1:] * 0.25)
    zsum = d[d.zone != "all"].groupby(["year", "lucode"])["area_km2"].sum().to_numpy()
    np.testing.assert_allclose(zsum, d[d.zone == "all"]["area_km2"].to_numpy())
    # ten-year projection from 2020 equals one application of the observed 10-year zone matrices
    west = zones == 1
    pm = dm.transition_matrix(lu0, lu1, [1, 2, 3], west)
    a20 = np.bincount(lu1[west], minlength=4)[1:] * 0.25
    got = d[(d.year == 2030) & (d.zone == "west")]["area_km2"].to_numpy()
    fit = d.attrs["annualised"]["west"]
    np.testing.assert_allclose(got, a20 @ np.linalg.matrix_power(fit.matrix, 10), rtol=1e-10)
    if fit.method == "principal_root":
        np.testing.assert_allclose(got, a20 @ pm, rtol=1e-8)


def test_demand_from_markov_no_change_is_constant() -> None:
    lu0, _, _ = _maps()
    d = dm.demand_from_markov(lu0, lu0, [1, 2, 3], year_initial=2000, year_final=2010, end_year=2015, cell_area_km2=1.0)
    wide = d.pivot(index="year", columns="lucode", values="area_km2")
    np.testing.assert_allclose(wide.to_numpy() - wide.iloc[0].to_numpy(), 0.0, atol=1e-9)


def test_demand_from_markov_bad_years() -> None:
    lu0, lu1, _ = _maps()
    with pytest.raises(InputError, match="year_initial < year_final <= end_year"):
        dm.demand_from_markov(lu0, lu1, [1, 2, 3], year_initial=2020, year_final=2010, end_year=2030, cell_area_km2=1.0)
    with pytest.raises(InputError, match="cell area"):
        dm.demand_from_markov(lu0, lu1, [1, 2, 3], year_initial=2010, year_final=2020, end_year=2030, cell_area_km2=0.0)


def _init() -> pd.DataFrame:
    return pd.DataFrame({"zone": "all", "lucode": [1, 3, 5, 6], "area_km2": [100.0, 200.0, 20.0, 680.0]})


def test_demand_from_targets_interpolates_by_hand() -> None:
    targets = pd.DataFrame({"year": [2020, 2030], "lucode": [1, 1], "area_km2": [100.0, 150.0]})
    d = dm.demand_from_targets(targets, _init(), [2020, 2024, 2030])
    crop = d[d.lucode == 1].set_index("year")["area_km2"]
    # 100 + (150 - 100) * 4/10 = 120
    assert crop.loc[2024] == pytest.approx(120.0)
    desert = d[d.lucode == 6].set_index("year")["area_km2"]
    assert desert.loc[2024] == pytest.approx(660.0)  # absorber gives what cropland gains
    np.testing.assert_allclose(d.groupby("year")["area_km2"].sum(), 1000.0)
    # base_year anchors classes at their initial area
    d2 = dm.demand_from_targets(targets.iloc[1:], _init(), [2025], base_year=2020)
    assert d2[d2.lucode == 1]["area_km2"].item() == pytest.approx(125.0)


@pytest.mark.parametrize(
    ("rows", "years", "match"),
    [
        ({"year": [2020, 2030], "lucode": [1, 1], "area_km2": [100.0, 150.0]}, [2035], "year 2035 is outside"),
        ({"year": [2020], "lucode": [6], "area_km2": [100.0]}, [2020], "absorbing class"),
        ({"year": [2020], "lucode": [1], "area_km2": [1000.0]}, [2020], "excess 220.000 km2"),  # 1000 + 200 + 20 - 1000
        ({"year": [2020], "lucode": [9], "area_km2": [1.0]}, [2020], "class 9"),
        ({"year": [2020], "lucode": [1], "area_km2": [-1.0]}, [2020], "area_km2 must be a number >= 0"),
        ({"year": [2020], "lucode": [1], "area_km2": [1.0], "zone": ["nowhere"]}, [2020], "zone 'nowhere'"),
    ],
)
def test_demand_from_targets_bad_input(rows: dict[str, list[object]], years: list[int], match: str) -> None:
    with pytest.raises(InputError, match=match):
        dm.demand_from_targets(pd.DataFrame(rows), _init(), years)


def test_manas_rate_reproduces_published_change() -> None:
    # Lee et al. 2023: cultivated land +2036.53 km2 = +34.91 % from 1980 to 2020, so the 1980 area
    # was 2036.53 / 0.3491 = 5833.67 km2; the compounded default must give the same change in 40 yr
    a1980 = 2036.53 / 0.3491
    init = pd.DataFrame({"zone": "all", "lucode": [1, 6], "area_km2": [a1980, 10_000.0]})
    d = dm.demand_from_rates(init, {1: dm.MANAS_CROPLAND_GROWTH_PCT_PER_YR}, base_year=1980, end_year=2020)
    crop = d[d.lucode == 1].set_index("year")["area_km2"]
    assert crop.loc[2020] - crop.loc[1980] == pytest.approx(2036.53, rel=1e-4)
    assert dm.MANAS_CROPLAND_GROWTH_PCT_PER_YR == pytest.approx(0.751, abs=5e-4)
    np.testing.assert_allclose(d.groupby("year")["area_km2"].sum(), a1980 + 10_000.0)
    with pytest.raises(InputError, match="shortfall"):
        dm.demand_from_rates(init, {1: 50.0}, base_year=1980, end_year=2020)
    with pytest.raises(InputError, match="> -100"):
        dm.demand_from_rates(init, {1: -100.0}, base_year=1980, end_year=2020)


def test_demand_to_cells_keeps_totals() -> None:
    d = pd.DataFrame({"year": 2020, "zone": "all", "lucode": [1, 2, 3], "area_km2": [1.4, 1.3, 1.3]})
    cells = dm.demand_to_cells(d, 1.0)
    # floors 1, 1, 1 = 3; total 4: one more cell to the largest remainder (class 1, 0.4)
    assert cells["cells"].tolist() == [2, 1, 1]


def test_validate_demand_bad_input() -> None:
    with pytest.raises(InputError, match="missing column"):
        dm.validate_demand(pd.DataFrame({"year": [2020]}))
    bad = pd.DataFrame({"year": [2020, 2020], "zone": "all", "lucode": [1, 1], "area_km2": [1.0, 2.0]})
    with pytest.raises(InputError, match="duplicate row for year 2020"):
        dm.validate_demand(bad)


# ---------------------------------------------------------------- feasibility


def test_check_feasible_names_class_zone_year_shortfall() -> None:
    d = pd.DataFrame(
        {
            "year": [2030, 2030, 2035, 2035],
            "zone": "east",
            "lucode": [1, 5, 1, 5],
            "area_km2": [40.0, 10.0, 52.5, 12.0],
        }
    )
    cap = {("east", 1): 200, ("east", 5): 100}  # cells of 0.25 km2: 50 km2 of cropland, 25 of built-up
    with pytest.raises(InputError) as err:
        dm.check_feasible(d, cap, 0.25)
    msg = str(err.value)
    assert "class 1" in msg and "zone 'east'" in msg and "year 2035" in msg and "shortfall 2.500 km2" in msg
    dm.check_feasible(d, {("east", 1): 210, ("east", 5): 100}, 0.25)  # 52.5 km2 fits exactly
    table = pd.DataFrame({"zone": ["east"], "lucode": [5], "cells": [40]})
    with pytest.raises(InputError, match=r"shortfall 2\.000 km2"):
        dm.check_feasible(d, table, 0.25)
