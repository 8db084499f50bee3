"""The map of a finished ``park_risk`` run: parks coloured by risk potential, with the rivers and
settlements the run used when they were files (``park_risk_map.png``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

COLOURS = {"I": "#1a9850", "II": "#a6d96a", "III": "#fdae61", "IV": "#d73027", "IV+": "#7f0000"}


def _layer(manifest: Mapping[str, Any], name: str, crs: Any) -> Any:
    entry = manifest.get("inputs", {}).get(name) or {}
    path = entry.get("path")
    if not path or not Path(path).exists():
        return None
    import geopandas as gpd

    try:
        frame = gpd.read_file(path)
    except Exception:  # a layer that cannot be read again is left off the map, never fatal
        return None
    return frame.to_crs(crs) if crs is not None and frame.crs is not None else frame


def risk_map(step_folder: Path, manifest: Mapping[str, Any]) -> list[Path]:
    """Draw ``park_risk_map.png`` from ``park_risk.csv`` in the step folder.

    Returns
    -------
    list of Path
        The file written (none when the run wrote no ``park_risk.csv``).
    """
    table_path = step_folder / "park_risk.csv"
    if not table_path.is_file():
        return []
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd
    from matplotlib.lines import Line2D

    table = pd.read_csv(table_path)
    crs = (manifest.get("grid") or {}).get("crs")
    fig, ax = plt.subplots(figsize=(10, 6), dpi=120)
    rivers = _layer(manifest, "rivers", crs)
    if rivers is not None:
        rivers.plot(ax=ax, color="#6baed6", linewidth=0.6)
    towns = _layer(manifest, "settlements", crs)
    if towns is not None:
        ax.scatter(towns.geometry.x, towns.geometry.y, s=6, c="#636363", marker="s", label="settlements")
    for row in table.itertuples(index=False):
        colour = COLOURS.get(str(row.risk_potential), "#000000")
        ax.scatter([row.x], [row.y], s=120, c=colour, edgecolors="black", zorder=3)
        ax.annotate(f"{row.park_id}: {row.risk_potential}\n({row.p_class or 'Q<1'}, air {row.e_air})",
                    (row.x, row.y), textcoords="offset points", xytext=(6, 6), fontsize=7)
    pad = 30_000.0
    ax.set_xlim(table["x"].min() - pad, table["x"].max() + pad)
    ax.set_ylim(table["y"].min() - pad, table["y"].max() + pad)
    ax.set_aspect("equal")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.set_title("Environmental risk potential of industrial parks\n(HJ 169-2018 structure; screening)",
                 fontsize=10)
    handles = [Line2D([], [], marker="o", linestyle="", markerfacecolor=c, markeredgecolor="black",
                      markersize=9, label=k) for k, c in COLOURS.items()]
    ax.legend(handles=handles, title="risk potential", loc="upper left", bbox_to_anchor=(1.01, 1.0),
              fontsize=7)
    illustrative = table["inventory_status"].astype(str).str.contains("illustrative|mixed|unknown")
    if illustrative.any():
        fig.text(0.01, 0.01, "Inventories marked illustrative are placeholders, not published figures; "
                 "park locations may be approximate.", fontsize=7, color="#b2182b")
    out = step_folder / "park_risk_map.png"
    fig.savefig(out, metadata={"Software": None}, bbox_inches="tight")
    plt.close(fig)
    return [out]
