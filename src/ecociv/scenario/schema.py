"""The scenario file: a named set of models, inputs, parameters and levers, validated by
pydantic. Unknown keys are errors that name the key and suggest the nearest valid one."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ecociv.errors import InputError, ScenarioError
from ecociv.io.yaml_files import load_yaml

#: An input value of the form ``@step.output`` takes the output of an earlier step.
STEP_REFERENCE = re.compile(r"^@(?P<step>[a-z][a-z0-9_]*)\.(?P<output>[a-z][a-z0-9_]*)$")
DATASET_REFERENCE = re.compile(r"^dataset:(?P<layer>[A-Za-z0-9_]+)$")
STEP_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
#: A scenario name is part of run folder names: letters of any script, digits, ``_ - .`` and
#: inner spaces; no path separators or characters Windows refuses in file names.
SCENARIO_NAME = re.compile(r"^\w(?:[\w .-]{0,98}[\w-])?$")
SCENARIO_NAME_RULE = ("1 to 100 characters: letters, digits, '_', '-', '.' and spaces, starting "
                      "with a letter or digit and not ending with '.' or a space")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GridConfig(_Strict):
    """The run's grid: the grid of ``reference`` (a raster path or ``@step.output``)."""

    reference: str | None = Field(None, description="raster whose grid every input is aligned to")
    resolution: str | float | None = Field(
        None, description="cell size of the run grid (e.g. '1000 m'); resamples the reference grid "
        "to this size over the same extent and turns alignment on")
    align: bool = Field(False, description="align inputs on other grids by their resampling method")


class LayerOverride(_Strict):
    """A user file that replaces a dataset layer (aligned to the run grid by the layer's kind)."""

    path: str = Field(description="the replacement file (relative to the scenario file)")
    nodata: float | None = Field(None, description="nodata value when the file does not declare "
                                 "one (e.g. -9999 or 0)")


class StepConfig(_Strict):
    """One model run inside a scenario."""

    id: str = Field(description="registered model id, e.g. water_yield")
    name: str | None = Field(None, description="step name (default: the model id)")
    inputs: dict[str, str] = Field(default_factory=dict,
                                   description="input id -> file path, @step.output or "
                                   "dataset:<layer id>")
    params: dict[str, Any] = Field(default_factory=dict, description="parameter id -> value")

    @property
    def step_name(self) -> str:
        return self.name or self.id

    @field_validator("name")
    @classmethod
    def _snake(cls, value: str | None) -> str | None:
        if value is not None and not STEP_NAME.match(value):
            raise ValueError(f"step name {value!r} must be snake_case")
        return value


class Scenario(_Strict):
    """A scenario file (see docs/scenarios.md)."""

    name: str = Field(description=f"scenario name (it names the run folders): {SCENARIO_NAME_RULE}")
    description: str = ""
    region: str = Field("example", description="region the scenario is about")
    dataset: str | None = Field(None, description="dataset the scenario's `dataset:` inputs come "
                                "from: 'belt' (the embedded default) or a dataset folder")
    layers: dict[str, str | LayerOverride] = Field(
        default_factory=dict, description="dataset layer id -> a user file replacing it")
    years: list[int] = Field(default_factory=list, description="years the scenario covers")
    grid: GridConfig = Field(default_factory=GridConfig)
    scheduler: str | None = Field(None, description="dask.distributed scheduler address")
    models: list[StepConfig] = Field(description="models to run, in any order")
    levers: dict[str, Any] = Field(default_factory=dict, description="strategy levers")
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="parameters given to every step whose model has them")
    uncertainty: dict[str, Any] | None = Field(
        None, description="distributions for `ecociv uncertainty` (docs/uncertainty.md); "
        "not read by `ecociv run`")

    @field_validator("name")
    @classmethod
    def _folder_safe(cls, value: str) -> str:
        if not SCENARIO_NAME.match(value):
            raise ValueError(f"scenario name {value!r} names the run folders, so it may hold only "
                             f"{SCENARIO_NAME_RULE}")
        return value


def _allowed_keys(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _location_model(loc: tuple[Any, ...]) -> type[BaseModel]:
    current: type[BaseModel] = Scenario
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(str(part))
        if field is None:
            break
        annotation = field.annotation
        for candidate in (GridConfig, StepConfig, LayerOverride):
            if annotation is candidate or candidate.__name__ in str(annotation):
                current = candidate
    return current


def _format_errors(err: ValidationError, source: str) -> str:
    lines = []
    for item in err.errors():
        loc = tuple(item["loc"])
        where = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc).replace(".[", "[")
        if item["type"] == "extra_forbidden":
            key = str(loc[-1])
            allowed = _allowed_keys(_location_model(loc))
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            lines.append(f"unknown key '{where}'{hint} (valid keys here: {', '.join(allowed)})")
        elif item["type"] == "missing":
            lines.append(f"missing key '{where}'")
        else:
            message = str(item["msg"]).removeprefix("Value error, ")
            lines.append(f"'{where}': {message} (got {item.get('input')!r})")
    return f"{source}: invalid scenario:\n  - " + "\n  - ".join(lines)


def parse_scenario(data: Any, *, source: str = "scenario") -> Scenario:
    """Validate a mapping (parsed YAML) as a :class:`Scenario`."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: a scenario must be a YAML mapping, got {type(data).__name__}")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(_format_errors(err, source)) from err
    names = [s.step_name for s in scenario.models]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ScenarioError(f"{source}: step names must be unique; repeated: {duplicates} "
                            "(give each a distinct 'name')")
    return scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file (UTF-8 text; a key given twice is an error)."""
    path = Path(path)
    try:
        data = load_yaml(path, what="scenario file")
    except InputError as err:
        raise ScenarioError(str(err)) from err
    if data is None:
        raise ScenarioError(f"{path}: scenario file is empty")
    return parse_scenario(data, source=str(path))
