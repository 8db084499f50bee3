"""``ecociv.models._cell_totals.area_totals`` (the per-zone totals of ``soil_conservation`` and
``sand_fixation``) against ``ecociv.grid.ops.zonal_table`` of the explicit products ``value *
cell_area``: the same table, bit for bit, on an equal-area and a UTM grid (cell areas varying
along rows), with and without polygons, in one chunk and in several; and a hand-computed case."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import xarray as xr
from affine import Affine
from shapely.geometry import box

from ecociv.grid.io import from_array
from ecociv.grid.ops import cell_area, zonal_table
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models._cell_totals import area_totals

nan = np.nan


def _grids() -> list[GridSpec]:
    return [GridSpec.from_crs(CHINA_ALBERS, Affine(1000, 0, 0, 0, -1000, 5_000_000), (7, 9)),
            GridSpec.from_crs("EPSG:32645", Affine(1000, 0, 300_000, 0, -1000, 4_900_000),
                              (7, 9))]


def _rasters(grid: GridSpec, chunk: int | None) -> list[xr.DataArray]:
    rng = np.random.default_rng(7)
    values = [rng.random(grid.shape) * 100 for _ in range(3)]
    values[0][0, :3] = nan  # one raster's own gaps
    values[1][4, 4] = nan
    values[2][values[2] < 8] = nan
    rasters = [from_array(v, grid, name=f"r{i}") for i, v in enumerate(values)]
    return [r.chunk({"y": chunk, "x": chunk}) if chunk else r for r in rasters]


@pytest.mark.parametrize("grid", _grids(), ids=["albers", "utm45n"])
@pytest.mark.parametrize("chunk", [None, 3, 4])
@pytest.mark.parametrize("with_zones", [False, True])
def test_area_totals_equal_zonal_table_of_products(grid: GridSpec, chunk: int | None,
                                                   with_zones: bool) -> None:
    rasters = _rasters(grid, chunk)
    left, top = grid.transform.c, grid.transform.f
    zones = (gpd.GeoDataFrame({"name": ["west", "east"]},
                              geometry=[box(left, top - 7000, left + 4000, top),
                                        box(left + 3500, top - 5000, left + 9000, top - 1000)],
                              crs=grid.crs) if with_zones else None)
    area = cell_area(grid, rasters[0]) / 1e4
    expected = zonal_table({"area": xr.where(rasters[2].notnull(), 1.0, nan) * area,
                            "a": rasters[0] * area, "b": rasters[1] * area,
                            "c": rasters[2] * area}, zones, grid,
                           zone_field="name" if with_zones else None).compute()
    got = area_totals(rasters, [("area", 2, True), ("a", 0, False), ("b", 1, False),
                                ("c", 2, False)], zones, grid, lambda a: a / 1e4,
                      zone_field="name" if with_zones else None).compute()
    assert list(got.columns) == list(expected.columns)
    assert got["zone"].tolist() == expected["zone"].tolist()
    for column in ("cells", "valid_cells", "area", "a", "b", "c"):
        np.testing.assert_array_equal(got[column].to_numpy(), expected[column].to_numpy(),
                                      err_msg=column)


def test_area_totals_by_hand() -> None:
    # 2 x 2 cells of 100 m on an equal-area grid (1 ha each): value 3 t/ha, a gap, 5, 7
    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(100, 0, 0, 0, -100, 5_000_000), (2, 2))
    raster = from_array(np.array([[3.0, nan], [5.0, 7.0]]), grid, name="loss")
    table = area_totals([raster], [("area_ha", 0, True), ("loss_t", 0, False)], None, grid,
                        lambda a: a / 1e4).compute()
    assert table.to_dict("records") == [{"zone": "all", "cells": 4, "valid_cells": 3,
                                         "area_ha": 3.0, "loss_t": 15.0}]
