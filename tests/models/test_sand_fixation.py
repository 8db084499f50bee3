"""RWEQ kernels of ``sand_fixation``: each factor against values worked out by hand from the
equations of Fryrear et al. (1998, Technical Bulletin 1; 2000, J. Soil Water Conserv.
55(2):183–189) and Fryrear et al. (1994, EF), and property tests of the soil-loss forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special

from ecociv.models.sand_fixation import kernels


def test_air_density_by_hand() -> None:
    # rho = 348.0 (1.013 - 0.1183 EL + 0.0048 EL^2) / T
    # sea level, 15 degC: 348.0 x 1.013 / 288.15 = 352.524 / 288.15 = 1.223404 kg/m3
    # 1000 m, 0 degC: EL = 1 km -> 1.013 - 0.1183 + 0.0048 = 0.8995; 348 x 0.8995 / 273.15 = 1.145986
    np.testing.assert_allclose(kernels.air_density([15.0, 0.0], [0.0, 1000.0]),
                               [1.2234045, 1.1459857], rtol=1e-7)


def test_air_density_polynomial_is_the_standard_atmosphere() -> None:
    # 348.0 ~ 1e5 / 287.05 (R of dry air) and the polynomial is the pressure in bar: compare with
    # the ICAO standard atmosphere p = 1.01325 (1 - 2.25577e-5 h)^5.25588 bar (< 1 % to 3 km)
    for height in (0.0, 500.0, 1000.0, 2000.0, 3000.0):
        bar = 1.013 - 0.1183 * height / 1000 + 0.0048 * (height / 1000) ** 2
        icao = 1.01325 * (1 - 2.25577e-5 * height) ** 5.25588
        assert bar == pytest.approx(icao, rel=0.01)
    assert 348.0 == pytest.approx(1e5 / 287.05, rel=0.002)


def test_erodible_fraction_by_hand() -> None:
    # sand 70, silt 20, clay 10, OM 1, CaCO3 5 (%):
    # 29.09 + 0.31x70 + 0.17x20 + 0.33x70/10 - 2.59x1 - 0.95x5
    # = 29.09 + 21.7 + 3.4 + 2.31 - 2.59 - 4.75 = 49.16 -> EF = 0.4916
    assert float(kernels.erodible_fraction(70, 20, 10, 1, 5)) == pytest.approx(0.4916, abs=1e-12)
    # pure quartz sand, clay 1 %: 29.09 + 0.31x94 + 0.17x5 + 0.33x94 = 29.09+29.14+0.85+31.02
    # = 90.1 -> 0.901; sand/clay grows without bound as clay -> 0, EF is clipped at 1
    assert float(kernels.erodible_fraction(94, 5, 1, 0, 0)) == pytest.approx(0.901)
    assert float(kernels.erodible_fraction(99, 0.5, 0.05, 0, 0)) == 1.0


def test_crust_factor_by_hand_and_the_g_per_kg_error() -> None:
    # clay 10 %, OM 1 %: 1 / (1 + 0.0066x100 + 0.021x1) = 1 / 1.681 = 0.594884
    assert float(kernels.crust_factor(10, 1)) == pytest.approx(0.5948840, rel=1e-6)
    # the same soil in g/kg (100, 10), a common error, gives 1/(1 + 66 + 2.1) = 0.014472
    assert float(kernels.crust_factor(100, 10)) == pytest.approx(1 / 69.1)


def test_vegetation_factor_by_hand() -> None:
    # flat cover: exp(-0.0438 x 50) = exp(-2.19) = 0.111917 (50 % cover); bare soil: 1
    np.testing.assert_allclose(kernels.vegetation_factor([0.5, 0.0]), [0.1119167, 1.0], rtol=1e-6)
    # the 0.0483 and 0.00483 errors would give exp(-2.415) = 0.0894 and exp(-0.2415) = 0.7855
    assert float(kernels.vegetation_factor(0.5)) != pytest.approx(math.exp(-2.415), rel=1e-3)
    # canopy: 0.5^0.7366 = 0.600152; exp(-5.614 x 0.600152) = exp(-3.369253) = 0.034415
    assert float(kernels.vegetation_factor(0.5, "canopy")) == pytest.approx(0.0344153, rel=1e-5)
    with pytest.raises(ValueError, match="flat_cover"):
        kernels.vegetation_factor(0.5, "residue")


def test_roughness_factor_by_hand() -> None:
    # smooth surface: exp(0) = 1; Kr = 1 cm, Crr = 0: exp(1.86 - 2.41) = exp(-0.55) = 0.576950
    # Kr = 0, Crr = 2 cm: exp(-0.254) = 0.775692
    np.testing.assert_allclose(kernels.roughness_factor([0.0, 1.0, 0.0], [0.0, 0.0, 2.0]),
                               [1.0, 0.5769498, 0.7756918], rtol=1e-6)


def test_soil_wetness_factor_by_hand() -> None:
    # ET0 150 mm, P 30 mm, 6 rain days of 30: (150 - 30 x 0.2)/150 = 144/150 = 0.96
    # ET0 100, P 60 + I 60, every day wet: (100 - 120)/100 < 0 -> 0
    # no water: 1 (also with ET0 = 0); water but ET0 = 0: 0
    np.testing.assert_allclose(
        kernels.soil_wetness_factor([150.0, 100.0, 80.0, 0.0, 0.0], [30.0, 60.0, 0.0, 0.0, 5.0],
                                    [0.0, 60.0, 0.0, 0.0, 0.0], [0.2, 1.0, 0.5, 0.3, 0.3]),
        [0.96, 0.0, 1.0, 1.0, 0.0])


def test_snow_cover_factor_by_hand() -> None:
    # 10 snow days of 31: 1 - 10/31 = 0.677419; none: 1; all: 0
    np.testing.assert_allclose(kernels.snow_cover_factor([10.0, 0.0, 28.0], [31.0, 31.0, 28.0]),
                               [21 / 31, 1.0, 0.0])


def test_wind_excess_exponential_closed_form() -> None:
    # k = 1 (exponential winds, scale c = mean): E[U(U-5)^2; U > 5] = e^(-5/c) (2 x 5 c^2 + 6 c^3)
    # mean 5 m/s: e^-1 (250 + 750) = 1000/e = 367.879 (m/s)^3
    # mean 2 m/s: e^-2.5 (40 + 48) = 88 e^-2.5 = 7.223476
    np.testing.assert_allclose(kernels.wind_excess_weibull([5.0, 2.0], 1.0),
                               [1000 / math.e, 88 * math.exp(-2.5)], rtol=1e-10)


@pytest.mark.parametrize("mean", [1.0, 3.0, 4.0, 6.0, 9.0])
@pytest.mark.parametrize("shape", [1.5, 2.0, 3.0])
def test_wind_excess_matches_numerical_integration(mean: float, shape: float) -> None:
    # independent check: integrate u (u - 5)^2 f(u) over u > 5 for the Weibull density f
    scale = mean / special.gamma(1 + 1 / shape)

    def integrand(u: float) -> float:
        density = shape / scale * (u / scale) ** (shape - 1) * math.exp(-((u / scale) ** shape))
        return u * (u - 5.0) ** 2 * density

    expected, _ = integrate.quad(integrand, 5.0, np.inf)
    assert float(kernels.wind_excess_weibull(mean, shape)) == pytest.approx(expected, rel=1e-8, abs=1e-12)


def test_wind_excess_edge_cases() -> None:
    np.testing.assert_array_equal(kernels.wind_excess_weibull([0.0, np.nan], 2.0), [0.0, np.nan])
    # more mean wind never lowers the wind factor
    means = np.linspace(0, 15, 151)
    assert np.all(np.diff(kernels.wind_excess_weibull(means, 2.0)) >= 0)


def test_weather_factor_by_hand() -> None:
    # Wf = 30 x 1000/e = 11036.383 (mean 5 m/s, k = 1), rho = 1.2234045, SW = 0.96, SD = 21/31:
    # WF = 11036.383 x 1.2234045 / 9.81 x 0.96 x 0.677419 = 1376.3472 x 0.650323 = 895.07
    wf = 30_000 / math.e
    value = float(kernels.weather_factor(wf, 1.2234045, 0.96, 21 / 31))
    assert value == pytest.approx(wf * 1.2234045 / 9.81 * 0.96 * 21 / 31)
    assert value == pytest.approx(895.07, abs=0.01)


def test_transport_length_and_soil_loss_by_hand() -> None:
    # X = 10 kg/m: Qmax = 109.8 x 10 = 1098 kg/m; s = 150.71 x 10^-0.3711 = 150.71 x 0.4255004
    # = 64.1272 m; z = 50 m: (z/s)^2 = 0.607933, e^-0.607933 = 0.544458
    # point: SL = 2 x 50 / 64.1272^2 x 1098 x 0.544458 = 0.0243173 x 1098 x 0.544458 = 14.5377 kg/m2
    # field mean: 1098 x (1 - 0.544458) / 50 = 10.0033 kg/m2
    # X = 1: Qmax = 109.8, s = 150.71, (50/150.71)^2 = 0.110067, SL = 100/22713.5 x 109.8 x 0.895785
    # = 0.433029 kg/m2
    assert float(kernels.max_transport(10.0)) == pytest.approx(1098.0)
    assert float(kernels.critical_length(10.0)) == pytest.approx(64.12717, rel=1e-6)
    assert float(kernels.critical_length(1.0)) == pytest.approx(150.71)
    np.testing.assert_allclose(kernels.soil_loss([10.0, 1.0, 0.0, np.nan], 50.0),
                               [14.53772, 0.4330289, 0.0, np.nan], rtol=1e-6)
    assert float(kernels.soil_loss(10.0, 50.0, "field_mean")) == pytest.approx(10.00333, rel=1e-6)
    with pytest.raises(ValueError, match="field_mean"):
        kernels.soil_loss(1.0, 50.0, "average")


def test_saturation_point() -> None:
    # z/s = sqrt(1.7422/0.7422) = 1.532105; with z = 50 m: s* = 32.635 m, X* = 61.73 kg/m
    assert kernels.SATURATION_RATIO == pytest.approx(1.532105, rel=1e-6)
    x_star = (50 / kernels.SATURATION_RATIO / 150.71) ** (1 / -0.3711)
    assert x_star == pytest.approx(61.73, abs=0.01)
    assert not bool(kernels.point_form_saturated(x_star * 0.999, 50.0))
    assert bool(kernels.point_form_saturated(x_star * 1.001, 50.0))
    # the point loss peaks at X*: a little less or more erosive product gives less loss at z
    around = kernels.soil_loss([x_star * 0.95, x_star, x_star * 1.05], 50.0)
    assert around[1] > around[0] and around[1] > around[2]


_X = st.floats(0.0, 5000.0, allow_nan=False)
_COVER = st.floats(0.0, 1.0)


@settings(max_examples=30, deadline=None)
@given(x=_X, cover_low=_COVER, cover_high=_COVER, z=st.floats(1.0, 2000.0))
def test_field_mean_loss_is_monotone_in_cover(x: float, cover_low: float, cover_high: float,
                                              z: float) -> None:
    low, high = sorted((cover_low, cover_high))
    bare = kernels.soil_loss(x, z, "field_mean")
    sparse = kernels.soil_loss(x * kernels.vegetation_factor(low), z, "field_mean")
    dense = kernels.soil_loss(x * kernels.vegetation_factor(high), z, "field_mean")
    assert 0.0 <= dense <= sparse * (1 + 1e-12) + 1e-300
    assert sparse <= bare * (1 + 1e-12) + 1e-300


@settings(max_examples=30, deadline=None)
@given(x=_X, cover_low=_COVER, cover_high=_COVER)
def test_point_loss_is_monotone_in_cover_below_saturation(x: float, cover_low: float,
                                                          cover_high: float) -> None:
    low, high = sorted((cover_low, cover_high))
    bare = float(kernels.soil_loss(x, 50.0))
    sparse = float(kernels.soil_loss(x * kernels.vegetation_factor(low), 50.0))
    dense = float(kernels.soil_loss(x * kernels.vegetation_factor(high), 50.0))
    assert min(bare, sparse, dense) >= 0.0
    if not bool(kernels.point_form_saturated(x, 50.0)):
        assert dense <= sparse * (1 + 1e-12) + 1e-300
        assert sparse <= bare * (1 + 1e-12) + 1e-300


def _monthly(**overrides: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    args: dict[str, object] = {
        "wind_speed_2m": 3.0, "temperature_c": 10.0, "elevation_m": 500.0,
        "precipitation_mm": 10.0, "et0_mm": 100.0, "irrigation_mm": 0.0,
        "wet_day_fraction": 0.2, "snow_cover_days": 0.0, "days": 31.0, "soil_factor": 0.3,
        "roughness": 1.0, "cover_fraction": 0.3,
    }
    args.update(overrides)
    return kernels.monthly_soil_loss(*args.values(), shape=2.0, threshold=5.0, distance_m=50.0,
                                     loss_form="point", cover_form="flat_cover")


def test_monthly_soil_loss_chains_the_factors() -> None:
    potential, actual, saturated = _monthly()
    # independent chain: Wf = 31 E[...], WF = Wf rho/g SW SD, X = WF x 0.3 x 1, COG = e^-1.314
    wf = 31 * float(kernels.wind_excess_weibull(3.0, 2.0))
    rho = 348.0 * (1.013 - 0.1183 * 0.5 + 0.0048 * 0.25) / 283.15
    x = wf * rho / 9.81 * (100 - 10 * 0.2) / 100 * 1.0 * 0.3
    assert float(potential) == pytest.approx(float(kernels.soil_loss(x, 50.0)), rel=1e-12)
    assert float(actual) == pytest.approx(float(kernels.soil_loss(x * math.exp(-1.314), 50.0)),
                                          rel=1e-12)
    assert float(saturated) == 0.0


def test_monthly_soil_loss_nodata_and_broadcasting() -> None:
    potential, actual, saturated = _monthly(cover_fraction=np.array([[0.1, np.nan]]),
                                            wind_speed_2m=np.array([[[3.0]], [[np.nan]]]))
    assert potential.shape == actual.shape == saturated.shape == (2, 1, 2)
    assert np.isnan(actual[0, 0, 1]) and np.isnan(saturated[0, 0, 1])
    assert np.all(np.isnan(potential[1])) and np.all(np.isnan(actual[1]))
    assert np.isfinite(potential[0, 0, 1])  # bare-soil loss does not need the cover


@pytest.mark.parametrize("shape", [1.0, 2.0, 3.5])
def test_wind_excess_lookup_matches_the_closed_form(shape: float) -> None:
    # the model interpolates a 1 mm/s table; above 60 m/s it falls back to the closed form
    means = np.concatenate([np.random.default_rng(7).uniform(0, 65, 20_000),
                            [0.0, 5.0, 60.0, 61.0, np.nan]])
    exact = kernels.wind_excess_weibull(means, shape)
    fast = kernels.wind_excess_lookup(means, shape)
    large = exact > 1e-6
    np.testing.assert_allclose(fast[large], exact[large], rtol=5e-4)
    np.testing.assert_allclose(fast[~large & ~np.isnan(exact)], exact[~large & ~np.isnan(exact)],
                               atol=1e-9)
    assert np.isnan(fast[-1])
