"""Running one model: load its inputs against the spec, run it, check and write its outputs.

This is the one path every caller takes (``ecociv model run``, the scenario runner, Python
users), so validation, provenance and the post-run output check are the same everywhere.

Modules: :mod:`.load` (inputs from files or memory, checked against the spec), :mod:`.memory`
(in-memory rasters, tables and layers), :mod:`.checks` (raster ranges and codes, output shapes),
:mod:`.write` (tables and vectors), :mod:`.manifest`, :mod:`.scheduling` (dask) and :mod:`.run`
(the whole path, or outputs computed into memory).
"""

from ecociv.execute.load import LoadedInputs, band_names, load_inputs
from ecociv.execute.run import compute_in_memory, run_in_memory, run_loaded, run_model
from ecociv.execute.scheduling import scheduler

__all__ = ["LoadedInputs", "band_names", "compute_in_memory", "load_inputs", "run_in_memory",
           "run_loaded", "run_model", "scheduler"]
