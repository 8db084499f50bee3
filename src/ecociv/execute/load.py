"""Loading a model's inputs from files (and parameter values) against its spec."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecociv.errors import InputError
from ecociv.grid.io import ReadNotes, grid_of, open_raster
from ecociv.grid.spec import GridSpec
from ecociv.io.params import parse_param
from ecociv.io.tables import read_table
from ecociv.io.vectors import read_vector
from ecociv.spec import FileInput, Model, ParamInput, RasterInput, TableInput, VectorInput


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
