"""The report hook of ``emission_inventory``: a chart of emissions per unit and pollutant."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any


def emissions_chart(step_folder: Path, manifest: Mapping[str, Any]) -> list[Path]:
    """``emissions_by_unit.png``: emission after control per unit in the last year, one panel per
    pollutant (t/yr; CO2 in Mt/yr).

    Parameters
    ----------
    step_folder : Path
        The run's step folder (holding ``emissions_by_unit.csv``).
    manifest : mapping
        The step's manifest (unused).

    Returns
    -------
    list of Path
        The PNG written, or nothing when the table is missing or empty.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    table_path = step_folder / "emissions_by_unit.csv"
    if not table_path.is_file():
        return []
    table = pd.read_csv(table_path, dtype={"unit": str})
    if table.empty:
        return []
    year = int(table["year"].max())
    last = table[table["year"] == year].set_index("unit")
    columns = [c for c in last.columns if c.endswith("_t") and last[c].sum() > 0]
    if not columns:
        return []
    figure, axes = plt.subplots(1, len(columns), figsize=(3.2 * len(columns), 3.6), squeeze=False)
    for axis, column in zip(axes[0], columns, strict=True):
        values = last[column] / (1e6 if column == "co2_t" else 1.0)
        axis.barh(values.index.astype(str), values.to_numpy(), color="#4a7f9a")
        axis.set_title(column.removesuffix("_t").upper().replace("NH3_N", "NH3-N"))
        axis.set_xlabel("Mt/yr" if column == "co2_t" else "t/yr")
    figure.suptitle(f"Emissions after control, {year}")
    figure.tight_layout()
    path = step_folder / "emissions_by_unit.png"
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return [path]
