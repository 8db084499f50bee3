"""One sample's scenario run kept in memory: the steps of the scenario runner, in its order and
with its input checks (:func:`ecociv.execute.load_inputs`), computed by
:func:`ecociv.execute.run.compute_in_memory`, and the indicators taken from the outputs in memory
instead of from written files (no GeoTIFF, CSV, manifest or run folder per sample).

A worker process keeps, per step, the results of its last keys (the runner's cache key: model
code, input files, upstream keys, parameters, grid), so a step that no sampled value reaches is
computed once per worker and reused by every later sample. Within a step that a sampled lever
reaches, the parts the model marks as not reading its levers (:func:`ecociv.reuse.kept`) are
reused under the step's key computed without its lever-group parameters.

The indicators are those :func:`ecociv.uncertainty.evaluate.read_indicators` reads from a run
folder, with the same names, order and units; their values are the same up to the last digit a
CSV round trip may change (``tests/test_uncertainty_memory.py`` compares both on real runs).
"""

from __future__ import annotations

import tempfile
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ecociv.scenario.runner import PlannedStep
from ecociv.spec import Model, RasterOutput, TableOutput

#: results of this many keys are kept per step and worker process
KEEP_PER_STEP = 2


@dataclass
class StepResult:
    """What a later sample reuses of a step: its indicators, and the outputs later steps read."""

    indicators: dict[str, float]
    units: dict[str, str]
    #: output id -> what a later step is given (an in-memory raster or a file path)
    handoff: dict[str, Any]


@dataclass
class MemoryRun:
    """Indicators of one in-memory run and which steps came from the worker's cache."""

    indicators: dict[str, float]
    units: dict[str, str]
    reused: list[str]


_results: dict[str, OrderedDict[str, StepResult]] = {}
_scratch: list[Path] = []


def clear() -> None:
    """Forget every kept step result of this process (tests; a study that ends)."""
    for kept in _results.values():
        for result in kept.values():
            _forget(result)
    _results.clear()


def _forget(result: StepResult) -> None:
    """Remove the files a dropped step result handed to later steps."""
    for value in result.handoff.values():
        if isinstance(value, Path):
            value.unlink(missing_ok=True)


def run_in_memory(scenario: Any, base_dir: Path, steps: list[PlannedStep]) -> MemoryRun:
    """Run the planned ``steps`` of ``scenario`` in memory and return the run's indicators.

    Raises what a run by :func:`ecociv.scenario.runner.run_scenario` raises for the same steps
    (a refused input, a model error).
    """
    from ecociv import reuse
    from ecociv.errors import InputError, ScenarioError, relabelled
    from ecociv.execute import load_inputs
    from ecociv.execute.run import compute_in_memory
    from ecociv.scenario.runner import _cache_key, _grid

    align = scenario.grid.align or scenario.grid.resolution is not None
    needed = {(source, output) for step in steps for source, output in step.upstream.values()}
    grid = None
    keys: dict[str, str] = {}
    handoff: dict[tuple[str, str], Any] = {}
    indicators: dict[str, float] = {}
    units: dict[str, str] = {}
    reused: list[str] = []
    for step in steps:
        if grid is None:
            grid = _grid(scenario, base_dir, {})
        key = _cache_key(step, keys, grid, align)
        keys[step.name] = key
        kept = _results.setdefault(step.name, OrderedDict())
        result = kept.get(key)
        if result is not None:
            kept.move_to_end(key)
            reused.append(step.name)
        else:
            sources: dict[str, Any] = dict(step.files)
            labels: dict[str, str] = {}
            for input_id, (source, output) in step.upstream.items():
                if (source, output) not in handoff:
                    raise ScenarioError(f"models[{step.name}].inputs.{input_id}: step "
                                        f"'{source}' did not produce output '{output}'")
                sources[input_id] = handoff[source, output]
                labels[str(sources[input_id])] = f"@{source}.{output} (output of step '{source}')"
            try:
                loaded = load_inputs(step.model, sources, step.params, grid=grid,
                                     align=align or bool(step.replaced), nodata=step.nodata,
                                     resampling=step.resampling)
                with reuse.scope(_lever_free_key(step, keys, grid, align)):
                    produced = compute_in_memory(step.model, loaded)
            except InputError as err:
                raise relabelled(err, labels) from err
            values, names = step_indicators(step.name, step.model, produced)
            wanted = {o for s, o in needed if s == step.name}
            result = StepResult(values, names, {
                o: _handoff(step.model, o, produced[o], f"{step.name}-{key}")
                for o in wanted if o in produced})
            kept[key] = result
            while len(kept) > KEEP_PER_STEP:
                _forget(kept.popitem(last=False)[1])
        for output_id, value in result.handoff.items():
            handoff[step.name, output_id] = value
        indicators.update(result.indicators)
        units.update(result.units)
    return MemoryRun(indicators, units, reused)


