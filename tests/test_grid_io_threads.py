"""A raster opened while another thread warns: whether a file is georeferenced is told by the
file, not by the warnings recorded meanwhile (``warnings.catch_warnings(record=True)`` records
every thread's warnings). Two Belt demo steps at once failed on a sound input this way:
"raster is not georeferenced", while the other step burnt polygons (rasterio's in-memory
array warns of its missing geotransform)."""

from __future__ import annotations

import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.errors import NotGeoreferencedWarning

from ecociv.errors import InputError
from ecociv.grid.io import grid_of

from .conftest import RasterMaker


def test_a_warning_of_another_thread_does_not_unreference_a_sound_raster(
        make_raster: RasterMaker) -> None:
    path = make_raster(np.ones((8, 8), dtype="float32"), "sound", nodata=-1.0)
    stop = threading.Event()

    def warn_meanwhile() -> None:  # as rasterio does for a burn's in-memory array
        while not stop.is_set():
            warnings.warn("Dataset has no geotransform, gcps, or rpcs. The identity matrix "
                          "will be returned.", NotGeoreferencedWarning, stacklevel=1)

    other = threading.Thread(target=warn_meanwhile)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        other.start()
        try:
            grids = [grid_of(path, name="sound") for _ in range(300)]
        finally:
            stop.set()
            other.join()
    assert {g.transform for g in grids} == {grids[0].transform}
    assert not grids[0].transform.is_identity


def _unreferenced_raster(path: Path) -> Path:
    """A 4 × 3 GeoTIFF without a geotransform nor a CRS (a scan), written quietly."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path, "w", driver="GTiff", width=4, height=3, count=1,
                           dtype="uint8") as dst:
            dst.write(np.ones((1, 3, 4), dtype="uint8"))
    return path


def test_a_raster_without_a_geotransform_is_still_refused(tmp_path: Path) -> None:
    plain = _unreferenced_raster(tmp_path / "scan.tif")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no warning reaches the caller
        with pytest.raises(InputError, match="not georeferenced"):
            grid_of(plain, name="scan")


def test_a_georeferenced_raster_near_the_origin_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "origin.tif"
    with rasterio.open(path, "w", driver="GTiff", width=4, height=3, count=1, dtype="uint8",
                       crs="EPSG:4326", transform=Affine(1, 0, 0, 0, -1, 3)) as dst:
        dst.write(np.ones((1, 3, 4), dtype="uint8"))
    assert grid_of(path, name="origin").transform == Affine(1, 0, 0, 0, -1, 3)


def test_the_command_says_one_line_for_an_unreferenced_raster(tmp_path: Path) -> None:
    """As a whole process (stderr as the user sees it, no test harness capturing warnings): the
    read-ahead thread opens the input too, and rasterio's warning from there must not repeat
    the error."""
    import os
    import subprocess
    import sys

    import ecociv

    plain = _unreferenced_raster(tmp_path / "scan.tif")
    pools = Path(ecociv.__file__).parent / "data" / "example" / "carbon_pools_illustrative.csv"
    done = subprocess.run([sys.executable, "-m", "ecociv.cli.main", "model", "run", "carbon",
                           "--input", f"land_use={plain}", "--input", f"carbon_pools={pools}",
                           "--out", str(tmp_path / "out")], capture_output=True, text=True,
                          env={**os.environ, "PYTHONWARNINGS": "default"})
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: input 'land_use' ({plain}): raster is not georeferenced (no geotransform: cell "
        "size and position unknown); georeference it (e.g. QGIS Georeferencer, or `gdal_translate "
        "-a_ullr ... -a_srs EPSG:xxxx`) before using it"]
