"""The spec of ``rights_market``: its inputs, parameters and outputs with units and ranges.

Kept apart from the model's code and free of numerical libraries, so that listing and
describing models (``ecociv models``, ``ecociv model describe``) start quickly."""

from __future__ import annotations

from ecociv.spec import Column, ModelSpec, ParamInput, TableInput, TableOutput

RULES = ("given", "grandfathering", "benchmarking", "auction")


def _col(column_id: str, units: str | None, about: str, **bounds: float | bool | str) -> Column:
    dtype = bounds.pop("dtype", "str" if units is None else "float")
    return Column(id=column_id, units=units, about=about, dtype=dtype, **bounds)  # type: ignore[arg-type,unused-ignore]


SPEC = ModelSpec(
    id="rights_market",
    title="Emission-rights, carbon and water-rights market clearing",
    title_zh="排污权、碳排放权与水权交易市场出清",
    version="1.0.0",
    citation=(
        "Least-cost property of permit markets: Montgomery W.D. (1972), Markets in licenses and "
        "efficient pollution control programs, Journal of Economic Theory 5: 395–418; transaction "
        "costs: Stavins R.N. (1995), Transaction costs and tradeable permits, Journal of "
        "Environmental Economics and Management 29: 133–148. Benchmarking on the 10 % most "
        "efficient installations with a uniform correction to the cap: Commission Decision "
        "2011/278/EU (EU ETS free allocation). Water-rights pilots of the Belt: Yang Rongjin et al. "
        "(2017), Strategic Study of CAE 19(4), strategy 5."
    ),
    about=(
        "Clears a market of emission rights (SO2, NOx, COD, NH3-N), carbon allowances or water "
        "rights among participants with a baseline (emissions or desired water use), an "
        "allocation and a marginal abatement cost (for water: the marginal value of the water "
        "given up): quadratic, C(a) = α·a + ½·β·a², or stepwise (the mac_curve of "
        "pollution_control). Each market and trading zone clears at one price where net purchases "
        "sum to zero; a buyer pays the price plus a transaction cost per unit bought; nobody "
        "abates more than its baseline or holds a negative amount. Allocation by the given "
        "amounts, grandfathering (cap × baseline share), benchmarking (the output-weighted "
        "intensity of the 10 % most efficient participants of a sector × output, scaled to the "
        "cap) or auction (the cap sold at the clearing price). Reports price, trades, cost with "
        "and without trading (command and control: each participant abates down to its "
        "allocation) and the Gini coefficient of every allocation rule."
    ),
    inputs=(
        TableInput(id="participants", about="One row per participant and market (or give "
                   "`emissions` instead)", required=False, columns=(
            _col("participant", None, "participant id (enterprise, irrigation district, unit)"),
            _col("market", None, "market: a pollutant id (SO2, NOx, COD, NH3-N, CO2) or 'water'"),
            _col("unit", None, "administrative unit (6-digit adcode)", required=False),
            _col("sector", None, "sector id (benchmarking groups participants by it)", required=False),
            _col("zone_group", None, "trading zone: participants trade only inside their zone "
                 "group (empty: the unit's group in trading_zones, else 'all')", required=False),
            _col("baseline", "permit", "emissions (t/yr) or desired water use (m³/yr) without a cap, in "
                 "the market's quantity unit (see quantity_unit)", ge=0),
            _col("allocation", "permit", "rights held before trading (rule 'given'), same unit as "
                 "baseline", ge=0, required=False),
            _col("output", "", "activity for benchmarking (e.g. t of product, MWh, 10⁸ yuan)",
                 ge=0, required=False),
            _col("mac_intercept", "yuan/permit", "marginal cost of the first unit abated (α); "
                 "yuan per t or per m³", ge=0, required=False),
            _col("mac_slope", "yuan/permit**2", "slope of the marginal cost (β > 0 for a quadratic "
                 "cost; empty: stepwise from mac_curve)", gt=0, required=False),
            _col("max_abatement", "permit", "most the participant can abate (default: its baseline)",
                 ge=0, required=False),
        )),
        TableInput(id="emissions", about="Instead of participants: an emission inventory, e.g. "
                   "emission_inventory's `@emission_inventory.emissions`; every unit and sector "
                   "emitting in `emissions_year` is a participant of its pollutant's market with "
                   "its emission as baseline and its steps of mac_curve as costs (a unit and "
                   "sector without a step cannot abate: it can only buy)", required=False, columns=(
                       Column(id="year", about="calendar year", units="", dtype="int"),
                       _col("unit", None, "administrative unit"),
                       _col("sector", None, "sector id"),
                       _col("pollutant", None, "pollutant id = market"),
                       _col("emission_t", "t/yr", "emission (after the inventory's controls)", ge=0),
                   )),
        TableInput(id="water_deliveries", about="Instead of participants: water_allocation's "
                   "demand sites, `@water_allocation.deliveries`; every site (and sector) is a "
                   "participant of market 'water' in the zone group of its basin, baseline = its "
                   "mean annual demand (desired use), allocation = its mean annual delivery under "
                   "the caps (the rights of rule 'given'), cost = its sector's row of water_values",
                   required=False, columns=(
                       _col("month", None, "YYYY-MM"), _col("site", None, "demand site"),
                       _col("sector", None, "sector (a row of water_values)"),
                       _col("basin", None, "basin = zone group (empty: 'all')", required=False),
                       _col("unit", None, "administrative unit", required=False),
                       _col("demand_m3", "m**3", "demand in the month", ge=0),
                       _col("delivered_m3", "m**3", "water delivered in the month", ge=0),
                   )),
        TableInput(id="water_values", about="With water_deliveries: the marginal value of water "
                   "per sector and the price elasticity of its demand; a site giving up a of its "
                   "desired use b loses v·a + ½·v/(|ε|·b)·a² (linear inverse demand through "
                   "(b, v) with elasticity ε)", required=False, columns=(
                       _col("sector", None, "sector id of the deliveries"),
                       _col("marginal_value", "yuan/m**3", "value of the last m³ at the desired "
                            "use (v)", gt=0),
                       _col("price_elasticity", "", "price elasticity of the sector's water "
                            "demand at the desired use (ε < 0)", lt=0),
                       _col("max_give_up_share", "", "most a site of the sector may give up, as a "
                            "share of its desired use (default 1; 0: it never sells, e.g. domestic "
                            "water; what the caps already take from it counts as given up)",
                            ge=0, le=1, required=False),
                   )),
        TableInput(id="caps", about="Total rights per market and zone group (needed unless "
                   "allocation_rule is 'given')", required=False, columns=(
                       _col("market", None, "market"),
                       _col("zone_group", None, "zone group ('all' or empty: every participant of "
                            "the market)", required=False),
                       _col("rights_issued", "permit", "rights issued, in the market's quantity unit", ge=0),
                   )),
        TableInput(id="mac_curve", about="Stepwise marginal abatement cost curves, e.g. "
                   "pollution_control's `@pollution_control.mac_curve`: steps of a participant are "
                   "the rows whose unit (and sector, when the participant has one) and pollutant "
                   "match it", required=False, columns=(
                       Column(id="year", about="year of the curve", units="", dtype="int",
                              required=False),
                       _col("pollutant", None, "pollutant id = market"),
                       _col("unit", None, "unit"),
                       _col("sector", None, "sector", required=False),
                       _col("unit_cost", "yuan/t", "height of the step", ge=0),
                       _col("abatement_t", "t/yr", "width of the step", ge=0),
                   )),
        TableInput(id="trading_zones", about="Zone group of each unit (e.g. Urumqi–Changji, "
                   "Kuitun–Dushanzi–Wusu, Shihezi–Manas–Shawan for cross-boundary emission trading)",
                   required=False, columns=(
                       _col("unit", None, "unit"), _col("zone_group", None, "zone group"),
                   )),
        ParamInput(id="allocation_rule", about="How rights are allocated before trading",
                   units=None, dtype="str", choices=RULES, default="given"),
        ParamInput(id="transaction_cost", about="Cost per unit bought, paid by the buyer (yuan "
                   "per t or m³)", units="yuan/permit", ge=0, default=0.0),
        ParamInput(id="reserve_price", about="Lowest price of an auction (yuan per t or m³)",
                   units="yuan/permit", ge=0, default=0.0),
        ParamInput(id="benchmark_share", about="Share of a sector's most efficient participants "
                   "(by count, at least one) whose output-weighted intensity is the benchmark",
                   units="", gt=0, le=1, default=0.1),
        ParamInput(id="mac_year", about="Year of mac_curve to use (default: its latest)", units="",
                   dtype="int", ge=1900, le=2200, required=False),
        ParamInput(id="emissions_year", about="Year of `emissions` whose units and sectors trade "
                   "(default: its latest)", units="", dtype="int", ge=1900, le=2200,
                   required=False),
        ParamInput(id="quantity_unit", about="Quantity unit of the markets' amounts: 't' for "
                   "emission rights and carbon, 'm**3' for water rights (a mapping market → unit "
                   "is not supported: run water and emissions as two steps); default 't', 'm**3' "
                   "with water_deliveries", units=None, dtype="str", required=False),
    ),
    outputs=(
        TableOutput(id="clearing", about="One row per market and zone group", columns=(
            _col("market", None, "market"), _col("zone_group", None, "zone group"),
            _col("rule", None, "allocation rule"), _col("quantity_unit", None, "unit of amounts"),
            _col("price", "yuan/permit", "clearing price per t or m³ (sellers receive it)"),
            _col("rights_issued", "permit", "rights issued"), _col("baseline", "permit", "sum of baselines"),
            _col("required_abatement", "permit", "baseline − cap (≥ 0)"),
            _col("abatement", "permit", "abatement with trading"),
            _col("traded_volume", "permit", "units bought (= units sold)"),
            _col("cost_with_trading", "yuan/yr", "abatement + transaction costs"),
            _col("cost_without_trading", "yuan/yr", "abatement cost when each abates to its "
                 "allocation (command and control)"),
            _col("saving", "yuan/yr", "cost without − cost with trading (≥ 0)"),
            _col("transaction_costs", "yuan/yr", "transaction costs paid"),
            _col("auction_revenue", "yuan/yr", "price × cap under the auction rule, else 0"),
        )),
        TableOutput(id="trades", about="One row per participant", columns=(
            _col("market", None, "market"), _col("zone_group", None, "zone group"),
            _col("participant", None, "participant"), _col("unit", None, "unit"),
            _col("sector", None, "sector"),
            _col("baseline", "permit", "baseline"), _col("allocation", "permit", "rights before trading"),
            _col("abatement", "permit", "abatement with trading"),
            _col("net_purchase", "permit", "bought (> 0) or sold (< 0)"),
            _col("holding_after", "permit", "rights held after trading = allocation + net "
                 "purchase (≥ emissions; more when rights are left unused)"),
            _col("emissions", "permit", "baseline − abatement (emissions or water use)"),
            _col("marginal_abatement_cost", "yuan/permit", "marginal cost at the chosen abatement"),
            _col("abatement_cost", "yuan/yr", "abatement cost"),
            _col("payment", "yuan/yr", "price × net purchase + transaction cost (negative: "
                 "income)"),
            _col("total_cost", "yuan/yr", "abatement cost + payment"),
            _col("cost_without_trading", "yuan/yr", "abatement cost when abating to the "
                 "allocation"),
        )),
        TableOutput(id="allocation_equity", about="Each allocation rule that the inputs allow, per "
                    "market and zone group: Gini coefficients and the (rule-independent without "
                    "transaction costs) clearing price", columns=(
                        _col("market", None, "market"), _col("zone_group", None, "zone group"),
                        _col("rule", None, "allocation rule"),
                        _col("gini_per_baseline", "", "Gini of allocation / baseline among "
                             "participants, baseline-weighted (0: equal shares of baselines)"),
                        _col("gini_per_output", "", "Gini of allocation / output, output-weighted "
                             "(empty without output)"),
                        _col("price", "yuan/permit", "clearing price under the rule"),
                        _col("largest_net_purchase", "permit", "largest purchase of one participant"),
                    )),
    ),
)
