"""et0 against the worked examples of FAO-56.

Source: Allen, R.G., Pereira, L.S., Raes, D. and Smith, M. (1998). Crop evapotranspiration —
Guidelines for computing crop water requirements. FAO Irrigation and Drainage Paper 56, Rome.
Chapter 3 (Examples 2–14: the terms) and chapter 4 (Example 17: monthly ET0, Bangkok;
Example 18: daily ET0, Brussels). Each value is checked to the number of decimals the book
prints (``round(x, d) == printed``, or ``abs(x - printed) <= 0.5 * 10**-d`` where the book
rounded an intermediate result before using it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecociv.models.et0 import kernels as k
from ecociv.models.et0.stations import compute_et0_table


def printed(value: float | np.ndarray, book: float, decimals: int) -> None:
    """``value`` agrees with the book's ``book`` to the ``decimals`` it prints."""
    assert abs(float(value) - book) <= 0.5 * 10.0**-decimals + 1e-12, (float(value), book)


# --- chapter 3 ------------------------------------------------------------------------------


def test_example_2_pressure_and_psychrometric_constant() -> None:
    # FAO-56 Example 2: z = 1800 m -> P = 81.8 kPa, gamma = 0.054 kPa/°C
    pressure = k.atmospheric_pressure(1800.0)
    printed(pressure, 81.8, 1)
    printed(k.psychrometric_constant(pressure), 0.054, 3)


def test_example_3_mean_saturation_vapour_pressure() -> None:
    # FAO-56 Example 3: Tmax 24.5, Tmin 15 °C -> e°(Tmax) 3.075, e°(Tmin) 1.705, es 2.39 kPa
    printed(k.saturation_vapour_pressure(24.5), 3.075, 3)
    printed(k.saturation_vapour_pressure(15.0), 1.705, 3)
    printed(k.mean_saturation_vapour_pressure(24.5, 15.0), 2.39, 2)


def test_example_5_actual_vapour_pressure_from_relative_humidity() -> None:
    # FAO-56 Example 5: Tmin 18, Tmax 25 °C; e°(18) 2.064, e°(25) 3.168 kPa;
    # RHmax 82 %, RHmin 54 % -> ea 1.70 kPa (eq. 17); RHmean 68 % -> ea 1.78 kPa (eq. 19)
    printed(k.saturation_vapour_pressure(18.0), 2.064, 3)
    printed(k.saturation_vapour_pressure(25.0), 3.168, 3)
    printed(k.actual_vapour_pressure_from_rh_extremes(25.0, 18.0, 82.0, 54.0), 1.70, 2)
    printed(k.actual_vapour_pressure_from_rh_mean(25.0, 18.0, 68.0), 1.78, 2)


def test_example_8_extraterrestrial_radiation() -> None:
    # FAO-56 Example 8: 20°S, 3 September (J = 246): dr 0.985, delta 0.120 rad,
    # omega_s 1.527 rad, Ra 32.2 MJ/m²/day
    printed(k.inverse_relative_distance(246), 0.985, 3)
    declination = k.solar_declination(246)
    printed(declination, 0.120, 3)
    printed(k.sunset_hour_angle(np.radians(-20.0), declination), 1.527, 3)
    printed(k.extraterrestrial_radiation(-20.0, 246), 32.2, 1)


def test_example_9_daylight_hours() -> None:
    # FAO-56 Example 9: same place and day as Example 8 -> N = 11.7 h
    printed(k.daylight_hours(-20.0, 246), 11.7, 1)


def test_example_10_solar_radiation_from_sunshine() -> None:
    # FAO-56 Example 10: Rio de Janeiro 22°54'S, May (15 May, J = 135), 220 h of sunshine in
    # the month -> n = 7.1 h/day; Ra 25.1 MJ/m²/day, N 10.9 h, Rs 14.5 MJ/m²/day
    latitude = -(22 + 54 / 60)
    Ra = k.extraterrestrial_radiation(latitude, 135)
    big_n = k.daylight_hours(latitude, 135)
    printed(Ra, 25.1, 1)
    printed(big_n, 10.9, 1)
    printed(k.solar_radiation_from_sunshine(220 / 31, big_n, Ra), 14.5, 1)


