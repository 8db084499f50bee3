"""The spec of ``land_use_change``: inputs, parameters and outputs with units and ranges.

Kept apart from the model's code and free of numerical libraries, so that listing and
describing models start quickly."""

from __future__ import annotations

from typing import Literal

from ecociv.spec import (
    Column,
    ModelSpec,
    ParamInput,
    RasterInput,
    RasterOutput,
    TableInput,
    TableOutput,
    VectorInput,
)
from ecociv.spec_blocks import land_use_input, lucode_column, zone_column, zone_inputs

#: years whose simulated map is written when ``output_years`` is not given (those the run
#: reaches; the end year is always written as ``land_use_final``)
OUTPUT_YEARS = (2025, 2030, 2035, 2040, 2050)
#: years that may be output years: each has its output ``land_use_<year>``
MAP_YEARS = range(2000, 2101)

#: lever keys of ``levers`` (demand.py, ``apply_levers``)
LEVER_KEYS = ("urban_growth_rate", "construction_land_cap", "cropland_reduction",
              "natural_oasis_restoration", "oasis_area_cap")


def _map_output(year: int) -> RasterOutput:
    return RasterOutput(id=f"land_use_{year}", about=f"Simulated land use in {year} (the input's "
                        "codes; written when it is one of output_years)", units=None,
                        long_name=f"simulated land use {year}", dtype="int16",
                        kind="categorical", optional=True)


def _distance_input(id: str, geometry: Literal["line", "point"], what: str) -> VectorInput:
    return VectorInput(id=id, about=f"{what}: the Euclidean distance (km) to the nearest one is a "
                       "suitability driver", geometry=geometry, required=False)


