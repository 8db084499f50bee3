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


def _burns_while_another_thread_saves_and_restores_filters(burns: int) -> list[str]:
    """Burn ``burns`` times while another thread keeps entering and leaving catch_warnings (as
    any library may do); return the NotGeoreferencedWarnings that reached the recorder."""
    import warnings

    from ecociv.grid.burn import rasterize

    stop = threading.Event()

    def churn() -> None:
        while not stop.is_set():
            with warnings.catch_warnings():
                time.sleep(0)

    with warnings.catch_warnings(record=True) as log:
        warnings.simplefilter("always")
        from ecociv.grid.burn import ignore_burn_warning

        ignore_burn_warning()
        thread = threading.Thread(target=churn)
        thread.start()
        try:
            for _ in range(burns):
                rasterize([(box(0, 0, 80, 80), 1)], out_shape=GRID.shape, transform=GRID.transform)
        finally:
            stop.set()
            thread.join()
    return [str(w.message) for w in log if "geotransform" in str(w.message)]


def test_no_georeferencing_warning_when_other_threads_restore_the_filters() -> None:
    # The lock serialises ecociv's own burns, but any other catch_warnings block (pandas, numpy,
    # dask...) in another thread can restore the filters while rasterio's own 'ignore' is in
    # place; the standing filter for this warning from rasterio.features keeps it out.
    assert _burns_while_another_thread_saves_and_restores_filters(2000) == []
