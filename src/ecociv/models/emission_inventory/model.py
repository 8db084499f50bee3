"""``emission_inventory`` — emissions of SO2, NOx, PM, VOCs, CO2, COD and NH3-N per unit,
sector and year (污染物与二氧化碳排放清单).

Activity × factor × (1 − Σ efficiency × application) (:mod:`.kernels`), with the tables and levers
checked first (:mod:`.checks`); a chart of the emissions per unit (:mod:`.report`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ecociv.errors import InputError
from ecociv.models.emission_inventory import checks, kernels
from ecociv.models.emission_inventory.report import emissions_chart
from ecociv.models.emission_inventory.spec import POLLUTANTS, SPEC
from ecociv.spec import Model

KEYS = ["year", "unit", "sector", "pollutant"]


def _factor_rows(activity: pd.DataFrame, factors: pd.DataFrame) -> pd.DataFrame:
    """Each activity row joined to the factors of its (sector, process): sector-specific rows
    replace the '*' rows of the same process and pollutant."""
    specific = activity.merge(factors, on=["sector", "process"], how="inner")
    generic = activity.merge(factors[factors["sector"] == checks.WILDCARD].drop(columns="sector"),
                             on="process", how="inner")
    generic = generic.merge(specific[["sector", "process", "pollutant"]].drop_duplicates(),
                            on=["sector", "process", "pollutant"], how="left", indicator=True)
    generic = generic[generic["_merge"] == "left_only"].drop(columns="_merge")
    return pd.concat([specific, generic], ignore_index=True)


def _unabated(rows: pd.DataFrame) -> pd.Series:
    """Tonnes per row: activity × factor value × unit conversion."""
    conversions: dict[tuple[str, str], float] = {}
    for pair in set(zip(rows["activity_unit"], rows["unit_factor"], strict=True)):
        try:
            conversions[pair] = kernels.tonnes_per_activity(*pair)
        except ValueError as err:
            raise InputError(f"activity in {pair[0]!r} does not fit a factor in {pair[1]!r}: {err}",
                             source="table 'activity'", where="column 'activity_unit'") from err
    scale = np.array([conversions[pair] for pair in zip(rows["activity_unit"], rows["unit_factor"],
                                                        strict=True)])
    return rows["activity"] * rows["value"] * scale


def _removal(emissions: pd.DataFrame, controls: pd.DataFrame | None) -> pd.Series:
    """Removed share per emission row (0 without controls): Σ efficiency × application of the
    measures of the row's sector and pollutant that apply to its unit (empty unit: every unit)."""
    if controls is None or controls.empty:
        return pd.Series(0.0, index=emissions.index)
    keys = emissions[["unit", "sector", "pollutant"]].drop_duplicates()
    everywhere = controls[controls["unit"] == ""].drop(columns="unit").merge(
        keys, on=["sector", "pollutant"], how="inner")
    local = controls[controls["unit"] != ""]
    chosen = pd.concat([everywhere, local], ignore_index=True)
    chosen["removed"] = chosen["removal_efficiency"] * chosen["application"]
    totals = chosen.groupby(["unit", "sector", "pollutant"], as_index=False).agg(
        removed=("removed", "sum"), application=("application", "sum"),
        measures=("measure", lambda m: sorted(set(m))))
    over = totals[totals["application"] > 1 + 1e-9]
    if len(over):
        row = over.iloc[0]
        raise InputError(f"measures {row['measures']} are applied to {row['application']:.3g} of the activity of "
                         f"sector {row['sector']!r}, pollutant {row['pollutant']!r} in unit {row['unit']!r}; "
                         "applications of one sector and pollutant add up to at most 1",
                         source="table 'controls'", where="column 'application'")
    shares = emissions[["unit", "sector", "pollutant"]].merge(
        totals[["unit", "sector", "pollutant", "removed"]], on=["unit", "sector", "pollutant"], how="left")
    return pd.Series(shares["removed"].fillna(0.0).to_numpy(), index=emissions.index)


