"""Generate the small SYNTHETIC example dataset shipped for `ecociv demo` (issue 2).

Nothing here is observed data: every raster is generated from smooth functions of position plus
seeded noise, and every table value is an illustrative default a user is expected to replace.
The files' names end in `_synthetic` and their tags say so. Re-run to regenerate:

    .venv/bin/python scripts/make_example_dataset.py
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from affine import Affine
from shapely.geometry import box

from ecociv.grid.spec import CHINA_ALBERS

OUT = Path(__file__).resolve().parents[1] / "src" / "ecociv" / "data" / "example"
ROWS, COLS, CELL = 60, 90, 1000.0
#: upper-left corner in China Albers (m); an arbitrary place, the data are not of any place
ORIGIN = (-1_500_000.0, 4_900_000.0)
SEED = 20260501
GENERATOR = {"script": "scripts/make_example_dataset.py", "seed": SEED, "rows": ROWS, "cols": COLS,
             "cell_m": CELL}


def _write(name: str, values: np.ndarray, units: str, long_name: str, dtype: str,
           nodata: float) -> None:
    profile = {"driver": "GTiff", "width": COLS, "height": ROWS, "count": 1, "dtype": dtype,
               "crs": CHINA_ALBERS, "transform": Affine(CELL, 0, ORIGIN[0], 0, -CELL, ORIGIN[1]),
               "nodata": nodata, "compress": "deflate", "tiled": False}
    with rasterio.open(OUT / f"{name}_synthetic.tif", "w", **profile) as dst:
        dst.write(values.astype(dtype), 1)
        dst.update_tags(units=units, long_name=long_name, status="synthetic",
                        generator=json.dumps(GENERATOR))


def main() -> None:
    rng = np.random.default_rng(SEED)
    OUT.mkdir(parents=True, exist_ok=True)
    rows, cols = np.mgrid[0:ROWS, 0:COLS]
    # "mountains" in the south (bottom rows) rising to 1 (south edge); plain/desert to the north
    mountain = np.clip((rows - ROWS * 0.55) / (ROWS * 0.45), 0, 1)
    noise = rng.normal(0, 1, (ROWS, COLS))
    precipitation = 150 + 450 * mountain + 15 * noise
    et0 = 1150 - 500 * mountain + 10 * noise
    land_use = np.full((ROWS, COLS), 6)  # desert / unused
    land_use[(mountain > 0) & (mountain < 0.5)] = 3  # grassland
    land_use[mountain >= 0.5] = 2  # forest
    land_use[mountain >= 0.9] = 7  # snow / ice
    oasis = (rows > ROWS * 0.35) & (rows < ROWS * 0.55) & (np.abs(cols - COLS / 2) < COLS * 0.3)
    land_use[oasis] = 1  # cropland
    land_use[oasis & (np.abs(cols - COLS / 2) < 4) & (rows > ROWS * 0.45)] = 5  # built-up
    land_use[(rows - ROWS * 0.2) ** 2 + (cols - COLS * 0.2) ** 2 < 16] = 4  # a terminal lake
    land_use[0, 0] = 255  # one nodata cell, to show that nodata propagates
    depth = 300 + 1200 * (1 - mountain) + 50 * noise
    pawc = np.clip(0.08 + 0.1 * mountain + 0.01 * noise, 0.01, 0.5)
    _write("precipitation", precipitation, "mm/yr", "annual precipitation (synthetic)", "float32", -9999)
    _write("et0", et0, "mm/yr", "annual reference evapotranspiration (synthetic)", "float32", -9999)
    _write("land_use", land_use, "", "land-use class (synthetic)", "uint8", 255)
    scenario = land_use.copy()
    scenario[oasis & (cols < COLS / 2 - 8)] = 3  # cropland returned to grassland (退耕还草)
    _write("land_use_reduced_cropland", scenario, "", "land-use class, cropland reduced (synthetic)",
           "uint8", 255)
    _write("root_restricting_depth", depth, "mm", "root-restricting layer depth (synthetic)",
           "float32", -9999)
    _write("plant_available_water", pawc, "", "plant-available water content fraction (synthetic)",
           "float32", -9999)
    classes = pd.DataFrame({
        "lucode": [1, 2, 3, 4, 5, 6, 7],
        "name": ["cropland", "forest", "grassland", "water", "built-up", "unused (desert)", "snow/ice"],
        "lulc_veg": [1, 1, 1, 0, 0, 0, 0],
        "root_depth": [1500, 3000, 1700, 1, 1, 1, 1],
        "kc": [0.75, 0.9, 0.65, 1.0, 0.3, 0.2, 0.5],
        "status": ["illustrative"] * 7,
    })
    classes.to_csv(OUT / "biophysical_illustrative.csv", index=False)
    pools = pd.DataFrame({
        "lucode": [1, 2, 3, 4, 5, 6, 7],
        "name": classes["name"],
        "c_above": [3.0, 40.0, 1.5, 0.0, 0.0, 0.2, 0.0],
        "c_below": [1.0, 10.0, 4.0, 0.0, 0.0, 0.1, 0.0],
        "c_soil": [50.0, 90.0, 60.0, 0.0, 20.0, 8.0, 0.0],
        "c_dead": [0.5, 6.0, 0.5, 0.0, 0.0, 0.0, 0.0],
        "status": ["illustrative"] * 7,
    })
    pools.to_csv(OUT / "carbon_pools_illustrative.csv", index=False)
    x0, y0 = ORIGIN
    width, height = COLS * CELL, ROWS * CELL
    sheds = gpd.GeoDataFrame(
        {"ws_id": [1, 2, 3], "name": ["west_synthetic", "centre_synthetic", "east_synthetic"]},
        geometry=[box(x0 + i * width / 3, y0 - height, x0 + (i + 1) * width / 3, y0) for i in range(3)],
        crs=CHINA_ALBERS,
    )
    sheds.to_file(OUT / "watersheds_synthetic.gpkg", driver="GPKG", engine="pyogrio")
    days = np.arange(1, 13)
    stations = pd.DataFrame({
        "station": "station_synthetic",
        "latitude_deg": 44.0,
        "elevation_m": 800.0,
        "month": days,
        "tmax_c": np.round(12 + 16 * np.sin((days - 4) / 12 * 2 * np.pi), 1),
        "tmin_c": np.round(0 + 15 * np.sin((days - 4) / 12 * 2 * np.pi), 1),
    })
    stations.to_csv(OUT / "stations_synthetic.csv", index=False)
    (OUT / "README.md").write_text(
        "# Example dataset (SYNTHETIC)\n\n"
        "Generated by `scripts/make_example_dataset.py` (seed "
        f"{SEED}, {ROWS}×{COLS} cells of {CELL:g} m, China Albers). Rasters and the station table "
        "are synthetic: smooth functions of position plus seeded noise, of no real place. The "
        "biophysical and carbon-pool tables hold illustrative values (column `status`), not "
        "measurements; replace them with your own.\n"
    )


if __name__ == "__main__":
    main()
