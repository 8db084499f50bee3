"""The spec of ``carbon``: its inputs, parameters and outputs with units and ranges.

Kept apart from the model's code and free of numerical libraries, so that listing and
describing models (``ecociv models``, ``ecociv model describe``) start quickly."""

from __future__ import annotations

from ecociv.spec import Column, ModelSpec, RasterInput, RasterOutput, TableOutput
from ecociv.spec_blocks import land_use_input, lucode_table, zone_columns, zone_inputs

POOLS = ("c_above", "c_below", "c_soil", "c_dead")

_POOL_COLUMNS = tuple(
    Column(id=name, about=f"{label} carbon density", units="t/ha", ge=0)
    for name, label in zip(POOLS, ("aboveground", "belowground", "soil organic", "dead organic matter"),
                           strict=True)
)

#: combined soil stock-change factor of a land-use class (IPCC Tier 1: F_LU x F_MG x F_I)
SOC_FACTOR = "soc_factor"

SPEC = ModelSpec(
    id="carbon",
    title="Carbon storage",
    title_zh="碳储量",
    version="1.0.0",
    citation=(
        "Sharp, R. et al. (2020). InVEST User's Guide, Carbon Storage and Sequestration. "
        "The Natural Capital Project."
    ),
    about=(
        "Carbon stored in four pools (aboveground, belowground, soil, dead organic matter) from a "
        "land-use map and a table of densities per land-use code, as InVEST's carbon model; "
        "totals per zone use true (equal-area) cell areas; with a scenario land-use map, the "
        "change between baseline and scenario. Optionally, soil organic carbon per cell as "
        "IPCC Tier 1 does it: a reference stock raster (soc_reference) times the class's "
        "stock-change factor (carbon_pools.soc_factor = F_LU x F_MG x F_I), so that soil carbon "
        "varies with climate and soil inside a class and still changes with land use; cells "
        "where soc_reference is nodata use the table's c_soil."
    ),
    inputs=(
        land_use_input(codes_in="carbon_pools.lucode", about="Baseline land-use/land-cover codes"),
        land_use_input(codes_in="carbon_pools.lucode", id="land_use_scenario",
                       about="Scenario land-use/land-cover codes", required=False),
        lucode_table("carbon_pools", "Carbon density of each pool per land-use code (InVEST columns)",
                     *_POOL_COLUMNS,
                     Column(id=SOC_FACTOR, about="soil stock-change factor of the class "
                            "(F_LU x F_MG x F_I, IPCC 2019 Refinement Vol. 4 Ch. 5-6); needed "
                            "with soc_reference", units="", ge=0, required=False)),
        RasterInput(id="soc_reference", about="Reference soil organic carbon stock under native "
                    "vegetation, 0-30 cm (IPCC Tier 1 SOCref); with it, soil carbon of a cell = "
                    "soc_reference x soc_factor of its class", units="t/ha", ge=0, required=False),
        *zone_inputs("Polygons to total carbon in (e.g. counties)"),
    ),
    outputs=(
        RasterOutput(id="carbon_density", about="Total carbon density, baseline", units="t/ha",
                     long_name="carbon density (four pools), baseline"),
        RasterOutput(id="soil_carbon_density", about="Soil organic carbon density, baseline "
                     "(soc_reference x soc_factor; c_soil where soc_reference is nodata); written "
                     "with soc_reference", units="t/ha",
                     long_name="soil organic carbon density, baseline", optional=True),
        RasterOutput(id="carbon_density_scenario", about="Total carbon density, scenario",
                     units="t/ha", long_name="carbon density (four pools), scenario", optional=True),
        RasterOutput(id="carbon_change", about="Scenario minus baseline carbon density",
                     units="t/ha", long_name="change in carbon density (scenario - baseline)",
                     optional=True),
        TableOutput(id="carbon_totals", about="Carbon stock per zone", columns=zone_columns(
            Column(id="area_ha", about="area of valid cells", units="ha"),
            Column(id="carbon_baseline_t", about="baseline stock", units="t"),
            Column(id="carbon_scenario_t", about="scenario stock", units="t", required=False),
            Column(id="carbon_change_t", about="scenario minus baseline", units="t", required=False),
            counts=True,
        )),
    ),
)
