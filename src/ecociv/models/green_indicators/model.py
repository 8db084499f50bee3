"""``green_indicators`` — intensities, Tapio decoupling and LMDI decomposition of CO2 (绿色发展指标).

Tables in, tables out: the sector accounts (value added, CO2, energy and water use per unit,
sector and year) give intensities per 10^4 yuan, the Tapio (2005) state of each unit and period,
and the additive LMDI-I decomposition of the CO2 change (:mod:`.kernels`). The report hook
(:mod:`.report`) draws the decoupling elasticities and the LMDI effects.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from ecociv.errors import InputError
from ecociv.models.green_indicators import kernels
from ecociv.models.green_indicators.spec import SPEC
from ecociv.spec import Model

ALL = "all"
QUANTITIES = ("value_added", "co2_t", "energy_use", "water_use")


def run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Every table of :data:`SPEC` from checked inputs."""
    accounts = _accounts(inputs["accounts"], inputs.get("start_year"), inputs.get("end_year"))
    if inputs.get("emissions") is not None:
        accounts = with_emitted_co2(accounts, inputs["emissions"])
    population = _population(inputs.get("unit_population"))
    totals = _unit_totals(accounts)
    years = sorted(accounts["year"].unique())
    periods = chained_periods(years, int(inputs.get("period_length") or 5))
    units = sorted(accounts["unit"].unique())
    with_all = len(units) > 1
    decoupling = [_decoupling_row(unit, start, end, totals) for unit in units for start, end in periods]
    lmdi = [_lmdi_row(unit, start, end, accounts[accounts["unit"] == unit], population)
            for unit in units for start, end in periods]
    if with_all:
        grand = _grand_totals(totals, units)
        decoupling += [_decoupling_row(ALL, start, end, grand) for start, end in periods]
        lmdi += [_lmdi_row(ALL, start, end, accounts, population) for start, end in periods]
    return {
        "intensities": _intensities(accounts, totals),
        "decoupling": pd.DataFrame(decoupling, columns=[c.id for c in SPEC.output("decoupling").columns]),  # type: ignore[union-attr]
        "lmdi": pd.DataFrame(lmdi, columns=[c.id for c in SPEC.output("lmdi").columns]),  # type: ignore[union-attr]
    }


def chained_periods(years: list[int], length: int) -> list[tuple[int, int]]:
    """Periods ``(y0, y0+L), (y0+L, y0+2L) ...`` up to the last year (the last one shorter when
    needed), plus the whole span when it is not already one of them."""
    if len(years) < 2:
        return []
    first, last = int(years[0]), int(years[-1])
    bounds = list(range(first, last + 1, length))
    if bounds[-1] != last:
        bounds.append(last)
    periods = list(pairwise(bounds))
    if (first, last) not in periods:
        periods.append((first, last))
    return periods


def _accounts(frame: pd.DataFrame, start: Any, end: Any) -> pd.DataFrame:
    frame = frame.copy()
    lines = frame.attrs.get("lines") or list(range(2, len(frame) + 2))
    frame["_line"] = lines
    if "sector" not in frame.columns:
        frame["sector"] = ALL
    frame["sector"] = frame["sector"].fillna("").astype(str).str.strip().replace("", ALL)
    frame["unit"] = frame["unit"].astype(str).str.strip()
    for column in QUANTITIES:
        if column not in frame.columns:
            frame[column] = np.nan
    if frame["value_added"].isna().all():
        raise InputError("no value_added given; the indicators are per unit of value added "
                         "(10^8 yuan)", source="accounts", where="column 'value_added'")
    duplicated = frame.duplicated(["unit", "sector", "year"], keep=False)
    if duplicated.any():
        first = frame[duplicated].iloc[0]
        same = frame[duplicated & (frame["unit"] == first["unit"]) & (frame["sector"] == first["sector"])
                     & (frame["year"] == first["year"])]["_line"].tolist()
        raise InputError(f"unit '{first['unit']}', sector '{first['sector']}', year {first['year']} "
                         f"appears more than once (lines {same}); give one row per unit, sector and year",
                         source="accounts")
    mixed = frame.groupby(["unit", "year"])["sector"].agg(lambda s: ALL in set(s) and len(s) > 1)
    if mixed.any():
        unit, year = mixed[mixed].index[0]
        raise InputError(f"unit '{unit}' in {year} has both a total row (empty sector) and sector "
                         "rows; give either sectors or one total", source="accounts")
    if start is not None:
        frame = frame[frame["year"] >= int(start)]
    if end is not None:
        frame = frame[frame["year"] <= int(end)]
    if frame.empty:
        raise InputError(f"no rows between start_year {start} and end_year {end}", source="accounts")
    return frame.reset_index(drop=True)


