"""Per-unit, per-prefecture and per-basin summaries of a run on a region dataset, by exact
(area-weighted) zonal statistics over the member units' polygons.

The columns come from the models: each registered model lists the :class:`~ecociv.spec.SummaryMeasure`
its step provides (a raster of the step — one of its outputs, or an input it actually used, so a
replaced dataset layer is summarised as it was run — or a table of values per zone). A run's steps
are found by the model they ran (the run manifest's ``steps``), whatever their names; when several
steps run the same model, the one named after the model (else the first) is summarised. Models
the run does not have add no columns.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ecociv.errors import InputError
from ecociv.grid.io import ReadNotes, open_raster
from ecociv.grid.zonal import zonal_statistics
from ecociv.io.table_files import write_table, write_workbook
from ecociv.region.dataset import Dataset
from ecociv.region.units import read_census, read_units_table
from ecociv.spec import SummaryMeasure
from ecociv.units import parse_unit

M2_TO_KM2 = 1e-6

#: columns that do not come from a model's measures
OTHER_COLUMNS = {
    "area_km2": "area of the unit on the grid (km²)",
    "population": "resident population, 2020 census (persons)",
    "population_units_missing": "member units without census data",
}


@dataclass(frozen=True)
class StepMeasure:
    """A model's summary measure bound to the step of a run that provides it."""

    measure: SummaryMeasure
    step: str
    manifest: Mapping[str, Any]

    @property
    def key(self) -> str:
        return f"{self.step}/{self.measure.source}"


def run_measures(run_folder: str | Path) -> list[StepMeasure]:
    """The summary measures of the models a run ran, in the order of its steps (of each model, the
    step named after it, else its first step), each with that step's manifest; steps whose folder
    or manifest is missing are left out."""
    from ecociv.registry import all_models

    run_folder = Path(run_folder)
    run_manifest = _read_manifest(run_folder / "manifest.json")
    models = all_models()
    found: list[StepMeasure] = []
    seen: set[str] = set()
    steps = (run_manifest or {}).get("steps", [])
    # a step named after its model first (a scenario's extra steps of a model, e.g. the red line of
    # the baseline map computed before a land simulation, carry other names)
    for step in sorted(steps, key=lambda s: str(s.get("name")) != str(s.get("model"))):
        model_id = str(step.get("model"))
        model = models.get(model_id)
        if model is None or model_id in seen:
            continue
        manifest = _read_manifest(run_folder / str(step["name"]) / "manifest.json")
        if manifest is None:
            continue
        seen.add(model_id)
        found += [StepMeasure(measure, str(step["name"]), manifest) for measure in model.summary]
    return found


def _read_manifest(path: Path) -> dict[str, Any] | None:
    return dict(json.loads(path.read_text())) if path.is_file() else None


def _source_path(run_folder: Path, item: StepMeasure) -> tuple[str, str | None] | None:
    where, _, name = item.measure.source.partition(":")
    if where == "input":
        entry = item.manifest.get("inputs", {}).get(name)
        return (entry["path"], None) if entry else None
    entry = item.manifest.get("outputs", {}).get(name)
    if entry is None:
        return None
    return str(run_folder / item.step / entry["path"]), entry.get("units")


def unit_summary(run_folder: str | Path, dataset: Dataset, *, units_table: str | Path | None = None,
                 boundaries: str | Path | None = None) -> pd.DataFrame:
    """One row per member unit with the summary columns of every model the run ran
    (:func:`run_measures`) and the 2020 census population.

    ``units_table`` and ``boundaries`` replace the dataset's member units (see
    :func:`ecociv.region.units.read_units_table`).
    """
    run_folder = Path(run_folder)
    grid = dataset.grid
    rasters: dict[str, Any] = {}
    measures: list[tuple[StepMeasure, str]] = []
    for item in run_measures(run_folder):
        measure = item.measure
        found = _source_path(run_folder, item)
        if found is None:
            continue
        path, units = found
        if measure.kind == "zone_total":
            measures.append((item, path))
            continue
        if units is not None and parse_unit(units) != parse_unit(measure.units):
            raise InputError(f"'{item.step}' output is in {units!r}; the summary expects "
                             f"{measure.units!r}", source=path)
        if item.key not in rasters:
            rasters[item.key] = open_raster(path, grid, name=item.key, units=measure.units, notes=ReadNotes())
        measures.append((item, item.key))
    units = read_units_table(units_table or dataset.layer("units_table").path,
                             boundaries or dataset.layer("units").source).to_crs(grid.crs)
    stats = zonal_statistics(_in_memory(rasters), list(units.geometry), grid,
                             names=list(units["adcode"]))
    frame = pd.DataFrame(units[["adcode", "name_zh", "name_en", "prefecture_adcode", "prefecture_zh",
                                "prefecture_en"]])
    frame["basin"] = units["basin"] if "basin" in units.columns else ""
    frame["area_km2"] = stats["area_m2"].to_numpy() * M2_TO_KM2
    for item, key in measures:
        measure = item.measure
        if measure.kind == "zone_total":
            table = pd.read_csv(key, dtype={"zone": str}).set_index("zone")[measure.column]
            frame[measure.column] = frame["adcode"].map(table).fillna(0.0).to_numpy() * measure.factor
        elif measure.kind == "mean":
            frame[measure.column] = stats[f"{key}_mean"].to_numpy() * measure.factor
            frame[f"_{measure.column}_valid_km2"] = stats[f"{key}_valid_area_m2"].to_numpy() * M2_TO_KM2
        else:
            frame[measure.column] = stats[f"{key}_sum_area"].to_numpy() * measure.factor
    census = read_census(dataset.layer("census_2020").path)
    return frame.merge(census[["adcode", "population_total"]].rename(
        columns={"population_total": "population"}), on="adcode", how="left")


