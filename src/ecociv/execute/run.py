"""Running one model: load, run, check and write its outputs with a manifest."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dask.array as da
import xarray as xr

from ecociv.errors import OutputError
from ecociv.execute.checks import (
    Check,
    check_outputs,
    raster_checks,
    reading_errors,
    report_checks,
)
from ecociv.execute.load import LoadedInputs, band_names, load_inputs
from ecociv.execute.manifest import build_manifest, describe_later, json_default
from ecociv.execute.scheduling import scheduler
from ecociv.execute.write import write_other
from ecociv.grid.ops import LazyTable
from ecociv.grid.size import check_disk_room, written_rasters
from ecociv.grid.spec import GridSpec
from ecociv.grid.write import RasterMeta, compute_in_order, write_rasters
from ecociv.io.atomic import atomic_folder
from ecociv.io.hashing import digest_later, file_digest, record_output_digests
from ecociv.spec import Model, ParamInput, RasterOutput


def run_loaded(
    model: Model,
    loaded: LoadedInputs,
    out_dir: str | Path,
    *,
    scheduler_address: str | None = None,
    extra_manifest: Mapping[str, Any] | None = None,
    produced: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Run ``model`` on loaded inputs and write its outputs to ``out_dir`` atomically.

    ``produced``: outputs already computed (and checked) by :func:`compute_in_memory`, written
    without running the model again.

    Returns the manifest (also written as ``out_dir/manifest.json``).
    """
    started = time.time()
    digests = {name: digest_later(path) for name, path in loaded.files.items()}
    spec = model.spec
    out_dir = Path(out_dir)
    check_disk_room(loaded.grid, out_dir, [  # before any work: a header may declare a huge grid
        (o.dtype, len(band_names(o.bands_from, loaded.values, o.id)) if o.bands_from else o.bands or 1)
        for o in written_rasters(spec, loaded.values)], loaded.files)
    with atomic_folder(out_dir) as tmp, scheduler(scheduler_address) as distributed, \
            reading_errors(loaded.files):
        t0 = time.perf_counter()
        if produced is None:
            produced, checks = run_checked(model, loaded)
        else:
            produced, checks = dict(produced), []
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
                                  bands=len(names) if names else output.bands, band_names=names,
                                  categorical=output.kind == "categorical",
                                  categories=tuple((c.code, c.name, c.colour)
                                                   for c in output.run_categories(value)))
                rasters.append((value, tmp / f"{output.id}.tif", meta))
            else:
                lazy_tables.append((output.id, value))
        pending: list[Any] = [c[2] for c in checks]
        slots: list[slice] = []
        for _, value in lazy_tables:
            parts = list(value.arrays) if isinstance(value, LazyTable) else [value]
            slots.append(slice(len(pending), len(pending) + len(parts)))
            pending.extend(parts)
        if loaded.grid is not None:
            describe_later(loaded.grid)  # for the manifest, while the outputs are computed
        if loaded.grid is not None and rasters:
            # each COG is hashed as soon as it is written, while the others are still being
            # written (record_output_digests below then finds the digests in memory)
            computed = write_rasters(rasters, loaded.grid, extra=pending,
                                     distributed_lock=distributed, written=file_digest)
        else:
            computed = list(compute_in_order(*pending))
        report_checks(checks, computed[: len(checks)], loaded.values, loaded.files)
        tables = [value.build(*computed[slot]) if isinstance(value, LazyTable) else computed[slot][0]
                  for (_, value), slot in zip(lazy_tables, slots, strict=True)]
        outputs_meta: dict[str, Any] = {}
        for _, path, meta in rasters:
            outputs_meta[meta.output_id] = {"type": "raster", "path": path.name, "units": meta.units}
            if meta.categories:  # class names and attribute table, beside the raster
                outputs_meta[meta.output_id]["categories"] = f"{path.name}.aux.xml"
        for (output_id, _), value in zip(lazy_tables, tables, strict=True):
            output = spec.output(output_id)
            outputs_meta[output_id] = write_other(output, value, tmp)
        record_output_digests(tmp, outputs_meta)
        compute_seconds = time.perf_counter() - t0
        manifest = build_manifest(model, loaded, digests=digests, outputs=outputs_meta,
                                  started=started, compute_seconds=compute_seconds,
                                  scheduler_address=scheduler_address, extra=extra_manifest)
        for output in spec.outputs:
            if not output.optional and output.id not in outputs_meta:
                raise OutputError(f"model '{spec.id}' did not write declared output '{output.id}'")
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, default=json_default))
    return manifest


