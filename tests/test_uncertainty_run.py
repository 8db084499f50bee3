"""A real model under Monte Carlo on a dask LocalCluster: water_yield of the example scenario with
an uncertain seasonality factor Z and a precipitation multiplier, both centred on the values the
scenario uses. Water yield rises with precipitation and falls with Z (Zhang et al. 2004), so the
deterministic run lies inside the sampled 5-95 % range."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from ecociv.demo import example_scenario
from ecociv.errors import InputError

SIDE = {"seed": 3, "parameters": [
    {"target": "water_yield.seasonality_z", "distribution": "uniform", "low": 3, "high": 7},
    {"target": "water_yield.inputs.precipitation", "distribution": "truncnorm", "mean": 1,
     "sd": 0.1, "low": 0.7, "high": 1.3, "name": "precipitation multiplier"},
]}


def test_monte_carlo_of_water_yield_contains_the_deterministic_run(tmp_path: Path) -> None:
    from ecociv.uncertainty.study import run_study

    side = tmp_path / "dist.yaml"
    side.write_text(yaml.safe_dump(SIDE))
    result = run_study(example_scenario(), tmp_path / "out", samples=8, method="mc", workers=1,
                       side_file=side)
    table = pd.read_csv(result.files["ranges"]).set_index("indicator")
    row = table.loc["water_yield.water_yield[mean]"]
    assert row["n"] == 8 and row["units"] == "mm/yr"
    assert row["p05"] < row["nominal"] < row["p95"], row
    assert row["p95"] - row["p05"] > 0.1 * row["nominal"]  # the inputs do move the output
    samples = pd.read_csv(result.files["samples"])
    assert (samples["status"] == "ok").all() and len(samples) == 8
    # the multiplier scales the precipitation the run read: wetter samples yield more water
    wet = samples["precipitation multiplier"].rank()
    assert wet.corr(samples["water_yield.water_yield[mean]"].rank()) > 0
    summary = json.loads(result.files["summary"].read_text())
    assert summary["samples_per_second"] > 0 and summary["workers"] == 1


def test_cli_refuses_an_unknown_target_with_one_line(tmp_path: Path) -> None:
    side = tmp_path / "dist.yaml"
    bad = {"parameters": [{**SIDE["parameters"][0], "target": "water_yield.seasonality_zz"}]}  # type: ignore[dict-item]
    side.write_text(yaml.safe_dump(bad))
    done = subprocess.run([sys.executable, "-m", "ecociv.cli.main", "uncertainty",
                           str(example_scenario()), "--distributions", str(side),
                           "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), done.stderr
    assert "has no parameter 'seasonality_zz'" in lines[0]


def test_sobol_study_writes_indices_for_every_target(tmp_path: Path) -> None:
    from ecociv.uncertainty.study import run_study

    stations = Path(example_scenario()).parent / "stations_synthetic.csv"
    scenario = {
        "name": "et0_only",
        "models": [{"id": "et0", "name": "et0_station", "inputs": {"stations": str(stations)},
                    "params": {"time_step": "monthly"}}],
        "uncertainty": {"seed": 4, "parameters": [
            {"target": "et0_station.inputs.stations", "column": "tmax_c",
             "distribution": "uniform", "low": 0.9, "high": 1.1},
            {"target": "et0_station.inputs.stations", "column": "elevation_m",
             "distribution": "uniform", "low": 0.5, "high": 1.5},
        ]},
    }
    path = tmp_path / "et0.yaml"
    path.write_text(yaml.safe_dump(scenario))
    result = run_study(path, tmp_path / "out", samples=2, method="sobol", workers=1)
    samples = pd.read_csv(result.files["samples"])
    assert len(samples) == 2 * (2 + 2)  # Saltelli: N (D + 2) runs
    sobol = pd.read_csv(result.files["sobol"])
    assert set(sobol["parameter"]) == {"et0_station.inputs.stations[tmax_c]",
                                       "et0_station.inputs.stations[elevation_m]"}
    assert (sobol.groupby("indicator").size() == 2).all() and (sobol["N"] == 2).all()
    assert result.files["sobol_png"].stat().st_size > 0
    with pytest.raises(InputError, match="power of two"):
        run_study(path, tmp_path / "out2", samples=3, method="sobol", workers=1)
