"""Bad station tables: every error names the file, the CSV line (the header is line 1) and the
column, and says what was expected. Tables go through the CLI's path (``read_table`` with the
stations spec, then ``compute_et0_table``) and, for in-memory frames, ``compute_et0_table``
alone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecociv.errors import InputError
from ecociv.io.tables import read_table
from ecociv.models.et0.stations import STATIONS_TABLE, compute_et0_table

HEADER = "station,latitude_deg,elevation_m,day_of_year,tmax_c,tmin_c"
GOOD = "a,44.0,800,196,30.0,15.0"
GOOD_B = "b,44.0,800,196,30.0,15.0"  # another station, the same day


@pytest.fixture
def error_of(write_csv: Callable[[str, str], Path]) -> Callable[..., InputError]:
    """``error_of(lines, time_step=)`` -> the InputError raised for a CSV of ``lines``."""

    def _run(lines: list[str], time_step: str = "daily") -> InputError:
        path = write_csv("stations.csv", "\n".join(lines) + "\n")
        with pytest.raises(InputError) as caught:
            frame = read_table(path, STATIONS_TABLE)
            compute_et0_table(frame, time_step, f"table 'stations' ({path})")
        message = str(caught.value)
        assert "stations.csv" in message, message
        return caught.value

    return _run


def assert_names(error: InputError, line: int, column: str) -> None:
    message = str(error)
    assert f"line {line}" in message, message
    assert f"column '{column}'" in message, message


def test_blank_required_cell(error_of: Callable[..., InputError]) -> None:
    error = error_of([HEADER, GOOD, "b,44.0,800,196,,15.0"])
    assert_names(error, 3, "tmax_c")
    assert "missing value" in str(error) and "degC" in str(error)


def test_nan_in_required_cell_of_a_frame() -> None:
    frame = pd.DataFrame({"latitude_deg": [44.0, 44.0], "elevation_m": [800.0, np.nan],
                          "day_of_year": [1, 2], "tmax_c": [5.0, 6.0], "tmin_c": [0.0, 1.0]})
    with pytest.raises(InputError, match=r"in memory: line 3, column 'elevation_m': missing"):
        compute_et0_table(frame, "daily", "in memory")


def test_blank_day_of_year_for_a_daily_time_step(error_of: Callable[..., InputError]) -> None:
    error = error_of([HEADER, "b,44.0,800,,30.0,15.0"])
    assert_names(error, 2, "day_of_year")
    assert "1 to 366" in str(error)


def test_blank_month_for_a_monthly_time_step(error_of: Callable[..., InputError]) -> None:
    header = "latitude_deg,elevation_m,month,tmax_c,tmin_c"
    error = error_of([header, "44,800,1,0,-9", "44,800,,5,-4"], time_step="monthly")
    assert_names(error, 3, "month")


def test_latitude_out_of_range(error_of: Callable[..., InputError]) -> None:
    error = error_of([HEADER, GOOD, GOOD, "c,95.0,800,196,30,15"])
    assert_names(error, 4, "latitude_deg")
    assert "<= 90" in str(error)


def test_day_of_year_out_of_range(error_of: Callable[..., InputError]) -> None:
    error = error_of([HEADER, "c,44,800,367,30,15"])
    assert_names(error, 2, "day_of_year")
    assert "<= 366" in str(error)


def test_month_out_of_range(error_of: Callable[..., InputError]) -> None:
    header = "latitude_deg,elevation_m,month,tmax_c,tmin_c"
    error = error_of([header, "44,800,13,5,-4"], time_step="monthly")
    assert_names(error, 2, "month")
    assert "<= 12" in str(error)


def test_minimum_above_maximum_temperature(error_of: Callable[..., InputError]) -> None:
    error = error_of([HEADER, GOOD, "b,44,800,196,12.0,18.5"])
    assert_names(error, 3, "tmin_c")
    assert "18.5" in str(error) and "above the maximum" in str(error)


@pytest.mark.parametrize("column", ["rh_max_pct", "rh_min_pct", "rh_mean_pct"])
def test_relative_humidity_out_of_range(error_of: Callable[..., InputError], column: str) -> None:
    values = {"rh_max_pct": "80", "rh_min_pct": "40", "rh_mean_pct": "60"}
    values[column] = "105"
    header = HEADER + ",rh_max_pct,rh_min_pct,rh_mean_pct"
    error = error_of([header, GOOD + ",80,40,60", GOOD + "," + ",".join(values.values())])
    assert_names(error, 3, column)
    assert "<= 100" in str(error)


def test_relative_humidity_minimum_above_maximum(error_of: Callable[..., InputError]) -> None:
    error = error_of([HEADER + ",rh_max_pct,rh_min_pct", GOOD + ",50,70"])
    assert_names(error, 2, "rh_min_pct")


def test_half_given_humidity_pair(error_of: Callable[..., InputError]) -> None:
    error = error_of([HEADER + ",rh_max_pct,rh_min_pct", GOOD + ",80,40", GOOD_B + ",80,"])
    assert_names(error, 3, "rh_min_pct")
    assert "leave both blank" in str(error)


def test_humidity_pair_without_its_column(error_of: Callable[..., InputError]) -> None:
    error = error_of([HEADER + ",rh_max_pct", GOOD + ",80"])
    assert "needs column 'rh_min_pct'" in str(error) and "columns found" in str(error)


def test_negative_wind(error_of: Callable[..., InputError]) -> None:
    error = error_of([HEADER + ",wind_speed_m_s,wind_height_m", GOOD + ",-1.5,10"])
    assert_names(error, 2, "wind_speed_m_s")
    assert ">= 0" in str(error)


def test_wind_without_height_column(error_of: Callable[..., InputError]) -> None:
    error = error_of([HEADER + ",wind_speed_m_s", GOOD + ",2.5"])
    assert "['wind_height_m']" in str(error) and "columns found" in str(error)


def test_wind_without_height_value(error_of: Callable[..., InputError]) -> None:
    error = error_of([HEADER + ",wind_speed_m_s,wind_height_m", GOOD + ",2.5,10", GOOD_B + ",2.5,"])
    assert_names(error, 3, "wind_height_m")


def test_missing_required_columns_are_listed_with_those_found(
    error_of: Callable[..., InputError],
) -> None:
    error = error_of(["station,latitude,elevation_m,day_of_year,tmax_c", "a,44,800,196,30"])
    message = str(error)
    assert "['latitude_deg', 'tmin_c']" in message
    assert "columns found: ['station', 'latitude', 'elevation_m', 'day_of_year', 'tmax_c']" in message


def test_monthly_table_without_month_column(error_of: Callable[..., InputError]) -> None:
    error = error_of([HEADER, GOOD], time_step="monthly")
    assert "['month']" in str(error) and "monthly" in str(error)


def test_units_written_in_cells(error_of: Callable[..., InputError]) -> None:
    error = error_of([HEADER, GOOD, "b,44,800,196,25 C,15"])
    assert_names(error, 3, "tmax_c")
    assert "'25 C' is not a number" in str(error) and "degC" in str(error)


def test_sunshine_longer_than_the_day(error_of: Callable[..., InputError]) -> None:
    # 44°N on 15 July: about 15 h of daylight
    error = error_of([HEADER + ",sunshine_hours", GOOD + ",16.5"])
    assert_names(error, 2, "sunshine_hours")
    assert "daylight" in str(error)


def test_solar_radiation_in_watts(error_of: Callable[..., InputError]) -> None:
    error = error_of([HEADER + ",solar_radiation_mj_m2_day", GOOD + ",280"])
    assert_names(error, 2, "solar_radiation_mj_m2_day")
    assert "0.0864" in str(error)


def test_output_column_names_in_the_input(error_of: Callable[..., InputError]) -> None:
    error = error_of([HEADER + ",u2_m_s", GOOD + ",2.0"])
    assert "u2_m_s" in str(error) and "wind_speed_m_s" in str(error)


def test_unknown_time_step() -> None:
    frame = pd.DataFrame({"latitude_deg": [44.0], "elevation_m": [800.0], "day_of_year": [1],
                          "tmax_c": [5.0], "tmin_c": [0.0]})
    with pytest.raises(InputError, match="'weekly' is not one of"):
        compute_et0_table(frame, "weekly", "in memory")


def test_blank_optional_cells_fall_back_to_hargreaves_samani() -> None:
    # not an error: a row without wind (or humidity, or radiation) uses Hargreaves–Samani
    frame = pd.DataFrame({
        "latitude_deg": [44.0, 44.0], "elevation_m": [800.0, 800.0], "day_of_year": [196, 197],
        "tmax_c": [30.0, 30.0], "tmin_c": [15.0, 15.0], "rh_mean_pct": [40.0, 40.0],
        "wind_speed_m_s": [2.0, np.nan], "wind_height_m": [2.0, np.nan],
        "sunshine_hours": [11.0, 11.0],
    })
    table = compute_et0_table(frame, "daily", "in memory")
    assert list(table["method"]) == ["penman_monteith", "hargreaves_samani"]
    assert np.isnan(table["u2_m_s"].iloc[1])


def test_line_numbers_given_with_the_frame() -> None:
    frame = pd.DataFrame({"latitude_deg": [44.0, 44.0], "elevation_m": [800.0, 800.0],
                          "day_of_year": [1, 2], "tmax_c": [5.0, 6.0], "tmin_c": [0.0, 7.0]})
    with pytest.raises(InputError, match=r"line 9, column 'tmin_c'"):
        compute_et0_table(frame, "daily", "in memory", lines=[4, 9])
    frame.attrs["lines"] = [4, 12]
    with pytest.raises(InputError, match=r"line 12, column 'tmin_c'"):
        compute_et0_table(frame, "daily", "in memory")


def test_month_given_twice_for_a_station(error_of: Callable[..., InputError]) -> None:
    # the month-3 rows of station a would each be computed and both summed into any total
    header = "station,latitude_deg,elevation_m,month,tmax_c,tmin_c"
    error = error_of([header, "a,44.0,800,3,4.0,-7.5", "b,45.0,500,3,4.0,-7.5",
                      "a,44.0,800,4,12.0,0.0", "a,44.0,800,3,4.5,-7.0"], time_step="monthly")
    assert_names(error, 2, "month")
    assert "month 3 appears twice for the same station (station a) on lines [2, 5]" in str(error)


def test_day_given_twice_without_a_station_column(error_of: Callable[..., InputError]) -> None:
    # without a station column, a station is its latitude and elevation
    header = "latitude_deg,elevation_m,day_of_year,tmax_c,tmin_c"
    error = error_of([header, "44.0,800,10,1.0,-5.0", "44.0,800,10,1.0,-5.0"])
    assert_names(error, 2, "day_of_year")
    assert "day of the year 10 appears twice" in str(error) and "'year' column" in str(error)


def test_same_day_of_other_years_or_stations_is_fine() -> None:
    frame = pd.DataFrame({"station": ["a", "a", "b"], "year": [2019, 2020, 2020],
                          "latitude_deg": 44.0, "elevation_m": 800.0, "day_of_year": 10,
                          "tmax_c": 1.0, "tmin_c": -5.0})
    assert len(compute_et0_table(frame, "daily", "in memory")) == 3
