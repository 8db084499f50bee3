"""Checking a scenario without computing anything: what ``ecociv validate`` reports and what
``ecociv run`` checks before its first step.

:func:`ecociv.scenario.runner.plan` resolves each step against its model's spec (models, input
and parameter names, step references, the dataset and its replaced layers) and then calls
:func:`check_steps` for:

- required inputs present (as files, dataset layers or outputs of other steps);
- parameters parsed against their specs (type, units, range, choices; keys of a mapping
  parameter such as the water levers); every entry of ``parameters`` is had by some step;
- levers: every group is read by a model of a step of the scenario;
- wiring: an output used as an input is of the input's kind (raster, table, vector, file), in its
  units, with its columns;
- files: each opens as its kind the way the run opens it (raster headers and first and last
  blocks, whole tables, vector layers), on the run grid where that grid is known before running;
- the grid reference and resolution;
- the model's own ``check`` hook (:class:`ecociv.spec.Model`), once the step passes the above
  (e.g. the water network resolved with the levers applied).

Every problem is collected (not just the first) as one line naming the key at fault.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecociv.errors import EcocivError, InputError, ScenarioError
from ecociv.grid.io import ReadNotes, grid_of, open_raster
from ecociv.grid.spec import GridSpec
from ecociv.io.params import parse_param
from ecociv.io.tables import read_table
from ecociv.io.vectors import read_vector, split_layer, vector_columns
from ecociv.scenario.schema import STEP_REFERENCE, Scenario
from ecociv.spec import (
    FileInput,
    InputSpec,
    ModelSpec,
    OutputSpec,
    ParamInput,
    RasterInput,
    TableInput,
    VectorInput,
)
from ecociv.spec_blocks import check_field_params
from ecociv.units import parse_unit

if TYPE_CHECKING:
    from ecociv.scenario.runner import PlannedStep

#: The file an output of each kind is written as (see ecociv.execute.write).
_OUTPUT_SUFFIX = {"raster": "tif", "table": "csv", "vector": "gpkg"}


class InvalidScenarioError(ScenarioError, InputError):
    """A scenario with problems; ``problems`` lists them, one line each, naming the key at fault.

    It is both a :class:`ScenarioError` and an :class:`InputError`: the problems may be in the
    scenario file or in the files it names.
    """

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        self.source = None
        self.where = None
        if len(self.problems) == 1:
            self.detail = self.problems[0]
        else:
            self.detail = (f"{len(self.problems)} problems in the scenario:\n  - "
                           + "\n  - ".join(self.problems))
        Exception.__init__(self, self.detail)


def validate_scenario(scenario: Scenario, base_dir: str | Path) -> list[str]:
    """Every problem :func:`ecociv.scenario.runner.plan` (and so ``ecociv run``) would reject.

    Parameters
    ----------
    scenario : Scenario
        A parsed scenario (:func:`ecociv.scenario.schema.load_scenario`).
    base_dir : str or Path
        The folder relative paths of the scenario are read from (the scenario file's folder).

    Returns
    -------
    list of str
        One line per problem, each starting with the key at fault (e.g.
        ``models[wy].params.seasonality_z: ...``); empty when the scenario is valid.
    """
    from ecociv.scenario.runner import plan

    try:
        plan(scenario, base_dir)
    except InvalidScenarioError as err:
        return err.problems
    return []


def check_steps(scenario: Scenario, base_dir: Path,
                steps: Mapping[str, PlannedStep]) -> list[str]:
    """Problems of resolved steps that can be found without computing (see the module doc)."""
    problems: list[str] = []
    configs = {c.step_name: c for c in scenario.models}
    grid, grid_known = _run_grid(scenario, base_dir, steps, problems)
    problems += _lever_problems(scenario, steps)
    problems += _shared_parameter_problems(scenario, steps)
    opened: dict[tuple[Any, ...], InputError | None] = {}  # rasters several steps read alike
    read: dict[Any, Any] = {}  # vector layers several steps read (e.g. their zones), read once
    for name, step in steps.items():
        found = _required_problems(step, configs[name].inputs)
        parsed: dict[str, Any] = {}
        found += _param_problems(scenario, step, configs[name].params, parsed)
        found += _wiring_problems(step, steps)
        found += _file_problems(scenario, step, grid, grid_known, opened, read)
        if not found and step.model.check is not None:
            found += _model_check_problems(step, parsed)
        problems += found
    return problems


def _model_check_problems(step: PlannedStep, parsed: Mapping[str, Any]) -> list[str]:
    """What the model's own ``check`` hook finds in what the step gives it."""
    assert step.model.check is not None
    given: dict[str, Any] = {**{k: Path(v) for k, v in step.files.items()},
                             **dict.fromkeys(step.upstream), **parsed}
    try:
        step.model.check(given)
    except EcocivError as err:
        return [f"models[{step.name}]: {err}"]
    return []


# --- inputs and parameters ----------------------------------------------------------------------

def _describe(item: InputSpec) -> str:
    units = getattr(item, "units", None)
    return f"{item.type}{f' in {units}' if units else ''}"


def _required_problems(step: PlannedStep, written: Mapping[str, str]) -> list[str]:
    """Required inputs the scenario does not give (those given but not resolved are reported
    where they are written)."""
    given = {*written, *step.params}
    problems = []
    for item in step.model.spec.inputs:
        if not item.required or item.id in given:
            continue
        if isinstance(item, ParamInput):
            if item.default is None:
                problems.append(f"models[{step.name}].params: model '{step.model.spec.id}' needs "
                                f"parameter '{item.id}' ({_describe(item)}): {item.about}")
        else:
            problems.append(f"models[{step.name}].inputs: model '{step.model.spec.id}' needs "
                            f"input '{item.id}' ({_describe(item)}): {item.about}; give a file, "
                            "dataset:<layer> or @step.output")
    return problems


def _param_key(scenario: Scenario, step: PlannedStep, own: Mapping[str, Any], item: ParamInput) -> str:
    """Where the scenario gives a step's parameter: its params, a lever group or `parameters`."""
    if item.id in own:
        return f"models[{step.name}].params.{item.id}"
    if item.lever_group and item.lever_group in scenario.levers:
        return f"levers.{item.lever_group}"
    return f"parameters.{item.id}"


def _param_problems(scenario: Scenario, step: PlannedStep, own: Mapping[str, Any],
                    parsed_values: dict[str, Any]) -> list[str]:
    """Problems of the step's parameters; the parsed values are put in ``parsed_values``."""
    problems = []
    for param_id, value in step.params.items():
        item = step.model.spec.input(param_id)
        assert isinstance(item, ParamInput)
        key = _param_key(scenario, step, own, item)
        try:
            parsed = parse_param(item, value)
        except EcocivError as err:
            problems.append(f"{key}: {err}")
            continue
        parsed_values[param_id] = parsed
        if item.keys is not None and isinstance(parsed, Mapping):
            for name in parsed:
                if str(name) not in item.keys:
                    close = difflib.get_close_matches(str(name), list(item.keys), n=1)
                    hint = f"; did you mean '{close[0]}'?" if close else ""
                    problems.append(f"{key}.{name}: unknown key of parameter '{item.id}' of "
                                    f"model '{step.model.spec.id}'{hint} (keys: "
                                    f"{', '.join(item.keys)})")
    return problems


def _shared_parameter_problems(scenario: Scenario, steps: Mapping[str, PlannedStep]) -> list[str]:
    """``parameters`` entries that no step's model has (they would be ignored)."""
    if not scenario.parameters or len(steps) < len(scenario.models):
        return []  # a step whose model is unknown may have had it
    known = sorted({item.id for step in steps.values() for item in step.model.spec.inputs
                    if isinstance(item, ParamInput)})
    problems = []
    for param_id in scenario.parameters:
        if param_id not in known:
            close = difflib.get_close_matches(str(param_id), known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            problems.append(f"parameters.{param_id}: no model of the scenario has a parameter "
                            f"'{param_id}'{hint} (parameters: {', '.join(known)})")
    return problems


def lever_readers(steps: Mapping[str, PlannedStep]) -> dict[str, list[str]]:
    """Lever group -> ids of the models that read it (registered models and the steps' models).

    The registered models' specs only: their code (numba, scipy, ...) is not imported for this.
    """
    from ecociv.registry import all_specs

    specs: dict[str, ModelSpec] = dict(all_specs())
    specs.update({s.model.spec.id: s.model.spec for s in steps.values()})
    readers: dict[str, list[str]] = {}
    for model_id, spec in specs.items():
        for item in spec.inputs:
            if isinstance(item, ParamInput) and item.lever_group:
                readers.setdefault(item.lever_group, []).append(model_id)
    return readers


def _lever_problems(scenario: Scenario, steps: Mapping[str, PlannedStep]) -> list[str]:
    if not scenario.levers:
        return []
    readers = lever_readers(steps)
    groups = "; ".join(f"'{g}' read by {', '.join(m)}" for g, m in sorted(readers.items()))
    run_here = {item.lever_group for s in steps.values() for item in s.model.spec.inputs
                if isinstance(item, ParamInput) and item.lever_group}
    problems = []
    for group, value in scenario.levers.items():
        if group not in readers:
            close = difflib.get_close_matches(str(group), list(readers), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            problems.append(f"levers.{group}: no model reads lever group '{group}'{hint} "
                            f"(lever groups: {groups or 'none'})")
        elif group not in run_here and value not in (None, {}):
            problems.append(f"levers.{group}: no step of this scenario reads these levers; lever "
                            f"group '{group}' is read by model(s) {', '.join(readers[group])} "
                            f"(add such a step under models, or remove levers.{group})")
    return problems


# --- wiring of outputs into inputs --------------------------------------------------------------

def _wiring_problems(step: PlannedStep, steps: Mapping[str, PlannedStep]) -> list[str]:
    problems = []
    for input_id, (source, output_id) in step.upstream.items():
        source_step = steps.get(source)
        if source_step is None:
            continue  # that step's own problem is reported
        item = step.model.spec.input(input_id)
        output = source_step.model.spec.output(output_id)
        key = f"models[{step.name}].inputs.{input_id}"
        problem = _wiring_problem(item, output)
        if problem:
            problems.append(f"{key}: '@{source}.{output_id}' is {problem}")
    return problems


def _wiring_problem(item: InputSpec, output: OutputSpec) -> str | None:
    """Why ``output`` cannot feed ``item`` (None when it can)."""
    kind = output.type
    if isinstance(item, FileInput):
        suffix = _OUTPUT_SUFFIX[kind]
        if suffix not in item.formats:
            return (f"a {kind} output (a .{suffix} file) but input '{item.id}' takes a "
                    f"{'/'.join(item.formats)} file")
        return None
    if kind != item.type:
        return f"a {kind} output; input '{item.id}' expects a {item.type}"
    if isinstance(item, RasterInput):
        if item.kind == "categorical" and getattr(output, "kind", "continuous") != "categorical":
            return (f"a raster of continuous values but input '{item.id}' takes class codes "
                    "(a categorical raster)")
        out_units = getattr(output, "units", None)
        if item.units is not None and out_units is not None and not _same_units(item.units, out_units):
            return (f"in {out_units or 'dimensionless units'} but input '{item.id}' expects "
                    f"{item.units or 'dimensionless values'}")
        out_bands = getattr(output, "bands", None)
        if item.bands is not None and out_bands is not None and item.bands != out_bands:
            return f"a raster of {out_bands} bands but input '{item.id}' takes {item.bands}"
    if isinstance(item, TableInput):
        produced = {c.id.lower() for c in getattr(output, "columns", ())}
        missing = [c.id for c in item.columns if c.required and c.id.lower() not in produced]
        if item.index and item.index.lower() not in produced and item.index not in missing:
            missing.insert(0, item.index)
        if missing:
            return (f"a table without column(s) {missing} that input '{item.id}' needs "
                    f"(its columns: {sorted(produced)})")
    return None


def _same_units(a: str, b: str) -> bool:
    try:
        return bool(parse_unit(a) == parse_unit(b))
    except ValueError:
        return a == b


# --- files and grid -----------------------------------------------------------------------------

def _run_grid(scenario: Scenario, base_dir: Path, steps: Mapping[str, PlannedStep],
              problems: list[str]) -> tuple[GridSpec | None, bool]:
    """The run grid when it is known before running, and whether it is known (a grid taken from
    a step's output is not)."""
    from ecociv.scenario.runner import _grid

    reference = scenario.grid.reference
    match = STEP_REFERENCE.match(reference.strip()) if reference else None
    if match:
        step = steps.get(match["step"])
        if match["step"] not in {c.step_name for c in scenario.models}:
            problems.append(f"grid.reference: no step named '{match['step']}' (steps: "
                            f"{[c.step_name for c in scenario.models]})")
        elif step is not None:
            outputs = {o.id: o for o in step.model.spec.outputs}
            output = outputs.get(match["output"])
            if output is None:
                problems.append(f"grid.reference: step '{match['step']}' has no output "
                                f"'{match['output']}' (outputs: {list(outputs)})")
            elif output.type != "raster":
                problems.append(f"grid.reference: '{reference}' is a {output.type} output; "
                                "the grid reference must be a raster")
        return None, False
    try:
        return _grid(scenario, base_dir, {}), True
    except EcocivError as err:
        text = str(err)
        problems.append(text if text.startswith("grid.") else f"grid.reference: {text}")
        return None, False


def _file_problems(scenario: Scenario, step: PlannedStep, grid: GridSpec | None,
                   grid_known: bool,
                   opened: dict[tuple[Any, ...], InputError | None] | None = None,
                   read: dict[Any, Any] | None = None) -> list[str]:
    """Open each file input the way the run does (lazily for rasters); ``opened`` remembers the
    rasters already opened the same way for another step (and the error, if any), ``read`` the
    vector layers read (each input is checked on a copy)."""
    spec = step.model.spec
    align = scenario.grid.align or scenario.grid.resolution is not None or bool(step.replaced)
    if grid is None and grid_known:
        grid, grid_known = _first_raster_grid(step)
    problems: list[str] = []
    tables: dict[str, Any] = {}
    order = {"param": 0, "table": 1, "file": 1, "raster": 2, "vector": 3}
    for item in sorted(spec.inputs, key=lambda i: order[i.type]):
        if item.id not in step.files:
            continue
        path = step.files[item.id]
        try:
            if isinstance(item, TableInput):
                tables[item.id] = read_table(path, item)
            elif isinstance(item, FileInput):
                _check_file(item, path)
            elif isinstance(item, RasterInput):
                _check_raster(step, item, path, grid if grid_known else None, align, tables,
                              opened)
            elif isinstance(item, VectorInput):
                _check_vector(item, path, grid if grid_known else None, read)
                check_field_params(spec, {**step.params,
                                          item.id: vector_columns(path, item, read)})
        except EcocivError as err:
            problems.append(f"models[{step.name}].inputs.{item.id}: {err}")
    return problems


def _first_raster_grid(step: PlannedStep) -> tuple[GridSpec | None, bool]:
    """The grid a step without a run grid takes: that of its first raster input (unknown when
    that input is another step's output)."""
    for item in step.model.spec.inputs:
        if isinstance(item, RasterInput):
            if item.id in step.files:
                try:
                    return grid_of(step.files[item.id], name=item.id), True
                except EcocivError:
                    return None, False  # reported when the input itself is checked
            if item.id in step.upstream:
                return None, False
    return None, True


def _check_file(item: FileInput, path: Path) -> None:
    if path.is_dir() and item.folder_file:
        path = path / item.folder_file
    if not path.exists():
        raise InputError("file does not exist", source=str(path))
    if path.suffix.lstrip(".").lower() not in item.formats:
        raise InputError(f"expected a {'/'.join(item.formats)} file"
                         + (f" or a folder with {item.folder_file}" if item.folder_file else ""),
                         source=str(path))


def _check_raster(step: PlannedStep, item: RasterInput, path: Path, grid: GridSpec | None,
                  align: bool, tables: Mapping[str, Any],
                  opened: dict[tuple[Any, ...], InputError | None] | None = None) -> None:
    bands = item.bands
    if item.bands_from is not None:
        table_id, _, column = item.bands_from.partition(".")
        bands = len(tables[table_id][column]) if table_id in tables else None
    resampling = step.resampling.get(item.id, item.resampling_method)
    nodata = step.nodata.get(item.id)
    # the same file opened the same way on the same grid: the same outcome (messages name the
    # input id, so it is part of the key)
    key = (str(path), id(grid), align, item.id, resampling, str(item.units), nodata, bands,
           item.kind)
    if opened is not None and key in opened:
        if opened[key] is not None:
            raise opened[key]  # type: ignore[misc]
        return
    try:
        if grid is None:  # the run grid is not known yet: check the file on its own grid
            grid, align = grid_of(path, name=item.id), False
        open_raster(path, grid, name=item.id, align=align, resampling=resampling,
                    units=item.units, notes=ReadNotes(), nodata=nodata, bands=bands,
                    categorical=item.kind == "categorical")
    except InputError as err:
        if opened is not None:
            opened[key] = err
        raise
    if opened is not None:
        opened[key] = None


def _check_vector(item: VectorInput, path: Path, grid: GridSpec | None,
                  read: dict[Any, Any] | None = None) -> None:
    if grid is not None:
        read_vector(path, item, grid, ReadNotes(), read)
        return
    file, _ = split_layer(path)
    if not file.exists():
        raise InputError("file does not exist", source=f"vector '{item.id}' ({path})")
