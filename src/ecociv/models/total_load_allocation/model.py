"""``total_load_allocation`` — a basin's pollutant allowance shared among its units (总量控制分配).

Three rules (:mod:`.kernels`): equal proportion, equal marginal cost (least cost, HiGHS QP over
the units' cost blocks) and least cost under an equity floor; each reported with its cost and the
Gini coefficients of allowance per capita and per value added.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ecociv.errors import InputError
from ecociv.models.total_load_allocation import kernels
from ecociv.models.total_load_allocation.spec import METHODS, POLLUTANTS, SPEC
from ecociv.spec import Model

TOLERANCE = 1e-6  # t/yr: abatement below this counts as none


def run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Every table of :data:`SPEC` from checked inputs."""
    units = _units(inputs["units"], inputs.get("emissions"), inputs.get("emission_year"))
    costs = _costs(_cost_table(inputs, units))
    allowances = _allowances(inputs["allowances"], units)
    basis = str(inputs.get("equity_basis") or "population")
    given_floor = inputs.get("equity_floor")
    floor = 0.5 if given_floor is None else float(given_floor)
    allocation, summary = [], []
    for (basin, pollutant), group in units.groupby(["basin", "pollutant"], sort=True):
        allowance = allowances[(basin, pollutant)]
        rows, totals = _allocate_basin(str(basin), str(pollutant), group.reset_index(drop=True),
                                       costs, allowance, basis, floor)
        allocation += rows
        summary += totals
    return {
        "allocation": pd.DataFrame(allocation, columns=[c.id for c in SPEC.output("allocation").columns]),  # type: ignore[union-attr]
        "summary": pd.DataFrame(summary, columns=[c.id for c in SPEC.output("summary").columns]),  # type: ignore[union-attr]
    }


def _where(frame: pd.DataFrame, position: int) -> str:
    lines = frame.attrs.get("lines")
    return f"line {lines[position]}" if lines else f"row {position}"


def _check_pollutants(frame: pd.DataFrame, source: str) -> None:
    bad = ~frame["pollutant"].isin(POLLUTANTS)
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"unknown pollutant {frame['pollutant'].iloc[position]!r}; expected one of "
                         f"{', '.join(POLLUTANTS)}", source=source, where=_where(frame, position))


def _units(frame: pd.DataFrame, emissions: pd.DataFrame | None, year: Any) -> pd.DataFrame:
    frame = frame.copy()
    for column in ("basin", "unit", "pollutant"):
        frame[column] = frame[column].astype(str).str.strip()
    _check_pollutants(frame, "units")
    duplicated = frame.duplicated(["unit", "pollutant"], keep="first")
    if duplicated.any():
        position = int(np.flatnonzero(duplicated.to_numpy())[0])
        row = frame.iloc[position]
        raise InputError(f"unit '{row['unit']}' appears twice for {row['pollutant']} (a unit belongs to "
                         "one basin per pollutant)", source="units", where=_where(frame, position))
    if "baseline_t" not in frame.columns:
        frame["baseline_t"] = np.nan
    if "minimum_t" not in frame.columns:
        frame["minimum_t"] = np.nan
    missing = frame["baseline_t"].isna()
    if missing.any():
        frame.loc[missing, "baseline_t"] = _baselines(frame[missing], emissions, year)
    frame["minimum_t"] = frame["minimum_t"].fillna(0.0)
    above = frame["minimum_t"] > frame["baseline_t"]
    if above.any():
        position = int(np.flatnonzero(above.to_numpy())[0])
        row = frame.iloc[position]
        raise InputError(f"technical minimum {row['minimum_t']:g} t/yr is above the baseline "
                         f"{row['baseline_t']:g} t/yr of unit '{row['unit']}' ({row['pollutant']})",
                         source="units", where=_where(frame, position))
    return frame


def _baselines(rows: pd.DataFrame, emissions: pd.DataFrame | None, year: Any) -> list[float]:
    if emissions is None:
        first = rows.iloc[0]
        raise InputError(f"unit '{first['unit']}' ({first['pollutant']}) has no baseline_t and no "
                         "emissions table is given", source="units", where="column 'baseline_t'")
    of_year = _of_year(emissions, year)
    chosen = int(of_year["year"].iloc[0])
    sums = of_year.groupby(["unit", "pollutant"])["emission_t"].sum()
    out = []
    for unit, pollutant in zip(rows["unit"], rows["pollutant"], strict=True):
        if (unit, pollutant) not in sums.index:
            raise InputError(f"unit '{unit}' has no baseline_t and no {pollutant} emissions in {chosen}",
                             source="emissions")
        out.append(float(sums[(unit, pollutant)]))
    return out


