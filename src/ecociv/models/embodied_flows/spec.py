"""The spec of ``embodied_flows``: its inputs, parameters and outputs with units.

Kept apart from the model's code and free of numerical libraries, so that listing and
describing models starts quickly."""

from __future__ import annotations

from ecociv.spec import Column, ModelSpec, ParamInput, TableInput, TableOutput

#: money flows of the input-output table: 10^8 yuan per year (亿元), current prices
MONEY = "hundred_million * yuan/yr"
WATER = "hundred_million * m**3/yr"
CO2 = "Mt/yr"
WATER_INTENSITY = "m**3/(ten_thousand * yuan)"
CO2_INTENSITY = "t/(ten_thousand * yuan)"


def _col(id_: str, units: str | None, about: str, dtype: str = "float", **kw: object) -> Column:
    return Column(id=id_, units=units, about=about, dtype=dtype, **kw)


SPEC = ModelSpec(
    id="embodied_flows",
    title="Embodied water and CO2 of trade (environmentally extended input-output, Leontief)",
    title_zh="贸易隐含水与隐含碳（环境扩展投入产出）",
    version="1.0.0",
    citation=(
        "Leontief, W. (1970). Environmental repercussions and the economic structure: an "
        "input-output approach. Review of Economics and Statistics 52(3), 262-271. Miller, R. E., "
        "Blair, P. D. (2009). Input-Output Analysis: Foundations and Extensions, 2nd ed., Cambridge "
        "University Press (ch. 2 and 9). Stadler, K. (2021). Pymrio - a Python based multi-regional "
        "input-output analysis toolbox. Journal of Open Research Software 9(1), 8 (used as test peer)."
    ),
    about=(
        "A single-region input-output table (inter-industry flows Z, total output x, local final "
        "demand, exports and competitive imports per sector) with direct water use and CO2 per "
        "sector. Technical coefficients A = Z x^-1, Leontief inverse L = (I - A)^-1, direct "
        "intensities f = F/x, multipliers m = f L; water and CO2 embodied in exports (m * e) and "
        "imports (m * imports, domestic technology assumption) by sector, and the balance: direct "
        "total = embodied in local final demand + exports - imports. With a crop virtual-water table "
        "(output virtual_water of water_allocation) the agriculture sector's direct water is compared "
        "with (or replaced by) the crop water use. The shipped Belt table is synthetic."
    ),
    inputs=(
        TableInput(id="io_sectors", about="One row per sector: total output, final demand, trade and "
                   "direct extensions", index="sector", columns=(
                       _col("sector", None, "sector id (src/ecociv/data/industry/sectors.csv)", "str"),
                       _col("total_output", MONEY, "total output x", ge=0),
                       _col("local_final_demand", MONEY, "final use inside the region (consumption and "
                            "capital formation)", ge=0),
                       _col("exports", MONEY, "exports and outflows to other regions", ge=0),
                       _col("imports", MONEY, "competitive imports and inflows of the sector's product",
                            ge=0),
                       _col("water_use", WATER, "direct water use of the sector", ge=0),
                       _col("co2", CO2, "direct CO2 emissions of the sector", ge=0),
                   )),
        TableInput(id="io_flows", about="Inter-industry flows Z in long form (absent pairs are 0)",
                   columns=(
                       _col("from_sector", None, "selling sector (row of Z)", "str"),
                       _col("to_sector", None, "buying sector (column of Z)", "str"),
                       _col("flow", MONEY, "money flow from from_sector to to_sector", ge=0),
                   )),
        TableInput(id="virtual_water", about="Crop water use per crop and site (output virtual_water of "
                   "water_allocation), compared with the agriculture sector's direct water",
                   required=False, columns=(
                       _col("crop", None, "crop", "str"),
                       _col("area_ha", "ha", "irrigated area", ge=0, required=False),
                       _col("blue_mm", "mm", "net irrigation requirement", ge=0, required=False),
                       _col("crop_water_use_m3", "m**3/yr", "10 × ETc × area", ge=0),
                   )),
        ParamInput(id="balance_tolerance", about="Largest accepted relative residual of the row balance "
                   "x = Σ Z + local final demand + exports − imports", units="", ge=0, le=1,
                   default=0.01),
        ParamInput(id="agriculture_sector", about="Sector whose direct water is compared with the crop "
                   "water use", units=None, dtype="str", default="agriculture"),
        ParamInput(id="crop_water_component", about="Crop water compared: blue (net irrigation "
                   "requirement × area, needs blue_mm and area_ha) or total (crop_water_use_m3, "
                   "green + blue)", units=None, dtype="str", choices=("blue", "total"), default="blue"),
        ParamInput(id="agriculture_water", about="table: keep the table's agriculture water (the crop "
                   "water is only compared); crop_water: replace it by the crop water", units=None,
                   dtype="str", choices=("table", "crop_water"), default="table"),
    ),
    outputs=(
        TableOutput(id="multipliers", about="Direct intensities and total multipliers per sector",
                    columns=(
                        _col("sector", None, "sector id", "str"),
                        _col("output_multiplier", "", "column sum of L (backward linkage)"),
                        _col("water_direct", WATER_INTENSITY, "direct water intensity f"),
                        _col("water_total", WATER_INTENSITY, "total water multiplier f L"),
                        _col("co2_direct", CO2_INTENSITY, "direct CO2 intensity f"),
                        _col("co2_total", CO2_INTENSITY, "total CO2 multiplier f L"),
                    )),
        TableOutput(id="embodied_trade", about="Water and CO2 embodied in exports and imports per "
                    "product (m_j × e_j) and, for exports, per producing sector (f_i (L e)_i)", columns=(
                        _col("sector", None, "sector id", "str"),
                        _col("exports", MONEY, "exports"),
                        _col("imports", MONEY, "imports"),
                        _col("water_in_exports", WATER, "water embodied in the sector's exports"),
                        _col("water_in_imports", WATER, "water embodied in the sector's imports "
                             "(domestic technology assumption)"),
                        _col("water_net_export", WATER, "exports − imports"),
                        _col("water_exported_from_sector", WATER, "water used by the sector for "
                             "all exports (by origin)"),
                        _col("co2_in_exports", CO2, "CO2 embodied in the sector's exports"),
                        _col("co2_in_imports", CO2, "CO2 embodied in the sector's imports"),
                        _col("co2_net_export", CO2, "exports − imports"),
                        _col("co2_exported_from_sector", CO2, "CO2 emitted by the sector for all "
                             "exports (by origin)"),
                    )),
        TableOutput(id="embodied_balance", about="Balance of embodied trade per extension: direct total "
                    "= local final demand + exports − imports (closure = the residual)", columns=(
                        _col("extension", None, "water or co2", "str"),
                        _col("units", None, "units of the values", "str"),
                        _col("direct_total", None, "Σ F (production-based)"),
                        _col("in_local_final_demand", None, "m · local final demand"),
                        _col("in_exports", None, "m · exports"),
                        _col("in_imports", None, "m · imports"),
                        _col("net_export", None, "exports − imports"),
                        _col("consumption_based", None, "consumption-based account = direct_total − "
                             "net_export (equals in_local_final_demand under the domestic "
                             "technology assumption)"),
                        _col("closure", None, "direct_total − (local + exports − imports)"),
                    )),
        TableOutput(id="crop_water_check", about="Agriculture's direct water in the table against the "
                    "crop water use of water_allocation (given virtual_water)", optional=True, columns=(
                        _col("sector", None, "agriculture sector id", "str"),
                        _col("component", None, "blue or total", "str"),
                        _col("table_water", WATER, "direct water of the sector in io_sectors"),
                        _col("crop_water", WATER, "crop water use from virtual_water"),
                        _col("ratio", "", "table_water / crop_water"),
                        _col("used", None, "which value the run used", "str"),
                    )),
    ),
)
