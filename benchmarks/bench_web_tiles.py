"""Map tiles of the web API: time to render Web Mercator tiles of Belt dataset rasters (Albers,
1294 × 732 cells of 1 km) cold and from the server's cache, against the peer the dashboard used
before (one PNG of the whole raster, ``ecociv.web.maps.render_png``), measured in the same run,
interleaved.

For each layer and each repetition: the whole-raster PNG once, then every tile of zoom ``z`` that
touches the layer (cold: a fresh style and tile cache), then the same tiles again through the
API's cache (``TileCache`` hits). Wall and CPU seconds (``resource.getrusage``, this process:
GDAL's warper runs in it) and the 1-minute load average are recorded.

Usage::

    .venv/bin/python benchmarks/bench_web_tiles.py [--zoom 7] [--repeat 3]

Results: ``benchmarks/results/web_tiles.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import time
from pathlib import Path
from typing import Any

OUT = Path(__file__).parent / "results" / "web_tiles.json"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _tiles_over(bounds: tuple[float, float, float, float], z: int) -> list[tuple[int, int]]:
    west, south, east, north = bounds
    n = 2**z

    def col(lon: float) -> int:
        return int((lon + 180) / 360 * n)

    def row(lat: float) -> int:
        return int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)

    return [(x, y) for x in range(col(west), col(east) + 1) for y in range(row(north), row(south) + 1)]


def _timed(fn: Any) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), _cpu()
    value = fn()
    return time.perf_counter() - wall, _cpu() - cpu, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zoom", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--layers", default="land_use,precipitation_annual,dem")
    args = parser.parse_args()

    from ecociv.region.dataset import load_dataset
    from ecociv.web import maps, tiles

    dataset = load_dataset("belt")
    rows: list[dict[str, Any]] = []
    for layer_id in args.layers.split(","):
        layer = dataset.layer(layer_id)
        categorical = layer.units == "class code"
        names = layer.extra.get("classes")
        options = dict(categorical=categorical, title=layer.long_name,
                       names={int(k): v for k, v in names.items()} if names else None,
                       units=None if categorical else layer.units)
        for rep in range(args.repeat):
            load = os.getloadavg()[0]
            whole = _timed(lambda: maps.render_png(layer.path))  # noqa: B023
            cache = tiles.TileCache()
            style = _timed(lambda: tiles.make_style(layer.path, **options))  # noqa: B023
            addresses = _tiles_over(style[2].bounds_wgs84, args.zoom)
            cold, hit = [], []
            drawn = 0
            for x, y in addresses:
                key = f"{x}/{y}"
                wall, cpu, png = _timed(lambda: cache.tile(  # noqa: B023
                    key, lambda: tiles.render_tile(layer.path, style[2], args.zoom, x, y)))  # noqa: B023
                cold.append((wall, cpu))
                drawn += png is not None
            for x, y in addresses:
                wall, cpu, _ = _timed(lambda: cache.tile(f"{x}/{y}", lambda: None))  # noqa: B023
                hit.append((wall, cpu))
            rows.append({
                "layer": layer_id, "kind": style[2].kind, "repeat": rep, "load_1min": round(load, 2),
                "whole_png_wall_s": round(whole[0], 4), "whole_png_cpu_s": round(whole[1], 4),
                "style_wall_s": round(style[0], 4), "style_cpu_s": round(style[1], 4),
                "zoom": args.zoom, "tiles": len(addresses), "tiles_with_data": drawn,
                "tile_cold_wall_median_s": round(statistics.median(w for w, _ in cold), 4),
                "tile_cold_wall_max_s": round(max(w for w, _ in cold), 4),
                "tile_cold_cpu_median_s": round(statistics.median(c for _, c in cold), 4),
                "tiles_cold_cpu_total_s": round(sum(c for _, c in cold), 4),
                "tile_cached_wall_median_s": round(statistics.median(w for w, _ in hit), 6),
            })
            print(json.dumps(rows[-1]))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"zoom": args.zoom, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
