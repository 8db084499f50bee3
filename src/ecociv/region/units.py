"""The member units of a region (a table a user can replace) and county tables keyed by adcode."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ecociv.errors import InputError
from ecociv.io.tables import read_table
from ecociv.io.vectors import split_layer
from ecociv.spec import Column, TableInput

UNITS_TABLE = TableInput(
    id="units_table", about="Member units of the region at county level", index="adcode",
    columns=(
        Column(id="adcode", about="6-digit administrative division code (GB/T 2260)", dtype="str"),
        Column(id="name_zh", about="Chinese name", dtype="str"),
        Column(id="name_en", about="English name", dtype="str"),
        Column(id="prefecture_adcode", about="adcode of the prefecture-level unit", dtype="str"),
        Column(id="prefecture_zh", about="prefecture name (Chinese)", dtype="str"),
        Column(id="prefecture_en", about="prefecture name (English)", dtype="str"),
        Column(id="corps_division", about="XPCC division, where the unit is a Corps city",
               dtype="str", required=False),
        Column(id="basin", about="main river or lake basin", dtype="str", required=False),
        Column(id="included_because", about="why the unit is a member of the region", dtype="str"),
    ),
)

CENSUS_TABLE = TableInput(
    id="census_2020", about="2020 census population by county", index="adcode",
    columns=(
        Column(id="adcode", about="6-digit administrative division code", dtype="str"),
        Column(id="population_total", about="resident population", units="", ge=0),
        Column(id="population_urban", about="urban resident population", units="", ge=0),
        Column(id="population_rural", about="rural resident population", units="", ge=0),
    ),
)


def read_units_table(path: str | Path, boundaries: str | Path, *, id_field: str = "adcode") -> Any:
    """Read a units table and join it to boundary polygons; every adcode must have a polygon.

    Parameters
    ----------
    path : path
        CSV with the columns of :data:`UNITS_TABLE`.
    boundaries : path
        Vector file (``file.gpkg|layername=counties`` for one layer) with an ``adcode`` field.

    Returns
    -------
    GeoDataFrame
        The table's rows with their polygons, in the table's order.
    """
    import geopandas as gpd

    table = read_table(path, UNITS_TABLE)
    lines = table.attrs.get("lines")
    for position, code in enumerate(table["adcode"]):
        if not (len(code) == 6 and code.isdigit()):
            line = lines[position] if lines else position + 2
            raise InputError(f"adcode {code!r} is not a 6-digit code", source=f"units table ({path})",
                             where=f"line {line}, column 'adcode'")
    file, layer = split_layer(boundaries)
    polygons = gpd.read_file(file, layer=layer)
    if id_field not in polygons.columns:
        raise InputError(f"boundary layer has no field '{id_field}'; fields: {list(polygons.columns)}",
                         source=str(boundaries))
    known = set(polygons[id_field].astype(str))
    for position, code in enumerate(table["adcode"]):
        if code not in known:
            line = lines[position] if lines else position + 2
            raise InputError(
                f"adcode {code} ({table['name_zh'].iloc[position]}) has no boundary polygon in "
                f"{boundaries}; use a code of the boundary data or add its polygon",
                source=f"units table ({path})", where=f"line {line}, column 'adcode'")
    geometry = polygons.assign(adcode=polygons[id_field].astype(str)).set_index("adcode").geometry
    return gpd.GeoDataFrame(table, geometry=[geometry.loc[c] for c in table["adcode"]],
                            crs=polygons.crs)


def read_census(path: str | Path) -> pd.DataFrame:
    """Read a county census table (adcode, population_total, population_urban, population_rural)."""
    return read_table(path, CENSUS_TABLE)
