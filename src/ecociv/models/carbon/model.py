"""``carbon`` — carbon storage from land use and a four-pool table (InVEST semantics)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ecociv.errors import InputError
from ecociv.grid.io import from_array, grid_of_array
from ecociv.grid.ops import cell_area, reclassify, zonal_table
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.carbon.kernels import POOLS, soil_density, stock_tonnes, total_density
from ecociv.models.carbon.spec import SOC_FACTOR, SPEC
from ecociv.spec import (
    Model,
    SummaryMeasure,
)


def run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Carbon density rasters and the per-zone stock table (lazy)."""
    table: pd.DataFrame = inputs["carbon_pools"]
    codes = table["lucode"].astype(int)
    reference = inputs.get("soc_reference")
    if reference is not None and SOC_FACTOR not in table.columns:
        raise InputError(f"carbon_pools: column '{SOC_FACTOR}' is missing; it is needed with the "
                         "soc_reference input (the soil stock-change factor of each land-use "
                         "class, e.g. 1 for native vegetation)")
    density_by_code = _by_code(codes, total_density(
        {pool: table[pool].to_numpy(dtype=np.float64) for pool in POOLS}))
    baseline = inputs["land_use"]
    grid = grid_of_array(baseline)
    outputs: dict[str, Any] = {}
    if reference is None:
        outputs["carbon_density"] = reclassify(baseline, density_by_code)
    else:
        outputs["carbon_density"], outputs["soil_carbon_density"] = _with_soil_raster(
            baseline, table, reference)
    area = cell_area(grid, baseline)
    stocks = {"carbon_baseline_t": stock_tonnes(outputs["carbon_density"], area),
              "area_ha": (outputs["carbon_density"] * 0 + area) * 1e-4}
    if "land_use_scenario" in inputs:
        if reference is None:
            scenario = reclassify(inputs["land_use_scenario"], density_by_code)
        else:
            scenario, _ = _with_soil_raster(inputs["land_use_scenario"], table, reference)
        outputs["carbon_density_scenario"] = scenario
        outputs["carbon_change"] = scenario - outputs["carbon_density"]
        stocks["carbon_scenario_t"] = stock_tonnes(scenario, area)
        stocks["carbon_change_t"] = stock_tonnes(outputs["carbon_change"], area)
    totals = zonal_table(stocks, inputs.get("zones"), grid, zone_field=inputs.get("zone_field"))
    outputs["carbon_totals"] = totals.then(_tidy)
    return outputs


def _by_code(codes: pd.Series, values: Any) -> dict[int, float]:
    return dict(zip(codes, np.asarray(values, dtype=np.float64), strict=True))


def _with_soil_raster(land_use: Any, table: pd.DataFrame, reference: Any) -> tuple[Any, Any]:
    """Total and soil density when soil carbon comes from ``soc_reference`` x ``soc_factor``:
    the three other pools by class, soil by cell (the table's c_soil where the reference is
    nodata)."""
    codes = table["lucode"].astype(int)
    others = total_density({pool: (table[pool].to_numpy(dtype=np.float64) if pool != "c_soil"
                                   else np.zeros(len(table))) for pool in POOLS})
    soil = soil_density(reference, reclassify(land_use, _by_code(codes, table[SOC_FACTOR])),
                        reclassify(land_use, _by_code(codes, table["c_soil"])))
    return reclassify(land_use, _by_code(codes, others)) + soil, soil


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["zone"] = frame["zone"].astype(str)
    order = ["zone", "area_ha", "carbon_baseline_t", "carbon_scenario_t", "carbon_change_t",
             "cells", "valid_cells"]
    return frame[[c for c in order if c in frame.columns]]


def example() -> dict[str, Any]:
    """3×3 cells of 100 m (1 ha) on China Albers: codes 1 (cropland) and 2 (grassland)."""
    from affine import Affine

    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(100.0, 0, 0, 0, -100.0, 5_000_000.0), (3, 3))
    codes = np.array([[1, 1, 2], [2, 2, 2], [1, 2, 255]])
    table = pd.DataFrame({"lucode": [1, 2], "c_above": [5.0, 2.0], "c_below": [1.0, 3.0],
                          "c_soil": [60.0, 40.0], "c_dead": [0.5, 0.0]})
    return {
        "land_use": from_array(codes, grid, name="land_use", units=None, nodata=255),
        "land_use_scenario": from_array(np.full((3, 3), 2), grid, name="land_use_scenario", units=None),
        "carbon_pools": table,
    }


#: column of the per-unit summaries of a region run; t/ha × m² = 10⁻⁴ t, 1 Mt = 10⁶ t
SUMMARY = (SummaryMeasure("carbon_mt", "output:carbon_density", "t/ha", "total", 1e-4 / 1e6,
                          "carbon stock, four pools (Mt C)"),)

MODEL = Model(spec=SPEC, run=run, example=example, summary=SUMMARY)