def inventory(activity: pd.DataFrame, factors: pd.DataFrame, controls: pd.DataFrame | None = None,
              levers: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The ``emissions`` table (see :data:`SPEC`) from checked or raw tables.

    Parameters
    ----------
    activity, factors, controls : DataFrame
        Tables of the spec's inputs ``activity``, ``emission_factors``, ``controls``.
    levers : mapping, optional
        ``growth``, ``end_year``, ``application`` (see the spec).

    Returns
    -------
    DataFrame
        year, unit, sector, pollutant, unabated_t, emission_t, removed_t (t/yr), projected.
    """
    growth, end_year, overrides = checks.parse_levers(levers)
    factors = checks.check_factors(factors)
    activity = checks.check_activity(activity, factors)
    checked_controls = checks.check_controls(controls, overrides) if controls is not None else None
    activity = activity[["unit", "sector", "year", "process", "activity", "activity_unit"]].assign(projected=False)
    if end_year is not None:
        last = int(activity["year"].max())
        if end_year < last:
            raise InputError(f"end_year {end_year} is before the last year of the activity table ({last})",
                             source="levers", where="end_year")
        future = kernels.project_activity(activity, checks.growth_rates(activity, growth), end_year)
        activity = pd.concat([activity, future.assign(projected=True)], ignore_index=True)
    rows = _factor_rows(activity, factors.rename(columns={"unit": "unit_factor"}))
    rows["unabated_t"] = _unabated(rows)
    out = rows.groupby(KEYS, as_index=False).agg(unabated_t=("unabated_t", "sum"),
                                                  projected=("projected", "all"))
    share = _removal(out, checked_controls)
    out["emission_t"] = out["unabated_t"] * (1.0 - share)
    out["removed_t"] = out["unabated_t"] - out["emission_t"]
    out["year"] = out["year"].astype(int)
    order = pd.Categorical(out["pollutant"], categories=list(POLLUTANTS), ordered=True)
    out = out.assign(_order=order).sort_values(["year", "unit", "sector", "_order"]).drop(columns="_order")
    return out.reset_index(drop=True)[[*KEYS, "unabated_t", "emission_t", "removed_t", "projected"]]


def by_unit(emissions: pd.DataFrame) -> pd.DataFrame:
    """Emission after control per unit and year, one column per pollutant (t/yr)."""
    wide = emissions.pivot_table(index=["unit", "year"], columns="pollutant", values="emission_t",
                                 aggfunc="sum", fill_value=0.0)
    wide = wide.reindex(columns=list(POLLUTANTS), fill_value=0.0)
    wide.columns = [f"{p.lower().replace('-', '_')}_t" for p in wide.columns]
    out = wide.reset_index()
    out["year"] = out["year"].astype(int)
    return out


def consumption(emissions: pd.DataFrame, exports: pd.DataFrame) -> pd.DataFrame:
    """The ``emissions_consumption`` table from the inventory and the electricity exports."""
    co2 = emissions[emissions["pollutant"] == "CO2"]
    production = co2.groupby(["year", "unit"], as_index=False)["emission_t"].sum().rename(
        columns={"emission_t": "co2_t"})
    checked = checks.check_exports(exports, set(production["year"].astype(int)), set(production["unit"]))
    return kernels.consumption_account(production, checked[["year", "producer_unit", "receiving_region",
                                                            "co2_t"]])


def run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Run the inventory; ``emissions_consumption`` only with ``electricity_exports``."""
    emissions = inventory(inputs["activity"], inputs["emission_factors"], inputs.get("controls"),
                          inputs.get("levers"))
    out: dict[str, Any] = {"emissions": emissions, "emissions_by_unit": by_unit(emissions)}
    exports = inputs.get("electricity_exports")
    if exports is not None:
        out["emissions_consumption"] = consumption(emissions, exports)
    return out


def example() -> dict[str, Any]:
    """A two-unit example (illustrative activity; factors and exports of the shipped library)."""
    activity = pd.DataFrame({
        "unit": ["650100", "650100", "652300", "652300"],
        "sector": ["power_heat", "non_metallic_minerals", "power_heat", "coal_chemicals"],
        "year": [2020, 2020, 2020, 2020],
        "process": ["other_bituminous_coal", "clinker", "other_bituminous_coal", "other_bituminous_coal"],
        "activity": [100.0, 2.0, 300.0, 50.0],
        "activity_unit": ["PJ", "Mt", "PJ", "PJ"],
    })
    factors = pd.DataFrame({
        "sector": ["*", "*", "non_metallic_minerals"],
        "process": ["other_bituminous_coal", "other_bituminous_coal", "clinker"],
        "pollutant": ["CO2", "SO2", "CO2"],
        "value": [94600.0, 300.0, 0.52],
        "unit": ["kg/TJ", "kg/TJ", "t/t"],
        "source": ["2006 IPCC Guidelines Vol.2 Ch.1 Table 1.4 (other bituminous coal)",
                   "illustrative", "2006 IPCC Guidelines Vol.3 Ch.2 eq. 2.4 (default clinker factor)"],
    })
    controls = pd.DataFrame({"measure": ["fgd"], "sector": ["power_heat"], "pollutant": ["SO2"],
                             "removal_efficiency": [0.9], "application": [0.8]})
    exports = pd.DataFrame({"year": [2025], "producer_unit": ["652300"], "receiving_region": ["Anhui"],
                            "electricity": [1.0e10], "emission_factor": [0.9]})
    return {"activity": activity, "emission_factors": factors, "controls": controls,
            "electricity_exports": exports,
            "levers": {"growth": {"power_heat": 0.03}, "end_year": 2025}}


def check(given: Mapping[str, Any]) -> None:
    """The levers and the tables given as files (factor library, activity, controls), checked
    before a scenario runs; tables that come from an upstream step are checked in the run."""
    from pathlib import Path

    from ecociv.io.tables import read_table

    _, _, overrides = checks.parse_levers(given.get("levers"))
    tables = {item.id: read_table(given[item.id], item) for item in SPEC.inputs
              if item.type == "table" and isinstance(given.get(item.id), (str, Path))}
    factors = checks.check_factors(tables["emission_factors"]) if "emission_factors" in tables else None
    if factors is not None and "activity" in tables:
        checks.check_activity(tables["activity"], factors)
    if "controls" in tables:
        checks.check_controls(tables["controls"], overrides)


MODEL = Model(spec=SPEC, run=run, example=example, report=emissions_chart, check=check)
