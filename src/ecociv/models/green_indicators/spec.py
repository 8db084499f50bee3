"""The spec of ``green_indicators``: its inputs, parameters and outputs with units and ranges.

Kept apart from the model's code and free of numerical libraries, so that listing and
describing models (``ecociv models``, ``ecociv model describe``) start quickly."""

from __future__ import annotations

from ecociv.spec import Column, ModelSpec, ParamInput, TableInput, TableOutput

VALUE_ADDED = "hundred_million * yuan"
WATER = "hundred_million * m**3/yr"
PER_10K_YUAN = "t/(ten_thousand * yuan)"
WATER_PER_10K_YUAN = "m**3/(ten_thousand * yuan)"


def _col(column_id: str, units: str | None, about: str, dtype: str | None = None) -> Column:
    return Column(id=column_id, units=units, about=about,
                  dtype=dtype or ("str" if units is None else "float"))


_PERIOD = (
    _col("unit", None, "unit (prefecture adcode, 'all' = every unit of the table together)"),
    _col("period", None, "first-last year, e.g. 2010-2015"),
    _col("start_year", "", "first year of the period", "int"),
    _col("end_year", "", "last year of the period", "int"),
)

SPEC = ModelSpec(
    id="green_indicators",
    title="Green development indicators: intensities, Tapio decoupling, LMDI decomposition",
    title_zh="绿色发展指标：强度、脱钩与LMDI分解",
    version="1.0.0",
    citation=(
        "Tapio P. (2005), Towards a theory of decoupling: degrees of decoupling in the EU and the "
        "case of road traffic in Finland between 1970 and 2001, Transport Policy 12: 137–151. "
        "Ang B.W. (2004), Decomposition analysis for policymaking in energy: which is the "
        "preferred method?, Energy Policy 32: 1131–1139; Ang B.W. (2005), The LMDI approach to "
        "decomposition analysis: a practical guide, Energy Policy 33: 867–871; Ang B.W., Liu N. "
        "(2007), Handling zero values in the logarithmic mean Divisia index decomposition "
        "approach, Energy Policy 35: 238–246. Kaya Y. (1990), IPCC Energy and Industry Subgroup."
    ),
    about=(
        "From sector accounts per unit and year (value added, CO2, energy and water use): water, "
        "energy and carbon intensity per 10^4 yuan of value added; the Tapio decoupling "
        "elasticity of CO2 from value added and its eight states (boundaries: the coupling band "
        "is [0.8, 1.2], e exactly 0.8 or 1.2 is coupling; no growth of value added is strong "
        "(negative) decoupling by the sign of the CO2 change); the additive LMDI-I decomposition "
        "of the CO2 change into activity, structure and intensity effects (with population: "
        "population and value added per capita, the Kaya form), perfect (effects sum to the "
        "change), zeros by the limits of the Ang & Liu (2007) small-value strategy. Periods are "
        "chained (period_length years) plus the whole span; with several units a row 'all' "
        "decomposes their total over unit × sector."
    ),
    inputs=(
        TableInput(id="accounts", about="Sector accounts: one row per unit, sector and year (the "
                   "columns of sector_accounts.csv plus co2_t; sector may be omitted for unit "
                   "totals)", columns=(
                       _col("unit", None, "unit id (prefecture adcode)"),
                       Column(id="sector", about="sector id (empty or absent: the unit's total)",
                              units=None, dtype="str", required=False),
                       _col("year", "", "calendar year", "int"),
                       Column(id="value_added", about="value added, current prices", units=VALUE_ADDED,
                              ge=0, required=False),
                       Column(id="co2_t", about="CO2 emissions", units="t/yr", ge=0, required=False),
                       Column(id="energy_use", about="energy use in tonnes of standard coal "
                              "equivalent (tce)", units="tce", ge=0, required=False),
                       Column(id="water_use", about="water use", units=WATER, ge=0, required=False),
                   )),
        TableInput(id="emissions", about="Emissions per year, unit, sector and pollutant (the "
                   "`emissions` output of emission_inventory): its CO2 rows fill co2_t of the "
                   "accounts rows that have none (same unit, sector and year)", required=False,
                   columns=(
                       Column(id="year", about="calendar year", units="", dtype="int"),
                       _col("unit", None, "unit id"), _col("sector", None, "sector id"),
                       _col("pollutant", None, "pollutant id (only CO2 rows are used)"),
                       Column(id="emission_t", about="emission", units="t/yr", ge=0),
                   )),
        TableInput(id="unit_population", about="Resident population per unit and year; with it the "
                   "LMDI activity effect is split into population and value added per capita "
                   "(Kaya)", required=False, columns=(
                       _col("unit", None, "unit id"),
                       _col("year", "", "calendar year", "int"),
                       Column(id="population", about="resident population", units="ten_thousand", gt=0),
                   )),
        ParamInput(id="period_length", about="Years per chained period of the decoupling and LMDI "
                   "tables, in years (1 = year on year); the whole span is always added", units="",
                   dtype="int", ge=1, le=100, default=5),
        ParamInput(id="start_year", about="First year used (default: the first year of the "
                   "accounts)", units=None, dtype="int", required=False),
        ParamInput(id="end_year", about="Last year used (default: the last year of the accounts)",
                   units=None, dtype="int", required=False),
    ),
    outputs=(
        TableOutput(id="intensities", about="Totals and intensities per unit, sector ('all' = the "
                    "unit's total) and year", columns=(
                        _col("unit", None, "unit"), _col("sector", None, "sector or 'all'"),
                        _col("year", "", "calendar year", "int"),
                        _col("value_added", VALUE_ADDED, "value added"),
                        _col("co2_t", "t/yr", "CO2"),
                        _col("energy_use", "tce", "energy use (t of standard coal equivalent)"),
                        _col("water_use", WATER, "water use"),
                        _col("carbon_intensity", PER_10K_YUAN, "t CO2 per 10^4 yuan of value added"),
                        _col("energy_intensity", "tce/(ten_thousand * yuan)", "tce per 10^4 yuan of value added"),
                        _col("water_intensity", WATER_PER_10K_YUAN, "m³ of water per 10^4 yuan of value "
                             "added"),
                    )),
        TableOutput(id="decoupling", about="Tapio decoupling of CO2 from value added per unit and "
                    "period", columns=(
                        *_PERIOD,
                        _col("co2_change_pct", "percent", "(CO2_end − CO2_start)/CO2_start"),
                        _col("value_added_change_pct", "percent", "(VA_end − VA_start)/VA_start"),
                        _col("elasticity", "", "Tapio elasticity e (empty when value added did not change)"),
                        _col("state", None, "Tapio state ('no data' when a value is missing)"),
                        _col("state_zh", None, "state in Chinese"),
                    )),
        TableOutput(id="lmdi", about="Additive LMDI-I decomposition of the CO2 change per unit and "
                    "period (t/yr); effects sum to co2_change_t", columns=(
                        *_PERIOD,
                        _col("co2_start_t", "t/yr", "CO2 in the first year"),
                        _col("co2_end_t", "t/yr", "CO2 in the last year"),
                        _col("co2_change_t", "t/yr", "CO2 change"),
                        _col("population_effect_t", "t/yr", "population effect (empty without population)"),
                        _col("activity_effect_t", "t/yr", "activity effect: value added per capita with "
                             "population, else value added"),
                        _col("structure_effect_t", "t/yr", "sector structure effect (value-added shares; "
                             "for 'all', unit × sector shares)"),
                        _col("intensity_effect_t", "t/yr", "carbon-intensity effect (CO2 per value added "
                             "of each sector)"),
                        _col("residual_t", "t/yr", "change − Σ effects (0 up to rounding: perfect "
                             "decomposition)"),
                    )),
    ),
)
