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

from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

FloatArray = NDArray[np.float64]

#: Threshold wind speed at 2 m above which the wind factor accumulates, m/s (the bulletin:
#: ``Wf = Σ U2 (U2 − Ut)² Nd/N`` with Ut = 5 m/s at 2 m).
THRESHOLD_WIND_2M = 5.0

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
    means = np.linspace(0.0, LOOKUP_MAX, round(LOOKUP_MAX / LOOKUP_STEP) + 1)
    values = wind_excess_weibull(means, shape, threshold)
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


def wind_factor(mean_wind_2m: ArrayLike, days: ArrayLike, shape: ArrayLike,
                threshold: ArrayLike = THRESHOLD_WIND_2M) -> FloatArray:
    r"""Wind factor Wf of a period from its mean wind speed.

    Parameters
    ----------
    mean_wind_2m : array_like
        Mean wind speed at 2 m, m/s.
    days : array_like
        Days in the period, N_d (a count).
    shape : array_like
        Weibull shape k of the wind observations.
    threshold : array_like
        Threshold wind speed at 2 m, m/s.

    Returns
    -------
    ndarray
        Wf, (m/s)³ (N_d enters as a count, as in the bulletin).

    Notes
    -----
    :math:`W_f = \sum_{i=1}^{N} U_{2,i}(U_{2,i} - U_t)^2\,N_d/N = N_d\,E[U(U-U_t)^2; U>U_t]`
    (Fryrear et al. 1998), the expectation from :func:`wind_excess_weibull`.
    """
    return _f(days) * wind_excess_weibull(mean_wind_2m, shape, threshold)


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
        Wf, (m/s)³.
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
    q_max = MAX_TRANSPORT_COEFFICIENT * x
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
