"""Land-use classes, the IGBP -> land-use mapping and the per-class literature defaults.

Every value carries its status and citation. Values that could not be checked against the
published source during the build are marked ``illustrative`` with a note, never presented as a
published figure.
"""

from __future__ import annotations

LIU_2014 = ("Liu J. et al. (2014), Spatiotemporal characteristics, patterns, and causes of land-use "
            "changes in China since the late 1980s, Journal of Geographical Sciences 24(2):195-210 "
            "(CAS/RESDC land-use classification: 6 classes, 25 sub-classes)")
IGBP = ("Friedl M., Sulla-Menashe D. (2015), MCD12C1 MODIS/Terra+Aqua Land Cover Type Yearly L3 "
        "Global 0.05Deg CMG V006, NASA EOSDIS LP DAAC, doi:10.5067/MODIS/MCD12C1.006 (IGBP legend)")
FAO56 = ("Allen R.G., Pereira L.S., Raes D., Smith M. (1998), Crop evapotranspiration, FAO "
         "Irrigation and Drainage Paper 56, Rome")
CANADELL = ("Canadell J., Jackson R.B., Ehleringer J.R., Mooney H.A., Sala O.E., Schulze E.-D. (1996), "
            "Maximum rooting depth of vegetation types at the global scale, Oecologia 108:583-595")

#: lucode -> (name_en, name_zh, CAS class code(s), description)
LAND_USE = {
    1: ("cropland", "耕地", "1 (11, 12)", "irrigated and dry cropland; the oases' farmland"),
    2: ("forest", "林地", "2 (21, 22, 23)", "closed forest, shrubland and open woodland"),
    3: ("grassland", "草地", "3 (31, 32, 33)", "grassland of high, medium and low cover"),
    4: ("water", "水域", "4 (41, 42, 43, 46)", "rivers, lakes, reservoirs, floodplain"),
    5: ("built-up", "城乡、工矿、居民用地", "5 (51, 52, 53)", "urban, rural settlements, industry "
        "and mining, transport"),
    6: ("unused (desert)", "未利用地", "6 (61-67)", "sand, Gobi, saline land, marsh, bare soil and "
        "rock: the desert"),
    7: ("snow/ice", "冰川和永久积雪", "44 (a water sub-class in CAS)", "permanent snow and glaciers, "
        "kept apart from water because their water balance differs"),
}

#: IGBP code -> (IGBP name, lucode, rationale)
IGBP_TO_LAND_USE = {
    0: ("Water bodies", 4, "water is CAS class 4"),
    1: ("Evergreen needleleaf forests", 2, "forest (CAS 21); the Tianshan spruce belt"),
    2: ("Evergreen broadleaf forests", 2, "forest (CAS 21)"),
    3: ("Deciduous needleleaf forests", 2, "forest (CAS 21)"),
    4: ("Deciduous broadleaf forests", 2, "forest (CAS 21); riparian poplar (Populus euphratica) "
        "stands"),
    5: ("Mixed forests", 2, "forest (CAS 21)"),
    6: ("Closed shrublands", 2, "CAS puts shrubland (22) in the forest class"),
    7: ("Open shrublands", 2, "CAS puts shrubland (22) in the forest class; in the Belt this is "
        "sparse desert shrub (1 cell at 0.05 deg in the window), which a finer map may call "
        "low-cover grassland or unused land"),
    8: ("Woody savannas", 2, "tree cover 30-60 %: CAS open woodland (23) in the forest class"),
    9: ("Savannas", 2, "tree cover 10-30 %: CAS open woodland (23) in the forest class"),
    10: ("Grasslands", 3, "grassland (CAS 3)"),
    11: ("Permanent wetlands", 6, "CAS files marsh (64) under unused land"),
    12: ("Croplands", 1, "cropland (CAS 1)"),
    13: ("Urban and built-up lands", 5, "built-up (CAS 5)"),
    14: ("Cropland/natural vegetation mosaics", 1, "mosaic with cropland as one part; counted as "
         "cropland (the oasis margin); a finer map splits it"),
    15: ("Permanent snow and ice", 7, "glaciers and permanent snow (CAS 44), kept as its own code"),
    16: ("Barren", 6, "sand, Gobi, bare rock and soil are unused land (CAS 61-67)"),
}

#: The oasis/desert rule applied to land use: lucode -> (oasis_desert code, label)
OASIS_DESERT = {
    1: (1, "oasis (artificial: cropland)"),
    5: (1, "oasis (artificial: built-up)"),
    6: (2, "desert (unused land)"),
    2: (3, "other natural land"),
    3: (3, "other natural land"),
    4: (3, "other natural land"),
    7: (3, "other natural land"),
}
OASIS_DESERT_CODES = {1: "oasis (cropland and built-up: the artificial oasis)",
                      2: "desert (unused land: sand, Gobi, saline, bare)",
                      3: "other natural land (forest, grassland, water, snow/ice): mountains and "
                         "natural oases, not separated at this resolution"}

_NOT_USED = "not used by water yield when lulc_veg = 0 (InVEST convention); placeholder"
_ILLUSTRATIVE_KC = ("no verified published annual Kc for this class was at hand; value of the "
                    "project's illustrative example table")

