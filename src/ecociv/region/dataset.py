"""A region dataset: a folder whose ``dataset.yaml`` lists every layer (id, path, kind, units,
status, resampling) and whose ``sources.csv`` gives the provenance of every file and column.

The embedded default is the Belt dataset (``src/ecociv/data/belt``), built from real data by
``scripts/build_default_dataset.py`` (see ``docs/data.md``).
"""

from __future__ import annotations

import csv
import difflib
from dataclasses import dataclass, field
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

from affine import Affine

from ecociv.errors import InputError
from ecociv.grid.spec import GridSpec
from ecociv.io.yaml_files import load_yaml

DEFAULT_DATASET = "belt"
STATUSES = ("real", "derived", "calibrated", "literature_default", "illustrative", "reported",
            "synthetic", "metadata")


def packaged_dataset_path(name: str = DEFAULT_DATASET) -> Path:
    """Folder of a dataset shipped inside the package (``belt``)."""
    with as_file(files("ecociv") / "data" / name) as path:
        return Path(path)


@dataclass(frozen=True)
class Layer:
    """One layer of a dataset as ``dataset.yaml`` describes it."""

    id: str
    path: Path
    kind: str
    units: str
    status: str
    long_name: str
    resampling: str
    layer: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def source(self) -> str:
        """The path to give an input: ``file|layername=x`` for one layer of a GeoPackage."""
        return f"{self.path}|layername={self.layer}" if self.layer else str(self.path)


@dataclass(frozen=True)
class Dataset:
    """A dataset folder, its layers and its grid."""

    root: Path
    name: str
    title: str
    layers: dict[str, Layer]
    meta: dict[str, Any]

    def layer(self, layer_id: str) -> Layer:
        """A layer by id; an unknown id names the closest ones."""
        if layer_id in self.layers:
            return self.layers[layer_id]
        close = difflib.get_close_matches(layer_id, list(self.layers), n=3)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise InputError(f"dataset '{self.name}' has no layer '{layer_id}'{hint} "
                         f"(layers: {', '.join(self.layers)})", source=str(self.root / "dataset.yaml"))

    @property
    def grid(self) -> GridSpec:
        """The grid every raster of the dataset is on."""
        grid = self.meta.get("grid") or {}
        try:
            transform = Affine(*[float(v) for v in grid["transform"]])
            return GridSpec.from_crs(grid["crs"], transform, (int(grid["rows"]), int(grid["cols"])))
        except (KeyError, TypeError, ValueError) as err:
            raise InputError(f"dataset.yaml 'grid' needs crs, transform, rows and cols ({err})",
                             source=str(self.root / "dataset.yaml")) from err

    def sources(self) -> list[dict[str, str]]:
        """Rows of ``sources.csv``."""
        with open(self.root / "sources.csv", encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))

    def check_sources(self) -> None:
        """Every file of every layer has at least one row in ``sources.csv``."""
        path = self.root / "sources.csv"
        if not path.is_file():
            raise InputError("sources table is missing: every dataset must say where each file "
                             "comes from", source=str(path))
        covered = {row.get("file", "") for row in self.sources()}
        for layer in self.layers.values():
            if layer.path.name not in covered:
                raise InputError(f"sources table has no entry for file '{layer.path.name}' "
                                 f"(layer '{layer.id}'); add a row with its source, licence, "
                                 "citation and processing", source=str(path))


def load_dataset(path: str | Path | None = None, *, check: bool = True) -> Dataset:
    """Load a dataset folder (default: the packaged Belt dataset).

    ``path`` may also be the name of a packaged dataset (``"belt"``). With ``check`` on, every
    layer's file must exist and have an entry in ``sources.csv``.
    """
    if path is None or str(path) == DEFAULT_DATASET:
        root = packaged_dataset_path()
    else:
        root = Path(path)
    manifest = root / "dataset.yaml"
    if not manifest.is_file():
        raise InputError("not a dataset folder: dataset.yaml is missing", source=str(root))
    meta = load_yaml(manifest, what="dataset manifest") or {}
    if not isinstance(meta, dict):
        raise InputError(f"expected a mapping with 'layers' and 'grid', got {type(meta).__name__}",
                         source=str(manifest))
    layers: dict[str, Layer] = {}
    for index, entry in enumerate(meta.get("layers") or []):
        try:
            layer = Layer(
                id=str(entry["id"]), path=root / str(entry["path"]), kind=str(entry["kind"]),
                units=str(entry.get("units", "")), status=str(entry["status"]),
                long_name=str(entry.get("long_name", "")),
                resampling=str(entry.get("resampling", "")), layer=entry.get("layer"),
                extra={k: v for k, v in entry.items()
                       if k not in {"id", "path", "kind", "units", "status", "long_name",
                                    "resampling", "layer"}},
            )
        except (KeyError, TypeError) as err:
            raise InputError(f"layers[{index}] lacks key {err}", source=str(manifest)) from err
        if layer.status not in STATUSES:
            raise InputError(f"layer '{layer.id}' has status '{layer.status}'; expected one of "
                             f"{', '.join(STATUSES)}", source=str(manifest))
        if layer.id in layers:
            raise InputError(f"layer id '{layer.id}' appears twice", source=str(manifest))
        layers[layer.id] = layer
    dataset = Dataset(root=root, name=str(meta.get("name", root.name)),
                      title=str(meta.get("title", "")), layers=layers, meta=meta)
    if check:
        for layer in layers.values():
            if not layer.path.is_file():
                raise InputError(f"layer '{layer.id}': file {layer.path.name} is missing",
                                 source=str(manifest))
        dataset.check_sources()
    return dataset
