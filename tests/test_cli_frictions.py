"""Newcomer frictions at the command line: one name for the results store option, a station
table's time step, model ids never cut, one size convention in `data info`, `--nodata` for
`model run`."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import rasterio

from ecociv.demo import example_scenario
from ecociv.registry import all_models
from tests.cli_helper import run_ecociv as ecociv

EXAMPLE = example_scenario().parent
STATIONS = EXAMPLE / "stations_synthetic.csv"  # monthly: a 'month' column, no 'day_of_year'


def test_runs_takes_out_like_run_and_store_with_a_note(capsys, monkeypatch, tmp_path: Path) -> None:
    store = tmp_path / "store"
    code, out, err = ecociv(capsys, monkeypatch, "run", str(example_scenario()), "--out", str(store),
                            "--no-maps")
    assert code == 0, err
    run_id = Path(out.strip().split(": ")[-1]).name
    code, out, err = ecociv(capsys, monkeypatch, "runs", "--out", str(store))
    assert code == 0 and run_id in out and err == ""
    code, out, err = ecociv(capsys, monkeypatch, "runs", "--store", str(store))
    assert code == 0 and run_id in out
    assert err.strip() == ("note: --store is now called --out (as in `ecociv run --out`); --store "
                           "still works")
    code, _, err = ecociv(capsys, monkeypatch, "runs", "--store", str(store), "--out", str(store))
    assert code == 2 and "give the results store once, with --out" in err


def test_runs_on_a_file_is_one_line(capsys, monkeypatch, tmp_path: Path) -> None:
    not_a_store = tmp_path / "notes.txt"
    not_a_store.write_text("x")
    code, _, err = ecociv(capsys, monkeypatch, "runs", "--out", str(not_a_store))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith("error: ") and "notes.txt" in err and "is a file" in err
    assert not_a_store.read_text() == "x"


def test_et0_takes_the_time_step_of_a_monthly_table(capsys, monkeypatch, tmp_path: Path) -> None:
    code, out, err = ecociv(capsys, monkeypatch, "et0", "--stations", str(STATIONS),
                            "--out", str(tmp_path / "et0.csv"))
    assert code == 0, err
    assert "monthly time step (--time-step monthly)" in err
    assert "FAO-56, monthly" in out


def test_et0_daily_on_a_monthly_table_suggests_monthly(capsys, monkeypatch, tmp_path: Path) -> None:
    code, _, err = ecociv(capsys, monkeypatch, "et0", "--stations", str(STATIONS), "--time-step", "daily",
                          "--out", str(tmp_path / "et0.csv"))
    assert code == 2
    assert err.strip().endswith("a daily time step needs a 'day_of_year' column; this table has "
                                "'month': give --time-step monthly")
    assert not (tmp_path / "et0.csv").exists()


def test_models_never_cuts_ids_in_a_narrow_terminal(capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    code, out, _ = ecociv(capsys, monkeypatch, "models")
    assert code == 0
    words = set(out.replace(",", " ").split())
    assert "…" not in out
    for model_id, model in all_models().items():
        assert model_id in words
        assert {o.id for o in model.spec.outputs} <= words


def test_data_info_uses_rows_by_columns(capsys, monkeypatch) -> None:
    code, out, err = ecociv(capsys, monkeypatch, "data", "info")
    assert code == 0, err
    grid_line = next(line for line in out.splitlines() if line.startswith("grid: "))
    rows, cols = grid_line.split()[1], grid_line.split()[4]
    assert grid_line.startswith(f"grid: {rows} rows × {cols} columns of ")
    assert f"{rows} rows × {cols} columns" in out.split(grid_line)[1]  # the rasters, same order


def test_model_run_nodata(capsys, monkeypatch, tmp_path: Path) -> None:
    with rasterio.open(EXAMPLE / "land_use_synthetic.tif") as src:
        data, profile = src.read(1), src.profile
    data[:5, :5] = 0  # a convention for "no data" the file does not declare
    profile.update(nodata=None)
    land_use = tmp_path / "land_use.tif"
    with rasterio.open(land_use, "w", **profile) as dst:
        dst.write(data, 1)
    args = ["model", "run", "carbon", "--input", f"land_use={land_use}",
            "--input", f"carbon_pools={EXAMPLE / 'carbon_pools_illustrative.csv'}"]
    code, _, err = ecociv(capsys, monkeypatch, *args, "--out", str(tmp_path / "a"))
    assert code == 2 and "0" in err  # code 0 is not in the carbon pools table
    code, _, err = ecociv(capsys, monkeypatch, *args, "--nodata", "land_use=0", "--out", str(tmp_path / "b"))
    assert code == 0, err
    with rasterio.open(tmp_path / "b" / "carbon_density.tif") as src:
        density = src.read(1, masked=True)
    assert density.mask[:5, :5].all() and not density.mask[10:, 10:].all()
    assert np.isfinite(density.compressed()).all()
    for bad, message in [("landuse=0", "has no raster input 'landuse'"),
                         ("land_use=none", "expected a number such as 0 or -9999"),
                         ("land_use=inf", "expected a finite number or nan")]:
        code, _, err = ecociv(capsys, monkeypatch, *args, "--nodata", bad, "--out", str(tmp_path / "c"))
        assert code == 2 and message in err, err


def test_a_raster_without_georeferencing_is_one_line(capsys, monkeypatch, tmp_path: Path) -> None:
    import warnings

    plain = tmp_path / "scan.tif"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with rasterio.open(plain, "w", driver="GTiff", width=4, height=3, count=1, dtype="uint8") as dst:
            dst.write(np.ones((1, 3, 4), dtype="uint8"))
    code, _, err = ecociv(capsys, monkeypatch, "model", "run", "carbon", "--input", f"land_use={plain}",
                          "--input", f"carbon_pools={EXAMPLE / 'carbon_pools_illustrative.csv'}",
                          "--out", str(tmp_path / "out"))
    assert code == 2
    assert err.strip() == (f"error: input 'land_use' ({plain}): raster is not georeferenced (no "
                           "geotransform: cell size and position unknown); georeference it (e.g. QGIS "
                           "Georeferencer, or `gdal_translate -a_ullr ... -a_srs EPSG:xxxx`) before using it")
