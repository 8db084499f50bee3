r"""FAO-56 reference evapotranspiration kernels (pure functions on arrays).

One function per equation of Allen, R.G., Pereira, L.S., Raes, D. and Smith, M. (1998), *Crop
evapotranspiration — Guidelines for computing crop water requirements*, FAO Irrigation and
Drainage Paper 56, Rome (cited below as FAO-56 with the equation number), plus
:func:`et0_terms`, the whole chain for one time step, which ``stations.py`` and ``model.py``
share. Every function takes numbers or numpy arrays (broadcast together) and returns float64
arrays; NaN in gives NaN out.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

#: Solar constant, MJ m⁻² min⁻¹ (FAO-56 eq. 21).
SOLAR_CONSTANT: Final = 0.0820
#: Stefan–Boltzmann constant, MJ K⁻⁴ m⁻² day⁻¹ (FAO-56 eq. 39).
STEFAN_BOLTZMANN: Final = 4.903e-9
#: Offset from °C to K used by FAO-56 eq. 39.
KELVIN_OFFSET: Final = 273.16
#: Albedo of the hypothetical grass reference crop (FAO-56 eq. 38).
REFERENCE_ALBEDO: Final = 0.23
#: Angström coefficients recommended when no calibration is available (FAO-56 eq. 35).
ANGSTROM_A: Final = 0.25
ANGSTROM_B: Final = 0.50
#: Conversion of MJ m⁻² day⁻¹ to mm day⁻¹ of evaporated water, 1/λ with λ = 2.45 MJ kg⁻¹
#: (FAO-56 eq. 20).
MJ_TO_MM: Final = 0.408
#: Bounds of the relative shortwave radiation Rs/Rso in eq. 39: FAO-56 gives the upper limit
#: 1.0; the lower limit 0.3 is that of ASCE-EWRI (2005, eq. 45), see
#: :func:`net_longwave_radiation`.
RELATIVE_SHORTWAVE_MIN: Final = 0.3
RELATIVE_SHORTWAVE_MAX: Final = 1.0

#: Codes of the method used, as written to the ``et0_method`` raster.
PENMAN_MONTEITH: Final = 1
HARGREAVES_SAMANI: Final = 2

#: Days in each month of a non-leap year (for monthly totals).
DAYS_IN_MONTH: Final = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.float64)


def _f(value: ArrayLike) -> FloatArray:
    return np.asarray(value, dtype=np.float64)


# --- atmosphere -------------------------------------------------------------------------------


def atmospheric_pressure(elevation_m: ArrayLike) -> FloatArray:
    r"""Atmospheric pressure from elevation.

    Parameters
    ----------
    elevation_m : array_like
        Elevation above sea level, m.

    Returns
    -------
    ndarray
        Atmospheric pressure P, kPa.

    Notes
    -----
    FAO-56 eq. 7 (ideal gas law for a standard atmosphere at 20 °C):
    :math:`P = 101.3 \left(\frac{293 - 0.0065 z}{293}\right)^{5.26}`.
    """
    z = _f(elevation_m)
    return 101.3 * ((293.0 - 0.0065 * z) / 293.0) ** 5.26


def psychrometric_constant(pressure_kpa: ArrayLike) -> FloatArray:
    r"""Psychrometric constant.

    Parameters
    ----------
    pressure_kpa : array_like
        Atmospheric pressure, kPa.

    Returns
    -------
    ndarray
        Psychrometric constant γ, kPa °C⁻¹.

    Notes
    -----
    FAO-56 eq. 8 with λ = 2.45 MJ kg⁻¹, c_p = 1.013·10⁻³ MJ kg⁻¹ °C⁻¹ and ε = 0.622:
    :math:`\gamma = 0.665 \cdot 10^{-3} P`.
    """
    return 0.665e-3 * _f(pressure_kpa)


# --- humidity ---------------------------------------------------------------------------------


def saturation_vapour_pressure(temperature_c: ArrayLike) -> FloatArray:
    r"""Saturation vapour pressure at an air temperature.

    Parameters
    ----------
    temperature_c : array_like
        Air temperature, °C.

    Returns
    -------
    ndarray
        Saturation vapour pressure e°(T), kPa.

    Notes
    -----
    FAO-56 eq. 11 (Tetens): :math:`e^\circ(T) = 0.6108 \exp\left(\frac{17.27 T}{T + 237.3}\right)`.
    """
    t = _f(temperature_c)
    return 0.6108 * np.exp(17.27 * t / (t + 237.3))


def mean_saturation_vapour_pressure(tmax_c: ArrayLike, tmin_c: ArrayLike) -> FloatArray:
    r"""Mean saturation vapour pressure of a day (or month).

    Parameters
    ----------
    tmax_c, tmin_c : array_like
        Daily maximum and minimum air temperature (monthly means of them for a month), °C.

    Returns
    -------
    ndarray
        Mean saturation vapour pressure e_s, kPa.

    Notes
    -----
    FAO-56 eq. 12: :math:`e_s = \frac{e^\circ(T_{max}) + e^\circ(T_{min})}{2}` (not e° of the
    mean temperature, which underestimates e_s because e° is convex).
    """
    return (saturation_vapour_pressure(tmax_c) + saturation_vapour_pressure(tmin_c)) / 2.0


def saturation_vapour_pressure_slope(temperature_c: ArrayLike) -> FloatArray:
    r"""Slope of the saturation vapour pressure curve.

    Parameters
    ----------
    temperature_c : array_like
        Mean air temperature, °C.

    Returns
    -------
    ndarray
        Slope Δ, kPa °C⁻¹.

    Notes
    -----
    FAO-56 eq. 13:
    :math:`\Delta = \frac{4098\, e^\circ(T)}{(T + 237.3)^2}`.
    """
    t = _f(temperature_c)
    return 4098.0 * saturation_vapour_pressure(t) / (t + 237.3) ** 2


def actual_vapour_pressure_from_rh_extremes(
    tmax_c: ArrayLike, tmin_c: ArrayLike, rh_max_pct: ArrayLike, rh_min_pct: ArrayLike
) -> FloatArray:
    r"""Actual vapour pressure from daily maximum and minimum relative humidity.

    Parameters
    ----------
    tmax_c, tmin_c : array_like
        Daily maximum and minimum air temperature, °C.
    rh_max_pct, rh_min_pct : array_like
        Daily maximum and minimum relative humidity, %.

    Returns
    -------
    ndarray
        Actual vapour pressure e_a, kPa.

    Notes
    -----
    FAO-56 eq. 17:
    :math:`e_a = \frac{e^\circ(T_{min}) RH_{max}/100 + e^\circ(T_{max}) RH_{min}/100}{2}`.
    """
    return (
        saturation_vapour_pressure(tmin_c) * _f(rh_max_pct) / 100.0
        + saturation_vapour_pressure(tmax_c) * _f(rh_min_pct) / 100.0
    ) / 2.0


def actual_vapour_pressure_from_rh_mean(
    tmax_c: ArrayLike, tmin_c: ArrayLike, rh_mean_pct: ArrayLike
) -> FloatArray:
    r"""Actual vapour pressure from mean relative humidity.

    Parameters
    ----------
    tmax_c, tmin_c : array_like
        Daily maximum and minimum air temperature, °C.
    rh_mean_pct : array_like
        Mean relative humidity, %.

    Returns
    -------
    ndarray
        Actual vapour pressure e_a, kPa.

    Notes
    -----
    FAO-56 eq. 19 (less reliable than eq. 17):
    :math:`e_a = \frac{RH_{mean}}{100} \frac{e^\circ(T_{max}) + e^\circ(T_{min})}{2}`.
    """
    return _f(rh_mean_pct) / 100.0 * mean_saturation_vapour_pressure(tmax_c, tmin_c)


# --- wind -------------------------------------------------------------------------------------


def wind_speed_at_2m(wind_speed_m_s: ArrayLike, height_m: ArrayLike) -> FloatArray:
    r"""Wind speed at 2 m above ground from a measurement at another height.

    Parameters
    ----------
    wind_speed_m_s : array_like
        Wind speed measured at ``height_m``, m s⁻¹.
    height_m : array_like
        Height of the measurement above ground, m (> 0.1 m).

    Returns
    -------
    ndarray
        Wind speed u₂ at 2 m, m s⁻¹.

    Notes
    -----
    FAO-56 eq. 47 (logarithmic profile over short grass):
    :math:`u_2 = u_z \frac{4.87}{\ln(67.8 z - 5.42)}`. A measurement made at 2 m is returned
    unchanged (the rounded constants of eq. 47 give the factor 1.0002 there).
    """
    speed = _f(wind_speed_m_s)
    height = _f(height_m)
    factor = np.where(height == 2.0, 1.0, 4.87 / np.log(67.8 * height - 5.42))
    return speed * factor


# --- radiation --------------------------------------------------------------------------------


def inverse_relative_distance(day_of_year: ArrayLike) -> FloatArray:
    r"""Inverse relative distance Earth–Sun (dimensionless).

    Parameters
    ----------
    day_of_year : array_like
        Day of the year J, 1–366.

    Returns
    -------
    ndarray
        d_r, dimensionless.

    Notes
    -----
    FAO-56 eq. 23: :math:`d_r = 1 + 0.033 \cos\left(\frac{2\pi}{365} J\right)`.
    """
    return 1.0 + 0.033 * np.cos(2.0 * np.pi / 365.0 * _f(day_of_year))


def solar_declination(day_of_year: ArrayLike) -> FloatArray:
    r"""Solar declination.

    Parameters
    ----------
    day_of_year : array_like
        Day of the year J, 1–366.

    Returns
    -------
    ndarray
        Declination δ, rad.

    Notes
    -----
    FAO-56 eq. 24: :math:`\delta = 0.409 \sin\left(\frac{2\pi}{365} J - 1.39\right)`.
    """
    return 0.409 * np.sin(2.0 * np.pi / 365.0 * _f(day_of_year) - 1.39)


def sunset_hour_angle(latitude_rad: ArrayLike, declination_rad: ArrayLike) -> FloatArray:
    r"""Sunset hour angle.

    Parameters
    ----------
    latitude_rad : array_like
        Latitude φ, rad (negative south).
    declination_rad : array_like
        Solar declination δ, rad.

    Returns
    -------
    ndarray
        Sunset hour angle ω_s, rad (0 in polar night, π in polar day).

    Notes
    -----
    FAO-56 eq. 25: :math:`\omega_s = \arccos(-\tan\varphi \tan\delta)`. The argument is clipped
    to [-1, 1] so that latitudes beyond the polar circles give polar night or day instead of NaN
    (FAO-56 does not treat them).
    """
    argument = -np.tan(_f(latitude_rad)) * np.tan(_f(declination_rad))
    return np.arccos(np.clip(argument, -1.0, 1.0))


def extraterrestrial_radiation(latitude_deg: ArrayLike, day_of_year: ArrayLike) -> FloatArray:
    r"""Daily extraterrestrial radiation on a horizontal surface.

    Parameters
    ----------
    latitude_deg : array_like
        Latitude, decimal degrees (negative south).
    day_of_year : array_like
        Day of the year J, 1–366.

    Returns
    -------
    ndarray
        Ra, MJ m⁻² day⁻¹.

    Notes
    -----
    FAO-56 eq. 21 with d_r, δ and ω_s from eqs. 23–25:

    .. math:: R_a = \frac{24 \cdot 60}{\pi} G_{sc} d_r
        \left[\omega_s \sin\varphi \sin\delta + \cos\varphi \cos\delta \sin\omega_s\right]

    with :math:`G_{sc} = 0.0820` MJ m⁻² min⁻¹.
    """
    phi = np.radians(_f(latitude_deg))
    declination = solar_declination(day_of_year)
    omega = sunset_hour_angle(phi, declination)
    Ra = (24.0 * 60.0 / np.pi) * SOLAR_CONSTANT * inverse_relative_distance(day_of_year) * (
        omega * np.sin(phi) * np.sin(declination)
        + np.cos(phi) * np.cos(declination) * np.sin(omega)
    )
    return np.asarray(Ra, dtype=np.float64)


def daylight_hours(latitude_deg: ArrayLike, day_of_year: ArrayLike) -> FloatArray:
    r"""Maximum possible duration of sunshine (daylight hours).

    Parameters
    ----------
    latitude_deg : array_like
        Latitude, decimal degrees (negative south).
    day_of_year : array_like
        Day of the year J, 1–366.

    Returns
    -------
    ndarray
        Daylight hours N, h.

    Notes
    -----
    FAO-56 eq. 34: :math:`N = \frac{24}{\pi}\omega_s`.
    """
    omega = sunset_hour_angle(np.radians(_f(latitude_deg)), solar_declination(day_of_year))
    return 24.0 / np.pi * omega


def solar_radiation_from_sunshine(
    sunshine_hours: ArrayLike, daylight_hours_h: ArrayLike, Ra: ArrayLike
) -> FloatArray:
    r"""Incoming solar (shortwave) radiation from sunshine duration (Angström formula).

    Parameters
    ----------
    sunshine_hours : array_like
        Actual duration of sunshine n, h.
    daylight_hours_h : array_like
        Maximum possible duration of sunshine N, h (:func:`daylight_hours`).
    Ra : array_like
        Extraterrestrial radiation, MJ m⁻² day⁻¹.

    Returns
    -------
    ndarray
        Solar radiation Rs, MJ m⁻² day⁻¹ (Ra·a_s in polar night, where N = 0).

    Notes
    -----
    FAO-56 eq. 35 with the recommended :math:`a_s = 0.25`, :math:`b_s = 0.50`:
    :math:`R_s = \left(a_s + b_s \frac{n}{N}\right) R_a`.
    """
    n = _f(sunshine_hours)
    big_n = _f(daylight_hours_h)
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = np.where(big_n > 0, n / np.where(big_n > 0, big_n, 1.0), 0.0)
    fraction = np.where(np.isnan(n) | np.isnan(big_n), np.nan, fraction)
    return (ANGSTROM_A + ANGSTROM_B * fraction) * _f(Ra)


def clear_sky_radiation(Ra: ArrayLike, elevation_m: ArrayLike) -> FloatArray:
    r"""Clear-sky solar radiation.

    Parameters
    ----------
    Ra : array_like
        Extraterrestrial radiation, MJ m⁻² day⁻¹.
    elevation_m : array_like
        Elevation above sea level, m.

    Returns
    -------
    ndarray
        Rso, MJ m⁻² day⁻¹.

    Notes
    -----
    FAO-56 eq. 37 (no calibrated a_s, b_s): :math:`R_{so} = (0.75 + 2 \cdot 10^{-5} z) R_a`.
    """
    return (0.75 + 2e-5 * _f(elevation_m)) * _f(Ra)


def net_shortwave_radiation(Rs: ArrayLike) -> FloatArray:
    r"""Net shortwave radiation of the grass reference surface.

    Parameters
    ----------
    Rs : array_like
        Incoming solar radiation, MJ m⁻² day⁻¹.

    Returns
    -------
    ndarray
        Rns, MJ m⁻² day⁻¹.

    Notes
    -----
    FAO-56 eq. 38 with albedo α = 0.23: :math:`R_{ns} = (1 - \alpha) R_s`.
    """
    return (1.0 - REFERENCE_ALBEDO) * _f(Rs)


def net_longwave_radiation(
    tmax_c: ArrayLike, tmin_c: ArrayLike, ea_kpa: ArrayLike, Rs: ArrayLike, Rso: ArrayLike
) -> FloatArray:
    r"""Net outgoing longwave radiation.

    Parameters
    ----------
    tmax_c, tmin_c : array_like
        Daily maximum and minimum air temperature, °C.
    ea_kpa : array_like
        Actual vapour pressure, kPa.
    Rs : array_like
        Incoming solar radiation, MJ m⁻² day⁻¹.
    Rso : array_like
        Clear-sky solar radiation, MJ m⁻² day⁻¹.

    Returns
    -------
    ndarray
        Rnl, MJ m⁻² day⁻¹ (positive = loss).

    Notes
    -----
    FAO-56 eq. 39:

    .. math:: R_{nl} = \sigma \frac{T_{max,K}^4 + T_{min,K}^4}{2}
        (0.34 - 0.14\sqrt{e_a}) \left(1.35 \frac{R_s}{R_{so}} - 0.35\right)

    with σ = 4.903·10⁻⁹ MJ K⁻⁴ m⁻² day⁻¹ and T_K = T + 273.16. FAO-56 limits
    :math:`R_s/R_{so} \le 1.0`; the ratio is also held at or above 0.3, the lower limit of
    ASCE-EWRI (2005, *The ASCE standardized reference evapotranspiration equation*, eq. 45),
    which keeps the cloudiness factor positive under very dark skies and defines it where
    Rso = 0 (polar night). With the Angström defaults the ratio is below 0.3 only for n = 0 above
    ~1,700 m, so FAO-56's worked examples are unaffected.
    """
    rs = _f(Rs)
    rso = _f(Rso)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(rso > 0, rs / np.where(rso > 0, rso, 1.0), RELATIVE_SHORTWAVE_MIN)
    ratio = np.where(np.isnan(rs) | np.isnan(rso), np.nan, ratio)
    ratio = np.clip(ratio, RELATIVE_SHORTWAVE_MIN, RELATIVE_SHORTWAVE_MAX)
    radiation = STEFAN_BOLTZMANN * (
        (_f(tmax_c) + KELVIN_OFFSET) ** 4 + (_f(tmin_c) + KELVIN_OFFSET) ** 4
    ) / 2.0
    return radiation * (0.34 - 0.14 * np.sqrt(_f(ea_kpa))) * (1.35 * ratio - 0.35)


def net_radiation(Rns: ArrayLike, Rnl: ArrayLike) -> FloatArray:
    r"""Net radiation.

    Parameters
    ----------
    Rns : array_like
        Net shortwave radiation, MJ m⁻² day⁻¹.
    Rnl : array_like
        Net outgoing longwave radiation, MJ m⁻² day⁻¹.

    Returns
    -------
    ndarray
        Rn, MJ m⁻² day⁻¹.

    Notes
    -----
    FAO-56 eq. 40: :math:`R_n = R_{ns} - R_{nl}`.
    """
    return _f(Rns) - _f(Rnl)


def soil_heat_flux_monthly(tmean_c: ArrayLike, tmean_previous_month_c: ArrayLike) -> FloatArray:
    r"""Monthly soil heat flux from the mean temperatures of this and the previous month.

    Parameters
    ----------
    tmean_c : array_like
        Mean air temperature of the month, °C.
    tmean_previous_month_c : array_like
        Mean air temperature of the previous month, °C.

    Returns
    -------
    ndarray
        G, MJ m⁻² day⁻¹.

    Notes
    -----
    FAO-56 eq. 43 (used when the next month's temperature is unknown):
    :math:`G_{month,i} = 0.14 (T_{month,i} - T_{month,i-1})`. For daily steps FAO-56 eq. 42
    gives G ≈ 0.
    """
    return 0.14 * (_f(tmean_c) - _f(tmean_previous_month_c))


# --- reference evapotranspiration -------------------------------------------------------------


def penman_monteith(
    Rn: ArrayLike,
    G: ArrayLike,
    tmean_c: ArrayLike,
    u2_m_s: ArrayLike,
    es_kpa: ArrayLike,
    ea_kpa: ArrayLike,
    delta_kpa_c: ArrayLike,
    gamma_kpa_c: ArrayLike,
) -> FloatArray:
    r"""FAO Penman–Monteith reference evapotranspiration of the hypothetical grass crop.

    Parameters
    ----------
    Rn : array_like
        Net radiation at the crop surface, MJ m⁻² day⁻¹.
    G : array_like
        Soil heat flux density, MJ m⁻² day⁻¹.
    tmean_c : array_like
        Mean air temperature at 2 m, °C.
    u2_m_s : array_like
        Wind speed at 2 m, m s⁻¹.
    es_kpa, ea_kpa : array_like
        Saturation and actual vapour pressure, kPa.
    delta_kpa_c : array_like
        Slope of the saturation vapour pressure curve, kPa °C⁻¹.
    gamma_kpa_c : array_like
        Psychrometric constant, kPa °C⁻¹.

    Returns
    -------
    ndarray
        ET0, mm day⁻¹ (not clipped: FAO-56 does not clip negative values).

    Notes
    -----
    FAO-56 eq. 6:

    .. math:: ET_0 = \frac{0.408 \Delta (R_n - G) + \gamma \frac{900}{T + 273} u_2 (e_s - e_a)}
        {\Delta + \gamma (1 + 0.34 u_2)}
    """
    delta = _f(delta_kpa_c)
    gamma = _f(gamma_kpa_c)
    u2 = _f(u2_m_s)
    radiation_term = MJ_TO_MM * delta * (_f(Rn) - _f(G))
    aerodynamic_term = gamma * 900.0 / (_f(tmean_c) + 273.0) * u2 * (_f(es_kpa) - _f(ea_kpa))
    return (radiation_term + aerodynamic_term) / (delta + gamma * (1.0 + 0.34 * u2))


def hargreaves_samani(tmax_c: ArrayLike, tmin_c: ArrayLike, Ra: ArrayLike) -> FloatArray:
    r"""Hargreaves–Samani reference evapotranspiration from temperature alone.

    Parameters
    ----------
    tmax_c, tmin_c : array_like
        Daily maximum and minimum air temperature (monthly means of them), °C.
    Ra : array_like
        Extraterrestrial radiation, MJ m⁻² day⁻¹.

    Returns
    -------
    ndarray
        ET0, mm day⁻¹ (NaN where T_min > T_max).

    Notes
    -----
    FAO-56 eq. 52 (Hargreaves and Samani 1985), with Ra converted to mm day⁻¹ by the factor
    0.408 (FAO-56 eq. 20):

    .. math:: ET_0 = 0.0023 (T_{mean} + 17.8) (T_{max} - T_{min})^{0.5} \cdot 0.408 R_a

    with :math:`T_{mean} = (T_{max} + T_{min})/2`. FAO-56 recommends it for periods of five days
    or more when only air temperature is available.
    """
    tmax = _f(tmax_c)
    tmin = _f(tmin_c)
    tmean = (tmax + tmin) / 2.0
    with np.errstate(invalid="ignore"):
        return 0.0023 * (tmean + 17.8) * np.sqrt(tmax - tmin) * MJ_TO_MM * _f(Ra)


def mid_month_day_of_year(month: ArrayLike) -> FloatArray:
    r"""Day of the year used for a monthly time step.

    Parameters
    ----------
    month : array_like
        Month number, 1–12.

    Returns
    -------
    ndarray
        Day of the year J near the middle of the month (float, integral values).

    Notes
    -----
    FAO-56 (chapter 3, note to eq. 21): :math:`J = \mathrm{INT}(30.4\, M - 15)`.
    """
    return np.floor(30.4 * _f(month) - 15.0)


def et0_terms(
    *,
    latitude_deg: ArrayLike,
    elevation_m: ArrayLike,
    day_of_year: ArrayLike,
    tmax_c: ArrayLike,
    tmin_c: ArrayLike,
    ea_kpa: ArrayLike = np.nan,
    u2_m_s: ArrayLike = np.nan,
    Rs: ArrayLike = np.nan,
    sunshine_hours: ArrayLike = np.nan,
    G: ArrayLike = 0.0,
) -> dict[str, FloatArray]:
    r"""ET0 and every intermediate term for one time step, choosing the method per element.

    Penman–Monteith (FAO-56 eq. 6) is used where temperature, elevation, humidity (``ea_kpa``),
    wind (``u2_m_s``) and radiation (``Rs``, else ``sunshine_hours``) are all finite;
    Hargreaves–Samani (eq. 52) where only temperature and latitude are; NaN elsewhere.
    Meteorological terms of elements computed by Hargreaves–Samani are NaN (they were not used).

    Parameters
    ----------
    latitude_deg : array_like
        Latitude, decimal degrees.
    elevation_m : array_like
        Elevation, m.
    day_of_year : array_like
        Day of the year J, 1–366 (see :func:`mid_month_day_of_year` for months).
    tmax_c, tmin_c : array_like
        Maximum and minimum air temperature, °C.
    ea_kpa : array_like, optional
        Actual vapour pressure, kPa.
    u2_m_s : array_like, optional
        Wind speed at 2 m, m s⁻¹.
    Rs : array_like, optional
        Measured solar radiation, MJ m⁻² day⁻¹ (takes precedence over ``sunshine_hours``).
    sunshine_hours : array_like, optional
        Sunshine duration n, h.
    G : array_like, optional
        Soil heat flux, MJ m⁻² day⁻¹ (0 for daily steps).

    Returns
    -------
    dict of ndarray
        ``et0_mm_day``, ``method`` (1 Penman–Monteith, 2 Hargreaves–Samani, NaN none),
        ``ra_mj_m2_day``, ``daylight_hours``, ``rs_mj_m2_day``, ``rso_mj_m2_day``,
        ``rn_mj_m2_day``, ``es_kpa``, ``ea_kpa``, ``delta_kpa_c``, ``gamma_kpa_c``, ``u2_m_s``,
        ``g_mj_m2_day``.

    Notes
    -----
    The chain of FAO-56 chapter 3–4: eqs. 7, 8, 11–13, 21–25, 34, 35, 37–40 and 6, or eq. 52.
    """
    arrays = np.broadcast_arrays(*(_f(v) for v in (
        latitude_deg, elevation_m, day_of_year, tmax_c, tmin_c, ea_kpa, u2_m_s, Rs,
        sunshine_hours, G)))
    lat, z, doy, tmax, tmin, ea, u2, rs_measured, sunshine, g = arrays
    Ra = extraterrestrial_radiation(lat, doy)
    big_n = daylight_hours(lat, doy)
    rs = np.where(np.isfinite(rs_measured), rs_measured,
                  solar_radiation_from_sunshine(sunshine, big_n, Ra))
    tmean = (tmax + tmin) / 2.0
    es = mean_saturation_vapour_pressure(tmax, tmin)
    delta = saturation_vapour_pressure_slope(tmean)
    gamma = psychrometric_constant(atmospheric_pressure(z))
    rso = clear_sky_radiation(Ra, z)
    with np.errstate(invalid="ignore"):
        rnl = net_longwave_radiation(tmax, tmin, ea, rs, rso)
    rn = net_radiation(net_shortwave_radiation(rs), rnl)
    pm = penman_monteith(rn, g, tmean, u2, es, ea, delta, gamma)
    hs = hargreaves_samani(tmax, tmin, Ra)
    temperature_ok = np.isfinite(tmax) & np.isfinite(tmin) & np.isfinite(lat) & np.isfinite(doy)
    use_pm = temperature_ok & np.isfinite(pm)
    use_hs = temperature_ok & ~use_pm & np.isfinite(hs)
    nan = np.full(lat.shape, np.nan)

    def pm_only(values: FloatArray) -> FloatArray:
        return np.where(use_pm, values, nan)

    return {
        "et0_mm_day": np.where(use_pm, pm, np.where(use_hs, hs, nan)),
        "method": np.where(use_pm, float(PENMAN_MONTEITH),
                           np.where(use_hs, float(HARGREAVES_SAMANI), nan)),
        "ra_mj_m2_day": np.where(temperature_ok, Ra, nan),
        "daylight_hours": np.where(temperature_ok, big_n, nan),
        "rs_mj_m2_day": pm_only(rs),
        "rso_mj_m2_day": pm_only(rso),
        "rn_mj_m2_day": pm_only(rn),
        "es_kpa": pm_only(es),
        "ea_kpa": pm_only(ea),
        "delta_kpa_c": pm_only(delta),
        "gamma_kpa_c": pm_only(gamma),
        "u2_m_s": pm_only(u2),
        "g_mj_m2_day": pm_only(g),
    }
