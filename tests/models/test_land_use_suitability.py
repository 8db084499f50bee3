"""Suitability models: on a synthetic landscape made by a known process (known suitability
surfaces from known driver weights), logistic regression and random forest find the top driver of
every class, both when trained on the cells that changed (PLUS's LEAS, Liang et al. 2021, CEUS
85:101569) and on the current pattern of one map; predictions are chunked, float32, in [0, 1] and
equal scikit-learn's own ``predict_proba``; bad inputs are named."""

from __future__ import annotations

import numpy as np
import pytest

from ecociv.errors import InputError
from ecociv.models.land_use_change.suitability import SuitabilityFit, fit_suitability
from ecociv.models.land_use_change.synthetic import Landscape, make_landscape

CODES = [1, 2, 3]
P = np.array([[0.97, 0.02, 0.01], [0.01, 0.96, 0.03], [0.02, 0.01, 0.97]])
WEIGHTS = {1: [2.0, 0.8, 0.0, -0.3], 2: [0.2, -1.5, 0.6, 0.0], 3: [0.0, 0.3, -0.9, 2.2]}


@pytest.fixture(scope="module")
def land() -> Landscape:
    return make_landscape(
        (200, 200), CODES, annual_P=P, suitability_surfaces=WEIGHTS, years=5, seed=3, nan_fraction=0.01
    )


@pytest.fixture(scope="module", params=["logistic", "random_forest", "random_forest_shared"])
def growth_fit(request: pytest.FixtureRequest, land: Landscape) -> SuitabilityFit:
    return fit_suitability(
        land.drivers,
        land.driver_names,
        land.initial,
        CODES,
        final=land.final,
        method=request.param,
        n_samples=8000,
        seed=0,
    )


def top_drivers(fit: SuitabilityFit) -> dict[int, str]:
    c = fit.contributions
    return {int(code): str(g.sort_values("contribution").iloc[-1]["driver"]) for code, g in c.groupby("lucode")}


def test_growth_fit_recovers_top_driver(growth_fit: SuitabilityFit, land: Landscape) -> None:
    assert top_drivers(growth_fit) == {code: land.true_ranking[code][0] for code in CODES}
    assert (growth_fit.scores["trained_on"] == "growth").all()


def test_logistic_recovers_full_ranking(land: Landscape) -> None:
    fit = fit_suitability(land.drivers, land.driver_names, land.initial, CODES, final=land.final, seed=1)
    c = fit.contributions
    for code in CODES:
        got = c[c.lucode == code].sort_values("contribution", ascending=False)["driver"].tolist()
        # the two drivers with zero or near-zero weight may swap; the weighted ones must not
        assert got[:2] == land.true_ranking[code][:2]


def test_contributions_and_scores(growth_fit: SuitabilityFit) -> None:
    c = growth_fit.contributions
    assert list(c.columns) == ["lucode", "driver", "contribution", "method"]
    assert (c["contribution"] >= 0).all()
    np.testing.assert_allclose(c.groupby("lucode")["contribution"].sum(), 1.0)
    expected = {
        "logistic": "abs_standardised_coefficient",
        "random_forest": "mean_decrease_impurity",
        "random_forest_shared": "permutation_auc_shared",
    }
    assert set(c["method"]) == {expected[growth_fit.method]}
    s = growth_fit.scores
    assert s["lucode"].tolist() == CODES
    # the process's own suitability separates growth cells with AUC ~0.69; a learned model must be
    # clearly better than chance (0.5) on the held-out 30 %
    assert (s["auc"] > 0.62).all()
    ratio = s["n_test"] / (s["n_train"] + s["n_test"])  # shared forest: one sample for all classes
    np.testing.assert_allclose(ratio, 0.3, atol=0.01)


def test_permutation_importance(land: Landscape) -> None:
    fit = fit_suitability(
        land.drivers,
        land.driver_names,
        land.initial,
        CODES,
        final=land.final,
        method="random_forest",
        n_samples=6000,
        importance="permutation",
        seed=0,
    )
    assert set(fit.contributions["method"]) == {"permutation_auc"}
    assert top_drivers(fit) == {code: land.true_ranking[code][0] for code in CODES}


@pytest.mark.parametrize("method", ["logistic", "random_forest", "random_forest_shared"])
def test_current_pattern_fit(method: str) -> None:
    # everything starts as class 3; classes 1 and 2 appear where their suitability is high, so the
    # final map's pattern carries the drivers' signal
    pm = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.04, 0.04, 0.92]])
    ls = make_landscape(
        (150, 150), CODES, annual_P=pm, suitability_surfaces=WEIGHTS, years=5, seed=5, initial_shares={3: 1.0}
    )
    fit = fit_suitability(ls.drivers, ls.driver_names, ls.final, CODES, method=method, n_samples=6000)
    assert (fit.scores["trained_on"] == "current").all()
    tops = top_drivers(fit)
    assert tops[1] == ls.true_ranking[1][0]
    assert tops[2] == ls.true_ranking[2][0]


def test_predict_shape_range_chunks_and_mask(growth_fit: SuitabilityFit, land: Landscape) -> None:
    p = growth_fit.predict(land.drivers)
    assert p.shape == (3, 200, 200) and p.dtype == np.float32
    assert np.isfinite(p).all() and p.min() >= 0 and p.max() <= 1
    np.testing.assert_array_equal(growth_fit.predict(land.drivers, chunk_rows=7), p)
    valid = np.zeros((200, 200), bool)
    valid[20:150, 30:] = True
    pv = growth_fit.predict(land.drivers, valid=valid, chunk_rows=33)
    np.testing.assert_array_equal(pv[:, valid], p[:, valid])
    assert (pv[:, ~valid] == 0).all()


