"""The spec of ``total_load_allocation``: its inputs, parameters and outputs with units and ranges.

Kept apart from the model's code and free of numerical libraries, so that listing and
describing models (``ecociv models``, ``ecociv model describe``) start quickly."""

from __future__ import annotations

from ecociv.spec import Column, ModelSpec, ParamInput, TableInput, TableOutput

POLLUTANTS = ("SO2", "NOx", "PM", "VOCs", "CO2", "COD", "NH3-N")
METHODS = ("equal_proportion", "equal_marginal_cost", "equity_constrained")
PER_CAPITA = "t/(ten_thousand * yr)"
PER_VALUE_ADDED = "t/(hundred_million * yuan * yr)"


def _col(column_id: str, units: str | None, about: str) -> Column:
    return Column(id=column_id, units=units, about=about, dtype="str" if units is None else "float")


SPEC = ModelSpec(
    id="total_load_allocation",
    title="Total load allocation of a basin's pollutant allowance",
    title_zh="污染物总量控制分配",
    version="1.0.0",
    citation=(
        "Equal marginal cost (least cost): Montgomery W.D. (1972), Markets in licenses and "
        "efficient pollution control programs, Journal of Economic Theory 5: 395–418; Baumol W.J., "
        "Oates W.E. (1971), Swedish Journal of Economics 73: 42–54. Equity by the Gini coefficient "
        "of allowances per capita / per value added, e.g. Sun T., Zhang H., Wang Y. et al. (2010), "
        "The application of environmental Gini coefficient (EGC) in allocating wastewater "
        "discharge permit: the case study of watershed total mass control in Tianjin, China, "
        "Resources, Conservation and Recycling 54: 601–608. QP solved with HiGHS (Huangfu Q., "
        "Hall J.A.J. 2018, Mathematical Programming Computation 10: 119–142)."
    ),
    about=(
        "Allocates each basin's allowance of a pollutant (COD, NH3-N, SO2, NOx...) among its units "
        "in three ways: equal proportion (every unit cut by the same share of its baseline, held "
        "at its technical minimum), equal marginal cost (least total abatement cost; quadratic or "
        "stepwise cost blocks per unit, a HiGHS QP) and equity constrained (least cost with every "
        "unit keeping at least equity_floor × its population or value-added share of the basin "
        "allowance, capped at its baseline). For each: allowance, abatement, cost and marginal "
        "cost per unit; per basin the total cost and the Gini coefficients of allowance per capita "
        "and per value added. An allowance below the sum of the technical minimums is an error "
        "naming the basin, pollutant and shortfall."
    ),
    inputs=(
        TableInput(id="units", about="One row per basin, unit and pollutant: baseline (or from "
                   "the emissions table), technical minimum, population and value added",
                   columns=(
                       _col("basin", None, "basin id"),
                       _col("unit", None, "unit id (prefecture adcode)"),
                       _col("pollutant", None, f"pollutant id, one of {', '.join(POLLUTANTS)}"),
                       Column(id="baseline_t", about="baseline emission (empty: the sum over sectors "
                              "of the emissions table)", units="t/yr", ge=0, required=False),
                       Column(id="minimum_t", about="technical minimum emission, the least the unit "
                              "can emit (empty: 0)", units="t/yr", ge=0, required=False),
                       Column(id="population", about="resident population", units="ten_thousand", gt=0),
                       Column(id="value_added", about="value added", units="hundred_million * yuan", gt=0),
                   )),
        TableInput(id="emissions", about="Emissions per year, unit, sector and pollutant (the "
                   "`emissions` output of emission_inventory); summed over sectors for units "
                   "without baseline_t", required=False, columns=(
                       Column(id="year", about="calendar year", units="", dtype="int"),
                       _col("unit", None, "unit id"), _col("sector", None, "sector id"),
                       _col("pollutant", None, "pollutant id"),
                       Column(id="emission_t", about="emission after control", units="t/yr", ge=0),
                   )),
        TableInput(id="abatement_costs", about="Abatement cost blocks: one row with beta > 0 per "
                   "unit and pollutant is a quadratic cost curve C(q) = alpha·q + ½·beta·q²; several "
                   "rows with beta = 0 and max_abatement_t are a stepwise curve (give this table, or "
                   "measures with the emissions table)", required=False, columns=(
                       _col("unit", None, "unit id"), _col("pollutant", None, "pollutant id"),
                       Column(id="alpha", about="marginal cost of the first tonne of the block",
                              units="yuan/t", ge=0),
                       Column(id="beta", about="slope of the marginal cost", units="yuan/t**2", ge=0),
                       Column(id="max_abatement_t", about="most the block can abate (empty: no "
                              "limit of its own)", units="t/yr", gt=0, required=False),
                   )),
        TableInput(id="measures", about="Control-measure library (src/ecociv/data/industry/"
                   "control_measures.csv): with the emissions table, each unit's stepwise cost curve "
                   "(measures ranked by unit cost, each acting on what the cheaper ones left); used "
                   "for units and pollutants without abatement_costs rows", required=False, columns=(
                       _col("measure", None, "measure id"),
                       _col("sector", None, "sector id the measure applies to"),
                       _col("pollutant", None, "pollutant id it removes"),
                       Column(id="removal_efficiency", about="share of the treated emissions removed",
                              units="", ge=0, le=1),
                       Column(id="max_application", about="largest share of the sector's emissions the "
                              "measure can treat", units="", ge=0, le=1),
                       Column(id="unit_cost", about="cost per tonne removed", units="yuan/t", ge=0),
                   )),
        TableInput(id="allowances", about="Allowance (total load) per basin and pollutant",
                   columns=(
                       _col("basin", None, "basin id"), _col("pollutant", None, "pollutant id"),
                       Column(id="allowance_t", about="basin allowance", units="t/yr", ge=0),
                   )),
        ParamInput(id="equity_basis", about="What the equity floor is proportional to",
                   units=None, dtype="str", choices=("population", "value_added"), default="population"),
        ParamInput(id="equity_floor", about="Each unit keeps at least this fraction of its share "
                   "(by equity_basis) of the basin allowance, capped at its baseline (0: no floor, "
                   "1: exactly equal per capita where baselines allow)", units="", ge=0, le=1,
                   default=0.5),
        ParamInput(id="emission_year", about="Year of the emissions table summed into baselines "
                   "(default: its latest year)", units=None, dtype="int", required=False),
    ),
    outputs=(
        TableOutput(id="allocation", about="Allowance, abatement and cost per basin, pollutant, "
                    "method and unit", columns=(
                        _col("basin", None, "basin"), _col("pollutant", None, "pollutant"),
                        _col("method", None, f"one of {', '.join(METHODS)}"), _col("unit", None, "unit"),
                        _col("baseline_t", "t/yr", "baseline emission"),
                        _col("allowance_t", "t/yr", "allocated allowance"),
                        _col("abatement_t", "t/yr", "baseline − allowance"),
                        _col("abatement_pct", "percent", "abatement / baseline"),
                        _col("cost_yuan", "yuan/yr", "least cost of the unit's abatement"),
                        _col("marginal_cost", "yuan/t", "cost of the last tonne abated (of the "
                             "first tonne when nothing is abated)"),
                        _col("allowance_per_capita", PER_CAPITA, "allowance per 10^4 residents"),
                        _col("allowance_per_value_added", PER_VALUE_ADDED, "allowance per 10^8 yuan "
                             "of value added"),
                    )),
        TableOutput(id="summary", about="Per basin, pollutant and method: totals and equity",
                    columns=(
                        _col("basin", None, "basin"), _col("pollutant", None, "pollutant"),
                        _col("method", None, "allocation rule"),
                        _col("allowance_t", "t/yr", "basin allowance"),
                        _col("baseline_t", "t/yr", "sum of baselines"),
                        _col("abatement_t", "t/yr", "total abatement"),
                        _col("cost_yuan", "yuan/yr", "total abatement cost"),
                        _col("max_marginal_cost", "yuan/t", "highest marginal cost among units "
                             "that abate (equal_marginal_cost: the common marginal cost λ)"),
                        _col("gini_per_capita", "", "Gini of allowance per capita, population-weighted"),
                        _col("gini_per_value_added", "", "Gini of allowance per value added, "
                             "value-added-weighted"),
                    )),
    ),
)
