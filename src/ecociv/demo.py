"""``ecociv demo``: run the shipped example scenario and print its headline numbers."""

from __future__ import annotations

import shutil
import time
from importlib.resources import as_file, files
from pathlib import Path

import pandas as pd


def example_scenario() -> Path:
    """Path of the shipped example scenario (inside the installed package)."""
    with as_file(files("ecociv") / "data" / "example" / "scenario.yaml") as path:
        return Path(path)


def run_demo(store_root: Path) -> Path:
    """Run the example scenario into ``store_root`` and print a summary; return the run folder."""
    from rich.console import Console
    from rich.table import Table

    from ecociv.cli.run_cmd import execute_scenario

    # wide enough that names and numbers are never cut, also when output goes to a file
    console = Console(width=max(140, shutil.get_terminal_size((140, 40)).columns))
    started = time.perf_counter()
    scenario = example_scenario()
    console.print(f"ecociv demo: running {scenario} (SYNTHETIC example data; the Belt dataset "
                  "comes with issue 3)")
    result = execute_scenario(scenario, store_root, None, use_cache=False)
    folder = result.folder
    steps = {s["name"]: s for s in result.manifest["steps"]}
    water = pd.read_csv(folder / steps["water_yield"]["outputs"]["watershed_results"])
    carbon = pd.read_csv(folder / steps["carbon"]["outputs"]["carbon_totals"])
    table = Table("zone", "precipitation (mm)", "water yield (mm)", "water yield (10⁸ m³)",
                  "carbon baseline (Mt C)", "carbon scenario (Mt C)", "change (Mt C)",
                  title="Per watershed (synthetic data)")
    for (_, w), (_, c) in zip(water.iterrows(), carbon.iterrows(), strict=True):
        table.add_row(str(c["zone"]), f"{w['precip_mn']:.0f}", f"{w['wyield_mn']:.0f}",
                      f"{w['wyield_vol'] / 1e8:.3f}", f"{c['carbon_baseline_t'] / 1e6:.3f}",
                      f"{c['carbon_scenario_t'] / 1e6:.3f}", f"{c['carbon_change_t'] / 1e6:.4f}")
    console.print(table)
    et0 = pd.read_csv(folder / steps["et0_station"]["outputs"]["et0_table"])
    annual = et0["et0_mm_month"].sum() if "et0_mm_month" in et0 else float("nan")
    console.print(f"ET0 at the synthetic station ({et0['method'].iloc[0]}): {annual:.0f} mm/yr")
    console.print(f"run {result.run_id} written to {folder} in {time.perf_counter() - started:.1f} s")
    return folder
