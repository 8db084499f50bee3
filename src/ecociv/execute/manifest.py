"""The manifest of a run: model, inputs with their hashes, parameters, grid, outputs, notes,
timings and the versions of the packages that computed it."""

from __future__ import annotations

import os
import platform
import sys
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Future
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from ecociv import __version__
from ecociv.execute.load import LoadedInputs
from ecociv.grid.spec import GridSpec
from ecociv.spec import Model, ParamInput

_VERSIONED = ("numpy", "xarray", "dask", "rasterio", "pandas", "pyproj", "pint", "geopandas")


def json_default(value: Any) -> Any:
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return str(value)


def package_versions() -> dict[str, str]:
    """Versions of the packages that compute a run: the ``__version__`` of each one imported
    (the code that ran), else the installed distribution's (``importlib.metadata``, which
    scans the installed distributions: ~10 ms for the eight, ~0.5 ms without the imported)."""
    versions = {}
    for name in _VERSIONED:
        found = getattr(sys.modules.get(name), "__version__", None)
        if isinstance(found, str):
            versions[name] = found
            continue
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            continue
    return versions


def describe_later(grid: GridSpec) -> None:
    """Start :meth:`GridSpec.describe` of the run's grid in a background thread; the manifest
    then finds the description done (``GridSpec._crs_string`` is a cached property: a thread
    asking for it meanwhile waits for the value).

    The description names the CRS by an authority code when PROJ identifies one, a search of
    PROJ's database of 20-25 CPU-ms for a CRS without such a code (the Albers grids of the
    Belt), about half of it without the GIL. Started as the outputs' computation starts, it
    took 94 ms off the main thread's serial time around the computation, against 129 ms when
    the manifest described the grid itself and 100 ms when started with the run (medians of
    11 runs of ``water_yield`` 4000² Albers, load 4-5)."""
    threading.Thread(target=grid.describe, name="ecociv-grid-describe", daemon=True).start()


def build_manifest(
    model: Model,
    loaded: LoadedInputs,
    *,
    digests: Mapping[str, Future[str]],
    outputs: Mapping[str, Any],
    started: float,
    compute_seconds: float,
    scheduler_address: str | None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest of one run.

    Parameters
    ----------
    model
        The model that ran.
    loaded
        Its inputs (file paths, parameter values, grid, reading notes).
    digests
        BLAKE2b digests of the input files, by input id, being computed in the background.
    outputs
        What was written, by output id (type, file name, units, ...).
    started
        Wall-clock start of the run, seconds since the epoch.
    compute_seconds
        Time spent computing and writing, s.
    scheduler_address
        The dask scheduler used (None: local threads).
    extra
        Entries added at the top level (the scenario runner's step, cache key, ...).
    """
    spec = model.spec
    return {
        "model": {"id": spec.id, "version": spec.version, "title": spec.title,
                  "citation": spec.citation},
        "ecociv_version": __version__,
        "inputs": {name: {"path": str(Path(path).resolve()), "blake2b": digests[name].result()}
                   for name, path in loaded.files.items()},
        "params": {k: v for k, v in loaded.values.items()
                   if isinstance(spec.input(k), ParamInput)},
        "grid": loaded.grid.describe() if loaded.grid is not None else None,
        "outputs": dict(outputs),
        "notes": loaded.notes.messages,
        "timings_s": {"compute_and_write": round(compute_seconds, 3),
                      "total": round(time.time() - started, 3)},
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "scheduler": scheduler_address or "threads",
        "platform": {"python": platform.python_version(), "machine": platform.machine(),
                     "cpus": os.cpu_count()},
        "packages": package_versions(),
        **(extra or {}),
    }
