"""PNG charts of ``pollution_control``: the stepwise marginal abatement cost curve."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def draw_mac(steps: pd.DataFrame, out: Path, *, title: str) -> Path:
    """A stepwise MAC curve: one bar per step, width = abatement (t/yr), height = unit cost (yuan/t),
    labelled with the measure, sector and unit.

    Parameters
    ----------
    steps : DataFrame
        Rows of ``mac_curve`` of one year and pollutant, ranked.
    out : Path
        The PNG to write.
    title : str
        The chart's title.
    """
    from matplotlib.figure import Figure

    steps = steps.sort_values("rank")
    left = steps["cumulative_abatement_t"] - steps["abatement_t"]
    figure = Figure(figsize=(10, 5.5))
    axes = figure.add_subplot()
    colours = {name: f"C{i % 10}" for i, name in enumerate(sorted(set(steps["measure"])))}
    axes.bar(left, steps["unit_cost"], width=steps["abatement_t"], align="edge",
             color=[colours[m] for m in steps["measure"]], edgecolor="black", linewidth=0.4)
    top = float(steps["unit_cost"].max()) * 1.15 + 1e-9
    if len(steps) <= 25:
        for x, width, label in zip(left, steps["abatement_t"],
                                   steps["measure"] + " / " + steps["sector"] + " / " + steps["unit"],
                                   strict=True):
            axes.text(x + width / 2, 0.02 * top, label, rotation=90, fontsize=6, ha="center", va="bottom",
                      clip_on=True)
    from matplotlib.patches import Patch

    axes.legend(handles=[Patch(color=c, label=m) for m, c in colours.items()], fontsize=7, loc="upper left")
    axes.set_xlabel("cumulative abatement (t/yr)")
    axes.set_ylabel("unit cost (yuan/t removed)")
    axes.set_title(title)
    axes.set_xlim(0, max(float(steps["cumulative_abatement_t"].max()), 1e-9))
    axes.set_ylim(0, top)
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=150, bbox_inches="tight")
    return out