def test_predict_equals_sklearn(growth_fit: SuitabilityFit, land: Landscape) -> None:
    if growth_fit.method == "random_forest_shared":
        pytest.skip("one shared model: checked against its formula in test_shared_forest_formula")
    flat = land.drivers.reshape(4, -1)
    x = (flat - growth_fit.mean[:, None]) / growth_fit.scale[:, None]
    x = np.nan_to_num(x, nan=0.0).T
    ref = np.stack([m.predict_proba(x.astype(np.float32))[:, 1] for m in growth_fit.models])
    np.testing.assert_allclose(growth_fit.predict(land.drivers).reshape(3, -1), ref, atol=2e-6)


def test_logistic_follows_true_suitability(land: Landscape) -> None:
    fit = fit_suitability(land.drivers, land.driver_names, land.initial, CODES, final=land.final, seed=0)
    p = fit.predict(land.drivers)
    for j in range(3):
        r = np.corrcoef(p[j].ravel(), land.suitability[j].ravel())[0, 1]
        assert r > 0.9


def test_seeded_and_class_without_growth(land: Landscape) -> None:
    a = fit_suitability(land.drivers, land.driver_names, land.initial, CODES, final=land.final, seed=4)
    b = fit_suitability(land.drivers, land.driver_names, land.initial, CODES, final=land.final, seed=4)
    np.testing.assert_array_equal(a.predict(land.drivers), b.predict(land.drivers))
    # class 7 never appears: no model, suitability 0, AUC NaN, no contribution rows
    fit = fit_suitability(land.drivers, land.driver_names, land.initial, [*CODES, 7], final=land.final)
    assert fit.models[3] is None
    assert np.isnan(fit.scores.set_index("lucode").loc[7, "auc"])
    assert (fit.predict(land.drivers)[3] == 0).all()
    assert 7 not in set(fit.contributions["lucode"])


def test_bad_input(land: Landscape) -> None:
    d, names, lu = land.drivers, land.driver_names, land.initial
    with pytest.raises(InputError, match="unknown method 'svm'"):
        fit_suitability(d, names, lu, CODES, method="svm")
    with pytest.raises(InputError, match="driver names"):
        fit_suitability(d, names[:3], lu, CODES)
    with pytest.raises(InputError, match=r"initial.*differs"):
        fit_suitability(d, names, lu[:10], CODES)
    with pytest.raises(InputError, match="class code 3 is not in the class table"):
        fit_suitability(d, names, lu, [1, 2])
    nan_driver = d.copy()
    nan_driver[2] = np.nan
    with pytest.raises(InputError, match=r"driver_3.*all NaN"):
        fit_suitability(nan_driver, names, lu, CODES)
    with pytest.raises(InputError, match="n_samples"):
        fit_suitability(d, names, lu, CODES, n_samples=5)
    with pytest.raises(InputError, match="importance"):
        fit_suitability(d, names, lu, CODES, importance="gini")
    fit = fit_suitability(d, names, lu, CODES, n_samples=200)
    with pytest.raises(InputError, match="drivers must have shape"):
        fit.predict(d[:2])
    with pytest.raises(InputError, match="valid"):
        fit.predict(d, valid=np.ones((3, 3), bool))


@pytest.mark.parametrize("size", [50_000, 3_000_000])
def test_sample_cells_distinct_inside_mask_and_seeded(size: int) -> None:
    # 3 million cells exercises the rejection branch (no index array of all cells)
    from ecociv.models.land_use_change.suitability import _sample_cells

    mask = np.zeros(size, bool)
    mask[::3] = True
    a = _sample_cells(mask, 5000, np.random.default_rng(1))
    b = _sample_cells(mask, 5000, np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    assert a.size == 5000 and np.unique(a).size == 5000 and mask[a].all()
    assert a.max() > 0.8 * size  # drawn over the whole grid, not its start
    small = np.zeros(size, bool)
    small[:10] = True
    assert _sample_cells(small, 5000, np.random.default_rng(1)).tolist() == list(range(10))


def test_shared_forest_formula(land: Landscape) -> None:
    # s_c = P(c) / (P(c) + sum_j w_j P(j)), w_j = share of label j among the valid cells not of label c
    fit = fit_suitability(
        land.drivers,
        land.driver_names,
        land.initial,
        CODES,
        final=land.final,
        method="random_forest_shared",
        n_samples=4000,
        seed=0,
    )
    model = fit.models[0]
    assert all(m is model for m in fit.models)
    flat = land.drivers.reshape(4, -1)[:, :500]
    x = np.nan_to_num((flat - fit.mean[:, None]) / fit.scale[:, None], nan=0.0).T.astype(np.float32)
    proba = model.predict_proba(x)
    grew = (land.final != land.initial).ravel()
    label = np.where(grew, land.final.ravel(), 0)  # codes 1..3 are labels 1..3 here
    counts = np.bincount(label, minlength=4).astype(float)
    got = fit.predict(land.drivers).reshape(3, -1)[:, :500]
    for c in range(3):
        col = list(model.classes_).index(c + 1)
        others = [i for i, lab in enumerate(model.classes_) if lab != c + 1]
        w = counts[[int(model.classes_[i]) for i in others]]
        rest = proba[:, others] @ (w / w.sum())
        np.testing.assert_allclose(got[c], proba[:, col] / (proba[:, col] + rest), atol=2e-6)
