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


def resource_roots() -> tuple[Path, Path]:
    """(data root, base) of the read-only resources a scenario may name besides the user's
    uploads: the package's data folder (the embedded Belt dataset, ``water/belt_network``,
    ``industry/``, ``institutions/``, ``planning/``, ``strategies/``), with relative names read
    from the shipped strategy files' folder, as those files name them (``../water/belt_network``,
    ``co2_caps_s4.csv``)."""
    from ecociv.region.dataset import packaged_dataset_path

    root = packaged_dataset_path().parent.resolve()
    return root, root / "strategies"


def _resource(value: str) -> Path | None:
    """The shipped read-only file or folder a relative ``value`` names (read from the strategy
    folder), if it exists and stays inside the package's data folder; else None."""
    if Path(value).is_absolute() or "\\" in value or "\x00" in value:
        return None
    root, base = resource_roots()
    target = (base / value).resolve()
    if target.is_relative_to(root) and target != root and target.exists():
        return target
    return None


def confine(data: dict[str, Any], folder: Path) -> dict[str, Path]:
    """Check every file path of a scenario: an uploaded file of the user's folder, or a shipped
    read-only resource (see :func:`resource_roots`), which is what a name that is not among the
    uploads means when the shipped strategy folder has it. Returns the resources by the value that
    names them; a ScenarioError names the first path that is neither."""
    base = folder.resolve()
    resources: dict[str, Path] = {}
    for where, value in _paths(data):
        if _is_reference(value):
            continue
        target = (base / value).resolve()
        uploaded = not Path(value).is_absolute() and target.is_relative_to(base)
        if uploaded and target.exists():
            continue
        shipped = _resource(value)
        if shipped is not None:
            resources[value] = shipped
        elif not uploaded:
            raise ScenarioError(f"scenario: {where}: path {value!r} is outside your uploaded "
                                "files and is not a file shipped with ecociv; upload the file "
                                "and give its name")
    return resources


def with_resources(data: dict[str, Any], resources: dict[str, Path]) -> dict[str, Any]:
    """A copy of the scenario mapping whose paths naming shipped resources are absolute (what
    the runner reads from the user's folder)."""
    import copy

    out = copy.deepcopy(data)

    def swap(value: Any) -> Any:
        if isinstance(value, str) and value in resources:
            return str(resources[value])
        if isinstance(value, list):
            return [swap(v) for v in value]
        if isinstance(value, dict) and "path" in value:
            return {**value, "path": swap(value["path"])}
        return value

    if isinstance(out.get("dataset"), str):
        out["dataset"] = swap(out["dataset"])
    if isinstance(out.get("grid"), dict) and "reference" in out["grid"]:
        out["grid"]["reference"] = swap(out["grid"]["reference"])
    if isinstance(out.get("layers"), dict):
        out["layers"] = {k: swap(v) for k, v in out["layers"].items()}
    models = out.get("models")
    for step in models if isinstance(models, list) else []:
        if isinstance(step, dict) and isinstance(step.get("inputs"), dict):
            step["inputs"] = {k: swap(v) for k, v in step["inputs"].items()}
    return out


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
    # the user's files by their names, the shipped ones from the data folder, without the
    # server's folders
    root = resource_roots()[0]
    return [hide_folder(problem, path.parent).replace(str(root) + os.sep, "ecociv/data/")
            for problem in problems]


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