def run_checked(model: Model, loaded: LoadedInputs) -> tuple[dict[str, Any], list[Check]]:
    """Run ``model`` after the input checks that cost nothing now (in-memory rasters).

    Returns the outputs (checked against the spec) and the checks of dask-backed inputs, to be
    computed in the same pass as the outputs. When the model fails, those checks are computed
    first, so that an input out of its declared range is reported instead of the failure it
    caused.
    """
    checks = raster_checks(model, loaded.values)
    ready = [c for c in checks if not isinstance(c[2], da.Array)]
    pending = [c for c in checks if isinstance(c[2], da.Array)]
    report_checks(ready, [c[2] for c in ready], loaded.values, loaded.files)
    try:
        produced = dict(model.run(loaded.values))
    except Exception:
        report_checks(pending, list(compute_in_order(*[c[2] for c in pending])), loaded.values,
                      loaded.files)
        raise
    check_outputs(model, produced, loaded.grid, loaded.values)
    return produced, pending


def compute_in_memory(model: Model, loaded: LoadedInputs, *,
                      scheduler_address: str | None = None) -> dict[str, Any]:
    """Run ``model`` and compute its outputs into memory (nothing is written).

    Returns output id to an ``xarray.DataArray`` (numpy-backed), ``pandas.DataFrame`` or
    ``geopandas.GeoDataFrame``; the inputs are checked exactly as for a run that writes files.
    """
    with scheduler(scheduler_address), reading_errors(loaded.files):
        produced, checks = run_checked(model, loaded)
        ids = list(produced)
        pending: list[Any] = [c[2] for c in checks]
        slots: list[slice] = []
        for output_id in ids:
            value = produced[output_id]
            parts = (list(value.arrays) if isinstance(value, LazyTable)
                     else [value.data] if isinstance(value, xr.DataArray) else [value])
            slots.append(slice(len(pending), len(pending) + len(parts)))
            pending.extend(parts)
        computed = list(compute_in_order(*pending))
        report_checks(checks, computed[: len(checks)], loaded.values, loaded.files)
    results: dict[str, Any] = {}
    for output_id, slot in zip(ids, slots, strict=True):
        value = produced[output_id]
        output = model.spec.output(output_id)
        if isinstance(value, LazyTable):
            results[output_id] = value.build(*computed[slot])
        elif isinstance(value, xr.DataArray) and isinstance(output, RasterOutput):
            results[output_id] = _raster_result(value.copy(data=computed[slot][0]), output,
                                                loaded)
        else:
            results[output_id] = computed[slot][0]
    return results


def _raster_result(value: xr.DataArray, output: RasterOutput, loaded: LoadedInputs) -> xr.DataArray:
    """A computed raster output as a user gets it: named, with the spec's units and long name,
    the run grid's CRS and transform, and band names for one-band-per-table-row outputs."""
    value = value.rename(output.id).assign_attrs(units=output.units or "",
                                                 long_name=output.long_name)
    if output.bands_from and "band" in value.dims:
        names = band_names(output.bands_from, loaded.values, output.id)
        value = value.assign_coords(band_name=("band", names))
    if loaded.grid is not None:
        value = value.rio.write_crs(loaded.grid.crs.to_wkt()).rio.write_transform(
            loaded.grid.transform)
    return value


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
    """Run ``model`` on in-memory inputs (its ``example()`` or data built in Python) and write
    its outputs: the inputs go through the same checks as files (:func:`load_inputs`)."""
    sources, params = split_values(model, values)
    return run_loaded(model, load_inputs(model, sources, params), out_dir)


def split_values(model: Model, values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split one mapping of inputs into data sources and parameter values (names the spec does
    not know go with the sources, where :func:`load_inputs` reports them)."""
    kinds = {item.id: item for item in model.spec.inputs}
    params = {k: v for k, v in values.items() if isinstance(kinds.get(k), ParamInput)}
    sources = {k: v for k, v in values.items() if k not in params}
    return sources, params
