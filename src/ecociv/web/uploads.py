"""Checks of uploaded files before they are stored: name, size, type by content (magic bytes),
archives refused, and the checks the command line makes when it reads such a file (a GeoTIFF's
grid, a GeoPackage's layers, a CSV table, a scenario YAML)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from ecociv.errors import InputError

#: accepted extensions and the kind of content each must have
KINDS = {".tif": "geotiff", ".tiff": "geotiff", ".gpkg": "geopackage", ".csv": "csv",
         ".yaml": "yaml", ".yml": "yaml"}
MAX_BYTES = 512 * 1024 * 1024
MAX_TEXT_BYTES = 64 * 1024 * 1024
#: a raster may not declare more uncompressed bytes than this (decompression bombs), B
MAX_RASTER_BYTES = 8 * 1024**3
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,119}$")
_ARCHIVES = {b"PK\x03\x04": "zip", b"PK\x05\x06": "zip", b"\x1f\x8b": "gzip", b"BZh": "bzip2",
             b"\xfd7zXZ\x00": "xz", b"7z\xbc\xaf\x27\x1c": "7z", b"Rar!": "rar",
             b"\x28\xb5\x2f\xfd": "zstd"}
_TIFF = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")


def check_name(name: str) -> str:
    """The upload's file name if it is a plain name with an accepted extension."""
    if not name or "/" in name or "\\" in name or ".." in name or not _NAME.match(name):
        raise InputError(f"upload name {name!r}: give a plain file name (letters, digits, '_', "
                         "'.', '-'; no folders)")
    if name.endswith(".scenario.yaml"):
        raise InputError(f"upload name {name!r}: names ending in .scenario.yaml are kept for "
                         "scenarios")
    suffix = Path(name).suffix.lower()
    if suffix not in KINDS:
        raise InputError(f"upload {name}: file type {suffix or '(none)'} is not accepted; "
                         f"expected one of {', '.join(sorted(KINDS))}")
    return name


def sniff(name: str, head: bytes) -> None:
    """Refuse content that does not match the extension (archives always)."""
    for magic, kind in _ARCHIVES.items():
        if head.startswith(magic):
            raise InputError(f"upload {name}: {kind} archives are not accepted; upload the "
                             "files themselves")
    kind = KINDS[Path(name).suffix.lower()]
    if kind == "geotiff" and not head.startswith(_TIFF):
        raise InputError(f"upload {name}: not a GeoTIFF (the file does not start with a TIFF "
                         "header)")
    if kind == "geopackage" and not (head.startswith(b"SQLite format 3\x00")
                                     and head[68:72] in (b"GPKG", b"GP10", b"GP11")):
        raise InputError(f"upload {name}: not a GeoPackage (no SQLite header with the GPKG "
                         "application id)")
    if kind in ("csv", "yaml"):
        if b"\x00" in head:
            raise InputError(f"upload {name}: not a text file (it contains NUL bytes)")
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as err:
            if err.start < len(head) - 4:  # a character cut by the end of the sample is fine
                raise InputError(f"upload {name}: not UTF-8 text (byte {err.start})") from None


def check_content(path: Path, name: str) -> None:
    """The checks the command line makes when it reads the file (same messages)."""
    kind = KINDS[path.suffix.lower()]
    if kind == "geotiff":
        import numpy as np
        import rasterio

        from ecociv.grid.io import grid_of

        grid_of(path, name=name)
        with rasterio.open(path) as src:
            size = src.width * src.height * src.count * np.dtype(src.dtypes[0]).itemsize
        if size > MAX_RASTER_BYTES:
            raise InputError(f"upload {name}: the raster declares {src.width} x {src.height} x "
                             f"{src.count} cells ({size / 1e9:.1f} GB uncompressed), more than "
                             f"{MAX_RASTER_BYTES / 1e9:.1f} GB")
    elif kind == "geopackage":
        _check_gpkg(path, name)
    elif kind == "csv":
        if path.stat().st_size > MAX_TEXT_BYTES:
            raise InputError(f"upload {name}: a CSV table may have at most "
                             f"{MAX_TEXT_BYTES // 1024**2} MB")
        import pandas as pd

        try:
            table = pd.read_csv(path)
        except (ValueError, UnicodeDecodeError) as err:
            raise InputError(f"upload {name}: not a readable CSV table: {err}") from None
        if table.columns.empty:
            raise InputError(f"upload {name}: the CSV table has no columns")
    else:
        import yaml

        if path.stat().st_size > 1024**2:
            raise InputError(f"upload {name}: a YAML file may have at most 1 MB")
        try:
            yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as err:
            raise InputError(f"upload {name}: not valid YAML: {err}") from None


def _check_gpkg(path: Path, name: str) -> None:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = connection.execute("SELECT table_name FROM gpkg_contents").fetchall()
        finally:
            connection.close()
    except sqlite3.DatabaseError as err:
        raise InputError(f"upload {name}: not a readable GeoPackage: {err}") from None
    if not rows:
        raise InputError(f"upload {name}: the GeoPackage has no layers")
    import pyogrio

    try:
        pyogrio.read_info(path)
    except Exception as err:
        raise InputError(f"upload {name}: not a readable GeoPackage: {err}") from None
