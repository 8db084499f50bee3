"""Observations and targets from a finished run's ``water_allocation`` outputs, so that a scenario
(e.g. the Belt 2020-2035) is monitored like observed data: monthly lake areas (``lakes.csv``,
floor = the lake's target area of the network), monthly deliveries summed per administrative unit
(``deliveries.csv``, indicator ``water_use``) and yearly pumping per aquifer
(``groundwater.csv``, indicator ``groundwater_use``, cap = the allowable abstraction 可开采量 of
that year)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ecociv.errors import InputError

MODEL = "water_allocation"


def _table(folder: Path, name: str) -> Any:
    import pandas as pd

    path = folder / f"{name}.csv"
    if not path.is_file():
        return None
    return pd.read_csv(path, encoding="utf-8-sig", dtype={"unit": str})


def from_run(run: Path) -> tuple[Any, list[dict[str, Any]]]:
    """Long-format observation strings (station, unit, indicator, time, value, units) and target
    rows taken from ``run/water_allocation``.

    Raises
    ------
    InputError
        ``run`` has no ``water_allocation`` folder with any of the tables used.
    """
    import pandas as pd

    folder = Path(run) / MODEL
    label = f"run {run}"
    if not folder.is_dir():
        raise InputError(f"no {MODEL}/ folder: expected a finished run folder (<store>/runs/<run-id>) "
                         "with the water_allocation outputs", source=label)
    parts: list[Any] = []
    targets: list[dict[str, Any]] = []
    source = f"run {Path(run).name}, {MODEL}"
    lakes = _table(folder, "lakes")
    if lakes is not None and len(lakes):
        parts.append(pd.DataFrame({"station": lakes["lake"], "unit": "", "indicator": "lake_area",
                                   "time": lakes["month"], "value": lakes["area_km2"], "units": "km2"}))
        floors = lakes.dropna(subset=["target_area_km2"]).drop_duplicates("lake")
        targets += [{"place": str(r.lake), "indicator": "lake_area", "kind": "floor",
                     "value": float(r.target_area_km2), "units": "km2", "period": None,
                     "source": f"{source} lakes.target_area_km2", "status": "model"}
                    for r in floors.itertuples()]
    deliveries = _table(folder, "deliveries")
    if deliveries is not None and len(deliveries):
        unit = deliveries["unit"].fillna("").astype(str).where(lambda u: u != "", deliveries["site"])
        use = deliveries.assign(place=unit).groupby(["place", "month"], as_index=False)["delivered_m3"].sum()
        parts.append(pd.DataFrame({"station": use["place"], "unit": use["place"], "indicator": "water_use",
                                   "time": use["month"], "value": use["delivered_m3"], "units": "m3"}))
    groundwater = _table(folder, "groundwater")
    if groundwater is not None and len(groundwater):
        gw = groundwater
        parts.append(pd.DataFrame({"station": gw["aquifer"], "unit": gw["unit"].fillna("").astype(str),
                                   "indicator": "groundwater_use", "time": gw["year"].astype(str),
                                   "value": gw["pumping_m3"], "units": "m3"}))
        targets += [{"place": str(r.aquifer), "indicator": "groundwater_use", "kind": "cap",
                     "value": float(r.allowable_abstraction_m3), "units": "m3", "period": int(r.year),
                     "source": f"{source} groundwater.allowable_abstraction_m3", "status": "model"}
                    for r in gw.dropna(subset=["allowable_abstraction_m3"]).itertuples()
                    if float(r.allowable_abstraction_m3) > 0]
    if not parts:
        raise InputError(f"{MODEL}/ has none of lakes.csv, deliveries.csv, groundwater.csv", source=label)
    frame = pd.concat(parts, ignore_index=True)
    return frame.astype({"value": str}).astype(str), targets
