"""Make the tiny InVEST reference case in ``tests/data/invest_awy/``.

Writes 20×20 synthetic inputs in InVEST's Annual Water Yield format (every land-use class of
``make_awy_inputs.CLASSES``, nodata cells in each raster, one cell without precipitation, cells
where ω is capped at 5, both PET/P < 1 and > 1), runs InVEST's own
``natcap.invest.annual_water_yield.execute`` on them with the Python given by ``--invest``, and
copies its per-pixel outputs and watershed table next to the inputs, so a unit test can compare
``ecociv``'s water_yield model with InVEST without InVEST installed.

Usage (InVEST in a throwaway venv, see ``setup_invest_venv.sh``)::

    .venv/bin/python benchmarks/make_invest_reference.py \\
        --invest benchmarks/_work/invest-venv/bin/python
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import make_awy_inputs as gen  # noqa: E402

N = 20
SEED = 20240602
Z = 5.0


def write(path: Path, array: np.ndarray, dtype: str, nodata: float) -> None:
    profile = {"driver": "GTiff", "width": N, "height": N, "count": 1, "dtype": dtype,
               "crs": gen.CRS, "transform": Affine(gen.CELL, 0, gen.ORIGIN[0], 0, -gen.CELL, gen.ORIGIN[1]),
               "nodata": nodata}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(array.astype(dtype), 1)


def make_inputs(folder: Path) -> None:
    rng = np.random.default_rng(SEED)
    folder.mkdir(parents=True, exist_ok=True)
    codes = np.array([c.code for c in gen.CLASSES], dtype=np.uint8)
    # 2×2 patches of one class each, so both watersheds hold every class
    lulc = np.kron(rng.choice(codes, size=(N // 2, N // 2)), np.ones((2, 2), dtype=np.uint8))
    lulc[0, 0] = lulc[19, 19] = gen.LULC_NODATA
    precip = rng.uniform(60.0, 900.0, (N, N)).astype(np.float32)
    precip[3, 4] = 0.0                       # no precipitation: no result (InVEST valid_mask)
    precip[5, 5] = gen.FLOAT_NODATA
    precip[10:12, 10:12] = rng.uniform(20.0, 60.0, (2, 2))  # very dry: PET/P ≫ 1
    et0 = rng.uniform(400.0, 1500.0, (N, N)).astype(np.float32)
    et0[7, 8] = gen.FLOAT_NODATA
    depth = rng.uniform(100.0, 3500.0, (N, N)).astype(np.float32)
    depth[12, 3] = gen.FLOAT_NODATA
    pawc = rng.uniform(0.02, 0.35, (N, N)).astype(np.float32)
    pawc[15, 16] = gen.FLOAT_NODATA
    write(folder / gen.FILES["land_use"], lulc, "uint8", gen.LULC_NODATA)
    write(folder / gen.FILES["precipitation"], precip, "float32", gen.FLOAT_NODATA)
    write(folder / gen.FILES["et0"], et0, "float32", gen.FLOAT_NODATA)
    write(folder / gen.FILES["root_restricting_depth"], depth, "float32", gen.FLOAT_NODATA)
    write(folder / gen.FILES["plant_available_water"], pawc, "float32", gen.FLOAT_NODATA)
    gen.make_table(folder)

    import geopandas as gpd
    from shapely.geometry import box

    left, top = gen.ORIGIN
    size = N * gen.CELL
    west = box(left, top - size, left + 0.45 * size, top)
    east = box(left + 0.45 * size, top - size, left + size, top)
    frame = gpd.GeoDataFrame({"ws_id": np.array([1, 2], dtype=np.int32)}, geometry=[west, east],
                             crs=gen.CRS)
    frame.to_file(folder / gen.FILES["watersheds"], driver="GPKG", layer="watersheds",
                  engine="pyogrio", dataset_options={"VERSION": "1.2"})
    meta = {"synthetic": True, "n": N, "seed": SEED, "seasonality_z": Z, "files": gen.FILES,
            "crs": gen.CRS, "cell_size_m": gen.CELL, "nodata": {"float32": gen.FLOAT_NODATA,
                                                             "land_use": gen.LULC_NODATA}}
    (folder / "metadata.json").write_text(json.dumps(meta, indent=2) + "\n")


def run_invest(python: str, folder: Path) -> dict[str, str]:
    workspace = ROOT / "benchmarks" / "_work" / "invest_reference_ws"
    if workspace.exists():
        shutil.rmtree(workspace)
    subprocess.run([python, str(HERE / "invest_awy_runner.py"), str(folder), str(workspace)],
                   check=True)
    per_pixel = workspace / "output" / "per_pixel"
    out = folder / "invest_output"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir()
    for name in ("wyield.tif", "aet.tif", "fractp.tif"):
        shutil.copy(per_pixel / name, out / name)
    shutil.copy(workspace / "output" / "watershed_results_wyield.csv",
                out / "watershed_results_wyield.csv")
    code = ("import natcap.invest, pygeoprocessing, numpy; from osgeo import gdal; "
            "print(natcap.invest.__version__, pygeoprocessing.__version__, gdal.__version__, "
            "numpy.__version__)")
    versions = subprocess.run([python, "-c", code], capture_output=True, text=True,
                              check=True).stdout.split()
    return dict(zip(("natcap.invest", "pygeoprocessing", "gdal", "numpy"), versions, strict=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invest", required=True, metavar="PYTHON")
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "data" / "invest_awy")
    args = parser.parse_args(argv)
    make_inputs(args.out)
    versions = run_invest(args.invest, args.out)
    meta = json.loads((args.out / "metadata.json").read_text())
    meta["invest"] = versions
    meta["invest_args"] = {"seasonality_constant": Z, "n_workers": -1, "results_suffix": "",
                           "demand_table_path": "", "valuation_table_path": "",
                           "sub_watersheds_path": ""}
    (args.out / "metadata.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"wrote {args.out} with InVEST {versions}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
