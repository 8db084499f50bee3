"""Polygons are burnt one call at a time (grid/burn.py): rasterio's rasterize hides a warning with
warnings.catch_warnings(), which is not thread-safe, so concurrent calls from dask threads let a
NotGeoreferencedWarning through to users (seen in `ecociv demo`)."""

from __future__ import annotations

import threading
import time
from typing import Any

import dask
import numpy as np
import pytest
import rasterio.features
from affine import Affine
from shapely.geometry import box

from ecociv.grid.ops import rasterize_zones
from ecociv.grid.spec import CHINA_ALBERS, GridSpec

GRID = GridSpec.from_crs(CHINA_ALBERS, Affine(10, 0, 0, 0, -10, 160), (16, 16))


def test_zone_rasters_never_burn_two_blocks_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    real = rasterio.features.rasterize
    inside, most = 0, 0
    guard = threading.Lock()

    def slow(shapes: Any, **kwargs: Any) -> np.ndarray:
        nonlocal inside, most
        with guard:
            inside += 1
            most = max(most, inside)
        time.sleep(0.005)  # long enough for another thread to come in
        try:
            return real(shapes, **kwargs)
        finally:
            with guard:
                inside -= 1

    monkeypatch.setattr(rasterio.features, "rasterize", slow)
    with dask.config.set(scheduler="threads", num_workers=4):
        zones = rasterize_zones([box(0, 80, 80, 160), box(40, 0, 160, 80)], GRID, (4, 4)).compute()
    assert most == 1
    assert zones[0, 0] == 1 and zones[15, 15] == 2  # the burn itself is unchanged
