"""Synthetic landscapes made by a known process: deterministic by seed, and the Markov demand
recovers the known annual transition probabilities from the two maps.

Tolerance of the recovery: with about 13,000 cells per class and 5 annual steps, a probability of
0.03/yr is estimated from ~65,000 cell-years (standard error ~0.0007); the process lets a cell move
twice (a bias of order p^2 ~ 1e-3), so the annualised matrix must match within 0.003.
"""

from __future__ import annotations

import numpy as np
import pytest

from ecociv.errors import InputError
from ecociv.models.land_use_change import demand as dm
from ecociv.models.land_use_change.synthetic import make_landscape

CODES = [1, 2, 3]
P = np.array([[0.97, 0.02, 0.01], [0.01, 0.96, 0.03], [0.02, 0.01, 0.97]])
WEIGHTS = {1: [2.0, 0.8, 0.0, -0.3], 2: [0.2, -1.5, 0.6, 0.0], 3: [0.0, 0.3, -0.9, 2.2]}


def test_deterministic_by_seed() -> None:
    a = make_landscape((60, 80), CODES, annual_P=P, suitability_surfaces=WEIGHTS, years=3, seed=7)
    b = make_landscape((60, 80), CODES, annual_P=P, suitability_surfaces=WEIGHTS, years=3, seed=7)
    c = make_landscape((60, 80), CODES, annual_P=P, suitability_surfaces=WEIGHTS, years=3, seed=8)
    np.testing.assert_array_equal(a.initial, b.initial)
    np.testing.assert_array_equal(a.final, b.final)
    np.testing.assert_array_equal(a.drivers, b.drivers)
    assert not np.array_equal(a.final, c.final)
    assert a.drivers.shape == (4, 60, 80) and a.drivers.dtype == np.float32
    assert a.driver_names == ["driver_1", "driver_2", "driver_3", "driver_4"]
    np.testing.assert_array_equal(a.true_P, P)
    # ranking = order of |weight|
    assert a.true_ranking == {
        1: ["driver_1", "driver_2", "driver_4", "driver_3"],
        2: ["driver_2", "driver_3", "driver_1", "driver_4"],
        3: ["driver_4", "driver_3", "driver_2", "driver_1"],
    }


def test_initial_shares_exact_and_driver_independent() -> None:
    ls = make_landscape(
        (100, 100),
        CODES,
        annual_P=P,
        suitability_surfaces=WEIGHTS,
        years=1,
        seed=1,
        initial_shares={1: 0.5, 2: 0.3, 3: 0.2},
    )
    counts = np.bincount(ls.initial.ravel(), minlength=4)[1:]
    np.testing.assert_allclose(counts / 10_000, [0.5, 0.3, 0.2], atol=1e-3)
    # the initial pattern does not follow the drivers
    for j in range(4):
        r = np.corrcoef(ls.drivers[j].ravel(), (ls.initial == 1).ravel())[0, 1]
        assert abs(r) < 0.15


def test_transition_probabilities_recovered() -> None:
    ls = make_landscape((200, 200), CODES, annual_P=P, suitability_surfaces=WEIGHTS, years=5, seed=1)
    assert ls.clipped_cells == 0
    fit = dm.annualise(dm.transition_matrix(ls.initial, ls.final, CODES), ls.years)
    assert fit.method == "principal_root"
    assert np.abs(fit.matrix - P).max() < 0.003


def test_changes_follow_the_true_suitability() -> None:
    ls = make_landscape((200, 200), CODES, annual_P=P, suitability_surfaces=WEIGHTS, years=5, seed=2)
    for j, code in enumerate(CODES):
        grew = (ls.final == code) & (ls.initial != code)
        others = ls.initial != code
        # cells that became the class have a higher true suitability than those that could have
        assert ls.suitability[j][grew].mean() > ls.suitability[j][others].mean() + 0.05


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"annual_P": [[0.9, 0.2, 0.0], [0, 1, 0], [0, 0, 1]]}, "row 0"),
        ({"annual_P": np.eye(2)}, "3x3"),
        ({"years": 0}, "years must be >= 1"),
        ({"suitability_surfaces": {9: [1.0]}}, "unknown: \\[9\\]"),
        ({"suitability_surfaces": {1: [1.0], 2: [1.0, 2.0]}}, "same number"),
        ({"initial_shares": {1: 0.5}}, "sum to 1"),
        ({"nan_fraction": 1.0}, "nan_fraction"),
        ({"driver_names": ["a"]}, "4 driver names"),
    ],
)
def test_bad_input(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"annual_P": P, "suitability_surfaces": WEIGHTS, "years": 2, "seed": 0}
    args.update(kwargs)
    with pytest.raises(InputError, match=match):
        make_landscape((20, 20), CODES, **args)  # type: ignore[arg-type]
