"""Answering reference rows from a run: a registry of evaluators by place kind, the run's outputs
(rasters, tables) and the verdict.

An evaluator is ``evaluate(row, run) -> Answer``: the model's value for the row as a pint quantity,
or no value and the reason it cannot answer. Built in:

- ``belt``, ``prefecture``, ``unit``, ``units``, ``basin``: raster statistics over the member units' polygons
  by the exact area-weighted zonal statistics of :mod:`ecociv.grid.zonal` (one pass over all units;
  sums add up, means are Σ value × area / Σ valid area, shares Σ nonzero area / Σ area), or table
  aggregates over the rows of the place;
- ``station``: the raster value in the cell at lon/lat (``point``);
- ``lake``: aggregates of table rows whose ``lake`` is the row's lake;
- ``gauge``: not comparable until a catchment evaluator is registered
  (``register("gauge")(function)`` in ``ecociv/check/gauges.py``, loaded when present);
- ``region``: not comparable (a place outside the model's region).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ecociv.check.outputs import OutputRef, match_column
from ecociv.check.places import AREA_KINDS, Places, lake_key
from ecociv.check.reference import ReferenceRow, output_unit, table_unit
from ecociv.errors import InputError
from ecociv.grid.spec import GridSpec
from ecociv.units import ureg

INSIDE, OUTSIDE, NOT_COMPARABLE = "inside", "outside", "not comparable"
#: modules that may register evaluators (e.g. the gauge evaluator); imported when present
EXTENSIONS = ("ecociv.check.gauges",)


@dataclass(frozen=True)
class Answer:
    """The model's value for a row (a pint quantity), or None and why not."""

    value: Any = None
    reason: str = ""


Evaluator = Callable[[ReferenceRow, "RunData"], Answer]
EVALUATORS: dict[str, Evaluator] = {}


def register(place_kind: str) -> Callable[[Evaluator], Evaluator]:
    """Decorator: make ``function(row, run) -> Answer`` the evaluator of ``place_kind`` rows
    (replacing the built-in one)."""

    def add(function: Evaluator) -> Evaluator:
        EVALUATORS[place_kind] = function
        return function

    return add


def evaluators() -> dict[str, Evaluator]:
    """The registry, with the evaluators of :data:`EXTENSIONS` that are installed."""
    for name in EXTENSIONS:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
    return EVALUATORS


@dataclass(frozen=True)
class Output:
    """An output of a run's step: type, file, units (a string, or per column for tables)."""

    step: str
    id: str
    type: str
    path: Path
    units: Any


