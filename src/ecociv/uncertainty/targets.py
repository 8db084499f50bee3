"""What an uncertain quantity changes in a scenario (its *target*), read from the ``uncertainty``
section of a scenario file or from a side YAML file, and checked against the scenario.

Targets
-------
``<step>.<param>``
    A parameter of a step, e.g. ``water_yield.seasonality_z`` (a number in the parameter's units,
    or ``units:`` given with the distribution).
``parameters.<param>``
    An entry of the scenario's ``parameters`` section.
``levers.<group>.<name>[.<key>...]``
    A lever value, e.g. ``levers.water.irrigation_efficiency`` or
    ``levers.water.lake_minimum_inflow.ebinur_lake`` (with ``units:``).
``<step>.inputs.<input>``
    A multiplier on a raster input (every valid cell) or, with ``column:``, on a column of a
    table input (CSV).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecociv.errors import InputError, ScenarioError
from ecociv.uncertainty.distributions import Distribution, parse_distribution

SECTION = "uncertainty"
KEYS = ("seed", "samples", "method", "parameters")


@dataclass(frozen=True)
class Target:
    """One uncertain quantity: where it goes and how it is distributed."""

    path: str
    distribution: Distribution
    units: str | None = None
    column: str | None = None
    name: str | None = None

    @property
    def label(self) -> str:
        """Short name in tables and charts (``name:`` if given, else the target path, with
        ``[column]`` for a table multiplier)."""
        return self.name or (f"{self.path}[{self.column}]" if self.column else self.path)

    @property
    def kind(self) -> str:
        """``lever``, ``parameter`` (scenario-wide), ``input`` (multiplier) or ``param`` (a step's)."""
        head = self.path.split(".")[0]
        if head == "levers":
            return "lever"
        if head == "parameters":
            return "parameter"
        return "input" if ".inputs." in self.path else "param"


@dataclass(frozen=True)
class UncertaintySpec:
    """The distributions of a study and its defaults."""

    targets: tuple[Target, ...]
    seed: int = 0
    samples: int | None = None
    method: str | None = None
    source: str = "uncertainty"


def read_spec(data: Any, source: str) -> UncertaintySpec:
    """Check the ``uncertainty`` mapping (``seed``, ``samples``, ``method``, ``parameters``: a list
    of ``{target, distribution, <its parameters>, [units], [column], [name]}``)."""
    if not isinstance(data, dict):
        raise InputError(f"'{SECTION}' must be a mapping with keys {', '.join(KEYS)}", source=source)
    unknown = [k for k in data if k not in KEYS]
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), KEYS, n=1)
        raise InputError(f"unknown key '{SECTION}.{unknown[0]}'"
                         + (f"; did you mean '{close[0]}'?" if close else "")
                         + f" (valid keys: {', '.join(KEYS)})", source=source)
    entries = data.get("parameters")
    if not isinstance(entries, list) or not entries:
        raise InputError(f"'{SECTION}.parameters' must be a non-empty list of "
                         "{target, distribution, ...}", source=source)
    targets: list[Target] = []
    for i, entry in enumerate(entries):
        where = f"{source}: {SECTION}.parameters[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("target"), str):
            raise InputError("each entry needs 'target' (e.g. water_yield.seasonality_z) and "
                             "'distribution'", source=where)
        targets.append(Target(path=entry["target"].strip(),
                              distribution=parse_distribution(entry, where),
                              units=_optional_text(entry, "units", where),
                              column=_optional_text(entry, "column", where),
                              name=_optional_text(entry, "name", where)))
    paths = [t.label for t in targets]
    repeated = sorted({p for p in paths if paths.count(p) > 1})
    if repeated:
        raise InputError(f"target given twice: {', '.join(repeated)}", source=f"{source}: {SECTION}")
    seed = data.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"'{SECTION}.seed' must be a non-negative integer, got {seed!r}",
                         source=source)
    samples = data.get("samples")
    if samples is not None and (isinstance(samples, bool) or not isinstance(samples, int)
                                or samples < 2):
        raise InputError(f"'{SECTION}.samples' must be an integer >= 2, got {samples!r}",
                         source=source)
    method = data.get("method")
    if method is not None and method not in ("mc", "sobol"):
        raise InputError(f"'{SECTION}.method' must be 'mc' or 'sobol', got {method!r}", source=source)
    return UncertaintySpec(targets=tuple(targets), seed=seed, samples=samples, method=method,
                           source=source)


def _optional_text(entry: dict[str, Any], key: str, where: str) -> str | None:
    value = entry.get(key)
    if value is not None and not isinstance(value, str):
        raise InputError(f"'{key}' must be text, got {value!r}", source=where)
    return value


def split_scenario(path: Path, side_file: Path | None) -> tuple[dict[str, Any], UncertaintySpec]:
    """The scenario mapping (without its ``uncertainty`` section) and the distributions, from the
    section or from ``side_file`` (a YAML file holding the same keys, or an ``uncertainty`` key)."""
    from ecociv.io.yaml_files import load_yaml

    try:
        data = load_yaml(path, what="scenario file")
    except InputError as err:
        raise ScenarioError(str(err)) from err
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: a scenario must be a YAML mapping")
    section = data.pop(SECTION, None)
    if side_file is not None:
        side = load_yaml(side_file, what="uncertainty file")
        if isinstance(side, dict) and SECTION in side and len(side) == 1:
            side = side[SECTION]
        return data, read_spec(side, str(side_file))
    if section is None:
        raise InputError(f"no '{SECTION}' section: add one (docs/uncertainty.md) or give a side "
                         "file with --distributions", source=str(path))
    return data, read_spec(section, str(path))


