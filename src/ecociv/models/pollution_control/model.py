"""``pollution_control`` — least-cost control measures meeting emission caps per pollutant and
unit or basin, with stepwise marginal abatement cost curves (污染物总量控制最小成本方案).

The formulation (how measures combine, the LP, the technical minimum and the MAC curve) is in
:mod:`.kernels`; docs/pollution_control.md gives the equations, units and limits.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ecociv.errors import InputError
from ecociv.models.pollution_control import checks
from ecociv.models.pollution_control.kernels import (
    TOLERANCE_T,
    Cap,
    ShortfallError,
    candidate_table,
    mac_steps,
    solve_year,
    technical_minimum,
)
from ecociv.models.pollution_control.spec import SPEC
from ecociv.spec import Model

KEY = ["unit", "sector", "pollutant"]


def _emissions(frame: pd.DataFrame, year: int | None) -> pd.DataFrame:
    checks.known(frame, "pollutant", checks.POLLUTANTS, "emissions", "pollutant")
    checks.known(frame, "sector", checks.SECTORS, "emissions", "sector")
    frame = frame.assign(unit=frame["unit"].astype(str), year=frame["year"].astype(int))
    if year is not None:
        frame = frame[frame["year"] == year]
        if frame.empty:
            raise InputError(f"no emissions for year {year}", source="table 'emissions'")
    grouped = frame.groupby(["year", *KEY], sort=True, as_index=False)["emission_t"].sum()
    return grouped[grouped["emission_t"] > 0].reset_index(drop=True)


def _measures(frame: pd.DataFrame) -> pd.DataFrame:
    checks.known(frame, "pollutant", checks.POLLUTANTS, "measures", "pollutant")
    checks.known(frame, "sector", checks.SECTORS, "measures", "sector")
    checks.sourced(frame, "measures")
    checks.unique(frame, ["measure", "sector", "pollutant"], "measures")
    return frame.reset_index(drop=True)


def _basins(frame: pd.DataFrame | None) -> dict[str, dict[str, float]]:
    """basin -> unit -> share."""
    if frame is None:
        return {}
    checks.unique(frame.assign(unit=frame["unit"].astype(str)), ["unit", "basin"], "unit_basins")
    out: dict[str, dict[str, float]] = {}
    for unit, basin, share in zip(frame["unit"].astype(str), frame["basin"].astype(str), frame["share"],
                                  strict=True):
        out.setdefault(basin, {})[unit] = float(share)
    return out


def _caps(frame: pd.DataFrame, units: set[str], basins: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    checks.known(frame, "pollutant", checks.POLLUTANTS, "caps", "pollutant")
    frame = frame.assign(area=frame["area"].astype(str).str.strip())
    if "year" not in frame.columns:
        frame = frame.assign(year=pd.array([pd.NA] * len(frame), dtype="Int64"))
    checks.unique(frame, ["pollutant", "area", "year"], "caps")
    for position, area in enumerate(frame["area"]):
        if area != "all" and area not in units and area not in basins:
            raise InputError(f"unknown area {area!r}: not a unit of the emissions table, not a basin of "
                             "unit_basins and not 'all'", source="table 'caps'",
                             where=f"{checks.line_of(frame, position)}, column 'area'")
    return frame


def _all_caps(caps: pd.DataFrame | None, allowances: pd.DataFrame | None, method: str | None) -> pd.DataFrame:
    """The caps table, with one unit cap per (unit, pollutant) of the allowances appended."""
    if caps is None and allowances is None:
        raise InputError("no caps: give the caps table, the allowances table (e.g. "
                         "@total_load_allocation.allocation) or both", source="caps")
    frames = [] if caps is None else [caps]
    if allowances is not None:
        rows = allowances
        if "method" in rows.columns and rows["method"].nunique() > 1:
            methods = sorted(rows["method"].astype(str).unique())
            if method is None:
                raise InputError(f"allowances hold several allocation rules ({', '.join(methods)}); choose one "
                                 "with allocation_method", source="table 'allowances'")
            if method not in methods:
                raise InputError(f"unknown allocation_method {method!r}; expected one of {', '.join(methods)}",
                                 source="allocation_method")
            rows = rows[rows["method"].astype(str) == method]
        checks.known(rows.reset_index(drop=True), "pollutant", checks.POLLUTANTS, "allowances", "pollutant")
        summed = rows.assign(area=rows["unit"].astype(str)).groupby(["pollutant", "area"], as_index=False)[
            "allowance_t"].sum().rename(columns={"allowance_t": "cap_t"})
        frames.append(summed)
    return pd.concat(frames, ignore_index=True)


def _year_caps(caps: pd.DataFrame, year: int, sources: pd.DataFrame,
               basins: Mapping[str, Mapping[str, float]]) -> list[Cap]:
    by_unit = sources.groupby(["unit", "pollutant"], sort=False).indices
    by_pollutant = sources.groupby("pollutant", sort=False).indices
    units = sources["unit"].to_numpy()
    empty = np.zeros(0, dtype=np.int64)
    of_year = caps[caps["year"].isna().to_numpy() | (caps["year"] == year).fillna(False).to_numpy(dtype=bool)]
    out = []
    for area, pollutant, cap_t in zip(of_year["area"], of_year["pollutant"], of_year["cap_t"], strict=True):
        if area == "all":
            area_type, positions = "region", by_pollutant.get(pollutant, empty)
            weights = np.ones(len(positions))
        elif area in basins:
            area_type = "basin"
            candidates = by_pollutant.get(pollutant, empty)
            shares = np.array([basins[area].get(u, 0.0) for u in units[candidates]])
            positions, weights = candidates[shares > 0], shares[shares > 0]
        else:
            area_type, positions = "unit", by_unit.get((area, pollutant), empty)
            weights = np.ones(len(positions))
        out.append(Cap(f"cap {pollutant} {area} {year}", str(area), area_type, str(pollutant), year,
                       float(cap_t), np.asarray(positions, dtype=np.int64), np.asarray(weights, dtype=float)))
    return out


def run(inputs: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """Least-cost measures per year; every table of :data:`SPEC`."""
    year = inputs.get("year")
    emissions = _emissions(inputs["emissions"], None if year is None else int(year))
    measures = _measures(inputs["measures"])
    basins = _basins(inputs.get("unit_basins"))
    caps = _all_caps(inputs.get("caps"), inputs.get("allowances"), inputs.get("allocation_method"))
    caps = _caps(caps, set(inputs["emissions"]["unit"].astype(str)), basins)
    applied, residual, prices, curves = [], [], [], []
    for y, sources in emissions.groupby("year", sort=True):
        sources = sources.reset_index(drop=True)
        emission = sources["emission_t"].to_numpy(dtype=float)
        candidates = candidate_table(sources, measures)
        minimum = technical_minimum(emission, candidates)
        year_caps = _year_caps(caps, int(y), sources, basins)
        try:
            result = solve_year(emission, candidates, year_caps, minimum)
        except ShortfallError as err:
            cap = err.cap
            raise InputError(
                f"cap on {cap.pollutant} in {cap.area_type} {cap.area} for {cap.year} is {cap.cap_t:.6g} t/yr, "
                f"below the technical minimum {err.minimum:.6g} t/yr (every measure of the library at its "
                f"maximum application): shortfall {err.minimum - cap.cap_t:.6g} t/yr; raise the cap or add "
                "measures", source="table 'caps'") from None
        chosen = candidates.assign(year=int(y), application=result.application, removed_t=result.removed,
                                   cost_yuan=result.cost)
        chosen = chosen.join(sources[["unit"]], on="source")
        applied.append(chosen[chosen["application"] > 1e-12])
        removed = np.bincount(candidates["source"].to_numpy(dtype=np.int64), weights=result.removed,
                              minlength=len(sources)) if len(candidates) else np.zeros(len(sources))
        cost = np.bincount(candidates["source"].to_numpy(dtype=np.int64), weights=result.cost,
                           minlength=len(sources)) if len(candidates) else np.zeros(len(sources))
        residual.append(sources.assign(removed_t=removed, residual_t=emission - removed,
                                       technical_minimum_t=minimum, cost_yuan=cost))
        for k, cap in enumerate(year_caps):
            prices.append({"constraint": cap.name, "unit": cap.area, "pollutant_or_resource": cap.pollutant,
                           "value": float(result.cap_dual[k]), "units": "yuan/t", "year": cap.year,
                           "area_type": cap.area_type, "cap_t": cap.cap_t,
                           "residual_t": float(result.cap_residual[k]),
                           "binding": bool(result.cap_residual[k] >= cap.cap_t - TOLERANCE_T * max(1.0, cap.cap_t))})
        curves.append(_curves(int(y), sources, emission, candidates))
    return _tables(applied, residual, prices, curves)


def _curves(year: int, sources: pd.DataFrame, emission: np.ndarray, candidates: pd.DataFrame) -> pd.DataFrame:
    if not len(candidates):
        return pd.DataFrame()
    source = candidates["source"].to_numpy(dtype=np.int64)
    pollutant = sources["pollutant"].to_numpy()[source]
    steps = mac_steps(emission, candidates, group=pollutant)
    if steps.empty:
        return pd.DataFrame()
    picked = steps["candidate"].to_numpy()
    where = source[picked]
    rank = steps.groupby("group", sort=False).cumcount().to_numpy() + 1
    frame = pd.DataFrame({
        "year": year, "pollutant": steps["group"].to_numpy(), "rank": rank,
        "unit": sources["unit"].to_numpy()[where], "sector": sources["sector"].to_numpy()[where],
        "measure": candidates["measure"].to_numpy()[picked], "unit_cost": steps["unit_cost"].to_numpy(),
        "abatement_t": steps["abatement_t"].to_numpy(),
        "cumulative_abatement_t": steps["cumulative_abatement_t"].to_numpy(),
        "cumulative_cost_yuan": steps["cumulative_cost_yuan"].to_numpy()})
    return frame.sort_values(["pollutant", "rank"], kind="stable").reset_index(drop=True)


def _tables(applied: list[pd.DataFrame], residual: list[pd.DataFrame], prices: list[dict[str, Any]],
            curves: list[pd.DataFrame]) -> dict[str, pd.DataFrame]:
    spec_columns = {o.id: [c.id for c in o.columns] for o in SPEC.outputs}  # type: ignore[union-attr]

    def table(output: str, frames: list[pd.DataFrame]) -> pd.DataFrame:
        frames = [f for f in frames if len(f)]
        data = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        return data.reindex(columns=spec_columns[output]).reset_index(drop=True)

    residual_table = table("residual_emissions", residual)
    costs = residual_table.groupby(["year", "unit", "pollutant"], as_index=False)[
        ["emission_t", "removed_t", "residual_t", "cost_yuan"]].sum()
    costs["average_cost"] = (costs["cost_yuan"] / costs["removed_t"]).where(costs["removed_t"] > 0)
    return {
        "measures_applied": table("measures_applied", applied),
        "residual_emissions": residual_table,
        "control_costs": costs.reindex(columns=spec_columns["control_costs"]),
        "shadow_prices": pd.DataFrame(prices).reindex(columns=spec_columns["shadow_prices"]),
        "mac_curve": table("mac_curve", curves),
    }


def example() -> dict[str, Any]:
    """Two units, three sectors and SO2/COD caps (illustrative emissions), with the shipped library."""
    from importlib.resources import files

    measures = pd.read_csv(Path(str(files("ecociv") / "data" / "industry" / "control_measures.csv")),
                           dtype={"source": str})
    emissions = pd.DataFrame({
        "year": [2030] * 6,
        "unit": ["650100", "650100", "650200", "650200", "650100", "652300"],
        "sector": ["power_heat", "steel", "power_heat", "non_metallic_minerals", "food_processing",
                   "food_processing"],
        "pollutant": ["SO2", "SO2", "SO2", "NOx", "COD", "COD"],
        "emission_t": [12000.0, 3000.0, 8000.0, 5000.0, 2000.0, 1500.0],
    })
    caps = pd.DataFrame({"pollutant": ["SO2", "SO2", "COD"], "area": ["650100", "all", "ebinur_lake"],
                         "cap_t": [8000.0, 15000.0, 1200.0]})
    basins = pd.DataFrame({"unit": ["650100", "652300"], "basin": ["ebinur_lake", "ebinur_lake"],
                           "share": [0.2, 1.0]})
    return {"emissions": emissions, "measures": measures, "caps": caps, "unit_basins": basins}


def mac_charts(step_folder: Path, manifest: Mapping[str, Any]) -> list[Path]:
    """``mac_<pollutant>.png`` in the step folder: the curve of the last year of ``mac_curve.csv``."""
    from ecociv.models.pollution_control.charts import draw_mac

    path = step_folder / "mac_curve.csv"
    if not path.is_file():
        return []
    curve = pd.read_csv(path, dtype={"unit": str})
    if curve.empty:
        return []
    last = curve[curve["year"] == curve["year"].max()]
    return [draw_mac(steps, step_folder / f"mac_{pollutant.replace('-', '_')}.png",
                     title=f"Marginal abatement cost, {pollutant}, {int(steps['year'].iloc[0])}")
            for pollutant, steps in last.groupby("pollutant", sort=True)]


def check(given: Mapping[str, Any]) -> None:
    """The tables given as files (measure library, caps, allowances, unit_basins), checked before a
    scenario runs: known sectors and pollutants, a source on every measure, unique keys; the
    emissions usually come from an upstream step and are checked in the run."""
    from ecociv.io.tables import read_table

    tables = {item.id: read_table(given[item.id], item) for item in SPEC.inputs
              if item.type == "table" and isinstance(given.get(item.id), (str, Path))}
    if "measures" in tables:
        _measures(tables["measures"])
    for name in ("caps", "allowances"):
        if name in tables:
            checks.known(tables[name], "pollutant", checks.POLLUTANTS, name, "pollutant")
    if "unit_basins" in tables:
        _basins(tables["unit_basins"])


MODEL = Model(spec=SPEC, run=run, example=example, report=mac_charts, check=check)
