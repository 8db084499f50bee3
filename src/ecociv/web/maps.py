"""Rasters for the browser: a PNG of the whole map and where to place it (corners in WGS 84)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any


def render_png(path: Path, band: int = 1, max_side: int = 1024) -> bytes:
    """A PNG of one band of a GeoTIFF, at most ``max_side`` pixels a side: viridis colours over
    the 2-98 % range of the valid cells, nodata transparent."""
    import numpy as np
    import rasterio
    from matplotlib import colormaps
    from PIL import Image

    with rasterio.open(path) as src:
        scale = max(1, int(np.ceil(max(src.width, src.height) / max_side)))
        shape = (max(1, src.height // scale), max(1, src.width // scale))
        data = src.read(band, out_shape=shape, masked=True).astype("float64")
    filled = data.filled(np.nan)
    valid = np.isfinite(filled)
    values = filled[valid]
    low, high = np.percentile(values, [2, 98]) if values.size else (0.0, 1.0)
    norm = np.clip((filled - low) / ((high - low) or 1.0), 0, 1)
    rgba = colormaps["viridis"](np.nan_to_num(norm), bytes=True)
    rgba[..., 3] = np.where(valid, 255, 0)
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, format="PNG")
    return buffer.getvalue()


def raster_info(path: Path) -> dict[str, Any]:
    """Size, CRS, nodata, value range of band 1 and the four corners in WGS 84 (top-left,
    top-right, bottom-right, bottom-left; the order of a MapLibre image source)."""
    import numpy as np
    import rasterio
    from rasterio.warp import transform as warp

    with rasterio.open(path) as src:
        scale = max(1, int(np.ceil(max(src.width, src.height) / 1024)))
        data = src.read(1, out_shape=(max(1, src.height // scale), max(1, src.width // scale)),
                        masked=True).astype("float64")
        left, bottom, right, top = src.bounds
        corners = None
        if src.crs is not None:
            lons, lats = warp(src.crs, "EPSG:4326", [left, right, right, left],
                              [top, top, bottom, bottom])
            corners = [[round(x, 6), round(y, 6)] for x, y in zip(lons, lats, strict=True)]
        values = data.compressed()
        values = values[np.isfinite(values)]
        return {"width": src.width, "height": src.height, "bands": src.count,
                "dtype": src.dtypes[0], "crs": src.crs.to_string() if src.crs else None,
                "nodata": src.nodata, "bounds": [left, bottom, right, top],
                "corners_wgs84": corners,
                "min": float(values.min()) if values.size else None,
                "max": float(values.max()) if values.size else None}


def geojson(path: Path, layer: str | None = None) -> str:
    """A GeoPackage layer as GeoJSON in WGS 84."""
    import geopandas as gpd

    frame = gpd.read_file(path, layer=layer) if layer else gpd.read_file(path)
    if frame.crs is not None:
        frame = frame.to_crs(4326)
    return str(frame.to_json())
