"""Write a synthetic (illustrative) water network of about 50 nodes for the allocation benchmark.

Used by ``bench_water_allocation.py`` when the Belt network (src/ecociv/data/water/belt_network)
cannot be loaded, and with ``--synthetic`` on request. Every figure here is made up to give a
network of the Belt's size and structure; nothing is a statistic.

Per basin (``--basins``, default 4): a headwater inflow with a monthly series (annual volume ×
a seeded lognormal year factor × a snow-melt monthly shape), a tributary inflow, a reservoir,
two junctions, six demand sites (domestic p1, ecology p2, industry p3, livestock p3, two
irrigation districts p4, the lower one with a return flow), an aquifer pumped as second
preference, a sink; basin 1 ends in a terminal lake with the Ebinur volume–area–level curve
(src/ecociv/data/water/ebinur_curve.csv, copied) and a minimum inflow; basins are chained by
transfers with losses (the last one disabled, as a planned transfer).

Usage::

    .venv/bin/python benchmarks/make_water_network.py [--out benchmarks/_work/water_network_synthetic]
        [--basins 4] [--years 30] [--seed 7]
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CURVE = ROOT / "src" / "ecociv" / "data" / "water" / "ebinur_curve.csv"
MELT = [0.02, 0.02, 0.02, 0.03, 0.07, 0.19, 0.28, 0.22, 0.07, 0.04, 0.02, 0.02]  # illustrative, sums to 1


def make_network(out: Path, *, basins: int = 4, years: int = 30, seed: int = 7) -> Path:
    """Write ``network.yaml``, ``inflows.csv`` and the lake curve into ``out``; return the YAML path."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(CURVE, out / "lake_curve.csv")
    months = years * 12
    labels = [f"{1991 + m // 12}-{m % 12 + 1:02d}" for m in range(months)]
    series: dict[str, np.ndarray] = {}
    nodes: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    for b in range(basins):
        basin = f"basin{b + 1}"
        annual = rng.uniform(6.0, 14.0)  # 10⁸ m³/yr, illustrative
        for name, share in (("main", 1.0), ("trib", 0.3)):
            factors = rng.lognormal(-0.02, 0.2, years)
            series[f"{basin}_{name}"] = np.repeat(factors, 12) * np.tile(MELT, years) * annual * share
        p = f"{basin}_"
        nodes += [
            {"id": p + "source", "type": "inflow", "basin": basin, "inflow": {"series": f"{basin}_main"}},
            {"id": p + "trib", "type": "inflow", "basin": basin, "inflow": {"series": f"{basin}_trib"}},
            {"id": p + "dam", "type": "reservoir", "basin": basin, "capacity": round(0.25 * annual, 3),
             "initial": round(0.1 * annual, 3), "area": "20 km**2",
             "evaporation_mm": [5, 14, 48, 110, 165, 187, 197, 168, 108, 54, 20, 8]},
            {"id": p + "middle", "type": "junction", "basin": basin},
            {"id": p + "lower", "type": "junction", "basin": basin},
            {"id": p + "aquifer", "type": "aquifer", "basin": basin, "initial": round(5 * annual, 3),
             "recharge": round(0.08 * annual, 4), "sustainable_yield": round(0.08 * annual, 4),
             "pumping_limit": round(0.15 * annual, 4)},
            {"id": p + "domestic", "type": "demand", "basin": basin, "sector": "domestic",
             "demand": round(0.05 * annual, 4), "return_fraction": 0.0},
            {"id": p + "ecology", "type": "demand", "basin": basin, "sector": "ecology",
             "demand": round(0.06 * annual, 4)},
            {"id": p + "industry", "type": "demand", "basin": basin, "sector": "industry",
             "demand": round(0.08 * annual, 4)},
            {"id": p + "livestock", "type": "demand", "basin": basin, "sector": "livestock",
             "demand": round(0.02 * annual, 4)},
            {"id": p + "irrigation_up", "type": "demand", "basin": basin, "sector": "agriculture",
             "demand": {"annual": round(0.45 * annual, 4), "monthly_shares": [0, 0, 0.05, 0.12, 0.17, 0.2, 0.2,
                                                                               0.15, 0.08, 0.03, 0, 0]}},
            {"id": p + "irrigation_low", "type": "demand", "basin": basin, "sector": "agriculture",
             "return_fraction": 0.15,
             "demand": {"annual": round(0.35 * annual, 4), "monthly_shares": [0, 0, 0.05, 0.12, 0.17, 0.2, 0.2,
                                                                               0.15, 0.08, 0.03, 0, 0]}},
        ]
        end = "lake" if b == 0 else f"{basin}_sink"
        if b > 0:
            nodes.append({"id": end, "type": "sink", "basin": basin})
        links += [
            {"id": p + "to_dam", "from": p + "source", "to": p + "dam", "kind": "river"},
            {"id": p + "release", "from": p + "dam", "to": p + "middle", "kind": "river"},
            {"id": p + "trib_in", "from": p + "trib", "to": p + "middle", "kind": "river", "loss": 0.05},
            {"id": p + "reach", "from": p + "middle", "to": p + "lower", "kind": "river", "loss": 0.1,
             "loss_to": p + "aquifer"},
            {"id": p + "outlet", "from": p + "lower", "to": end, "kind": "river", "loss": 0.1},
            {"id": p + "s_domestic", "from": p + "dam", "to": p + "domestic", "kind": "supply"},
            {"id": p + "g_domestic", "from": p + "aquifer", "to": p + "domestic", "kind": "supply", "preference": 2},
            {"id": p + "s_industry", "from": p + "middle", "to": p + "industry", "kind": "supply"},
            {"id": p + "g_industry", "from": p + "aquifer", "to": p + "industry", "kind": "supply", "preference": 2},
            {"id": p + "s_livestock", "from": p + "middle", "to": p + "livestock", "kind": "supply"},
            {"id": p + "s_ecology", "from": p + "lower", "to": p + "ecology", "kind": "supply"},
            {"id": p + "s_irr_up", "from": p + "middle", "to": p + "irrigation_up", "kind": "supply", "loss": 0.1,
             "capacity": round(0.12 * annual * 12, 3)},
            {"id": p + "g_irr_up", "from": p + "aquifer", "to": p + "irrigation_up", "kind": "supply",
             "preference": 2},
            {"id": p + "s_irr_low", "from": p + "lower", "to": p + "irrigation_low", "kind": "supply", "loss": 0.1},
            {"id": p + "g_irr_low", "from": p + "aquifer", "to": p + "irrigation_low", "kind": "supply",
             "preference": 2},
            {"id": p + "irr_return", "from": p + "irrigation_low", "to": p + "lower", "kind": "return"},
        ]
        if b > 0:
            links.append({"id": f"transfer_{b}_{b + 1}", "from": f"basin{b}_middle", "to": p + "middle",
                          "kind": "transfer", "capacity": 1.0, "loss": 0.05, "enabled": b < basins - 1})
    nodes.append({"id": "lake", "type": "lake", "basin": "basin1", "curve": "lake_curve.csv",
                  "initial_volume": 7.6, "target_area": "500 km**2", "minimum_inflow": 1.5,
                  "evaporation_mm": [5.4, 13.7, 47.7, 109.7, 164.6, 187.3, 197.4, 168.3, 107.5, 54.1, 20.5, 7.9],
                  "precipitation_mm": [6.6, 7.5, 15.5, 22.9, 26.3, 15.4, 16.4, 15.5, 21.4, 20.1, 13.8, 8.2]})
    frame = "month," + ",".join(series) + "\n" + "".join(
        f"{label}," + ",".join(f"{series[k][m]:.6g}" for k in series) + "\n" for m, label in enumerate(labels))
    (out / "inflows.csv").write_text(frame, encoding="utf-8")
    doc = {"name": "Synthetic benchmark network (illustrative)",
           "description": f"{basins} made-up basins written by benchmarks/make_water_network.py (seed {seed}); "
                          "every figure is illustrative",
           "start": "1991-01", "months": months,
           "defaults": {"volume_units": "hundred_million m**3", "flow_units": "hundred_million m**3/yr"},
           "series": [{"file": "inflows.csv", "units": "hundred_million m**3/month"}],
           "nodes": nodes, "links": links}
    path = out / "network.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "_work" / "water_network_synthetic")
    parser.add_argument("--basins", type=int, default=4)
    parser.add_argument("--years", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(make_network(args.out, basins=args.basins, years=args.years, seed=args.seed))


if __name__ == "__main__":
    main()
