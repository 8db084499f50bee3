"""Per-unit, per-prefecture and per-basin summaries of a run on a region dataset, by exact
(area-weighted) zonal statistics over the member units' polygons.

Each summary column is a :class:`Measure`: a raster of a step (one of its outputs, or an input it
actually used, so a replaced dataset layer is summarised as it was run), its expected units, and
whether the column is an area-weighted mean or a total (Σ value × covered area × factor). Steps a
run does not have are left out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ecociv.errors import InputError
from ecociv.grid.io import ReadNotes, open_raster
from ecociv.grid.zonal import zonal_statistics
from ecociv.io.table_files import write_table, write_workbook
from ecociv.region.dataset import Dataset
from ecociv.region.units import read_census, read_units_table
from ecociv.units import parse_unit

# unit conversions of the totals: Σ value × area (m²) × factor
MM_M2_TO_1E8_M3 = 1e-3 / 1e8  # mm × m² = 10⁻³ m³; 10⁸ m³ (亿立方米) is the unit of water statistics
T_PER_HA_M2_TO_MT = 1e-4 / 1e6  # t/ha × m² = 10⁻⁴ t; 1 Mt = 10⁶ t
T_PER_KM2_M2_TO_MT = 1e-6 / 1e6  # t/km² × m² = 10⁻⁶ t
M2_TO_KM2 = 1e-6


@dataclass(frozen=True)
class Measure:
    """One summary column computed from a raster of a run step."""

    column: str
    step: str
    raster: str  # "output:<id>" or "input:<id>"
    units: str  # units the raster must have
    kind: Literal["mean", "total"]
    factor: float
    description: str


MEASURES: tuple[Measure, ...] = (
    Measure("precipitation_mm", "water_yield", "input:precipitation", "mm/yr", "mean", 1.0,
            "mean annual precipitation (mm/yr), area-weighted"),
    Measure("precipitation_1e8m3", "water_yield", "input:precipitation", "mm/yr", "total", MM_M2_TO_1E8_M3,
            "precipitation volume (10⁸ m³/yr)"),
    Measure("et0_mm", "water_yield", "input:et0", "mm/yr", "mean", 1.0,
            "mean annual reference evapotranspiration (mm/yr), area-weighted"),
    Measure("water_yield_mm", "water_yield", "output:water_yield", "mm/yr", "mean", 1.0,
            "mean annual water yield (mm/yr), area-weighted"),
    Measure("water_yield_1e8m3", "water_yield", "output:water_yield", "mm/yr", "total", MM_M2_TO_1E8_M3,
            "water yield volume (10⁸ m³/yr)"),
    Measure("carbon_mt", "carbon", "output:carbon_density", "t/ha", "total", T_PER_HA_M2_TO_MT,
            "carbon stock, four pools (Mt C)"),
    Measure("water_conservation_1e8m3", "water_conservation", "output:water_conservation", "mm/yr", "total",
            MM_M2_TO_1E8_M3, "water conservation (10⁸ m³/yr)"),
    Measure("soil_conservation_mt", "soil_conservation", "output:soil_conservation", "t/ha/yr", "total",
            T_PER_HA_M2_TO_MT, "soil conservation (Mt/yr)"),
    Measure("sand_fixation_mt", "sand_fixation", "output:sand_fixation", "t/km**2/yr", "total",
            T_PER_KM2_M2_TO_MT, "sand fixation (Mt/yr)"),
    Measure("habitat_quality_mean", "habitat_quality", "output:quality", "", "mean", 1.0,
            "mean habitat quality (0-1), area-weighted"),
    Measure("redline_km2", "ecological_redline", "output:redline", "", "total", M2_TO_KM2,
            "area inside the ecological protection red line (km²)"),
)

#: columns that do not come from a raster measure
OTHER_COLUMNS = {
    "area_km2": "area of the unit on the grid (km²)",
    "redline_percent": "share of the unit inside the red line (%)",
    "corridor_length_km": "length of ecological corridors (km)",
    "population": "resident population, 2020 census (persons)",
    "population_units_missing": "member units without census data",
}


def _step_manifest(run_folder: Path, step: str) -> dict[str, Any] | None:
    path = run_folder / step / "manifest.json"
    return dict(json.loads(path.read_text())) if path.is_file() else None


def _raster_path(run_folder: Path, measure: Measure, manifest: Mapping[str, Any]) -> tuple[str, str | None] | None:
    where, _, name = measure.raster.partition(":")
    if where == "input":
        entry = manifest.get("inputs", {}).get(name)
        return (entry["path"], None) if entry else None
    entry = manifest.get("outputs", {}).get(name)
    if entry is None:
        return None
    return str(run_folder / measure.step / entry["path"]), entry.get("units")


def unit_summary(run_folder: str | Path, dataset: Dataset, *, units_table: str | Path | None = None,
                 boundaries: str | Path | None = None) -> pd.DataFrame:
    """One row per member unit with every :data:`MEASURES` column the run has, the corridor length
    (from the security-pattern step's table) and the 2020 census population.

    ``units_table`` and ``boundaries`` replace the dataset's member units (see
    :func:`ecociv.region.units.read_units_table`).
    """
    run_folder = Path(run_folder)
    grid = dataset.grid
    rasters: dict[str, Any] = {}
    measures = []
    for measure in MEASURES:
        manifest = _step_manifest(run_folder, measure.step)
        found = _raster_path(run_folder, measure, manifest) if manifest else None
        if found is None:
            continue
        path, units = found
        if units is not None and parse_unit(units) != parse_unit(measure.units):
            raise InputError(f"'{measure.step}' output is in {units!r}; the summary expects "
                             f"{measure.units!r}", source=path)
        key = f"{measure.step}/{measure.raster}"
        if key not in rasters:
            rasters[key] = open_raster(path, grid, name=key, units=measure.units, notes=ReadNotes())
        measures.append((measure, key))
    units = read_units_table(units_table or dataset.layer("units_table").path,
                             boundaries or dataset.layer("units").source).to_crs(grid.crs)
    stats = zonal_statistics(rasters, list(units.geometry), grid, names=list(units["adcode"]))
    frame = pd.DataFrame(units[["adcode", "name_zh", "name_en", "prefecture_adcode", "prefecture_zh",
                                "prefecture_en"]])
    frame["basin"] = units["basin"] if "basin" in units.columns else ""
    frame["area_km2"] = stats["area_m2"].to_numpy() * M2_TO_KM2
    for measure, key in measures:
        if measure.kind == "mean":
            frame[measure.column] = stats[f"{key}_mean"].to_numpy() * measure.factor
            frame[f"_{measure.column}_valid_km2"] = stats[f"{key}_valid_area_m2"].to_numpy() * M2_TO_KM2
        else:
            frame[measure.column] = stats[f"{key}_sum_area"].to_numpy() * measure.factor
    corridors = run_folder / "ecological_security_pattern" / "corridor_length_by_zone.csv"
    if corridors.is_file():
        lengths = pd.read_csv(corridors, dtype={"zone": str}).set_index("zone")["corridor_length_km"]
        frame["corridor_length_km"] = frame["adcode"].map(lengths).fillna(0.0).to_numpy()
    census = read_census(dataset.layer("census_2020").path)
    return frame.merge(census[["adcode", "population_total"]].rename(
        columns={"population_total": "population"}), on="adcode", how="left")


def _aggregate(group: pd.DataFrame) -> dict[str, Any]:
    """Sums of areas, totals and people; means weighted by each unit's valid area."""
    row: dict[str, Any] = {"units": len(group), "area_km2": group["area_km2"].sum()}
    for measure in MEASURES:
        if measure.column not in group.columns:
            continue
        if measure.kind == "total":
            row[measure.column] = group[measure.column].sum()
            continue
        weights = group[f"_{measure.column}_valid_km2"]
        values = group[measure.column]
        valid = (weights > 0) & values.notna()
        row[measure.column] = float(np.average(values[valid], weights=weights[valid])) if valid.any() else np.nan
    if "redline_km2" in row:
        row["redline_percent"] = 100.0 * row["redline_km2"] / row["area_km2"] if row["area_km2"] else np.nan
    if "corridor_length_km" in group.columns:
        row["corridor_length_km"] = group["corridor_length_km"].sum()
    row["population"] = group["population"].sum(min_count=1)
    row["population_units_missing"] = int(group["population"].isna().sum())
    return row


