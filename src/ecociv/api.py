"""The Python API, for notebooks and scripts: run a model on arrays, tables and files held in
memory, or a scenario file into a results store.

Inputs are checked exactly as ``ecociv model run`` checks files (ranges, codes, table columns,
parameter units, grids); the outputs come back in memory (xarray, pandas, geopandas) and
:meth:`ModelResult.save` writes the files ``ecociv model run --out`` writes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from affine import Affine

from ecociv.errors import InputError
from ecociv.execute.load import LoadedInputs, is_path, load_inputs
from ecociv.execute.manifest import build_manifest
from ecociv.execute.run import compute_in_memory, run_loaded
from ecociv.grid.io import from_array
from ecociv.grid.spec import GridSpec
from ecociv.scenario.run_file import ScenarioFile, load_scenario_file, run_scenario_file
from ecociv.scenario.runner import RunResult
from ecociv.spec import Model, ParamInput, RasterInput, RasterOutput, TableOutput

__all__ = ["ModelResult", "load_scenario", "run_model", "run_scenario"]


@dataclass(frozen=True)
class ModelResult(Mapping[str, Any]):
    """The outputs of one model run, in memory: output id to an ``xarray.DataArray`` (rasters,
    with CRS and transform), a ``pandas.DataFrame`` (tables) or a ``geopandas.GeoDataFrame``
    (vectors).

    Attributes
    ----------
    model : Model
        The model that ran.
    outputs : dict
        The outputs by id (also reached by ``result[output_id]``).
    loaded : LoadedInputs
        The checked inputs the model ran on.
    """

    model: Model
    outputs: dict[str, Any]
    loaded: LoadedInputs = field(repr=False)

    def __getitem__(self, output_id: str) -> Any:
        try:
            return self.outputs[output_id]
        except KeyError:
            raise KeyError(f"model '{self.model.spec.id}' produced no output {output_id!r}; "
                           f"outputs: {list(self.outputs)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.outputs)

    def __len__(self) -> int:
        return len(self.outputs)

    @property
    def notes(self) -> list[str]:
        """What was done to the inputs on the way (grid taken from, alignment, unit
        conversion, reprojection), as in the manifest."""
        return list(self.loaded.notes.messages)

    @property
    def grid(self) -> GridSpec | None:
        """The grid the model ran on (None for a model without rasters)."""
        return self.loaded.grid

    @property
    def manifest(self) -> dict[str, Any]:
        """The manifest a saved run gets, without file names and timings: model, inputs (files
        with their hashes), parameters, grid, outputs with their units, notes, versions."""
        from concurrent.futures import Future

        from ecociv.io.hashing import digest_later

        digests: dict[str, Future[str]] = {name: digest_later(path)
                                           for name, path in self.loaded.files.items()}
        outputs: dict[str, Any] = {}
        for output in self.model.spec.outputs:
            if output.id not in self.outputs:
                continue
            if isinstance(output, RasterOutput):
                outputs[output.id] = {"type": "raster", "units": output.units}
            elif isinstance(output, TableOutput):
                outputs[output.id] = {"type": "table", "rows": len(self.outputs[output.id]),
                                      "units": {c.id: c.units for c in output.columns}}
            else:
                outputs[output.id] = {"type": "vector", "features": len(self.outputs[output.id]),
                                      "units": {c.id: c.units for c in output.fields}}
        manifest = build_manifest(self.model, self.loaded, digests=digests, outputs=outputs,
                                  started=0.0, compute_seconds=0.0, scheduler_address=None)
        for key in ("timings_s", "started"):
            manifest.pop(key, None)
        return manifest

    def save(self, folder: str | Path) -> dict[str, Any]:
        """Write the outputs, as ``ecociv model run --out folder`` does (COG rasters, CSV tables,
        GeoPackage layers and ``manifest.json``); returns the manifest.

        The folder is replaced atomically when it is new or an earlier ecociv output; a
        non-empty folder ecociv did not write is refused.
        """
        return run_loaded(self.model, self.loaded, folder, produced=self.outputs)

    def __repr__(self) -> str:
        return f"ModelResult({self.model.spec.id!r}, outputs={list(self.outputs)})"


def run_model(
    model_id: str,
    *,
    crs: Any = None,
    transform: Affine | Sequence[float] | None = None,
    nodata: Mapping[str, float] | None = None,
    grid: GridSpec | str | Path | None = None,
    align: bool = False,
    scheduler: str | None = None,
    **inputs_and_params: Any,
) -> ModelResult:
    """Run the model ``model_id`` on data in memory or in files; return its outputs in memory.

    Parameters
    ----------
    model_id : str
        A registered model, e.g. ``"water_yield"`` (``ecociv models`` lists them).
    crs : str, int or pyproj.CRS, optional
        CRS of the numpy arrays given as rasters (e.g. ``"EPSG:32645"`` or a PROJ string).
    transform : affine.Affine or 6 numbers, optional
        Affine transform of the numpy arrays (``Affine(res, 0, west, 0, -res, north)``; 6 numbers
        are taken in that order, as ``affine.Affine`` takes them, not in GDAL's order).
    nodata : mapping, optional
        Input id to the value that marks missing cells in that raster (a numpy array or a file
        that does not declare its own); NaN is always missing.
    grid : GridSpec or path, optional
        The run's grid (default: the grid of the first raster input).
    align : bool
        Resample rasters on other grids to the run's grid (else such a raster is an error).
    scheduler : str, optional
        Address of a ``dask.distributed`` scheduler; default: local threads.
    **inputs_and_params
        Inputs by id: rasters as ``xarray.DataArray`` (with a CRS, e.g. from
        ``rioxarray.open_rasterio``), numpy arrays (with ``crs`` and ``transform``) or file
        paths; tables as ``pandas.DataFrame`` or CSV paths; vectors as
        ``geopandas.GeoDataFrame`` or file paths; parameters as numbers in the model's units,
        strings with a unit (``"300 mm"``) or pint quantities.

    Returns
    -------
    ModelResult
        Output id to ``xarray.DataArray`` / ``pandas.DataFrame`` / ``geopandas.GeoDataFrame``,
        with ``.notes``, ``.manifest`` and ``.save(folder)``.

    Raises
    ------
    InputError
        An input is missing, unknown, out of its declared range, on another grid, in wrong
        units...; the message names the input, and the cell, row or column at fault.
    """
    from ecociv.registry import get_model

    model = get_model(model_id)
    kinds = {item.id: item for item in model.spec.inputs}
    sources: dict[str, Any] = {}
    params: dict[str, Any] = {}
    file_nodata: dict[str, float] = {}
    for name, value in inputs_and_params.items():
        item = kinds.get(name)
        if isinstance(item, ParamInput):
            params[name] = value
        elif isinstance(item, RasterInput):
            if is_path(value):
                if nodata and name in nodata:
                    file_nodata[name] = nodata[name]
                sources[name] = value
            else:
                sources[name] = _raster(name, value, crs, transform, (nodata or {}).get(name))
        else:
            sources[name] = value  # load_inputs names unknown ids and checks the rest
    loaded = load_inputs(model, sources, params, grid=grid, align=align, nodata=file_nodata)
    outputs = compute_in_memory(model, loaded, scheduler_address=scheduler)
    return ModelResult(model=model, outputs=outputs, loaded=loaded)


def load_scenario(path: str | Path) -> ScenarioFile:
    """Read, check and plan a scenario file (YAML); ``.scenario`` holds its settings and
    ``.steps`` the model runs in order. Raises ScenarioError / InputError naming the key at
    fault."""
    return load_scenario_file(path)


def run_scenario(scenario: str | Path | ScenarioFile, *, store: str | Path,
                 scheduler: str | None = None, use_cache: bool = True,
                 maps: bool = True) -> RunResult:
    """Run a scenario (a file, or one loaded by :func:`load_scenario`) into the results store
    folder ``store``, as ``ecociv run FILE --out STORE`` does.

    Returns
    -------
    RunResult
        ``run_id``, the run's ``folder`` (one sub-folder per step, outputs and manifests) and
        the run ``manifest``.
    """
    return run_scenario_file(scenario, store, scheduler=scheduler, use_cache=use_cache, maps=maps)


def _raster(name: str, value: Any, crs: Any, transform: Any, nodata: float | None) -> Any:
    """A raster input as an ``xarray.DataArray`` with CRS and transform (numpy arrays and
    pint quantities wrapped; DataArrays given their missing CRS/transform)."""
    units = ""
    magnitude = getattr(value, "magnitude", None)
    if magnitude is not None and getattr(value, "units", None) is not None:
        units, value = str(value.units), magnitude
    has_coords = isinstance(value, xr.DataArray) and ("x" in value.coords or "y" in value.coords)
    if isinstance(value, xr.DataArray) and (has_coords or transform is None):
        array = value  # its coordinates give its transform
        if array.rio.crs is None and crs is not None:
            array = array.rio.write_crs(_crs_wkt(crs, name))
    elif isinstance(value, (np.ndarray, xr.DataArray)) or np.ndim(value) >= 2:
        if isinstance(value, xr.DataArray):  # no coordinates: placed by crs= and transform=
            units = units or str(value.attrs.get("units") or "")
            value = value.values
        data = np.asarray(value)
        if crs is None or transform is None:
            raise InputError("a numpy array needs crs= and transform= (or give an xarray "
                             "DataArray with a CRS, or a file)", source=f"input '{name}'")
        if data.ndim not in (2, 3):
            raise InputError(f"expected a 2-D array (rows, cols) or 3-D (bands, rows, cols), got "
                             f"shape {data.shape}", source=f"input '{name}'")
        if data.dtype.kind not in "iuf":
            raise InputError(f"expected numbers, got an array of {data.dtype}",
                             source=f"input '{name}'")
        grid = GridSpec.from_crs(_crs_wkt(crs, name), _affine(transform, name),
                                 (int(data.shape[-2]), int(data.shape[-1])))
        array = from_array(data, grid, name=name, units="", nodata=nodata)
        nodata = None
    else:
        raise InputError(f"expected a raster (numpy array, xarray DataArray or file path), got "
                         f"{type(value).__name__}", source=f"input '{name}'")
    if nodata is not None:
        array = array.rio.write_nodata(nodata)
    if units:
        array = array.copy()
        array.attrs["units"] = units
    return array


def _crs_wkt(crs: Any, name: str) -> str:
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        return str(CRS.from_user_input(crs).to_wkt())
    except CRSError as err:
        raise InputError(f"not a coordinate reference system: {crs!r} ({err})",
                         source=f"crs of input '{name}'") from err


def _affine(transform: Any, name: str) -> Affine:
    if isinstance(transform, Affine):
        return transform
    values = list(np.asarray(transform, dtype=float).ravel())
    if len(values) not in (6, 9):
        raise InputError(f"expected an affine.Affine or 6 numbers (a, b, c, d, e, f), got "
                         f"{transform!r}", source=f"transform of input '{name}'")
    return Affine(*values[:6])
