"""Running one model: load its inputs against the spec, run it, check and write its outputs.

This is the one path every caller takes (``ecociv model run``, the scenario runner, Python
users), so validation, provenance and the post-run output check are the same everywhere.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import dask
import dask.array as da
import numpy as np
import pandas as pd
import xarray as xr

from ecociv import __version__
from ecociv.errors import InputError, OutputError
from ecociv.grid.io import ReadNotes, grid_of, grid_of_array, open_raster
from ecociv.grid.ops import LazyTable
from ecociv.grid.spec import GridSpec
from ecociv.grid.write import RasterMeta, compute_in_order, write_rasters
from ecociv.io.atomic import atomic_folder
from ecociv.io.hashing import digest_later
from ecociv.io.params import parse_param
from ecociv.io.tables import read_table
from ecociv.io.vectors import read_vector
from ecociv.spec import (
    FileInput,
    Model,
    ParamInput,
    RasterInput,
    RasterOutput,
    TableInput,
    TableOutput,
    VectorInput,
    VectorOutput,
)

PARQUET_ROWS = 100_000
_VERSIONED = ("numpy", "xarray", "dask", "rasterio", "pandas", "pyproj", "pint", "geopandas")


@dataclass
class LoadedInputs:
    """Inputs ready for ``Model.run`` plus what the manifest needs to know about them."""

    values: dict[str, Any]
    grid: GridSpec | None
    files: dict[str, str] = field(default_factory=dict)
    notes: ReadNotes = field(default_factory=ReadNotes)


@contextmanager
def scheduler(address: str | None = None) -> Iterator[bool]:
    """Use a ``dask.distributed`` scheduler at ``address`` (``tcp://host:port``), or local
    threads. Yields True when a distributed client is active."""
    if not address:
        # The threaded scheduler given as a function, and rechunking by tasks: with "threads"
        # or by default dask imports distributed (0.1-0.4 s of a run) to look for a client.
        from dask.threaded import get as threaded_get

        with dask.config.set({"scheduler": threaded_get, "num_workers": os.cpu_count() or 1,
                              "array.rechunk.method": "tasks"}):
            yield False
        return
    from distributed import Client

    _probe_scheduler(address)
    try:
        client = Client(address, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        raise InputError(f"cannot connect to the dask scheduler: {err}", source=address) from err
    with client, dask.config.set(scheduler=client):
        yield True


def _probe_scheduler(address: str, timeout: float = 3.0) -> None:
    """Fail fast, with a clear message, when nothing listens at a ``tcp://host:port`` address
    (``distributed.Client`` would retry until its timeout)."""
    import socket
    from urllib.parse import urlsplit

    expected = "expected an address like tcp://host:8786"
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in ("tcp", "tls", "inproc", "ws", "wss", "ucx"):
        raise InputError(f"unknown protocol {parts.scheme!r}; {expected}", source=address)
    if parts.scheme != "tcp":
        return
    try:
        host, port = parts.hostname, parts.port
    except ValueError as err:
        raise InputError(f"bad port: {err}; {expected}", source=address) from err
    if not host or port is None:
        raise InputError(f"missing host or port; {expected}", source=address)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as err:
        raise InputError(f"cannot connect to the dask scheduler: {err.strerror or err}",
                         source=address) from err


def _required_missing(model: Model, given: Mapping[str, Any]) -> list[str]:
    return [i.id for i in model.spec.inputs
            if i.required and i.id not in given and not (isinstance(i, ParamInput) and i.default is not None)]


def load_inputs(
    model: Model,
    sources: Mapping[str, str | Path],
    params: Mapping[str, object] | None = None,
    *,
    grid: GridSpec | str | Path | None = None,
    align: bool = False,
    nodata: Mapping[str, float] | None = None,
    resampling: Mapping[str, str] | None = None,
) -> LoadedInputs:
    """Open every input named in ``sources`` (files) and ``params`` (values) for ``model``.

    The run's grid is ``grid`` (a GridSpec or a raster file whose grid is used), else the grid of
    the first raster input. Rasters not on it are rejected, or aligned when ``align`` is on, by
    the method in ``resampling`` for that input (default: the spec's, nearest for categories).
    ``nodata`` gives nodata values for files that do not declare theirs.
    """
    params = dict(params or {})
    spec = model.spec
    known = {i.id: i for i in spec.inputs}
    for name in [*sources, *params]:
        if name not in known:
            import difflib

            close = difflib.get_close_matches(name, list(known), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise InputError(f"model '{spec.id}' has no input '{name}'{hint}; inputs: {list(known)}")
    for name in sources:
        if isinstance(known[name], ParamInput):
            raise InputError(f"'{name}' is a parameter; give it with --param {name}=VALUE")
    for name in params:
        if not isinstance(known[name], ParamInput):
            raise InputError(f"'{name}' is a {known[name].type} input; give it with --input {name}=PATH")
    missing = _required_missing(model, {**sources, **params})
    if missing:
        raise InputError(f"model '{spec.id}' needs input(s) {missing}; "
                         f"see `ecociv model describe {spec.id}`")

    notes = ReadNotes()
    grid_source = "grid"
    if isinstance(grid, (str, Path)):
        grid_source = f"grid ({grid})"
        grid = grid_of(grid, name="grid")
    if grid is None:
        for item in spec.inputs:
            if isinstance(item, RasterInput) and item.id in sources:
                grid = grid_of(sources[item.id], name=item.id)
                grid_source = f"input '{item.id}' ({sources[item.id]})"
                notes.add(f"run grid taken from {grid_source}")
                break
    if grid is not None and grid.is_rotated:
        raise InputError(
            "the run grid is rotated or sheared (its transform has non-zero rotation terms); "
            "warp the raster to a north-up grid first (e.g. `gdalwarp`) or give a north-up --grid",
            source=grid_source)
    values: dict[str, Any] = {}
    files: dict[str, str] = {}
    # parameters and tables first: a raster may take its band count from a table (bands_from)
    order: dict[str, int] = {"param": 0, "table": 1, "file": 1, "raster": 2, "vector": 3}
    for item in sorted(spec.inputs, key=lambda i: order[i.type]):
        if isinstance(item, ParamInput):
            if item.id in params:
                values[item.id] = parse_param(item, params[item.id])
            elif item.default is not None:
                values[item.id] = item.default
            continue
        if item.id not in sources:
            continue
        path = Path(sources[item.id])
        files[item.id] = str(path)
        if isinstance(item, RasterInput):
            assert grid is not None
            values[item.id] = open_raster(
                path, grid, name=item.id, align=align,
                resampling=(resampling or {}).get(item.id, item.resampling_method),
                units=item.units, notes=notes, nodata=(nodata or {}).get(item.id),
                bands=(item.bands if item.bands_from is None
                       else len(band_names(item.bands_from, values, item.id))),
                band_meaning=(f"row of table '{item.bands_from.partition('.')[0]}'" if item.bands_from
                              else "month, January first" if item.bands == 12 else None),
                categorical=item.kind == "categorical",
            )
        elif isinstance(item, TableInput):
            values[item.id] = read_table(path, item)
        elif isinstance(item, FileInput):
            values[item.id] = _file_input(item, path)
        elif isinstance(item, VectorInput):
            if grid is None:
                raise InputError(f"vector input '{item.id}' needs a grid (give a raster input or --grid)")
            values[item.id] = read_vector(path, item, grid, notes)
    return LoadedInputs(values=values, grid=grid, files=files, notes=notes)


def _file_input(item: FileInput, path: Path) -> Path:
    """The file a FileInput names (a folder's ``folder_file`` when a folder is given)."""
    if path.is_dir() and item.folder_file:
        path = path / item.folder_file
    if not path.exists():
        raise InputError(f"input '{item.id}': file does not exist", source=str(path))
    if path.suffix.lstrip(".").lower() not in item.formats:
        raise InputError(f"input '{item.id}': expected a {'/'.join(item.formats)} file"
                         + (f" or a folder with {item.folder_file}" if item.folder_file else ""),
                         source=str(path))
    return path


def band_names(reference: str, values: Mapping[str, Any], owner: str) -> list[str]:
    """Names of the bands of a raster whose bands follow the rows of a table (``bands_from``)."""
    table_id, _, column = reference.partition(".")
    if table_id not in values:
        raise InputError(f"'{owner}' has one band per row of table '{table_id}'; give that table")
    names = [str(v) for v in values[table_id][column]]
    if not names:
        raise InputError(f"table '{table_id}' has no rows, so '{owner}' would have no band")
    return names


def _raster_checks(model: Model, values: Mapping[str, Any]) -> list[tuple[RasterInput, str, Any]]:
    """Lazy checks of raster input ranges and codes, computed in the same pass as the outputs."""
    checks: list[tuple[RasterInput, str, Any]] = []
    for item in model.spec.inputs:
        if not isinstance(item, RasterInput) or item.id not in values:
            continue
        data = values[item.id].data
        if item.ge is not None:
            checks.append((item, "min", da.nanmin(data) if isinstance(data, da.Array) else np.nanmin(data)))
        if item.le is not None:
            checks.append((item, "max", da.nanmax(data) if isinstance(data, da.Array) else np.nanmax(data)))
        if item.codes_in:
            table_id, _, column = item.codes_in.partition(".")
            if table_id in values:
                codes = np.asarray(values[table_id][column], dtype=np.float64)
                unknown = _unknown_codes(data, codes)
                checks.append((item, "codes", unknown))
    return checks


def _unknown_codes(data: Any, codes: np.ndarray) -> Any:
    """Codes present in ``data`` but not in ``codes`` (at most 16 per chunk), as a lazy array
    padded with NaN."""
    width = 16

    def _block(block: np.ndarray) -> np.ndarray:
        values = np.unique(block[~np.isnan(block)])
        unknown = values[~np.isin(values, codes)][:width]
        out = np.full((1, 1, width), np.nan)
        out[0, 0, : unknown.size] = unknown
        return out

    if isinstance(data, da.Array):
        return da.map_blocks(_block, data, new_axis=2, chunks=(1, 1, width), dtype=np.float64)
    return _block(np.asarray(data, dtype=np.float64))


def _first_cell(data: xr.DataArray, mask_fn: Any) -> str:
    mask = np.asarray(mask_fn(data.data if not isinstance(data.data, da.Array) else data.data.compute()))
    position = np.argwhere(mask)[0]
    if len(position) == 3:
        return f"band {position[0] + 1}, cell (row {position[1]}, col {position[2]})"
    return f"cell (row {position[0]}, col {position[1]})"


def _report_checks(checks: list[tuple[RasterInput, str, Any]], results: list[Any],
                   values: Mapping[str, Any], files: Mapping[str, str]) -> None:
    for (item, kind, _), result in zip(checks, results, strict=True):
        data = values[item.id]
        source = f"input '{item.id}' ({files.get(item.id, 'in memory')})"
        units = f" {item.units}" if item.units else ""
        if kind == "min" and item.ge is not None and np.isfinite(result) and result < item.ge:
            where = _first_cell(data, lambda a, ge=item.ge: a < ge)
            raise InputError(f"value {float(result):g}{units} below the allowed minimum {item.ge:g}{units}",
                             source=source, where=where)
        if kind == "max" and item.le is not None and np.isfinite(result) and result > item.le:
            where = _first_cell(data, lambda a, le=item.le: a > le)
            raise InputError(f"value {float(result):g}{units} above the allowed maximum {item.le:g}{units}",
                             source=source, where=where)
        if kind == "codes":
            result = np.unique(result[~np.isnan(result)])
        if kind == "codes" and len(result):
            bad = result[0]
            where = _first_cell(data, lambda a, b=bad: a == b)
            table = item.codes_in or ""
            raise InputError(
                f"code(s) {[int(c) for c in result[:10]]} not found in {table} "
                f"(the table must list every code of the raster)",
                source=source, where=where,
            )


def _check_outputs(model: Model, produced: Mapping[str, Any], grid: GridSpec | None,
                   values: Mapping[str, Any]) -> None:
    spec = model.spec
    declared = {o.id: o for o in spec.outputs}
    undeclared = [k for k in produced if k not in declared]
    if undeclared:
        raise OutputError(f"model '{spec.id}' produced undeclared output(s) {undeclared}")
    for output in spec.outputs:
        if output.id not in produced:
            if not output.optional:
                raise OutputError(f"model '{spec.id}' did not produce declared output '{output.id}'")
            continue
        value = produced[output.id]
        if isinstance(output, RasterOutput):
            if not isinstance(value, xr.DataArray) or grid is None:
                raise OutputError(f"model '{spec.id}' output '{output.id}' is not a raster on the run "
                                  f"grid (got {type(value).__name__})")
            bands = output.bands
            if output.bands_from is not None:
                bands = len(band_names(output.bands_from, values, output.id))
            dims: tuple[str, ...] = ("y", "x") if bands is None else ("band", "y", "x")
            shape = grid.shape if bands is None else (bands, *grid.shape)
            if value.dims != dims or value.shape != shape:
                raise OutputError(
                    f"model '{spec.id}' output '{output.id}' has dims {value.dims} and shape "
                    f"{value.shape}; expected {dims} and shape {shape}")


@contextmanager
def _reading_errors(files: Mapping[str, str]) -> Iterator[None]:
    """Turn a raster read that fails mid-run (a block corrupt in the middle of a file, which the
    up-front first/last-block check cannot see) into an InputError naming the files."""
    from rasterio.errors import RasterioError

    try:
        yield
    except RasterioError as err:
        raise InputError(f"reading input data failed (file truncated or corrupt?): {err}",
                         source=", ".join(f"{k} ({v})" for k, v in files.items()) or None) from err


def run_loaded(
    model: Model,
    loaded: LoadedInputs,
    out_dir: str | Path,
    *,
    scheduler_address: str | None = None,
    extra_manifest: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Run ``model`` on loaded inputs and write its outputs to ``out_dir`` atomically.

    Returns the manifest (also written as ``out_dir/manifest.json``).
    """
    started = time.time()
    digests = {name: digest_later(path) for name, path in loaded.files.items()}
    spec = model.spec
    out_dir = Path(out_dir)
    with atomic_folder(out_dir) as tmp, scheduler(scheduler_address) as distributed, \
            _reading_errors(loaded.files):
        t0 = time.perf_counter()
        produced = dict(model.run(loaded.values))
        _check_outputs(model, produced, loaded.grid, loaded.values)
        checks = _raster_checks(model, loaded.values)
        rasters: list[tuple[xr.DataArray, Path, RasterMeta]] = []
        lazy_tables: list[tuple[str, Any]] = []
        for output in spec.outputs:
            if output.id not in produced:
                continue
            value = produced[output.id]
            if isinstance(output, RasterOutput):
                names = (tuple(band_names(output.bands_from, loaded.values, output.id))
                         if output.bands_from else None)
                meta = RasterMeta(units=output.units, long_name=output.long_name, model_id=spec.id,
                                  output_id=output.id, dtype=output.dtype,
                                  bands=len(names) if names else output.bands, band_names=names)
                rasters.append((value, tmp / f"{output.id}.tif", meta))
            else:
                lazy_tables.append((output.id, value))
        pending: list[Any] = [c[2] for c in checks]
        slots: list[slice] = []
        for _, value in lazy_tables:
            parts = list(value.arrays) if isinstance(value, LazyTable) else [value]
            slots.append(slice(len(pending), len(pending) + len(parts)))
            pending.extend(parts)
        if loaded.grid is not None and rasters:
            computed = write_rasters(rasters, loaded.grid, extra=pending, distributed_lock=distributed)
        else:
            computed = list(compute_in_order(*pending))
        _report_checks(checks, computed[: len(checks)], loaded.values, loaded.files)
        tables = [value.build(*computed[slot]) if isinstance(value, LazyTable) else computed[slot][0]
                  for (_, value), slot in zip(lazy_tables, slots, strict=True)]
        outputs_meta: dict[str, Any] = {}
        for _, path, meta in rasters:
            outputs_meta[meta.output_id] = {"type": "raster", "path": path.name, "units": meta.units}
        for (output_id, _), value in zip(lazy_tables, tables, strict=True):
            output = spec.output(output_id)
            outputs_meta[output_id] = _write_other(output, value, tmp)
        compute_seconds = time.perf_counter() - t0
        manifest = {
            "model": {"id": spec.id, "version": spec.version, "title": spec.title,
                      "citation": spec.citation},
            "ecociv_version": __version__,
            "inputs": {name: {"path": str(Path(path).resolve()), "blake2b": digests[name].result()}
                       for name, path in loaded.files.items()},
            "params": {k: v for k, v in loaded.values.items()
                       if isinstance(spec.input(k), ParamInput)},
            "grid": loaded.grid.describe() if loaded.grid is not None else None,
            "outputs": outputs_meta,
            "notes": loaded.notes.messages,
            "timings_s": {"compute_and_write": round(compute_seconds, 3),
                          "total": round(time.time() - started, 3)},
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
            "scheduler": scheduler_address or "threads",
            "platform": {"python": platform.python_version(), "machine": platform.machine(),
                         "cpus": os.cpu_count()},
            "packages": _package_versions(),
            **(extra_manifest or {}),
        }
        for output in spec.outputs:
            if not output.optional and output.id not in outputs_meta:
                raise OutputError(f"model '{spec.id}' did not write declared output '{output.id}'")
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, default=_json_default))
    return manifest


def _write_other(output: Any, value: Any, folder: Path) -> dict[str, Any]:
    if isinstance(output, TableOutput):
        if not isinstance(value, pd.DataFrame):
            raise OutputError(f"output '{output.id}' should be a table, got {type(value).__name__}")
        missing = [c.id for c in output.columns if c.required and c.id not in value.columns]
        if missing:
            raise OutputError(f"table output '{output.id}' lacks declared column(s) {missing}")
        value.to_csv(folder / f"{output.id}.csv", index=False)
        meta = {"type": "table", "path": f"{output.id}.csv", "rows": len(value),
                "units": {c.id: c.units for c in output.columns}}
        if len(value) > PARQUET_ROWS:
            value.to_parquet(folder / f"{output.id}.parquet", index=False)
            meta["parquet"] = f"{output.id}.parquet"
        return meta
    if isinstance(output, VectorOutput):
        value.to_file(folder / f"{output.id}.gpkg", driver="GPKG", layer=output.id, engine="pyogrio")
        return {"type": "vector", "path": f"{output.id}.gpkg", "features": len(value),
                "units": {c.id: c.units for c in output.fields}}
    raise OutputError(f"cannot write output '{output.id}' of type {type(output).__name__}")


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return str(value)


def _package_versions() -> dict[str, str]:
    versions = {}
    for name in _VERSIONED:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            continue
    return versions


def run_model(
    model: Model,
    sources: Mapping[str, str | Path],
    params: Mapping[str, object] | None,
    out_dir: str | Path,
    *,
    grid: GridSpec | str | Path | None = None,
    align: bool = False,
    scheduler_address: str | None = None,
    nodata: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """Load inputs from files, run ``model`` and write its outputs: the whole generic path.

    ``nodata`` maps raster input ids to a nodata value that overrides the file's (for files that
    use a convention such as 0 or -9999 without declaring it).
    """
    loaded = load_inputs(model, sources, params, grid=grid, align=align, nodata=nodata)
    return run_loaded(model, loaded, out_dir, scheduler_address=scheduler_address)


def run_in_memory(model: Model, values: Mapping[str, Any], out_dir: str | Path) -> dict[str, Any]:
    """Run ``model`` on in-memory inputs (its ``example()`` or arrays built in Python)."""
    grid = None
    for item in model.spec.inputs:
        if isinstance(item, RasterInput) and item.id in values:
            grid = grid_of_array(values[item.id])
            break
    values = dict(values)
    for item in model.spec.inputs:
        if isinstance(item, ParamInput) and item.id not in values and item.default is not None:
            values[item.id] = item.default
    return run_loaded(model, LoadedInputs(values=values, grid=grid), out_dir)
