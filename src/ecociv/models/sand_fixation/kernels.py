r"""Revised Wind Erosion Equation (RWEQ) kernels: pure functions on arrays.

Every function takes NumPy arrays (or scalars) and returns float64 arrays; NaN marks nodata
and propagates. Monthly quantities carry a leading month axis where the caller gives one; the
kernels are elementwise, so any broadcastable shapes work.

Sources
-------
* Fryrear, D.W., Saleh, A., Bilbro, J.D., Schomberg, H.M., Stout, J.E., Zobeck, T.M. (1998).
  *RWEQ: Revised Wind Erosion Equation*. USDA-ARS Wind Erosion and Water Conservation Research
  Unit, Technical Bulletin 1 ("the bulletin").
* Fryrear, D.W., Bilbro, J.D., Saleh, A., Schomberg, H., Stout, J.E., Zobeck, T.M. (2000). RWEQ:
  Improved wind erosion technology. *J. Soil Water Conserv.* 55(2): 183–189.
* Fryrear, D.W., Krammes, C.A., Williamson, D.L., Zobeck, T.M. (1994). Computing the wind
  erodible fraction of soils. *J. Soil Water Conserv.* 49(2): 183–188 (the EF regression the
  bulletin uses).

The model equations (symbols of the bulletin)::

    Q_max = 109.8 (WF · EF · SCF · K' · COG)                       kg/m per period
    s     = 150.71 (WF · EF · SCF · K' · COG)^(-0.3711)             m
    Q(x)  = Q_max [1 - exp(-(x/s)^2)]                               kg/m
    SL(x) = dQ/dx = (2x / s^2) Q_max exp(-(x/s)^2)                  kg/m^2 per period
    WF    = Wf (rho / g) SW SD                                       kg/m
    Wf    = sum_i U2_i (U2_i - U_t)^2 · N_d / N    (U2_i > U_t)       (m/s)^3, N_d a count

Constants checked, and errors found in public codes
---------------------------------------------------
The bulletin itself could not be opened while this was written. What each constant was
checked against:

* Q_max = 109.8 X, s = 150.71 X^−0.3711 and the point loss 2z/s² Q_max e^−(z/s)²: as printed in
  彭建等 (2017, 生态学报 37(11):3849–3861, RWEQ section; ChinaXiv:201706.00467) and 刘菁华等
  (2018, 生态学报 38(5):1650–1660, eqs. 2–4; ChinaXiv:201803.01078), both citing Fryrear et al.;
* SCF (0.0066, 0.021) and COG = exp(−0.0438 SC): as printed in 王佳庭等 (2021, 乌兰布和沙漠典型植物群落土壤
  风蚀可蚀性研究, ChinaXiv:202102.00048, eqs. 2–3);
* EF (29.09, 0.31, 0.17, 0.33, −2.59, −0.95) and K' (1.86, 2.41, 0.934, 0.127): identical in
  the public NatCap/Stanford script ``charlottegiseleweil/winderosion`` (``wind_erosion.py``,
  2020) and in our reading of the bulletin; not seen in a printed source here;
* ρ polynomial (348.0, 1.013, 0.1183, 0.0048): from our reading of the bulletin, and checked
  physically (surface pressure of the ICAO standard atmosphere within 1 % to 3 km; 348.0 ≈
  10⁵/R_dry), see :data:`AIR_DENSITY_COEFFICIENTS`;
* g = 9.81 m/s², U_t = 5 m/s at 2 m, SD with 25.4 mm, SW = (ETp − (R + I) Rd/Nd)/ETp and the
  canopy ratio (5.614, 0.7366): from our reading of the bulletin only (not cross-checked).

Errors seen in public code and papers:

* critical field length with **105.71** instead of 150.71 (``wind_erosion.py`` above);
* vegetation factor with **0.00483** instead of 0.0438 per % cover (same script): bare and
  fully covered soil then differ by 38 % instead of a factor 80;
* clay and organic matter in **g/kg** instead of % in SCF (王佳庭等 2021 define Cl and OM in
  g·kg⁻¹): SCF of a soil with 15 % clay is 0.0067 instead of 0.40;
* the wind factor computed from the monthly mean speed as U(U − 5)² (same script), which is
  positive for means below 5 m/s (calm months count as erosive) and ignores the gusts above
  the threshold in months with a low mean;
* soil wetness with ``(ETp − R·Rd)/ETp`` (rain × number of rain days, same script) instead of
  ``(ETp − (R + I)·Rd/Nd)/ETp``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from ecociv.models.sand_fixation.spec import THRESHOLD_WIND_2M

FloatArray = NDArray[np.float64]

#: Acceleration of gravity used in WF = Wf ρ/g, m/s² (the bulletin).
GRAVITY = 9.81

#: Air density ρ = 348.0 (1.013 − 0.1183 EL + 0.0048 EL²) / T (EL in km, T in K), kg/m³ (the
#: bulletin). 348.0 ≈ 10⁵ Pa/bar ÷ R_dry (287.05 J/(kg K)) and the polynomial is surface
#: pressure in bar: 1.0130, 0.8995, 0.6953 bar at 0, 1, 3 km vs. 1.0133, 0.8988, 0.7012 bar of
#: the ICAO standard atmosphere (checked, < 1 %).
AIR_DENSITY_COEFFICIENTS = (348.0, 1.013, 0.1183, 0.0048)

#: Snow depth above which the surface is protected: 25.4 mm (1 in) (the bulletin: SD = 1 − P(snow
#: depth > 25.4 mm)).
SNOW_DEPTH_THRESHOLD_MM = 25.4

#: EF = (29.09 + 0.31 Sa + 0.17 Si + 0.33 Sa/Cl − 2.59 OM − 0.95 CaCO3)/100, all in %
#: (Fryrear et al. 1994, eq. 3; the bulletin).
ERODIBLE_FRACTION_COEFFICIENTS = (29.09, 0.31, 0.17, 0.33, -2.59, -0.95)

#: SCF = 1 / (1 + 0.0066 Cl² + 0.021 OM²), Cl and OM in % (the bulletin).
CRUST_FACTOR_COEFFICIENTS = (0.0066, 0.021)

#: K' = exp(1.86 Kr − 2.41 Kr^0.934 − 0.127 Crr), Kr ridge roughness and Crr random roughness in
#: cm (the bulletin). A smooth surface (Kr = Crr = 0) gives K' = 1, the maximum over the range
#: of the fit (1.86 Kr < 2.41 Kr^0.934 for Kr < 50.7 cm).
ROUGHNESS_COEFFICIENTS = (1.86, 2.41, 0.934, 0.127)

#: Soil loss ratio of flat cover: SLR_f = exp(−0.0438 SC), SC in % of the surface covered (the
#: bulletin; applied to fractional vegetation cover in the Chinese RWEQ literature).
FLAT_COVER_COEFFICIENT = 0.0438

#: Soil loss ratio of a growing crop canopy: SLR_c = exp(−5.614 cc^0.7366), cc canopy cover as a
#: fraction (the bulletin).
CANOPY_COEFFICIENTS = (5.614, 0.7366)

#: Q_max = 109.8 X (kg/m) and s = 150.71 X^−0.3711 (m), X = WF·EF·SCF·K'·COG (the bulletin;
#: Fryrear et al. 2000).
MAX_TRANSPORT_COEFFICIENT = 109.8
CRITICAL_LENGTH_COEFFICIENT = 150.71
CRITICAL_LENGTH_EXPONENT = -0.3711

#: Days of each month in a 365-day year (January first).
DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.float64)

#: t/km² per kg/m² (1 kg/m² = 10⁶ kg/km² = 10³ t/km²).
T_PER_KM2_PER_KG_PER_M2 = 1000.0

#: For the point form, SL(X) = A X^a exp(−B X^b) with a = 1 − 2(−0.3711) = 1.7422 and
#: b = 0.7422 grows with X only while (z/s)² ≤ a/b, i.e. z/s ≤ 1.5321. Past that the transport
#: over z is saturated and a *smaller* X (more vegetation) gives a *larger* point loss.
SATURATION_RATIO = float(np.sqrt((1 - 2 * CRITICAL_LENGTH_EXPONENT) / (-2 * CRITICAL_LENGTH_EXPONENT)))


def _f(values: ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


def air_density(temperature_c: ArrayLike, elevation_m: ArrayLike) -> FloatArray:
    r"""Air density from mean air temperature and elevation.

    Parameters
    ----------
    temperature_c : array_like
        Mean air temperature of the period, °C.
    elevation_m : array_like
        Elevation above sea level, m.

    Returns
    -------
    ndarray
        Air density ρ, kg/m³.

    Notes
    -----
    :math:`\rho = 348.0\,(1.013 - 0.1183\,EL + 0.0048\,EL^2)/T` with EL in km and T in K
    (Fryrear et al. 1998). At sea level and 15 °C: 348.0 × 1.013 / 288.15 = 1.2234 kg/m³.
    """
    a, b, c, d = AIR_DENSITY_COEFFICIENTS
    elevation_km = _f(elevation_m) / 1000.0
    return a * (b - c * elevation_km + d * elevation_km**2) / (_f(temperature_c) + 273.15)


def wind_excess_weibull(mean_wind_2m: ArrayLike, shape: ArrayLike,
                        threshold: ArrayLike = THRESHOLD_WIND_2M) -> FloatArray:
    r"""Expected erosive wind term :math:`E[U (U - U_t)^2;\,U > U_t]` of Weibull-distributed winds.

    Parameters
    ----------
    mean_wind_2m : array_like
        Mean wind speed at 2 m over the period, m/s (≥ 0).
    shape : array_like
        Weibull shape parameter k of the distribution of the wind observations (> 0).
    threshold : array_like
        Threshold wind speed at 2 m, m/s (5 in the bulletin).

    Returns
    -------
    ndarray
        The mean of :math:`U(U - U_t)^2` over all observations, counting those at or below the
        threshold as 0, (m/s)³.

    Notes
    -----
    The bulletin sums :math:`U_2 (U_2 - U_t)^2` over the N wind observations above the threshold
    in a period. With only a monthly mean wind available, the observations are taken as
    Weibull-distributed with shape k and scale :math:`c = \bar U / \Gamma(1 + 1/k)`, the wind
    distribution used for stochastic wind in wind-erosion models (Skidmore, E.L., Tatarko, J.
    1990, Stochastic wind simulation for erosion modeling, *Trans. ASAE* 33(6): 1893–1899; van
    Donk, S.J., Wagner, L.E., Skidmore, E.L., Tatarko, J. 2005, *Trans. ASAE* 48(2): 503–510).
    With the partial moments :math:`M_n = E[U^n; U > U_t] = c^n\,\Gamma(1 + n/k)\,
    Q(1 + n/k, (U_t/c)^k)` (Q the regularized upper incomplete gamma function),

    .. math:: E[U (U - U_t)^2; U > U_t] = M_3 - 2 U_t M_2 + U_t^2 M_1.

    For k = 1 (exponential) this is :math:`e^{-U_t/c}(2 U_t c^2 + 6 c^3)`.
    """
    # imported here, not with the module: scipy.special takes 0.1-0.2 s to import, and a run
    # needs it once, for the lookup table (built in the first chunk's task, beside the reads)
    from scipy import special

    mean = _f(mean_wind_2m)
    k = _f(shape)
    t = _f(threshold)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scale = mean / special.gamma(1.0 + 1.0 / k)
        x = np.where(scale > 0, (t / np.where(scale > 0, scale, 1.0)) ** k, np.inf)

        def moment(n: int) -> FloatArray:
            a = 1.0 + n / k
            return np.asarray(scale**n * special.gamma(a) * special.gammaincc(a, x), dtype=np.float64)

        excess = moment(3) - 2.0 * t * moment(2) + t * t * moment(1)
    excess = np.where(mean == 0, 0.0, np.maximum(excess, 0.0))  # no wind, no erosion; rounding
    return np.where(np.isnan(mean) | np.isnan(k), np.nan, excess)


#: Mean wind speeds (m/s at 2 m) of the lookup table of :func:`wind_excess_lookup`: 0 to 60 m/s
#: every 1 mm/s. Linear interpolation on it is within 5e-4 (relative) of the closed form
#: wherever the term exceeds 1e-6 (m/s)³ and within 1e-9 (m/s)³ elsewhere (tested), at a few %
#: of the cost of the incomplete gamma functions per cell.
LOOKUP_STEP = 0.001
LOOKUP_MAX = 60.0


@lru_cache(maxsize=16)
def _lookup_table(shape: float, threshold: float) -> tuple[FloatArray, FloatArray]:
    from ecociv.models.sand_fixation.table_cache import cached_table

    means = np.linspace(0.0, LOOKUP_MAX, round(LOOKUP_MAX / LOOKUP_STEP) + 1)
    # kept on disk between runs: a run then needs no scipy (tests/models/test_sand_fixation_fast)
    values = cached_table((shape, threshold, LOOKUP_STEP, LOOKUP_MAX), means.size,
                          lambda: wind_excess_weibull(means, shape, threshold))
    means.setflags(write=False)
    values.setflags(write=False)
    return means, values


def wind_excess_lookup(mean_wind_2m: ArrayLike, shape: float,
                       threshold: float = THRESHOLD_WIND_2M) -> FloatArray:
    """:func:`wind_excess_weibull` for a scalar shape and threshold, by linear interpolation in a
    table over mean wind speed (:data:`LOOKUP_STEP`); exact above :data:`LOOKUP_MAX`."""
    _, values = _lookup_table(float(shape), float(threshold))
    mean = _f(mean_wind_2m)
    position = np.clip(np.nan_to_num(mean, nan=0.0) / LOOKUP_STEP, 0.0, values.size - 1.0)
    index = np.minimum(position.astype(np.intp), values.size - 2)
    low = values[index]
    out = low + (position - index) * (values[index + 1] - low)
    beyond = mean > LOOKUP_MAX
    if np.any(beyond):
        out = np.where(beyond, wind_excess_weibull(np.where(beyond, mean, 0.0), shape, threshold), out)
    return np.where(np.isnan(mean), np.nan, out)


def soil_wetness_factor(et0_mm: ArrayLike, precipitation_mm: ArrayLike, irrigation_mm: ArrayLike,
                        wet_day_fraction: ArrayLike) -> FloatArray:
    r"""Soil wetness factor SW (0–1).

    Parameters
    ----------
    et0_mm : array_like
        Potential (reference) evapotranspiration of the period, mm.
    precipitation_mm : array_like
        Precipitation of the period, mm.
    irrigation_mm : array_like
        Irrigation of the period, mm.
    wet_day_fraction : array_like
        Rd/Nd: days with rain or irrigation over days in the period, 0–1.

    Returns
    -------
    ndarray
        SW, dimensionless, clipped to [0, 1].

    Notes
    -----
    :math:`SW = [ET_p - (R + I)(R_d/N_d)]/ET_p` (Fryrear et al. 1998). The bulletin computes
    :math:`ET_p` from solar radiation and temperature; here the FAO-56 reference ET0 of the
    period stands in for it (the ``et0`` input). With no water added SW = 1 (also when ET0 = 0);
    with water added and ET0 = 0, SW = 0.
    """
    et = _f(et0_mm)
    water = (_f(precipitation_mm) + _f(irrigation_mm)) * _f(wet_day_fraction)
    with np.errstate(divide="ignore", invalid="ignore"):
        sw = np.where(et > 0, (et - water) / np.where(et > 0, et, 1.0), 0.0)
    sw = np.where(water <= 0, 1.0, sw)
    sw = np.clip(sw, 0.0, 1.0)
    return np.where(np.isnan(et) | np.isnan(water), np.nan, sw)


def snow_cover_factor(snow_cover_days: ArrayLike, days: ArrayLike) -> FloatArray:
    r"""Snow cover factor SD (0–1) from days with snow cover.

    Parameters
    ----------
    snow_cover_days : array_like
        Days in the period with snow depth above 25.4 mm, d.
    days : array_like
        Days in the period, d.

    Returns
    -------
    ndarray
        SD, dimensionless.

    Notes
    -----
    :math:`SD = 1 - P(\text{snow depth} > 25.4\ \text{mm})` (Fryrear et al. 1998), the
    probability taken as the share of days with such snow cover.
    """
    return np.clip(1.0 - _f(snow_cover_days) / _f(days), 0.0, 1.0)


def weather_factor(wind_factor_value: ArrayLike, density: ArrayLike, wetness: ArrayLike,
                   snow: ArrayLike) -> FloatArray:
    r"""Weather factor WF of a period.

    Parameters
    ----------
    wind_factor_value : array_like
        Wf, (m/s)³: :math:`W_f = \sum_{i=1}^{N} U_{2,i}(U_{2,i} - U_t)^2\,N_d/N =
        N_d\,E[U(U-U_t)^2; U>U_t]` (Fryrear et al. 1998), the days :math:`N_d` of the period times
        :func:`wind_excess_weibull` or :func:`wind_excess_lookup`.
    density : array_like
        Air density, kg/m³.
    wetness : array_like
        Soil wetness factor SW.
    snow : array_like
        Snow cover factor SD.

    Returns
    -------
    ndarray
        WF, kg/m (the bulletin's unit; the equation is empirical in its dimensions).

    Notes
    -----
    :math:`WF = W_f\,(\rho/g)\,SW\,SD`, g = 9.81 m/s² (Fryrear et al. 1998).
    """
    return _f(wind_factor_value) * _f(density) / GRAVITY * _f(wetness) * _f(snow)


def erodible_fraction(sand_pct: ArrayLike, silt_pct: ArrayLike, clay_pct: ArrayLike,
                      organic_matter_pct: ArrayLike, caco3_pct: ArrayLike) -> FloatArray:
    r"""Wind-erodible fraction of the soil surface EF (0–1).

    Parameters
    ----------
    sand_pct, silt_pct, clay_pct : array_like
        Sand, silt and clay content, % (clay > 0).
    organic_matter_pct : array_like
        Organic matter, %.
    caco3_pct : array_like
        Calcium carbonate, %.

    Returns
    -------
    ndarray
        EF, dimensionless, clipped to [0, 1].

    Notes
    -----
    :math:`EF = (29.09 + 0.31 Sa + 0.17 Si + 0.33\,Sa/Cl - 2.59\,OM - 0.95\,CaCO_3)/100`
    (Fryrear et al. 1994; Fryrear et al. 1998). All contents in %, not g/kg.
    """
    c0, c_sand, c_silt, c_ratio, c_om, c_caco3 = ERODIBLE_FRACTION_COEFFICIENTS
    sand, clay = _f(sand_pct), _f(clay_pct)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = (c0 + c_sand * sand + c_silt * _f(silt_pct) + c_ratio * sand / clay
                 + c_om * _f(organic_matter_pct) + c_caco3 * _f(caco3_pct)) / 100.0
    return np.clip(value, 0.0, 1.0)


def crust_factor(clay_pct: ArrayLike, organic_matter_pct: ArrayLike) -> FloatArray:
    r"""Soil crust factor SCF (0–1).

    Parameters
    ----------
    clay_pct : array_like
        Clay content, %.
    organic_matter_pct : array_like
        Organic matter, %.

    Returns
    -------
    ndarray
        SCF, dimensionless.

    Notes
    -----
    :math:`SCF = 1/(1 + 0.0066\,Cl^2 + 0.021\,OM^2)` (Fryrear et al. 1998), Cl and OM in %.
    """
    a, b = CRUST_FACTOR_COEFFICIENTS
    return 1.0 / (1.0 + a * _f(clay_pct) ** 2 + b * _f(organic_matter_pct) ** 2)


def roughness_factor(ridge_roughness_cm: ArrayLike, random_roughness_cm: ArrayLike) -> FloatArray:
    r"""Surface roughness factor K' from ridge and random roughness.

    Parameters
    ----------
    ridge_roughness_cm : array_like
        Ridge roughness Kr = 4 RH²/RS (ridge height RH, spacing RS), cm.
    random_roughness_cm : array_like
        Chain random roughness Crr, cm.

    Returns
    -------
    ndarray
        K', dimensionless (1 for a smooth surface).

    Notes
    -----
    :math:`K' = \exp(1.86\,K_r - 2.41\,K_r^{0.934} - 0.127\,C_{rr})` (Fryrear et al. 1998).
    Terrain relief from a DEM is not ridge roughness: Smith–Carson style ``Kr = 0.2 ΔH²/L`` from
    100 m–1 km cells gives Kr of metres, outside the fit, where K' grows without bound.
    """
    a, b, power, c = ROUGHNESS_COEFFICIENTS
    kr = _f(ridge_roughness_cm)
    return np.exp(a * kr - b * kr**power - c * _f(random_roughness_cm))


def vegetation_factor(cover_fraction: ArrayLike, form: str = "flat_cover") -> FloatArray:
    r"""Vegetation factor COG (0–1) from fractional vegetation cover.

    Parameters
    ----------
    cover_fraction : array_like
        Fractional vegetation cover, 0–1.
    form : {"flat_cover", "canopy"}
        ``flat_cover``: :math:`e^{-0.0438\,SC}` with SC = cover in % (the bulletin's flat-cover
        soil loss ratio, as applied to vegetation cover in Chinese RWEQ assessments);
        ``canopy``: :math:`e^{-5.614\,cc^{0.7366}}` (the bulletin's crop-canopy ratio).

    Returns
    -------
    ndarray
        COG, dimensionless; 1 for bare soil.

    Notes
    -----
    Fryrear et al. (1998): SLR_f = exp(−0.0438 SC), SLR_c = exp(−5.614 cc^0.7366).
    """
    cover = _f(cover_fraction)
    if form == "flat_cover":
        return np.exp(-FLAT_COVER_COEFFICIENT * 100.0 * cover)
    if form == "canopy":
        a, power = CANOPY_COEFFICIENTS
        return np.exp(-a * np.maximum(cover, 0.0) ** power)
    raise ValueError(f"unknown vegetation factor form {form!r}; expected 'flat_cover' or 'canopy'")


def max_transport(product: ArrayLike) -> FloatArray:
    r"""Maximum transport capacity :math:`Q_{max} = 109.8\,X`, kg/m, with X = WF·EF·SCF·K'·COG
    (kg/m) (Fryrear et al. 1998)."""
    return MAX_TRANSPORT_COEFFICIENT * _f(product)


def critical_length(product: ArrayLike) -> FloatArray:
    r"""Critical field length :math:`s = 150.71\,X^{-0.3711}`, m (Fryrear et al. 1998);
    infinite for X = 0."""
    x = _f(product)
    with np.errstate(divide="ignore"):
        return CRITICAL_LENGTH_COEFFICIENT * np.where(x > 0, x, 0.0) ** CRITICAL_LENGTH_EXPONENT


def soil_loss(product: ArrayLike, distance_m: float, form: str = "point") -> FloatArray:
    r"""Soil loss of a period, kg/m².

    Parameters
    ----------
    product : array_like
        X = WF·EF·SCF·K'·COG, kg/m (≥ 0).
    distance_m : float
        Downwind distance z from the non-erodible upwind edge, m.
    form : {"point", "field_mean"}
        ``point``: the loss at distance z, :math:`SL = (2z/s^2)\,Q_{max}\,e^{-(z/s)^2}` (the
        form of Chinese sand-fixation service assessments);
        ``field_mean``: the mean loss over a field of length z, :math:`Q(z)/z =
        Q_{max}[1 - e^{-(z/s)^2}]/z`, which, unlike the point form, never decreases as X grows.

    Returns
    -------
    ndarray
        Soil loss, kg/m²; 0 where X = 0.

    Notes
    -----
    :math:`Q(x) = Q_{max}[1 - e^{-(x/s)^2}]` (Fryrear et al. 1998, 2000); the point form is
    dQ/dx at x = z. Evaluated through :math:`1/s^2 = X^{0.7422}/150.71^2`, which is 0 at X = 0.
    """
    x = _f(product)
    q_max = max_transport(x)
    inverse_s2 = np.maximum(x, 0.0) ** (-2.0 * CRITICAL_LENGTH_EXPONENT) / CRITICAL_LENGTH_COEFFICIENT**2
    z = float(distance_m)
    if form == "point":
        return 2.0 * z * inverse_s2 * q_max * np.exp(-z * z * inverse_s2)
    if form == "field_mean":
        return q_max * -np.expm1(-z * z * inverse_s2) / z
    raise ValueError(f"unknown soil loss form {form!r}; expected 'point' or 'field_mean'")


def point_form_saturated(product: ArrayLike, distance_m: float) -> NDArray[np.bool_]:
    r"""True where z/s > 1.5321: the point-form loss has passed its maximum in X, so that a
    smaller X (more cover) would give a larger loss at z (see :data:`SATURATION_RATIO`)."""
    s = critical_length(product)
    with np.errstate(invalid="ignore"):
        return np.asarray(float(distance_m) > SATURATION_RATIO * s)


def monthly_soil_loss(
    wind_speed_2m: ArrayLike,
    temperature_c: ArrayLike,
    elevation_m: ArrayLike,
    precipitation_mm: ArrayLike,
    et0_mm: ArrayLike,
    irrigation_mm: ArrayLike,
    wet_day_fraction: ArrayLike,
    snow_cover_days: ArrayLike,
    days: ArrayLike,
    soil_factor: ArrayLike,
    roughness: ArrayLike,
    cover_fraction: ArrayLike,
    *,
    shape: float,
    threshold: float,
    distance_m: float,
    loss_form: str,
    cover_form: str,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Potential (COG = 1) and actual soil loss of each period, kg/m², and the point-form
    saturation flag of the potential case (1.0 where :func:`point_form_saturated`, NaN where
    the loss is nodata).

    ``soil_factor`` is EF × SCF; ``roughness`` is K'. The other arguments are those of the
    factor kernels above; arrays broadcast (months first where monthly).
    """
    wf = _f(days) * wind_excess_lookup(wind_speed_2m, shape, threshold)
    weather = weather_factor(wf, air_density(temperature_c, elevation_m),
                             soil_wetness_factor(et0_mm, precipitation_mm, irrigation_mm,
                                                 wet_day_fraction),
                             snow_cover_factor(snow_cover_days, days))
    bare = weather * _f(soil_factor) * _f(roughness)
    cover = vegetation_factor(cover_fraction, cover_form)
    potential = soil_loss(bare, distance_m, loss_form)
    actual = soil_loss(bare * cover, distance_m, loss_form)
    saturated = (point_form_saturated(bare, distance_m) & (loss_form == "point")).astype(np.float64)
    potential, actual, saturated = np.broadcast_arrays(potential, actual, saturated)
    saturated = np.where(np.isnan(potential) | np.isnan(actual), np.nan, saturated)
    return np.array(potential), np.array(actual), saturated


# --------------------------------------------------------------------------------------------
# the fused monthly-to-annual kernel

#: Cells per slab of :func:`soil_loss_by_month`: the kernel runs slab by slab so that its
#: dozen temporaries (8 bytes a cell each) stay in the CPU caches instead of streaming whole
#: chunks through memory once per operation.
SLAB_CELLS = 1 << 16

_TINY = float(np.finfo(np.float64).tiny)

#: The floor of X in the single-precision stage of the field-mean loss (the smallest normal
#: float32; see :func:`soil_loss_by_month`).
_TINY32 = float(np.finfo(np.float32).tiny)


@lru_cache(maxsize=16)
def _lookup_steps(shape: float, threshold: float) -> tuple[FloatArray, FloatArray]:
    """The lookup table of :func:`wind_excess_lookup` and its differences
    ``values[i + 1] - values[i]`` (the same subtraction the interpolation does)."""
    _, values = _lookup_table(shape, threshold)
    steps = values[1:] - values[:-1]
    steps.setflags(write=False)
    return values, steps


def _wind_excess_into(out: FloatArray, mean: FloatArray, shape: float, threshold: float) -> None:
    """:func:`wind_excess_lookup` of ``mean`` (float64) written into ``out``, with the same
    floating-point operations (bit-identical) and fewer passes."""
    values, steps = _lookup_steps(float(shape), float(threshold))
    position = np.divide(mean, LOOKUP_STEP)
    np.nan_to_num(position, copy=False, nan=0.0)
    np.clip(position, 0.0, values.size - 1.0, out=position)
    index = position.astype(np.intp)
    np.minimum(index, values.size - 2, out=index)
    np.subtract(position, index, out=position)  # the fraction of the step
    np.multiply(position, steps.take(index), out=position)
    np.add(values.take(index), position, out=out)
    with np.errstate(invalid="ignore"):
        beyond = mean > LOOKUP_MAX
    if beyond.any():
        out[beyond] = wind_excess_weibull(mean[beyond], shape, threshold)
    np.copyto(out, np.nan, where=np.isnan(mean))


def _loss_into(out: FloatArray, x: FloatArray, scratch: FloatArray, distance_m: float,
               form: str) -> None:
    """:func:`soil_loss` of ``x`` written into ``out`` (same operations in the same order);
    ``scratch`` is overwritten."""
    z = float(distance_m)
    # X floored at the smallest normal float instead of 0: np.power takes a slow path on
    # zeros (5.9 instead of 1.4 ns a value here; X = 0 wherever SW = 0 or there is no wind).
    # Where X < tiny the loss, 109.8 X times at most ~1e-229, underflows to the same 0 either
    # way (tested).
    inverse_s2 = np.maximum(x, _TINY, out=scratch)
    np.power(inverse_s2, -2.0 * CRITICAL_LENGTH_EXPONENT, out=inverse_s2)
    inverse_s2 /= CRITICAL_LENGTH_COEFFICIENT**2
    if form == "field_mean":
        # q_max · −expm1(−z² / s²) / z
        np.multiply(inverse_s2, -z * z, out=inverse_s2)
        np.expm1(inverse_s2, out=inverse_s2)
        np.negative(inverse_s2, out=inverse_s2)
        np.multiply(x, MAX_TRANSPORT_COEFFICIENT, out=out)
        out *= inverse_s2
        out /= z
    elif form == "point":
        # (2z / s²) · q_max · exp(−z² / s²)
        np.multiply(inverse_s2, 2.0 * z, out=out)
        out *= np.multiply(x, MAX_TRANSPORT_COEFFICIENT)
        np.multiply(inverse_s2, -z * z, out=inverse_s2)
        np.exp(inverse_s2, out=inverse_s2)
        out *= inverse_s2
    else:
        raise ValueError(f"unknown soil loss form {form!r}; expected 'point' or 'field_mean'")


def _cells(values: ArrayLike, shape: tuple[int, ...], dtype: DTypeLike | None = None) -> np.ndarray:
    """``values`` broadcast to ``shape``, as a 1-D C-contiguous array (a view where it is one
    already) of its own float type, else of ``dtype`` (float64 when not floating)."""
    array = np.asarray(values)
    if dtype is None and array.dtype not in (np.float32, np.float64):
        dtype = np.float64
    return np.ascontiguousarray(np.broadcast_to(array, shape), dtype=dtype).reshape(-1)


def _flat_view(values: np.ndarray, shape: tuple[int, ...]) -> np.ndarray | None:
    """``values`` as a 1-D view when it is a C-contiguous float32/float64 array of ``shape``
    (what :func:`_cells` gives, without a copy), else None."""
    if (values.shape == tuple(shape) and values.flags.c_contiguous
            and values.dtype in (np.float32, np.float64)):
        return values.reshape(-1)
    return None


def _month_cells(view: np.ndarray | None, span: tuple[int, int], values: ArrayLike,
                 cells: tuple[int, ...]) -> np.ndarray:
    """The cells ``span`` (flat start, stop) of a month: a slice of its 1-D ``view`` when
    there is one, else ``_cells(values, cells)`` of the slab's values (the same numbers)."""
    if view is not None:
        return view[span[0]:span[1]]
    return _cells(values, cells)


def _flat(array: FloatArray, slab: tuple[slice, ...]) -> FloatArray:
    """The cells of ``array[slab]`` as a 1-D view (written through)."""
    view = (array[slab] if slab else array).reshape(-1)
    assert np.shares_memory(view, array)
    return view


#: Threads that share the slabs of one :func:`soil_loss_by_month` call: the caller and, from
#: a pool of ``SLAB_THREADS - 1`` shared by all callers, helpers that take slabs while the
#: caller does. 1 (the caller alone) unless the environment variable
#: ``ECOCIV_RWEQ_SLAB_THREADS`` says otherwise: on 2 cores the run's other tasks leave one idle
#: about a quarter of the time (gaps between dask tasks, the last chunk), which a helper could
#: fill, but on a loaded machine a helper that is not scheduled delays the call's end
#: (benchmarks/RESULTS.md, sand_fixation (g)). The results do not depend on which thread
#: computes a slab.
SLAB_THREADS = max(1, int(os.environ.get("ECOCIV_RWEQ_SLAB_THREADS", "1") or 1))

_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _forget_pool() -> None:
    """After a fork the pool's threads are gone: make the child start its own."""
    global _POOL
    _POOL = None


os.register_at_fork(after_in_child=_forget_pool)


def _slab_pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=max(1, SLAB_THREADS - 1),
                                       thread_name_prefix="ecociv-rweq")
        return _POOL


def _each_slab(work: Callable[[int], None], starts: list[int]) -> None:
    """``work(start)`` for every slab start, by this thread and up to ``SLAB_THREADS - 1``
    pool threads taking the next slab in turn; returns when all are done, raising the first
    error (the other threads then stop taking slabs)."""
    if SLAB_THREADS < 2 or len(starts) < 2:
        for start in starts:
            work(start)
        return
    pending = iter(starts)
    lock = threading.Lock()
    failed = threading.Event()

    def drain() -> None:
        while not failed.is_set():
            with lock:
                start = next(pending, None)
            if start is None:
                return
            try:
                work(start)
            except BaseException:
                failed.set()
                raise

    helpers = [_slab_pool().submit(drain) for _ in range(SLAB_THREADS - 1)]
    error: BaseException | None = None
    try:
        drain()
    except BaseException as exc:  # re-raised below, once the helpers have stopped
        error = exc
    for helper in helpers:
        try:
            helper.result()
        except BaseException as exc:
            error = error or exc
    if error is not None:
        raise error


def soil_loss_by_month(
    wind_speed: ArrayLike,
    temperature_c: ArrayLike,
    elevation_m: ArrayLike,
    precipitation_mm: ArrayLike,
    et0_mm: ArrayLike,
    irrigation_mm: ArrayLike,
    wet_day_fraction: ArrayLike,
    snow_cover_days: ArrayLike,
    soil_factor: ArrayLike,
    roughness: ArrayLike,
    cover_fraction: ArrayLike,
    *,
    days: ArrayLike = DAYS_IN_MONTH,
    wind_to_2m: float = 1.0,
    shape: float,
    threshold: float,
    distance_m: float,
    loss_form: str,
    cover_form: str,
    scale: float = 1.0,
    monthly: bool = True,
    monthly_dtype: DTypeLike = np.float64,
) -> dict[str, FloatArray]:
    r"""Potential and actual soil loss and sand fixation of every month and of the year, in one
    pass: :func:`monthly_soil_loss` fused with the annual sums.

    Parameters
    ----------
    wind_speed : array_like or sequence of array_like
        Mean wind speed of each month, m/s, at the height that ``wind_to_2m`` converts from:
        an array with a leading month axis, or one array per month (as with every monthly
        argument; the months are then never stacked into one array).
    temperature_c, precipitation_mm, et0_mm : array_like or sequence of array_like
        Monthly air temperature (°C), precipitation and reference ET (mm per month).
    elevation_m : array_like
        Elevation, m (not monthly).
    irrigation_mm, wet_day_fraction, snow_cover_days, cover_fraction : array_like or sequence
        Monthly when given per month or with one more dimension than the grid (month axis
        first), else the same for every month: irrigation (mm per month), Rd/Nd, days with
        snow cover (d), fractional vegetation cover.
    soil_factor, roughness : array_like
        EF × SCF and K' (not monthly).
    days : array_like
        Days of each month, 1-D (12 values, January first, by default).
    wind_to_2m : float
        Factor from the measured wind speed to the wind at 2 m (the product is taken in the
        wind's own precision, as ``wind * factor`` on the raster would be).
    shape, threshold, distance_m, loss_form, cover_form
        As in :func:`monthly_soil_loss`.
    scale : float
        Unit factor applied to every loss (e.g. 1000: kg/m² to t/km²).
    monthly : bool
        Also return the monthly values (else only the annual sums are kept in memory).
    monthly_dtype : dtype
        Type of the monthly values returned (e.g. float32 when they are only written to a
        float32 raster: half the memory, and the same rounding the writer would apply). The
        annual sums are always taken over the float64 monthly values.

    Returns
    -------
    dict of ndarray
        ``potential``, ``actual``, ``fixation``: sums over the months of the potential loss,
        actual loss and max(potential − actual, 0), kg/m² per year times ``scale`` (t/km²
        with 1000), NaN where any month is NaN;
        ``saturated``: months with the point-form saturation flag (NaN where a month's loss is
        NaN; always 0 for ``field_mean``); with ``monthly``, ``potential_monthly``,
        ``actual_monthly``, ``fixation_monthly`` with a leading month axis.

    Notes
    -----
    The same equations as :func:`monthly_soil_loss` followed by scaling,
    ``max(potential − actual, 0)`` and a NumPy sum over the month axis; the months are added in
    calendar order. The point form is within 1e-12 relative of that path. The field-mean form
    (the default) takes X^b, a = −z² X^b / s0² (bare and covered) and e^a in single precision
    (X floored at the smallest normal float32; NumPy's float32 ``log`` and ``exp`` take half
    the time of the float64 ones, and the arrays are half the memory traffic), the rest (X,
    −expm1(a), the losses and the sums) in double precision: within 1e-5 relative of that path
    (potential and actual losses; the fixation within 1e-5 of the potential loss), measured at
    most 1.3e-6 (annual) and 3.2e-6 (monthly), median ≈ 1e-7, against parameters of 2–3
    significant digits (tests/models/test_sand_fixation_fast.py). −expm1(a) is taken from
    NumPy's vectorised ``exp`` (and a Taylor series for small |a|:
    ``month_loops._one_minus_exp``), a fifth of the cost of ``np.expm1``, and the power of X·COG
    as X^b·COG^b, with COG^b computed once per slab when the cover is static.
    It runs slab by slab (:data:`SLAB_CELLS`) and computes what does not change between months
    (air density polynomial, vegetation factor) once per slab; the wind term comes from the
    lookup table (:func:`wind_excess_lookup`). Within a month, the arithmetic between
    ``np.power`` and ``np.exp`` runs in compiled loops, one pass each (``month_loops.py``,
    numba), instead of some fifty NumPy passes.
    """
    from ecociv.models.sand_fixation import month_loops

    if loss_form not in ("point", "field_mean"):
        raise ValueError(f"unknown soil loss form {loss_form!r}; expected 'point' or 'field_mean'")
    day_counts = np.asarray(days, dtype=np.float64).ravel()
    months = day_counts.size
    if isinstance(wind_speed, list | tuple):
        grid_ndim = max((np.ndim(v) for v in wind_speed), default=0)
    else:
        grid_ndim = np.ndim(wind_speed) - 1
        if grid_ndim < 0:
            raise ValueError("wind_speed needs a leading month axis (or one array per month)")
    monthly_args: dict[str, list[np.ndarray]] = {}
    static_args: dict[str, np.ndarray] = {}
    given = {"wind": wind_speed, "temperature": temperature_c,
             "precipitation": precipitation_mm, "et0": et0_mm, "irrigation": irrigation_mm,
             "wet": wet_day_fraction, "snow": snow_cover_days, "cover": cover_fraction,
             "elevation": elevation_m, "soil": soil_factor, "roughness": roughness}
    always_monthly = ("wind", "temperature", "precipitation", "et0")
    never_monthly = ("elevation", "soil", "roughness")
    for name, value in given.items():
        if isinstance(value, list | tuple):
            per_month = [np.asarray(v) for v in value]
        elif name in never_monthly or (name not in always_monthly
                                       and np.ndim(value) != grid_ndim + 1):
            static_args[name] = np.asarray(value)
            continue
        else:
            per_month = list(np.asarray(value))
        if len(per_month) == 1:
            per_month = per_month * months
        if len(per_month) != months:
            raise ValueError(f"{name} has {len(per_month)} months; expected {months}")
        monthly_args[name] = per_month
    grid = np.broadcast_shapes(*(v.shape for values in monthly_args.values() for v in values),
                               *(a.shape for a in static_args.values()))
    full = {name: [np.broadcast_to(v, grid) for v in values]
            for name, values in monthly_args.items()}
    fixed = {name: np.broadcast_to(a, grid) for name, a in static_args.items()}
    # scalars that change nothing are skipped (adding 0 or multiplying by 1 is exact)
    no_irrigation = "irrigation" in static_args and not np.any(static_args["irrigation"])
    all_wet = ("wet" in static_args and static_args["wet"].size == 1
               and static_args["wet"].item() == 1.0)
    no_snow = "snow" in static_args and not np.any(static_args["snow"])
    smooth = static_args["roughness"].size == 1 and static_args["roughness"].item() == 1.0

    names = ("potential", "actual", "fixation", "saturated")
    annual = {name: np.zeros(grid) for name in names}
    per_month_out = ({name: np.empty((months, *grid), dtype=monthly_dtype) for name in names[:3]}
                     if monthly else {})
    rows = grid[0] if grid else 1
    row_cells = int(np.prod(grid[1:])) if len(grid) > 1 else 1
    step = max(1, SLAB_CELLS // max(1, row_cells))
    a, b, c, d = AIR_DENSITY_COEFFICIENTS
    z = float(distance_m)
    f64 = np.float64
    table, steps = _lookup_steps(float(shape), float(threshold))
    exponent_b = -2.0 * CRITICAL_LENGTH_EXPONENT
    transport_factor = -z * z / CRITICAL_LENGTH_COEFFICIENT**2
    # Q_max / z times the unit factor: one product per loss (within a few ulp of the three)
    loss_factor = MAX_TRANSPORT_COEFFICIENT * float(scale) / z
    # the months of the four monthly inputs as 1-D views of the whole block (sliced slab by
    # slab below), where a month is a C-contiguous float array of the grid's shape
    views = {name: [_flat_view(v, grid) for v in full[name]] for name in always_monthly}
    def one_slab(row0: int) -> None:
        slab = (slice(row0, min(rows, row0 + step)),) if grid else ()
        span = (row0 * row_cells, min(rows, row0 + step) * row_cells)
        piece = {name: np.asarray(value[slab], dtype=f64) for name, value in fixed.items()}
        cells = annual["potential"][slab].shape
        # what does not change between months
        elevation_km = piece["elevation"] / 1000.0
        density_top = a * (b - c * elevation_km + d * elevation_km**2)
        static_cog = (vegetation_factor(piece["cover"], cover_form) if "cover" in piece
                      else None)
        # COG^b: (X COG)^b = X^b COG^b, so the loss with cover needs no power of its own
        static_cog_power = (None if static_cog is None or loss_form != "field_mean"
                            else _cells(np.power(static_cog, exponent_b), cells, np.float32))
        size = int(np.prod(cells))
        wf, mean, x, x_cover, loss, loss_cover, scratch, fixation = (np.empty(size)
                                                                     for _ in range(8))
        # the single-precision stage of the field-mean loss: X^b, a and e^a, bare and covered
        powered, exponent, exponent_cover, exp_value, exp_cover = (
            np.empty(size if loss_form == "field_mean" else 0, np.float32) for _ in range(5))
        sums = {name: _flat(annual[name], slab) for name in names}
        density = _cells(density_top, cells)
        soil = _cells(piece["soil"], cells, np.float64)
        roughness = soil if smooth else _cells(piece["roughness"], cells, np.float64)
        none = soil  # placeholder of an argument that is not used
        # the optional factors as 1-D cells: once per slab where static, else each month
        skipped = {"irrigation": no_irrigation, "wet": all_wet, "snow": no_snow}
        optional = {name: (none if off else _cells(piece[name], cells, np.float64))
                    for name, off in skipped.items() if name in piece}
        static_cog_cells = None if static_cog is None else _cells(static_cog, cells, np.float64)
        for month in range(months):
            here = {name: values[month][slab] for name, values in full.items()
                    if name not in always_monthly}
            month_optional = {**optional, **{name: _cells(here[name], cells, np.float64)
                                             for name in skipped if name in here}}
            wind = _month_cells(views["wind"][month], span, full["wind"][month][slab], cells)
            temperature = _month_cells(views["temperature"][month], span,
                                       full["temperature"][month][slab], cells)
            et0 = _month_cells(views["et0"][month], span, full["et0"][month][slab], cells)
            rain = _month_cells(views["precipitation"][month], span,
                                full["precipitation"][month][slab], cells)
            cog = (static_cog_cells if static_cog_cells is not None
                   else _cells(vegetation_factor(here["cover"], cover_form), cells, np.float64))
            cog_power = (static_cog_power if static_cog_power is not None
                         else np.power(cog, exponent_b).astype(np.float32))
            factors = (month_optional["irrigation"], not no_irrigation,
                       month_optional["wet"], not all_wet, month_optional["snow"], not no_snow,
                       soil, roughness, not smooth)
            # wind factor Wf = N_d E[U (U - Ut)^2; U > Ut] from the wind at 2 m (the product
            # taken in the wind raster's own precision, as on the raster), air density, soil
            # wetness (ET0 - (R + I) Rd/Nd)/ET0, snow, then X = Wf rho / g SW SD EF SCF K'
            # (inputs cast to float64 before any arithmetic), and X floored at tiny (the base
            # of the power below)
            if month_loops.wind_lookup(wind, wind.dtype.type(wind_to_2m), LOOKUP_STEP, table,
                                       steps, LOOKUP_MAX, mean, wf):
                beyond = mean > LOOKUP_MAX
                wf[beyond] = wind_excess_weibull(mean[beyond], shape, threshold)
            field_mean = loss_form == "field_mean"
            month_loops.erosive_x(wf, day_counts[month], temperature, density, et0, rain,
                                  *factors, GRAVITY, _TINY32 if field_mean else _TINY, x,
                                  powered if field_mean else scratch)
            if field_mean:
                # a = −z² X^b / s0² and a COG^b, and e^a, in single precision (X floored at
                # the smallest normal float32), then −expm1(a) from them
                # (month_loops._one_minus_exp), the losses and the sums in double precision.
                # X^b as e^(b ln X): NumPy's vectorised float32 log and exp take half the time
                # of the float64 ones (16 values per AVX-512 instruction instead of 8), and
                # the float32 arrays are half the memory traffic; the losses differ from the
                # double-precision stage by ≈ 1e-7 relative, at most a few 1e-6 (a loss is
                # written as float32: 6e-8), against parameters of 2–3 significant digits
                # (benchmarks/RESULTS.md, sand_fixation (h))
                np.log(powered, out=powered)
                powered *= np.float32(exponent_b)
                np.exp(powered, out=powered)
                month_loops.transport_exponents(powered, cog_power, transport_factor, exponent,
                                                exponent_cover)
                np.exp(exponent, out=exp_value)
                np.exp(exponent_cover, out=exp_cover)
                if monthly:
                    np.multiply(x, cog, out=x_cover)
                    month_loops.field_mean_loss_exp(
                        x, x_cover, exponent, exp_value, exponent_cover, exp_cover,
                        loss_factor, loss, loss_cover, fixation,
                        sums["potential"], sums["actual"], sums["fixation"])
                else:
                    # X · COG taken in the loop (the same product)
                    month_loops.field_mean_annual_cog(
                        x, cog, exponent, exp_value, exponent_cover, exp_cover,
                        loss_factor, sums["potential"], sums["actual"], sums["fixation"])
            else:
                np.multiply(x, cog, out=x_cover)
                _loss_into(loss, x, scratch, z, loss_form)
                _loss_into(loss_cover, x_cover, scratch, z, loss_form)
                flag = point_form_saturated(x, z).astype(f64)
                np.copyto(flag, np.nan, where=np.isnan(loss) | np.isnan(loss_cover))
                sums["saturated"] += flag
                loss *= scale
                loss_cover *= scale
                sums["potential"] += loss
                sums["actual"] += loss_cover
                np.subtract(loss, loss_cover, out=fixation)
                np.maximum(fixation, 0.0, out=fixation)
                sums["fixation"] += fixation
            if monthly:
                per_month_out["potential"][month][slab] = loss.reshape(cells)
                per_month_out["actual"][month][slab] = loss_cover.reshape(cells)
                per_month_out["fixation"][month][slab] = fixation.reshape(cells)
    # the slabs are independent (their own cells, temporaries and sums): two threads share
    # them, so a core the rest of the run leaves idle computes some (_each_slab)
    _each_slab(one_slab, list(range(0, rows, step)))
    if loss_form != "point":
        # 0 months, NaN where a month's loss is NaN (as the sum of the monthly flags would be)
        month_loops.undefined_as_nan(annual["potential"].reshape(-1),
                                     annual["actual"].reshape(-1),
                                     annual["saturated"].reshape(-1))
    result = dict(annual)
    for name, value in per_month_out.items():
        result[f"{name}_monthly"] = value
    return result
