"""The spec of ``industry_structure`` (no numerical libraries imported)."""

from __future__ import annotations

from ecociv.models.pollution_control.spec import SHADOW_COLUMNS
from ecociv.spec import Column, ModelSpec, ParamInput, TableInput, TableOutput

RESOURCES = ("water", "energy", "land")


def _col(name: str, units: str | None, about: str, dtype: str = "", **kw: object) -> Column:
    return Column(id=name, units=units, about=about, dtype=dtype or ("str" if units is None else "float"),
                  **kw)


SPEC = ModelSpec(
    id="industry_structure",
    title="Industrial structure optimisation within carrying capacity",
    title_zh="资源环境承载力约束下的产业结构优化",
    version="1.0.0",
    citation=(
        "Linear structure optimisation under resource and emission caps with duals read as shadow "
        "prices (Dantzig G.B. 1963, Linear Programming and Extensions, ch. 12; for carrying capacity, "
        "e.g. the input-output/LP planning models reviewed in Miller R.E., Blair P.D. 2009, "
        "Input-Output Analysis, ch. 10), epsilon-constraint Pareto front (Haimes Y.Y., Lasdon L.S., "
        "Wismer D.A. 1971, IEEE Trans. Systems, Man and Cybernetics 1(3): 296-297; Mavrotas G. 2009, "
        "Applied Mathematics and Computation 213: 455-465), solved with HiGHS (Huangfu Q., Hall "
        "J.A.J. 2018). Strategy 3 of Yang Rongjin et al. (2017), Strategic Study of CAE 19(4)."
    ),
    about=(
        "For every target year, the value added of each unit and sector that maximises total value "
        "added (or employment) subject to caps on water, energy, construction land and each "
        "pollutant (per unit or for the whole region; intensities from the base-year accounts and "
        "emissions, optionally changing each year), minimum and maximum sector shares and growth "
        "limits versus the base year. The duals of the caps are reported as carrying-capacity "
        "shadow prices (yuan per m3 of water, per tce, per t of pollutant, per m2 of land), and an "
        "epsilon-constraint Pareto front between the objective and a chosen pressure is traced."
    ),
    inputs=(
        TableInput(id="accounts", about="Sector accounts (src/ecociv/data/industry/sector_accounts.csv "
                   "layout): base-year value added and resource use per unit and sector", columns=(
                       _col("unit", None, "administrative unit (6-digit adcode)"),
                       _col("sector", None, "sector id"),
                       _col("year", "", "year", dtype="int"),
                       _col("value_added", "hundred_million * yuan", "value added (empty: unknown)", ge=0,
                            required=False),
                       _col("employment", "ten_thousand", "employment, 10^4 persons", ge=0, required=False),
                       _col("water_use", "hundred_million * m**3/yr", "water use", ge=0, required=False),
                       _col("energy_use", "tce", "energy use (t of standard coal equivalent)", ge=0,
                            required=False),
                       _col("construction_land", "km**2", "construction land used", ge=0, required=False),
                   )),
        TableInput(id="emissions", about="Base-year emissions per unit, sector and pollutant (e.g. "
                   "`@emission_inventory.emissions`), for the pollutant intensities", required=False,
                   columns=(
                       _col("year", "", "year", dtype="int"), _col("unit", None, "unit"),
                       _col("sector", None, "sector"), _col("pollutant", None, "pollutant"),
                       _col("emission_t", "t/yr", "emissions", ge=0))),
        TableInput(id="caps", about="Caps per unit (or 'all' = the whole region) and resource: water "
                   "(10^8 m3), energy (tce), land (km2) or a pollutant (t); optionally per year and for a "
                   "list of sectors (optional: without caps only the growth and share limits bind)",
                   required=False,
                   columns=(
                       _col("unit", None, "unit adcode or 'all'"),
                       _col("resource", None, "water, energy, land or a pollutant id"),
                       _col("cap", "", "largest use per year, in the resource's units (water 10^8 m3, "
                            "energy tce, land km2, pollutants t)", dtype="float", ge=0),
                       _col("year", "", "year the cap applies to (empty: every year)", dtype="int",
                            required=False),
                       _col("sectors", None, "sectors the cap covers, separated by ';' (empty: all)",
                            required=False),
                   )),
        TableInput(id="sector_limits", about="Share and growth limits per unit ('all' = every unit) and "
                   "sector", required=False, columns=(
                       _col("unit", None, "unit adcode or 'all'"), _col("sector", None, "sector id"),
                       _col("min_share", "", "smallest share of the unit's value added", ge=0, le=1,
                            required=False),
                       _col("max_share", "", "largest share of the unit's value added", ge=0, le=1,
                            required=False),
                       _col("min_growth", "", "lowest mean annual growth versus the base year", ge=-1,
                            required=False),
                       _col("max_growth", "", "highest mean annual growth versus the base year", ge=-1,
                            required=False),
                   )),
        TableInput(id="water_supply", about="Water delivered to industry per unit, e.g. "
                   "`@water_allocation.deliveries`: the mean annual delivery of sector `water_sector` "
                   "becomes a water cap on the industrial sectors of the unit", required=False, columns=(
                       _col("month", None, "YYYY-MM"), _col("sector", None, "demand sector"),
                       _col("unit", None, "administrative unit"),
                       _col("delivered_m3", "m**3", "water delivered", ge=0))),
        ParamInput(id="base_year", about="Base year of the accounts (default: each unit's latest year with "
                   "value added)", units="", dtype="int", ge=1900, le=2200, required=False),
        ParamInput(id="first_year", about="First target year (default: base year + 1)", units="",
                   dtype="int", ge=1900, le=2200, required=False),
        ParamInput(id="last_year", about="Last target year", units="", dtype="int", ge=1900, le=2200,
                   default=2035, required=False),
        ParamInput(id="objective", about="What is maximised: total value added or total employment",
                   units=None, dtype="str", choices=("value_added", "employment"), default="value_added",
                   required=False),
        ParamInput(id="min_growth", about="Default lowest mean annual growth of a sector (illustrative "
                   "default)", units="", ge=-1, le=1, default=-0.1, required=False),
        ParamInput(id="max_growth", about="Default highest mean annual growth of a sector (illustrative "
                   "default)", units="", ge=-1, le=1, default=0.1, required=False),
        ParamInput(id="intensity_change", about="Mean annual change of each intensity, e.g. {water: "
                   "-0.03, CO2: -0.04} (resource or pollutant -> rate; default 0)", units=None,
                   dtype="mapping", required=False),
        ParamInput(id="water_sector", about="Sector of water_supply's deliveries that supplies industry",
                   units=None, dtype="str", default="industry", required=False),
        ParamInput(id="pareto_pressure", about="Pressure of the Pareto front: water, energy, land or a "
                   "pollutant id", units=None, dtype="str", default="water", required=False),
        ParamInput(id="pareto_points", about="Points of the Pareto front", units="", dtype="int", ge=2,
                   le=101, default=11, required=False),
        ParamInput(id="pareto_year", about="Year of the Pareto front (default: the last year)", units="",
                   dtype="int", ge=1900, le=2200, required=False),
    ),
    outputs=(
        TableOutput(id="structure", about="Optimal value added per year, unit and sector with its bounds "
                    "and resource use", columns=(
                        _col("year", "", "year", dtype="int"), _col("unit", None, "unit"),
                        _col("sector", None, "sector"),
                        _col("value_added", "hundred_million * yuan", "optimal value added"),
                        _col("base_year", "", "base year of the unit", dtype="int"),
                        _col("base_value_added", "hundred_million * yuan", "value added in the base year"),
                        _col("lower_value_added", "hundred_million * yuan", "lowest value the growth limit allows"),
                        _col("upper_value_added", "hundred_million * yuan", "highest value the growth limit allows"),
                        _col("at_bound", None, "'lower', 'upper' or ''"),
                        _col("share", "", "share of the unit's value added"),
                        _col("water_use", "hundred_million * m**3/yr", "water use"),
                        _col("energy_use", "tce", "energy use"))),
        TableOutput(id="constraints", about="Every cap and share limit: its bound, use, slack, whether it "
                    "binds and its dual value", columns=(
                        _col("year", "", "year", dtype="int"), _col("unit", None, "unit or 'all'"),
                        _col("constraint", None, "constraint name"),
                        _col("resource", None, "resource, pollutant or 'share'"),
                        _col("bound", "", "the cap or limit, in `bound_units`", dtype="float"),
                        _col("use", "", "use at the optimum, in `bound_units`", dtype="float"),
                        _col("bound_units", None, "units of bound and use"),
                        _col("binding", None, "the constraint binds", dtype="bool"),
                        _col("dual", "", "dual value in objective units per bound unit", dtype="float"))),
        TableOutput(id="shadow_prices", about="Carrying-capacity shadow prices: gain of the objective per "
                    "unit more of each capped resource (0 when the cap does not bind)",
                    columns=(*SHADOW_COLUMNS[:6], _col("binding", None, "the cap binds", dtype="bool"))),
        TableOutput(id="pareto_front", about="Epsilon-constraint Pareto front: the best objective for "
                    "each limit on the chosen pressure (whole region, one year)", columns=(
                        _col("point", "", "point number", dtype="int"), _col("year", "", "year", dtype="int"),
                        _col("pressure", None, "pressure id"),
                        _col("pressure_limit", "", "epsilon: largest pressure allowed, in "
                             "`pressure_units`", dtype="float"),
                        _col("pressure_value", "", "pressure at the optimum, in `pressure_units`",
                             dtype="float"),
                        _col("pressure_units", None, "units of the pressure"),
                        _col("objective_value", "", "objective at the optimum, in `objective_units`",
                             dtype="float"),
                        _col("objective_units", None, "units of the objective"))),
    ),
)
