"""Inputs of ``park_risk`` for the embedded Belt dataset: the shipped parks layer and a settlement
layer made of the dataset's cities (GeoNames, with population) and county seats (cpca) carrying the
2020 census urban population of their county where no GeoNames city lies within 5 km of the seat."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

SEAT_MERGE_DISTANCE_M = 5000.0


def parks_tables() -> dict[str, pd.DataFrame]:
    """``parks``, ``park_substances`` and ``park_processes`` from src/ecociv/data/industry/parks*.csv."""
    folder = files("ecociv") / "data" / "industry"
    return {"parks": pd.read_csv(str(folder / "parks.csv"), dtype={"park_id": str, "host_unit": str}),
            "park_substances": pd.read_csv(str(folder / "parks_substances.csv"), dtype={"park_id": str}),
            "park_processes": pd.read_csv(str(folder / "parks_processes.csv"), dtype={"park_id": str})}


def settlements(dataset: Path) -> Any:
    """Settlement points with ``population`` (persons) and ``origin`` from a Belt dataset folder.

    GeoNames cities (``cities.gpkg``, population year varies) plus every county seat
    (``county_seats.gpkg``) farther than 5 km from all of them, with the county's 2020 census urban
    population (``census_2020.csv``): a seat stands for its county's towns, so the 5 km and 500 m
    counts of Table D.1 are crude (a whole town counts when its point is inside the circle).
    """
    import geopandas as gpd

    cities = gpd.read_file(dataset / "cities.gpkg")
    seats = gpd.read_file(dataset / "county_seats.gpkg")
    census = pd.read_csv(dataset / "census_2020.csv", dtype={"adcode": str})
    seats = seats.to_crs(cities.crs)
    seats["adcode"] = seats["adcode"].astype(str)
    urban = census.set_index("adcode")["population_urban"]
    cx, cy = cities.geometry.x.to_numpy(), cities.geometry.y.to_numpy()
    keep = []
    for row in seats.itertuples(index=False):
        distance = np.sqrt((cx - row.geometry.x) ** 2 + (cy - row.geometry.y) ** 2).min()
        if distance > SEAT_MERGE_DISTANCE_M and row.adcode in urban.index:
            keep.append({"name": row.name, "population": float(urban[row.adcode]),
                         "origin": "county seat, census 2020 urban population", "geometry": row.geometry})
    frame = cities[["name", "population", "geometry"]].assign(origin="GeoNames city")
    added = gpd.GeoDataFrame(keep, geometry="geometry", crs=cities.crs) if keep else None
    if added is not None:
        frame = pd.concat([frame, added], ignore_index=True)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=cities.crs)
