"""Scenario texts kept by the server: files in the owner's folder, paths confined to it, and
validation with the checks and messages of ``ecociv validate``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from ecociv.errors import EcocivError, ScenarioError

_PATH_KEYS = ("inputs", "layers")


def parse(text: str) -> dict[str, Any]:
    """The YAML mapping of a scenario text (ScenarioError naming the line otherwise)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ScenarioError(f"scenario: not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise ScenarioError("scenario: expected a mapping of keys (name, models, ...) at the top")
    return data


def _paths(data: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, value) of every value the runner may read as a file path."""
    dataset = data.get("dataset")
    if isinstance(dataset, str):
        yield "dataset", dataset
    grid = data.get("grid")
    if isinstance(grid, dict) and isinstance(grid.get("reference"), str):
        yield "grid.reference", grid["reference"]
    layers = data.get("layers")
    if isinstance(layers, dict):
        for key, value in layers.items():
            if isinstance(value, dict):
                value = value.get("path")
            if isinstance(value, str):
                yield f"layers.{key}", value
    models = data.get("models")
    for i, step in enumerate(models if isinstance(models, list) else []):
        inputs = step.get("inputs") if isinstance(step, dict) else None
        for key, value in (inputs or {}).items() if isinstance(inputs, dict) else ():
            values = value if isinstance(value, list) else [value]
            for item in values:
                if isinstance(item, str):
                    yield f"models[{i}].inputs.{key}", item


def _is_reference(value: str) -> bool:
    return value.startswith("@") or value.startswith("dataset:") or value in ("belt", "example")


def confine(data: dict[str, Any], folder: Path) -> None:
    """Refuse any file path that leaves the user's folder (uploads are kept there)."""
    base = folder.resolve()
    for where, value in _paths(data):
        if _is_reference(value):
            continue
        target = (base / value).resolve()
        if Path(value).is_absolute() or not target.is_relative_to(base):
            raise ScenarioError(f"scenario: {where}: path {value!r} is outside your uploaded "
                                "files; upload the file and give its name")


def referenced_files(data: dict[str, Any], folder: Path) -> list[Path]:
    """The files in ``folder`` the scenario names."""
    base = folder.resolve()
    found = []
    for _, value in _paths(data):
        if not _is_reference(value) and not Path(value).is_absolute():
            target = (base / value).resolve()
            if target.is_relative_to(base) and target.is_file():
                found.append(target)
    return found


def validate(path: Path) -> list[str]:
    """The problems ``ecociv validate`` would print for the file (empty when valid)."""
    from ecociv.scenario.run_file import load_scenario_file
    from ecociv.scenario.validate import InvalidScenarioError

    try:
        load_scenario_file(path)
    except InvalidScenarioError as err:
        problems = list(err.problems)
    except EcocivError as err:
        problems = [str(err)]
    else:
        return []
    # the user's files by their names, without the server's folders
    return [hide_folder(problem, path.parent) for problem in problems]


def hide_folder(message: str, folder: Path) -> str:
    """``message`` with the paths of files in ``folder`` written as bare file names."""
    for prefix in {str(folder) + os.sep, str(folder.resolve()) + os.sep}:
        message = message.replace(prefix, "")
    return message


def merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``changes`` merged in (mappings key by key; None removes a key)."""
    out = dict(base)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out
