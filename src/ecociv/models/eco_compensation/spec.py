"""The spec of ``eco_compensation``: its inputs, parameters and outputs with units and ranges.

Kept apart from the model's code and free of numerical libraries, so that listing and
describing models start quickly."""

from __future__ import annotations

from ecociv.spec import (
    Column,
    ModelSpec,
    ParamInput,
    RasterInput,
    RasterOutput,
    TableInput,
    TableOutput,
)
from ecociv.spec_blocks import land_use_input, lucode_table, zone_inputs

#: the 11 services of Xie et al. (2015), in the order of their table
SERVICES = (
    "food_production", "raw_materials", "water_supply", "gas_regulation", "climate_regulation",
    "environmental_purification", "hydrological_regulation", "soil_conservation",
    "nutrient_cycling", "biodiversity", "aesthetic_landscape",
)

#: ecosystem type of the class mapping that stands for "no ecosystem service" (e.g. built-up)
NO_SERVICE_TYPE = "none"

#: national value of one standard equivalent, yuan/ha (1/7 of the grain output value per ha:
#: 4,600.89 kg/ha x 2.28 yuan/kg / 7, China 1990-2015; see data/institutions/esv_sources.csv)
EQUIVALENT_VALUE = 1498.58

_UNIT = Column(id="unit", about="zone name or number (\"all\" without zones)", units=None, dtype="str")
_ESV = "yuan/yr"

