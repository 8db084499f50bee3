"""``carbon`` — carbon storage from land use and a four-pool table (InVEST semantics)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ecociv.grid.io import from_array, grid_of_array
from ecociv.grid.ops import cell_area, reclassify, zonal_table
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.carbon.kernels import POOLS, stock_tonnes, total_density
from ecociv.models.carbon.spec import SPEC
from ecociv.spec import (
    Model,
    SummaryMeasure,
)


def run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Carbon density rasters and the per-zone stock table (lazy)."""
    table: pd.DataFrame = inputs["carbon_pools"]
    density = total_density({pool: table[pool].to_numpy(dtype=np.float64) for pool in POOLS})
    density_by_code = dict(zip(table["lucode"].astype(int), density, strict=True))
    baseline = inputs["land_use"]
    grid = grid_of_array(baseline)
    outputs: dict[str, Any] = {"carbon_density": reclassify(baseline, density_by_code)}
    area = cell_area(grid, baseline)
    stocks = {"carbon_baseline_t": stock_tonnes(outputs["carbon_density"], area),
              "area_ha": (outputs["carbon_density"] * 0 + area) * 1e-4}
    if "land_use_scenario" in inputs:
        scenario = reclassify(inputs["land_use_scenario"], density_by_code)
        outputs["carbon_density_scenario"] = scenario
        outputs["carbon_change"] = scenario - outputs["carbon_density"]
        stocks["carbon_scenario_t"] = stock_tonnes(scenario, area)
        stocks["carbon_change_t"] = stock_tonnes(outputs["carbon_change"], area)
    totals = zonal_table(stocks, inputs.get("zones"), grid, zone_field=inputs.get("zone_field"))
    outputs["carbon_totals"] = totals.then(_tidy)
    return outputs


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
