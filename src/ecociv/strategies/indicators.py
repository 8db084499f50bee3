"""Headline indicators of one run, as a long table: one row per level (unit, prefecture, basin,
Belt), area and indicator.

Sources, all written by the run itself: the per-unit, prefecture and basin summary tables
(``summary/*.csv``, exact zonal statistics of the raster outputs: water yield, carbon, water and
soil conservation, sand fixation, habitat quality, red line ...) and the tables of the models the
run ran, found by model id in the run manifest (water delivered and shortage, groundwater
overdraft, ecological water and terminal-lake inflow per basin; mean lake area; land-use areas;
urban boundary and basic farmland; CO2 and pollutants in the last year; value added; water and CO2
embodied in trade; ecosystem-service value; assessment scores). Values are copied, or summed
over areas for the Belt, never rescaled.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from ecociv.errors import InputError

COLUMNS = ["level", "area", "area_name", "indicator", "units", "value"]
BELT = "Belt"

#: summary columns that are identifiers or bookkeeping, not indicators
_SUMMARY_SKIP = {"adcode", "name_zh", "name_en", "prefecture_adcode", "prefecture_zh",
                 "prefecture_en", "basin", "units", "population_units_missing", "area_km2"}

#: water_allocation basin_summary columns (sector 'all') -> indicator
_WATER = {"supply_1e8m3_per_yr": "water_delivered", "shortage_1e8m3_per_yr": "water_shortage",
          "demand_1e8m3_per_yr": "water_demand",
          "groundwater_overdraft_1e8m3_per_yr": "groundwater_overdraft",
          "ecological_water_1e8m3_per_yr": "ecological_water",
          "terminal_lake_inflow_1e8m3_per_yr": "terminal_lake_inflow"}
_WATER_UNITS = "10^8 m3/yr"


def _rows(level: str, area: str, name: str, values: dict[str, float], units: str) -> list[dict[str, Any]]:
    return [{"level": level, "area": area, "area_name": name, "indicator": k, "units": units,
             "value": float(v)} for k, v in values.items() if pd.notna(v)]


def step_folders(run_folder: Path, manifest: dict[str, Any]) -> dict[str, Path]:
    """The folder of each model the run ran, by model id: the step named after the model, else
    its first step (extra steps of a model, e.g. a baseline red line, carry other names)."""
    found: dict[str, Path] = {}
    steps = manifest.get("steps", [])
    for step in sorted(steps, key=lambda s: str(s.get("name")) != str(s.get("model"))):
        found.setdefault(str(step.get("model")), run_folder / str(step["name"]))
    return found


def _read(path: Path) -> pd.DataFrame | None:
    return pd.read_csv(path, encoding="utf-8-sig", dtype={"zone": str, "unit": str, "adcode": str,
                                                           "prefecture_adcode": str}) if path.is_file() else None


def _summary_units(folder: Path) -> dict[str, str]:
    """Units of the summary columns: the last parenthesised part of each description in
    ``summary/columns.json`` (e.g. 'water yield volume (10⁸ m³/yr)' -> '10⁸ m³/yr')."""
    path = folder / "columns.json"
    if not path.is_file():
        return {}
    found: dict[str, str] = {}
    for column, text in json.loads(path.read_text(encoding="utf-8")).items():
        text = str(text)
        if ")" in text and "(" in text:
            found[column] = text[text.rindex("(", 0, text.rindex(")")) + 1:text.rindex(")")]
    return found


def _summary_rows(run_folder: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    folder = run_folder / "summary"
    units_of = _summary_units(folder)
    units = _read(folder / "units.csv")
    prefectures = _read(folder / "prefectures.csv")
    basins = _read(folder / "basins.csv")
    for table, level, key, name in ((units, "unit", "adcode", "name_en"),
                                    (prefectures, "prefecture", "prefecture_adcode", "prefecture_en"),
                                    (basins, "basin", "basin", "basin")):
        if table is None:
            continue
        columns = [c for c in table.columns if c not in _SUMMARY_SKIP and not c.startswith("_")
                   and c != "population" and pd.api.types.is_numeric_dtype(table[c])]
        for _, row in table.iterrows():
            area = str(row[key])
            if area == "total" and level != "prefecture":
                continue
            where = ("belt", BELT, BELT) if area == "total" else (level, area, str(row[name]))
            for column in columns:
                rows += _rows(*where, {column: row[column]}, units_of.get(column, ""))
    return rows


def _water_rows(folder: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    summary = _read(folder / "basin_summary.csv")
    if summary is not None:
        total = summary[summary["sector"] == "all"]
        for _, row in total.iterrows():
            rows += _rows("basin", str(row["basin"]), str(row["basin"]),
                          {v: row[k] for k, v in _WATER.items() if k in row}, _WATER_UNITS)
        sums = {v: total[k].sum(min_count=1) for k, v in _WATER.items() if k in total}
        rows += _rows("belt", BELT, BELT, sums, _WATER_UNITS)
    lakes = _read(folder / "lakes.csv")
    if lakes is not None and {"lake", "area_km2"} <= set(lakes.columns):
        means = lakes.groupby("lake")["area_km2"].mean()
        rows += _rows("belt", BELT, BELT, {f"{lake}_area_mean": a for lake, a in means.items()}, "km2")
    return rows


def _last_year(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["year"] == table["year"].max()]


def _emission_rows(folder: Path) -> list[dict[str, Any]]:
    table = _read(folder / "emissions_by_unit.csv")
    if table is None:
        return []
    last = _last_year(table)
    columns = [c for c in last.columns if c.endswith("_t") and last[c].abs().sum() > 0]
    year = int(last["year"].iloc[0]) if len(last) else 0
    rows: list[dict[str, Any]] = []
    for _, row in last.iterrows():
        rows += _rows("unit", str(row["unit"]), str(row["unit"]),
                      {f"{c[:-2]}_emission": row[c] for c in columns}, f"t/yr ({year})")
    rows += _rows("belt", BELT, BELT, {f"{c[:-2]}_emission": last[c].sum() for c in columns}, f"t/yr ({year})")
    return rows


def _control_rows(folder: Path) -> list[dict[str, Any]]:
    table = _read(folder / "residual_emissions.csv")
    if table is None:
        return []
    last = _last_year(table)
    year = int(last["year"].iloc[0]) if len(last) else 0
    sums = last.groupby("pollutant")[["residual_t", "cost_yuan"]].sum()
    values = {f"{p.lower().replace('-', '_')}_after_control": r["residual_t"] for p, r in sums.iterrows()}
    rows = _rows("belt", BELT, BELT, values, f"t/yr ({year})")
    rows += _rows("belt", BELT, BELT, {"control_cost": sums["cost_yuan"].sum()}, f"yuan/yr ({year})")
    return rows


def _industry_rows(folder: Path) -> list[dict[str, Any]]:
    table = _read(folder / "structure.csv")
    if table is None:
        return []
    last = _last_year(table)
    year = int(last["year"].iloc[0]) if len(last) else 0
    units = f"10^8 yuan ({year})"
    rows: list[dict[str, Any]] = []
    for unit, group in last.groupby("unit"):
        rows += _rows("unit", str(unit), str(unit), {"value_added": group["value_added"].sum()}, units)
    rows += _rows("belt", BELT, BELT, {"value_added": last["value_added"].sum()}, units)
    return rows


def _trade_rows(folder: Path) -> list[dict[str, Any]]:
    table = _read(folder / "embodied_balance.csv")
    if table is None:
        return []
    rows: list[dict[str, Any]] = []
    for _, row in table.iterrows():
        rows += _rows("belt", BELT, BELT, {f"embodied_{row['extension']}_net_export": row["net_export"]},
                      str(row["units"]))
    return rows


def _land_rows(folder: Path) -> list[dict[str, Any]]:
    table = _read(folder / "area_by_class.csv")
    if table is None:
        return []
    last = _last_year(table)
    year = int(last["year"].iloc[0]) if len(last) else 0
    belt = last[last["zone"] == "all"] if (last["zone"] == "all").any() else \
        last.groupby(["lucode", "name"], as_index=False)["area_km2"].sum()
    return _rows("belt", BELT, BELT, {f"land_{n}": a for n, a in zip(belt["name"], belt["area_km2"],
                                                                      strict=True)}, f"km2 ({year})")


def _planning_rows(folder: Path) -> list[dict[str, Any]]:
    table = _read(folder / "planning_by_zone.csv")
    if table is None:
        return []
    columns = [c for c in ("urban_boundary_km2", "basic_farmland_km2", "built_up_growth_km2")
               if c in table.columns]
    rows: list[dict[str, Any]] = []
    for _, row in table.iterrows():
        rows += _rows("unit", str(row["zone"]), str(row["zone"]), {c[:-4]: row[c] for c in columns}, "km2")
    rows += _rows("belt", BELT, BELT, {c[:-4]: table[c].sum() for c in columns}, "km2")
    return rows


def _esv_rows(folder: Path) -> list[dict[str, Any]]:
    table = _read(folder / "esv_by_unit.csv")
    if table is None:
        return []
    column = "esv_scenario_yuan" if "esv_scenario_yuan" in table.columns else "esv_yuan"
    table = table[table["unit"].notna()]
    rows: list[dict[str, Any]] = []
    for _, row in table.iterrows():
        rows += _rows("unit", str(row["unit"]), str(row["unit"]), {"esv": row[column]}, "yuan/yr")
    rows += _rows("belt", BELT, BELT, {"esv": table[column].sum(min_count=1)}, "yuan/yr")
    return rows


def _assessment_rows(folder: Path) -> list[dict[str, Any]]:
    table = _read(folder / "scores.csv")
    if table is None:
        return []
    rows: list[dict[str, Any]] = []
    for _, row in table.iterrows():
        rows += _rows("unit", str(row["unit"]), str(row["unit"]), {"assessment_score": row["score"]}, "")
    rows += _rows("belt", BELT, BELT, {"assessment_score_mean": table["score"].mean()}, "")
    return rows


def market_rows(folder: Path) -> list[dict[str, Any]]:
    """A rights market step's ``clearing.csv``: per market and zone group (the water market's are
    basins) the clearing price, the volume traded and the saving against command and control; for
    the Belt the volume and saving summed over its zone groups (a price is not summed)."""
    table = _read(folder / "clearing.csv")
    if table is None or not {"market", "zone_group", "price", "traded_volume", "saving"} <= set(table.columns):
        return []
    rows: list[dict[str, Any]] = []
    for market, group in table.groupby("market", sort=True):
        key = str(market).lower().replace(".", "_").replace("-", "_")
        unit = str(group["quantity_unit"].iloc[0]) if "quantity_unit" in group else "permit"
        level = "basin" if key == "water" else "zone"
        for _, row in group.iterrows():
            if str(row["zone_group"]) == "all":
                continue
            area = str(row["zone_group"])
            rows += _rows(level, area, area, {f"{key}_market_price": row["price"]}, f"yuan/{unit}")
            rows += _rows(level, area, area, {f"{key}_market_traded": row["traded_volume"]}, f"{unit}/yr")
            rows += _rows(level, area, area, {f"{key}_market_saving": row["saving"]}, "yuan/yr")
        if len(group) == 1:
            rows += _rows("belt", BELT, BELT, {f"{key}_market_price": group["price"].iloc[0]}, f"yuan/{unit}")
        rows += _rows("belt", BELT, BELT, {f"{key}_market_traded": group["traded_volume"].sum()}, f"{unit}/yr")
        rows += _rows("belt", BELT, BELT, {f"{key}_market_saving": group["saving"].sum()}, "yuan/yr")
    return rows


#: model id -> reader of its step folder
_READERS = {"water_allocation": _water_rows, "emission_inventory": _emission_rows,
            "pollution_control": _control_rows, "industry_structure": _industry_rows,
            "embodied_flows": _trade_rows, "land_use_change": _land_rows,
            "spatial_planning": _planning_rows, "eco_compensation": _esv_rows,
            "eco_assessment": _assessment_rows}


def read_manifest(run_folder: str | Path) -> dict[str, Any]:
    """The run manifest of a completed run folder.

    Raises
    ------
    InputError
        The folder does not exist, holds no run manifest, or the run did not complete.
    """
    folder = Path(run_folder)
    if not folder.is_dir():
        raise InputError(f"run folder {folder} does not exist")
    path = folder / "manifest.json"
    if not path.is_file():
        raise InputError(f"{folder} is not a run folder (no manifest.json); give a folder "
                         "STORE/runs/<run id> or a strategy set folder STORE/strategy-sets/<set id>")
    try:
        manifest = dict(json.loads(path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: not a readable run manifest ({err})") from err
    status = manifest.get("status")
    if status != "completed" or folder.name.startswith(".partial-"):
        raise InputError(f"run {folder.name} did not complete (status {status!r}); "
                         "it cannot be compared")
    return manifest


def run_indicators(run_folder: str | Path) -> pd.DataFrame:
    """Headline indicators of a completed run (columns :data:`COLUMNS`)."""
    folder = Path(run_folder)
    manifest = read_manifest(folder)
    rows = _summary_rows(folder)
    for model, step_folder in step_folders(folder, manifest).items():
        reader = _READERS.get(model)
        if reader is not None:
            rows += reader(step_folder)
    for step in manifest.get("steps", []):   # every market step (e.g. a CO2 and a water market)
        if step.get("model") == "rights_market":
            rows += market_rows(folder / str(step["name"]))
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.drop_duplicates(subset=["level", "area", "indicator"], keep="first")