def with_emitted_co2(accounts: pd.DataFrame, emissions: pd.DataFrame) -> pd.DataFrame:
    """``accounts`` with ``co2_t`` filled from the CO2 rows of an ``emissions`` table (summed over
    processes) where the accounts have none; a unit's total row (sector 'all') takes the unit's
    total CO2."""
    co2 = emissions[emissions["pollutant"].astype(str).str.strip() == "CO2"].copy()
    if co2.empty:
        raise InputError("the emissions table has no CO2 rows", source="emissions", where="column 'pollutant'")
    co2["unit"] = co2["unit"].astype(str).str.strip()
    co2["sector"] = co2["sector"].astype(str).str.strip()
    by_sector = co2.groupby(["unit", "sector", "year"])["emission_t"].sum()
    by_unit = co2.groupby(["unit", "year"])["emission_t"].sum()
    accounts = accounts.copy()
    values = []
    for unit, sector, year, given in zip(accounts["unit"], accounts["sector"], accounts["year"],
                                         accounts["co2_t"], strict=True):
        if pd.notna(given):
            values.append(float(given))
        elif sector == ALL:
            values.append(float(by_unit.get((unit, year), np.nan)))
        else:
            values.append(float(by_sector.get((unit, sector, year), 0.0 if (unit, year) in by_unit.index
                                              else np.nan)))
    accounts["co2_t"] = values
    return accounts


def _population(frame: pd.DataFrame | None) -> dict[tuple[str, int], float]:
    if frame is None:
        return {}
    duplicated = frame.duplicated(["unit", "year"])
    if duplicated.any():
        row = frame[duplicated].iloc[0]
        raise InputError(f"unit '{row['unit']}', year {row['year']} appears more than once",
                         source="unit_population")
    return {(str(u).strip(), int(y)): float(p)
            for u, y, p in zip(frame["unit"], frame["year"], frame["population"], strict=True)}


def _complete_sum(values: pd.Series) -> float:
    """Sum of a column over sectors, NaN when one of them is missing (no partial totals)."""
    return float(values.sum()) if values.notna().all() else float("nan")


def _unit_totals(accounts: pd.DataFrame) -> pd.DataFrame:
    return accounts.groupby(["unit", "year"])[list(QUANTITIES)].agg(_complete_sum)


def _grand_totals(totals: pd.DataFrame, units: list[str]) -> pd.DataFrame:
    """The total of every unit per year (NaN when a unit has no row that year)."""
    rows = {}
    for year, block in totals.groupby(level="year"):
        complete = len(block) == len(units)
        rows[(ALL, year)] = {c: (_complete_sum(block[c]) if complete else np.nan) for c in QUANTITIES}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index = pd.MultiIndex.from_tuples(out.index, names=["unit", "year"])
    return out


