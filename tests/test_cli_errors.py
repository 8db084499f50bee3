"""Usage errors and Ctrl-C at the command line (cli/main.py): one line and exit 2 for a wrong
command line, "interrupted" and exit 130 for Ctrl-C with no unfinished output left behind."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import ecociv.models.carbon.model as carbon_model
from ecociv.demo import example_scenario
from tests.cli_helper import run_ecociv as ecociv

EXAMPLE = example_scenario().parent
CARBON_INPUTS = ["--input", f"land_use={EXAMPLE / 'land_use_synthetic.tif'}",
                 "--input", f"carbon_pools={EXAMPLE / 'carbon_pools_illustrative.csv'}"]


@pytest.mark.parametrize(("args", "first_line", "hint"), [
    (["run", "--foo"], "error: No such option: --foo", "Try 'ecociv run --help' for help."),
    (["run"], "error: Missing argument 'scenario'.", "Try 'ecociv run --help' for help."),
    (["rn", "x.yaml"], "error: No such command 'rn'.", "Try 'ecociv --help' for help."),
    (["model", "run", "carbon", "--inptu", "a=b"], "error: No such option: --inptu",
     "Try 'ecociv model run --help' for help."),
    (["model", "run", "carbon", "--out"], "error: Option '--out' requires an argument.", None),
])
def test_usage_errors_are_one_line_and_exit_2(capsys, monkeypatch, args, first_line, hint) -> None:
    code, out, err = ecociv(capsys, monkeypatch, *args)
    assert code == 2
    lines = err.strip().splitlines()
    assert lines[0].startswith(first_line)
    assert lines[1:] == ([hint] if hint else [])
    assert "Traceback" not in err and out == ""


def test_usage_error_through_the_installed_script() -> None:
    done = subprocess.run([str(Path(sys.executable).with_name("ecociv")), "run", "--foo"],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.startswith("error: No such option: --foo") and "Traceback" not in done.stderr


def _interrupting_carbon(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the carbon model raise KeyboardInterrupt (as Ctrl-C does) in the middle of its run."""
    model = carbon_model.MODEL

    def run(inputs: Any) -> Any:
        model.run(inputs)
        raise KeyboardInterrupt

    monkeypatch.setattr(carbon_model, "MODEL", dataclasses.replace(model, run=run))


def test_ctrl_c_in_model_run(capsys, monkeypatch, tmp_path) -> None:
    _interrupting_carbon(monkeypatch)
    code, _, err = ecociv(capsys, monkeypatch, "model", "run", "carbon", *CARBON_INPUTS,
                          "--out", str(tmp_path / "out"))
    assert code == 130
    assert err.strip() == "interrupted"
    assert list(tmp_path.iterdir()) == []  # neither the output nor a .partial folder


def test_ctrl_c_in_scenario_run(capsys, monkeypatch, tmp_path) -> None:
    _interrupting_carbon(monkeypatch)
    store = tmp_path / "store"
    code, _, err = ecociv(capsys, monkeypatch, "run", str(example_scenario()), "--out", str(store),
                          "--no-maps")
    assert code == 130
    assert err.strip().splitlines()[-1] == "interrupted"
    # water_yield finished before carbon was interrupted; the unfinished run is removed
    leftovers = [p for p in store.rglob("*") if p.is_dir() and "partial" in p.name]
    assert leftovers == []
    assert not (store / "runs").exists() or list((store / "runs").iterdir()) == []