class RunData:
    """A finished run folder: its manifest, grid, dataset places and outputs (read once).

    Parameters
    ----------
    folder : path
        ``<store>/runs/<run-id>``.
    places : Places
        The units, basins and lakes of the run's dataset.
    units : GeoDataFrame
        The member units with their polygons (``adcode``), in any CRS.
    """

    def __init__(self, folder: Path, places: Places, units: Any):
        self.folder = Path(folder)
        self.manifest = read_json(self.folder / "manifest.json", what="run manifest")
        self.grid = run_grid(self.manifest, self.folder)
        self.places = Places(units=places.units, lakes=places.lakes, grid=self.grid)
        self.units = units.to_crs(self.grid.crs)
        self._arrays: dict[str, np.ndarray] = {}
        self._tables: dict[str, pd.DataFrame] = {}
        self._wanted: set[str] = set()
        self._stats: pd.DataFrame | None = None

    def output(self, ref: OutputRef) -> Output | Answer:
        """The output a reference names: the step called ``ref.step``, else the first step that
        ran the model ``ref.step``; an :class:`Answer` with the reason when the run lacks it."""
        steps = self.manifest.get("steps") or []
        step = next((s for s in steps if s.get("name") == ref.step), None) \
            or next((s for s in steps if s.get("model") == ref.step), None)
        if step is None:
            return Answer(reason=f"the run has no {ref.step} step")
        name = str(step["name"])
        manifest = read_json(self.folder / name / "manifest.json", what="step manifest")
        entry = (manifest.get("outputs") or {}).get(ref.output)
        if entry is None:
            used = (manifest.get("inputs") or {}).get(ref.output)
            if used is not None and isinstance(used.get("path"), str):
                # a raster input as the step used it (e.g. the dataset's ET0 layer)
                from ecociv.registry import get_spec

                spec = get_spec(str(step.get("model")))
                units = next((getattr(i, "units", None) for i in spec.inputs if i.id == ref.output), None)
                return Output(step=name, id=ref.output, type="raster", path=Path(used["path"]), units=units)
            return Answer(reason=f"step {name} did not write {ref.output}")
        return Output(step=name, id=ref.output, type=str(entry.get("type")),
                      path=self.folder / name / str(entry["path"]), units=entry.get("units"))

    def array(self, out: Output) -> np.ndarray:
        """A raster output as a float array on the run's grid (NaN = nodata)."""
        key = f"{out.step}/{out.id}"
        if key not in self._arrays:
            self._arrays[key] = _read_band(out.path, self.grid)
        return self._arrays[key]

    def polygon_statistics(self, out: Output, geometries: list[Any], names: list[Any] | None = None) -> pd.DataFrame:
        """Exact area-weighted statistics of a raster output over polygons in the grid's CRS (e.g.
        a gauge's catchment): :func:`ecociv.grid.zonal.zonal_statistics` with the raster named
        ``value`` (columns ``area_m2``, ``value_sum_area`` in raster units × m², ``value_mean``,
        ``value_valid_area_m2``)."""
        from ecociv.grid.zonal import zonal_statistics

        return zonal_statistics({"value": self.array(out)}, geometries, self.grid, names=names)

    def table(self, out: Output) -> pd.DataFrame:
        """A table output (CSV or Parquet)."""
        key = f"{out.step}/{out.id}"
        if key not in self._tables:
            if out.path.suffix == ".parquet":
                self._tables[key] = pd.read_parquet(out.path)
            else:
                self._tables[key] = pd.read_csv(out.path, dtype={"unit": str, "zone": str},
                                                encoding="utf-8-sig")
        return self._tables[key]

    def want(self, out: Output, statistic: str) -> None:
        """Ask for a raster's zonal statistics (computed once for all wanted rasters)."""
        key = _stat_key(out, statistic)
        self._wanted.add(key)
        if self._stats is not None and key not in self._stats.attrs.get("keys", ()):
            self._stats = None

    def unit_statistics(self) -> pd.DataFrame:
        """Exact area-weighted zonal statistics of every wanted raster over every member unit,
        indexed by adcode (:func:`ecociv.grid.zonal.zonal_statistics`)."""
        if self._stats is None:
            from ecociv.grid.zonal import zonal_statistics

            rasters: dict[str, np.ndarray] = {}
            for key in sorted(self._wanted):
                step_output, _, kind = key.partition("#")
                array = self._arrays[step_output]
                if kind == "nonzero":
                    array = np.where(np.isnan(array), np.nan, (array != 0).astype(np.float64))
                rasters[key] = array
            stats = zonal_statistics(rasters, list(self.units.geometry), self.grid,
                                     names=list(self.units["adcode"].astype(str)))
            self._stats = stats.set_index("zone")
            self._stats.attrs["keys"] = tuple(sorted(self._wanted))
        return self._stats


def _read_band(path: Path, grid: GridSpec) -> np.ndarray:
    """Band 1 of a raster the run wrote on its grid, as float64 with NaN for nodata."""
    import rasterio

    try:
        with rasterio.open(path) as src:
            if (src.height, src.width) != (grid.rows, grid.cols):
                raise InputError(f"raster is {src.height}×{src.width} cells, the run's grid "
                                 f"{grid.rows}×{grid.cols}", source=str(path))
            band = src.read(1, masked=True)
    except rasterio.errors.RasterioIOError as err:
        raise InputError(f"cannot read the run's raster: {err}", source=str(path)) from err
    return np.ma.filled(band.astype(np.float64), np.nan)


def _stat_key(out: Output, statistic: str) -> str:
    return f"{out.step}/{out.id}" + ("#nonzero" if statistic == "share" else "")