#: most bytes of rasters :func:`unit_summary` reads into memory at once (above: window by window)
IN_MEMORY_BYTES = 1 << 30


def _in_memory(rasters: Mapping[str, Any]) -> dict[str, Any]:
    """``rasters`` (lazy DataArrays) read in one pass when together they fit in
    :data:`IN_MEMORY_BYTES` as float64: :func:`~ecociv.grid.zonal.zonal_statistics` reads each
    unit's window of each raster, a dask computation of its own when lazy (351 of them for the
    Belt's 39 units and 9 rasters, ~10 ms of scheduling each)."""
    import dask

    size = sum(int(np.prod(r.shape)) * 8 for r in rasters.values())
    if not rasters or size > IN_MEMORY_BYTES:
        return dict(rasters)
    values = dask.compute(*[r.data if isinstance(r, xr.DataArray) else r for r in rasters.values()])
    return {key: np.asarray(value) for key, value in zip(rasters, values, strict=True)}


def declared_measures() -> dict[str, SummaryMeasure]:
    """Every summary measure the registered models declare, by column."""
    from ecociv.registry import all_models

    return {measure.column: measure for model in all_models().values() for measure in model.summary}


def _aggregate(group: pd.DataFrame, declared: Mapping[str, SummaryMeasure]) -> dict[str, Any]:
    """Sums of areas, totals and people; means weighted by each unit's valid area."""
    row: dict[str, Any] = {"units": len(group), "area_km2": group["area_km2"].sum()}
    for column in group.columns:
        measure = declared.get(str(column))
        if measure is None:
            continue
        if measure.kind != "mean":
            row[column] = group[column].sum()
            if measure.share_column:
                row[measure.share_column] = 100.0 * row[column] / row["area_km2"] if row["area_km2"] else np.nan
            continue
        weights = group[f"_{column}_valid_km2"]
        values = group[column]
        valid = (weights > 0) & values.notna()
        row[column] = float(np.average(values[valid], weights=weights[valid])) if valid.any() else np.nan
    row["population"] = group["population"].sum(min_count=1)
    row["population_units_missing"] = int(group["population"].isna().sum())
    return row


def aggregate_units(units: pd.DataFrame, keys: list[str], total: dict[str, str]) -> pd.DataFrame:
    """Units grouped by ``keys`` (sums of totals and people; area-weighted means), with a final
    row for the whole region whose key columns are given by ``total``."""
    declared = declared_measures()
    rows = [{**dict(zip(keys, values, strict=True)), **_aggregate(group, declared)}
            for values, group in units.groupby(keys, sort=True, dropna=False)]
    rows.append({**total, **_aggregate(units, declared)})
    return pd.DataFrame(rows)


def prefecture_summary(units: pd.DataFrame) -> pd.DataFrame:
    """Units aggregated to prefectures, with a last row ``prefecture_adcode`` = ``total``."""
    return aggregate_units(units, ["prefecture_adcode", "prefecture_zh", "prefecture_en"],
                           {"prefecture_adcode": "total", "prefecture_zh": "合计", "prefecture_en": "Belt total"})


def basin_summary(units: pd.DataFrame) -> pd.DataFrame:
    """Units aggregated by the ``basin`` each is assigned to in the units table (a county's main
    basin: the union of its member units' polygons, not a hydrological divide), last row
    ``total``."""
    return aggregate_units(units, ["basin"], {"basin": "total"})


def write_summaries(run_folder: str | Path, dataset: Dataset, **options: Any) -> Mapping[str, Path]:
    """Write ``summary/units.csv``, ``prefectures.csv``, ``basins.csv`` and ``columns.json`` (what
    each column holds, with units) into the run folder, and the same tables as the sheets of
    ``summary/summary.xlsx`` (with a ``columns`` sheet); the CSVs carry a byte-order mark so that
    Excel shows their Chinese names."""
    folder = Path(run_folder) / "summary"
    folder.mkdir(exist_ok=True)
    units = unit_summary(run_folder, dataset, **options)
    present = [m for m in declared_measures().values() if m.column in units.columns]
    shares = [m for m in present if m.share_column]
    for measure in shares:
        units[measure.share_column] = 100.0 * units[measure.column] / units["area_km2"]
    paths = {"units": folder / "units.csv", "prefectures": folder / "prefectures.csv",
             "basins": folder / "basins.csv"}
    tables = {"units": units[[c for c in units.columns if not c.startswith("_")]],
              "prefectures": prefecture_summary(units), "basins": basin_summary(units)}
    for name, table in tables.items():
        write_table(table, paths[name])
    present.sort(key=lambda m: list(units.columns).index(m.column))
    described = {m.column: m.description for m in present if m.kind != "zone_total"}
    described["area_km2"] = OTHER_COLUMNS["area_km2"]
    described.update({str(m.share_column): m.share_description for m in shares})
    described.update({m.column: m.description for m in present if m.kind == "zone_total"})
    described.update({k: v for k, v in OTHER_COLUMNS.items() if k in units.columns and k != "area_km2"})
    (folder / "columns.json").write_text(json.dumps(described, indent=2, ensure_ascii=False))
    columns = pd.DataFrame({"column": list(described), "description": list(described.values())})
    paths["workbook"] = write_workbook({**tables, "columns": columns}, folder / "summary.xlsx")
    return paths
