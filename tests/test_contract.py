"""Contract test over every registered model (no exemption list): unique snake_case ids, units
that pint parses, documented inputs and outputs, and every declared non-optional output produced
by the model's minimal example, with the manifest listing it."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

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


# --- one meaning per id across models (landlab's field contract) -----------------------------
# An input or output id is a name a scenario wires by (``@step.output`` into an input of the same
# kind): the same id must be the same type of thing (raster, table, vector, parameter, file), the
# same kind of raster (class codes or a continuous quantity), the same geometry, and a quantity of
# the same physical dimension (or no quantity) in every spec. The exact unit may differ (et0 in
# mm/day from `et0`, in mm/yr for `water_yield`): wiring one into the other is refused by the
# check (scenario/validate.py) unless the units are equal. Table columns (`lucode`, `zone`, ...) must agree
# on units the same way.


def _dimension(units: str | None) -> str | None:
    return None if units is None else str((1 * parse_unit(units)).dimensionality)


def _meaning(item: Any) -> dict[str, Any]:
    meaning: dict[str, Any] = {"type": item.type}
    for name in ("kind", "geometry"):
        if hasattr(item, name):
            meaning[name] = getattr(item, name)
    if isinstance(item, ParamInput):
        meaning["dtype"] = item.dtype
    if hasattr(item, "units"):
        meaning["dimension"] = _dimension(item.units)
    return meaning


def _uses(key: Any) -> dict[str, dict[str, list[str]]]:
    """id -> description (as text) -> where it is used, over every registered model."""
    uses: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for model_id in MODELS:
        spec = all_models()[model_id].spec
        for item in (*spec.inputs, *spec.outputs):
            for name, description, where in key(model_id, item):
                uses[name][json.dumps(description, sort_keys=True)].append(where)
    return uses


def _items(model_id: str, item: Any) -> list[tuple[str, dict[str, Any], str]]:
    return [(item.id, _meaning(item), model_id)]


def _columns(model_id: str, item: Any) -> list[tuple[str, dict[str, Any], str]]:
    columns = getattr(item, "columns", None) or getattr(item, "fields", ())
    return [(c.id, {"dimension": _dimension(c.units)}, f"{model_id}.{item.id}") for c in columns]


def _disagreements(uses: dict[str, dict[str, list[str]]]) -> list[str]:
    return [f"'{name}': " + "; ".join(f"{description} in {where}"
                                      for description, where in descriptions.items())
            for name, descriptions in sorted(uses.items()) if len(descriptions) > 1]


def test_an_id_means_the_same_in_every_spec() -> None:
    assert _disagreements(_uses(_items)) == []


def test_a_column_has_the_same_units_in_every_table() -> None:
    assert _disagreements(_uses(_columns)) == []


def test_the_shared_ids_are_used_by_several_models() -> None:
    # the contract above is not vacuous: these ids appear in several specs
    uses = _uses(_items)
    for name in ("land_use", "zones", "zone_field", "precipitation"):
        assert sum(len(w) for w in uses[name].values()) >= 3, name
    columns = _uses(_columns)
    for name in ("lucode", "zone", "cells"):
        assert sum(len(w) for w in columns[name].values()) >= 3, name


def test_the_contract_sees_a_disagreement() -> None:
    # a land_use given units in one spec would be caught
    uses = _uses(_items)
    uses["land_use"][json.dumps({"type": "raster", "kind": "continuous", "dimension": "[length]"})
                     ].append("some_model")
    assert any(line.startswith("'land_use'") for line in _disagreements(uses))
