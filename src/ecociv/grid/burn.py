"""Burning polygons into arrays from several threads at once.

``rasterio.features.rasterize`` wraps the output array in a ``MemoryDataset`` whose opening is
wrapped in ``warnings.catch_warnings()`` to hide a NotGeoreferencedWarning that does not apply
(rasterio 1.4, ``_io.pyx``). ``catch_warnings`` saves and restores the process-wide warning
filters, so it is not thread-safe: when dask runs two such calls at once, one call restores the
filters while the other is still inside, and the other's NotGeoreferencedWarning reaches the user
(about one block in 10⁵; the result is right, the transform is set just after). ecociv burns
polygons in dask blocks (zone rasters, habitat access), so every call goes through one lock here.
The burn itself is fast next to the reductions that follow; only the burns are serialised.

The lock cannot stop a ``catch_warnings`` block of another library in another thread from
restoring the filters while a burn is inside rasterio's, so :func:`ignore_burn_warning` also
installs a standing filter for exactly that warning from ``rasterio.features`` (the in-memory
array, not a user's file: files without georeferencing are refused when they are opened).
"""

from __future__ import annotations

import threading
import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

_LOCK = threading.Lock()


def ignore_burn_warning() -> None:
    """Ignore rasterio's NotGeoreferencedWarning about the in-memory array of a burn.

    Call before threads start (the ``ecociv`` command does, and importing this module does):
    a filter added while another thread is inside ``catch_warnings`` may be undone on its exit.
    """
    warnings.filterwarnings("ignore", message="Dataset has no geotransform",
                            module=r"rasterio\.features")


ignore_burn_warning()


def rasterize(shapes: Any, **kwargs: Any) -> np.ndarray:
    """``rasterio.features.rasterize(shapes, **kwargs)``, one call at a time in this process."""
    from rasterio.features import rasterize as _rasterize

    with _LOCK:
        return _rasterize(shapes, **kwargs)
