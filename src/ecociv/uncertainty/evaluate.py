"""One sample: the scenario with the sampled values, planned and checked by the scenario runner
(the code path of ``ecociv run``) and run in memory (:mod:`ecociv.uncertainty.memory_run`: steps no
sampled value reaches are reused from the worker's earlier samples, nothing is written), or run
into a store of the worker with the run's reported indicators read back from its files.

Indicators
----------
Every numeric cell of every table output with at most :data:`MAX_ROWS` rows, named
``step.output[row].column`` (row = the table's first text column, else the row number); for
longer tables the column totals, ``step.output[total].column``; and for every raster output the
mean of its valid cells, ``step.output[mean]``.
"""

from __future__ import annotations

import json
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecociv.uncertainty.targets import Target, apply_values

#: a table with more rows than this contributes its column totals only
MAX_ROWS = 60


@dataclass(frozen=True)
class Batch:
    """Samples given to one worker task (plain data: it travels to remote workers)."""

    scenario: dict[str, Any]
    base_dir: str
    targets: tuple[Target, ...]
    rows: list[tuple[int, list[float]]]
    workdir: str
    #: target key -> absolute path of the file a multiplier target scales
    input_files: dict[str, str]
    #: run each sample in memory (else into a run folder whose files are read back)
    in_memory: bool = True
    #: threads one sample's run may use on a worker (None: one)
    threads: int | None = None


@dataclass(frozen=True)
class Outcome:
    """Indicators of one sample (empty and ``error`` set when its run failed)."""

    index: int
    indicators: dict[str, float]
    units: dict[str, str]
    error: str | None = None
    seconds: float = 0.0
    #: CPU seconds of the worker process during the sample (all its threads)
    cpu_seconds: float = 0.0


def run_batch(batch: Batch) -> list[Outcome]:
    """Run every sample of ``batch`` in turn (on a worker). A failed sample gives an
    :class:`Outcome` with its error and does not stop the others."""
    import time

    from ecociv.errors import EcocivError

    label = _worker_label()
    if not label.startswith("local-"):  # on a dask worker: a thread budget per run
        from ecociv.execute.scheduling import limit_threads

        limit_threads(batch.threads or 1)
    store = Path(batch.workdir) / f"store-{label}"
    outcomes = []
    for index, values in batch.rows:
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            indicators, units = run_sample(batch, index, values, store)
            outcomes.append(Outcome(index, indicators, units, seconds=time.perf_counter() - t0,
                                    cpu_seconds=time.process_time() - c0))
        except (EcocivError, ValueError, OSError) as err:
            outcomes.append(Outcome(index, {}, {}, error=str(err).splitlines()[0],
                                    seconds=time.perf_counter() - t0,
                                    cpu_seconds=time.process_time() - c0))
    return outcomes


def _worker_label() -> str:
    try:
        from distributed import get_worker

        name = str(get_worker().name)
    except (ImportError, ValueError):
        name = "local"
    safe = "".join(c if c.isalnum() else "_" for c in name)
    return f"{safe}-{threading.get_ident()}"


