"""The spec of ``water_allocation``: its inputs, parameters and outputs with units and ranges.

Kept apart from the model's code and free of numerical libraries, so that listing and
describing models (``ecociv models``, ``ecociv model describe``) start quickly."""

from __future__ import annotations

from ecociv.spec import Column, FileInput, ModelSpec, ParamInput, TableInput, TableOutput

LEVERS = ("water_use_cap", "cropland_reduction", "crop_mix", "irrigation_efficiency", "transfers",
          "groundwater_pumping_limit", "lake_minimum_inflow", "priorities", "inflow_scale")

def _columns(*items: tuple[str, str | None, str] | tuple[str, str | None, str, str]) -> tuple[Column, ...]:
    out = []
    for item in items:
        dtype = item[3] if len(item) == 4 else ("str" if item[1] is None else "float")
        out.append(Column(id=item[0], units=item[1], about=item[2], dtype=dtype))
    return tuple(out)


SPEC = ModelSpec(
    id="water_allocation",
    title="Water resources allocation network",
    title_zh="水资源配置",
    version="1.0.0",
    citation=(
        "Allocation rule of WEAP: Yates D., Sieber J., Purkey D., Huber-Lee A. (2005), WEAP21 — a "
        "demand-, priority-, and preference-driven water planning model, Water International 30(4): "
        "487–500 (priorities 1–99, equal coverage within a priority, supply preferences), solved "
        "with HiGHS (Huangfu Q., Hall J.A.J. 2018, Mathematical Programming Computation 10: 119–142). "
        "Irrigation demand: Allen R.G. et al. (1998), FAO Irrigation and Drainage Paper 56, Tables "
        "11–12 and eq. 66. Virtual water: Hoekstra A.Y. et al. (2011), The Water Footprint "
        "Assessment Manual. Lake balance: Mason I.M. et al. (1994), Climatic Change 27: 161–197. "
        "Priority living > ecology > production: Yang Rongjin et al. (2017), Strategic Study of "
        "CAE 19(4), strategy 2."
    ),
    about=(
        "Monthly allocation over a network of inflows, reaches with losses, reservoirs, aquifers, "
        "transfers, demand sites (domestic, industry, irrigated crops, ecology, livestock) and "
        "terminal lakes. Each month is a linear program: priority 1 first, equal coverage among "
        "the targets of a priority, then supply preferences; a lower priority never takes water "
        "from a higher one. Levers (water-use caps, cropland reduction, crop mix, irrigation "
        "efficiency, transfers, pumping limits, lake minimum inflows, priorities, inflow scaling) "
        "edit the network before the run. Mass balance is checked for every node and month."
    ),
    inputs=(
        FileInput(id="network", about="Network YAML (docs/water_network.md) or the folder holding "
                  "network.yaml and the CSV files it names", formats=("yaml", "yml"),
                  folder_file="network.yaml"),
        ParamInput(id="levers", about="Strategy-2 levers applied to the network (see "
                   "ecociv.models.water_allocation.levers): water_use_cap, cropland_reduction, "
                   "crop_mix, irrigation_efficiency, transfers, groundwater_pumping_limit, "
                   "lake_minimum_inflow, priorities, inflow_scale; a scenario's `levers.water` "
                   "section is given here", units=None, dtype="mapping", lever_group="water",
                   keys=LEVERS,
                   required=False),
        ParamInput(id="start", about="First month (YYYY-MM) instead of the network's", units=None,
                   dtype="str", required=False),
        ParamInput(id="months", about="Number of monthly steps instead of the network's", units="",
                   dtype="int", ge=1, le=12000, required=False),
        TableInput(id="water_yield_zones", about="Annual water-yield volume per zone, e.g. the water_yield "
                   "model's `@water_yield.watershed_results`, for inflows written `{water_yield: [zone ids], "
                   "fraction: f, monthly_shares: [...]}`", index="ws_id", required=False, columns=(
                       Column(id="ws_id", about="zone id", units=None, dtype="str"),
                       Column(id="wyield_vol", about="annual water-yield volume of the zone", units="m**3/yr",
                              ge=0),
                   )),
        TableInput(id="cropland_change", about="Simulated cropland per unit and year, e.g. land_use_change's "
                   "`@land_use_change.cropland_area`: each irrigation site's crop areas (crop mix kept) are "
                   "scaled by the change of its `unit` before the levers (docs/water_network.md)",
                   required=False, columns=(
                       Column(id="year", about="year", units="", dtype="int"),
                       Column(id="zone", about="unit code as the network's `unit` (or 'all': every site)",
                              units=None, dtype="str"),
                       Column(id="cropland_km2", about="cropland area that year", units="km**2", ge=0),
                       Column(id="change_ha", about="change from the start year (negative = less cropland)",
                              units="ha"),
                   )),
        ParamInput(id="cropland_year", about="Year of cropland_change used (default: its latest)", units=None,
                   dtype="int", required=False),
        ParamInput(id="cropland_change_rule", about="'relative': each site scaled by its unit's cropland "
                   "ratio (year / start); 'absolute': the unit's change in ha split among its sites in "
                   "proportion to their irrigated areas", units=None, dtype="str", choices=("relative", "absolute"),
                   default="relative", required=False),
        TableInput(id="crop_trade", about="Crops leaving and entering the region, for the net "
                   "virtual-water export (tonnes per year, or a share of the network's production)",
                   index="crop", required=False, columns=(
                       Column(id="crop", about="crop id of the crop table", units=None, dtype="str"),
                       Column(id="export_t", about="tonnes leaving per year", units="t/yr", ge=0,
                              required=False),
                       Column(id="import_t", about="tonnes entering per year", units="t/yr", ge=0,
                              required=False),
                       Column(id="export_share", about="share of the network's production that "
                              "leaves the region (used when export_t is empty)", units="", ge=0,
                              le=1, required=False),
                   )),
    ),
    outputs=(
        TableOutput(id="deliveries", about="Demand, delivery and shortage of every demand site and month",
                    columns=_columns(
                        ("month", None, "YYYY-MM"), ("site", None, "demand site"), ("sector", None, "sector"),
                        ("priority", "", "priority 1–99", "int"), ("basin", None, "basin"),
                        ("unit", None, "administrative unit"), ("demand_m3", "m**3", "demand in the month"),
                        ("delivered_m3", "m**3", "water delivered"), ("shortage_m3", "m**3", "demand − delivered"),
                        ("coverage", "", "delivered / demand"))),
        TableOutput(id="flows", about="Water entering, leaving and lost on every link in every month",
                    columns=_columns(
                        ("month", None, "YYYY-MM"), ("link", None, "link"), ("from", None, "start node"),
                        ("to", None, "end node"), ("kind", None, "link kind"),
                        ("flow_m3", "m**3", "water entering the link"),
                        ("arrival_m3", "m**3", "water leaving the link (after loss)"),
                        ("loss_m3", "m**3", "water lost on the link (to an aquifer when loss_to is set)"))),
        TableOutput(id="storage", about="End-of-month storage of reservoirs and aquifers",
                    columns=_columns(("month", None, "YYYY-MM"), ("node", None, "node"), ("type", None, "type"),
                                     ("storage_m3", "m**3", "storage at the end of the month"),
                                     ("evaporation_m3", "m**3", "reservoir evaporation in the month"))),
        TableOutput(id="lakes", about="Terminal-lake water balance, volume, area and level; months below the "
                    "target area flagged",
                    columns=_columns(("month", None, "YYYY-MM"), ("lake", None, "lake"),
                                     ("inflow_m3", "m**3", "inflow"), ("precipitation_m3", "m**3", "precipitation"),
                                     ("evaporation_m3", "m**3", "open-water evaporation"),
                                     ("spill_m3", "m**3", "water above the curve's sill"),
                                     ("volume_m3", "m**3", "end volume"), ("area_km2", "km**2", "end area"),
                                     ("level_m", "m", "end water level"),
                                     ("target_area_km2", "km**2", "target area (empty: none)"),
                                     ("below_target", None, "area below the target", "bool"))),
        TableOutput(id="groundwater", about="Aquifer recharge, pumping and overdraft (pumping above the "
                    "allowable abstraction, 可开采量) per year",
                    columns=_columns(("year", "", "calendar year", "int"), ("months", "", "months in the run", "int"),
                                     ("aquifer", None, "aquifer"), ("basin", None, "basin"), ("unit", None, "unit"),
                                     ("recharge_m3", "m**3", "natural recharge + seepage + links in"),
                                     ("pumping_m3", "m**3", "water pumped"),
                                     ("allowable_abstraction_m3", "m**3",
                                      "allowable abstraction (可开采量) for those months"),
                                     ("sustainable_yield_m3", "m**3",
                                      "the same limit under its older name (kept for existing readers)"),
                                     ("overdraft_m3", "m**3", "pumping above the allowable abstraction"),
                                     ("storage_end_m3", "m**3", "storage at the end of the year"))),
        TableOutput(id="groundwater_units", about="Pumping per administrative unit (of the demand site a well "
                    "supplies), aquifer and year; the aquifer's overdraft shared by pumping",
                    columns=_columns(("year", "", "calendar year", "int"), ("unit", None, "unit (or site id)"),
                                     ("aquifer", None, "aquifer"), ("pumping_m3", "m**3", "water pumped for the unit"),
                                     ("overdraft_m3", "m**3", "the unit's share of the aquifer's overdraft"))),
        TableOutput(id="requirements", about="Minimum-flow requirements and the flows achieved",
                    columns=_columns(("month", None, "YYYY-MM"), ("requirement", None, "requirement"),
                                     ("link", None, "link"), ("priority", "", "priority", "int"),
                                     ("required_m3", "m**3", "required flow"), ("flow_m3", "m**3", "flow"),
                                     ("met", None, "flow ≥ requirement", "bool"))),
        TableOutput(id="mass_balance", about="Water balance residual of every node and month (in − out − "
                    "storage change)",
                    columns=_columns(("month", None, "YYYY-MM"), ("node", None, "node"), ("type", None, "type"),
                                     ("in_m3", "m**3", "water in"), ("out_m3", "m**3", "water out"),
                                     ("storage_change_m3", "m**3", "storage change"),
                                     ("residual_m3", "m**3", "in − out − storage change"),
                                     ("relative_residual", "", "residual / max(in, out, end storage, 1 m³)"))),
        TableOutput(id="basin_summary", about="Per basin and sector, mean annual demand, supply and shortage; "
                    "per basin groundwater overdraft, ecological water delivered and terminal-lake inflow",
                    columns=_columns(("basin", None, "basin"), ("sector", None, "sector or 'all'"),
                                     ("demand_1e8m3_per_yr", "hundred_million m**3/yr", "demand"),
                                     ("supply_1e8m3_per_yr", "hundred_million m**3/yr", "delivered"),
                                     ("shortage_1e8m3_per_yr", "hundred_million m**3/yr", "shortage"),
                                     ("coverage", "", "supply / demand"),
                                     ("groundwater_overdraft_1e8m3_per_yr", "hundred_million m**3/yr",
                                      "overdraft (row 'all')"),
                                     ("ecological_water_1e8m3_per_yr", "hundred_million m**3/yr",
                                      "ecology-sector deliveries + minimum flows met + lake inflow up to "
                                      "each lake's minimum (row 'all')"),
                                     ("terminal_lake_inflow_1e8m3_per_yr", "hundred_million m**3/yr",
                                      "inflow to the basin's terminal lakes (row 'all')"))),
        TableOutput(id="lever_effects", about="Annual demand of every site without and with the levers "
                    "and the simulated cropland change (e.g. water saved by cropland reduction or better "
                    "irrigation efficiency)",
                    columns=_columns(("site", None, "demand site"), ("sector", None, "sector"),
                                     ("demand_without_levers_m3_per_yr", "m**3/yr", "mean annual demand, network "
                                      "as given"),
                                     ("demand_with_levers_m3_per_yr", "m**3/yr", "mean annual demand, levers "
                                      "applied"),
                                     ("change_m3_per_yr", "m**3/yr", "with − without"))),
        TableOutput(id="cropland_coupling", about="How the simulated cropland change reached each irrigation "
                    "site (given cropland_change): one row per unit and site; units without a site and sites "
                    "without a unit row listed", optional=True,
                    columns=_columns(("unit", None, "unit code"), ("site", None, "irrigation site (empty: none)"),
                                     ("year", "", "year of cropland_change used", "int"),
                                     ("rule", None, "relative or absolute"),
                                     ("cropland_start_ha", "ha", "the unit's simulated cropland, start year"),
                                     ("cropland_year_ha", "ha", "the unit's simulated cropland that year"),
                                     ("change_ha", "ha", "year − start"),
                                     ("irrigated_before_ha", "ha", "the site's irrigated area, network as given"),
                                     ("irrigated_after_ha", "ha", "after the cropland change (before levers)"),
                                     ("area_factor", "", "irrigated area after / before"),
                                     ("status", None, "applied, clamped, unchanged…"),
                                     ("demand_before_m3_per_yr", "m**3/yr", "mean annual demand, network as given"),
                                     ("demand_after_m3_per_yr", "m**3/yr",
                                      "area_factor × demand before (levers aside)"))),
        TableOutput(id="virtual_water", about="Crop water use and virtual-water content per crop and irrigation "
                    "site (FAO-56 ETc; green = ETc − net irrigation requirement, blue = NIR)",
                    columns=_columns(("site", None, "irrigation site"), ("crop", None, "crop"),
                                     ("area_ha", "ha", "irrigated area"), ("yield_t_per_ha", "t/ha", "yield"),
                                     ("production_t", "t/yr", "area × yield"),
                                     ("etc_mm", "mm", "crop evapotranspiration over the season"),
                                     ("green_mm", "mm", "met by effective rain"),
                                     ("blue_mm", "mm", "net irrigation requirement"),
                                     ("vwc_m3_per_t", "m**3/t", "virtual-water content 10·ETc/Y"),
                                     ("crop_water_use_m3", "m**3/yr", "10 × ETc × area"))),
        TableOutput(id="virtual_water_trade", about="Net virtual-water export per crop and in total "
                    "(given crop_trade)", optional=True,
                    columns=_columns(("crop", None, "crop or 'total'"), ("export_t", "t/yr", "tonnes leaving"),
                                     ("import_t", "t/yr", "tonnes entering"),
                                     ("vwc_m3_per_t", "m**3/t", "production-weighted virtual-water content"),
                                     ("export_m3", "m**3/yr", "virtual water leaving"),
                                     ("import_m3", "m**3/yr", "virtual water entering"),
                                     ("net_export_m3", "m**3/yr", "virtual water exported − imported"),
                                     ("net_export_hundred_million_m3", "hundred_million m**3/yr",
                                      "net export in 10⁸ m³/yr"))),
    ),
)
