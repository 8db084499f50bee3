"""Write the JSON Schemas of the files people edit by hand into docs/schemas/ (run by `make docs`;
tests/test_schemas.py fails when a file is out of date)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ecociv.models.water_allocation.network_file import json_schema as network_json_schema
from ecociv.scenario.json_schema import render, scenario_json_schema

SCHEMAS_DIR = Path(__file__).resolve().parents[1] / "docs" / "schemas"

#: file name in docs/schemas -> function returning the schema
SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "scenario.schema.json": scenario_json_schema,
    "network.schema.json": network_json_schema,
}


def main() -> None:
    SCHEMAS_DIR.mkdir(parents=True, exist_ok=True)
    for name, build in SCHEMAS.items():
        (SCHEMAS_DIR / name).write_text(render(build()), encoding="utf-8")


if __name__ == "__main__":
    main()
