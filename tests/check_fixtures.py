"""A tiny region dataset and a finished run on it, with values whose zonal statistics are worked
out by hand, for the tests of ``ecociv check``.

Grid: 4 × 4 cells of 1 km in China Albers (equal-area: every cell is 1 km² = 1e6 m²), origin
(0, 5 000 000). Units: 650001 'West' = columns 0-1 (8 km², basin Alpha), 650002 'East' = columns
2-3 (8 km², basin Beta), both in prefecture 650000.

Rasters of the run:
- water_yield (mm/yr): 100 in West; 200 in East except NaN (nodata) in cell (row 0, col 3).
  West sum = 8 × 1e6 m² × 0.1 m = 8e5 m³/yr; East sum = 7 × 1e6 × 0.2 = 1.4e6 m³/yr;
  region sum = 2.2e6 m³/yr; region mean = 2.2e6 / 15e6 m² = 0.14667 m = 146.67 mm/yr.
- redline (codes): 1 in West, 0 in East → share of the region 8 / 16 = 50 %; of West 100 %.
The water_yield step's input precipitation: 300 mm/yr everywhere; its output aet is damaged (2 × 2).
Tables: lakes (Test Lake area 100, 200, 300 km² in three months → mean 200, min 100, max 300);
groundwater_units (650002: overdraft 1e8 m³ in 2001 and 3e8 m³ in 2002 → annual 2e8 m³/yr).
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from affine import Affine
from pyproj import Transformer

from ecociv.grid.spec import CHINA_ALBERS

TRANSFORM = Affine(1000.0, 0, 0.0, 0, -1000.0, 5_000_000.0)
HEADER = ("id,quantity,place_kind,place,lon,lat,value,low,high,tolerance,unit,period,model_output,"
          "citation,source_url,citation_status,note")


def cell_lonlat(row: int, col: int) -> tuple[float, float]:
    """WGS84 lon/lat of a cell centre of the tiny grid."""
    x, y = TRANSFORM * (col + 0.5, row + 0.5)
    return Transformer.from_crs(CHINA_ALBERS, "EPSG:4326", always_xy=True).transform(x, y)


def make_dataset(root: Path) -> Path:
    """The tiny dataset folder (units table, unit polygons, lake names, dataset.yaml)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "units.csv").write_text(
        "adcode,name_zh,name_en,prefecture_adcode,prefecture_zh,prefecture_en,corps_division,basin,"
        "included_because\n"
        "650001,西,West,650000,试,Test prefecture,,Alpha,test\n"
        "650002,东,East,650000,试,Test prefecture,,Beta,test\n", encoding="utf-8")
    polygons = [shapely.box(0, 4_996_000, 2000, 5_000_000), shapely.box(2000, 4_996_000, 4000, 5_000_000)]
    gpd.GeoDataFrame({"adcode": ["650001", "650002"]}, geometry=polygons, crs=CHINA_ALBERS).to_file(
        root / "units.gpkg", layer="units", driver="GPKG")
    (root / "lake_names.csv").write_text("name_en,name_zh,lon,lat,source,source_note\n"
                                         "Test Lake,试湖,100,40,test,test\n", encoding="utf-8")
    (root / "dataset.yaml").write_text(json.dumps({
        "name": "tiny", "title": "tiny test region",
        "grid": {"crs": CHINA_ALBERS, "transform": list(TRANSFORM)[:6], "rows": 4, "cols": 4},
        "layers": [
            {"id": "units_table", "path": "units.csv", "kind": "table", "status": "synthetic"},
            {"id": "units", "path": "units.gpkg", "kind": "vector", "status": "synthetic", "layer": "units"},
        ]}), encoding="utf-8")
    return root


def _raster(path: Path, values: np.ndarray, dtype: str, nodata: float | None) -> None:
    with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1, dtype=dtype,
                       crs=CHINA_ALBERS, transform=TRANSFORM, nodata=nodata) as dst:
        dst.write(values.astype(dtype), 1)


def _step(run: Path, name: str, outputs: dict[str, dict]) -> None:
    (run / name).mkdir(parents=True)
    (run / name / "manifest.json").write_text(json.dumps({"outputs": outputs}), encoding="utf-8")


def make_run(store: Path, dataset: Path) -> Path:
    """A finished run folder on the tiny dataset (see the module docstring for its values)."""
    run = store / "runs" / "20260101-000000-tiny-000000"
    run.mkdir(parents=True)
    from rasterio.crs import CRS

    (run / "manifest.json").write_text(json.dumps({
        "run_id": run.name, "status": "completed", "base_dir": str(store),
        "scenario": {"name": "tiny", "dataset": str(dataset)},
        "grid": {"crs": CRS.from_string(CHINA_ALBERS).to_wkt(), "transform": list(TRANSFORM)[:6],
                 "shape": [4, 4]},
        "steps": [{"name": "water_yield", "model": "water_yield"},
                  {"name": "redline_step", "model": "ecological_redline"},
                  {"name": "water_allocation", "model": "water_allocation"}],
    }), encoding="utf-8")
    _step(run, "water_yield", {"water_yield": {"type": "raster", "path": "water_yield.tif", "units": "mm/yr"},
                               "aet": {"type": "raster", "path": "aet.tif", "units": "mm/yr"}})
    # an input as the step used it: precipitation 300 mm/yr everywhere (a dataset layer)
    _raster(run / "precipitation.tif", np.full((4, 4), 300.0), "float32", None)
    manifest = json.loads((run / "water_yield" / "manifest.json").read_text(encoding="utf-8"))
    manifest["inputs"] = {"precipitation": {"path": str(run / "precipitation.tif")}}
    (run / "water_yield" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    # a damaged output: aet on a 2 x 2 grid, not the run's 4 x 4
    with rasterio.open(run / "water_yield" / "aet.tif", "w", driver="GTiff", width=2, height=2, count=1,
                       dtype="float32", crs=CHINA_ALBERS, transform=TRANSFORM) as dst:
        dst.write(np.ones((2, 2), dtype="float32"), 1)
    water = np.full((4, 4), 100.0)
    water[:, 2:] = 200.0
    water[0, 3] = -1.0
    _raster(run / "water_yield" / "water_yield.tif", water, "float32", -1.0)
    _step(run, "redline_step", {"redline": {"type": "raster", "path": "redline.tif", "units": None}})
    redline = np.zeros((4, 4))
    redline[:, :2] = 1
    _raster(run / "redline_step" / "redline.tif", redline, "uint8", 255)
    _step(run, "water_allocation", {
        "lakes": {"type": "table", "path": "lakes.csv", "units": {"month": None, "lake": None,
                                                                   "area_km2": "km**2"}},
        "groundwater_units": {"type": "table", "path": "groundwater_units.csv",
                              "units": {"year": "", "unit": None, "overdraft_m3": "m**3"}}})
    (run / "water_allocation" / "lakes.csv").write_text(
        "month,lake,area_km2\n2000-01,test_lake,100\n2000-02,test_lake,200\n2000-03,test_lake,300\n"
        "2000-01,other_lake,5\n", encoding="utf-8")
    (run / "water_allocation" / "groundwater_units.csv").write_text(
        "year,unit,overdraft_m3\n2001,650002,1e8\n2002,650002,3e8\n2001,650001,0\n2002,650001,0\n",
        encoding="utf-8")
    return run


def write_rows(path: Path, *rows: str) -> Path:
    """A reference CSV with the standard header and ``rows``."""
    path.write_text("\n".join((HEADER, *rows)) + "\n", encoding="utf-8")
    return path
