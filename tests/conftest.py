"""Shared fixtures: tiny rasters and tables written to a temporary folder."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from hypothesis import settings

from ecociv.grid.spec import CHINA_ALBERS

settings.register_profile("ci", max_examples=40, deadline=None)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

RasterMaker = Callable[..., Path]


@pytest.fixture
def make_raster(tmp_path: Path) -> RasterMaker:
    """Write a GeoTIFF: ``make_raster(values, name=, res=, nodata=, crs=, origin=)`` -> path.

    Default: China Albers (equal-area), 30 m cells, origin (0, 5 000 000).
    """
    counter = {"n": 0}

    def _make(
        values: np.ndarray,
        name: str | None = None,
        *,
        res: float = 30.0,
        nodata: float | None = None,
        crs: str | None = CHINA_ALBERS,
        origin: tuple[float, float] = (0.0, 5_000_000.0),
        dtype: str | None = None,
    ) -> Path:
        counter["n"] += 1
        array = np.asarray(values)
        path = tmp_path / f"{name or 'raster'}_{counter['n']}.tif"
        profile = {
            "driver": "GTiff",
            "width": array.shape[1],
            "height": array.shape[0],
            "count": 1,
            "dtype": dtype or str(array.dtype),
            "transform": Affine(res, 0, origin[0], 0, -res, origin[1]),
            "nodata": nodata,
        }
        if crs is not None:
            profile["crs"] = crs
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(array.astype(profile["dtype"]), 1)
        return path

    return _make


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write text to ``tmp_path/name`` and return the path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return _write

# the trading registry tests: a SQLite file or a PostgreSQL database per test (tests/ledger_helpers.py)
from tests.ledger_helpers import postgres_server, registry_db  # noqa: E402, F401
