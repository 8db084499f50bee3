"""Instrumentation for ``timeline_water_yield.py``, loaded into the timed ``ecociv`` process only.

Wraps, as each module is imported, the functions a ``water_yield`` run spends its time in, and
records every call as a span ``(start, end, thread id, thread name, label, thread CPU)``; imports
of the large packages are spans too, as are garbage collections. Nothing here changes what the
functions do. The spans are written as JSON lines to ``$ECOCIV_TIMELINE_OUT`` when the command
returns (before the interpreter tears down).

Only the standard library is imported here, so the hook itself adds almost nothing to the
start-up it measures.
"""

from __future__ import annotations

import functools
import gc
import importlib.abc
import importlib.machinery
import json
import os
import sys
import threading
import time
from typing import Any

_spans: list[tuple[Any, ...]] = []
_lock = threading.Lock()


def _record(label: str, start: float, end: float, cpu0: float, cpu1: float) -> None:
    thread = threading.current_thread()
    _spans.append((start, end, threading.get_native_id(), thread.name, label, cpu1 - cpu0))


def span(label: str, fn: Any) -> Any:
    """``fn`` wrapped to record a span named ``label`` per call."""

    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        start, cpu0 = time.time(), time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            _record(label, start, time.time(), cpu0, time.thread_time())

    return wrapped


def _patch(owner: Any, name: str, label: str) -> None:
    fn = getattr(owner, name, None)
    if fn is None or getattr(fn, "_timeline", False):
        return
    wrapped = span(label, fn)
    wrapped._timeline = True  # type: ignore[attr-defined]
    setattr(owner, name, wrapped)


def _read_label(fn: Any) -> Any:
    """rasterio ``read`` with the window's rows in the label."""

    @functools.wraps(fn)
    def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
        window = kwargs.get("window")
        rows = ""
        if window is not None:
            rows = f" rows {int(window.row_off)}+{int(window.height)}"
        start, cpu0 = time.time(), time.thread_time()
        try:
            return fn(self, *args, **kwargs)
        finally:
            _record(f"gdal read {os.path.basename(self.name)}{rows}", start, time.time(), cpu0,
                    time.thread_time())

    wrapped._timeline = True  # type: ignore[attr-defined]
    return wrapped


def _after_import(name: str, module: Any) -> None:
    if name == "rasterio.io":
        reader = module.DatasetReader
        if not getattr(reader.read, "_timeline", False):
            reader.read = _read_label(reader.read)
    elif name == "rasterio.shutil":
        _patch(module, "copy", "gdal COG copy")
    elif name == "ecociv.read_ahead":
        _patch(module._ReadAhead, "_run", "read-ahead thread")
        _patch(module, "take", "read_ahead.take")
        _patch(module, "start", "read_ahead.start")
        _patch(module, "finish", "read_ahead.finish")
    elif name == "ecociv.grid.io":
        _patch(module.BlockReader, "__getitem__", "BlockReader block")
        _patch(module, "open_raster", "open_raster")
    elif name == "ecociv.models.water_yield.loops":
        _patch(module, "budyko_block", "kernel block")
    elif name == "ecociv.models.water_yield.model":
        _patch(module, "rasterize_zones", "rasterize_zones (graph)")
    elif name == "ecociv.grid.ops":
        _patch(module, "rasterize_zones", "rasterize_zones")
    elif name == "ecociv.grid.overviews":
        _patch(module.Pyramid, "add", "pyramid add")
    elif name == "ecociv.grid.write":
        _patch(module._WindowTarget, "__setitem__", "tiled write block")
        _patch(module._ArrayTarget, "__setitem__", "array cast block")
        _patch(module, "_to_cog", "COG file (copy+sidecar+digest)")
        _patch(module, "_array_to_cog", "COG from array")
        _patch(module, "compute_in_order", "dask compute")
    elif name == "ecociv.io.hashing":
        _patch(module, "file_digest", "file_digest")
        _patch(module, "_hash_file", "hash input file")
    elif name == "ecociv.execute.run":
        for attr, label in (("load_inputs", "load_inputs"), ("run_checked", "run_checked"),
                            ("write_rasters", "write_rasters (pass + COGs)"),
                            ("report_checks", "report_checks"), ("write_other", "write table"),
                            ("record_output_digests", "record_output_digests"),
                            ("build_manifest", "build_manifest"), ("run_loaded", "run_loaded"),
                            ("file_digest", "file_digest")):
            _patch(module, attr, label)
    elif name == "ecociv.execute.checks":
        _patch(module, "raster_checks", "raster_checks (graph)")
    elif name == "ecociv.cli.models_cmd":
        _patch(module, "run", "cli run command")


