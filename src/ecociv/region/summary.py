"""Per-unit and per-prefecture summaries of a run on a region dataset, by exact (area-weighted)
zonal statistics over the member units' polygons."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ecociv.errors import InputError
from ecociv.grid.io import ReadNotes, open_raster
from ecociv.grid.zonal import zonal_statistics
from ecociv.region.dataset import Dataset
from ecociv.region.units import read_census, read_units_table

#: m³ in 10⁸ m³ (亿立方米), the unit of Chinese water statistics
M3_PER_1E8_M3 = 1e8
MM_PER_M = 1000.0
M2_PER_HA = 1e4
T_PER_MT = 1e6

#: the summary columns and what they hold
COLUMNS = {
    "precipitation_mm": "mean annual precipitation (mm/yr), area-weighted",
    "precipitation_1e8m3": "precipitation volume (10⁸ m³/yr)",
    "et0_mm": "mean annual reference evapotranspiration (mm/yr), area-weighted",
    "water_yield_mm": "mean annual water yield (mm/yr), area-weighted",
    "water_yield_1e8m3": "water yield volume (10⁸ m³/yr)",
    "carbon_mt": "carbon stock, four pools (Mt C)",
    "population": "resident population, 2020 census (persons)",
    "area_km2": "area of the unit on the grid (km²)",
}


def _raster(path: str, grid: Any, name: str, units: str) -> Any:
    return open_raster(path, grid, name=name, units=units, notes=ReadNotes())


def _step_manifest(run_folder: Path, step: str) -> dict[str, Any]:
    path = run_folder / step / "manifest.json"
    if not path.is_file():
        raise InputError(f"run has no step '{step}'", source=str(run_folder))
    return dict(json.loads(path.read_text()))


def unit_summary(run_folder: str | Path, dataset: Dataset, *, water_step: str = "water_yield",
                 carbon_step: str = "carbon", units_table: str | Path | None = None,
                 boundaries: str | Path | None = None) -> pd.DataFrame:
    """One row per member unit: precipitation, ET0, water yield, carbon and population.

    Precipitation and ET0 are the rasters the water-yield step actually used (its manifest), so a
    replaced layer is summarised as it was run. ``units_table`` and ``boundaries`` replace the
    dataset's member units (see :func:`ecociv.region.units.read_units_table`).
    """
    run_folder = Path(run_folder)
    water = _step_manifest(run_folder, water_step)
    carbon = _step_manifest(run_folder, carbon_step)
    grid = dataset.grid
    rasters = {
        "precipitation": _raster(water["inputs"]["precipitation"]["path"], grid, "precipitation", "mm/yr"),
        "et0": _raster(water["inputs"]["et0"]["path"], grid, "et0", "mm/yr"),
        "water_yield": _raster(str(run_folder / water_step / water["outputs"]["water_yield"]["path"]),
                               grid, "water_yield", "mm/yr"),
        "carbon": _raster(str(run_folder / carbon_step / carbon["outputs"]["carbon_density"]["path"]),
                          grid, "carbon", "t/ha"),
    }
    units = read_units_table(units_table or dataset.layer("units_table").path,
                             boundaries or dataset.layer("units").source).to_crs(grid.crs)
    stats = zonal_statistics(rasters, list(units.geometry), grid, names=list(units["adcode"]))
    frame = pd.DataFrame(units[["adcode", "name_zh", "name_en", "prefecture_adcode", "prefecture_zh",
                                "prefecture_en"]])
    frame["basin"] = units["basin"] if "basin" in units.columns else ""
    frame["area_km2"] = stats["area_m2"].to_numpy() / 1e6
    frame["precipitation_mm"] = stats["precipitation_mean"].to_numpy()
    frame["precipitation_1e8m3"] = stats["precipitation_sum_area"].to_numpy() / MM_PER_M / M3_PER_1E8_M3
    frame["et0_mm"] = stats["et0_mean"].to_numpy()
    frame["water_yield_mm"] = stats["water_yield_mean"].to_numpy()
    frame["water_yield_1e8m3"] = stats["water_yield_sum_area"].to_numpy() / MM_PER_M / M3_PER_1E8_M3
    frame["carbon_mt"] = stats["carbon_sum_area"].to_numpy() / M2_PER_HA / T_PER_MT
    census = read_census(dataset.layer("census_2020").path)
    frame = frame.merge(census[["adcode", "population_total"]].rename(
        columns={"population_total": "population"}), on="adcode", how="left")
    for name in ("precipitation", "et0", "water_yield"):
        frame[f"_{name}_valid_km2"] = stats[f"{name}_valid_area_m2"].to_numpy() / 1e6
    return frame


def _aggregate(group: pd.DataFrame) -> dict[str, Any]:
    """Sums of areas, volumes, stocks and people; means weighted by each unit's valid area."""
    row: dict[str, Any] = {
        "units": len(group),
        "area_km2": group["area_km2"].sum(),
        "precipitation_1e8m3": group["precipitation_1e8m3"].sum(),
        "water_yield_1e8m3": group["water_yield_1e8m3"].sum(),
        "carbon_mt": group["carbon_mt"].sum(),
        "population": group["population"].sum(min_count=1),
        "population_units_missing": int(group["population"].isna().sum()),
    }
    for name in ("precipitation", "et0", "water_yield"):
        weights = group[f"_{name}_valid_km2"]
        values = group[f"{name}_mm"]
        valid = weights > 0
        row[f"{name}_mm"] = float(np.average(values[valid], weights=weights[valid])) if valid.any() else np.nan
    return row


_MEASURES = ["units", "area_km2", "precipitation_mm", "precipitation_1e8m3", "et0_mm", "water_yield_mm",
             "water_yield_1e8m3", "carbon_mt", "population", "population_units_missing"]


def aggregate_units(units: pd.DataFrame, keys: list[str], total: dict[str, str]) -> pd.DataFrame:
    """Units grouped by ``keys`` (sums of volumes, stocks and people; area-weighted means), with a
    final row for the whole region whose key columns are given by ``total``."""
    rows = []
    for values, group in units.groupby(keys, sort=True, dropna=False):
        rows.append({**dict(zip(keys, values, strict=True)), **_aggregate(group)})
    rows.append({**total, **_aggregate(units)})
    return pd.DataFrame(rows)[[*keys, *_MEASURES]]


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
    """Write ``summary/units.csv``, ``prefectures.csv`` and ``basins.csv`` into the run folder."""
    folder = Path(run_folder) / "summary"
    folder.mkdir(exist_ok=True)
    units = unit_summary(run_folder, dataset, **options)
    prefectures = prefecture_summary(units)
    paths = {"units": folder / "units.csv", "prefectures": folder / "prefectures.csv",
             "basins": folder / "basins.csv"}
    units[[c for c in units.columns if not c.startswith("_")]].to_csv(paths["units"], index=False)
    prefectures.to_csv(paths["prefectures"], index=False)
    basin_summary(units).to_csv(paths["basins"], index=False)
    (folder / "columns.json").write_text(json.dumps(COLUMNS, indent=2, ensure_ascii=False))
    return paths