def apply_values(scenario: dict[str, Any], targets: tuple[Target, ...], values: list[float],
                 inputs: dict[str, str]) -> dict[str, Any]:
    """A copy of the scenario mapping with each target set to its value.

    ``inputs``: target path (with ``[column]`` for tables) -> the file that replaces the input
    (the multiplied copy written for this sample).
    """
    import copy

    out = copy.deepcopy(scenario)
    for target, value in zip(targets, values, strict=True):
        parts = target.path.split(".")
        given: Any = _number(value) if target.units is None else f"{_number(value)} {target.units}"
        if target.kind == "lever":
            node = out.setdefault("levers", {})
            for key in parts[1:-1]:
                child = node.get(key)
                if not isinstance(child, dict):  # e.g. one efficiency becomes one per site
                    child = {}
                    node[key] = child
                node = child
            node[parts[-1]] = given
        elif target.kind == "parameter":
            out.setdefault("parameters", {})[parts[1]] = given
        elif target.kind == "param":
            _step(out, parts[0])["params"][parts[1]] = given
        else:
            _step(out, parts[0])["inputs"][parts[2]] = inputs[_input_key(target)]
    return out


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else float(value)


def _input_key(target: Target) -> str:
    return target.path + (f"[{target.column}]" if target.column else "")


def _step(scenario: dict[str, Any], name: str) -> dict[str, Any]:
    for step in scenario.get("models") or []:
        if isinstance(step, dict) and (step.get("name") or step.get("id")) == name:
            step.setdefault("params", {})
            step.setdefault("inputs", {})
            return step
    raise KeyError(name)


def check_targets(scenario: dict[str, Any], spec: UncertaintySpec) -> None:
    """Refuse a target the scenario cannot take, with one line naming it: an unknown step,
    parameter, input or lever (the nearest valid name suggested), a multiplier on an input that
    is not a file, a table multiplier without ``column``.

    Levers and parameters are checked as ``ecociv validate`` checks the scenario with each
    target at the median of its distribution.
    """
    from ecociv.registry import get_spec
    from ecociv.spec import ParamInput, RasterInput, TableInput

    steps = {str(s.get("name") or s.get("id")): s for s in scenario.get("models") or []
             if isinstance(s, dict)}
    for i, target in enumerate(spec.targets):
        where = f"{spec.source}: {SECTION}.parameters[{i}].target '{target.path}'"
        parts = target.path.split(".")
        if target.kind == "lever":
            if len(parts) < 3:
                raise InputError("a lever target is levers.<group>.<lever>[.<key>...]", source=where)
            continue
        if target.kind == "parameter":
            if len(parts) != 2:
                raise InputError("a scenario parameter target is parameters.<id>", source=where)
            continue
        if parts[0] not in steps:
            close = difflib.get_close_matches(parts[0], list(steps), n=1)
            raise InputError(f"no step '{parts[0]}' in the scenario"
                             + (f"; did you mean '{close[0]}'?" if close else "")
                             + f" (steps: {', '.join(steps)}; or levers.<group>..., parameters.<id>)",
                             source=where)
        model_spec = get_spec(str(steps[parts[0]].get("id")))
        if target.kind == "param":
            params = [p.id for p in model_spec.inputs if isinstance(p, ParamInput)]
            if len(parts) != 2 or parts[1] not in params:
                close = difflib.get_close_matches(parts[-1], params, n=1)
                raise InputError(f"model '{model_spec.id}' has no parameter '{'.'.join(parts[1:])}'"
                                 + (f"; did you mean '{close[0]}'?" if close else ""), source=where)
            continue
        inputs = {p.id: p for p in model_spec.inputs if isinstance(p, (RasterInput, TableInput))}
        if len(parts) != 3 or parts[2] not in inputs:
            close = difflib.get_close_matches(parts[-1], list(inputs), n=1)
            raise InputError(f"model '{model_spec.id}' has no raster or table input "
                             f"'{'.'.join(parts[2:])}'"
                             + (f"; did you mean '{close[0]}'?" if close else ""), source=where)
        given = str((steps[parts[0]].get("inputs") or {}).get(parts[2], ""))
        if not given or given.startswith("@"):
            raise InputError(f"input '{parts[2]}' of step '{parts[0]}' is "
                             + ("another step's output" if given else "not given")
                             + "; a multiplier applies to a file or dataset layer", source=where)
        if isinstance(inputs[parts[2]], TableInput) and not target.column:
            raise InputError(f"input '{parts[2]}' is a table: name the column to multiply "
                             "with 'column:'", source=where)
        if target.distribution.ppf(_grid()).min() < 0:
            raise InputError("a multiplier must not be negative; bound its distribution at 0 "
                             "(truncnorm, lognormal, uniform)", source=where)


def _grid() -> Any:
    import numpy as np

    return np.array([1e-6, 0.5, 1 - 1e-6])

