"""The reference layers drawn on every map of the Belt: the Belt outline, prefecture and county
boundaries, main cities and lakes with their names, and a longitude/latitude graticule.

They are read once per process from the embedded Belt dataset (``units.gpkg`` layers
``counties`` and ``prefectures``, ``cities.gpkg``, ``lakes.gpkg`` with ``lake_names.csv``) and
drawn only on rasters that cover the Belt: a raster of another place (the synthetic example)
gets the scale bar, north arrow and legend but no borrowed boundaries.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ecociv.report.map_text import LAYER_SOURCE, han_name

#: share of the Belt outline that must lie inside a raster's bounds for the Belt layers to be drawn
MIN_OVERLAP = 0.2
#: cities labelled on a map: the most populous ones (GeoNames population)
CITY_LABELS = 12
#: simplification tolerance of drawn boundaries, metres (a map pixel is about 1 km)
SIMPLIFY_M = 400.0


@dataclass(frozen=True)
class BeltLayers:
    """The Belt's reference layers in one CRS, ready to draw (shapely geometries)."""

    crs: str
    outline: Any  # shapely (Multi)Polygon: union of the member units
    prefectures: list[Any]  # boundaries (lines)
    counties: list[Any]
    lakes: list[Any]  # polygons
    lake_names: list[tuple[float, float, str]]  # x, y, English name
    cities: list[tuple[float, float, str]]  # x, y, English name
    source: str  # source line of these layers
    lake_names_zh: tuple[str, ...] = ()  # Chinese names, in the order of lake_names
    cities_zh: tuple[str, ...] = ()  # Chinese names (GeoNames), in the order of cities

    @functools.cached_property
    def lines(self) -> dict[str, list[np.ndarray]]:
        """Vertex arrays of the drawn boundaries (read-only), made once per process: ``lakes``
        (rings), ``counties``, ``prefectures`` and ``outline``."""
        lines = {"lakes": _lines(self.lakes), "counties": _lines(self.counties),
                 "prefectures": _lines(self.prefectures), "outline": _lines([self.outline])}
        for arrays in lines.values():
            for array in arrays:
                array.flags.writeable = False
        return lines

    @functools.cached_property
    def _cache(self) -> dict[Any, Any]:
        """What maps of the same grid share: overlaps and outside masks, by grid."""
        return {}


@functools.lru_cache(maxsize=4)
def belt_layers(crs_wkt: str) -> BeltLayers | None:
    """The Belt's layers reprojected to ``crs_wkt``, or None when the dataset cannot be read
    (a broken installation must not cost a run its maps)."""
    try:
        return _read_layers(crs_wkt)
    except Exception:  # reference layers are decoration: the map is drawn without them
        return None


def _read_layers(crs_wkt: str) -> BeltLayers:
    import geopandas as gpd
    import pandas as pd
    from pyproj import Transformer
    from shapely.geometry import Point
    from shapely.ops import unary_union

    from ecociv.region.dataset import packaged_dataset_path

    folder = packaged_dataset_path()
    counties = gpd.read_file(folder / "units.gpkg", layer="counties").to_crs(crs_wkt)
    prefectures = gpd.read_file(folder / "units.gpkg", layer="prefectures").to_crs(crs_wkt)
    cities = gpd.read_file(folder / "cities.gpkg").to_crs(crs_wkt)
    lakes = gpd.read_file(folder / "lakes.gpkg").to_crs(crs_wkt)
    outline = unary_union(list(prefectures.geometry)).buffer(0)
    simplified = outline.simplify(SIMPLIFY_M)
    big = cities.sort_values("population", ascending=False)
    big = big[big.geometry.within(outline.buffer(20_000))].head(CITY_LABELS)
    names = pd.read_csv(folder / "lake_names.csv")
    to_map = Transformer.from_crs("EPSG:4326", crs_wkt, always_xy=True)
    near = outline.buffer(30_000)
    lake_labels, lake_zh = [], []
    for lon, lat, name, name_zh in zip(names["lon"], names["lat"], names["name_en"],
                                       names["name_zh"], strict=True):
        x, y = to_map.transform(float(lon), float(lat))
        if near.contains(Point(x, y)):
            lake_labels.append((float(x), float(y), str(name)))
            lake_zh.append(str(name_zh) if isinstance(name_zh, str) and name_zh else str(name))
    return BeltLayers(
        crs=crs_wkt, outline=simplified,
        prefectures=[g.boundary.simplify(SIMPLIFY_M) for g in prefectures.geometry],
        counties=[g.boundary.simplify(SIMPLIFY_M) for g in counties.geometry],
        lakes=[g.simplify(SIMPLIFY_M / 2) for g in lakes.geometry],
        lake_names=lake_labels,
        cities=[(g.x, g.y, str(n)) for g, n in zip(big.geometry, big["name"], strict=True)],
        source=LAYER_SOURCE["en"], lake_names_zh=tuple(lake_zh),
        cities_zh=tuple(han_name(z) or str(n) for n, z in zip(
            big["name"], big["names_zh"] if "names_zh" in big else [""] * len(big), strict=True)))


