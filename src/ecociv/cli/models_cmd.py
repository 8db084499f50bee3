"""``ecociv models``, ``ecociv model describe ID`` and ``ecociv model run ID``."""

from __future__ import annotations

import gc
import json
import sys
import warnings
from pathlib import Path
from typing import Any

import typer

from ecociv.cli.options import OUT_FOLDER_HELP
from ecociv.errors import InputError

#: garbage-collector thresholds (generation 0, 1, 2) while a model runs: collections of the
#: youngest objects every 50,000 allocations instead of 700 (Python's default)
RUN_GC_THRESHOLDS = (50_000, 20, 100)

model_app = typer.Typer(help="Describe or run one model (单个模型).", no_args_is_help=True)


def _specs() -> dict[str, Any]:
    """The spec of every registered model (built-ins' without their code: starts quickly)."""
    from ecociv.registry import all_specs

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        specs = all_specs()
    for warning in caught:
        typer.secho(f"warning: {warning.message}", fg="yellow", err=True)
    return specs


def list_models(
    as_json: bool = typer.Option(False, "--json", help="Print the full spec of every model as JSON."),
) -> None:
    specs = _specs()
    if as_json:
        typer.echo(json.dumps({k: spec.describe() for k, spec in sorted(specs.items())}, indent=2,
                              ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    # ids (of models and outputs) are what one copies: never cut them; titles wrap instead
    table = Table(show_lines=True)
    table.add_column("id", no_wrap=True, min_width=max(len(model_id) for model_id in specs))
    table.add_column("version", no_wrap=True)
    table.add_column("title (中文) and outputs", overflow="fold")
    for model_id, spec in sorted(specs.items()):
        title = f"{spec.title} ({spec.title_zh})" if spec.title_zh else spec.title
        table.add_row(model_id, spec.version,
                      f"{title}\noutputs: {', '.join(o.id for o in spec.outputs)}")
    Console(width=None if sys.stdout.isatty() else 160).print(table)


def _units(value: str | None) -> str:
    if value is None:
        return "no unit"
    return value or "dimensionless"


def describe_text(model_id: str) -> str:
    """A plain-text description of a model's spec (also used in CLI help)."""
    from ecociv.registry import get_spec
    from ecociv.spec import FileInput, ParamInput, RasterInput, TableInput, VectorInput

    spec = get_spec(model_id)
    lines = [f"{spec.id} — {spec.title}" + (f" ({spec.title_zh})" if spec.title_zh else ""),
             f"version {spec.version}", "", spec.about, "", f"Citation: {spec.citation}", "",
             "Inputs:"]
    for item in spec.inputs:
        need = "required" if item.required else "optional"
        if isinstance(item, RasterInput):
            bounds = _bounds(item.ge, item.le, item.gt, item.lt)
            bands = f", {item.bands} bands" if item.bands else ""
            lines.append(f"  --input {item.id}=PATH   raster{bands}, {_units(item.units)}, {item.kind}"
                         f"{bounds}, {need}: {item.about}")
        elif isinstance(item, TableInput):
            lines.append(f"  --input {item.id}=PATH   CSV table, {need}: {item.about}")
            for column in item.columns:
                lines.append(f"      {column.id}: {column.dtype}, {_units(column.units)}"
                             f"{_bounds(column.ge, column.le, column.gt, column.lt)}"
                             f"{'' if column.required else ', optional'} — {column.about}")
        elif isinstance(item, VectorInput):
            lines.append(f"  --input {item.id}=PATH   {item.geometry} vector, {need}: {item.about}")
        elif isinstance(item, FileInput):
            folder = f" or a folder with {item.folder_file}" if item.folder_file else ""
            lines.append(f"  --input {item.id}=PATH   {'/'.join(item.formats)} file{folder}, {need}: {item.about}")
        elif isinstance(item, ParamInput):
            default = f", default {item.default}" if item.default is not None else ""
            choices = f", one of {list(item.choices)}" if item.choices else ""
            need = "optional" if item.default is not None else need  # the default is used
            lines.append(f"  --param {item.id}=VALUE  {item.dtype}, {_units(item.units)}"
                         f"{_bounds(item.ge, item.le, item.gt, item.lt)}{choices}{default}, {need}: "
                         f"{item.about}")
    lines.append("")
    lines.append("Outputs:")
    for output in spec.outputs:
        units = getattr(output, "units", None)
        kind = output.type
        extra = f", {_units(units)}" if kind == "raster" else ""
        lines.append(f"  {output.id} ({kind}{extra}{', optional' if output.optional else ''}): "
                     f"{output.about}")
    return "\n".join(lines)


def _bounds(ge: float | None, le: float | None, gt: float | None = None,
            lt: float | None = None) -> str:
    low = f"≥ {ge:g}" if ge is not None else f"> {gt:g}" if gt is not None else None
    high = f"≤ {le:g}" if le is not None else f"< {lt:g}" if lt is not None else None
    if ge is not None and le is not None:
        return f", {ge:g}–{le:g}"
    if low and high:
        return f", {low} and {high}"
    return f", {low or high}" if low or high else ""


@model_app.command("describe", help="Print a model's spec (inputs, units, ranges, outputs).")
def describe(
    model_id: str = typer.Argument(..., metavar="ID", help="Model id, e.g. water_yield."),
    as_json: bool = typer.Option(False, "--json", help="Print the spec as JSON."),
) -> None:
    if as_json:
        from ecociv.registry import get_spec

        typer.echo(json.dumps(get_spec(model_id).describe(), indent=2, ensure_ascii=False))
        return
    typer.echo(describe_text(model_id))


def _pairs(values: list[str], option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name.strip() or not rest.strip():
            raise InputError(f"{option} {value!r}: expected NAME=VALUE")
        if name.strip() in pairs:
            raise InputError(f"{option} {name.strip()!r} given twice")
        pairs[name.strip()] = rest.strip()
    return pairs


def _nodata(model: Any, given: dict[str, str], sources: dict[str, str]) -> dict[str, float]:
    """``--nodata NAME=VALUE`` pairs as numbers, each naming a raster input given with --input."""
    import math

    from ecociv.spec import RasterInput

    rasters = [item.id for item in model.spec.inputs if isinstance(item, RasterInput)]
    values: dict[str, float] = {}
    for name, text in given.items():
        if name not in rasters:
            raise InputError(f"--nodata {name}={text}: model '{model.spec.id}' has no raster input "
                             f"{name!r}; its raster inputs are {rasters}")
        if name not in sources:
            raise InputError(f"--nodata {name}={text}: input {name!r} is not given with --input")
        try:
            value = float(text)
        except ValueError:
            raise InputError(f"--nodata {name}={text}: expected a number such as 0 or -9999") from None
        if math.isinf(value):
            raise InputError(f"--nodata {name}={text}: expected a finite number or nan")
        values[name] = value
    return values


@model_app.command("run", help="Run one model on files: writes OUT/<output>.tif|.csv and "
                   "OUT/manifest.json. See `ecociv model describe ID` for its inputs.")
def run(
    model_id: str = typer.Argument(..., metavar="ID", help="Model id, e.g. water_yield."),
    inputs: list[str] = typer.Option([], "--input", "-i", metavar="NAME=PATH",
                                     help="An input file, repeatable."),
    params: list[str] = typer.Option([], "--param", "-p", metavar="NAME=VALUE",
                                     help="A parameter (a number, or a number with a unit), repeatable."),
    out: Path = typer.Option(..., "--out", "-o", help=OUT_FOLDER_HELP),
    grid: Path | None = typer.Option(None, "--grid", help="Raster whose grid the run uses "
                                     "(default: the first raster input)."),
    align: bool = typer.Option(False, "--align", help="Resample inputs on other grids (nearest for "
                               "categories, bilinear for continuous values; logged in the manifest)."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="dask.distributed scheduler "
                                         "address (tcp://host:port); default: local threads."),
    compress: str | None = typer.Option(None, "--compress", metavar="zstd|deflate",
                                        help="Raster compression: zstd (smaller; GDAL >= 2.3) or "
                                        "deflate (any GeoTIFF reader). Default: $ECOCIV_COMPRESS, "
                                        "else zstd."),
    nodata: list[str] = typer.Option([], "--nodata", metavar="NAME=VALUE",
                                     help="Nodata value of a raster input whose file does not declare "
                                     "one (or declares a wrong one), e.g. land_use=0; repeatable."),
) -> None:
    from ecociv import lazy, read_ahead

    thresholds = gc.get_threshold()
    gc.disable()  # no collections while importing the engine (below): 0.1-0.15 s of CPU less
    if scheduler is None and not align:  # decode the inputs on another core while importing
        read_ahead.start((text.partition("=")[2] for text in inputs),
                         grid=None if grid is None else str(grid))
    try:
        from ecociv.execute import run_model
        from ecociv.grid.write import raster_compression
        from ecociv.registry import get_model

        model = get_model(model_id)
        # imported by the run anyway (compiled passes; vector inputs through geopandas): here,
        # before the freeze, no collection runs while they import (one of 10-12 ms during
        # shapely's) and later ones need not look at their objects
        import numba  # noqa: F401

        if lazy.names_vector_file(inputs):
            import geopandas  # noqa: F401
            import pyogrio  # noqa: F401
        lazy.preload_finished()  # loaded long before (ecociv.cli.main.entry): no wait
        # what was imported stays for the process: later collections need not look at it, and
        # are rarer while the run allocates (its arrays are freed by reference counting)
        gc.freeze()
        gc.set_threshold(*RUN_GC_THRESHOLDS)
        gc.enable()
        sources = _pairs(inputs, "--input")
        missing_values = _nodata(model, _pairs(nodata, "--nodata"), sources)
        with raster_compression(compress):
            manifest = run_model(model, sources, _pairs(params, "--param"), out, grid=grid,
                                 align=align, scheduler_address=scheduler, nodata=missing_values)
    finally:
        read_ahead.finish()
        from ecociv.cli import process

        # the script ends after the run: back at the usual thresholds, a collection of all the
        # young objects of the run would start at once (15-25 ms on one core, for nothing)
        if not process.is_script():
            gc.set_threshold(*thresholds)
            gc.enable()
    # every output is written and closed: the process may end without the teardown
    from ecociv.cli.process import allow_fast_exit

    allow_fast_exit()
    for note in manifest["notes"]:
        typer.secho(f"note: {note}", fg="yellow", err=True)
    seconds = manifest["timings_s"]["total"]
    typer.echo(f"{model_id}: wrote {len(manifest['outputs'])} output(s) to {out} in {seconds:.2f} s")
    for meta in manifest["outputs"].values():
        units = meta.get("units")
        suffix = f", {units}" if isinstance(units, str) and units else ""
        typer.echo(f"  {meta['path']}  ({meta['type']}{suffix})")
