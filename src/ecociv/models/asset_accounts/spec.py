"""The spec of ``asset_accounts``: physical asset accounts between two land-use maps and from
a water-rights table (SEEA Central Framework style)."""

from __future__ import annotations

from ecociv.spec import Column, ModelSpec, ParamInput, TableInput, TableOutput
from ecociv.spec_blocks import land_use_input, zone_inputs

#: default assets of the Belt's land-use codes (src/ecociv/data/belt/land_use_classes.csv)
DEFAULT_ASSETS = ("cultivated_land:1,forest:2,grassland:3,wetland_lakes:4,built_up:5,"
                  "unused_land:6,snow_ice:7")

#: asset of codes no asset lists, and of nodata cells
OTHER_ASSET = "other_land"
NO_DATA = "no_data"
WATER_RIGHTS = "water_rights"
WATER_DELIVERED = "water_delivered"

_UNIT = Column(id="unit", about="zone name or number (\"all\" without zones)", units=None, dtype="str")

SPEC = ModelSpec(
    id="asset_accounts",
    title="Natural-resource asset accounts",
    title_zh="自然资源资产实物账户",
    version="1.0.0",
    citation=(
        "United Nations et al. (2014). System of Environmental-Economic Accounting 2012 - Central "
        "Framework, section 5.6 (land: physical asset account, Table 5.12) and 5.11 (water); "
        "the land-cover change matrix of SEEA-CF Table 5.13."
    ),
    about=(
        "Physical asset accounts per unit and asset between an opening and a closing land-use map: "
        "opening stock, additions, reductions and closing stock in km2 (SEEA-CF Table 5.12), with "
        "the transition breakdown (from which asset each addition came, to which each reduction "
        "went; SEEA-CF Table 5.13). Assets are groups of land-use codes (cultivated land, forest, "
        "grassland, wetland and lakes...); cells that are nodata in one map count as 'no_data' so "
        "that opening + additions - reductions = closing holds exactly. With a water-rights table "
        "(unit, year, volume), the water-rights account of each unit in m3/yr between the two "
        "years; the same from water_allocation's deliveries (water_delivered)."
    ),
    inputs=(
        land_use_input(codes_in=None, about="Land-use codes of the opening year"),
        land_use_input(codes_in=None, id="land_use_closing",
                       about="Land-use codes of the closing year (same grid)"),
        ParamInput(id="assets", about="Assets as 'name:code code,...' (codes in no asset count "
                   f"as '{OTHER_ASSET}'); default: the Belt's seven classes", units=None,
                   dtype="str", default=DEFAULT_ASSETS, required=False),
        ParamInput(id="opening_year", about="Year of the opening map (and of the opening water "
                   "rights)", units="", dtype="int", ge=1900, le=2200, required=False),
        ParamInput(id="closing_year", about="Year of the closing map (and of the closing water "
                   "rights)", units="", dtype="int", ge=1900, le=2200, required=False),
        TableInput(id="water_rights", about="Water-right entitlements per unit and year (e.g. "
                   "certificates or the deliveries of water_allocation summed per unit)", columns=(
                       _UNIT,
                       Column(id="year", about="year", units="", dtype="int"),
                       Column(id="annual_volume_m3", about="entitled (or delivered) volume",
                              units="m**3/yr", ge=0)), required=False),
        TableInput(id="deliveries", about="water_allocation `deliveries` (water delivered per site "
                   "and month): summed per unit and year into a water_delivered account",
                   required=False, columns=(
                       Column(id="month", about="YYYY-MM", units=None, dtype="str"),
                       Column(id="unit", about="administrative unit", units=None, dtype="str"),
                       Column(id="delivered_m3", about="water delivered", units="m**3", ge=0))),
        *zone_inputs("Polygons to report per unit (e.g. counties)"),
    ),
    outputs=(
        TableOutput(id="asset_accounts", about="Physical asset account per unit and asset",
                    columns=(
                        _UNIT,
                        Column(id="asset", about="asset name", units=None, dtype="str"),
                        Column(id="opening", about="opening stock (in 'units')", units=None),
                        Column(id="additions", about="additions over the period", units=None),
                        Column(id="reductions", about="reductions over the period", units=None),
                        Column(id="closing", about="closing stock = opening + additions - "
                               "reductions", units=None),
                        Column(id="units", about="units of the four stocks and flows (km2 or "
                               "m3/yr)", units=None, dtype="str"),
                        Column(id="opening_year", about="opening year", units="", dtype="int",
                               required=False),
                        Column(id="closing_year", about="closing year", units="", dtype="int",
                               required=False))),
        TableOutput(id="asset_transitions", about="Land transitions per unit and asset: additions "
                    "from and reductions to each other asset", columns=(
                        _UNIT,
                        Column(id="asset", about="asset name", units=None, dtype="str"),
                        Column(id="counterpart", about="the other asset", units=None, dtype="str"),
                        Column(id="additions_from_km2", about="area that came from counterpart",
                               units="km**2"),
                        Column(id="reductions_to_km2", about="area that went to counterpart",
                               units="km**2"))),
    ),
)
