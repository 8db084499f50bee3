"""A chart of the Sobol indices (or, after Monte Carlo, of the relative 5–95 % ranges)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def plot_indices(sobol: pd.DataFrame, indicator: str, out: Path) -> Path:
    """Horizontal bars of S1 and ST (with bootstrap 95 % intervals) of one indicator, parameters
    sorted by ST (a tornado layout)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    rows = sobol[sobol["indicator"] == indicator].sort_values("ST")
    fig, ax = plt.subplots(figsize=(7, 1.2 + 0.45 * len(rows)))
    y = np.arange(len(rows))
    ax.barh(y + 0.2, rows["ST"], height=0.38, xerr=rows["ST_conf"], color="#b2182b",
            label="total order ST")
    ax.barh(y - 0.2, rows["S1"], height=0.38, xerr=rows["S1_conf"], color="#2166ac",
            label="first order S1")
    ax.set_yticks(y, list(rows["parameter"]))
    ax.set_xlabel("Sobol index (share of variance); lines: bootstrap 95 % interval")
    ax.set_title(f"Sensitivity of {indicator}", fontsize=10)
    ax.axvline(0, color="black", linewidth=0.6)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def plot_ranges(table: pd.DataFrame, out: Path, top: int = 15) -> Path:
    """Bars of the 5–95 % range of the indicators relative to their median (%), widest first."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    frame = table.dropna(subset=["p05", "p95", "p50"])
    frame = frame[frame["p50"].abs() > 0]
    low = 100 * (frame["p05"] - frame["p50"]) / frame["p50"].abs()
    high = 100 * (frame["p95"] - frame["p50"]) / frame["p50"].abs()
    order = (high - low).sort_values(ascending=False).index[:top][::-1]
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.4 * max(1, len(order))))
    y = np.arange(len(order))
    ax.barh(y, high[order] - low[order], left=low[order], color="#4393c3")
    ax.set_yticks(y, [str(frame.loc[i, "indicator"])[:60] for i in order], fontsize=7)
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_xlabel("5–95 % range relative to the median (%)")
    ax.set_title("Widest uncertainty ranges", fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
