"""The spec of ``eco_assessment``: its inputs, parameters and outputs with units and ranges.

Kept apart from the model's code and free of numerical libraries, so that listing and
describing models starts quickly."""

from __future__ import annotations

from ecociv.spec import Column, ModelSpec, ParamInput, TableInput, TableOutput

ESV = "yuan/yr"
NORMALISATIONS = ("minmax", "zscore")
WEIGHTINGS = ("gdi", "entropy", "combined", "given")
AGGREGATIONS = ("weighted_sum", "topsis")
MISSING = ("error", "drop_indicator", "drop_unit", "worst")


def _col(column_id: str, units: str | None, about: str, dtype: str | None = None,
         required: bool = True) -> Column:
    return Column(id=column_id, units=units, about=about, required=required,
                  dtype=dtype or ("str" if units is None else "float"))


def _opt(column_id: str, units: str | None, about: str, dtype: str | None = None) -> Column:
    return _col(column_id, units, about, dtype, required=False)


_UNIT = _col("unit", None, "unit id (prefecture or county adcode)")

SPEC = ModelSpec(
    id="eco_assessment",
    title="Differentiated eco-civilisation performance assessment (Green Development Index structure, "
          "entropy weights, TOPSIS, zone types from the run)",
    title_zh="生态文明建设差异化绩效考核",
    version="1.0.0",
    citation=(
        "NDRC, NBS, MEP, CCOD (2016), 绿色发展指标体系 and 生态文明建设考核目标体系 (发改环资〔2016〕"
        "2635号): six categories of the Green Development Index with weights 29.3/16.5/19.3/16.5/9.2/"
        "9.2 % (secondary copies; see src/ecociv/data/institutions/assessment_sources.csv). "
        "Shannon C.E. (1948), A mathematical theory of communication, Bell Syst. Tech. J. 27: 379–423 "
        "(entropy; the entropy-weight method as in Zeleny M. (1982), Multiple Criteria Decision "
        "Making, McGraw-Hill). Hwang C.-L., Yoon K. (1981), Multiple Attribute Decision Making: "
        "Methods and Applications, Springer (TOPSIS). Yang Rongjin et al. (2017), Strategic Study "
        "of CAE 19(4) (zone types of the differentiated assessment)."
    ),
    about=(
        "Scores and ranks units on an indicator system with the structure of China's Green "
        "Development Index (resource use, environmental governance, environmental quality, "
        "ecological protection, growth quality, green living). Indicator values come from a table "
        "(unit, indicator, value) and from outputs of other models (water use, groundwater "
        "overdraft, intensities, emission reductions, land-use shares and changes, red-line share, "
        "ESV change; `origin` says which output column). Values are normalised (min–max with "
        "direction, or z-score); weights are the GDI category weights split equally among a "
        "category's indicators, Shannon entropy weights, their normalised product, or given; the "
        "score is the weighted sum (contributions = weight × normalised value sum to it) or the "
        "TOPSIS closeness. Each unit gets a zone type classified from the run (fast cropland "
        "growth, severe groundwater overdraft, severe ecological degradation, general) whose "
        "emphasis factors (a user-editable table) multiply the base weights before renormalising."
    ),
    inputs=(
        TableInput(id="indicator_values", about="Indicator values per unit (long table); a value "
                   "here overrides one computed from a run output", required=False, columns=(
                       _UNIT,
                       _col("indicator", None, "indicator id of the indicator system"),
                       _col("value", "", "value, in the indicator's unit_of_measure (empty = missing)"),
                       _opt("year", "", "year of the value (the latest year per unit and indicator "
                            "is used)", "int"),
                       _opt("unit_of_measure", None, "unit of the value; must equal the indicator "
                            "system's when given"),
                       _opt("source", None, "where the value comes from"),
                   )),
        TableInput(id="deliveries", about="water_allocation `deliveries`: water delivered per site "
                   "and month (gives water_use_total)", required=False, columns=(
                       _col("month", None, "YYYY-MM"), _col("unit", None, "administrative unit"),
                       _col("delivered_m3", "m**3", "water delivered"))),
        TableInput(id="groundwater", about="water_allocation `groundwater`: pumping, allowable "
                   "abstraction and overdraft per aquifer and year", required=False, columns=(
                       _col("year", "", "calendar year", "int"), _col("aquifer", None, "aquifer"),
                       _opt("unit", None, "unit (empty: shared by groundwater_units)"),
                       _col("pumping_m3", "m**3", "water pumped"),
                       _col("allowable_abstraction_m3", "m**3", "allowable abstraction (可开采量)"),
                       _col("overdraft_m3", "m**3", "pumping above the allowable abstraction"))),
        TableInput(id="groundwater_units", about="water_allocation `groundwater_units`: each "
                   "unit's pumping and share of its aquifer's overdraft", required=False, columns=(
                       _col("year", "", "calendar year", "int"), _col("unit", None, "unit"),
                       _col("aquifer", None, "aquifer"), _col("pumping_m3", "m**3", "water pumped for the unit"),
                       _col("overdraft_m3", "m**3", "the unit's share of the aquifer's overdraft"))),
        TableInput(id="intensities", about="green_indicators `intensities`: the 'all' rows give "
                   "water, energy and carbon intensity", required=False, columns=(
                       _UNIT, _opt("sector", None, "sector or 'all'"), _col("year", "", "calendar year", "int"),
                       _opt("water_intensity", "m**3/(ten_thousand * yuan)", "water per 10^4 yuan"),
                       _opt("energy_intensity", "tce/(ten_thousand * yuan)", "energy per 10^4 yuan"),
                       _opt("carbon_intensity", "t/(ten_thousand * yuan)", "CO2 per 10^4 yuan"))),
        TableInput(id="emissions_by_unit", about="emission_inventory `emissions_by_unit`: first "
                   "and last year give the COD, NH3-N, SO2 and NOx reductions", required=False,
                   columns=(
                       _UNIT, _col("year", "", "calendar year", "int"),
                       _opt("cod_t", "t/yr", "COD emitted after control"),
                       _opt("nh3_n_t", "t/yr", "NH3-N emitted after control"),
                       _opt("so2_t", "t/yr", "SO2 emitted after control"),
                       _opt("nox_t", "t/yr", "NOx emitted after control"))),
        TableInput(id="area_by_class", about="land_use_change `area_by_class` per zone (= unit) "
                   "and year: shares, changes and the cropland-growth and degradation zone rules",
                   required=False, columns=(
                       _col("year", "", "year", "int"), _col("zone", None, "zone (unit id)"),
                       _col("lucode", None, "land-use code", "int"), _col("area_km2", "km**2", "area"))),
        TableInput(id="redline_by_zone", about="ecological_redline `redline_by_zone`: red-line "
                   "share of each unit", required=False, columns=(
                       _col("zone", None, "zone (unit id)"),
                       _col("redline_percent", "percent", "red-line area over the unit's area"))),
        TableInput(id="esv_by_unit", about="eco_compensation `esv_by_unit`: ESV and its change "
                   "(gives esv_change_pct and the ESV degradation rule)", required=False, columns=(
                       _UNIT, _col("esv_yuan", ESV, "ESV, baseline"),
                       _opt("esv_change_yuan", ESV, "scenario minus baseline"))),
        TableInput(id="zone_type_overrides", about="Zone type given per unit, replacing the one "
                   "classified from the run (evidence says so)", required=False, columns=(
                       _UNIT, _col("zone_type", None, "a zone type of the zone weights table"))),
        TableInput(id="indicator_weights_given", about="Weights per indicator for weighting "
                   "'given' (sum to 1)", required=False, columns=(
                       _col("indicator", None, "indicator id"), _col("weight", "", "weight"))),
        TableInput(id="indicator_system", about="Replaces the default indicator system "
                   "(src/ecociv/data/institutions/assessment_indicators.csv)", required=False,
                   columns=(
                       _col("indicator", None, "indicator id"),
                       _col("category", None, "GDI category id (assessment_categories.csv)"),
                       _col("direction", None, "+ (larger is better) or - (smaller is better)"),
                       _opt("unit_of_measure", None, "unit of the values"))),
        TableInput(id="zone_weights", about="Replaces the default emphasis per zone type and "
                   "indicator (src/ecociv/data/institutions/assessment_zone_weights.csv); "
                   "indicators not listed keep factor 1", required=False, columns=(
                       _col("zone_type", None, "zone type"),
                       _opt("indicator", None, "indicator id (empty: a zone type without emphasis)"),
                       Column(id="emphasis", about="factor on the base weight", units="", ge=0))),
        ParamInput(id="normalisation", about="minmax (x−min)/(max−min), reversed for '-' "
                   "indicators; or zscore (x−mean)/sd, negated for '-'", units=None, dtype="str",
                   choices=NORMALISATIONS, default="minmax"),
        ParamInput(id="weighting", about="gdi: category weight split equally among the "
                   "category's indicators; entropy: Shannon entropy weights; combined: their "
                   "product renormalised; given: indicator_weights_given", units=None, dtype="str",
                   choices=WEIGHTINGS, default="gdi"),
        ParamInput(id="aggregation", about="weighted_sum (Σ weight × normalised) or topsis "
                   "(closeness to the ideal, Hwang & Yoon 1981)", units=None, dtype="str",
                   choices=AGGREGATIONS, default="weighted_sum"),
        ParamInput(id="missing", about="a unit without a value for an indicator: error; "
                   "drop_indicator (for every unit); drop_unit; worst (the worst observed value "
                   "of the indicator)", units=None, dtype="str", choices=MISSING, default="error"),
        ParamInput(id="assessed_units", about="Comma-separated unit ids to assess (default: every "
                   "unit of the inputs)", units=None, dtype="str", required=False),
        ParamInput(id="cropland_growth_threshold", about="Cropland growth over the run at or above "
                   "which a unit is a fast-cropland-growth area, percent (illustrative default)",
                   units="percent", ge=0, default=5.0),
        ParamInput(id="overdraft_threshold", about="Overdraft / allowable abstraction above which "
                   "a unit is a severe-overdraft area (0.3 = abstraction coefficient 1.3, GB/T "
                   "34968-2017, recalled)", units="", ge=0, default=0.3),
        ParamInput(id="degradation_threshold", about="Decline of ecological land (forest + "
                   "grassland + water) at or above which a unit is a severe-degradation area, "
                   "percent (illustrative default)", units="percent", ge=0, default=5.0),
        ParamInput(id="esv_decline_threshold", about="ESV decline at or above which a unit is a "
                   "severe-degradation area, percent (illustrative default)", units="percent",
                   ge=0, default=5.0),
        ParamInput(id="zone_precedence", about="Comma-separated order of zone types for a unit "
                   "meeting several rules", units=None, dtype="str",
                   default="ecological_degradation,groundwater_overdraft,cropland_growth"),
    ),
    outputs=(
        TableOutput(id="scores", about="Score and rank per unit (rank 1 = best)", columns=(
            _UNIT, _col("zone_type", None, "zone type"),
            _col("score", "", "weighted sum of normalised values, or TOPSIS closeness"),
            _col("rank", "", "rank over all units (1 = best)", "int"),
            _col("rank_in_zone_type", "", "rank among units of the same zone type", "int"),
            _col("method", None, "normalisation / weighting / aggregation"),
            _col("weighted_sum", "", "Σ weight × normalised (= Σ contributions)"),
            _col("indicators_used", "", "indicators scored", "int"),
        )),
        TableOutput(id="contributions", about="Per unit and indicator: weight, normalised value "
                    "and contribution (weight × normalised; sums to weighted_sum)", columns=(
            _UNIT, _col("indicator", None, "indicator id"), _col("category", None, "GDI category"),
            _col("value", "", "value in the indicator's unit_of_measure"),
            _col("weight", "", "the unit's weight (zone emphasis applied; sums to 1 per unit)"),
            _col("normalised", "", "normalised value"),
            _col("contribution", "", "weight × normalised"),
            _col("origin", None, "table (with its source) or model output and column"),
        )),
        TableOutput(id="zone_types", about="Zone type per unit with the numbers the rules looked at",
                    columns=(
            _UNIT, _col("zone_type", None, "zone type"),
            _col("evidence", None, "each rule's numbers and threshold"),
            _col("cropland_growth_pct", "percent", "cropland growth over the run (empty: no data)"),
            _col("overdraft_ratio", "", "overdraft / allowable abstraction (empty: no data)"),
            _col("ecological_land_change_pct", "percent", "change of forest + grassland + water"),
            _col("esv_change_pct", "percent", "ESV change"),
            _col("rules_met", None, "every zone rule the unit met"),
        )),
        TableOutput(id="indicator_weights", about="Weights per zone type and indicator, with the "
                    "GDI and entropy weights they come from", columns=(
            _col("zone_type", None, "zone type"), _col("indicator", None, "indicator id"),
            _col("category", None, "GDI category"), _col("direction", None, "+ or -"),
            _col("gdi_weight", "", "category weight / indicators of the category (renormalised)"),
            _col("entropy", "", "Shannon entropy of the indicator over the units"),
            _col("entropy_weight", "", "(1 − e) / Σ(1 − e)"),
            _col("base_weight", "", "weight of the chosen weighting before zone emphasis"),
            _col("emphasis", "", "zone-type factor"),
            _col("weight", "", "base × emphasis, renormalised"),
        )),
    ),
)