SPEC = ModelSpec(
    id="eco_compensation",
    title="Ecosystem-service value and ecological compensation",
    title_zh="生态系统服务价值与生态补偿",
    version="1.0.0",
    citation=(
        "Xie Gaodi, Zhang Caixia, Zhang Leiming, Chen Wenhui, Li Shimei (2015). Improvement of the "
        "evaluation method for ecosystem service value based on per unit area. Journal of Natural "
        "Resources 30(8): 1243-1254 (谢高地等, 自然资源学报). Spill-over of ESV beyond a "
        "unit's share and regional compensation: Huang Jingjing, Li Lingling, Xu Linyu (2021), "
        "Acta Ecologica Sinica 41(17): 6994-7001 (黄晶晶等, 基于外溢生态系统服务价值的区域生态补偿机制研究). "
        "Standards between opportunity cost and ESV: Guan Dongjie et al. (2016), Acta Scientiae "
        "Circumstantiae 36(11): 4218-4227 (官冬杰等, 重庆三峡库区生态补偿标准差别化模型构建及应用研究)."
    ),
    about=(
        "Ecosystem-service value (ESV) per cell, unit and service from a land-use map with the "
        "equivalent-factor table of Xie et al. (2015): ESV = area x equivalents of the class's "
        "ecosystem type x value of one equivalent (yuan/ha) x a regional correction. With a "
        "scenario map, its ESV and the change. Each unit is a service source (ESV above its "
        "share of the region's ESV by area, or by population) or a receiver (below); the "
        "compensation a source should receive lies between the opportunity cost of its restricted "
        "land (forgone net return per ha of the restricted cells) and its service spill-over "
        "(the surplus); receivers pay the same totals in proportion to their deficits. Optionally, "
        "the accounts of inter-basin water transfers (volume x value per m3, receiver pays source)."
    ),
    inputs=(
        land_use_input(codes_in="class_mapping.lucode", about="Land-use codes (baseline map)"),
        land_use_input(codes_in="class_mapping.lucode", id="land_use_scenario",
                       about="Land-use codes of a scenario map (same grid)", required=False),
        TableInput(id="equivalents", about="Value equivalents per ha of each ecosystem type and "
                   "service (Xie et al. 2015 Table 3; data/institutions/esv_equivalents.csv)",
                   index="ecosystem_type",
                   columns=(Column(id="ecosystem_type", about="ecosystem type id", units=None,
                                   dtype="str"),
                            *(Column(id=s, about=f"equivalents of {s.replace('_', ' ')} per ha "
                                     "(may be negative, e.g. water supply of paddy fields)",
                                     units="", required=False)
                              for s in SERVICES))),
        lucode_table("class_mapping", "Ecosystem type(s) of each land-use code, with shares that "
                     "sum to 1 per code; type 'none' = no service (e.g. built-up land)",
                     Column(id="ecosystem_type", about="ecosystem type id of the equivalents table "
                            "or 'none'", units=None, dtype="str"),
                     Column(id="share", about="share of the code's area of this type (default 1)",
                            units="", ge=0, le=1, required=False)),
        ParamInput(id="equivalent_value", about="Value of one standard equivalent (1/7 of the "
                   "grain output value per ha; default: China 1990-2015, 1,498.58 yuan/ha)",
                   units="yuan/ha", ge=0, default=EQUIVALENT_VALUE, required=False),
        ParamInput(id="regional_correction", about="Multiplier of every equivalent for the region "
                   "(e.g. grain yield or NPP of the region over China's); default 1 (illustrative: "
                   "no cited Xinjiang ratio)", units="", gt=0, default=1.0, required=False),
        ParamInput(id="services", about="Comma-separated services to count (default: all 11)",
                   units=None, dtype="str", required=False),
        ParamInput(id="map_year", about="Year of the baseline map (the year column of esv_by_unit)",
                   units="", dtype="int", ge=1900, le=2200, required=False),
        ParamInput(id="scenario_year", about="Year of the scenario map", units="", dtype="int",
                   ge=1900, le=2200, required=False),
        RasterInput(id="restricted", about="Restricted land where farming and building are not "
                    "allowed (non-zero = restricted), e.g. the ecological red line", units=None,
                    kind="categorical", required=False),
        lucode_table("opportunity_cost", "Net return forgone per ha of restricted land by its "
                     "current class (data/institutions/esv_opportunity_cost.csv)",
                     Column(id="forgone_yuan_per_ha", about="forgone net return",
                            units="yuan/ha/yr", ge=0), required=False),
        ParamInput(id="status_basis", about="Reference of the source/receiver rule: the region's "
                   "ESV per km2 (per_area) or per person (per_capita, needs unit_population)",
                   units=None, dtype="str", choices=("per_area", "per_capita"),
                   default="per_area", required=False),
        TableInput(id="unit_population", about="Population per unit (for status_basis per_capita)",
                   index="unit", columns=(_UNIT, Column(id="population", about="persons",
                                                        units="", ge=0)), required=False),
        TableInput(id="transfers", about="Inter-basin water transfers (data/institutions/"
                   "esv_transfers.csv)", columns=(
                       Column(id="transfer", about="transfer id", units=None, dtype="str"),
                       Column(id="source", about="water-source region", units=None, dtype="str"),
                       Column(id="receiver", about="receiving unit or region", units=None,
                              dtype="str"),
                       Column(id="annual_volume_m3", about="volume delivered per year", units="m**3/yr",
                              ge=0),
                       Column(id="value_yuan_per_m3", about="value of one m3 at the receiver",
                              units="yuan/m**3", ge=0)), required=False),
        *zone_inputs("Polygons to report per unit (e.g. counties)"),
    ),
    outputs=(
        RasterOutput(id="esv", about="Ecosystem-service value of the baseline map",
                     units="yuan/ha/yr", long_name="ecosystem-service value, baseline"),
        RasterOutput(id="esv_scenario", about="Ecosystem-service value of the scenario map",
                     units="yuan/ha/yr", long_name="ecosystem-service value, scenario",
                     optional=True),
        RasterOutput(id="esv_change", about="Scenario minus baseline ESV", units="yuan/ha/yr",
                     long_name="change in ecosystem-service value (scenario - baseline)",
                     optional=True),
        TableOutput(id="esv_by_unit", about="ESV per unit", columns=(
            _UNIT,
            Column(id="year", about="year of the baseline map (empty when not given)", units="",
                   dtype="int", required=False),
            Column(id="area_km2", about="area of mapped cells", units="km**2"),
            Column(id="esv_yuan", about="ESV, baseline", units=_ESV),
            Column(id="per_km2", about="ESV per km2, baseline", units="yuan/km**2/yr"),
            Column(id="esv_scenario_yuan", about="ESV, scenario", units=_ESV, required=False),
            Column(id="esv_change_yuan", about="scenario minus baseline", units=_ESV,
                   required=False),
            Column(id="scenario_year", about="year of the scenario map", units="", dtype="int",
                   required=False))),
        TableOutput(id="esv_by_service", about="ESV per unit and service", columns=(
            _UNIT,
            Column(id="service", about="service id (Xie et al. 2015)", units=None, dtype="str"),
            Column(id="esv_yuan", about="ESV, baseline", units=_ESV),
            Column(id="esv_scenario_yuan", about="ESV, scenario", units=_ESV, required=False),
            Column(id="esv_change_yuan", about="scenario minus baseline", units=_ESV,
                   required=False))),
        TableOutput(id="compensation", about="Source/receiver status and compensation range per "
                    "unit (of the scenario map when given, else the baseline)", columns=(
            _UNIT,
            Column(id="status", about="source (surplus: is paid) or receiver (deficit: pays)",
                   units=None, dtype="str"),
            Column(id="esv_yuan", about="ESV of the map assessed", units=_ESV),
            Column(id="reference_yuan", about="the unit's area (or population) x the region's "
                   "mean ESV per km2 (or per person)", units=_ESV),
            Column(id="spillover_yuan", about="esv_yuan - reference_yuan (> 0 source, < 0 "
                   "receiver)", units=_ESV),
            Column(id="restricted_km2", about="restricted area", units="km**2"),
            Column(id="opportunity_cost_yuan", about="forgone net return of the restricted land",
                   units=_ESV),
            Column(id="low_yuan", about="lower end of the compensation received (source) or paid "
                   "(receiver)", units=_ESV, ge=0),
            Column(id="high_yuan", about="upper end of the compensation received or paid",
                   units=_ESV, ge=0))),
        TableOutput(id="transfer_accounts", about="Source/receiver accounts of water transfers "
                    "(with transfers)", optional=True, columns=(
            Column(id="transfer", about="transfer id", units=None, dtype="str"),
            Column(id="source", about="water-source region (credited)", units=None, dtype="str"),
            Column(id="receiver", about="receiving unit (debited)", units=None, dtype="str"),
            Column(id="annual_volume_m3", about="volume per year", units="m**3/yr"),
            Column(id="value_yuan_per_m3", about="value per m3", units="yuan/m**3"),
            Column(id="compensation_yuan", about="volume x value, paid by the receiver to the "
                   "source", units=_ESV),
            Column(id="receiver_esv_share", about="compensation over the receiver's ESV (the "
                   "unit of that name, or the units of a prefecture code 6xxx00; empty when none)",
                   units="", required=False))),
    ),
)