def test_example_11_net_longwave_radiation() -> None:
    # FAO-56 Example 11: Rio de Janeiro, May: Tmax 25.1, Tmin 19.1 °C, ea 2.1 kPa,
    # Rs 14.5 and Rso = 0.75 Ra = 18.8 MJ/m²/day -> Rnl 3.5 MJ/m²/day
    Rso = k.clear_sky_radiation(25.1, 0.0)
    printed(Rso, 18.8, 1)
    printed(k.net_longwave_radiation(25.1, 19.1, 2.1, 14.5, Rso), 3.5, 1)


def test_example_13_monthly_soil_heat_flux() -> None:
    # FAO-56 Example 13: T(March) 14.1 °C, T(April) 16.1 °C; without T(May), eq. 43 gives
    # G(April) = 0.14 (16.1 - 14.1) = 0.28 MJ/m²/day
    printed(k.soil_heat_flux_monthly(16.1, 14.1), 0.28, 2)


def test_example_14_wind_at_two_metres() -> None:
    # FAO-56 Example 14: 3.2 m/s measured at 10 m -> u2 = 2.4 m/s
    printed(k.wind_speed_at_2m(3.2, 10.0), 2.4, 1)


# --- chapter 4, Example 17: monthly data, Bangkok, April -----------------------------------

BANGKOK_LATITUDE = 13 + 44 / 60  # 13°44'N


def test_example_17_terms_and_et0() -> None:
    # FAO-56 Example 17 (Bangkok, April; 13°44'N, 2 m; Tmax 34.8, Tmin 25.6 °C, ea 2.85 kPa,
    # u2 2 m/s, n 8.5 h/day, Tmean March 29.2 °C). The book reads Ra and N for 15 April
    # (J = 105) from Annex 2.
    G = k.soil_heat_flux_monthly((34.8 + 25.6) / 2, 29.2)
    terms = k.et0_terms(latitude_deg=BANGKOK_LATITUDE, elevation_m=2.0, day_of_year=105,
                        tmax_c=34.8, tmin_c=25.6, ea_kpa=2.85, u2_m_s=2.0,
                        sunshine_hours=8.5, G=G)
    pressure = k.atmospheric_pressure(2.0)
    printed(pressure, 101.3, 1)
    printed(k.psychrometric_constant(101.3), 0.0674, 4)  # the book uses P rounded to 101.3
    assert terms["gamma_kpa_c"] == pytest.approx(0.0674, abs=1e-4)
    printed(terms["delta_kpa_c"], 0.246, 3)
    printed(k.saturation_vapour_pressure(34.8), 5.56, 2)
    printed(k.saturation_vapour_pressure(25.6), 3.28, 2)
    printed(terms["es_kpa"], 4.42, 2)
    printed(terms["ra_mj_m2_day"], 38.06, 2)
    printed(terms["daylight_hours"], 12.31, 2)
    printed(terms["rs_mj_m2_day"], 22.65, 2)
    printed(terms["rso_mj_m2_day"], 28.54, 2)
    printed(k.net_shortwave_radiation(terms["rs_mj_m2_day"]), 17.44, 2)
    printed(k.net_shortwave_radiation(terms["rs_mj_m2_day"]) - terms["rn_mj_m2_day"], 3.11, 2)
    printed(terms["rn_mj_m2_day"], 14.33, 2)
    printed(terms["g_mj_m2_day"], 0.14, 2)
    printed(terms["et0_mm_day"], 5.72, 2)
    assert terms["method"] == k.PENMAN_MONTEITH


def test_example_17_through_the_station_table() -> None:
    # Same data as a monthly station row: J = INT(30.4 * 4 - 15) = 106 instead of the book's
    # 105 changes Ra by 0.03 MJ/m²/day and ET0 by < 0.002 mm/day: still 5.72 mm/day.
    frame = pd.DataFrame({
        "latitude_deg": [BANGKOK_LATITUDE], "elevation_m": [2.0], "month": [4],
        "tmax_c": [34.8], "tmin_c": [25.6], "ea_kpa": [2.85], "wind_speed_m_s": [2.0],
        "wind_height_m": [2.0], "sunshine_hours": [8.5], "tmean_prev_month_c": [29.2],
    })
    row = compute_et0_table(frame, "monthly", "bangkok.csv").iloc[0]
    assert row["method"] == "penman_monteith"
    assert row["day_of_year_used"] == 106
    printed(row["et0_mm_day"], 5.72, 2)
    assert row["et0_mm_month"] == pytest.approx(30 * row["et0_mm_day"])
    printed(row["g_mj_m2_day"], 0.14, 2)
    printed(row["ea_kpa_used"], 2.85, 2)
    printed(row["u2_m_s"], 2.0, 2)


