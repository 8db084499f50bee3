"""The Belt as one zone of the land-use simulation (``data/strategies/belt_zone.gpkg``).

The strategy files give ``land_use_change`` this polygon as ``zones`` (``zone_field: zone``): the
demand (class areas, and the S1 levers on them) is computed on the Belt's cells only, and cells
outside it — the rest of the grid window, which holds about as much cropland again — never
change. The polygon is the union of the dataset's member units (``dataset:units``, 39 county-level
units), so a cell is in the zone exactly when its centre is in one of the units.

Regenerate after the dataset's units change::

    python -m ecociv.strategies.belt_zone [DATASET_DIR] [OUT]

``tests/test_strategy_belt_zone.py`` checks that the shipped file covers the same cells as the
units.
"""

from __future__ import annotations

import sys
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

from ecociv.errors import OutputError

#: name of the Belt zone in the polygon's ``zone`` field; the S1 levers' km² amounts are keyed by it
BELT_ZONE = "belt"
#: the field naming the zone (``zone_field`` of the strategy files)
ZONE_FIELD = "zone"
#: file name of the shipped polygon, beside the strategy files
FILE = "belt_zone.gpkg"


def dissolve_units(units: Any, name: str = BELT_ZONE) -> Any:
    """One polygon (a GeoDataFrame of one row, field :data:`ZONE_FIELD` = ``name``) that is the
    union of ``units``' polygons, in their CRS."""
    import geopandas as gpd

    geometry = units.geometry.union_all()
    return gpd.GeoDataFrame({ZONE_FIELD: [name]}, geometry=[geometry], crs=units.crs)


def shipped_path() -> Path:
    """Path of the shipped Belt zone inside the installed package."""
    with as_file(files("ecociv") / "data" / "strategies" / FILE) as path:
        return Path(path)


def write_belt_zone(dataset_dir: Path, out: Path) -> Path:
    """Write the union of the dataset's member units (``units.gpkg``, layer ``counties``) as
    ``out`` (GeoPackage, layer ``belt``). An existing ``out`` is replaced only when it is such a
    file (a GeoPackage whose one layer is ``belt``).

    Raises
    ------
    OutputError
        ``out`` exists and is not a Belt zone file this function wrote.
    """
    import geopandas as gpd

    units = gpd.read_file(Path(dataset_dir) / "units.gpkg", layer="counties")
    out = Path(out)
    if out.exists():
        try:
            layers = list(gpd.list_layers(out)["name"])
        except Exception:  # not a file GDAL reads as vector data
            layers = []
        if layers != [BELT_ZONE]:
            raise OutputError(f"{out}: exists and is not a Belt zone file ecociv wrote (a "
                              f"GeoPackage with the one layer '{BELT_ZONE}'); not replaced")
        out.unlink()
    dissolve_units(units).to_file(out, driver="GPKG", layer=BELT_ZONE)
    return out


def main(argv: list[str] | None = None) -> None:
    """``python -m ecociv.strategies.belt_zone [DATASET_DIR] [OUT]``."""
    args = sys.argv[1:] if argv is None else argv
    with as_file(files("ecociv") / "data" / "belt") as belt:
        dataset = Path(args[0]) if args else Path(belt)
    out = Path(args[1]) if len(args) > 1 else shipped_path()
    print(write_belt_zone(dataset, out))


if __name__ == "__main__":
    main()
