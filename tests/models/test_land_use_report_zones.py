"""``land_use_change``'s ``report_zones``: cropland_area per reporting polygon (e.g. counties, for
water_allocation's cropland_change) without meeting the demand per polygon."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import rasterio

from ecociv.errors import InputError
from ecociv.execute import run_in_memory
from ecociv.models.land_use_change.model import MODEL


def _halves(names: tuple[str, str] = ("west", "east")) -> Any:
    import geopandas as gpd
    from shapely.geometry import box

    from ecociv.grid.spec import CHINA_ALBERS

    # west and east halves of the example's 30 km square (x 0-15 km and 15-30 km)
    return gpd.GeoDataFrame({"code": list(names)},
                            geometry=[box(0, 4_970_000, 15_000, 5_000_000),
                                      box(15_000, 4_970_000, 30_000, 5_000_000)],
                            crs=CHINA_ALBERS)


def test_cropland_area_per_report_zone_counts_the_maps(tmp_path: Path) -> None:
    inputs = {**MODEL.example(), "report_zones": _halves(), "report_zone_field": "code"}
    run_in_memory(MODEL, inputs, tmp_path / "out")
    table = pd.read_csv(tmp_path / "out" / "cropland_area.csv", dtype={"zone": str})
    start, end = int(inputs["start_year"]), int(inputs["end_year"])
    with rasterio.open(tmp_path / "out" / "land_use_final.tif") as src:
        final = src.read(1)
    initial = np.nan_to_num(MODEL.example()["land_use"].values, nan=-1)
    # 1 km cells: cropland (code 1) cells = km2; change in ha = 100 x km2
    rows = table.set_index(["year", "zone"])
    for year, grid in ((start, initial), (end, final)):
        assert rows.loc[(year, "west"), "cropland_km2"] == pytest.approx(float((grid[:, :15] == 1).sum()))
        assert rows.loc[(year, "east"), "cropland_km2"] == pytest.approx(float((grid[:, 15:] == 1).sum()))
        assert rows.loc[(year, "all"), "cropland_km2"] == pytest.approx(float((grid == 1).sum()))
    for zone in ("west", "east", "all"):
        change = rows.loc[(end, zone), "cropland_km2"] - rows.loc[(start, zone), "cropland_km2"]
        assert rows.loc[(end, zone), "change_ha"] == pytest.approx(100.0 * change)
    # the demand is still met over the whole region, not per report zone
    demand = pd.read_csv(tmp_path / "out" / "demand.csv")
    assert set(demand["zone"]) == {"all"}
    assert rows.loc[(end, "all"), "change_ha"] != 0   # the example grows cropland: the check has teeth


def test_report_zone_named_all_is_refused(tmp_path: Path) -> None:
    inputs = {**MODEL.example(), "report_zones": _halves(("all", "east")), "report_zone_field": "code"}
    with pytest.raises(InputError, match="report_zones: a zone may not be named 'all'"):
        run_in_memory(MODEL, inputs, tmp_path / "out")
