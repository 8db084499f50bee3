"""Describing and exporting a dataset's layers (``ecociv data info`` / ``ecociv data export``)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import rasterio
import rasterio.shutil

from ecociv.grid.write import palette_classes, write_class_sidecar
from ecociv.io.atomic import atomic_folder
from ecociv.io.table_files import copy_csv
from ecociv.region.dataset import Dataset, Layer


def _source_of(layer: Layer, sources: list[dict[str, str]]) -> tuple[str, str]:
    rows = [r for r in sources if r.get("file") == layer.path.name]
    if layer.layer:
        named = [r for r in rows if str(r.get("item", "")).startswith(f"{layer.layer}")]
        rows = named or rows
    if not rows:
        return "", ""
    first = rows[0]
    return first.get("source", ""), first.get("license", "")


def _extent(layer: Layer) -> tuple[str, str]:
    if layer.kind == "raster":
        with rasterio.open(layer.path) as src:
            left, bottom, right, top = src.bounds
            bands = f", {src.count} bands" if src.count > 1 else ""
            # one convention everywhere: rows × columns, labelled (as `data info`'s grid line)
            return (f"{src.height} rows × {src.width} columns{bands}, "
                    f"{(top - bottom) / 1000:.0f} km N–S × {(right - left) / 1000:.0f} km E–W",
                    f"{abs(src.transform.a):g} m")
    if layer.kind == "vector":
        import pyogrio

        meta = pyogrio.read_info(layer.path, layer=layer.layer)
        return f"{meta['features']} features ({meta['geometry_type']})", ""
    frame = pd.read_csv(layer.path, nrows=100_000)
    return f"{len(frame)} rows × {len(frame.columns)} columns", ""


def describe_layers(dataset: Dataset) -> list[dict[str, Any]]:
    """One dict per layer: id, kind, status, units, extent, resolution, source, licence, path."""
    sources = dataset.sources()
    rows = []
    for layer in dataset.layers.values():
        source, license_text = _source_of(layer, sources)
        extent, resolution = _extent(layer)
        rows.append({"id": layer.id, "kind": layer.kind, "status": layer.status,
                     "units": layer.units or "—", "extent": extent, "resolution": resolution,
                     "source": source, "license": license_text, "path": str(layer.path),
                     "long_name": layer.long_name, "resampling": layer.resampling})
    return rows


def export_dataset(dataset: Dataset, out: str | Path, export_format: str) -> list[Path]:
    """Export rasters as COGs (``tif``) or vectors and tables as one GeoPackage (``gpkg``); the
    sources table is copied beside them in both cases."""
    import geopandas as gpd

    written: list[Path] = []
    out = Path(out)
    with atomic_folder(out) as tmp:
        if export_format == "tif":
            for layer in dataset.layers.values():
                if layer.kind != "raster":
                    continue
                target = tmp / f"{layer.id}.tif"
                # the dataset's rasters carry units, long_name, status and source tags, which
                # the COG copy keeps
                classes = layer.resampling in ("nearest", "mode")  # class codes
                rasterio.shutil.copy(str(layer.path), str(target), driver="COG", COMPRESS="DEFLATE",
                                     PREDICTOR="YES", OVERVIEWS="AUTO",
                                     OVERVIEW_RESAMPLING="MODE" if classes else "AVERAGE")
                names = layer.extra.get("classes")
                if classes and isinstance(names, dict) and all(
                        isinstance(code, int) for code in names):  # names and colours for QGIS
                    written.append(write_class_sidecar(target, palette_classes(names),
                                                       colour_table=True))
                written.append(target)
        else:
            target = tmp / f"{dataset.name}.gpkg"
            for layer in dataset.layers.values():
                if layer.kind == "vector":
                    frame = gpd.read_file(layer.path, layer=layer.layer)
                    frame.to_file(target, layer=layer.id, driver="GPKG", engine="pyogrio")
                elif layer.kind == "table":
                    table = pd.read_csv(layer.path)
                    import pyogrio

                    pyogrio.write_dataframe(table, target, layer=layer.id, driver="GPKG")
            written.append(target)
        copy_csv(dataset.root / "sources.csv", tmp / "sources.csv")
        shutil.copy2(dataset.root / "dataset.yaml", tmp / "dataset.yaml")
        written += [tmp / "sources.csv", tmp / "dataset.yaml"]
    return [out / p.name for p in written]


def status_counts(dataset: Dataset) -> dict[str, Any]:
    """How many layers (``dataset.yaml``) and items (``sources.csv`` rows: table columns, raster
    bands, vector fields) carry each status, and the illustrative share.

    Returns a dict with ``layers`` and ``items`` (status -> count, every status of
    :data:`~ecociv.region.dataset.STATUSES` present, zeros included) and, for each of the two,
    ``illustrative_share_pct``: illustrative / all non-metadata entries x 100 (``None`` when
    there are none). A status outside the known ones in ``sources.csv`` is an error naming its
    line.
    """
    from ecociv.errors import InputError
    from ecociv.region.dataset import STATUSES

    layers = dict.fromkeys(STATUSES, 0)
    for layer in dataset.layers.values():
        layers[layer.status] += 1
    items = dict.fromkeys(STATUSES, 0)
    for line, row in enumerate(dataset.sources(), start=2):
        status = (row.get("status") or "").strip()
        if status not in items:
            raise InputError(f"line {line}, column 'status': {status!r} is not a status; expected one "
                             f"of {', '.join(STATUSES)}", source=str(dataset.root / "sources.csv"))
        items[status] += 1
    return {"layers": layers, "items": items,
            "layers_illustrative_share_pct": _share(layers),
            "items_illustrative_share_pct": _share(items)}


def _share(counts: dict[str, int]) -> float | None:
    data = sum(n for status, n in counts.items() if status != "metadata")
    return round(100.0 * counts["illustrative"] / data, 1) if data else None
