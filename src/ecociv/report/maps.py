"""Maps of raster outputs as PNG: legend with units, scale bar and a north arrow that points to
true north (in a conic projection such as China Albers, grid north and true north differ by
the meridian convergence, about 11° at the Belt's longitude)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import rasterio

#: longest side of a map image, pixels; larger rasters are read decimated (as an overview)
MAX_PIXELS = 1400


def _nice_length(span_m: float) -> float:
    """A round scale-bar length (1, 2 or 5 × 10^k m) of about a fifth of the map width."""
    target = span_m / 5
    exponent = math.floor(math.log10(target))
    for step in (5, 2, 1):
        if step * 10**exponent <= target:
            return float(step * 10**exponent)
    return float(10**exponent)


def _true_north_angle(crs: Any, x: float, y: float) -> float:
    """Angle (degrees, counter-clockwise from grid up) of true north at map point (x, y)."""
    from pyproj import CRS, Transformer

    source = CRS.from_user_input(crs)
    if source.is_geographic:
        return 0.0
    to_geo = Transformer.from_crs(source, source.geodetic_crs, always_xy=True)
    to_map = Transformer.from_crs(source.geodetic_crs, source, always_xy=True)
    lon, lat = to_geo.transform(x, y)
    x2, y2 = to_map.transform(lon, min(lat + 0.1, 89.9))
    return math.degrees(math.atan2(-(x2 - x), y2 - y))


def render_map(raster: str | Path, png: str | Path, *, title: str, units: str | None,
               categorical: bool = False, band: int = 1) -> Path:
    """Write a PNG map of one band of a GeoTIFF with legend, units, scale bar and north arrow."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with rasterio.open(raster) as src:
        factor = max(1, math.ceil(max(src.width, src.height) / MAX_PIXELS))
        shape = (max(1, src.height // factor), max(1, src.width // factor))
        resampling = rasterio.enums.Resampling.nearest if categorical else rasterio.enums.Resampling.average
        data = src.read(band, out_shape=shape, masked=True, resampling=resampling)
        left, bottom, right, top = src.bounds
        crs = src.crs
    values = np.ma.masked_invalid(data.astype(np.float64))
    figure, axes = plt.subplots(figsize=(10, min(12.0, 8.5 * shape[0] / shape[1] + 1.0)), dpi=110)
    extent = (left, right, bottom, top)
    if categorical:
        codes = np.unique(values.compressed()).astype(int) if values.count() else np.array([], dtype=int)
        cmap = plt.get_cmap("tab20", max(len(codes), 1))
        index = np.ma.masked_array(np.searchsorted(codes, values.filled(codes[0] if len(codes) else 0)),
                                   mask=values.mask)
        image = axes.imshow(index, extent=extent, cmap=cmap, vmin=-0.5, vmax=max(len(codes), 1) - 0.5,
                            interpolation="nearest")
        bar = figure.colorbar(image, ax=axes, shrink=0.7, ticks=range(len(codes)))
        bar.ax.set_yticklabels([str(c) for c in codes])
        bar.set_label("class code")
    else:
        low, high = (np.percentile(values.compressed(), [2, 98]) if values.count() else (0.0, 1.0))
        image = axes.imshow(values, extent=extent, cmap="viridis", vmin=low, vmax=high if high > low else low + 1,
                            interpolation="nearest")
        bar = figure.colorbar(image, ax=axes, shrink=0.7, extend="both")
        bar.set_label(units or "dimensionless")
    axes.set_title(title)
    axes.set_xlabel("x (m)")
    axes.set_ylabel("y (m)")
    span = right - left
    length = _nice_length(span)
    x0, y0 = left + 0.05 * span, bottom + 0.06 * (top - bottom)
    axes.plot([x0, x0 + length], [y0, y0], color="black", linewidth=4, solid_capstyle="butt")
    axes.text(x0 + length / 2, y0 + 0.02 * (top - bottom),
              f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m", ha="center", va="bottom")
    angle = math.radians(_true_north_angle(crs, (left + right) / 2, (bottom + top) / 2))
    base_x, base_y, size = 0.93, 0.80, 0.09
    tip = (base_x - size * math.sin(angle), base_y + size * math.cos(angle))
    axes.annotate("", xy=tip, xytext=(base_x, base_y), xycoords="axes fraction",
                  textcoords="axes fraction", arrowprops={"arrowstyle": "-|>", "linewidth": 2,
                                                          "color": "black"})
    axes.text(base_x - 1.35 * size * math.sin(angle), base_y + 1.35 * size * math.cos(angle), "N",
              transform=axes.transAxes, ha="center", va="center", fontsize=12, fontweight="bold")
    figure.tight_layout()
    png = Path(png)
    figure.savefig(png)
    plt.close(figure)
    return png


def write_step_maps(step_folder: str | Path, manifest: Mapping[str, Any]) -> list[Path]:
    """A PNG beside every raster output of a model run (``<output>.png``; multi-band rasters get
    one map per band, ``<output>_b<k>.png``). Returns the written paths."""
    from ecociv.registry import get_model

    folder = Path(step_folder)
    spec = get_model(manifest["model"]["id"]).spec
    written = []
    for output_id, meta in manifest.get("outputs", {}).items():
        if meta.get("type") != "raster":
            continue
        output = spec.output(output_id)
        categorical = output.units is None  # type: ignore[union-attr]
        bands = getattr(output, "bands", None) or 1
        for band in range(1, bands + 1):
            suffix = "" if bands == 1 else f"_b{band:02d}"
            title = f"{spec.title}: {getattr(output, 'long_name', output_id)}" + (
                f", band {band}" if bands > 1 else "")
            written.append(render_map(folder / meta["path"], folder / f"{output_id}{suffix}.png",
                                      title=title, units=meta.get("units"), categorical=categorical,
                                      band=band))
    (folder / "maps.json").write_text(json.dumps([p.name for p in written], indent=2))
    return written
