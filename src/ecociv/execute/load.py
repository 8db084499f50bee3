"""Loading a model's inputs from files (and parameter values) against its spec."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ecociv.errors import InputError
from ecociv.execute.memory import (
    IN_MEMORY,
    memory_grid,
    raster_in_memory,
    table_in_memory,
    vector_in_memory,
)
from ecociv.grid.io import ReadNotes, grid_of, open_raster
from ecociv.grid.spec import GridSpec
from ecociv.io.params import parse_param
from ecociv.io.tables import read_table
from ecociv.io.vectors import read_vector
from ecociv.spec import FileInput, Model, ParamInput, RasterInput, TableInput, VectorInput
from ecociv.spec_blocks import check_field_params


@dataclass
class LoadedInputs:
    """Inputs ready for ``Model.run`` plus what the manifest needs to know about them."""

    values: dict[str, Any]
    grid: GridSpec | None
    files: dict[str, str] = field(default_factory=dict)
    notes: ReadNotes = field(default_factory=ReadNotes)



def _required_missing(model: Model, given: Mapping[str, Any]) -> list[str]:
    return [i.id for i in model.spec.inputs
            if i.required and i.id not in given and not (isinstance(i, ParamInput) and i.default is not None)]


Source = str | Path | Any


def is_path(value: object) -> bool:
    """True for a file path (str or Path); other values are in-memory data."""
    return isinstance(value, (str, Path))


def load_inputs(
    model: Model,
    sources: Mapping[str, Source],
    params: Mapping[str, object] | None = None,
    *,
    grid: GridSpec | str | Path | None = None,
    align: bool = False,
    nodata: Mapping[str, float] | None = None,
    resampling: Mapping[str, str] | None = None,
) -> LoadedInputs:
    """Check every input named in ``sources`` and ``params`` against ``model``'s spec.

    This is the one validation path of every run (CLI, scenario runner, Python API).

    Parameters
    ----------
    model : Model
        The model to run.
    sources : mapping
        Input id to a file path (str or Path), or to in-memory data checked by the same rules:
        an ``xarray.DataArray`` with CRS and transform (rasters), a ``pandas.DataFrame``
        (tables), a ``geopandas.GeoDataFrame`` (vectors).
    params : mapping, optional
        Parameter id to a value: a number in the spec's units, a string with a unit
        (``"300 mm"``), a pint quantity, or the text of a choice, flag or mapping.
    grid : GridSpec or path, optional
        The run's grid (a raster file's grid when a path); default: the grid of the first raster
        input. Rasters not on it are rejected, or aligned when ``align`` is on, by the method in
        ``resampling`` for that input (default: the spec's, nearest for categories).
    nodata : mapping, optional
        Nodata values for raster files that do not declare theirs.
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
    grid = _run_grid(model, sources, grid, notes)
    values: dict[str, Any] = {}
    files: dict[str, str] = {}
    # parameters and tables first: a raster may take its band count from a table (bands_from)
    order: dict[str, int] = {"param": 0, "table": 1, "file": 1, "raster": 2, "vector": 3}
    for item in sorted(spec.inputs, key=lambda i: order[i.type]):
        if isinstance(item, ParamInput):
            if item.id in params:
                values[item.id] = parse_param(item, _param_value(params[item.id]))
            elif item.default is not None:
                values[item.id] = item.default
            continue
        if item.id not in sources:
            continue
        source = sources[item.id]
        if is_path(source):
            files[item.id] = str(source)
        if isinstance(item, RasterInput):
            assert grid is not None
            bands = (item.bands if item.bands_from is None
                     else len(band_names(item.bands_from, values, item.id)))
            described: tuple[str, ...] | None = None
            if item.any_bands:   # every band, as many as the raster has
                bands, described = _band_layout(source)
            method = (resampling or {}).get(item.id, item.resampling_method)
            meaning = (f"row of table '{item.bands_from.partition('.')[0]}'" if item.bands_from
                       else "month, January first" if item.bands == 12 else None)
            if not is_path(source):
                values[item.id] = raster_in_memory(item, source, grid, bands=bands, align=align,
                                                   resampling=method, notes=notes,
                                                   band_meaning=meaning)
            else:
                values[item.id] = open_raster(
                    Path(source), grid, name=item.id, align=align, resampling=method,
                    units=item.units, notes=notes, nodata=(nodata or {}).get(item.id),
                    bands=bands, band_meaning=meaning, categorical=item.kind == "categorical",
                )
            if item.any_bands:
                values[item.id].attrs["band_names"] = described
        elif isinstance(item, TableInput):
            values[item.id] = (read_table(Path(source), item) if is_path(source)
                               else table_in_memory(item, source))
        elif isinstance(item, FileInput):
            if not is_path(source):
                raise InputError(f"input '{item.id}' is a file the model reads; give its path, "
                                 f"not a {type(source).__name__}")
            values[item.id] = _file_input(item, Path(source))
        elif isinstance(item, VectorInput):
            if grid is None:
                raise InputError(f"vector input '{item.id}' needs a grid (give a raster input or --grid)")
            values[item.id] = (read_vector(Path(source), item, grid, notes) if is_path(source)
                               else vector_in_memory(item, source, grid, notes))
    check_field_params(spec, values)
    return LoadedInputs(values=values, grid=grid, files=files, notes=notes)


def _band_layout(source: Source) -> tuple[int | None, tuple[str, ...] | None]:
    """Bands of a raster input that takes any number of them (``RasterInput.any_bands``): the
    count (None for one band) and the band descriptions (names), or None when there are none."""
    if is_path(source):
        from ecociv.grid.io import _open

        with _open(source, None) as src:
            count, names = src.count, tuple(d or "" for d in src.descriptions)
    else:
        array: Any = source
        dims = getattr(array, "dims", ())
        count = int(array.sizes["band"]) if "band" in dims else 1
        coord = array.coords.get("band_name") if "band" in dims else None
        names = tuple(str(v) for v in coord.values) if coord is not None else ()
    return (count if count > 1 else None), (names if any(names) else None)


def _run_grid(model: Model, sources: Mapping[str, Source], grid: GridSpec | str | Path | None,
              notes: ReadNotes) -> GridSpec | None:
    """The run's grid: ``grid``, else the grid of the first raster input."""
    grid_source = "grid"
    if isinstance(grid, (str, Path)):
        grid_source = f"grid ({grid})"
        grid = grid_of(grid, name="grid")
    if grid is None:
        for item in model.spec.inputs:
            if isinstance(item, RasterInput) and item.id in sources:
                source = sources[item.id]
                if is_path(source):
                    grid = grid_of(source, name=item.id)
                    grid_source = f"input '{item.id}' ({source})"
                else:
                    grid = memory_grid(source, item.id)
                    grid_source = f"input '{item.id}' ({IN_MEMORY})"
                notes.add(f"run grid taken from {grid_source}")
                break
    if grid is not None and grid.is_rotated:
        raise InputError(
            "the run grid is rotated or sheared (its transform has non-zero rotation terms); "
            "warp the raster to a north-up grid first (e.g. `gdalwarp`) or give a north-up --grid",
            source=grid_source)
    return grid


def _param_value(value: object) -> object:
    """A pint quantity as the text ``"<magnitude> <unit>"`` that parameters accept."""
    magnitude, units = getattr(value, "magnitude", None), getattr(value, "units", None)
    if magnitude is not None and units is not None and np.ndim(magnitude) == 0:
        return f"{float(magnitude)!r} {units}"
    return value


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
