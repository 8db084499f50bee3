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


def _metres_per_map_unit(bounds: tuple[float, float, float, float], crs: Any) -> float:
    """Ground length (m) of one horizontal map unit at the map's centre.

    A projected CRS counts in its linear unit (metres for the CRSs ecociv writes; feet are
    converted). On a geographic CRS one unit is a degree of longitude, whose length is that of
    the parallel through the centre latitude on the CRS's ellipsoid (``pyproj.Geod``); it is
    measured over 0.01° so that the geodesic and the parallel agree to well under 0.1 %.
    """
    from pyproj import CRS

    if crs is None:
        return 1.0
    source = CRS.from_user_input(crs)
    if not source.is_geographic:
        axis = source.axis_info[0] if source.axis_info else None
        return float(axis.unit_conversion_factor) if axis and axis.unit_conversion_factor else 1.0
    left, bottom, right, top = bounds
    centre_lon, centre_lat = (left + right) / 2, (bottom + top) / 2
    geod = source.get_geod()
    if geod is None:
        from pyproj import Geod

        geod = Geod(ellps="WGS84")
    step = 0.01
    _, _, distance = geod.inv(centre_lon - step / 2, centre_lat, centre_lon + step / 2, centre_lat)
    return float(distance) / step


def _scale_bar(bounds: tuple[float, float, float, float], crs: Any) -> tuple[float, str]:
    """Length of the scale bar in map units and its label (m or km), about a fifth of the map
    width measured on the ground at the map's centre."""
    left, _, right, _ = bounds
    per_unit = _metres_per_map_unit(bounds, crs)
    metres = _nice_length((right - left) * per_unit)
    label = f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"
    return metres / per_unit, label


def _decorate(axes: Any, bounds: tuple[float, float, float, float], crs: Any) -> None:
    """Scale bar (lower left) and true-north arrow (upper right) on one map panel."""
    left, bottom, right, top = bounds
    span = right - left
    length, label = _scale_bar(bounds, crs)
    x0, y0 = left + 0.05 * span, bottom + 0.06 * (top - bottom)
    axes.plot([x0, x0 + length], [y0, y0], color="black", linewidth=4, solid_capstyle="butt")
    axes.text(x0 + length / 2, y0 + 0.02 * (top - bottom), label, ha="center", va="bottom")
    angle = math.radians(_true_north_angle(crs, (left + right) / 2, (bottom + top) / 2))
    base_x, base_y, size = 0.93, 0.80, 0.09
    tip = (base_x - size * math.sin(angle), base_y + size * math.cos(angle))
    axes.annotate("", xy=tip, xytext=(base_x, base_y), xycoords="axes fraction",
                  textcoords="axes fraction", arrowprops={"arrowstyle": "-|>", "linewidth": 2,
                                                          "color": "black"})
    axes.text(base_x - 1.35 * size * math.sin(angle), base_y + 1.35 * size * math.cos(angle), "N",
              transform=axes.transAxes, ha="center", va="center", fontsize=12, fontweight="bold")


def _class_names(raster: Path) -> dict[int, str]:
    """Class names from the raster attribute table of ``<raster>.aux.xml`` (as written by
    ``ecociv.grid.write``), without the CJK words that matplotlib's default font cannot draw."""
    from xml.etree import ElementTree as ET

    sidecar = raster.with_name(raster.name + ".aux.xml")
    if not sidecar.is_file():
        return {}
    try:
        table = ET.parse(sidecar).getroot().find("PAMRasterBand/GDALRasterAttributeTable")
    except ET.ParseError:
        return {}
    if table is None:
        return {}
    fields = [f.findtext("Name") for f in table.iterfind("FieldDefn")]
    if "Value" not in fields or "Name" not in fields:
        return {}
    names = {}
    for row in table.iterfind("Row"):
        cells = [f.text or "" for f in row.iterfind("F")]
        try:
            code = int(cells[fields.index("Value")])
        except (ValueError, IndexError):
            continue
        latin = "".join(ch for ch in cells[fields.index("Name")] if ord(ch) < 0x2E80)
        names[code] = " ".join(latin.split())
    return names


