"""A size check before a run: a raster header can declare a grid far larger than its file
(a sparse, compressed GeoTIFF of 200 000 × 200 000 cells takes a few hundred kB), and the run
would then compute for hours and fill the disk. The outputs' uncompressed size is compared with
the free space of the output folder before anything is computed."""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ecociv.errors import InputError
from ecociv.grid.spec import GridSpec
from ecociv.io.partial import describe_size
from ecociv.spec import ModelSpec, ParamInput, RasterOutput


def written_rasters(spec: ModelSpec, params: Mapping[str, Any]) -> list[RasterOutput]:
    """The raster outputs of ``spec`` a run with ``params`` writes or may write.

    An optional output declaring ``written_if`` (a bool parameter of the model) is left out when
    that parameter's value for this run (``params``, else the parameter's default) is false; every
    other raster output is kept, also when the value is missing or not a valid true/false (the
    loading of the inputs reports that).

    Parameters
    ----------
    spec : ModelSpec
        The model's spec.
    params : mapping
        Parameter id -> value of this run, parsed or as given (``"false"``, ``0``...).

    Returns
    -------
    list of RasterOutput
        In the spec's order.
    """
    from ecociv.io.params import parse_param

    switches = {i.id: i for i in spec.inputs if isinstance(i, ParamInput)}
    kept = []
    for output in spec.outputs:
        if not isinstance(output, RasterOutput):
            continue
        switch = switches.get(output.written_if) if output.written_if else None
        value = params.get(switch.id, switch.default) if switch is not None else None
        if switch is not None and value is not None:
            try:
                if parse_param(switch, value) is False:
                    continue
            except InputError:
                pass  # counted; the loading of the inputs names the bad value
        kept.append(output)
    return kept


def output_bytes(grid: GridSpec, layers: Iterable[tuple[str, int]]) -> int:
    """Uncompressed size of raster outputs on ``grid``.

    Parameters
    ----------
    grid : GridSpec
        The run grid (rows × cols cells).
    layers : iterable of (dtype, bands)
        One entry per raster output: its data type (``"float32"``...) and number of bands.

    Returns
    -------
    int
        Bytes: cells × bytes per cell × bands, summed over the outputs.
    """
    cells = grid.rows * grid.cols
    return sum(cells * np.dtype(dtype).itemsize * max(bands, 1) for dtype, bands in layers)


def _free_bytes(folder: Path) -> int:
    """Free bytes on the filesystem of ``folder`` (its nearest existing parent)."""
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return shutil.disk_usage(candidate).free
    return shutil.disk_usage(Path.cwd()).free


def check_disk_room(grid: GridSpec | None, out_dir: str | Path,
                    layers: Iterable[tuple[str, int]], files: Mapping[str, str] | None = None,
                    *, source: str | None = None) -> None:
    """Refuse a run whose raster outputs could not fit in the free space of ``out_dir``.

    Parameters
    ----------
    grid : GridSpec or None
        The run grid (None: no raster outputs, nothing to check).
    out_dir : path
        Folder the outputs are written to.
    layers : iterable of (dtype, bands)
        The raster outputs, as for :func:`output_bytes`.
    files : mapping, optional
        Input id -> file of the run, named in the error.
    source : str, optional
        Where the grid comes from, named in the error instead of ``files``.

    Raises
    ------
    InputError
        The outputs' uncompressed size exceeds the free space, with both numbers and the grid.
    """
    layers = list(layers)
    if grid is None or not layers:
        return
    needed = output_bytes(grid, layers)
    out_dir = Path(out_dir).absolute()
    free = _free_bytes(out_dir)
    if needed <= free:
        return
    raise InputError(
        f"the run grid has {grid.rows} × {grid.cols} = {grid.rows * grid.cols:.3g} cells; its "
        f"{len(layers)} raster output(s) need up to {describe_size(needed)} uncompressed, but "
        f"{out_dir.parent} has {describe_size(free)} free. Is a raster's declared size right? "
        "Run on a coarser grid (a scenario's grid.resolution, or --grid with a coarser raster) "
        "or a smaller extent, or free disk space",
        source=source or ", ".join(f"input '{k}' ({v})" for k, v in (files or {}).items())
        or "run grid")
