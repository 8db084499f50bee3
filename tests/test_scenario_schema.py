"""Scenario files: encoding, duplicate keys, YAML errors and names unsafe for folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecociv.errors import ScenarioError
from ecociv.scenario.schema import load_scenario, parse_scenario


def test_gbk_scenario_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes("name: 基线\nmodels: []\n".encode("gbk"))
    with pytest.raises(ScenarioError, match=r"gbk.yaml: scenario file is not UTF-8 text: byte 0xbb "
                       r"at byte offset 6 \(line 1\)"):
        load_scenario(path)


def test_binary_scenario_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(ScenarioError, match=r"scenario\.yaml: scenario file is not a text file"):
        load_scenario(path)


def test_duplicate_key_in_scenario(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text("name: a\nmodels:\n  - id: water_yield\n    params: {seasonality_z: 5, "
                    "seasonality_z: 6}\n")
    with pytest.raises(ScenarioError, match="duplicate key 'seasonality_z': given on line 4 and "
                       "again on line 4"):
        load_scenario(path)


def test_yaml_error_names_the_scenario_path(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text("name: a\nmodels:\n  - id: x\n   inputs: {}\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(err.value).startswith(f"{path}: line 4")
    assert "<unicode string>" not in str(err.value)


@pytest.mark.parametrize("name", ["a/b", "../up", "a\\b", "x:y", "what?", "", " lead", "trail.",
                                  "tab\tname", "a*b", "<a>", "a|b", "x" * 101])
def test_unsafe_scenario_names(name: str) -> None:
    with pytest.raises(ScenarioError) as err:
        parse_scenario({"name": name, "models": []}, source="s.yaml")
    message = str(err.value)
    assert "'name'" in message
    assert "letters, digits, '_', '-', '.' and spaces" in message


@pytest.mark.parametrize("name", ["belt_baseline", "基线 2035", "strategy-2.v1", "A", "x" * 100])
def test_safe_scenario_names(name: str) -> None:
    assert parse_scenario({"name": name, "models": []}).name == name