def _cost_table(inputs: Mapping[str, Any], units: pd.DataFrame) -> pd.DataFrame:
    """The abatement_costs table, completed by blocks built from the measure library and the
    emissions table for the (unit, pollutant) pairs it does not cover."""
    given = inputs.get("abatement_costs")
    measures = inputs.get("measures")
    if measures is None:
        if given is None:
            raise InputError("give abatement_costs, or measures together with the emissions table",
                             source="abatement_costs")
        return given
    emissions = inputs.get("emissions")
    if emissions is None:
        raise InputError("the measure library needs the emissions table (per sector) to size each "
                         "measure", source="measures")
    from ecociv.models.total_load_allocation.measures import cost_blocks

    emissions = _of_year(emissions, inputs.get("emission_year"))
    blocks = cost_blocks(emissions, measures)
    if given is None:
        return blocks
    covered = set(zip(given["unit"].astype(str).str.strip(), given["pollutant"].astype(str).str.strip(),
                      strict=True))
    extra = blocks[[(u, p) not in covered for u, p in zip(blocks["unit"], blocks["pollutant"], strict=True)]]
    return pd.concat([given, extra[["unit", "pollutant", "alpha", "beta", "max_abatement_t"]]],
                     ignore_index=True)


def _of_year(emissions: pd.DataFrame, year: Any) -> pd.DataFrame:
    emissions = emissions.copy()
    for column in ("unit", "sector", "pollutant"):
        emissions[column] = emissions[column].astype(str).str.strip()
    chosen = int(year) if year is not None else int(emissions["year"].max())
    of_year = emissions[emissions["year"] == chosen]
    if of_year.empty:
        raise InputError(f"no emissions in year {chosen}; years given: "
                         f"{sorted(emissions['year'].unique().tolist())}", source="emissions")
    return of_year


def _costs(frame: pd.DataFrame) -> dict[tuple[str, str], list[tuple[float, float, float]]]:
    frame = frame.copy()
    for column in ("unit", "pollutant"):
        frame[column] = frame[column].astype(str).str.strip()
    _check_pollutants(frame, "abatement_costs")
    if "max_abatement_t" not in frame.columns:
        frame["max_abatement_t"] = np.nan
    widths = frame["max_abatement_t"]
    blocks: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    for unit, pollutant, alpha, beta, width in zip(frame["unit"], frame["pollutant"], frame["alpha"],
                                                    frame["beta"], widths, strict=True):
        blocks.setdefault((unit, pollutant), []).append(
            (float(alpha), float(beta), float(width) if pd.notna(width) else float("inf")))
    return blocks


def _allowances(frame: pd.DataFrame, units: pd.DataFrame) -> dict[tuple[str, str], float]:
    frame = frame.copy()
    for column in ("basin", "pollutant"):
        frame[column] = frame[column].astype(str).str.strip()
    _check_pollutants(frame, "allowances")
    duplicated = frame.duplicated(["basin", "pollutant"])
    if duplicated.any():
        position = int(np.flatnonzero(duplicated.to_numpy())[0])
        raise InputError(f"basin '{frame['basin'].iloc[position]}' has two {frame['pollutant'].iloc[position]} "
                         "allowances", source="allowances", where=_where(frame, position))
    given = {(b, p): float(a) for b, p, a in zip(frame["basin"], frame["pollutant"], frame["allowance_t"],
                                                 strict=True)}
    for basin, pollutant in units[["basin", "pollutant"]].drop_duplicates().itertuples(index=False):
        if (basin, pollutant) not in given:
            raise InputError(f"basin '{basin}' has units with {pollutant} but no {pollutant} allowance",
                             source="allowances")
    return given


def _blocks(group: pd.DataFrame, pollutant: str,
            costs: Mapping[tuple[str, str], list[tuple[float, float, float]]]) -> list[kernels.CostBlock]:
    blocks = []
    for position, unit in enumerate(group["unit"]):
        if (unit, pollutant) not in costs:
            raise InputError(f"unit '{unit}' has no {pollutant} abatement cost row", source="abatement_costs")
        blocks += [kernels.CostBlock(position, a, b, w) for a, b, w in costs[(unit, pollutant)]]
    return blocks


