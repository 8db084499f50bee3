"""The spec of ``emission_inventory``: inputs, parameters and outputs with units.

Kept free of numerical libraries so that listing and describing models stays fast."""

from __future__ import annotations

from ecociv.spec import Column, ModelSpec, ParamInput, TableInput, TableOutput

#: pollutant ids shared by the industry models (SO2, NOx, particulate matter, volatile organic
#: compounds, carbon dioxide, chemical oxygen demand, ammonia nitrogen)
POLLUTANTS = ("SO2", "NOx", "PM", "VOCs", "CO2", "COD", "NH3-N")

#: keys of the `levers` mapping (a scenario's `levers.industry` section)
LEVERS = ("growth", "end_year", "application")


def _column(column_id: str, units: str | None, about: str, dtype: str | None = None,
            **bounds: float | bool) -> Column:
    kind = dtype or ("str" if units is None else "float")
    return Column(id=column_id, units=units, about=about, dtype=kind, **bounds)


def _wide_column(pollutant: str) -> Column:
    return _column(f"{pollutant.lower().replace('-', '_')}_t", "t/yr", f"{pollutant} emitted after control")


SPEC = ModelSpec(
    id="emission_inventory",
    title="Emission inventory of air and water pollutants and CO2 by unit, sector and year",
    title_zh="污染物与二氧化碳排放清单",
    version="1.0.0",
    citation=(
        "Activity × emission factor × (1 − Σ removal efficiency × application), the form of "
        "GAINS (Amann M. et al. 2011, Environmental Modelling & Software 26: 1489–1501) and of LEAP's "
        "environmental loadings (Heaps C.G. 2022, LEAP, Stockholm Environment Institute). CO2 "
        "factors of fuels: 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 2, "
        "Ch. 1, Tables 1.2–1.4; process CO2: Vol. 3, Ch. 2 (cement clinker) and Ch. 4 (coke, iron "
        "and steel, aluminium), 2019 Refinement where it changed the default."
    ),
    about=(
        "Emissions per administrative unit, sector, pollutant and year: every activity row "
        "(unit, sector, year, process, amount with its unit) is multiplied by the factor of its "
        "(sector, process, pollutant); the units of activity and factor must combine to a mass, "
        "converted to tonnes. Control measures remove a share removal_efficiency × application of "
        "the unabated emission of their sector and pollutant (several measures add up, at most "
        "100 %). Years after the last year of the activity table are projected to the lever "
        "`end_year` with annual growth rates per sector or unit/sector (lever `growth`). CO2 of "
        "electricity sent out of the region is moved from the producing unit to the receiving "
        "region for a consumption-based account."
    ),
    inputs=(
        TableInput(id="activity", about="Activity levels: one row per unit, sector, year and process "
                   "(e.g. coal burnt in t, clinker made in t, value added in 10^8 yuan)", columns=(
                       _column("unit", None, "administrative unit (6-digit adcode)"),
                       _column("sector", None, "sector id of src/ecociv/data/industry/sectors.csv"),
                       _column("year", "", "calendar year", "int"),
                       _column("process", None, "process or fuel id of the factor library"),
                       _column("activity", "", "amount, in activity_unit", ge=0),
                       _column("activity_unit", None, "pint unit of the amount, e.g. 't', 'TJ', "
                               "'hundred_million * yuan'"),
                   )),
        TableInput(id="emission_factors", about="Factor library: one row per sector, process and "
                   "pollutant (src/ecociv/data/industry/emission_factors.csv)", columns=(
                       _column("sector", None, "sector id"),
                       _column("process", None, "process or fuel id"),
                       _column("pollutant", None, "one of SO2, NOx, PM, VOCs, CO2, COD, NH3-N"),
                       _column("value", "", "factor, in `unit`", ge=0),
                       _column("unit", None, "pint unit, mass per activity unit, e.g. 'kg/t', 't/TJ'"),
                       _column("source", None, "document, table, year of the value"),
                       _column("verified", None, "'true' where the value was read in the source document, "
                               "else 'false'", required=False),
                   )),
        TableInput(id="controls", about="Control measures applied (columns of control_measures.csv "
                   "plus the application rate); a measure without application (nor an `application` lever) is "
                   "not applied, so control_measures.csv can be given as it is",
                   required=False, columns=(
                       _column("measure", None, "measure id"),
                       _column("sector", None, "sector id"),
                       _column("pollutant", None, "pollutant id"),
                       _column("removal_efficiency", "", "share of the pollutant removed where applied",
                               ge=0, le=1),
                       _column("application", "", "share of the activity the measure is applied to",
                               ge=0, le=1, required=False),
                       _column("max_application", "", "technical maximum application", ge=0, le=1,
                               required=False),
                       _column("unit", None, "unit the row applies to (empty: every unit)",
                               required=False),
                   )),
        TableInput(id="electricity_exports", about="Electricity sent out of the region by producing "
                   "unit, for the consumption-based CO2 account", required=False, columns=(
                       _column("year", "", "calendar year", "int"),
                       _column("producer_unit", None, "unit where the electricity is generated"),
                       _column("receiving_region", None, "region that uses it, e.g. 'Anhui'"),
                       _column("electricity", "kWh", "electricity sent out in the year", ge=0),
                       _column("emission_factor", "kg/kWh", "CO2 per kWh of the exported electricity",
                               ge=0),
                   )),
        ParamInput(id="levers", about="Industry levers: `growth` (annual growth rate of activity per "
                   "sector id, 'unit/sector' or '*', e.g. {power_heat: 0.04}), `end_year` (last "
                   "projected year, default none: no projection), `application` (application rate, 0-1, "
                   "per 'measure/sector', 'measure' or 'sector/pollutant'); a scenario's "
                   "`levers.industry` section is given here", units=None, dtype="mapping",
                   lever_group="industry", keys=LEVERS, required=False),
    ),
    outputs=(
        TableOutput(id="emissions", about="Emission per year, unit, sector and pollutant, before and "
                    "after control", columns=(
                        _column("year", "", "calendar year", "int"),
                        _column("unit", None, "administrative unit"),
                        _column("sector", None, "sector id"),
                        _column("pollutant", None, "pollutant id"),
                        _column("unabated_t", "t/yr", "activity × factor"),
                        _column("emission_t", "t/yr", "emission after control"),
                        _column("removed_t", "t/yr", "removed by control measures"),
                        _column("projected", None, "year projected with the growth levers", "bool"),
                    )),
        TableOutput(id="emissions_by_unit", about="Emission after control per unit and year, one column "
                    "per pollutant", columns=(
                        _column("unit", None, "administrative unit"),
                        _column("year", "", "calendar year", "int"),
                        *(_wide_column(p) for p in POLLUTANTS),
                    )),
        TableOutput(id="emissions_consumption", about="Production- and consumption-based CO2 per "
                    "region and year: CO2 of exported electricity moved from the producing unit to "
                    "the receiving region", optional=True, columns=(
                        _column("year", "", "calendar year", "int"),
                        _column("region", None, "unit of the inventory or receiving region"),
                        _column("production_co2_t", "t/yr", "CO2 emitted in the region (after control)"),
                        _column("exported_co2_t", "t/yr", "CO2 of electricity sent out"),
                        _column("imported_co2_t", "t/yr", "CO2 of electricity received"),
                        _column("consumption_co2_t", "t/yr", "production − exported + imported"),
                        _column("exports_above_production", None, "exported CO2 above the region's "
                                "production in the inventory (incomplete power activity or too high an "
                                "export factor; consumption then negative)", "bool"),
                    )),
    ),
)