def layers_for(crs: Any, bounds: tuple[float, float, float, float]) -> BeltLayers | None:
    """The Belt's layers when a raster with ``crs`` and ``bounds`` covers enough of the Belt."""
    if crs is None:
        return None
    from shapely.geometry import box

    layers = belt_layers(crs.to_wkt() if hasattr(crs, "to_wkt") else str(crs))
    if layers is None or layers.outline.is_empty:
        return None
    key = ("overlap", tuple(bounds))
    if key not in layers._cache:
        inside = layers.outline.intersection(box(*bounds)).area
        layers._cache[key] = inside >= MIN_OVERLAP * layers.outline.area
    return layers if layers._cache[key] else None


def crop_bounds(layers: BeltLayers, bounds: tuple[float, float, float, float],
                margin: float = 0.03) -> tuple[float, float, float, float]:
    """The map window: the Belt outline's bounds within the raster's, with a small margin."""
    left, bottom, right, top = layers.outline.bounds
    pad = margin * max(right - left, top - bottom)
    return (max(bounds[0], left - pad), max(bounds[1], bottom - pad),
            min(bounds[2], right + pad), min(bounds[3], top + pad))


def _lines(geometries: list[Any]) -> list[np.ndarray]:
    out: list[np.ndarray] = []
    for geometry in geometries:
        parts = getattr(geometry, "geoms", [geometry])
        for part in parts:
            if hasattr(part, "exterior"):
                out.append(np.asarray(part.exterior.coords))
                out.extend(np.asarray(ring.coords) for ring in part.interiors)
            elif not part.is_empty:
                out.append(np.asarray(part.coords))
    return out


def outside_mask(layers: BeltLayers, transform: Any, shape: tuple[int, int]) -> np.ndarray:
    """True for the pixels of a (decimated) raster grid outside the Belt outline (read-only;
    made once per grid and process)."""
    from rasterio.features import geometry_mask

    key = ("outside", tuple(transform)[:6], tuple(shape))
    if key not in layers._cache:
        mask = geometry_mask([layers.outline], out_shape=shape, transform=transform, invert=False)
        mask.flags.writeable = False
        layers._cache[key] = mask
    return layers._cache[key]


def draw_layers(axes: Any, layers: BeltLayers, *, names: bool = True, lang: str = "en") -> None:
    """Lakes, county and prefecture boundaries, the Belt outline and (``names``) the labels of
    the main cities and lakes on ``axes``, in English or (``lang`` "zh") Chinese."""
    from matplotlib.collections import LineCollection, PolyCollection

    # the map window is set by the caller: no data limits to update (autolim)
    lines = layers.lines
    axes.add_collection(PolyCollection(lines["lakes"], facecolors="#9ecae1", edgecolors="#3182bd",
                                       linewidths=0.5, zorder=3), autolim=False)
    axes.add_collection(LineCollection(lines["counties"], colors="#777777", linewidths=0.3,
                                       zorder=4), autolim=False)
    axes.add_collection(LineCollection(lines["prefectures"], colors="#333333",
                                       linewidths=0.7, zorder=5), autolim=False)
    axes.add_collection(LineCollection(lines["outline"], colors="black", linewidths=1.4,
                                       zorder=6), autolim=False)
    if not names:
        return
    halo = _halo()
    xs = [c[0] for c in layers.cities]
    ys = [c[1] for c in layers.cities]
    axes.scatter(xs, ys, s=9, c="black", edgecolors="white", linewidths=0.5, zorder=7)
    chinese = lang == "zh"
    for index, (x, y, name) in enumerate(layers.cities):
        label = layers.cities_zh[index] if chinese and index < len(layers.cities_zh) else name
        axes.annotate(label, (x, y), xytext=(3, 2), textcoords="offset points", fontsize=6.5,
                      zorder=8, path_effects=halo, clip_on=True)
    for index, (x, y, name) in enumerate(layers.lake_names):
        label = layers.lake_names_zh[index] if chinese and index < len(layers.lake_names_zh) else name
        axes.text(x, y, label, fontsize=6.5, style="normal" if chinese else "italic",
                  color="#08519c", ha="center", va="center", zorder=8, path_effects=halo,
                  clip_on=True)


