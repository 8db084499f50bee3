"""``water_yield`` — annual water yield by the Budyko–Fu curve with InVEST semantics.

Inputs, table columns and equations are those of InVEST's Annual Water Yield model
(``src/natcap/invest/annual_water_yield/annual_water_yield.py``), so an InVEST biophysical table
and rasters work unchanged; the kernels (``kernels.py``) cite the InVEST functions they follow.

Differences from InVEST, all on purpose:

* ``wyield_vol`` is the sum over valid cells of water yield × true cell area (ellipsoidal for
  non-equal-area grids); InVEST multiplies the mean by the polygon's planar area. The table
  carries ``area_m2`` (area of all cells in the watershed) so InVEST's figure is
  ``wyield_mn × area_m2 / 1000``.
* Watersheds are optional (without them the table has one row, ``ws_id`` = ``"all"``) and a
  cell belongs to the polygon containing its centre.
* An optional ``seasonality_z_map`` raster gives Z per cell (InVEST takes one Z); where it has
  no value the scalar ``seasonality_z`` applies.
* The run's grid is the land-use raster's (InVEST aligns to the land-use pixel size and the
  intersection of the inputs); other rasters, when alignment is allowed, are resampled by
  nearest neighbour as InVEST does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dask.array as da
import numpy as np
import pandas as pd

from ecociv.grid.io import from_array, grid_of_array
from ecociv.grid.ops import LazyTable, rasterize_zones
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.water_yield import fused
from ecociv.models.water_yield.spec import SPEC
from ecociv.spec import (
    Model,
    SummaryMeasure,
)
from ecociv.spec_blocks import find_field, zone_names


def _zone_field(zones: Any, requested: str | None) -> str | None:
    if zones is None:
        return None
    if requested:
        return find_field(zones, requested, param="watershed_id_field")
    return "ws_id" if "ws_id" in zones.columns else None


def run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Water yield, AET and AET/P rasters and the per-watershed table (all lazy).

    Every block of cells is evaluated once by the compiled loop of :mod:`.loops` (the
    equations of :mod:`.kernels`), which also adds up the block's watershed sums."""
    z = float(inputs["seasonality_z"])
    land_use = inputs["land_use"]
    grid = grid_of_array(land_use)
    zones = inputs.get("watersheds")
    field = _zone_field(zones, inputs.get("watershed_id_field"))
    chunks = (land_use.data.chunks if isinstance(land_use.data, da.Array)
              else da.core.normalize_chunks(grid.default_chunks(), land_use.shape))
    if zones is None:
        zone_raster, names = None, ["all"]
    else:
        zone_raster = rasterize_zones(list(zones.geometry), grid, (chunks[0][0], chunks[1][0]))
        names = zone_names(zones, field)
    fraction, aet, wyield, sums = fused.budyko(
        land_use, inputs["precipitation"], inputs["et0"], inputs["root_restricting_depth"],
        inputs["plant_available_water"], inputs["biophysical_table"], z, grid,
        z_map=inputs.get("seasonality_z_map"), zones=zone_raster, n_zones=len(names))

    def _frame(table: np.ndarray) -> pd.DataFrame:
        frame = pd.DataFrame({"zone": names})
        for row, name in enumerate(fused.SUM_ROWS):
            frame[name] = table[row, 1:]
        return _results(frame)

    return {"water_yield": wyield, "aet": aet, "aet_fraction": fraction,
            "watershed_results": LazyTable((sums,), _frame)}


def _mean(total: pd.Series, cells: pd.Series) -> pd.Series:
    return (total / cells.where(cells > 0)).astype(np.float64)


def _results(frame: pd.DataFrame) -> pd.DataFrame:
    """InVEST's ``watershed_results_wyield`` columns from zonal sums."""
    valid = frame["n_wyield"]
    return pd.DataFrame({
        "ws_id": frame["zone"],
        "precip_mn": _mean(frame["precip"], frame["n_precip"]),
        "PET_mn": _mean(frame["pet"], frame["n_pet"]),
        "AET_mn": _mean(frame["aet"], valid),
        "wyield_mn": _mean(frame["wyield"], valid),
        "wyield_vol": frame["wyield_m3"].where(valid > 0),
        "num_pixels": frame["cells"].astype(np.int64),
        "valid_pixels": valid.astype(np.int64),
        "area_m2": frame["area_m2"],
    })


def example() -> dict[str, Any]:
    """3×3 cells of 100 m on China Albers: forest (1, vegetated), cropland (2, vegetated) and
    built-up land (3, not vegetated), one land-use nodata cell."""
    from affine import Affine

    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(100.0, 0, 0, 0, -100.0, 5_000_000.0), (3, 3))
    codes = np.array([[1, 1, 2], [2, 3, 2], [1, 3, 255]])
    table = pd.DataFrame({"lucode": [1, 2, 3], "lulc_veg": [1, 1, 0],
                          "root_depth": [2000.0, 800.0, 1.0], "kc": [0.9, 0.7, 0.3]})
    return {
        "land_use": from_array(codes, grid, name="land_use", units=None, nodata=255),
        "precipitation": from_array(np.linspace(200.0, 600.0, 9).reshape(3, 3), grid,
                                    name="precipitation", units="mm/yr"),
        "et0": from_array(np.full((3, 3), 1000.0), grid, name="et0", units="mm/yr"),
        "root_restricting_depth": from_array(np.full((3, 3), 1200.0), grid,
                                             name="root_restricting_depth", units="mm"),
        "plant_available_water": from_array(np.full((3, 3), 0.15), grid,
                                            name="plant_available_water", units=""),
        "biophysical_table": table,
        "seasonality_z": 5.0,
    }


#: columns of the per-unit summaries of a region run; mm × m² = 10⁻³ m³, 10⁸ m³ (亿立方米) the unit of
#: water statistics
SUMMARY = (
    SummaryMeasure("precipitation_mm", "input:precipitation", "mm/yr", "mean", 1.0,
                   "mean annual precipitation (mm/yr), area-weighted"),
    SummaryMeasure("precipitation_1e8m3", "input:precipitation", "mm/yr", "total", 1e-3 / 1e8,
                   "precipitation volume (10⁸ m³/yr)"),
    SummaryMeasure("et0_mm", "input:et0", "mm/yr", "mean", 1.0,
                   "mean annual reference evapotranspiration (mm/yr), area-weighted"),
    SummaryMeasure("water_yield_mm", "output:water_yield", "mm/yr", "mean", 1.0,
                   "mean annual water yield (mm/yr), area-weighted"),
    SummaryMeasure("water_yield_1e8m3", "output:water_yield", "mm/yr", "total", 1e-3 / 1e8,
                   "water yield volume (10⁸ m³/yr)"),
)

MODEL = Model(spec=SPEC, run=run, example=example, summary=SUMMARY)
