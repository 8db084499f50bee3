"""A corpus of bad scenarios: ``ecociv validate`` names the key at fault in each, reports every
problem (not just the first), and ``ecociv run`` refuses exactly the same before running."""

from __future__ import annotations

import copy
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from ecociv.errors import InputError, ScenarioError
from ecociv.scenario.runner import plan, run_scenario
from ecociv.scenario.schema import parse_scenario
from ecociv.scenario.store import ResultsStore
from ecociv.scenario.validate import InvalidScenarioError, validate_scenario
from tests.cli_helper import run_ecociv

EXAMPLE = Path(str(files("ecociv") / "data" / "example"))
NETWORK = EXAMPLE / "water_network_synthetic" / "network.yaml"
Doc = dict[str, Any]


def _example() -> Doc:
    doc = yaml.safe_load((EXAMPLE / "scenario.yaml").read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def _step(doc: Doc, name: str) -> Doc:
    return next(s for s in doc["models"] if s.get("name", s["id"]) == name)


def _with_water(doc: Doc) -> Doc:
    doc["models"].append({"id": "water_allocation", "inputs": {"network": str(NETWORK)}})
    return doc


def _set(path: str, value: Any) -> Callable[[Doc], Doc]:
    """A mutation setting ``step.section.key`` (e.g. ``water_yield.params.seasonality_z``)."""
    step, section, key = path.split(".")

    def mutate(doc: Doc) -> Doc:
        _step(doc, step).setdefault(section, {})[key] = value
        return doc

    return mutate


def _drop(path: str) -> Callable[[Doc], Doc]:
    step, section, key = path.split(".")

    def mutate(doc: Doc) -> Doc:
        del _step(doc, step)[section][key]
        return doc

    return mutate


def _top(key: str, value: Any) -> Callable[[Doc], Doc]:
    def mutate(doc: Doc) -> Doc:
        doc[key] = value
        return doc

    return mutate


def _levers(value: Any, water: bool = False) -> Callable[[Doc], Doc]:
    def mutate(doc: Doc) -> Doc:
        doc["levers"] = value
        return _with_water(doc) if water else doc

    return mutate


# (case id, mutation of the example scenario, texts the problem line must hold, in order)
CORPUS: list[tuple[str, Callable[[Doc], Doc], tuple[str, ...]]] = [
    ("missing_file", _set("water_yield.inputs.precipitation", "nothere.tif"),
     ("models[water_yield].inputs.precipitation:", "nothere.tif", "does not exist")),
    ("csv_as_raster", _set("water_yield.inputs.et0", "biophysical_illustrative.csv"),
     ("models[water_yield].inputs.et0:", "not a readable raster")),
    ("table_missing_columns", _set("water_yield.inputs.biophysical_table", "carbon_pools_illustrative.csv"),
     ("models[water_yield].inputs.biophysical_table:", "missing")),
    ("network_not_yaml",
     lambda d: _set("water_allocation.inputs.network", str(EXAMPLE / "stations_synthetic.csv"))(_with_water(d)),
     ("models[water_allocation].inputs.network:", "expected a yaml/yml file")),
    ("vector_missing", _set("carbon.inputs.zones", "zones_nothere.gpkg"),
     ("models[carbon].inputs.zones:", "does not exist")),
    ("required_input_missing", _drop("water_yield.inputs.et0"),
     ("models[water_yield].inputs:", "needs input 'et0'", "mm/yr")),
    ("required_param_missing", _drop("water_yield.params.seasonality_z"),
     ("models[water_yield].params:", "needs parameter 'seasonality_z'")),
    ("param_out_of_range", _set("water_yield.params.seasonality_z", 0),
     ("models[water_yield].params.seasonality_z:", "must be greater than 0")),
    ("param_several_values", _set("water_yield.params.seasonality_z", [5, 6]),
     ("models[water_yield].params.seasonality_z:", "several values")),
    ("param_wrong_units", _set("water_yield.params.seasonality_z", "5 m"),
     ("models[water_yield].params.seasonality_z:", "cannot be converted to dimensionless")),
    ("param_not_a_choice", _set("et0_station.params.time_step", "hourly"),
     ("models[et0_station].params.time_step:", "'hourly' is not one of")),
    ("param_typo", _set("water_yield.params.seasonality", 5),
     ("models[water_yield].params:", "no parameter 'seasonality'", "did you mean 'seasonality_z'")),
    ("global_param_out_of_range", lambda d: _drop("water_yield.params.seasonality_z")(
        _top("parameters", {"seasonality_z": -1})(d)),
     ("parameters.seasonality_z:", "must be greater than 0")),
    ("global_param_typo", _top("parameters", {"seasonality": 5}),
     ("parameters.seasonality:", "no model of the scenario has a parameter 'seasonality'",
      "did you mean 'seasonality_z'")),
    ("lever_for_model_not_run", _levers({"water": {"irrigation_efficiency": 0.7}}),
     ("levers.water:", "no step of this scenario reads these levers", "water_allocation")),
    ("unknown_lever_group", _levers({"watr": {"irrigation_efficiency": 0.7}}),
     ("levers.watr:", "no model reads lever group 'watr'", "did you mean 'water'",
      "'water' read by water_allocation")),
    ("lever_typo", _levers({"water": {"irigation_efficiency": 0.7}}, water=True),
     ("levers.water.irigation_efficiency:", "did you mean 'irrigation_efficiency'")),
    ("lever_names_no_site", _levers({"water": {"irrigation_efficiency": {"farmz": 0.7}}}, water=True),
     ("models[water_allocation]:", "irrigation_efficiency.farmz", "no demand node 'farmz'",
      "did you mean 'farms'")),
    ("lever_not_a_mapping", _levers({"water": "efficient"}, water=True),
     ("levers.water:", "expected a mapping")),
    ("table_wired_to_raster", _set("carbon.inputs.land_use", "@water_yield.watershed_results"),
     ("models[carbon].inputs.land_use:", "'@water_yield.watershed_results' is a table output",
      "expects a raster")),
    ("units_wired_wrong", _set("water_yield.inputs.et0", "@carbon.carbon_density"),
     ("models[water_yield].inputs.et0:", "'@carbon.carbon_density' is in t/ha", "expects mm/yr")),
    ("daily_et0_as_annual", _set("water_yield.inputs.et0", "@et0_station.et0"),
     ("models[water_yield].inputs.et0:", "is in mm/day", "expects mm/yr")),
    ("output_typo", _set("carbon.inputs.land_use", "@water_yield.water_yeld"),
     ("models[carbon].inputs.land_use:", "has no output 'water_yeld'", "did you mean 'water_yield'")),
    ("no_such_step", _set("carbon.inputs.land_use", "@landuse.land_use"),
     ("models[carbon].inputs.land_use:", "no step named 'landuse'")),
    ("grid_reference_missing", _top("grid", {"reference": "nothere.tif"}),
     ("grid.reference:", "does not exist")),
    ("grid_reference_a_table", _top("grid", {"reference": "@water_yield.watershed_results"}),
     ("grid.reference:", "is a table output")),
    ("grid_resolution_negative", _top("grid", {"reference": "precipitation_synthetic.tif",
                                               "resolution": "-5 m"}),
     ("grid.resolution must be positive",)),
    ("dataset_not_named", lambda d: _top("grid", {"reference": "dataset:land_use"})(
        _set("water_yield.inputs.precipitation", "dataset:precipitation_annual")(d)),
     ("dataset:", "add `dataset: belt`", "used by dataset:land_use, dataset:precipitation_annual")),
    ("dataset_folder_missing", lambda d: _top("dataset", "no_dataset_here")(
        _set("water_yield.inputs.precipitation", "dataset:precipitation_annual")(d)),
     ("dataset:", "no_dataset_here", "dataset.yaml is missing")),
    ("unknown_model", lambda d: {**d, "models": [*d["models"], {"id": "water_yeild", "name": "wy2"}]},
     ("models[wy2]:", "did you mean 'water_yield'")),
]


def _problems_of(doc: Doc) -> list[str]:
    return validate_scenario(parse_scenario(doc, source="bad.yaml"), EXAMPLE)


SHIPPED = [*sorted((EXAMPLE.parent / "scenarios").glob("*.yaml")), EXAMPLE / "scenario.yaml"]


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_scenarios_are_valid(path: Path) -> None:
    from ecociv.scenario.schema import load_scenario

    assert validate_scenario(load_scenario(path), path.parent) == []


def test_the_example_is_valid() -> None:
    assert _problems_of(_example()) == []
    assert _problems_of(_with_water(_example())) == []


@pytest.mark.parametrize(("case", "mutate", "expected"), CORPUS, ids=[c[0] for c in CORPUS])
def test_bad_scenario_named_by_validate_and_refused_by_run(
        tmp_path: Path, case: str, mutate: Callable[[Doc], Doc], expected: tuple[str, ...]) -> None:
    doc = mutate(copy.deepcopy(_example()))
    problems = _problems_of(doc)
    matching = [p for p in problems if p.startswith(expected[0])]
    assert matching, f"{case}: no problem starts with {expected[0]!r}: {problems}"
    line = matching[0]
    assert all(text in line for text in expected), line
    assert all("\n" not in p for p in problems)
    assert len(set(problems)) == len(problems)
    for step in doc["models"]:  # an input given but not usable is not also reported as missing
        for input_id in step.get("inputs", {}):
            assert not any(f"needs input '{input_id}'" in p for p in problems), problems
    assert len([p for p in problems if p.startswith("dataset:")]) <= 1, problems
    assert ".partial" not in line and "Traceback" not in line
    # the run refuses the same problems, before it makes a run folder
    store = ResultsStore(tmp_path / "store")
    with pytest.raises(InvalidScenarioError) as refused:
        run_scenario(parse_scenario(doc, source="bad.yaml"), base_dir=EXAMPLE, store=store)
    assert refused.value.problems == problems
    assert not store.runs_dir.exists() or not any(store.runs_dir.iterdir())


def test_every_problem_is_reported() -> None:
    doc = _example()
    _set("water_yield.inputs.precipitation", "nothere.tif")(doc)
    _set("water_yield.params.seasonality_z", 0)(doc)
    _set("carbon.inputs.land_use", "@water_yield.watershed_results")(doc)
    doc["levers"] = {"water": {"transfers": {}}}
    problems = _problems_of(doc)
    keys = [p.split(":")[0] for p in problems]
    for key in ("levers.water", "models[water_yield].params.seasonality_z",
                "models[carbon].inputs.land_use", "models[water_yield].inputs.precipitation"):
        assert key in keys, problems
    with pytest.raises(InvalidScenarioError) as err:
        plan(parse_scenario(doc), EXAMPLE)
    assert str(err.value).startswith(f"{len(problems)} problems in the scenario:")
    assert isinstance(err.value, ScenarioError) and isinstance(err.value, InputError)


def test_raster_not_on_the_run_grid(make_raster, tmp_path: Path) -> None:
    doc = _example()
    other = make_raster(np.ones((3, 3), dtype="float32"), "et0_other", res=1000.0)
    _set("water_yield.inputs.et0", str(other))(doc)
    problems = _problems_of(doc)
    assert any(p.startswith("models[water_yield].inputs.et0:")
               and ("not on the run's grid" in p or "does not overlap" in p) for p in problems), problems


def test_empty_lever_group_without_its_model_is_fine() -> None:
    doc = _example()
    doc["levers"] = {"water": {}}
    assert _problems_of(doc) == []


def _write(tmp_path: Path, doc: Doc) -> Path:
    path = tmp_path / "bad.yaml"
    for item in doc["models"]:  # absolute paths, so the file can live outside the example folder
        for key, value in item.get("inputs", {}).items():
            if not str(value).startswith("@") and not Path(value).is_absolute():
                item["inputs"][key] = str(EXAMPLE / value)
    if doc.get("grid", {}).get("reference"):
        doc["grid"]["reference"] = str(EXAMPLE / doc["grid"]["reference"])
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def test_cli_validate_prints_every_problem_one_line_each(capsys, monkeypatch, tmp_path) -> None:
    doc = _example()
    _set("water_yield.params.seasonality_z", 0)(doc)
    doc["levers"] = {"watr": {}}
    path = _write(tmp_path, doc)
    code, _, err = run_ecociv(capsys, monkeypatch, "validate", str(path))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 2, err
    assert all(line.startswith(f"error: {path}: ") for line in lines)
    assert any("models[water_yield].params.seasonality_z" in line for line in lines)
    assert any("levers.watr" in line for line in lines)
    code, _, err = run_ecociv(capsys, monkeypatch, "run", str(path), "--out", str(tmp_path / "s"))
    assert code == 2
    assert "models[water_yield].params.seasonality_z" in err and "levers.watr" in err


def test_cli_validate_unsafe_name(capsys, monkeypatch, tmp_path) -> None:
    doc = _example()
    doc["name"] = "../elsewhere"
    path = _write(tmp_path, doc)
    code, _, err = run_ecociv(capsys, monkeypatch, "validate", str(path))
    assert code == 2
    assert "'name'" in err and "letters, digits" in err and "Traceback" not in err


def test_network_file_checked_before_running(tmp_path: Path) -> None:
    """The water model's check hook resolves the network file when validating (it is what the run
    would refuse after the steps before it)."""
    network = tmp_path / "network.yaml"
    text = NETWORK.read_text(encoding="utf-8").replace("../../water/ebinur_curve.csv",
                                                       str(EXAMPLE.parent / "water" / "ebinur_curve.csv"))
    network.write_text(text.replace("sustainable_yield: 3500", "sustainable_yield: -3500"),
                       encoding="utf-8")
    doc = _example()
    doc["models"].append({"id": "water_allocation", "inputs": {"network": str(network)}})
    problems = _problems_of(doc)
    assert len(problems) == 1 and problems[0].startswith("models[water_allocation]: "), problems
    assert "north_aquifer" in problems[0] and "-3500" in problems[0], problems
    network.write_text(text, encoding="utf-8")
    assert _problems_of(doc) == []


def test_layer_override_no_input_reads(tmp_path: Path) -> None:
    from ecociv.region.dataset import load_dataset

    layers = load_dataset().layers
    assert "precipitation_annual" in layers and "slope" in layers
    doc = {"name": "x", "dataset": "belt", "layers": {"slope": "slope_10m.tif"},
           "models": [{"id": "carbon", "inputs": {"land_use": "dataset:land_use",
                                                   "carbon_pools": "dataset:carbon_pools"}}]}
    problems = validate_scenario(parse_scenario(doc), tmp_path)
    assert any(p.startswith("layers.slope: no input of the scenario reads dataset layer 'slope'")
               for p in problems), problems