def render_map(raster: str | Path, png: str | Path, *, title: str, units: str | None,
               categorical: bool = False, band_labels: list[str] | None = None) -> Path:
    """Write a PNG map of a GeoTIFF with legend, units, scale bar and north arrow; a multi-band
    raster becomes small multiples (one panel per band, ``band_labels`` as panel titles) sharing
    one colour scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with rasterio.open(raster) as src:
        factor = max(1, math.ceil(max(src.width, src.height) / MAX_PIXELS))
        if src.count > 1:
            factor = max(factor, math.ceil(max(src.width, src.height) / 400))
        shape = (src.count, max(1, src.height // factor), max(1, src.width // factor))
        resampling = rasterio.enums.Resampling.nearest if categorical else rasterio.enums.Resampling.average
        data = src.read(out_shape=shape, masked=True, resampling=resampling)
        bounds = (src.bounds.left, src.bounds.bottom, src.bounds.right, src.bounds.top)
        crs = src.crs
        descriptions = [d or f"band {i + 1}" for i, d in enumerate(src.descriptions)]
        try:
            colour_table = src.colormap(1) if categorical else {}
        except ValueError:  # no colour table
            colour_table = {}
    class_names = _class_names(Path(raster)) if categorical else {}
    values = np.ma.masked_invalid(data.astype(np.float64))
    bands = values.shape[0]
    columns = 1 if bands == 1 else min(4, bands)
    rows = -(-bands // columns)
    width = 10 if bands == 1 else 14
    height = min(12.0, width / columns * rows * shape[1] / shape[2] + 1.0)
    figure, grid = plt.subplots(rows, columns, figsize=(width, height), dpi=110, squeeze=False)
    extent = (bounds[0], bounds[2], bounds[1], bounds[3])
    if categorical:
        codes = np.unique(values.compressed()).astype(int) if values.count() else np.array([0])
        cmap = plt.get_cmap("tab20", max(len(codes), 1))
        if colour_table and all(int(code) in colour_table for code in codes):
            from matplotlib.colors import ListedColormap

            cmap = ListedColormap([tuple(v / 255 for v in colour_table[int(code)]) for code in codes])
        limits = {"vmin": -0.5, "vmax": max(len(codes), 1) - 0.5}
        shown = np.ma.masked_array(np.searchsorted(codes, values.filled(codes[0])), mask=values.mask)
    else:
        low, high = (np.percentile(values.compressed(), [2, 98]) if values.count() else (0.0, 1.0))
        cmap = plt.get_cmap("viridis")
        limits = {"vmin": low, "vmax": high if high > low else low + 1}
        shown = values
    labels = band_labels or descriptions
    image = None
    for index, axes in enumerate(grid.ravel()):
        if index >= bands:
            axes.set_visible(False)
            continue
        image = axes.imshow(shown[index], extent=extent, cmap=cmap, interpolation="nearest", **limits)
        if bands > 1:
            axes.set_title(labels[index], fontsize=9)
            axes.set_xticks([])
            axes.set_yticks([])
        else:
            geographic = crs is not None and crs.is_geographic
            axes.set_xlabel("longitude (°)" if geographic else "x (m)")
            axes.set_ylabel("latitude (°)" if geographic else "y (m)")
        if index == 0:
            _decorate(axes, bounds, crs)
    assert image is not None
    bar = figure.colorbar(image, ax=grid.ravel().tolist(), shrink=0.7, extend="neither" if categorical else "both")
    if categorical:
        bar.set_ticks(range(len(codes)))
        bar.ax.set_yticklabels([f"{c} {class_names[int(c)]}" if int(c) in class_names else str(c)
                                for c in codes])
        bar.set_label("class code")
    else:
        bar.set_label(units or "dimensionless")
    figure.suptitle(title)
    png = Path(png)
    figure.savefig(png)
    plt.close(figure)
    return png


def write_step_maps(step_folder: str | Path, manifest: Mapping[str, Any]) -> list[Path]:
    """A PNG beside every raster output of a model run (``<output>.png``; a multi-band raster is
    drawn as small multiples, one panel per band), and what the model's ``report`` hook draws (e.g.
    a network diagram). Returns the written paths."""
    from ecociv.registry import get_model

    folder = Path(step_folder)
    model = get_model(manifest["model"]["id"])
    spec = model.spec
    written = []
    for output_id, meta in manifest.get("outputs", {}).items():
        if meta.get("type") != "raster":
            continue
        output = spec.output(output_id)
        months = ["January", "February", "March", "April", "May", "June", "July", "August",
                  "September", "October", "November", "December"]
        labels = months if getattr(output, "bands", None) == 12 else None
        written.append(render_map(folder / meta["path"], folder / f"{output_id}.png",
                                  title=f"{spec.title}: {getattr(output, 'long_name', output_id)}",
                                  units=meta.get("units"), categorical=output.units is None,  # type: ignore[union-attr]
                                  band_labels=labels))
    if model.report is not None:  # what the model draws beyond its raster maps (e.g. a network diagram)
        written += model.report(folder, manifest)
    (folder / "maps.json").write_text(json.dumps([p.name for p in written], indent=2))
    return written
