"""PNG chart of ``industry_structure``: the epsilon-constraint Pareto front."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

_READABLE = {"hundred_million * m**3": "10^8 m3", "hundred_million * yuan": "10^8 yuan",
             "ten_thousand persons": "10^4 persons", "km**2": "km2"}


def draw_pareto(front: pd.DataFrame, out: Path) -> Path:
    """The front: pressure at the optimum (x) against the objective (y), one marker per point.

    Parameters
    ----------
    front : DataFrame
        ``pareto_front`` rows (one year and pressure).
    out : Path
        The PNG to write.
    """
    from matplotlib.figure import Figure

    front = front.sort_values("point")
    figure = Figure(figsize=(7, 5))
    axes = figure.add_subplot()
    axes.plot(front["pressure_value"], front["objective_value"], marker="o", color="C0")
    pressure, units = front["pressure"].iloc[0], front["pressure_units"].iloc[0]
    objective_units = str(front["objective_units"].iloc[0])
    axes.set_xlabel(f"{pressure} ({_READABLE.get(units, units)})")
    axes.set_ylabel(f"objective ({_READABLE.get(objective_units, objective_units)})")
    axes.set_title(f"Pareto front, {int(front['year'].iloc[0])}: objective against {pressure}")
    axes.grid(alpha=0.3)
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=150, bbox_inches="tight")
    return out