def _intensities(accounts: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    sectors = accounts[accounts["sector"] != ALL][["unit", "sector", "year", *QUANTITIES]]
    unit_rows = totals.reset_index().assign(sector=ALL)
    table = pd.concat([sectors, unit_rows[["unit", "sector", "year", *QUANTITIES]]], ignore_index=True)
    table["carbon_intensity"] = kernels.intensity(table["co2_t"], table["value_added"])
    table["energy_intensity"] = kernels.intensity(table["energy_use"], table["value_added"])
    table["water_intensity"] = kernels.intensity(table["water_use"] * 1e8, table["value_added"])
    table["year"] = table["year"].astype(int)
    return table.sort_values(["unit", "year", "sector"]).reset_index(drop=True)


def _decoupling_row(unit: str, start: int, end: int, totals: pd.DataFrame) -> list[Any]:
    label = [unit, f"{start}-{end}", start, end]
    try:
        c0, c1 = (float(totals.loc[(unit, year), "co2_t"]) for year in (start, end))
        g0, g1 = (float(totals.loc[(unit, year), "value_added"]) for year in (start, end))
    except KeyError:
        return [*label, np.nan, np.nan, np.nan, "no data", "无数据"]
    if not all(np.isfinite([c0, c1, g0, g1])) or c0 <= 0 or g0 <= 0:
        return [*label, np.nan, np.nan, np.nan, "no data", "无数据"]
    elasticity = kernels.tapio_elasticity(c0, c1, g0, g1)
    state = kernels.tapio_state(c1 - c0, g1 - g0, elasticity)
    return [*label, 100 * (c1 - c0) / c0, 100 * (g1 - g0) / g0, elasticity, state, kernels.STATES_ZH[state]]


def _factors(block: pd.DataFrame, other: pd.DataFrame, keys: list[tuple[str, str]],
             people: float | None) -> np.ndarray:
    """Factor matrix (one row per unit × sector key) of one year: [population, value added per
    capita,] or [value added,] then the value-added share and the CO2 intensity of the key."""
    value_added = np.array([float(block["value_added"].get(k, 0.0)) for k in keys])
    co2 = np.array([float(block["co2_t"].get(k, 0.0)) for k in keys])
    other_va = np.array([float(other["value_added"].get(k, 0.0)) for k in keys])
    other_co2 = np.array([float(other["co2_t"].get(k, 0.0)) for k in keys])
    total = value_added.sum()
    share = value_added / total if total > 0 else np.zeros_like(value_added)
    with np.errstate(divide="ignore", invalid="ignore"):
        own = np.where(value_added > 0, co2 / value_added, np.nan)
        fallback = np.where(other_va > 0, other_co2 / other_va, 1.0)
    # a key without value added (and without CO2) this year: its intensity is that of the other
    # year, so that its appearance or disappearance is a structure effect (the small-value limit
    # of replacing both zeros by the same delta, Ang & Liu 2007)
    intensity = np.where(np.isnan(own), np.where(fallback > 0, fallback, 1.0), own)
    head = [np.full(len(keys), people), np.full(len(keys), total / people)] if people else \
        [np.full(len(keys), total)]
    return np.column_stack([*head, share, intensity])


def _lmdi_row(unit: str, start: int, end: int, accounts: pd.DataFrame,
              population: Mapping[tuple[str, int], float]) -> list[Any]:
    label = [unit, f"{start}-{end}", start, end]
    blocks = {year: accounts[accounts["year"] == year].set_index(["unit", "sector"]) for year in (start, end)}
    empty = [*label, *([np.nan] * 8)]
    units = sorted(accounts["unit"].unique())
    if any(blocks[y].empty or blocks[y].index.get_level_values("unit").nunique() < len(units)
           for y in (start, end)):
        return empty
    for year, block in blocks.items():
        if block[["value_added", "co2_t"]].isna().any().any():
            return empty
        bad = block[(block["value_added"] == 0) & (block["co2_t"] > 0)]
        if len(bad):
            key = bad.index[0]
            raise InputError(f"unit '{key[0]}', sector '{key[1]}' emits {bad['co2_t'].iloc[0]:g} t CO2 "
                             f"in {year} without value added: its carbon intensity is infinite; merge "
                             "it with another sector or give its value added", source="accounts")
    keys = sorted(set(blocks[start].index) | set(blocks[end].index))
    people = [sum(population.get((u, y), np.nan) for u in units) for y in (start, end)]
    use_population = bool(population) and all(np.isfinite(people))
    start_factors = _factors(blocks[start], blocks[end], keys, people[0] if use_population else None)
    end_factors = _factors(blocks[end], blocks[start], keys, people[1] if use_population else None)
    effects = kernels.lmdi_additive(start_factors, end_factors)
    c0, c1 = float(blocks[start]["co2_t"].sum()), float(blocks[end]["co2_t"].sum())
    if use_population:
        population_effect, activity, structure, intensity = effects
    else:
        population_effect, (activity, structure, intensity) = np.nan, effects
    total = float(np.nansum([population_effect, activity, structure, intensity]))
    return [*label, c0, c1, c1 - c0, population_effect, activity, structure, intensity, (c1 - c0) - total]


def example() -> dict[str, Any]:
    """Xinjiang 2000–2017 (the years with population): CO2 as the sum of the county series of Chen et al. (2020), GDP as
    reported and year-end population (src/ecociv/data/industry/indicator_series.csv), chained
    5-year periods (the LMDI activity effect split by population, Kaya)."""
    from ecociv.models.green_indicators.series import xinjiang_accounts, xinjiang_population_table

    return {"accounts": xinjiang_accounts(), "unit_population": xinjiang_population_table(),
            "period_length": 5, "start_year": 2000}


def _report(step_folder: Any, manifest: Mapping[str, Any]) -> list[Any]:
    from ecociv.models.green_indicators.report import charts

    return charts(step_folder, manifest)


MODEL = Model(spec=SPEC, run=run, example=example, report=_report)
