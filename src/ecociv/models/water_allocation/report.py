"""The report hook of ``water_allocation``: a diagram of the network as it was run."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

M3_PER_1E8M3 = 1e8


def network_diagram(step_folder: Path, manifest: Mapping[str, Any]) -> list[Path]:
    """``network_diagram.png`` and ``.svg`` in the step folder of a finished run.

    Parameters
    ----------
    step_folder : Path
        The run's step folder (holding ``flows.csv``).
    manifest : mapping
        The step's manifest (``inputs.network.path``, ``params.levers``).

    Returns
    -------
    list of Path
        The files written: the network as run (levers applied) with each link's mean annual flow in
        10⁸ m³/yr; none when the manifest names no network file.
    """
    import pandas as pd

    from ecociv.models.water_allocation.diagram import draw_network_files
    from ecociv.models.water_allocation.document import read_document

    entry = manifest.get("inputs", {}).get("network") or {}
    if not entry.get("path") or not (step_folder / "flows.csv").is_file():
        return []  # a run on an in-memory network, or without its flows: nothing to draw
    doc, path = read_document(Path(entry["path"]))
    levers = manifest.get("params", {}).get("levers") or {}
    if levers:  # (the levers' module imports the model's spec: pydantic, ≈ 0.2 s of CPU)
        from ecociv.models.water_allocation.levers import apply_levers

        doc = apply_levers(doc, levers, source=str(path))
    flows = pd.read_csv(step_folder / "flows.csv")
    years = flows["month"].nunique() / 12.0
    mean = (flows.groupby("link")["flow_m3"].sum() / years / M3_PER_1E8M3).to_dict()
    name = str(doc.get("name", path.parent.name))
    # one figure for both files: laid out and measured once
    return draw_network_files(doc, [step_folder / f"network_diagram.{suffix}" for suffix in ("png", "svg")],
                              title=f"{name}: mean annual flow", flows=mean, flow_units="10^8 m3/yr")
