"""Synthetic inputs in InVEST's Annual Water Yield format, for benchmarks only.

Writes, under ``benchmarks/_work/awy_synthetic_N{N}/`` (git-ignored; reused when the metadata
matches):

* ``land_use_synthetic.tif``       uint8, 7 classes of an arid oasis, nodata 255
* ``precipitation_synthetic.tif``  float32, mm/yr, nodata -9999
* ``et0_synthetic.tif``            float32, mm/yr, nodata -9999
* ``root_restricting_depth_synthetic.tif``  float32, mm, nodata -9999
* ``pawc_synthetic.tif``           float32, fraction 0-1, nodata -9999
* ``biophysical_table_synthetic.csv``  InVEST columns ``lucode, LULC_desc, lulc_veg,
  root_depth, kc``
* ``watersheds_synthetic.gpkg``    6 polygons (``--watersheds``) with an integer ``ws_id``
  (layer ``watersheds``)
* ``metadata.json``                seed, generator version, grid, class shares, files

The grid is N×N cells of 30 m in an Albers equal-area projection for China (a PROJ string:
InVEST only needs a projected CRS in metres, not an EPSG code); ``--crs utm45n`` puts the same
landscape on 30 m cells of UTM zone 45N (EPSG:32645, conformal: cell areas vary along rows) and
``--crs wgs84`` on 1 arc-second cells of EPSG:4326 (geographic; InVEST refuses it). The landscape is a north-south
transect of the northern slope of the Tianshan: glaciers and spruce forest on the mountains in
the south (the last rows of a north-up raster), grassland on the foothills, an oasis belt of
cropland, built-up land and reservoirs, and desert to the north (the first rows). Patches are
spatially coherent: classes are thresholds of value noise (a random lattice interpolated
bilinearly, several octaves) plus the regional gradient, never white noise.

Every raster is generated and written by row bands of ``BAND_ROWS`` rows, so N = 16000 never
holds a whole array in memory (peak ≈ 1.5 GB). The noise lattices are drawn once from one
``numpy.random.Generator`` (PCG64, ``--seed``), so the output does not depend on the band size.

Storage: tiled GeoTIFF, 256×256 blocks, **uncompressed** by default (``--compress`` chooses
DEFLATE, LZW or ZSTD; ``--striped`` writes strips of one row, GDAL's default layout, instead of
tiles). Uncompressed inputs keep the benchmark about the models rather than a
codec, and both InVEST and ecociv read them through GDAL the same way; the choice is recorded in
``metadata.json``.

Usage::

    .venv/bin/python benchmarks/make_awy_inputs.py 4000 [--seed 20240601] [--out DIR]
        [--crs albers|utm45n|wgs84] [--compress lzw|deflate|zstd] [--striped] [--watersheds 16]

Variants other than the default are written to folders named after them, e.g.
``awy_synthetic_N4000_utm45n_lzw_ws16``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.windows import Window

GENERATOR_VERSION = 5
HERE = Path(__file__).resolve().parent
WORK = HERE / "_work"
DEFAULT_SEED = 20240601
CELL = 30.0
BAND_ROWS = 1024
FLOAT_NODATA = -9999.0
LULC_NODATA = 255
CRS = "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
#: upper-left corner: near Shihezi / Manas on the northern slope of the Tianshan (≈ 44.3°N, 86°E)
ORIGIN = (-1_400_010.0, 5_100_000.0)


@dataclass(frozen=True)
class Grid:
    """Where the N×N cells lie: CRS, upper-left corner and cell size (in CRS units)."""

    crs: str
    origin: tuple[float, float]
    cell: float


#: the same place (upper-left corner ≈ 44.3-44.5°N, 86°E) on three kinds of CRS
GRIDS = {
    "albers": Grid(CRS, ORIGIN, CELL),
    # UTM zone 45N (central meridian 87°E), 30 m cells
    "utm45n": Grid("EPSG:32645", (420_000.0, 4_925_000.0), CELL),
    # geographic WGS 84, 1 arc-second cells (≈ 22 m east-west × 31 m north-south at 44°N)
    "wgs84": Grid("EPSG:4326", (86.0, 44.5), 1.0 / 3600.0),
}
DEFAULT_WATERSHEDS = 6


@dataclass(frozen=True)
class LandUse:
    code: int
    desc: str
    veg: int
    root_depth: float  # mm
    kc: float


#: Seven classes of an arid oasis (the first-level classes of China's land-use classification,
#: with glaciers and permanent snow split from unused land). Root depths and Kc are typical
#: values for the region, not calibrated.
CLASSES = (
    LandUse(1, "cropland (irrigated, cotton and wheat)", 1, 1200.0, 0.80),
    LandUse(2, "forest (Picea schrenkiana on the mountains)", 1, 3000.0, 1.00),
    LandUse(3, "grassland (mountain and desert steppe)", 1, 1500.0, 0.65),
    LandUse(4, "water (rivers, reservoirs)", 0, 1.0, 1.05),
    LandUse(5, "built-up land", 0, 1.0, 0.30),
    LandUse(6, "desert and unused land (gobi, sand)", 0, 1.0, 0.20),
    LandUse(7, "glaciers and permanent snow", 0, 1.0, 0.50),
)

FILES = {
    "land_use": "land_use_synthetic.tif",
    "precipitation": "precipitation_synthetic.tif",
    "et0": "et0_synthetic.tif",
    "root_restricting_depth": "root_restricting_depth_synthetic.tif",
    "plant_available_water": "pawc_synthetic.tif",
    "biophysical_table": "biophysical_table_synthetic.csv",
    "watersheds": "watersheds_synthetic.gpkg",
}

#: noise octaves: (lattice spacing in cells, weight)
OCTAVES = ((512, 0.50), (128, 0.30), (32, 0.15), (8, 0.05))


@dataclass(frozen=True)
class Variant:
    """How the inputs are stored: CRS, compression, tiles or strips, number of watersheds."""

    crs: str = "albers"
    compress: str | None = None
    striped: bool = False
    watersheds: int = DEFAULT_WATERSHEDS

    @property
    def suffix(self) -> str:
        parts = [] if self.crs == "albers" else [self.crs]
        parts += [self.compress] if self.compress else []
        parts += ["striped"] if self.striped else []
        parts += [] if self.watersheds == DEFAULT_WATERSHEDS else [f"ws{self.watersheds}"]
        return "".join(f"_{p}" for p in parts)


def folder_for(n: int, seed: int = DEFAULT_SEED, root: Path = WORK, variant: Variant = Variant()) -> Path:
    suffix = "" if seed == DEFAULT_SEED else f"_seed{seed}"
    return root / f"awy_synthetic_N{n}{suffix}{variant.suffix}"


class ValueNoise:
    """Sum of octaves of lattice value noise, evaluated for any band of rows.

    Each octave is a lattice of uniform random values (one per ``spacing`` cells) smoothed by
    bilinear interpolation with a smoothstep weight; the sum lies in [0, 1].
    """

    def __init__(self, rng: np.random.Generator, n: int, octaves=OCTAVES):
        self.n = n
        self.octaves = []
        total = sum(w for _, w in octaves)
        for spacing, weight in octaves:
            size = n // spacing + 3
            lattice = rng.random((size, size), dtype=np.float32)
            self.octaves.append((spacing, np.float32(weight / total), lattice))

    @staticmethod
    def _weights(pos: np.ndarray, spacing: int) -> tuple[np.ndarray, np.ndarray]:
        g = (pos + 0.5) / spacing
        i0 = np.floor(g).astype(np.int64)
        f = (g - i0).astype(np.float32)
        return i0, f * f * (3 - 2 * f)

    def band(self, row0: int, row1: int) -> np.ndarray:
        rows = np.arange(row0, row1)
        cols = np.arange(self.n)
        out = np.zeros((row1 - row0, self.n), dtype=np.float32)
        for spacing, weight, lattice in self.octaves:
            i0, fy = self._weights(rows, spacing)
            j0, fx = self._weights(cols, spacing)
            # interpolate the lattice along y first (small), then along x (full band)
            along_y = lattice[i0] * (1 - fy)[:, None] + lattice[i0 + 1] * fy[:, None]
            band = along_y[:, j0] * (1 - fx) + along_y[:, j0 + 1] * fx
            out += weight * band
        return out


def _profile(n: int, dtype: str, nodata: float, variant: Variant) -> dict:
    grid = GRIDS[variant.crs]
    profile = {
        "driver": "GTiff", "width": n, "height": n, "count": 1, "dtype": dtype,
        "crs": grid.crs, "transform": Affine(grid.cell, 0, grid.origin[0], 0, -grid.cell, grid.origin[1]),
        "nodata": nodata, "BIGTIFF": "IF_SAFER",
    }
    if variant.striped:
        profile.update({"tiled": False, "blockysize": 1})
    else:
        profile.update({"tiled": True, "blockxsize": 256, "blockysize": 256})
    compress = variant.compress
    if compress:
        profile["compress"] = compress
        profile["predictor"] = 2
        profile["num_threads"] = "ALL_CPUS"
    return profile


def _classify(elev: np.ndarray, moist: np.ndarray, urban: np.ndarray, lake: np.ndarray) -> np.ndarray:
    """Land-use codes from the regional gradient ``elev`` (0 north desert … 1 mountain crest)
    and three noise fields."""
    lulc = np.full(elev.shape, 6, dtype=np.uint8)  # desert
    grass = (elev > 0.42) | ((elev > 0.15) & (moist > 0.62))
    lulc[grass] = 3
    oasis = (elev > 0.22) & (elev <= 0.42) & (moist > 0.46)
    lulc[oasis] = 1
    lulc[oasis & (urban > 0.66)] = 5
    lulc[(elev > 0.20) & (elev < 0.75) & (lake > 0.80)] = 4
    lulc[(elev > 0.62) & (elev <= 0.86) & (moist > 0.45)] = 2
    lulc[elev > 0.86] = 7
    return lulc


def _disc(rows: np.ndarray, cols: np.ndarray, centre: tuple[float, float], radius: float) -> np.ndarray:
    return (rows[:, None] - centre[0]) ** 2 + (cols[None, :] - centre[1]) ** 2 < radius**2


def make_rasters(folder: Path, n: int, seed: int, variant: Variant) -> dict:
    rng = np.random.default_rng(seed)
    relief = ValueNoise(rng, n)
    moisture = ValueNoise(rng, n)
    urban = ValueNoise(rng, n, ((256, 0.6), (64, 0.3), (16, 0.1)))
    lakes = ValueNoise(rng, n, ((128, 0.7), (32, 0.3)))
    soil = ValueNoise(rng, n, ((256, 0.5), (64, 0.3), (16, 0.2)))
    counts = np.zeros(256, dtype=np.int64)
    specs = {
        "land_use": ("uint8", LULC_NODATA),
        "precipitation": ("float32", FLOAT_NODATA),
        "et0": ("float32", FLOAT_NODATA),
        "root_restricting_depth": ("float32", FLOAT_NODATA),
        "plant_available_water": ("float32", FLOAT_NODATA),
    }
    tmp_paths = {k: folder / f".{FILES[k]}.part" for k in specs}
    datasets = {k: rasterio.open(tmp_paths[k], "w", **_profile(n, dt, nd, variant))
                for k, (dt, nd) in specs.items()}
    try:
        for row0 in range(0, n, BAND_ROWS):
            row1 = min(n, row0 + BAND_ROWS)
            rows = np.arange(row0, row1)
            cols = np.arange(n)
            # regional gradient: desert in the north (row 0) rising to the crest in the south
            south = ((rows + 0.5) / n).astype(np.float32)[:, None]
            r = relief.band(row0, row1)
            elev = np.clip(0.85 * south**1.3 + 0.45 * (r - 0.5), 0.0, 1.0)
            del r
            m = moisture.band(row0, row1)
            lulc = _classify(elev, m, urban.band(row0, row1), lakes.band(row0, row1))
            # nodata: a quarter disc outside the study area at the north-west corner
            lulc[_disc(rows, cols, (0.0, 0.0), 0.08 * n)] = LULC_NODATA
            counts += np.bincount(lulc.ravel(), minlength=256)
            window = Window(0, row0, n, row1 - row0)
            datasets["land_use"].write(lulc, 1, window=window)

            precip = (110.0 + 520.0 * elev**1.4 + 80.0 * (m - 0.5)).astype(np.float32)
            # a gap in the precipitation grid (missing station interpolation) near the east edge
            precip[_disc(rows, cols, (0.55 * n, 0.97 * n), 0.03 * n)] = FLOAT_NODATA
            datasets["precipitation"].write(precip, 1, window=window)
            del precip
            et0 = (1450.0 - 800.0 * elev - 120.0 * (m - 0.5)).astype(np.float32)
            datasets["et0"].write(et0, 1, window=window)
            del et0
            s = soil.band(row0, row1)
            depth = (250.0 + 1750.0 * s * (1.0 - 0.6 * elev)).astype(np.float32)
            datasets["root_restricting_depth"].write(depth, 1, window=window)
            del depth
            pawc = np.clip(0.04 + 0.20 * s + 0.06 * (m - 0.5), 0.0, 1.0).astype(np.float32)
            datasets["plant_available_water"].write(pawc, 1, window=window)
            del pawc, s, m, elev, lulc
    finally:
        for ds in datasets.values():
            ds.close()
    for key, tmp in tmp_paths.items():
        os.replace(tmp, folder / FILES[key])
    total = n * n
    shares = {c.desc: round(int(counts[c.code]) / total, 4) for c in CLASSES}
    shares["nodata (255)"] = round(int(counts[LULC_NODATA]) / total, 4)
    return shares


def make_table(folder: Path) -> None:
    lines = ["lucode,LULC_desc,lulc_veg,root_depth,kc"]
    for c in CLASSES:
        lines.append(f'{c.code},"{c.desc}",{c.veg},{c.root_depth:g},{c.kc:g}')
    (folder / FILES["biophysical_table"]).write_text("\n".join(lines) + "\n")


def make_watersheds(folder: Path, n: int, seed: int, variant: Variant = Variant()) -> int:
    """``variant.watersheds`` basins (even, default 6): half as many north-flowing river basins,
    each split into an upper (mountain) and a lower (oasis and desert) part, with wavy borders,
    together covering the grid exactly (InVEST clips its work to the watersheds' bounding box,
    so a margin would give it fewer cells to do)."""
    import geopandas as gpd
    from shapely.geometry import Polygon

    rng = np.random.default_rng([seed, 7])
    grid = GRIDS[variant.crs]
    basins = variant.watersheds // 2
    left, top = grid.origin
    size = n * grid.cell
    margin = 0.0
    x0, x1 = left + margin, left + size - margin
    y_top, y_bottom = top - margin, top - size + margin
    steps = 48
    ys = np.linspace(y_top, y_bottom, steps)
    xs = np.linspace(x0, x1, steps)

    def wavy_x(base: float) -> np.ndarray:
        phase, amp = rng.uniform(0, 2 * np.pi), rng.uniform(0.02, 0.05) * size
        return base + amp * np.sin(np.linspace(0, 3 * np.pi, steps) + phase)

    cuts = [np.full(steps, x0), *(wavy_x(x0 + k * (x1 - x0) / basins) for k in range(1, basins)),
            np.full(steps, x1)]
    mid_phase = rng.uniform(0, 2 * np.pi)
    split_y = top - 0.6 * size + 0.04 * size * np.sin(np.linspace(0, 4 * np.pi, steps) + mid_phase)
    polygons, ids = [], []
    ws_id = 1
    for k in range(basins):
        left_x, right_x = cuts[k], cuts[k + 1]
        west = [(float(left_x[i]), float(ys[i])) for i in range(steps)]
        east = [(float(right_x[i]), float(ys[i])) for i in range(steps)]
        line = [(float(x), float(y)) for x, y in zip(xs, split_y, strict=True)]
        basin = Polygon(west + east[::-1])
        pad = size / n  # one cell beyond the grid
        lower = Polygon([(x0 - pad, y_top), (x1 + pad, y_top), *line[::-1]]).buffer(0)
        upper = Polygon([*line, (x1 + pad, y_bottom), (x0 - pad, y_bottom)]).buffer(0)
        for part in (basin.intersection(lower), basin.intersection(upper)):
            polygons.append(part.buffer(0))
            ids.append(ws_id)
            ws_id += 1
    frame = gpd.GeoDataFrame({"ws_id": np.array(ids, dtype=np.int32)}, geometry=polygons, crs=grid.crs)
    path = folder / FILES["watersheds"]
    if path.exists():
        path.unlink()
    # GeoPackage 1.2: readable without warnings by the older GDAL an InVEST install may have
    frame.to_file(path, driver="GPKG", layer="watersheds", engine="pyogrio",
                  dataset_options={"VERSION": "1.2"})
    return len(frame)


def ensure_inputs(n: int, seed: int = DEFAULT_SEED, *, root: Path = WORK,
                  compress: str | None = None, force: bool = False,
                  variant: Variant | None = None) -> Path:
    """Generate (or reuse) the inputs for N and return their folder (``compress`` is kept for
    callers that predate ``variant``)."""
    if variant is None:
        variant = Variant(compress=compress)
    folder = folder_for(n, seed, root, variant)
    meta_path = folder / "metadata.json"
    if meta_path.exists() and not force:
        meta = json.loads(meta_path.read_text())
        if (meta.get("generator_version") == GENERATOR_VERSION and meta.get("n") == n
                and meta.get("seed") == seed and meta.get("compress") == variant.compress
                and meta.get("crs_variant", "albers") == variant.crs
                and meta.get("striped", False) == variant.striped
                and meta.get("watersheds") == variant.watersheds
                and all((folder / f).exists() for f in FILES.values())):
            return folder
    folder.mkdir(parents=True, exist_ok=True)
    if meta_path.exists():
        meta_path.unlink()
    started = time.perf_counter()
    shares = make_rasters(folder, n, seed, variant)
    make_table(folder)
    n_ws = make_watersheds(folder, n, seed, variant)
    grid = GRIDS[variant.crs]
    meta = {
        "synthetic": True,
        "purpose": "benchmark inputs in InVEST Annual Water Yield format; not real data",
        "generator": "benchmarks/make_awy_inputs.py",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "rng": "numpy.random.default_rng (PCG64)",
        "n": n,
        "cells": n * n,
        "cell_size_m": CELL if variant.crs != "wgs84" else None,
        "cell_size_crs_units": grid.cell,
        "crs_variant": variant.crs,
        "crs": grid.crs,
        "origin_upper_left": list(grid.origin),
        "block": [n, 1] if variant.striped else [256, 256],
        "striped": variant.striped,
        "compress": variant.compress,
        "nodata": {"float32": FLOAT_NODATA, "land_use": LULC_NODATA},
        "classes": [c.__dict__ for c in CLASSES],
        "class_shares": shares,
        "watersheds": n_ws,
        "seasonality_z": 5.0,
        "files": FILES,
        "bytes": {k: (folder / f).stat().st_size for k, f in FILES.items()},
        "seconds_to_generate": round(time.perf_counter() - started, 1),
    }
    meta_path.write_text(json.dumps(meta, indent=2))
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, nargs="+", help="grid size(s) N (N×N cells)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=WORK, help="parent folder (default _work/)")
    parser.add_argument("--compress", choices=["deflate", "lzw", "zstd"], default=None)
    parser.add_argument("--crs", choices=sorted(GRIDS), default="albers",
                        help="albers (EPSG-less China Albers, default), utm45n (EPSG:32645), wgs84 (EPSG:4326)")
    parser.add_argument("--striped", action="store_true", help="strips of one row instead of 256×256 tiles")
    parser.add_argument("--watersheds", type=int, default=DEFAULT_WATERSHEDS,
                        help="number of watershed polygons (even; default 6)")
    parser.add_argument("--force", action="store_true", help="regenerate even when cached")
    args = parser.parse_args(argv)
    for n in args.n:
        if args.watersheds < 2 or args.watersheds % 2:
            parser.error("--watersheds must be an even number >= 2")
        variant = Variant(args.crs, args.compress, args.striped, args.watersheds)
        folder = ensure_inputs(n, args.seed, root=args.out, force=args.force, variant=variant)
        meta = json.loads((folder / "metadata.json").read_text())
        print(f"{folder}: {meta['cells']:,} cells, generated in {meta['seconds_to_generate']} s")
        for desc, share in meta["class_shares"].items():
            print(f"  {share:7.2%}  {desc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
