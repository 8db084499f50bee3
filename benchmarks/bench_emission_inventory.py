"""Time ``emission_inventory`` on the size of the Belt: 14 units × 18 sectors × 4 processes × 7
pollutants, 2020 activity projected to 2035, one measure per sector and pollutant (synthetic
numbers; only the size matters). Run: python benchmarks/bench_emission_inventory.py"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from ecociv.models.emission_inventory.model import by_unit, inventory
from ecociv.models.emission_inventory.spec import POLLUTANTS

UNITS = [f"65{i:04d}" for i in range(14)]
SECTORS = [f"sector_{i}" for i in range(18)]
PROCESSES = ["coal", "gas", "oil", "process"]


def main() -> None:
    rng = np.random.default_rng(1)
    activity = pd.DataFrame([(u, s, 2020, p, float(rng.uniform(1, 100)), "TJ")
                             for u in UNITS for s in SECTORS for p in PROCESSES],
                            columns=["unit", "sector", "year", "process", "activity", "activity_unit"])
    factors = pd.DataFrame([("*", p, q, float(rng.uniform(1, 1000)), "kg/TJ", "synthetic")
                            for p in PROCESSES for q in POLLUTANTS],
                           columns=["sector", "process", "pollutant", "value", "unit", "source"])
    controls = pd.DataFrame([(f"m_{s}_{q}", s, q, 0.8, 0.5) for s in SECTORS for q in POLLUTANTS],
                            columns=["measure", "sector", "pollutant", "removal_efficiency", "application"])
    start = time.perf_counter()
    out = inventory(activity, factors, controls, {"growth": {"*": 0.04}, "end_year": 2035})
    by_unit(out)
    print(f"{len(out)} emission rows in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
