"""The spec of ``park_risk``: its inputs, parameters and outputs with units.

Kept apart from the model's code and free of numerical libraries."""

from __future__ import annotations

from ecociv.spec import Column, ModelSpec, ParamInput, RasterInput, TableInput, TableOutput, VectorInput
from ecociv.spec_blocks import land_use_input

PROCESS_CATEGORIES = ("hazardous_process", "acid_or_coking", "high_temperature_pressure_or_tank_farm",
                      "pipeline_or_port", "oil_gas", "other_storage_or_use")


def _c(id_: str, units: str | None, about: str, dtype: str = "float", **kw: object) -> Column:
    return Column(id=id_, units=units, about=about, dtype=dtype, **kw)


def _s(id_: str, about: str, required: bool = True) -> Column:
    return Column(id=id_, units=None, about=about, dtype="str", required=required)


SPEC = ModelSpec(
    id="park_risk",
    title="Environmental risk screening of industrial parks (HJ 169-2018 structure)",
    title_zh="工业园区环境风险筛查（HJ 169-2018）",
    version="1.0.0",
    citation=(
        "Ministry of Ecology and Environment of China (2018). HJ 169-2018 建设项目环境风险评价技术导则 "
        "(Technical guidelines for environmental risk assessment on projects): Q = Σ q/Q (Appendix B, "
        "C.1.1), process score M (Table C.1), hazard class P (Table C.2), environmental sensitivity E "
        "(Appendix D, Tables D.1, D.2, D.5), risk potential (Table 2) and assessment level (Table 1)."
    ),
    about=(
        "Per park: the hazardous-substance quantity ratio Q = Σ q_i/Q_i (critical quantities of HJ 169 "
        "Table B.1 as given in the substances table), the process score M = Σ unit_count × score of the "
        "Table C.1 category → M1-M4, the hazard class P from Q × M; the sensitivity of air (persons "
        "within 5 km and 500 m from a population raster, else from settlement points), surface water "
        "(receiving river within river_distance, function class F from the park or a default, "
        "sensitive targets S1 when a drinking-water source or the red line is within "
        "sensitive_distance) and groundwater (G and D classes from the park or defaults); the risk "
        "potential I-IV+ per medium and the park's highest, with the assessment level. A screening "
        "with the standard's structure, not an assessment under it: coordinates, inventories and "
        "defaults must be checked before any use."
    ),
    inputs=(
        TableInput(id="parks", about="One row per park: point in WGS84 longitude/latitude",
                   index="park_id", columns=(
                       _s("park_id", "park id"),
                       _s("name", "park name"),
                       _c("lon", "degree", "longitude (WGS84)", ge=-180, le=180),
                       _c("lat", "degree", "latitude (WGS84)", ge=-90, le=90),
                       _s("source", "where the location comes from (document) or 'illustrative'"),
                       _s("coord_status", "exact, approximate, ...", required=False),
                       _s("surface_f", "surface-water function class F1-F3 (Table D.3) of the "
                          "receiving water, if known", required=False),
                       _s("surface_s", "sensitive-target class S1-S3 (Table D.4), if known",
                          required=False),
                       _s("groundwater_g", "groundwater function class G1-G3 (Table D.6), if known",
                          required=False),
                       _s("vadose_d", "vadose-zone class D1-D3 (Table D.7), if known", required=False),
                   )),
        TableInput(id="park_substances", about="Maximum quantity present and critical quantity of each "
                   "hazardous substance per park", columns=(
                       _s("park_id", "park id"),
                       _s("substance", "substance name (as in HJ 169 Table B.1)"),
                       _c("max_quantity_t", "t", "largest quantity present at one time", ge=0),
                       _c("critical_quantity_t", "t", "critical quantity (HJ 169 Table B.1/B.2)", gt=0),
                       _s("status", "reported, estimated or illustrative", required=False),
                       _s("source", "document of the quantity (and of the critical quantity), or "
                          "'illustrative'"),
                   )),
        TableInput(id="park_processes", about="Process units per park by Table C.1 category", columns=(
                       _s("park_id", "park id"),
                       _s("process", "process or facility"),
                       _s("category", f"Table C.1 category: one of {list(PROCESS_CATEGORIES)}"),
                       _c("unit_count", "", "number of units (套) or tank farms", dtype="int", ge=0),
                       _s("status", "reported, estimated or illustrative", required=False),
                       _s("source", "document, or 'illustrative'"),
                   )),
        RasterInput(id="population", about="Persons per cell (e.g. a gridded census); used for the air "
                    "sensitivity instead of settlement points", units="", ge=0, required=False,
                    resampling="nearest"),
        VectorInput(id="settlements", about="Settlement points with their population (e.g. towns and "
                    "cities), used when no population raster is given", geometry="point",
                    required=False, fields=(_c("population", "", "persons", ge=0),)),
        VectorInput(id="rivers", about="River lines (receiving waters)", geometry="line", required=False),
        VectorInput(id="drinking_water_sources", about="Drinking-water sources or their protection "
                    "zones as points (sensitive targets S1 within sensitive_distance)", geometry="point",
                    required=False),
        RasterInput(id="redline", about="Ecological protection red line, 1 = inside (e.g. "
                    "@ecological_redline.redline): a sensitive target (S1) within sensitive_distance",
                    units=None, kind="categorical", required=False),
        land_use_input(codes_in=None, required=False, about="Any land-use raster of the run; only its "
                       "grid is used (when neither population nor redline is given)"),
        ParamInput(id="river_distance", about="A river within this distance is the park's receiving "
                   "water (HJ 169 looks downstream over 24 h of flow; distance is the screening proxy); "
                   "default illustrative", units="m", gt=0, default=10000.0),
        ParamInput(id="sensitive_distance", about="Sensitive targets (drinking-water sources, red line) "
                   "within this distance make S1 (HJ 169 Table D.4: 10 km downstream)", units="m", gt=0,
                   default=10000.0),
        ParamInput(id="surface_f_default", about="Function class of a receiving river when the park "
                   "gives none (illustrative default: F2, Class III water)", units=None, dtype="str",
                   choices=("F1", "F2", "F3"), default="F2"),
        ParamInput(id="groundwater_g_default", about="Groundwater function class when the park gives "
                   "none (illustrative default: G3)", units=None, dtype="str",
                   choices=("G1", "G2", "G3"), default="G3"),
        ParamInput(id="vadose_d_default", about="Vadose-zone class when the park gives none "
                   "(illustrative default: D1, permeable piedmont gravels)", units=None, dtype="str",
                   choices=("D1", "D2", "D3"), default="D1"),
    ),
    outputs=(
        TableOutput(id="park_risk", about="One row per park: Q, M, P, E per medium, potential per medium, "
                    "the park's risk potential and assessment level", columns=(
                        _s("park_id", "park id"), _s("name", "park name"),
                        _c("x", "m", "easting in the grid CRS"), _c("y", "m", "northing in the grid CRS"),
                        _c("q_ratio", "", "Q = Σ q/Q_crit"), _s("q_class", "Q0 (<1), Q1, Q2, Q3 (>=100)"),
                        _c("m_score", "", "M = Σ unit_count × score"), _s("m_class", "M1-M4"),
                        _s("p_class", "P1-P4 (empty when Q < 1)"),
                        _c("population_5km", "", "persons within 5 km"),
                        _c("population_500m", "", "persons within 500 m"),
                        _s("population_source", "raster, settlements or none"),
                        _s("e_air", "E1-E3 (Table D.1)"),
                        _c("river_distance_m", "m", "distance to the nearest river (inf: none given)"),
                        _s("surface_f", "F1-F3 used"), _s("surface_s", "S1-S3 used"),
                        _s("e_surface", "E1-E3 (Table D.2)"),
                        _s("groundwater_g", "G1-G3 used"), _s("vadose_d", "D1-D3 used"),
                        _s("e_groundwater", "E1-E3 (Table D.5)"),
                        _c("redline_distance_m", "m", "distance to the nearest red-line cell (inf: none)"),
                        _s("potential_air", "I-IV+"), _s("potential_surface", "I-IV+"),
                        _s("potential_groundwater", "I-IV+"),
                        _s("risk_potential", "highest of the three"),
                        _s("assessment_level", "level 1, level 2, level 3 or simple analysis (Table 1)"),
                        _s("inventory_status", "reported, illustrative or mixed (of the substances and "
                           "processes)"),
                        _s("coord_status", "status of the coordinates"),
                        _s("defaults_used", "which classes came from defaults"),
                    )),
        TableOutput(id="park_substances_q", about="q/Q per substance and park", columns=(
                        _s("park_id", "park id"), _s("substance", "substance"),
                        _c("max_quantity_t", "t", "quantity present"),
                        _c("critical_quantity_t", "t", "critical quantity"),
                        _c("ratio", "", "q / Q_crit"), _s("status", "status of the quantity"),
                    )),
    ),
)
