"""Multiplied copies of raster and table inputs, one per sample (an input's uncertainty as a
factor on every valid cell, or on one column of a table)."""

from __future__ import annotations

from pathlib import Path

from ecociv.errors import InputError


def write_multiplied(source: Path, factor: float, out: Path, *, column: str | None) -> Path:
    """Write ``source`` times ``factor`` to ``out`` (GeoTIFF for a raster, CSV for a table with
    ``column`` multiplied) and return ``out``; nodata cells stay nodata."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if column is not None:
        import pandas as pd

        frame = pd.read_csv(source)
        if column not in frame.columns:
            raise InputError(f"no column '{column}' to multiply (columns: {', '.join(frame.columns)})",
                             source=str(source))
        frame[column] = pd.to_numeric(frame[column]) * factor
        frame.to_csv(out, index=False)
        return out
    import numpy as np
    import rasterio

    with rasterio.open(source) as src:
        profile = src.profile.copy()
        data = src.read().astype("float32")
        nodata = src.nodata
    valid = np.isfinite(data) if nodata is None else (data != nodata) & np.isfinite(data)
    data = np.where(valid, data * np.float32(factor), data)
    profile.update(driver="GTiff", dtype="float32", compress="deflate", tiled=False)
    for key in ("blockxsize", "blockysize", "interleave"):
        profile.pop(key, None)
    with rasterio.open(out, "w", **profile) as dst:
        dst.write(data)
    return out
