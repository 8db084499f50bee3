"""The places a reference row may name, from a region dataset: the region itself (``belt``),
prefectures and units (adcodes of the units table), basins (its ``basin`` column), lakes
(``lake_names.csv``) and points (gauges, stations) on the grid."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from ecociv.grid.spec import GridSpec

#: place kinds a reference row may use (``units``: several member units, adcodes joined by ``+``)
PLACE_KINDS = ("belt", "prefecture", "unit", "units", "basin", "gauge", "station", "lake", "region")
#: place kinds that are unions of member units (answered by zonal statistics or unit tables)
AREA_KINDS = ("belt", "prefecture", "unit", "units", "basin")
#: place kinds that need lon/lat
POINT_KINDS = ("gauge", "station")
#: the name of the whole region in the ``place`` column
REGION_PLACE = "belt"


@lru_cache(maxsize=8)
def _from_lonlat(crs_wkt: str) -> Any:
    """WGS84 lon/lat → the grid's CRS (a transformer takes 40 ms to build: built once per CRS)."""
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:4326", crs_wkt, always_xy=True)


def split_units(place: str) -> list[str]:
    """The adcodes of a ``units`` place: ``"652325+652327+652328"``."""
    return [code.strip() for code in place.split("+") if code.strip()]


def lake_key(name: str) -> str:
    """A lake name as the water network writes it, without remarks in parentheses:
    ``"Ebinur Lake"`` → ``"ebinur_lake"``, ``"Manas Lake (dry bed)"`` → ``"manas_lake"``."""
    return "_".join(re.sub(r"\([^)]*\)", " ", name).lower().split())


@dataclass(frozen=True)
class Places:
    """Units (adcode, prefecture_adcode, basin), lake names and the grid of a dataset."""

    units: pd.DataFrame
    lakes: tuple[str, ...]
    grid: GridSpec | None = None

    @classmethod
    def from_dataset(cls, dataset: object, grid: GridSpec | None = None) -> Places:
        """Places of a :class:`~ecociv.region.dataset.Dataset` (its units table and
        ``lake_names.csv`` when it has one); ``grid`` defaults to the dataset's."""
        root = Path(dataset.root)  # type: ignore[attr-defined]
        units = pd.read_csv(dataset.layer("units_table").path,  # type: ignore[attr-defined]
                            dtype=str, keep_default_na=False, encoding="utf-8-sig")
        lakes_file = root / "lake_names.csv"
        lakes: tuple[str, ...] = ()
        if lakes_file.is_file():
            names = pd.read_csv(lakes_file, dtype=str, keep_default_na=False, encoding="utf-8-sig")
            lakes = tuple(names["name_en"])
        return cls(units=units, lakes=lakes, grid=grid or dataset.grid)  # type: ignore[attr-defined]

    def known(self, kind: str) -> list[str]:
        """The names a row of ``kind`` may give in ``place`` (empty for gauges, stations and
        regions, which are free names)."""
        if kind == "belt":
            return [REGION_PLACE]
        if kind == "prefecture":
            return sorted(set(self.units["prefecture_adcode"]))
        if kind == "unit":
            return list(self.units["adcode"])
        if kind == "basin":
            return sorted(set(self.units.get("basin", pd.Series(dtype=str))) - {""})
        if kind == "lake":
            return list(self.lakes)
        return []

    def members(self, kind: str, place: str) -> list[str]:
        """Adcodes of the member units that make up an area place (belt, prefecture, unit,
        units, basin); empty for other kinds."""
        units = self.units
        if kind == "belt":
            return list(units["adcode"])
        if kind == "prefecture":
            return list(units.loc[units["prefecture_adcode"] == place, "adcode"])
        if kind == "unit":
            return [place] if place in set(units["adcode"]) else []
        if kind == "units":
            codes = split_units(place)
            return codes if set(codes) <= set(units["adcode"]) else []
        if kind == "basin" and "basin" in units:
            return list(units.loc[units["basin"] == place, "adcode"])
        return []

    def on_grid(self, lon: float, lat: float) -> tuple[int, int] | None:
        """Row and column of the grid cell at WGS84 ``lon``/``lat``, None outside the grid."""
        if self.grid is None:
            return None
        x, y = _from_lonlat(self.grid.crs_wkt).transform(lon, lat)
        col, row = ~self.grid.transform * (x, y)
        if not (0 <= row < self.grid.rows and 0 <= col < self.grid.cols):
            return None
        return int(row), int(col)