def run_sample(batch: Batch, index: int, values: list[float],
               store_root: Path) -> tuple[dict[str, float], dict[str, str]]:
    """Run sample ``index`` and return its indicators and their units: in memory
    (``batch.in_memory``), else into ``store_root`` (the run folder is removed afterwards; steps
    reused from the store's cache are not recomputed). A scenario whose grid is another step's
    output is always run into the store."""
    from ecociv.scenario.runner import plan, run_scenario
    from ecociv.scenario.schema import STEP_REFERENCE, parse_scenario
    from ecociv.scenario.store import ResultsStore
    from ecociv.uncertainty.memory_run import run_in_memory
    from ecociv.uncertainty.multipliers import write_multiplied

    sample_dir = Path(batch.workdir) / "inputs" / f"sample-{index:06d}"
    replaced: dict[str, str] = {}
    for target, value in zip(batch.targets, values, strict=True):
        if target.kind != "input":
            continue
        key = target.path + (f"[{target.column}]" if target.column else "")
        source = Path(batch.input_files[key])
        suffix = ".csv" if target.column else ".tif"
        name = key.replace(".", "_").replace("[", "_").replace("]", "") + suffix
        replaced[key] = str(write_multiplied(source, value, sample_dir / name, column=target.column))
    data = apply_values(batch.scenario, batch.targets, values, replaced)
    data["scheduler"] = None
    scenario = parse_scenario(data, source=f"sample {index}")
    base_dir = Path(batch.base_dir)
    try:
        steps = plan(scenario, base_dir)
        reference = scenario.grid.reference or ""
        if batch.in_memory and not STEP_REFERENCE.match(reference.strip()):
            done = run_in_memory(scenario, base_dir, steps)
            return done.indicators, done.units
        result = run_scenario(scenario, base_dir=base_dir, store=ResultsStore(store_root),
                              steps=steps)
        try:
            return read_indicators(result.folder)
        finally:
            shutil.rmtree(result.folder, ignore_errors=True)
    finally:
        shutil.rmtree(sample_dir, ignore_errors=True)


def read_indicators(run_folder: Path) -> tuple[dict[str, float], dict[str, str]]:
    """The indicators of a completed run folder and their units (see the module docstring)."""
    import numpy as np
    import pandas as pd

    manifest = json.loads((run_folder / "manifest.json").read_text())
    values: dict[str, float] = {}
    units: dict[str, str] = {}
    for step in manifest["steps"]:
        step_dir = run_folder / step["name"]
        meta: dict[str, Any] = {}
        if (step_dir / "manifest.json").is_file():
            meta = json.loads((step_dir / "manifest.json").read_text()).get("outputs", {})
        for output_id, rel in step["outputs"].items():
            path = run_folder / rel
            label = f"{step['name']}.{output_id}"
            out_units = meta.get(output_id, {}).get("units")
            if path.suffix == ".csv":
                col_units = out_units if isinstance(out_units, dict) else {}
                table_indicators(label, pd.read_csv(path), col_units, values, units)
            elif path.suffix in (".tif", ".tiff"):
                import rasterio

                with rasterio.open(path) as src:
                    data = src.read(masked=True).astype("float64")
                name = f"{label}[mean]"
                values[name] = float(np.ma.mean(data)) if data.count() else float("nan")
                units[name] = str(out_units or "") if isinstance(out_units, str) else ""
    return values, units


def table_indicators(label: str, frame: Any, col_units: dict[str, Any],
                     values: dict[str, float], units: dict[str, str]) -> None:
    """Add the indicators of one table output named ``label`` (``step.output``) to ``values``
    and ``units`` (see the module docstring)."""
    import pandas as pd

    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
               and not pd.api.types.is_bool_dtype(frame[c])]
    text = [c for c in frame.columns if c not in numeric]
    first = frame.columns[0] if len(frame.columns) else None
    if (not text and first is not None and pd.api.types.is_integer_dtype(frame[first])
            and frame[first].is_unique):  # an id column names the rows
        text, numeric = [first], numeric[1:]
    if len(frame) <= MAX_ROWS:
        keys = (frame[text[0]].astype(str) if text
                else pd.Series(range(len(frame))).astype(str))
        if keys.duplicated().any() and len(text) > 1:
            keys = frame[text].astype(str).agg("/".join, axis=1)
        if keys.duplicated().any():
            keys = keys + "#" + pd.Series(range(len(frame))).astype(str)
        for column in numeric:
            for key, value in zip(keys, frame[column], strict=True):
                name = f"{label}[{key}].{column}"
                values[name] = float(value)
                units[name] = str(col_units.get(column, "") or "")
    else:
        for column in numeric:
            name = f"{label}[total].{column}"
            values[name] = float(frame[column].sum())
            units[name] = str(col_units.get(column, "") or "")
