"""Maps of raster outputs as PNG: legend with units, scale bar and a north arrow that points to
true north (in a conic projection such as China Albers, grid north and true north differ by
the meridian convergence, about 11° at the Belt's longitude)."""

from __future__ import annotations

import functools
import json
import math
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import rasterio

from ecociv.errors import InputError
from ecociv.report.map_text import LAYER_SOURCE, MONTHS, WORDS, chinese_part, output_name

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


def _class_names(raster: Path, lang: str = "en") -> dict[int, str]:
    """Class names from the raster attribute table of ``<raster>.aux.xml`` (as written by
    ``ecociv.grid.write``): in English without the CJK words that matplotlib's default font
    cannot draw, or (``lang`` "zh") the Chinese words of a bilingual name."""
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
        name = cells[fields.index("Name")]
        if lang == "zh":
            names[code] = " ".join(chinese_part(name).split())
            continue
        latin = "".join(ch for ch in name if ord(ch) < 0x2E80)
        names[code] = " ".join(latin.split())
    return names


#: colour maps of continuous quantities, by a word of the map's title or units (first match)
SEQUENTIAL = (("water", "YlGnBu"), ("precip", "YlGnBu"), ("evapo", "YlGnBu"),  # word stems
              ("carbo", "YlGn"), ("habitat", "YlGn"), ("vegetation", "YlGn"), ("soil", "YlOrBr"),
              ("sand", "YlOrBr"), ("erosion", "YlOrBr"), ("temperature", "YlOrRd"))
#: a map of a change (scenario minus baseline) uses a diverging scale centred on zero
DIFFERENCE_WORDS = ("change", "difference", "delta", "minus")
OUTSIDE_GREY = "#d9d9d9"
#: most entries of a class legend (more classes are counted, not listed)
MAX_LEGEND = 24
#: PNG maps of the Belt take its layers, graticule, scale bar and north arrow from an image drawn
#: once per process and grid (False: drawn on every map; the pixels differ by antialiasing only)
OVERLAY_PNG = True


def _sequential(title: str, units: str | None) -> str:
    text = f"{title} {units or ''}".lower()
    return next((cmap for word, cmap in SEQUENTIAL if word in text), "viridis")


