"""The decode floor: CPU seconds per 4000² band of lossless GeoTIFF decoders, and the encode
cost of the output codec's predictor.

Decoders, each timed in this process after a warm-up, rounds interleaved; the warm-up result
of every full decoder is checked cell for cell (bit for bit) against rasterio's read of the
band (outside the timing):

==============  ===============================================================================
gdal            rasterio/GDAL (libtiff) in 1024-row windows, one thread: what a run does today
gdal-threads    one whole-band read with ``GDAL_NUM_THREADS=2`` (GDAL decodes blocks on 2 threads)
numba           ``lzw_reference.py``: TIFF LZW + predictor in numba, 1024-row windows (LZW only)
ic-codec        imagecodecs' codec alone on every block, no predictor (lzw_decode, deflate_decode
                = libdeflate, zlib_decode, zstd_decode); ``ic-codec-2t``: the same on 2 threads
ic-predictor    imagecodecs' predictor undo alone (delta_decode / floatpred_decode) of every block
==============  ===============================================================================

imagecodecs is not a dependency of ecociv: give ``--imagecodecs-path DIR`` (a ``pip install
--target DIR imagecodecs``) or leave those rows out. DEFLATE and ZSTD copies of the LZW inputs
(same tiling and predictor) are made once under ``_work/decode_copies``.

``--encode DIR`` times the COG encoding of the float rasters of ``DIR`` (a ``water_yield`` run:
its three 4000² outputs) by GDAL's COG driver without overviews, ZSTD level 1 with the
floating-point predictor (ecociv's outputs), the horizontal predictor and none, and reports
sizes; every file is read back and compared.

Usage (≈ 3 min on a quiet machine)::

    .venv/bin/python benchmarks/bench_decode.py --repeats 5 \\
        --imagecodecs-path /tmp/io/ic --encode benchmarks/_work/runs/ecociv_N4000_utm45n_lzw_ws16 \\
        --json benchmarks/results/decode_floor.json
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work"
AWY = WORK / "awy_synthetic_N4000_utm45n_lzw_ws16"
SERVICES = WORK / "services_synthetic_N4000_utm_lzw"
#: (file, band): LZW with the horizontal predictor (water_yield's inputs) and with the
#: floating-point one (soil_conservation's and sand_fixation's)
INPUTS = [(AWY / "precipitation_synthetic.tif", 1), (SERVICES / "dem_synthetic.tif", 1),
          (SERVICES / "wind_speed_10m_monthly_synthetic.tif", 1)]
ROWS = 1024  # rows of a run's read chunk on a 4000² grid (grid.io.read_chunks)


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(func: Callable[[], Any]) -> tuple[float, float]:
    c0, w0 = cpu(), time.perf_counter()
    func()
    return cpu() - c0, time.perf_counter() - w0


def copies(path: Path) -> list[Path]:
    """DEFLATE and ZSTD copies of ``path`` (its tiling and predictor), made once."""
    import rasterio
    import rasterio.shutil

    folder = WORK / "decode_copies"
    folder.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path) as src:
        predictor = int(src.tags(ns="IMAGE_STRUCTURE").get("PREDICTOR", 1))
        blocks = src.block_shapes[0]
    made = []
    for codec in ("DEFLATE", "ZSTD"):
        target = folder / f"{path.stem}_{codec.lower()}.tif"
        if not target.exists():
            rasterio.shutil.copy(path, target, driver="GTiff", COMPRESS=codec, PREDICTOR=predictor,
                                 TILED="YES", BLOCKYSIZE=blocks[0], BLOCKXSIZE=blocks[1],
                                 INTERLEAVE="BAND")
        made.append(target)
    return made


def decoders(path: Path, band: int, reference: np.ndarray, ic: Any) -> dict[str, Callable[[], Any]]:
    import rasterio
    from rasterio.windows import Window

    sys.path.insert(0, str(HERE))
    import lzw_reference as ref

    with rasterio.open(path) as src:
        rows, cols = src.height, src.width
    spans = [(r, min(rows, r + ROWS)) for r in range(0, rows, ROWS)]

    def gdal() -> list[np.ndarray]:
        with rasterio.open(path) as src:
            return [src.read(band, window=Window(0, r0, cols, r1 - r0)) for r0, r1 in spans]

    def gdal_threads() -> list[np.ndarray]:
        with rasterio.Env(GDAL_NUM_THREADS="2"), rasterio.open(path) as src:
            return [src.read(band)]

    found: dict[str, Callable[[], Any]] = {"gdal": gdal, "gdal-threads": gdal_threads}
    lay = ref.layout(str(path))
    if lay is not None:
        ref.read_window(str(path), lay, (band - 1, band), (0, 1), (0, 1), reference.dtype)

        def numba() -> list[np.ndarray]:
            parts = [ref.read_window(str(path), lay, (band - 1, band), span, (0, cols),
                                     reference.dtype) for span in spans]
            assert all(p is not None for p in parts)
            return [p[0] for p in parts if p is not None]

        found["numba"] = numba
    if ic is not None:
        found.update(_imagecodecs(path, band, ic))
    return found


def _imagecodecs(path: Path, band: int, ic: Any) -> dict[str, Callable[[], Any]]:
    import tifffile

    with tifffile.TiffFile(path) as tif:
        page: Any = tif.pages[0]
        offsets, counts = page.dataoffsets, page.databytecounts
        codec, predictor = page.compression.name, int(page.predictor)
        block = (page.tilelength, page.tilewidth)
        itemsize = page.dtype.itemsize
        per_band = len(offsets) // (page.shape[0] if page.ndim == 3 else 1)
    fd = os.open(path, os.O_RDONLY)
    first = (band - 1) * per_band
    blobs = [os.pread(fd, counts[i], offsets[i]) for i in range(first, first + per_band)]
    os.close(fd)
    size = block[0] * block[1] * itemsize
    decode = {"LZW": lambda b: ic.lzw_decode(b, out=size),
              "ADOBE_DEFLATE": lambda b: ic.deflate_decode(b, out=size),
              "ZSTD": lambda b: ic.zstd_decode(b, out=size)}[codec]
    decoded = [np.frombuffer(decode(b), np.uint8) for b in blobs[:1]]
    words = np.dtype(f"<u{itemsize}")

    def codec_alone() -> None:
        for blob in blobs:
            decode(blob)

    def codec_two_threads() -> None:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(decode, blobs))

    def predictor_alone() -> None:
        for _ in blobs:
            cells = decoded[0].copy()
            if predictor == 2:
                ic.delta_decode(cells.view(words).reshape(block), axis=-1,
                                out=cells.view(words).reshape(block))
            elif predictor == 3:
                ic.floatpred_decode(cells.view(f"<f{itemsize}").reshape(*block, 1), axis=-2)

    found: dict[str, Callable[[], Any]] = {"ic-codec": codec_alone,
                                           "ic-codec-2t": codec_two_threads}
    if predictor in (2, 3):
        found["ic-predictor"] = predictor_alone
    if codec == "ADOBE_DEFLATE":
        found["ic-zlib"] = lambda: [ic.zlib_decode(b, out=size) for b in blobs]
    return found


def decode_rounds(repeats: int, ic: Any) -> list[dict[str, Any]]:
    import rasterio

    rows = []
    for path, band in INPUTS:
        for source in [path, *copies(path)]:
            with rasterio.open(source) as src:
                reference = src.read(band)
                compress = src.compression.name if src.compression else "none"
                predictor = src.tags(ns="IMAGE_STRUCTURE").get("PREDICTOR", "1")
            found = decoders(source, band, reference, ic)
            for name, func in found.items():  # warm-up (page cache, numba), checked
                decoded = func()
                if name in ("gdal", "gdal-threads", "numba"):  # full decoders: every cell
                    whole = np.concatenate(decoded)
                    assert np.array_equal(whole.view(np.uint8), reference.view(np.uint8)), name
                del decoded
            runs: dict[str, list[tuple[float, float]]] = {name: [] for name in found}
            loads = []
            for _ in range(repeats):
                loads.append(os.getloadavg()[0])
                for name, func in found.items():
                    runs[name].append(timed(func))
            row = {"file": source.name, "band": band, "compress": compress,
                   "predictor": predictor, "MB": round(source.stat().st_size / 1e6, 1),
                   "load_1min": [round(v, 2) for v in loads],
                   "cpu_s": {n: round(statistics.median(c for c, _ in r), 3) for n, r in runs.items()},
                   "wall_s": {n: round(statistics.median(w for _, w in r), 3) for n, r in runs.items()}}
            print(json.dumps(row), flush=True)
            rows.append(row)
    return rows


ENCODINGS = {"zstd1-fp-predictor": {"COMPRESS": "ZSTD", "LEVEL": "1", "PREDICTOR": "YES"},
             "zstd1-horizontal": {"COMPRESS": "ZSTD", "LEVEL": "1", "PREDICTOR": "STANDARD"},
             "zstd1-none": {"COMPRESS": "ZSTD", "LEVEL": "1", "PREDICTOR": "NO"}}


def encode_rounds(folder: Path, repeats: int) -> dict[str, Any]:
    import rasterio

    rasters = []
    for path in sorted(folder.glob("*.tif")):
        with rasterio.open(path) as src:
            if src.dtypes[0].startswith("float"):
                rasters.append((path.name, src.read(1), src.crs, src.transform, src.nodata))
    target = WORK / "decode_copies" / "encoded.tif"
    target.parent.mkdir(parents=True, exist_ok=True)
    runs: dict[str, list[float]] = {name: [] for name in ENCODINGS}
    sizes: dict[str, float] = {}
    loads = []

    def write(options: dict[str, str]) -> int:
        total = 0
        for _, values, crs, transform, nodata in rasters:
            with rasterio.open(target, "w", driver="COG", width=values.shape[1],
                               height=values.shape[0], count=1, dtype=values.dtype, crs=crs,
                               transform=transform, nodata=nodata, BLOCKSIZE="512",
                               OVERVIEWS="NONE", NUM_THREADS="ALL_CPUS", **options) as dst:
                dst.write(values, 1)
            total += target.stat().st_size
            with rasterio.open(target) as back:
                assert np.array_equal(back.read(1).view(np.uint8), values.view(np.uint8))
        return total

    for options in ENCODINGS.values():
        write(options)  # warm-up
    for _ in range(repeats):
        loads.append(os.getloadavg()[0])
        for name, options in ENCODINGS.items():
            c0 = cpu()
            size = write(options)
            runs[name].append(cpu() - c0)
            sizes[name] = round(size / 1e6, 1)
    # the read-back check is inside the timing of every variant alike
    row = {"folder": str(folder), "rasters": [r[0] for r in rasters],
           "load_1min": [round(v, 2) for v in loads],
           "cpu_s_write_and_check": {n: round(statistics.median(v), 3) for n, v in runs.items()},
           "MB": sizes}
    print(json.dumps(row), flush=True)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--imagecodecs-path", type=Path, default=None)
    parser.add_argument("--encode", type=Path, default=None)
    parser.add_argument("--skip-decode", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    ic: Any = None
    if args.imagecodecs_path is not None:
        sys.path.insert(0, str(args.imagecodecs_path))
        ic = importlib.import_module("imagecodecs")
    import rasterio

    result: dict[str, Any] = {"python": sys.version.split()[0], "gdal": rasterio.__gdal_version__,
                              "rasterio": rasterio.__version__,
                              "imagecodecs": getattr(ic, "__version__", None),
                              "cpus": os.cpu_count(), "inputs": [f"{p} band {b}" for p, b in INPUTS]}
    print(json.dumps(result), flush=True)
    if not args.skip_decode:
        result["decode"] = decode_rounds(args.repeats, ic)
    if args.encode is not None:
        result["encode"] = encode_rounds(args.encode, args.repeats)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
