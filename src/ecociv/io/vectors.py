"""Reading vector layers (GeoPackage, Shapefile, GeoJSON) onto the run's CRS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ecociv.errors import InputError, InputWarning
from ecociv.grid.io import ReadNotes
from ecociv.grid.spec import GridSpec
from ecociv.spec import VectorInput

_GEOMETRY_TYPES = {
    "polygon": {"Polygon", "MultiPolygon"},
    "line": {"LineString", "MultiLineString"},
    "point": {"Point", "MultiPoint"},
}


LAYER_SEPARATOR = "|layername="

#: What a vector input accepts, for messages.
VECTOR_FORMATS = "GeoPackage .gpkg, Shapefile .shp or GeoJSON .geojson"
_TABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".xls", ".xlsx", ".ods"}
_RASTER_SUFFIXES = {".tif", ".tiff", ".vrt", ".img", ".asc", ".nc", ".hdf", ".jp2"}


def split_layer(path: str | Path) -> tuple[Path, str | None]:
    """Split ``file.gpkg|layername=counties`` (the QGIS/OGR way of naming a layer of a
    multi-layer file) into the file and the layer name."""
    text = str(path)
    if LAYER_SEPARATOR in text:
        file, _, layer = text.partition(LAYER_SEPARATOR)
        return Path(file), layer
    return Path(text), None


def read_vector(path: str | Path, spec: VectorInput, grid: GridSpec, notes: ReadNotes,
                read: dict[Any, Any] | None = None) -> Any:
    """Read a vector layer, check geometry type and fields, reproject to the grid's CRS.

    ``read``: layers read before (by file and layer name, filled here), for a caller that
    checks several inputs reading one layer (a scenario's steps and their ``zones``): the layer
    is read once and each input checked on a copy of it."""
    import geopandas as gpd

    path, layer = split_layer(path)
    label = f"vector '{spec.id}' ({path}{'|layername=' + layer if layer else ''})"
    if not path.exists():
        raise InputError("file does not exist", source=label)
    if path.is_file() and path.stat().st_size == 0:
        raise InputError("file is empty", source=label)
    if path.is_dir() and not any(path.glob("*.shp")):
        raise InputError(f"is a folder; expected a {spec.geometry} vector file ({VECTOR_FORMATS})",
                         source=label)
    if path.suffix.lower() in _TABLE_SUFFIXES:
        raise InputError(f"is a table, not a vector file; expected a {spec.geometry} vector file "
                         f"({VECTOR_FORMATS})", source=label)
    if path.suffix.lower() in _RASTER_SUFFIXES:
        raise InputError(f"is a raster, not a vector file; expected a {spec.geometry} vector file "
                         f"({VECTOR_FORMATS}); polygonize it first (e.g. gdal_polygonize)",
                         source=label)
    key = ("layer", str(path), layer)
    if read is not None and key in read:
        return check_vector(read[key].copy(), spec, grid, notes, label=label)
    if layer is not None:
        import pyogrio

        available = [str(name) for name in pyogrio.list_layers(path)[:, 0]]
        if layer not in available:
            raise InputError(f"no layer '{layer}'; layers: {available}", source=label)
    try:
        frame = gpd.read_file(path, engine="pyogrio", layer=layer)
    except Exception as err:  # pyogrio raises DataSourceError and others
        reason = str(err).split("; It might help")[0]  # GDAL's hint about driver prefixes
        raise InputError(f"not a readable vector file ({reason}); expected a {spec.geometry} "
                         f"vector file ({VECTOR_FORMATS})", source=label) from err
    if read is not None and isinstance(frame, gpd.GeoDataFrame):
        read[key] = frame.copy()
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError(f"layer has no geometries; expected a {spec.geometry} vector file "
                         f"({VECTOR_FORMATS})", source=label)
    return check_vector(frame, spec, grid, notes, label=label)


def vector_columns(path: str | Path, spec: VectorInput, read: dict[Any, Any] | None = None) -> Any:
    """An empty frame with the fields of a vector layer (lower-cased, as :func:`read_vector`
    gives them) and ``attrs["source"]``: for checks of field names without reading features
    (``read`` as for :func:`read_vector`: the fields of a layer are looked up once)."""
    import pandas as pd
    import pyogrio

    file, layer = split_layer(path)
    key = ("fields", str(file), layer)
    if read is not None and key in read:
        fields = read[key]
    else:
        fields = pyogrio.read_info(file, layer=layer)["fields"]
        if read is not None:
            read[key] = fields
    frame = pd.DataFrame(columns=[str(f).lower() for f in fields])
    frame.attrs["source"] = f"vector '{spec.id}' ({file}{LAYER_SEPARATOR + layer if layer else ''})"
    return frame


def check_vector(frame: Any, spec: VectorInput, grid: GridSpec, notes: ReadNotes, *,
                 label: str) -> Any:
    """Check a GeoDataFrame's features, CRS, geometry type and fields against ``spec``;
    reproject it to the grid's CRS and repair invalid geometries (noted)."""
    if len(frame) == 0:
        raise InputError("layer has no features", source=label)
    if frame.geometry.isna().all():
        raise InputError(f"layer has no geometries; expected a {spec.geometry} vector file "
                         f"({VECTOR_FORMATS})", source=label)
    if frame.crs is None:
        raise InputError("layer has no coordinate reference system", source=label)
    types = set(frame.geometry.geom_type.dropna().unique())
    allowed = _GEOMETRY_TYPES[spec.geometry]
    if not types <= allowed:
        raise InputError(f"expected {spec.geometry} geometries, found {sorted(types)}", source=label)
    frame.columns = [c if c == frame.geometry.name else str(c).lower() for c in frame.columns]
    missing = [f.id for f in spec.fields if f.required and f.id not in frame.columns]
    if missing:
        raise InputError(f"missing field(s) {missing}; fields found: {list(frame.columns)}",
                         source=label)
    if not frame.crs.equals(grid.crs):
        notes.add(f"{label} reprojected from {frame.crs.to_string()} to the grid CRS")
        frame = frame.to_crs(grid.crs)
    invalid = ~frame.geometry.is_valid
    if invalid.any():
        from shapely import make_valid

        notes.add(f"vector '{spec.id}': {int(invalid.sum())} invalid geometries repaired (make_valid)")
        frame.loc[invalid, frame.geometry.name] = frame.geometry[invalid].apply(make_valid)
    warn_if_off_grid(frame, grid, label, notes)
    frame.attrs["source"] = label
    return frame


def warn_if_off_grid(frame: Any, grid: GridSpec, label: str, notes: ReadNotes | None = None) -> bool:
    """Warn (:class:`~ecociv.errors.InputWarning`, also noted for the manifest) when no feature
    of ``frame`` (in the grid's CRS) overlaps the run grid: every per-zone result would be empty.

    Returns whether some feature overlaps.
    """
    from shapely.geometry import box

    if frame.geometry.intersects(box(*grid.bounds)).any():
        return True
    message = (f"{label}: no feature overlaps the run grid (layer bounds "
               f"{tuple(round(float(b), 3) for b in frame.total_bounds)}, grid bounds "
               f"{tuple(round(float(b), 3) for b in grid.bounds)} in {grid.crs_label()}); "
               "results per zone will be empty (no cells, NaN)")
    if notes is not None:
        notes.add(message)
    import warnings

    warnings.warn(message, InputWarning, stacklevel=3)
    return False