def _halo() -> list[Any]:
    from matplotlib import patheffects

    return [patheffects.withStroke(linewidth=2, foreground="white")]


def _step(span_degrees: float) -> float:
    for step in (0.5, 1.0, 2.0, 5.0, 10.0):
        if span_degrees / step <= 10:
            return step
    return 20.0


def draw_graticule(axes: Any, crs: Any, window: tuple[float, float, float, float]) -> None:
    """Meridians and parallels every 0.5–10° (about six of each) across the map window, labelled
    where they leave the frame (bottom and left); the axes' own ticks (map metres) are hidden."""
    left, bottom, right, top = window
    axes.set_xticks([])
    axes.set_yticks([])
    lines, bottom_labels, left_labels = _graticule(
        crs.to_wkt() if hasattr(crs, "to_wkt") else str(crs), tuple(window))
    style = {"color": "#999999", "linewidth": 0.4, "linestyle": ":", "zorder": 2}
    label = {"fontsize": 7, "color": "#444444", "clip_on": False}
    for x, y in lines:
        axes.plot(x, y, **style)
    for crossing, text in bottom_labels:
        axes.text(crossing, bottom, text, ha="center", va="top", **label)
    for crossing, text in left_labels:
        axes.text(left, crossing, text, ha="right", va="center", **label)
    axes.set_xlim(left, right)
    axes.set_ylim(bottom, top)


@functools.lru_cache(maxsize=16)
def _graticule(crs_wkt: str, window: tuple[float, float, float, float]) -> tuple[
        list[tuple[np.ndarray, np.ndarray]], list[tuple[float, str]], list[tuple[float, str]]]:
    """The graticule of a map window, computed once per process: the projected meridians and
    parallels (x, y), then the labels at the bottom edge (x, text) and at the left edge (y, text)."""
    from pyproj import CRS, Transformer

    left, bottom, right, top = window
    source = CRS.from_user_input(crs_wkt)
    if source.is_geographic:
        to_map = None
        lon0, lat0, lon1, lat1 = left, bottom, right, top
    else:
        to_geo = Transformer.from_crs(source, source.geodetic_crs, always_xy=True)
        to_map = Transformer.from_crs(source.geodetic_crs, source, always_xy=True)
        xs = np.concatenate([np.linspace(left, right, 20), np.full(20, right),
                             np.linspace(right, left, 20), np.full(20, left)])
        ys = np.concatenate([np.full(20, bottom), np.linspace(bottom, top, 20), np.full(20, top),
                             np.linspace(top, bottom, 20)])
        lons, lats = to_geo.transform(xs, ys)
        lon0, lon1, lat0, lat1 = np.min(lons), np.max(lons), np.min(lats), np.max(lats)
    step = _step(max(lon1 - lon0, lat1 - lat0))

    def project(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if to_map is None:
            return lon, lat
        x, y = to_map.transform(lon, lat)
        return np.asarray(x), np.asarray(y)

    lines: list[tuple[np.ndarray, np.ndarray]] = []
    bottom_labels: list[tuple[float, str]] = []
    left_labels: list[tuple[float, str]] = []
    for lon in np.arange(math.floor(lon0 / step) * step, lon1 + step, step):
        lats = np.linspace(lat0 - 1, lat1 + 1, 60)
        x, y = project(np.full_like(lats, lon), lats)
        lines.append((x, y))
        crossing = np.interp(bottom, y, x) if np.all(np.diff(y) > 0) else None
        if crossing is not None and left < crossing < right:
            bottom_labels.append((crossing, f"{lon:g}°E"))
    for lat in np.arange(math.floor(lat0 / step) * step, lat1 + step, step):
        lons = np.linspace(lon0 - 1, lon1 + 1, 60)
        x, y = project(lons, np.full_like(lons, lat))
        lines.append((x, y))
        crossing = np.interp(left, x, y) if np.all(np.diff(x) > 0) else None
        if crossing is not None and bottom < crossing < top:
            left_labels.append((crossing, f"{lat:g}°N "))
    for x, y in lines:
        x.flags.writeable = False
        y.flags.writeable = False
    return lines, bottom_labels, left_labels