#: lucode -> biophysical values, each (value, status, citation/note)
BIOPHYSICAL = {
    1: {"lulc_veg": 1,
        "root_depth": (2100, "literature_default", f"{CANADELL}: crops 2.1 +/- 0.2 m"),
        "kc": (1.15, "literature_default", f"{FAO56}, Table 12: cotton Kc mid 1.15-1.20 (the "
               "Belt's main crop); mid-season value, an upper bound of an annual mean")},
    2: {"lulc_veg": 1,
        "root_depth": (3900, "literature_default", f"{CANADELL}: temperate coniferous forest "
                       "3.9 +/- 0.4 m (Tianshan spruce, Picea schrenkiana)"),
        "kc": (1.0, "illustrative", "FAO-56 Table 12 lists conifer trees near 1.0; not verified "
               "during the build")},
    3: {"lulc_veg": 1,
        "root_depth": (2600, "literature_default", f"{CANADELL}: temperate grassland 2.6 +/- 0.2 m"),
        "kc": (0.75, "literature_default", f"{FAO56}, Table 12: grazing pasture, extensive "
               "grazing, Kc mid 0.75")},
    4: {"lulc_veg": 0,
        "root_depth": (1, "illustrative", _NOT_USED),
        "kc": (1.05, "literature_default", f"{FAO56}, Table 12: open water < 2 m depth, Kc 1.05 "
               "(Ebinur's mean depth is about 1.4 m)")},
    5: {"lulc_veg": 0, "root_depth": (1, "illustrative", _NOT_USED),
        "kc": (0.3, "illustrative", _ILLUSTRATIVE_KC)},
    6: {"lulc_veg": 0, "root_depth": (1, "illustrative", _NOT_USED),
        "kc": (0.2, "illustrative", _ILLUSTRATIVE_KC)},
    7: {"lulc_veg": 0, "root_depth": (1, "illustrative", _NOT_USED),
        "kc": (0.5, "illustrative", _ILLUSTRATIVE_KC)},
}

#: lucode -> (root_restricting_depth mm, plant_available_water fraction, assumed texture, note)
SOIL = {
    1: (1500, 0.15, "loam", "deep irrigated oasis soils"),
    2: (1000, 0.15, "loam", "mountain forest soils"),
    3: (1000, 0.13, "sandy loam", "mountain and foothill grassland soils"),
    4: (1000, 0.15, "loam", "placeholder for water cells (not used when lulc_veg = 0)"),
    5: (500, 0.10, "sandy loam", "sealed and disturbed soils"),
    6: (2000, 0.08, "sand", "desert sands and Gobi gravels"),
    7: (100, 0.05, "sand", "placeholder for glaciers (not used when lulc_veg = 0)"),
}
SOIL_RANGES = {"sand": "0.05-0.11", "sandy loam": "0.11-0.15", "loam": "0.13-0.18"}
SOIL_NOTE = ("illustrative: the texture per class is an assumption and the depth has no cited "
             "source; the water-holding fraction lies in the field-capacity minus wilting-point "
             "range FAO-56 Table 19 gives for the assumed texture")

#: Mean daily maximum and minimum temperature of Urumqi by month (deg C), from a climate table
#: reproduced on a web page (original station normals, most likely CMA, not stated there).
DTR_SOURCE = "https://topchinatravel.com/urumqi/urumqi-climate-and-weather.htm"
URUMQI_TMAX = (-7.4, -4.7, 2.7, 16.1, 23.1, 27.6, 30.1, 29.0, 23.1, 13.2, 2.0, -4.4)
URUMQI_TMIN = (-16.6, -13.7, -5.4, 4.8, 11.2, 16.1, 18.2, 16.7, 11.2, 3.1, -5.9, -12.9)

#: Lake name points: (name_en, name_zh, lon, lat, source page, note)
LAKES = [
    ("Ebinur Lake", "艾比湖", 83.000, 44.883, "https://wikimili.com/en/Ebi_Lake",
     "Wikipedia infobox (Ebi Lake) as mirrored; 44°53'N 83°00'E"),
    ("Sayram Lake", "赛里木湖", 81.2, 44.6, "https://en.wikipedia.org/wiki/Lake_Sayram",
     "Wikipedia infobox; 44°36'N 81°12'E"),
    ("Bosten Lake", "博斯腾湖", 87.0, 42.0, "http://www.eosnap.com/tag/bosten-lake/",
     "Earth Snapshot (ESA Envisat image caption) 42.0N 87.0E"),
    ("Ulungur Lake", "乌伦古湖", 87.3, 47.2, "http://www.eosnap.com/tag/lake-ulungur/page/2/",
     "Earth Snapshot image caption 47.2N 87.3E"),
    ("Manas Lake (dry bed)", "玛纳斯湖", 85.93333, 45.8, "https://sv.qaz.wiki/wiki/Lake_Manas",
     "Wikipedia infobox (Manas Lake) as mirrored; 45°48'N 85°56'E; intermittent, mostly dry"),
    ("Barkol Lake", "巴里坤湖", 92.79306, 43.67389, "https://perceptiode.com/Баркёль_(озеро)",
     "Russian Wikipedia infobox as mirrored; 43°40'26\"N 92°47'35\"E"),
    ("Aydingkol Lake", "艾丁湖", 89.27056, 42.6575, "https://de.frwiki.wiki/wiki/Lac_Aiding",
     "French Wikipedia infobox as mirrored; 42°39'27\"N 89°16'14\"E; mostly dry salt flat"),
]
