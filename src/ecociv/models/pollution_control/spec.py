"""The spec of ``pollution_control``: inputs, parameters and outputs with units (no numerical
libraries imported, so listing models stays fast)."""

from __future__ import annotations

from ecociv.spec import Column, ModelSpec, ParamInput, TableInput, TableOutput


def _col(name: str, units: str | None, about: str, dtype: str = "", **kw: object) -> Column:
    return Column(id=name, units=units, about=about, dtype=dtype or ("str" if units is None else "float"),
                  **kw)


SHADOW_COLUMNS = (
    _col("constraint", None, "constraint name, e.g. 'cap SO2 650100 2030'"),
    _col("unit", None, "administrative unit (6-digit adcode) or basin id the cap is set on"),
    _col("pollutant_or_resource", None, "pollutant id (SO2, NOx, PM, VOCs, CO2, COD, NH3-N) or resource"),
    _col("value", "", "shadow price: cost of the last tonne removed to meet the cap (0 when the cap "
         "does not bind), in the row's `units`", dtype="float"),
    _col("units", None, "units of value (yuan/t)"),
    _col("year", "", "year", dtype="int"),
    _col("area_type", None, "'unit' or 'basin'"),
    _col("cap_t", "t/yr", "the cap"),
    _col("residual_t", "t/yr", "emissions of the area after control"),
    _col("binding", None, "the cap binds (residual = cap)", dtype="bool"),
)

