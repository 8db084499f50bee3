"""County tables from ../shared/data/external (census 2020, CO2 1997-2017, reported figures)
and the per-class literature tables (biophysical, soil; carbon pools in carbon_soc.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import classes
from .common import Layer, Registry, write_csv

#: Old or pre-2021 adcodes in the sources -> the current adcode of the boundary data.
RENAMED = {
    654223: 654203,  # Shawan county -> Shawan city (2021)
    652101: 650402,  # Turpan city (Turpan prefecture) -> Gaochang district (2015)
    652122: 650421,  # Shanshan county, Turpan prefecture -> Turpan city (2015)
    652123: 650422,  # Toksun county
    652201: 650502,  # Hami city (Hami prefecture) -> Yizhou district (2016)
    652222: 650521,  # Barkol county
    652223: 650522,  # Yiwu county
    652923: 652902,  # Kuqa county -> Kuqa city (2019)
}
CENSUS = ("Dong Lei et al., China Census dataset v1 (GitHub leiii/census, commit 0ba0f1e), compiled "
          "from the 2020 Seventh National Population Census tabulations (NBS)")
CO2 = ("Chen J., Gao M., Cheng S., Hou W., Song M., Liu X., Liu Y., Shan Y. (2020), County-level CO2 "
       "emissions and sequestration in China during 1997-2017, Scientific Data 7:391")

#: unit text of reported_statistics.csv -> adcode (None: not an administrative unit)
REPORTED_UNITS = {
    "Urumqi (乌鲁木齐市)": 650100,
    "Changji Prefecture (昌吉回族自治州)": 652300,
    "Changji City (昌吉市)": 652301,
    "Ili Prefecture (伊犁哈萨克自治州)": 654000,
    "Karamay (克拉玛依市)": 650200,
    "Shihezi / 8th Division (石河子市/第八师)": 659001,
    "Gaochang District (高昌区)": 650402,
    "Yizhou District (伊州区)": 650502,
    "Xinjiang (新疆维吾尔自治区)": 650000,
    "Bortala Prefecture (博尔塔拉蒙古自治州)": 652700,
    "Manas River (玛纳斯河)": None,
}


def _level(code: int) -> str:
    if code % 10000 == 0:
        return "province"
    if code % 100 == 0:
        return "prefecture"
    return "county"


def build_tables(reg: Registry, external: Path, units: pd.DataFrame) -> None:
    belt = set(units["adcode"])
    prefectures = set(units["prefecture_adcode"])
    _census(reg, external, belt, prefectures)
    _co2(reg, external, belt)
    _reported(reg, external, belt | prefectures)
    _literature(reg)


def _external_item(reg: Registry, file: str, column: str, status: str, units: str, source: str,
                   citation: str, license: str, processing: str) -> None:
    reg.item(file=file, item=column, status=status, units=units,
             source=f"external file ../shared/data/external/{source}", file_in_source=source,
             license=license, citation=citation, processing=processing)


def _census(reg: Registry, external: Path, belt: set[int], prefectures: set[int]) -> None:
    name = "census_county_2020_v1.xlsx"
    raw = pd.read_excel(external / name, dtype={"区划代码": str})
    columns = {"区划代码": "adcode_census", "市": "prefecture_zh", "区县": "name_zh",
               "人口数_合计": "population_total", "城镇人口": "population_urban",
               "乡村人口": "population_rural"}
    missing = [c for c in columns if c not in raw.columns]
    if missing:
        raise SystemExit(f"{name}: expected columns {missing} not found")
    frame = raw[list(columns)].rename(columns=columns)
    frame = frame[frame["adcode_census"].fillna("").str.fullmatch(r"65\d{4}")].copy()
    frame["adcode_census"] = frame["adcode_census"].astype(int)
    frame["adcode"] = frame["adcode_census"].map(lambda c: RENAMED.get(c, c))
    frame["level"] = frame["adcode"].map(_level)
    frame["in_belt"] = frame["adcode"].isin(belt) | (frame["adcode"].isin(prefectures) &
                                                      (frame["level"] == "prefecture"))
    for column in ("population_total", "population_urban", "population_rural"):
        frame[column] = frame[column].astype("int64")
    bad = frame[frame["population_urban"] + frame["population_rural"] != frame["population_total"]]
    frame = frame[["adcode", "adcode_census", "name_zh", "prefecture_zh", "level", "in_belt",
                   "population_total", "population_urban", "population_rural"]]
    frame = frame.sort_values("adcode").reset_index(drop=True)
    write_csv(frame, reg.out / "census_2020.csv")
    reg.checks["census_2020"] = {
        "rows": len(frame), "urban_plus_rural_not_total": bad["adcode_census"].tolist(),
        "belt_units_without_census_row": sorted(belt - set(frame["adcode"])),
        "renamed_adcodes": {str(k): v for k, v in RENAMED.items() if k in set(frame["adcode_census"])}}
    texts = {"adcode": ("", "current adcode (boundary data); census 654223 Shawan county -> 654203"),
             "adcode_census": ("", "区划代码 as in the census file"), "name_zh": ("", "区县"),
             "prefecture_zh": ("", "市"), "level": ("", "province / prefecture / county, from adcode"),
             "in_belt": ("", "a Belt unit, or a prefecture with Belt units"),
             "population_total": ("persons", "人口数_合计: resident population, 2020-11-01"),
             "population_urban": ("persons", "城镇人口: urban population"),
             "population_rural": ("persons", "乡村人口: rural population")}
    for column in frame.columns:
        units, what = texts[column]
        _external_item(reg, "census_2020.csv", column, "real" if column not in ("level", "in_belt",
                       "adcode") else "derived", units, name, CENSUS,
                       "MIT (census_county_2020_v1.LICENSE)",
                       f"{what}; all Xinjiang rows (sheet 七普（年鉴）), incl. prefecture and XPCC rows")
    reg.layer(Layer(id="census_2020", path="census_2020.csv", kind="table", units="persons",
                    status="real", long_name="2020 census population (total, urban, rural), Xinjiang",
                    extra={"key": "adcode"}))


def _co2(reg: Registry, external: Path, belt: set[int]) -> None:
    name = "county_co2_1997_2017.xlsx"
    raw = pd.read_excel(external / name)
    code_column = raw.columns[0]
    years = [c for c in raw.columns if str(c).startswith("C") and str(c)[1:].isdigit()]
    if len(years) != 21:
        raise SystemExit(f"{name}: expected 21 year columns C1997..C2017, found {years}")
    frame = raw[raw[code_column].astype(str).str.fullmatch(r"65\d{4}")].copy()
    out = pd.DataFrame({
        "adcode_source": frame[code_column].astype(int),
        "name_zh": frame.iloc[:, 1], "name_en": frame.iloc[:, 2], "prefecture_zh": frame.iloc[:, 3]})
    out["adcode"] = out["adcode_source"].map(lambda c: RENAMED.get(c, c))
    out["in_belt"] = out["adcode"].isin(belt)
    for year in years:
        out[f"co2_{str(year)[1:]}"] = frame[year].astype(float).round(6)
    out = out[["adcode", "adcode_source", "name_zh", "name_en", "prefecture_zh", "in_belt",
               *[f"co2_{str(y)[1:]}" for y in years]]].sort_values("adcode").reset_index(drop=True)
    write_csv(out, reg.out / "co2_county.csv")
    reg.checks["co2_county"] = {
        "rows": len(out), "belt_units_without_row": sorted(belt - set(out["adcode"])),
        "renamed_adcodes": {str(k): v for k, v in RENAMED.items() if k in set(out["adcode_source"])},
        "note": "the source has the county list of its period: units founded in 2012 or later "
                "(Alashankou, Khorgos, the newer XPCC cities) have no row; their emissions are "
                "presumably in the counties they were carved from"}
    license = "repository MIT (county_co2_1997_2017.LICENSE); cite the paper"
    for column in out.columns:
        if column.startswith("co2_"):
            _external_item(reg, "co2_county.csv", column, "real", "Mt/yr", name, CO2, license,
                           f"CO2 emissions of the county in {column[4:]} (column C{column[4:]}, "
                           "sheet 'Unit (Million tons)'), rounded to 1e-6 Mt")
        else:
            text = {"adcode": "current adcode (old Turpan/Hami prefecture, Kuqa and Shawan codes "
                              "renamed, see dataset.yaml checks)",
                    "adcode_source": "DISTCODE as in the source", "name_zh": "County Name (zh)",
                    "name_en": "County Name (en)", "prefecture_zh": "City Name (zh)",
                    "in_belt": "adcode is a Belt unit"}[column]
            _external_item(reg, "co2_county.csv", column, "derived" if column in ("adcode", "in_belt")
                           else "real", "", name, CO2, license, text + "; all Xinjiang rows")
    reg.layer(Layer(id="co2_county", path="co2_county.csv", kind="table", units="Mt/yr", status="real",
                    long_name="county CO2 emissions 1997-2017 (Chen et al. 2020)",
                    extra={"key": "adcode", "columns": "co2_YYYY"}))


def _reported(reg: Registry, external: Path, known: set[int]) -> None:
    name = "reported_statistics.csv"
    frame = pd.read_csv(external / name, dtype=str)
    unknown = sorted(set(frame["unit"]) - set(REPORTED_UNITS))
    if unknown:
        raise SystemExit(f"{name}: units without an adcode mapping: {unknown}")
    frame.insert(1, "adcode", frame["unit"].map(lambda u: REPORTED_UNITS[u]).astype("Int64"))
    frame["flag"] = "reported"
    write_csv(frame, reg.out / "reported_statistics.csv")
    reg.checks["reported_statistics"] = {
        "rows": len(frame), "units_not_administrative": sorted(
            u for u, c in REPORTED_UNITS.items() if c is None)}
    texts = {"unit": "unit as written in the source file", "adcode": "adcode of the unit (empty for a "
             "river basin)", "year": "year of the figure (or 'long-term mean')",
             "indicator": "what the figure is", "value": "the figure as reported",
             "unit_of_measure": "unit of the figure (1e8 yuan, 1e4 persons, km2, 1e8 m3, t, ...)",
             "source_kind": "kind of page the figure was taken from",
             "source": "URL of the page", "flag": "'reported': secondary copies, not official tables"}
    for column in frame.columns:
        _external_item(reg, "reported_statistics.csv", column, "reported", "per row (unit_of_measure)"
                       if column == "value" else "", name, "per row (column source)",
                       "facts, cited per row", texts[column])
    reg.layer(Layer(id="reported_statistics", path="reported_statistics.csv", kind="table",
                    units="per row", status="reported",
                    long_name="reported GDP, population and water figures (with year, unit, source)"))


def _literature(reg: Registry) -> None:
    rows = []
    for code, values in classes.BIOPHYSICAL.items():
        root, root_status, root_cite = values["root_depth"]
        kc, kc_status, kc_cite = values["kc"]
        rows.append({"lucode": code, "name": classes.LAND_USE[code][0], "lulc_veg": values["lulc_veg"],
                     "root_depth": root, "kc": kc, "root_depth_status": root_status,
                     "root_depth_citation": root_cite, "kc_status": kc_status, "kc_citation": kc_cite})
    bio = pd.DataFrame(rows)
    write_csv(bio, reg.out / "biophysical_table.csv")
    texts = {"lucode": ("", "land-use code (land_use.tif)"), "name": ("", "class name"),
             "lulc_veg": ("", "1 = vegetated (Budyko curve), 0 = AET = min(Kc x ET0, P) (InVEST)"),
             "root_depth": ("mm", "maximum root depth (per-row status and citation)"),
             "kc": ("", "crop coefficient (per-row status and citation)"),
             "root_depth_status": ("", "literature_default or illustrative"),
             "root_depth_citation": ("", "source of root_depth"),
             "kc_status": ("", "literature_default or illustrative"), "kc_citation": ("", "source of kc")}
    for column in bio.columns:
        units, what = texts[column]
        reg.item(file="biophysical_table.csv", item=column, status="literature_default"
                 if column in ("root_depth", "kc") else "metadata", units=units,
                 source="literature (per row)", file_in_source="", license="CC-BY-4.0 (this dataset)",
                 citation=f"{classes.CANADELL}; {classes.FAO56}",
                 processing=f"{what}; values per class in scripts/belt_build/classes.py; rows marked "
                            "illustrative are not verified published figures")
    reg.layer(Layer(id="biophysical_table", path="biophysical_table.csv", kind="table", units="",
                    status="literature_default", long_name="biophysical table per land-use class "
                    "(InVEST columns)", extra={"key": "lucode", "illustrative_values":
                                               "see columns root_depth_status, kc_status"}))
    # carbon_pools.csv: scripts/belt_build/carbon_soc.py
    soil = pd.DataFrame([
        {"lucode": code, "name": classes.LAND_USE[code][0], "root_restricting_depth": v[0],
         "plant_available_water": v[1], "assumed_texture": v[2],
         "fao56_table19_range": classes.SOIL_RANGES[v[2]], "status": "illustrative", "note": v[3]}
        for code, v in classes.SOIL.items()])
    write_csv(soil, reg.out / "soil_by_class.csv")
    texts = {"lucode": ("", "land-use code"), "name": ("", "class name"),
             "root_restricting_depth": ("mm", "depth of the root-restricting layer"),
             "plant_available_water": ("", "plant-available water content, fraction of soil volume"),
             "assumed_texture": ("", "texture assumed for the class"),
             "fao56_table19_range": ("", "theta_FC - theta_WP range of FAO-56 Table 19 for the texture"),
             "status": ("", "illustrative"), "note": ("", "why this value")}
    for column in soil.columns:
        units, what = texts[column]
        reg.item(file="soil_by_class.csv", item=column, status="illustrative"
                 if column in ("root_restricting_depth", "plant_available_water") else "metadata",
                 units=units, source="illustrative defaults", file_in_source="",
                 license="CC-BY-4.0 (this dataset)", citation=classes.FAO56,
                 processing=f"{what}; {classes.SOIL_NOTE}")
    reg.layer(Layer(id="soil_by_class", path="soil_by_class.csv", kind="table", units="",
                    status="illustrative", long_name="soil depth and plant-available water per "
                    "land-use class", extra={"key": "lucode"}))