#: modules whose import is a span (the large ones and ecociv's own entry points)
IMPORT_SPANS = {
    "numpy", "pandas", "pyarrow", "dask", "dask.array", "xarray", "rasterio", "rioxarray",
    "numba", "geopandas", "pyogrio", "shapely", "pyproj", "scipy", "typer", "click", "rich",
    "ecociv", "ecociv.cli.main", "ecociv.execute", "ecociv.registry", "ecociv.grid.io",
    "ecociv.grid.write", "ecociv.models.water_yield.model", "ecociv.models.water_yield.loops",
    "ecociv.io.vectors", "ecociv.io.tables", "ecociv.compiled", "dask.threaded",
}
PATCHED = {"rasterio.io", "rasterio.shutil", "ecociv.read_ahead", "ecociv.grid.io",
           "ecociv.models.water_yield.loops", "ecociv.models.water_yield.model", "ecociv.grid.ops",
           "ecociv.grid.overviews", "ecociv.grid.write", "ecociv.io.hashing", "ecociv.execute.run",
           "ecociv.execute.checks", "ecociv.cli.models_cmd"}


class _Loader(importlib.abc.Loader):
    def __init__(self, inner: Any, name: str):
        self.inner = inner
        self.name = name

    def create_module(self, spec: Any) -> Any:
        return self.inner.create_module(spec)

    def exec_module(self, module: Any) -> None:
        start, cpu0 = time.time(), time.thread_time()
        try:
            self.inner.exec_module(module)
        finally:
            if self.name in IMPORT_SPANS:
                _record(f"import {self.name}", start, time.time(), cpu0, time.thread_time())
        if self.name in PATCHED:
            _after_import(self.name, module)

    def __getattr__(self, item: str) -> Any:
        return getattr(self.inner, item)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name not in IMPORT_SPANS and name not in PATCHED:
            return None
        for finder in sys.meta_path:
            if finder is self:
                continue
            find = getattr(finder, "find_spec", None)
            if find is None:
                continue
            spec = find(name, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _Loader(spec.loader, name)
                return spec
        return None


_gc_start: dict[int, tuple[float, float]] = {}


def _gc_callback(phase: str, info: dict[str, Any]) -> None:
    ident = threading.get_native_id()
    if phase == "start":
        _gc_start[ident] = (time.time(), time.thread_time())
    elif ident in _gc_start:
        start, cpu0 = _gc_start.pop(ident)
        _record(f"gc gen{info.get('generation')}", start, time.time(), cpu0, time.thread_time())


def install() -> None:
    """Start recording (call before anything of ecociv is imported)."""
    sys.meta_path.insert(0, _Finder())
    gc.callbacks.append(_gc_callback)
    _record("hook installed", time.time(), time.time(), 0.0, 0.0)


def dump() -> None:
    """Write the spans recorded so far to ``$ECOCIV_TIMELINE_OUT``."""
    target = os.environ.get("ECOCIV_TIMELINE_OUT")
    if not target:
        return
    mains = [item for item in _spans if item[4] == "ecociv main()"]
    now = mains[-1][1] if mains else time.time()
    with open(target, "w", encoding="utf-8") as out:
        out.write(json.dumps({"main_returned": now, "process_cpu": time.process_time()}) + "\n")
        for item in list(_spans):
            out.write(json.dumps(item) + "\n")


def main() -> None:
    """``python _timeline_hook.py ARGS``: ``ecociv ARGS`` with the spans recorded (written at
    exit by ``atexit``, which also runs before a fast exit, see ``ecociv.cli.process``)."""
    import atexit

    install()
    atexit.register(dump)
    from ecociv.cli import main as cli

    cli.main = span("ecociv main()", cli.main)
    sys.argv = ["ecociv", *sys.argv[1:]]
    entry = getattr(cli, "entry", None)
    if entry is not None:
        entry()
    else:  # older trees: the script called main()
        cli.main()


if __name__ == "__main__":
    main()