SPEC = ModelSpec(
    id="land_use_change",
    title="Land-use change simulation (Markov demand, suitability, PLUS/FLUS-style cellular automaton)",
    title_zh="土地利用变化模拟",
    version="1.0.0",
    citation=(
        "Liang, X., Guan, Q., Clarke, K. C., Liu, S., Wang, B., Yao, Y. (2021). Understanding the "
        "drivers of sustainable land expansion using a patch-generating land use simulation "
        "(PLUS) model: a case study in Wuhan, China. Computers, Environment and Urban Systems 85, "
        "101569. Liu, X., Liang, X., Li, X., Xu, X., Ou, J., Chen, Y., Li, S., Wang, S., Pei, F. "
        "(2017). A future land use simulation model (FLUS) for simulating multiple land use "
        "scenarios by coupling human and natural effects. Landscape and Urban Planning 168, 94-116."
    ),
    about=(
        "Simulates land use year by year from a start map: demand per class (Markov chain from an "
        "earlier map, a transition-probability table, or target areas, then scenario levers), "
        "suitability of each class from drivers (logistic regression or random forest; trained on "
        "the cells that changed between two maps, as PLUS's LEAS, or on the current pattern), and "
        "a cellular automaton (neighbourhood effect, adaptive inertia, conversion matrix and costs, "
        "random patch seeds with a decreasing threshold, restricted areas) that meets the demand "
        "per zone. Maps for output years, areas per class, zone and year, transitions, driver "
        "contributions and the gap left (if any) are written."
    ),
    inputs=(
        land_use_input(codes_in="classes.lucode", about="Land use at the start year (class codes)"),
        land_use_input(codes_in="classes.lucode", id="land_use_previous", required=False,
                       about="Land use at an earlier year (previous_year): Markov demand and "
                       "suitability trained on the cells that changed"),
        TableInput(id="classes", about="Land-use classes: every code of the maps, with optional "
                   "name and CA settings", index="lucode", columns=(
            lucode_column(),
            Column(id="name", about="class name (else name_en, else the code)", units=None,
                   dtype="str", required=False),
            Column(id="neighbourhood_weight", about="weight of the class's neighbourhood effect "
                   "(0-1; PLUS's sample uses 0.00001 for water); default 1", units="", ge=0, le=1,
                   required=False),
            Column(id="seed_coefficient", about="patch-seed coefficient mu of the class (0-1); "
                   "default the parameter seed_coefficient", units="", ge=0, le=1,
                   required=False),
        )),
        TableInput(id="conversion", about="Conversion matrix in long form (rows = from, "
                   "columns = to): pairs not listed are allowed at no cost", columns=(
            Column(id="from_lucode", about="class at the start", units=None, dtype="int"),
            Column(id="to_lucode", about="class at the end", units=None, dtype="int"),
            Column(id="allowed", about="1 if the conversion may happen, 0 if never", units=None,
                   dtype="bool"),
            Column(id="conversion_cost", about="conversion cost (0-1): the probability is multiplied by "
                   "1 - cost", units="", ge=0, le=1, required=False),
        ), required=False),
        TableInput(id="demand_targets", about="Target area per class and year (optionally per "
                   "zone), interpolated linearly between given years; classes without targets "
                   "are held, unused land takes the balance", columns=(
            Column(id="year", about="year", units="", dtype="int"),
            Column(id="lucode", about="land-use code", units=None, dtype="int"),
            Column(id="area_km2", about="target area", units="km**2", ge=0),
            Column(id="zone", about="zone name (zone_field value) or \"all\"", units=None,
                   dtype="str", required=False),
        ), required=False),
        TableInput(id="transition_probabilities", about="Transition probabilities over "
                   "transition_years (rows = from, columns = to; each from-class sums to 1): the "
                   "Markov chain of the demand when no earlier map is given", columns=(
            Column(id="from_lucode", about="class at the start", units=None, dtype="int"),
            Column(id="to_lucode", about="class at the end", units=None, dtype="int"),
            Column(id="probability", about="probability of from -> to", units="", ge=0, le=1),
        ), required=False),
        RasterInput(id="dem", about="Elevation (suitability driver)", units="m", required=False),
        RasterInput(id="slope", about="Slope (suitability driver)", units="degree", ge=0, le=90,
                    required=False),
        RasterInput(id="precipitation", about="Mean annual precipitation (suitability driver)",
                    units="mm/yr", ge=0, le=20000, required=False),
        RasterInput(id="et0", about="Mean annual reference evapotranspiration (suitability "
                    "driver)", units="mm/yr", ge=0, le=5000, required=False),
        RasterInput(id="groundwater_overdraft", about="Groundwater overdraft (suitability driver; "
                    "cells > 0 are the 'overdraft' area of cropland_reduction)", units="",
                    required=False),
        _distance_input("rivers", "line", "Rivers"),
        _distance_input("roads", "line", "Roads"),
        _distance_input("cities", "point", "Cities"),
        _distance_input("county_seats", "point", "County seats"),
        *zone_inputs("Polygons over which the demand is met (e.g. counties); without them, the "
                     "whole region"),
        *zone_inputs("Polygons cropland_area is reported over (e.g. counties, for water_allocation's "
                     "cropland_change) without meeting the demand per polygon; default: zones",
                     id="report_zones", field_id="report_zone_field",
                     field_about="Attribute naming each report zone (e.g. adcode)"),
        RasterInput(id="redline", about="Ecological protection red line (1 = inside: no change)",
                    units=None, kind="categorical", required=False),
        RasterInput(id="basic_farmland", about="Permanent basic farmland (1 = inside: cropland "
                    "there stays cropland)", units=None, kind="categorical", required=False),
        RasterInput(id="restricted", about="A user mask (1 = restricted): no change, or no "
                    "conversion into restricted_to", units=None, kind="categorical",
                    required=False),
        ParamInput(id="restricted_to", about="Comma-separated codes the user mask forbids "
                   "creating (empty = the masked cells do not change at all)", units=None,
                   dtype="str", default="", required=False),
        ParamInput(id="fixed_codes", about="Comma-separated classes whose cells never change "
                   "(e.g. water and snow/ice: 4,7)", units=None, dtype="str", default="",
                   required=False),
        ParamInput(id="levers", about="Strategy-1 levers changing the demand (" +
                   ", ".join(LEVER_KEYS) + "; docs/land_use_change_demand.md); a scenario's "
                   "`levers.land_use` section is given here", units=None, dtype="mapping",
                   lever_group="land_use", keys=LEVER_KEYS, default={}, required=False),
        ParamInput(id="balance_order", about="Comma-separated classes that give the area "
                   "levers add (urban growth, restoration without 'from'), first to last: each "
                   "gives what it has in the zone and year before the next is used; removed "
                   "area goes to the first. Default: unused_code, then grassland (3) when in "
                   "the class table; e.g. '6,3,1' lets city districts without unused land grow "
                   "onto grassland, then cropland", units=None, dtype="str", default="",
                   required=False),
        ParamInput(id="cropland_code", about="Code of cropland (levers, basic farmland, "
                   "cropland_area)", units=None, dtype="int", default=1, required=False),
        ParamInput(id="built_up_code", about="Code of built-up land (levers)", units=None,
                   dtype="int", default=5, required=False),
        ParamInput(id="unused_code", about="Code of unused land / desert: takes the balance of "
                   "targets and levers, and bounds the ecotone", units=None, dtype="int",
                   default=6, required=False),
        ParamInput(id="start_year", about="Year of the land_use map", units=None, dtype="int",
                   ge=1900, le=2200),
        ParamInput(id="end_year", about="Last simulated year (annual steps)", units=None,
                   dtype="int", ge=1900, le=2200),
        ParamInput(id="output_years", about="Years whose simulated map is written as "
                   f"land_use_<year> (comma-separated, e.g. '2030, 2035'; {MAP_YEARS[0]}-"
                   f"{MAP_YEARS[-1]}, from start_year to end_year); default: those of "
                   f"{', '.join(map(str, OUTPUT_YEARS))} after start_year up to end_year. The end "
                   "year is always written as land_use_final", units=None, dtype="str",
                   required=False),
        ParamInput(id="previous_year", about="Year of land_use_previous (needed with it)",
                   units=None, dtype="int", ge=1900, le=2200, required=False),
        ParamInput(id="transition_years", about="Years spanned by transition_probabilities",
                   units="", gt=0, default=1.0, required=False),
        ParamInput(id="method", about="Suitability model: logistic regression per class, a "
                   "random forest per class, or one multi-class forest shared by all classes",
                   units=None, dtype="str",
                   choices=("logistic", "random_forest", "random_forest_shared"),
                   default="logistic", required=False),
        ParamInput(id="n_samples", about="Sample size per class for the suitability model",
                   units=None, dtype="int", ge=100, le=10_000_000, default=20000,
                   required=False),
        ParamInput(id="seed", about="Seed of sampling and of the automaton (same seed, same map)",
                   units=None, dtype="int", ge=0, default=0, required=False),
        ParamInput(id="neighbourhood_size", about="Moore window (odd number of cells per side)",
                   units=None, dtype="int", ge=3, le=15, default=3, required=False),
        ParamInput(id="seed_coefficient", about="Patch-seed coefficient mu of every class "
                   "without its own (PLUS's patch generation setting)", units="", ge=0, le=1,
                   default=0.5, required=False),
        ParamInput(id="threshold_decay", about="Decay delta of the patch threshold (0-1)",
                   units="", gt=0, lt=1, default=0.9, required=False),
        ParamInput(id="max_iterations", about="Iterations per year at most", units=None,
                   dtype="int", ge=1, le=10000, default=40, required=False),
        ParamInput(id="tolerance", about="Gap allowed per zone and class, as a share of its "
                   "demanded cells (0 = exact)", units="", ge=0, le=0.5, default=0.0,
                   required=False),
    ),
    outputs=(
        RasterOutput(id="land_use_final", about="Simulated land use at end_year (the input's "
                     "codes)", units=None, long_name="simulated land use (end year)",
                     dtype="int16", kind="categorical"),
        *(_map_output(year) for year in MAP_YEARS),
        RasterOutput(id="suitability", about="Suitability (probability of occurrence) of each "
                     "class, one band per class in class-table order", units="",
                     long_name="suitability per class", bands_from="classes.lucode"),
        TableOutput(id="area_by_class", about="Area per class, zone and year (start year = the "
                    "input map)", columns=(
            Column(id="year", about="year", units="", dtype="int"),
            zone_column(),
            lucode_column(),
            Column(id="name", about="class name", units=None, dtype="str"),
            Column(id="area_km2", about="simulated area", units="km**2"),
        )),
        TableOutput(id="transitions", about="Start map -> final map: area and annual probability "
                    "of each conversion (rows = from, columns = to)", columns=(
            Column(id="from_lucode", about="class at the start year", units=None, dtype="int"),
            Column(id="to_lucode", about="class at the end year", units=None, dtype="int"),
            Column(id="area_km2", about="area converted", units="km**2"),
            Column(id="probability_annual", about="annual transition probability (annualised "
                   "start -> end matrix)", units=""),
        )),
        TableOutput(id="driver_contributions", about="Contribution of each driver to each "
                    "class's suitability (sums to 1 per class)", columns=(
            lucode_column(),
            Column(id="driver", about="driver name", units=None, dtype="str"),
            Column(id="contribution", about="share of the class's suitability model", units=""),
            Column(id="method", about="logistic or random_forest", units=None, dtype="str"),
        )),
        TableOutput(id="demand", about="Demand per year, zone and class after levers, the "
                    "allocated area and the gap left (never hidden)", columns=(
            Column(id="year", about="year", units="", dtype="int"),
            zone_column(),
            lucode_column(),
            Column(id="area_km2", about="demanded area", units="km**2"),
            Column(id="allocated_km2", about="area allocated by the automaton", units="km**2"),
            Column(id="gap_km2", about="demanded minus allocated", units="km**2"),
            Column(id="iterations", about="iterations of the automaton that year", units=None,
                   dtype="int"),
        )),
        TableOutput(id="cropland_area", about="Cropland per zone and year and its change from "
                    "the start year (what water_allocation's cropland_change takes); with "
                    "report_zones, per report zone for the start year, the map years and end_year",
                    columns=(
            Column(id="year", about="year", units="", dtype="int"),
            zone_column(),
            Column(id="cropland_km2", about="cropland area", units="km**2"),
            Column(id="change_ha", about="change from the start year (negative = less cropland)",
                   units="ha"),
        )),
    ),
)
