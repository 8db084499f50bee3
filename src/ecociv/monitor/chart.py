"""``chart.png``: the checks of the latest year of each place and indicator as bars of the
pressure ratio (value over its limit, cap or floor), coloured by carrying state, with the
overload line at 1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

COLOURS = {"overloaded": "#c0392b", "near_overload": "#e67e22", "not_overloaded": "#27ae60"}

#: bars shown at most (the highest ratios)
MAX_BARS = 40


def draw(evaluations: Any, path: Path) -> bool:
    """Draw the chart into ``path``; False (nothing written) when there is no check."""
    if evaluations.empty:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    latest = evaluations.sort_values("year").drop_duplicates(["place", "indicator", "statistic"], keep="last")
    latest = latest[np.isfinite(latest["ratio"].astype(float))]
    latest = latest.sort_values("ratio", ascending=False).head(MAX_BARS).iloc[::-1]
    if latest.empty:
        return False
    labels = [f"{p} · {i} · {s.split(' (')[0]} · {y}" for p, i, s, y in
              zip(latest["place"], latest["indicator"], latest["statistic"], latest["year"], strict=True)]
    fig, ax = plt.subplots(figsize=(10, 1.2 + 0.28 * len(latest)))
    try:
        ax.barh(range(len(latest)), latest["ratio"].astype(float),
                color=[COLOURS.get(s, "grey") for s in latest["state"]])
        ax.axvline(1.0, color="black", linewidth=1)
        ax.set_yticks(range(len(latest)), labels, fontsize=7)
        ax.set_xlabel("ratio to the limit, cap or floor (1 = at the limit; above 1 = beyond it)")
        ax.set_title("Monitoring: latest year of each check (red overloaded, orange near-overload, green not)",
                     fontsize=9)
        fig.tight_layout()
        fig.savefig(path, dpi=110, bbox_inches="tight")
    finally:
        plt.close(fig)
    return True
