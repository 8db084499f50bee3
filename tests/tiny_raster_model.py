"""A raster model as a third-party plugin would write it with the shared spec blocks: the share
of natural land (a 0/1 flag per land-use code) per cell and per zone. Used by
tests/test_tiny_raster_model.py to show what adding a raster model takes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ecociv.grid.io import from_array, grid_of_array
from ecociv.grid.ops import cell_area, reclassify, zonal_table
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.spec import Column, Model, ModelSpec, RasterOutput, TableOutput
from ecociv.spec_blocks import land_use_input, lucode_table, zone_columns, zone_inputs

SPEC = ModelSpec(
    id="natural_share", title="Share of natural land", version="0.1.0", citation="test plugin",
    about="Natural land (a 0/1 flag per land-use code) per cell and its area per zone.",
    inputs=(
        land_use_input(codes_in="classes.lucode"),
        lucode_table("classes", "Natural flag per land-use code",
                     Column(id="natural", about="1 for natural land", units=None, dtype="bool")),
        *zone_inputs("Polygons to total natural land in"),
    ),
    outputs=(
        RasterOutput(id="natural", about="1 where natural", units="", long_name="natural land"),
        TableOutput(id="natural_by_zone", about="Natural land per zone", columns=zone_columns(
            Column(id="natural_ha", about="natural area", units="ha"), counts=True)),
    ),
)


def run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The natural flag raster and its area per zone (lazy)."""
    table = inputs["classes"]
    natural = reclassify(inputs["land_use"], dict(zip(table["lucode"], table["natural"], strict=True)))
    grid = grid_of_array(natural)
    sums = {"natural_ha": natural * cell_area(grid, natural) * 1e-4}
    totals = zonal_table(sums, inputs.get("zones"), grid, zone_field=inputs.get("zone_field"))
    return {"natural": natural,
            "natural_by_zone": totals.then(lambda f: f[["zone", "natural_ha", "cells", "valid_cells"]])}


def example() -> dict[str, Any]:
    """2×2 cells of 100 m (1 ha): codes 1 (natural) and 2 (not)."""
    from affine import Affine

    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(100.0, 0, 0, 0, -100.0, 5_000_000.0), (2, 2))
    return {"land_use": from_array(np.array([[1, 2], [1, 1]]), grid, name="land_use", units=None),
            "classes": pd.DataFrame({"lucode": [1, 2], "natural": [1, 0]})}


MODEL = Model(spec=SPEC, run=run, example=example)
