"""Time the industry chain on the size of the Belt: 14 units × 18 sectors × 7 pollutants, annual
2020-2035 — emission_inventory (activity projected from 2020), pollution_control (one control LP
per year with unit, basin and region caps, MAC curves) and industry_structure (one structure LP per
year with water, energy and pollutant caps, share limits, and an 11-point Pareto front).

Numbers are synthetic (only the size matters); the control library is the shipped one. Run:
python benchmarks/bench_industry.py [--repeat N]"""

from __future__ import annotations

import argparse
import time
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd

from ecociv.models.emission_inventory.model import inventory
from ecociv.models.emission_inventory.spec import POLLUTANTS
from ecociv.models.industry_structure.model import run as structure_run
from ecociv.models.pollution_control.checks import SECTORS
from ecociv.models.pollution_control.model import run as control_run

UNITS = [f"65{i:04d}" for i in range(14)]
PROCESSES = ["coal", "gas", "process"]
YEARS = range(2020, 2036)


def inputs(rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    activity = pd.DataFrame([(u, s, 2020, p, float(rng.uniform(1, 100)), "TJ")
                             for u in UNITS for s in SECTORS for p in PROCESSES],
                            columns=["unit", "sector", "year", "process", "activity", "activity_unit"])
    factors = pd.DataFrame([("*", p, q, float(rng.uniform(10, 1000)), "kg/TJ", "synthetic")
                            for p in PROCESSES for q in POLLUTANTS],
                           columns=["sector", "process", "pollutant", "value", "unit", "source"])
    controls = pd.DataFrame(columns=["measure", "sector", "pollutant", "removal_efficiency", "application"])
    accounts = pd.DataFrame([(u, s, 2020, float(rng.uniform(5, 200)), float(rng.uniform(0.1, 5)),
                              float(rng.uniform(0.01, 0.5)), float(rng.uniform(1e4, 1e6)))
                             for u in UNITS for s in SECTORS],
                            columns=["unit", "sector", "year", "value_added", "employment", "water_use",
                                     "energy_use"])
    return {"activity": activity, "factors": factors, "controls": controls, "accounts": accounts}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    measures = pd.read_csv(Path(str(files("ecociv") / "data" / "industry" / "control_measures.csv")),
                           dtype={"source": str})
    timings: dict[str, list[float]] = {"emission_inventory": [], "pollution_control": [],
                                       "industry_structure": [], "total": []}
    for repeat in range(args.repeat):
        data = inputs(np.random.default_rng(repeat))
        start = time.perf_counter()
        emissions = inventory(data["activity"], data["factors"], data["controls"],
                              {"growth": {"*": 0.04}, "end_year": 2035})
        t1 = time.perf_counter()
        sources = emissions.groupby(["year", "unit", "sector", "pollutant"], as_index=False)["emission_t"].sum()
        minimum = control_run({"emissions": sources, "measures": measures,
                               "caps": pd.DataFrame({"pollutant": ["SO2"], "area": ["all"], "cap_t": [1e12]})}
                              )["residual_emissions"]
        # caps: 1.02 × the technical minimum per unit and pollutant, 1.05 × per basin (COD, NH3-N) and
        # region (every pollutant): all feasible, most binding
        per_unit = minimum.groupby(["year", "unit", "pollutant"], as_index=False)["technical_minimum_t"].sum()
        caps = per_unit.assign(area=per_unit["unit"], cap_t=per_unit["technical_minimum_t"] * 1.02 + 1.0)
        region = minimum.groupby(["year", "pollutant"], as_index=False)["technical_minimum_t"].sum()
        region = region.assign(area="all", cap_t=region["technical_minimum_t"] * 1.05 + 1.0)
        basins = pd.DataFrame({"unit": UNITS, "basin": ["ebinur_lake"] * 5 + ["chaiwopu_lake"] * 5 +
                               ["shuimo_river"] * 4, "share": 1.0})
        basin_min = minimum.merge(basins, on="unit").query("pollutant in ['COD', 'NH3-N']").groupby(
            ["year", "basin", "pollutant"], as_index=False)["technical_minimum_t"].sum()
        basin_caps = basin_min.assign(area=basin_min["basin"], cap_t=basin_min["technical_minimum_t"] * 1.05 + 1.0)
        all_caps = pd.concat([caps, region, basin_caps], ignore_index=True)[["pollutant", "area", "cap_t", "year"]]
        t2 = time.perf_counter()
        control = control_run({"emissions": sources, "measures": measures, "caps": all_caps, "unit_basins": basins})
        t3 = time.perf_counter()
        base = data["accounts"]
        structure_caps = pd.DataFrame(
            [(u, "water", float(base[base["unit"] == u]["water_use"].sum()) * 1.2) for u in UNITS]
            + [("all", "energy", float(base["energy_use"].sum()) * 1.3)]
            + [("all", p, float(emissions[(emissions["year"] == 2020) & (emissions["pollutant"] == p)][
                "emission_t"].sum()) * 1.1) for p in POLLUTANTS],
            columns=["unit", "resource", "cap"])
        limits = pd.DataFrame({"unit": ["all", "all"], "sector": ["tourism", "transport_logistics"],
                               "min_share": [0.001, 0.001]})
        structure = structure_run({"accounts": base, "caps": structure_caps, "sector_limits": limits,
                                   "emissions": emissions[emissions["year"] == 2020], "last_year": 2035,
                                   "pareto_pressure": "CO2"})
        t4 = time.perf_counter()
        timings["emission_inventory"].append(t1 - start)
        timings["pollution_control"].append(t3 - t2)
        timings["industry_structure"].append(t4 - t3)
        timings["total"].append((t1 - start) + (t3 - t2) + (t4 - t3))
        if repeat == 0:
            print(f"emission rows {len(emissions)}, sources {len(sources)}, caps {len(all_caps)}, "
                  f"measures chosen {len(control['measures_applied'])}, binding caps "
                  f"{int(control['shadow_prices']['binding'].sum())}, structure rows {len(structure['structure'])}, "
                  f"pareto points {len(structure['pareto_front'])}")
    for name, values in timings.items():
        print(f"{name:20s} best {min(values):6.2f} s   median {float(np.median(values)):6.2f} s")


if __name__ == "__main__":
    main()