def aggregate_units(units: pd.DataFrame, keys: list[str], total: dict[str, str]) -> pd.DataFrame:
    """Units grouped by ``keys`` (sums of totals and people; area-weighted means), with a final
    row for the whole region whose key columns are given by ``total``."""
    rows = [{**dict(zip(keys, values, strict=True)), **_aggregate(group)}
            for values, group in units.groupby(keys, sort=True, dropna=False)]
    rows.append({**total, **_aggregate(units)})
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
    if "redline_km2" in units.columns:
        units["redline_percent"] = 100.0 * units["redline_km2"] / units["area_km2"]
    paths = {"units": folder / "units.csv", "prefectures": folder / "prefectures.csv",
             "basins": folder / "basins.csv"}
    tables = {"units": units[[c for c in units.columns if not c.startswith("_")]],
              "prefectures": prefecture_summary(units), "basins": basin_summary(units)}
    for name, table in tables.items():
        write_table(table, paths[name])
    described = {m.column: m.description for m in MEASURES if m.column in units.columns}
    described.update({k: v for k, v in OTHER_COLUMNS.items() if k in units.columns})
    (folder / "columns.json").write_text(json.dumps(described, indent=2, ensure_ascii=False))
    columns = pd.DataFrame({"column": list(described), "description": list(described.values())})
    paths["workbook"] = write_workbook({**tables, "columns": columns}, folder / "summary.xlsx")
    return paths
