"""Run every step of the Belt build and write sources.csv and dataset.yaml."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pandas as pd
import yaml

from .carbon_soc import build_carbon
from .common import CELL, MARGIN, Layer, Registry, china_albers, write_csv
from .rasters import build_rasters
from .region import build_units, grid_for, offset_checks, units_table
from .services import build_services
from .tables import build_tables
from .vectors import build_vectors

#: Fixed timestamp GDAL writes into GeoPackages, so that re-runs give identical files.
os.environ.setdefault("OGR_CURRENT_DATE", "2026-01-01T00:00:00Z")


def _step(name: str, start: float) -> float:
    now = time.perf_counter()
    print(f"[build] {name}: {now - start:.1f} s", flush=True)
    return now


def build(out: Path, external: Path, *, repo: Path) -> None:
    start = time.perf_counter()
    if out.exists():
        for path in out.iterdir():  # reference/: published figures curated by hand, kept
            if path.name != "reference":
                shutil.rmtree(path) if path.is_dir() else path.unlink()
        # except its gauge rows, which the calibration step after the build writes afresh (the
        # rebuilt sources.csv no longer lists them as the calibration's, so it would refuse them)
        (out / "reference" / "gauges.csv").unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    reg = Registry(out)
    albers = china_albers(repo)
    counties = build_units(reg, albers)
    t = _step("units", start)
    offset_checks(reg, albers)
    t = _step("offset checks", t)
    grid = grid_for(counties, albers, CELL, MARGIN)
    rasters = build_rasters(reg, grid, repo)
    t = _step("rasters", t)
    build_vectors(reg, grid, set(counties["adcode"]))
    t = _step("vectors", t)
    build_tables(reg, external, units_table())
    t = _step("tables", t)
    build_services(reg, grid, rasters)
    t = _step("ecosystem-service inputs", t)
    build_carbon(reg, grid, rasters)
    t = _step("soil organic carbon and carbon pools", t)
    _manifest(reg, grid)
    _step("manifest", t)
    total = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    print(f"[build] {len(list(out.iterdir()))} files, {total / 1e6:.2f} MB in {out}", flush=True)


def _manifest(reg: Registry, grid) -> None:
    for column, what in (("file", "file name in the dataset folder"),
                         ("item", "column, band, 'layer.field' or key described by the row"),
                         ("status", "real / derived / calibrated / literature_default / illustrative / "
                                    "reported / synthetic / metadata"),
                         ("units", "units of the item"), ("source", "package and version or external file"),
                         ("file_in_source", "file inside the package or source"),
                         ("license", "license of the source"), ("citation", "what to cite"),
                         ("processing", "processing steps"), ("resampling", "resampling to the grid")):
        reg.item(file="sources.csv", item=column, status="metadata", units="", source="this build",
                 file_in_source="", license="CC-BY-4.0 (this dataset)", citation="", processing=what)
    reg.item(file="dataset.yaml", item="layers", status="metadata", units="", source="this build",
             file_in_source="", license="CC-BY-4.0 (this dataset)", citation="",
             processing="manifest: grid, statuses, every layer with id, path, kind, units, status, "
                        "long_name, resampling; checks made during the build")
    rows = pd.DataFrame([vars(item) for item in reg.items])
    write_csv(rows, reg.out / "sources.csv")
    manifest = {
        "name": "belt",
        "title": "Tianshan Northern Slope Economic Belt (天山北坡经济带) - default dataset",
        "built_by": "scripts/build_default_dataset.py (see docs/data.md)",
        "crs": grid.crs,
        "grid": grid.describe(),
        "statuses": {
            "real": "observation or reanalysis as published, only cut, reprojected or resampled",
            "derived": "computed here from real layers (method in sources.csv)",
            "calibrated": "fitted to reference observations (objective and before/after in the "
                          "calibration report)",
            "literature_default": "a value per class taken from cited literature",
            "illustrative": "a placeholder value per class whose source could not be verified",
            "reported": "figures from secondary copies of published statistics, with their source",
            "synthetic": "generated (none in this dataset)",
            "metadata": "describes other items"},
        "metadata_files": ["sources.csv", "dataset.yaml"],
        "layers": [layer.as_dict() for layer in reg.layers],
        "checks": reg.checks,
    }
    text = yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False, width=100)
    (reg.out / "dataset.yaml").write_text(text, encoding="utf-8")


__all__ = ["Layer", "build"]
