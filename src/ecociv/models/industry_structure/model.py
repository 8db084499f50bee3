"""``industry_structure`` — value added per unit and sector maximised within water, energy, land
and emission caps, with carrying-capacity shadow prices and a Pareto front (产业结构优化).

The LP and the front are in :mod:`.kernels`; docs/industry_structure.md gives equations and units.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ecociv.errors import InputError
from ecociv.models.industry_structure.kernels import Row, pareto_front, solve_structure
from ecociv.models.industry_structure.spec import RESOURCES, SPEC
from ecociv.models.pollution_control import checks
from ecociv.spec import Model

#: sectors whose water comes from the industrial deliveries of ``water_supply``
INDUSTRY_SECTORS = ("mining", "food_processing", "textiles", "petroleum_refining", "coking", "coal_chemicals",
                    "chemicals_other", "non_metallic_minerals", "steel", "non_ferrous", "other_manufacturing",
                    "power_heat")
#: account column, units of a cap, shadow-price units and factor to them (per LP unit) of each resource
RESOURCE_COLUMNS = {"water": "water_use", "energy": "energy_use", "land": "construction_land"}
RESOURCE_UNITS = {"water": ("10^8 m3", "m**3", 1e8), "energy": ("tce", "tce", 1.0),
                  "land": ("km2", "m**2", 1e6)}
POLLUTANT_UNITS = ("t", "t", 1.0)
PRESSURE_UNITS = {"water": "hundred_million * m**3", "energy": "tce", "land": "km**2"}
OBJECTIVES = {"value_added": ("yuan", 1e8, "hundred_million * yuan"),
              "employment": ("persons", 1e4, "ten_thousand persons")}


@dataclass
class Base:
    """Base-year value added and intensities of every (unit, sector) with value added > 0."""

    year: int  # the latest base year (default first target year = year + 1)
    years: np.ndarray  # base year of each column (its unit's)
    keys: pd.DataFrame  # unit, sector
    value_added: np.ndarray
    intensity: dict[str, np.ndarray]  # resource or pollutant -> use per 10^8 yuan (NaN: unknown)


def _base(accounts: pd.DataFrame, emissions: pd.DataFrame | None, base_year: int | None) -> Base:
    checks.known(accounts, "sector", checks.SECTORS, "accounts", "sector")
    if "value_added" not in accounts.columns:
        raise InputError("missing column 'value_added'", source="table 'accounts'")
    frame = accounts.assign(unit=accounts["unit"].astype(str), year=accounts["year"].astype(int))
    with_va = frame[frame["value_added"].notna() & (frame["value_added"] > 0)]
    if with_va.empty:
        raise InputError("no row has a value added > 0", source="table 'accounts'")
    if base_year is None:  # each unit's latest year with value added
        latest = with_va.groupby("unit")["year"].max()
        rows = frame[frame["year"] == frame["unit"].map(latest)]
    else:
        rows = frame[frame["year"] == int(base_year)]
        if rows.empty or not (rows["value_added"].fillna(0) > 0).any():
            raise InputError(f"no value added for base year {base_year}", source="table 'accounts'")
    columns = [c for c in ("value_added", "employment", *RESOURCE_COLUMNS.values()) if c in rows.columns]
    grouped = rows.groupby(["unit", "sector", "year"], sort=True)[columns].sum(min_count=1).reset_index()
    grouped = grouped[grouped["value_added"].fillna(0) > 0].reset_index(drop=True)
    va = grouped["value_added"].to_numpy(dtype=float)
    intensity: dict[str, np.ndarray] = {}
    for name, column in (("employment", "employment"), *RESOURCE_COLUMNS.items()):
        values = grouped[column].to_numpy(dtype=float) if column in grouped.columns else np.full(len(va), np.nan)
        intensity[name] = values / va
    years = grouped["year"].to_numpy(dtype=np.int64)
    if emissions is not None:
        intensity.update(_emission_intensities(emissions, grouped, va))
    return Base(int(years.max()), years, grouped[["unit", "sector"]], va, intensity)


def _emission_intensities(emissions: pd.DataFrame, grouped: pd.DataFrame, va: np.ndarray) -> dict[str, np.ndarray]:
    """t per 10^8 yuan of each pollutant and column in its unit's base year: 0 for a sector without
    emissions of a unit that has emission rows in that year, NaN (unknown) for a unit without any."""
    checks.known(emissions, "pollutant", checks.POLLUTANTS, "emissions", "pollutant")
    frame = emissions.assign(unit=emissions["unit"].astype(str), year=emissions["year"].astype(int))
    keys = pd.MultiIndex.from_frame(grouped[["unit", "year"]])
    if not keys.isin(pd.MultiIndex.from_frame(frame[["unit", "year"]])).any():
        years = ", ".join(str(y) for y in sorted(set(grouped["year"])))
        raise InputError(f"no emissions in the base year(s) {years} of the accounts", source="table 'emissions'")
    known_unit = keys.isin(pd.MultiIndex.from_frame(frame[["unit", "year"]]))
    by = frame.groupby(["unit", "sector", "year", "pollutant"])["emission_t"].sum()
    out = {}
    for pollutant in sorted(set(frame["pollutant"])):
        series = by.xs(pollutant, level="pollutant")
        values = np.array([series.get((u, s, y), 0.0) for u, s, y in
                           zip(grouped["unit"], grouped["sector"], grouped["year"], strict=True)])
        out[pollutant] = np.where(known_unit, values, np.nan) / va
    return out


def _caps(frame: pd.DataFrame, base: Base, water: pd.DataFrame | None, water_sector: str) -> pd.DataFrame:
    resources = (*RESOURCES, *checks.POLLUTANTS)
    checks.known(frame, "resource", resources, "caps", "resource")
    frame = frame.assign(unit=frame["unit"].astype(str).str.strip())
    if "year" not in frame.columns:
        frame = frame.assign(year=pd.array([pd.NA] * len(frame), dtype="Int64"))
    if "sectors" not in frame.columns:
        frame = frame.assign(sectors="")
    units = set(base.keys["unit"])
    for position, row in enumerate(frame.itertuples(index=False)):
        where = checks.line_of(frame, position)
        if row.unit != "all" and row.unit not in units:
            raise InputError(f"unknown unit {row.unit!r}: not a unit with value added in its base year "
                             "and not 'all'", source="table 'caps'", where=f"{where}, column 'unit'")
        for sector in _sector_list(row.sectors):
            if sector not in checks.SECTORS:
                raise InputError(f"unknown sector {sector!r}; expected ids of sectors.csv separated by ';'",
                                 source="table 'caps'", where=f"{where}, column 'sectors'")
        covered = base.keys["unit"].to_numpy() == row.unit if row.unit != "all" else np.ones(len(base.keys), bool)
        if row.resource not in base.intensity or np.isnan(base.intensity[row.resource][covered]).all():
            raise InputError(f"cap on {row.resource} but no {row.resource} data for {row.unit} in its base year: "
                             f"give the accounts column '{RESOURCE_COLUMNS.get(row.resource, 'emissions')}' or the "
                             "emissions table", source="table 'caps'", where=where)
    if water is not None:
        supply = water[water["sector"].astype(str) == water_sector]
        if supply.empty:
            raise InputError(f"no deliveries of sector {water_sector!r}", source="table 'water_supply'")
        years = supply["month"].nunique() / 12.0
        # county sites (e.g. 650202 Dushanzi) count for their prefecture (650200 Karamay)
        prefecture = supply["unit"].astype(str).map(checks.prefecture_of)
        annual = supply.assign(unit=prefecture).groupby("unit")["delivered_m3"].sum() / years / 1e8
        extra = pd.DataFrame({"unit": annual.index, "resource": "water", "cap": annual.to_numpy(),
                              "year": pd.array([pd.NA] * len(annual), dtype="Int64"),
                              "sectors": ";".join(INDUSTRY_SECTORS)})
        # units with value added and some industrial water use in their base year
        industrial = base.keys["sector"].isin(INDUSTRY_SECTORS).to_numpy() & ~np.isnan(base.intensity["water"])
        extra = extra[extra["unit"].isin(set(base.keys["unit"].to_numpy()[industrial]))]
        frame = pd.concat([frame[["unit", "resource", "cap", "year", "sectors"]], extra], ignore_index=True)
    return frame


def _sector_list(text: Any) -> list[str]:
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return []
    return [s.strip() for s in str(text).replace(",", ";").split(";") if s.strip()]


def _limits(frame: pd.DataFrame | None, base: Base, min_growth: float, max_growth: float) -> pd.DataFrame:
    """min/max share and growth per (unit, sector) of the base (unit rows override 'all' rows)."""
    out = base.keys.assign(min_share=np.nan, max_share=np.nan, min_growth=min_growth, max_growth=max_growth)
    if frame is None:
        return out
    checks.known(frame, "sector", checks.SECTORS, "sector_limits", "sector")
    frame = frame.assign(unit=frame["unit"].astype(str).str.strip())
    checks.unique(frame, ["unit", "sector"], "sector_limits")
    units = set(base.keys["unit"])
    for position, unit in enumerate(frame["unit"]):
        if unit != "all" and unit not in units:
            raise InputError(f"unknown unit {unit!r}", source="table 'sector_limits'",
                             where=f"{checks.line_of(frame, position)}, column 'unit'")
    for scope in ("all", "unit"):
        rows = frame[frame["unit"] == "all"] if scope == "all" else frame[frame["unit"] != "all"]
        for row in rows.itertuples(index=False):
            mask = (out["sector"] == row.sector) & ((out["unit"] == row.unit) if scope == "unit" else True)
            for column in ("min_share", "max_share", "min_growth", "max_growth"):
                value = getattr(row, column, np.nan)
                if value is not None and not pd.isna(value):
                    out.loc[mask, column] = float(value)
    bad = out[out["min_growth"] > out["max_growth"]]
    if len(bad):
        row = bad.iloc[0]
        raise InputError(f"min_growth {row['min_growth']:g} above max_growth {row['max_growth']:g} for unit "
                         f"{row['unit']}, sector {row['sector']}", source="table 'sector_limits'")
    shares = out.groupby("unit")["min_share"].sum()
    if (shares > 1 + 1e-12).any():
        unit = shares[shares > 1 + 1e-12].index[0]
        raise InputError(f"minimum shares of unit {unit} sum to {shares[unit]:g} > 1", source="table 'sector_limits'")
    return out


def _cap_rows(caps: pd.DataFrame, base: Base, year: int, rates: Mapping[str, float]) -> list[Row]:
    rows = []
    for row in caps.itertuples(index=False):
        if not pd.isna(row.year) and int(row.year) != year:
            continue
        mask = np.ones(len(base.value_added), dtype=bool) if row.unit == "all" else (
            base.keys["unit"] == row.unit).to_numpy()
        sectors = _sector_list(row.sectors)
        if sectors:
            mask &= base.keys["sector"].isin(sectors).to_numpy()
        growth = (1.0 + float(rates.get(row.resource, 0.0))) ** (year - base.years)
        coef = np.where(mask, np.nan_to_num(base.intensity[row.resource]) * growth, 0.0)
        scope = "" if not sectors else (" (industry)" if set(sectors) == set(INDUSTRY_SECTORS)
                                        else f" ({';'.join(sectors)})")
        rows.append(Row(f"cap {row.resource} {row.unit} {year}{scope}", str(row.unit), str(row.resource), coef,
                        -np.inf, float(row.cap)))
    return rows


def _share_rows(limits: pd.DataFrame, base: Base) -> list[Row]:
    rows = []
    units = base.keys["unit"].to_numpy()
    for i, row in enumerate(limits.itertuples(index=False)):
        same = (units == row.unit).astype(float)
        for column, lower, upper in (("min_share", 0.0, np.inf), ("max_share", -np.inf, 0.0)):
            share = getattr(row, column)
            if pd.isna(share):
                continue
            coef = -share * same
            coef[i] += 1.0
            rows.append(Row(f"{column} {row.sector} {row.unit}", str(row.unit), "share", coef, lower, upper,
                            share=float(share)))
    return rows


def run(inputs: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """Optimal structure per target year, constraints, shadow prices and the Pareto front."""
    base = _base(inputs["accounts"], inputs.get("emissions"), inputs.get("base_year"))
    given = inputs.get("caps")
    if given is None:
        given = pd.DataFrame({"unit": pd.Series(dtype=str), "resource": pd.Series(dtype=str),
                              "cap": pd.Series(dtype=float)})
    caps = _caps(given, base, inputs.get("water_supply"), str(inputs.get("water_sector") or "industry"))
    limits = _limits(inputs.get("sector_limits"), base, float(_param(inputs, "min_growth")),
                     float(_param(inputs, "max_growth")))
    rates = {str(k): float(v) for k, v in (inputs.get("intensity_change") or {}).items()}
    for key in rates:
        if key not in (*RESOURCES, *checks.POLLUTANTS, "employment"):
            raise InputError(f"unknown resource {key!r}; expected water, energy, land, employment or a pollutant",
                             source="intensity_change")
    objective_name = str(_param(inputs, "objective"))
    first = int(inputs.get("first_year") or base.year + 1)
    if first <= base.year:
        late = base.keys["unit"].to_numpy()[base.years >= first][0]
        raise InputError(f"first_year {first} is not after the base year {base.year} of unit {late}",
                         source="first_year")
    last = int(_param(inputs, "last_year"))
    if last < first:
        raise InputError(f"last_year {last} is before first_year {first}", source="last_year")
    shares = _share_rows(limits, base)
    structure, constraints, prices = [], [], []
    programs: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, list[Row]]] = {}
    for year in range(first, last + 1):
        steps = year - base.years
        lower = base.value_added * (1.0 + limits["min_growth"].to_numpy(dtype=float)) ** steps
        upper = base.value_added * (1.0 + limits["max_growth"].to_numpy(dtype=float)) ** steps
        objective = _objective(base, objective_name, rates, steps)
        rows = _cap_rows(caps, base, year, rates) + shares
        result = solve_structure(objective, lower, upper, rows)
        if not result.optimal:
            raise _infeasible(rows, lower, upper, year)
        programs[year] = (objective, lower, upper, rows)
        structure.append(_structure(base, result.x, lower, upper, year, rates))
        for k, row in enumerate(rows):
            constraints.append(_constraint(row, result, k, year, objective_name))
            if row.resource != "share":
                prices.append(_price(row, result, k, year, objective_name))
    pareto = _pareto(inputs, programs, base, rates, objective_name, last)
    return {"structure": pd.concat(structure, ignore_index=True), "constraints": pd.DataFrame(constraints),
            "shadow_prices": pd.DataFrame(prices, columns=[c.id for c in SPEC.output("shadow_prices").columns]),  # type: ignore[union-attr]
            "pareto_front": pareto}


def _param(inputs: Mapping[str, Any], name: str) -> Any:
    value = inputs.get(name)
    return SPEC.input(name).default if value is None else value  # type: ignore[union-attr]


def _objective(base: Base, name: str, rates: Mapping[str, float], steps: np.ndarray) -> np.ndarray:
    if name == "value_added":
        return np.ones(len(base.value_added))
    intensity = base.intensity["employment"]
    if np.isnan(intensity).all():
        raise InputError("objective 'employment' needs the accounts column 'employment'", source="objective")
    return np.nan_to_num(intensity) * (1.0 + rates.get("employment", 0.0)) ** steps


def _infeasible(rows: list[Row], lower: np.ndarray, upper: np.ndarray, year: int) -> InputError:
    for row in rows:
        if row.resource == "share":
            continue
        least = float(np.dot(row.coef, lower))
        if least > row.upper * (1 + 1e-9) + 1e-12:
            units = RESOURCE_UNITS.get(row.resource, POLLUTANT_UNITS)[0]
            return InputError(f"cap on {row.resource} for unit {row.unit} in {year} is {row.upper:.6g} {units}, "
                              f"below the {least:.6g} {units} used at the lowest growth allowed: shortfall "
                              f"{least - row.upper:.6g} {units}; raise the cap or lower min_growth",
                              source="table 'caps'")
    for unit in sorted({row.unit for row in rows if row.resource == "share"}):
        own = [row for row in rows if row.resource == "share" and row.unit == unit]
        alone = solve_structure(np.zeros(len(lower)), lower, upper, own)
        if not alone.optimal:
            return InputError(f"the share limits of unit {unit} cannot be met within its growth limits in "
                              f"{year} ({', '.join(row.name for row in own)}); loosen them or the growth limits",
                              source="table 'sector_limits'")
    return InputError(f"no structure meets the caps, share and growth limits together in {year}; loosen the "
                      "share limits or the caps", source="table 'sector_limits'")


def _structure(base: Base, x: np.ndarray, lower: np.ndarray, upper: np.ndarray, year: int,
               rates: Mapping[str, float]) -> pd.DataFrame:
    frame = base.keys.assign(year=year, base_year=base.years, value_added=x, base_value_added=base.value_added,
                             lower_value_added=lower, upper_value_added=upper)
    tol = 1e-7 * np.maximum(1.0, np.abs(x))
    frame["at_bound"] = np.where(x >= upper - tol, "upper", np.where(x <= lower + tol, "lower", ""))
    totals = frame.groupby("unit")["value_added"].transform("sum")
    frame["share"] = (frame["value_added"] / totals).where(totals > 0)
    steps = year - base.years
    for name, column in (("water", "water_use"), ("energy", "energy_use")):
        factor = (1.0 + rates.get(name, 0.0)) ** steps
        frame[column] = base.intensity[name] * x * factor
    return frame[[c.id for c in SPEC.output("structure").columns]]  # type: ignore[union-attr]


def _units(row: Row, objective_name: str) -> tuple[str, str, float]:
    """(bound units, shadow-price units, factor from the dual to them)."""
    obj_unit, obj_factor, _ = OBJECTIVES[objective_name]
    if row.resource == "share":
        return "", "", 1.0
    shown, per, factor = RESOURCE_UNITS.get(row.resource, POLLUTANT_UNITS)
    return shown, f"{obj_unit}/{per}", obj_factor / factor


def _constraint(row: Row, result: Any, k: int, year: int, objective_name: str) -> dict[str, Any]:
    bound = row.upper if np.isfinite(row.upper) else row.lower
    use = float(result.activity[k])
    shown, _, _ = _units(row, objective_name)
    binding = abs(use - bound) <= 1e-7 * max(1.0, abs(bound))
    if row.resource == "share":  # report the share itself: x_us / Σ_s x_us against the limit
        own = row.coef > 0
        total = float(np.dot(np.where(row.coef != 0, 1.0, 0.0), result.x))
        bound, use = row.share, float(result.x[own][0]) / total if total > 0 else float("nan")
    return {"year": year, "unit": row.unit, "constraint": row.name, "resource": row.resource, "bound": bound,
            "use": use, "bound_units": shown, "binding": binding, "dual": abs(float(result.row_dual[k]))}


def _price(row: Row, result: Any, k: int, year: int, objective_name: str) -> dict[str, Any]:
    _, units, factor = _units(row, objective_name)
    use = float(result.activity[k])
    return {"constraint": row.name, "unit": row.unit, "pollutant_or_resource": row.resource,
            "value": max(float(result.row_dual[k]), 0.0) * factor, "units": units, "year": year,
            "binding": abs(use - row.upper) <= 1e-7 * max(1.0, abs(row.upper))}


def _pareto(inputs: Mapping[str, Any], programs: Mapping[int, Any], base: Base, rates: Mapping[str, float],
            objective_name: str, last: int) -> pd.DataFrame:
    columns = [c.id for c in SPEC.output("pareto_front").columns]  # type: ignore[union-attr]
    pressure_name = str(_param(inputs, "pareto_pressure"))
    if pressure_name not in (*RESOURCES, *checks.POLLUTANTS):
        raise InputError(f"unknown pressure {pressure_name!r}; expected water, energy, land or a pollutant id",
                         source="pareto_pressure")
    if pressure_name not in base.intensity or np.isnan(base.intensity[pressure_name]).all():
        raise InputError(f"no {pressure_name} data for the Pareto front (accounts column or emissions table)",
                         source="pareto_pressure")
    year = int(inputs.get("pareto_year") or last)
    if year not in programs:
        raise InputError(f"pareto_year {year} is not a target year ({min(programs)}-{max(programs)})",
                         source="pareto_year")
    objective, lower, upper, rows = programs[year]
    pressure = np.nan_to_num(base.intensity[pressure_name]) * (1.0 + rates.get(pressure_name, 0.0)) ** (
        year - base.years)
    front = pareto_front(objective, lower, upper, rows, pressure, int(_param(inputs, "pareto_points")))
    units = PRESSURE_UNITS.get(pressure_name, "t/yr")
    return pd.DataFrame([{"point": i + 1, "year": year, "pressure": pressure_name, "pressure_limit": eps,
                          "pressure_value": value, "pressure_units": units, "objective_value": obj,
                          "objective_units": OBJECTIVES[objective_name][2]}
                         for i, (eps, value, obj) in enumerate(front)], columns=columns)


def example() -> dict[str, Any]:
    """Two units and four sectors with water, energy and SO2 caps (illustrative figures)."""
    accounts = pd.DataFrame({
        "unit": ["650100"] * 4 + ["650200"] * 4, "year": [2022] * 8,
        "sector": ["power_heat", "coal_chemicals", "tourism", "services_other"] * 2,
        "value_added": [120.0, 80.0, 60.0, 900.0, 90.0, 150.0, 20.0, 300.0],
        "employment": [2.0, 1.5, 6.0, 60.0, 1.5, 2.5, 2.0, 20.0],
        "water_use": [0.8, 0.9, 0.05, 0.6, 0.6, 1.6, 0.02, 0.2],
        "energy_use": [9.0e6, 6.0e6, 0.2e6, 2.0e6, 8.0e6, 11.0e6, 0.1e6, 0.8e6],
    })
    emissions = pd.DataFrame({"year": [2022] * 4, "unit": ["650100", "650100", "650200", "650200"],
                              "sector": ["power_heat", "coal_chemicals", "power_heat", "coal_chemicals"],
                              "pollutant": ["SO2", "SO2", "SO2", "SO2"],
                              "emission_t": [6000.0, 4000.0, 5000.0, 7000.0]})
    caps = pd.DataFrame({"unit": ["650100", "650200", "all", "all"], "resource": ["water", "water", "energy", "SO2"],
                         "cap": [3.0, 2.6, 4.5e7, 25000.0]})
    limits = pd.DataFrame({"unit": ["all"], "sector": ["tourism"], "min_share": [0.04]})
    return {"accounts": accounts, "emissions": emissions, "caps": caps, "sector_limits": limits,
            "last_year": 2030}


def pareto_chart(step_folder: Path, manifest: Mapping[str, Any]) -> list[Path]:
    """``pareto_front.png`` in the step folder."""
    from ecociv.models.industry_structure.charts import draw_pareto

    path = step_folder / "pareto_front.csv"
    if not path.is_file():
        return []
    front = pd.read_csv(path)
    if front.empty:
        return []
    return [draw_pareto(front, step_folder / "pareto_front.png")]


def check(given: Mapping[str, Any]) -> None:
    """The tables given as files checked before a scenario runs: known sectors in the accounts and
    sector limits, known resources in the caps, and the parameters that name a resource."""
    from ecociv.io.tables import read_table

    tables = {item.id: read_table(given[item.id], item) for item in SPEC.inputs
              if item.type == "table" and isinstance(given.get(item.id), (str, Path))}
    if "accounts" in tables:
        checks.known(tables["accounts"], "sector", checks.SECTORS, "accounts", "sector")
    if "sector_limits" in tables:
        checks.known(tables["sector_limits"], "sector", checks.SECTORS, "sector_limits", "sector")
    if "caps" in tables:
        checks.known(tables["caps"], "resource", (*RESOURCES, *checks.POLLUTANTS), "caps", "resource")
    pressure = given.get("pareto_pressure")
    if pressure is not None and pressure not in (*RESOURCES, *checks.POLLUTANTS):
        raise InputError(f"unknown pressure {pressure!r}; expected water, energy, land or a pollutant id",
                         source="pareto_pressure")
    for key in (given.get("intensity_change") or {}):
        if key not in (*RESOURCES, *checks.POLLUTANTS, "employment"):
            raise InputError(f"unknown resource {key!r}; expected water, energy, land, employment or a pollutant",
                             source="intensity_change")


MODEL = Model(spec=SPEC, run=run, example=example, report=pareto_chart, check=check)
