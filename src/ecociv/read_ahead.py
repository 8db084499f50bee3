"""Decoding input rasters while Python is still importing what a run needs.

A model run from the command line spends its first second importing (pandas, dask, xarray,
numba ...) on one core, while decoding its compressed inputs (LZW, DEFLATE: 1.7 s of CPU for the
five 4000² inputs of ``water_yield``) waits for the run to start. :func:`start` decodes the
single-band GeoTIFF inputs (those on the run's grid, when it is given) in a background thread
from the moment their paths are known, in the order a run reads them (bands of
:data:`BAND_ROWS` rows, first band of every file, then the second ...); GDAL releases the GIL
while it decodes, so the other core does it during the imports.
:class:`ecociv.grid.io.BlockReader` asks :func:`take` for each window before reading it: a
window made of decoded bands is handed over (and forgotten here), a band being decoded is waited
for, and a band not decoded yet is left to the reader (and never decoded here), so no cell is
decoded twice. What is decoded but not taken is at most ``$ECOCIV_READ_AHEAD_MB`` (default
:data:`READ_AHEAD_MB`) MiB and is dropped by :func:`finish`.

The values are the file's (its type, nodata not marked): the reader converts and marks them as
it does what it reads. A band is handed over only if the file has the same size and modification
time as when it was decoded.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Iterable
from typing import Any

# This thread opens an input before the run checks it (ecociv.grid.io), which refuses a raster
# without georeferencing with one error: rasterio's warning about it, from this thread, would only
# repeat it on the user's screen (a standing filter: catch_warnings is not thread-safe).
warnings.filterwarnings("ignore", message="Dataset has no geotransform", module="rasterio")

#: rows of one decoded band: the tile height of GeoTIFFs written by ecociv, InVEST and most GIS
#: tools, and the multiple of which ``ecociv.grid.io.read_chunks`` cuts rows into
BAND_ROWS = 256

#: default of ``$ECOCIV_READ_AHEAD_MB``: MiB of decoded bands waiting to be taken
READ_AHEAD_MB = 128

#: environment variable: MiB of decoded bands waiting to be taken (``0``: no read-ahead)
BUDGET_ENV = "ECOCIV_READ_AHEAD_MB"

_SUFFIXES = (".tif", ".tiff")

_ENGINE = "engine"  # a band the reader decodes itself


class _File:
    def __init__(self, path: str, stat: os.stat_result):
        self.path = path
        self.stamp = (stat.st_size, stat.st_mtime_ns)
        self.rows = 0
        self.cols = 0
        #: band number -> ndarray (decoded), threading.Event (being decoded) or _ENGINE
        self.bands: dict[int, Any] = {}
        #: band number -> cells of it handed over so far (a band leaves when all are)
        self.taken: dict[int, int] = {}


class _ReadAhead:
    def __init__(self, paths: list[str], budget: int, grid: str | None = None):
        self.grid = grid
        self.files: dict[str, _File] = {}
        for path in paths:
            try:
                real = os.path.realpath(path)
                self.files.setdefault(real, _File(real, os.stat(real)))
            except OSError:
                continue
        self.budget = budget
        self.held = 0
        self.stopped = False
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._run, name="ecociv-read-ahead", daemon=True)

    def _run(self) -> None:
        try:
            import rasterio
            from rasterio.windows import Window
        except ImportError:  # pragma: no cover - rasterio is a dependency
            return
        # uncompressed files read straight into the band's array, not through GDAL's block
        # cache, which would keep a second copy of every band until the files are closed (this
        # thread's own setting: rasterio sets it thread-local outside the main thread)
        with rasterio.Env(GTIFF_DIRECT_IO=True):
            self._decode(rasterio, Window)

    def _decode(self, rasterio: Any, window: Any) -> None:
        reference = None
        if self.grid is not None:
            try:
                with rasterio.open(self.grid) as src:
                    reference = _grid_key(src)
            except Exception:  # the run reports a grid it cannot read
                return
        readers = []
        for file in self.files.values():
            try:
                src = rasterio.open(file.path)
            except Exception:  # not a raster GDAL opens: the run will say so
                continue
            # one band only (a run reads several bands of a file at once) and, given a grid,
            # only files on it (others are resampled, not read by blocks)
            if (src.count != 1 or src.driver != "GTiff"
                    or (reference is not None and _grid_key(src) != reference)):
                src.close()
                continue
            file.rows, file.cols = src.height, src.width
            readers.append((file, src))
        try:
            bands = max((-(-file.rows // BAND_ROWS) for file, _ in readers), default=0)
            for band in range(bands):
                for file, src in readers:
                    if band * BAND_ROWS >= file.rows:
                        continue
                    with self.cond:
                        while not self.stopped and self.held >= self.budget:
                            self.cond.wait()
                        if self.stopped:
                            return
                        if band in file.bands:  # the reader got there first
                            continue
                        done = threading.Event()
                        file.bands[band] = done
                    height = min(BAND_ROWS, file.rows - band * BAND_ROWS)
                    try:
                        values = src.read(1, window=window(0, band * BAND_ROWS, file.cols, height))
                    except Exception:
                        values = None
                    with self.cond:
                        if values is None or self.stopped:
                            file.bands[band] = _ENGINE
                        else:
                            file.bands[band] = values
                            self.held += values.nbytes
                        done.set()
                        self.cond.notify_all()
        finally:
            for _, src in readers:
                src.close()

    def take(self, path: str, rows: tuple[int, int], cols: tuple[int, int]) -> Any:
        try:
            real = os.path.realpath(path)
            file = self.files.get(real)
            if file is None or not file.rows:
                return None
            stat = os.stat(real)
        except OSError:
            return None
        row0, row1 = rows
        col0, col1 = cols
        if (row0 % BAND_ROWS or (row1 % BAND_ROWS and row1 != file.rows) or row1 > file.rows
                or row0 >= row1 or not 0 <= col0 < col1 <= file.cols):
            return None
        wanted = range(row0 // BAND_ROWS, -(-row1 // BAND_ROWS))
        with self.cond:
            while True:
                states = [file.bands.get(band) for band in wanted]
                busy = [s for s in states if isinstance(s, threading.Event)]
                if not busy:
                    break
                self.cond.wait()
            if (file.stamp != (stat.st_size, stat.st_mtime_ns)
                    or any(s is None or isinstance(s, str) for s in states)):
                for band, state in zip(wanted, states, strict=True):
                    if state is None:
                        file.bands[band] = _ENGINE
                    elif not isinstance(state, str):
                        self._drop(file, band)
                return None
            parts = [file.bands[band][:, col0:col1] for band in wanted]
            for band in wanted:
                file.taken[band] = file.taken.get(band, 0) + file.bands[band].shape[0] * (col1 - col0)
                if file.taken[band] >= file.bands[band].size:
                    self._drop(file, band)
        if len(parts) == 1:  # a whole band is no longer held here; part of one is copied
            return parts[0] if col1 - col0 == file.cols else parts[0].copy()
        import numpy as np

        return np.concatenate(parts, axis=0)

    def _drop(self, file: _File, band: int) -> None:
        """Forget a decoded band (under ``self.cond``)."""
        values = file.bands.get(band)
        if values is not None and not isinstance(values, (str, threading.Event)):
            self.held -= values.nbytes
        file.bands[band] = _ENGINE
        file.taken.pop(band, None)
        self.cond.notify_all()

    def stop(self) -> None:
        with self.cond:
            self.stopped = True
            for file in self.files.values():
                for band in list(file.bands):
                    if not isinstance(file.bands[band], threading.Event):
                        self._drop(file, band)
            self.cond.notify_all()


def _grid_key(src: Any) -> tuple[Any, ...]:
    return (src.width, src.height, tuple(src.transform), src.crs.to_wkt() if src.crs else None)


_active: _ReadAhead | None = None


def budget_bytes() -> int:
    """Bytes of decoded bands that may wait: ``$ECOCIV_READ_AHEAD_MB`` MiB, else
    :data:`READ_AHEAD_MB` (a value that is not a number counts as 0: no read-ahead)."""
    setting = os.environ.get(BUDGET_ENV, "").strip()
    if not setting:
        return READ_AHEAD_MB * 2**20
    try:
        return max(0, int(float(setting) * 2**20))
    except ValueError:
        return 0


def start(paths: Iterable[str], grid: str | None = None) -> bool:
    """Start decoding the single-band GeoTIFFs among ``paths`` (others are ignored) in a
    background thread; given the path of a ``grid`` raster, only those on its grid.

    Returns whether a read-ahead started (not when one is running, the budget is 0 or no path
    names a GeoTIFF)."""
    global _active
    budget = budget_bytes()
    rasters = [str(p) for p in paths if str(p).lower().endswith(_SUFFIXES)]
    if _active is not None or budget <= 0 or not rasters:
        return False
    active = _ReadAhead(rasters, budget, None if grid is None else str(grid))
    if not active.files:
        return False
    _active = active
    active.thread.start()
    return True


def start_for_command(argv: list[str]) -> bool:
    """Start decoding the inputs of ``ecociv model run ...`` from the raw command line ``argv``
    (without the program name), before the command-line parser and its commands are imported
    (the ``run`` command itself starts it later otherwise: 0.07 s of a run's start).

    Only ``model run`` without ``--scheduler`` and ``--align`` (as the command does); the
    values of ``--input``/``-i`` (``--input NAME=PATH``, ``--input=NAME=PATH``, ``-iNAME=PATH``)
    and ``--grid``. A command line the parser later rejects stops at its error: the caller
    calls :func:`finish` in any case. Returns whether a read-ahead started."""
    if argv[:2] != ["model", "run"]:
        return False
    inputs: list[str] = []
    grid: str | None = None
    args = iter(argv[2:])
    for arg in args:
        if arg == "--":
            break
        name, equals, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name in ("--scheduler", "--align"):
            return False
        if name in ("--input", "--grid"):
            if not equals:
                value = next(args, "")
            if name == "--input":
                inputs.append(value)
            else:
                grid = value
        elif arg == "-i":
            inputs.append(next(args, ""))
        elif arg.startswith("-i") and not arg.startswith("--"):
            inputs.append(arg[2:])
    return start((text.partition("=")[2] for text in inputs), grid=grid)


def take(path: str, rows: tuple[int, int], cols: tuple[int, int]) -> Any:
    """The decoded cells of band 1 of ``path`` in ``rows`` × ``cols`` (``(start, stop)``) as a
    new array of the file's type, or None: the caller reads them itself. Waits for bands being
    decoded; bands not decoded yet are left to the caller for good."""
    active = _active
    if active is None:
        return None
    return active.take(path, rows, cols)


def finish() -> None:
    """Stop decoding, drop what was not taken, and wait (at most a few seconds) for the band
    being decoded, so that no GDAL read is still running when the process exits."""
    global _active
    active, _active = _active, None
    if active is not None:
        active.stop()
        if active.thread.is_alive() and active.thread is not threading.current_thread():
            active.thread.join(timeout=5.0)