SPEC = ModelSpec(
    id="pollution_control",
    title="Least-cost pollution control and marginal abatement cost curves",
    title_zh="污染物总量控制最小成本减排方案与边际减排成本曲线",
    version="1.0.0",
    citation=(
        "Least-cost control as in GAINS (Amann M. et al. 2011, Cost-effective control of air quality "
        "and greenhouse gases in Europe: modeling and policy applications, Environmental Modelling & "
        "Software 26: 1489-1501): emissions = activity × factor × (1 − efficiency × application), one "
        "unit cost per measure, an LP; stepwise marginal abatement cost curve built by the "
        "retrospective method (Sathaye J., Meyers S. 1995, Greenhouse Gas Mitigation Assessment: A "
        "Guidebook, Kluwer; as in LEAP's MACC report); solved with HiGHS (Huangfu Q., Hall J.A.J. 2018, "
        "Mathematical Programming Computation 10: 119-142). Measure library: "
        "src/ecociv/data/industry/control_measures.csv with its sources."
    ),
    about=(
        "Chooses, for every year, how much of each control measure to apply to the emissions of each "
        "unit, sector and pollutant so that the caps per pollutant and unit or basin are met at least "
        "cost. Measures of one sector and pollutant are alternatives on shares of its emissions (each "
        "tonne is treated by at most one measure; a stacked combination is its own row in the "
        "library with the combined efficiency). Reports the measures chosen, costs, residual "
        "emissions, the shadow price of each cap and stepwise marginal abatement cost curves. A cap "
        "below the technical minimum is refused, naming the area, pollutant and shortfall."
    ),
    inputs=(
        TableInput(id="emissions", about="Emissions per year, unit, sector and pollutant, e.g. "
                   "`@emission_inventory.emissions` (emission_t = emissions with the controls already "
                   "in place; the measures act on them)", columns=(
                       _col("year", "", "calendar year", dtype="int"),
                       _col("unit", None, "administrative unit (6-digit adcode)"),
                       _col("sector", None, "sector id of src/ecociv/data/industry/sectors.csv"),
                       _col("pollutant", None, "SO2, NOx, PM, VOCs, CO2, COD or NH3-N"),
                       _col("emission_t", "t/yr", "emissions", ge=0),
                   )),
        TableInput(id="measures", about="Control-measure library (src/ecociv/data/industry/"
                   "control_measures.csv by default): one row per measure, sector and pollutant",
                   columns=(
                       _col("measure", None, "measure id"),
                       _col("sector", None, "sector id the measure applies to"),
                       _col("pollutant", None, "pollutant id it removes"),
                       _col("removal_efficiency", "", "share of the treated emissions removed", ge=0, le=1),
                       _col("max_application", "", "largest share of the sector's emissions the measure "
                            "can treat", ge=0, le=1),
                       _col("unit_cost", "yuan/t", "cost per tonne removed", ge=0),
                       _col("source", None, "source id (control_measures_sources.csv) or 'illustrative'"),
                       _col("status", None, "cited, proxy or illustrative", required=False),
                   )),
        TableInput(id="caps", about="Emission caps: one row per pollutant and area (a unit adcode, a "
                   "basin of `unit_basins`, or 'all' for the whole region), optionally per year (give "
                   "caps, allowances or both)", required=False,
                   columns=(
                       _col("pollutant", None, "pollutant id"),
                       _col("area", None, "unit adcode, basin id or 'all'"),
                       _col("cap_t", "t/yr", "largest emissions allowed", ge=0),
                       _col("year", "", "year the cap applies to (empty: every year)", dtype="int",
                            required=False),
                   )),
        TableInput(id="unit_basins", about="Share of each unit's emissions that reach each basin (for "
                   "basin caps, e.g. COD/NH3-N of the Ebinur Lake, Shuimo River and Chaiwopu Lake basins)",
                   required=False, columns=(
                       _col("unit", None, "administrative unit (6-digit adcode)"),
                       _col("basin", None, "basin id"),
                       _col("share", "", "share of the unit's emissions in the basin", ge=0, le=1),
                   )),
        TableInput(id="allowances", about="Allowances per unit, e.g. total_load_allocation's "
                   "`@total_load_allocation.allocation`: the allowance of each unit and pollutant (summed "
                   "over basins) becomes a cap on the unit for every year", required=False, columns=(
                       _col("unit", None, "administrative unit (6-digit adcode)"),
                       _col("pollutant", None, "pollutant id"),
                       _col("allowance_t", "t/yr", "allowance", ge=0),
                       _col("method", None, "allocation rule (one is chosen by allocation_method)",
                            required=False),
                   )),
        ParamInput(id="allocation_method", about="Rows of `allowances` to use when it holds several "
                   "allocation rules (its `method` column)", units=None, dtype="str", required=False),
        ParamInput(id="year", about="Only this year (default: every year of the emissions table)",
                   units="", dtype="int", ge=1900, le=2200, required=False),
    ),
    outputs=(
        TableOutput(id="measures_applied", about="Measures chosen: share of emissions treated, tonnes "
                    "removed and cost, per year, unit, sector, pollutant and measure", columns=(
                        _col("year", "", "year", dtype="int"), _col("unit", None, "unit"),
                        _col("sector", None, "sector"), _col("pollutant", None, "pollutant"),
                        _col("measure", None, "measure"),
                        _col("application", "", "share of the emissions treated by the measure"),
                        _col("removed_t", "t/yr", "tonnes removed"),
                        _col("cost_yuan", "yuan/yr", "cost"),
                        _col("unit_cost", "yuan/t", "cost per tonne removed"))),
        TableOutput(id="residual_emissions", about="Emissions before and after control per year, unit, "
                    "sector and pollutant", columns=(
                        _col("year", "", "year", dtype="int"), _col("unit", None, "unit"),
                        _col("sector", None, "sector"), _col("pollutant", None, "pollutant"),
                        _col("emission_t", "t/yr", "emissions before the measures"),
                        _col("removed_t", "t/yr", "removed by the measures"),
                        _col("residual_t", "t/yr", "emissions after the measures"),
                        _col("technical_minimum_t", "t/yr", "emissions with every measure at its maximum"),
                        _col("cost_yuan", "yuan/yr", "cost of the measures"))),
        TableOutput(id="control_costs", about="Cost and removal per year, unit and pollutant", columns=(
            _col("year", "", "year", dtype="int"), _col("unit", None, "unit"),
            _col("pollutant", None, "pollutant"),
            _col("emission_t", "t/yr", "emissions before the measures"),
            _col("removed_t", "t/yr", "removed"), _col("residual_t", "t/yr", "after the measures"),
            _col("cost_yuan", "yuan/yr", "cost"),
            _col("average_cost", "yuan/t", "cost / removed (empty when nothing is removed)"))),
        TableOutput(id="shadow_prices", about="Shadow price of every cap (dual value of its row): the "
                    "cost of removing one more tonne to tighten the cap by one tonne", columns=SHADOW_COLUMNS),
        TableOutput(id="mac_curve", about="Stepwise marginal abatement cost curve per year and pollutant "
                    "(retrospective method: measures ranked by unit cost and added cumulatively; a step's "
                    "width is its abatement at its maximum application on the emissions cheaper "
                    "alternatives of the same unit and sector left untreated)", columns=(
                        _col("year", "", "year", dtype="int"), _col("pollutant", None, "pollutant"),
                        _col("rank", "", "position on the curve (1 = cheapest)", dtype="int"),
                        _col("unit", None, "unit"), _col("sector", None, "sector"),
                        _col("measure", None, "measure"),
                        _col("unit_cost", "yuan/t", "height of the step"),
                        _col("abatement_t", "t/yr", "width of the step"),
                        _col("cumulative_abatement_t", "t/yr", "right edge of the step"),
                        _col("cumulative_cost_yuan", "yuan/yr", "area under the curve up to the right edge"))),
    ),
)