def _allocate_basin(basin: str, pollutant: str, group: pd.DataFrame,
                    costs: Mapping[tuple[str, str], list[tuple[float, float, float]]], allowance: float,
                    basis: str, floor: float) -> tuple[list[list[Any]], list[list[Any]]]:
    baseline = group["baseline_t"].to_numpy(dtype=float)
    minimum = group["minimum_t"].to_numpy(dtype=float)
    required = max(0.0, float(baseline.sum()) - allowance)
    label = f"basin '{basin}', {pollutant}"
    if allowance < minimum.sum():
        raise InputError(f"{label}: allowance {allowance:g} t/yr is below the sum of the units' technical "
                         f"minimums {minimum.sum():g} t/yr (shortfall {minimum.sum() - allowance:g} t/yr)",
                         source="allowances")
    blocks = _blocks(group, pollutant, costs)
    capacity = np.zeros(len(group))
    for block in blocks:
        capacity[block.unit] += block.width
    reachable = np.minimum(capacity, baseline - minimum)
    if reachable.sum() < required - TOLERANCE:
        raise InputError(f"{label}: the cost blocks allow {reachable.sum():g} t/yr of abatement, "
                         f"{required:g} t/yr are required (shortfall {required - reachable.sum():g} t/yr); "
                         "give wider blocks (max_abatement_t)", source="abatement_costs")
    weights = group[basis].to_numpy(dtype=float)
    share = floor * allowance * weights / weights.sum()
    keep = np.maximum(minimum, np.minimum(baseline, share))
    equity_upper = np.minimum(reachable, baseline - keep)
    if equity_upper.sum() < required - TOLERANCE:
        raise InputError(f"{label}: with equity_floor {floor:g} by {basis} the units can abate only "
                         f"{equity_upper.sum():g} t/yr of the {required:g} t/yr required (shortfall "
                         f"{required - equity_upper.sum():g} t/yr); lower equity_floor", source="equity_floor")
    proportional = baseline - kernels.equal_proportion(baseline, minimum, allowance)
    if (proportional > capacity + TOLERANCE).any():
        unit = group["unit"].iloc[int(np.flatnonzero(proportional > capacity + TOLERANCE)[0])]
        raise InputError(f"{label}: equal proportion asks unit '{unit}' for more abatement than its "
                         "cost blocks allow; give wider blocks (max_abatement_t)", source="abatement_costs")
    zeros = np.zeros(len(group))
    abatement_of = {
        "equal_proportion": (proportional, proportional, None),
        "equal_marginal_cost": (zeros, reachable, required),
        "equity_constrained": (zeros, equity_upper, required),
    }
    rows, totals = [], []
    for method in METHODS:
        lower, upper, total = abatement_of[method]
        amounts = kernels.least_cost(blocks, len(group), lower, upper, total if required > 0 else 0.0)
        rows_m = _unit_rows(basin, pollutant, method, group, blocks, amounts)
        rows += rows_m
        table = pd.DataFrame(rows_m, columns=[c.id for c in SPEC.output("allocation").columns])  # type: ignore[union-attr]
        abating = table["abatement_t"] > TOLERANCE
        totals.append([basin, pollutant, method, allowance, float(baseline.sum()),
                       float(table["abatement_t"].sum()), float(table["cost_yuan"].sum()),
                       float(table.loc[abating, "marginal_cost"].max()) if abating.any() else float("nan"),
                       kernels.gini(table["allowance_per_capita"].to_numpy(), group["population"].to_numpy()),
                       kernels.gini(table["allowance_per_value_added"].to_numpy(),
                                    group["value_added"].to_numpy())])
    return rows, totals


def _unit_rows(basin: str, pollutant: str, method: str, group: pd.DataFrame,
               blocks: list[kernels.CostBlock], amounts: np.ndarray) -> list[list[Any]]:
    cost = kernels.block_cost(blocks, amounts)
    rows = []
    for position, row in enumerate(group.itertuples(index=False)):
        own = [k for k, b in enumerate(blocks) if b.unit == position]
        abated = float(amounts[own].sum())
        used = [k for k in own if amounts[k] > TOLERANCE]
        marginal = (max(blocks[k].alpha + blocks[k].beta * amounts[k] for k in used) if used
                    else min(blocks[k].alpha for k in own))
        allowance = float(row.baseline_t) - abated
        rows.append([basin, pollutant, method, row.unit, float(row.baseline_t), allowance, abated,
                     100 * abated / row.baseline_t if row.baseline_t > 0 else 0.0,
                     float(cost[own].sum()), marginal, allowance / row.population,
                     allowance / row.value_added])
    return rows


def example() -> dict[str, Any]:
    """Three units of the Ebinur Lake basin sharing a COD allowance. Real: populations of the 2020
    census (``data/belt/census_2020.csv``, 10^4 persons) and GDP 2019 as value added
    (``data/industry/indicator_series.csv``, Xinjiang Statistical Yearbook 2020, 10^8 yuan) of
    Bortala, Karamay and Tacheng; illustrative: baselines, minimums, cost curves and allowance."""
    units = pd.DataFrame({
        "basin": "ebinur", "unit": ["652700", "650200", "654200"], "pollutant": "COD",
        "baseline_t": [9000.0, 6000.0, 12000.0], "minimum_t": [3000.0, 2000.0, 4000.0],
        "population": [43.3467, 49.0348, 110.8747], "value_added": [354.29, 972.93, 696.58],
    })
    costs = pd.DataFrame({"unit": ["652700", "650200", "654200"], "pollutant": "COD",
                          "alpha": [2000.0, 4000.0, 1500.0], "beta": [2.0, 1.0, 0.8]})
    allowances = pd.DataFrame({"basin": ["ebinur"], "pollutant": ["COD"], "allowance_t": [20000.0]})
    return {"units": units, "abatement_costs": costs, "allowances": allowances,
            "equity_basis": "population", "equity_floor": 0.9}


def _report(step_folder: Any, manifest: Mapping[str, Any]) -> list[Any]:
    from ecociv.models.total_load_allocation.report import allocation_chart

    return allocation_chart(step_folder, manifest)


MODEL = Model(spec=SPEC, run=run, example=example, report=_report)
