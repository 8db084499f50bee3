"""soil_conservation (RUSLE): each factor worked by hand from its publication, LS on a tilted
plane against the closed form of Desmet & Govers (1996) / Foster & Wischmeier's segment
equation, DEMs with flats, pits and nodata holes, flow accumulation against a naive reference,
and property tests (conservation ≥ 0, actual ≤ potential).

Sources: Renard et al. (1997) USDA AH 703; Foster et al. (1981) SI conversion (17.02, 0.1317);
Williams (1995) EPIC K; McCool et al. (1987, 1989); Liu et al. (1994); Desmet & Govers (1996);
Cai et al. (2000).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecociv.models.soil_conservation import kernels

# --- R ----------------------------------------------------------------------------------------

MONTHS = np.array([0, 0, 10, 20, 30, 40, 40, 30, 20, 10, 0, 0], dtype=float)
# P = 200 mm; sum of Pi^3 = 2 x (10^3 + 20^3 + 30^3 + 40^3) = 2 x 100 000 = 200 000;
# each month: 1.735 x 10^(1.5 log10(Pi^2/P) - 0.8188) = 1.735 x 10^-0.8188 x Pi^3 / P^1.5,
# 10^-0.8188 = 0.151774916; P^1.5 = 2828.42712
# sum = 1.735 x 0.151774916 x 200 000 / 2828.42712 = 18.6202 (hundreds of ft tonf in/(ac h yr))
# x 17.02 (Foster et al. 1981) = 316.916 MJ mm/(ha h yr)
R_BY_HAND = 316.9159


def test_erosivity_by_hand() -> None:
    assert kernels.rainfall_erosivity(MONTHS) == pytest.approx(R_BY_HAND, rel=1e-6)
    # the log form of the formula, month by month (wet months only)
    wet = MONTHS[MONTHS > 0]
    naive = sum(1.735 * 10 ** (1.5 * math.log10(p * p / MONTHS.sum()) - 0.8188) for p in wet)
    assert kernels.rainfall_erosivity(MONTHS) == pytest.approx(17.02 * naive, rel=1e-12)


def test_erosivity_month_axis_dry_cells_and_negative_months() -> None:
    grid = np.stack([MONTHS, np.zeros(12), MONTHS * 2], axis=-1)  # (12, 3)
    r = kernels.rainfall_erosivity(grid, axis=0)
    # doubling every month multiplies R by 2^3 / 2^1.5 = 2^1.5
    np.testing.assert_allclose(r, [R_BY_HAND, 0.0, R_BY_HAND * 2**1.5], rtol=1e-6)
    np.testing.assert_allclose(kernels.rainfall_erosivity(grid.T, axis=-1), r)
    bad = MONTHS.copy()
    bad[4] = -1.0
    assert np.isnan(kernels.rainfall_erosivity(bad))  # reported by the model's input check


def test_erosivity_of_uniform_rain() -> None:
    # 12 equal months of p: R = 17.02 x 1.735 x 10^-0.8188 x 12 p^3 / (12 p)^1.5
    p = 50.0
    expected = 17.02 * 1.735 * 10**-0.8188 * 12 * p**3 / (12 * p) ** 1.5
    assert kernels.rainfall_erosivity(np.full(12, p)) == pytest.approx(expected)
    assert expected == pytest.approx(457.4287, rel=1e-6)


# --- K ----------------------------------------------------------------------------------------

def test_erodibility_by_hand() -> None:
    # silt loam: sand 20, silt 60, clay 20 %, organic carbon 1.5 %
    # f_csand = 0.2 + 0.3 exp(-0.0256 x 20 x (1 - 0.6)) = 0.2 + 0.3 exp(-0.2048) = 0.4444431
    # f_cl-si = (60 / 80)^0.3 = 0.9173148
    # f_orgc = 1 - 0.25 x 1.5 / (1.5 + exp(3.72 - 4.425)) = 1 - 0.375 / 1.994076 = 0.8119460
    # f_hisand = 1 - 0.7 x 0.8 / (0.8 + exp(-5.51 + 18.32)) = 0.9999985
    # K = 0.3310252 (US units) x 0.1317 = 0.04359602 t ha h/(ha MJ mm)
    assert kernels.erodibility_epic_us(20, 60, 20, 1.5) == pytest.approx(0.3310252, rel=1e-6)
    assert kernels.soil_erodibility(20, 60, 20, 1.5) == pytest.approx(0.04359602, rel=1e-6)
    # Zhang et al. (2008): 0.1317 x (-0.01383 + 0.51575 x 0.3310252) = 0.02066323
    assert kernels.soil_erodibility(20, 60, 20, 1.5, "zhang_2008") == pytest.approx(0.02066323,
                                                                                    rel=1e-6)
    # loamy sand: sand 80, silt 10, clay 10, OC 0.5
    # f_csand = 0.2 + 0.3 exp(-0.0256 x 80 x 0.9) = 0.2474930; f_cl-si = 0.5^0.3 = 0.8122524
    # f_orgc = 1 - 0.125 / (0.5 + exp(2.245)) = 0.9874251
    # f_hisand = 1 - 0.14 / (0.2 + exp(-0.93)) = 0.7645293; K = 0.1517582 x 0.1317 = 0.01998656
    assert kernels.soil_erodibility(80, 10, 10, 0.5) == pytest.approx(0.01998656, rel=1e-6)


def test_erodibility_edge_cases() -> None:
    # organic matter 2.586 % = 1.5 % carbon (/ 1.724)
    assert kernels.organic_carbon_from_matter(2.586) == pytest.approx(1.5)
    # pure sand: no silt or clay, f_cl-si taken as 0
    assert kernels.soil_erodibility(100, 0, 0, 0.5) == 0.0
    assert np.isnan(kernels.soil_erodibility(np.nan, 60, 20, 1.5))
    with pytest.raises(ValueError, match="unknown erodibility correction"):
        kernels.soil_erodibility(20, 60, 20, 1.5, "wischmeier")


# --- S, m, C ------------------------------------------------------------------------------------

def test_slope_steepness_by_hand() -> None:
    angles = np.radians([3.0, 7.0, 15.0])
    # 3°: tan = 5.24 % < 9 % -> 10.8 sin 3° + 0.03 = 0.5952283
    # 7°: tan = 12.3 % >= 9 %, < 10° -> 16.8 sin 7° - 0.5 = 1.5474050
    # 15°: >= 10° -> Liu et al. 1994: 21.91 sin 15° - 0.96 = 4.7107253
    np.testing.assert_allclose(kernels.slope_steepness_factor(angles),
                               [0.5952283, 1.5474050, 4.7107253], rtol=1e-6)
    # threshold 90°: McCool everywhere -> 16.8 sin 15° - 0.5 = 3.8481600
    assert kernels.slope_steepness_factor(angles[2], np.radians(90.0)) == pytest.approx(3.84816)


def test_slope_length_exponent_by_hand() -> None:
    # 20 % slope: sin θ = 0.2 / sqrt(1.04) = 0.1961161; beta = (0.1961161 / 0.0896) /
    # (3 x 0.1961161^0.8 + 0.56) = 2.188796 / 1.374952 = 1.591908; m = beta / (1 + beta) = 0.614184
    assert kernels.slope_length_exponent(math.atan(0.2)) == pytest.approx(0.614184, rel=1e-5)
    assert kernels.slope_length_exponent(0.0) == 0.0


def test_cover_factor_of_cai_by_hand() -> None:
    # fc 50 %: 0.6508 - 0.3436 log10(50) = 0.6508 - 0.3436 x 1.69897 = 0.0670339
    # fc 0 -> 1; >= 78.3 % -> 0; 0.05 % -> 1.098 clipped to 1; NaN stays NaN
    cover = np.array([0.5, 0.0, 0.8, 0.783, 0.0005, np.nan])
    np.testing.assert_allclose(kernels.cover_factor_from_vegetation(cover),
                               [0.0670339, 1.0, 0.0, 0.0, 1.0, np.nan], rtol=1e-5)


# --- LS -----------------------------------------------------------------------------------------

def _plane(rows: int, cols: int, slope: float, cell: float) -> np.ndarray:
    """A plane falling ``slope`` (m/m) to the east."""
    return np.tile(slope * cell * (cols - 1 - np.arange(cols)), (rows, 1)) + 100.0


def _closed_form_ls(j: np.ndarray, slope: float, cell: float, cap: float = np.inf,
                    steep_degrees: float = 10.0) -> np.ndarray:
    """LS of the j-th cell (0 = ridge) of a plane with flow straight east, from the papers:
    upslope length min(j D, cap), outlet length + D, segment L (Foster & Wischmeier), m of
    McCool et al. (1989), S of McCool et al. (1987) / Liu et al. (1994)."""
    theta = math.atan(slope)
    sin = math.sin(theta)
    beta = (sin / 0.0896) / (3 * sin**0.8 + 0.56)
    m = beta / (1 + beta)
    upslope = np.minimum(j * cell, cap)
    outlet = upslope + cell
    length = (outlet ** (m + 1) - upslope ** (m + 1)) / ((outlet - upslope) * 22.13**m)
    if theta >= math.radians(steep_degrees):
        steep = 21.91 * sin - 0.96
    elif slope < 0.09:
        steep = 10.8 * sin + 0.03
    else:
        steep = 16.8 * sin - 0.5
    return length * steep


@pytest.mark.parametrize("slope", [0.05, 0.12, 0.2])
def test_ls_on_a_tilted_plane_matches_the_closed_form(slope: float) -> None:
    cell = 30.0
    dem = _plane(4, 6, slope, cell)
    ls = kernels.ls_factor(dem, cell, cell)
    expected = _closed_form_ls(np.arange(6), slope, cell)
    # every row is the same slope line, edge rows and columns too (one-sided differences)
    np.testing.assert_allclose(ls, np.tile(expected, (4, 1)), rtol=1e-12)
    # the first cell has no upslope area: L = (D / 22.13)^m
    # 20 %: m = 0.614184, (30 / 22.13)^m = 1.205475; S = 21.91 x 0.1961161 - 0.96 = 3.336905
    if slope == 0.2:
        assert ls[0, 0] == pytest.approx(1.205475 * 3.336905, rel=1e-5)


def test_ls_slope_length_cap() -> None:
    cell = 30.0
    ls = kernels.ls_factor(_plane(3, 6, 0.2, cell), cell, cell, max_slope_length=45.0)
    np.testing.assert_allclose(ls[1], _closed_form_ls(np.arange(6), 0.2, cell, cap=45.0),
                               rtol=1e-12)
    assert ls[1, 2] == pytest.approx(ls[1, 5])  # capped from the third cell on


def test_ls_with_a_flat_a_pit_and_a_nodata_hole_stays_finite() -> None:
    cell = 100.0
    dem = _plane(8, 8, 0.1, cell)
    dem[1:3, 1:4] = dem[1, 1]  # a flat terrace
    dem[5, 2] -= 30.0  # a closed pit
    dem[4:6, 5:7] = np.nan  # a nodata hole
    dem[7, 0] = np.nan  # nodata on the edge
    ls = kernels.ls_factor(dem, cell, cell, max_slope_length=333.0)
    hole = np.isnan(dem)
    assert np.isnan(ls[hole]).all()
    assert np.isfinite(ls[~hole]).all() and (ls[~hole] >= 0).all()
    # cells next to the hole keep the plane's slope (extrapolated Horn gradient)
    dzdx, dzdy = kernels.horn_gradient(dem, cell, cell)
    assert dzdx[4, 7] == pytest.approx(-0.1) and dzdy[4, 7] == pytest.approx(0.0)
    # a DEM that is all flat: S(0) = 0.03 and L = 1 (m = 0)
    np.testing.assert_allclose(kernels.ls_factor(np.full((3, 4), 7.0), cell, cell), 0.03)
    # all nodata: all NaN, no error
    assert np.isnan(kernels.ls_factor(np.full((2, 2), np.nan), cell, cell)).all()


def test_d8_receivers_on_flats_pits_and_edges() -> None:
    dem = np.array([[5.0, 5.0, 5.0], [5.0, 1.0, 5.0], [5.0, 5.0, np.nan]])
    receivers = kernels.d8_receivers(dem, 1.0, 1.0)
    # every border cell drains to the pit (index 4); the pit and the nodata cell have none
    assert receivers.tolist() == [[4, 4, 4], [4, -1, 4], [4, 4, -1]]
    flat = kernels.d8_receivers(np.zeros((2, 2)), 1.0, 1.0)
    assert (flat == -1).all()
    # steepest descent per distance: the diagonal drop of 1.5 over sqrt(2) = 1.06 beats the
    # cardinal drop of 1.0 over 1
    dem = np.array([[3.0, 2.0], [2.0, 1.5]])
    assert kernels.d8_receivers(dem, 1.0, 1.0)[0, 0] == 3


def _naive_accumulation(receivers: np.ndarray, weights: np.ndarray) -> np.ndarray:
    flat = receivers.ravel()
    total = np.zeros(flat.size)
    for start in range(flat.size):
        cell, steps = start, 0
        while cell >= 0:
            total[cell] += weights.ravel()[start]
            cell = flat[cell]
            steps += 1
            assert steps <= flat.size, "cycle in receivers"
    return total.reshape(receivers.shape)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 7), cols=st.integers(1, 7),
       holes=st.floats(0, 0.3), levels=st.integers(1, 6))
def test_flow_accumulation_matches_a_naive_reference(seed: int, rows: int, cols: int,
                                                     holes: float, levels: int) -> None:
    rng = np.random.default_rng(seed)
    dem = rng.integers(0, levels, (rows, cols)).astype(float)  # few levels: many flats
    dem[rng.random((rows, cols)) < holes] = np.nan
    receivers = kernels.d8_receivers(dem, 10.0, 12.0)
    weights = np.where(np.isnan(dem), 0.0, rng.uniform(1, 2, (rows, cols)))
    np.testing.assert_allclose(kernels.flow_accumulation(receivers, weights),
                               _naive_accumulation(receivers, weights), rtol=1e-12)
    ls = kernels.ls_factor(dem * 3.0, 10.0, 12.0, max_slope_length=100.0)
    assert np.array_equal(np.isnan(ls), np.isnan(dem))
    assert (ls[~np.isnan(ls)] >= 0).all()


# --- soil loss ----------------------------------------------------------------------------------

def test_soil_loss_by_hand() -> None:
    # R 316.9159, K 0.04359602, LS 4.0, C 0.2, P 0.5:
    # potential = 316.9159 x 0.04359602 x 4 = 55.26509 t/ha/yr; actual = x 0.1 = 5.526509;
    # conservation = 49.73858
    potential = kernels.soil_loss(R_BY_HAND, 0.04359602, 4.0)
    actual = kernels.soil_loss(R_BY_HAND, 0.04359602, 4.0, 0.2, 0.5)
    assert potential == pytest.approx(55.26509, rel=1e-6)
    assert actual == pytest.approx(5.526509, rel=1e-6)
    assert kernels.soil_conservation(potential, actual) == pytest.approx(49.73858, rel=1e-6)


@settings(max_examples=40, deadline=None)
@given(r=st.floats(0, 20000), k=st.floats(0, 0.1), ls=st.floats(0, 200), c=st.floats(0, 1),
       p=st.floats(0, 1))
def test_conservation_is_non_negative_and_actual_at_most_potential(
        r: float, k: float, ls: float, c: float, p: float) -> None:
    potential = kernels.soil_loss(r, k, ls)
    actual = kernels.soil_loss(r, k, ls, c, p)
    assert 0 <= actual <= potential
    assert kernels.soil_conservation(potential, actual) >= 0
    # more cover (smaller C) never increases the actual loss
    assert kernels.soil_loss(r, k, ls, c * 0.5, p) <= actual
