"""The JSON Schema of scenario files, for editors that check YAML as it is typed (VS Code with the
YAML extension, PyCharm, Neovim with yaml-language-server): unknown keys, wrong types, missing
``name`` and ``models``, typos in lever names. ``docs/schemas/scenario.schema.json`` is generated
from it (``scripts/generate_schemas.py``); ``ecociv validate`` remains the full check."""

from __future__ import annotations

import json
from typing import Any

from ecociv.scenario.schema import STEP_NAME, Scenario
from ecociv.spec import ParamInput

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _builtin_models() -> list[Any]:
    """The models shipped with ecociv (plugins are left out so the file is the same everywhere)."""
    from ecociv.registry import BUILTIN_MODELS, get_model

    return [get_model(model_id) for model_id in sorted(BUILTIN_MODELS)]


def _lever_groups(models: list[Any]) -> dict[str, Any]:
    """``levers`` properties: one object per lever group, listing its keys where they are known."""
    groups: dict[str, Any] = {}
    for model in models:
        for item in model.spec.inputs:
            if not isinstance(item, ParamInput) or not item.lever_group:
                continue
            group: dict[str, Any] = {"type": "object",
                                     "description": f"read by model {model.spec.id}: {item.about}"}
            if item.keys is not None:
                group["properties"] = {key: {} for key in item.keys}
                group["additionalProperties"] = False
            groups[item.lever_group] = group
    return groups


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file.

    Returns
    -------
    dict
        :class:`~ecociv.scenario.schema.Scenario`'s pydantic schema, with the lever groups and
        the ids of the built-in models added.
    """
    schema = Scenario.model_json_schema()
    models = _builtin_models()
    step = schema["$defs"]["StepConfig"]["properties"]
    step["id"]["examples"] = [m.spec.id for m in models]
    step["name"]["anyOf"][0]["pattern"] = STEP_NAME.pattern
    levers = schema["properties"]["levers"]
    levers["properties"] = _lever_groups(models)
    levers["type"] = "object"
    return {"$schema": SCHEMA_DIALECT, "$id": "scenario.schema.json",
            "title": "ecociv scenario file", **{k: v for k, v in schema.items() if k != "title"}}


def render(schema: dict[str, Any]) -> str:
    """A schema as the text of its file (sorted keys are not used: pydantic's order is readable)."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
