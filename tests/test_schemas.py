"""The published JSON Schemas (docs/schemas) are current and accept the files ecociv ships."""

from __future__ import annotations

import importlib.util
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(str(files("ecociv") / "data"))


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("generate_schemas", ROOT / "scripts" / "generate_schemas.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATOR = _generator()


@pytest.mark.parametrize("name", sorted(GENERATOR.SCHEMAS))
def test_schema_file_is_up_to_date(name: str) -> None:
    from ecociv.scenario.json_schema import render

    path = ROOT / "docs" / "schemas" / name
    assert path.is_file(), f"{path} missing: run `make docs`"
    assert path.read_text(encoding="utf-8") == render(GENERATOR.SCHEMAS[name]()), (
        f"{path} is out of date: run `make docs`")


def _validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    schema = GENERATOR.SCHEMAS["scenario.schema.json"]()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


SHIPPED = [*sorted((DATA / "scenarios").glob("*.yaml")), DATA / "example" / "scenario.yaml"]


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_scenarios_match_the_schema(path: Path) -> None:
    errors = list(_validator().iter_errors(yaml.safe_load(path.read_text(encoding="utf-8"))))
    assert errors == [], [e.message for e in errors]


@pytest.mark.parametrize(("edit", "fragment"), [
    (lambda d: d["models"][0].update(parms={}), "'parms' was unexpected"),
    (lambda d: d.update(levers={"water": {"irigation_efficiency": 0.7}}), "'irigation_efficiency' was unexpected"),
    (lambda d: d["models"][0].update(name="Water Yield"), "is not valid under any of the given schemas"),
    (lambda d: d.pop("models"), "'models' is a required property"),
    (lambda d: d["grid"].update(align="yes"), "'yes' is not of type 'boolean'"),
])
def test_schema_flags_what_an_editor_should_underline(edit: Any, fragment: str) -> None:
    doc = yaml.safe_load((DATA / "example" / "scenario.yaml").read_text(encoding="utf-8"))
    edit(doc)
    messages = [e.message for e in _validator().iter_errors(doc)]
    assert any(fragment in m for m in messages), messages
