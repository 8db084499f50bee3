"""``ecociv check`` on a tiny run whose zonal sums are worked out by hand (tests/check_fixtures.py):
model values, verdicts, the written check folder, the evaluator registry and the command."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from ecociv.check import evaluate
from ecociv.check.evaluate import Answer
from ecociv.check.outputs import parse_output
from ecociv.check.report import check_run
from ecociv.units import ureg
from tests.check_fixtures import cell_lonlat, make_dataset, make_run, write_rows
from tests.cli_helper import run_ecociv


@pytest.fixture
def run(tmp_path: Path) -> Path:
    return make_run(tmp_path / "store", make_dataset(tmp_path / "tiny"))


def _rows(tmp_path: Path) -> Path:
    lon, lat = cell_lonlat(0, 2)
    far_lon, far_lat = cell_lonlat(3, 0)
    return write_rows(
        tmp_path / "ref.csv",
        # region sum 2.2e6 m³/yr = 0.022e8: inside 0.02 ± 30 %
        "r-sum,water,belt,belt,,,0.02,,,0.3,1e8 m**3/yr,2000,water_yield.water_yield:sum,A,,verified,",
        # East: 7 valid cells × 0.2 m × 1e6 m² = 1.4e6 m³/yr: outside 1.0-1.2e6
        "r-east,water,unit,650002,,,1.1e6,1.0e6,1.2e6,,m**3/yr,2000,water_yield.water_yield:sum,A,,verified,",
        # West + East as a set of units: the region's 2.2e6 m³/yr
        "r-units,water,units,650001+650002,,,2.2e6,,,0.01,m**3/yr,2000,water_yield.water_yield:sum,A,,verified,",
        # basin Alpha = West: 8e5 m³/yr
        "r-alpha,water,basin,Alpha,,,8e5,,,0.01,m**3/yr,2000,water_yield.water_yield:sum,A,,verified,",
        # region mean 2.2e6 / 15e6 m² = 146.67 mm/yr
        "r-mean,water,prefecture,650000,,,150,140,160,,mm/yr,2000,water_yield.water_yield:mean,A,,verified,",
        # red line share of the region 50 %, of West 100 %
        "r-share,red line,belt,belt,,,25,17.9,33.1,,percent,2021,ecological_redline.redline:share,A,,verified,",
        "r-share-w,red line,unit,650001,,,1,,,0.05,dimensionless,2021,ecological_redline.redline:share,A,,verified,",
        # red line area of the region: 8 km²
        "r-area,red line,belt,belt,,,8,,,0.01,km**2,2021,ecological_redline.redline:sum,A,,verified,",
        # point: East cell (0, 2) = 200 mm/yr
        f"r-point,water,station,S1,{lon},{lat},0.2,,,0.01,m/yr,2000,water_yield.water_yield:point,A,,verified,",
        # point in West (3, 0) = 100 mm/yr, published 300: outside
        f"r-point2,water,station,S2,{far_lon},{far_lat},300,,,0.1,mm/yr,2000,water_yield.water_yield:point,A,,verified,",
        # lake table: mean 200, min 100, max 300 km²
        "r-lake,area,lake,Test Lake,,,210,,,0.1,km**2,2000,water_allocation.lakes:area_mean,A,,verified,",
        "r-lake-min,area,lake,Test Lake,,,100,,,0.01,km**2,2000,water_allocation.lakes:area_km2_min,A,,verified,",
        "r-lake-max,area,lake,Test Lake,,,1,,,0.01,km**2,2000,water_allocation.lakes:area_km2_max,A,,verified,",
        # groundwater: East 2e8 m³/yr a year, West 0
        "r-gw,overdraft,unit,650002,,,2,1,5,,1e8 m**3/yr,2001-2002,"
        "water_allocation.groundwater_units:overdraft_annual,A,,verified,",
        "r-gw-basin,overdraft,basin,Beta,,,2,,,0.1,1e8 m**3/yr,2001-2002,"
        "water_allocation.groundwater_units:overdraft_annual,A,,verified,",
        # a raster input as the step used it: 300 mm/yr
        "r-input,precipitation,belt,belt,,,310,,,0.1,mm/yr,2000,water_yield.precipitation:mean,A,,verified,",
        # not comparable: a damaged output (2 x 2 raster on a 4 x 4 run)
        "r-damaged,aet,belt,belt,,,300,,,0.1,mm/yr,2000,water_yield.aet:mean,A,,verified,",
        # not comparable: gauge (no DEM to delineate its catchment), region, a model the run lacks, context
        f"r-gauge,runoff,gauge,G1,{lon},{lat},1,,,0.2,1e8 m**3/yr,2000,water_yield.water_yield:sum,A,,verified,",
        "r-region,water,region,Xinjiang,,,700,,,0.1,1e8 m**3/yr,2014,water_yield.water_yield:sum,A,,verified,",
        "r-carbon,carbon,belt,belt,,,1,,,0.5,t/ha,2019,carbon.carbon_density:mean,A,,verified,",
        "r-context,water,region,Xinjiang,,,726.9,,,,1e8 m**3/yr,2014,,A,,uncertain,",
    )


def test_model_values_and_verdicts_worked_by_hand(tmp_path: Path, run: Path) -> None:
    result = check_run(run, _rows(tmp_path))
    table = result.table.set_index("id")
    expected = {
        "r-sum": (0.022, "inside"), "r-east": (1.4e6, "outside"), "r-alpha": (8e5, "inside"),
        "r-units": (2.2e6, "inside"), "r-input": (300.0, "inside"),
        "r-mean": (2.2e6 / 15e6 * 1000, "inside"), "r-share": (50.0, "outside"),
        "r-share-w": (1.0, "inside"), "r-area": (8.0, "inside"), "r-point": (0.2, "inside"),
        "r-point2": (100.0, "outside"), "r-lake": (200.0, "inside"), "r-lake-min": (100.0, "inside"),
        "r-lake-max": (300.0, "outside"), "r-gw": (2.0, "inside"), "r-gw-basin": (2.0, "inside"),
    }
    for row_id, (value, verdict) in expected.items():
        assert table.loc[row_id, "model_value"] == pytest.approx(value, rel=1e-6), row_id
        assert table.loc[row_id, "verdict"] == verdict, row_id
    assert table.loc["r-east", "ratio"] == pytest.approx(1.4e6 / 1.1e6)
    reasons = {
        "r-gauge": "no catchment", "r-region": "outside the model's region",
        "r-carbon": "the run has no carbon step", "r-context": "outside the model's region",
        "r-damaged": "the run's grid 4×4",
    }
    for row_id, reason in reasons.items():
        assert table.loc[row_id, "verdict"] == "not comparable"
        assert reason in table.loc[row_id, "reason"], row_id
    assert result.summary() == "12 of 16 reference figures inside their range (4 outside, 5 not comparable)"


def test_check_folder_is_written_and_replaced(tmp_path: Path, run: Path) -> None:
    result = check_run(run, _rows(tmp_path))
    assert result.csv == run / "check" / "check.csv"
    assert result.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    written = pd.read_csv(result.csv)
    assert list(written["id"])[:2] == ["r-sum", "r-east"]
    assert (run / "check" / ".ecociv-output.json").is_file()
    (run / "check" / "my notes.txt").write_text("kept")
    check_run(run, _rows(tmp_path))  # a second check replaces ecociv's files and keeps the user's
    assert (run / "check" / "my notes.txt").read_text() == "kept"


def test_a_registered_evaluator_answers_its_place_kind(tmp_path: Path, run: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(evaluate.EVALUATORS, "gauge",
                        lambda row, run: Answer(1.1e8 * ureg.Quantity(1, "m**3/yr")))
    table = check_run(run, _rows(tmp_path)).table.set_index("id")
    assert table.loc["r-gauge", "model_value"] == pytest.approx(1.1)
    assert table.loc["r-gauge", "verdict"] == "inside"


def test_an_answer_in_the_wrong_unit_is_not_comparable(tmp_path: Path, run: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(evaluate.EVALUATORS, "gauge", lambda row, run: Answer(ureg.Quantity(3, "t")))
    table = check_run(run, _rows(tmp_path)).table.set_index("id")
    assert "does not convert" in table.loc["r-gauge", "reason"]


def test_cli_prints_the_table_and_the_summary(tmp_path: Path, run: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run_ecociv(capsys, monkeypatch, "check", str(run), "--reference", str(_rows(tmp_path)))
    assert code == 0, err
    assert "12 of 16 reference figures inside their range" in out
    assert str(run / "check" / "check.csv") in out
    assert "r-point2" in out


def test_cli_bad_reference_exits_2_with_one_line(tmp_path: Path, run: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    bad = write_rows(tmp_path / "bad.csv",
                     "x,water,unit,659999,,,1,,,0.3,m**3/yr,2000,water_yield.water_yield:sum,A,,verified,")
    code, _, err = run_ecociv(capsys, monkeypatch, "check", str(run), "--reference", str(bad))
    assert code == 2
    assert err.strip().count("\n") == 0
    assert err.startswith(f"error: {bad}: line 2, column 'place': unknown unit '659999'")
    assert not (run / "check").exists()


def test_cli_not_a_run_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = run_ecociv(capsys, monkeypatch, "check", str(tmp_path))
    assert code == 2
    assert "not a run folder" in err


def test_a_run_without_a_dataset_is_refused(tmp_path: Path, run: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = run / "manifest.json"
    data = json.loads(manifest.read_text())
    data["scenario"].pop("dataset")
    manifest.write_text(json.dumps(data))
    code, _, err = run_ecociv(capsys, monkeypatch, "check", str(run))
    assert code == 2
    assert "the run has no dataset" in err and str(manifest) in err


def test_a_broken_run_manifest_names_the_file(tmp_path: Path, run: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    (run / "manifest.json").write_text("{not json")
    code, _, err = run_ecociv(capsys, monkeypatch, "check", str(run))
    assert code == 2
    assert "cannot read the run manifest" in err and "manifest.json" in err


def test_polygon_statistics_for_evaluators(run: Path, tmp_path: Path) -> None:
    import shapely

    from ecociv.check.evaluate import Output, RunData
    from ecociv.check.places import Places
    from ecociv.check.report import run_dataset
    from ecociv.region.units import read_units_table

    dataset = run_dataset(run)
    units = read_units_table(dataset.layer("units_table").path, dataset.layer("units").source)
    data = RunData(run, Places.from_dataset(dataset), units)
    out = data.output(parse_output("water_yield.water_yield:sum"))
    assert isinstance(out, Output)
    # the East half without its nodata cell's row: rows 1-3 of columns 2-3 = 6 cells x 1e6 m2 x 200 mm
    stats = data.polygon_statistics(out, [shapely.box(2000, 4_996_000, 4000, 4_999_000)])
    assert stats.loc[0, "value_sum_area"] == pytest.approx(6 * 1e6 * 200)
    assert stats.loc[0, "value_mean"] == pytest.approx(200)


def test_the_run_dataset_is_read_once_per_manifest(run: Path) -> None:
    from ecociv.check.report import run_dataset

    first = run_dataset(run)
    assert run_dataset(run) is first  # evaluators ask once per row
    manifest = run / "manifest.json"
    manifest.write_text(manifest.read_text())
    import os

    stat = manifest.stat()
    os.utime(manifest, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert run_dataset(run) is not first  # a rewritten manifest is read again
