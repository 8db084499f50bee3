"""Parameters on the command line and in scenario files: one value per scalar parameter, and
exclusive bounds shown and enforced (io/params.py, units.py)."""

from __future__ import annotations

import shutil

import pytest

from ecociv.demo import example_scenario
from tests.cli_helper import run_ecociv as ecociv

EXAMPLE = example_scenario().parent


def _water_yield_inputs() -> list[str]:
    names = {"precipitation": "precipitation_synthetic.tif", "et0": "et0_synthetic.tif",
             "root_restricting_depth": "root_restricting_depth_synthetic.tif",
             "plant_available_water": "plant_available_water_synthetic.tif",
             "land_use": "land_use_synthetic.tif", "biophysical_table": "biophysical_illustrative.csv"}
    args = []
    for name, file in names.items():
        args += ["--input", f"{name}={EXAMPLE / file}"]
    return args


@pytest.mark.parametrize(("value", "message"), [
    ("5 6", "parameter 'seasonality_z': expected one number in dimensionless, got several: '5 6' "
     "(give one value; the decimal separator is '.')"),
    ("0", "parameter 'seasonality_z': 0 (from '0') is not allowed; it must be greater than 0"),
])
def test_model_run_refuses_a_bad_seasonality_z(capsys, monkeypatch, tmp_path, value, message) -> None:
    code, _, err = ecociv(capsys, monkeypatch, "model", "run", "water_yield", *_water_yield_inputs(),
                          "--param", f"seasonality_z={value}", "--out", str(tmp_path / "out"))
    assert code == 2
    assert err.strip() == f"error: {message}"
    assert not (tmp_path / "out").exists()


def test_a_yaml_list_for_a_scalar_parameter_is_an_error(capsys, monkeypatch, tmp_path) -> None:
    folder = tmp_path / "scenario"
    shutil.copytree(EXAMPLE, folder)
    text = (folder / "scenario.yaml").read_text(encoding="utf-8")
    assert "seasonality_z: 5\n" in text
    (folder / "scenario.yaml").write_text(text.replace("seasonality_z: 5\n", "seasonality_z: [5, 6]\n"),
                                          encoding="utf-8")
    code, _, err = ecociv(capsys, monkeypatch, "run", str(folder / "scenario.yaml"),
                          "--out", str(tmp_path / "store"))
    assert code == 2
    assert "parameter 'seasonality_z': expected one float value, got several values: [5, 6]" in err


def test_describe_shows_an_exclusive_bound(capsys, monkeypatch) -> None:
    code, out, _ = ecociv(capsys, monkeypatch, "model", "describe", "water_yield")
    assert code == 0
    line = next(line for line in out.splitlines() if "seasonality_z" in line)
    assert "dimensionless, > 0, required" in line and "≥" not in line
