"""Map tiles: a raster (any CRS) warped into the 256 × 256 PNG tiles of Web Mercator (XYZ, as
OpenStreetMap and Leaflet number them), with one colour scale per layer.

A layer's *style* is computed once from the whole raster and reused by every tile, so that
neighbouring tiles agree: continuous layers get a colour ramp between the 2nd and 98th percentiles
of the valid cells (± the larger magnitude for a change map, centred on zero), categorical layers
the colour and name of every class (from the GeoTIFF's raster attribute table or colour table as
``ecociv`` writes them, else from the class names of the dataset, coloured as
:func:`ecociv.grid.write.palette_classes` colours them). Nodata and everything outside the raster
are transparent; a tile that does not touch the raster has no content.

Tiles are made with GDAL's warper (``rasterio.vrt.WarpedVRT`` on the tile's grid): every tile pixel takes the value
of the source cell under its centre (nearest neighbour) when a tile pixel is no larger than a
source cell; when zoomed out, continuous layers take the mean and categorical ones the most
frequent class of the cells it covers.
"""

from __future__ import annotations

import hashlib
import io
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecociv.errors import InputError

TILE = 256
#: half the side of the Web Mercator square (EPSG:3857), m
HALF_WORLD = 20037508.342789244
MAX_ZOOM = 22
#: bump when the rendering changes, so that browsers drop their cached tiles
STYLE_VERSION = "1"
#: error allowed to GDAL's approximate transformer, in source cells: so small that every tile
#: pixel is transformed exactly (the default 0.125 moves cell edges by a few metres)
EXACT = 1e-9


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(left, bottom, right, top) of tile ``z/x/y`` in EPSG:3857 metres (y = 0 at the north)."""
    size = 2 * HALF_WORLD / 2**z
    left = -HALF_WORLD + x * size
    top = HALF_WORLD - y * size
    return left, top - size, left + size, top


def parse_tile(z: str, x: str, y: str) -> tuple[int, int, int]:
    """The integers of a tile address; InputError (HTTP 400) unless ``0 <= z <= 22`` and
    ``0 <= x, y < 2**z``."""
    try:
        zi, xi, yi = int(z), int(x), int(y)
    except ValueError:
        raise InputError(f"tile {z}/{x}/{y}: z, x and y must be whole numbers") from None
    if not 0 <= zi <= MAX_ZOOM:
        raise InputError(f"tile {z}/{x}/{y}: zoom z must be 0 to {MAX_ZOOM}")
    if not (0 <= xi < 2**zi and 0 <= yi < 2**zi):
        raise InputError(f"tile {z}/{x}/{y}: at zoom {zi}, x and y must be 0 to {2**zi - 1}")
    return zi, xi, yi


@dataclass(frozen=True)
class Style:
    """How a layer is coloured: ``kind`` continuous (``low``, ``high``, ``cmap``) or categorical
    (``classes`` = (code, name, '#rrggbb'))."""

    kind: str
    band: int
    key: str
    low: float = 0.0
    high: float = 1.0
    cmap: str = "viridis"
    classes: tuple[tuple[int, str, str], ...] = ()
    bounds_3857: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    bounds_wgs84: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    cell_size_3857: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def legend(self) -> dict[str, Any]:
        """What a legend needs (JSON): kind, band, limits and ramp colours, or the classes; the
        layer's WGS 84 bounds (west, south, east, north) and the zoom at which a tile pixel is
        about one cell."""
        from matplotlib import colormaps

        out: dict[str, Any] = {"kind": self.kind, "band": self.band,
                               "bounds_wgs84": [round(v, 6) for v in self.bounds_wgs84],
                               "native_zoom": native_zoom(self.cell_size_3857), **self.extra}
        if self.kind == "categorical":
            out["classes"] = [{"code": c, "name": n, "colour": k} for c, n, k in self.classes]
        else:
            ramp = colormaps[self.cmap]
            out.update(min=self.low, max=self.high, cmap=self.cmap,
                       ramp=[_hex(tuple(int(255 * v) for v in ramp(i / 8)[:3]))
                             for i in range(9)])
        return out


def native_zoom(cell_size: float) -> int:
    """The zoom whose tile pixels (at the equator) are no larger than ``cell_size`` m."""
    if cell_size <= 0:
        return 0
    return max(0, min(MAX_ZOOM, math.ceil(math.log2(2 * HALF_WORLD / TILE / cell_size))))


def _hex(rgb: tuple[int, ...]) -> str:
    return "#" + "".join(f"{int(v):02x}" for v in rgb[:3])


def rat_classes(path: Path, band: int = 1) -> tuple[tuple[int, str, str], ...]:
    """Classes (code, name, colour) of the raster attribute table in ``<path>.aux.xml`` (as
    ``ecociv.grid.write.write_class_sidecar`` writes it); empty when there is none."""
    from xml.etree import ElementTree as ET

    sidecar = path.with_name(path.name + ".aux.xml")
    if not sidecar.is_file():
        return ()
    try:
        root = ET.parse(sidecar).getroot()
    except ET.ParseError:
        return ()
    bands = [b for b in root.iterfind("PAMRasterBand") if b.get("band", "1") == str(band)]
    table = bands[0].find("GDALRasterAttributeTable") if bands else None
    if table is None:
        return ()
    fields = [f.findtext("Name") or "" for f in table.iterfind("FieldDefn")]
    if not {"Value", "Name"} <= set(fields):
        return ()
    out = []
    for row in table.iterfind("Row"):
        cells = [f.text or "" for f in row.iterfind("F")]
        try:
            code = int(cells[fields.index("Value")])
            rgb = tuple(int(cells[fields.index(c)]) for c in ("Red", "Green", "Blue"))
            colour = _hex(rgb)
        except (ValueError, IndexError):
            continue
        out.append((code, cells[fields.index("Name")], colour))
    return tuple(out)


def style_key(path: Path, band: int) -> str:
    """What identifies a layer's rendering: the file (path, modification time, size), the band
    and :data:`STYLE_VERSION`."""
    stat = path.stat()
    return f"{path.resolve()}|{stat.st_mtime_ns}|{stat.st_size}|{band}|{STYLE_VERSION}"


def make_style(path: Path, band: int = 1, *, categorical: bool = False,
               names: dict[int, str] | None = None, title: str = "",
               units: str | None = None) -> Style:
    """The style of band ``band`` of the raster ``path`` (InputError when the band does not
    exist). A raster with a raster attribute table or a colour table is categorical whatever
    ``categorical`` says; ``names`` name the classes of a categorical raster that has neither."""
    import numpy as np
    import rasterio
    from rasterio.warp import transform_bounds

    from ecociv.report.maps import DIFFERENCE_WORDS, _sequential, colour_limits

    with rasterio.open(path) as src:
        if not 1 <= band <= src.count:
            raise InputError(f"band must be 1 to {src.count}, got {band}")
        if src.crs is None:
            raise InputError(f"raster {path.name} has no coordinate system: it cannot be tiled")
        key = style_key(path, band)
        west, south, east, north = transform_bounds(src.crs, "EPSG:4326", *src.bounds,
                                                    densify_pts=21)
        south, north = max(south, -85.05), min(north, 85.05)
        bounds_3857 = transform_bounds("EPSG:4326", "EPSG:3857", west, south, east, north,
                                       densify_pts=21)
        cell = min((bounds_3857[2] - bounds_3857[0]) / src.width,
                   (bounds_3857[3] - bounds_3857[1]) / src.height)
        band_names = [d or f"band {i + 1}" for i, d in enumerate(src.descriptions)]
        common: dict[str, Any] = dict(band=band, bounds_3857=tuple(bounds_3857),
                                      bounds_wgs84=(west, south, east, north),
                                      cell_size_3857=cell,
                                      extra={"bands": src.count, "band_names": band_names})
        classes = rat_classes(path, band)
        if not classes:
            try:
                table = src.colormap(band)
            except ValueError:
                table = {}
            if table:
                found = _codes(src, band)
                classes = tuple((c, (names or {}).get(c, f"class {c}"), _hex(table[c]))
                                for c in found if c in table)
        scale = max(1, math.ceil(max(src.width, src.height) / 1024))
        shape = (max(1, src.height // scale), max(1, src.width // scale))
        if classes or categorical:
            if not classes:
                from ecociv.grid.write import palette_classes

                found = _codes(src, band)
                named = {c: (names or {}).get(c, f"class {c}") for c in found}
                named.update({c: n for c, n in (names or {}).items()})
                classes = palette_classes(named)
            return Style(kind="categorical", key=key, classes=tuple(classes), **common)
        data = src.read(band, out_shape=shape, masked=True).astype("float64")
    values = np.ma.masked_invalid(data)
    diverging = any(word in f"{title} {units or ''}".lower() for word in DIFFERENCE_WORDS)
    low, high = colour_limits(values, diverging=diverging)
    cmap = "RdBu_r" if diverging else _sequential(title, units)
    return Style(kind="continuous", key=key, low=float(low), high=float(high), cmap=cmap, **common)


def _codes(src: Any, band: int) -> list[int]:
    """The class codes present in band ``band`` (read whole: categorical rasters are small
    integers)."""
    import numpy as np

    data = src.read(band, masked=True)
    return [int(v) for v in np.unique(data.compressed())]


def render_tile(path: Path, style: Style, z: int, x: int, y: int) -> bytes | None:
    """The PNG of tile ``z/x/y`` of ``path`` in ``style``; None when the tile does not touch the
    raster or holds no valid cell."""
    import numpy as np
    import rasterio
    from PIL import Image
    from rasterio.enums import Resampling
    from rasterio.transform import from_bounds
    from rasterio.vrt import WarpedVRT

    left, bottom, right, top = tile_bounds(z, x, y)
    bl, bb, br, bt = style.bounds_3857
    if right <= bl or left >= br or top <= bb or bottom >= bt:
        return None
    pixel = (right - left) / TILE
    categorical = style.kind == "categorical"
    if pixel <= style.cell_size_3857 * 1.5:
        resampling = Resampling.nearest
    else:
        resampling = Resampling.mode if categorical else Resampling.average
    options: dict[str, Any] = dict(crs="EPSG:3857", width=TILE, height=TILE,
                                   transform=from_bounds(left, bottom, right, top, TILE, TILE),
                                   resampling=resampling, tolerance=EXACT)
    with rasterio.open(path) as src:
        if src.nodata is None:  # outside the raster is then told by an alpha band
            options["add_alpha"] = True
        with WarpedVRT(src, **options) as vrt:
            data = vrt.read(style.band, masked=True)
    values = np.ma.masked_invalid(data.astype("float64")).filled(np.nan)
    valid = np.isfinite(values)
    if not valid.any():
        return None
    rgba = np.zeros((TILE, TILE, 4), dtype="uint8")
    if categorical:
        for code, _, colour in style.classes:
            hit = valid & (values == code)
            rgba[hit] = (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16), 255)
    else:
        from matplotlib import colormaps

        span = (style.high - style.low) or 1.0
        norm = np.clip((np.where(valid, values, style.low) - style.low) / span, 0, 1)
        rgba = colormaps[style.cmap](norm, bytes=True)
        rgba[..., 3] = np.where(valid, 255, 0)
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


class TileCache:
    """A small thread-safe LRU of styles and tiles (at most ``max_bytes`` of PNG)."""

    def __init__(self, max_bytes: int = 64 * 1024**2, max_styles: int = 256):
        self._tiles: OrderedDict[str, bytes | None] = OrderedDict()
        self._styles: OrderedDict[str, Style] = OrderedDict()
        self._bytes = 0
        self.max_bytes, self.max_styles = max_bytes, max_styles
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def style(self, key: str, make: Any) -> Style:
        """The style cached under ``key`` (made by ``make()`` the first time)."""
        with self._lock:
            if key in self._styles:
                self._styles.move_to_end(key)
                return self._styles[key]
        made = make()
        with self._lock:
            self._styles[key] = made
            while len(self._styles) > self.max_styles:
                self._styles.popitem(last=False)
        return made

    def tile(self, key: str, make: Any) -> bytes | None:
        """The tile cached under ``key`` (made by ``make()`` when missing)."""
        with self._lock:
            if key in self._tiles:
                self._tiles.move_to_end(key)
                self.hits += 1
                return self._tiles[key]
            self.misses += 1
        made = make()
        with self._lock:
            if key not in self._tiles:
                self._tiles[key] = made
                self._bytes += len(made or b"")
            while self._bytes > self.max_bytes and self._tiles:
                _, old = self._tiles.popitem(last=False)
                self._bytes -= len(old or b"")
        return made


def etag(style: Style, z: int, x: int, y: int) -> str:
    """A strong ETag of one tile: the raster file (path, size, modification time), band,
    rendering version and tile address."""
    digest = hashlib.sha256(f"{style.key}|{z}/{x}/{y}".encode()).hexdigest()[:32]
    return f'"{digest}"'
