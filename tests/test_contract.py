"""Contract test over every registered model (no exemption list): unique snake_case ids, units
that pint parses, documented inputs and outputs, and every declared non-optional output produced
by the model's minimal example, with the manifest listing it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecociv.execute import run_in_memory
from ecociv.registry import all_models
from ecociv.spec import ParamInput, RasterOutput, TableOutput, VectorOutput
from ecociv.units import parse_unit

MODELS = sorted(all_models())


def test_registry_has_the_three_first_models() -> None:
    assert {"et0", "water_yield", "carbon"} <= set(MODELS)


@pytest.mark.parametrize("model_id", MODELS)
def test_spec_is_complete(model_id: str) -> None:
    spec = all_models()[model_id].spec
    assert spec.title and spec.citation and spec.about and spec.version
    assert spec.inputs and spec.outputs
    for item in (*spec.inputs, *spec.outputs):
        assert item.about.strip(), f"{model_id}.{item.id} has no description"
        units = getattr(item, "units", None)
        if units is not None:
            parse_unit(units)
        if isinstance(item, ParamInput) and item.ge is not None and item.le is not None:
            assert item.ge <= item.le
    json.dumps(spec.describe())


@pytest.mark.parametrize("model_id", MODELS)
def test_example_produces_every_declared_output(model_id: str, tmp_path: Path) -> None:
    model = all_models()[model_id]
    out = tmp_path / "out"
    manifest = run_in_memory(model, model.example(), out)
    written = json.loads((out / "manifest.json").read_text())
    assert written["model"]["id"] == model_id
    for output in model.spec.outputs:
        if output.optional:
            continue
        assert output.id in manifest["outputs"], f"{model_id} did not produce {output.id}"
        suffix = {RasterOutput: ".tif", TableOutput: ".csv", VectorOutput: ".gpkg"}[type(output)]
        assert (out / f"{output.id}{suffix}").is_file()
    for output_id in manifest["outputs"]:
        model.spec.output(output_id)  # KeyError if undeclared
