"""The report hook of ``total_load_allocation``: allowances per unit under each rule, as PNG."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

COLOURS = {"equal_proportion": "#1f77b4", "equal_marginal_cost": "#ff7f0e", "equity_constrained": "#2ca02c"}


def allocation_chart(step_folder: Path, manifest: Mapping[str, Any]) -> list[Path]:
    """``allocation.png`` in the step folder of a finished run: one panel per basin and pollutant,
    baseline and allowance of each unit under the three rules, with each rule's total cost and
    Gini of allowance per capita in the legend.

    Parameters
    ----------
    step_folder : Path
        The run's step folder (holding ``allocation.csv`` and ``summary.csv``).
    manifest : mapping
        The step's manifest (unused).

    Returns
    -------
    list of Path
        The file written (none when the tables are missing).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    step_folder = Path(step_folder)
    if not ((step_folder / "allocation.csv").is_file() and (step_folder / "summary.csv").is_file()):
        return []
    allocation = pd.read_csv(step_folder / "allocation.csv", dtype={"unit": str, "basin": str})
    summary = pd.read_csv(step_folder / "summary.csv", dtype={"basin": str}).set_index(
        ["basin", "pollutant", "method"])
    groups = list(allocation.groupby(["basin", "pollutant"], sort=True))
    if not groups:
        return []
    fig, axes = plt.subplots(len(groups), 1, figsize=(8, 3.6 * len(groups)), squeeze=False)
    for ax, ((basin, pollutant), rows) in zip(axes[:, 0], groups, strict=True):
        units = list(dict.fromkeys(rows["unit"]))
        x = np.arange(len(units))
        baseline = rows.drop_duplicates("unit").set_index("unit").loc[units, "baseline_t"]
        ax.bar(x - 0.3, baseline, width=0.2, color="#bbbbbb", label="baseline")
        for k, (method, colour) in enumerate(COLOURS.items()):
            of_method = rows[rows["method"] == method].set_index("unit")
            if of_method.empty:
                continue
            total = summary.loc[(basin, pollutant, method)]
            label = (f"{method} (cost {total['cost_yuan'] / 1e6:.1f} M yuan/yr, "
                     f"Gini/capita {total['gini_per_capita']:.2f})")
            ax.bar(x - 0.1 + 0.2 * k, of_method.loc[units, "allowance_t"], width=0.2, color=colour, label=label)
        ax.set_xticks(x, units)
        ax.set_ylabel(f"{pollutant} (t/yr)")
        ax.set_title(f"basin {basin}: {pollutant} allowance by unit")
        ax.legend(fontsize=7)
    fig.tight_layout()
    path = step_folder / "allocation.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return [path]
