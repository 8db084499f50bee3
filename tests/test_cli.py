"""The ``ecociv`` command line, run in-process through its entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ecociv import __version__
from ecociv.demo import example_scenario
from tests.cli_helper import run_ecociv as ecociv

EXAMPLE = example_scenario().parent




def test_version_and_help_through_the_installed_script() -> None:
    done = subprocess.run(["ecociv", "--version"], capture_output=True, text=True, check=True,
                          executable=str(Path(sys.executable).with_name("ecociv")))
    assert done.stdout.strip() == f"ecociv {__version__}"
    helped = subprocess.run([str(Path(sys.executable).with_name("ecociv")), "--help"],
                            capture_output=True, text=True, check=True)
    assert "天山北坡经济带" in helped.stdout
    for command in ("models", "model", "et0", "run", "validate", "runs", "demo"):
        assert command in helped.stdout


def test_models_json_describes_every_model(capsys, monkeypatch) -> None:
    code, out, _ = ecociv(capsys, monkeypatch, "models", "--json")
    assert code == 0
    described = json.loads(out)
    assert {"et0", "water_yield", "carbon"} <= set(described)
    precipitation = next(i for i in described["water_yield"]["inputs"] if i["id"] == "precipitation")
    assert precipitation["units"] == "mm/yr"


def test_model_describe_lists_inputs_with_units(capsys, monkeypatch) -> None:
    code, out, _ = ecociv(capsys, monkeypatch, "model", "describe", "carbon")
    assert code == 0
    assert "--input land_use=PATH" in out and "t/ha" in out and "碳储量" in out


def test_model_run_writes_outputs_and_manifest(capsys, monkeypatch, tmp_path) -> None:
    out_dir = tmp_path / "carbon"
    code, _, err = ecociv(
        capsys, monkeypatch, "model", "run", "carbon",
        "--input", f"land_use={EXAMPLE / 'land_use_synthetic.tif'}",
        "--input", f"carbon_pools={EXAMPLE / 'carbon_pools_illustrative.csv'}",
        "--out", str(out_dir),
    )
    assert code == 0, err
    assert (out_dir / "carbon_density.tif").is_file()
    assert (out_dir / "carbon_totals.csv").is_file()
    manifest = json.loads((out_dir / "manifest.json").read_text())
    assert manifest["model"]["id"] == "carbon"
    assert set(manifest["inputs"]) == {"land_use", "carbon_pools"}
    assert all(len(v["blake2b"]) == 32 for v in manifest["inputs"].values())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["model", "run", "carbonn", "--out", "X"], "no model with id 'carbonn'"),
        (["model", "run", "carbon", "--input", "land_use", "--out", "X"], "expected NAME=VALUE"),
        (["model", "run", "carbon", "--input", "landuse=a.tif", "--out", "X"],
         "has no input 'landuse' (did you mean 'land_use'?)"),
        (["model", "run", "carbon", "--param", "zone_field=x", "--out", "X"],
         "needs input(s) ['land_use', 'carbon_pools']"),
        (["model", "describe", "nosuch"], "no model with id 'nosuch'"),
    ],
)
def test_bad_command_lines_exit_2_with_a_message(capsys, monkeypatch, args, message) -> None:
    code, _, err = ecociv(capsys, monkeypatch, *args)
    assert code == 2
    assert message in err


def test_output_folder_that_cannot_be_written(capsys, monkeypatch, tmp_path) -> None:
    blocker = tmp_path / "a_file.txt"
    blocker.write_text("not a folder")
    code, _, err = ecociv(
        capsys, monkeypatch, "model", "run", "carbon",
        "--input", f"land_use={EXAMPLE / 'land_use_synthetic.tif'}",
        "--input", f"carbon_pools={EXAMPLE / 'carbon_pools_illustrative.csv'}",
        "--out", str(blocker / "out"),
    )
    assert code == 2
    assert "output folder" in err and "a_file.txt" in err


def test_validate_run_and_runs(capsys, monkeypatch, tmp_path) -> None:
    scenario = example_scenario()
    code, out, _ = ecociv(capsys, monkeypatch, "validate", str(scenario))
    assert code == 0 and "valid scenario 'example'" in out
    store = tmp_path / "store"
    code, out, err = ecociv(capsys, monkeypatch, "run", str(scenario), "--out", str(store))
    assert code == 0, err
    run_folder = Path(out.strip().split(": ")[-1])
    assert (run_folder / "water_yield" / "water_yield.tif").is_file()
    assert (run_folder / "carbon" / "carbon_change.tif").is_file()
    assert (run_folder / "et0_station" / "et0_table.csv").is_file()
    code, out, _ = ecociv(capsys, monkeypatch, "runs", "--out", str(store))
    assert code == 0 and run_folder.name[:15] in out


def test_validate_reports_typo(capsys, monkeypatch, tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(example_scenario().read_text().replace("params:", "parms:", 1))
    code, _, err = ecociv(capsys, monkeypatch, "validate", str(bad))
    assert code == 2
    assert "unknown key 'models[0].parms'; did you mean 'params'?" in err


def test_demo_runs_and_prints_a_table(capsys, monkeypatch, tmp_path) -> None:
    code, out, err = ecociv(capsys, monkeypatch, "demo", "--example", "--out", str(tmp_path / "demo"))
    assert code == 0, err
    assert "Warning" not in err and "issue" not in out  # no library warnings, no developer notes
    assert "west_synthetic" in out and "ET0 at the synthetic station" in out
    assert not np.isnan(float(out.split("synthetic station")[1].split(":")[1].split("mm")[0]))
