"""``ecociv et0 --stations IN.csv --out OUT.csv [--time-step daily|monthly]``, through the entry
point in-process: the output CSV, the summary, and no partial file when the input is bad.
Station values: FAO-56 Example 18 (Brussels, 6 July; Allen et al. 1998, ch. 4), ET0 3.9 mm/day."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

import pandas as pd
import pytest

from ecociv.cli.et0_cmd import et0
from ecociv.errors import InputError
from tests.cli_helper import run_ecociv as ecociv

BRUSSELS = (
    "station,latitude_deg,elevation_m,day_of_year,tmax_c,tmin_c,rh_max_pct,rh_min_pct,"
    "wind_speed_m_s,wind_height_m,sunshine_hours\n"
    "brussels,50.8,100,187,21.5,12.3,84,63,2.7778,10,9.25\n"
    "brussels_temperature_only,50.8,100,187,21.5,12.3,,,,,\n"
)




def test_writes_the_table_and_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    stations = tmp_path / "stations.csv"
    stations.write_text(BRUSSELS)
    out = tmp_path / "results" / "et0.csv"
    code, printed, err = ecociv(capsys, monkeypatch, "et0", "--stations", str(stations),
                                "--out", str(out))
    assert code == 0, err
    table = pd.read_csv(out)
    assert list(table["method"]) == ["penman_monteith", "hargreaves_samani"]
    assert round(table["et0_mm_day"].iloc[0], 1) == 3.9
    assert {"station", "ra_mj_m2_day", "rn_mj_m2_day", "u2_m_s", "g_mj_m2_day"} <= set(table)
    assert "Penman–Monteith" in printed and "Hargreaves–Samani" in printed
    assert sorted(p.name for p in out.parent.iterdir()) == ["et0.csv"]


def test_monthly_time_step_adds_monthly_totals(tmp_path: Path) -> None:
    stations = tmp_path / "monthly.csv"
    stations.write_text("latitude_deg,elevation_m,month,tmax_c,tmin_c\n44,800,2,-1.9,-13\n")
    out = tmp_path / "monthly_et0.csv"
    et0(stations=stations, out=out, time_step="monthly")
    row = pd.read_csv(out).iloc[0]
    assert row["et0_mm_month"] == pytest.approx(28 * row["et0_mm_day"])  # February: 28 days


def test_bad_input_leaves_no_file_and_keeps_an_older_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    stations = tmp_path / "stations.csv"
    stations.write_text(BRUSSELS.replace("21.5,12.3,84", "21.5,22.3,84"))
    out = tmp_path / "et0.csv"
    older = "day_of_year,et0_mm_day,method\n187,3.9,penman_monteith\n"  # an earlier ET0 table
    out.write_text(older)
    code, _, err = ecociv(capsys, monkeypatch, "et0", "-s", str(stations), "-o", str(out))
    assert code == 2
    assert "stations.csv" in err and "line 2, column 'tmin_c'" in err
    assert out.read_text() == older
    assert sorted(p.name for p in tmp_path.iterdir()) == ["et0.csv", "stations.csv"]


def test_unknown_time_step(tmp_path: Path) -> None:
    stations = tmp_path / "stations.csv"
    stations.write_text(BRUSSELS)
    with pytest.raises(InputError, match="'hourly' is not one of"):
        et0(stations=stations, out=tmp_path / "x.csv", time_step="hourly")
    assert not (tmp_path / "x.csv").exists()


def test_a_failure_while_writing_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    stations = tmp_path / "stations.csv"
    stations.write_text(BRUSSELS)

    def half_written(self: pd.DataFrame, stream: TextIO, **_: object) -> None:
        stream.write("latitude_deg,elev")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_written)
    with pytest.raises(Exception, match="No space left on device"):
        et0(stations=stations, out=tmp_path / "et0.csv", time_step="daily")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stations.csv"]


def test_line_numbers_count_blank_lines_the_reader_skipped(tmp_path: Path) -> None:
    stations = tmp_path / "stations.csv"
    stations.write_text(BRUSSELS + "\n,,,,,,,,,,\n" + "late,50.8,100,188,12.0,14.0,,,,,\n")
    with pytest.raises(InputError, match=r"line 6, column 'tmin_c'"):
        et0(stations=stations, out=tmp_path / "x.csv", time_step="daily")