# --- chapter 4, Example 18: daily data, Brussels, 6 July -----------------------------------


def test_example_18_daily_et0_brussels() -> None:
    # FAO-56 Example 18 (Brussels, 6 July = J 187; 50°48'N, 100 m; Tmax 21.5, Tmin 12.3 °C,
    # RHmax 84 %, RHmin 63 %, wind 10 km/h at 10 m, n 9.25 h) -> ET0 3.9 mm/day
    frame = pd.DataFrame({
        "latitude_deg": [50.8], "elevation_m": [100.0], "day_of_year": [187],
        "tmax_c": [21.5], "tmin_c": [12.3], "rh_max_pct": [84.0], "rh_min_pct": [63.0],
        "wind_speed_m_s": [10 / 3.6], "wind_height_m": [10.0], "sunshine_hours": [9.25],
    })
    row = compute_et0_table(frame, "daily", "brussels.csv").iloc[0]
    assert row["method"] == "penman_monteith"
    printed(k.atmospheric_pressure(100.0), 100.1, 1)
    printed(row["gamma_kpa_c"], 0.0666, 4)
    printed(row["delta_kpa_c"], 0.122, 3)
    printed(row["u2_m_s"], 2.078, 3)
    printed(row["es_kpa"], 1.997, 3)
    printed(row["ea_kpa"], 1.409, 3)
    printed(row["ra_mj_m2_day"], 41.09, 2)
    printed(row["daylight_hours"], 16.1, 1)
    printed(row["rs_mj_m2_day"], 22.07, 2)
    printed(row["rso_mj_m2_day"], 30.90, 2)
    Rns = k.net_shortwave_radiation(row["rs_mj_m2_day"])
    printed(Rns - row["rn_mj_m2_day"], 3.71, 2)
    printed(row["rn_mj_m2_day"], 13.28, 2)
    assert row["g_mj_m2_day"] == 0.0
    printed(row["et0_mm_day"], 3.9, 1)
    assert "et0_mm_month" not in row.index


# --- Hargreaves–Samani (FAO-56 eq. 52; no worked example in the book) ----------------------


def test_hargreaves_samani_hand_computed() -> None:
    # FAO-56 eq. 52 worked by hand for Lyon in July (the data of FAO-56 Examples 15/20:
    # Tmax 26.6, Tmin 14.8 °C, Ra 40.55 MJ/m²/day):
    # 0.0023 * (20.7 + 17.8) * sqrt(11.8) * 0.408 * 40.55 = 0.0023 * 38.5 * 3.43511 * 16.5444
    #                                                      = 5.0324 mm/day
    assert k.hargreaves_samani(26.6, 14.8, 40.55) == pytest.approx(5.0324, abs=1e-4)


def test_temperature_only_row_uses_hargreaves_samani() -> None:
    frame = pd.DataFrame({"latitude_deg": [45 + 43 / 60], "elevation_m": [200.0],
                          "month": [7], "tmax_c": [26.6], "tmin_c": [14.8]})
    row = compute_et0_table(frame, "monthly", "lyon.csv").iloc[0]
    assert row["method"] == "hargreaves_samani"
    assert row["et0_mm_day"] == pytest.approx(
        float(k.hargreaves_samani(26.6, 14.8, row["ra_mj_m2_day"])))
    assert row["et0_mm_day"] == pytest.approx(5.0, abs=0.05)
    for unused in ("rs_mj_m2_day", "rn_mj_m2_day", "es_kpa", "ea_kpa", "u2_m_s", "g_mj_m2_day"):
        assert np.isnan(row[unused])
