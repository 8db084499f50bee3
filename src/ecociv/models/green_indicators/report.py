"""The report hook of ``green_indicators``: the Tapio elasticities and the LMDI effects as PNG."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ecociv.models.green_indicators.kernels import LOWER, UPPER

T_PER_MT = 1e6
EFFECTS = (("population_effect_t", "population", "#8c564b"), ("activity_effect_t", "activity", "#1f77b4"),
           ("structure_effect_t", "structure", "#2ca02c"), ("intensity_effect_t", "intensity", "#d62728"))


def charts(step_folder: Path, manifest: Mapping[str, Any]) -> list[Path]:
    """``decoupling.png`` and ``lmdi.png`` in the step folder of a finished run.

    Parameters
    ----------
    step_folder : Path
        The run's step folder (holding ``decoupling.csv`` and ``lmdi.csv``).
    manifest : mapping
        The step's manifest (unused).

    Returns
    -------
    list of Path
        The files written (none when the tables are missing or empty).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    step_folder = Path(step_folder)
    written: list[Path] = []
    if (step_folder / "decoupling.csv").is_file():
        table = pd.read_csv(step_folder / "decoupling.csv", dtype={"unit": str})
        table = table[table["elasticity"].notna()]
        if len(table):
            fig, ax = plt.subplots(figsize=(8, 4.5))
            for unit, rows in table.groupby("unit"):
                ax.plot(rows["period"], rows["elasticity"], marker="o", label=str(unit))
                for _, row in rows.iterrows():
                    ax.annotate(row["state"], (row["period"], row["elasticity"]), fontsize=7,
                                textcoords="offset points", xytext=(0, 6), ha="center")
            for level in (0.0, LOWER, UPPER):
                ax.axhline(level, color="grey", lw=0.8, ls="--")
            ax.set_ylabel("Tapio elasticity e = %ΔCO2 / %ΔGDP")
            ax.set_title("Decoupling of CO2 from value added (Tapio 2005)")
            ax.legend(title="unit", fontsize=8)
            fig.autofmt_xdate()
            fig.tight_layout()
            written.append(step_folder / "decoupling.png")
            fig.savefig(written[-1], dpi=120)
            plt.close(fig)
    if (step_folder / "lmdi.csv").is_file():
        table = pd.read_csv(step_folder / "lmdi.csv", dtype={"unit": str})
        table = table[table["co2_change_t"].notna()]
        if len(table):
            labels = [f"{u}\n{p}" for u, p in zip(table["unit"], table["period"], strict=True)]
            fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(table)), 4.5))
            positive = [0.0] * len(table)
            negative = [0.0] * len(table)
            for column, name, colour in EFFECTS:
                values = (table[column].fillna(0.0) / T_PER_MT).tolist()
                bottoms = [positive[i] if v >= 0 else negative[i] for i, v in enumerate(values)]
                ax.bar(labels, values, bottom=bottoms, color=colour, label=name)
                for i, v in enumerate(values):
                    if v >= 0:
                        positive[i] += v
                    else:
                        negative[i] += v
            ax.scatter(labels, table["co2_change_t"] / T_PER_MT, color="black", zorder=3,
                       label="total change")
            ax.axhline(0, color="black", lw=0.8)
            ax.set_ylabel("effect on CO2 (Mt/yr)")
            ax.set_title("LMDI-I decomposition of the CO2 change")
            ax.legend(fontsize=8)
            fig.tight_layout()
            written.append(step_folder / "lmdi.png")
            fig.savefig(written[-1], dpi=120)
            plt.close(fig)
    return written