def _read(raster: str | Path, categorical: bool) -> dict[str, Any]:
    with rasterio.open(raster) as src:
        factor = max(1, math.ceil(max(src.width, src.height) / MAX_PIXELS))
        if src.count > 1:
            factor = max(factor, math.ceil(max(src.width, src.height) / 400))
        shape = (src.count, max(1, src.height // factor), max(1, src.width // factor))
        resampling = rasterio.enums.Resampling.nearest if categorical else rasterio.enums.Resampling.average
        data = _read_masked(src, shape, resampling)
        bounds = (src.bounds.left, src.bounds.bottom, src.bounds.right, src.bounds.top)
        try:
            colour_table = src.colormap(1) if categorical else {}
        except ValueError:  # no colour table
            colour_table = {}
        transform = src.transform * src.transform.scale(src.width / shape[2], src.height / shape[1])
        return {"data": data, "bounds": bounds, "crs": src.crs, "shape": shape,
                "descriptions": [d or f"band {i + 1}" for i, d in enumerate(src.descriptions)],
                "colour_table": colour_table, "transform": transform}


def _read_masked(src: Any, shape: tuple[int, int, int], resampling: Any) -> np.ma.MaskedArray:
    """``src.read(out_shape=shape, masked=True, resampling=resampling)``, faster where the mask
    is the nodata value (or there is none): GDAL leaves nodata cells out of the resampling either
    way, and reading the mask band as well took 3-5 × as long (the same values and mask on every
    raster of the Belt demo, both resamplings)."""
    from rasterio.enums import MaskFlags

    simple = {MaskFlags.nodata}, {MaskFlags.all_valid}
    if not all(set(flags) in simple for flags in src.mask_flag_enums):
        return src.read(out_shape=shape, masked=True, resampling=resampling)
    data = src.read(out_shape=shape, masked=False, resampling=resampling)
    nodata = src.nodata
    if nodata is None:
        return np.ma.masked_array(data, mask=np.zeros(data.shape, dtype=bool))
    if np.isnan(nodata):
        mask = np.isnan(data)
    else:
        mask = data == np.asarray(nodata).astype(data.dtype)
    return np.ma.masked_array(data, mask=mask)


def colour_limits(values: np.ma.MaskedArray, *, diverging: bool) -> tuple[float, float]:
    """Colour-scale limits: the 2nd and 98th percentiles of the shown values, or for a change
    (``diverging``) ± the larger of their magnitudes, so that zero sits in the middle."""
    low, high = (np.percentile(values.compressed(), [2, 98]) if values.count() else (0.0, 1.0))
    if diverging:
        reach = max(abs(float(low)), abs(float(high))) or 1.0
        return -reach, reach
    return float(low), float(high) if high > low else float(low) + 1.0


def render_map(raster: str | Path, png: str | Path, *, title: str, units: str | None,
               categorical: bool = False, band_labels: list[str] | None = None,
               diverging: bool | None = None, when: str | None = None,
               source: str | None = None, lang: str = "en") -> Path:
    """Write a PNG map of a GeoTIFF a planner can put in a document as it is.

    On a raster of the Belt: the Belt outline, prefecture and county boundaries, lakes, the main
    cities' and lakes' names, a longitude/latitude graticule, the window cropped to the Belt and
    the outside greyed. Always: title (with ``when``), legend with class names (categorical) or
    units (continuous), scale bar, true-north arrow and a source line (``source`` plus the
    reference layers' sources). ``diverging`` (default: the title says change/difference) draws a
    red-blue scale centred on zero. A multi-band raster becomes small multiples (one panel per
    band, ``band_labels`` as panel titles) sharing one colour scale. ``lang`` "zh" writes the
    legend, source line and place names in Chinese (``title``, ``when`` and ``band_labels`` are
    drawn as given) with an installed CJK font; without one it raises OutputError.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if lang != "zh":
        return _render(raster, png, title=title, units=units, categorical=categorical,
                       band_labels=band_labels, diverging=diverging, when=when, source=source,
                       lang="en")
    from ecociv.report.charts import cjk_font

    family = cjk_font()
    if family is None:
        from ecociv.errors import OutputError

        raise OutputError("a map in Chinese needs a font with Chinese glyphs (e.g. Debian's "
                          "fonts-noto-cjk); none is installed")
    with plt.rc_context({"font.family": ["DejaVu Sans", family]}):
        return _render(raster, png, title=title, units=units, categorical=categorical,
                       band_labels=band_labels, diverging=diverging, when=when, source=source,
                       lang="zh")


def _render(raster: str | Path, png: str | Path, **options: Any) -> Path:
    """:func:`_draw` with a figure held from an earlier map where it can (:class:`_Reuse`)."""
    reuse = _Reuse()
    try:
        return _draw(raster, png, reuse=reuse, **options)
    except BaseException:
        reuse.drop()  # a figure left half-drawn is not used again
        raise
    finally:
        reuse.release()


def _draw(raster: str | Path, png: str | Path, *, title: str, units: str | None,
          categorical: bool, band_labels: list[str] | None, diverging: bool | None,
          when: str | None, source: str | None, lang: str, reuse: _Reuse) -> Path:
    import matplotlib.pyplot as plt

    from ecociv.report import basemap

    words = WORDS[lang]

    read = _read(raster, categorical)
    bounds, crs = read["bounds"], read["crs"]
    layers = basemap.layers_for(crs, bounds)
    window = basemap.crop_bounds(layers, bounds) if layers is not None else bounds
    class_names = _class_names(Path(raster), lang) if categorical else {}
    values = np.ma.masked_invalid(read["data"].astype(np.float64))
    if layers is not None:
        outside = basemap.outside_mask(layers, read["transform"], values.shape[1:])
        values = np.ma.masked_array(values, mask=np.ma.getmaskarray(values) | outside[None])
    bands = values.shape[0]
    png = Path(png)
    # a PNG of the Belt: the Belt's layers, graticule, scale bar and arrow come from an image
    # drawn once per process (:func:`_overlay`); another format (.svg, .pdf) draws them
    overlaid = OVERLAY_PNG and layers is not None and png.suffix.lower() == ".png"
    held = reuse.take(plt, window, categorical, lang, bands) if overlaid else None
    if held is None:
        figure, panels, legend_axes, width = _layout(plt, bands, window)
    else:
        figure, panels, legend_axes, width = held.figure, held.panels, held.legend_axes, held.width
    fresh = held is None or not held.ready  # the parts that are the same on every map: set up
    height = figure.get_figheight()
    extent = (bounds[0], bounds[2], bounds[1], bounds[3])
    text = f"{title} {raster}".lower()
    if diverging is None:
        diverging = not categorical and any(word in text for word in DIFFERENCE_WORDS)
    codes = np.array([0])
    colours: list[Any] = []
    if categorical:
        codes = np.unique(values.compressed()).astype(int) if values.count() else np.array([0])
        table = read["colour_table"]
        if table and all(int(code) in table for code in codes):
            colours = [tuple(v / 255 for v in table[int(code)]) for code in codes]
        else:
            palette = plt.get_cmap("tab20")
            colours = [palette(i % 20) for i in range(len(codes))]
        from matplotlib.colors import ListedColormap

        cmap: Any = ListedColormap(colours)
        limits: dict[str, Any] = {"vmin": -0.5, "vmax": max(len(codes), 1) - 0.5}
        shown = np.ma.masked_array(np.searchsorted(codes, values.filled(codes[0])), mask=values.mask)
    else:
        low, high = colour_limits(values, diverging=bool(diverging))
        cmap = plt.get_cmap("RdBu_r" if diverging else _sequential(title, units))
        limits = {"vmin": low, "vmax": high}
        shown = values
    labels = band_labels or read["descriptions"]
    images = []
    for index, axes in enumerate(panels):
        if fresh:
            axes.set_facecolor(OUTSIDE_GREY if layers is not None else "white")
        if layers is not None and fresh:
            from matplotlib.collections import PolyCollection

            axes.add_collection(PolyCollection(layers.lines["outline"], facecolors="white",
                                               edgecolors="none", zorder=0.5), autolim=False)
        image = axes.imshow(shown[index], extent=extent, cmap=cmap, interpolation="nearest",
                            interpolation_stage="data",
                            zorder=1, **limits)
        images.append(image)
        axes.set_xlim(window[0], window[2])
        axes.set_ylim(window[1], window[3])
        axes.set_aspect("equal")
        if bands > 1:  # (a held figure's panels: the labels of this map's bands)
            axes.set_title(labels[index], fontsize=9)
        if not fresh:
            continue
        if bands > 1 or layers is not None:  # (a graticule replaces the map-metre ticks)
            axes.set_xticks([])
            axes.set_yticks([])
        if overlaid:  # the same on every map of the grid: drawn once, put over as pixels
            for spine in axes.spines.values():
                spine.set_visible(False)
            # no ticks nor labels (set above): the axes' axis objects would draw nothing
            axes.xaxis.set_visible(False)
            axes.yaxis.set_visible(False)
        else:
            _draw_static(axes, index, layers, window, crs, bands, lang)
    image = images[-1]
    if categorical:
        from matplotlib.patches import Patch

        handles = [Patch(facecolor=colour, edgecolor="#555555", linewidth=0.5,
                         label=f"{class_names[int(c)]} ({c})" if int(c) in class_names
                         else words["class"].format(code=c))
                   for c, colour in zip(codes, colours, strict=True)]
        if len(handles) > MAX_LEGEND:
            more = len(handles) - MAX_LEGEND + 1
            handles = [*handles[:MAX_LEGEND - 1], Patch(facecolor="white", edgecolor="none",
                                                       label=words["more"].format(n=more))]
        if layers is not None:
            handles.append(Patch(facecolor=OUTSIDE_GREY, edgecolor="none", label=words["outside"]))
        legend_axes.axis("off")
        legend_axes.legend(handles=handles, loc="center left", frameon=False, fontsize=8,
                           title=words["legend"], title_fontsize=9)
    elif held is not None and held.colorbar is not None:  # the held colour bar, new scale
        bar = held.colorbar
        bar.update_normal(image)
    else:
        if bands == 1:
            legend_axes.axis("off")
            bar_axes = legend_axes.inset_axes((0.05, 0.1, 0.12, 0.8))
        else:
            bar_axes = legend_axes
        bar = figure.colorbar(image, cax=bar_axes, extend="both")
        if held is not None:
            held.colorbar = bar
    if not categorical:
        quantity = words["change"] if diverging else words["value"]
        bar.set_label(f"{quantity} ({units or words['dimensionless']})")
    import textwrap

    heading = textwrap.fill(title if not when else f"{title}{words['sep']}{when}",
                            width=int((6 if lang == "zh" else 11) * width))
    figure.suptitle(heading, fontsize=12 if "\n" not in heading else 10.5, y=1 - 0.12 / height, va="top")
    line = _source_line(source, layers, lang)
    stamps = []
    if line is not None:
        wrapped = _wrapped(line, width, float(figure.dpi), 0.01, 6.5)
        if overlaid and STAMP_SOURCE and wrapped is not None:  # the same on a step's maps
            stamps.append(_source_stamp(wrapped, (float(figure.get_figwidth()), height),
                                        float(figure.dpi), 0.15 / height, _font_key()))
        else:
            credit = figure.text(0.01, 0.15 / height, line if wrapped is None else wrapped,
                                 **SOURCE_TEXT, wrap=wrapped is None)
            if held is not None:
                held.source = credit
    if overlaid:
        assert layers is not None
        key = (float(window[0]), float(window[1]), float(window[2]), float(window[3]))
        _save_overlaid(figure, png, *stamps, _overlay(layers.crs, key, bands, lang, _font_key()))
    else:  # PNG as maps are written; another suffix (.svg, .pdf) gives that format
        figure.savefig(png, **({"pil_kwargs": {"compress_level": PNG_COMPRESS_LEVEL}}
                               if png.suffix.lower() == ".png" else {}))
    if held is None:
        plt.close(figure)
    else:
        held.images, held.ready = images, True
    return png


#: PNG maps of the Belt reuse one figure per process, window, kind (continuous or classes) and
#: number of bands instead of laying out a new one (figure, panels, legend and colour-bar axes:
#: a fifth of a single-band map's CPU time, ~0.15 s of a 12-panel one): each map replaces the
#: raster images, the panel titles, the legend or the colour bar's scale, the title and the
#: source line; the pixels are those of a new figure (every demo map compared)
REUSE_FIGURES = True
#: most figures held per process
HELD_FIGURES = 6


@dataclass
class _Held:
    """A figure held for the next map of its kind, and its parts that change from map to map."""

    figure: Any
    panels: list[Any]
    legend_axes: Any
    width: float
    ready: bool = False  # the parts that do not change are set up
    images: list[Any] = field(default_factory=list)
    source: Any = None
    colorbar: Any = None


_held: dict[tuple[Any, ...], _Held] = {}
_held_lock = threading.Lock()


class _Reuse:
    """One map's claim on a held figure (one thread at a time draws in held figures; another
    thread, e.g. of a web server, lays out its own)."""

    def __init__(self) -> None:
        self.key: tuple[Any, ...] | None = None
        self.locked = False

    def take(self, plt: Any, window: tuple[float, float, float, float], categorical: bool,
             lang: str, bands: int = 1) -> _Held | None:
        """The held figure of this kind of map (``bands`` panels), emptied of the last map's
        rasters and source line (a new one if none is held), or None when figures are not
        reused or held by another thread."""
        if not REUSE_FIGURES or not _held_lock.acquire(blocking=False):
            return None
        self.locked = True
        self.key = (tuple(float(v) for v in window), bool(categorical), lang, _font_key(),
                    int(bands))
        held = _held.get(self.key)
        if held is None:
            if len(_held) >= HELD_FIGURES:
                for old in _held.values():
                    plt.close(old.figure)
                _held.clear()
            figure, panels, legend_axes, width = _layout(plt, bands, window)
            held = _held[self.key] = _Held(figure, panels, legend_axes, width)
        for image in held.images:
            image.remove()
        held.images = []
        if held.source is not None:
            held.source.remove()
            held.source = None
        return held

    def drop(self) -> None:
        """Forget the figure taken (after an error while drawing in it)."""
        if self.locked and self.key is not None:
            held = _held.pop(self.key, None)
            if held is not None:
                import matplotlib.pyplot as plt

                plt.close(held.figure)

    def release(self) -> None:
        if self.locked:
            self.locked = False
            _held_lock.release()


def _save_overlaid(figure: Any, png: Path, *layers: tuple[np.ndarray, ...]) -> None:
    """Draw ``figure``, put ``layers`` (:func:`_overlay`, :func:`_source_stamp`) over it in
    turn ("over" compositing of straight alpha, as Agg draws) and write the PNG: the pixels
    ``savefig`` would write, encoded by :func:`ecociv.report.png.write_png` (unfiltered rows,
    RGB when opaque)."""
    import matplotlib

    from ecociv.report.png import write_png

    figure.canvas.draw()
    pixels = np.asarray(figure.canvas.buffer_rgba())
    flat = pixels.reshape(-1, 4)
    for shape, index, weighted, rest in layers:
        if tuple(pixels.shape[:2]) != tuple(shape):  # pragma: no cover - the same layout, always
            raise RuntimeError("map overlay drawn at another size")
        under = flat[index, :3].astype(np.uint32)
        flat[index, :3] = ((weighted + under * rest[:, None] + 127) // 255).astype(np.uint8)
    write_png(png, pixels, dpi=figure.dpi,
              software=f"Matplotlib version{matplotlib.__version__}, https://matplotlib.org/")


#: resolution of the map figures (dots per inch)
MAP_DPI = 110


def _figure_size(bands: int, window: tuple[float, float, float, float]) -> tuple[
        int, int, float, float]:
    """Panel columns, panel rows, width and height (inches) of a map's figure for ``bands``
    panels of ``window``."""
    columns = 1 if bands == 1 else min(4, bands)
    rows = -(-bands // columns)
    aspect = (window[3] - window[1]) / max(window[2] - window[0], 1e-9)
    width = 10.0 if bands == 1 else 14.0
    map_width = width * (0.66 if bands == 1 else 0.85)
    height = min(14.0, map_width / columns * rows * aspect + 1.2)
    return columns, rows, width, height


def _source_line(source: str | None, layers: Any, lang: str) -> str | None:
    """A map's source line: ``source`` and the reference layers' sources (None when neither)."""
    layer_source = (LAYER_SOURCE[lang] if layers.source == LAYER_SOURCE["en"] else layers.source
                    ) if layers is not None else None
    credits = ("；" if lang == "zh" else "; ").join(part for part in (source, layer_source) if part)
    return WORDS[lang]["source"].format(text=credits) if credits else None


def _layout(plt: Any, bands: int, window: tuple[float, float, float, float]) -> tuple[
        Any, list[Any], Any, float]:
    """A map's figure for ``bands`` panels of ``window``: the figure, its map panels, the legend
    axes and the figure's width (inches)."""
    columns, rows, width, height = _figure_size(bands, window)
    figure = plt.figure(figsize=(width, height), dpi=MAP_DPI)
    if bands == 1:
        grid_spec = figure.add_gridspec(1, 2, width_ratios=(0.74, 0.26), left=0.06, right=0.98,
                                        bottom=0.8 / height, top=1 - 0.75 / height, wspace=0.04)
        panels = [figure.add_subplot(grid_spec[0, 0])]
        legend_axes = figure.add_subplot(grid_spec[0, 1])
    else:
        grid_spec = figure.add_gridspec(rows, columns + 1, width_ratios=(*([1.0] * columns), 0.08),
                                        left=0.03, right=0.93, bottom=0.6 / height,
                                        top=1 - 0.7 / height, wspace=0.05, hspace=0.15)
        panels = [figure.add_subplot(grid_spec[i // columns, i % columns]) for i in range(bands)]
        legend_axes = figure.add_subplot(grid_spec[:, columns])
    return figure, panels, legend_axes, width


def _draw_static(axes: Any, index: int, layers: Any, window: tuple[float, float, float, float],
                 crs: Any, bands: int, lang: str) -> None:
    """What a map panel shows whatever the raster: the Belt's layers, the graticule (one
    panel), and on the first panel the scale bar and the north arrow."""
    from ecociv.report import basemap

    if layers is not None:
        basemap.draw_layers(axes, layers, names=bands == 1, lang=lang)
    if bands == 1 and crs is not None:
        basemap.draw_graticule(axes, crs, window)
    if index == 0:
        _decorate(axes, window, crs)


def _font_key() -> tuple[str, ...]:
    import matplotlib

    return tuple(matplotlib.rcParams["font.family"])


@functools.lru_cache(maxsize=4)
def _overlay(crs_wkt: str, window: tuple[float, float, float, float], bands: int, lang: str,
             fonts: tuple[str, ...]) -> tuple[np.ndarray, ...]:
    """The static part of every map of a Belt grid (:func:`_draw_static` and the panels'
    frames), drawn once per process on a transparent figure laid out as the maps are, so that
    the boundaries, labels, graticule, scale bar and north arrow are not drawn again for every
    map. Returned ready to composite: the image's (rows, columns), the flat indices (rows from
    the top) of the pixels it covers, their colour × alpha (× 3 channels) and 255 - alpha. ``fonts``: the font families
    in effect (part of the cache key)."""
    import matplotlib.pyplot as plt

    from ecociv.report import basemap

    layers = basemap.belt_layers(crs_wkt)
    figure, panels, legend_axes, _ = _layout(plt, bands, window)
    figure.patch.set_visible(False)
    legend_axes.set_visible(False)
    for index, axes in enumerate(panels):
        axes.patch.set_visible(False)
        axes.set_xlim(window[0], window[2])
        axes.set_ylim(window[1], window[3])
        axes.set_aspect("equal")
        axes.set_xticks([])
        axes.set_yticks([])
        _draw_static(axes, index, layers, window, crs_wkt, bands, lang)
    figure.canvas.draw()
    rgba = np.array(figure.canvas.buffer_rgba())
    plt.close(figure)
    return _composite_parts(rgba)


def _composite_parts(rgba: np.ndarray) -> tuple[np.ndarray, ...]:
    """An RGBA image drawn on a transparent figure, ready to put over a map's pixels: its
    (rows, columns), the flat indices of the pixels it covers, their colour × alpha (× 3
    channels) and 255 - alpha (read-only)."""
    flat = rgba.reshape(-1, 4).astype(np.uint32)
    covered = np.flatnonzero(flat[:, 3])
    alpha = flat[covered, 3]
    parts = (np.array(rgba.shape[:2]), covered, flat[covered, :3] * alpha[:, None], 255 - alpha)
    for part in parts:
        part.flags.writeable = False
    return parts


#: how a map's source line is drawn (the rotation mode is the one matplotlib's wrapping sets)
SOURCE_TEXT: dict[str, Any] = {"fontsize": 6.5, "color": "#444444", "ha": "left", "va": "bottom",
                               "rotation_mode": "anchor"}
#: PNG maps of the Belt take their source line (the same on every map of a step) from an image
#: drawn once per process and line (:func:`_source_stamp`) instead of drawing its ~200 glyphs on
#: every map (False: drawn on every map)
STAMP_SOURCE = True


@functools.lru_cache(maxsize=64)
def _source_stamp(text: str, size: tuple[float, float], dpi: float, y: float,
                  fonts: tuple[str, ...]) -> tuple[np.ndarray, ...]:
    """A map's source line ``text`` (wrapped already) at figure fraction (0.01, ``y``) of a
    figure of ``size`` inches at ``dpi``, drawn once on a transparent figure, as
    :func:`_composite_parts` returns it. ``fonts``: the font families in effect (cache key)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=size, dpi=dpi)
    canvas = FigureCanvasAgg(figure)
    figure.patch.set_visible(False)
    figure.text(0.01, y, text, **SOURCE_TEXT)
    canvas.draw()
    return _composite_parts(np.array(canvas.buffer_rgba()))


#: zlib level of the PNG files: 3 writes files as small as the default 6 here, in two thirds of
#: the time (the pixels are the same at every level)
PNG_COMPRESS_LEVEL = 3


@functools.lru_cache(maxsize=64)
def _wrapped(text: str, width: float, dpi: float, x: float, fontsize: float) -> str | None:
    """``text`` with the line breaks matplotlib's ``wrap=True`` puts in a figure text at ``x``
    (figure fraction, left-aligned) of a figure ``width`` inches wide: the same lines, found once
    per process instead of once per map (wrapping measures every prefix of every line). None
    when this matplotlib does not expose its wrapping (the caller then lets it wrap).

    Lines that fit whole are measured once: matplotlib breaks a line before the first word at
    which the words so far are wider than the room, and a line's words so far are never wider
    than the whole line (each word adds a space and its glyphs to the right), so a line that
    fits is kept as it is. On a Belt map's one-line source (~27 words) that is one measure
    instead of one per word."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, 1.0), dpi=dpi)
    canvas = FigureCanvasAgg(figure)
    artist = figure.text(x, 0.1, text, fontsize=fontsize, ha="left", va="bottom", wrap=True)
    try:
        artist._renderer = canvas.get_renderer()  # type: ignore[attr-defined]
        room = artist._get_wrap_line_width()  # type: ignore[attr-defined]
        if all(artist._get_rendered_text_width(line) <= room  # type: ignore[attr-defined]
               for line in text.split("\n")):
            return text
        return str(artist._get_wrapped_text())  # type: ignore[attr-defined]
    except AttributeError:
        return None


@dataclass(frozen=True)
class MapJob:
    """One drawing of a step's maps, as :func:`step_map_jobs` plans it: a raster output's map
    (``render`` holds :func:`render_map`'s arguments) or what the model's ``report`` hook draws
    (``render`` is None; ``report``: that hook's ``module:name`` when it can be imported by it,
    so that a map worker process imports its module only, not the model's: the registry and
    ``water_allocation``'s model took ≈ 0.65 s of CPU in a Belt demo's map process). Picklable,
    so that map worker processes can draw it."""

    folder: Path
    manifest: Mapping[str, Any]
    render: Mapping[str, Any] | None = None
    report: str | None = None


def step_map_jobs(step_folder: str | Path, manifest: Mapping[str, Any], *, lang: str = "en",
                  png_folder: str | Path | None = None) -> list[MapJob]:
    """The maps :func:`write_step_maps` draws for a step, in its order, as independent jobs
    (``lang`` "zh": titles, months and source line in Chinese; ``png_folder``: where the PNG
    files go instead of the step folder)."""
    from ecociv.registry import get_model

    folder = Path(step_folder)
    model = get_model(manifest["model"]["id"])
    spec = model.spec
    words = WORDS["zh" if lang == "zh" else "en"]
    when = _when(manifest, lang)
    source = step_source(spec, manifest.get("step", folder.name), lang)
    target = Path(png_folder) if png_folder is not None else folder
    model_title = (getattr(spec, "title_zh", "") or spec.title) if lang == "zh" else spec.title
    jobs = []
    for output_id, meta in manifest.get("outputs", {}).items():
        if meta.get("type") != "raster":
            continue
        output = spec.output(output_id)
        labels = list(MONTHS[lang if lang == "zh" else "en"]) if getattr(output, "bands", None) == 12 else None
        english = getattr(output, "long_name", output_id)
        name = output_name(spec.id, output_id, english, lang)
        # a change map by its own name, not its model's (land-use *change* simulation)
        diverging = any(word in f"{output_id} {english}".lower() for word in DIFFERENCE_WORDS)
        render = {
            "raster": folder / meta["path"], "png": target / f"{output_id}.png",
            "title": words["title"].format(model=model_title, output=name),
            "units": meta.get("units"), "categorical": output.units is None,  # type: ignore[union-attr]
            "band_labels": labels, "when": when, "source": source,
            "diverging": diverging and output.units is not None}  # type: ignore[union-attr]
        if lang == "zh":
            render["lang"] = "zh"
        jobs.append(MapJob(folder, manifest, render=render))
    if model.report is not None:  # what the model draws beyond its raster maps (e.g. a network diagram)
        jobs.append(MapJob(folder, manifest, report=_hook_name(model.report)))
    return jobs


def _hook_name(hook: Any) -> str | None:
    """``module:qualified.name`` of a function that importing the module and looking the name up
    gives back (None for a lambda, a closure or another callable)."""
    module, name = getattr(hook, "__module__", None), getattr(hook, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(name, str) or "<" in name:
        return None
    try:
        return f"{module}:{name}" if _hook(f"{module}:{name}") is hook else None
    except AttributeError:
        return None


def _hook(name: str) -> Any:
    """The function :func:`_hook_name` named."""
    import importlib

    module, _, qualified = name.partition(":")
    found: Any = importlib.import_module(module)
    for part in qualified.split("."):
        found = getattr(found, part)
    return found


def step_source(spec: Any, step: str, lang: str = "en") -> str:
    """The source a step's maps name: the ecociv version, the model (``spec``) and the step."""
    from ecociv import __version__

    words = WORDS["zh" if lang == "zh" else "en"]
    return words["source_run"].format(
        version=__version__, model=f"{spec.id} {getattr(spec, 'version', '')}".rstrip(), step=step)


def draw_map_job(job: MapJob) -> list[Path]:
    """Draw one :class:`MapJob`; the written paths."""
    from ecociv.scenario.timeline import span

    name = f"{job.folder.name}/{Path(job.render['png']).name if job.render else 'report'}"
    with span("map", name):
        if job.render is not None:
            return [render_map(**job.render)]
        if job.report is not None:
            report = _hook(job.report)
        else:
            from ecociv.registry import get_model

            report = get_model(job.manifest["model"]["id"]).report
        return list(report(job.folder, job.manifest)) if report is not None else []


def write_maps_index(step_folder: str | Path, written: list[Path]) -> None:
    """``maps.json``: the names of a step's maps, in the order they were planned."""
    (Path(step_folder) / "maps.json").write_text(json.dumps([p.name for p in written], indent=2))


def write_step_maps(step_folder: str | Path, manifest: Mapping[str, Any]) -> list[Path]:
    """A PNG beside every raster output of a model run (``<output>.png``; a multi-band raster is
    drawn as small multiples, one panel per band), and what the model's ``report`` hook draws (e.g.
    a network diagram). Returns the written paths."""
    written = [path for job in step_map_jobs(step_folder, manifest) for path in draw_map_job(job)]
    write_maps_index(step_folder, written)
    return written


def map_workers() -> int:
    """How many processes draw maps in the background: ``$ECOCIV_MAP_WORKERS`` when set, else
    one per two available cores, at least 1 and at most 4 (the main process computes the steps
    meanwhile, several at once on as many cores; each map process costs ~1.5 s of CPU to start
    and holds its own copies of the Belt's layers: on 2 cores a Belt demo with two took 36.6-37.6
    s of CPU against 32.6 s with one, benchmarks/RESULTS.md)."""
    value = os.environ.get("ECOCIV_MAP_WORKERS", "").strip()
    if value:
        try:
            return max(1, int(value))
        except ValueError:
            raise InputError(f"expected a whole number of processes, got {value!r}",
                             source="ECOCIV_MAP_WORKERS") from None
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(4, cores // 2))


def warm_up(prime: tuple[tuple[str, bool], ...] = ()) -> None:
    """Import what drawing a map needs (a map worker process calls this while it waits for the
    first step, so that the first map does not pay for it). ``prime``: (layer id of the default
    dataset, categorical) pairs drawn as throwaway maps, which also reads the Belt's layers and
    draws the overlay of its grid (:func:`_overlay`) and loads the fonts ahead: the first map of
    a Belt demo took ~0.9 s of CPU instead of ~0.15 s, in the phase where the run's own process
    still plans on one core. A layer that cannot be drawn is passed over."""
    from ecociv.scenario.timeline import process_started, span

    process_started("map worker")
    with span("warm_up"):
        _warm_up()
    if prime:
        with span("prime_maps"):
            _prime(prime)


def prime_sources(raster: str | Path, sources: list[tuple[str, int]], lang: str = "en") -> None:
    """Wrap and draw ahead the source lines of the maps to come (:func:`_source_stamp`), for maps
    of rasters on the grid of ``raster``: ``sources`` holds (source, bands) pairs, the source a
    step's maps name (:func:`step_source`) and a band count of its rasters; for a band count
    above one, also lay out and hold the figure of such small multiples (:class:`_Reuse`) and
    draw their overlay (:func:`_overlay`). A map process calls this while it waits for the first
    step (the first map of each step then does not draw its line, ~30 ms of CPU, nor the first
    monthly map its layout and overlay, ~0.45 s). A head start only: any error is passed over
    (the maps meet it themselves)."""
    from ecociv.scenario.timeline import span

    with span("prime_sources"):
        try:
            _prime_sources(raster, sources, lang)
        except Exception:
            return


def _prime_sources(raster: str | Path, sources: list[tuple[str, int]], lang: str) -> None:
    import matplotlib.pyplot as plt

    from ecociv.report import basemap

    with rasterio.open(raster) as src:
        bounds = (src.bounds.left, src.bounds.bottom, src.bounds.right, src.bounds.top)
        layers = basemap.layers_for(src.crs, bounds)
    if layers is None or not (OVERLAY_PNG and STAMP_SOURCE):
        return  # the maps draw their source lines themselves
    window = basemap.crop_bounds(layers, bounds)
    for bands in sorted({bands for _, bands in sources if bands > 1}):
        # small multiples: their figure laid out and held, their overlay drawn (the first such
        # map took ~0.45 s of CPU more than the next for these)
        reuse = _Reuse()
        try:
            reuse.take(plt, window, False, lang, bands)
        finally:
            reuse.release()
        key = (float(window[0]), float(window[1]), float(window[2]), float(window[3]))
        _overlay(layers.crs, key, bands, lang, _font_key())
    for source, bands in sources:
        _, _, width, height = _figure_size(bands, window)
        line = _source_line(source, layers, lang)
        wrapped = _wrapped(line, width, float(MAP_DPI), 0.01, 6.5) if line is not None else None
        if wrapped is not None:  # the arguments :func:`_draw` stamps the line with
            _source_stamp(wrapped, (width, height), float(MAP_DPI), 0.15 / height, _font_key())


def _prime(layers: tuple[tuple[str, bool], ...]) -> None:
    import tempfile

    from ecociv.region.dataset import load_dataset

    try:
        dataset = load_dataset()
        with tempfile.TemporaryDirectory(prefix="ecociv-map-") as folder:
            for index, (layer_id, categorical) in enumerate(layers):
                render_map(dataset.layer(layer_id).path, Path(folder) / f"{index}.png",
                           title=layer_id, units=None if categorical else "1",
                           categorical=categorical)
    except Exception:  # a head start only: the run's maps meet any error themselves
        return


def _warm_up() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot

    from ecociv.report import basemap  # noqa: F401





def _when(manifest: Mapping[str, Any], lang: str = "en") -> str | None:
    """"run of <date>" from a step manifest, plus the year of a run that names one."""
    words = WORDS["zh" if lang == "zh" else "en"]
    started = str(manifest.get("started") or "")[:10]
    params = manifest.get("params") or {}
    year = next((params[k] for k in ("year", "target_year", "end_year") if k in params), None)
    parts = [words["year"].format(year=year) if year is not None else "",
             words["run_of"].format(date=started) if started else ""]
    return words["sep"].join(p for p in parts if p) or None