def read_json(path: Path, *, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise InputError(f"not a run folder: {what} {path.name} is missing", source=str(path.parent)) \
            from err
    except (OSError, ValueError) as err:
        raise InputError(f"cannot read the {what}: {err}", source=str(path)) from err
    if not isinstance(data, dict):
        raise InputError(f"the {what} is not a JSON object", source=str(path))
    return data


def run_grid(manifest: dict[str, Any], folder: Path) -> GridSpec:
    """The grid a run's rasters are on, from its manifest."""
    from affine import Affine

    grid = manifest.get("grid") or {}
    try:
        return GridSpec.from_crs(grid["crs"], Affine(*[float(v) for v in grid["transform"][:6]]),
                                 (int(grid["shape"][0]), int(grid["shape"][1])))
    except (KeyError, TypeError, ValueError, IndexError) as err:
        raise InputError(f"run manifest has no usable grid ({err})", source=str(folder / "manifest.json")) \
            from err


# --- evaluators ------------------------------------------------------------------------------

def _raster_units(out: Output) -> str | None:
    return out.units if isinstance(out.units, str) or out.units is None else None


def _area_raster(row: ReferenceRow, run: RunData, out: Output, ref: OutputRef) -> Answer:
    members = run.places.members(row.place_kind, row.place)
    if not members:
        return Answer(reason=f"no member unit of the run's dataset is in {row.place_kind} {row.place}")
    if ref.statistic not in ("sum", "mean", "share"):
        return Answer(reason=f"statistic {ref.statistic} is not an area statistic")
    try:
        run.array(out)
    except InputError as err:
        return Answer(reason=err.detail)
    run.want(out, ref.statistic)
    stats = run.unit_statistics()
    members = [m for m in members if m in stats.index]
    if not members:
        return Answer(reason="the run's units table has none of the place's member units")
    part = stats.loc[members]
    key = _stat_key(out, ref.statistic)
    total = float(part[f"{key}_sum_area"].sum())
    valid = float(part[f"{key}_valid_area_m2"].sum())
    if valid <= 0:
        return Answer(reason=f"{out.step}.{out.id} has no valid cell in the place")
    unit = output_unit(_raster_units(out), ref.statistic)
    if ref.statistic == "sum":
        return Answer(total * unit)
    if ref.statistic == "mean":
        return Answer(total / valid * unit)
    return Answer(100.0 * total / float(part["area_m2"].sum()) * unit)


def _table_rows(row: ReferenceRow, run: RunData, frame: pd.DataFrame) -> pd.DataFrame | str:
    kind = row.place_kind
    if kind == "belt":
        return frame
    column = next((c for c in ("unit", "zone", "adcode") if c in frame.columns), None)
    if kind in ("unit", "units", "prefecture", "basin") and column is not None:
        # by member units: a table's own basin names may differ from the units table's
        codes = set(run.places.members(kind, row.place))
        return frame[frame[column].astype(str).isin(codes)]
    if kind == "basin":
        if "basin" not in frame.columns:
            return "the table has neither a 'unit' nor a 'basin' column"
        return frame[frame["basin"].astype(str) == row.place]
    if kind in ("unit", "units", "prefecture"):
        return "the table has no 'unit' column"
    if kind == "lake":
        if "lake" not in frame.columns:
            return "the table has no 'lake' column"
        return frame[frame["lake"].astype(str).map(lake_key) == lake_key(row.place)]
    return f"a table cannot answer a {kind} row"


def _table(row: ReferenceRow, run: RunData, out: Output, ref: OutputRef) -> Answer:
    frame = run.table(out)
    column = match_column(list(frame.columns), ref.table_column)
    if column is None:
        return Answer(reason=f"table {out.id} has no column {ref.table_column}")
    for key, value in ref.filters:
        if key not in frame.columns:
            return Answer(reason=f"table {out.id} has no column {key} to filter on")
        frame = frame[frame[key].astype(str) == value]
    rows = _table_rows(row, run, frame)
    if isinstance(rows, str):
        return Answer(reason=rows)
    values = pd.to_numeric(rows[column], errors="coerce")
    if values.notna().sum() == 0:
        return Answer(reason=f"no {column} value for {row.place} in table {out.id}")
    units = (out.units or {}).get(column) if isinstance(out.units, dict) else None
    aggregate = ref.table_aggregate
    unit = table_unit(units, aggregate)
    if aggregate == "annual":
        years = _years(rows)
        if years is None:
            return Answer(reason=f"table {out.id} has no 'year' or 'month' column for annual totals")
        per_year = values.groupby(years.to_numpy()).sum(min_count=1)
        return Answer(float(per_year.mean()) * unit)
    result = {"mean": values.mean, "min": values.min, "max": values.max, "sum": values.sum}[aggregate]()
    return Answer(float(result) * unit)


def _years(frame: pd.DataFrame) -> pd.Series | None:
    if "year" in frame.columns:
        return frame["year"].astype(str)
    if "month" in frame.columns:
        return frame["month"].astype(str).str[:4]
    return None


def _resolve(row: ReferenceRow, run: RunData) -> tuple[Output, OutputRef] | Answer:
    ref = row.output
    if ref is None:
        return Answer(reason="context only (no model output)")
    found = run.output(ref)
    return found if isinstance(found, Answer) else (found, ref)


def evaluate_area(row: ReferenceRow, run: RunData) -> Answer:
    """Belt, prefecture, unit or basin rows: zonal raster statistics or table aggregates."""
    found = _resolve(row, run)
    if isinstance(found, Answer):
        return found
    out, ref = found
    if out.type == "table":
        return _table(row, run, out, ref)
    if out.type == "raster":
        return _area_raster(row, run, out, ref)
    return Answer(reason=f"{out.id} is a {out.type} output")


def evaluate_point(row: ReferenceRow, run: RunData) -> Answer:
    """Station rows: the raster value in the cell at lon/lat (``point``)."""
    found = _resolve(row, run)
    if isinstance(found, Answer):
        return found
    out, ref = found
    if out.type != "raster" or ref.statistic != "point":
        return Answer(reason=f"a {row.place_kind} row is answered by a raster 'point' statistic")
    assert row.lon is not None and row.lat is not None
    cell = run.places.on_grid(row.lon, row.lat)
    if cell is None:
        return Answer(reason="the point is outside the run's grid")
    try:
        value = float(run.array(out)[cell])
    except InputError as err:
        return Answer(reason=err.detail)
    if math.isnan(value):
        return Answer(reason="nodata at the point")
    return Answer(value * output_unit(_raster_units(out), "point"))


def evaluate_lake(row: ReferenceRow, run: RunData) -> Answer:
    """Lake rows: aggregates of a table's rows for the lake."""
    found = _resolve(row, run)
    if isinstance(found, Answer):
        return found
    out, ref = found
    if out.type != "table":
        return Answer(reason="a lake row is answered by a table output")
    return _table(row, run, out, ref)


def no_catchment(row: ReferenceRow, run: RunData) -> Answer:
    """Gauge rows before a catchment evaluator is registered."""
    found = _resolve(row, run)
    if isinstance(found, Answer):
        return found
    return Answer(reason="no catchment evaluator")


def outside_region(row: ReferenceRow, run: RunData) -> Answer:
    """Region rows: places outside the model's region, kept as context."""
    return Answer(reason="place outside the model's region (context)")


for _kind in AREA_KINDS:
    register(_kind)(evaluate_area)
register("station")(evaluate_point)
register("lake")(evaluate_lake)
register("gauge")(no_catchment)
register("region")(outside_region)


@dataclass(frozen=True)
class Verdict:
    """A row, the model's value in the row's unit, the ratio and the verdict."""

    row: ReferenceRow
    model_value: float | None
    verdict: str
    reason: str = ""

    @property
    def ratio(self) -> float | None:
        if self.model_value is None or self.row.value == 0:
            return None
        return self.model_value / self.row.value


def judge(row: ReferenceRow, answer: Answer) -> Verdict:
    """Inside when low ≤ model ≤ high (in the row's unit), else outside; not comparable when
    there is no value or its unit does not convert."""
    if answer.value is None:
        return Verdict(row, None, NOT_COMPARABLE, answer.reason)
    quantity = answer.value if isinstance(answer.value, ureg.Quantity) else ureg.Quantity(answer.value)
    if not quantity.is_compatible_with(row.unit_quantity):
        return Verdict(row, None, NOT_COMPARABLE,
                       f"the model's unit {quantity.units:~P} does not convert to {row.unit}")
    value = row.magnitude(quantity)
    if not math.isfinite(value):
        return Verdict(row, None, NOT_COMPARABLE, "the model's value is not finite")
    verdict = INSIDE if row.low <= value <= row.high else OUTSIDE
    return Verdict(row, value, verdict, "")


def evaluate_rows(rows: list[ReferenceRow], run: RunData) -> list[Verdict]:
    """Each row's verdict, by the evaluator registered for its place kind."""
    registry = evaluators()
    # ask for every zonal raster first, so that the units' coverages are computed in one pass
    for row in rows:
        if row.place_kind in AREA_KINDS and row.output is not None \
                and registry.get(row.place_kind) is evaluate_area:
            found = run.output(row.output)
            if isinstance(found, Output) and found.type == "raster" \
                    and row.output.statistic in ("sum", "mean", "share"):
                try:
                    run.array(found)
                except InputError:
                    continue  # the row's evaluator says why
                run.want(found, row.output.statistic)
    verdicts = []
    for row in rows:
        evaluator = registry.get(row.place_kind)
        answer = evaluator(row, run) if evaluator else Answer(reason=f"no evaluator for {row.place_kind}")
        verdicts.append(judge(row, answer))
    return verdicts
