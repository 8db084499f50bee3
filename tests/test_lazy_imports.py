"""``ecociv.lazy``: opening a raster does not import pint, and xarray still recognises pint
quantities once pint is imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

PROBE = textwrap.dedent("""
    import json, sys
    import numpy as np
    import xarray as xr
    from ecociv.lazy import xarray_checks_pint_lazily
    replaced = xarray_checks_pint_lazily()
    # coordinates become a pandas index: xarray asks whether they are pint quantities
    xr.DataArray(np.zeros((2, 3)), coords={"y": [0.5, 1.5], "x": [0.5, 1.5, 2.5]}, dims=("y", "x"))
    before = "pint" in sys.modules
    import pint
    from xarray.namedarray.pycompat import array_type
    quantity = pint.UnitRegistry().Quantity(np.arange(3.0), "m")
    wrapped = xr.DataArray(quantity, dims="x")
    print(json.dumps({"replaced": replaced, "pint_before": before,
                      "types": array_type("pint") == (pint.Quantity,),
                      "kept": isinstance(wrapped.data, pint.Quantity),
                      "again": xarray_checks_pint_lazily()}))
""")


def test_pint_is_not_imported_until_used_and_then_recognised() -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True,
                          check=True, timeout=300)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {"replaced": True, "pint_before": False, "types": True, "kept": True,
                     "again": False}


SCIPY_PROBE = textwrap.dedent("""
    import json, sys, threading
    import ecociv  # installs the import hook
    import dask.array as da
    without = "scipy" not in sys.modules
    import scipy.sparse
    from dask.array import chunk_types, fft
    x = da.from_array(scipy.sparse.random(6, 6, density=0.5, format="csr", random_state=1),
                      chunks=3, asarray=False)
    blocks = x.blocks[0, 0].compute()
    print(json.dumps({
        "without": without,
        "spmatrix": scipy.sparse.spmatrix in chunk_types._HANDLED_CHUNK_TYPES,
        "sparray": scipy.sparse.sparray in chunk_types._HANDLED_CHUNK_TYPES,
        "fft": fft.scipy is sys.modules["scipy"],
        "block": scipy.sparse.issparse(blocks) and blocks.shape == (3, 3),
    }))
""")


def test_dask_array_is_imported_without_scipy_and_completed_when_scipy_comes() -> None:
    """dask.array with the hook: no SciPy at its import; once scipy.sparse is imported, its
    matrices are dask chunk types and dask's FFT module holds SciPy, as without the hook."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run([sys.executable, "-c", SCIPY_PROBE], env=env, capture_output=True,
                          text=True, check=True, timeout=300)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {"without": True, "spmatrix": True, "sparray": True, "fft": True,
                     "block": True}


def test_dask_array_keeps_scipy_when_scipy_came_first() -> None:
    probe = ("import json, sys, scipy.sparse, ecociv, dask.array\n"
             "from dask.array import chunk_types, fft\n"
             "print(json.dumps([scipy.sparse.spmatrix in chunk_types._HANDLED_CHUNK_TYPES,"
             " fft.scipy is sys.modules['scipy']]))")
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                          check=True, timeout=300)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [True, True]
