"""Benchmark of ``spatial_planning`` (kernels and tables, in memory, no file I/O) on synthetic
landscapes of growing size: built-up blobs, cropland around them, a red line, urban and
agricultural suitability, and a grid of square units. Prints the wall time and cells per second
of one run per size.

Usage::

    python benchmarks/bench_spatial_planning.py --sizes 1000,2000,4000 --units 16
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import numpy as np
from affine import Affine
from scipy import ndimage
from shapely.geometry import box

from ecociv.grid.io import from_array
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.spatial_planning.model import run


def landscape(n: int, units: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(30.0, 0, 0, 0, -30.0, 5_000_000.0), (n, n))
    noise = ndimage.gaussian_filter(rng.random((n, n)), sigma=max(2, n // 200))
    noise = (noise - noise.min()) / (noise.max() - noise.min())
    land = np.full((n, n), 3, dtype=np.int16)
    land[noise > 0.55] = 1
    land[noise > 0.8] = 5
    land[noise < 0.15] = 4
    redline = (noise < 0.3).astype(np.int16)
    urban = np.clip((noise * 5).astype(np.int16), 0, 4)
    side = int(np.sqrt(units))
    step = n * 30.0 / side
    zones = gpd.GeoDataFrame(
        {"name": [f"u{i}_{j}" for i in range(side) for j in range(side)]}, crs=CHINA_ALBERS,
        geometry=[box(j * step, 5_000_000.0 - (i + 1) * step, (j + 1) * step, 5_000_000.0 - i * step)
                  for i in range(side) for j in range(side)])

    def array(values: np.ndarray, name: str):
        return from_array(values, grid, name=name, units=None)

    return {"land_use": array(land, "land_use"), "redline": array(redline, "redline"),
            "urban_suitability": array(urban, "urban_suitability"),
            "agricultural_suitability": array(4 - urban, "agricultural_suitability"),
            "zones": zones, "zone_field": "name", "built_up_codes": "5", "cropland_codes": "1",
            "water_codes": "4", "buffer_distance": 300.0, "closing_distance": 90.0,
            "max_hole_area": 0.05, "min_patch_area": 0.01}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,2000,4000")
    parser.add_argument("--units", type=int, default=16)
    args = parser.parse_args()
    for n in (int(s) for s in args.sizes.split(",")):
        inputs = landscape(n, args.units)
        start = time.perf_counter()
        out = run(inputs)
        seconds = time.perf_counter() - start
        row = out["planning_by_zone"].set_index("zone").loc["all"]
        print(f"{n} x {n} ({n * n / 1e6:.0f} M cells): {seconds:.1f} s, "
              f"{n * n / seconds / 1e6:.2f} M cells/s; boundary {row['urban_boundary_km2']:.1f} km2 "
              f"= {row['boundary_expansion_ratio']:.2f} x built-up")


if __name__ == "__main__":
    main()