def _lever_free_key(step: PlannedStep, keys: dict[str, str], grid: Any, align: bool) -> str:
    """The runner's cache key of ``step`` without its lever-group parameters."""
    from dataclasses import replace

    from ecociv.scenario.runner import _cache_key
    from ecociv.spec import ParamInput

    levers = {i.id for i in step.model.spec.inputs if isinstance(i, ParamInput) and i.lever_group}
    bare = replace(step, params={k: v for k, v in step.params.items() if k not in levers})
    return "levers-apart:" + _cache_key(bare, keys, grid, align)


def step_indicators(step: str, model: Model, produced: dict[str, Any]
                    ) -> tuple[dict[str, float], dict[str, str]]:
    """The indicators of one step's in-memory outputs, in the order a run folder's manifest
    lists them (rasters, then tables, each in the order of the spec)."""
    from ecociv.uncertainty.evaluate import table_indicators

    values: dict[str, float] = {}
    units: dict[str, str] = {}
    outputs = [o for o in model.spec.outputs if o.id in produced]
    for raster in [o for o in outputs if isinstance(o, RasterOutput)]:
        name = f"{step}.{raster.id}[mean]"
        values[name] = raster_mean(produced[raster.id], raster)
        units[name] = str(raster.units or "")
    for output in [o for o in outputs if isinstance(o, TableOutput)]:
        frame = _as_read(produced[output.id])
        col_units: dict[str, Any] = {c.id: c.units for c in output.columns}
        table_indicators(f"{step}.{output.id}", frame, col_units, values, units)
    return values, units


def raster_mean(value: Any, output: RasterOutput) -> float:
    """Mean of the valid cells of a raster output as written (cast to the output's type, NaN
    and the type's nodata value left out), as a run folder's GeoTIFF gives it."""
    from ecociv.grid.write import NODATA

    data = np.asarray(getattr(value, "values", value))
    stored = _stored(data, output.dtype)
    valid = stored != NODATA[output.dtype]
    count = int(np.count_nonzero(valid))
    if not count:
        return float("nan")
    # the sum numpy.ma takes of the masked float64 values: the same cells, in the same order
    return float(np.where(valid, stored, 0).astype("float64").sum() / count)


def _stored(data: np.ndarray, dtype: str) -> np.ndarray:
    """The values a GeoTIFF of type ``dtype`` holds for ``data`` (NaN as the nodata value)."""
    from ecociv.grid.write import NODATA

    if data.dtype.kind == "f":
        data = np.where(np.isnan(data), NODATA[dtype], data)
    return data.astype(dtype, copy=False)


#: cells pandas.read_csv reads as missing (its default ``na_values`` and the empty cell)
_NA = frozenset({"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
                 "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"})


def _as_read(frame: pd.DataFrame) -> pd.DataFrame:
    """A table with the column types a CSV reader would give it: text columns whose every
    value reads as a number become numbers, float32 columns hold the decimal text written."""
    columns: dict[str, Any] = {}
    for name in frame.columns:
        column = frame[name]
        if column.dtype == np.float32:
            column = column.astype(str).astype("float64")
        elif column.dtype == object:
            try:
                missing = column.isna() | column.isin(_NA)
            except TypeError:  # cells holding lists or mappings: text, as in the CSV
                columns[name] = column
                continue
            numbers = (None if _text(column, missing)
                       else pd.to_numeric(column.where(~missing), errors="coerce"))
            if (numbers is not None and int(numbers.notna().sum()) == int((~missing).sum())
                    and not column.map(type).eq(bool).any()):
                column = numbers
            elif missing.any():  # text with empty cells: those read as NaN
                column = column.where(~missing, np.nan)
        columns[name] = column
    out = pd.DataFrame(columns)
    out.columns = frame.columns
    return out.reset_index(drop=True)


def _text(column: pd.Series, missing: pd.Series) -> bool:
    """True when the first given cell of an object column is text that is no number (then the
    column reads as text; the full conversion is tried otherwise)."""
    given = column[~missing]
    if given.empty or not isinstance(given.iloc[0], str):
        return False
    try:
        float(given.iloc[0])
    except ValueError:
        return True
    return False


def _handoff(model: Model, output_id: str, value: Any, stem: str) -> Any:
    """An output as a later step receives it: a raster cast to its declared type with its
    nodata value (as the written GeoTIFF); a table written as the CSV the runner writes (read
    back by the same reader); other outputs as they are."""
    from ecociv.grid.write import NODATA
    from ecociv.io.table_files import write_table

    output = model.spec.output(output_id)
    if isinstance(output, RasterOutput):
        stored = _stored(np.asarray(value.values), output.dtype)
        return value.copy(data=stored).rio.write_nodata(NODATA[output.dtype])
    if isinstance(output, TableOutput):
        if not _scratch:
            _scratch.append(Path(tempfile.mkdtemp(prefix="ecociv-sample-")))
        path = _scratch[0] / f"{stem}-{output_id}.csv"
        return write_table(value, path)
    return value
